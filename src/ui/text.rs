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

/// The screen's colour scheme: `--theme`, the config file's `theme`, or `NO_COLOR`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Theme {
    /// The panes' own colours, for a dark terminal.
    #[default]
    Dark,
    /// Darker text colours, for a terminal with a light background.
    Light,
    /// Bright bold text on black, black on bright highlights: for projectors.
    HighContrast,
    /// No colour at all (NO_COLOR, https://no-color.org): highlights in reverse video.
    NoColor,
}

static THEME: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// Choose the theme for every screen drawn from now on.
pub fn set_theme(t: Theme) {
    THEME.store(t as u8, std::sync::atomic::Ordering::Relaxed);
}

/// The theme chosen with [`set_theme`].
pub fn theme() -> Theme {
    match THEME.load(std::sync::atomic::Ordering::Relaxed) {
        1 => Theme::Light,
        2 => Theme::HighContrast,
        3 => Theme::NoColor,
        _ => Theme::Dark,
    }
}

/// Repaint a drawn screen in `theme`. The panes draw in one palette, written for a dark
/// terminal; this maps its colours cell by cell, so every pane follows the theme without knowing
/// it. Text on a highlight keeps its pair (each was chosen to read on its own background), except
/// in high contrast; 256-colour indexes where the 16 named colours are too pale on white.
pub fn paint(buf: &mut ratatui::buffer::Buffer, theme: Theme) {
    use ratatui::style::Modifier;
    use Color::*;
    let on_white = |c: Color| match c {
        White | Gray => Reset,
        DarkGray => Indexed(240),
        Yellow | LightYellow => Indexed(94),
        Green | LightGreen => Indexed(28),
        Cyan | LightCyan => Indexed(23),
        Blue | LightBlue => Indexed(19),
        Magenta | LightMagenta => Indexed(90),
        Red | LightRed => Indexed(88),
        c => c,
    };
    let bright = |c: Color| match c {
        Black | DarkGray | Gray => White,
        Green => LightGreen,
        Red => LightRed,
        Blue | LightBlue => Indexed(117),
        Cyan => LightCyan,
        Magenta => LightMagenta,
        Yellow => LightYellow,
        c => c,
    };
    for cell in buf.content.iter_mut() {
        match theme {
            Theme::Dark => return,
            Theme::NoColor => {
                if cell.bg != Reset {
                    cell.modifier.insert(Modifier::REVERSED);
                }
                cell.fg = Reset;
                cell.bg = Reset;
            }
            Theme::Light if cell.bg == Reset => cell.fg = on_white(cell.fg),
            // Black on xterm's light blue is 4.4:1, a little under WCAG's 4.5: a paler blue.
            Theme::Light if matches!(cell.bg, Blue | LightBlue) => cell.bg = Indexed(117),
            Theme::Light => {}
            Theme::HighContrast => {
                if cell.bg == Reset {
                    cell.fg = bright(cell.fg);
                } else {
                    cell.fg = Black;
                    cell.bg = bright(cell.bg);
                }
                cell.modifier.insert(Modifier::BOLD);
            }
        }
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
