//! `replay` of a Linux cooked (LINUX_SLL) or raw-IP capture (`tcpdump -i any`, a tunnel): each
//! frame is shown for what it is (the `sll` header, or IPv4 first), never fed to the stack,
//! which speaks Ethernet: no verdict, counted as `unsupported_link` in the status line.
use crate::support::ui::replay_screen;
use ringside::capture::{Captured, Status};
use ringside::pcap::CaptureReader;
use ringside::stack::StackConfig;
use ringside::wire::{LayerKind, LinkKind};
use std::path::Path;
use std::time::Duration;

/// A classic pcap of link type `link` holding `frames`.
fn write_pcap(path: &Path, link: u32, frames: &[Vec<u8>]) {
    let mut b = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    b.extend_from_slice(&65535u32.to_le_bytes());
    b.extend_from_slice(&link.to_le_bytes());
    for (i, f) in frames.iter().enumerate() {
        for v in [1 + i as u32, 0, f.len() as u32, f.len() as u32] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(f);
    }
    std::fs::write(path, b).unwrap();
}

/// An ARP request for the stack's own address behind a cooked v1 header, as `tcpdump -i any`
/// records it.
fn sll_arp_for_the_stack() -> Vec<u8> {
    let cfg = StackConfig::default();
    let mut f = vec![0, 1, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x06];
    f.extend_from_slice(&hex::decode("0001080006040001020000000001c6336401000000000000").unwrap());
    f.extend_from_slice(&cfg.ip.octets());
    f
}

/// A ping to the stack's own address as bare IPv4 (LINKTYPE_RAW).
fn raw_ping_for_the_stack() -> Vec<u8> {
    let cfg = StackConfig::default();
    let mut ping = Vec::new();
    let h = ringside::wire::build::EthIp {
        src_mac: [2, 0, 0, 0, 0, 1],
        dst_mac: cfg.mac,
        src_ip: [198, 51, 100, 1].into(),
        dst_ip: cfg.ip,
        ttl: 64,
        ip_id: 1,
    };
    ringside::wire::build::icmp_echo(&mut ping, &h, false, 7, 1, b"hi");
    ping[14..].to_vec()
}

/// Run `path` through `replay`'s own capture thread to the end.
fn replay(path: &Path) -> (Vec<Captured>, Status) {
    let reader = CaptureReader::open(path).unwrap();
    drain(ringside::cli::replay::spawn(
        reader,
        StackConfig::default(),
        false,
    ))
}

/// Every frame and the final status of a capture thread that reads files.
fn drain(h: ringside::capture::CaptureHandle) -> (Vec<Captured>, Status) {
    let (got, st) = crate::support::capture::drain(h, Duration::from_secs(30));
    assert!(st.finished && st.error.is_none(), "{:?}", st.error);
    (got, st)
}

/// The replay screen after every frame was shown, the first frame selected.
/// Replays `frames` written with pcap link type `linktype`; checks what every replay of a
/// non-Ethernet capture must show and returns the screen and the first frame's layers.
fn replay_non_ethernet(
    linktype: u32,
    kind: LinkKind,
    frames: &[Vec<u8>],
) -> (String, Vec<LayerKind>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("odd.pcap");
    write_pcap(&path, linktype, frames);
    let (got, st) = replay(&path);
    assert_eq!(
        got.len(),
        frames.len(),
        "every frame is shown, no reply added"
    );
    for c in &got {
        assert_eq!(c.link, kind);
        assert_eq!(c.verdict, None, "a {kind:?} frame is not judged");
    }
    // The stack saw none of them (frames_in = answered + Σ reasons holds with 0 = 0) and
    // sent nothing; the link names them.
    assert_eq!(st.counters.frames_in, 0);
    assert_eq!(st.counters.frames_out, 0);
    assert!(
        st.link_desc
            .contains(&format!("unsupported_link {}", frames.len())),
        "{}",
        st.link_desc
    );
    assert_eq!(st.unsupported_link, frames.len() as u64);
    let (mut app, s) = replay_screen("odd.pcap", &got, st, 120, 40);
    assert!(
        s.contains(&format!("unsupported_link {} (not judged)", frames.len())),
        "the status line counts them:\n{s}"
    );
    // Each row carries the verdict-less marker (received, not judged), never ✓ or ✗.
    let marked = |m: &str| {
        s.lines()
            .filter(|l| l.starts_with(&format!("│{m} ")))
            .count()
    };
    assert_eq!(marked("←"), frames.len(), "{s}");
    assert_eq!(marked("✓") + marked("✗"), 0, "{s}");
    // `w` writes an Ethernet capture: the cooked or raw-IP frames have no place in it.
    let written = dir.path().join("w.pcapng");
    assert_eq!(ringside::ui::write_history(&app, &written).unwrap(), 0);
    let (_, d) = app.selection().expect("a frame is selected");
    let layers = d.layers.iter().map(|l| l.kind).collect();
    (s, layers)
}

#[test]
fn a_cooked_capture_is_replayed_with_its_sll_header_and_not_judged() {
    let f = sll_arp_for_the_stack();
    let (s, layers) = replay_non_ethernet(113, LinkKind::LinuxSll, &[f.clone(), f]);
    assert_eq!(layers[..2], [LayerKind::Sll, LayerKind::Arp], "{s}");
    assert!(
        s.contains("ARP"),
        "the list names the protocol inside:\n{s}"
    );
}

#[test]
fn an_sll2_capture_is_replayed_with_its_sll_header_and_not_judged() {
    let v1 = sll_arp_for_the_stack();
    // SLL2: protocol, reserved, ifindex 3, hatype 1, pkttype 1, addr len 6, address + 2 pad.
    let mut f = vec![
        0x08, 0x06, 0, 0, 0, 0, 0, 3, 0, 1, 1, 6, 2, 0, 0, 0, 0, 1, 0, 0,
    ];
    f.extend_from_slice(&v1[16..]);
    let (s, layers) = replay_non_ethernet(276, LinkKind::LinuxSll2, &[f]);
    assert_eq!(layers[..2], [LayerKind::Sll, LayerKind::Arp], "{s}");
}

#[test]
fn a_raw_ip_capture_is_replayed_ipv4_first_and_not_judged() {
    let (s, layers) = replay_non_ethernet(101, LinkKind::RawIp, &[raw_ping_for_the_stack()]);
    assert_eq!(layers[..2], [LayerKind::Ipv4, LayerKind::Icmp], "{s}");
    assert!(s.contains("ICMP"), "{s}");
}

/// `replay eth.pcap cooked.pcap`: merged by time, the Ethernet ping is judged and answered, the
/// cooked ARP request beside it is shown as cooked and not judged.
#[test]
fn a_merged_replay_judges_only_the_ethernet_frames() {
    let dir = tempfile::tempdir().unwrap();
    let (eth, cooked) = (dir.path().join("eth.pcap"), dir.path().join("cooked.pcap"));
    let cfg = StackConfig::default();
    let mut ping = Vec::new();
    let h = ringside::wire::build::EthIp {
        src_mac: [2, 0, 0, 0, 0, 1],
        dst_mac: cfg.mac,
        src_ip: [198, 51, 100, 1].into(),
        dst_ip: cfg.ip,
        ttl: 64,
        ip_id: 1,
    };
    ringside::wire::build::icmp_echo(&mut ping, &h, false, 7, 1, b"hi");
    write_pcap(&eth, 1, &[ping]);
    write_pcap(&cooked, 113, &[sll_arp_for_the_stack()]);
    let readers = [&eth, &cooked]
        .iter()
        .map(|p| CaptureReader::open(p).unwrap())
        .collect();
    let link = Box::new(ringside::link::merge::MergedLink::new(readers));
    let (got, st) = drain(ringside::capture::spawn(
        link,
        ringside::stack::Stack::new(cfg),
        ringside::cli::replay::replay_options(false),
    ));
    let judged: Vec<_> = got.iter().filter(|c| c.verdict.is_some()).collect();
    assert_eq!(judged.len(), 1, "{got:?}");
    assert_eq!(judged[0].link, LinkKind::Ethernet);
    let cooked: Vec<_> = got
        .iter()
        .filter(|c| c.link == LinkKind::LinuxSll)
        .collect();
    assert_eq!(cooked.len(), 1);
    assert_eq!(cooked[0].verdict, None);
    assert_eq!((st.counters.frames_in, st.counters.answered), (1, 1));
    assert_eq!(st.unsupported_link, 1);
}
