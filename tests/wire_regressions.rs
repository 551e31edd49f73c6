//! Dissector bugs the tshark agreement check (tests/agreement.rs) found, one test each, with the
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
