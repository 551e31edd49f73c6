//! UDP (RFC 768): the header's field table, a checked view and an emitter.
use std::net::Ipv4Addr;

use super::checksum::{pseudo_header, udp_checksum_field};
use super::ipv4::IpProtocol;
use super::table::{check_table, FieldDef, HeaderError};

/// The header, field by field (RFC 768, "Format").
pub mod field {
    use super::super::table::{CMember, CScalar::*, FieldDef, Show};

    pub const SRC_PORT: FieldDef = FieldDef {
        key: "udp.srcport",
        label: "Source Port",
        at: 0,
        bit: 0,
        width: 16,
        show: Show::Dec,
        course: CMember::new("sport", UShort),
        about: "the sender's port, where a reply goes; 0 = none (RFC 768)",
    };
    pub const DST_PORT: FieldDef = FieldDef {
        key: "udp.dstport",
        label: "Destination Port",
        at: 2,
        bit: 0,
        width: 16,
        show: Show::Dec,
        course: CMember::new("dport", UShort),
        about: "the receiving service, e.g. 7 = echo, RFC 862 (RFC 768)",
    };
    pub const LENGTH: FieldDef = FieldDef {
        key: "udp.length",
        label: "Length",
        at: 4,
        bit: 0,
        width: 16,
        show: Show::Dec,
        course: CMember::new("length", UShort),
        about: "header + data in bytes, at least 8 (RFC 768)",
    };
    pub const CHECKSUM: FieldDef = FieldDef {
        key: "udp.checksum",
        label: "Checksum",
        at: 6,
        bit: 0,
        width: 16,
        show: Show::Hex(4),
        course: CMember::new("check", UShort),
        about: "over a pseudo-header, the header and data; 0 = not computed (RFC 768)",
    };
}

pub const FIELDS: &[FieldDef] = &[
    field::SRC_PORT,
    field::DST_PORT,
    field::LENGTH,
    field::CHECKSUM,
];
pub const HEADER_LEN: usize = 8;
const _: () = assert!(check_table(FIELDS, HEADER_LEN));

/// A checked view of a UDP datagram (the IP payload).
///
/// The 8-byte check is etherparse's `UdpHeaderSlice::from_slice`; by hand, the length field is
/// checked against the header (LengthTooShort) and the IP payload (LengthExceedsFrame), and
/// [`Self::payload`] stops at the UDP length: bytes past it are not part of the datagram.
#[derive(Clone, Copy, Debug)]
pub struct UdpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> UdpPacket<T> {
    pub fn new_unchecked(buffer: T) -> Self {
        UdpPacket { buffer }
    }

    pub fn new_checked(buffer: T) -> Result<Self, HeaderError> {
        etherparse::UdpHeaderSlice::from_slice(buffer.as_ref())
            .map_err(|_| HeaderError::Truncated)?;
        let p = UdpPacket { buffer };
        if p.len() < HEADER_LEN {
            return Err(HeaderError::LengthTooShort);
        }
        if p.len() > p.buffer.as_ref().len() {
            return Err(HeaderError::LengthExceedsFrame);
        }
        Ok(p)
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }
    pub fn src_port(&self) -> u16 {
        field::SRC_PORT.get(self.b()) as u16
    }
    pub fn dst_port(&self) -> u16 {
        field::DST_PORT.get(self.b()) as u16
    }
    /// The length field: header + data.
    pub fn len(&self) -> usize {
        field::LENGTH.get(self.b()) as usize
    }
    pub fn is_empty(&self) -> bool {
        self.len() <= HEADER_LEN
    }
    pub fn checksum(&self) -> u16 {
        field::CHECKSUM.get(self.b()) as u16
    }
    /// Header and data, cut to the length field.
    pub fn datagram(&self) -> &[u8] {
        let b = self.b();
        &b[..self.len().min(b.len())]
    }
    pub fn payload(&self) -> &[u8] {
        self.datagram().get(HEADER_LEN..).unwrap_or(&[])
    }
    /// The checksum is right over the IPv4 pseudo-header. A zero field means none was sent
    /// (RFC 768): the caller decides what that means.
    pub fn verify_checksum(&self, src: Ipv4Addr, dst: Ipv4Addr) -> bool {
        let seg = self.datagram();
        let mut c = pseudo_header(src, dst, IpProtocol::UDP.0, seg.len() as u16);
        c.add(seg).finish() == 0
    }
}

/// A UDP header to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UdpRepr {
    pub src_port: u16,
    pub dst_port: u16,
}

impl UdpRepr {
    /// The 8-byte header for `payload`, checksum over the pseudo-header included (0 becomes
    /// 0xffff). Payloads longer than 65,527 bytes cannot be expressed; the length saturates.
    pub fn header(&self, src: Ipv4Addr, dst: Ipv4Addr, payload: &[u8]) -> [u8; HEADER_LEN] {
        let len = (HEADER_LEN + payload.len()).min(usize::from(u16::MAX)) as u16;
        let mut h = [0u8; HEADER_LEN];
        field::SRC_PORT.set(&mut h, u64::from(self.src_port));
        field::DST_PORT.set(&mut h, u64::from(self.dst_port));
        field::LENGTH.set(&mut h, u64::from(len));
        let mut c = pseudo_header(src, dst, IpProtocol::UDP.0, len);
        c.add(&h).add(payload);
        field::CHECKSUM.set(&mut h, u64::from(udp_checksum_field(&c)));
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_then_view() {
        let (s, d) = (
            Ipv4Addr::new(198, 51, 100, 1),
            Ipv4Addr::new(198, 51, 100, 2),
        );
        let payload = b"hello";
        let mut seg = UdpRepr {
            src_port: 4000,
            dst_port: 7,
        }
        .header(s, d, payload)
        .to_vec();
        seg.extend_from_slice(payload);
        seg.extend_from_slice(&[0, 0]); // padding past the length
        let p = UdpPacket::new_checked(&seg[..]).unwrap();
        assert_eq!((p.src_port(), p.dst_port(), p.len()), (4000, 7, 13));
        assert_eq!(p.payload(), payload);
        assert!(p.verify_checksum(s, d));
        seg[5] = 40;
        assert_eq!(
            UdpPacket::new_checked(&seg[..]).err(),
            Some(HeaderError::LengthExceedsFrame)
        );
        seg[5] = 7;
        assert_eq!(
            UdpPacket::new_checked(&seg[..]).err(),
            Some(HeaderError::LengthTooShort)
        );
    }
}
