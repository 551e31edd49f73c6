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
    /// broadcast (IEEE 802-2014 §8.2).
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
