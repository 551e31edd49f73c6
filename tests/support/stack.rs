//! Shared by the tests/stack_*.rs integration tests: a configured stack, frame builders for the
//! peer's side, and checks every reply must pass.
#![allow(dead_code)] // each test binary uses a different subset

use std::net::Ipv4Addr;
use std::time::Duration;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use ringside::stack::{Counters, DropReason, Outbox, Stack, StackConfig, Verdict};
use ringside::wire::build::{self, EthIp};

pub const US_MAC: [u8; 6] = [0x02, 0x52, 0x53, 0x00, 0x00, 0x02];
pub const US_IP: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 2);
pub const PEER_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
pub const PEER_IP: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);

pub fn cfg() -> StackConfig {
    let c = StackConfig::default();
    assert_eq!((c.ip, c.mac, c.prefix), (US_IP, US_MAC, 24));
    c
}

pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Peer → us addressing with a recognisable IP id.
pub fn to_us() -> EthIp {
    EthIp {
        src_mac: PEER_MAC,
        dst_mac: US_MAC,
        src_ip: PEER_IP,
        dst_ip: US_IP,
        ttl: 64,
        ip_id: 0x4242,
    }
}

pub fn frame(f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut v = Vec::new();
    f(&mut v);
    v
}

pub fn ping(h: &EthIp, ident: u16, seq: u16, data: &[u8]) -> Vec<u8> {
    frame(|b| build::icmp_echo(b, h, false, ident, seq, data))
}

pub fn udp(h: &EthIp, sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    frame(|b| build::udp(b, h, sport, dport, payload))
}

pub fn arp_request(eth_dst: [u8; 6], sha: [u8; 6], spa: Ipv4Addr, tpa: Ipv4Addr) -> Vec<u8> {
    frame(|b| build::arp(b, eth_dst, build::ARP_REQUEST, sha, spa, [0; 6], tpa))
}

/// Rewrite the IPv4 header checksum of the frame's (untagged) IPv4 header after editing it.
pub fn fix_ip_checksum(f: &mut [u8]) {
    let ihl = usize::from(f[14] & 0x0f) * 4;
    f[24] = 0;
    f[25] = 0;
    let c = build::internet_checksum(&f[14..14 + ihl]);
    f[24..26].copy_from_slice(&c.to_be_bytes());
}

/// Feed one frame; return the verdict and the reply frames. Checks the counter invariant.
pub fn feed(s: &mut Stack, now: Duration, f: &[u8]) -> (Verdict, Vec<Vec<u8>>) {
    feed_csum(s, now, f, false)
}

pub fn feed_csum(
    s: &mut Stack,
    now: Duration,
    f: &[u8],
    csum_not_ready: bool,
) -> (Verdict, Vec<Vec<u8>>) {
    let mut out = Outbox::new();
    let before = s.counters().clone();
    let v = s.handle_frame(now, f, csum_not_ready, &mut out);
    let after = s.counters();
    assert_eq!(after.frames_in, before.frames_in + 1, "counted once");
    assert_eq!(
        after.frames_out,
        before.frames_out + out.len() as u64,
        "frames out counted"
    );
    match v {
        Verdict::Answered(_) => assert!(!out.is_empty(), "answered means something was sent"),
        Verdict::NoReply(r) => {
            assert!(out.is_empty(), "{r:?} but sent {} frames", out.len());
            assert_eq!(after.no_reply(r), before.no_reply(r) + 1);
        }
    }
    assert_invariant(after);
    (v, out.iter().map(<[u8]>::to_vec).collect())
}

pub fn assert_invariant(c: &Counters) {
    let dropped: u64 = DropReason::ALL.iter().map(|r| c.no_reply(*r)).sum();
    assert_eq!(
        c.frames_in,
        c.answered + dropped,
        "frames_in == answered + Σ no_reply"
    );
}

/// The Ethernet header length of `f` including VLAN tags.
pub fn l2_len(f: &[u8]) -> usize {
    let mut at = 12;
    while f.len() >= at + 2 && ringside::wire::is_vlan_tpid(u16::from_be_bytes([f[at], f[at + 1]]))
    {
        at += 4;
    }
    at + 2
}

/// What a reply frame must always be: parseable, within the MTU, IPv4 header checksum valid,
/// and (for unfragmented datagrams) a valid ICMP/UDP checksum. Returns the IPv4 header and
/// payload for IPv4 frames.
pub fn check_reply(f: &[u8], mtu: usize) -> Option<(Vec<u8>, Vec<u8>)> {
    let l2 = l2_len(f);
    assert!(
        f.len() <= l2 + mtu,
        "frame of {} bytes over MTU {mtu}",
        f.len()
    );
    assert_eq!(&f[6..12], &US_MAC, "sent from our MAC");
    let p = SlicedPacket::from_ethernet(f).expect("reply parses");
    match p.net {
        Some(NetSlice::Arp(a)) => {
            assert_eq!(f.len(), l2 + 28, "ARP reply unpadded");
            assert_eq!(a.operation(), etherparse::ArpOperation::REPLY);
            assert_eq!(a.sender_hw_addr(), &US_MAC);
            assert_eq!(a.sender_protocol_addr(), &US_IP.octets());
            assert_eq!(
                a.target_hw_addr(),
                &f[0..6],
                "ARP reply to the target's MAC"
            );
            None
        }
        Some(NetSlice::Ipv4(ip)) => {
            let h = ip.header();
            assert_eq!(
                build::internet_checksum(h.slice()),
                0,
                "IPv4 header checksum"
            );
            assert_eq!(
                usize::from(h.total_len()),
                f.len() - l2,
                "no padding in replies"
            );
            assert_eq!(h.source(), US_IP.octets());
            assert!(h.ttl() > 0);
            if !h.is_fragmenting_payload() {
                check_l4(h.slice(), ip.payload().payload);
                match p.transport {
                    Some(TransportSlice::Icmpv4(_)) | Some(TransportSlice::Udp(_)) => {}
                    other => panic!("unexpected transport {other:?}"),
                }
            }
            Some((h.slice().to_vec(), ip.payload().payload.to_vec()))
        }
        other => panic!("reply is neither ARP nor IPv4: {other:?}"),
    }
}

/// Check the ICMP or UDP checksum of a whole datagram.
pub fn check_l4(ip_header: &[u8], l4: &[u8]) {
    let src = Ipv4Addr::new(ip_header[12], ip_header[13], ip_header[14], ip_header[15]);
    let dst = Ipv4Addr::new(ip_header[16], ip_header[17], ip_header[18], ip_header[19]);
    match ip_header[9] {
        build::IP_PROTO_ICMP => assert_eq!(build::internet_checksum(l4), 0, "ICMP checksum"),
        build::IP_PROTO_UDP => {
            let len = u16::from_be_bytes([l4[4], l4[5]]);
            assert_eq!(usize::from(len), l4.len(), "UDP length");
            assert_ne!(
                u16::from_be_bytes([l4[6], l4[7]]),
                0,
                "we always send a UDP checksum"
            );
            let mut c = build::pseudo_header(src, dst, build::IP_PROTO_UDP, len);
            assert_eq!(c.add(l4).finish(), 0, "UDP checksum");
        }
        p => panic!("we never send protocol {p}"),
    }
}

/// Reassemble reply fragments (all of one datagram, any order): returns (first header, L4),
/// after checking offsets are contiguous, MF is set on all but the last, and non-last fragments
/// carry multiples of 8 bytes.
pub fn reassemble(frames: &[Vec<u8>], mtu: usize) -> (Vec<u8>, Vec<u8>) {
    let mut parts: Vec<(usize, bool, Vec<u8>, Vec<u8>)> = frames
        .iter()
        .map(|f| {
            let (h, p) = check_reply(f, mtu).expect("IPv4");
            let ff = u16::from_be_bytes([h[6], h[7]]);
            (usize::from(ff & 0x1fff) * 8, ff & 0x2000 != 0, h, p)
        })
        .collect();
    parts.sort_by_key(|p| p.0);
    let id = &parts[0].2[4..6].to_vec();
    let mut l4 = Vec::new();
    for (i, (off, mf, h, p)) in parts.iter().enumerate() {
        assert_eq!(&h[4..6], &id[..], "one IP id");
        assert_eq!(*off, l4.len(), "contiguous offsets");
        assert_eq!(*mf, i + 1 < parts.len(), "MF on all but the last");
        if *mf {
            assert_eq!(p.len() % 8, 0);
        }
        l4.extend_from_slice(p);
    }
    let first = parts[0].2.clone();
    check_l4(&first, &l4);
    (first, l4)
}

pub use super::rng::Rng;
