//! C struct layouts for the struct panel and `ringside struct`, computed with C's alignment rules.
//!
//! Two views, both computed, never hard-coded:
//! - **The course's own structs** ([`CourseFrame`], [`CStruct`]), the default wherever one fits
//!   the frame: `struct udppkt { struct etherhdr eth; struct iphdr ip; struct udphdr udp;
//!   unsigned char payload[0]; }` from the course's blog post, and `icmppkt`/`arppkt` in its style,
//!   declared as tables of (name, C type, bit-field width) and laid out by the System V ABI rules,
//!   the course's bit-fields included, exactly as gcc does (checked by `tests/wire/struct_gcc.rs`).
//! - **The frame's headers flattened into one struct** ([`Layout::of`]), for frames the course
//!   has no struct for (VLAN tags, IPv4 options, later fragments, ICMP errors): every field as a
//!   member, with natural alignment (each member at a multiple of its alignment, the size a
//!   multiple of the largest) and `__attribute__((packed))` as on the wire.
//!
//! In the flattened view member types follow the field widths: 8/16/32/64 bits -> `uintN_t`
//! (aligned to its size); other whole-byte widths (a 48-bit MAC) -> `uint8_t[n]` (alignment 1);
//! consecutive fields that are not whole bytes (IPv4's 4-bit version and IHL, 3-bit flags +
//! 13-bit fragment offset) -> ONE plain integer of the smallest unsigned type that holds the group,
//! its sub-fields listed most significant bits first (see [`CType::Subfields`]); variable runs
//! (options, data) -> `uint8_t[n]`, and the payload at the end -> a flexible array member, which
//! adds nothing to `sizeof`.
//!
//! Why the flattened view uses no C bit-fields: their order inside the storage unit is
//! implementation-defined, and GCC and Clang on little-endian targets allocate from the least
//! significant bit, so `uint8_t version:4, ihl:4;` puts `version` in the LOW nibble, the wrong one.
//! That is exactly the course's mistake, which its own view shows as written. Linux's
//! `struct iphdr` declares `ihl:4, version:4` under `__LITTLE_ENDIAN_BITFIELD`, and gives up on
//! bit-fields for flags + fragment offset (`__be16 frag_off`): 3 + 13 bits split across a
//! big-endian 16-bit word cannot be written portably. A whole integer plus shifts and masks is
//! correct everywhere.
use crate::wire::table::{CScalar, FieldDef};
use crate::wire::{arp, ethernet, icmp, ipv4, udp};
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

// ---------------------------------------------------------------------------------------------
// The course's own structs (blog post, sections 2.1-2.4), and the C rules that lay them out.
//
// The course casts the received frame to `struct udppkt *`, a struct made of three nested header
// structs. Laid out by x86-64 gcc, `struct iphdr` has alignment 4 (because of `unsigned int
// sip`), so `ip` starts at 16, not 14: a 2-byte hole right after the Ethernet header, and every
// IPv4 and UDP member is read 2 bytes late. The layouts below are computed from the member tables
// with the System V ABI's rules (what gcc and clang do on x86-64 and arm64), never written down;
// `tests/wire/struct_gcc.rs` compiles them and checks every `sizeof` and `offsetof` against gcc.
// ---------------------------------------------------------------------------------------------

/// A C type as the course spells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CDecl {
    /// `unsigned char`: size 1, alignment 1.
    UChar,
    /// `unsigned short`: size 2, alignment 2.
    UShort,
    /// `unsigned int`: size 4, alignment 4.
    UInt,
    /// `T name[n]`; `n == 0` is gcc's zero-length array, `payload[0]` (size 0).
    Array(Box<CDecl>, usize),
    /// A nested `struct name`: its alignment is its largest member's.
    Struct(CStruct),
}

impl CDecl {
    /// Size and alignment, with every struct in it packed or not.
    pub fn size_align(&self, packed: bool) -> (usize, usize) {
        let (size, align) = match self {
            CDecl::UChar => (1, 1),
            CDecl::UShort => (2, 2),
            CDecl::UInt => (4, 4),
            CDecl::Array(t, n) => {
                let (s, a) = t.size_align(packed);
                (s * n, a)
            }
            CDecl::Struct(s) => {
                let l = s.layout(packed);
                (l.size, l.align)
            }
        };
        (size, if packed { 1 } else { align })
    }

    /// The type's C spelling before the member name: `unsigned short`, `struct iphdr`.
    pub fn spelling(&self) -> String {
        match self {
            CDecl::UChar => "unsigned char".into(),
            CDecl::UShort => "unsigned short".into(),
            CDecl::UInt => "unsigned int".into(),
            CDecl::Array(t, _) => t.spelling(),
            CDecl::Struct(s) => format!("struct {}", s.name),
        }
    }

    /// `name`, `name[6]`, `name:4`.
    pub fn declarator(&self, name: &str, bits: Option<u32>) -> String {
        match (self, bits) {
            (CDecl::Array(_, n), _) => format!("{name}[{n}]"),
            (_, Some(b)) => format!("{name}:{b}"),
            _ => name.to_string(),
        }
    }
}

/// One member of a course struct.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CField {
    pub name: &'static str,
    pub ty: CDecl,
    /// A bit-field's width (`version:4`).
    pub bits: Option<u32>,
    /// The dissector's key of the wire field this member is meant to hold (`ipv4.protocol`;
    /// `a+b` for two fields that share the member, like `tos` = DSCP + ECN).
    pub wire: Option<&'static str>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CStruct {
    pub name: &'static str,
    pub fields: Vec<CField>,
}

/// A member placed in its struct.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    pub field: CField,
    /// Byte offset in the struct (for a bit-field, of the byte holding its lowest bit).
    pub offset: usize,
    /// Bytes the member occupies (for a bit-field, its storage unit's size).
    pub size: usize,
    /// A bit-field's position: its storage unit's byte offset, and its first bit counted from
    /// the unit's least significant bit (gcc on little-endian CPUs fills units from bit 0).
    pub bit: Option<(usize, u32)>,
}

/// A struct laid out, natural (as the compiler does) or `__attribute__((packed))`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructLayout {
    pub packed: bool,
    pub members: Vec<Placed>,
    /// Padding: (byte range, index of the member it precedes, or `members.len()` for the tail).
    pub holes: Vec<(Range<usize>, usize)>,
    pub size: usize,
    pub align: usize,
}

impl CStruct {
    /// Lay the members out with the System V ABI's rules (gcc/clang on x86-64 and arm64):
    /// each member at the next multiple of its alignment; a bit-field goes into the current
    /// storage unit of its declared type unless it would cross that unit's boundary; the struct's
    /// alignment is its largest member's (bit-fields count their declared type), and its size is
    /// rounded up to that alignment (tail padding). Packed: alignment 1 everywhere, bit-fields
    /// follow each other bit by bit.
    pub fn layout(&self, packed: bool) -> StructLayout {
        let mut bitpos = 0usize;
        let mut align = 1;
        let mut members = Vec::new();
        let mut holes = Vec::new();
        for f in &self.fields {
            let (size, a) = f.ty.size_align(packed);
            align = align.max(a);
            if let Some(w) = f.bits {
                let (w, unit) = (w as usize, size * 8);
                if !packed && bitpos / unit != (bitpos + w - 1) / unit {
                    let next = bitpos.next_multiple_of(unit);
                    if next / 8 > bitpos.div_ceil(8) {
                        holes.push((bitpos.div_ceil(8)..next / 8, members.len()));
                    }
                    bitpos = next;
                }
                let unit_start = if packed {
                    bitpos / 8
                } else {
                    bitpos / unit * unit / 8
                };
                members.push(Placed {
                    field: f.clone(),
                    offset: bitpos / 8,
                    size,
                    bit: Some((unit_start, (bitpos - unit_start * 8) as u32)),
                });
                bitpos += w;
            } else {
                let here = bitpos.div_ceil(8);
                let at = here.next_multiple_of(a);
                if at > here {
                    holes.push((here..at, members.len()));
                }
                members.push(Placed {
                    field: f.clone(),
                    offset: at,
                    size,
                    bit: None,
                });
                bitpos = (at + size) * 8;
            }
        }
        let end = bitpos.div_ceil(8);
        let size = end.next_multiple_of(align);
        if size > end {
            holes.push((end..size, members.len()));
        }
        StructLayout {
            packed,
            members,
            holes,
            size,
            align,
        }
    }

    /// Every leaf member (nested structs opened), with its offset from the start of this struct,
    /// natural and packed.
    pub fn leaves(&self) -> Vec<Leaf> {
        let mut out = Vec::new();
        self.walk(0, 0, "", 0, &mut |row| {
            if let Row::Leaf(l) = row {
                out.push(l)
            }
        });
        out
    }

    /// The rows a reader sees: each member (nested structs opened after their own line), the
    /// padding holes where the compiler puts them, depth for indentation.
    pub fn rows(&self) -> Vec<Row> {
        let mut out = Vec::new();
        self.walk(0, 0, "", 0, &mut |r| out.push(r));
        out
    }

    fn walk(&self, nat0: usize, pak0: usize, prefix: &str, depth: usize, out: &mut dyn FnMut(Row)) {
        let nat = self.layout(false);
        let pak = self.layout(true);
        for (i, (n, p)) in nat.members.iter().zip(&pak.members).enumerate() {
            for (h, _) in nat.holes.iter().filter(|(_, before)| *before == i) {
                out(Row::Hole {
                    depth,
                    at: nat0 + h.start..nat0 + h.end,
                    tail: false,
                });
            }
            let path = format!("{prefix}{}", n.field.name);
            let leaf = Leaf {
                path: path.clone(),
                field: n.field.clone(),
                depth,
                natural: nat0 + n.offset,
                packed: pak0 + p.offset,
                size: n.size,
                bit_natural: n.bit.map(|(u, b)| (nat0 + u, b)),
                bit_packed: p.bit.map(|(u, b)| (pak0 + u, b)),
            };
            match &n.field.ty {
                CDecl::Struct(inner) => {
                    out(Row::Open(leaf));
                    inner.walk(
                        nat0 + n.offset,
                        pak0 + p.offset,
                        &format!("{path}."),
                        depth + 1,
                        out,
                    );
                }
                _ => out(Row::Leaf(leaf)),
            }
        }
        for (h, _) in nat.holes.iter().filter(|(_, b)| *b == nat.members.len()) {
            out(Row::Hole {
                depth,
                at: nat0 + h.start..nat0 + h.end,
                tail: true,
            });
        }
    }

    /// Every struct this one uses, innermost first, then itself (the order C needs them in).
    pub fn with_dependencies(&self) -> Vec<&CStruct> {
        let mut out: Vec<&CStruct> = Vec::new();
        for f in &self.fields {
            let mut ty = &f.ty;
            while let CDecl::Array(inner, _) = ty {
                ty = inner; // an array of structs needs the struct declared first, too
            }
            if let CDecl::Struct(s) = ty {
                for d in s.with_dependencies() {
                    if !out.iter().any(|o| o.name == d.name) {
                        out.push(d);
                    }
                }
            }
        }
        out.push(self);
        out
    }
}

/// A member with its offsets from the outermost struct's start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leaf {
    /// `ip.protocol`
    pub path: String,
    pub field: CField,
    pub depth: usize,
    pub natural: usize,
    pub packed: usize,
    pub size: usize,
    /// For a bit-field: (storage unit's byte offset, first bit from the unit's low bit).
    pub bit_natural: Option<(usize, u32)>,
    pub bit_packed: Option<(usize, u32)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Row {
    /// A nested struct member; its members follow one level deeper.
    Open(Leaf),
    Leaf(Leaf),
    /// Padding the compiler inserts (absolute byte range, natural layout).
    Hole {
        depth: usize,
        at: Range<usize>,
        tail: bool,
    },
}

fn m(name: &'static str, ty: CDecl, wire: &'static str) -> CField {
    CField {
        name,
        ty,
        bits: None,
        wire: (!wire.is_empty()).then_some(wire),
    }
}

fn bytes(n: usize) -> CDecl {
    CDecl::Array(Box::new(CDecl::UChar), n)
}

/// A course struct read from the wire tables: every field that has a course member
/// ([`FieldDef::course`]), in wire order, with the course's name, C type and bit-field width.
/// The member names and types are written once, next to the layout, in `crates/net/src/wire/<header>.rs`.
fn from_tables(name: &'static str, tables: &[&[FieldDef]]) -> CStruct {
    let fields = tables
        .iter()
        .flat_map(|t| t.iter())
        .filter_map(|f| {
            let c = f.course?;
            let ty = match c.ty {
                CScalar::UChar => CDecl::UChar,
                CScalar::UShort => CDecl::UShort,
                CScalar::UInt => CDecl::UInt,
                CScalar::UCharArray(n) => bytes(n),
            };
            let wire = if c.covers.is_empty() { f.key } else { c.covers };
            Some(CField {
                name: c.name,
                ty,
                bits: (c.bits > 0).then_some(u32::from(c.bits)),
                wire: Some(wire),
            })
        })
        .collect();
    CStruct { name, fields }
}

/// `struct etherhdr` (blog 2.1).
pub fn etherhdr() -> CStruct {
    from_tables("etherhdr", &[ethernet::FIELDS])
}

/// `struct iphdr` (blog 2.2, with the `;` after `sip` the post forgot). Its bit-fields are the
/// course's, in the course's order: on little-endian gcc `version:4` is the LOW nibble.
pub fn iphdr() -> CStruct {
    from_tables("iphdr", &[ipv4::FIELDS])
}

/// `struct udphdr` (blog 2.3).
pub fn udphdr() -> CStruct {
    from_tables("udphdr", &[udp::FIELDS])
}

/// `struct icmphdr` for echo request/reply, written in the course's style (it has none).
pub fn icmphdr() -> CStruct {
    from_tables("icmphdr", &[icmp::HEADER, icmp::ECHO])
}

/// `struct arphdr` for Ethernet + IPv4 ARP, in the course's style: `unsigned int sip` after a
/// 6-byte MAC lands on an offset that is not a multiple of 4, so gcc pads inside it twice.
pub fn arphdr() -> CStruct {
    from_tables("arphdr", &[arp::FIELDS])
}

fn packet(name: &'static str, parts: Vec<CField>, payload: bool) -> CStruct {
    let mut fields = parts;
    if payload {
        fields.push(m("payload", bytes(0), "data"));
    }
    CStruct { name, fields }
}

/// Which of the course's frame structs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CourseFrame {
    /// `struct udppkt`: the course's own (blog 2.4).
    Udp,
    /// `struct icmppkt`: an ICMP echo request or reply.
    Icmp,
    /// `struct arppkt`: an Ethernet/IPv4 ARP request or reply.
    Arp,
}

impl CourseFrame {
    /// The outermost struct.
    pub fn c_struct(self) -> CStruct {
        let s = |name, ty: CStruct| m(name, CDecl::Struct(ty), "");
        match self {
            CourseFrame::Udp => packet(
                "udppkt",
                vec![s("eth", etherhdr()), s("ip", iphdr()), s("udp", udphdr())],
                true,
            ),
            CourseFrame::Icmp => packet(
                "icmppkt",
                vec![s("eth", etherhdr()), s("ip", iphdr()), s("icmp", icmphdr())],
                true,
            ),
            CourseFrame::Arp => packet(
                "arppkt",
                vec![s("eth", etherhdr()), s("arp", arphdr())],
                false,
            ),
        }
    }

    /// The course struct a frame fits, if any: Ethernet + IPv4 without options + UDP, or + ICMP
    /// echo, or Ethernet + ARP. (VLAN tags, IPv4 options, fragments and ICMP errors have none.)
    pub fn of(d: &Dissection) -> Option<CourseFrame> {
        let kinds: Vec<LayerKind> = d
            .layers
            .iter()
            .map(|l| l.kind)
            .filter(|k| !matches!(k, LayerKind::Trailer | LayerKind::Payload))
            .collect();
        let plain_ip = || d.num("ipv4.ihl") == Some(5) && d.num("ipv4.frag_offset") == Some(0);
        match kinds.as_slice() {
            [LayerKind::Ethernet, LayerKind::Arp] => Some(CourseFrame::Arp),
            [LayerKind::Ethernet, LayerKind::Ipv4, LayerKind::Udp] if plain_ip() => {
                Some(CourseFrame::Udp)
            }
            [LayerKind::Ethernet, LayerKind::Ipv4, LayerKind::Icmp]
                if plain_ip() && matches!(d.num("icmp.type"), Some(0 | 8)) =>
            {
                Some(CourseFrame::Icmp)
            }
            _ => None,
        }
    }
}

/// What a program that casts the frame to the struct gets for one member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Read {
    /// Frame bytes loaded (a bit-field: its storage unit).
    pub bytes: Range<usize>,
    /// The value as a little-endian CPU loads it (no `ntohs`), `None` for arrays or when the
    /// bytes are past the end of the frame.
    pub value: Option<u64>,
    /// Whether it reads exactly the bits of the wire field it is meant to hold.
    pub right: bool,
    /// The wire fields those bits actually belong to, e.g. `Header Checksum (low byte)`.
    pub actually: String,
}

/// Wire bit numbers (RFC diagrams: bit 0 is the most significant bit of byte 0) that a member
/// covers when the struct is laid over the frame.
fn wire_bits(bytes: Range<usize>, bit: Option<(u32, u32)>) -> Vec<u32> {
    match bit {
        None => bytes.flat_map(|b| b as u32 * 8..b as u32 * 8 + 8).collect(),
        Some((first, width)) => {
            // Bit k of a little-endian unit is bit k%8 (from the low end) of byte k/8.
            let mut v: Vec<u32> = (first..first + width)
                .map(|k| (bytes.start as u32 + k / 8) * 8 + 7 - k % 8)
                .collect();
            v.sort();
            v
        }
    }
}

impl Leaf {
    /// What the program reads for this member from `frame`, dissected as `d`, through the
    /// natural (`packed == false`) or packed struct.
    pub fn read(&self, frame: &[u8], d: &Dissection, packed: bool) -> Read {
        let (start, bit) = match (packed, self.bit_natural, self.bit_packed) {
            (false, Some((u, b)), _) | (true, _, Some((u, b))) => (u, Some(b)),
            _ => (if packed { self.packed } else { self.natural }, None),
        };
        let bytes = start..start + self.size;
        let width = self.field.bits.unwrap_or(0);
        let bits = wire_bits(bytes.clone(), bit.map(|b| (b, width)));
        let inside = bytes.end <= frame.len();
        let value = match (&self.field.ty, inside) {
            (CDecl::Array(..), _) | (_, false) => None,
            _ => {
                let raw = frame[bytes.clone()]
                    .iter()
                    .rev()
                    .fold(0u64, |acc, &b| acc << 8 | b as u64);
                Some(match bit {
                    Some(b) => (raw >> b) & ((1u64 << width) - 1),
                    None => raw,
                })
            }
        };
        let mut want: Vec<u32> = self
            .field
            .wire
            .unwrap_or("")
            .split('+')
            .filter_map(|k| d.fields.iter().find(|f| f.key == k))
            .flat_map(|f| f.bit_start..f.bit_start + f.bit_len)
            .collect();
        want.sort();
        let right = inside && !want.is_empty() && bits == want;
        let actually = if !inside {
            format!("past the frame's end ({} bytes)", frame.len())
        } else {
            describe_bits(&bits, d)
        };
        Read {
            bytes,
            value,
            right,
            actually,
        }
    }
}

/// Names the wire fields `bits` fall in: `Protocol`, `Header Checksum (low byte)`,
/// `part of Fragment Offset`, `Version + IHL`.
fn describe_bits(bits: &[u32], d: &Dissection) -> String {
    let mut names: Vec<String> = Vec::new();
    // Leaf fields only: skip summaries that contain other fields (e.g. ARP's address block).
    let leaves: Vec<_> = d
        .fields
        .iter()
        .filter(|f| {
            f.bit_len > 0
                && !d.fields.iter().any(|g| {
                    !std::ptr::eq(*f, g)
                        && g.bit_len > 0
                        && g.bit_start >= f.bit_start
                        && g.bit_start + g.bit_len <= f.bit_start + f.bit_len
                        && g.bit_len < f.bit_len
                })
        })
        .collect();
    for f in &leaves {
        let r = f.bit_start..f.bit_start + f.bit_len;
        let n = bits.iter().filter(|b| r.contains(b)).count() as u32;
        if n == 0 {
            continue;
        }
        let name = if n == f.bit_len {
            f.label.to_string()
        } else if f.bit_len == 16 && n == 8 {
            let high = bits.iter().any(|b| *b < f.bit_start + 8 && r.contains(b));
            format!("{}, {} byte", f.label, if high { "high" } else { "low" })
        } else {
            format!("part of {}", f.label)
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    if names.is_empty() {
        "bytes no header field covers".into()
    } else {
        names.join(" + ")
    }
}
