//! `ringside dump FILE`: one line per frame with every decoded field, streamed.
//!
//! TSV (default): a header line naming the columns, then one row per frame; an empty cell is a
//! field the frame does not have. The columns are stable (see [`COLUMNS`]); a field that occurs
//! more than once (VLAN tags) has its values joined with `,`. `--json`: one JSON object per line
//! with only the fields the frame has.
use crate::wire::{Check, Dissection, Field, Value};
use clap::Args;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::BuildHasherDefault;
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
/// allocated per frame once its buffers have grown. Every value is written once, into one
/// buffer, and each column notes where its value lies (most of the columns are empty for any
/// one frame); numbers are written digit by digit; a field's column is found once per field
/// name; the JSON object is written directly, keys in the order serde_json's map sorts them.
pub struct Dumper {
    json: bool,
    /// Column of a field key, by the key's address: the dissector's keys are `&'static str`,
    /// so after the first frame every lookup is one probe of a tiny table (no string hashing).
    column_of: HashMap<usize, Option<usize>, BuildHasherDefault<AddrHasher>>,
    /// The `*.status` column of a checksum field, by the same address.
    status_of: HashMap<usize, Option<usize>, BuildHasherDefault<AddrHasher>>,
    /// This frame's values, one after another.
    vals: String,
    /// Where each column's value lies in `vals` (empty: the frame does not have it).
    spans: Vec<(u32, u32)>,
    /// The columns this frame has a value in (a frame fills a few dozen of the many columns):
    /// only these are reset and visited.
    set: Vec<usize>,
    /// A value added to a column that has one already (VLAN tags): the joined text.
    joined: String,
    line: String,
    /// Each column's place in the order of a JSON object's keys (column names, sorted).
    json_rank: Vec<usize>,
    problems: usize,
    protocol: usize,
    info: usize,
}

/// Hashes a key's address (already unique): multiplication spreads it over the table.
#[derive(Default)]
struct AddrHasher(u64);

impl std::hash::Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_usize(&mut self, v: usize) {
        self.0 = (v as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
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
            column_of: HashMap::default(),
            status_of: HashMap::default(),
            vals: String::new(),
            spans: vec![(0, 0); COLUMNS.len()],
            set: Vec::with_capacity(COLUMNS.len()),
            joined: String::new(),
            line: String::new(),
            json_rank,
            problems: must("problems"),
            protocol: must("protocol"),
            info: must("info"),
        }
    }

    /// Add `write`'s text to column `i` (joined with `,` to a value it has already).
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

    fn cell(&self, i: usize) -> &str {
        let (a, b) = self.spans[i];
        &self.vals[a as usize..b as usize]
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
        self.vals.clear();
        for &i in &self.set {
            self.spans[i] = (0, 0);
        }
        self.set.clear();
        self.put(NO, |s| push_u64(s, no));
        self.put(TIME, |s| {
            push_u64(s, ts.as_secs());
            s.push('.');
            push_padded(s, u64::from(ts.subsec_nanos()), 9);
        });
        self.put(CAP_LEN, |s| push_u64(s, cap_len as u64));
        self.put(ORIG_LEN, |s| push_u64(s, u64::from(orig_len)));
        for f in &d.fields {
            let addr = f.key.as_ptr() as usize;
            let col = *self.column_of.entry(addr).or_insert_with(|| column(f.key));
            if let Some(i) = col {
                self.put(i, |s| push_machine_value(s, f));
            }
            if let Some(check) = f.check {
                let status = *self
                    .status_of
                    .entry(addr)
                    .or_insert_with(|| status_column(f.key));
                if let Some(i) = status {
                    self.put(i, |s| s.push_str(check_name(check)));
                }
            }
        }
        if !d.problems.is_empty() {
            self.put(self.problems, |s| {
                for (i, p) in d.problems.iter().enumerate() {
                    if i > 0 {
                        s.push(',');
                    }
                    s.push_str(&p.name());
                }
            });
        }
        // Protocol and Info only: dump has no Source/Destination columns to build.
        let mut protocol = "";
        self.put(self.info, |s| protocol = d.protocol_info(s));
        self.put(self.protocol, |s| s.push_str(protocol));

        let mut line = std::mem::take(&mut self.line);
        line.clear();
        if self.json {
            let rank = &self.json_rank;
            self.set.sort_unstable_by_key(|&i| rank[i]);
            self.json_line(&mut line);
        } else {
            // Only the columns the frame has are visited; the tabs of the empty ones between
            // them go out as one run.
            self.set.sort_unstable();
            let tabs: &str = &TABS;
            let mut last = 0;
            for &i in &self.set {
                let cell = self.cell(i);
                line.push_str(&tabs[..i - last]);
                last = i;
                // Cells come from our own formatting, but never let a tab or newline through.
                if cell.bytes().all(|b| (0x20..0x7f).contains(&b)) {
                    line.push_str(cell);
                } else {
                    line.extend(cell.chars().map(|c| if c.is_control() { ' ' } else { c }));
                }
            }
            line.push_str(&tabs[..COLUMNS.len() - 1 - last]);
        }
        line.push('\n');
        self.line = line;
        &self.line
    }

    /// The cells as one JSON object: only the columns the frame has, numbers as numbers,
    /// `problems` as an array of names.
    fn json_line(&self, line: &mut String) {
        line.push('{');
        let mut first = true;
        for &i in &self.set {
            let cell = self.cell(i);
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

fn check_name(c: Check) -> &'static str {
    c.name()
}

/// `v` in decimal (itoa: the digits without `fmt`'s machinery, which costs more than the digits).
fn push_u64(s: &mut String, v: u64) {
    s.push_str(itoa::Buffer::new().format(v));
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

    #[test]
    fn numbers_are_written_as_format_writes_them() {
        for v in [0u64, 1, 9, 10, 255, 4096, 65535, 1 << 32, u64::MAX] {
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
