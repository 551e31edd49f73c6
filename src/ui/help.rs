//! The `?` overlay: every key, from [`super::keys::KEYS`], the list markers and the protocol
//! colours.
use super::app::{Action, App};
use super::keys::KEYS;
use super::layers::wrap;
use super::text::{fit, layer_color};
use crate::wire::LayerKind;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

/// The help overlay: a [`Widget`] drawn centred over `area` (the whole screen), on a cleared
/// box of its own.
pub struct Help;

impl Widget for Help {
    fn render(self, area: Rect, buf: &mut Buffer) {
        render(area, buf)
    }
}

fn render(area: Rect, buf: &mut Buffer) {
    let w = area.width.min(96);
    if w < 10 || area.height < 3 {
        return;
    }
    let inner_w = w.saturating_sub(2) as usize;
    let key_w = 12;
    let what_w = inner_w.saturating_sub(key_w + 1).max(1);
    let key_style = Style::default()
        .fg(Color::Yellow)
        .add_modifier(Modifier::BOLD);
    let mut lines: Vec<Line> = Vec::new();
    for (k, what) in KEYS {
        for (i, part) in wrap(what, what_w).into_iter().enumerate() {
            let k = if i == 0 { *k } else { "" };
            lines.push(Line::from(vec![
                Span::styled(format!(" {k:<11} "), key_style),
                Span::raw(part),
            ]));
        }
    }
    let gray = Style::default().fg(Color::Gray);
    lines.push(Line::styled(
        fit(
            " → ringside sent  ✓ answered  ← nothing due  ✗ not answered + reason",
            inner_w,
        ),
        gray,
    ));
    // The colours the layers pane and the hex view give each header.
    let mut legend = vec![Span::styled(" colours: ", gray)];
    for k in [
        LayerKind::Ethernet,
        LayerKind::Vlan,
        LayerKind::Arp,
        LayerKind::Ipv4,
        LayerKind::Icmp,
        LayerKind::Udp,
        LayerKind::Payload,
    ] {
        legend.push(Span::styled(
            format!("{} ", k.name()),
            Style::default()
                .fg(layer_color(k))
                .add_modifier(Modifier::BOLD),
        ));
    }
    lines.push(Line::from(legend));
    let h = area.height.min(lines.len() as u16 + 2);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    Clear.render(r, buf);
    Paragraph::new(lines)
        .block(
            Block::bordered()
                .title(" Keys · ? Esc q close this ")
                .border_style(Style::default().fg(Color::Yellow)),
        )
        .render(r, buf);
}

/// A key while the help is open: `?`, Esc and q close it (it says so); Ctrl-C still quits;
/// other keys wait.
pub fn key(app: &mut App, a: Action) {
    match a {
        Action::ToggleHelp | Action::Escape | Action::Quit => app.show_help = false,
        Action::Interrupt => app.quit = true,
        _ => {}
    }
}
