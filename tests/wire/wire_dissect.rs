//! Golden frames (checked against tshark when written) through the dissector: every field at its
//! exact bit position with its decoded value, checksums judged, malformations named.
use ringside::wire::{dissect, Check, Dissection, LayerKind, Malformation, Value};

fn frame(hex_str: &str) -> Vec<u8> {
    hex::decode(hex_str).unwrap()
}

const ARP_REQUEST: &str =
    "ffffffffffff02000000000108060001080006040001020000000001c6336401000000000000c6336402";
const ICMP_ECHO: &str = "025253000002020000000001080045000054123440004001d40ac6336401c633640208003ee800420001101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f4041424344454647";
const UDP: &str = "02525300000202000000000108004500002b123440004011d423c6336401c63364029c40000900170b5568656c6c6f2c2072696e6773696465";
const UDP_ODD_PADDED: &str = "02525300000202000000000108004500001f123440004011d42fc6336401c63364029c400007000b4ac3616263000000000000000000000000000000";
const VLAN_UDP: &str = "0252530000020200000000018100a06408004500001d123440004011d431c6336401c6336402000100020009336e78";
const IP_LEN_LIES: &str =
    "0252530000020200000000010800450003e8123440004001d076c6336401c6336402080033360001000261626364";

fn kinds(d: &Dissection) -> Vec<LayerKind> {
    d.layers.iter().map(|l| l.kind).collect()
}

fn check(d: &Dissection, key: &str) -> Option<Check> {
    d.field(key).and_then(|f| f.check)
}

#[test]
fn arp_request_fields_sit_at_rfc826_offsets() {
    let d = dissect(&frame(ARP_REQUEST));
    assert_eq!(kinds(&d), [LayerKind::Ethernet, LayerKind::Arp]);
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    let f = d.field("arp.spa").unwrap();
    assert_eq!((f.bit_start, f.bit_len), (28 * 8, 32));
    assert_eq!(f.byte_range(), 28..32);
    assert_eq!(f.value.to_string(), "198.51.100.1");
    assert_eq!(d.field("arp.tpa").unwrap().byte_range(), 38..42);
    assert_eq!(
        d.field("arp.opcode").unwrap().value.to_string(),
        "1 (request)"
    );
    assert_eq!(d.summary().info, "Who has 198.51.100.2? Tell 198.51.100.1");
}

#[test]
fn padded_arp_shows_the_padding_as_a_trailer() {
    let mut f = frame(ARP_REQUEST);
    f.resize(60, 0);
    let d = dissect(&f);
    assert_eq!(
        kinds(&d),
        [LayerKind::Ethernet, LayerKind::Arp, LayerKind::Trailer]
    );
    assert_eq!(d.layers[2].bytes, 42..60);
}

#[test]
fn icmp_echo_fields_and_checksums() {
    let d = dissect(&frame(ICMP_ECHO));
    assert_eq!(
        kinds(&d),
        [
            LayerKind::Ethernet,
            LayerKind::Ipv4,
            LayerKind::Icmp,
            LayerKind::Payload
        ]
    );
    // Sub-byte fields: version and IHL share byte 14; flags + fragment offset share 20..22.
    let v = d.field("ipv4.version").unwrap();
    assert_eq!((v.bit_start, v.bit_len, v.value), (112, 4, Value::Dec(4)));
    let ihl = d.field("ipv4.ihl").unwrap();
    assert_eq!(
        (ihl.bit_start, ihl.bit_len, ihl.value),
        (116, 4, Value::Dec(5))
    );
    let flags = d.field("ipv4.flags").unwrap();
    assert_eq!((flags.bit_start, flags.bit_len), (160, 3));
    assert_eq!(flags.value.to_string(), "0x2 (DF)");
    let off = d.field("ipv4.frag_offset").unwrap();
    assert_eq!(
        (off.bit_start, off.bit_len, off.value),
        (163, 13, Value::Dec(0))
    );
    assert_eq!(check(&d, "ipv4.checksum"), Some(Check::Good));
    assert_eq!(check(&d, "icmp.checksum"), Some(Check::Good));
    assert_eq!(d.num("icmp.ident"), Some(0x42));
    assert_eq!(d.num("icmp.seq"), Some(1));
    assert_eq!(d.layers[3].bytes, 42..98);
    let s = d.summary();
    assert_eq!(
        (s.src.as_str(), s.dst.as_str(), s.protocol),
        ("198.51.100.1", "198.51.100.2", "ICMP")
    );
    assert_eq!(s.info, "Echo (ping) request id=0x0042, seq=1, ttl=64");
}

#[test]
fn udp_checksum_good_bad_and_absent() {
    let good = frame(UDP);
    let d = dissect(&good);
    assert_eq!(check(&d, "udp.checksum"), Some(Check::Good));
    assert_eq!(d.field("udp.dstport").unwrap().byte_range(), 36..38);
    assert_eq!(d.layers.last().unwrap().bytes, 42..57);

    let mut bad = good.clone();
    *bad.last_mut().unwrap() ^= 0xff;
    let d = dissect(&bad);
    let Some(Check::Bad { expected }) = check(&d, "udp.checksum") else {
        panic!("flipped payload byte must make the UDP checksum bad")
    };
    assert!(d
        .problems
        .contains(&Malformation::BadChecksum(LayerKind::Udp)));
    // The value reported as expected is the one that makes the datagram right.
    bad[40..42].copy_from_slice(&expected.to_be_bytes());
    assert_eq!(check(&dissect(&bad), "udp.checksum"), Some(Check::Good));

    let mut absent = good.clone();
    absent[40] = 0;
    absent[41] = 0;
    assert_eq!(
        check(&dissect(&absent), "udp.checksum"),
        Some(Check::Absent)
    );

    // Offload: the checksum field is not final yet, so it is neither good nor bad.
    let mut d = Dissection::default();
    d.parse(&bad, true);
    assert_eq!(check(&d, "udp.checksum"), Some(Check::Unverified));
    assert!(d.problems.is_empty());
}

#[test]
fn odd_length_udp_with_ethernet_padding() {
    let d = dissect(&frame(UDP_ODD_PADDED));
    assert_eq!(check(&d, "udp.checksum"), Some(Check::Good));
    assert_eq!(
        kinds(&d),
        [
            LayerKind::Ethernet,
            LayerKind::Ipv4,
            LayerKind::Udp,
            LayerKind::Payload,
            LayerKind::Trailer
        ]
    );
    assert_eq!(
        d.layers[3].bytes,
        42..45,
        "payload is the UDP length's 3 bytes, not the padding"
    );
    assert_eq!(d.layers[4].bytes, 45..60);
}

#[test]
fn vlan_tag_fields() {
    let d = dissect(&frame(VLAN_UDP));
    assert_eq!(
        kinds(&d)[..3],
        [LayerKind::Ethernet, LayerKind::Vlan, LayerKind::Ipv4]
    );
    assert_eq!(d.num("eth.type"), Some(0x8100));
    let id = d.field("vlan.id").unwrap();
    assert_eq!(
        (id.bit_start, id.bit_len, id.value),
        (14 * 8 + 4, 12, Value::Dec(100))
    );
    assert_eq!(d.num("vlan.pcp"), Some(5));
    assert_eq!(check(&d, "udp.checksum"), Some(Check::Good));
}

#[test]
fn lying_total_length_is_named_and_decoded_as_far_as_bytes_go() {
    let d = dissect(&frame(IP_LEN_LIES));
    assert!(d
        .problems
        .contains(&Malformation::LengthExceedsFrame(LayerKind::Ipv4)));
    assert_eq!(d.num("ipv4.total_length"), Some(1000));
    assert_eq!(d.num("icmp.seq"), Some(2));
    assert_eq!(check(&d, "icmp.checksum"), Some(Check::Unverified));
}

#[test]
fn truncation_at_every_byte_keeps_only_whole_fields() {
    let full = frame(ICMP_ECHO);
    for cut in 0..full.len() {
        let d = dissect(&full[..cut]);
        for f in &d.fields {
            assert!(
                f.byte_range().end <= cut,
                "{} past the end at cut {cut}",
                f.key
            );
        }
        if cut < 14 {
            assert!(d
                .problems
                .contains(&Malformation::Truncated(LayerKind::Ethernet)));
        } else if cut < 34 {
            assert!(
                d.problems
                    .contains(&Malformation::Truncated(LayerKind::Ipv4)),
                "cut {cut}: {:?}",
                d.problems
            );
        } else {
            assert!(d
                .problems
                .contains(&Malformation::LengthExceedsFrame(LayerKind::Ipv4)));
        }
    }
    // Cut inside the IPv4 header: the fields before the cut are still there.
    let d = dissect(&full[..24]);
    assert_eq!(d.num("ipv4.ttl"), Some(64));
    assert!(d.field("ipv4.src").is_none());
}

#[test]
fn three_byte_frame() {
    let d = dissect(&[1, 2, 3]);
    assert_eq!(d.problems, [Malformation::Truncated(LayerKind::Ethernet)]);
    assert!(d.fields.is_empty());
    assert_eq!(d.summary().info, "Truncated frame (3 bytes)");
}

#[test]
fn ihl_below_five_and_total_below_header() {
    let mut f = frame(ICMP_ECHO);
    f[14] = 0x44; // IHL 4
    let d = dissect(&f);
    assert!(
        d.problems
            .contains(&Malformation::LengthTooShort(LayerKind::Ipv4)),
        "{:?}",
        d.problems
    );
    let mut f = frame(ICMP_ECHO);
    f[16] = 0;
    f[17] = 10; // total length 10 < 20
    let d = dissect(&f);
    assert!(d
        .problems
        .contains(&Malformation::LengthTooShort(LayerKind::Ipv4)));
    assert!(
        !d.has_layer(LayerKind::Icmp),
        "nothing after a header whose length lies short"
    );
}

#[test]
fn ip_header_checksum_bad_reports_expected_value() {
    let mut f = frame(ICMP_ECHO);
    f[24] = 0;
    f[25] = 0;
    let d = dissect(&f);
    assert_eq!(
        check(&d, "ipv4.checksum"),
        Some(Check::Bad { expected: 0xd40a })
    );
}

#[test]
fn port_unreachable_quotes_the_offending_datagram() {
    // An ICMP port unreachable quoting the UDP frame's IP header + 8 bytes.
    let udp = frame(UDP);
    let quoted = &udp[14..14 + 28];
    let mut icmp = vec![3u8, 3, 0, 0, 0, 0, 0, 0];
    icmp.extend_from_slice(quoted);
    let s = ringside_test_sum(&icmp);
    icmp[2..4].copy_from_slice(&s.to_be_bytes());
    let mut ip = vec![
        0x45, 0, 0, 0, 0, 0, 0, 0, 64, 1, 0, 0, 198, 51, 100, 2, 198, 51, 100, 1,
    ];
    let total = (20 + icmp.len()) as u16;
    ip[2..4].copy_from_slice(&total.to_be_bytes());
    let s = ringside_test_sum(&ip);
    ip[10..12].copy_from_slice(&s.to_be_bytes());
    let mut f = udp[6..12].to_vec();
    f.extend_from_slice(&udp[0..6]);
    f.extend_from_slice(&[8, 0]);
    f.extend_from_slice(&ip);
    f.extend_from_slice(&icmp);
    let d = dissect(&f);
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    assert!(d.has_layer(LayerKind::IcmpQuote));
    assert_eq!(d.num("icmp.quote.dstport"), Some(9));
    assert_eq!(
        d.field("icmp.quote.src").unwrap().value.to_string(),
        "198.51.100.1"
    );
    assert_eq!(
        d.field("icmp.code").unwrap().value.to_string(),
        "3 (port unreachable)"
    );
}

fn ringside_test_sum(b: &[u8]) -> u16 {
    let mut acc: u32 = 0;
    for c in b.chunks(2) {
        acc += u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]) as u32;
    }
    while acc >> 16 != 0 {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}
