//! Captures no well-behaved tool writes, for the TUI tests (tests/ui/ui_fuzz.rs in-process,
//! tests/tui/tui_assets.rs in the real binary): timestamps that go backwards (merged files, a clock
//! step: the `pps_series` crash of issue 16), huge jumps, zero-length and tiny frames, hostile
//! frames at random times, and payloads full of terminal control bytes.
//!
//! Needs `corpus_gen` (tests/support/corpus_gen.rs) included next to it as `mod corpus_gen`.
#![allow(dead_code)]
use super::corpus_gen::{hostile_corpus, valid_corpus, Rec, Rng};
use ringside::wire::build::{self, EthIp};
use std::net::Ipv4Addr;
use std::path::Path;
use std::time::Duration;

/// One odd capture: a name for messages and file names, and its records in file order.
pub struct OddCapture {
    pub name: &'static str,
    pub frames: Vec<(Duration, Rec)>,
}

const US: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 2);
const US_MAC: [u8; 6] = [0x02, 0x52, 0x53, 0x00, 0x00, 0x02];
const PEER: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
const PEER_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 1];

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// Bytes a terminal would act on if they reached it raw: C0 (ESC, BEL, CR, BS...), DEL, and
/// C1 as bytes and as UTF-8 (U+009B is CSI).
pub const CONTROL_BYTES: &[u8] =
    b"\x1b[2J\x1b]0;owned\x07\r\x08\x7f\x9b\xc2\x9b\xc2\x85\x00\ttab\nnl";

fn control_frames() -> Vec<Rec> {
    let h = EthIp {
        src_mac: PEER_MAC,
        dst_mac: US_MAC,
        src_ip: PEER,
        dst_ip: US,
        ttl: 64,
        ip_id: 1,
    };
    let mut out = Vec::new();
    for port in [9, 7, 53, 0] {
        let mut f = Vec::new();
        build::udp(&mut f, &h, 40_000, port, CONTROL_BYTES);
        out.push(Rec::whole(f));
    }
    let mut f = Vec::new();
    build::icmp_echo(&mut f, &h, false, 0x1b1b, 0x9b9b, CONTROL_BYTES);
    out.push(Rec::whole(f));
    // Not even IP: an unknown EtherType whose bytes are all control characters.
    let mut f = Vec::new();
    build::ethernet(&mut f, US_MAC, PEER_MAC, &[], 0x1b9b);
    f.extend_from_slice(CONTROL_BYTES);
    out.push(Rec::whole(f));
    out
}

/// Every record from 0 to 64 bytes long, each claiming to be 65,535 on the wire (and some whole).
fn tiny_frames(r: &mut Rng) -> Vec<Rec> {
    let mut base = valid_corpus(r.next_u64(), 1).remove(0).data;
    base.resize(64, 0);
    (0..=64)
        .flat_map(|n| {
            [
                Rec::whole(base[..n].to_vec()),
                Rec {
                    data: base[..n].to_vec(),
                    orig_len: 65_535,
                },
            ]
        })
        .collect()
}

/// The odd captures, reproducible from `seed`.
pub fn odd_captures(seed: u64) -> Vec<OddCapture> {
    let mut r = Rng::new(seed);
    let valid = valid_corpus(r.next_u64(), 60);
    let mut caps = Vec::new();

    // Time runs backwards through the whole file, across more seconds than the sparkline shows.
    caps.push(OddCapture {
        name: "backwards",
        frames: valid
            .iter()
            .enumerate()
            .map(|(i, f)| (secs(1_000.0 - i as f64 * 0.7), f.clone()))
            .collect(),
    });
    // Two captures merged by concatenation: the second starts 30 s before the first ended.
    caps.push(OddCapture {
        name: "merged",
        frames: valid
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let t = if i < 30 {
                    100.0 + i as f64
                } else {
                    100.0 + i as f64 - 60.0
                };
                (secs(t), f.clone())
            })
            .collect(),
    });
    // Huge jumps both ways, to the ends of what a pcap header can hold.
    let jumps = [
        0.0,
        0.000_001,
        4_294_967_295.999_999,
        1.0,
        2_000_000_000.0,
        2_000_000_000.0,
        0.0,
        86_400.0 * 365.0,
    ];
    caps.push(OddCapture {
        name: "jumps",
        frames: jumps
            .iter()
            .zip(valid.iter().cycle())
            .map(|(&t, f)| (secs(t), f.clone()))
            .collect(),
    });
    caps.push(OddCapture {
        name: "tiny",
        frames: tiny_frames(&mut r)
            .into_iter()
            .enumerate()
            .map(|(i, f)| (secs(i as f64 * 0.01), f))
            .collect(),
    });
    // Hostile frames at random times (some in the same microsecond, some years apart).
    let hostile = hostile_corpus(r.next_u64(), 300);
    let frames = hostile
        .into_iter()
        .map(|f| {
            let t = match r.below(4) {
                0 => r.below(4_294_967_296) as f64,
                1 => 5.0,
                _ => r.below(600) as f64 + r.below(1_000_000) as f64 / 1e6,
            };
            (secs(t), f)
        })
        .collect();
    caps.push(OddCapture {
        name: "hostile",
        frames,
    });
    caps.push(OddCapture {
        name: "control",
        frames: control_frames()
            .into_iter()
            .enumerate()
            .map(|(i, f)| (secs(10.0 - i as f64), f))
            .collect(),
    });
    caps
}

/// Write `cap` as a classic pcap file (microsecond timestamps, in file order).
pub fn write(cap: &OddCapture, path: &Path) {
    let mut rec = ringside::pcap::PcapRecorder::create(path).expect("creating the pcap");
    for (ts, f) in &cap.frames {
        rec.write(*ts, &f.data, f.orig_len.max(f.data.len() as u32))
            .expect("writing the pcap");
    }
    rec.close().expect("closing the pcap");
}
