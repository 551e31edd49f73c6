//! ICMP for IPv4 (RFC 792): the header's field tables, a checked view and the emitters of the
//! messages ringside sends (echo reply, destination unreachable).
//!
//! Every message starts with type, code and checksum ([`HEADER`]); the next 4 bytes depend on
//! the type: identifier + sequence for echo and its kin ([`ECHO`]), unused for most errors
//! ([`ERROR`]), or other splits the dissector names by hand (next-hop MTU, pointer).
use super::checksum::{internet_checksum, Checksum};
use super::table::{check_table, FieldDef, HeaderError};

pub const ECHO_REPLY: u8 = 0;
pub const DEST_UNREACHABLE: u8 = 3;
pub const ECHO_REQUEST: u8 = 8;
pub const TIME_EXCEEDED: u8 = 11;
/// Destination unreachable codes (RFC 792).
pub const CODE_PROTOCOL_UNREACHABLE: u8 = 2;
pub const CODE_PORT_UNREACHABLE: u8 = 3;
/// Time exceeded code: fragment reassembly time exceeded.
pub const CODE_REASSEMBLY_TIMEOUT: u8 = 1;
/// The fixed part every message has: type, code, checksum and 4 type-specific bytes.
pub const HEADER_LEN: usize = 8;

/// The name of an ICMP type (RFC 792; RFC 950 for the address mask messages).
pub(crate) fn type_name(t: u64) -> &'static str {
    match t {
        0 => "echo reply",
        3 => "destination unreachable",
        5 => "redirect",
        8 => "echo request",
        11 => "time exceeded",
        12 => "parameter problem",
        13 => "timestamp request",
        14 => "timestamp reply",
        15 => "information request",
        16 => "information reply",
        17 => "address mask request",
        18 => "address mask reply",
        _ => "other",
    }
}

/// The fields, by message kind (RFC 792, each message's diagram).
pub mod field {
    use super::super::table::{CMember, CScalar::*, FieldDef, Show};

    pub const TYPE: FieldDef = FieldDef {
        key: "icmp.type",
        label: "Type",
        at: 0,
        bit: 0,
        width: 8,
        show: Show::Named(super::type_name, 0),
        course: CMember::new("type", UChar),
        about:
            "the message: 8 echo request, 0 echo reply, 3 unreachable, 11 time exceeded (RFC 792)",
    };
    pub const CODE: FieldDef = FieldDef {
        key: "icmp.code",
        label: "Code",
        at: 1,
        bit: 0,
        width: 8,
        show: Show::Dec,
        course: CMember::new("code", UChar),
        about: "the reason within the type: 3 = port unreachable for type 3 (RFC 792)",
    };
    pub const CHECKSUM: FieldDef = FieldDef {
        key: "icmp.checksum",
        label: "Checksum",
        at: 2,
        bit: 0,
        width: 16,
        show: Show::Hex(4),
        course: CMember::new("check", UShort),
        about: "Internet checksum over the whole ICMP message (RFC 792, RFC 1071)",
    };
    pub const IDENT: FieldDef = FieldDef {
        key: "icmp.ident",
        label: "Identifier",
        at: 4,
        bit: 0,
        width: 16,
        show: Show::Hex(4),
        course: CMember::new("identifier", UShort),
        about: "matches replies to requests; Linux ping uses its socket's port (RFC 792 Echo)",
    };
    pub const SEQ: FieldDef = FieldDef {
        key: "icmp.seq",
        label: "Sequence Number",
        at: 6,
        bit: 0,
        width: 16,
        show: Show::Dec,
        course: CMember::new("seq", UShort),
        about: "counts the requests; the reply copies it (RFC 792 Echo)",
    };
    pub const UNUSED: FieldDef = FieldDef {
        key: "icmp.unused",
        label: "Unused",
        at: 4,
        bit: 0,
        width: 32,
        show: Show::Hex(8),
        course: None,
        about: "zero; the quoted datagram follows (RFC 792 Destination Unreachable)",
    };
}

/// Type, code, checksum: the start of every message.
pub const HEADER: &[FieldDef] = &[field::TYPE, field::CODE, field::CHECKSUM];
/// Echo request/reply (and timestamp, information, address mask): HEADER, then these.
pub const ECHO: &[FieldDef] = &[field::IDENT, field::SEQ];
/// Destination unreachable (other than code 4) and time exceeded: HEADER, then 4 unused bytes.
pub const ERROR: &[FieldDef] = &[field::UNUSED];
const _: () = assert!(check_table(HEADER, HEADER_LEN));
const _: () = assert!(check_table(ECHO, HEADER_LEN));

/// A checked view of an ICMP message (the whole IP payload: the checksum covers all of it).
/// The length check is etherparse's `Icmpv4Slice::from_slice` (8 bytes).
#[derive(Clone, Copy, Debug)]
pub struct IcmpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> IcmpPacket<T> {
    pub fn new_unchecked(buffer: T) -> Self {
        IcmpPacket { buffer }
    }

    pub fn new_checked(buffer: T) -> Result<Self, HeaderError> {
        etherparse::Icmpv4Slice::from_slice(buffer.as_ref()).map_err(|_| HeaderError::Truncated)?;
        Ok(IcmpPacket { buffer })
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }
    pub fn msg_type(&self) -> u8 {
        field::TYPE.get(self.b()) as u8
    }
    pub fn code(&self) -> u8 {
        field::CODE.get(self.b()) as u8
    }
    pub fn checksum(&self) -> u16 {
        field::CHECKSUM.get(self.b()) as u16
    }
    /// Echo's identifier (meaningful for echo and its kin only).
    pub fn ident(&self) -> u16 {
        field::IDENT.get(self.b()) as u16
    }
    pub fn seq(&self) -> u16 {
        field::SEQ.get(self.b()) as u16
    }
    /// What follows the 8-byte header (echo data, or the quoted datagram).
    pub fn data(&self) -> &[u8] {
        self.b().get(HEADER_LEN..).unwrap_or(&[])
    }
    pub fn verify_checksum(&self) -> bool {
        internet_checksum(self.b()) == 0
    }
}

/// An echo request or reply header to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EchoRepr {
    pub reply: bool,
    pub ident: u16,
    pub seq: u16,
}

impl EchoRepr {
    /// The 8-byte header for `data`, checksum included.
    pub fn header(&self, data: &[u8]) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        let ty = if self.reply { ECHO_REPLY } else { ECHO_REQUEST };
        field::TYPE.set(&mut h, u64::from(ty));
        field::IDENT.set(&mut h, u64::from(self.ident));
        field::SEQ.set(&mut h, u64::from(self.seq));
        let c = Checksum::new().add(&h).add(data).finish();
        field::CHECKSUM.set(&mut h, u64::from(c));
        h
    }

    /// The reply to `request` (a checked echo request): type 0, the same identifier, sequence
    /// and data, and the checksum updated incrementally (RFC 1624 eqn. 3) from the request's, so
    /// the data is never summed again: only the type changed (8 -> 0).
    pub fn reply_header<T: AsRef<[u8]>>(request: &IcmpPacket<T>) -> [u8; HEADER_LEN] {
        let b = request.b();
        let old_word = ((field::TYPE.get(b) as u16) << 8) | field::CODE.get(b) as u16;
        let csum = Checksum::new()
            .add_u16(!request.checksum())
            .add_u16(!old_word)
            .add_u16(u16::from(ECHO_REPLY) << 8) // echo reply, code 0
            .finish();
        let mut h = [0u8; HEADER_LEN];
        field::CHECKSUM.set(&mut h, u64::from(csum));
        field::IDENT.set(&mut h, u64::from(request.ident()));
        field::SEQ.set(&mut h, u64::from(request.seq()));
        h
    }
}

/// An error message header (destination unreachable, time exceeded) to write; the data is the
/// offending datagram's IP header and first 8 bytes of payload, quoted unchanged (RFC 792).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorRepr {
    pub msg_type: u8,
    pub code: u8,
}

impl ErrorRepr {
    pub fn header(&self, quoted: &[u8]) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        field::TYPE.set(&mut h, u64::from(self.msg_type));
        field::CODE.set(&mut h, u64::from(self.code));
        let c = Checksum::new().add(&h).add(quoted).finish();
        field::CHECKSUM.set(&mut h, u64::from(c));
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incremental_reply_checksum_equals_a_full_one() {
        for n in [0usize, 1, 56, 1471] {
            let data: Vec<u8> = (0..n).map(|i| (i * 31 + 7) as u8).collect();
            let req = EchoRepr {
                reply: false,
                ident: 0x1234,
                seq: 7,
            };
            let mut msg = req.header(&data).to_vec();
            msg.extend_from_slice(&data);
            let p = IcmpPacket::new_checked(&msg[..]).unwrap();
            assert!(p.verify_checksum());
            let full = EchoRepr { reply: true, ..req }.header(&data);
            assert_eq!(EchoRepr::reply_header(&p), full, "{n} bytes");
        }
    }
}
