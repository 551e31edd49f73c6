//! The title bar and the status bar: responder switches, counters, a packets-per-second sparkline,
//! the capture hand-off ring, simulated speed; and the prompt / message / key hints line.
use super::app::{fmt_speed, App};
use super::text::{clean, fit, pad};
use super::Mode;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A text sparkline of `v` (one char per value, scaled to the maximum).
pub fn sparkline(v: &[u64]) -> String {
    let max = v.iter().copied().max().unwrap_or(0);
    v.iter()
        .map(|&x| {
            if max == 0 || x == 0 {
                ' '
            } else {
                BARS[((x * 7).div_ceil(max)) as usize]
            }
        })
        .collect()
}

pub fn title(f: &mut Frame, area: Rect, app: &App) {
    let s = &app.status;
    let what = match &app.mode {
        Mode::Demo => {
            let peer = s
                .peer
                .as_ref()
                .map(|p| format!("{} {}", clean(&p.name), p.ip))
                .unwrap_or_default();
            format!("ringside demo · simulated LAN: {peer} ⇄ ringside")
        }
        Mode::Live { interface } => format!("ringside live · {}", clean(interface)),
        Mode::Replay { file } => {
            // A capture ringside wrote carries its verdicts (see crate::recorded).
            let on_off = |on: bool| if on { "on" } else { "off" };
            let verdicts = if !s.recorded_verdicts && s.notes_seen > 0 {
                format!(
                    "judged again: ARP {} ICMP {} (J: recorded verdicts)",
                    on_off(s.arp_responder),
                    on_off(s.icmp_responder)
                )
            } else if s.notes_seen > 0 {
                "recorded verdicts: what ringside did (J: judge again)".to_string()
            } else {
                "verdicts show what ringside would have answered".to_string()
            };
            let mut t = format!("ringside replay {} · {verdicts}", clean(file));
            if let Some((done, total)) = s.progress {
                if !s.finished && total > 0 {
                    let pct = u128::from(done.min(total)) * 100 / u128::from(total);
                    t.push_str(&format!(" · loading {pct}%"));
                }
            }
            if s.finished {
                t.push_str(" · loaded");
            }
            t
        }
    };
    let state = if app.frozen.is_some() {
        let new = app.history.last_no().unwrap_or(0) - app.frozen.unwrap_or(0);
        format!("PAUSED (+{new})")
    } else if app.follow {
        if matches!(app.mode, Mode::Replay { .. }) {
            "FOLLOWING"
        } else {
            "LIVE"
        }
        .into()
    } else {
        "BROWSING (G: live)".into()
    };
    let right = match app.speed() {
        Some(sp) => format!(
            " {state} · t={:.1}s · {}x ",
            s.now.as_secs_f64(),
            fmt_speed(sp)
        ),
        None => format!(" {state} "),
    };
    let w = area.width as usize;
    let left_w = w.saturating_sub(right.chars().count());
    let line = Line::from(vec![
        Span::styled(
            pad(&format!(" {what}"), left_w),
            Style::default()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
        ),
        Span::styled(
            fit(&right, w),
            Style::default()
                .fg(Color::Black)
                .bg(if app.frozen.is_some() {
                    Color::Yellow
                } else {
                    Color::White
                })
                .add_modifier(Modifier::BOLD),
        ),
    ]);
    f.render_widget(Paragraph::new(line), area);
}

fn switch(name: &str, on: bool, key: &str) -> Vec<Span<'static>> {
    vec![
        Span::raw(name.to_string()),
        Span::styled(
            if on { " ON " } else { " OFF " },
            Style::default()
                .fg(Color::Black)
                .bg(if on {
                    Color::LightGreen
                } else {
                    Color::LightRed
                })
                .add_modifier(Modifier::BOLD),
        ),
        Span::styled(format!("[{key}] "), Style::default().fg(Color::Gray)),
    ]
}

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    if area.height == 0 {
        return;
    }
    let s = &app.status;
    let c = &s.counters;
    let w = area.width as usize;
    let mut spans = Vec::new();
    spans.extend(switch("ARP", s.arp_responder, "a"));
    spans.extend(switch("ICMP", s.icmp_responder, "i"));
    if let Some(p) = &s.peer {
        let (text, color) = match p.arp_entry {
            // The state word is the one `ip neigh` prints, as in the ARP panel.
            Some((_, left)) => (
                format!("peer's entry {} {left:.0}s", p.neigh_state),
                Color::LightGreen,
            ),
            None => (
                format!("peer's entry gone ({})", p.neigh_state),
                Color::LightRed,
            ),
        };
        spans.push(Span::styled(text, Style::default().fg(color)));
        spans.push(Span::raw(format!(" lost {}  ", p.pings_lost)));
    }
    let no_reply = c.frames_in.saturating_sub(c.answered);
    spans.push(Span::raw(format!(
        "rx {} tx {} no-reply {}  ",
        c.frames_in, c.frames_out, no_reply
    )));
    let n = if w >= 140 { 20 } else { 8 };
    let series = app.pps_series(n);
    let last_full = series.len().checked_sub(2).map(|i| series[i]).unwrap_or(0);
    spans.push(Span::styled(
        sparkline(&series),
        Style::default().fg(Color::LightCyan),
    ));
    spans.push(Span::raw(format!(" {last_full} pps  ")));
    let mut ring = format!(
        "handoff {}/{} lost {}",
        s.handoff_used, s.handoff_capacity, s.handoff_dropped
    );
    if s.link.kernel_drops > 0 || w >= 140 {
        ring.push_str(&format!("  kernel drops {}", s.link.kernel_drops));
    }
    if let Some((used, total)) = s.link.ring_used {
        ring.push_str(&format!("  ring {used}/{total}"));
    }
    spans.push(Span::raw(ring));
    f.render_widget(
        Paragraph::new(Line::from(spans)),
        Rect { height: 1, ..area },
    );
    if area.height < 2 {
        return;
    }
    let r2 = Rect {
        y: area.y + 1,
        height: 1,
        ..area
    };
    let line = if let Some(buf) = &app.input {
        let mut v = vec![
            Span::styled(
                "filter: /",
                Style::default()
                    .fg(Color::Yellow)
                    .add_modifier(Modifier::BOLD),
            ),
            Span::raw(clean(buf)),
            Span::styled("█", Style::default().fg(Color::Yellow)),
        ];
        if let Some(m) = &app.message {
            v.push(Span::styled(
                format!("  {}", clean(&m.text)),
                Style::default().fg(Color::LightRed),
            ));
        } else {
            v.push(Span::styled(
                "  Enter apply · Esc cancel",
                Style::default().fg(Color::Gray),
            ));
        }
        Line::from(v)
    } else if let Some(m) = &app.message {
        Line::styled(
            fit(&clean(&m.text), w),
            Style::default().fg(if m.error {
                Color::LightRed
            } else {
                Color::LightGreen
            }),
        )
    } else {
        let mut hints = String::new();
        if let Some(e) = &s.error {
            hints.push_str(&format!("capture stopped: {} · ", clean(e)));
        }
        hints.push_str("? help  q quit  / filter  a ARP  i ICMP  space pause  Tab panes  w save");
        if app.speed().is_some() {
            hints.push_str("  +/- speed");
        }
        Line::styled(fit(&hints, w), Style::default().fg(Color::Gray))
    };
    f.render_widget(Paragraph::new(line), r2);
}
