//! Text helpers shared by the panes: making frame-derived strings safe to draw, fitting text into
//! cells, layer colours.
use crate::wire::LayerKind;
use ratatui::style::Color;

/// Bytes from a frame as printable ASCII: anything else becomes `.` (as in a hex dump's ASCII
/// column). Nothing from the wire reaches the terminal unfiltered.
pub fn ascii(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            }
        })
        .collect()
}

/// A string that may carry frame-derived text: control characters (ESC, CR, ...) become `.`.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '.' } else { c })
        .collect()
}

/// Width of `s` in terminal cells (everything ringside draws is one cell per char).
pub fn width(s: &str) -> usize {
    s.chars().count()
}

/// `s` cut to `w` cells, with `…` when cut.
pub fn fit(s: &str, w: usize) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    if w == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(w - 1).collect();
    out.push('…');
    out
}

/// `s` centred in `w` cells (cut if longer).
pub fn center(s: &str, w: usize) -> String {
    let s = fit(s, w);
    let n = width(&s);
    let left = (w - n) / 2;
    format!("{}{}{}", " ".repeat(left), s, " ".repeat(w - n - left))
}

/// `s` padded (or cut) to exactly `w` cells.
pub fn pad(s: &str, w: usize) -> String {
    let s = fit(s, w);
    let n = width(&s);
    format!("{s}{}", " ".repeat(w - n))
}

pub fn layer_color(k: LayerKind) -> Color {
    match k {
        LayerKind::Ethernet | LayerKind::Sll => Color::LightBlue,
        LayerKind::Llc => Color::Blue,
        LayerKind::Ipv6 => Color::LightGreen,
        LayerKind::Ipv6Ext => Color::Green,
        LayerKind::Icmpv6 => Color::LightCyan,
        LayerKind::Vlan => Color::LightMagenta,
        LayerKind::Arp => Color::Yellow,
        LayerKind::Ipv4 => Color::LightGreen,
        LayerKind::Icmp => Color::LightCyan,
        LayerKind::IcmpQuote => Color::Green,
        LayerKind::Udp => Color::LightMagenta,
        LayerKind::Payload => Color::White,
        LayerKind::Trailer => Color::DarkGray,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_text_cannot_reach_the_terminal_raw() {
        assert_eq!(ascii(b"hi\x1b[2J\r\n\x00\xff"), "hi.[2J....");
        assert_eq!(clean("a\u{1b}[31mb\u{7}"), "a.[31mb.");
    }

    #[test]
    fn fitting_text_into_cells() {
        assert_eq!(fit("Destination", 5), "Dest…");
        assert_eq!(center("IHL", 7), "  IHL  ");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(fit("x", 0), "");
    }
}
