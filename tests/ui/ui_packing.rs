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

// ---- The course's own structs (blog post 2.1-2.4) and what its program reads ----

use ringside::ui::packing::{CourseFrame, Leaf};

fn leaf(frame: CourseFrame, path: &str) -> Leaf {
    frame
        .c_struct()
        .leaves()
        .into_iter()
        .find(|l| l.path == path)
        .unwrap_or_else(|| panic!("no {path}"))
}

fn udp_frame() -> Vec<u8> {
    let mut f = Vec::new();
    udp(&mut f, &eth_ip(), 40000, 9, b"hello, class");
    f
}

#[test]
fn the_course_udppkt_has_its_hole_after_the_ethernet_header() {
    let st = CourseFrame::Udp.c_struct();
    let (nat, pak) = (st.layout(false), st.layout(true));
    assert_eq!((nat.size, nat.align, pak.size), (44, 4, 42));
    assert_eq!(nat.holes, vec![(14..16, 1)], "one hole, before `ip`");
    for (path, natural, packed) in [
        ("eth.protocol", 12, 12),
        ("ip.totlen", 18, 16),
        ("ip.protocol", 25, 23),
        ("ip.sip", 28, 26),
        ("udp.length", 40, 38),
        ("payload", 44, 42),
    ] {
        let l = leaf(CourseFrame::Udp, path);
        assert_eq!((l.natural, l.packed), (natural, packed), "{path}");
    }
}

#[test]
fn the_unpacked_program_reads_the_checksums_low_byte_as_the_protocol() {
    let f = udp_frame();
    let d = dissect(&f);
    assert_eq!(CourseFrame::of(&d), Some(CourseFrame::Udp));
    let proto = leaf(CourseFrame::Udp, "ip.protocol");
    let r = proto.read(&f, &d, false);
    assert_eq!(r.bytes, 25..26);
    assert!(!r.right);
    assert_eq!(r.actually, "Header Checksum, low byte");
    assert_eq!(r.value, Some(f[25] as u64));
    let r = proto.read(&f, &d, true);
    assert!(r.right, "packed, the struct matches the wire");
    assert_eq!(r.value, Some(17));
    // The UDP length, 2 bytes late: the checksum.
    let r = leaf(CourseFrame::Udp, "udp.length").read(&f, &d, false);
    assert_eq!((r.bytes, r.actually.as_str()), (40..42, "Checksum"));
}

/// The course's `unsigned char version:4, hdrlen:4;`: little-endian gcc puts `version` in the
/// LOW nibble, so even the packed struct reads the header length as the version.
#[test]
fn the_course_bitfields_read_the_swapped_nibbles() {
    let f = udp_frame();
    let d = dissect(&f);
    let v = leaf(CourseFrame::Udp, "ip.version").read(&f, &d, true);
    assert_eq!(
        (v.value, v.right, v.actually.as_str()),
        (Some(5), false, "IHL")
    );
    let h = leaf(CourseFrame::Udp, "ip.hdrlen").read(&f, &d, true);
    assert_eq!(
        (h.value, h.right, h.actually.as_str()),
        (Some(4), false, "Version")
    );
    // `unsigned short flag:3, offset:13` takes the low 3 bits of the first byte.
    let fl = leaf(CourseFrame::Udp, "ip.flag").read(&f, &d, true);
    assert_eq!(fl.actually, "part of Fragment Offset");
    assert!(!leaf(CourseFrame::Udp, "ip.offset").read(&f, &d, true).right);
}

#[test]
fn icmp_and_arp_have_structs_in_the_course_style() {
    let mut f = Vec::new();
    icmp_echo(&mut f, &eth_ip(), false, 0x1234, 1, &[0x10; 56]);
    let d = dissect(&f);
    assert_eq!(CourseFrame::of(&d), Some(CourseFrame::Icmp));
    let id = leaf(CourseFrame::Icmp, "icmp.identifier");
    assert_eq!((id.natural, id.packed), (40, 38));
    assert!(id.read(&f, &d, true).right);
    assert_eq!(id.read(&f, &d, false).actually, "Sequence Number");

    let mut a = Vec::new();
    arp(
        &mut a,
        [0xff; 6],
        1,
        [2, 0, 0, 0, 0, 1],
        Ipv4Addr::new(198, 51, 100, 1),
        [0; 6],
        Ipv4Addr::new(198, 51, 100, 2),
    );
    let d = dissect(&a);
    assert_eq!(CourseFrame::of(&d), Some(CourseFrame::Arp));
    let st = CourseFrame::Arp.c_struct().layout(false);
    assert_eq!(
        (st.size, CourseFrame::Arp.c_struct().layout(true).size),
        (48, 42)
    );
    let dip = leaf(CourseFrame::Arp, "arp.dip");
    assert_eq!((dip.natural, dip.packed), (44, 38));
    // Unpadded (42 bytes), the unpacked program reads the target IP past the frame's end.
    assert!(dip
        .read(&a, &d, false)
        .actually
        .starts_with("past the frame's end"));
    assert!(dip.read(&a, &d, true).right);
}

#[test]
fn frames_without_a_course_struct_get_none() {
    let mut f = udp_frame();
    f.splice(12..12, [0x81, 0x00, 0x00, 0x64]); // a VLAN tag
    assert_eq!(CourseFrame::of(&dissect(&f)), None);
    let mut f = udp_frame();
    f[20..22].copy_from_slice(&185u16.to_be_bytes()); // a later fragment: no UDP header in it
    assert_eq!(CourseFrame::of(&dissect(&f)), None);
    let mut f = udp_frame();
    f.splice(34..34, [1u8, 1, 1, 1]); // IPv4 options: the course's iphdr has none
    f[14] = 0x46;
    assert_eq!(CourseFrame::of(&dissect(&f)), None);
}

#[test]
fn the_panel_marks_the_selected_member_and_explains_it_at_the_foot() {
    use ringside::ui::structview::course_lines;
    let f = udp_frame();
    let d = dissect(&f);
    let proto = d
        .fields
        .iter()
        .position(|x| x.key == "ipv4.protocol")
        .unwrap();
    let (lines, sel, foot) = course_lines(CourseFrame::Udp, &f, &d, Some(proto), 90);
    let text = |l: &ratatui::text::Line| {
        l.spans
            .iter()
            .map(|s| s.content.as_ref())
            .collect::<String>()
    };
    assert!(text(&lines[sel.unwrap()]).contains("unsigned char protocol;"));
    let foot: Vec<String> = foot.iter().map(text).collect();
    assert!(
        foot[0].contains("pkt->ip.protocol: the wire has Protocol in byte 23"),
        "{foot:?}"
    );
    assert!(foot[1].contains("unpacked: reads byte 25"), "{foot:?}");
    assert!(
        foot[1].contains("that is Header Checksum, low byte"),
        "{foot:?}"
    );
    assert!(
        foot[2].contains("packed: reads byte 23 = 0x11 (17) ✓"),
        "{foot:?}"
    );
}

/// Bad input is normal input: every cut of a UDP, ICMP and ARP frame, and a UDP length that lies,
/// with every field selected and at widths 1, 43 and 90, draws without panicking; members
/// past the end of a cut frame say so.
#[test]
fn cut_and_lying_frames_never_panic_the_course_view() {
    use ringside::ui::structview::course_lines;
    let mut frames = vec![udp_frame()];
    let mut f = Vec::new();
    icmp_echo(&mut f, &eth_ip(), false, 1, 1, &[]);
    frames.push(f);
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
    frames.push(f);
    let mut lie = udp_frame();
    lie[38..40].copy_from_slice(&65535u16.to_be_bytes());
    frames.push(lie);
    let mut past_end = 0;
    for full in &frames {
        for cut in 0..=full.len() {
            let f = &full[..cut];
            let d = dissect(f);
            let Some(which) = CourseFrame::of(&d) else {
                continue;
            };
            for sel in (0..d.fields.len()).map(Some).chain([None]) {
                for width in [1, 43, 90] {
                    let (lines, _, _) = course_lines(which, f, &d, sel, width);
                    assert!(!lines.is_empty());
                }
            }
            past_end += which
                .c_struct()
                .leaves()
                .iter()
                .filter(|l| l.size > 0)
                .filter(|l| {
                    l.read(f, &d, false)
                        .actually
                        .starts_with("past the frame's end")
                })
                .count();
        }
    }
    assert!(
        past_end > 0,
        "cut frames must be read past their end somewhere"
    );
}
