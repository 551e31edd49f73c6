//! Property tests: whatever arrives, the stack never panics, counts every frame exactly once,
//! and everything it sends is a well-formed frame back to the sender.
use crate::support::stack as stack_support;

use std::time::Duration;

use proptest::prelude::*;
use ringside::stack::{Outbox, Stack, StackConfig, Verdict};
use ringside::wire::build::{self, EthIp, BROADCAST_MAC};
use stack_support::*;

/// The test host, a member of VLAN 42 (the tagged seed's), so tagged frames reach IPv4 too.
fn props_cfg() -> StackConfig {
    StackConfig {
        vlans: vec![vec![42]],
        ..cfg()
    }
}

/// Valid frames of every kind the stack handles, to mutate from.
fn seeds() -> Vec<Vec<u8>> {
    let mut v = vec![
        arp_request(BROADCAST_MAC, PEER_MAC, PEER_IP, US_IP),
        arp_request(US_MAC, PEER_MAC, PEER_IP, US_IP),
        ping(&to_us(), 1, 2, b"0123456789abcdefg"),
        udp(&to_us(), 1000, 7, b"echo me"),
        udp(&to_us(), 1000, 9, b"print me"),
        udp(&to_us(), 1000, 1234, b"closed"),
    ];
    let mut padded = ping(&to_us(), 1, 2, b"");
    build::pad_to_min(&mut padded, 0);
    v.push(padded);
    let mut tagged = v[2][..12].to_vec();
    tagged.extend_from_slice(&[0x81, 0x00, 0x00, 0x2a]);
    tagged.extend_from_slice(&v[2][12..]);
    v.push(tagged);
    // The three fragments of a 3,000-byte ping.
    let data: Vec<u8> = (0..3000).map(|i| i as u8).collect();
    let mut l4 = build::icmp_echo_header(false, 5, 6, &data).to_vec();
    l4.extend_from_slice(&data);
    let h = EthIp {
        ip_id: 99,
        ..to_us()
    };
    build::ipv4_fragmented(&h, build::IP_PROTO_ICMP, &l4, 1500, &mut |f| {
        v.push(f.to_vec())
    });
    v
}

/// Check every frame the stack sent for input `input`: well-formed, within the MTU, addressed to
/// the sender (the ARP reply to the ARP sender hardware address, as RFC 826 and Linux do), with
/// the same VLAN tags; fragmented datagrams reassemble to a valid checksum.
fn check_outputs(input: &[u8], out: &Outbox, mtu: usize) {
    let l2 = l2_len(input);
    let mut fragments: Vec<Vec<u8>> = Vec::new();
    for f in out.iter() {
        let is_arp = f.len() >= l2 && f[l2 - 2..l2] == [0x08, 0x06];
        let to = if is_arp {
            &input[l2 + 8..l2 + 14]
        } else {
            &input[6..12]
        };
        assert_eq!(&f[0..6], to, "reply addressed to the sender");
        assert_eq!(&f[12..l2], &input[12..l2], "same VLAN tags");
        if let Some((iph, _)) = check_reply(f, mtu) {
            let ff = u16::from_be_bytes([iph[6], iph[7]]);
            if ff & 0x3fff != 0 {
                fragments.push(f.to_vec());
            }
        }
    }
    if !fragments.is_empty() {
        reassemble(&fragments, mtu);
    }
}

fn run(s: &mut Stack, now: Duration, f: &[u8], csum_not_ready: bool) -> Verdict {
    let mut out = Outbox::new();
    let v = s.handle_frame(now, f, csum_not_ready, &mut out);
    assert_eq!(matches!(v, Verdict::Answered(_)), !out.is_empty());
    check_outputs(f, &out, s.effective_mtu());
    v
}

/// A seed frame with some bytes overwritten and possibly cut or extended.
fn mutated() -> impl Strategy<Value = (Vec<u8>, bool)> {
    let n = seeds().len();
    (
        0..n,
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        prop::option::of(any::<prop::sample::Index>()),
        prop::collection::vec(any::<u8>(), 0..4),
        any::<bool>(),
    )
        .prop_map(|(i, edits, cut, tail, csum)| {
            let mut f = seeds().swap_remove(i);
            for (at, b) in edits {
                let k = at.index(f.len());
                f[k] = b;
            }
            if let Some(c) = cut {
                f.truncate(c.index(f.len() + 1));
            }
            f.extend_from_slice(&tail);
            (f, csum)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(f in prop::collection::vec(any::<u8>(), 0..1600), csum in any::<bool>()) {
        let mut s = Stack::new(props_cfg());
        run(&mut s, Duration::ZERO, &f, csum);
        assert_invariant(s.counters());
        prop_assert_eq!(s.counters().frames_in, 1);
    }

    #[test]
    fn arbitrary_bytes_after_our_headers_never_panic(
        seed in 0usize..3,
        tail in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        // Keep a valid Ethernet header to us so random bytes reach the ARP/IPv4 parsers.
        let mut f = US_MAC.to_vec();
        f.extend_from_slice(&PEER_MAC);
        f.extend_from_slice(&[[0x08, 0x06], [0x08, 0x00], [0x81, 0x00]][seed]);
        f.extend_from_slice(&tail);
        let mut s = Stack::new(props_cfg());
        run(&mut s, Duration::ZERO, &f, false);
        assert_invariant(s.counters());
    }

    #[test]
    fn mutated_frames_sequence_keeps_invariants(
        frames in prop::collection::vec(mutated(), 1..40),
        steps in prop::collection::vec(0u64..5_000, 40),
        mtu in prop::sample::select(vec![68usize, 576, 1500]),
    ) {
        let mut s = Stack::new(StackConfig {
            mtu,
            reassembly_mem_cap: 4096,
            arp_cache_cap: 4,
            print_keep: 2,
            ..props_cfg()
        });
        let mut now = Duration::ZERO;
        for (i, (f, csum)) in frames.iter().enumerate() {
            now += Duration::from_millis(steps[i]);
            run(&mut s, now, f, *csum);
            s.poll(now);
            prop_assert!(s.reassembly_bytes() <= 4096);
            prop_assert!(s.arp_cache(now).len() <= 4);
        }
        assert_invariant(s.counters());
        prop_assert_eq!(s.counters().frames_in, frames.len() as u64);
        prop_assert!(s.take_printed().len() <= 2);
    }
}

#[test]
fn unmutated_seeds_are_all_answered_or_delivered() {
    // Guards the property tests: the seeds do reach every handler (a seed that silently became
    // malformed would make the mutation tests shallow).
    let mut s = Stack::new(props_cfg());
    let verdicts: Vec<String> = seeds()
        .iter()
        .map(|f| run(&mut s, Duration::ZERO, f, false).name().to_string())
        .collect();
    assert_eq!(
        verdicts,
        [
            "arp_reply",
            "arp_reply",
            "echo_reply",
            "udp_echo",
            "udp_delivered",
            "port_unreachable",
            "echo_reply",
            "echo_reply",
            "fragment_held",
            "fragment_held",
            "echo_reply",
        ]
    );
}
