//! The Internet checksum (RFC 1071), the one implementation in ringside: the builders fill
//! checksum fields with it, the stack and the dissector verify them with it.
//!
//! The sum is the ones' complement sum of 16-bit big-endian words. It is associative and
//! commutative (RFC 1071 §2(A)), so it is computed over 32-bit words into a 64-bit accumulator
//! and folded to 16 bits once at the end (2^16 ≡ 1 mod 2^16 - 1): that is what makes 1514-byte
//! frames cheap. UDP and TCP add a pseudo-header of the IP addresses, protocol and length
//! (RFC 768 for IPv4, RFC 8200 §8.1 for IPv6).
use std::net::Ipv4Addr;

use super::field::Check;

/// Incremental Internet checksum: the ones' complement sum of 16-bit big-endian words.
///
/// Parts may have any length: a part that starts at an odd offset of the logical byte string is
/// summed byte-swapped (RFC 1071 §2(B)), so `add(a); add(b)` equals `add(a ++ b)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checksum {
    sum: u64,
    odd: bool,
}

impl Checksum {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add `data`, which follows everything added so far.
    #[inline]
    pub fn add(&mut self, data: &[u8]) -> &mut Self {
        let s = u64::from(fold(sum_words(data)));
        self.sum += if self.odd {
            u64::from((s as u16).swap_bytes())
        } else {
            s
        };
        self.odd ^= data.len() % 2 == 1;
        self
    }

    /// Add one 16-bit word (must be at an even offset, as every header field is).
    #[inline]
    pub fn add_u16(&mut self, v: u16) -> &mut Self {
        self.add(&v.to_be_bytes())
    }

    /// The ones' complement sum folded to 16 bits (not complemented). Over a message that
    /// includes a correct checksum field this is 0xffff.
    pub fn sum(&self) -> u16 {
        fold(self.sum)
    }

    /// The value to write into a checksum field: the complement of the folded sum.
    /// Over data that includes a correct checksum field this is 0, which is how to verify.
    pub fn finish(&self) -> u16 {
        !self.sum()
    }
}

/// Sum of big-endian 32-bit words (then a trailing 16-bit word and byte); folding this to 16 bits
/// gives the 16-bit ones' complement sum because 2^16 ≡ 1 (mod 2^16 - 1).
#[inline]
fn sum_words(data: &[u8]) -> u64 {
    let mut acc: u64 = 0;
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        acc += u64::from(u32::from_be_bytes([c[0], c[1], c[2], c[3]]));
    }
    let rest = chunks.remainder();
    let mut i = 0;
    if rest.len() >= 2 {
        acc += u64::from(u16::from_be_bytes([rest[0], rest[1]]));
        i = 2;
    }
    if rest.len() > i {
        acc += u64::from(rest[i]) << 8;
    }
    acc
}

#[inline]
fn fold(mut s: u64) -> u16 {
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    s as u16
}

/// The checksum field value for `data` (e.g. an IPv4 header with its checksum field zeroed).
/// Verifying: `internet_checksum(header_with_checksum) == 0`.
pub fn internet_checksum(data: &[u8]) -> u16 {
    Checksum::new().add(data).finish()
}

/// A checksum started with the IPv4 pseudo-header of UDP/TCP (RFC 768): add the L4 bytes, then
/// `finish()`. `l4_len` is the UDP length (header + data).
pub fn pseudo_header(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, l4_len: u16) -> Checksum {
    let mut c = Checksum::new();
    c.add(&src.octets()).add(&dst.octets());
    c.add_u16(u16::from(protocol)).add_u16(l4_len);
    c
}

/// The IPv4 pseudo-header from the header's own 8 address bytes (source then destination, as
/// they sit at bytes 12..20 of the header; fewer if the frame is cut).
pub fn pseudo_header_v4_raw(addrs: &[u8], protocol: u8, l4_len: u16) -> Checksum {
    let mut c = Checksum::new();
    c.add(addrs).add_u16(u16::from(protocol)).add_u16(l4_len);
    c
}

/// The IPv6 pseudo-header (RFC 8200 §8.1): source, destination (the final one when a routing
/// header names it), a 32-bit upper-layer length, three zero bytes and the next header.
pub fn pseudo_header_v6(src: &[u8], dst: &[u8], protocol: u8, l4_len: u32) -> Checksum {
    let mut c = Checksum::new();
    c.add(src)
        .add(dst)
        .add(&l4_len.to_be_bytes())
        .add(&[0, 0, 0, protocol]);
    c
}

/// UDP transmits a computed checksum of 0 as 0xffff (0 means "no checksum", RFC 768).
pub fn udp_checksum_field(c: &Checksum) -> u16 {
    match c.finish() {
        0 => 0xffff,
        v => v,
    }
}

/// Judge a checksum from the sum over the whole message, its checksum field included: Good when
/// that is all ones; otherwise Bad with the value that would have made it right (0 shown as
/// 0xffff, its other ones' complement spelling).
pub fn verify(c: &Checksum, stored: u16) -> Check {
    let sum = c.sum();
    if sum == 0xffff {
        return Check::Good;
    }
    // Take the stored value out of the sum, then complement: that is what it should be.
    let mut without = Checksum::new();
    without.add_u16(sum).add_u16(!stored);
    match !without.sum() {
        0 => Check::Bad { expected: 0xffff },
        e => Check::Bad { expected: e },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_known_vector() {
        // RFC 1071 §3 example bytes: sum is 0xddf2.
        let d = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(Checksum::new().add(&d).sum(), 0xddf2);
        assert_eq!(internet_checksum(&d), !0xddf2);
    }

    #[test]
    fn checksum_parts_equal_whole_for_any_split() {
        let data: Vec<u8> = (0..=200u32).map(|i| (i * 37 + 11) as u8).collect();
        let whole = internet_checksum(&data);
        for a in 0..data.len() {
            for b in a..data.len() {
                let c = Checksum::new()
                    .add(&data[..a])
                    .add(&data[a..b])
                    .add(&data[b..])
                    .finish();
                assert_eq!(c, whole, "split at {a},{b}");
            }
        }
    }

    #[test]
    fn verify_names_the_right_value() {
        // An IPv4 header with a wrong checksum: verify says which one was right.
        let mut h = [
            0x45, 0, 0, 0x54, 0x12, 0x34, 0x40, 0, 64, 1, 0, 0, 198, 51, 100, 1, 198, 51, 100, 2,
        ];
        let right = internet_checksum(&h);
        h[10..12].copy_from_slice(&right.to_be_bytes());
        assert_eq!(verify(Checksum::new().add(&h), right), Check::Good);
        h[10..12].copy_from_slice(&0xbeefu16.to_be_bytes());
        assert_eq!(
            verify(Checksum::new().add(&h), 0xbeef),
            Check::Bad { expected: right }
        );
    }

    #[test]
    fn v4_pseudo_header_forms_agree() {
        let (s, d) = (Ipv4Addr::new(198, 51, 100, 1), Ipv4Addr::new(192, 0, 2, 7));
        let mut raw = s.octets().to_vec();
        raw.extend_from_slice(&d.octets());
        assert_eq!(
            pseudo_header(s, d, 17, 30).sum(),
            pseudo_header_v4_raw(&raw, 17, 30).sum()
        );
    }
}
