//! The ARP caches: ringside's (from the stack), and in the demo the simulated peer's entry for
//! ringside counting down to expiry, with its ping statistics; then what the UDP print sink got.
use super::app::App;
use super::text::{ascii, clean, fit};
use crate::wire::mac_to_string;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

pub fn lines(app: &App, width: usize) -> Vec<Line<'static>> {
    let s = &app.status;
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let dim = Style::default().fg(Color::Gray);
    let mut out = Vec::new();
    out.push(Line::styled(
        fit(
            &format!("ringside's ARP cache ({})", s.arp_cache.len()),
            width,
        ),
        bold,
    ));
    if s.arp_cache.is_empty() {
        out.push(Line::styled("  (empty)", dim));
    }
    for e in &s.arp_cache {
        out.push(Line::raw(fit(
            &format!(
                "  {:<15} {}  {:.0}s left",
                e.ip.to_string(),
                mac_to_string(&e.mac),
                e.remaining
            ),
            width,
        )));
    }
    if let Some(p) = &s.peer {
        out.push(Line::raw(""));
        out.push(Line::styled(
            fit(&format!("{} {}", clean(&p.name), p.ip), width),
            bold,
        ));
        out.push(Line::raw(fit(
            &format!("  its ARP entry for ringside: {}", p.neigh_state),
            width,
        )));
        match p.arp_entry {
            Some((mac, left)) => {
                // What happens next, in the words of Linux's neighbour state machine.
                let next = match p.neigh_state {
                    "REACHABLE" => format!("STALE in {left:.1}s"),
                    "DELAY" => format!("PROBE in {left:.1}s unless confirmed"),
                    "PROBE" => format!("next probe or FAILED in {left:.1}s"),
                    _ => "usable; the next packet starts DELAY".to_string(),
                };
                let color = if p.neigh_state == "REACHABLE" {
                    Color::LightGreen
                } else {
                    Color::Yellow
                };
                out.push(Line::from(vec![
                    Span::raw(format!("  {}  ", mac_to_string(&mac))),
                    Span::styled(
                        fit(&next, width.saturating_sub(21)),
                        Style::default().fg(color).add_modifier(Modifier::BOLD),
                    ),
                ]));
            }
            None => out.push(Line::styled(
                "  (none): must ARP before it can ping",
                Style::default()
                    .fg(Color::LightRed)
                    .add_modifier(Modifier::BOLD),
            )),
        }
        if p.arp_unanswered > 0 {
            out.push(Line::styled(
                fit(
                    &format!("  ARP requests unanswered: {}", p.arp_unanswered),
                    width,
                ),
                Style::default().fg(Color::LightRed),
            ));
        }
        let lost_style = if p.pings_lost > 0 {
            Style::default().fg(Color::LightRed)
        } else {
            Style::default()
        };
        out.push(Line::from(vec![
            Span::raw(format!(
                "  pings: {} sent · {} answered · ",
                p.pings_sent, p.pings_answered
            )),
            Span::styled(format!("{} lost", p.pings_lost), lost_style),
        ]));
    }
    if !s.printed.is_empty() {
        out.push(Line::raw(""));
        out.push(Line::styled("UDP print sink (port 9)", bold));
        for d in s.printed.iter().rev().take(6) {
            let text = format!(
                "  \"{}\" from {}:{}",
                ascii(&d.payload[..d.payload.len().min(120)]),
                d.from.0,
                d.from.1
            );
            out.push(Line::raw(fit(&text, width)));
        }
    }
    out
}

pub fn render(f: &mut Frame, area: Rect, app: &mut App) {
    let block = Block::bordered()
        .title(" ARP caches ")
        .border_style(super::pane_border(false));
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    f.render_widget(Paragraph::new(lines(app, inner.width as usize)), inner);
}
