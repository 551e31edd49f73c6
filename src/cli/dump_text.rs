//! The text `dump` writes, and how it writes numbers, addresses and JSON strings into it.
//!
//! `dump` writes tens of millions of short values (a TTL, an address octet, a tab). With
//! `String::push` each byte paid a capacity check and a UTF-8 encoding step, and each short
//! `push_str` a call to memcpy: together more than the dissection they print. [`Text`] asks
//! for the room a value can need once, then the writers below fill that room by index.
use crate::wire::{Field, Value};

/// Bytes being written, with a write position: `bytes[..len]` is the text, the bytes after it
/// are room (zero, or stale text past a truncation), never read as text.
#[derive(Default)]
pub struct Text {
    bytes: Vec<u8>,
    len: usize,
}

impl Text {
    /// `n` bytes of room at the end, to be filled and then claimed with [`Text::claim`].
    #[inline]
    pub fn room(&mut self, n: usize) -> &mut [u8] {
        let end = self.len + n;
        if end > self.bytes.len() {
            self.grow(end);
        }
        &mut self.bytes[self.len..end]
    }

    #[cold]
    fn grow(&mut self, end: usize) {
        let to = end.max(2 * self.bytes.len()).max(4096);
        self.bytes.resize(to, 0);
    }

    /// The first `n` bytes of the room just filled become text.
    #[inline]
    pub fn claim(&mut self, n: usize) {
        debug_assert!(self.len + n <= self.bytes.len());
        self.len += n;
    }

    #[inline]
    pub fn push(&mut self, b: u8) {
        self.room(1)[0] = b;
        self.len += 1;
    }

    #[inline]
    pub fn push_bytes(&mut self, s: &[u8]) {
        self.room(s.len()).copy_from_slice(s);
        self.len += s.len();
    }

    /// `n` tabs: a run of empty columns. Written 16 at a time as one 16-byte store (the bytes
    /// past `n` are room, overwritten by what comes next), not through a call to memcpy.
    #[inline]
    pub fn push_tabs(&mut self, n: usize) {
        const TABS: [u8; 16] = [b'\t'; 16];
        let mut left = n;
        loop {
            self.room(TABS.len()).copy_from_slice(&TABS);
            let k = left.min(TABS.len());
            self.len += k;
            left -= k;
            if left == 0 {
                break;
            }
        }
    }

    pub fn push_str(&mut self, s: &str) {
        self.push_bytes(s.as_bytes());
    }

    /// `s` put in at `at`, the text after it moved along.
    pub fn insert(&mut self, at: usize, s: &[u8]) {
        let n = s.len();
        self.room(n);
        self.bytes.copy_within(at..self.len, at + n);
        self.bytes[at..at + n].copy_from_slice(s);
        self.len += n;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    pub fn clear(&mut self) {
        self.len = 0;
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// The text from `from` on.
    pub fn tail(&self, from: usize) -> &[u8] {
        &self.bytes[from..self.len]
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// How many decimal digits `v` has.
#[inline]
fn decimal_digits(v: u64) -> usize {
    match v {
        0..=9 => 1,
        10..=99 => 2,
        100..=999 => 3,
        _ => v.ilog10() as usize + 1,
    }
}

/// Every number below 1000 in decimal, four bytes each: the digits, then zeros up to the
/// fourth byte, which holds the count. One load writes a TTL, an address octet or a length:
/// no division, and no branch on how many digits it has (in a row of such values the next
/// count is not predictable, and a mispredicted branch costs more than the digits).
static SMALL: [[u8; 4]; 1000] = {
    let mut t = [[0u8; 4]; 1000];
    let mut v = 0;
    while v < 1000 {
        let digits = 1 + (v >= 10) as usize + (v >= 100) as usize;
        let mut x = v;
        let mut i = digits;
        while i > 0 {
            i -= 1;
            t[v][i] = b'0' + (x % 10) as u8;
            x /= 10;
        }
        t[v][3] = digits as u8;
        v += 1;
    }
    t
};

/// `v` (below 1000) in decimal into `w`, which must hold 4 bytes (the bytes after the
/// digits are overwritten: they are room). Returns the number of digits.
#[inline]
fn fill_small(w: &mut [u8], v: u32) -> usize {
    let entry = SMALL[v as usize];
    w[..4].copy_from_slice(&entry);
    usize::from(entry[3])
}

/// "00" to "99": a number above 999 is written two digits at a time, as itoa does.
static PAIRS: [[u8; 2]; 100] = {
    let mut t = [[0u8; 2]; 100];
    let mut v = 0;
    while v < 100 {
        t[v] = [b'0' + (v / 10) as u8, b'0' + (v % 10) as u8];
        v += 1;
    }
    t
};

/// `v` in decimal into the first `digits` bytes of `w` (`digits` = its digit count, or more
/// for leading zeros).
#[inline]
fn fill_decimal(w: &mut [u8], mut v: u64, digits: usize) {
    let mut end = digits;
    while end >= 2 {
        w[end - 2..end].copy_from_slice(&PAIRS[(v % 100) as usize]);
        v /= 100;
        end -= 2;
    }
    if end == 1 {
        w[0] = b'0' + (v % 10) as u8;
    }
}

/// `v` in decimal, as `format!("{v}")` writes it.
#[inline]
pub fn push_u64(t: &mut Text, v: u64) {
    if v < 1000 {
        let digits = fill_small(t.room(4), v as u32);
        t.claim(digits);
    } else {
        let digits = decimal_digits(v);
        fill_decimal(t.room(digits), v, digits);
        t.claim(digits);
    }
}

/// `v` in decimal, zero-padded to `width` digits (as `{:0width$}`).
pub fn push_padded(t: &mut Text, v: u64, width: usize) {
    let digits = decimal_digits(v).max(width);
    fill_decimal(t.room(digits), v, digits);
    t.claim(digits);
}

/// `0x` and `v` in lower-case hex, zero-padded to `width` digits (as `0x{:0width$x}`).
pub fn push_hex(t: &mut Text, v: u64, width: usize) {
    let digits = ((64 - v.leading_zeros() as usize).div_ceil(4))
        .max(1)
        .max(width);
    let w = t.room(2 + digits);
    w[0] = b'0';
    w[1] = b'x';
    let mut x = v;
    for b in w[2..].iter_mut().rev() {
        *b = HEX[(x & 0xf) as usize];
        x >>= 4;
    }
    t.claim(2 + digits);
}

/// `bytes` as two hex digits each, no separators (tshark's way for a run of bytes).
fn push_hex_bytes(t: &mut Text, bytes: &[u8]) {
    let w = t.room(2 * bytes.len());
    for (pair, &x) in w.chunks_exact_mut(2).zip(bytes) {
        pair[0] = HEX[usize::from(x >> 4)];
        pair[1] = HEX[usize::from(x & 0xf)];
    }
    t.claim(2 * bytes.len());
}

/// A MAC address, `02:00:5e:10:ab:ff` (a fixed 17 bytes: no loop left after unrolling).
#[inline]
fn push_mac(t: &mut Text, m: [u8; 6]) {
    let w = t.room(18);
    for (i, &x) in m.iter().enumerate() {
        w[3 * i] = HEX[usize::from(x >> 4)];
        w[3 * i + 1] = HEX[usize::from(x & 0xf)];
        w[3 * i + 2] = b':';
    }
    t.claim(17);
}

/// An IPv4 address, dotted decimal (at most 15 bytes).
#[inline]
fn push_ipv4(t: &mut Text, a: [u8; 4]) {
    let w = t.room(16);
    let mut at = 0;
    for &x in &a {
        at += fill_small(&mut w[at..], u32::from(x));
        w[at] = b'.';
        at += 1;
    }
    t.claim(at - 1);
}

/// A field's value for machines: numbers without their names, MACs and addresses as usual,
/// bytes as tshark prints them (hex digits, no separators).
pub fn push_machine_value(t: &mut Text, f: &Field) {
    match f.value {
        Value::Dec(v) | Value::Named(v, 0, _) => push_u64(t, v),
        Value::Hex(v, w) | Value::Named(v, w, _) => push_hex(t, v, w as usize),
        Value::Flags(v, _) => push_hex(t, u64::from(v), 0),
        Value::Bytes(n) => push_u64(t, u64::from(n)),
        Value::Octets(b, n) => push_hex_bytes(t, &b[..usize::from(n).min(b.len())]),
        Value::Mac(m) => push_mac(t, m),
        Value::Ipv4(a) => push_ipv4(t, a),
        v @ Value::Ipv6(_) => t.push_str(&v.to_string()),
    }
}

/// `text` as a JSON string, escaped as serde_json escapes it (the output stays byte for byte
/// what it was when serde_json wrote it): `"` `\` and control characters below 0x20.
pub fn push_json_str(t: &mut Text, text: &[u8]) {
    t.push(b'"');
    // Almost every value needs no escape: test all its bytes at once (no early exit, so the
    // compiler vectorises it) rather than branching on each byte's class.
    let plain = !text.iter().fold(false, |any, &b| {
        any | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if plain {
        t.push_bytes(text);
        t.push(b'"');
        return;
    }
    let mut from = 0;
    for (i, &b) in text.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => b"",
            _ => continue,
        };
        t.push_bytes(&text[from..i]);
        if esc.is_empty() {
            t.push_bytes(b"\\u00");
            t.push(HEX[usize::from(b >> 4)]);
            t.push(HEX[usize::from(b & 0xf)]);
        } else {
            t.push_bytes(esc);
        }
        from = i + 1;
    }
    t.push_bytes(&text[from..]);
    t.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(write: impl FnOnce(&mut Text)) -> String {
        let mut t = Text::default();
        write(&mut t);
        String::from_utf8(t.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn numbers_are_written_as_format_writes_them() {
        let edges = (0..20).flat_map(|k| {
            let p = 10u64.pow(k);
            [p - 1, p, p + 1]
        });
        for v in (0u64..1100)
            .chain(edges)
            .chain([4096, 65535, 1 << 32, u64::MAX])
        {
            assert_eq!(text(|t| push_u64(t, v)), format!("{v}"));
            for w in [0usize, 1, 2, 4, 8, 16, 20] {
                assert_eq!(text(|t| push_hex(t, v, w)), format!("0x{v:0w$x}"));
            }
            let small = v % 1_000_000_000;
            assert_eq!(text(|t| push_padded(t, small, 9)), format!("{small:09}"));
        }
    }

    #[test]
    fn addresses_and_bytes_are_written_as_display_writes_them() {
        for a in [
            [0, 0, 0, 0],
            [198, 51, 100, 2],
            [255, 255, 255, 255],
            [10, 9, 100, 1],
        ] {
            let f = Field {
                key: "ipv4.src",
                label: "",
                bit_start: 0,
                bit_len: 32,
                value: Value::Ipv4(a),
                check: None,
            };
            let want = format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3]);
            assert_eq!(text(|t| push_machine_value(t, &f)), want);
        }
        let mac = [0x02, 0x00, 0x5e, 0x10, 0xab, 0xff];
        assert_eq!(text(|t| push_mac(t, mac)), "02:00:5e:10:ab:ff");
        assert_eq!(text(|t| push_hex_bytes(t, &mac)), "02005e10abff");
        assert_eq!(text(|t| push_hex_bytes(t, &[])), "");
    }

    #[test]
    fn insert_and_truncate_keep_the_text_whole() {
        let mut t = Text::default();
        t.push_str("ac");
        t.insert(1, b"b");
        t.insert(3, b"de");
        assert_eq!(t.as_bytes(), b"abcde");
        t.truncate(2);
        t.push(b'!');
        assert_eq!(t.as_bytes(), b"ab!");
        // Growing past the first allocation keeps what was written.
        let long = "x".repeat(10_000);
        t.push_str(&long);
        assert_eq!(t.len(), 3 + 10_000);
        assert_eq!(&t.as_bytes()[..3], b"ab!");
    }

    #[test]
    fn json_strings_are_escaped_as_serde_json_escapes_them() {
        let all: String = (0u8..=0x7f)
            .map(char::from)
            .chain("é\u{9b}€".chars())
            .collect();
        for s in [all.as_str(), "", "plain", "a\"b\\c\n"] {
            assert_eq!(
                text(|t| push_json_str(t, s.as_bytes())),
                serde_json::Value::from(s).to_string()
            );
        }
    }
}
