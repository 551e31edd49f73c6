//! The field map: every decoded field with its exact place in the frame. The UI draws header
//! boxes from it and highlights hex bytes from it; `dump` prints it. So positions are in bits from
//! the first byte of the frame, exact to the bit (IPv4's 4-bit version, 13-bit fragment offset).
use std::fmt;
use std::ops::Range;

/// What a frame starts with: the capture's link type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LinkKind {
    /// DLT_EN10MB (1): an Ethernet header.
    #[default]
    Ethernet,
    /// LINKTYPE_LINUX_SLL (113): Linux's 16-byte "cooked" header (`tcpdump -i any`).
    LinuxSll,
    /// LINKTYPE_LINUX_SLL2 (276): its 20-byte successor, with the interface index.
    LinuxSll2,
    /// LINKTYPE_RAW (101), IPV4 (228), IPV6 (229): the IP datagram alone.
    RawIp,
}

impl LinkKind {
    /// From a pcap/pcapng link type number (tcpdump.org/linktypes.html); None if not decoded.
    /// DLT_RAW is 12 or 14 on some BSDs: files written there may carry those numbers.
    pub fn from_linktype(t: u32) -> Option<Self> {
        match t {
            1 => Some(LinkKind::Ethernet),
            113 => Some(LinkKind::LinuxSll),
            276 => Some(LinkKind::LinuxSll2),
            12 | 14 | 101 | 228 | 229 => Some(LinkKind::RawIp),
            _ => None,
        }
    }
}

/// Which protocol header (or payload) a [`Layer`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LayerKind {
    Ethernet,
    /// Linux "cooked" capture header (`tcpdump -i any`: LINUX_SLL / LINUX_SLL2), in place of
    /// Ethernet.
    Sll,
    /// One 802.1Q / 802.1ad tag.
    Vlan,
    /// IEEE 802.2 LLC (and SNAP) after an 802.3 length field.
    Llc,
    Arp,
    Ipv4,
    Ipv6,
    /// One IPv6 extension header (hop-by-hop, routing, fragment, destination options...).
    Ipv6Ext,
    Icmpv6,
    Icmp,
    /// The IPv4 header (+ 8 bytes) quoted inside an ICMP error.
    IcmpQuote,
    Udp,
    /// Application data, or a protocol ringside does not decode.
    Payload,
    /// Bytes after the IP datagram ends (Ethernet minimum-size padding, or trailing junk).
    Trailer,
}

impl LayerKind {
    pub fn name(self) -> &'static str {
        match self {
            LayerKind::Ethernet => "Ethernet II",
            LayerKind::Sll => "Linux cooked capture",
            LayerKind::Llc => "IEEE 802.2 LLC",
            LayerKind::Ipv6 => "IPv6",
            LayerKind::Ipv6Ext => "IPv6 extension header",
            LayerKind::Icmpv6 => "ICMPv6",
            LayerKind::Vlan => "802.1Q VLAN tag",
            LayerKind::Arp => "ARP",
            LayerKind::Ipv4 => "IPv4",
            LayerKind::Icmp => "ICMP",
            LayerKind::IcmpQuote => "Quoted IPv4 datagram",
            LayerKind::Udp => "UDP",
            LayerKind::Payload => "Payload",
            LayerKind::Trailer => "Trailer (padding)",
        }
    }
}

/// A checksum's state as found in the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    Good,
    /// Wrong: the value that would have been right.
    Bad {
        expected: u16,
    },
    /// Not transmitted (UDP checksum 0 over IPv4).
    Absent,
    /// Cannot be verified: the covered bytes are not all in the frame (truncated), or the sender's
    /// kernel left it to offload (checksum not ready).
    Unverified,
}

impl Check {
    pub fn name(self) -> &'static str {
        match self {
            Check::Good => "good",
            Check::Bad { .. } => "bad",
            Check::Absent => "absent",
            Check::Unverified => "unverified",
        }
    }
}

/// A decoded field value. Kept as numbers, not strings, so dissection allocates nothing per field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    /// A plain number shown in decimal.
    Dec(u64),
    /// A number shown in hex with this many digits (`0x0800`).
    Hex(u64, u8),
    Mac([u8; 6]),
    Ipv4([u8; 4]),
    /// Shown the RFC 5952 way (`fe80::1`).
    Ipv6([u8; 16]),
    /// A short run of bytes shown in full (an address of a type ringside does not name):
    /// the first `.1` of the array.
    Octets([u8; 24], u8),
    /// A number with its meaning (`0x0800` "IPv4", type 8 "echo request").
    Named(u64, u8, &'static str),
    /// Flag bits with their names ("DF", "MF").
    Flags(u8, &'static [&'static str; 3]),
    /// A run of bytes (payload, options); shown by length, the hex view shows the bytes.
    Bytes(u32),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Value::Dec(v) => write!(f, "{v}"),
            Value::Hex(v, w) => write!(f, "0x{:0width$x}", v, width = w as usize),
            Value::Mac(m) => super::Mac(m).fmt(f),
            Value::Ipv4(a) => write!(f, "{}.{}.{}.{}", a[0], a[1], a[2], a[3]),
            Value::Ipv6(a) => write!(f, "{}", std::net::Ipv6Addr::from(a)),
            Value::Octets(b, n) => {
                for (i, x) in b.iter().take(n as usize).enumerate() {
                    if i > 0 {
                        f.write_str(":")?;
                    }
                    write!(f, "{x:02x}")?;
                }
                Ok(())
            }
            Value::Named(v, 0, name) => write!(f, "{v} ({name})"),
            Value::Named(v, w, name) => {
                write!(f, "0x{:0width$x} ({name})", v, width = w as usize)
            }
            Value::Flags(bits, names) => {
                let mut first = true;
                write!(f, "0x{bits:x}")?;
                for (i, name) in names.iter().enumerate() {
                    // names[0] is the most significant of the three bits.
                    if !name.is_empty() && bits & (0b100 >> i) != 0 {
                        f.write_str(if first { " (" } else { ", " })?;
                        f.write_str(name)?;
                        first = false;
                    }
                }
                if !first {
                    f.write_str(")")?;
                }
                Ok(())
            }
            Value::Bytes(n) => write!(f, "{n} bytes"),
        }
    }
}

/// One field: a name, where it sits (bits from the start of the frame), its value and, for
/// checksums, whether it is right.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    /// Stable machine name, e.g. `ipv4.ttl` (also the `dump` column name).
    pub key: &'static str,
    /// Human label as drawn in the header box, e.g. "TTL".
    pub label: &'static str,
    pub bit_start: u32,
    pub bit_len: u32,
    pub value: Value,
    pub check: Option<Check>,
}

impl Field {
    /// The bytes this field touches (a 4-bit field touches one byte).
    pub fn byte_range(&self) -> Range<usize> {
        let start = self.bit_start / 8;
        let end = (self.bit_start + self.bit_len).div_ceil(8);
        start as usize..end as usize
    }
}

/// One header (or the payload): its bytes in the frame and its fields, in wire order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    pub kind: LayerKind,
    /// Bytes of the frame this layer covers (cut short if the frame is truncated).
    pub bytes: Range<usize>,
    /// Indexes into [`Dissection::fields`].
    pub fields: Range<usize>,
    /// Bytes the header claims it has (IHL*4, ARP 28, UDP 8, ...); more than `bytes.len()` when cut.
    pub declared_len: usize,
}

/// Why a frame is not what it claims to be. Decoding goes on as far as the bytes allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Malformation {
    /// A header is cut off by the end of the frame.
    Truncated(LayerKind),
    /// A length field claims more bytes than the frame has (IPv4 total length, UDP length).
    LengthExceedsFrame(LayerKind),
    /// A length field claims less than its own header (IPv4 total < IHL*4, UDP length < 8, IHL < 5).
    LengthTooShort(LayerKind),
    /// A checksum is wrong.
    BadChecksum(LayerKind),
    /// Version field is not 4 in an IPv4 ethertype frame.
    BadVersion,
    /// ARP for something other than Ethernet/IPv4 (hardware/protocol type or address lengths).
    UnsupportedArp,
    /// More than the VLAN tag limit ringside follows.
    TooManyVlanTags,
}

impl Malformation {
    /// Stable name for `dump` and the UI, e.g. `truncated_ipv4`.
    pub fn name(self) -> String {
        self.name_parts().concat()
    }

    /// [`Malformation::name`] in three pieces (before the layer, the layer, after it), for
    /// writers that build a line without allocating (`dump`'s problems column and Info).
    pub fn name_parts(self) -> [&'static str; 3] {
        fn k(l: LayerKind) -> &'static str {
            match l {
                LayerKind::Ethernet => "ethernet",
                LayerKind::Sll => "sll",
                LayerKind::Llc => "llc",
                LayerKind::Ipv6 => "ipv6",
                LayerKind::Ipv6Ext => "ipv6_ext",
                LayerKind::Icmpv6 => "icmpv6",
                LayerKind::Vlan => "vlan",
                LayerKind::Arp => "arp",
                LayerKind::Ipv4 => "ipv4",
                LayerKind::Icmp => "icmp",
                LayerKind::IcmpQuote => "icmp_quote",
                LayerKind::Udp => "udp",
                LayerKind::Payload => "payload",
                LayerKind::Trailer => "trailer",
            }
        }
        match self {
            Malformation::Truncated(l) => ["truncated_", k(l), ""],
            Malformation::LengthExceedsFrame(l) => ["", k(l), "_length_exceeds_frame"],
            Malformation::LengthTooShort(l) => ["", k(l), "_length_too_short"],
            Malformation::BadChecksum(l) => ["bad_", k(l), "_checksum"],
            Malformation::BadVersion => ["bad_ip_version", "", ""],
            Malformation::UnsupportedArp => ["unsupported_arp", "", ""],
            Malformation::TooManyVlanTags => ["too_many_vlan_tags", "", ""],
        }
    }
}

#[cfg(test)]
mod size {
    /// Dissection pushes ~25 of these per frame: their size is most of its cost.
    #[test]
    fn field_stays_small() {
        assert!(
            std::mem::size_of::<super::Field>() <= 80,
            "{}",
            std::mem::size_of::<super::Field>()
        );
    }
}
