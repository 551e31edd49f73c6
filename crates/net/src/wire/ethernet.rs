//! Ethernet II (IEEE 802.3 clause 3.2; RFC 894 for IPv4 over it): the MAC address and EtherType
//! types, the header's field table, a checked view and an emitter.
use std::fmt;
use std::str::FromStr;

/// A 48-bit IEEE 802 MAC address.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    pub const BROADCAST: Mac = Mac([0xff; 6]);
    pub const ZERO: Mac = Mac([0; 6]);

    /// The I/G bit (first bit on the wire, low bit of the first byte) is set: multicast or
    /// broadcast (IEEE Std 802-2014, clause 8).
    pub fn is_group(&self) -> bool {
        self.0[0] & 1 == 1
    }

    pub fn is_broadcast(&self) -> bool {
        *self == Mac::BROADCAST
    }

    /// A single station's address: not a group address and not all zeros.
    pub fn is_unicast(&self) -> bool {
        !self.is_group() && *self != Mac::ZERO
    }

    /// From the first 6 bytes of `b` (None if shorter).
    pub fn from_bytes(b: &[u8]) -> Option<Mac> {
        Some(Mac(b.get(..6)?.try_into().ok()?))
    }
}

impl From<[u8; 6]> for Mac {
    fn from(b: [u8; 6]) -> Self {
        Mac(b)
    }
}

impl From<Mac> for [u8; 6] {
    fn from(m: Mac) -> Self {
        m.0
    }
}

impl fmt::Display for Mac {
    /// `02:00:00:00:00:01`, lower case, as `ip link` and tcpdump print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

impl FromStr for Mac {
    type Err = ();
    /// `02:00:00:00:00:01` (or with `-`), one or two hex digits per byte.
    fn from_str(s: &str) -> Result<Self, ()> {
        let mut out = [0u8; 6];
        let mut parts = s.split([':', '-']);
        for b in out.iter_mut() {
            let p = parts.next().ok_or(())?;
            if p.is_empty() || p.len() > 2 {
                return Err(());
            }
            *b = u8::from_str_radix(p, 16).map_err(|_| ())?;
        }
        match parts.next() {
            None => Ok(Mac(out)),
            Some(_) => Err(()),
        }
    }
}

/// The 16-bit type field after the MAC addresses (and in each VLAN tag): which protocol follows
/// (IEEE registry; RFC 7042 §3). Values up to 1500 are not types but an IEEE 802.3 length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EtherType(pub u16);

impl EtherType {
    pub const IPV4: EtherType = EtherType(0x0800);
    pub const ARP: EtherType = EtherType(0x0806);
    /// Reverse ARP (RFC 903): ARP's packet with opcodes 3 and 4.
    pub const RARP: EtherType = EtherType(0x8035);
    /// IEEE 802.1Q customer VLAN tag.
    pub const VLAN: EtherType = EtherType(0x8100);
    /// IEEE 802.1ad service VLAN tag (QinQ's outer tag).
    pub const QINQ: EtherType = EtherType(0x88a8);
    /// TPID of the old pre-802.1ad QinQ tag, still seen on some switches.
    pub const QINQ_OLD: EtherType = EtherType(0x9100);
    pub const IPV6: EtherType = EtherType(0x86dd);
    pub const LLDP: EtherType = EtherType(0x88cc);
    pub const MACSEC: EtherType = EtherType(0x88e5);

    /// A VLAN tag's TPID: 802.1Q, 802.1ad or the old QinQ 0x9100.
    pub fn is_vlan_tpid(self) -> bool {
        matches!(self, Self::VLAN | Self::QINQ | Self::QINQ_OLD)
    }

    /// IEEE 802.3 clause 3.2.6: a Length/Type value up to 1500 is a length.
    pub fn is_8023_length(self) -> bool {
        self.0 <= 1500
    }

    /// The name `dump` and the header boxes show.
    pub fn name(self) -> &'static str {
        match self {
            Self::IPV4 => "IPv4",
            Self::ARP => "ARP",
            Self::IPV6 => "IPv6",
            Self::VLAN => "802.1Q",
            Self::QINQ => "802.1ad",
            Self::QINQ_OLD => "QinQ",
            Self::LLDP => "LLDP",
            Self::RARP => "RARP",
            Self::MACSEC => "MACsec",
            t if t.is_8023_length() => "802.3 length",
            _ => "unknown",
        }
    }
}

fn ether_type_name(v: u64) -> &'static str {
    EtherType(v as u16).name()
}

/// The Ethernet II header, field by field (IEEE 802.3 clause 3.2; RFC 894).
pub mod field {
    use super::super::table::{CMember, CScalar::*, FieldDef, Show};

    /// The name of an EtherType value, for fields that hold one.
    pub const TYPE_NAME: fn(u64) -> &'static str = super::ether_type_name;

    pub const DST: FieldDef = FieldDef {
        key: "eth.dst",
        label: "Destination",
        at: 0,
        bit: 0,
        width: 48,
        show: Show::Mac,
        course: CMember::new("dst_mac", UCharArray(6)),
        about: "receiving station, or a group if its I/G bit is set (IEEE 802.3 §3.2.3)",
    };
    pub const SRC: FieldDef = FieldDef {
        key: "eth.src",
        label: "Source",
        at: 6,
        bit: 0,
        width: 48,
        show: Show::Mac,
        course: CMember::new("src_mac", UCharArray(6)),
        about: "sending station, always a unicast address (IEEE 802.3 §3.2.3)",
    };
    /// An EtherType; up to 1500 the same 16 bits are an 802.3 length (`eth.len`, see
    /// [`super::EtherType::is_8023_length`]).
    pub const TYPE: FieldDef = FieldDef {
        key: "eth.type",
        label: "Type",
        at: 12,
        bit: 0,
        width: 16,
        show: Show::Named(super::ether_type_name, 4),
        course: CMember::new("protocol", UShort),
        about: "which protocol follows: 0x0800 IPv4, 0x0806 ARP (RFC 894, IEEE 802.3 §3.2.6)",
    };
}

/// The header's fields in wire order.
pub const FIELDS: &[FieldDef] = &[field::DST, field::SRC, field::TYPE];
/// Ethernet header length without VLAN tags.
pub const HEADER_LEN: usize = 14;
/// Ethernet frames shorter than this (without FCS) are padded on the wire (IEEE 802.3 §4.2.3.3).
pub const MIN_FRAME: usize = 60;
const _: () = assert!(check_table(FIELDS, HEADER_LEN));

use super::table::{check_table, FieldDef, HeaderError};

/// A checked, zero-copy view of an Ethernet II frame.
///
/// Its length check is etherparse's `Ethernet2HeaderSlice::from_slice` (14 bytes); the
/// accessors read through [`FIELDS`] so the dissector's byte ranges and the view cannot
/// disagree. VLAN tags are walked by the caller with [`super::vlan::VlanTag`].
#[derive(Clone, Copy, Debug)]
pub struct EthernetFrame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> EthernetFrame<T> {
    /// A view without checks: accessors of bytes the buffer lacks read 0.
    pub fn new_unchecked(buffer: T) -> Self {
        EthernetFrame { buffer }
    }

    /// A view of a buffer that holds at least the 14-byte header.
    pub fn new_checked(buffer: T) -> Result<Self, HeaderError> {
        etherparse::Ethernet2HeaderSlice::from_slice(buffer.as_ref())
            .map_err(|_| HeaderError::Truncated)?;
        Ok(EthernetFrame { buffer })
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    #[inline]
    pub fn dst(&self) -> Mac {
        mac_at(self.buffer.as_ref(), field::DST)
    }
    #[inline]
    pub fn src(&self) -> Mac {
        mac_at(self.buffer.as_ref(), field::SRC)
    }
    #[inline]
    pub fn ethertype(&self) -> EtherType {
        EtherType(field::TYPE.get(self.buffer.as_ref()) as u16)
    }
    /// What follows the header (VLAN tags included, if any).
    #[inline]
    pub fn payload(&self) -> &[u8] {
        self.buffer.as_ref().get(HEADER_LEN..).unwrap_or(&[])
    }
}

/// A MAC-sized field read as a [`Mac`] (zeros if the buffer is short).
#[inline]
pub fn mac_at(b: &[u8], f: FieldDef) -> Mac {
    Mac::from_bytes(b.get(f.bytes()).unwrap_or(&[])).unwrap_or_default()
}

/// A MAC-sized field written from a [`Mac`].
#[inline]
pub fn set_mac(b: &mut [u8], f: FieldDef, m: Mac) {
    if let Some(d) = b.get_mut(f.bytes()) {
        d.copy_from_slice(&m.0);
    }
}

/// An Ethernet header to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EthernetRepr {
    pub dst: Mac,
    pub src: Mac,
    pub ethertype: EtherType,
}

impl EthernetRepr {
    pub fn parse<T: AsRef<[u8]>>(f: &EthernetFrame<T>) -> Self {
        EthernetRepr {
            dst: f.dst(),
            src: f.src(),
            ethertype: f.ethertype(),
        }
    }

    /// Append the header. `vlan_tags` is the raw 802.1Q/802.1ad tag stack (4 bytes per tag: TPID
    /// then TCI, outermost first) written between the source MAC and the EtherType; usually empty.
    pub fn emit(&self, out: &mut Vec<u8>, vlan_tags: &[u8]) {
        let mut h = [0u8; HEADER_LEN];
        set_mac(&mut h, field::DST, self.dst);
        set_mac(&mut h, field::SRC, self.src);
        field::TYPE.set(&mut h, u64::from(self.ethertype.0));
        let (addrs, ty) = h.split_at(field::TYPE.at);
        out.extend_from_slice(addrs);
        out.extend_from_slice(vlan_tags);
        out.extend_from_slice(ty);
    }
}

/// Pad the frame that starts at `out[start]` with zeros to the 60-byte Ethernet minimum.
pub fn pad_to_min(out: &mut Vec<u8>, start: usize) {
    let want = start + MIN_FRAME;
    if out.len() < want {
        out.resize(want, 0);
    }
}
