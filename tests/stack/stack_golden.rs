//! Golden-frame tests: one frame in, the exact reply (or the named drop) out.
use crate::support::stack as stack_support;

use std::net::Ipv4Addr;

use ringside::stack::{Answer, DropReason, Stack, StackConfig, Verdict, PRINT_PAYLOAD_CAP};
use ringside::wire::build::{self, EthIp, BROADCAST_MAC};
use stack_support::*;

const T0: std::time::Duration = std::time::Duration::ZERO;

fn no(r: DropReason) -> Verdict {
    Verdict::NoReply(r)
}

/// The ARP reply we expect to a request from (PEER_MAC, spa).
fn expected_arp_reply(spa: Ipv4Addr) -> Vec<u8> {
    let mut v = Vec::new();
    build::ethernet(&mut v, PEER_MAC, US_MAC, &[], build::ETHERTYPE_ARP);
    build::arp_payload(&mut v, build::ARP_REPLY, US_MAC, US_IP, PEER_MAC, spa);
    v
}

// ---------------------------------------------------------------------------------------------
// ARP
// ---------------------------------------------------------------------------------------------

#[test]
fn arp_request_unpadded_and_padded_get_the_exact_reply() {
    let req = arp_request(BROADCAST_MAC, PEER_MAC, PEER_IP, US_IP);
    assert_eq!(req.len(), 42);
    let mut padded = req.clone();
    build::pad_to_min(&mut padded, 0);
    assert_eq!(padded.len(), 60);
    for f in [&req, &padded] {
        let mut s = Stack::new(cfg());
        let (v, out) = feed(&mut s, T0, f);
        assert_eq!(v, Verdict::Answered(Answer::ArpReply));
        assert_eq!(out, vec![expected_arp_reply(PEER_IP)]);
        check_reply(&out[0], 1500);
        let cache = s.arp_cache(T0);
        assert_eq!(cache.len(), 1, "requester learned");
        assert_eq!((cache[0].ip, cache[0].mac), (PEER_IP, PEER_MAC));
    }
}

#[test]
fn unicast_arp_validation_request_is_answered() {
    // Linux's neighbour PROBE state re-validates with a request sent to our MAC.
    let mut s = Stack::new(cfg());
    let (v, out) = feed(&mut s, T0, &arp_request(US_MAC, PEER_MAC, PEER_IP, US_IP));
    assert_eq!(v, Verdict::Answered(Answer::ArpReply));
    assert_eq!(out, vec![expected_arp_reply(PEER_IP)]);
}

#[test]
fn rfc5227_probe_is_answered_but_not_cached() {
    let mut s = Stack::new(cfg());
    let probe = arp_request(BROADCAST_MAC, PEER_MAC, Ipv4Addr::UNSPECIFIED, US_IP);
    let (v, out) = feed(&mut s, T0, &probe);
    assert_eq!(v, Verdict::Answered(Answer::ArpReply));
    assert_eq!(out, vec![expected_arp_reply(Ipv4Addr::UNSPECIFIED)]);
    assert!(s.arp_cache(T0).is_empty());
}

#[test]
fn arp_request_for_another_host_is_not_answered() {
    let mut s = Stack::new(cfg());
    let other = Ipv4Addr::new(198, 51, 100, 77);
    let (v, out) = feed(
        &mut s,
        T0,
        &arp_request(BROADCAST_MAC, PEER_MAC, PEER_IP, other),
    );
    assert_eq!((v, out.len()), (no(DropReason::NotForUs), 0));
    assert!(
        s.arp_cache(T0).is_empty(),
        "requests not for us create nothing"
    );
    // ... but refresh what we know (RFC 826 merge): learn, then see a new MAC for the peer.
    feed(
        &mut s,
        T0,
        &arp_request(BROADCAST_MAC, PEER_MAC, PEER_IP, US_IP),
    );
    let moved = [0x02, 0, 0, 0, 0, 0x99];
    feed(
        &mut s,
        secs(5),
        &arp_request(BROADCAST_MAC, moved, PEER_IP, other),
    );
    let c = s.arp_cache(secs(5));
    assert_eq!((c[0].mac, c[0].age), (moved, 0.0));
}

#[test]
fn arp_responder_off_counts_and_stays_silent() {
    let mut s = Stack::new(cfg());
    s.set_arp_responder(false);
    assert!(!s.arp_responder());
    let req = arp_request(BROADCAST_MAC, PEER_MAC, PEER_IP, US_IP);
    let (v, out) = feed(&mut s, T0, &req);
    assert_eq!((v, out.len()), (no(DropReason::ArpResponderOff), 0));
    assert_eq!(s.counters().no_reply(DropReason::ArpResponderOff), 1);
    s.set_arp_responder(true);
    assert_eq!(
        feed(&mut s, T0, &req).0,
        Verdict::Answered(Answer::ArpReply)
    );
}

#[test]
fn arp_cache_ages_out() {
    let mut c = cfg();
    c.arp_timeout = secs(60);
    let mut s = Stack::new(c);
    feed(
        &mut s,
        secs(100),
        &arp_request(BROADCAST_MAC, PEER_MAC, PEER_IP, US_IP),
    );
    s.poll(secs(159));
    let e = s.arp_cache(secs(159));
    assert_eq!(e.len(), 1);
    assert_eq!((e[0].age, e[0].remaining), (59.0, 1.0));
    s.poll(secs(160));
    assert!(s.arp_cache(secs(160)).is_empty());
}

fn cached(s: &Stack, now: std::time::Duration) -> Vec<(Ipv4Addr, [u8; 6])> {
    s.arp_cache(now).iter().map(|e| (e.ip, e.mac)).collect()
}

#[test]
fn arp_replies_and_gratuitous_arps_not_for_us_create_no_entry() {
    // RFC 826's merge rule: a new entry only when we are the target (Linux, arp_accept=0, too).
    let mut s = Stack::new(cfg());
    let ip = |n| Ipv4Addr::new(198, 51, 100, n);
    let mac = |n| [0x02, 0, 0, 0, 0, n];
    // ".77 is-at" broadcast, answering ".55".
    let reply = frame(|f| {
        build::arp(
            f,
            BROADCAST_MAC,
            build::ARP_REPLY,
            mac(77),
            ip(77),
            mac(55),
            ip(55),
        )
    });
    assert_eq!(feed(&mut s, T0, &reply).0, no(DropReason::ArpNoReplyNeeded));
    // Gratuitous ARP from .78, as a request and as a reply.
    let garp = arp_request(BROADCAST_MAC, mac(78), ip(78), ip(78));
    assert_eq!(feed(&mut s, T0, &garp).0, no(DropReason::ArpNoReplyNeeded));
    let garp = frame(|f| {
        build::arp(
            f,
            BROADCAST_MAC,
            build::ARP_REPLY,
            mac(78),
            ip(78),
            BROADCAST_MAC,
            ip(78),
        )
    });
    assert_eq!(feed(&mut s, T0, &garp).0, no(DropReason::ArpNoReplyNeeded));
    assert_eq!(cached(&s, T0), vec![], "nothing learned");
    assert_eq!(s.counters().frames_out, 0);
}

#[test]
fn gratuitous_arp_refreshes_an_existing_entry() {
    let mut s = Stack::new(cfg());
    feed(
        &mut s,
        T0,
        &arp_request(BROADCAST_MAC, PEER_MAC, PEER_IP, US_IP),
    );
    assert_eq!(cached(&s, T0), vec![(PEER_IP, PEER_MAC)]);
    // 30 s later the peer announces a new MAC (failover): the entry follows it, age back to 0.
    let moved = [0x02, 0, 0, 0, 0, 0x99];
    let garp = arp_request(BROADCAST_MAC, moved, PEER_IP, PEER_IP);
    assert_eq!(
        feed(&mut s, secs(30), &garp).0,
        no(DropReason::ArpNoReplyNeeded)
    );
    let e = s.arp_cache(secs(30));
    assert_eq!(
        (e.len(), e[0].ip, e[0].mac, e[0].age),
        (1, PEER_IP, moved, 0.0)
    );
    // And a reply about it to someone else refreshes it as well.
    let reply = frame(|f| {
        build::arp(
            f,
            BROADCAST_MAC,
            build::ARP_REPLY,
            PEER_MAC,
            PEER_IP,
            [2; 6],
            Ipv4Addr::new(198, 51, 100, 55),
        )
    });
    assert_eq!(
        feed(&mut s, secs(40), &reply).0,
        no(DropReason::ArpNoReplyNeeded)
    );
    assert_eq!(s.arp_cache(secs(40))[0].mac, PEER_MAC);
}

#[test]
fn arp_to_us_from_a_new_sender_creates_an_entry() {
    let mut s = Stack::new(cfg());
    let a = Ipv4Addr::new(198, 51, 100, 10);
    let mac_a = [0x02, 0, 0, 0, 0, 0x0a];
    let (v, _) = feed(&mut s, T0, &arp_request(BROADCAST_MAC, mac_a, a, US_IP));
    assert_eq!(v, Verdict::Answered(Answer::ArpReply));
    let b = Ipv4Addr::new(198, 51, 100, 11);
    let mac_b = [0x02, 0, 0, 0, 0, 0x0b];
    let reply = frame(|f| build::arp(f, US_MAC, build::ARP_REPLY, mac_b, b, US_MAC, US_IP));
    assert_eq!(feed(&mut s, T0, &reply).0, no(DropReason::ArpNoReplyNeeded));
    assert_eq!(cached(&s, T0), vec![(a, mac_a), (b, mac_b)]);
}

#[test]
fn broadcast_multicast_zero_sender_mac_never_cached() {
    let mut s = Stack::new(cfg());
    for sha in [BROADCAST_MAC, [0x01, 0x00, 0x5e, 0, 0, 1], [0; 6]] {
        // The Ethernet source is a fine unicast MAC; the ARP sender hardware address is not.
        let mut f = arp_request(BROADCAST_MAC, PEER_MAC, PEER_IP, US_IP);
        f[22..28].copy_from_slice(&sha);
        let (v, out) = feed(&mut s, T0, &f);
        assert_eq!((v, out.len()), (no(DropReason::BadSource), 0), "{sha:02x?}");
    }
    assert!(s.arp_cache(T0).is_empty());
    assert_eq!(s.counters().no_reply(DropReason::BadSource), 3);
}

#[test]
fn multicast_ethernet_source_is_bad_source() {
    let mut s = Stack::new(cfg());
    let mut f = arp_request(BROADCAST_MAC, PEER_MAC, PEER_IP, US_IP);
    f[6] |= 1;
    assert_eq!(feed(&mut s, T0, &f).0, no(DropReason::BadSource));
}

// ---------------------------------------------------------------------------------------------
// ICMP echo
// ---------------------------------------------------------------------------------------------

/// Feed a ping and compare the reply byte for byte with the builder's echo reply (taking the IP
/// id the stack chose).
fn assert_echoed(s: &mut Stack, req: &[u8], ident: u16, seq: u16, data: &[u8]) {
    let (v, out) = feed(s, T0, req);
    assert_eq!(v, Verdict::Answered(Answer::EchoReply));
    assert_eq!(out.len(), 1);
    let (iph, _) = check_reply(&out[0], 1500).unwrap();
    let h = EthIp {
        src_mac: US_MAC,
        dst_mac: PEER_MAC,
        src_ip: US_IP,
        dst_ip: PEER_IP,
        ttl: 64,
        ip_id: u16::from_be_bytes([iph[4], iph[5]]),
    };
    let expect = frame(|b| build::icmp_echo(b, &h, true, ident, seq, data));
    assert_eq!(out[0], expect, "{}-byte echo reply", data.len());
}

#[test]
fn ping_56_0_and_57_bytes_answered_exactly() {
    let mut s = Stack::new(cfg());
    for n in [56usize, 0, 57, 1] {
        let data: Vec<u8> = (0..n).map(|i| (i as u8).wrapping_mul(31) ^ 0x5a).collect();
        assert_echoed(
            &mut s,
            &ping(&to_us(), 0x1d2c, n as u16, &data),
            0x1d2c,
            n as u16,
            &data,
        );
    }
    assert_eq!(s.counters().answered, 4);
    assert_eq!(s.counters().frames_out, 4);
}

#[test]
fn padded_tiny_ping_reply_carries_no_padding() {
    let mut s = Stack::new(cfg());
    let mut req = ping(&to_us(), 7, 1, b"hi");
    assert_eq!(req.len(), 44);
    build::pad_to_min(&mut req, 0);
    req[44..].fill(0xee); // visible padding, must not be echoed
    assert_echoed(&mut s, &req, 7, 1, b"hi");
}

#[test]
fn ip_id_changes_between_replies() {
    let mut s = Stack::new(cfg());
    let req = ping(&to_us(), 1, 1, b"x");
    let (_, a) = feed(&mut s, T0, &req);
    let (_, b) = feed(&mut s, T0, &req);
    assert_ne!(a[0][18..20], b[0][18..20]);
}

#[test]
fn bad_icmp_checksum_dropped() {
    let mut s = Stack::new(cfg());
    let mut req = ping(&to_us(), 1, 1, b"abcd");
    req[14 + 20 + 2] ^= 0x01;
    let (v, out) = feed(&mut s, T0, &req);
    assert_eq!((v, out.len()), (no(DropReason::BadChecksum), 0));
}

#[test]
fn bad_ip_checksum_dropped() {
    let mut s = Stack::new(cfg());
    let mut req = ping(&to_us(), 1, 1, b"abcd");
    req[14 + 10] ^= 0x80;
    assert_eq!(feed(&mut s, T0, &req).0, no(DropReason::BadChecksum));
}

#[test]
fn ttl_zero_and_one_are_answered_with_our_own_ttl() {
    // RFC 1122 §3.2.1.7: a host MUST NOT discard a datagram just because its TTL is below 2;
    // Linux answers both pings, with TTL 64. TTL limits forwarding, and nothing is forwarded.
    let mut s = Stack::new(cfg());
    for ttl in [0, 1] {
        let h = EthIp { ttl, ..to_us() };
        let (v, out) = feed(&mut s, T0, &ping(&h, 1, u16::from(ttl), b"x"));
        assert_eq!(v, Verdict::Answered(Answer::EchoReply), "TTL {ttl}");
        assert_eq!(out[0][14 + 8], 64, "reply TTL for a TTL {ttl} request");
        let (_, l4) = check_reply(&out[0], 1500).unwrap();
        assert_eq!(&l4[8..], b"x");
    }
    // A TTL-0 UDP echo too: the rule is IP's, not ICMP's.
    let h = EthIp { ttl: 0, ..to_us() };
    let (v, out) = feed(&mut s, T0, &udp(&h, 40000, 7, b"u"));
    assert_eq!(v, Verdict::Answered(Answer::UdpEcho));
    assert_eq!(out[0][14 + 8], 64);
}

#[test]
fn broadcast_echo_follows_the_setting() {
    for dst in [Ipv4Addr::BROADCAST, Ipv4Addr::new(198, 51, 100, 255)] {
        let h = EthIp {
            dst_mac: BROADCAST_MAC,
            dst_ip: dst,
            ..to_us()
        };
        let req = ping(&h, 9, 9, b"who is there");
        let mut s = Stack::new(cfg());
        let (v, out) = feed(&mut s, T0, &req);
        assert_eq!((v, out.len()), (no(DropReason::BroadcastEcho), 0), "{dst}");

        let mut s = Stack::new(StackConfig {
            answer_broadcast_echo: true,
            ..cfg()
        });
        let (v, out) = feed(&mut s, T0, &req);
        assert_eq!(v, Verdict::Answered(Answer::EchoReply));
        let (iph, _) = check_reply(&out[0], 1500).unwrap();
        assert_eq!(
            &iph[12..16],
            &US_IP.octets(),
            "answered from our unicast address"
        );
        assert_eq!(&out[0][0..6], &PEER_MAC);
    }
}

#[test]
fn icmp_responder_off() {
    let mut s = Stack::new(cfg());
    s.set_icmp_responder(false);
    assert!(!s.icmp_responder());
    let (v, out) = feed(&mut s, T0, &ping(&to_us(), 1, 1, b"x"));
    assert_eq!((v, out.len()), (no(DropReason::IcmpResponderOff), 0));
}

#[test]
fn echo_reply_is_not_answered() {
    let mut s = Stack::new(cfg());
    let f = frame(|b| build::icmp_echo(b, &to_us(), true, 1, 1, b"x"));
    assert_eq!(feed(&mut s, T0, &f).0, no(DropReason::IcmpNotEcho));
}

/// A stack that is a member of S-tag 100 / C-tag 10, VLAN 10, and the three-deep 100.101.102.
fn vlan_member_cfg() -> StackConfig {
    StackConfig {
        vlans: vec![vec![100, 10], vec![10], vec![100, 101, 102]],
        ..cfg()
    }
}

#[test]
fn vlan_tagged_ping_answered_with_the_same_tags() {
    let mut s = Stack::new(vlan_member_cfg());
    let tags = [0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x20, 0x0a]; // S-tag 100, C-tag 10 prio 1
    let plain = ping(&to_us(), 3, 4, b"tagged");
    let mut f = plain[..12].to_vec();
    f.extend_from_slice(&tags);
    f.extend_from_slice(&plain[12..]);
    let (v, out) = feed(&mut s, T0, &f);
    assert_eq!(v, Verdict::Answered(Answer::EchoReply));
    assert_eq!(&out[0][12..20], &tags);
    let (_, l4) = check_reply(&out[0], 1500).unwrap();
    assert_eq!(&l4[8..], b"tagged");
    // Tagged ARP too.
    let plain = arp_request(BROADCAST_MAC, PEER_MAC, PEER_IP, US_IP);
    let mut f = plain[..12].to_vec();
    f.extend_from_slice(&tags[4..]);
    f.extend_from_slice(&plain[12..]);
    let (_, out) = feed(&mut s, T0, &f);
    assert_eq!(&out[0][12..16], &tags[4..]);
    check_reply(&out[0], 1500);
}

/// `plain` with `n` VLAN tags (802.1ad, 802.1Q, old QinQ in turn) after the MAC addresses.
fn with_tags(plain: &[u8], n: usize) -> Vec<u8> {
    let tpids = [0x88a8u16, 0x8100, 0x9100];
    let mut f = plain[..12].to_vec();
    for i in 0..n {
        f.extend_from_slice(&tpids[i % 3].to_be_bytes());
        f.extend_from_slice(&(100 + i as u16).to_be_bytes());
    }
    f.extend_from_slice(&plain[12..]);
    f
}

#[test]
fn stack_and_dissector_agree_on_vlan_depth() {
    use ringside::wire::{dissect, Malformation, MAX_VLAN_TAGS};
    let plain = ping(&to_us(), 3, 4, b"deep");
    // Three tags: answered, and the dissection shows nothing wrong.
    let three = with_tags(&plain, 3);
    // A member of every depth `with_tags` makes (VLAN 100, 100.101, 100.101.102).
    let mut s = Stack::new(StackConfig {
        vlans: vec![vec![100], vec![100, 101], vec![100, 101, 102]],
        ..cfg()
    });
    let (v, out) = feed(&mut s, T0, &three);
    assert_eq!(v, Verdict::Answered(Answer::EchoReply));
    assert_eq!(
        &out[0][12..24],
        &three[12..24],
        "reply carries the three tags"
    );
    assert_eq!(dissect(&three).problems, vec![]);
    // Four tags: the dissector flags too_many_vlan_tags and the stack does not answer.
    let four = with_tags(&plain, 4);
    let (v, out) = feed(&mut s, T0, &four);
    assert_eq!((v, out.len()), (no(DropReason::Malformed), 0));
    assert_eq!(dissect(&four).problems, vec![Malformation::TooManyVlanTags]);
    // And at every depth: answered exactly when the dissection is clean.
    for n in 0..=MAX_VLAN_TAGS + 2 {
        let f = with_tags(&plain, n);
        let (v, _) = feed(&mut s, T0, &f);
        let clean = dissect(&f).problems.is_empty();
        assert_eq!(
            v == Verdict::Answered(Answer::EchoReply),
            clean,
            "{n} tags: {v:?}"
        );
        assert_eq!(clean, n <= 3, "{n} tags");
    }
}

#[test]
fn an_untagged_host_drops_tagged_frames_and_a_member_answers_only_its_vlans() {
    let ping_plain = ping(&to_us(), 3, 4, b"v");
    let arp_plain = arp_request(BROADCAST_MAC, PEER_MAC, PEER_IP, US_IP);
    let tagged = |plain: &[u8], tags: &[(u16, u16)]| {
        let mut f = plain[..12].to_vec();
        for (tpid, tci) in tags {
            f.extend_from_slice(&tpid.to_be_bytes());
            f.extend_from_slice(&tci.to_be_bytes());
        }
        f.extend_from_slice(&plain[12..]);
        f
    };
    // Default: no VLAN. Every tagged frame (802.1Q, 802.1ad, stacked) is vlan_not_member,
    // ARP included; a lone priority tag (VID 0) is the untagged network and is answered.
    let mut s = Stack::new(cfg());
    for tags in [
        &[(0x8100, 10)][..],
        &[(0x88a8, 100), (0x8100, 10)],
        &[(0x8100, 0x2000 | 10)],
        &[(0x9100, 4094)],
    ] {
        for plain in [&ping_plain, &arp_plain] {
            let (v, out) = feed(&mut s, T0, &tagged(plain, tags));
            assert_eq!(
                (v, out.len()),
                (no(DropReason::VlanNotMember), 0),
                "{tags:?}"
            );
        }
    }
    let (v, out) = feed(&mut s, T0, &tagged(&ping_plain, &[(0x8100, 0xa000)]));
    assert_eq!(
        v,
        Verdict::Answered(Answer::EchoReply),
        "priority tag, VID 0"
    );
    assert_eq!(&out[0][12..16], &[0x81, 0x00, 0xa0, 0x00]);
    // A member of 10 and of 100.10: those answer (tags back as they came, priority bits
    // included), any other VLAN or depth does not.
    let mut s = Stack::new(vlan_member_cfg());
    for tags in [
        &[(0x8100, 10)][..],
        &[(0x8100, 0x6000 | 10)],
        &[(0x88a8, 100), (0x8100, 10)],
    ] {
        let f = tagged(&ping_plain, tags);
        let (v, out) = feed(&mut s, T0, &f);
        assert_eq!(v, Verdict::Answered(Answer::EchoReply), "{tags:?}");
        let l2 = 12 + 4 * tags.len();
        assert_eq!(&out[0][12..l2], &f[12..l2], "same tag stack back");
        check_reply(&out[0], 1500).unwrap();
    }
    for tags in [
        &[(0x8100, 11)][..],
        &[(0x8100, 100)],
        &[(0x88a8, 10), (0x8100, 100)],
        &[(0x88a8, 100), (0x8100, 10), (0x8100, 1)],
    ] {
        let (v, out) = feed(&mut s, T0, &tagged(&ping_plain, tags));
        assert_eq!(
            (v, out.len()),
            (no(DropReason::VlanNotMember), 0),
            "{tags:?}"
        );
    }
    // Untagged frames are still answered by a VLAN member (the untagged interface is there too).
    assert_eq!(
        feed(&mut s, T0, &ping_plain).0,
        Verdict::Answered(Answer::EchoReply)
    );
    assert_invariant(s.counters());
}

// ---------------------------------------------------------------------------------------------
// IPv4 options
// ---------------------------------------------------------------------------------------------

/// `f` (an untagged IPv4 frame) with `opts` (a multiple of 4 bytes) as IPv4 options.
fn with_options(f: &[u8], opts: &[u8]) -> Vec<u8> {
    assert_eq!(opts.len() % 4, 0);
    let mut g = f[..34].to_vec();
    g.extend_from_slice(opts);
    g.extend_from_slice(&f[34..]);
    g[14] = 0x45 + (opts.len() / 4) as u8;
    let total = u16::from_be_bytes([g[16], g[17]]) + opts.len() as u16;
    g[16..18].copy_from_slice(&total.to_be_bytes());
    fix_ip_checksum(&mut g);
    g
}

#[test]
fn malformed_ipv4_options_drop_the_datagram_and_good_ones_do_not() {
    let mut s = Stack::new(cfg());
    let req = ping(&to_us(), 9, 9, b"opts");
    for good in [
        &[1, 1, 1, 1][..],         // NOPs
        &[0, 0xff, 0xff, 0xff],    // EOL, then padding that is never read
        &[7, 7, 4, 0, 0, 0, 0, 0], // Record Route with room for one address, then EOL
        &[0x44, 4, 5, 0],          // a whole 4-byte option (Timestamp header)
    ] {
        let (v, out) = feed(&mut s, T0, &with_options(&req, good));
        assert_eq!(v, Verdict::Answered(Answer::EchoReply), "{good:?}");
        assert_eq!(out.len(), 1);
    }
    for bad in [
        &[7, 0, 0, 0][..],             // length 0
        &[1, 0x44, 1, 0],              // length 1
        &[1, 1, 1, 0x83],              // the last option has no length byte
        &[0x83, 11, 4, 0, 0, 0, 0, 0], // 11 bytes long in an 8-byte options area
        &[0x83, 255, 0, 0],            // length 255
    ] {
        let (v, out) = feed(&mut s, T0, &with_options(&req, bad));
        assert_eq!(
            (v, out.len()),
            (no(DropReason::BadIpv4Options), 0),
            "{bad:?}"
        );
    }
    // The full 40 bytes of options, each walked to the end and none read beyond it.
    let mut forty = vec![1u8; 39];
    forty.push(0x94); // Router Alert type as the very last header byte: no length byte
    let (v, _) = feed(&mut s, T0, &with_options(&req, &forty));
    assert_eq!(v, no(DropReason::BadIpv4Options));
    assert_invariant(s.counters());
}

// ---------------------------------------------------------------------------------------------
// IPv4 and Ethernet filtering
// ---------------------------------------------------------------------------------------------

#[test]
fn not_for_us_and_unsupported() {
    let mut s = Stack::new(cfg());
    let other_ip = EthIp {
        dst_ip: Ipv4Addr::new(198, 51, 100, 3),
        ..to_us()
    };
    assert_eq!(
        feed(&mut s, T0, &ping(&other_ip, 1, 1, b"")).0,
        no(DropReason::NotForUs)
    );
    let other_mac = EthIp {
        dst_mac: [0x02, 9, 9, 9, 9, 9],
        ..to_us()
    };
    assert_eq!(
        feed(&mut s, T0, &ping(&other_mac, 1, 1, b"")).0,
        no(DropReason::NotForUs)
    );
    let mcast = EthIp {
        dst_mac: [0x01, 0, 0x5e, 0, 0, 1],
        ..to_us()
    };
    assert_eq!(
        feed(&mut s, T0, &ping(&mcast, 1, 1, b"")).0,
        no(DropReason::NotForUs)
    );
    let mut v6 = ping(&to_us(), 1, 1, b"");
    v6[12..14].copy_from_slice(&[0x86, 0xdd]);
    assert_eq!(
        feed(&mut s, T0, &v6).0,
        no(DropReason::UnsupportedEthertype)
    );
    assert_eq!(feed(&mut s, T0, &[0u8; 13]).0, no(DropReason::Malformed));
    assert_eq!(feed(&mut s, T0, &[]).0, no(DropReason::Malformed));
}

#[test]
fn martian_ip_sources_are_dropped_by_name() {
    // Linux's ip_route_input_slow: multicast, limited broadcast, 0.0.0.0/8, 127.0.0.0/8; and
    // 240.0.0.0/4 (reserved). Echo and UDP echo alike; nothing is sent.
    let mut s = Stack::new(cfg());
    let martians = [
        Ipv4Addr::UNSPECIFIED,
        Ipv4Addr::new(0, 1, 2, 3),
        Ipv4Addr::new(127, 0, 0, 1),
        Ipv4Addr::new(127, 255, 0, 9),
        Ipv4Addr::new(224, 0, 0, 1),
        Ipv4Addr::new(239, 255, 255, 250),
        Ipv4Addr::new(240, 0, 0, 1),
        Ipv4Addr::new(250, 1, 2, 3),
        Ipv4Addr::BROADCAST,
    ];
    for src in martians {
        let h = EthIp {
            src_ip: src,
            ..to_us()
        };
        for f in [ping(&h, 1, 1, b"m"), udp(&h, 40000, 7, b"m")] {
            let (v, out) = feed(&mut s, T0, &f);
            assert_eq!((v, out.len()), (no(DropReason::MartianSource), 0), "{src}");
        }
    }
    // The edges are not martians: 1.0.0.1, 126.255.255.254, 223.255.255.254 are answered.
    for src in [[1, 0, 0, 1], [126, 255, 255, 254], [223, 255, 255, 254]] {
        let h = EthIp {
            src_ip: Ipv4Addr::from(src),
            ..to_us()
        };
        let (v, _) = feed(&mut s, T0, &ping(&h, 1, 1, b"ok"));
        assert_eq!(v, Verdict::Answered(Answer::EchoReply), "{src:?}");
    }
    assert_invariant(s.counters());
}

#[test]
fn arp_from_a_martian_sender_is_dropped_but_a_probe_is_answered() {
    let mut s = Stack::new(cfg());
    for spa in [
        [127, 0, 0, 1],
        [0, 0, 0, 5],
        [224, 0, 0, 9],
        [240, 1, 1, 1],
        [255; 4],
    ] {
        let f = arp_request(BROADCAST_MAC, PEER_MAC, Ipv4Addr::from(spa), US_IP);
        let (v, out) = feed(&mut s, T0, &f);
        assert_eq!(
            (v, out.len()),
            (no(DropReason::MartianSource), 0),
            "{spa:?}"
        );
    }
    assert!(s.arp_cache(T0).is_empty());
    // Sender 0.0.0.0 is an RFC 5227 probe: answered, as before.
    let probe = arp_request(BROADCAST_MAC, PEER_MAC, Ipv4Addr::UNSPECIFIED, US_IP);
    assert_eq!(
        feed(&mut s, T0, &probe).0,
        Verdict::Answered(Answer::ArpReply)
    );
}

#[test]
fn own_address_and_subnet_broadcast_sources_are_bad_sources() {
    let mut s = Stack::new(cfg());
    for src in [US_IP, Ipv4Addr::new(198, 51, 100, 255)] {
        let h = EthIp {
            src_ip: src,
            ..to_us()
        };
        assert_eq!(
            feed(&mut s, T0, &ping(&h, 1, 1, b"")).0,
            no(DropReason::BadSource),
            "{src}"
        );
    }
}

#[test]
fn ipv4_length_rules() {
    let mut s = Stack::new(cfg());
    let good = ping(&to_us(), 1, 1, b"12345678");
    // Total length larger than the frame: malformed.
    let mut f = good.clone();
    let too_long = (f.len() - 14 + 1) as u16;
    f[16..18].copy_from_slice(&too_long.to_be_bytes());
    fix_ip_checksum(&mut f);
    assert_eq!(feed(&mut s, T0, &f).0, no(DropReason::Malformed));
    // Total length shorter than the header: malformed.
    let mut f = good.clone();
    f[16..18].copy_from_slice(&19u16.to_be_bytes());
    fix_ip_checksum(&mut f);
    assert_eq!(feed(&mut s, T0, &f).0, no(DropReason::Malformed));
    // IHL 4 and version 6: malformed.
    for b0 in [0x44u8, 0x65] {
        let mut f = good.clone();
        f[14] = b0;
        assert_eq!(feed(&mut s, T0, &f).0, no(DropReason::Malformed));
    }
    // Truncated header.
    assert_eq!(feed(&mut s, T0, &good[..30]).0, no(DropReason::Malformed));
    // Frame longer than the datagram: trailing bytes ignored, reply has the real data only.
    let mut f = good.clone();
    f.extend_from_slice(&[0xab; 100]);
    let (v, out) = feed(&mut s, T0, &f);
    assert_eq!(v, Verdict::Answered(Answer::EchoReply));
    assert_eq!(&check_reply(&out[0], 1500).unwrap().1[8..], b"12345678");
}

#[test]
fn ip_options_are_skipped_and_quoted() {
    // A 24-byte header (one 4-byte NOP/EOL option) to a closed UDP port: the ICMP error
    // quotes the whole 24-byte header and 8 payload bytes.
    let mut s = Stack::new(cfg());
    let f = udp(&to_us(), 5000, 4444, b"payload!!");
    let mut g = f[..34].to_vec();
    g.extend_from_slice(&[1, 1, 1, 0]);
    g.extend_from_slice(&f[34..]);
    g[14] = 0x46;
    let tl = u16::from_be_bytes([g[16], g[17]]) + 4;
    g[16..18].copy_from_slice(&tl.to_be_bytes());
    fix_ip_checksum(&mut g);
    let (v, out) = feed(&mut s, T0, &g);
    assert_eq!(v, Verdict::Answered(Answer::PortUnreachable));
    let (_, l4) = check_reply(&out[0], 1500).unwrap();
    assert_eq!(&l4[8..], &g[14..14 + 24 + 8]);
}

// ---------------------------------------------------------------------------------------------
// UDP
// ---------------------------------------------------------------------------------------------

#[test]
fn udp_echo_swaps_ports_and_returns_payload() {
    let mut s = Stack::new(cfg());
    for payload in [&b"hello, echo"[..], b"odd", b""] {
        let (v, out) = feed(&mut s, T0, &udp(&to_us(), 40000, 7, payload));
        assert_eq!(v, Verdict::Answered(Answer::UdpEcho));
        let (iph, l4) = check_reply(&out[0], 1500).unwrap();
        assert_eq!(&iph[16..20], &PEER_IP.octets());
        assert_eq!(&out[0][0..6], &PEER_MAC);
        assert_eq!(&l4[0..4], &[0, 7, 0x9c, 0x40]);
        assert_eq!(&l4[8..], payload);
    }
}

#[test]
fn udp_echo_refuses_loops_and_port_zero() {
    let mut s = Stack::new(cfg());
    assert_eq!(
        feed(&mut s, T0, &udp(&to_us(), 7, 7, b"x")).0,
        no(DropReason::BadSource)
    );
    assert_eq!(
        feed(&mut s, T0, &udp(&to_us(), 0, 7, b"x")).0,
        no(DropReason::BadSource)
    );
}

#[test]
fn print_sink_keeps_bounded_payloads() {
    let mut s = Stack::new(StackConfig {
        print_keep: 3,
        ..cfg()
    });
    for i in 0..5u8 {
        let (v, out) = feed(
            &mut s,
            secs(u64::from(i)),
            &udp(&to_us(), 1234, 9, &[b'a' + i; 3]),
        );
        assert_eq!((v, out.len()), (no(DropReason::UdpDelivered), 0));
    }
    let p = s.take_printed();
    let got: Vec<_> = p
        .iter()
        .map(|d| (d.at, d.from, d.payload.clone()))
        .collect();
    assert_eq!(
        got,
        (2..5u8)
            .map(|i| (secs(u64::from(i)), (PEER_IP, 1234), vec![b'a' + i; 3]))
            .collect::<Vec<_>>(),
        "the newest three, oldest first"
    );
    assert!(s.take_printed().is_empty(), "drained");
    // A long payload is stored cut, with its real length.
    let big = vec![b'z'; 3000];
    feed(&mut s, T0, &udp(&to_us(), 1234, 9, &big));
    let p = s.take_printed();
    assert_eq!(
        (p[0].payload.len(), p[0].orig_len),
        (PRINT_PAYLOAD_CAP, 3000)
    );
}

#[test]
fn closed_port_gets_port_unreachable_quoting_header_and_8_bytes() {
    let mut s = Stack::new(cfg());
    let req = udp(&to_us(), 33434, 33435, b"traceroute probe payload");
    let (v, out) = feed(&mut s, T0, &req);
    assert_eq!(v, Verdict::Answered(Answer::PortUnreachable));
    assert_eq!(out.len(), 1);
    let (iph, l4) = check_reply(&out[0], 1500).unwrap();
    assert_eq!(&out[0][0..6], &PEER_MAC);
    assert_eq!(&iph[16..20], &PEER_IP.octets());
    assert_eq!(iph[9], build::IP_PROTO_ICMP);
    assert_eq!(
        &l4[0..2],
        &[3, 3],
        "destination unreachable, port unreachable"
    );
    assert_eq!(&l4[4..8], &[0; 4], "unused");
    assert_eq!(
        &l4[8..],
        &req[14..14 + 20 + 8],
        "IP header + first 8 bytes, unchanged"
    );
}

#[test]
fn short_datagram_quote_is_what_there_is() {
    // Unknown protocol with a 3-byte payload: the quote is header + 3 bytes.
    let mut s = Stack::new(cfg());
    let d = build::Ipv4Datagram {
        eth_ip: &to_us(),
        vlan_tags: &[],
        protocol: 253,
        dont_fragment: true,
        l4: [b"abc", b""],
    };
    let mut f = Vec::new();
    d.write_fragment(&mut f, 1500, 0);
    let (v, out) = feed(&mut s, T0, &f);
    assert_eq!(v, Verdict::Answered(Answer::ProtocolUnreachable));
    let (_, l4) = check_reply(&out[0], 1500).unwrap();
    assert_eq!(&l4[0..2], &[3, 2]);
    assert_eq!(&l4[8..], &f[14..]);
}

#[test]
fn tcp_gets_protocol_unreachable() {
    let mut s = Stack::new(cfg());
    // A TCP SYN to port 80 (20-byte TCP header; checksum not needed: we have no TCP).
    let mut syn = [0u8; 20];
    syn[0..4].copy_from_slice(&[0xc3, 0x50, 0, 80]);
    syn[12] = 0x50;
    syn[13] = 0x02;
    let d = build::Ipv4Datagram {
        eth_ip: &to_us(),
        vlan_tags: &[],
        protocol: build::IP_PROTO_TCP,
        dont_fragment: true,
        l4: [&syn, &[]],
    };
    let mut f = Vec::new();
    d.write_fragment(&mut f, 1500, 0);
    let (v, out) = feed(&mut s, T0, &f);
    assert_eq!(v, Verdict::Answered(Answer::ProtocolUnreachable));
    let (_, l4) = check_reply(&out[0], 1500).unwrap();
    assert_eq!(&l4[0..2], &[3, 2]);
    assert_eq!(&l4[8..], &f[14..14 + 28]);
}

#[test]
fn icmp_errors_are_rate_limited() {
    let mut s = Stack::new(StackConfig {
        icmp_error_rate: 3,
        ..cfg()
    });
    let req = udp(&to_us(), 1000, 2000, b"x");
    let verdicts: Vec<_> = (0..5).map(|_| feed(&mut s, secs(10), &req).0).collect();
    let un = Verdict::Answered(Answer::PortUnreachable);
    let limited = no(DropReason::IcmpErrorRateLimited);
    assert_eq!(verdicts, vec![un, un, un, limited, limited]);
    // One second later the bucket is full again (3 per second), not more.
    let verdicts: Vec<_> = (0..4).map(|_| feed(&mut s, secs(11), &req).0).collect();
    assert_eq!(verdicts, vec![un, un, un, limited]);
    // Echo is not rate-limited.
    assert_eq!(
        feed(&mut s, secs(11), &ping(&to_us(), 1, 1, b"")).0,
        Verdict::Answered(Answer::EchoReply)
    );
}

#[test]
fn no_icmp_error_about_broadcast() {
    let mut s = Stack::new(cfg());
    let h = EthIp {
        dst_mac: BROADCAST_MAC,
        dst_ip: Ipv4Addr::new(198, 51, 100, 255),
        ..to_us()
    };
    let (v, out) = feed(&mut s, T0, &udp(&h, 68, 67, b"dhcp-ish"));
    assert_eq!((v, out.len()), (no(DropReason::NotForUs), 0));
    // Broadcast UDP to the print sink is still delivered.
    assert_eq!(
        feed(&mut s, T0, &udp(&h, 5, 9, b"hi all")).0,
        no(DropReason::UdpDelivered)
    );
}

#[test]
fn no_icmp_error_about_link_layer_broadcast() {
    // To our unicast IP but in a frame to ff:ff:ff:ff:ff:ff: RFC 1122 §3.2.2 forbids an ICMP
    // error about it, and §3.3.6 says to discard it, which we do whatever it carries.
    let mut s = Stack::new(cfg());
    let h = EthIp {
        dst_mac: BROADCAST_MAC,
        ..to_us()
    };
    let (v, out) = feed(&mut s, T0, &udp(&h, 40000, 5000, b"closed port"));
    assert_eq!(
        (v, out.len()),
        (no(DropReason::NotForUs), 0),
        "no port unreachable"
    );
    let mut syn = [0u8; 20];
    syn[0..4].copy_from_slice(&[0xc3, 0x50, 0, 80]);
    let d = build::Ipv4Datagram {
        eth_ip: &h,
        vlan_tags: &[],
        protocol: build::IP_PROTO_TCP,
        dont_fragment: true,
        l4: [&syn, &[]],
    };
    let mut f = Vec::new();
    d.write_fragment(&mut f, 1500, 0);
    let (v, out) = feed(&mut s, T0, &f);
    assert_eq!(
        (v, out.len()),
        (no(DropReason::NotForUs), 0),
        "no protocol unreachable"
    );
    let (v, out) = feed(&mut s, T0, &ping(&h, 1, 1, b"everyone sees this"));
    assert_eq!(
        (v, out.len()),
        (no(DropReason::NotForUs), 0),
        "ping discarded"
    );
    assert_eq!(
        feed(&mut s, T0, &udp(&h, 40000, 9, b"x")).0,
        no(DropReason::NotForUs)
    );
    assert!(s.take_printed().is_empty(), "print sink got nothing");
    assert_eq!(s.counters().frames_out, 0);
    // The same datagrams in a frame to our MAC are answered as usual.
    let (v, _) = feed(&mut s, T0, &udp(&to_us(), 40000, 5000, b"closed port"));
    assert_eq!(v, Verdict::Answered(Answer::PortUnreachable));
}

#[test]
fn udp_checksum_zero_accepted_and_bad_rejected() {
    let mut s = Stack::new(cfg());
    let mut f = udp(&to_us(), 1234, 7, b"no checksum");
    f[40..42].fill(0);
    assert_eq!(feed(&mut s, T0, &f).0, Verdict::Answered(Answer::UdpEcho));
    let mut f = udp(&to_us(), 1234, 7, b"bad checksum!");
    f[40] ^= 0xff;
    assert_eq!(feed(&mut s, T0, &f).0, no(DropReason::BadChecksum));
    // Same frame, but the capture says the checksum was left to offload: accepted.
    let (v, out) = feed_csum(&mut s, T0, &f, true);
    assert_eq!(v, Verdict::Answered(Answer::UdpEcho));
    assert_eq!(
        &check_reply(&out[0], 1500).unwrap().1[8..],
        b"bad checksum!"
    );
    // IPv4 header checksums are never offloaded: still checked.
    let mut f = udp(&to_us(), 1234, 7, b"x");
    f[24] ^= 1;
    assert_eq!(
        feed_csum(&mut s, T0, &f, true).0,
        no(DropReason::BadChecksum)
    );
}

#[test]
fn udp_length_rules() {
    let mut s = Stack::new(cfg());
    let good = udp(&to_us(), 1234, 9, b"0123456789");
    for bad_len in [7u16, 19, 0] {
        let mut f = good.clone();
        f[38..40].copy_from_slice(&bad_len.to_be_bytes());
        assert_eq!(
            feed(&mut s, T0, &f).0,
            no(DropReason::Malformed),
            "udp len {bad_len}"
        );
    }
    // A UDP length shorter than the IP payload: the datagram is the first `len` bytes (checksum
    // computed over those), the rest ignored.
    let short = udp(&to_us(), 1234, 9, b"01234");
    let mut f = short.clone();
    f.extend_from_slice(b"56789");
    let tl = u16::from_be_bytes([f[16], f[17]]) + 5;
    f[16..18].copy_from_slice(&tl.to_be_bytes());
    fix_ip_checksum(&mut f);
    assert_eq!(feed(&mut s, T0, &f).0, no(DropReason::UdpDelivered));
    assert_eq!(s.take_printed()[0].payload, b"01234");
    // Truncated UDP header.
    let d = build::Ipv4Datagram {
        eth_ip: &to_us(),
        vlan_tags: &[],
        protocol: build::IP_PROTO_UDP,
        dont_fragment: false,
        l4: [&[0, 1, 0, 9], &[]],
    };
    let mut f = Vec::new();
    d.write_fragment(&mut f, 1500, 0);
    assert_eq!(feed(&mut s, T0, &f).0, no(DropReason::Malformed));
}

#[test]
fn every_verdict_kind_counted_consistently() {
    let mut s = Stack::new(cfg());
    let frames = [
        arp_request(BROADCAST_MAC, PEER_MAC, PEER_IP, US_IP),
        ping(&to_us(), 1, 1, b"x"),
        udp(&to_us(), 1, 9, b"print"),
        udp(&to_us(), 1, 99, b"closed"),
        vec![0xff; 5],
    ];
    for f in &frames {
        feed(&mut s, T0, f);
    }
    let c = s.counters();
    assert_eq!((c.frames_in, c.answered, c.frames_out), (5, 3, 3));
    let nz: Vec<_> = c.nonzero().collect();
    assert_eq!(
        nz,
        vec![(DropReason::Malformed, 1), (DropReason::UdpDelivered, 1)]
    );
}
