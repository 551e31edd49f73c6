//! Pure packet formats: no I/O, no clocks.
//! - [`dissect`]: any byte string to a [`Dissection`] (layers + byte-exact field map), never panics.
//! - [`build`]: the frames the stack sends.
pub mod build;
pub mod dissect;
pub mod field;

pub use dissect::{dissect, Dissection, Summary};
pub use field::{Check, Field, Layer, LayerKind, Malformation, Value};

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
