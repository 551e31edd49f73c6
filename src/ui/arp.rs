//! The ARP caches: ringside's (from the stack), and beside it the peer's entry for ringside: in
//! the demo the simulated PC's, counting down to expiry; live, the real peer kernel's as `ip
//! neigh` names it (read through netlink from its namespace, see `peer_kernel`), or why it
//! cannot be seen. Each with its ping statistics; then what the UDP print sink got.
use super::chrome::pane_block;
use super::text::{ascii, clean, fit};
use crate::capture::Status;
use crate::peer_kernel::PeerKernel;
use crate::wire::mac_to_string;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// The panel's lines, `width` cells wide, from the capture thread's last report `s`.
pub fn lines(s: &Status, width: usize) -> Vec<Line<'static>> {
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
    if let Some(k) = &s.peer_kernel {
        peer_kernel_lines(k, width, &mut out);
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

/// The live peer kernel: its entry for ringside and its pings, or one reason it is not seen.
fn peer_kernel_lines(k: &PeerKernel, width: usize, out: &mut Vec<Line<'static>>) {
    let bold = Style::default().add_modifier(Modifier::BOLD);
    out.push(Line::raw(""));
    let v = match k {
        PeerKernel::Unseen { why, how } => {
            out.push(Line::styled("peer kernel: not visible", bold));
            for l in wrap(&clean(why), width, "  ") {
                out.push(Line::styled(l, Style::default().fg(Color::Yellow)));
            }
            for l in wrap(&clean(how), width, "  ") {
                out.push(Line::raw(l));
            }
            return;
        }
        PeerKernel::Seen(v) => v,
    };
    let ip = v.ip.map_or("(no IPv4)".to_string(), |a| a.to_string());
    let head = format!(
        "peer kernel {ip} ({} in {})",
        clean(&v.ifname),
        clean(&v.netns)
    );
    for l in wrap(&head, width, "") {
        out.push(Line::styled(l, bold));
    }
    let label = format!("  its entry for {}: ", v.target);
    match (&v.entry, v.state()) {
        (Some(e), Some(state)) => {
            // The colours of the demo's panel: green while confirmed, yellow while in doubt,
            // red once the kernel gave up.
            let color = match e.state {
                libc::NUD_REACHABLE | libc::NUD_NOARP | libc::NUD_PERMANENT => Color::LightGreen,
                libc::NUD_INCOMPLETE | libc::NUD_FAILED | libc::NUD_NONE => Color::LightRed,
                _ => Color::Yellow,
            };
            out.push(Line::from(vec![
                Span::raw(label.clone()),
                Span::styled(
                    fit(&state, width.saturating_sub(label.len())),
                    Style::default().fg(color).add_modifier(Modifier::BOLD),
                ),
            ]));
            if let Some(mac) = &e.lladdr {
                out.push(Line::raw(fit(
                    &format!("  lladdr {}", crate::peer_kernel::lladdr(mac)),
                    width,
                )));
            }
            // Why it is (or no longer is) REACHABLE: the last ARP reply, and the re-checks
            // since (NDA_CACHEINFO, NDA_PROBES: `ip -s neigh`'s numbers).
            let mut why = Vec::new();
            if let Some(ago) = v.confirmed_ago().filter(|_| e.lladdr.is_some()) {
                why.push(format!("confirmed {:.1} s ago", ago.as_secs_f64()));
            }
            // In PROBE the count starts at 0 and counts the unicast requests to the old MAC,
            // none answered yet (an answer makes it REACHABLE). Elsewhere it is bookkeeping:
            // INCOMPLETE starts it at ucast_solicit so that only broadcasts follow
            // (net/core/neighbour.c `__neigh_event_send()`), so it is not shown.
            if let Some(p) = e.probes.filter(|&p| p > 0 && e.state == libc::NUD_PROBE) {
                why.push(format!("{p} unicast ARP probes unanswered"));
            }
            if !why.is_empty() {
                out.push(Line::raw(fit(&format!("  {}", why.join(", ")), width)));
            }
        }
        _ => out.push(Line::styled(
            fit(&format!("{label}none: must ARP before it can ping"), width),
            Style::default().fg(Color::LightRed),
        )),
    }
    let lost = v.pings_sent.saturating_sub(v.replies);
    let style = if lost > 0 {
        Style::default().fg(Color::LightRed)
    } else {
        Style::default()
    };
    let counts = format!("  pings sent {}, replies {}", v.pings_sent, v.replies);
    let since = " (since ringside started)";
    let text = if counts.len() + since.len() <= width {
        counts + since
    } else {
        counts
    };
    out.push(Line::styled(fit(&text, width), style));
    if let Some(e) = &v.error {
        out.push(Line::styled(
            fit(&format!("  reading it failed: {}", clean(e)), width),
            Style::default().fg(Color::LightRed),
        ));
    }
}

/// `text` in lines of at most `width` columns, each starting with `indent`, broken at spaces
/// (a word longer than a line is cut by `fit`).
fn wrap(text: &str, width: usize, indent: &str) -> Vec<String> {
    let room = width.saturating_sub(indent.len()).max(1);
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > room {
            lines.push(fit(&format!("{indent}{cur}"), width));
            cur.clear();
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(fit(&format!("{indent}{cur}"), width));
    }
    lines
}

/// The ARP panel: a [`Widget`] over the capture thread's last report.
pub struct ArpPanel<'a> {
    pub status: &'a Status,
}

impl Widget for ArpPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let block = pane_block(" ARP caches ", false);
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.width == 0 || inner.height == 0 {
            return;
        }
        Paragraph::new(lines(self.status, inner.width as usize)).render(inner, buf);
    }
}
