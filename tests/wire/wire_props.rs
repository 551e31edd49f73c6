//! Property tests: the dissector takes any byte string without panicking, and what it reports is
//! always inside the frame and in wire order (the UI slices the frame with these ranges).
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use ringside::wire::{Dissection, LayerKind};

fn assert_consistent(frame: &[u8], d: &Dissection) {
    let mut prev_end = 0;
    for l in &d.layers {
        assert!(
            l.bytes.start <= l.bytes.end && l.bytes.end <= frame.len(),
            "{l:?}"
        );
        assert!(
            l.bytes.start >= prev_end || l.kind == LayerKind::Payload,
            "layers out of order: {:?}",
            d.layers
        );
        prev_end = l.bytes.start;
        for f in d.layer_fields(l) {
            assert!(
                f.byte_range().end <= frame.len(),
                "{} outside the frame",
                f.key
            );
            assert!(f.bit_len > 0);
        }
    }
    assert_eq!(
        d.fields.len(),
        d.layers.iter().map(|l| l.fields.len()).sum::<usize>()
    );
    let _ = d.summary();
}

/// Frames that look like the real thing (Ethernet + IPv4/ARP/VLAN prefixes) then random bytes,
/// so the generator reaches deep layers, not just "unknown ethertype". For IPv4, `rest` starts
/// right after the version/IHL byte: rest[0] is TOS, rest[1..3] the total length, rest[3..5] the
/// id, rest[5..7] flags and fragment offset, rest[7] TTL, rest[8] the protocol, rest[9..11] the
/// header checksum.
fn plausible_frame() -> impl Strategy<Value = Vec<u8>> {
    let prefix = prop_oneof![
        Just(vec![0x08, 0x00, 0x45]),
        Just(vec![0x08, 0x00, 0x46]),
        Just(vec![0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04]),
        Just(vec![0x81, 0x00, 0x00, 0x05, 0x08, 0x00, 0x45]),
        Just(vec![
            0x81, 0x00, 0x00, 0x05, 0x81, 0x00, 0x00, 0x06, 0x81, 0x00, 0x00, 0x07, 0x81, 0x00
        ]),
        Just(vec![]),
    ];
    (
        proptest::collection::vec(any::<u8>(), 12),
        prefix,
        proptest::collection::vec(any::<u8>(), 0..120),
        any::<u8>(),
        any::<u8>(),
    )
        .prop_map(|(macs, prefix, mut rest, proto, knob)| {
            let mut f = macs;
            f.extend_from_slice(&prefix);
            if matches!(prefix.last(), Some(0x45 | 0x46)) && rest.len() > 8 {
                rest[8] = [1, 17, 6, proto][proto as usize % 4]; // protocol
                match knob % 8 {
                    // Mostly whole datagrams (offset 0, MF clear, DF either way)...
                    0..=5 => (rest[5], rest[6]) = (rest[5] & 0x40, 0),
                    // ...some first fragments (MF set)...
                    6 => (rest[5], rest[6]) = (rest[5] & 0x40 | 0x20, 0),
                    // ...and some anything: later fragments, the reserved flag.
                    _ => {}
                }
                // Total length from the version/IHL byte on: mostly true (to the end of the
                // frame, or short of it with a trailer), sometimes whatever the bytes were.
                let ip_len = 1 + rest.len();
                let total = match (knob >> 3) % 4 {
                    0 | 1 => ip_len,
                    2 => ip_len.saturating_sub(usize::from(knob >> 5) * 3),
                    _ => usize::from(u16::from_be_bytes([rest[1], rest[2]])),
                };
                rest[1..3].copy_from_slice(&(total as u16).to_be_bytes());
                // A correct header checksum half the time, when the header is all there.
                let ihl = usize::from(prefix[prefix.len() - 1] & 0x0f) * 4;
                if knob & 0x80 != 0 && ip_len >= ihl {
                    let mut hdr = vec![prefix[prefix.len() - 1]];
                    hdr.extend_from_slice(&rest[..ihl - 1]);
                    hdr[10..12].fill(0);
                    let c = ringside::wire::build::internet_checksum(&hdr);
                    rest[9..11].copy_from_slice(&c.to_be_bytes());
                }
            }
            f.extend_from_slice(&rest);
            f
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn any_bytes_dissect_without_panic(frame in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut d = Dissection::default();
        d.parse(&frame, false);
        assert_consistent(&frame, &d);
    }

    /// Every link type ringside reads, on any bytes (a cooked header or bare IP that lies).
    #[test]
    fn any_bytes_of_any_link_type_dissect_without_panic(
        frame in proptest::collection::vec(any::<u8>(), 0..200),
        link in 0usize..4,
    ) {
        use ringside::wire::LinkKind;
        let link = [LinkKind::Ethernet, LinkKind::LinuxSll, LinkKind::LinuxSll2, LinkKind::RawIp][link];
        let mut d = Dissection::default();
        d.parse_link(&frame, link, false);
        assert_consistent(&frame, &d);
        let _ = d.summary();
    }

    /// An IPv6 header in front of any bytes: extension header chains, ICMPv6 and ND options that
    /// lie about their lengths.
    #[test]
    fn any_ipv6_payload_dissects_without_panic(
        nxt in prop_oneof![Just(0u8), Just(43), Just(44), Just(60), Just(58), Just(17)],
        plen in any::<u16>(),
        body in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut frame = vec![0x33, 0x33, 0, 0, 0, 1, 2, 0, 0, 0, 0, 1, 0x86, 0xdd, 0x60, 0, 0, 0];
        frame.extend_from_slice(&plen.to_be_bytes());
        frame.extend_from_slice(&[nxt, 255]);
        frame.extend_from_slice(&[0xfe; 32]);
        frame.extend_from_slice(&body);
        let d = ringside::wire::dissect(&frame);
        assert_consistent(&frame, &d);
        let _ = d.summary();
    }

    #[test]
    fn plausible_frames_dissect_consistently(frame in plausible_frame(), offload in any::<bool>()) {
        let mut d = Dissection::default();
        d.parse(&frame, offload);
        assert_consistent(&frame, &d);
        // Reusing the same Dissection gives the same answer as a fresh one.
        let fresh = ringside::wire::dissect(&frame);
        if !offload {
            prop_assert_eq!(&fresh, &d);
        }
    }
}

/// Of `n` frames from [`plausible_frame`] (fixed seed), how many the dissector takes down to a
/// UDP layer and to an ICMP layer.
fn depth_reached(n: usize) -> (usize, usize) {
    let mut runner = TestRunner::deterministic();
    let strategy = plausible_frame();
    let (mut udp, mut icmp) = (0, 0);
    for _ in 0..n {
        let frame = strategy.new_tree(&mut runner).expect("a frame").current();
        let d = ringside::wire::dissect(&frame);
        let has = |k| d.layers.iter().any(|l| l.kind == k);
        udp += usize::from(has(LayerKind::Udp));
        icmp += usize::from(has(LayerKind::Icmp));
    }
    (udp, icmp)
}

/// The property tests above are only worth their cases if the generator gets past IPv4: a
/// generator patching the wrong header bytes once made them decode almost no UDP or ICMP.
#[test]
fn plausible_frames_reach_udp_and_icmp() {
    let n = 4000;
    let (udp, icmp) = depth_reached(n);
    eprintln!("{n} frames: {udp} with UDP, {icmp} with ICMP");
    assert!(udp >= n / 20, "only {udp} of {n} frames reach UDP");
    assert!(icmp >= n / 20, "only {icmp} of {n} frames reach ICMP");
}
