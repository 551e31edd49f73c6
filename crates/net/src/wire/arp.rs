//! ARP (RFC 826) for Ethernet and IPv4, the only kind on ringside's links: the packet's field
//! table, a checked view and an emitter. (RARP, RFC 903, is the same packet with opcodes 3/4.)
//!
//! The table is the Ethernet/IPv4 layout (6-byte hardware, 4-byte protocol addresses). An ARP
//! packet for other hardware has other address lengths: the dissector reads `arp.hlen`/`arp.plen`
//! and places the four addresses by hand; the view refuses nothing but short buffers and says
//! with [`ArpPacket::is_ethernet_ipv4`] whether the table's addresses apply.
use std::net::Ipv4Addr;

use super::ethernet::{mac_at, set_mac, EtherType, Mac};
use super::table::{check_table, FieldDef, HeaderError};

/// Operation codes (RFC 826; RFC 903 for RARP).
pub const OP_REQUEST: u16 = 1;
pub const OP_REPLY: u16 = 2;
/// ARP hardware type of Ethernet (RFC 826; IANA "Hardware Types").
pub const HTYPE_ETHERNET: u16 = 1;

pub(crate) fn hw_name(t: u64) -> &'static str {
    match t {
        1 => "Ethernet",
        6 => "IEEE 802",
        _ => "other",
    }
}

pub(crate) fn op_name(op: u64) -> &'static str {
    match op {
        1 => "request",
        2 => "reply",
        3 => "RARP request",
        4 => "RARP reply",
        _ => "unknown",
    }
}

/// The packet, field by field (RFC 826, "Packet format").
pub mod field {
    use super::super::ethernet::field::TYPE_NAME;
    use super::super::table::{CMember, CScalar::*, FieldDef, Show};

    pub const HTYPE: FieldDef = FieldDef {
        key: "arp.htype",
        label: "Hardware type",
        at: 0,
        bit: 0,
        width: 16,
        show: Show::Named(super::hw_name, 0),
        course: CMember::new("h_type", UShort),
        about: "the link's kind of address: 1 = Ethernet (RFC 826 ar$hrd)",
    };
    pub const PTYPE: FieldDef = FieldDef {
        key: "arp.ptype",
        label: "Protocol type",
        at: 2,
        bit: 0,
        width: 16,
        show: Show::Named(TYPE_NAME, 4),
        course: CMember::new("h_proto", UShort),
        about: "the address being resolved, as an EtherType: 0x0800 IPv4 (RFC 826 ar$pro)",
    };
    pub const HLEN: FieldDef = FieldDef {
        key: "arp.hlen",
        label: "HLEN",
        at: 4,
        bit: 0,
        width: 8,
        show: Show::Dec,
        course: CMember::new("h_addrlen", UChar),
        about: "bytes in a hardware address: 6 for a MAC (RFC 826 ar$hln)",
    };
    pub const PLEN: FieldDef = FieldDef {
        key: "arp.plen",
        label: "PLEN",
        at: 5,
        bit: 0,
        width: 8,
        show: Show::Dec,
        course: CMember::new("protolen", UChar),
        about: "bytes in a protocol address: 4 for IPv4 (RFC 826 ar$pln)",
    };
    pub const OPCODE: FieldDef = FieldDef {
        key: "arp.opcode",
        label: "Operation",
        at: 6,
        bit: 0,
        width: 16,
        show: Show::Named(super::op_name, 0),
        course: CMember::new("oper", UShort),
        about: "1 request, 2 reply; RARP (RFC 903) uses 3 and 4 (RFC 826 ar$op)",
    };
    pub const SHA: FieldDef = FieldDef {
        key: "arp.sha",
        label: "Sender hardware address",
        at: 8,
        bit: 0,
        width: 48,
        show: Show::Mac,
        course: CMember::new("smac", UCharArray(6)),
        about: "the sender's MAC: what a receiver learns (RFC 826 ar$sha)",
    };
    pub const SPA: FieldDef = FieldDef {
        key: "arp.spa",
        label: "Sender protocol address",
        at: 14,
        bit: 0,
        width: 32,
        show: Show::Ipv4,
        course: CMember::new("sip", UInt),
        about: "the sender's IPv4 address; 0.0.0.0 in a probe (RFC 826 ar$spa, RFC 5227)",
    };
    pub const THA: FieldDef = FieldDef {
        key: "arp.tha",
        label: "Target hardware address",
        at: 18,
        bit: 0,
        width: 48,
        show: Show::Mac,
        course: CMember::new("dmac", UCharArray(6)),
        about: "the target's MAC: unknown (zeros) in a request (RFC 826 ar$tha)",
    };
    pub const TPA: FieldDef = FieldDef {
        key: "arp.tpa",
        label: "Target protocol address",
        at: 24,
        bit: 0,
        width: 32,
        show: Show::Ipv4,
        course: CMember::new("dip", UInt),
        about: "the IPv4 address asked about (RFC 826 ar$tpa)",
    };
}

pub const FIELDS: &[FieldDef] = &[
    field::HTYPE,
    field::PTYPE,
    field::HLEN,
    field::PLEN,
    field::OPCODE,
    field::SHA,
    field::SPA,
    field::THA,
    field::TPA,
];
/// Bytes before the addresses (hardware/protocol types, lengths, operation).
pub const FIXED_LEN: usize = 8;
/// An Ethernet/IPv4 ARP packet: 8 + 2 × (6 + 4).
pub const PACKET_LEN: usize = 28;
const _: () = assert!(check_table(FIELDS, PACKET_LEN));

fn ipv4_at(b: &[u8], f: FieldDef) -> Ipv4Addr {
    Ipv4Addr::from(f.get(b) as u32)
}

/// A checked view of an ARP packet.
///
/// `new_checked` asks etherparse's `ArpPacketSlice::from_slice` whether the buffer holds the
/// addresses the packet's own lengths announce, and then that it holds at least an Ethernet/IPv4
/// packet (28 bytes): the accessors read the table's fixed places.
#[derive(Clone, Copy, Debug)]
pub struct ArpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> ArpPacket<T> {
    pub fn new_unchecked(buffer: T) -> Self {
        ArpPacket { buffer }
    }

    pub fn new_checked(buffer: T) -> Result<Self, HeaderError> {
        let b = buffer.as_ref();
        if b.len() < PACKET_LEN || etherparse::ArpPacketSlice::from_slice(b).is_err() {
            return Err(HeaderError::Truncated);
        }
        Ok(ArpPacket { buffer })
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// Hardware Ethernet, protocol IPv4, lengths 6 and 4: the only ARP on ringside's links.
    pub fn is_ethernet_ipv4(&self) -> bool {
        self.htype() == HTYPE_ETHERNET
            && self.ptype() == EtherType::IPV4
            && self.hlen() == 6
            && self.plen() == 4
    }
    pub fn htype(&self) -> u16 {
        field::HTYPE.get(self.b()) as u16
    }
    pub fn ptype(&self) -> EtherType {
        EtherType(field::PTYPE.get(self.b()) as u16)
    }
    pub fn hlen(&self) -> u8 {
        field::HLEN.get(self.b()) as u8
    }
    pub fn plen(&self) -> u8 {
        field::PLEN.get(self.b()) as u8
    }
    pub fn opcode(&self) -> u16 {
        field::OPCODE.get(self.b()) as u16
    }
    pub fn sha(&self) -> Mac {
        mac_at(self.b(), field::SHA)
    }
    pub fn spa(&self) -> Ipv4Addr {
        ipv4_at(self.b(), field::SPA)
    }
    pub fn tha(&self) -> Mac {
        mac_at(self.b(), field::THA)
    }
    pub fn tpa(&self) -> Ipv4Addr {
        ipv4_at(self.b(), field::TPA)
    }
}

/// An Ethernet/IPv4 ARP packet to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArpRepr {
    pub op: u16,
    pub sha: Mac,
    pub spa: Ipv4Addr,
    pub tha: Mac,
    pub tpa: Ipv4Addr,
}

impl ArpRepr {
    /// None unless the packet is Ethernet/IPv4.
    pub fn parse<T: AsRef<[u8]>>(p: &ArpPacket<T>) -> Option<Self> {
        p.is_ethernet_ipv4().then(|| ArpRepr {
            op: p.opcode(),
            sha: p.sha(),
            spa: p.spa(),
            tha: p.tha(),
            tpa: p.tpa(),
        })
    }

    /// Append the 28-byte packet.
    pub fn emit(&self, out: &mut Vec<u8>) {
        let mut p = [0u8; PACKET_LEN];
        field::HTYPE.set(&mut p, u64::from(HTYPE_ETHERNET));
        field::PTYPE.set(&mut p, u64::from(EtherType::IPV4.0));
        field::HLEN.set(&mut p, 6);
        field::PLEN.set(&mut p, 4);
        field::OPCODE.set(&mut p, u64::from(self.op));
        set_mac(&mut p, field::SHA, self.sha);
        field::SPA.set(&mut p, u64::from(u32::from(self.spa)));
        set_mac(&mut p, field::THA, self.tha);
        field::TPA.set(&mut p, u64::from(u32::from(self.tpa)));
        out.extend_from_slice(&p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emit_then_parse() {
        let r = ArpRepr {
            op: OP_REPLY,
            sha: Mac([2, 0, 0, 0, 0, 1]),
            spa: Ipv4Addr::new(198, 51, 100, 2),
            tha: Mac([2, 0, 0, 0, 0, 9]),
            tpa: Ipv4Addr::new(198, 51, 100, 1),
        };
        let mut out = Vec::new();
        r.emit(&mut out);
        assert_eq!(&out[..8], &[0, 1, 8, 0, 6, 4, 0, 2]);
        let p = ArpPacket::new_checked(&out[..]).unwrap();
        assert_eq!(ArpRepr::parse(&p), Some(r));
        assert!(ArpPacket::new_checked(&out[..27]).is_err());
    }
}
