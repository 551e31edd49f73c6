//! `cargo run --release --example seeds -- OUT_DIR`: writes seed corpora for the fuzz targets into
//! OUT_DIR/{dissect,stack,pcap}: the frames of every capture under ../assets, the seeded valid and
//! hostile frames of tests/support/corpus_gen.rs, and conversations addressed to the stack (ARP, ping,
//! UDP echo, fragmented ping). Deterministic: same files every run, so nothing is checked in.
#[path = "../../tests/support/corpus_gen.rs"]
#[allow(clippy::all, dead_code)]
mod corpus_gen;
/// The generator corpus_gen draws from (`super::rng` there).
#[path = "../../tests/support/rng.rs"]
#[allow(dead_code)]
mod rng;

use ringside::pcap::CaptureReader;
use ringside::stack::StackConfig;
use ringside::wire::build::{self, EthIp};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

fn captures(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            captures(&p, out);
        } else if matches!(
            p.extension().and_then(|x| x.to_str()),
            Some("pcap" | "pcapng")
        ) {
            out.push(p);
        }
    }
}

fn frames_of(p: &Path) -> Vec<Vec<u8>> {
    let mut r = CaptureReader::open(p).expect("open capture");
    let mut v = Vec::new();
    while let Ok(Some(f)) = r.next_frame() {
        v.push(f.data.to_vec());
    }
    v
}

/// Conversations a peer on the lab LAN has with the stack.
fn to_stack() -> Vec<Vec<Vec<u8>>> {
    let c = StackConfig::default();
    let peer_mac = [0x02, 0, 0, 0, 0, 1];
    let peer_ip = Ipv4Addr::new(198, 51, 100, 1);
    let h = EthIp {
        src_mac: peer_mac,
        dst_mac: c.mac,
        src_ip: peer_ip,
        dst_ip: c.ip,
        ttl: 64,
        ip_id: 0x77,
    };
    let f = |b: &dyn Fn(&mut Vec<u8>)| {
        let mut v = Vec::new();
        b(&mut v);
        v
    };
    let arp = f(&|v| {
        build::arp(
            v,
            build::BROADCAST_MAC,
            build::ARP_REQUEST,
            peer_mac,
            peer_ip,
            [0; 6],
            c.ip,
        )
    });
    let ping = f(&|v| build::icmp_echo(v, &h, false, 1, 1, b"abcdefgh"));
    let echo = f(&|v| build::udp(v, &h, 40000, c.udp_echo_port, b"hello"));
    let print = f(&|v| build::udp(v, &h, 40000, c.udp_print_port, b"hello"));
    let closed = f(&|v| build::udp(v, &h, 40000, 33434, b"x"));
    let mut bcast = h.clone();
    bcast.dst_mac = build::BROADCAST_MAC;
    bcast.dst_ip = Ipv4Addr::new(198, 51, 100, 255);
    let bping = f(&|v| build::icmp_echo(v, &bcast, false, 2, 2, b"b"));
    let data = vec![0x42u8; 3000];
    let mut l4 = build::icmp_echo_header(false, 3, 3, &data).to_vec();
    l4.extend_from_slice(&data);
    let mut frags = Vec::new();
    build::ipv4_fragmented(&h, build::IP_PROTO_ICMP, &l4, 1500, &mut |x| {
        frags.push(x.to_vec())
    });
    let mut reversed = frags.clone();
    reversed.reverse();
    vec![
        vec![arp.clone(), ping.clone()],
        vec![ping, echo, print, closed],
        vec![arp, bping],
        frags,
        reversed,
    ]
}

fn main() {
    let out = PathBuf::from(std::env::args().nth(1).expect("usage: seeds OUT_DIR"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    captures(&root.join("assets"), &mut files);
    files.sort();
    for t in ["dissect", "stack", "pcap"] {
        std::fs::create_dir_all(out.join(t)).unwrap();
    }
    let write = |t: &str, name: String, bytes: &[u8]| {
        std::fs::write(out.join(t).join(name), bytes).unwrap();
    };
    let mut frames: Vec<Vec<u8>> = Vec::new();
    for p in &files {
        // Captures themselves seed the reader (first 64 KiB keeps the corpus quick).
        let bytes = std::fs::read(p).unwrap();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        write(
            "pcap",
            format!("asset-{name}"),
            &bytes[..bytes.len().min(1 << 16)],
        );
        frames.extend(frames_of(p).into_iter().take(200));
    }
    frames.extend(
        corpus_gen::valid_corpus(11, 500)
            .into_iter()
            .map(|r| r.data),
    );
    frames.extend(
        corpus_gen::hostile_corpus(12, 500)
            .into_iter()
            .map(|r| r.data),
    );
    for (i, f) in frames.iter().enumerate() {
        let mut v = vec![0u8];
        v.extend_from_slice(f);
        write("dissect", format!("frame-{i:05}"), &v);
    }
    for (i, chunk) in frames.chunks(8).enumerate().step_by(4) {
        write(
            "stack",
            format!("mixed-{i:04}"),
            &ringside_fuzz::encode(chunk.iter().map(|f| f.as_slice())),
        );
    }
    for (i, conv) in to_stack().iter().enumerate() {
        write(
            "stack",
            format!("conv-{i}"),
            &ringside_fuzz::encode(conv.iter().map(|f| f.as_slice())),
        );
    }
    let tmp = out.join("pcap").join("gen-hostile.pcap");
    corpus_gen::write_pcap(&tmp, &corpus_gen::hostile_corpus(13, 100));
    let tmp = out.join("pcap").join("gen-truncated.pcap");
    let mut recs = corpus_gen::valid_corpus(14, 50);
    recs[10].orig_len += 100; // a snap-length cut
    corpus_gen::write_pcap(&tmp, &recs);
    eprintln!(
        "seeds: {} frames from {} captures and the generator -> {}",
        frames.len(),
        files.len(),
        out.display()
    );
}
