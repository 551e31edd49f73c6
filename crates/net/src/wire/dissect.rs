//! Dissection: any byte string to layers and a byte-exact field map.
//!
//! Ethernet, VLAN, ARP, IPv4, ICMP and UDP are decoded by walking their field tables
//! (`wire/{ethernet,vlan,arp,ipv4,icmp,udp}.rs`, see `wire/table.rs`): the keys, labels, bit
//! ranges and how values are shown come from there, so the field map, the stack's views and the
//! builders share one layout. What a table cannot say is written here by hand: checksums and
//! their verdicts, an 802.3 length in the type field's place, ARP addresses of other lengths,
//! the ICMP fields that depend on the type (code names, next-hop MTU, pointer, timestamps) and
//! the quoted datagram. IPv6 and its extension headers, ICMPv6, LLC/SNAP and the Linux cooked
//! headers are still decoded by hand below, one bounds-checked read at a time (they have no
//! table yet).
//!
//! etherparse's lax IPv4 slicer (`LaxIpv4Slice`) judges the IPv4 header and finds its payload:
//! where it starts, whether it is complete or fragmented. (Its whole-packet `LaxSlicedPacket`
//! does the same plus Ethernet and VLAN, but returns a large struct by value: walking the 14-byte
//! Ethernet header and 4-byte tags here instead doubled dissection speed.) etherparse gives header
//! slices, not field positions, so the field map is ours: each layer's fields are read from fixed
//! layouts (the RFC diagrams) at the offset etherparse found, one bounds-checked read at a time, so a
//! header cut short still shows every field whose bytes are there.
use super::checksum::{pseudo_header_v4_raw, pseudo_header_v6, verify, Checksum};
use super::field::*;
pub use super::table::read_bits;
use super::table::FieldDef;
use super::{arp, ethernet, icmp, ipv4, udp, vlan};
use super::{is_vlan_tpid, EtherType, IpProtocol, MAX_VLAN_TAGS};

/// The one-line view of a frame for packet lists (Wireshark's columns).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub src: String,
    pub dst: String,
    pub protocol: &'static str,
    pub info: String,
}

/// A frame taken apart. Reusable: [`Dissection::parse`] clears and refills it without allocating
/// once its vectors have grown, which is what keeps dissection at tens of millions of frames/s.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dissection {
    pub frame_len: usize,
    /// What the frame starts with ([`Dissection::parse_link`]); Ethernet for [`Dissection::parse`].
    pub link: LinkKind,
    pub layers: Vec<Layer>,
    pub fields: Vec<Field>,
    pub problems: Vec<Malformation>,
    /// Where the fields the Info column reads are, noted by the walk.
    info: InfoPlaces,
}

/// The fields the Info column reads (of Ethernet/IPv4/UDP/ICMP/ARP frames, the common ones).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum InfoField {
    Ipv4Flags,
    Ipv4FragOffset,
    Ipv4Ttl,
    UdpSrcPort,
    UdpDstPort,
    UdpLength,
    IcmpType,
    IcmpCode,
    IcmpIdent,
    IcmpSeq,
    ArpOpcode,
    ArpSha,
    ArpSpa,
    ArpTha,
    ArpTpa,
}

impl InfoField {
    const COUNT: usize = InfoField::ArpTpa as usize + 1;
}

/// Which layer kinds a frame has and where the Info column's fields are in its field list,
/// noted by the walk as it pushes them: the Info column then reads them by position, with no
/// scan of the layers and no compare of field keys (what `dump` pays for every frame).
/// A field is noted only in the first layer of its kind, as a lookup by key would find it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct InfoPlaces {
    /// One bit per [`LayerKind`] present.
    kinds: u32,
    at: [Option<u32>; InfoField::COUNT],
}

impl InfoPlaces {
    fn kind_bit(kind: LayerKind) -> u32 {
        1 << kind as u32
    }
}

/// Dissect one frame into a fresh [`Dissection`].
pub fn dissect(frame: &[u8]) -> Dissection {
    let mut d = Dissection::default();
    d.parse(frame, false);
    d
}

// The shared VLAN depth is etherparse's: its lax slicer agrees on where the tags end.
const _: () = assert!(MAX_VLAN_TAGS == etherparse::LaxSlicedPacket::LINK_EXTS_CAP);

const ETH_LEN: usize = ethernet::HEADER_LEN;
const UDP_LEN: usize = udp::HEADER_LEN;
const ICMP_LEN: usize = icmp::HEADER_LEN;

impl Dissection {
    /// Clear and dissect `frame`. `csum_not_ready` marks the UDP checksum as unverified: the
    /// sender's kernel left it to offload, so the bytes on the wire are not the final checksum.
    pub fn parse(&mut self, frame: &[u8], csum_not_ready: bool) {
        self.parse_link(frame, LinkKind::Ethernet, csum_not_ready);
    }

    /// Like [`Dissection::parse`] for a frame of a capture with another link type.
    pub fn parse_link(&mut self, frame: &[u8], link: LinkKind, csum_not_ready: bool) {
        self.frame_len = frame.len();
        self.link = link;
        self.layers.clear();
        self.fields.clear();
        self.problems.clear();
        self.info = InfoPlaces::default();
        let mut w = Walker {
            d: self,
            frame,
            csum_not_ready,
            final_dst: None,
            first_of_kind: false,
        };
        w.walk();
    }

    /// The fields of one layer.
    pub fn layer_fields(&self, layer: &Layer) -> &[Field] {
        self.fields.get(layer.fields.clone()).unwrap_or(&[])
    }

    /// First field with this key.
    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// An Info field the walk noted (see [`InfoPlaces`]), if the frame has it.
    fn info_field(&self, which: InfoField) -> Option<&Field> {
        let at = self.info.at[which as usize]?;
        self.fields.get(at as usize)
    }

    /// [`Dissection::num`] for an Info field the walk noted.
    fn info_num(&self, which: InfoField) -> Option<u64> {
        match self.info_field(which)?.value {
            Value::Dec(v) | Value::Hex(v, _) | Value::Named(v, _, _) => Some(v),
            Value::Flags(v, _) => Some(v as u64),
            _ => None,
        }
    }

    pub fn has_layer(&self, kind: LayerKind) -> bool {
        self.info.kinds & InfoPlaces::kind_bit(kind) != 0
    }

    /// The field's value as a plain number (for `Dec`, `Hex`, `Named`, `Flags`).
    pub fn num(&self, key: &str) -> Option<u64> {
        match self.field(key)?.value {
            Value::Dec(v) | Value::Hex(v, _) | Value::Named(v, _, _) => Some(v),
            Value::Flags(v, _) => Some(v as u64),
            _ => None,
        }
    }

    /// The layer whose bytes contain frame offset `at` (innermost wins).
    pub fn layer_at(&self, at: usize) -> Option<&Layer> {
        self.layers.iter().rev().find(|l| l.bytes.contains(&at))
    }

    /// RARP (RFC 903): ARP's packet under EtherType 0x8035.
    fn is_rarp(&self) -> bool {
        self.fields
            .iter()
            .rev()
            .find(|f| matches!(f.key, "eth.type" | "vlan.type"))
            .is_some_and(|f| matches!(f.value, Value::Named(0x8035, _, _)))
    }

    /// Wireshark-like one-line columns. Allocates: meant for the rows on screen, not the hot path
    /// (a caller that prints only Protocol and Info, like `dump`, asks [`Dissection::protocol_info`]).
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        s.protocol = self.describe(Some((&mut s.src, &mut s.dst)), &mut s.info);
        s
    }

    /// The Protocol and Info columns of [`Dissection::summary`] alone: Info is appended to
    /// `info`, Protocol returned. No Source/Destination strings, and nothing allocated once
    /// `info` has grown: what `dump` prints for millions of frames.
    pub fn protocol_info(&self, info: &mut String) -> &'static str {
        self.describe(None, info)
    }

    /// The summary's columns: Info into `info`, Source/Destination into `addrs` when asked for;
    /// returns Protocol.
    fn describe(
        &self,
        mut addrs: Option<(&mut String, &mut String)>,
        info: &mut String,
    ) -> &'static str {
        use std::fmt::Write as _;
        use InfoField::*;
        let addrs_wanted = addrs.is_some();
        // Source and Destination: the fields' values as text, "" for a field the frame lacks.
        let mut set_addrs = |src: Option<&Field>, dst: Option<&Field>| {
            if let Some((s, d)) = addrs.as_mut() {
                for (out, f) in [(&mut **s, src), (&mut **d, dst)] {
                    out.clear();
                    if let Some(f) = f {
                        let _ = write!(out, "{}", f.value);
                    }
                }
            }
        };
        let ipv4 = |k: InfoField| match self.info_field(k).map(|f| f.value) {
            Some(v @ Value::Ipv4(_)) => Some(v),
            _ => None,
        };
        // An address as text, `or` when the frame lacks it.
        struct Or<'a>(Option<Value>, &'a str);
        impl std::fmt::Display for Or<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self.0 {
                    Some(v) => std::fmt::Display::fmt(&v, f),
                    None => f.write_str(self.1),
                }
            }
        }
        let mac = |k: InfoField| Or(self.info_field(k).map(|f| f.value), "");
        let mut protocol = "Ethernet";
        if self.link != LinkKind::Ethernet {
            set_addrs(self.field("sll.src"), None);
            protocol = match self.link {
                LinkKind::RawIp => "IP",
                _ => "SLL",
            };
        } else {
            if addrs_wanted {
                set_addrs(self.field("eth.src"), self.field("eth.dst"));
            }
            if self.frame_len < ETH_LEN {
                let _ = write!(info, "Truncated frame ({} bytes)", self.frame_len);
                return "Ethernet";
            }
        }
        if self.has_layer(LayerKind::Llc) {
            let dsap = self.num("llc.dsap").unwrap_or(0);
            protocol = match (dsap, self.num("llc.pid")) {
                (0x42, _) => "STP",
                (_, Some(_)) => "SNAP",
                _ => "LLC",
            };
            let _ = write!(
                info,
                "IEEE 802.3, length {}: DSAP 0x{dsap:02x} ({}), SSAP 0x{:02x}",
                self.num("eth.len").or(self.num("vlan.len")).unwrap_or(0),
                sap_name(dsap as u8),
                self.num("llc.ssap").unwrap_or(0)
            );
            if let (Some(oui), Some(pid)) = (self.num("llc.oui"), self.num("llc.pid")) {
                let _ = write!(info, ", OUI 0x{oui:06x}, PID 0x{pid:04x}");
            }
        } else if self.has_layer(LayerKind::Arp) && self.is_rarp() {
            protocol = "RARP";
            let tha = Or(self.info_field(ArpTha).map(|f| f.value), "?");
            let _ = match self.info_num(ArpOpcode) {
                Some(3) => write!(info, "Who is {tha}? Tell {}", mac(ArpSha)),
                Some(4) => write!(info, "{tha} is at {}", Or(ipv4(ArpTpa), "")),
                Some(op) => write!(info, "RARP opcode {op}"),
                None => write!(info, "Truncated RARP"),
            };
        } else if self.has_layer(LayerKind::Arp) {
            protocol = "ARP";
            let (spa, tpa) = (ipv4(ArpSpa), ipv4(ArpTpa));
            // Equal as text: both the same address, or both missing ("?").
            let same = spa == tpa;
            let (spa, tpa) = (Or(spa, "?"), Or(tpa, "?"));
            let _ = match self.info_num(ArpOpcode) {
                Some(1) if same => {
                    info.push_str("Gratuitous ARP for ");
                    push_or(info, spa.0, "?");
                    Ok(())
                }
                Some(1) if spa.0 == Some(Value::Ipv4([0; 4])) => {
                    write!(info, "Who has {tpa}? (ARP probe)")
                }
                Some(1) => {
                    info.push_str("Who has ");
                    push_or(info, tpa.0, "?");
                    info.push_str("? Tell ");
                    push_or(info, spa.0, "?");
                    Ok(())
                }
                Some(2) => {
                    push_or(info, spa.0, "?");
                    info.push_str(" is at ");
                    push_or(info, self.info_field(ArpSha).map(|f| f.value), "");
                    Ok(())
                }
                Some(op) => write!(info, "ARP opcode {op}"),
                None => write!(info, "Truncated ARP"),
            };
        } else if self.has_layer(LayerKind::Ipv6) {
            protocol = "IPv6";
            let ip6 = |k: &str| match self.field(k) {
                Some(
                    f @ Field {
                        value: Value::Ipv6(_),
                        ..
                    },
                ) => Some(f),
                _ => None,
            };
            if let (Some(src), Some(dst)) = (ip6("ipv6.src"), ip6("ipv6.dst")) {
                set_addrs(Some(src), Some(dst));
            }
            if self.has_layer(LayerKind::Udp) {
                protocol = "UDP";
                self.udp_info(info);
            } else if let Some(t) = self.num("icmpv6.type") {
                protocol = "ICMPv6";
                let name = icmpv6_type_name(t as u8);
                let target = ip6("icmpv6.nd.ns.target_address")
                    .or_else(|| ip6("icmpv6.nd.na.target_address"))
                    .or_else(|| ip6("icmpv6.nd.rd.target_address"))
                    .or_else(|| ip6("icmpv6.mld.multicast_address"));
                let _ = match (
                    self.num("icmpv6.echo.identifier"),
                    self.num("icmpv6.echo.sequence_number"),
                    target,
                ) {
                    (Some(id), Some(seq), _) => write!(
                        info,
                        "{name} id=0x{id:04x}, seq={seq}, hop limit={}",
                        self.num("ipv6.hlim").unwrap_or(0)
                    ),
                    (_, _, Some(t)) => write!(info, "{name} {}", t.value),
                    _ => write!(info, "{name}"),
                };
            } else if let Some(p) = self.num("ipv6.nxt") {
                let _ = write!(info, "Next header {p} ({})", ip_protocol_name(p as u8));
            }
        } else if self.has_layer(LayerKind::Ipv4) {
            protocol = "IPv4";
            if addrs_wanted {
                let (src, dst) = (self.field("ipv4.src"), self.field("ipv4.dst"));
                let is_v4 =
                    |f: Option<&Field>| f.is_some_and(|f| matches!(f.value, Value::Ipv4(_)));
                if is_v4(src) && is_v4(dst) {
                    set_addrs(src, dst);
                }
            }
            let frag_off = self.info_num(Ipv4FragOffset).unwrap_or(0);
            let mf = self.info_num(Ipv4Flags).unwrap_or(0) & 1 != 0;
            if self.has_layer(LayerKind::Udp) {
                protocol = "UDP";
                self.udp_info(info);
            } else if self.has_layer(LayerKind::Icmp) {
                protocol = "ICMP";
                let t = self.info_num(IcmpType).unwrap_or(255);
                let code = self.info_num(IcmpCode).unwrap_or(0);
                info.push_str(icmp_type_name(t as u8, code as u8));
                let id_seq = (self.info_num(IcmpIdent), self.info_num(IcmpSeq));
                if let (Some(id), Some(seq)) = id_seq {
                    info.push_str(" id=0x");
                    push_hex4(info, id);
                    info.push_str(", seq=");
                    info.push_str(itoa::Buffer::new().format(seq));
                    info.push_str(", ttl=");
                    let ttl = self.info_num(Ipv4Ttl).unwrap_or(0);
                    info.push_str(itoa::Buffer::new().format(ttl));
                }
            } else if frag_off > 0 || mf {
                let _ = write!(
                    info,
                    "Fragmented IP protocol (proto={}, off={}, ID={:04x}){}",
                    self.num("ipv4.protocol").unwrap_or(0),
                    frag_off * 8,
                    self.num("ipv4.id").unwrap_or(0),
                    if mf { " [MF]" } else { "" }
                );
            } else if let Some(p) = self.num("ipv4.protocol") {
                let _ = write!(info, "IP protocol {p} ({})", ip_protocol_name(p as u8));
            }
        } else if let Some(t) = self.num("eth.type") {
            protocol = ether_type_name(t as u16);
            let _ = write!(info, "Ethertype 0x{t:04x}");
        }
        if let Some(p) = self.problems.first() {
            info.push_str(" [");
            p.name_parts().iter().for_each(|part| info.push_str(part));
            info.push(']');
        }
        protocol
    }

    /// A UDP datagram's Info: `src → dst Len=payload`.
    fn udp_info(&self, info: &mut String) {
        let sp = self.info_num(InfoField::UdpSrcPort).unwrap_or(0);
        let dp = self.info_num(InfoField::UdpDstPort).unwrap_or(0);
        let len = self.info_num(InfoField::UdpLength).unwrap_or(0);
        // `itoa`, not `write!`: fmt's machinery costs more than the digits, for every frame.
        info.push_str(itoa::Buffer::new().format(sp));
        info.push_str(" → ");
        info.push_str(itoa::Buffer::new().format(dp));
        info.push_str(" Len=");
        info.push_str(itoa::Buffer::new().format(len.saturating_sub(8)));
    }
}

/// `v` as `{v:04x}` would write it, without `fmt` (the Info column's ICMP identifier).
fn push_hex4(out: &mut String, v: u64) {
    if v > 0xffff {
        use std::fmt::Write as _;
        let _ = write!(out, "{v:04x}");
        return;
    }
    let digit = |shift: u32| b"0123456789abcdef"[(v >> shift) as usize & 0xf];
    let digits = [digit(12), digit(8), digit(4), digit(0)];
    // One push of four ASCII bytes: `push(char)` per digit encodes each as UTF-8 first.
    out.push_str(std::str::from_utf8(&digits).unwrap_or("????"));
}

/// An IPv4 or MAC address as `Value`'s Display writes it (`a.b.c.d`, `aa:bb:..`), without
/// `fmt`'s machinery, or `or` when the frame lacks it.
fn push_or(out: &mut String, v: Option<Value>, or: &str) {
    match v {
        Some(Value::Mac(m)) => {
            let hex = |x: u8| char::from(b"0123456789abcdef"[usize::from(x & 0xf)]);
            for (i, b) in m.iter().enumerate() {
                if i > 0 {
                    out.push(':');
                }
                out.push(hex(b >> 4));
                out.push(hex(*b));
            }
        }
        Some(Value::Ipv4(a)) => {
            for (i, b) in a.iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                out.push_str(itoa::Buffer::new().format(*b));
            }
        }
        Some(v) => {
            use std::fmt::Write as _;
            let _ = write!(out, "{v}");
        }
        None => out.push_str(or),
    }
}

/// Reads fields at fixed bit positions, bounds-checked, into the dissection.
struct Walker<'a, 'f> {
    d: &'a mut Dissection,
    frame: &'f [u8],
    csum_not_ready: bool,
    /// Where an IPv6 routing header holds the datagram's final destination, for the
    /// upper-layer checksum (RFC 8200 8.1).
    final_dst: Option<usize>,
    /// The layer being walked is the first of its kind in the frame (see [`InfoPlaces`]).
    first_of_kind: bool,
}

impl Walker<'_, '_> {
    fn walk(&mut self) {
        let frame = self.frame;
        match self.d.link {
            LinkKind::Ethernet => {}
            LinkKind::LinuxSll => return self.sll(),
            LinkKind::LinuxSll2 => return self.sll2(),
            LinkKind::RawIp => {
                // A bare datagram: its version nibble says which IP it is.
                match frame.first().map(|b| b >> 4) {
                    Some(4) => self.ipv4_datagram(0),
                    Some(6) => self.ipv6_datagram(0),
                    _ => self.payload(0, frame.len()),
                }
                return;
            }
        }
        self.ethernet(0);
        if frame.len() < ETH_LEN {
            // Shorter than an Ethernet header: the fields above are what bytes there are.
            self.problem(Malformation::Truncated(LayerKind::Ethernet));
            return;
        }
        self.tagged(ETH_LEN, read_u16(frame, 12).unwrap_or(0));
    }

    /// Linux cooked header v1 (LINKTYPE_LINUX_SLL, 16 bytes): packet type, ARPHRD type,
    /// address length, 8 address bytes, protocol.
    fn sll(&mut self) {
        self.begin(LayerKind::Sll, 0, 16);
        self.field("sll.pkttype", "Packet type", 0, 16, |v| {
            Value::Named(v, 0, sll_pkttype_name(v))
        });
        let hatype = self.field("sll.hatype", "Link-layer address type", 16, 16, Value::Dec);
        let halen = self.field("sll.halen", "Link-layer address length", 32, 16, Value::Dec);
        self.sll_address(6, halen);
        let proto = self.sll_protocol_field(14 * 8, hatype);
        self.sll_next(proto, 16, hatype);
    }

    /// Linux cooked header v2 (LINKTYPE_LINUX_SLL2, 20 bytes): protocol, reserved, interface
    /// index, ARPHRD type, packet type, address length, 8 address bytes.
    fn sll2(&mut self) {
        self.begin(LayerKind::Sll, 0, 20);
        // Fields in wire order: the protocol comes first here.
        let hatype = read_bits(self.frame, 64, 16);
        let proto = self.sll_protocol_field(0, hatype);
        self.field("sll.ifindex", "Interface index", 32, 32, Value::Dec);
        let hatype = self.field("sll.hatype", "Link-layer address type", 64, 16, Value::Dec);
        self.field("sll.pkttype", "Packet type", 80, 8, |v| {
            Value::Named(v, 0, sll_pkttype_name(v))
        });
        let halen = self.field("sll.halen", "Link-layer address length", 88, 8, Value::Dec);
        self.sll_address(12, halen);
        self.sll_next(proto, 20, hatype);
    }

    /// The cooked header's sender address: a MAC when 6 bytes long, else its bytes.
    fn sll_address(&mut self, at: usize, halen: Option<u64>) {
        let len = (halen.unwrap_or(0) as usize).min(8);
        // A 6-byte address is shown as a MAC whatever the device type, as tshark does.
        self.address("sll.src", "Source address", at, len, len == 6, false);
    }

    /// The cooked header's protocol field (at bit `bit`) and what follows the `hdr_len`-byte
    /// header: an EtherType, or one of Linux's own values below 1536 (ETH_P_802_2 = 4: an LLC
    /// header follows; others, e.g. ETH_P_802_3 = 1 (Novell raw), as payload).
    fn sll_protocol_field(&mut self, bit: usize, hatype: Option<u64>) -> Option<u64> {
        let proto = read_bits(self.frame, bit, 16)?;
        // ARPHRD_NETLINK (824) carries netlink messages, not network-layer packets.
        let netlink = hatype == Some(824);
        if proto < 0x0600 || netlink {
            self.push(
                "sll.ltype",
                "Protocol",
                bit,
                16,
                Value::Named(proto, 4, if proto == 4 { "802.2 LLC" } else { "Linux" }),
                None,
            );
        } else {
            self.push(
                "sll.etype",
                "Protocol",
                bit,
                16,
                Value::Named(proto, 4, ether_type_name(proto as u16)),
                None,
            );
        }
        Some(proto)
    }

    /// What follows the `hdr_len`-byte cooked header, by its protocol field.
    fn sll_next(&mut self, proto: Option<u64>, hdr_len: usize, hatype: Option<u64>) {
        let frame = self.frame;
        let netlink = hatype == Some(824);
        let Some(proto) = proto.filter(|_| frame.len() >= hdr_len) else {
            self.problem(Malformation::Truncated(LayerKind::Sll));
            return;
        };
        match proto {
            _ if netlink => self.payload(hdr_len, frame.len()),
            4 => self.llc(hdr_len, frame.len() - hdr_len),
            p if p < 0x0600 => self.payload(hdr_len, frame.len()),
            p => self.tagged(hdr_len, p as u16),
        }
    }

    /// What follows a link header's type field at `at`: VLAN tags, then the network layer.
    fn tagged(&mut self, at: usize, ether_type: u16) {
        let frame = self.frame;
        let mut at = at;
        let mut ether_type = ether_type;
        let mut tags = 0;
        while is_vlan_tpid(ether_type) {
            if frame.len() < at + 4 {
                self.vlan(at);
                self.problem(Malformation::Truncated(LayerKind::Vlan));
                return;
            }
            if tags == MAX_VLAN_TAGS {
                self.problem(Malformation::TooManyVlanTags);
                self.payload(at, frame.len());
                return;
            }
            self.vlan(at);
            ether_type = read_u16(frame, at + 2).unwrap_or(0);
            at += 4;
            tags += 1;
        }
        self.network(at, ether_type);
    }

    /// What follows an EtherType field (Ethernet's, a VLAN tag's) at `at`.
    fn network(&mut self, at: usize, ether_type: u16) {
        let frame = self.frame;
        match EtherType(ether_type) {
            // IEEE 802.3 clause 3.2.6: a value up to 1500 is the length of the LLC data that
            // follows, not a type (Wireshark draws the same line; 1501-1535 are undefined).
            len if len.is_8023_length() => self.llc(at, len.0 as usize),
            EtherType::IPV4 => self.ipv4_datagram(at),
            EtherType::IPV6 => self.ipv6_datagram(at),
            // RARP (RFC 903) is ARP's packet with opcodes 3/4, under its own EtherType.
            EtherType::ARP | EtherType::RARP => {
                let end = self.arp(at);
                self.trailer(end);
            }
            // MACsec, LLDP...: not decoded, shown as payload under their ethertype.
            _ => self.payload(at, frame.len()),
        }
    }

    /// IEEE 802.2 LLC (and SNAP, RFC 1042) in the `len` bytes an 802.3 length field announces.
    /// Bytes past `len` are padding to Ethernet's 60-byte minimum: the trailer.
    fn llc(&mut self, at: usize, len: usize) {
        let end = (at + len).min(self.frame.len());
        // The LLC reads stop where the length field says the data ends, never in the padding.
        let full = self.frame;
        self.frame = &full[..end];
        let ctl = self.frame.get(at + 2).copied();
        // Control is one byte for U-format PDUs (low bits 11), two for I- and S-format.
        let ctl_len = match ctl {
            Some(c) if c & 3 == 3 => 1,
            _ => 2,
        };
        self.begin(LayerKind::Llc, at, 2 + ctl_len);
        let b = at * 8;
        let dsap = self.field("llc.dsap", "DSAP", b, 8, |v| {
            Value::Named(v, 2, sap_name(v as u8))
        });
        let ssap = self.field("llc.ssap", "SSAP", b + 8, 8, |v| {
            Value::Named(v, 2, sap_name(v as u8))
        });
        // A 2-byte control field is sent low-order octet first (ISO/IEC 8802-2 5.2): shown as
        // a little-endian number, as Wireshark does.
        let control = self.frame.get(at + 2..at + 2 + ctl_len).map(|c| {
            let v = c.iter().rev().fold(0u64, |acc, &x| (acc << 8) | x as u64);
            self.push(
                "llc.control",
                "Control",
                b + 16,
                ctl_len * 8,
                Value::Hex(v, ctl_len as u8 * 2),
                None,
            );
            v
        });
        let mut data = at + 2 + ctl_len;
        if control.is_none() && len > 0 {
            self.problem(Malformation::Truncated(LayerKind::Llc));
        }
        if dsap == Some(0xaa) && ssap == Some(0xaa) && control == Some(3) {
            // SNAP: an OUI and a protocol ID (an EtherType when the OUI is 0).
            if let Some(l) = self.d.layers.last_mut() {
                l.declared_len = 8;
                l.bytes.end = (at + 8).min(end);
            }
            self.field("llc.oui", "OUI", (at + 3) * 8, 24, |v| Value::Hex(v, 6));
            self.field("llc.pid", "Protocol ID", (at + 6) * 8, 16, |v| {
                Value::Hex(v, 4)
            });
            if end < at + 8 {
                self.problem(Malformation::Truncated(LayerKind::Llc));
            }
            data = at + 8;
        }
        self.payload(data, end);
        self.frame = full;
        if at + len > full.len() {
            self.problem(Malformation::LengthExceedsFrame(LayerKind::Ethernet));
        }
        self.trailer(end.max(at));
    }

    /// An IPv4 datagram at `at`: etherparse's lax IPv4 slicer says whether the header holds and
    /// where the payload is (cut to the frame, with fragment and "incomplete" flags); the
    /// transport header is decoded from the first fragment (or the whole datagram) on.
    fn ipv4_datagram(&mut self, at: usize) {
        let frame = self.frame;
        let Ok((ip, _)) = etherparse::LaxIpv4Slice::from_slice(&frame[at..]) else {
            // A header etherparse refuses (bad version, IHL, cut short): `ipv4` finds the reason.
            let end = self.ipv4(at);
            self.payload(end.min(frame.len()), frame.len());
            return;
        };
        let end = self.ipv4(at);
        let hdr_end = at + ip.header().slice().len();
        if self
            .d
            .problems
            .contains(&Malformation::LengthTooShort(LayerKind::Ipv4))
            || IpProtocol(ip.header().protocol().0) == IpProtocol::AH
        {
            // Total length shorter than the header (nothing to trust after it), or an
            // authentication header ringside does not decode: the rest is raw bytes.
            self.payload(hdr_end, end);
            self.trailer(end.max(hdr_end));
            return;
        }
        let payload = ip.payload();
        let fragmented = payload.fragmented;
        let first_fragment = ip.header().fragments_offset().value() == 0;
        let payload_start = offset(frame, payload.payload);
        let payload_end = payload_start + payload.payload.len();
        // Only the first fragment carries the transport header. Its checksum covers bytes this
        // frame does not have when the datagram is fragmented or cut short.
        let partial = fragmented || payload.incomplete;
        // Bytes past the total length are the Ethernet trailer, never a header: the transport
        // decoders see the frame cut where the datagram ends. A datagram with no payload has no
        // transport header at all (tshark agrees), whatever the padding looks like.
        let full = self.frame;
        self.frame = &full[..payload_end];
        match payload.ip_number.0 {
            _ if payload_start == payload_end => {}
            17 if first_fragment => self.udp(payload_start, payload_end, partial),
            1 if first_fragment => self.icmp(payload_start, payload_end, partial),
            _ => self.payload(payload_start, payload_end),
        }
        self.frame = full;
        self.trailer(end.max(payload_end));
    }

    fn problem(&mut self, m: Malformation) {
        if !self.d.problems.contains(&m) {
            self.d.problems.push(m);
        }
    }

    /// Open a layer at byte `start` that claims `declared` bytes.
    fn begin(&mut self, kind: LayerKind, start: usize, declared: usize) {
        let end = (start + declared).min(self.frame.len());
        let n = self.d.fields.len();
        let bit = InfoPlaces::kind_bit(kind);
        self.first_of_kind = self.d.info.kinds & bit == 0;
        self.d.info.kinds |= bit;
        self.d.layers.push(Layer {
            kind,
            bytes: start.min(end)..end,
            fields: n..n,
            declared_len: declared,
        });
    }

    /// Add a field at `bit` (from the frame start) if all its bytes are in the frame.
    /// Returns the raw value, or None when the frame ends first.
    #[inline]
    fn field(
        &mut self,
        key: &'static str,
        label: &'static str,
        bit: usize,
        len: usize,
        value: impl FnOnce(u64) -> Value,
    ) -> Option<u64> {
        let raw = read_bits(self.frame, bit, len)?;
        self.push(key, label, bit, len, value(raw), None);
        Some(raw)
    }

    /// Add the table field `f` of a header at byte `at` if all its bytes are in the frame: key,
    /// label, place and shown value all from the table. Returns the raw value.
    #[inline(always)]
    fn def(&mut self, at: usize, f: &FieldDef) -> Option<u64> {
        let bit = at * 8 + f.bit_start();
        let raw = read_bits(self.frame, bit, f.width as usize)?;
        self.push(f.key, f.label, bit, f.width as usize, f.value(raw), None);
        Some(raw)
    }

    /// [`Walker::def`] for a field the Info column reads: its place is noted.
    #[inline(always)]
    fn def_info(&mut self, at: usize, f: &FieldDef, which: InfoField) -> Option<u64> {
        let raw = self.def(at, f)?;
        self.note(which);
        Some(raw)
    }

    /// Note the field just pushed as the Info column's `which`, if its layer is the first of
    /// its kind and no earlier field of that layer was noted (the first wins, as by key).
    fn note(&mut self, which: InfoField) {
        let (Some(last), true) = (self.d.fields.len().checked_sub(1), self.first_of_kind) else {
            return;
        };
        let slot = &mut self.d.info.at[which as usize];
        if slot.is_none() {
            *slot = u32::try_from(last).ok();
        }
    }

    /// Add a table field whose value or check the walk decides (`value` from the raw bits).
    #[inline(always)]
    fn def_with(
        &mut self,
        at: usize,
        f: &FieldDef,
        value: impl FnOnce(u64) -> Value,
        check: Option<Check>,
    ) -> Option<u64> {
        let bit = at * 8 + f.bit_start();
        let raw = read_bits(self.frame, bit, f.width as usize)?;
        self.push(f.key, f.label, bit, f.width as usize, value(raw), check);
        Some(raw)
    }

    #[inline]
    fn push(
        &mut self,
        key: &'static str,
        label: &'static str,
        bit: usize,
        len: usize,
        value: Value,
        check: Option<Check>,
    ) {
        self.d.fields.push(Field {
            key,
            label,
            bit_start: bit as u32,
            bit_len: len as u32,
            value,
            check,
        });
        if let Some(l) = self.d.layers.last_mut() {
            l.fields.end = self.d.fields.len();
        }
    }

    fn mac(&mut self, key: &'static str, label: &'static str, at: usize) -> Option<[u8; 6]> {
        let m: [u8; 6] = self.frame.get(at..at + 6)?.try_into().ok()?;
        self.push(key, label, at * 8, 48, Value::Mac(m), None);
        Some(m)
    }

    fn ipv4_addr(&mut self, key: &'static str, label: &'static str, at: usize) -> Option<[u8; 4]> {
        let a: [u8; 4] = self.frame.get(at..at + 4)?.try_into().ok()?;
        self.push(key, label, at * 8, 32, Value::Ipv4(a), None);
        Some(a)
    }

    /// Up to 24 bytes shown in full, if all are in the frame.
    fn octets(&mut self, key: &'static str, label: &'static str, at: usize, len: usize) {
        if let Some(src) = self.frame.get(at..at + len) {
            let mut b = [0u8; 24];
            let n = len.min(24);
            b[..n].copy_from_slice(&src[..n]);
            self.push(key, label, at * 8, n * 8, Value::Octets(b, n as u8), None);
        }
    }

    fn ipv6_addr(&mut self, key: &'static str, label: &'static str, at: usize) -> Option<[u8; 16]> {
        let a: [u8; 16] = self.frame.get(at..at + 16)?.try_into().ok()?;
        self.push(key, label, at * 8, 128, Value::Ipv6(a), None);
        Some(a)
    }

    /// A run of bytes (options, payload) cut to what the frame holds.
    fn bytes(&mut self, key: &'static str, label: &'static str, start: usize, end: usize) {
        let end = end.min(self.frame.len());
        if start < end {
            self.push(
                key,
                label,
                start * 8,
                (end - start) * 8,
                Value::Bytes((end - start) as u32),
                None,
            );
        }
    }

    fn ethernet(&mut self, at: usize) {
        use ethernet::field::*;
        self.begin(LayerKind::Ethernet, at, ethernet::HEADER_LEN);
        self.def(at, &DST);
        self.def(at, &SRC);
        self.type_or_length(at, &TYPE, "eth.len");
    }

    /// A type field (`eth.type`, `vlan.type`) of a header at `at`, or, up to 1500, an IEEE 802.3
    /// length in its place (`len_key`: `eth.len`, `vlan.len`), as tshark names them.
    fn type_or_length(&mut self, at: usize, ty: &FieldDef, len_key: &'static str) {
        let Some(v) = ty.read(self.frame.get(at..).unwrap_or(&[])) else {
            return;
        };
        if is_8023_length(v as u16) {
            let value = Value::Named(v, 0, "IEEE 802.3");
            self.push(len_key, "Length", at * 8 + ty.bit_start(), 16, value, None);
        } else {
            self.def(at, ty);
        }
    }

    fn vlan(&mut self, at: usize) {
        use vlan::field::*;
        self.begin(LayerKind::Vlan, at, vlan::HEADER_LEN);
        self.def(at, &PCP);
        self.def(at, &DEI);
        self.def(at, &ID);
        self.type_or_length(at, &TYPE, "vlan.len");
        if self.frame.len() < at + vlan::HEADER_LEN {
            self.problem(Malformation::Truncated(LayerKind::Vlan));
        }
    }

    /// ARP (RFC 826) or RARP (RFC 903) at `at`; returns where the packet ends. The four
    /// addresses are `hlen` and `plen` bytes long: shown as a MAC / IPv4 address where the
    /// hardware / protocol type says so (as tshark does), otherwise as bytes.
    fn arp(&mut self, at: usize) -> usize {
        use arp::field::*;
        let hdr = self.frame.get(at..).unwrap_or(&[]);
        let hlen = HLEN.read(hdr).unwrap_or(6) as usize;
        let plen = PLEN.read(hdr).unwrap_or(4) as usize;
        let declared = arp::FIXED_LEN + 2 * (hlen + plen);
        self.begin(LayerKind::Arp, at, declared);
        let htype = self.def(at, &HTYPE);
        let ptype = self.def(at, &PTYPE);
        self.def(at, &HLEN);
        self.def(at, &PLEN);
        self.def_info(at, &OPCODE, InfoField::ArpOpcode);
        // Ethernet (1), experimental Ethernet (2) and IEEE 802 (6) hardware with 6-byte addresses are MACs (RFC 5342).
        let hw_is_mac = matches!(htype, Some(1 | 2 | 6) | None) && hlen == 6;
        let proto_is_ipv4 = matches!(ptype, Some(0x0800) | None) && plen == 4;
        let unsupported = htype.is_some_and(|h| h != 1)
            || ptype.is_some_and(|p| p != 0x0800)
            || hlen != 6
            || plen != 4;
        if unsupported {
            // Not Ethernet/IPv4: decoded, but ringside's stack will not answer it.
            self.problem(Malformation::UnsupportedArp);
        }
        // The addresses sit where the table says only for Ethernet/IPv4 (6 + 4 bytes): with
        // other lengths they are placed here, by hlen and plen, under the table's names.
        let mut p = at + arp::FIXED_LEN;
        use InfoField::{ArpSha, ArpSpa, ArpTha, ArpTpa};
        for ((hw, hw_info), (pr, pr_info)) in [
            ((SHA, ArpSha), (SPA, ArpSpa)),
            ((THA, ArpTha), (TPA, ArpTpa)),
        ] {
            if self.address(hw.key, hw.label, p, hlen, hw_is_mac, false) {
                self.note(hw_info);
            }
            p += hlen;
            if self.address(pr.key, pr.label, p, plen, false, proto_is_ipv4) {
                self.note(pr_info);
            }
            p += plen;
        }
        if self.frame.len() < at + declared {
            self.problem(Malformation::Truncated(LayerKind::Arp));
        }
        at + declared
    }

    /// An address field of `len` bytes at `at`: a MAC, an IPv4 address, its bytes (up to 24,
    /// e.g. InfiniBand's 20) or, longer, a run of bytes shown by its length. Nothing if the frame ends first.
    /// Returns whether the field was added.
    fn address(
        &mut self,
        key: &'static str,
        label: &'static str,
        at: usize,
        len: usize,
        mac: bool,
        ipv4: bool,
    ) -> bool {
        if len == 0 || self.frame.len() < at + len {
            return false;
        }
        let before = self.d.fields.len();
        if mac {
            self.mac(key, label, at);
        } else if ipv4 {
            self.ipv4_addr(key, label, at);
        } else if len <= 24 {
            self.octets(key, label, at, len);
        } else {
            self.bytes(key, label, at, at + len);
        }
        self.d.fields.len() > before
    }

    /// The IPv4 header at `at`; returns where the datagram ends (by total length, cut to the
    /// frame). Also used where etherparse refused the header: the reason is found here.
    fn ipv4(&mut self, at: usize) -> usize {
        use ipv4::field::*;
        let frame = self.frame;
        let ihl = IHL
            .read(frame.get(at..).unwrap_or(&[]))
            .map(|v| v as usize * 4);
        self.begin(LayerKind::Ipv4, at, ihl.unwrap_or(20).max(20));
        let hdr_len = ihl.unwrap_or(20);
        // ipv4::FIELDS in order, one call per field rather than a loop over the slice: each
        // call then reads a constant place (a 2-byte load, not a generic bit walk), which keeps
        // the field map as fast as hand-written offsets were.
        let version = self.def(at, &VERSION);
        self.def(at, &IHL);
        self.def(at, &DSCP);
        self.def(at, &ECN);
        let total = self.def(at, &TOTAL_LENGTH);
        self.def(at, &ID);
        self.def_info(at, &FLAGS, InfoField::Ipv4Flags);
        self.def_info(at, &FRAG_OFFSET, InfoField::Ipv4FragOffset);
        self.def_info(at, &TTL, InfoField::Ipv4Ttl);
        self.def(at, &PROTOCOL);
        // Verified over the whole header (options too), when all of it is here.
        let check = match frame.get(at..at + hdr_len) {
            Some(h) if hdr_len >= 20 => {
                Some(verify(Checksum::new().add(h), CHECKSUM.get(h) as u16))
            }
            _ => Some(Check::Unverified),
        };
        self.def_with(at, &CHECKSUM, |v| CHECKSUM.value(v), check);
        self.def(at, &SRC);
        self.def(at, &DST);
        const _: () = assert!(
            ipv4::FIELDS.len() == 13,
            "a field added to the table: walk it here"
        );
        if hdr_len > ipv4::HEADER_LEN {
            self.bytes("ipv4.options", "Options", at + 20, at + hdr_len);
        }

        if frame.len() < at + ipv4::HEADER_LEN {
            self.problem(Malformation::Truncated(LayerKind::Ipv4));
            return frame.len();
        }
        if version != Some(4) {
            self.problem(Malformation::BadVersion);
        }
        if hdr_len < 20 {
            self.problem(Malformation::LengthTooShort(LayerKind::Ipv4));
            return at + 20;
        }
        if frame.len() < at + hdr_len {
            self.problem(Malformation::Truncated(LayerKind::Ipv4));
            return frame.len();
        }
        if let Some(Check::Bad { .. }) = check {
            self.problem(Malformation::BadChecksum(LayerKind::Ipv4));
        }
        let total = total.unwrap_or(0) as usize;
        if total < hdr_len {
            self.problem(Malformation::LengthTooShort(LayerKind::Ipv4));
            return at + hdr_len;
        }
        if at + total > frame.len() {
            self.problem(Malformation::LengthExceedsFrame(LayerKind::Ipv4));
            return frame.len();
        }
        at + total
    }

    /// The UDP header and payload in `start..end` (the IP payload). `partial`: the IP payload is
    /// not all here (fragment or truncated), so the checksum cannot be verified.
    fn udp(&mut self, start: usize, end: usize, partial: bool) {
        use udp::field::*;
        self.begin(LayerKind::Udp, start, UDP_LEN);
        self.def_info(start, &SRC_PORT, InfoField::UdpSrcPort);
        self.def_info(start, &DST_PORT, InfoField::UdpDstPort);
        let length = self.def_info(start, &LENGTH, InfoField::UdpLength);
        let sum = CHECKSUM.read(self.frame.get(start..).unwrap_or(&[]));
        if start + UDP_LEN > end {
            self.def(start, &CHECKSUM);
            self.problem(Malformation::Truncated(LayerKind::Udp));
            return;
        }
        let length = length.unwrap_or(0) as usize;
        let mut check = None;
        let mut data_end = end;
        if length < UDP_LEN {
            self.problem(Malformation::LengthTooShort(LayerKind::Udp));
            check = Some(Check::Unverified);
        } else if start + length > end {
            if !partial {
                self.problem(Malformation::LengthExceedsFrame(LayerKind::Udp));
            }
            check = Some(Check::Unverified);
        } else {
            data_end = start + length;
        }
        let sum = sum.unwrap_or(0) as u16;
        // A zero checksum field means "not sent" (RFC 768) whatever the length field says;
        // over IPv6 the checksum is mandatory and a zero one is wrong (RFC 8200 8.1).
        let check = match sum {
            0 if self.over_ipv6() => Some(Check::Bad { expected: 0xffff }),
            0 => Some(Check::Absent),
            _ => check,
        };
        let check = check.unwrap_or_else(|| {
            if partial || self.csum_not_ready {
                Check::Unverified
            } else {
                let computed = self.transport_sum(17, &self.frame[start..data_end]);
                verify(&computed, sum)
            }
        });
        if let Check::Bad { .. } = check {
            self.problem(Malformation::BadChecksum(LayerKind::Udp));
        }
        self.def_with(start, &CHECKSUM, |v| CHECKSUM.value(v), Some(check));
        self.payload(start + UDP_LEN, data_end);
    }

    fn icmp(&mut self, start: usize, end: usize, partial: bool) {
        use icmp::field::{CHECKSUM, CODE, TYPE};
        let frame = self.frame;
        self.begin(LayerKind::Icmp, start, ICMP_LEN);
        let b = start * 8;
        let ty = self.def_info(start, &TYPE, InfoField::IcmpType);
        // The code's meaning depends on the type: named for unreachable and time exceeded.
        let code = match ty {
            Some(t @ (3 | 11)) => self.def_with(
                start,
                &CODE,
                |v| Value::Named(v, 0, icmp_code_name(t as u8, v as u8)),
                None,
            ),
            _ => self.def(start, &CODE),
        };
        if code.is_some() {
            self.note(InfoField::IcmpCode);
        }
        if let Some(stored) = CHECKSUM.read(frame.get(start..).unwrap_or(&[])) {
            let check = if partial || end > frame.len() {
                Check::Unverified
            } else {
                verify(Checksum::new().add(&frame[start..end]), stored as u16)
            };
            if let Check::Bad { .. } = check {
                self.problem(Malformation::BadChecksum(LayerKind::Icmp));
            }
            self.def_with(start, &CHECKSUM, |v| CHECKSUM.value(v), Some(check));
        }
        // The 4 bytes after the checksum depend on the type: the echo and error tables, or by
        // hand for the rarer splits (next-hop MTU, pointer, rest of header).
        match ty {
            // Echo (RFC 792), timestamp (RFC 792), information (RFC 792) and address mask
            // (RFC 950) messages all carry an identifier and a sequence number.
            Some(0 | 8 | 13..=18) => {
                self.def_info(start, &icmp::field::IDENT, InfoField::IcmpIdent);
                self.def_info(start, &icmp::field::SEQ, InfoField::IcmpSeq);
                if start + ICMP_LEN > end {
                    self.problem(Malformation::Truncated(LayerKind::Icmp));
                }
                let mut data = start + ICMP_LEN;
                let body = match ty {
                    // Milliseconds since midnight UT, three of them.
                    Some(13 | 14) => &[
                        ("icmp.originate_timestamp", "Originate Timestamp"),
                        ("icmp.receive_timestamp", "Receive Timestamp"),
                        ("icmp.transmit_timestamp", "Transmit Timestamp"),
                    ][..],
                    Some(17 | 18) => &[("icmp.address_mask", "Address Mask")][..],
                    _ => &[][..],
                };
                for &(key, label) in body {
                    if key == "icmp.address_mask" {
                        self.ipv4_addr(key, label, data);
                    } else {
                        self.field(key, label, data * 8, 32, Value::Dec);
                    }
                    data += 4;
                }
                if !body.is_empty() && end < data {
                    self.problem(Malformation::Truncated(LayerKind::Icmp));
                }
                if let Some(l) = self.d.layers.last_mut() {
                    l.declared_len = data - start;
                    l.bytes.end = data.min(end).min(self.frame.len()).max(l.bytes.start);
                }
                self.payload(data, end);
            }
            Some(3) | Some(11) | Some(12) => {
                if ty == Some(3) && code == Some(4) {
                    self.field("icmp.unused", "Unused", b + 32, 16, |v| Value::Hex(v, 4));
                    self.field("icmp.mtu", "Next-Hop MTU", b + 48, 16, Value::Dec);
                } else if ty == Some(12) {
                    self.field("icmp.pointer", "Pointer", b + 32, 8, Value::Dec);
                    self.field("icmp.unused", "Unused", b + 40, 24, |v| Value::Hex(v, 6));
                } else {
                    for f in icmp::ERROR {
                        self.def(start, f);
                    }
                }
                if start + ICMP_LEN > end {
                    self.problem(Malformation::Truncated(LayerKind::Icmp));
                    return;
                }
                self.icmp_quote(start + ICMP_LEN, end);
            }
            _ => {
                self.field("icmp.rest", "Rest of Header", b + 32, 32, |v| {
                    Value::Hex(v, 8)
                });
                if start + ICMP_LEN > end && ty.is_some() {
                    self.problem(Malformation::Truncated(LayerKind::Icmp));
                }
                self.payload(start + ICMP_LEN, end);
            }
        }
    }

    /// The offending datagram an ICMP error quotes: its IPv4 header and first 8 bytes (RFC 792).
    fn icmp_quote(&mut self, start: usize, end: usize) {
        let frame = self.frame;
        let end = end.min(frame.len());
        let ihl = ipv4::field::IHL
            .read(frame.get(start..).unwrap_or(&[]))
            .map_or(20, |v| v as usize * 4);
        if end < start + 20 || !(20..=60).contains(&ihl) {
            self.payload(start, end);
            return;
        }
        self.begin(LayerKind::IcmpQuote, start, (end - start).min(ihl + 8));
        // The quoted header is an IPv4 header: its table's places and display, under the
        // `icmp.quote.` names tshark uses for a subset of its fields.
        use ipv4::field as q;
        let quoted: [(&'static str, FieldDef); 8] = [
            ("icmp.quote.version", q::VERSION),
            ("icmp.quote.ihl", q::IHL),
            ("icmp.quote.total_length", q::TOTAL_LENGTH),
            ("icmp.quote.id", q::ID),
            ("icmp.quote.ttl", q::TTL),
            ("icmp.quote.protocol", q::PROTOCOL),
            ("icmp.quote.src", q::SRC),
            ("icmp.quote.dst", q::DST),
        ];
        let mut proto = None;
        for (key, f) in quoted {
            let raw = self.def(start, &FieldDef { key, ..f });
            if f.key == q::PROTOCOL.key {
                proto = raw;
            }
        }
        let l4 = start + ihl;
        if proto == Some(u64::from(IpProtocol::UDP.0)) {
            for (key, f) in [
                ("icmp.quote.srcport", udp::field::SRC_PORT),
                ("icmp.quote.dstport", udp::field::DST_PORT),
            ] {
                self.def(l4, &FieldDef { key, ..f });
            }
        }
        self.bytes("icmp.quote.data", "Quoted data", l4, end);
    }

    fn payload(&mut self, start: usize, end: usize) {
        let end = end.min(self.frame.len());
        if start >= end {
            return;
        }
        self.begin(LayerKind::Payload, start, end - start);
        self.bytes("data", "Data", start, end);
    }

    /// Bytes after the datagram: Ethernet padding to 60 bytes, or junk.
    fn trailer(&mut self, from: usize) {
        if from < self.frame.len() {
            self.begin(LayerKind::Trailer, from, self.frame.len() - from);
            self.bytes("eth.trailer", "Padding", from, self.frame.len());
        }
    }

    /// Whether the innermost IP header is IPv6.
    fn over_ipv6(&self) -> bool {
        self.d
            .layers
            .iter()
            .rev()
            .find(|l| matches!(l.kind, LayerKind::Ipv4 | LayerKind::Ipv6))
            .is_some_and(|l| l.kind == LayerKind::Ipv6)
    }

    /// The sum over the pseudo-header of the innermost IP header (IPv4: RFC 768;
    /// IPv6: RFC 8200 8.1, with a 32-bit length) and `segment`.
    fn transport_sum(&self, proto: u8, segment: &[u8]) -> Checksum {
        let ip = self
            .d
            .layers
            .iter()
            .rev()
            .find(|l| matches!(l.kind, LayerKind::Ipv4 | LayerKind::Ipv6));
        match ip {
            Some(l) if l.kind == LayerKind::Ipv6 => {
                let at = l.bytes.start;
                let src = self.frame.get(at + 8..at + 24).unwrap_or(&[]);
                let dst_at = self.final_dst.unwrap_or(at + 24);
                let dst = self.frame.get(dst_at..dst_at + 16).unwrap_or(&[]);
                let mut c = pseudo_header_v6(src, dst, proto, segment.len() as u32);
                c.add(segment);
                c
            }
            l => {
                let ip = l.map_or(0, |l| l.bytes.start);
                let addrs = self.frame.get(ip + 12..ip + 20).unwrap_or(&[]);
                let mut c = pseudo_header_v4_raw(addrs, proto, segment.len() as u16);
                c.add(segment);
                c
            }
        }
    }

    /// An IPv6 datagram at `at` (RFC 8200): the fixed header, the extension headers, then UDP,
    /// ICMPv6 or payload. etherparse's `Ipv6HeaderSlice` / `Ipv6ExtensionsSlice` refuse a header
    /// cut short or lying about its length and give no byte ranges, and the field map needs both:
    /// so the walk is by hand, one bounds-checked read at a time, like IPv4's field map.
    fn ipv6_datagram(&mut self, at: usize) {
        let frame = self.frame;
        self.begin(LayerKind::Ipv6, at, 40);
        let b = at * 8;
        let version = self.field("ipv6.version", "Version", b, 4, Value::Dec);
        self.field("ipv6.tclass", "Traffic Class", b + 4, 8, |v| {
            Value::Hex(v, 2)
        });
        self.field("ipv6.flow", "Flow Label", b + 12, 20, |v| Value::Hex(v, 5));
        let plen = self.field("ipv6.plen", "Payload Length", b + 32, 16, Value::Dec);
        let nxt = self.field("ipv6.nxt", "Next Header", b + 48, 8, |v| {
            Value::Named(v, 0, ip_protocol_name(v as u8))
        });
        self.field("ipv6.hlim", "Hop Limit", b + 56, 8, Value::Dec);
        self.ipv6_addr("ipv6.src", "Source Address", at + 8);
        self.ipv6_addr("ipv6.dst", "Destination Address", at + 24);
        if frame.len() < at + 40 {
            self.problem(Malformation::Truncated(LayerKind::Ipv6));
            return;
        }
        if version != Some(6) {
            self.problem(Malformation::BadVersion);
        }
        let mut end = at + 40 + plen.unwrap_or(0) as usize;
        let mut partial = false;
        if end > frame.len() {
            self.problem(Malformation::LengthExceedsFrame(LayerKind::Ipv6));
            end = frame.len();
            partial = true;
        }
        // Bytes past the payload length are the Ethernet trailer, never a header.
        let full = self.frame;
        self.frame = &full[..end];
        let mut next = nxt.unwrap_or(59) as u8;
        let mut p = at + 40;
        let mut first_fragment = true;
        // Extension headers (RFC 8200 4.1); a chain longer than this is shown as payload.
        for _ in 0..8 {
            let (len, keys): (usize, [&'static str; 2]) = match next {
                0 => (0, ["ipv6.hopopts.nxt", "ipv6.hopopts.len"]),
                43 => (0, ["ipv6.routing.nxt", "ipv6.routing.len"]),
                60 => (0, ["ipv6.dstopts.nxt", "ipv6.dstopts.len"]),
                44 => (8, ["ipv6.fraghdr.nxt", ""]),
                _ => break,
            };
            // Hdr Ext Len counts 8-octet units beyond the first 8 (fragment: always 8).
            let len = if len == 8 {
                8
            } else {
                match self.frame.get(p + 1) {
                    Some(&l) => (l as usize + 1) * 8,
                    None => 8,
                }
            };
            self.begin(LayerKind::Ipv6Ext, p, len);
            let eb = p * 8;
            let nh = self.field(keys[0], "Next Header", eb, 8, |v| {
                Value::Named(v, 0, ip_protocol_name(v as u8))
            });
            if next == 44 {
                let off = self.field(
                    "ipv6.fraghdr.offset",
                    "Fragment Offset",
                    eb + 16,
                    13,
                    Value::Dec,
                );
                self.field("ipv6.fraghdr.more", "M", eb + 31, 1, Value::Dec);
                self.field("ipv6.fraghdr.ident", "Identification", eb + 32, 32, |v| {
                    Value::Hex(v, 8)
                });
                partial = true; // the checksum covers the whole datagram
                first_fragment = off == Some(0);
            } else {
                self.field(keys[1], "Hdr Ext Len", eb + 8, 8, Value::Dec);
                if next == 43 {
                    self.field("ipv6.routing.type", "Routing Type", eb + 16, 8, Value::Dec);
                    let left = self.field(
                        "ipv6.routing.segleft",
                        "Segments Left",
                        eb + 24,
                        8,
                        Value::Dec,
                    );
                    // With segments left, the upper-layer checksum uses the final destination
                    // (RFC 8200 8.1): the last address of a type 0 (RFC 2460) or type 2
                    // (RFC 6275) header, the first segment of a segment routing header (type 4,
                    // RFC 8754). Other types hide it: the checksum is not verified.
                    if left != Some(0) {
                        let rtype = read_bits(self.frame, eb + 16, 8);
                        let addrs = len.saturating_sub(8) / 16;
                        self.final_dst = match rtype {
                            Some(0 | 2) if addrs > 0 => Some(p + 8 + 16 * (addrs - 1)),
                            Some(4) if addrs > 0 => Some(p + 8),
                            _ => {
                                partial = true;
                                None
                            }
                        };
                    }
                    self.bytes("ipv6.routing.data", "Type-specific data", p + 4, p + len);
                } else {
                    self.bytes("ipv6.options", "Options", p + 2, p + len);
                }
            }
            if p + len > self.frame.len() || nh.is_none() {
                self.problem(Malformation::Truncated(LayerKind::Ipv6Ext));
                self.frame = full;
                self.trailer(end);
                return;
            }
            next = nh.unwrap_or(59) as u8;
            p += len;
        }
        match next {
            _ if p >= end => {}
            17 if first_fragment => self.udp(p, end, partial),
            58 if first_fragment => self.icmpv6(p, end, partial),
            _ => self.payload(p, end),
        }
        self.frame = full;
        self.trailer(end);
    }

    /// ICMPv6 (RFC 4443), with neighbour discovery (RFC 4861) and MLD (RFC 2710, RFC 3810).
    fn icmpv6(&mut self, start: usize, end: usize, partial: bool) {
        let frame = self.frame;
        self.begin(LayerKind::Icmpv6, start, 4);
        let b = start * 8;
        let ty = self.field("icmpv6.type", "Type", b, 8, |v| {
            Value::Named(v, 0, icmpv6_type_name(v as u8))
        });
        self.field("icmpv6.code", "Code", b + 8, 8, Value::Dec);
        if let Some(v) = read_bits(frame, b + 16, 16) {
            let check = if partial || end > frame.len() {
                Check::Unverified
            } else {
                let sum = self.transport_sum(58, &frame[start..end]);
                verify(&sum, v as u16)
            };
            if let Check::Bad { .. } = check {
                self.problem(Malformation::BadChecksum(LayerKind::Icmpv6));
            }
            self.push(
                "icmpv6.checksum",
                "Checksum",
                b + 16,
                16,
                Value::Hex(v, 4),
                Some(check),
            );
        } else {
            self.problem(Malformation::Truncated(LayerKind::Icmpv6));
            return;
        }
        let ty = ty.unwrap_or(0) as u8;
        // The fixed part of each message after type/code/checksum, then where options start.
        let body = match ty {
            128 | 129 => {
                self.field("icmpv6.echo.identifier", "Identifier", b + 32, 16, |v| {
                    Value::Hex(v, 4)
                });
                self.field(
                    "icmpv6.echo.sequence_number",
                    "Sequence",
                    b + 48,
                    16,
                    Value::Dec,
                );
                8
            }
            1..=4 => {
                match ty {
                    2 => self.field("icmpv6.mtu", "MTU", b + 32, 32, Value::Dec),
                    4 => self.field("icmpv6.pointer", "Pointer", b + 32, 32, Value::Dec),
                    _ => self.field("icmpv6.unused", "Unused", b + 32, 32, |v| Value::Hex(v, 8)),
                };
                8
            }
            130..=132 => {
                self.field(
                    "icmpv6.mld.maximum_response_delay",
                    "Maximum Response Delay",
                    b + 32,
                    16,
                    Value::Dec,
                );
                self.ipv6_addr(
                    "icmpv6.mld.multicast_address",
                    "Multicast Address",
                    start + 8,
                );
                24
            }
            143 => {
                self.field(
                    "icmpv6.mldr.nb_mcast_records",
                    "Number of Records",
                    b + 48,
                    16,
                    Value::Dec,
                );
                8
            }
            133 => 8,
            134 => {
                self.field(
                    "icmpv6.nd.ra.cur_hop_limit",
                    "Cur Hop Limit",
                    b + 32,
                    8,
                    Value::Dec,
                );
                self.field("icmpv6.nd.ra.flag", "Flags (M, O, ...)", b + 40, 8, |v| {
                    Value::Hex(v, 2)
                });
                self.field(
                    "icmpv6.nd.ra.router_lifetime",
                    "Router Lifetime",
                    b + 48,
                    16,
                    Value::Dec,
                );
                self.field(
                    "icmpv6.nd.ra.reachable_time",
                    "Reachable Time",
                    b + 64,
                    32,
                    Value::Dec,
                );
                self.field(
                    "icmpv6.nd.ra.retrans_timer",
                    "Retrans Timer",
                    b + 96,
                    32,
                    Value::Dec,
                );
                16
            }
            135 => {
                self.ipv6_addr("icmpv6.nd.ns.target_address", "Target Address", start + 8);
                24
            }
            136 => {
                self.field("icmpv6.nd.na.flag", "Flags (R, S, O)", b + 32, 32, |v| {
                    Value::Hex(v, 8)
                });
                self.ipv6_addr("icmpv6.nd.na.target_address", "Target Address", start + 8);
                24
            }
            137 => {
                self.ipv6_addr("icmpv6.nd.rd.target_address", "Target Address", start + 8);
                self.ipv6_addr(
                    "icmpv6.nd.rd.destination_address",
                    "Destination Address",
                    start + 24,
                );
                40
            }
            _ => 4,
        };
        if let Some(l) = self.d.layers.last_mut() {
            l.declared_len = body;
            l.bytes.end = (start + body).min(end).min(frame.len()).max(l.bytes.start);
        }
        if start + body > end {
            self.problem(Malformation::Truncated(LayerKind::Icmpv6));
            return;
        }
        if (133..=137).contains(&ty) {
            self.nd_options(start + body, end);
        } else {
            self.payload(start + body, end);
        }
    }

    /// Neighbour discovery options (RFC 4861 4.6): type, length in 8-octet units, value.
    fn nd_options(&mut self, mut p: usize, end: usize) {
        while p + 2 <= end {
            let len = self.frame[p + 1] as usize * 8;
            self.begin(LayerKind::Icmpv6, p, len.max(2));
            let ty = self.field("icmpv6.opt.type", "Option Type", p * 8, 8, |v| {
                Value::Named(v, 0, nd_option_name(v as u8))
            });
            self.field(
                "icmpv6.opt.length",
                "Length (8 octets)",
                p * 8 + 8,
                8,
                Value::Dec,
            );
            if len == 0 || p + len > end {
                // A zero length would loop forever; RFC 4861 says to discard such a packet.
                self.problem(Malformation::Truncated(LayerKind::Icmpv6));
                return;
            }
            match ty {
                Some(1 | 2) if len == 8 => {
                    self.octets("icmpv6.opt.linkaddr", "Link-layer Address", p + 2, 6)
                }
                _ => self.bytes("icmpv6.opt.data", "Option data", p + 2, p + len),
            }
            p += len;
        }
        self.payload(p, end);
    }
}

/// Byte offset of `inner` within `frame` (both from the same allocation).
fn offset(frame: &[u8], inner: &[u8]) -> usize {
    (inner.as_ptr() as usize).saturating_sub(frame.as_ptr() as usize)
}

fn read_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

/// IEEE 802.3 clause 3.2.6: a Length/Type value up to 1500 is a length.
pub fn is_8023_length(t: u16) -> bool {
    EtherType(t).is_8023_length()
}

/// Well-known IEEE 802.2 SAPs (low bit masked: it is I/G in a DSAP, C/R in an SSAP).
fn sap_name(sap: u8) -> &'static str {
    match sap & 0xfe {
        0x00 => "null",
        0x06 => "IP",
        0x42 => "spanning tree (BPDU)",
        0xaa => "SNAP",
        0xe0 => "NetWare",
        0xf0 => "NetBIOS",
        0xfe => "ISO network layer",
        _ => "other",
    }
}

/// Linux's PACKET_* packet types (linux/if_packet.h), as a cooked header records them.
fn sll_pkttype_name(t: u64) -> &'static str {
    match t {
        0 => "unicast to us",
        1 => "broadcast",
        2 => "multicast",
        3 => "unicast to another host",
        4 => "sent by us",
        _ => "other",
    }
}

pub fn ether_type_name(t: u16) -> &'static str {
    EtherType(t).name()
}

pub fn ip_protocol_name(p: u8) -> &'static str {
    IpProtocol(p).name()
}

pub fn icmpv6_type_name(t: u8) -> &'static str {
    match t {
        1 => "destination unreachable",
        2 => "packet too big",
        3 => "time exceeded",
        4 => "parameter problem",
        128 => "echo request",
        129 => "echo reply",
        130 => "MLD query",
        131 => "MLD report",
        132 => "MLD done",
        133 => "router solicitation",
        134 => "router advertisement",
        135 => "neighbour solicitation",
        136 => "neighbour advertisement",
        137 => "redirect",
        143 => "MLDv2 report",
        _ => "other",
    }
}

fn nd_option_name(t: u8) -> &'static str {
    match t {
        1 => "source link-layer address",
        2 => "target link-layer address",
        3 => "prefix information",
        4 => "redirected header",
        5 => "MTU",
        25 => "recursive DNS server",
        _ => "other",
    }
}

fn icmp_code_name(t: u8, code: u8) -> &'static str {
    match (t, code) {
        (3, 0) => "net unreachable",
        (3, 1) => "host unreachable",
        (3, 2) => "protocol unreachable",
        (3, 3) => "port unreachable",
        (3, 4) => "fragmentation needed",
        (11, 0) => "TTL exceeded",
        (11, 1) => "reassembly time exceeded",
        _ => "other",
    }
}

pub fn icmp_type_name(t: u8, code: u8) -> &'static str {
    match (t, code) {
        (0, _) => "Echo (ping) reply",
        (8, _) => "Echo (ping) request",
        (3, 0) => "Destination unreachable (Network unreachable)",
        (3, 1) => "Destination unreachable (Host unreachable)",
        (3, 2) => "Destination unreachable (Protocol unreachable)",
        (3, 3) => "Destination unreachable (Port unreachable)",
        (3, 4) => "Destination unreachable (Fragmentation needed)",
        (3, _) => "Destination unreachable",
        (11, 0) => "Time exceeded (TTL exceeded in transit)",
        (11, 1) => "Time exceeded (Fragment reassembly time exceeded)",
        (11, _) => "Time exceeded",
        (5, _) => "Redirect",
        (12, _) => "Parameter problem",
        (13, _) => "Timestamp request",
        (14, _) => "Timestamp reply",
        (15, _) => "Information request",
        (16, _) => "Information reply",
        (17, _) => "Address mask request",
        (18, _) => "Address mask reply",
        _ => "ICMP (other type)",
    }
}

#[cfg(test)]
mod table_walk {
    use super::super::build::{self, EthIp};
    use super::super::{arp, ethernet, icmp, ipv4, udp, FieldDef};
    use super::*;

    /// Which tables a frame's layers must follow.
    type Expect<'a> = Vec<(LayerKind, &'a [FieldDef])>;

    /// The field map of each table-driven layer is its table: same keys, labels and places.
    #[test]
    fn field_maps_follow_the_tables() {
        let h = EthIp {
            src_mac: [2, 0, 0, 0, 0, 1],
            dst_mac: [2, 0, 0, 0, 0, 2],
            src_ip: [198, 51, 100, 1].into(),
            dst_ip: [198, 51, 100, 2].into(),
            ttl: 64,
            ip_id: 1,
        };
        let mut echo_hdr = icmp::HEADER.to_vec();
        echo_hdr.extend_from_slice(icmp::ECHO);
        let cases: [(Vec<u8>, Expect); 3] = [
            (
                {
                    let mut f = Vec::new();
                    build::udp(&mut f, &h, 1, 7, b"x");
                    f
                },
                vec![
                    (LayerKind::Ethernet, ethernet::FIELDS),
                    (LayerKind::Ipv4, ipv4::FIELDS),
                    (LayerKind::Udp, udp::FIELDS),
                ],
            ),
            (
                {
                    let mut f = Vec::new();
                    build::icmp_echo(&mut f, &h, false, 1, 2, b"x");
                    f
                },
                vec![(LayerKind::Icmp, &echo_hdr[..])],
            ),
            (
                {
                    let mut f = Vec::new();
                    build::arp(&mut f, [0xff; 6], 1, [2; 6], h.src_ip, [0; 6], h.dst_ip);
                    f
                },
                vec![(LayerKind::Arp, arp::FIELDS)],
            ),
        ];
        for (frame, layers) in cases {
            let d = dissect(&frame);
            for (kind, table) in layers {
                let l = d.layers.iter().find(|l| l.kind == kind).unwrap();
                let got: Vec<_> = d
                    .layer_fields(l)
                    .iter()
                    .map(|f| (f.key, f.label, f.bit_start as usize, f.bit_len as usize))
                    .collect();
                let want: Vec<_> = table
                    .iter()
                    .map(|t| {
                        let b = l.bytes.start * 8 + t.bit_start();
                        (t.key, t.label, b, t.width as usize)
                    })
                    .collect();
                assert_eq!(got, want, "{kind:?}");
            }
        }
    }
}

#[cfg(test)]
mod info_places {
    use super::super::build::{self, EthIp};
    use super::*;

    /// Each Info field's layer kind and key: where a lookup by key would find it.
    fn kind_key(which: InfoField) -> (LayerKind, &'static str) {
        use InfoField::*;
        match which {
            Ipv4Flags => (LayerKind::Ipv4, "ipv4.flags"),
            Ipv4FragOffset => (LayerKind::Ipv4, "ipv4.frag_offset"),
            Ipv4Ttl => (LayerKind::Ipv4, "ipv4.ttl"),
            UdpSrcPort => (LayerKind::Udp, "udp.srcport"),
            UdpDstPort => (LayerKind::Udp, "udp.dstport"),
            UdpLength => (LayerKind::Udp, "udp.length"),
            IcmpType => (LayerKind::Icmp, "icmp.type"),
            IcmpCode => (LayerKind::Icmp, "icmp.code"),
            IcmpIdent => (LayerKind::Icmp, "icmp.ident"),
            IcmpSeq => (LayerKind::Icmp, "icmp.seq"),
            ArpOpcode => (LayerKind::Arp, "arp.opcode"),
            ArpSha => (LayerKind::Arp, "arp.sha"),
            ArpSpa => (LayerKind::Arp, "arp.spa"),
            ArpTha => (LayerKind::Arp, "arp.tha"),
            ArpTpa => (LayerKind::Arp, "arp.tpa"),
        }
    }

    const ALL: [InfoField; InfoField::COUNT] = {
        use InfoField::*;
        [
            Ipv4Flags,
            Ipv4FragOffset,
            Ipv4Ttl,
            UdpSrcPort,
            UdpDstPort,
            UdpLength,
            IcmpType,
            IcmpCode,
            IcmpIdent,
            IcmpSeq,
            ArpOpcode,
            ArpSha,
            ArpSpa,
            ArpTha,
            ArpTpa,
        ]
    };

    /// The places the walk notes are the fields a search by key in the first layer of their
    /// kind finds, and `has_layer` agrees with the layer list: for UDP, ICMP echo, ICMP error
    /// (quoting a UDP datagram with the same keys' cousins) and ARP frames, cut at every length.
    #[test]
    fn noted_places_are_what_a_key_lookup_finds() {
        let h = EthIp {
            src_mac: [2, 0, 0, 0, 0, 1],
            dst_mac: [2, 0, 0, 0, 0, 2],
            src_ip: [198, 51, 100, 1].into(),
            dst_ip: [198, 51, 100, 2].into(),
            ttl: 64,
            ip_id: 1,
        };
        let mut frames = Vec::new();
        let mut f = Vec::new();
        build::udp(&mut f, &h, 1234, 7, b"hello");
        let udp_frame = f.clone();
        frames.push(f);
        let mut f = Vec::new();
        build::icmp_echo(&mut f, &h, false, 0x1234, 5, b"ping");
        frames.push(f);
        let mut f = Vec::new();
        build::icmp_error(&mut f, &h, 3, 3, &udp_frame[ETH_LEN..]);
        frames.push(f);
        let mut f = Vec::new();
        build::arp(&mut f, [0xff; 6], 1, [2; 6], h.src_ip, [0; 6], h.dst_ip);
        frames.push(f);
        let mut d = Dissection::default();
        for frame in &frames {
            for len in 0..=frame.len() {
                d.parse(&frame[..len], false);
                for which in ALL {
                    let (kind, key) = kind_key(which);
                    let by_key = d
                        .layers
                        .iter()
                        .find(|l| l.kind == kind)
                        .and_then(|l| d.layer_fields(l).iter().find(|f| f.key == key));
                    assert_eq!(d.info_field(which), by_key, "{which:?}, {len} bytes");
                }
                for l in &d.layers {
                    assert!(d.has_layer(l.kind), "{:?}, {len} bytes", l.kind);
                }
                let kinds = d.layers.iter().map(|l| 1u32 << l.kind as u32);
                assert_eq!(d.info.kinds, kinds.fold(0, |a, b| a | b), "{len} bytes");
            }
        }
    }
}
