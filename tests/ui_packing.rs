//! Packed vs padded, computed from the field map with C's alignment rules.
use ringside::ui::packing::{CType, Layout};
use ringside::ui::structview::declaration;
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
    let v = member(&l, "ipv4_version_ihl");
    assert!(matches!(&v.ty, CType::Subfields(8, parts) if parts.len() == 2));
    let fl = member(&l, "ipv4_flags_frag_offset");
    assert!(matches!(&fl.ty, CType::Subfields(16, _)));
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

/// The panel must not teach C bit-fields in wire order: GCC/Clang on little-endian CPUs fill them
/// from the low bit, so `uint8_t version:4, ihl:4;` reads the wrong nibbles. Sub-byte fields are
/// one plain integer whose parts are listed high bits first, and multi-byte ones say to
/// `ntohs()` first.
#[test]
fn sub_byte_fields_are_one_integer_not_wire_order_bitfields() {
    let mut f = Vec::new();
    udp(&mut f, &eth_ip(), 40000, 9, b"hello");
    let l = Layout::of(&dissect(&f));
    let decls: Vec<String> = l
        .members
        .iter()
        .map(|m| declaration(&m.ty, &m.name))
        .collect();
    let has = |want: &str| {
        assert!(
            decls
                .iter()
                .any(|d| d.split_whitespace().collect::<Vec<_>>().join(" ") == want),
            "no `{want}` in {decls:#?}"
        )
    };
    has("uint8_t ipv4_version_ihl; /* version:4 | ihl:4 */");
    has("uint8_t ipv4_dscp_ecn; /* dscp:6 | ecn:2 */");
    has("uint16_t ipv4_flags_frag_offset; /* flags:3 | frag_offset:13, ntohs() */");
    for d in &decls {
        let code = d.split("/*").next().unwrap();
        assert!(!code.contains(':'), "a C bit-field is declared: {d}");
    }
    // The layout is unchanged by how the members are spelled.
    assert_eq!((l.packed_size, l.natural_size), (42, 44));
}

#[test]
fn vlan_tag_control_is_one_big_endian_uint16() {
    let mut f = Vec::new();
    udp(&mut f, &eth_ip(), 40000, 9, b"x");
    // 802.1Q tag: TPID 0x8100, PCP 5, DEI 0, VID 100, then the original EtherType.
    f.splice(12..12, [0x81, 0x00, 0xa0, 0x64]);
    let l = Layout::of(&dissect(&f));
    let tci = member(&l, "vlan_pcp_dei_id");
    assert_eq!(
        declaration(&tci.ty, &tci.name)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
        "uint16_t vlan_pcp_dei_id; /* pcp:3 | dei:1 | id:12, ntohs() */"
    );
    assert_eq!((tci.natural, tci.packed), (14, 14));
}
