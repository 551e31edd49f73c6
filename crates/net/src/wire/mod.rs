//! Pure packet formats: no I/O, no clocks.
//! - [`dissect`]: any byte string to a [`Dissection`] (layers + byte-exact field map), never panics.
//! - [`build`]: the frames the stack sends.
//! - [`checksum`]: the Internet checksum (RFC 1071), the one implementation.
//! - one file per header, [`ethernet`], [`vlan`], [`arp`], [`ipv4`], [`icmp`], [`udp`]: its
//!   field table (the one place its layout is written: name, bit range, C member, meaning),
//!   a checked zero-copy view for reading and a `Repr` for writing, both driven by the table
//!   (the shape is explained in [`table`]). `Mac`, `EtherType` and `IpProtocol` live there too.
pub mod arp;
pub mod build;
pub mod checksum;
pub mod columns;
pub mod dissect;
pub mod ethernet;
pub mod field;
pub mod icmp;
pub mod ipv4;
pub mod table;
pub mod udp;
pub mod vlan;

pub use dissect::{dissect, Dissection, Summary};
pub use ethernet::{EtherType, Mac};
pub use field::{Check, Field, Layer, LayerKind, LinkKind, Malformation, Value};
pub use ipv4::IpProtocol;
pub use table::{FieldDef, HeaderError};

/// VLAN tags followed in front of the EtherType, by the dissector and the stack alike: a frame
/// with more is malformed to both (`too_many_vlan_tags` in the dissection, dropped as
/// `malformed` by the stack), so what the UI flags is never answered. Three, like etherparse's
/// lax slicer (`LINK_EXTS_CAP`).
pub const MAX_VLAN_TAGS: usize = 3;

/// TPID of the old pre-802.1ad QinQ tag (alias of [`EtherType::QINQ_OLD`]).
pub const ETHERTYPE_QINQ_OLD: u16 = EtherType::QINQ_OLD.0;

/// Whether an EtherType field holds a VLAN tag's TPID (see [`EtherType::is_vlan_tpid`]).
pub fn is_vlan_tpid(t: u16) -> bool {
    EtherType(t).is_vlan_tpid()
}

/// Format a MAC address the usual way (`Mac`'s Display).
pub fn mac_to_string(m: &[u8; 6]) -> String {
    Mac(*m).to_string()
}

/// Parse `02:00:00:00:00:01` (or with `-`); `Mac`'s FromStr.
pub fn parse_mac(s: &str) -> Option<[u8; 6]> {
    s.parse::<Mac>().ok().map(|m| m.0)
}
