//! `ringside dump` for people: `-V` prints each frame as an indented tree of its headers and
//! fields (like `tshark -V`), and with stdout a terminal the default is one summary line per
//! frame (like `tshark`'s default) instead of 66 TSV columns. Pipes and `--tsv` get the TSV.
//! The text is the layers pane's: the same names, values, checksum verdicts and flag lines.
use crate::ui::layers::{flag_lines, layer_role, value_text};
use crate::ui::text::clean;
use crate::wire::{Check, Dissection, Value};
use std::fmt::Write as _;
use std::time::Duration;

/// One frame as a tree (ends with a blank line).
pub fn tree(no: u64, ts: Duration, frame: &[u8], orig_len: u32, d: &Dissection) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Frame {no}: {orig_len} bytes on wire, {} bytes captured, at {}.{:09}",
        frame.len(),
        ts.as_secs(),
        ts.subsec_nanos()
    );
    for p in &d.problems {
        let _ = writeln!(s, "    [problem: {}]", p.name());
    }
    for layer in &d.layers {
        let _ = writeln!(
            s,
            "{} ({}), {} bytes at offset {}",
            layer.kind.name(),
            layer_role(layer.kind),
            layer.bytes.len(),
            layer.bytes.start
        );
        for f in d.layer_fields(layer) {
            let mut line = format!("    {}: {}", clean(f.label), value_text(f, frame));
            if let Some(Check::Bad { expected }) = f.check {
                let _ = write!(line, " (should be 0x{expected:04x})");
            }
            let _ = writeln!(s, "{line}");
            if let Value::Flags(bits, _) = f.value {
                for l in flag_lines(bits) {
                    let _ = writeln!(s, "        {l}");
                }
            }
        }
    }
    s.push('\n');
    s
}

/// One frame as a summary line: No., time since the first frame, source, destination,
/// protocol, length, Info.
pub fn summary_line(no: u64, since_first: Duration, orig_len: u32, d: &Dissection) -> String {
    let s = d.summary();
    format!(
        "{no:>5} {:>10.6} {:<17} {:<17} {:<5} {orig_len:>5} {}\n",
        since_first.as_secs_f64(),
        clean(&s.src),
        clean(&s.dst),
        s.protocol,
        clean(&s.info)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::build::{icmp_echo, EthIp};
    use std::net::Ipv4Addr;

    #[test]
    fn a_ping_as_a_tree_and_a_line() {
        let h = EthIp {
            src_mac: [2, 0, 0, 0, 0, 1],
            dst_mac: [2, 0, 0, 0, 0, 2],
            src_ip: Ipv4Addr::new(198, 51, 100, 1),
            dst_ip: Ipv4Addr::new(198, 51, 100, 2),
            ttl: 1,
            ip_id: 7,
        };
        let mut f = Vec::new();
        icmp_echo(&mut f, &h, false, 0x0b0b, 6, &[0x10; 56]);
        f[60] ^= 1; // one data bit flipped: the ICMP checksum is now wrong
        let mut d = Dissection::default();
        d.parse(&f, false);
        let t = tree(13, Duration::from_secs(5), &f, 98, &d);
        assert!(t.starts_with("Frame 13: 98 bytes on wire, 98 bytes captured, at 5.000000000\n"));
        assert!(
            t.contains("\nIPv4 (network layer), 20 bytes at offset 14\n"),
            "{t}"
        );
        assert!(t.contains("\n    TTL: 1\n"), "{t}");
        assert!(
            t.contains("\n        .0. Don't fragment (DF): not set\n"),
            "{t}"
        );
        assert!(
            t.contains("\nICMP (network layer), 8 bytes at offset 34\n"),
            "{t}"
        );
        assert!(t.contains("✗ BAD (should be 0x"), "{t}");
        let line = summary_line(13, Duration::from_millis(1500), 98, &d);
        assert!(line.contains("198.51.100.1"), "{line}");
        assert!(line.contains("seq=6"), "{line}");
        assert!(line.contains("1.500000"), "{line}");
    }
}
