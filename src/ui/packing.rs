//! "Packed vs padded": a frame's headers written as one C struct, laid out twice: with the natural
//! alignment a C compiler uses (each member at a multiple of its alignment, the struct's size a
//! multiple of its largest member's alignment) and `__attribute__((packed))` as on the wire.
//!
//! Computed from the field map, never hard-coded. Member types follow the field widths:
//! 8/16/32/64 bits -> `uintN_t` (aligned to its size); other whole-byte widths (a 48-bit MAC) ->
//! `uint8_t[n]` (alignment 1); consecutive fields that are not whole bytes (IPv4's 4-bit version and
//! IHL, 3-bit flags + 13-bit fragment offset) -> ONE plain integer of the smallest unsigned type
//! that holds the group, its sub-fields listed most significant bits first (see
//! [`CType::Subfields`]); variable runs (options, data) -> `uint8_t[n]`, and the payload at the end
//! -> a flexible array member, which adds nothing to `sizeof`.
//!
//! Why not C bit-fields: their order inside the storage unit is implementation-defined, and GCC and
//! Clang on little-endian targets allocate from the least significant bit, so
//! `uint8_t version:4, ihl:4;` puts `version` in the LOW nibble, the wrong one. Linux's
//! `struct iphdr` therefore declares `ihl:4, version:4` under `__LITTLE_ENDIAN_BITFIELD`, and gives
//! up on bit-fields for flags + fragment offset (`__be16 frag_off`): 3 + 13 bits split across a
//! big-endian 16-bit word cannot be written portably. A whole integer plus shifts and masks is
//! correct everywhere, so that is what the panel teaches.
use crate::wire::{Dissection, LayerKind, Value};
use std::ops::Range;

/// A C type of a member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CType {
    /// `uint8_t` .. `uint64_t`.
    Uint(u32),
    /// `uint8_t name[n]`.
    Bytes(usize),
    /// `uint8_t name[]` (flexible array member), with the bytes that follow in this frame.
    Flexible(usize),
    /// Fields narrower than a byte sharing one plain `uintN_t` (declared as one member, not as C
    /// bit-fields): (name, bits, field index), most significant bits first as on the wire. An
    /// empty name is unused bits.
    Subfields(u32, Vec<(String, u32, Option<usize>)>),
}

impl CType {
    pub fn size(&self) -> usize {
        match self {
            CType::Uint(b) | CType::Subfields(b, _) => *b as usize / 8,
            CType::Bytes(n) => *n,
            CType::Flexible(_) => 0,
        }
    }
    pub fn align(&self) -> usize {
        match self {
            CType::Uint(b) | CType::Subfields(b, _) => *b as usize / 8,
            CType::Bytes(_) | CType::Flexible(_) => 1,
        }
    }
    /// The declaration's type, e.g. `uint16_t`.
    pub fn type_name(&self) -> &'static str {
        let bits = match self {
            CType::Uint(b) | CType::Subfields(b, _) => *b,
            _ => 8,
        };
        match bits {
            8 => "uint8_t",
            16 => "uint16_t",
            32 => "uint32_t",
            _ => "uint64_t",
        }
    }
}

/// One struct member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    pub ty: CType,
    pub layer: LayerKind,
    /// Field indexes (into `Dissection::fields`) this member stores.
    pub fields: Vec<usize>,
    /// Offset with natural alignment, and packed (= on the wire, relative to the struct start).
    pub natural: usize,
    pub packed: usize,
}

/// Padding a compiler inserts with natural alignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hole {
    /// Byte offsets in the naturally aligned struct.
    pub at: Range<usize>,
    /// The member it precedes (`members.len()` for tail padding).
    pub before: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    pub members: Vec<Member>,
    pub holes: Vec<Hole>,
    pub natural_size: usize,
    pub packed_size: usize,
    /// The struct's alignment (its largest member's).
    pub align: usize,
}

impl Layout {
    pub fn padding(&self) -> usize {
        self.natural_size - self.packed_size
    }

    /// Index of the member storing field `field`.
    pub fn member_of_field(&self, field: usize) -> Option<usize> {
        self.members.iter().position(|m| m.fields.contains(&field))
    }

    /// Lay out the headers of `d` (every layer except trailing padding).
    pub fn of(d: &Dissection) -> Layout {
        let mut b = Builder::default();
        let layers: Vec<_> = d
            .layers
            .iter()
            .filter(|l| l.kind != LayerKind::Trailer)
            .collect();
        for (li, layer) in layers.iter().enumerate() {
            let last_layer = li + 1 == layers.len();
            let start_bit = layer.bytes.start as u32 * 8;
            let end_bit = layer.bytes.end as u32 * 8;
            let mut cursor = start_bit;
            let fields = d.layer_fields(layer);
            if layer.kind == LayerKind::Payload && last_layer {
                b.flush_bits(layer.kind);
                let idx: Vec<usize> = layer.fields.clone().collect();
                b.push(
                    "payload".into(),
                    CType::Flexible(layer.bytes.len()),
                    layer.kind,
                    idx,
                );
                continue;
            }
            for (k, f) in fields.iter().enumerate() {
                let fi = layer.fields.start + k;
                if f.bit_start < cursor || f.bit_len == 0 {
                    continue; // overlaps a field already stored (a summary of sub-fields)
                }
                if f.bit_start > cursor {
                    b.gap(cursor, f.bit_start, layer.kind);
                }
                let name = c_name(f.key);
                let whole = f.bit_start % 8 == 0 && f.bit_len % 8 == 0;
                if !whole || b.bits_open() {
                    b.bits.push((name, f.bit_len, Some(fi)));
                    if (f.bit_start + f.bit_len) % 8 == 0 {
                        b.flush_bits(layer.kind);
                    }
                } else {
                    let n = f.bit_len as usize / 8;
                    let ty = if matches!(f.value, Value::Bytes(_)) {
                        CType::Bytes(n)
                    } else {
                        match f.bit_len {
                            8 | 16 | 32 | 64 => CType::Uint(f.bit_len),
                            _ => CType::Bytes(n),
                        }
                    };
                    b.push(name, ty, layer.kind, vec![fi]);
                }
                cursor = f.bit_start + f.bit_len;
            }
            if cursor < end_bit && cursor >= start_bit {
                b.gap(cursor, end_bit, layer.kind);
            }
            b.flush_bits(layer.kind);
        }
        b.finish()
    }
}

#[derive(Default)]
struct Builder {
    members: Vec<Member>,
    holes: Vec<Hole>,
    natural: usize,
    packed: usize,
    align: usize,
    bits: Vec<(String, u32, Option<usize>)>,
    reserved: usize,
}

impl Builder {
    fn bits_open(&self) -> bool {
        !self.bits.is_empty()
    }

    fn gap(&mut self, from: u32, to: u32, layer: LayerKind) {
        if from.is_multiple_of(8) && to.is_multiple_of(8) && !self.bits_open() {
            self.reserved += 1;
            let n = self.reserved;
            self.push(
                format!("reserved{n}"),
                CType::Bytes(((to - from) / 8) as usize),
                layer,
                vec![],
            );
        } else {
            self.bits.push((String::new(), to - from, None));
            if to.is_multiple_of(8) {
                self.flush_bits(layer);
            }
        }
    }

    /// Close a group of sub-byte fields: the smallest unsigned type that holds it (or bytes if it
    /// fills none exactly).
    fn flush_bits(&mut self, layer: LayerKind) {
        if self.bits.is_empty() {
            return;
        }
        let bits: Vec<_> = std::mem::take(&mut self.bits);
        let total: u32 = bits.iter().map(|b| b.1).sum();
        let fields: Vec<usize> = bits.iter().filter_map(|b| b.2).collect();
        let unit = [8, 16, 32, 64].into_iter().find(|&u| u >= total);
        let names: Vec<&str> = bits
            .iter()
            .filter(|b| !b.0.is_empty())
            .map(|b| b.0.as_str())
            .collect();
        let name = group_name(&names);
        match unit {
            Some(u) if total.is_multiple_of(8) && total == u => {
                self.push(name, CType::Subfields(u, bits), layer, fields)
            }
            _ => self.push(
                name,
                CType::Bytes(total.div_ceil(8) as usize),
                layer,
                fields,
            ),
        }
    }

    fn push(&mut self, name: String, ty: CType, layer: LayerKind, fields: Vec<usize>) {
        let a = ty.align();
        let at = self.natural.next_multiple_of(a);
        if at > self.natural {
            self.holes.push(Hole {
                at: self.natural..at,
                before: self.members.len(),
            });
        }
        let mut name = name;
        if self.members.iter().any(|m| m.name == name) {
            let mut k = 2;
            while self.members.iter().any(|m| m.name == format!("{name}_{k}")) {
                k += 1;
            }
            name = format!("{name}_{k}");
        }
        self.align = self.align.max(a);
        let size = ty.size();
        self.members.push(Member {
            name,
            ty,
            layer,
            fields,
            natural: at,
            packed: self.packed,
        });
        self.natural = at + size;
        self.packed += size;
    }

    fn finish(mut self) -> Layout {
        let align = self.align.max(1);
        let size = self.natural.next_multiple_of(align);
        if size > self.natural {
            self.holes.push(Hole {
                at: self.natural..size,
                before: self.members.len(),
            });
        }
        Layout {
            members: self.members,
            holes: self.holes,
            natural_size: size,
            packed_size: self.packed,
            align,
        }
    }
}

/// One member name for a group of fields: their common prefix once, then what differs:
/// `ipv4_version` + `ipv4_ihl` -> `ipv4_version_ihl`.
fn group_name(names: &[&str]) -> String {
    let p = common_prefix(names);
    match names.split_first() {
        None => String::new(),
        Some((first, rest)) => {
            let mut s = first.to_string();
            for n in rest {
                s.push('_');
                s.push_str(&n[p..]);
            }
            s
        }
    }
}

/// Length of the prefix (up to and including a `_`) that all `names` share, when there are two
/// or more: `ipv4_flags`, `ipv4_frag_offset` -> 5.
pub fn common_prefix(names: &[&str]) -> usize {
    let Some((first, rest)) = names.split_first() else {
        return 0;
    };
    if rest.is_empty() {
        return 0;
    }
    first
        .match_indices('_')
        .map(|(i, _)| i + 1)
        .take_while(|&i| rest.iter().all(|n| n.len() > i && n[..i] == first[..i]))
        .last()
        .unwrap_or(0)
}

/// `ipv4.src` -> `ipv4_src`: a C identifier from a field key.
fn c_name(key: &str) -> String {
    let mut s: String = key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    s
}
