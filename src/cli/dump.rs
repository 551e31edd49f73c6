//! `ringside dump FILE`: one line per frame with every decoded field, streamed.
//!
//! TSV (default): a header line naming the columns, then one row per frame; an empty cell is a
//! field the frame does not have. The columns are stable (see [`COLUMNS`]); a field that occurs
//! more than once (VLAN tags) has its values joined with `,`. `--json`: one JSON object per line
//! with only the fields the frame has.
use crate::wire::{Check, Dissection, Field, Value};
use clap::Args;
use std::fmt::Write as _;
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
            out.write_all(
                dumper
                    .line(no, f.ts, f.data.len(), f.orig_len, &d)
                    .as_bytes(),
            )
        };
        if let Err(e) = written {
            // `dump | head` closes the pipe: that is the reader being done, not a failure.
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(());
            }
            return Err(e.into());
        }
    }
    match out.flush() {
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

/// Formats one frame as a TSV row or a JSON object. Built for millions of frames: nothing is
/// allocated per frame once its buffers have grown, numbers are written digit by digit, and a
/// field's column is found by one probe of a small table keyed by the field key's address.
///
/// What a frame's cells are is said once ([`Dumper::cells`]); the two formats lay them out
/// differently. TSV writes each value straight into the line ([`Row`]); JSON, whose keys go
/// in name order, collects the cells first ([`Cells`]).
pub struct Dumper {
    json: bool,
    columns: ColumnMap,
    row: Row,
    cells: Cells,
    /// The Info column's text, before it goes into its cell.
    info: String,
    line: String,
    /// Each column's place in the order of a JSON object's keys (column names, sorted).
    json_rank: Vec<usize>,
    problems: usize,
    protocol: usize,
    info_column: usize,
}

/// Somewhere a frame's cells go: `put(column, write)` adds `write`'s text to a column, joined
/// with `,` to a value the column has already (a second VLAN tag); an empty text adds nothing.
trait PutCell {
    fn put(&mut self, column: usize, write: impl FnOnce(&mut String));
}

/// The dump column (and, for a checksum, its `.status` column) of each field key, by the key's
/// address: the dissector's keys are `&'static str`, so after the first frame a lookup is a
/// multiplication and, almost always, one compare (no string hashing, no string compares).
/// Open addressing with linear probing in a table kept at most half full and small enough to
/// stay in the L1 cache (8 KiB): the dissector has a few hundred keys; past half full, a new
/// key's columns are looked up by name each time.
struct ColumnMap {
    slots: Vec<Slot>,
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
            slots: vec![
                Slot {
                    addr: 0,
                    len: 0,
                    columns: KeyColumns {
                        value: NO_COLUMN,
                        status: NO_COLUMN,
                    },
                };
                1 << Self::SLOTS_LOG2
            ],
            used: 0,
        }
    }

    #[inline]
    fn of(&mut self, key: &'static str) -> KeyColumns {
        let (addr, len) = (key.as_ptr() as usize, key.len() as u32);
        // Fibonacci hashing: the top bits of the address times 2^64 / golden ratio.
        let mut i =
            ((addr as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - Self::SLOTS_LOG2)) as usize;
        loop {
            let slot = self.slots[i];
            if slot.addr == addr && slot.len == len {
                return slot.columns;
            }
            if slot.addr == 0 {
                break;
            }
            i = (i + 1) % self.slots.len();
        }
        let number = |c: Option<usize>| c.map_or(NO_COLUMN, |c| c as u16);
        let columns = KeyColumns {
            value: number(column(key)),
            status: number(status_column(key)),
        };
        if self.used < self.slots.len() / 2 {
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

/// As many tabs as there are columns.
static TABS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| "\t".repeat(COLUMNS.len()));

/// Fixed columns, by position in [`COLUMNS`] (a test checks the names).
const NO: usize = 0;
const TIME: usize = 1;
const CAP_LEN: usize = 2;
const ORIG_LEN: usize = 3;

/// One TSV row, written left to right: each value goes straight into the text after as many
/// tabs as the empty columns before it need. The dissector's fields come mostly in column order
/// (the list follows the wire), so almost every cell is appended; a cell for a column left of
/// the last one (the IPv6 columns were appended to the list after Protocol and Info; a second
/// VLAN tag joins the first) is inserted in its place, moving the rest of the line along.
#[derive(Default)]
struct Row {
    text: String,
    /// (column, where its value starts in `text`) of each non-empty cell, in column order.
    cells: Vec<(usize, usize)>,
    /// A value on its way to being inserted.
    scratch: String,
}

impl Row {
    fn clear(&mut self) {
        self.text.clear();
        self.cells.clear();
    }

    /// The tabs of the columns after the last cell, and the newline.
    fn finish(&mut self) {
        let last = self.cells.last().map_or(0, |&(c, _)| c);
        self.text.push_str(&TABS[..COLUMNS.len() - 1 - last]);
        self.text.push('\n');
    }

    /// A cell for a column at or left of the last one written.
    fn insert(&mut self, column: usize, write: impl FnOnce(&mut String)) {
        self.scratch.clear();
        write(&mut self.scratch);
        // The first cell at or right of `column`: there is one, since `column` <= the last.
        let k = self.cells.partition_point(|&(c, _)| c < column);
        let (next, next_start) = self.cells[k];
        let at = if next == column {
            // A second value (VLAN tags): after the first one's end, which is as many bytes
            // before the next cell as there are tabs between them.
            self.scratch.insert(0, ',');
            match self.cells.get(k + 1) {
                Some(&(c, start)) => start - (c - column),
                None => self.text.len(),
            }
        } else {
            if self.scratch.is_empty() {
                return;
            }
            let at = next_start - (next - column);
            self.cells.insert(k, (column, at));
            at
        };
        self.text.insert_str(at, &self.scratch);
        for cell in &mut self.cells[k + 1..] {
            cell.1 += self.scratch.len();
        }
    }
}

impl PutCell for Row {
    fn put(&mut self, column: usize, write: impl FnOnce(&mut String)) {
        let last = match self.cells.last() {
            Some(&(last, _)) if column <= last => return self.insert(column, write),
            Some(&(last, _)) => last,
            None => 0,
        };
        let mark = self.text.len();
        match column - last {
            1 => self.text.push('\t'), // the usual case: no call to memcpy
            gap => self.text.push_str(&TABS[..gap]),
        }
        let start = self.text.len();
        write(&mut self.text);
        if self.text.len() == start {
            self.text.truncate(mark);
        } else {
            self.cells.push((column, start));
        }
    }
}

/// A frame's cells collected for a JSON object: every value written once, into one buffer,
/// and each column noting where its value lies (most of the columns are empty for any one frame).
#[derive(Default)]
struct Cells {
    /// This frame's values, one after another.
    vals: String,
    /// Where each column's value lies in `vals` (empty: the frame does not have it).
    spans: Vec<(u32, u32)>,
    /// The columns this frame has a value in: only these are reset and visited.
    set: Vec<usize>,
    /// A value added to a column that has one already (VLAN tags): the joined text.
    joined: String,
}

impl Cells {
    fn clear(&mut self) {
        self.vals.clear();
        for &i in &self.set {
            self.spans[i] = (0, 0);
        }
        self.set.clear();
    }

    fn cell(&self, i: usize) -> &str {
        let (a, b) = self.spans[i];
        &self.vals[a as usize..b as usize]
    }
}

impl PutCell for Cells {
    fn put(&mut self, i: usize, write: impl FnOnce(&mut String)) {
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
            self.joined.push_str(&self.vals[a as usize..b as usize]);
            self.joined.push(',');
            write(&mut self.joined);
            let start = self.vals.len();
            self.vals.push_str(&self.joined);
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
        let must = |name| column(name).expect("a fixed dump column");
        Dumper {
            json,
            columns: ColumnMap::new(),
            row: Row::default(),
            cells: Cells {
                vals: String::new(),
                spans: vec![(0, 0); COLUMNS.len()],
                set: Vec::with_capacity(COLUMNS.len()),
                joined: String::new(),
            },
            info: String::new(),
            line: String::new(),
            json_rank,
            problems: must("problems"),
            protocol: must("protocol"),
            info_column: must("info"),
        }
    }

    /// Every cell of one frame, in the order the dissector found its fields.
    fn cells(
        &mut self,
        out: &mut impl PutCell,
        no: u64,
        ts: std::time::Duration,
        cap_len: usize,
        orig_len: u32,
        d: &Dissection,
    ) {
        out.put(NO, |s| push_u64(s, no));
        out.put(TIME, |s| {
            push_u64(s, ts.as_secs());
            s.push('.');
            push_padded(s, u64::from(ts.subsec_nanos()), 9);
        });
        out.put(CAP_LEN, |s| push_u64(s, cap_len as u64));
        out.put(ORIG_LEN, |s| push_u64(s, u64::from(orig_len)));
        for f in &d.fields {
            let cols = self.columns.of(f.key);
            if let Some(i) = KeyColumns::get(cols.value) {
                out.put(i, |s| push_machine_value(s, f));
            }
            if let (Some(check), Some(i)) = (f.check, KeyColumns::get(cols.status)) {
                out.put(i, |s| s.push_str(check_name(check)));
            }
        }
        if !d.problems.is_empty() {
            out.put(self.problems, |s| {
                for (i, p) in d.problems.iter().enumerate() {
                    if i > 0 {
                        s.push(',');
                    }
                    s.push_str(&p.name());
                }
            });
        }
        // Protocol and Info only: dump has no Source/Destination columns to build.
        self.info.clear();
        let protocol = d.protocol_info(&mut self.info);
        out.put(self.protocol, |s| s.push_str(protocol));
        let (info, tsv) = (&self.info, !self.json);
        out.put(self.info_column, |s| {
            // The one cell whose text is not digits, hex and punctuation written by this file:
            // never let a tab, newline or other control character into a TSV row (JSON escapes).
            if tsv && has_control(info) {
                s.extend(info.chars().map(|c| if c.is_control() { ' ' } else { c }));
            } else {
                s.push_str(info);
            }
        });
    }

    /// The line for one frame, newline included.
    pub fn line(
        &mut self,
        no: u64,
        ts: std::time::Duration,
        cap_len: usize,
        orig_len: u32,
        d: &Dissection,
    ) -> &str {
        if !self.json {
            let mut row = std::mem::take(&mut self.row);
            row.clear();
            self.cells(&mut row, no, ts, cap_len, orig_len, d);
            row.finish();
            self.row = row;
            return &self.row.text;
        }
        let mut cells = std::mem::take(&mut self.cells);
        cells.clear();
        self.cells(&mut cells, no, ts, cap_len, orig_len, d);
        let rank = &self.json_rank;
        cells.set.sort_unstable_by_key(|&i| rank[i]);
        self.line.clear();
        self.json_line(&cells);
        self.line.push('\n');
        self.cells = cells;
        &self.line
    }

    /// The cells as one JSON object: only the columns the frame has, numbers as numbers,
    /// `problems` as an array of names.
    fn json_line(&mut self, cells: &Cells) {
        let line = &mut self.line;
        line.push('{');
        let mut first = true;
        for &i in &cells.set {
            let cell = cells.cell(i);
            if !first {
                line.push(',');
            }
            first = false;
            push_json_str(line, COLUMNS[i]);
            line.push(':');
            match i {
                NO | CAP_LEN | ORIG_LEN => push_u64(line, cell.parse::<u64>().unwrap_or(0)),
                _ if i == self.problems => {
                    line.push('[');
                    for (k, p) in cell.split(',').enumerate() {
                        if k > 0 {
                            line.push(',');
                        }
                        push_json_str(line, p);
                    }
                    line.push(']');
                }
                _ => push_json_str(line, cell),
            }
        }
        line.push('}');
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

fn check_name(c: Check) -> &'static str {
    c.name()
}

/// `v` in decimal (itoa: the digits without `fmt`'s machinery, which costs more than the digits).
/// Below 1000 (most values: an address's octets, TTLs, codes, lengths) digit by digit: a
/// call to memcpy for one to three bytes costs more than the digits.
fn push_u64(s: &mut String, v: u64) {
    if v < 1000 {
        let digit = |d: u64| char::from(b'0' + (d % 10) as u8);
        if v >= 100 {
            s.push(digit(v / 100));
        }
        if v >= 10 {
            s.push(digit(v / 10));
        }
        s.push(digit(v));
    } else {
        s.push_str(itoa::Buffer::new().format(v));
    }
}

/// `v` in decimal, zero-padded to `width` digits.
fn push_padded(s: &mut String, v: u64, width: usize) {
    let mut digits = 1;
    let mut x = v / 10;
    while x > 0 {
        digits += 1;
        x /= 10;
    }
    s.extend(std::iter::repeat_n('0', width.saturating_sub(digits)));
    push_u64(s, v);
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `0x` and `v` in lower-case hex, zero-padded to `width` digits (as `{:0width$x}`).
fn push_hex(s: &mut String, v: u64, width: usize) {
    s.push_str("0x");
    let digits = ((64 - v.leading_zeros() as usize).div_ceil(4)).max(1);
    s.extend(std::iter::repeat_n('0', width.saturating_sub(digits)));
    for k in (0..digits).rev() {
        s.push(char::from(HEX[((v >> (4 * k)) & 0xf) as usize]));
    }
}

/// Values for machines: numbers without their names, MACs and addresses as usual.
fn push_machine_value(s: &mut String, f: &Field) {
    match f.value {
        Value::Dec(v) | Value::Named(v, 0, _) => push_u64(s, v),
        Value::Hex(v, w) | Value::Named(v, w, _) => push_hex(s, v, w as usize),
        Value::Flags(v, _) => push_hex(s, u64::from(v), 0),
        Value::Bytes(n) => push_u64(s, u64::from(n)),
        // Bytes as tshark prints them: hex digits, no separators.
        Value::Octets(b, n) => {
            for &x in b.iter().take(n as usize) {
                s.push(char::from(HEX[usize::from(x >> 4)]));
                s.push(char::from(HEX[usize::from(x & 0xf)]));
            }
        }
        Value::Mac(m) => {
            for (i, &x) in m.iter().enumerate() {
                if i > 0 {
                    s.push(':');
                }
                s.push(char::from(HEX[usize::from(x >> 4)]));
                s.push(char::from(HEX[usize::from(x & 0xf)]));
            }
        }
        Value::Ipv4(a) => {
            for (i, &x) in a.iter().enumerate() {
                if i > 0 {
                    s.push('.');
                }
                push_u64(s, u64::from(x));
            }
        }
        v @ Value::Ipv6(_) => {
            let _ = write!(s, "{v}");
        }
    }
}

/// `text` as a JSON string, escaped as serde_json escapes it (the output stays byte for byte
/// what it was when serde_json wrote it): `"` `\` and control characters below 0x20.
fn push_json_str(s: &mut String, text: &str) {
    s.push('"');
    let mut from = 0;
    for (i, b) in text.bytes().enumerate() {
        let esc: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        s.push_str(&text[from..i]);
        if esc.is_empty() {
            s.push_str("\\u00");
            s.push(char::from(HEX[usize::from(b >> 4)]));
            s.push(char::from(HEX[usize::from(b & 0xf)]));
        } else {
            s.push_str(esc);
        }
        from = i + 1;
    }
    s.push_str(&text[from..]);
    s.push('"');
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
                COLUMNS[ORIG_LEN]
            ],
            ["no", "time", "cap_len", "orig_len"]
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
            let mut row = Row::default();
            for &(i, v) in cells {
                row.put(i, |s| s.push_str(v));
            }
            row.finish();
            assert_eq!(row.text, reference_row(cells), "{cells:?}");
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

    #[test]
    fn numbers_are_written_as_format_writes_them() {
        for v in (0u64..1100).chain([4096, 65535, 1 << 32, u64::MAX]) {
            let mut s = String::new();
            push_u64(&mut s, v);
            assert_eq!(s, format!("{v}"));
            for w in [0usize, 1, 2, 4, 8, 16] {
                let mut s = String::new();
                push_hex(&mut s, v, w);
                assert_eq!(s, format!("0x{v:0w$x}"));
            }
            let mut s = String::new();
            push_padded(&mut s, v % 1_000_000_000, 9);
            assert_eq!(s, format!("{:09}", v % 1_000_000_000));
        }
    }

    #[test]
    fn json_strings_are_escaped_as_serde_json_escapes_them() {
        let all: String = (0u8..=0x7f)
            .map(char::from)
            .chain("é\u{9b}€".chars())
            .collect();
        for text in [all.as_str(), "", "plain", "a\"b\\c\n"] {
            let mut s = String::new();
            push_json_str(&mut s, text);
            assert_eq!(s, serde_json::Value::from(text).to_string());
        }
    }
}
