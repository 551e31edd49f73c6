//! `--theme light|high-contrast` and NO_COLOR: every pane of a busy screen (list, layers, hex,
//! C struct, ARP panel, status bar, help) stays readable. Readable is measured: the WCAG contrast
//! ratio between each visible character and what is behind it, with xterm's colours and the
//! terminal's own background (white for light, black for high contrast), is at least 4.5.
use crate::support::ui as ui_support;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use ratatui::Terminal;
use ringside::ui::draw;
use ringside::ui::text::{paint, Theme};
use ui_support::*;

/// xterm's RGB for a colour; `reset` is the terminal's own.
fn rgb(c: Color, reset: (u8, u8, u8)) -> (u8, u8, u8) {
    use Color::*;
    match c {
        Reset => reset,
        Black => (0, 0, 0),
        Red => (205, 0, 0),
        Green => (0, 205, 0),
        Yellow => (205, 205, 0),
        Blue => (0, 0, 238),
        Magenta => (205, 0, 205),
        Cyan => (0, 205, 205),
        Gray => (229, 229, 229),
        DarkGray => (127, 127, 127),
        LightRed => (255, 0, 0),
        LightGreen => (0, 255, 0),
        LightYellow => (255, 255, 0),
        LightBlue => (92, 92, 255),
        LightMagenta => (255, 0, 255),
        LightCyan => (0, 255, 255),
        White => (255, 255, 255),
        Rgb(r, g, b) => (r, g, b),
        Indexed(i @ 16..=231) => {
            let lv = |n: u8| [0, 95, 135, 175, 215, 255][n as usize];
            let i = i - 16;
            (lv(i / 36), lv(i / 6 % 6), lv(i % 6))
        }
        Indexed(i @ 232..=255) => {
            let v = 8 + 10 * (i - 232);
            (v, v, v)
        }
        Indexed(i) => panic!("a theme used the terminal-defined colour {i}"),
    }
}

/// WCAG 2 contrast ratio (1 to 21).
fn contrast(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
    let lum = |(r, g, b): (u8, u8, u8)| {
        let lin = |c: u8| {
            let c = c as f64 / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    };
    let (x, y) = (lum(a), lum(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

/// The screens a class sees: the demo after some traffic with a frame selected (list, layers,
/// hex, ARP, status bar), the C struct panel, and help.
fn screens(theme: Theme) -> Vec<Buffer> {
    let mut l = Lesson::new();
    l.run_until(12.0);
    select_where(&mut l.app, "Echo");
    let mut out = Vec::new();
    for step in 0..3 {
        if step == 1 {
            l.press(ringside::ui::app::Action::CycleSide);
        }
        l.app.show_help = step == 2;
        let mut t = Terminal::new(TestBackend::new(160, 48)).unwrap();
        t.draw(|f| {
            draw(f, &mut l.app);
            paint(f.buffer_mut(), theme);
        })
        .unwrap();
        out.push(t.backend().buffer().clone());
    }
    out
}

fn assert_readable(theme: Theme, term_bg: (u8, u8, u8), term_fg: (u8, u8, u8)) {
    let mut bad = Vec::new();
    let mut colours = std::collections::BTreeSet::new();
    for buf in screens(theme) {
        for (i, cell) in buf.content.iter().enumerate() {
            if cell.symbol().trim().is_empty() {
                continue;
            }
            let (mut fg, mut bg) = (rgb(cell.fg, term_fg), rgb(cell.bg, term_bg));
            if cell.modifier.contains(Modifier::REVERSED) {
                std::mem::swap(&mut fg, &mut bg);
            }
            colours.insert(format!("{:?}/{:?}", cell.fg, cell.bg));
            let r = contrast(fg, bg);
            if r < 4.5 && bad.len() < 10 {
                let (x, y) = (i as u16 % buf.area.width, i as u16 / buf.area.width);
                bad.push(format!(
                    "({x},{y}) {:?} {:?} on {:?}: {r:.1}",
                    cell.symbol(),
                    cell.fg,
                    cell.bg
                ));
            }
        }
    }
    assert!(bad.is_empty(), "{theme:?}: unreadable cells: {bad:#?}");
    // The theme keeps colours to tell layers apart (not all text in one colour).
    assert!(colours.len() >= 5, "{theme:?}: {colours:?}");
}

#[test]
fn the_light_theme_is_readable_on_a_white_terminal() {
    assert_readable(Theme::Light, (255, 255, 255), (0, 0, 0));
}

#[test]
fn the_high_contrast_theme_is_readable_and_bold_on_a_black_projector() {
    assert_readable(Theme::HighContrast, (0, 0, 0), (229, 229, 229));
    for buf in screens(Theme::HighContrast) {
        assert!(buf
            .content
            .iter()
            .all(|c| c.modifier.contains(Modifier::BOLD)));
    }
}

#[test]
fn no_color_uses_no_colour_and_keeps_highlights_in_reverse_video() {
    let dark = screens(Theme::Dark);
    let plain = screens(Theme::NoColor);
    for (d, p) in dark.iter().zip(&plain) {
        for (dc, pc) in d.content.iter().zip(&p.content) {
            assert_eq!((pc.fg, pc.bg), (Color::Reset, Color::Reset));
            assert_eq!(dc.symbol(), pc.symbol(), "same text");
            if dc.bg != Color::Reset {
                assert!(pc.modifier.contains(Modifier::REVERSED));
            }
        }
    }
    // The selected frame's row is still marked.
    assert!(plain[0]
        .content
        .iter()
        .any(|c| c.modifier.contains(Modifier::REVERSED)));
}
