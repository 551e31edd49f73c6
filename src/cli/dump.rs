//! `ringside dump FILE`: one line per frame with every decoded field, streamed.
//!
//! TSV (default): a header line naming the columns, then one row per frame; an empty cell is a
//! field the frame does not have. The columns are stable (see [`COLUMNS`]); a field that occurs
//! more than once (VLAN tags) has its values joined with `,`. `--json`: one JSON object per line
//! with only the fields the frame has.
use super::dump_text::{push_json_str, push_machine_value, push_padded, push_u64, Text};
use crate::wire::Dissection;
use clap::Args;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

#[derive(Args, Debug, Default)]
pub struct DumpArgs {
    /// A pcap or pcapng capture (Ethernet, Linux cooked (SLL, SLL2) or raw IP link type).
    pub file: PathBuf,
    /// JSON lines instead of TSV.
    #[arg(long)]
    pub json: bool,
    /// TSV even when stdout is a terminal (a pipe gets it anyway).
    #[arg(long, conflicts_with = "json")]
    pub tsv: bool,
    /// Each frame as an indented tree of its headers and fields (like `tshark -V`).
    #[arg(short = 'V', long, conflicts_with_all = ["json", "tsv"])]
    pub verbose: bool,
    /// Only frame N (counting from 1).
    #[arg(long, value_name = "N")]
    pub frame: Option<u64>,
}

/// The TSV columns, in order: defined in the wire layer beside the dissector's field keys (the
/// UI's filter names fields by the same list).
pub use crate::wire::columns::COLUMNS;

pub fn run(args: DumpArgs) -> anyhow::Result<()> {
    let mut reader = super::open_capture(&args.file)?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 18, stdout.lock());
    let mut dumper = Dumper::new(args.json);
    // People get a summary line (or -V's tree); programs (a pipe, --tsv, --json) the columns.
    let human = args.verbose
        || (!args.json && !args.tsv && std::io::IsTerminal::is_terminal(&std::io::stdout()));
    let mut t0 = None;
    if !args.json && !human {
        writeln!(out, "{}", COLUMNS.join("\t"))?;
    }
    let mut d = Dissection::default();
    let mut no = 0u64;
    while let Some(f) = reader.next_frame()? {
        no += 1;
        let t0 = *t0.get_or_insert(f.ts);
        if args.frame.is_some_and(|n| n != no) {
            continue;
        }
        d.parse_link(f.data, f.link, false);
        let written = if args.verbose {
            out.write_all(super::dump_tree::tree(no, f.ts, f.data, f.orig_len, &d).as_bytes())
        } else if human {
            let line = super::dump_tree::summary_line(no, f.ts.saturating_sub(t0), f.orig_len, &d);
            out.write_all(line.as_bytes())
        } else {
            dumper.append(no, f.ts, f.data.len(), f.orig_len, &d);
            write_pending(&mut dumper, &mut out, 1 << 18)
        };
        if let Err(e) = written {
            // `dump | head` closes the pipe: that is the reader being done, not a failure.
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(());
            }
            return Err(e.into());
        }
    }
    let written = write_pending(&mut dumper, &mut out, 0).and_then(|_| out.flush());
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
        r => r?,
    }
    if let Some(odd) = reader.oddities() {
        eprintln!("ringside: warning: {}: {odd}", args.file.display());
    }
    if let Some(stopped) = reader.stopped() {
        eprintln!("ringside: warning: {}: {stopped}", args.file.display());
    }
    Ok(())
}

/// Write out the dumper's lines once they reach `at_least` bytes: lines are written in large
/// pieces, straight from the text they were formatted in (no copy of each line into a buffer).
fn write_pending(
    dumper: &mut Dumper,
    out: &mut impl Write,
    at_least: usize,
) -> std::io::Result<()> {
    let pending = dumper.pending();
    if pending.is_empty() || pending.len() < at_least {
        return Ok(());
    }
    out.write_all(pending)?;
    dumper.clear_pending();
    Ok(())
}

/// Formats frames as TSV rows or JSON objects into one text the caller writes out in large
/// pieces. Built for millions of frames: nothing is allocated per frame once its buffers have
/// grown, values are written by [`dump_text`](super::dump_text) straight into the text, and a
/// field's column is found by one probe of a small table keyed by the field key's address.
///
/// What a frame's cells are is said once ([`CellWriter::cells`]); the two formats lay them out
/// differently. TSV writes each value straight into its row ([`Row`]); JSON, whose keys go in
/// name order, collects the cells first ([`Cells`]).
pub struct Dumper {
    json: bool,
    writer: CellWriter,
    /// The lines written and not yet taken ([`Dumper::pending`]).
    out: Text,
    cells: Cells,
    /// A value on its way to being inserted into a row.
    scratch: Text,
    /// Each column's place in the order of a JSON object's keys (column names, sorted).
    json_rank: Vec<usize>,
    /// Each column's JSON key, quoted, escaped and followed by `:`, written once here.
    json_keys: Vec<Vec<u8>>,
}

/// What one frame's cells are made from besides its dissection.
#[derive(Clone, Copy)]
struct FrameFacts {
    no: u64,
    ts: std::time::Duration,
    cap_len: usize,
    orig_len: u32,
}

/// Turns a frame into its cells ([`CellWriter::cells`]); apart from the text they go into, so
/// both can be borrowed at once.
struct CellWriter {
    columns: ColumnMap,
    /// The Info column's text, before it goes into its cell.
    info: String,
    /// TSV: Info's control characters become spaces (JSON escapes them).
    tsv: bool,
}

/// Somewhere a frame's cells go: `put(column, write)` adds `write`'s text to a column, joined
/// with `,` to a value the column has already (a second VLAN tag); an empty text adds nothing.
trait PutCell {
    fn put(&mut self, column: usize, write: impl FnOnce(&mut Text));
}

/// The dump column (and, for a checksum, its `.status` column) of each field key, by the key's
/// address: the dissector's keys are `&'static str`, so after the first frame a lookup is a
/// multiplication and, almost always, one compare (no string hashing, no string compares).
/// Open addressing with linear probing in a table kept at most half full and small enough to
/// stay in the L1 cache (8 KiB): the dissector has a few hundred keys; past half full, a new
/// key's columns are looked up by name each time.
struct ColumnMap {
    slots: Box<[Slot; 1 << ColumnMap::SLOTS_LOG2]>,
    used: usize,
}

/// One key's entry (16 bytes); `addr` 0 is an empty slot.
#[derive(Clone, Copy)]
struct Slot {
    addr: usize,
    len: u32,
    columns: KeyColumns,
}

/// A column a key does not have, in a [`Slot`].
const NO_COLUMN: u16 = u16::MAX;
const _: () = assert!(COLUMNS.len() < NO_COLUMN as usize);

/// A key's columns ([`NO_COLUMN`] if it has none): small enough to come back in a register.
#[derive(Clone, Copy)]
struct KeyColumns {
    value: u16,
    status: u16,
}

impl KeyColumns {
    fn get(c: u16) -> Option<usize> {
        (c != NO_COLUMN).then_some(usize::from(c))
    }
}

impl ColumnMap {
    const SLOTS_LOG2: u32 = 9;

    fn new() -> Self {
        ColumnMap {
            slots: Box::new(
                [Slot {
                    addr: 0,
                    len: 0,
                    columns: KeyColumns {
                        value: NO_COLUMN,
                        status: NO_COLUMN,
                    },
                }; 1 << Self::SLOTS_LOG2],
            ),
            used: 0,
        }
    }

    /// The slot for `key`'s address: its own, or the empty one where it would go.
    #[inline]
    fn slot_of(&self, addr: usize, len: u32) -> usize {
        const MASK: usize = (1 << ColumnMap::SLOTS_LOG2) - 1;
        // Fibonacci hashing: the top bits of the address times 2^64 / golden ratio.
        let mut i =
            ((addr as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - Self::SLOTS_LOG2)) as usize;
        loop {
            let slot = &self.slots[i & MASK];
            if (slot.addr == addr && slot.len == len) || slot.addr == 0 {
                return i & MASK;
            }
            i += 1;
        }
    }

    #[inline]
    fn of(&mut self, key: &'static str) -> KeyColumns {
        let (addr, len) = (key.as_ptr() as usize, key.len() as u32);
        let i = self.slot_of(addr, len);
        if self.slots[i].addr == addr {
            return self.slots[i].columns;
        }
        self.learn(i, key)
    }

    /// A key seen for the first time: its columns by name, kept in its empty slot `i` while
    /// the table is at most half full (so probes stay short and an empty slot always exists).
    #[cold]
    #[inline(never)]
    fn learn(&mut self, i: usize, key: &'static str) -> KeyColumns {
        let number = |c: Option<usize>| c.map_or(NO_COLUMN, |c| c as u16);
        let columns = KeyColumns {
            value: number(column(key)),
            status: number(status_column(key)),
        };
        if self.used < self.slots.len() / 2 {
            let (addr, len) = (key.as_ptr() as usize, key.len() as u32);
            self.slots[i] = Slot { addr, len, columns };
            self.used += 1;
        }
        columns
    }
}

fn column(name: &str) -> Option<usize> {
    COLUMNS.iter().position(|c| *c == name)
}

/// The status column of a checksum field.
fn status_column(key: &str) -> Option<usize> {
    match key {
        "ipv4.checksum" => column("ipv4.checksum.status"),
        "icmp.checksum" => column("icmp.checksum.status"),
        "udp.checksum" => column("udp.checksum.status"),
        "icmpv6.checksum" => column("icmpv6.checksum.status"),
        _ => None,
    }
}

/// Fixed columns, by position in [`COLUMNS`] (a test checks the names).
const NO: usize = 0;
const TIME: usize = 1;
const CAP_LEN: usize = 2;
const ORIG_LEN: usize = 3;
const PROBLEMS: usize = 63;
const PROTOCOL: usize = 64;
const INFO: usize = 65;

/// One TSV row, written left to right at the end of the text: each value goes straight in
/// after as many tabs as the empty columns before it need. The dissector's fields come mostly in
/// column order (the list follows the wire), so almost every cell is appended. A cell for a
/// column left of the last one written is inserted in its place: the IPv6, LLC and SLL columns
/// were appended to the list after Protocol and Info, and a second VLAN tag joins the first.
/// That place is found by counting tabs from the row's start, since no value holds a tab (the
/// values are digits, hex and punctuation, and Info's control characters are replaced).
struct Row<'a> {
    text: &'a mut Text,
    /// A value on its way to being inserted.
    scratch: &'a mut Text,
    /// Where the row starts in `text`.
    start: usize,
    /// The rightmost column with a value so far.
    last: Option<usize>,
}

impl Row<'_> {
    /// The tabs of the columns after the last cell, and the newline.
    fn finish(self) {
        let last = self.last.unwrap_or(0);
        self.text.push_tabs(COLUMNS.len() - 1 - last);
        self.text.push(b'\n');
    }

    /// Where `column`'s value starts and ends in `text` (equal when it has none); `column` is at
    /// or left of the last one written, so its tabs are there.
    fn span_of(&self, column: usize) -> (usize, usize) {
        let row = self.text.tail(self.start);
        let mut tabs = row
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b == b'\t')
            .map(|(i, _)| self.start + i);
        let from = match column {
            0 => self.start,
            _ => tabs.nth(column - 1).map_or(self.text.len(), |i| i + 1),
        };
        let to = tabs.next().unwrap_or(self.text.len());
        (from, to)
    }

    /// A cell for a column at or left of the last one written.
    fn insert(&mut self, column: usize, write: impl FnOnce(&mut Text)) {
        self.scratch.clear();
        let (from, to) = self.span_of(column);
        if from < to {
            // A second value (VLAN tags): after the first one, joined by a comma.
            self.scratch.push(b',');
        }
        write(self.scratch);
        if from == to && self.scratch.is_empty() {
            return;
        }
        self.text.insert(to, self.scratch.as_bytes());
    }
}

impl PutCell for Row<'_> {
    #[inline]
    fn put(&mut self, column: usize, write: impl FnOnce(&mut Text)) {
        let last = match self.last {
            Some(last) if column <= last => return self.insert(column, write),
            Some(last) => last,
            None => 0,
        };
        let mark = self.text.len();
        self.text.push_tabs(column - last);
        let value_start = self.text.len();
        write(self.text);
        if self.text.len() == value_start {
            self.text.truncate(mark);
        } else {
            self.last = Some(column);
        }
    }
}

/// A frame's cells collected for a JSON object: every value written once, into one buffer,
/// and each column noting where its value lies (most of the columns are empty for any one frame).
#[derive(Default)]
struct Cells {
    /// This frame's values, one after another.
    vals: Text,
    /// Where each column's value lies in `vals` (empty: the frame does not have it).
    spans: Vec<(u32, u32)>,
    /// The columns this frame has a value in: only these are reset and visited.
    set: Vec<usize>,
    /// A value added to a column that has one already (VLAN tags): the joined text.
    joined: Text,
}

impl Cells {
    fn clear(&mut self) {
        self.vals.clear();
        for &i in &self.set {
            self.spans[i] = (0, 0);
        }
        self.set.clear();
    }

    fn cell(&self, i: usize) -> &[u8] {
        let (a, b) = self.spans[i];
        &self.vals.as_bytes()[a as usize..b as usize]
    }
}

impl PutCell for Cells {
    fn put(&mut self, i: usize, write: impl FnOnce(&mut Text)) {
        let (a, b) = self.spans[i];
        if a == b {
            let start = self.vals.len();
            write(&mut self.vals);
            if self.vals.len() > start {
                self.set.push(i);
            }
            self.spans[i] = (start as u32, self.vals.len() as u32);
        } else {
            // Rare (a second VLAN tag): the joined value goes after the others.
            self.joined.clear();
            self.joined
                .push_bytes(&self.vals.as_bytes()[a as usize..b as usize]);
            self.joined.push(b',');
            write(&mut self.joined);
            let start = self.vals.len();
            self.vals.push_bytes(self.joined.as_bytes());
            self.spans[i] = (start as u32, self.vals.len() as u32);
        }
    }
}

impl Dumper {
    pub fn new(json: bool) -> Self {
        let mut json_order: Vec<usize> = (0..COLUMNS.len()).collect();
        json_order.sort_by_key(|&i| COLUMNS[i]);
        let mut json_rank = vec![0; COLUMNS.len()];
        for (rank, &i) in json_order.iter().enumerate() {
            json_rank[i] = rank;
        }
        let json_keys = COLUMNS
            .iter()
            .map(|name| {
                let mut key = Text::default();
                push_json_str(&mut key, name.as_bytes());
                key.push(b':');
                key.as_bytes().to_vec()
            })
            .collect();
        Dumper {
            json,
            writer: CellWriter {
                columns: ColumnMap::new(),
                info: String::new(),
                tsv: !json,
            },
            out: Text::default(),
            cells: Cells {
                spans: vec![(0, 0); COLUMNS.len()],
                set: Vec::with_capacity(COLUMNS.len()),
                ..Cells::default()
            },
            scratch: Text::default(),
            json_rank,
            json_keys,
        }
    }

    /// One frame's line, newline included, added to the [`pending`](Dumper::pending) text.
    pub fn append(
        &mut self,
        no: u64,
        ts: std::time::Duration,
        cap_len: usize,
        orig_len: u32,
        d: &Dissection,
    ) {
        let frame = FrameFacts {
            no,
            ts,
            cap_len,
            orig_len,
        };
        if !self.json {
            let mut row = Row {
                start: self.out.len(),
                text: &mut self.out,
                scratch: &mut self.scratch,
                last: None,
            };
            self.writer.cells(&mut row, frame, d);
            row.finish();
            return;
        }
        let mut cells = std::mem::take(&mut self.cells);
        cells.clear();
        self.writer.cells(&mut cells, frame, d);
        let rank = &self.json_rank;
        cells.set.sort_unstable_by_key(|&i| rank[i]);
        self.json_line(&cells);
        self.out.push(b'\n');
        self.cells = cells;
    }

    /// The line for one frame alone, newline included (what [`append`](Dumper::append) adds).
    pub fn line(
        &mut self,
        no: u64,
        ts: std::time::Duration,
        cap_len: usize,
        orig_len: u32,
        d: &Dissection,
    ) -> &[u8] {
        self.out.clear();
        self.append(no, ts, cap_len, orig_len, d);
        self.out.as_bytes()
    }

    /// The lines appended since the last [`clear_pending`](Dumper::clear_pending).
    pub fn pending(&self) -> &[u8] {
        self.out.as_bytes()
    }

    pub fn clear_pending(&mut self) {
        self.out.clear();
    }

    /// The cells as one JSON object: only the columns the frame has, numbers as numbers,
    /// `problems` as an array of names.
    fn json_line(&mut self, cells: &Cells) {
        let line = &mut self.out;
        line.push(b'{');
        let mut first = true;
        for &i in &cells.set {
            let cell = cells.cell(i);
            if !first {
                line.push(b',');
            }
            first = false;
            line.push_bytes(&self.json_keys[i]);
            match i {
                NO | CAP_LEN | ORIG_LEN => {
                    let n = std::str::from_utf8(cell).ok().and_then(|s| s.parse().ok());
                    push_u64(line, n.unwrap_or(0));
                }
                PROBLEMS => {
                    line.push(b'[');
                    for (k, p) in cell.split(|&b| b == b',').enumerate() {
                        if k > 0 {
                            line.push(b',');
                        }
                        push_json_str(line, p);
                    }
                    line.push(b']');
                }
                _ => push_json_str(line, cell),
            }
        }
        line.push(b'}');
    }
}

impl CellWriter {
    /// Every cell of one frame, in the order the dissector found its fields.
    fn cells(&mut self, out: &mut impl PutCell, frame: FrameFacts, d: &Dissection) {
        let FrameFacts {
            no,
            ts,
            cap_len,
            orig_len,
        } = frame;
        out.put(NO, |t| push_u64(t, no));
        out.put(TIME, |t| {
            push_u64(t, ts.as_secs());
            t.push(b'.');
            push_padded(t, u64::from(ts.subsec_nanos()), 9);
        });
        out.put(CAP_LEN, |t| push_u64(t, cap_len as u64));
        out.put(ORIG_LEN, |t| push_u64(t, u64::from(orig_len)));
        for f in &d.fields {
            let cols = self.columns.of(f.key);
            if let Some(i) = KeyColumns::get(cols.value) {
                out.put(i, |t| push_machine_value(t, f));
            }
            if let (Some(check), Some(i)) = (f.check, KeyColumns::get(cols.status)) {
                out.put(i, |t| t.push_str(check.name()));
            }
        }
        if !d.problems.is_empty() {
            out.put(PROBLEMS, |t| {
                for (i, p) in d.problems.iter().enumerate() {
                    if i > 0 {
                        t.push(b',');
                    }
                    p.name_parts().iter().for_each(|part| t.push_str(part));
                }
            });
        }
        // Protocol and Info only: dump has no Source/Destination columns to build.
        self.info.clear();
        let protocol = d.protocol_info(&mut self.info);
        out.put(PROTOCOL, |t| t.push_str(protocol));
        let (info, tsv) = (&self.info, self.tsv);
        out.put(INFO, |t| {
            // The one cell whose text is not digits, hex and punctuation written by this file:
            // never let a tab, newline or other control character into a TSV row (JSON escapes).
            if tsv && has_control(info) {
                let clean: String = info
                    .chars()
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .collect();
                t.push_str(&clean);
            } else {
                t.push_str(info);
            }
        });
    }
}

/// Whether `text` holds a control character (`char::is_control`: C0, DEL or C1). Bytes first:
/// a C1 control's UTF-8 starts with 0xc2, so text without 0xc2 and below 0x20 or 0x7f has none.
/// (The byte test visits every byte, without stopping early, so the compiler vectorises it.)
fn has_control(text: &str) -> bool {
    let suspect = text
        .bytes()
        .fold(false, |any, b| any | (b < 0x20) | (b == 0x7f) | (b == 0xc2));
    suspect && text.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_columns_are_where_the_formatter_writes_them() {
        assert_eq!(
            [
                COLUMNS[NO],
                COLUMNS[TIME],
                COLUMNS[CAP_LEN],
                COLUMNS[ORIG_LEN],
                COLUMNS[PROBLEMS],
                COLUMNS[PROTOCOL],
                COLUMNS[INFO]
            ],
            ["no", "time", "cap_len", "orig_len", "problems", "protocol", "info"]
        );
    }

    /// The row as a plain list of cells joined by tabs would have it.
    fn reference_row(cells: &[(usize, &str)]) -> String {
        let mut cols = vec![String::new(); COLUMNS.len()];
        for &(i, v) in cells {
            if cols[i].is_empty() {
                cols[i] = v.to_string();
            } else {
                cols[i] = format!("{},{v}", cols[i]);
            }
        }
        cols.join("\t") + "\n"
    }

    #[test]
    fn a_row_is_the_same_whatever_order_its_cells_come_in() {
        // In order; a column left of the last (inserted); a second value (joined) in the middle
        // and at the end; an empty value (nothing); a first cell after an empty one.
        let orders: [&[(usize, &str)]; 4] = [
            &[
                (0, "1"),
                (4, "aa"),
                (9, "10"),
                (64, "p"),
                (65, "i"),
                (90, "x"),
            ],
            &[
                (0, "1"),
                (90, "x"),
                (4, "aa"),
                (65, "i"),
                (64, "p"),
                (9, "10"),
            ],
            &[
                (0, "1"),
                (9, "10"),
                (64, "p"),
                (9, "20"),
                (2, ""),
                (90, "x"),
                (90, "y"),
                (9, ""),
            ],
            &[
                (3, ""),
                (5, "z"),
                (0, "1"),
                (COLUMNS.len() - 1, "end"),
                (4, "q"),
            ],
        ];
        for cells in orders {
            // After another row, as in a dump: the row's tabs are counted from its own start.
            let mut text = Text::default();
            text.push_str("earlier\trow\n");
            let mut scratch = Text::default();
            let mut row = Row {
                start: text.len(),
                text: &mut text,
                scratch: &mut scratch,
                last: None,
            };
            for &(i, v) in cells {
                row.put(i, |t| t.push_str(v));
            }
            row.finish();
            let row = String::from_utf8(text.tail("earlier\trow\n".len()).to_vec()).unwrap();
            assert_eq!(row, reference_row(cells), "{cells:?}");
        }
    }

    #[test]
    fn control_characters_are_found_as_char_is_control_finds_them() {
        for c in (0u32..0x800)
            .filter_map(char::from_u32)
            .chain(['→', '€', '\u{feff}'])
        {
            let text = format!("a{c}b");
            assert_eq!(has_control(&text), c.is_control(), "{c:?}");
        }
    }
}
