//! Decoder agreement with tshark: for every frame of a set of captures, every field both
//! `ringside dump` and `tshark -T fields` report must have the same value.
//!
//! Corpora (all reproducible; sizes scale with `RINGSIDE_PROOF_SCALE`, see tests/support/corpus_gen.rs):
//! - every capture under `assets/` (lesson captures, the checked-in randpkt corpus);
//! - valid frames from the seeded generator (ARP, echo, UDP, ICMP errors, VLAN, options, fragments);
//! - hostile frames (lying lengths, bad checksums/version/IHL, truncations, snap-length cuts);
//! - every-byte truncations of a set of valid frames;
//! - `editcap -E 0.02 --seed N` mutations of the valid capture;
//! - any files named in `RINGSIDE_AGREEMENT_FILES` (`:`-separated), e.g. a real capture.
//!
//! Where ringside deliberately differs, [`ALLOWED`] says why; it is printed with its hit counts.
//! Without tshark the test is skipped with a message, except under CI (`CI` set), where it fails.
use crate::support::corpus_gen;

use corpus_gen::*;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

/// How a pair of cells is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Norm {
    /// Numbers, decimal or 0x-hex, or booleans.
    Num,
    /// Text compared case-insensitively (MACs, IPv4 addresses).
    Text,
    /// ringside good/bad/unverified/absent vs tshark's checksum status 1/0/2/3.
    Status,
    /// ringside IHL (32-bit words) vs tshark header length (bytes).
    Ihl,
    /// ringside 3-bit flags vs tshark's MF boolean.
    Mf,
    /// Bytes as hex digits (ringside's MAC/IPv4 cells are not bytes: only hex-digit cells compare).
    Bytes,
}

/// One compared field: ringside's columns (values concatenated in order: outer header, then the
/// header an ICMP error quotes) against one tshark field (all occurrences, comma-joined).
struct Spec {
    ours: &'static [&'static str],
    theirs: &'static str,
    norm: Norm,
}

const fn s(ours: &'static [&'static str], theirs: &'static str, norm: Norm) -> Spec {
    Spec { ours, theirs, norm }
}

use Norm::*;
const SPECS: &[Spec] = &[
    s(&["orig_len"], "frame.len", Num),
    s(&["cap_len"], "frame.cap_len", Num),
    s(&["eth.dst"], "eth.dst", Text),
    s(&["eth.src"], "eth.src", Text),
    s(&["eth.type"], "eth.type", Num),
    s(&["eth.len"], "eth.len", Num),
    s(&["sll.pkttype"], "sll.pkttype", Num),
    s(&["sll.hatype"], "sll.hatype", Num),
    s(&["sll.halen"], "sll.halen", Num),
    s(&["sll.src"], "sll.src.eth", Text),
    s(&["sll.etype"], "sll.etype", Num),
    s(&["sll.ltype"], "sll.ltype", Num),
    s(&["sll.ifindex"], "sll.ifindex", Num),
    s(&["vlan.len"], "vlan.len", Num),
    s(&["llc.dsap"], "llc.dsap", Num),
    s(&["llc.ssap"], "llc.ssap", Num),
    s(&["llc.control"], "llc.control", Num),
    s(&["llc.oui"], "llc.oui", Num),
    s(&["llc.pid"], "llc.pid", Num),
    // VLAN fields are split by the tag's TPID (802.1Q -> vlan.*, 802.1ad -> ieee8021ad.*), see
    // `vlan_split`; these specs name the 802.1Q side.
    s(&["vlan.pcp"], "vlan.priority", Num),
    s(&["vlan.dei"], "vlan.dei", Num),
    s(&["vlan.id"], "vlan.id", Num),
    s(&["vlan.type"], "vlan.etype", Num),
    s(&["arp.htype"], "arp.hw.type", Num),
    s(&["arp.ptype"], "arp.proto.type", Num),
    s(&["arp.hlen"], "arp.hw.size", Num),
    s(&["arp.plen"], "arp.proto.size", Num),
    s(&["arp.opcode"], "arp.opcode", Num),
    s(&["arp.sha"], "arp.src.hw_mac", Text),
    s(&["arp.spa"], "arp.src.proto_ipv4", Text),
    s(&["arp.tha"], "arp.dst.hw_mac", Text),
    s(&["arp.tpa"], "arp.dst.proto_ipv4", Text),
    // Addresses that are not a MAC / an IPv4 address (other types or sizes): bytes both sides.
    s(&["arp.sha"], "arp.src.hw", Bytes),
    s(&["arp.spa"], "arp.src.proto", Bytes),
    s(&["arp.tha"], "arp.dst.hw", Bytes),
    s(&["arp.tpa"], "arp.dst.proto", Bytes),
    s(&["ipv4.version", "icmp.quote.version"], "ip.version", Num),
    s(&["ipv4.ihl", "icmp.quote.ihl"], "ip.hdr_len", Ihl),
    s(&["ipv4.dscp"], "ip.dsfield.dscp", Num),
    s(&["ipv4.ecn"], "ip.dsfield.ecn", Num),
    s(
        &["ipv4.total_length", "icmp.quote.total_length"],
        "ip.len",
        Num,
    ),
    s(&["ipv4.id", "icmp.quote.id"], "ip.id", Num),
    s(&["ipv4.flags"], "ip.flags", Num),
    s(&["ipv4.flags"], "ip.flags.mf", Mf),
    s(&["ipv4.frag_offset"], "ip.frag_offset", Num),
    s(&["ipv4.ttl", "icmp.quote.ttl"], "ip.ttl", Num),
    s(&["ipv4.protocol", "icmp.quote.protocol"], "ip.proto", Num),
    s(&["ipv4.checksum"], "ip.checksum", Num),
    s(&["ipv4.checksum.status"], "ip.checksum.status", Status),
    s(&["ipv4.src", "icmp.quote.src"], "ip.src", Text),
    s(&["ipv4.dst", "icmp.quote.dst"], "ip.dst", Text),
    s(&["icmp.type"], "icmp.type", Num),
    s(&["icmp.code"], "icmp.code", Num),
    s(&["icmp.checksum"], "icmp.checksum", Num),
    s(&["icmp.checksum.status"], "icmp.checksum.status", Status),
    s(&["icmp.ident"], "icmp.ident", Num),
    s(&["icmp.seq"], "icmp.seq", Num),
    s(
        &["icmp.originate_timestamp"],
        "icmp.originate_timestamp",
        Num,
    ),
    s(&["icmp.receive_timestamp"], "icmp.receive_timestamp", Num),
    s(&["icmp.transmit_timestamp"], "icmp.transmit_timestamp", Num),
    s(&["icmp.address_mask"], "icmp.address_mask", Text),
    s(&["icmp.mtu"], "icmp.mtu", Num),
    s(&["icmp.pointer"], "icmp.pointer", Num),
    s(&["ipv6.version"], "ipv6.version", Num),
    s(&["ipv6.tclass"], "ipv6.tclass", Num),
    s(&["ipv6.flow"], "ipv6.flow", Num),
    s(&["ipv6.plen"], "ipv6.plen", Num),
    s(&["ipv6.nxt"], "ipv6.nxt", Num),
    s(&["ipv6.hlim"], "ipv6.hlim", Num),
    s(&["ipv6.src"], "ipv6.src", Text),
    s(&["ipv6.dst"], "ipv6.dst", Text),
    s(&["ipv6.hopopts.nxt"], "ipv6.hopopts.nxt", Num),
    s(&["ipv6.hopopts.len"], "ipv6.hopopts.len", Num),
    s(&["ipv6.routing.nxt"], "ipv6.routing.nxt", Num),
    s(&["ipv6.routing.len"], "ipv6.routing.len", Num),
    s(&["ipv6.routing.type"], "ipv6.routing.type", Num),
    s(&["ipv6.routing.segleft"], "ipv6.routing.segleft", Num),
    s(&["ipv6.fraghdr.nxt"], "ipv6.fraghdr.nxt", Num),
    s(&["ipv6.fraghdr.offset"], "ipv6.fraghdr.offset", Num),
    s(&["ipv6.fraghdr.more"], "ipv6.fraghdr.more", Num),
    s(&["ipv6.fraghdr.ident"], "ipv6.fraghdr.ident", Num),
    s(&["ipv6.dstopts.nxt"], "ipv6.dstopts.nxt", Num),
    s(&["ipv6.dstopts.len"], "ipv6.dstopts.len", Num),
    s(&["icmpv6.type"], "icmpv6.type", Num),
    s(&["icmpv6.code"], "icmpv6.code", Num),
    s(&["icmpv6.checksum"], "icmpv6.checksum", Num),
    s(
        &["icmpv6.checksum.status"],
        "icmpv6.checksum.status",
        Status,
    ),
    s(&["icmpv6.echo.identifier"], "icmpv6.echo.identifier", Num),
    s(
        &["icmpv6.echo.sequence_number"],
        "icmpv6.echo.sequence_number",
        Num,
    ),
    s(&["icmpv6.mtu"], "icmpv6.mtu", Num),
    s(&["icmpv6.pointer"], "icmpv6.pointer", Num),
    s(
        &["icmpv6.mld.maximum_response_delay"],
        "icmpv6.mld.maximum_response_delay",
        Num,
    ),
    s(
        &["icmpv6.mld.multicast_address"],
        "icmpv6.mld.multicast_address",
        Text,
    ),
    s(
        &["icmpv6.mldr.nb_mcast_records"],
        "icmpv6.mldr.nb_mcast_records",
        Num,
    ),
    s(
        &["icmpv6.nd.ra.cur_hop_limit"],
        "icmpv6.nd.ra.cur_hop_limit",
        Num,
    ),
    s(&["icmpv6.nd.ra.flag"], "icmpv6.nd.ra.flag", Num),
    s(
        &["icmpv6.nd.ra.router_lifetime"],
        "icmpv6.nd.ra.router_lifetime",
        Num,
    ),
    s(
        &["icmpv6.nd.ra.reachable_time"],
        "icmpv6.nd.ra.reachable_time",
        Num,
    ),
    s(
        &["icmpv6.nd.ra.retrans_timer"],
        "icmpv6.nd.ra.retrans_timer",
        Num,
    ),
    s(
        &["icmpv6.nd.ns.target_address"],
        "icmpv6.nd.ns.target_address",
        Text,
    ),
    s(
        &["icmpv6.nd.na.target_address"],
        "icmpv6.nd.na.target_address",
        Text,
    ),
    s(
        &["icmpv6.nd.rd.target_address"],
        "icmpv6.nd.rd.target_address",
        Text,
    ),
    s(&["icmpv6.opt.type"], "icmpv6.opt.type", Num),
    s(&["icmpv6.opt.length"], "icmpv6.opt.length", Num),
    s(&["icmpv6.opt.linkaddr"], "icmpv6.opt.linkaddr", Bytes),
    s(&["udp.srcport", "icmp.quote.srcport"], "udp.srcport", Num),
    s(&["udp.dstport", "icmp.quote.dstport"], "udp.dstport", Num),
    s(&["udp.length"], "udp.length", Num),
    s(&["udp.checksum"], "udp.checksum", Num),
    s(&["udp.checksum.status"], "udp.checksum.status", Status),
];

/// tshark fields read besides the SPECS ones (802.1ad tags, and context for the allow-list).
const EXTRA_TSHARK: &[&str] = &[
    "ieee8021ad.priority",
    "ieee8021ad.dei",
    "ieee8021ad.id",
    "ieee8021ad.svid",
    "ieee8021ad.cvid",
];

/// A deliberate difference: `applies` says whether a (field, ours, theirs, frame) mismatch is this
/// case. Keep this list short, and every entry explained.
struct Allowed {
    id: &'static str,
    why: &'static str,
    applies: fn(&Mismatch) -> bool,
}

const ALLOWED: &[Allowed] = &[
    Allowed {
        id: "transport-checksum-under-lying-ip-length",
        why: "IPv4 total length (or IPv6 payload length) claims more bytes than the frame has: \
              tshark clamps the datagram to the frame and verifies the ICMP/ICMPv6/UDP checksum \
              over the bytes present (good or bad); \
              ringside cannot tell a lying length from a cut capture (parse() has no orig_len; a \
              receiving kernel drops such a datagram), so it says unverified and flags \
              ipv4_length_exceeds_frame (ipv6_length_exceeds_frame)",
        applies: |m| {
            matches!(
                m.field,
                "icmp.checksum.status" | "udp.checksum.status" | "icmpv6.checksum.status"
            ) && m.ours == "2"
                && (m.problems.contains("ipv4_length_exceeds_frame")
                    || m.problems.contains("ipv6_length_exceeds_frame"))
        },
    },
    Allowed {
        id: "ip-total-length-zero",
        why:
            "IPv4 total length 0: tshark assumes TCP segmentation offload and reports the frame's \
              length as ip.len; ringside shows the 0 that is on the wire and flags \
              ipv4_length_too_short",
        applies: |m| m.field == "ip.len" && m.occurrence == 0 && m.ours == "0",
    },
];

#[derive(Clone, Debug)]
struct Mismatch {
    corpus: String,
    frame: usize,
    field: &'static str,
    /// Index of the occurrence (0 = outer header).
    occurrence: usize,
    ours: String,
    theirs: String,
    /// ringside's `problems` column for the frame.
    problems: String,
    cap_len: u64,
    orig_len: u64,
}

/// Per-frame cells of ringside's TSV, by column name.
type Row = HashMap<String, String>;

fn ringside_dump(file: &Path) -> Vec<Row> {
    let out = Command::new(env!("CARGO_BIN_EXE_ringside"))
        .arg("dump")
        .arg(file)
        .output()
        .expect("run ringside dump");
    assert!(
        out.status.success(),
        "ringside dump {} failed: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("dump is UTF-8");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header line").split('\t').collect();
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split('\t').collect();
            assert_eq!(cells.len(), header.len(), "ragged dump line: {l}");
            header
                .iter()
                .zip(cells)
                .map(|(h, c)| (h.to_string(), c.to_string()))
                .collect()
        })
        .collect()
}

fn tshark_fields() -> Vec<&'static str> {
    let mut v: Vec<&str> = SPECS.iter().map(|s| s.theirs).collect();
    v.extend_from_slice(EXTRA_TSHARK);
    v.dedup();
    v
}

/// One map per frame: tshark field -> its occurrences.
fn tshark_rows(file: &Path) -> Vec<HashMap<&'static str, Vec<String>>> {
    let fields = tshark_fields();
    let mut cmd = Command::new("tshark");
    cmd.arg("-n")
        .arg("-r")
        .arg(file)
        .args(["-o", "ip.check_checksum:TRUE"])
        .args(["-o", "udp.check_checksum:TRUE"])
        // A fragment is shown as itself, as ringside shows it (no reassembled view on the last).
        .args(["-o", "ip.defragment:FALSE"])
        .args(["-T", "fields", "-E", "header=n", "-E", "separator=/t"])
        .args(["-E", "occurrence=a", "-E", "aggregator=,", "-E", "quote=n"]);
    for f in &fields {
        cmd.arg("-e").arg(f);
    }
    let out = cmd.output().expect("run tshark");
    assert!(
        out.status.success(),
        "tshark on {} failed: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines()
        .map(|l| {
            let cells: Vec<&str> = l.split('\t').collect();
            assert_eq!(cells.len(), fields.len(), "ragged tshark line: {l}");
            fields
                .iter()
                .zip(cells)
                .map(|(f, c)| (*f, split_cell(c)))
                .collect()
        })
        .collect()
}

fn split_cell(c: &str) -> Vec<String> {
    if c.is_empty() {
        Vec::new()
    } else {
        c.split(',').map(str::to_string).collect()
    }
}

fn num(s: &str) -> Option<u64> {
    let s = s.trim();
    match s {
        "True" | "true" => return Some(1),
        "False" | "false" => return Some(0),
        _ => {}
    }
    if let Some(h) = s.strip_prefix("0x") {
        u64::from_str_radix(h, 16).ok()
    } else {
        s.parse().ok()
    }
}

/// ringside's cell normalised to tshark's terms.
fn normalise_ours(norm: Norm, v: &str) -> String {
    match norm {
        Num => num(v).map(|n| n.to_string()).unwrap_or_else(|| v.into()),
        Text => v.to_ascii_lowercase(),
        Status => match v {
            "bad" => "0",
            "good" => "1",
            "unverified" => "2",
            "absent" => "3",
            other => other,
        }
        .into(),
        Ihl => num(v)
            .map(|n| (n * 4).to_string())
            .unwrap_or_else(|| v.into()),
        Mf => num(v)
            .map(|n| (n & 1).to_string())
            .unwrap_or_else(|| v.into()),
        Bytes => v.replace(':', "").to_ascii_lowercase(),
    }
}

fn normalise_theirs(norm: Norm, v: &str) -> String {
    match norm {
        // 4: "illegal" (a zero UDP checksum over IPv6, RFC 8200 8.1): wrong, as ringside says.
        Status if v == "4" => "0".into(),
        Text => v.to_ascii_lowercase(),
        // ringside shows up to 24 bytes of an address; a longer one by its length.
        Bytes if v.len() > 48 => (v.len() / 2).to_string(),
        Bytes => v.replace(':', "").to_ascii_lowercase(),
        _ => num(v).map(|n| n.to_string()).unwrap_or_else(|| v.into()),
    }
}

/// ringside's VLAN cells split the way tshark splits tags: (802.1Q side, 802.1ad side).
/// A tag's TPID is the type field before it (eth.type for the first). tshark's 802.1ad dissector
/// takes an S-tag (TPID 0x88a8) and, when the S-tag's type is 0x88a8 again, the tag after it
/// too (as a "C-tag"):
/// their PCP/DEI go to `ieee8021ad.priority/dei`, the IDs to `ieee8021ad.svid/cvid`; an S-tag
/// without a C-tag has `ieee8021ad.id`. Every other tag is `vlan.*`.
fn vlan_split(row: &Row) -> [HashMap<&'static str, Vec<String>>; 2] {
    let cols = ["vlan.pcp", "vlan.dei", "vlan.id", "vlan.type"];
    let vals: Vec<Vec<String>> = cols.iter().map(|c| split_cell(&row[*c])).collect();
    // The first tag's TPID is the link header's type field (Ethernet's, or a cooked header's).
    let first = match row["eth.type"].as_str() {
        "" => row["sll.etype"].clone(),
        t => t.to_string(),
    };
    let mut chain = vec![first];
    chain.extend(vals[3].iter().cloned());
    let tpid = |i: usize| chain.get(i).and_then(|t| num(t));
    let mut out = [HashMap::new(), HashMap::new()];
    let tags = vals.iter().map(Vec::len).max().unwrap_or(0);
    let mut i = 0;
    while i < tags {
        let mut put = |side: usize, col: &'static str, tag: usize| {
            let k = cols.iter().position(|c| *c == col).unwrap();
            if let Some(x) = vals[k].get(tag) {
                out[side]
                    .entry(col)
                    .or_insert_with(Vec::new)
                    .push(x.clone());
            }
        };
        if tpid(i) == Some(0x88a8) {
            let c_tag = i + 1 < tags && tpid(i + 1) == Some(0x88a8);
            for tag in [Some(i), c_tag.then_some(i + 1)].into_iter().flatten() {
                put(1, "vlan.pcp", tag);
                put(1, "vlan.dei", tag);
            }
            if c_tag {
                let k = 2;
                for (tag, name) in [(i, "svid"), (i + 1, "cvid")] {
                    if let Some(x) = vals[k].get(tag) {
                        out[1].entry(name).or_insert_with(Vec::new).push(x.clone());
                    }
                }
                i += 2;
            } else {
                put(1, "vlan.id", i);
                i += 1;
            }
        } else {
            for col in cols {
                put(0, col, i);
            }
            i += 1;
        }
    }
    out
}

#[derive(Default)]
struct Tally {
    frames: usize,
    compared: usize,
    /// field -> values only ringside reports (e.g. fields of a header tshark calls malformed),
    /// with a few examples.
    ours_only: BTreeMap<&'static str, (usize, Vec<String>)>,
    /// field -> values only tshark reports.
    theirs_only: BTreeMap<&'static str, (usize, Vec<String>)>,
    mismatches: Vec<Mismatch>,
}

fn compare_values(
    t: &mut Tally,
    ctx: &Mismatch,
    field: &'static str,
    norm: Norm,
    ours: &[String],
    theirs: &[String],
) {
    for (i, o) in ours.iter().enumerate() {
        let Some(th) = theirs.get(i) else {
            note(&mut t.ours_only, field, ours.len() - i, ctx);
            break;
        };
        t.compared += 1;
        let (o, th) = (normalise_ours(norm, o), normalise_theirs(norm, th));
        if o != th {
            t.mismatches.push(Mismatch {
                field,
                occurrence: i,
                ours: o,
                theirs: th,
                ..ctx.clone()
            });
        }
    }
    if theirs.len() > ours.len() && ours.is_empty() {
        note(&mut t.theirs_only, field, theirs.len(), ctx);
    }
}

fn note(
    m: &mut BTreeMap<&'static str, (usize, Vec<String>)>,
    field: &'static str,
    n: usize,
    ctx: &Mismatch,
) {
    let e = m.entry(field).or_default();
    e.0 += n;
    if e.1.len() < 3 {
        e.1.push(format!("{} #{} [{}]", ctx.corpus, ctx.frame, ctx.problems));
    }
}

/// Compare one capture; returns the tally.
fn compare_file(corpus: &str, file: &Path, t: &mut Tally) {
    let ours = ringside_dump(file);
    let theirs = tshark_rows(file);
    assert_eq!(
        ours.len(),
        theirs.len(),
        "{corpus}: ringside read {} frames, tshark {}",
        ours.len(),
        theirs.len()
    );
    for (n, (o, th)) in ours.iter().zip(&theirs).enumerate() {
        t.frames += 1;
        let ctx = Mismatch {
            corpus: corpus.into(),
            frame: n + 1,
            field: "",
            occurrence: 0,
            ours: String::new(),
            theirs: String::new(),
            problems: o["problems"].clone(),
            cap_len: num(&o["cap_len"]).unwrap_or(0),
            orig_len: num(&o["orig_len"]).unwrap_or(0),
        };
        let [q, ad] = vlan_split(o);
        for spec in SPECS {
            let ours_vals: Vec<String> = if spec.ours[0].starts_with("vlan.") {
                q.get(spec.ours[0]).cloned().unwrap_or_default()
            } else {
                spec.ours.iter().flat_map(|c| split_cell(&o[*c])).collect()
            };
            compare_values(
                t,
                &ctx,
                spec.theirs,
                spec.norm,
                &ours_vals,
                &th[spec.theirs],
            );
        }
        for (ours_col, theirs_f) in [
            ("vlan.pcp", "ieee8021ad.priority"),
            ("vlan.dei", "ieee8021ad.dei"),
            ("vlan.id", "ieee8021ad.id"),
            ("svid", "ieee8021ad.svid"),
            ("cvid", "ieee8021ad.cvid"),
        ] {
            let ov = ad.get(ours_col).cloned().unwrap_or_default();
            compare_values(t, &ctx, theirs_f, Num, &ov, &th[theirs_f]);
        }
    }
}

fn verbose() -> bool {
    std::env::var_os("RINGSIDE_AGREEMENT_VERBOSE").is_some()
}

fn tshark_available() -> bool {
    if have("tshark") {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "tshark is missing under CI: .ci/run must install it (apt-get install tshark)"
    );
    eprintln!(
        "SKIPPED: tshark not installed (apt-get install tshark); decoder agreement not checked"
    );
    false
}

fn assets_captures() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets")];
    while let Some(d) = dirs.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if matches!(
                p.extension().and_then(|x| x.to_str()),
                Some("pcap" | "pcapng")
            ) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Explain and fail on mismatches not covered by the allow-list.
fn report(t: &Tally) {
    let mut allowed_hits: BTreeMap<&str, usize> = BTreeMap::new();
    let mut unexplained: Vec<&Mismatch> = Vec::new();
    for m in &t.mismatches {
        match ALLOWED.iter().find(|a| (a.applies)(m)) {
            Some(a) => *allowed_hits.entry(a.id).or_default() += 1,
            None => unexplained.push(m),
        }
    }
    eprintln!(
        "agreement: {} frames, {} field values compared, {} mismatches ({} allowed, {} unexplained)",
        t.frames,
        t.compared,
        t.mismatches.len(),
        t.mismatches.len() - unexplained.len(),
        unexplained.len()
    );
    for a in ALLOWED {
        eprintln!(
            "  allowed {:>6} x {}: {}",
            allowed_hits.get(a.id).unwrap_or(&0),
            a.id,
            a.why
        );
    }
    for (what, m) in [("ringside", &t.ours_only), ("tshark", &t.theirs_only)] {
        for (f, (n, eg)) in m {
            eprintln!(
                "  only {what} reports {f}: {n} values, e.g. {}",
                eg.join("; ")
            );
        }
    }
    let mut by_field: BTreeMap<&str, Vec<&Mismatch>> = BTreeMap::new();
    for m in &unexplained {
        by_field.entry(m.field).or_default().push(m);
    }
    for (f, ms) in &by_field {
        eprintln!("  MISMATCH {f}: {} times, e.g.", ms.len());
        for m in ms.iter().take(if verbose() { 1000 } else { 4 }) {
            eprintln!(
                "    {} frame {} occ {}: ringside {} tshark {} (cap {} orig {} problems [{}])",
                m.corpus,
                m.frame,
                m.occurrence,
                m.ours,
                m.theirs,
                m.cap_len,
                m.orig_len,
                m.problems
            );
        }
    }
    assert!(
        unexplained.is_empty(),
        "{} field values disagree with tshark (see above)",
        unexplained.len()
    );
}

#[test]
fn ringside_dump_agrees_with_tshark() {
    if !tshark_available() {
        return;
    }
    let k = scale();
    let tmp = tempfile::tempdir().unwrap();
    // RINGSIDE_AGREEMENT_KEEP=DIR keeps the generated captures there, to look at a mismatch.
    let dir = match std::env::var_os("RINGSIDE_AGREEMENT_KEEP") {
        Some(d) => PathBuf::from(d),
        None => tmp.path().to_path_buf(),
    };
    std::fs::create_dir_all(&dir).unwrap();
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for p in assets_captures() {
        files.push((p.display().to_string(), p));
    }
    if let Some(extra) = std::env::var_os("RINGSIDE_AGREEMENT_FILES") {
        for p in std::env::split_paths(&extra) {
            files.push((p.display().to_string(), p));
        }
    }
    let mut gen = |name: &str, recs: Vec<Rec>| {
        let p = dir.join(format!("{}.pcap", name.replace([' ', '(', ')'], "")));
        write_pcap(&p, &recs);
        files.push((name.to_string(), p.clone()));
        p
    };
    let valid = gen("valid(seed 1)", valid_corpus(1, 2000 * k));
    gen("hostile(seed 2)", hostile_corpus(2, 3000 * k));
    let odd = odd_corpus(4, 2000 * k);
    let odd_bases: Vec<Vec<u8>> = odd.iter().take(20 * k).map(|r| r.data.clone()).collect();
    gen("odd(seed 4)", odd);
    gen("odd truncations(seed 4)", truncation_sweep(&odd_bases));
    let v6 = ipv6_corpus(8, 2000 * k);
    let v6_bases: Vec<Vec<u8>> = v6.iter().take(20 * k).map(|r| r.data.clone()).collect();
    gen("ipv6(seed 8)", v6);
    gen("ipv6 truncations(seed 8)", truncation_sweep(&v6_bases));
    gen("ipv6 hostile(seed 9)", {
        // The IPv6 frames damaged the usual ways: cut, a flipped byte, a lying payload length.
        let mut r = Rng::new(9);
        ipv6_corpus(10, 1000 * k)
            .into_iter()
            .map(|mut rec| {
                let f = &mut rec.data;
                match r.below(3) {
                    0 => f.truncate(r.range(14, f.len())),
                    1 => {
                        let i = r.range(14, f.len() - 1);
                        f[i] = r.u8();
                    }
                    _ if f[12..14] == [0x86, 0xdd] => {
                        let lie = r.u16().to_be_bytes();
                        f[18..20].copy_from_slice(&lie);
                    }
                    _ => {}
                }
                Rec::whole(rec.data)
            })
            .collect()
    });
    gen(
        "truncations(seed 3)",
        truncation_sweep(&sweep_bases(3, 20 * k)),
    );
    for seed in 0..(2 * k as u64) {
        let p = dir.join(format!("editcap-{seed}.pcap"));
        editcap_mutate(&valid, &p, 0.02, seed);
        files.push((format!("editcap -E 0.02 --seed {seed}"), p));
    }
    // Other link types: the valid and odd frames as Linux cooked (v1, v2) and raw IP captures.
    let mut both = valid_corpus(5, 1000 * k);
    both.extend(odd_corpus(6, 1000 * k));
    both.extend(ipv6_corpus(11, 500 * k));
    let mut r = Rng::new(7);
    for (name, link, recs) in [
        ("linux-sll(seed 5,6)", 113u32, to_sll(&mut r, &both, false)),
        ("linux-sll2(seed 5,6)", 276, to_sll(&mut r, &both, true)),
        ("raw-ip(seed 5,6)", 101, to_raw_ip(&both, false)),
        ("raw-ipv4(seed 5,6)", 228, to_raw_ip(&both, true)),
    ] {
        let p = dir.join(format!("{link}.pcap"));
        write_pcap_link(&p, link, &recs);
        files.push((name.to_string(), p));
    }
    let mut t = Tally::default();
    for (name, p) in &files {
        let before = t.frames;
        compare_file(name, p, &mut t);
        eprintln!("  {name}: {} frames", t.frames - before);
    }
    report(&t);
    assert!(t.frames >= 5000, "corpus too small: {} frames", t.frames);
}
