//! Dissector bugs the tshark agreement check (tests/wire/agreement.rs) found, one test each, with the
//! value tshark 4.0 reports for the same bytes.
use ringside::wire::build::{self, EthIp};
use ringside::wire::{dissect, Check, LayerKind, Malformation};

fn h() -> EthIp {
    EthIp {
        src_mac: [0x02, 0, 0, 0, 0, 1],
        dst_mac: [0x02, 0x52, 0x53, 0, 0, 2],
        src_ip: [198, 51, 100, 1].into(),
        dst_ip: [198, 51, 100, 2].into(),
        ttl: 64,
        ip_id: 0x1234,
    }
}

fn check(f: &[u8], key: &str) -> Option<Check> {
    dissect(f).field(key).and_then(|f| f.check)
}

fn fix_ip_checksum(f: &mut [u8]) {
    f[24] = 0;
    f[25] = 0;
    let c = build::internet_checksum(&f[14..34]);
    f[24..26].copy_from_slice(&c.to_be_bytes());
}

/// A UDP checksum of 0 means "not sent" (RFC 768) even when the length field lies; ringside said
/// "unverified", tshark says "not present".
#[test]
fn zero_udp_checksum_is_absent_even_when_udp_length_lies() {
    let mut f = Vec::new();
    build::udp(&mut f, &h(), 9, 9, b"hello");
    f[40..42].copy_from_slice(&0u16.to_be_bytes()); // checksum not sent
    for lie in [500u16, 3] {
        f[38..40].copy_from_slice(&lie.to_be_bytes());
        assert_eq!(
            check(&f, "udp.checksum"),
            Some(Check::Absent),
            "length {lie}"
        );
    }
    // A non-zero checksum under a lying length still cannot be verified.
    f[38..40].copy_from_slice(&500u16.to_be_bytes());
    f[41] = 1;
    assert_eq!(check(&f, "udp.checksum"), Some(Check::Unverified));
    assert!(dissect(&f)
        .problems
        .contains(&Malformation::LengthExceedsFrame(LayerKind::Udp)));
}

/// The first fragment of a datagram carries its ICMP/UDP header: ringside showed it as raw data
/// (etherparse slices no transport from fragments), tshark (without reassembly) decodes it.
#[test]
fn first_fragment_shows_its_transport_header() {
    let data = vec![0x5a; 300];
    for proto in [build::IP_PROTO_ICMP, build::IP_PROTO_UDP] {
        let mut l4 = if proto == build::IP_PROTO_ICMP {
            build::icmp_echo_header(false, 0x4242, 7, &data).to_vec()
        } else {
            build::udp_header(h().src_ip, h().dst_ip, 4000, 7, &data).to_vec()
        };
        l4.extend_from_slice(&data);
        let mut frames = Vec::new();
        build::ipv4_fragmented(&h(), proto, &l4, 100, &mut |f| frames.push(f.to_vec()));
        assert!(frames.len() > 2);
        let first = dissect(&frames[0]);
        assert!(first.problems.is_empty(), "{:?}", first.problems);
        if proto == build::IP_PROTO_ICMP {
            assert_eq!(first.num("icmp.type"), Some(8));
            assert_eq!(first.num("icmp.ident"), Some(0x4242));
            assert_eq!(first.num("icmp.seq"), Some(7));
            assert_eq!(check(&frames[0], "icmp.checksum"), Some(Check::Unverified));
            assert!(first.summary().info.starts_with("Echo (ping) request"));
        } else {
            assert_eq!(first.num("udp.srcport"), Some(4000));
            assert_eq!(first.num("udp.dstport"), Some(7));
            assert_eq!(first.num("udp.length"), Some(308));
            assert_eq!(check(&frames[0], "udp.checksum"), Some(Check::Unverified));
        }
        // Later fragments hold no header: still data.
        let later = dissect(&frames[1]);
        assert!(!later.has_layer(LayerKind::Icmp) && !later.has_layer(LayerKind::Udp));
        assert!(later.summary().info.starts_with("Fragmented IP protocol"));
    }
}

/// An ICMP message shorter than its 8-byte header but wholly inside the frame (IPv4 total length
/// says so): the checksum covers bytes that are all there, so it is judged. ringside said
/// "unverified"; tshark says bad here.
#[test]
fn short_but_whole_icmp_message_has_its_checksum_judged() {
    let mut f = Vec::new();
    build::icmp_echo(&mut f, &h(), false, 1, 1, &[0xaa; 32]);
    f[16..18].copy_from_slice(&26u16.to_be_bytes()); // total length: 20 + 6 ICMP bytes
    fix_ip_checksum(&mut f);
    let d = dissect(&f);
    assert!(d
        .problems
        .contains(&Malformation::Truncated(LayerKind::Icmp)));
    assert!(matches!(
        check(&f, "icmp.checksum"),
        Some(Check::Bad { .. })
    ));
    // Make those 6 bytes sum right: then it is good.
    f[36] = 0;
    f[37] = 0;
    let c = build::internet_checksum(&f[34..40]);
    f[36..38].copy_from_slice(&c.to_be_bytes());
    assert_eq!(check(&f, "icmp.checksum"), Some(Check::Good));
    // Cut by the frame instead (total length says more): unverified.
    let mut cut = f[..38].to_vec();
    cut[16..18].copy_from_slice(&60u16.to_be_bytes());
    fix_ip_checksum(&mut cut);
    assert_eq!(check(&cut, "icmp.checksum"), Some(Check::Unverified));
}

fn eth(ether_type: u16) -> Vec<u8> {
    let mut f = vec![0xff; 6];
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 1]);
    f.extend_from_slice(&ether_type.to_be_bytes());
    f
}

fn value(f: &[u8], key: &str) -> Option<String> {
    dissect(f).field(key).map(|f| f.value.to_string())
}

/// Issue 16: an IPv4 datagram with total length 20 (no payload) in a 60-byte frame was shown as an
/// ICMP echo decoded from the Ethernet padding. Bytes past the total length are trailer (tshark:
/// no ICMP layer, `eth.trailer`).
#[test]
fn bytes_past_ipv4_total_length_are_trailer_never_a_header() {
    let mut f = Vec::new();
    build::icmp_echo(&mut f, &h(), false, 0x1234, 1, b"abcdefgh");
    f[16..18].copy_from_slice(&20u16.to_be_bytes()); // total length: the header alone
    fix_ip_checksum(&mut f);
    build::pad_to_min(&mut f, 0);
    let d = dissect(&f);
    assert!(!d.has_layer(LayerKind::Icmp), "{:?}", d.layers);
    assert!(d.field("icmp.type").is_none());
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    let trailer = d
        .layers
        .iter()
        .find(|l| l.kind == LayerKind::Trailer)
        .unwrap();
    assert_eq!(trailer.bytes, 34..60);
    assert_eq!(d.summary().info, "IP protocol 1 (ICMP)");
    // Cut inside the UDP header: the header is truncated, the padding is not read as its rest.
    let mut f = Vec::new();
    build::udp(&mut f, &h(), 9, 9, &[0x11; 30]);
    f[16..18].copy_from_slice(&24u16.to_be_bytes());
    fix_ip_checksum(&mut f);
    let d = dissect(&f);
    assert!(d.field("udp.length").is_none(), "read from the trailer");
    assert!(d.field("udp.dstport").is_some());
    assert!(d
        .problems
        .contains(&Malformation::Truncated(LayerKind::Udp)));
}

/// Issue 16: an EtherType up to 1500 is an IEEE 802.3 length; LLC (and SNAP) follow it, also
/// behind a VLAN tag, and bytes past the length are padding.
#[test]
fn ieee_802_3_length_decodes_llc_and_snap() {
    // STP BPDU: 38 bytes of LLC data (DSAP/SSAP 0x42, UI), padded to 60.
    let mut f = eth(38);
    f.extend_from_slice(&[0x42, 0x42, 0x03]);
    f.extend_from_slice(&[0u8; 35]);
    build::pad_to_min(&mut f, 0);
    let d = dissect(&f);
    assert_eq!(value(&f, "eth.len").as_deref(), Some("38 (IEEE 802.3)"));
    assert!(d.field("eth.type").is_none());
    assert_eq!(d.num("llc.dsap"), Some(0x42));
    assert_eq!(d.num("llc.ssap"), Some(0x42));
    assert_eq!(d.num("llc.control"), Some(3));
    assert_eq!(d.summary().protocol, "STP");
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    assert_eq!(
        d.layers.iter().map(|l| l.kind).collect::<Vec<_>>(),
        [
            LayerKind::Ethernet,
            LayerKind::Llc,
            LayerKind::Payload,
            LayerKind::Trailer
        ]
    );
    // CDP over SNAP behind an 802.1Q tag (tshark: vlan.len, llc.oui 0x00000c, llc.pid 0x2000).
    let mut f = eth(0x8100);
    f.extend_from_slice(&[0x00, 0x0a]);
    f.extend_from_slice(&20u16.to_be_bytes());
    f.extend_from_slice(&[0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x20, 0x00]);
    f.extend_from_slice(&[7; 12]);
    let d = dissect(&f);
    assert_eq!(d.num("vlan.len"), Some(20));
    assert_eq!(d.num("llc.oui"), Some(0x0c));
    assert_eq!(d.num("llc.pid"), Some(0x2000));
    assert_eq!(d.summary().protocol, "SNAP");
    // An I-format PDU has a 2-byte control field, low octet first (tshark shows 0x0302).
    let mut f = eth(4);
    f.extend_from_slice(&[0xf0, 0xf0, 0x02, 0x03]);
    assert_eq!(dissect(&f).num("llc.control"), Some(0x0302));
    // A length past the frame is named.
    let mut f = eth(100);
    f.extend_from_slice(&[0x42, 0x42, 0x03]);
    assert!(dissect(&f)
        .problems
        .contains(&Malformation::LengthExceedsFrame(LayerKind::Ethernet)));
}

fn arp_frame(ether_type: u16, htype: u16, ptype: u16, hlen: u8, plen: u8, op: u16) -> Vec<u8> {
    let mut f = eth(ether_type);
    f.extend_from_slice(&htype.to_be_bytes());
    f.extend_from_slice(&ptype.to_be_bytes());
    f.extend_from_slice(&[hlen, plen]);
    f.extend_from_slice(&op.to_be_bytes());
    f.extend((0..2 * (hlen as usize + plen as usize)).map(|i| i as u8));
    f
}

/// Issue 16: ARP with other address sizes showed no addresses; they are decoded per hlen/plen
/// (tshark: arp.src.hw / arp.src.proto as bytes), and RARP (0x8035, opcodes 3/4) is ARP's packet.
#[test]
fn arp_addresses_follow_hlen_plen_and_rarp_is_decoded() {
    // InfiniBand-sized hardware addresses (20 bytes), IPv6-sized protocol addresses.
    let f = arp_frame(0x0806, 32, 0x86dd, 20, 16, 1);
    let d = dissect(&f);
    let sha = d.field("arp.sha").unwrap();
    assert_eq!(sha.byte_range(), 22..42);
    assert_eq!(
        sha.value.to_string(),
        "00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:13"
    );
    assert_eq!(d.field("arp.spa").unwrap().byte_range(), 42..58);
    assert_eq!(d.field("arp.tha").unwrap().byte_range(), 58..78);
    assert_eq!(d.field("arp.tpa").unwrap().byte_range(), 78..94);
    assert!(!d
        .problems
        .contains(&Malformation::Truncated(LayerKind::Arp)));
    // The stack only answers Ethernet/IPv4 ARP: still named.
    assert!(d.problems.contains(&Malformation::UnsupportedArp));
    // RARP request: "Who is <tha>? Tell <sha>".
    let mut f = arp_frame(0x8035, 1, 0x0800, 6, 4, 3);
    f[32..38].copy_from_slice(&[0x02, 0, 0, 0, 0, 9]);
    let d = dissect(&f);
    assert_eq!(d.summary().protocol, "RARP");
    assert_eq!(
        d.summary().info,
        "Who is 02:00:00:00:00:09? Tell 00:01:02:03:04:05"
    );
    assert_eq!(value(&f, "arp.opcode").as_deref(), Some("3 (RARP request)"));
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    let f = arp_frame(0x8035, 1, 0x0800, 6, 4, 4);
    assert_eq!(
        dissect(&f).summary().info,
        "0a:0b:0c:0d:0e:0f is at 16.17.18.19"
    );
}

/// Issue 16: timestamp, information and address-mask messages carry an identifier and a
/// sequence number (RFC 792, RFC 950); timestamps and the mask are fields of their own.
#[test]
fn icmp_query_messages_show_identifier_sequence_and_body() {
    for (ty, body) in [
        (13u8, 12usize),
        (14, 12),
        (15, 0),
        (16, 0),
        (17, 4),
        (18, 4),
    ] {
        let mut m = vec![ty, 0, 0, 0, 0x12, 0x34, 0, 7];
        m.extend((0..body).map(|i| i as u8 + 1));
        let mut f = Vec::new();
        build::icmp_echo(&mut f, &h(), false, 0, 0, &m[8..]);
        f[34] = ty;
        f[38..42].copy_from_slice(&m[4..8]);
        let end = f.len();
        f[36] = 0;
        f[37] = 0;
        let c = build::internet_checksum(&f[34..end]);
        f[36..38].copy_from_slice(&c.to_be_bytes());
        let d = dissect(&f);
        assert_eq!(d.num("icmp.ident"), Some(0x1234), "type {ty}");
        assert_eq!(d.num("icmp.seq"), Some(7), "type {ty}");
        assert_eq!(check(&f, "icmp.checksum"), Some(Check::Good), "type {ty}");
        assert!(d.problems.is_empty(), "type {ty}: {:?}", d.problems);
        match ty {
            13 | 14 => {
                assert_eq!(d.num("icmp.originate_timestamp"), Some(0x01020304));
                assert_eq!(d.num("icmp.receive_timestamp"), Some(0x05060708));
                assert_eq!(d.num("icmp.transmit_timestamp"), Some(0x090a0b0c));
            }
            17 | 18 => assert_eq!(value(&f, "icmp.address_mask").as_deref(), Some("1.2.3.4")),
            _ => {}
        }
        assert!(!d.summary().info.contains("other"), "{}", d.summary().info);
    }
}

const LL_SRC: [u8; 16] = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const LL_DST: [u8; 16] = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

/// An IPv6 frame: `exts` (already chained, first next-header `first`) then `l4` of protocol
/// `proto` with its checksum (at `ck` in `l4`) filled over the RFC 8200 8.1 pseudo-header.
fn ipv6(first: u8, exts: &[u8], proto: u8, mut l4: Vec<u8>, ck: usize) -> Vec<u8> {
    let mut c = build::Checksum::new();
    c.add(&LL_SRC).add(&LL_DST);
    c.add(&(l4.len() as u32).to_be_bytes())
        .add(&[0, 0, 0, proto]);
    c.add(&l4);
    l4[ck..ck + 2].copy_from_slice(&c.finish().to_be_bytes());
    let mut f = eth(0x86dd);
    f.extend_from_slice(&[0x60, 0, 0, 0]);
    f.extend_from_slice(&((exts.len() + l4.len()) as u16).to_be_bytes());
    f.extend_from_slice(&[first, 255]);
    f.extend_from_slice(&LL_SRC);
    f.extend_from_slice(&LL_DST);
    f.extend_from_slice(exts);
    f.extend_from_slice(&l4);
    f
}

/// Issue 16: IPv6 was not decoded. A neighbour solicitation shows the IPv6 header, the ICMPv6
/// message named, its target and its source link-layer address option, checksum verified.
#[test]
fn ipv6_neighbour_solicitation_is_decoded() {
    let mut m = vec![135, 0, 0, 0, 0, 0, 0, 0];
    m.extend_from_slice(&LL_DST);
    m.extend_from_slice(&[1, 1, 2, 0, 0, 0, 0, 1]); // source link-layer address option
    let f = ipv6(58, &[], 58, m, 2);
    let d = dissect(&f);
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    assert_eq!(value(&f, "ipv6.src").as_deref(), Some("fe80::1"));
    assert_eq!(d.num("ipv6.hlim"), Some(255));
    assert_eq!(
        value(&f, "icmpv6.type").as_deref(),
        Some("135 (neighbour solicitation)")
    );
    assert_eq!(
        value(&f, "icmpv6.nd.ns.target_address").as_deref(),
        Some("fe80::2")
    );
    assert_eq!(d.num("icmpv6.opt.type"), Some(1));
    assert_eq!(
        value(&f, "icmpv6.opt.linkaddr").as_deref(),
        Some("02:00:00:00:00:01")
    );
    assert_eq!(check(&f, "icmpv6.checksum"), Some(Check::Good));
    assert_eq!(d.summary().protocol, "ICMPv6");
    assert_eq!(d.summary().info, "neighbour solicitation fe80::2");
    // A flipped bit is named with the value that would have been right.
    let mut bad = f.clone();
    bad[60] ^= 1;
    assert!(matches!(
        check(&bad, "icmpv6.checksum"),
        Some(Check::Bad { .. })
    ));
    // An option of length 0 would loop forever: named, not followed.
    let mut zero = f.clone();
    zero[79] = 0;
    assert!(dissect(&zero)
        .problems
        .contains(&Malformation::Truncated(LayerKind::Icmpv6)));
}

/// UDP over IPv6 (mDNS) behind hop-by-hop and destination options headers: each extension header
/// is its own layer, the checksum uses the IPv6 pseudo-header (RFC 8200 8.1); a first fragment's
/// checksum cannot be verified; padding after the payload length is trailer.
#[test]
fn udp_over_ipv6_through_extension_headers() {
    let mut u = vec![0x14, 0xe9, 0x14, 0xe9, 0, 12, 0, 0];
    u.extend_from_slice(b"mdns");
    let exts = [
        60, 0, 1, 4, 0, 0, 0, 0, /* dstopts: */ 17, 0, 1, 4, 0, 0, 0, 0,
    ];
    let mut f = ipv6(0, &exts, 17, u.clone(), 6);
    build::pad_to_min(&mut f, 0);
    f.extend_from_slice(&[0; 8]); // more trailer
    let d = dissect(&f);
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    let kinds: Vec<LayerKind> = d.layers.iter().map(|l| l.kind).collect();
    assert_eq!(
        kinds,
        [
            LayerKind::Ethernet,
            LayerKind::Ipv6,
            LayerKind::Ipv6Ext,
            LayerKind::Ipv6Ext,
            LayerKind::Udp,
            LayerKind::Payload,
            LayerKind::Trailer
        ]
    );
    assert_eq!(d.num("ipv6.hopopts.nxt"), Some(60));
    assert_eq!(d.num("ipv6.dstopts.nxt"), Some(17));
    assert_eq!(check(&f, "udp.checksum"), Some(Check::Good));
    assert_eq!(d.summary().info, "5353 → 5353 Len=4");
    // Over IPv6 a zero UDP checksum is not "not sent" but wrong (RFC 8200 8.1; tshark: illegal).
    let mut zero = f.clone();
    zero[76..78].copy_from_slice(&[0, 0]);
    assert!(matches!(
        check(&zero, "udp.checksum"),
        Some(Check::Bad { .. })
    ));
    // A first fragment: the checksum covers bytes in later fragments.
    let frag = [17, 0, 0, 1, 0, 0, 0, 42];
    let f = ipv6(44, &frag, 17, u, 6);
    let d = dissect(&f);
    assert_eq!(d.num("ipv6.fraghdr.more"), Some(1));
    assert_eq!(d.num("ipv6.fraghdr.ident"), Some(42));
    assert_eq!(check(&f, "udp.checksum"), Some(Check::Unverified));
    // Payload length 0: nothing after the header is decoded, whatever the padding holds.
    let mut m = vec![128, 0, 0, 0, 0, 1, 0, 1];
    m.extend_from_slice(b"ping");
    let mut f = ipv6(58, &[], 58, m, 2);
    f[18..20].copy_from_slice(&0u16.to_be_bytes());
    let d = dissect(&f);
    assert!(!d.has_layer(LayerKind::Icmpv6), "{:?}", d.layers);
    assert!(d.has_layer(LayerKind::Trailer));
}

/// MLD (RFC 2710) report behind a hop-by-hop router-alert header, named with its group.
#[test]
fn mld_report_is_named() {
    let group = [0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfb];
    let mut m = vec![131, 0, 0, 0, 0, 0, 0, 0];
    m.extend_from_slice(&group);
    let f = ipv6(0, &[58, 0, 5, 2, 0, 0, 1, 0], 58, m, 2);
    let d = dissect(&f);
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    assert_eq!(
        value(&f, "icmpv6.mld.multicast_address").as_deref(),
        Some("ff02::fb")
    );
    assert_eq!(d.summary().info, "MLD report ff02::fb");
    assert_eq!(check(&f, "icmpv6.checksum"), Some(Check::Good));
}

/// Found on tcpdump's own captures: with a routing header that has segments left, the ICMPv6/UDP
/// checksum covers the final destination (RFC 8200 8.1), not the header's destination field.
#[test]
fn ipv6_checksum_uses_the_routing_headers_final_destination() {
    let fin = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9];
    let mut m = vec![128, 0, 0, 0, 0, 1, 0, 1];
    m.extend_from_slice(b"ping");
    // Checksum over the final destination...
    let mut c = build::Checksum::new();
    c.add(&LL_SRC).add(&fin);
    c.add(&(m.len() as u32).to_be_bytes()).add(&[0, 0, 0, 58]);
    c.add(&m);
    m[2..4].copy_from_slice(&c.finish().to_be_bytes());
    for rtype in [0u8, 2] {
        let mut rh = vec![58, 2, rtype, 1, 0, 0, 0, 0];
        rh.extend_from_slice(&fin);
        let mut f = ipv6(43, &rh, 58, m.clone(), 2);
        // ...not over the destination field: undo what `ipv6` filled in.
        let at = 14 + 40 + rh.len() + 2;
        f[at..at + 2].copy_from_slice(&m[2..4]);
        let d = dissect(&f);
        assert_eq!(d.num("ipv6.routing.segleft"), Some(1));
        assert_eq!(
            check(&f, "icmpv6.checksum"),
            Some(Check::Good),
            "type {rtype}"
        );
    }
}
