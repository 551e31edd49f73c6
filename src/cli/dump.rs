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

/// The TSV columns, in order. `*.status` columns hold a checksum's verdict:
/// good, bad, absent (UDP checksum 0) or unverified (bytes missing, or offload).
pub const COLUMNS: &[&str] = &[
    "no",
    "time",
    "cap_len",
    "orig_len",
    "eth.dst",
    "eth.src",
    "eth.type",
    "vlan.pcp",
    "vlan.dei",
    "vlan.id",
    "vlan.type",
    "arp.htype",
    "arp.ptype",
    "arp.hlen",
    "arp.plen",
    "arp.opcode",
    "arp.sha",
    "arp.spa",
    "arp.tha",
    "arp.tpa",
    "ipv4.version",
    "ipv4.ihl",
    "ipv4.dscp",
    "ipv4.ecn",
    "ipv4.total_length",
    "ipv4.id",
    "ipv4.flags",
    "ipv4.frag_offset",
    "ipv4.ttl",
    "ipv4.protocol",
    "ipv4.checksum",
    "ipv4.checksum.status",
    "ipv4.src",
    "ipv4.dst",
    "ipv4.options",
    "icmp.type",
    "icmp.code",
    "icmp.checksum",
    "icmp.checksum.status",
    "icmp.ident",
    "icmp.seq",
    "icmp.unused",
    "icmp.mtu",
    "icmp.pointer",
    "icmp.rest",
    "icmp.quote.version",
    "icmp.quote.ihl",
    "icmp.quote.total_length",
    "icmp.quote.id",
    "icmp.quote.ttl",
    "icmp.quote.protocol",
    "icmp.quote.src",
    "icmp.quote.dst",
    "icmp.quote.srcport",
    "icmp.quote.dstport",
    "icmp.quote.data",
    "udp.srcport",
    "udp.dstport",
    "udp.length",
    "udp.checksum",
    "udp.checksum.status",
    "data",
    "eth.trailer",
    "problems",
    "protocol",
    "info",
    // Added after the first release: appended so the columns above keep their places.
    "eth.len",
    "vlan.len",
    "llc.dsap",
    "llc.ssap",
    "llc.control",
    "llc.oui",
    "llc.pid",
    "icmp.originate_timestamp",
    "icmp.receive_timestamp",
    "icmp.transmit_timestamp",
    "icmp.address_mask",
    "sll.pkttype",
    "sll.hatype",
    "sll.halen",
    "sll.src",
    "sll.ltype",
    "sll.etype",
    "sll.ifindex",
    "ipv6.version",
    "ipv6.tclass",
    "ipv6.flow",
    "ipv6.plen",
    "ipv6.nxt",
    "ipv6.hlim",
    "ipv6.src",
    "ipv6.dst",
    "ipv6.hopopts.nxt",
    "ipv6.hopopts.len",
    "ipv6.routing.nxt",
    "ipv6.routing.len",
    "ipv6.routing.type",
    "ipv6.routing.segleft",
    "ipv6.fraghdr.nxt",
    "ipv6.fraghdr.offset",
    "ipv6.fraghdr.more",
    "ipv6.fraghdr.ident",
    "ipv6.dstopts.nxt",
    "ipv6.dstopts.len",
    "ipv6.options",
    "icmpv6.type",
    "icmpv6.code",
    "icmpv6.checksum",
    "icmpv6.checksum.status",
    "icmpv6.echo.identifier",
    "icmpv6.echo.sequence_number",
    "icmpv6.mtu",
    "icmpv6.pointer",
    "icmpv6.unused",
    "icmpv6.mld.maximum_response_delay",
    "icmpv6.mld.multicast_address",
    "icmpv6.mldr.nb_mcast_records",
    "icmpv6.nd.ra.cur_hop_limit",
    "icmpv6.nd.ra.flag",
    "icmpv6.nd.ra.router_lifetime",
    "icmpv6.nd.ra.reachable_time",
    "icmpv6.nd.ra.retrans_timer",
    "icmpv6.nd.ns.target_address",
    "icmpv6.nd.na.flag",
    "icmpv6.nd.na.target_address",
    "icmpv6.nd.rd.target_address",
    "icmpv6.nd.rd.destination_address",
    "icmpv6.opt.type",
    "icmpv6.opt.length",
    "icmpv6.opt.linkaddr",
];

pub fn run(args: DumpArgs) -> anyhow::Result<()> {
    let mut reader = super::open_capture(&args.file)?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
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

/// Formats one frame as a TSV row or a JSON object; reuses its buffers between frames.
pub struct Dumper {
    json: bool,
    column: HashMap<&'static str, usize>,
    cells: Vec<String>,
    line: String,
}

impl Dumper {
    pub fn new(json: bool) -> Self {
        Dumper {
            json,
            column: COLUMNS.iter().enumerate().map(|(i, c)| (*c, i)).collect(),
            cells: vec![String::new(); COLUMNS.len()],
            line: String::new(),
        }
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
        for c in &mut self.cells {
            c.clear();
        }
        let time = format!("{}.{:09}", ts.as_secs(), ts.subsec_nanos());
        self.set("no", &no.to_string());
        self.set("time", &time);
        self.set("cap_len", &cap_len.to_string());
        self.set("orig_len", &orig_len.to_string());
        for f in &d.fields {
            self.set(f.key, &machine_value(f));
            if let Some(check) = f.check {
                if let Some(&i) = self.status_column(f.key) {
                    push_joined(&mut self.cells[i], check_name(check));
                }
            }
        }
        let problems: Vec<String> = d.problems.iter().map(|p| p.name()).collect();
        self.set("problems", &problems.join(","));
        let s = d.summary();
        self.set("protocol", s.protocol);
        self.set("info", &s.info);

        self.line.clear();
        if self.json {
            let mut obj = serde_json::Map::new();
            for (name, cell) in COLUMNS.iter().zip(&self.cells) {
                if cell.is_empty() {
                    continue;
                }
                let v = match *name {
                    "no" | "cap_len" | "orig_len" => {
                        serde_json::Value::from(cell.parse::<u64>().unwrap_or(0))
                    }
                    "problems" => serde_json::Value::from(cell.split(',').collect::<Vec<_>>()),
                    _ => serde_json::Value::from(cell.as_str()),
                };
                obj.insert((*name).to_string(), v);
            }
            self.line = serde_json::Value::Object(obj).to_string();
        } else {
            for (i, cell) in self.cells.iter().enumerate() {
                if i > 0 {
                    self.line.push('\t');
                }
                // Cells come from our own formatting, but never let a tab or newline through.
                self.line
                    .extend(cell.chars().map(|c| if c.is_control() { ' ' } else { c }));
            }
        }
        self.line.push('\n');
        &self.line
    }

    fn set(&mut self, key: &str, value: &str) {
        if let Some(&i) = self.column.get(key) {
            push_joined(&mut self.cells[i], value);
        }
    }

    fn status_column(&self, key: &str) -> Option<&usize> {
        match key {
            "ipv4.checksum" => self.column.get("ipv4.checksum.status"),
            "icmp.checksum" => self.column.get("icmp.checksum.status"),
            "udp.checksum" => self.column.get("udp.checksum.status"),
            "icmpv6.checksum" => self.column.get("icmpv6.checksum.status"),
            _ => None,
        }
    }
}

fn push_joined(cell: &mut String, value: &str) {
    if !cell.is_empty() {
        cell.push(',');
    }
    cell.push_str(value);
}

fn check_name(c: Check) -> &'static str {
    c.name()
}

/// Values for machines: numbers without their names, MACs and addresses as usual.
fn machine_value(f: &Field) -> String {
    let mut s = String::new();
    let _ = match f.value {
        Value::Dec(v) | Value::Named(v, 0, _) => write!(s, "{v}"),
        Value::Hex(v, w) | Value::Named(v, w, _) => {
            write!(s, "0x{:0width$x}", v, width = w as usize)
        }
        Value::Flags(v, _) => write!(s, "0x{v:x}"),
        Value::Bytes(n) => write!(s, "{n}"),
        // Bytes as tshark prints them: hex digits, no separators.
        Value::Octets(b, n) => b
            .iter()
            .take(n as usize)
            .try_for_each(|x| write!(s, "{x:02x}")),
        v @ (Value::Mac(_) | Value::Ipv4(_) | Value::Ipv6(_)) => write!(s, "{v}"),
    };
    s
}
