//! The shape every header file in `wire/` shares: ONE table of fields per header, and the
//! readers and writers driven by it.
//!
//! smoltcp's `wire` writes each layout once as byte ranges (`mod field { pub const LENGTH:
//! Field = 2..4; }`) and builds a checked view and a `Repr` on them. ringside keeps that shape and
//! needs more from the table than offsets: sub-byte fields (IPv4's 4-bit version, 13-bit fragment
//! offset) as bit ranges; the name `dump`, the filters and the header boxes use (`ipv4.ttl`);
//! how the value is shown; the C member the course's structs declare for it (the struct panel);
//! and one line on what it means with its RFC section. So each entry is a [`FieldDef`], and:
//! - the views' accessors read `field::TTL.get(buf)`: the offset lives in the table, not in the
//!   accessor;
//! - the emitters write with `field::TTL.set(buf, v)`;
//! - the dissector walks the table to build the field map (bits from the frame start, for the
//!   hex view's highlighting), reading one bounds-checked field at a time so a header cut short
//!   still shows every field whose bytes are there;
//! - the struct panel reads the course's C members from it.
use std::ops::Range;

use super::field::Value;

/// How a field's value is shown in `dump`, the header boxes and the detail pane.
#[derive(Clone, Copy, Debug)]
pub enum Show {
    /// A plain number in decimal.
    Dec,
    /// A number in hex with this many digits (`0x0800`).
    Hex(u8),
    /// A 48-bit MAC address.
    Mac,
    /// A 32-bit IPv4 address.
    Ipv4,
    /// Three flag bits, named from the most significant.
    Flags(&'static [&'static str; 3]),
    /// A number with its meaning; digits 0 = decimal, else hex with that many digits.
    Named(fn(u64) -> &'static str, u8),
}

/// A C type as the course's structs spell it (blog post §2; x86-64 sizes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CScalar {
    UChar,
    UShort,
    UInt,
    /// `unsigned char name[n]`.
    UCharArray(usize),
}

/// The member the course's struct (or one written in its style) declares for a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CMember {
    /// The course's name (`sip`, `hdrlen`), which often differs from ours (`ipv4.src`).
    pub name: &'static str,
    pub ty: CScalar,
    /// A bit-field's width (`unsigned char version:4`), 0 if not a bit-field.
    pub bits: u8,
    /// The dissector keys the member holds, `+`-joined, when it holds more than this field
    /// (the course's `tos` is DSCP + ECN); empty: just this field.
    pub covers: &'static str,
}

impl CMember {
    pub const fn new(name: &'static str, ty: CScalar) -> Option<CMember> {
        Some(CMember {
            name,
            ty,
            bits: 0,
            covers: "",
        })
    }
    pub const fn bits(name: &'static str, ty: CScalar, bits: u8) -> Option<CMember> {
        Some(CMember {
            name,
            ty,
            bits,
            covers: "",
        })
    }
    /// A member that holds this field and the ones after it (`covers`, `+`-joined keys).
    pub const fn covering(
        name: &'static str,
        ty: CScalar,
        covers: &'static str,
    ) -> Option<CMember> {
        Some(CMember {
            name,
            ty,
            bits: 0,
            covers,
        })
    }
}

/// One field of a header: the single place its layout is written.
#[derive(Clone, Copy, Debug)]
pub struct FieldDef {
    /// Stable machine name: the `dump` column and the filter name (`ipv4.ttl`, as tshark's).
    pub key: &'static str,
    /// Human label in the header box (`TTL`).
    pub label: &'static str,
    /// First byte, from the header's start.
    pub at: usize,
    /// First bit within that byte, 0 = most significant (the RFC diagrams' order).
    pub bit: u8,
    /// Width in bits (at most 64).
    pub width: u16,
    pub show: Show,
    /// The course's C member for this field (the course's struct, or one written in its style).
    /// None: no member of its own (it is inside the previous one, like ECN inside `tos`, or the
    /// course's structs do not have it).
    pub course: Option<CMember>,
    /// What it means, one line, with where it is defined.
    pub about: &'static str,
}

impl FieldDef {
    /// First bit from the header's start.
    pub const fn bit_start(&self) -> usize {
        self.at * 8 + self.bit as usize
    }

    /// The bytes the field touches, from the header's start (a 4-bit field touches one).
    pub const fn bytes(&self) -> Range<usize> {
        self.at..(self.bit_start() + self.width as usize).div_ceil(8)
    }

    /// The raw value, or None when `hdr` ends first.
    #[inline(always)]
    pub fn read(&self, hdr: &[u8]) -> Option<u64> {
        read_bits(hdr, self.bit_start(), self.width as usize)
    }

    /// The raw value from a header a checked view has already measured (0 if it is somehow
    /// short: a view never panics).
    #[inline(always)]
    pub fn get(&self, hdr: &[u8]) -> u64 {
        self.read(hdr).unwrap_or(0)
    }

    /// Write `v` (its low `width` bits) into the field, leaving the other bits of shared bytes
    /// alone. `hdr` must hold the field's bytes.
    #[inline(always)]
    pub fn set(&self, hdr: &mut [u8], v: u64) {
        write_bits(hdr, self.bit_start(), self.width as usize, v)
    }

    /// The value as the dissector shows it, from its raw bits.
    #[inline(always)]
    pub fn value(&self, raw: u64) -> Value {
        match self.show {
            Show::Dec => Value::Dec(raw),
            Show::Hex(w) => Value::Hex(raw, w),
            Show::Mac => {
                let b = raw.to_be_bytes();
                Value::Mac([b[2], b[3], b[4], b[5], b[6], b[7]])
            }
            Show::Ipv4 => Value::Ipv4((raw as u32).to_be_bytes()),
            Show::Flags(names) => Value::Flags(raw as u8, names),
            Show::Named(name, w) => Value::Named(raw, w, name(raw)),
        }
    }

    /// The C type of the member the flattened struct view gives this field (a plain integer
    /// of its width, or bytes).
    pub fn c_type(&self) -> &'static str {
        match self.width {
            8 => "uint8_t",
            16 => "uint16_t",
            32 => "uint32_t",
            64 => "uint64_t",
            _ => "uint8_t[]",
        }
    }
}

/// `len` bits (at most 64) starting at bit `bit`, big-endian; None if they run past the end.
#[inline(always)]
pub fn read_bits(b: &[u8], bit: usize, len: usize) -> Option<u64> {
    if len == 0 || len > 64 {
        return None;
    }
    let first = bit / 8;
    // Whole bytes (most fields): no shifting needed.
    if bit.is_multiple_of(8) && len.is_multiple_of(8) {
        let bytes = b.get(first..first + len / 8)?;
        return Some(bytes.iter().fold(0u64, |acc, &x| (acc << 8) | x as u64));
    }
    let last = (bit + len).div_ceil(8);
    let bytes = b.get(first..last)?;
    let acc = bytes.iter().fold(0u128, |acc, &x| (acc << 8) | x as u128);
    let shift = bytes.len() * 8 - (bit % 8) - len;
    Some(((acc >> shift) & ((1u128 << len) - 1)) as u64)
}

/// Write the low `len` bits of `v` at bit `bit`, big-endian, keeping the neighbouring bits of
/// the bytes it shares. Does nothing if the bytes are not all in `b`.
#[inline(always)]
pub fn write_bits(b: &mut [u8], bit: usize, len: usize, v: u64) {
    if len == 0 || len > 64 {
        return;
    }
    let first = bit / 8;
    let last = (bit + len).div_ceil(8);
    let Some(bytes) = b.get_mut(first..last) else {
        return;
    };
    if bit.is_multiple_of(8) && len.is_multiple_of(8) {
        let be = v.to_be_bytes();
        bytes.copy_from_slice(&be[8 - len / 8..]);
        return;
    }
    let shift = bytes.len() * 8 - (bit % 8) - len;
    let mask = ((1u128 << len) - 1) << shift;
    let mut acc = bytes.iter().fold(0u128, |acc, &x| (acc << 8) | x as u128);
    acc = (acc & !mask) | ((u128::from(v) << shift) & mask);
    for (i, x) in bytes.iter_mut().rev().enumerate() {
        *x = (acc >> (8 * i)) as u8;
    }
}

/// Why a checked view refused a header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderError {
    /// The buffer ends before the header does.
    Truncated,
    /// The version field is not this header's (IPv4: not 4).
    BadVersion,
    /// The header length field is below the fixed header (IPv4 IHL < 5).
    HeaderLenTooShort,
    /// A length field claims less than its own header (IPv4 total < IHL*4, UDP length < 8).
    LengthTooShort,
    /// A length field claims more bytes than the buffer has.
    LengthExceedsFrame,
}

/// Check at compile time that a table's fields are in wire order, do not overlap and fit in
/// `len` bytes (a typo in a table fails the build, not a user).
pub const fn check_table(fields: &[FieldDef], len: usize) -> bool {
    let mut i = 0;
    let mut end = 0;
    while i < fields.len() {
        let f = &fields[i];
        if f.bit_start() < end || f.width == 0 || f.width > 64 {
            return false;
        }
        end = f.bit_start() + f.width as usize;
        i += 1;
    }
    end <= len * 8
}

/// Every header table in `wire/`, in wire order: what the screen looks a field's meaning up in
/// (`about`), and what the test below holds to "every field explained, every name once".
pub const TABLES: &[&[FieldDef]] = &[
    super::ethernet::FIELDS,
    super::vlan::FIELDS,
    super::arp::FIELDS,
    super::ipv4::FIELDS,
    super::icmp::HEADER,
    super::icmp::ECHO,
    super::icmp::ERROR,
    super::udp::FIELDS,
];

/// The table entry whose `dump`/filter name is `key` (`"ipv4.ttl"`), in any header.
pub fn def_of(key: &str) -> Option<&'static FieldDef> {
    TABLES.iter().flat_map(|t| t.iter()).find(|f| f.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every table entry says what it means and where that is defined, and no two headers
    /// claim the same `dump`/filter name.
    #[test]
    fn every_field_is_explained_and_named_once() {
        let mut keys = std::collections::HashSet::new();
        for f in TABLES.iter().flat_map(|t| t.iter()) {
            assert!(
                f.about.contains("RFC") || f.about.contains("IEEE"),
                "{}: cite the RFC or IEEE clause",
                f.key
            );
            assert!(keys.insert(f.key), "{} twice", f.key);
            assert!(f.bytes().end <= 28, "{}", f.key);
        }
    }

    #[test]
    fn bits_round_trip_without_touching_neighbours() {
        for (bit, len) in [(0, 4), (4, 4), (3, 13), (48, 3), (51, 13), (8, 16), (4, 12)] {
            let mut b = [0xa5u8; 8];
            let keep = b;
            let v = 0x1234_5678_9abc_def0u64 & ((1u64 << len) - 1);
            write_bits(&mut b, bit, len, v);
            assert_eq!(read_bits(&b, bit, len), Some(v), "{bit}+{len}");
            for i in 0..64 {
                if i < bit || i >= bit + len {
                    let was = keep[i / 8] >> (7 - i % 8) & 1;
                    assert_eq!(b[i / 8] >> (7 - i % 8) & 1, was, "bit {i} kept");
                }
            }
        }
        assert_eq!(read_bits(&[1, 2], 8, 16), None);
    }
}
