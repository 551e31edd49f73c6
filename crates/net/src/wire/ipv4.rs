//! IPv4 (RFC 791): the protocol number type, the header's field table, a checked view and an
//! emitter.

/// The IPv4 Protocol field, IPv6's Next Header (IANA "Assigned Internet Protocol Numbers").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IpProtocol(pub u8);

impl IpProtocol {
    pub const HOPOPT: IpProtocol = IpProtocol(0);
    pub const ICMP: IpProtocol = IpProtocol(1);
    pub const TCP: IpProtocol = IpProtocol(6);
    pub const UDP: IpProtocol = IpProtocol(17);
    /// IPv6 Authentication Header (RFC 4302): ringside does not decode past it.
    pub const AH: IpProtocol = IpProtocol(51);
    pub const ICMPV6: IpProtocol = IpProtocol(58);

    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "IPv6 hop-by-hop options",
            1 => "ICMP",
            2 => "IGMP",
            6 => "TCP",
            17 => "UDP",
            41 => "IPv6",
            43 => "IPv6 routing",
            44 => "IPv6 fragment",
            58 => "ICMPv6",
            59 => "no next header",
            60 => "IPv6 destination options",
            47 => "GRE",
            50 => "ESP",
            51 => "AH",
            89 => "OSPF",
            132 => "SCTP",
            _ => "unknown",
        }
    }
}

fn protocol_name(v: u64) -> &'static str {
    IpProtocol(v as u8).name()
}

/// The header, field by field (RFC 791 §3.1; DSCP/ECN per RFC 2474 and RFC 3168).
pub mod field {
    use super::super::table::{CMember, CScalar::*, FieldDef, Show};

    pub const VERSION: FieldDef = FieldDef {
        key: "ipv4.version",
        label: "Version",
        at: 0,
        bit: 0,
        width: 4,
        show: Show::Dec,
        course: CMember::bits("version", UChar, 4),
        about: "always 4 (RFC 791 §3.1)",
    };
    pub const IHL: FieldDef = FieldDef {
        key: "ipv4.ihl",
        label: "IHL",
        at: 0,
        bit: 4,
        width: 4,
        show: Show::Dec,
        course: CMember::bits("hdrlen", UChar, 4),
        about: "header length in 32-bit words, 5-15: 20 bytes + options (RFC 791 §3.1)",
    };
    pub const DSCP: FieldDef = FieldDef {
        key: "ipv4.dscp",
        label: "DSCP",
        at: 1,
        bit: 0,
        width: 6,
        show: Show::Dec,
        course: CMember::covering("tos", UChar, "ipv4.dscp+ipv4.ecn"),
        about: "differentiated services code point, the old TOS (RFC 2474 §3)",
    };
    pub const ECN: FieldDef = FieldDef {
        key: "ipv4.ecn",
        label: "ECN",
        at: 1,
        bit: 6,
        width: 2,
        show: Show::Dec,
        course: None, // the course's `tos` holds DSCP and ECN together
        about: "explicit congestion notification (RFC 3168 §5)",
    };
    pub const TOTAL_LENGTH: FieldDef = FieldDef {
        key: "ipv4.total_length",
        label: "Total Length",
        at: 2,
        bit: 0,
        width: 16,
        show: Show::Dec,
        course: CMember::new("totlen", UShort),
        about: "header + data in bytes; the frame may carry padding after it (RFC 791 §3.1)",
    };
    pub const ID: FieldDef = FieldDef {
        key: "ipv4.id",
        label: "Identification",
        at: 4,
        bit: 0,
        width: 16,
        show: Show::Hex(4),
        course: CMember::new("id", UShort),
        about: "names the datagram its fragments belong to (RFC 791 §3.2, RFC 6864)",
    };
    pub const FLAGS: FieldDef = FieldDef {
        key: "ipv4.flags",
        label: "Flags",
        at: 6,
        bit: 0,
        width: 3,
        show: Show::Flags(&["reserved", "DF", "MF"]),
        course: CMember::bits("flag", UShort, 3),
        about: "reserved, DF (don't fragment), MF (more fragments) (RFC 791 §3.1)",
    };
    pub const FRAG_OFFSET: FieldDef = FieldDef {
        key: "ipv4.frag_offset",
        label: "Fragment Offset",
        at: 6,
        bit: 3,
        width: 13,
        show: Show::Dec,
        course: CMember::bits("offset", UShort, 13),
        about: "where this fragment's data goes, in 8-byte units (RFC 791 §3.1)",
    };
    pub const TTL: FieldDef = FieldDef {
        key: "ipv4.ttl",
        label: "TTL",
        at: 8,
        bit: 0,
        width: 8,
        show: Show::Dec,
        course: CMember::new("ttl", UChar),
        about: "hops left; a router drops it at 0, a host accepts any (RFC 791 §3.1, RFC 1122 §3.2.1.7)",
    };
    pub const PROTOCOL: FieldDef = FieldDef {
        key: "ipv4.protocol",
        label: "Protocol",
        at: 9,
        bit: 0,
        width: 8,
        show: Show::Named(super::protocol_name, 0),
        course: CMember::new("protocol", UChar),
        about: "what the data is: 1 ICMP, 6 TCP, 17 UDP (RFC 791 §3.1, IANA)",
    };
    pub const CHECKSUM: FieldDef = FieldDef {
        key: "ipv4.checksum",
        label: "Header Checksum",
        at: 10,
        bit: 0,
        width: 16,
        show: Show::Hex(4),
        course: CMember::new("check", UShort),
        about: "Internet checksum over the header only (RFC 791 §3.1, RFC 1071)",
    };
    pub const SRC: FieldDef = FieldDef {
        key: "ipv4.src",
        label: "Source Address",
        at: 12,
        bit: 0,
        width: 32,
        show: Show::Ipv4,
        course: CMember::new("sip", UInt),
        about: "the sender (RFC 791 §3.1)",
    };
    pub const DST: FieldDef = FieldDef {
        key: "ipv4.dst",
        label: "Destination Address",
        at: 16,
        bit: 0,
        width: 32,
        show: Show::Ipv4,
        course: CMember::new("dip", UInt),
        about: "the receiver, or a broadcast address (RFC 791 §3.1, RFC 919)",
    };
}

pub const FIELDS: &[FieldDef] = &[
    field::VERSION,
    field::IHL,
    field::DSCP,
    field::ECN,
    field::TOTAL_LENGTH,
    field::ID,
    field::FLAGS,
    field::FRAG_OFFSET,
    field::TTL,
    field::PROTOCOL,
    field::CHECKSUM,
    field::SRC,
    field::DST,
];
/// Header length without options.
pub const HEADER_LEN: usize = 20;
/// Largest IPv4 datagram (total length is 16 bits).
pub const MAX_LEN: usize = 65_535;
/// Smallest IPv4 MTU every link must carry (RFC 791: 68 bytes).
pub const MIN_MTU: usize = 68;
/// Flag bits within [`field::FLAGS`] (3 bits, most significant first).
pub const FLAG_DF: u64 = 0b010;
pub const FLAG_MF: u64 = 0b001;
const _: () = assert!(check_table(FIELDS, HEADER_LEN));

use std::net::Ipv4Addr;

use super::checksum::{internet_checksum, Checksum};
use super::table::{check_table, FieldDef, HeaderError};

/// A checked, zero-copy view of an IPv4 datagram.
///
/// `new_checked` lets etherparse's `Ipv4HeaderSlice::from_slice` judge the header (20 bytes
/// there, version 4, IHL ≥ 5, the options there). ringside then goes further by hand, because a
/// lying frame must be named, not just refused: the total length is checked against the header
/// (LengthTooShort) and the buffer (LengthExceedsFrame), and [`Self::payload`] stops at the
/// total length, so Ethernet padding never reaches the transport layer. The accessors read
/// through [`FIELDS`].
#[derive(Clone, Copy, Debug)]
pub struct Ipv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv4Packet<T> {
    pub fn new_unchecked(buffer: T) -> Self {
        Ipv4Packet { buffer }
    }

    pub fn new_checked(buffer: T) -> Result<Self, HeaderError> {
        use etherparse::err::ipv4::{HeaderError as E, HeaderSliceError as S};
        let b = buffer.as_ref();
        match etherparse::Ipv4HeaderSlice::from_slice(b) {
            Ok(_) => {}
            Err(S::Len(_)) => return Err(HeaderError::Truncated),
            Err(S::Content(E::UnexpectedVersion { .. })) => return Err(HeaderError::BadVersion),
            Err(S::Content(_)) => return Err(HeaderError::HeaderLenTooShort),
        }
        let p = Ipv4Packet { buffer };
        let total = p.total_len();
        if total < p.header_len() {
            return Err(HeaderError::LengthTooShort);
        }
        if total > p.buffer.as_ref().len() {
            return Err(HeaderError::LengthExceedsFrame);
        }
        Ok(p)
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    pub fn version(&self) -> u8 {
        field::VERSION.get(self.b()) as u8
    }
    /// Header length in bytes (IHL × 4).
    pub fn header_len(&self) -> usize {
        field::IHL.get(self.b()) as usize * 4
    }
    pub fn total_len(&self) -> usize {
        field::TOTAL_LENGTH.get(self.b()) as usize
    }
    pub fn ident(&self) -> u16 {
        field::ID.get(self.b()) as u16
    }
    pub fn dont_frag(&self) -> bool {
        field::FLAGS.get(self.b()) & FLAG_DF != 0
    }
    pub fn more_frags(&self) -> bool {
        field::FLAGS.get(self.b()) & FLAG_MF != 0
    }
    /// Fragment offset in bytes (the field counts 8-byte units).
    pub fn frag_offset(&self) -> usize {
        field::FRAG_OFFSET.get(self.b()) as usize * 8
    }
    pub fn ttl(&self) -> u8 {
        field::TTL.get(self.b()) as u8
    }
    pub fn protocol(&self) -> IpProtocol {
        IpProtocol(field::PROTOCOL.get(self.b()) as u8)
    }
    pub fn checksum(&self) -> u16 {
        field::CHECKSUM.get(self.b()) as u16
    }
    pub fn src(&self) -> Ipv4Addr {
        Ipv4Addr::from(field::SRC.get(self.b()) as u32)
    }
    pub fn dst(&self) -> Ipv4Addr {
        Ipv4Addr::from(field::DST.get(self.b()) as u32)
    }
    /// The header, options included.
    pub fn header(&self) -> &[u8] {
        let b = self.b();
        &b[..self.header_len().min(b.len())]
    }
    /// The options (the header past its 20 fixed bytes).
    pub fn options(&self) -> &[u8] {
        self.header().get(HEADER_LEN..).unwrap_or(&[])
    }
    /// Header and data, cut to the total length (without the frame's padding).
    pub fn datagram(&self) -> &[u8] {
        let b = self.b();
        &b[..self.total_len().min(b.len())]
    }
    /// The data after the header, up to the total length.
    pub fn payload(&self) -> &[u8] {
        self.datagram().get(self.header_len()..).unwrap_or(&[])
    }
    /// The header checksum is right (the sum over the header is all ones).
    pub fn verify_checksum(&self) -> bool {
        Checksum::new().add(self.header()).finish() == 0
    }
}

/// An IPv4 header without options, to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Repr {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub protocol: IpProtocol,
    pub ttl: u8,
    pub ident: u16,
    pub dont_frag: bool,
    pub more_frags: bool,
    /// In bytes; must be a multiple of 8 (the low 3 bits are dropped).
    pub frag_offset: usize,
    /// Bytes after the header (the total length saturates at 65,535).
    pub payload_len: usize,
}

impl Ipv4Repr {
    /// Append the 20-byte header with its checksum.
    pub fn emit(&self, out: &mut Vec<u8>) {
        let mut h = [0u8; HEADER_LEN];
        field::VERSION.set(&mut h, 4);
        field::IHL.set(&mut h, (HEADER_LEN / 4) as u64);
        let total = (HEADER_LEN + self.payload_len).min(MAX_LEN);
        field::TOTAL_LENGTH.set(&mut h, total as u64);
        field::ID.set(&mut h, u64::from(self.ident));
        let flags = (u64::from(self.dont_frag) * FLAG_DF) | (u64::from(self.more_frags) * FLAG_MF);
        field::FLAGS.set(&mut h, flags);
        field::FRAG_OFFSET.set(&mut h, (self.frag_offset / 8) as u64);
        field::TTL.set(&mut h, u64::from(self.ttl));
        field::PROTOCOL.set(&mut h, u64::from(self.protocol.0));
        field::SRC.set(&mut h, u64::from(u32::from(self.src)));
        field::DST.set(&mut h, u64::from(u32::from(self.dst)));
        let c = internet_checksum(&h);
        field::CHECKSUM.set(&mut h, u64::from(c));
        out.extend_from_slice(&h);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emit_then_view() {
        let r = Ipv4Repr {
            src: Ipv4Addr::new(198, 51, 100, 1),
            dst: Ipv4Addr::new(198, 51, 100, 2),
            protocol: IpProtocol::UDP,
            ttl: 63,
            ident: 0xbeef,
            dont_frag: false,
            more_frags: true,
            frag_offset: 1480,
            payload_len: 8,
        };
        let mut out = Vec::new();
        r.emit(&mut out);
        out.extend_from_slice(&[0; 8]);
        // 0x2000 MF | 185 units
        assert_eq!(&out[6..8], &[0x20, 185]);
        let p = Ipv4Packet::new_checked(&out[..]).unwrap();
        assert!(p.verify_checksum());
        assert_eq!(
            (p.src(), p.dst(), p.ttl(), p.ident()),
            (r.src, r.dst, 63, 0xbeef)
        );
        assert_eq!(
            (p.more_frags(), p.dont_frag(), p.frag_offset()),
            (true, false, 1480)
        );
        assert_eq!((p.protocol(), p.payload().len()), (IpProtocol::UDP, 8));
    }

    #[test]
    fn lying_lengths_are_named() {
        let mut h = vec![
            0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8,
        ];
        assert_eq!(
            Ipv4Packet::new_checked(&h[..]).err(),
            Some(HeaderError::LengthExceedsFrame)
        );
        h[3] = 19;
        assert_eq!(
            Ipv4Packet::new_checked(&h[..]).err(),
            Some(HeaderError::LengthTooShort)
        );
        h[0] = 0x44;
        assert_eq!(
            Ipv4Packet::new_checked(&h[..]).err(),
            Some(HeaderError::HeaderLenTooShort)
        );
        h[0] = 0x65;
        assert_eq!(
            Ipv4Packet::new_checked(&h[..]).err(),
            Some(HeaderError::BadVersion)
        );
        assert_eq!(
            Ipv4Packet::new_checked(&h[..19]).err(),
            Some(HeaderError::Truncated)
        );
    }
}
