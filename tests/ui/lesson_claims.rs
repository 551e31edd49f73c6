//! Every number a lesson states, checked. The table below is also in LESSONS.md, row for row
//! (`| claim | value |` under the lesson's heading); each value is recomputed here from the
//! capture the lesson opens (read with ringside's own reader and dissector, run through ringside's
//! own stack) or from the C layout ringside computes (which `tests/wire/struct_gcc.rs` checks against
//! the C compiler). A lesson whose text and frames disagree fails here.
use ringside::lessons::{lesson, Opens};
use ringside::pcap::CaptureReader;
use ringside::stack::{Outbox, Stack, StackConfig};
use ringside::ui::packing::{CourseFrame, Leaf};
use ringside::wire::build::{EthIp, Ipv4Datagram};
use ringside::wire::{dissect, Check, Dissection};
use std::path::Path;
use std::time::Duration;

/// (lesson, claim, value) exactly as in LESSONS.md.
const CLAIMS: &[(u32, &str, &str)] = &[
    (1, "frame 3, header bytes: Ethernet, IPv4, UDP", "14, 20, 8"),
    (1, "frame 3, destination MAC, bytes", "0-5"),
    (1, "frame 3, IPv4 source address, bytes", "26-29"),
    (1, "frame 3, Ethernet type (bytes 12-13)", "0x0800"),
    (1, "frame 3, IPv4 protocol (byte 23)", "17"),
    (1, "frame 3, UDP destination port (bytes 36-37)", "9"),
    (1, "frame 3, first payload byte", "42"),
    (1, "frame 3, payload bytes", "12"),
    (2, "sizeof(struct udppkt)", "44"),
    (2, "sizeof(struct udppkt), packed", "42"),
    (2, "offsetof(struct udppkt, ip)", "16"),
    (2, "offsetof(struct udppkt, udp)", "36"),
    (2, "the hole, bytes", "14-15"),
    (2, "byte that pkt->ip.protocol reads", "25"),
    (
        2,
        "frame 3, what pkt->ip.protocol reads (checksum's low byte)",
        "0x14",
    ),
    (2, "byte that ntohs(pkt->udp.length) reads", "40"),
    (
        2,
        "frame 3, packed pkt->ip.version (the header length)",
        "5",
    ),
    (2, "sizeof(struct icmppkt)", "44"),
    (2, "sizeof(struct arppkt)", "48"),
    (3, "frame 1, UDP length", "28"),
    (3, "frame 1, payload bytes", "20"),
    (3, "frame 2, UDP length claimed", "200"),
    (3, "frame 2, UDP bytes carried", "28"),
    (3, "frame 2, bytes memcpy would copy", "192"),
    (3, "frame 2, payload bytes received", "20"),
    (3, "frame 2, bytes read past the frame", "172"),
    (3, "frame 3, UDP length claimed", "12"),
    (3, "frame 3, payload bytes the print sink keeps", "4"),
    (3, "frame 4, UDP length claimed", "4"),
    (3, "offsetof(struct udppkt, payload), unpacked", "44"),
    (3, "data bytes pkt->payload skips, unpacked", "2"),
    (4, "the demo PC's ARP entry lifetime, seconds", "10"),
    (4, "recorded capture, ARP requests nobody answered", "18"),
    (
        4,
        "recorded capture, first ARP reply after the silence, second",
        "33",
    ),
    (
        4,
        "recorded capture, target of every unanswered ARP request",
        "198.51.100.2",
    ),
    (5, "seq 1, data bytes", "56"),
    (5, "seq 1, frame bytes", "98"),
    (5, "seq 3, data bytes", "57"),
    (5, "seq 5, TTL", "1"),
    (5, "seq 6, checksum on the wire", "0x341a"),
    (5, "seq 6, checksum it should have been", "0x341b"),
    (5, "seq 7, destination", "198.51.100.255"),
    (5, "echo replies ringside sent", "5"),
    (6, "ping data bytes", "4000"),
    (6, "fragments in", "3"),
    (6, "fragment offsets, bytes", "0, 1480, 2960"),
    (6, "fragment offset fields", "0, 185, 370"),
    (6, "fragments of the reply", "3"),
    (
        6,
        "the request's reassembled IPv4 payload, bytes (ICMP header + data)",
        "4008",
    ),
    (
        6,
        "IP payload bytes in the request's fragments, in order",
        "1480, 1480, 1048",
    ),
    (6, "fragments of `ping -s 65000`", "44"),
    (8, "datagrams", "4"),
    (8, "payload bytes, in order", "1, 1473, 4, 4"),
    (8, "fragments of the 1473-byte datagram", "2"),
    (8, "frame that completes it (its last fragment)", "5"),
    (
        8,
        "its reassembled IPv4 payload, bytes (UDP header + data)",
        "1481",
    ),
    (8, "IP payload bytes in its fragments, in order", "1480, 1"),
    (8, "largest UDP payload in one 1500-byte frame", "1472"),
    (8, "datagrams the print sink receives", "4"),
    (
        9,
        "frame 3, bytes a switch reads (destination and source MAC)",
        "0-11",
    ),
    (
        9,
        "frame 3, IPv4 destination a router looks up, bytes",
        "30-33",
    ),
    (9, "frame 3, TTL a router decrements, byte", "22"),
    (9, "frame 3, ports a NAT rewrites, bytes", "34-37"),
    (9, "frame 3, first byte an L7 load balancer reads", "42"),
    (10, "slots in the demo's ring", "16"),
    (10, "bytes per slot buffer in the demo's ring", "2048"),
    (10, "most slots filled at once", "15"),
    (
        10,
        "seconds at which a UDP datagram arrives with a ping, first three",
        "2, 6, 10",
    ),
    (
        10,
        "frames the first frozen step at t = 5 s hands over",
        "2",
    ),
    (
        10,
        "default live ring: TPACKET_V2 frame slots at MTU 1500",
        "41984",
    ),
    (10, "default live ring: bytes per frame slot", "1584"),
    (10, "default live ring: frame slots per 64 KiB block", "41"),
    (
        10,
        "default live ring: unused bytes at the end of each block",
        "592",
    ),
    (10, "`--ring v3`: blocks", "32"),
    (10, "`--ring v3`: bytes per block", "262144"),
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The frames of the capture lesson `n` opens (or `name` in assets/), with their time.
fn capture(name: &str) -> Vec<(Duration, Vec<u8>)> {
    let mut r = CaptureReader::open(&root().join("assets").join(name)).unwrap();
    let mut out = Vec::new();
    while let Some(f) = r.next_frame().unwrap() {
        out.push((f.ts, f.data.to_vec()));
    }
    assert!(r.stopped().is_none(), "{name} is cut");
    out
}

fn lesson_capture(n: u32) -> Vec<Vec<u8>> {
    match lesson(n).unwrap().opens {
        Opens::Capture(f) => capture(f).into_iter().map(|(_, d)| d).collect(),
        Opens::Demo { .. } => panic!("lesson {n} opens the demo"),
    }
}

fn num(d: &Dissection, key: &str) -> u64 {
    d.num(key).unwrap_or_else(|| panic!("no {key}"))
}

fn list(v: impl IntoIterator<Item = impl ToString>) -> String {
    v.into_iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn leaf(f: CourseFrame, path: &str) -> Leaf {
    f.c_struct()
        .leaves()
        .into_iter()
        .find(|l| l.path == path)
        .unwrap()
}

/// Frames from the peer (not ringside's own answers, whose source MAC is ringside's).
fn from_peer(frames: &[Vec<u8>]) -> Vec<&Vec<u8>> {
    let ours = StackConfig::default().mac;
    frames.iter().filter(|f| f[6..12] != ours).collect()
}

/// Feed the peer's frames through a fresh stack; what its print sink got.
fn print_sink(frames: &[(Duration, Vec<u8>)]) -> Vec<usize> {
    let mut stack = Stack::new(StackConfig::default());
    let mut out = Outbox::new();
    let ours = StackConfig::default().mac;
    let mut got = Vec::new();
    for (ts, f) in frames.iter().filter(|(_, f)| f[6..12] != ours) {
        out.clear();
        stack.handle_frame(*ts, f, false, &mut out);
        got.extend(stack.take_printed().into_iter().map(|p| p.orig_len));
    }
    got
}

fn icmp_seq(frames: &[Vec<u8>], seq: u64) -> Dissection {
    frames
        .iter()
        .map(|f| dissect(f))
        .find(|d| d.num("icmp.type") == Some(8) && d.num("icmp.seq") == Some(seq))
        .unwrap()
}

/// What the capture (or the layout) really says for a claim.
fn actual(n: u32, claim: &str) -> String {
    match n {
        1 => {
            let f = &lesson_capture(1)[2];
            let d = dissect(f);
            let data = d.field("data").unwrap().byte_range();
            let span = |k: &str| {
                let r = d.field(k).unwrap().byte_range();
                format!("{}-{}", r.start, r.end - 1)
            };
            match claim {
                "frame 3, header bytes: Ethernet, IPv4, UDP" => list(
                    d.layers
                        .iter()
                        .filter(|l| l.kind != ringside::wire::LayerKind::Payload)
                        .map(|l| l.bytes.len()),
                ),
                "frame 3, destination MAC, bytes" => span("eth.dst"),
                "frame 3, IPv4 source address, bytes" => span("ipv4.src"),
                "frame 3, Ethernet type (bytes 12-13)" => format!("{:#06x}", num(&d, "eth.type")),
                "frame 3, IPv4 protocol (byte 23)" => f[23].to_string(),
                "frame 3, UDP destination port (bytes 36-37)" => {
                    u16::from_be_bytes([f[36], f[37]]).to_string()
                }
                "frame 3, first payload byte" => data.start.to_string(),
                "frame 3, payload bytes" => data.len().to_string(),
                _ => panic!("{claim}"),
            }
        }
        2 => {
            let udp = CourseFrame::Udp.c_struct();
            let (nat, pak) = (udp.layout(false), udp.layout(true));
            let at = |name: &str| {
                nat.members
                    .iter()
                    .find(|m| m.field.name == name)
                    .unwrap()
                    .offset
                    .to_string()
            };
            let f = &lesson_capture(2)[2];
            let d = dissect(f);
            match claim {
                "sizeof(struct udppkt)" => nat.size.to_string(),
                "sizeof(struct udppkt), packed" => pak.size.to_string(),
                "offsetof(struct udppkt, ip)" => at("ip"),
                "offsetof(struct udppkt, udp)" => at("udp"),
                "the hole, bytes" => list(
                    nat.holes
                        .iter()
                        .map(|(h, _)| format!("{}-{}", h.start, h.end - 1)),
                ),
                "byte that pkt->ip.protocol reads" => {
                    leaf(CourseFrame::Udp, "ip.protocol").natural.to_string()
                }
                "frame 3, what pkt->ip.protocol reads (checksum's low byte)" => {
                    let r = leaf(CourseFrame::Udp, "ip.protocol").read(f, &d, false);
                    assert_eq!(r.actually, "Header Checksum, low byte");
                    format!("{:#04x}", r.value.unwrap())
                }
                "byte that ntohs(pkt->udp.length) reads" => {
                    leaf(CourseFrame::Udp, "udp.length").natural.to_string()
                }
                "frame 3, packed pkt->ip.version (the header length)" => {
                    let r = leaf(CourseFrame::Udp, "ip.version").read(f, &d, true);
                    assert_eq!(r.actually, "IHL");
                    r.value.unwrap().to_string()
                }
                "sizeof(struct icmppkt)" => {
                    CourseFrame::Icmp.c_struct().layout(false).size.to_string()
                }
                "sizeof(struct arppkt)" => {
                    CourseFrame::Arp.c_struct().layout(false).size.to_string()
                }
                _ => panic!("{claim}"),
            }
        }
        3 if claim.contains("payload),") || claim.contains("skips") => {
            let p = leaf(CourseFrame::Udp, "payload");
            let f = &lesson_capture(3)[0];
            let data = dissect(f).field("data").unwrap().byte_range().start;
            match claim {
                "offsetof(struct udppkt, payload), unpacked" => p.natural.to_string(),
                "data bytes pkt->payload skips, unpacked" => (p.natural - data).to_string(),
                _ => panic!("{claim}"),
            }
        }
        3 => {
            let frames = lesson_capture(3);
            let k: usize = claim[6..7].parse().unwrap();
            let f = &frames[k - 1];
            let d = dissect(f);
            let udp_len = num(&d, "udp.length") as usize;
            let carried = f.len() - 34;
            match &claim[9..] {
                "UDP length" | "UDP length claimed" => udp_len.to_string(),
                "payload bytes" | "payload bytes received" => (carried - 8).to_string(),
                "UDP bytes carried" => carried.to_string(),
                "bytes memcpy would copy" => (udp_len - 8).to_string(),
                "bytes read past the frame" => (udp_len - carried).to_string(),
                "payload bytes the print sink keeps" => {
                    let timed: Vec<_> = capture("udp-lengths.pcapng");
                    // Frame k alone through the stack: what its sink keeps.
                    print_sink(&timed[k - 1..k]).first().unwrap().to_string()
                }
                other => panic!("{other}"),
            }
        }
        4 => {
            let frames = capture("arp-silent.pcapng");
            let t0 = frames[0].0;
            let ours = StackConfig::default().mac;
            let dis: Vec<(f64, Dissection, bool)> = frames
                .iter()
                .map(|(t, f)| ((*t - t0).as_secs_f64(), dissect(f), f[6..12] == ours))
                .collect();
            let is_req = |d: &Dissection| d.num("arp.opcode") == Some(1);
            let is_reply = |d: &Dissection, mine: bool| d.num("arp.opcode") == Some(2) && mine;
            // A request is answered when ringside's reply follows before the next request.
            let unanswered: Vec<&Dissection> = dis
                .iter()
                .enumerate()
                .filter(|(i, (_, d, mine))| {
                    !mine
                        && is_req(d)
                        && !dis[i + 1..]
                            .iter()
                            .take_while(|(_, d, m)| !is_req(d) || *m)
                            .any(|(_, d, m)| is_reply(d, *m))
                })
                .map(|(_, (_, d, _))| d)
                .collect();
            match claim {
                "the demo PC's ARP entry lifetime, seconds" => match lesson(4).unwrap().opens {
                    Opens::Demo { arp_timeout } => arp_timeout.to_string(),
                    o => panic!("{o:?}"),
                },
                "recorded capture, ARP requests nobody answered" => unanswered.len().to_string(),
                "recorded capture, first ARP reply after the silence, second" => {
                    let first_silent = dis
                        .iter()
                        .find(|(_, d, _)| unanswered.iter().any(|u| std::ptr::eq(*u, d)))
                        .unwrap()
                        .0;
                    let t = dis
                        .iter()
                        .find(|(t, d, m)| *t > first_silent && is_reply(d, *m))
                        .unwrap()
                        .0;
                    (t.floor() as u64).to_string()
                }
                "recorded capture, target of every unanswered ARP request" => {
                    let targets: std::collections::BTreeSet<String> = unanswered
                        .iter()
                        .map(|d| d.field("arp.tpa").unwrap().value.to_string())
                        .collect();
                    list(targets)
                }
                _ => panic!("{claim}"),
            }
        }
        5 => {
            let frames = lesson_capture(5);
            let data_len = |d: &Dissection| d.field("data").map_or(0, |f| f.byte_range().len());
            match claim {
                "seq 1, data bytes" => data_len(&icmp_seq(&frames, 1)).to_string(),
                "seq 1, frame bytes" => {
                    let d = icmp_seq(&frames, 1);
                    (d.layers.last().unwrap().bytes.end).to_string()
                }
                "seq 3, data bytes" => data_len(&icmp_seq(&frames, 3)).to_string(),
                "seq 5, TTL" => num(&icmp_seq(&frames, 5), "ipv4.ttl").to_string(),
                "seq 6, checksum on the wire" => {
                    format!("{:#06x}", num(&icmp_seq(&frames, 6), "icmp.checksum"))
                }
                "seq 6, checksum it should have been" => {
                    match icmp_seq(&frames, 6).field("icmp.checksum").unwrap().check {
                        Some(Check::Bad { expected }) => format!("{expected:#06x}"),
                        c => panic!("{c:?}"),
                    }
                }
                "seq 7, destination" => icmp_seq(&frames, 7)
                    .field("ipv4.dst")
                    .unwrap()
                    .value
                    .to_string(),
                "echo replies ringside sent" => frames
                    .iter()
                    .filter(|f| dissect(f).num("icmp.type") == Some(0))
                    .count()
                    .to_string(),
                _ => panic!("{claim}"),
            }
        }
        6 => {
            let frames = lesson_capture(6);
            let peer = from_peer(&frames);
            let frag = |d: &Dissection| {
                d.num("ipv4.frag_offset").unwrap_or(0) != 0
                    || d.num("ipv4.flags").unwrap_or(0) & 1 != 0
            };
            let ins: Vec<Dissection> = peer.iter().map(|f| dissect(f)).filter(frag).collect();
            match claim {
                "ping data bytes" => {
                    let total: u64 = ins
                        .iter()
                        .map(|d| num(d, "ipv4.total_length") - 4 * num(d, "ipv4.ihl"))
                        .sum();
                    (total - 8).to_string()
                }
                "fragments in" => ins.len().to_string(),
                "the request's reassembled IPv4 payload, bytes (ICMP header + data)" => ins
                    .iter()
                    .map(|d| num(d, "ipv4.total_length") - 4 * num(d, "ipv4.ihl"))
                    .sum::<u64>()
                    .to_string(),
                "IP payload bytes in the request's fragments, in order" => list(
                    ins.iter()
                        .map(|d| num(d, "ipv4.total_length") - 4 * num(d, "ipv4.ihl")),
                ),
                "fragment offsets, bytes" => {
                    list(ins.iter().map(|d| 8 * num(d, "ipv4.frag_offset")))
                }
                "fragment offset fields" => list(ins.iter().map(|d| num(d, "ipv4.frag_offset"))),
                "fragments of the reply" => {
                    (frames.iter().map(|f| dissect(f)).filter(frag).count() - ins.len()).to_string()
                }
                "fragments of `ping -s 65000`" => {
                    let h = EthIp {
                        src_mac: [2, 0, 0, 0, 0, 1],
                        dst_mac: [2, 0, 0, 0, 0, 2],
                        src_ip: [198, 51, 100, 1].into(),
                        dst_ip: [198, 51, 100, 2].into(),
                        ttl: 64,
                        ip_id: 1,
                    };
                    let data = vec![0u8; 65000];
                    let d = Ipv4Datagram {
                        eth_ip: &h,
                        vlan_tags: &[],
                        protocol: 1,
                        dont_fragment: false,
                        l4: [&[0u8; 8], &data],
                    };
                    d.fragment_count(1500).to_string()
                }
                _ => panic!("{claim}"),
            }
        }
        8 => {
            let timed = capture("udp-messages.pcapng");
            let frames: Vec<Vec<u8>> = timed.iter().map(|(_, f)| f.clone()).collect();
            let udp: Vec<Dissection> = from_peer(&frames)
                .into_iter()
                .map(|f| dissect(f))
                .filter(|d| d.num("ipv4.protocol") == Some(17))
                .collect();
            let heads: Vec<&Dissection> = udp
                .iter()
                .filter(|d| d.num("udp.length").is_some())
                .collect();
            match claim {
                "datagrams" => heads.len().to_string(),
                "payload bytes, in order" => list(heads.iter().map(|d| num(d, "udp.length") - 8)),
                "fragments of the 1473-byte datagram" => {
                    let big = heads.iter().find(|d| num(d, "udp.length") == 1481).unwrap();
                    let id = num(big, "ipv4.id");
                    udp.iter()
                        .filter(|d| num(d, "ipv4.id") == id)
                        .count()
                        .to_string()
                }
                "frame that completes it (its last fragment)"
                | "its reassembled IPv4 payload, bytes (UDP header + data)"
                | "IP payload bytes in its fragments, in order" => {
                    // From the headers alone: the frames (numbered from 1) with the big
                    // datagram's identification, and what each carries after its IPv4 header.
                    let big = heads.iter().find(|d| num(d, "udp.length") == 1481).unwrap();
                    let id = num(big, "ipv4.id");
                    let pieces: Vec<(usize, u64)> = frames
                        .iter()
                        .enumerate()
                        .map(|(i, f)| (i + 1, dissect(f)))
                        .filter(|(_, d)| d.num("ipv4.id") == Some(id))
                        .map(|(no, d)| (no, num(&d, "ipv4.total_length") - 4 * num(&d, "ipv4.ihl")))
                        .collect();
                    match claim {
                        "frame that completes it (its last fragment)" => {
                            pieces.last().unwrap().0.to_string()
                        }
                        "IP payload bytes in its fragments, in order" => {
                            list(pieces.iter().map(|p| p.1))
                        }
                        _ => pieces.iter().map(|p| p.1).sum::<u64>().to_string(),
                    }
                }
                "largest UDP payload in one 1500-byte frame" => {
                    // The builder's own rule: the largest payload that is still one frame.
                    let h = EthIp {
                        src_mac: [2, 0, 0, 0, 0, 1],
                        dst_mac: [2, 0, 0, 0, 0, 2],
                        src_ip: [198, 51, 100, 1].into(),
                        dst_ip: [198, 51, 100, 2].into(),
                        ttl: 64,
                        ip_id: 1,
                    };
                    let fits = |n: usize| {
                        let data = vec![0u8; n];
                        Ipv4Datagram {
                            eth_ip: &h,
                            vlan_tags: &[],
                            protocol: 17,
                            dont_fragment: false,
                            l4: [&[0u8; 8], &data],
                        }
                        .fragment_count(1500)
                            == 1
                    };
                    (0..65000)
                        .take_while(|&n| fits(n))
                        .last()
                        .unwrap()
                        .to_string()
                }
                "datagrams the print sink receives" => print_sink(&timed).len().to_string(),
                _ => panic!("{claim}"),
            }
        }
        9 => {
            let f = &lesson_capture(9)[2];
            let d = dissect(f);
            let r = |k: &str| d.field(k).unwrap().byte_range();
            let span = |a: &str, b: &str| format!("{}-{}", r(a).start, r(b).end - 1);
            match claim {
                "frame 3, bytes a switch reads (destination and source MAC)" => {
                    span("eth.dst", "eth.src")
                }
                "frame 3, IPv4 destination a router looks up, bytes" => {
                    span("ipv4.dst", "ipv4.dst")
                }
                "frame 3, TTL a router decrements, byte" => r("ipv4.ttl").start.to_string(),
                "frame 3, ports a NAT rewrites, bytes" => span("udp.srcport", "udp.dstport"),
                "frame 3, first byte an L7 load balancer reads" => r("data").start.to_string(),
                _ => panic!("{claim}"),
            }
        }
        10 => ring_claim(claim),
        _ => panic!("no claims for lesson {n}"),
    }
}

/// The part of LESSONS.md under `## n. `.
fn section(md: &str, n: u32) -> &str {
    let start = md.find(&format!("\n## {n}. ")).unwrap();
    let rest = &md[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |e| e + 3);
    &rest[..end]
}

#[test]
fn every_number_a_lesson_states_is_what_its_frames_hold() {
    let mut wrong = Vec::new();
    for &(n, claim, value) in CLAIMS {
        let got = actual(n, claim);
        if got != value {
            wrong.push(format!(
                "lesson {n}: {claim}: LESSONS.md says {value}, the frames say {got}"
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn the_claims_table_is_in_lessons_md_row_for_row() {
    let md = std::fs::read_to_string(root().join("LESSONS.md")).unwrap();
    for &(n, claim, value) in CLAIMS {
        assert!(
            section(&md, n).contains(&format!("\n| {claim} | {value} |\n")),
            "lesson {n} in LESSONS.md lacks the row `| {claim} | {value} |`"
        );
    }
    // And no claims row in LESSONS.md escapes the check.
    for n in 1..=20 {
        if !md.contains(&format!("\n## {n}. ")) {
            continue;
        }
        let sec = section(&md, n);
        let Some(t) = sec.find(&format!("| lesson {n} claim | value |")) else {
            continue;
        };
        for row in sec[t..].lines().skip(2).take_while(|l| l.starts_with("| ")) {
            let cells: Vec<&str> = row.trim_matches('|').split(" | ").map(str::trim).collect();
            assert!(
                CLAIMS.contains(&(n, cells[0], cells[1])),
                "lesson {n}: LESSONS.md states `{row}`, which tests/ui/lesson_claims.rs does not check"
            );
        }
    }
}

/// Lesson 10: the demo's ring, measured on the simulated LAN the lesson opens; the live ring's
/// geometry as `live` computes it (`tests/live/live_ring.rs` checks the panel of a real run).
fn ring_claim(claim: &str) -> String {
    use ringside::capture::run_lockstep;
    use ringside::link::afpacket::{ring::v2_slot_size, RingConfig, RingVersion};
    use ringside::link::sim::{SimConfig, SimLan};
    use ringside::link::Link;
    let Opens::Demo { arp_timeout } = lesson(10).unwrap().opens else {
        panic!("lesson 10 opens the demo");
    };
    let demo = || {
        SimLan::lockstep(SimConfig {
            arp_timeout: Duration::from_secs_f64(arp_timeout),
            ..SimConfig::default()
        })
    };
    let v2 = RingConfig::new(RingVersion::V2);
    let v3 = RingConfig::new(RingVersion::V3);
    let slot = v2_slot_size(1500);
    match claim {
        "slots in the demo's ring" => demo().ring().unwrap().total.to_string(),
        "bytes per slot buffer in the demo's ring" => demo().ring().unwrap().slot_bytes.to_string(),
        "most slots filled at once" => {
            let mut r = ringside::link::sim_ring::SimRing::default();
            let mut wire = (0..100)
                .map(|i| (Duration::from_secs(i), vec![0u8; 60]))
                .collect();
            r.rxsync(&mut wire);
            r.waiting().to_string()
        }
        "seconds at which a UDP datagram arrives with a ping, first three" => {
            let mut sim = demo();
            let mut stack = Stack::new(StackConfig::default());
            let mut seen: Vec<(Duration, u8)> = Vec::new();
            run_lockstep(&mut sim, &mut stack, Duration::from_secs(11), &mut |c| {
                if c.dir == ringside::capture::Direction::In && c.data[12..14] == [8, 0] {
                    seen.push((c.ts, c.data[23]));
                }
            })
            .unwrap();
            let both: Vec<u64> = (0..=11)
                .filter(|&t| {
                    let at = |p: u8| seen.contains(&(Duration::from_secs(t), p));
                    at(1) && at(17)
                })
                .take(3)
                .collect();
            list(both)
        }
        "frames the first frozen step at t = 5 s hands over" => {
            let mut sim = demo();
            let mut stack = Stack::new(StackConfig::default());
            run_lockstep(&mut sim, &mut stack, Duration::from_secs(5), &mut |_| {}).unwrap();
            sim.set_frozen(true);
            sim.step();
            let mut got = 0;
            sim.recv_batch(Duration::from_millis(1), &mut |_, _| got += 1)
                .unwrap();
            assert_eq!(got, 1, "a step delivers one frame");
            sim.ring().unwrap().last_sync.unwrap().published.to_string()
        }
        "default live ring: TPACKET_V2 frame slots at MTU 1500" => {
            ((v2.block_size / slot) * v2.block_nr).to_string()
        }
        "default live ring: bytes per frame slot" => slot.to_string(),
        "default live ring: frame slots per 64 KiB block" => {
            assert_eq!(v2.block_size, 64 << 10);
            (v2.block_size / slot).to_string()
        }
        "default live ring: unused bytes at the end of each block" => {
            (v2.block_size % slot).to_string()
        }
        "`--ring v3`: blocks" => v3.block_nr.to_string(),
        "`--ring v3`: bytes per block" => v3.block_size.to_string(),
        _ => panic!("{claim}"),
    }
}
