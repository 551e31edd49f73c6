//! Pure packet formats: no I/O, no clocks.
//! - [`dissect`]: any byte string to a [`Dissection`] (layers + byte-exact field map), never panics.
//! - [`build`]: the frames the stack sends.
pub mod build;
pub mod dissect;
pub mod field;

pub use dissect::{dissect, Dissection, Summary};
pub use field::{Check, Field, Layer, LayerKind, LinkKind, Malformation, Value};

/// VLAN tags followed in front of the EtherType, by the dissector and the stack alike: a frame
/// with more is malformed to both (`too_many_vlan_tags` in the dissection, dropped as
/// `malformed` by the stack), so what the UI flags is never answered. Three, like etherparse's
/// lax slicer (`LINK_EXTS_CAP`).
pub const MAX_VLAN_TAGS: usize = 3;

/// TPID of the old pre-802.1ad QinQ tag, still seen on some switches.
pub const ETHERTYPE_QINQ_OLD: u16 = 0x9100;

/// Whether an EtherType field holds a VLAN tag's TPID: 802.1Q (0x8100), 802.1ad (0x88a8) or the
/// old QinQ 0x9100.
pub fn is_vlan_tpid(t: u16) -> bool {
    matches!(
        t,
        build::ETHERTYPE_VLAN | build::ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD
    )
}

/// Format a MAC address the usual way.
pub fn mac_to_string(m: &[u8; 6]) -> String {
    Value::Mac(*m).to_string()
}

/// Parse `02:00:00:00:00:01` (or with `-`).
pub fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let mut out = [0u8; 6];
    let mut parts = s.split([':', '-']);
    for b in out.iter_mut() {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 2 {
            return None;
        }
        *b = u8::from_str_radix(p, 16).ok()?;
    }
    parts.next().is_none().then_some(out)
}
