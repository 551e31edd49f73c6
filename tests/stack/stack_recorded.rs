//! Stack goldens against RECORDED bytes: each request's replies are compared with a snapshot of
//! their bytes (hex) and their dissection, not rebuilt with the builders the stack itself uses
//! (`tests/stack/stack_golden.rs` does that, so a bug shared by a builder and the stack would pass it).
//!
//! The snapshots in `tests/stack/snapshots/stack__stack_recorded__*.snap` were recorded from the stack and
//! checked once by hand and with tshark (every checksum "good", the fields as ping, arping and
//! nc would expect). A change to any reply byte fails here; if it is intended, review the diff
//! with `cargo insta review` and say why in the commit.
use crate::support::stack as stack_support;

use std::fmt::Write;

use ringside::stack::{Stack, StackConfig};
use ringside::wire::build::{self, EthIp, Ipv4Datagram, BROADCAST_MAC};
use ringside::wire::{dissect, Check};
use stack_support::*;

const T0: std::time::Duration = std::time::Duration::ZERO;

/// One exchange as text: the request's summary, the verdict, then each reply's summary, its
/// checksums and its bytes, 16 per line as `tcpdump -xx` shows them.
fn record(title: &str, s: &mut Stack, request: &[u8]) -> String {
    let mut t = String::new();
    let rq = dissect(request).summary();
    let (v, out) = feed(s, T0, request);
    writeln!(t, "# {title}").unwrap();
    writeln!(
        t,
        "request: {} {} > {}: {}",
        rq.protocol, rq.src, rq.dst, rq.info
    )
    .unwrap();
    writeln!(t, "verdict: {v:?}").unwrap();
    for (i, f) in out.iter().enumerate() {
        let d = dissect(f);
        let sm = d.summary();
        writeln!(
            t,
            "reply {}: {} bytes, {} {} > {}: {}",
            i + 1,
            f.len(),
            sm.protocol,
            sm.src,
            sm.dst,
            sm.info
        )
        .unwrap();
        let checks: Vec<String> = d
            .fields
            .iter()
            .filter_map(|fl| fl.check.map(|c| format!("{}={}", fl.key, c.name())))
            .collect();
        writeln!(t, "checksums: {}", checks.join(" ")).unwrap();
        // Every checksum the stack writes must verify (a zero UDP checksum is never sent).
        for fl in &d.fields {
            assert!(
                matches!(fl.check, None | Some(Check::Good) | Some(Check::Unverified)),
                "{title}: reply {} {} is {:?}",
                i + 1,
                fl.key,
                fl.check
            );
        }
        assert!(d.problems.is_empty(), "{title}: {:?}", d.problems);
        for (n, line) in f.chunks(16).enumerate() {
            let hex: Vec<String> = line.iter().map(|b| format!("{b:02x}")).collect();
            writeln!(t, "{:04x}  {}", n * 16, hex.join(" ")).unwrap();
        }
    }
    t
}

/// iputils ping's 56 data bytes: a struct timeval, then 0x10, 0x11, ...
fn ping_data() -> Vec<u8> {
    let mut d = vec![0u8; 56];
    d[..8].copy_from_slice(&1_700_000_000u64.to_le_bytes());
    d[8..16].copy_from_slice(&123_456u64.to_le_bytes());
    for (i, b) in d[16..].iter_mut().enumerate() {
        *b = 0x10 + i as u8;
    }
    d
}

#[test]
fn arp_replies() {
    let mut s = Stack::new(cfg());
    let mut t = record(
        "broadcast ARP request for our address",
        &mut s,
        &arp_request(BROADCAST_MAC, PEER_MAC, PEER_IP, US_IP),
    );
    t += &record(
        "RFC 5227 probe (sender 0.0.0.0)",
        &mut s,
        &arp_request(
            BROADCAST_MAC,
            PEER_MAC,
            std::net::Ipv4Addr::UNSPECIFIED,
            US_IP,
        ),
    );
    let mut tagged = Stack::new(StackConfig {
        vlans: vec![vec![100]],
        ..cfg()
    });
    let mut req = frame(|b| {
        build::ethernet(
            b,
            BROADCAST_MAC,
            PEER_MAC,
            &[0x81, 0x00, 0x60, 0x64], // 802.1Q, PCP 3, VID 100
            build::ETHERTYPE_ARP,
        );
        build::arp_payload(b, build::ARP_REQUEST, PEER_MAC, PEER_IP, [0; 6], US_IP);
    });
    build::pad_to_min(&mut req, 0);
    t += &record("ARP request on VLAN 100, padded", &mut tagged, &req);
    insta::assert_snapshot!(t);
}

#[test]
fn echo_replies() {
    let mut s = Stack::new(cfg());
    let mut t = record(
        "ping, 56 data bytes",
        &mut s,
        &ping(&to_us(), 0x1c2b, 1, &ping_data()),
    );
    let df = Ipv4Datagram {
        eth_ip: &to_us(),
        vlan_tags: &[],
        protocol: build::IP_PROTO_ICMP,
        dont_fragment: true,
        l4: [&build::icmp_echo_header(false, 7, 9, b"odd"), b"odd"],
    };
    let mut req = Vec::new();
    df.write_fragment(&mut req, 1500, 0);
    build::pad_to_min(&mut req, 0);
    t += &record("ping with DF, 3 data bytes, padded to 60", &mut s, &req);
    insta::assert_snapshot!(t);
}

#[test]
fn udp_and_icmp_errors() {
    let mut s = Stack::new(cfg());
    let mut t = record(
        "UDP to the echo port",
        &mut s,
        &udp(&to_us(), 40000, 7, b"hello, ringside"),
    );
    t += &record(
        "UDP to a closed port",
        &mut s,
        &udp(&to_us(), 40001, 9999, b"anyone?"),
    );
    let tcp = frame(|b| {
        let d = Ipv4Datagram {
            eth_ip: &to_us(),
            vlan_tags: &[],
            protocol: build::IP_PROTO_TCP,
            dont_fragment: true,
            l4: [
                &[
                    0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 2, 0xff, 0xff,
                ],
                &[0; 4],
            ],
        };
        d.write_fragment(b, 1500, 0);
    });
    t += &record("TCP SYN (this host has no TCP)", &mut s, &tcp);
    insta::assert_snapshot!(t);
}

#[test]
fn fragmented_echo_is_reassembled_and_answered_in_fragments() {
    let mut s = Stack::new(cfg());
    let data: Vec<u8> = (0..2000u32).map(|i| (i % 251) as u8).collect();
    let mut l4 = build::icmp_echo_header(false, 0x0a0b, 3, &data).to_vec();
    l4.extend_from_slice(&data);
    let h = EthIp {
        ip_id: 0x5151,
        ..to_us()
    };
    let mut frames = Vec::new();
    build::ipv4_fragmented(&h, build::IP_PROTO_ICMP, &l4, 1500, &mut |f| {
        frames.push(f.to_vec())
    });
    assert_eq!(frames.len(), 2);
    let mut t = record("first fragment (held)", &mut s, &frames[0]);
    t += &record("last fragment: reassembled, answered", &mut s, &frames[1]);
    insta::assert_snapshot!(t);
}
