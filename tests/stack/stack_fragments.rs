//! Fragment reassembly and reply fragmentation, and the resource bounds under floods.
use crate::support::stack as stack_support;

use std::net::Ipv4Addr;
use std::time::Duration;

use ringside::stack::{Answer, DropReason, Stack, StackConfig, Verdict};
use ringside::wire::build::{self, EthIp, BROADCAST_MAC};
use stack_support::*;

const T0: Duration = Duration::ZERO;

fn held() -> Verdict {
    Verdict::NoReply(DropReason::FragmentHeld)
}
fn rejected() -> Verdict {
    Verdict::NoReply(DropReason::FragmentRejected)
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// An echo request of `data`, as the peer's kernel would fragment it at `mtu`.
fn ping_fragments(h: &EthIp, ident: u16, seq: u16, data: &[u8], mtu: usize) -> Vec<Vec<u8>> {
    let mut l4 = build::icmp_echo_header(false, ident, seq, data).to_vec();
    l4.extend_from_slice(data);
    let mut frames = Vec::new();
    build::ipv4_fragmented(h, build::IP_PROTO_ICMP, &l4, mtu, &mut |f| {
        frames.push(f.to_vec())
    });
    frames
}

fn udp_fragments(h: &EthIp, sport: u16, dport: u16, payload: &[u8], mtu: usize) -> Vec<Vec<u8>> {
    let mut l4 = build::udp_header(h.src_ip, h.dst_ip, sport, dport, payload).to_vec();
    l4.extend_from_slice(payload);
    let mut frames = Vec::new();
    build::ipv4_fragmented(h, build::IP_PROTO_UDP, &l4, mtu, &mut |f| {
        frames.push(f.to_vec())
    });
    frames
}

/// Feed fragments in the given order: all but the last are held, the last gets `last`.
fn feed_all(s: &mut Stack, frames: &[Vec<u8>], order: &[usize], last: Verdict) -> Vec<Vec<u8>> {
    for (k, &i) in order.iter().enumerate() {
        let before = s.reassembly_bytes();
        let (v, out) = feed(s, T0, &frames[i]);
        if k + 1 < order.len() {
            assert_eq!(v, held(), "fragment {i} ({k}th fed)");
            assert!(s.reassembly_bytes() > before, "held fragment accounted");
        } else {
            assert_eq!(v, last);
            let freed = before - s.reassembly_bytes();
            // What was held: every fragment but this one, plus the first fragment's header.
            let held_frags = &order[..k];
            let data: usize = held_frags.iter().map(|&j| frames[j].len() - 34).sum();
            let header = if held_frags.contains(&0) { 20 } else { 0 };
            let overhead = held_frags.len() * ringside::stack::FRAGMENT_OVERHEAD;
            assert_eq!(
                freed,
                data + header + overhead,
                "completed datagram released"
            );
            return out;
        }
    }
    unreachable!("no fragments")
}

fn check_big_echo_reply(out: &[Vec<u8>], data: &[u8], mtu: usize) {
    assert_eq!(out.len(), (8 + data.len()).div_ceil((mtu - 20) & !7));
    for f in out {
        assert_eq!(&f[0..6], &PEER_MAC);
        assert!(f.len() <= 14 + mtu);
    }
    let (iph, l4) = reassemble(out, mtu);
    assert_eq!(&iph[16..20], &PEER_IP.octets());
    assert_eq!(iph[6] & 0x40, 0, "DF clear on a fragmented reply");
    assert_eq!(&l4[0..2], &[0, 0], "echo reply");
    assert_eq!(&l4[4..8], &[0xab, 0xcd, 0x00, 0x01], "ident and seq kept");
    assert_eq!(&l4[8..], data, "data echoed exactly");
}

#[test]
fn ping_65000_reassembled_answered_and_reply_fragmented_to_mtu() {
    let data = pattern(65_000);
    let frames = ping_fragments(&to_us(), 0xabcd, 1, &data, 1500);
    assert_eq!(
        frames.len(),
        44,
        "65,008 ICMP bytes in 1,480-byte fragments"
    );
    let mut s = Stack::new(cfg());
    let order: Vec<usize> = (0..frames.len()).collect();
    let out = feed_all(
        &mut s,
        &frames,
        &order,
        Verdict::Answered(Answer::EchoReply),
    );
    check_big_echo_reply(&out, &data, 1500);
    let c = s.counters();
    assert_eq!((c.frames_in, c.answered, c.frames_out), (44, 1, 44));
    assert_eq!(c.no_reply(DropReason::FragmentHeld), 43);
}

#[test]
fn out_of_order_fragments_and_small_mtu_reply() {
    let data = pattern(9_001);
    let frames = ping_fragments(&to_us(), 0xabcd, 1, &data, 1500);
    // Last fragment first, then a scramble (deterministic).
    let mut order: Vec<usize> = (0..frames.len()).rev().collect();
    order.swap(2, 5);
    let mut s = Stack::new(StackConfig { mtu: 576, ..cfg() });
    let out = feed_all(
        &mut s,
        &frames,
        &order,
        Verdict::Answered(Answer::EchoReply),
    );
    check_big_echo_reply(&out, &data, 576);
}

#[test]
fn reassembled_udp_echo_and_closed_port() {
    let payload = pattern(4000);
    let mut s = Stack::new(cfg());
    let frames = udp_fragments(&to_us(), 5555, 7, &payload, 1500);
    let order: Vec<usize> = (0..frames.len()).collect();
    let out = feed_all(&mut s, &frames, &order, Verdict::Answered(Answer::UdpEcho));
    let (_, l4) = reassemble(&out, 1500);
    assert_eq!(&l4[0..4], &[0, 7, 0x15, 0xb3]);
    assert_eq!(&l4[8..], &payload[..]);

    // To a closed port: the error quotes the first fragment's header and the UDP header.
    let h = EthIp {
        ip_id: 77,
        ..to_us()
    };
    let frames = udp_fragments(&h, 5555, 4321, &payload, 1500);
    let out = feed_all(
        &mut s,
        &frames,
        &[2, 0, 1],
        Verdict::Answered(Answer::PortUnreachable),
    );
    assert_eq!(out.len(), 1);
    let (_, l4) = check_reply(&out[0], 1500).unwrap();
    assert_eq!(&l4[0..2], &[3, 3]);
    assert_eq!(&l4[8..], &frames[0][14..14 + 28]);
}

#[test]
fn overlapping_fragment_kills_the_datagram() {
    let data = pattern(3000);
    let frames = ping_fragments(&to_us(), 0xabcd, 1, &data, 1500);
    assert_eq!(frames.len(), 3);
    let mut s = Stack::new(cfg());
    assert_eq!(feed(&mut s, T0, &frames[0]).0, held());
    // A fragment at offset 8 overlapping the first one's 1480 bytes, with different data.
    let h = to_us();
    let d = build::Ipv4Datagram {
        eth_ip: &h,
        vlan_tags: &[],
        protocol: build::IP_PROTO_ICMP,
        dont_fragment: false,
        l4: [&[0x66; 1488], &[]],
    };
    let mut evil = Vec::new();
    d.write_fragment(&mut evil, 1500, 0);
    evil[14 + 6..14 + 8].copy_from_slice(&(0x2000u16 | 1).to_be_bytes()); // MF, offset 8
    fix_ip_checksum(&mut evil);
    assert_eq!(feed(&mut s, T0, &evil).0, rejected());
    assert_eq!(s.reassembly_bytes(), 0, "everything of that datagram freed");
    // The genuine rest can no longer complete it.
    for f in &frames[1..] {
        let (v, out) = feed(&mut s, T0, f);
        assert_eq!((v, out.len()), (rejected(), 0));
    }
    assert_eq!(s.counters().answered, 0);
}

#[test]
fn duplicate_fragment_dropped_but_datagram_completes() {
    let data = pattern(3000);
    let frames = ping_fragments(&to_us(), 0xabcd, 1, &data, 1500);
    let mut s = Stack::new(cfg());
    assert_eq!(feed(&mut s, T0, &frames[1]).0, held());
    assert_eq!(feed(&mut s, T0, &frames[1]).0, rejected());
    assert_eq!(feed(&mut s, T0, &frames[0]).0, held());
    let (v, out) = feed(&mut s, T0, &frames[2]);
    assert_eq!(v, Verdict::Answered(Answer::EchoReply));
    check_big_echo_reply(&out, &data, 1500);
}

#[test]
fn ping_of_death_refused() {
    // A last fragment at offset 65,528 with 16 bytes: the datagram would be 65,564 bytes.
    let h = to_us();
    let d = build::Ipv4Datagram {
        eth_ip: &h,
        vlan_tags: &[],
        protocol: build::IP_PROTO_ICMP,
        dont_fragment: false,
        l4: [&[0; 16], &[]],
    };
    let mut f = Vec::new();
    d.write_fragment(&mut f, 1500, 0);
    f[14 + 6..14 + 8].copy_from_slice(&(65_528u16 / 8).to_be_bytes());
    fix_ip_checksum(&mut f);
    let mut s = Stack::new(cfg());
    assert_eq!(feed(&mut s, T0, &f).0, rejected());
    assert_eq!(s.reassembly_bytes(), 0);
}

/// `f` (an untagged IPv4 frame) with `n` bytes of NOP options added to its header.
fn with_ip_options(f: &[u8], n: usize) -> Vec<u8> {
    assert!(n.is_multiple_of(4) && n <= 40);
    let mut g = f[..34].to_vec();
    g.extend(std::iter::repeat_n(1u8, n)); // NOP
    g.extend_from_slice(&f[34..]);
    g[14] = 0x45 + (n / 4) as u8;
    let total = u16::from_be_bytes([g[16], g[17]]) + n as u16;
    g[16..18].copy_from_slice(&total.to_be_bytes());
    fix_ip_checksum(&mut g);
    g
}

#[test]
fn options_in_the_first_fragment_count_towards_65535() {
    // 65,515 bytes of ICMP: with a 20-byte header exactly 65,535, with the first fragment's
    // 60-byte header (40 bytes of options) 65,575. Such a datagram must not be answered, in
    // whatever order the fragments come; 40 bytes less is fine.
    for (data_len, answered) in [(65_507, false), (65_467, true)] {
        let data = pattern(data_len);
        let mut frames = ping_fragments(&to_us(), 0xabcd, 1, &data, 1460);
        frames[0] = with_ip_options(&frames[0], 40);
        let n = frames.len();
        let mut reversed: Vec<usize> = (0..n).rev().collect();
        reversed.swap(n / 2, n - 1); // first fragment in the middle: rest refused
        for order in [(0..n).collect::<Vec<_>>(), reversed] {
            let mut s = Stack::new(cfg());
            let mut replies = Vec::new();
            for &i in &order {
                let (v, out) = feed(&mut s, T0, &frames[i]);
                if !answered {
                    assert!(v == held() || v == rejected(), "fragment {i}: {v:?}");
                }
                replies.extend(out);
            }
            if answered {
                check_big_echo_reply(&replies, &data, 1500);
            } else {
                assert!(replies.is_empty(), "{} reply frames", replies.len());
                assert!(s.counters().no_reply(DropReason::FragmentRejected) >= 1);
            }
            assert_eq!(s.reassembly_bytes(), 0, "nothing left held");
        }
    }
}

#[test]
fn reassembly_times_out() {
    let data = pattern(3000);
    let frames = ping_fragments(&to_us(), 0xabcd, 1, &data, 1500);
    let mut s = Stack::new(StackConfig {
        reassembly_timeout: Duration::from_secs(30),
        ..cfg()
    });
    feed(&mut s, T0, &frames[0]);
    feed(&mut s, T0, &frames[1]);
    s.poll(Duration::from_secs(29));
    assert!(s.reassembly_bytes() > 0, "still waiting before the timeout");
    s.poll(Duration::from_secs(30));
    assert_eq!(s.reassembly_bytes(), 0);
    assert_eq!(s.reassemblies(), 0);
    // The straggler starts a new reassembly that cannot complete: held, no reply.
    let (v, out) = feed(&mut s, Duration::from_secs(31), &frames[2]);
    assert_eq!((v, out.len()), (held(), 0));
}

#[test]
fn fragments_from_martians_not_for_us_or_in_link_broadcasts_are_not_held() {
    let data = pattern(3000);
    let mut s = Stack::new(cfg());
    let h = EthIp {
        src_ip: Ipv4Addr::new(240, 0, 0, 1),
        ..to_us()
    };
    let f = ping_fragments(&h, 1, 1, &data, 1500);
    assert_eq!(
        feed(&mut s, T0, &f[0]).0,
        Verdict::NoReply(DropReason::MartianSource)
    );
    let h = EthIp {
        dst_ip: Ipv4Addr::new(203, 0, 113, 9),
        ..to_us()
    };
    let f = ping_fragments(&h, 1, 1, &data, 1500);
    assert_eq!(
        feed(&mut s, T0, &f[0]).0,
        Verdict::NoReply(DropReason::NotForUs)
    );
    // To our unicast IP in link-layer broadcasts (RFC 1122 §3.3.6): discarded, never held, so
    // a closed port gets no unreachable once the datagram would be complete.
    let h = EthIp {
        dst_mac: BROADCAST_MAC,
        ..to_us()
    };
    for f in udp_fragments(&h, 5555, 4321, &data, 1500) {
        let (v, out) = feed(&mut s, T0, &f);
        assert_eq!((v, out.len()), (Verdict::NoReply(DropReason::NotForUs), 0));
    }
    assert_eq!(s.reassembly_bytes(), 0);
}

#[test]
fn flood_of_never_completing_fragments_stays_under_the_cap() {
    let cap = 256 * 1024;
    let mut s = Stack::new(StackConfig {
        reassembly_mem_cap: cap,
        ..cfg()
    });
    let mut rng = Rng::new(0x1234_5678_9abc_def1);
    let mut buf = Vec::new();
    let payload = [0x5au8; 1480];
    let (mut held_n, mut rejected_n) = (0u64, 0u64);
    for i in 0..100_000u64 {
        let h = EthIp {
            src_ip: Ipv4Addr::from(0x0a00_0000 | (rng.below(1 << 16) as u32)),
            ip_id: rng.next_u64() as u16,
            ..to_us()
        };
        // A fragment somewhere in the middle (MF set), 8..1480 bytes: never a whole datagram.
        let len = (1 + rng.below(185) as usize) * 8;
        let offset = (1 + rng.below(8000)) as u16;
        let d = build::Ipv4Datagram {
            eth_ip: &h,
            vlan_tags: &[],
            protocol: build::IP_PROTO_UDP,
            dont_fragment: false,
            l4: [&payload[..len], &[]],
        };
        buf.clear();
        d.write_fragment(&mut buf, 1500, 0);
        buf[14 + 6..14 + 8].copy_from_slice(&(0x2000 | offset).to_be_bytes());
        fix_ip_checksum(&mut buf);
        let mut out = ringside::stack::Outbox::new();
        match s.handle_frame(Duration::from_millis(i), &buf, false, &mut out) {
            Verdict::NoReply(DropReason::FragmentHeld) => held_n += 1,
            Verdict::NoReply(DropReason::FragmentRejected) => rejected_n += 1,
            v => panic!("unexpected {v:?}"),
        }
        assert!(out.is_empty());
        assert!(
            s.reassembly_bytes() <= cap,
            "{} > {cap}",
            s.reassembly_bytes()
        );
        assert!(s.reassemblies() <= ringside::stack::MAX_REASSEMBLIES);
    }
    assert!(
        held_n > 90_000,
        "fragments were held ({held_n}), evicting older ones"
    );
    assert_invariant(s.counters());
    assert_eq!(s.counters().frames_in, held_n + rejected_n);
    // The stack still works: a fresh fragmented ping completes.
    let data = pattern(3000);
    let frames = ping_fragments(&to_us(), 0xabcd, 1, &data, 1500);
    let order: Vec<usize> = (0..frames.len()).collect();
    feed_all(
        &mut s,
        &frames,
        &order,
        Verdict::Answered(Answer::EchoReply),
    );
}

#[test]
fn flood_of_arp_requests_from_random_senders_keeps_the_cache_capped() {
    let cap = 256;
    let mut s = Stack::new(StackConfig {
        arp_cache_cap: cap,
        ..cfg()
    });
    let mut rng = Rng::new(42);
    let mut out = ringside::stack::Outbox::new();
    for i in 0..100_000u64 {
        let mut mac = (rng.next_u64() << 16).to_be_bytes()[..6]
            .try_into()
            .unwrap_or([2; 6]);
        mac[0] = (mac[0] & 0xfe) | 0x02; // unicast, locally administered
        if mac == [0x02, 0, 0, 0, 0, 0] {
            mac[5] = 1;
        }
        let spa = Ipv4Addr::from(0x0a00_0001 + rng.below(1 << 24) as u32);
        let req = arp_request(BROADCAST_MAC, mac, spa, US_IP);
        out.clear();
        let now = Duration::from_micros(i);
        let v = s.handle_frame(now, &req, false, &mut out);
        assert_eq!(v, Verdict::Answered(Answer::ArpReply));
        if i % 1000 == 0 {
            assert!(s.arp_cache(now).len() <= cap);
        }
    }
    let now = Duration::from_micros(100_000);
    let cache = s.arp_cache(now);
    assert_eq!(cache.len(), cap, "full, not over");
    // The newest senders are the ones kept: every entry is younger than the flood's last cap+slack.
    assert!(
        cache.iter().all(|e| e.age < 0.001),
        "only recent senders remain"
    );
    assert_eq!(s.counters().answered, 100_000);
    assert_invariant(s.counters());
}
