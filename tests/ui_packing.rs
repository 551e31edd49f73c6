//! Packed vs padded, computed from the field map with C's alignment rules.
use ringside::ui::packing::{CType, Layout};
use ringside::wire::build::{arp, icmp_echo, udp, EthIp};
use ringside::wire::dissect;
use std::net::Ipv4Addr;

fn eth_ip() -> EthIp {
    EthIp {
        src_mac: [2, 0, 0, 0, 0, 1],
        dst_mac: [2, 0x52, 0x53, 0, 0, 2],
        src_ip: Ipv4Addr::new(198, 51, 100, 1),
        dst_ip: Ipv4Addr::new(198, 51, 100, 2),
        ttl: 64,
        ip_id: 7,
    }
}

fn member<'a>(l: &'a Layout, name: &str) -> &'a ringside::ui::packing::Member {
    l.members
        .iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no {name}: {l:#?}"))
}

#[test]
fn ethernet_ipv4_udp_is_42_packed_44_natural_with_a_hole_before_the_source_address() {
    let mut f = Vec::new();
    udp(&mut f, &eth_ip(), 40000, 9, b"hello");
    let l = Layout::of(&dissect(&f));
    assert_eq!((l.packed_size, l.natural_size, l.align), (42, 44, 4));
    assert_eq!(l.holes.len(), 1, "{:?}", l.holes);
    assert_eq!(l.holes[0].at, 26..28);
    let src = member(&l, "ipv4_src");
    assert_eq!(
        (src.natural, src.packed, src.ty.clone()),
        (28, 26, CType::Uint(32))
    );
    // 4-bit version + 4-bit IHL share a byte; 3-bit flags + 13-bit offset a uint16_t.
    let v = member(&l, "ipv4_version_ipv4_ihl");
    assert!(matches!(&v.ty, CType::Bitfields(8, parts) if parts.len() == 2));
    let fl = member(&l, "ipv4_flags_ipv4_frag_offset");
    assert!(matches!(&fl.ty, CType::Bitfields(16, _)));
    assert_eq!(fl.natural, 20);
    // MACs are byte arrays (alignment 1); the payload a flexible array member (adds nothing).
    assert_eq!(member(&l, "eth_dst").ty, CType::Bytes(6));
    assert_eq!(member(&l, "payload").ty, CType::Flexible(5));
    assert_eq!(member(&l, "udp_checksum").natural, 42);
}

#[test]
fn ethernet_arp_pads_before_the_target_ip() {
    let mut f = Vec::new();
    arp(
        &mut f,
        [0xff; 6],
        1,
        [2, 0, 0, 0, 0, 1],
        Ipv4Addr::new(198, 51, 100, 1),
        [0; 6],
        Ipv4Addr::new(198, 51, 100, 2),
    );
    f.resize(60, 0); // Ethernet padding is not part of the headers
    let l = Layout::of(&dissect(&f));
    assert_eq!((l.packed_size, l.natural_size), (42, 44));
    assert_eq!(
        l.holes.iter().map(|h| h.at.clone()).collect::<Vec<_>>(),
        vec![38..40]
    );
    assert_eq!(
        member(&l, "arp_spa").natural,
        28,
        "sender IP happens to be aligned"
    );
    assert_eq!(member(&l, "arp_tpa").natural, 40);
}

#[test]
fn ethernet_ipv4_icmp_echo() {
    let mut f = Vec::new();
    icmp_echo(&mut f, &eth_ip(), false, 0x1234, 1, &[0x10; 56]);
    let l = Layout::of(&dissect(&f));
    assert_eq!((l.packed_size, l.natural_size), (42, 44));
    let ident = member(&l, "icmp_ident");
    assert_eq!(
        (ident.natural, ident.packed),
        (40, 38),
        "everything after the hole shifts by 2"
    );
    assert_eq!(member(&l, "payload").ty, CType::Flexible(56));
}

#[test]
fn ipv4_options_are_a_byte_array_in_place() {
    let mut f = Vec::new();
    udp(&mut f, &eth_ip(), 40000, 9, b"x");
    // Insert 4 bytes of options (NOPs): IHL 6, total length +4; checksum not fixed (layout only).
    f.splice(34..34, [1u8, 1, 1, 1]);
    f[14] = 0x46;
    let total = u16::from_be_bytes([f[16], f[17]]) + 4;
    f[16..18].copy_from_slice(&total.to_be_bytes());
    let l = Layout::of(&dissect(&f));
    assert_eq!(member(&l, "ipv4_options").ty, CType::Bytes(4));
    assert_eq!(member(&l, "ipv4_options").natural, 36);
    assert_eq!((l.packed_size, l.natural_size), (46, 48));
}
