//! One IEEE 802.1Q / 802.1ad VLAN tag: the 16-bit Tag Control Information and the EtherType
//! after it. (The tag's first half, the TPID 0x8100/0x88a8, sits where the EtherType was: it
//! is the previous header's type field, as tshark shows it.)
use super::ethernet::EtherType;
use super::table::{check_table, FieldDef, HeaderError};

/// The tag, field by field (IEEE 802.1Q-2018 §9.6).
pub mod field {
    use super::super::table::{FieldDef, Show};

    pub const PCP: FieldDef = FieldDef {
        key: "vlan.pcp",
        label: "PCP",
        at: 0,
        bit: 0,
        width: 3,
        show: Show::Dec,
        course: None,
        about: "priority code point, 0-7 (IEEE 802.1Q §6.9.3)",
    };
    pub const DEI: FieldDef = FieldDef {
        key: "vlan.dei",
        label: "DEI",
        at: 0,
        bit: 3,
        width: 1,
        show: Show::Dec,
        course: None,
        about: "drop eligible: may be dropped first under congestion (IEEE 802.1Q §6.9.3)",
    };
    pub const ID: FieldDef = FieldDef {
        key: "vlan.id",
        label: "VLAN ID",
        at: 0,
        bit: 4,
        width: 12,
        show: Show::Dec,
        course: None,
        about: "the VLAN, 1-4094; 0 = priority tag only (IEEE 802.1Q §9.6)",
    };
    pub const TYPE: FieldDef = FieldDef {
        key: "vlan.type",
        label: "Type",
        at: 2,
        bit: 0,
        width: 16,
        show: Show::Named(super::super::ethernet::field::TYPE_NAME, 4),
        course: None,
        about:
            "the EtherType of what follows the tag, or the next tag's TPID (IEEE 802.1Q clause 9)",
    };
}

pub const FIELDS: &[FieldDef] = &[field::PCP, field::DEI, field::ID, field::TYPE];
/// Bytes of a tag after its TPID (TCI + EtherType).
pub const HEADER_LEN: usize = 4;
/// The TPID that announces a tag (it fills the previous header's type field).
pub const TPID_LEN: usize = 2;
const _: () = assert!(check_table(FIELDS, HEADER_LEN));

/// A checked view of one tag's TCI and EtherType (4 bytes, starting after the TPID).
#[derive(Clone, Copy, Debug)]
pub struct VlanTag<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> VlanTag<T> {
    /// Without checks: fields whose bytes are missing read 0 (the TCI alone is enough for
    /// [`Self::vid`]).
    pub fn new_unchecked(buffer: T) -> Self {
        VlanTag { buffer }
    }

    pub fn new_checked(buffer: T) -> Result<Self, HeaderError> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(HeaderError::Truncated);
        }
        Ok(VlanTag { buffer })
    }

    pub fn pcp(&self) -> u8 {
        field::PCP.get(self.buffer.as_ref()) as u8
    }
    pub fn dei(&self) -> bool {
        field::DEI.get(self.buffer.as_ref()) != 0
    }
    pub fn vid(&self) -> u16 {
        field::ID.get(self.buffer.as_ref()) as u16
    }
    pub fn ethertype(&self) -> EtherType {
        EtherType(field::TYPE.get(self.buffer.as_ref()) as u16)
    }
}

/// A tag to write: TPID, then TCI (the EtherType after it is the next header's business).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VlanRepr {
    /// 802.1Q ([`EtherType::VLAN`]) or 802.1ad ([`EtherType::QINQ`]).
    pub tpid: EtherType,
    pub pcp: u8,
    pub dei: bool,
    pub vid: u16,
}

impl VlanRepr {
    pub fn parse<T: AsRef<[u8]>>(tpid: EtherType, t: &VlanTag<T>) -> Self {
        VlanRepr {
            tpid,
            pcp: t.pcp(),
            dei: t.dei(),
            vid: t.vid(),
        }
    }

    /// The 4 bytes as [`super::ethernet::EthernetRepr::emit`] takes them (TPID, TCI).
    pub fn to_bytes(&self) -> [u8; 4] {
        let mut b = [0u8; 4];
        b[..2].copy_from_slice(&self.tpid.0.to_be_bytes());
        let tci = &mut b[2..];
        field::PCP.set(tci, u64::from(self.pcp));
        field::DEI.set(tci, u64::from(self.dei));
        field::ID.set(tci, u64::from(self.vid));
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_round_trips() {
        let r = VlanRepr {
            tpid: EtherType::VLAN,
            pcp: 5,
            dei: true,
            vid: 0xabc,
        };
        let b = r.to_bytes();
        assert_eq!(b, [0x81, 0x00, 0xba, 0xbc]);
        let t = VlanTag::new_unchecked(&b[2..]);
        assert_eq!(VlanRepr::parse(EtherType::VLAN, &t), r);
        assert!(VlanTag::new_checked(&b[2..]).is_err());
    }
}
