//! Property tests: the dissector takes any byte string without panicking, and what it reports is
//! always inside the frame and in wire order (the UI slices the frame with these ranges).
use proptest::prelude::*;
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
/// so the generator reaches deep layers, not just "unknown ethertype".
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
    )
        .prop_map(|(macs, prefix, mut rest, proto)| {
            let mut f = macs;
            f.extend_from_slice(&prefix);
            if prefix.last() == Some(&0x45) && rest.len() > 8 {
                rest[6] = [1, 17, 6, proto][proto as usize % 4]; // protocol byte
                rest[3] &= 0x1f; // mostly first fragments
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
