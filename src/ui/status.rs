//! The title bar and the status bar: responder switches, counters, a packets-per-second sparkline,
//! the capture hand-off ring, simulated speed; and the prompt / message / key hints line.
use super::app::{Message, Mode, SOURCE_SEP};
use super::controls::fmt_speed;
use super::history::FileBacked;
use super::text::{clean, fit, pad};
use crate::capture::Status;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

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

/// Where the view is, for the title bar's right end.
#[derive(Clone, Copy, Debug)]
pub struct ViewState {
    /// Simulated time is stopped (the demo's `space`).
    pub time_frozen: bool,
    /// The view is paused: frames arrived since.
    pub paused_new: Option<u64>,
    /// Following the newest frame.
    pub follow: bool,
    /// List row of the selected frame, and the frames there are.
    pub position: Option<usize>,
    pub total: u64,
    /// Simulated speed (the demo).
    pub speed: Option<f64>,
}

/// The title bar: a [`Widget`] naming the source, its progress, and the view's state.
pub struct TitleBar<'a> {
    pub mode: &'a Mode,
    pub status: &'a Status,
    /// A replay read through an index: the file behind the history.
    pub file: Option<&'a FileBacked>,
    pub view: ViewState,
}

impl Widget for TitleBar<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        title(self, area, buf)
    }
}

fn title(bar: TitleBar<'_>, area: Rect, buf: &mut Buffer) {
    let s = bar.status;
    let v = bar.view;
    let what = match bar.mode {
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
            // The files by name, as the list tags them (the directories would push the
            // verdicts and the progress off a narrow title).
            let names = file
                .split(SOURCE_SEP)
                .map(|f| {
                    std::path::Path::new(f)
                        .file_name()
                        .map_or_else(|| f.to_string(), |n| n.to_string_lossy().into_owned())
                })
                .collect::<Vec<_>>()
                .join(SOURCE_SEP);
            // Progress first: it is what changes while a large file loads.
            let mut t = format!("ringside replay {}", clean(&names));
            let pct = |done: u64, total: u64| u128::from(done.min(total)) * 100 / u128::from(total);
            let file = bar.file;
            if let Some(ix) = file.map(|fb| fb.index()).filter(|ix| !ix.done()) {
                // A large file: browsable while the index grows, judged behind it.
                let (done, total) = ix.progress();
                if total > 0 {
                    t.push_str(&format!(
                        " · indexing {}% ({} frames)",
                        pct(done, total),
                        ix.frames()
                    ));
                }
            }
            if let Some((done, total)) = s.progress {
                if !s.finished && total > 0 {
                    let what = if file.is_some() { "judging" } else { "loading" };
                    t.push_str(&format!(" · {what} {}%", pct(done, total)));
                }
            }
            if s.finished {
                t.push_str(" · loaded");
            }
            t.push_str(&format!(" · {verdicts}"));
            t
        }
    };
    let state = if v.time_frozen {
        "TIME FROZEN (. step, space run)".to_string()
    } else if let Some(new) = v.paused_new {
        format!("VIEW PAUSED (+{new}), capture goes on")
    } else {
        match (bar.mode, v.follow) {
            (Mode::Replay { .. }, _) => {
                let total = v.total;
                match v.position {
                    Some(i) => format!("frame {}/{total}", i + 1),
                    None => format!("{total} frames"),
                }
            }
            (Mode::Demo, true) => "FOLLOWING".into(),
            (Mode::Demo, false) => "BROWSING (G: follow)".into(),
            (Mode::Live { .. }, true) => "LIVE".into(),
            (Mode::Live { .. }, false) => "BROWSING (G: live)".into(),
        }
    };
    let right = match v.speed {
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
                .bg(if v.paused_new.is_some() || v.time_frozen {
                    Color::Yellow
                } else {
                    Color::White
                })
                .add_modifier(Modifier::BOLD),
        ),
    ]);
    Paragraph::new(line).render(area, buf);
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

/// The keys this mode uses, most needed first, packed into lines of `w` columns. Every key a
/// lesson tells the class to press is here, at every terminal size.
pub fn hint_lines(mode: &Mode, w: usize) -> Vec<String> {
    let mut keys: Vec<(&str, &str)> = Vec::new();
    match mode {
        Mode::Demo => keys.extend([
            ("space", "freeze time"),
            (".", "step"),
            ("+/-", "speed"),
            ("a", "ARP"),
            ("i", "ICMP"),
        ]),
        Mode::Live { .. } => keys.extend([("space", "pause view"), ("a", "ARP"), ("i", "ICMP")]),
        Mode::Replay { .. } => {}
    }
    keys.extend([
        ("v", "panel"),
        ("n/p", "frame"),
        ("Tab", "pane"),
        ("/", "filter"),
        (":", "go to"),
    ]);
    keys.push(match mode {
        Mode::Replay { .. } => ("g/G", "first/last"),
        Mode::Demo => ("G", "follow"),
        Mode::Live { .. } => ("G", "live"),
    });
    keys.extend([("w", "save"), ("?", "help"), ("q", "quit")]);
    let mut out = vec![String::new()];
    for (k, what) in keys {
        let item = format!("{k} {what}");
        let cur = out.last_mut().expect("one line at least");
        if !cur.is_empty() && cur.chars().count() + 2 + item.chars().count() > w {
            out.push(item);
        } else {
            if !cur.is_empty() {
                cur.push_str("  ");
            }
            cur.push_str(&item);
        }
    }
    out
}

/// One piece of the counters line: lower `rank` is kept longer when the line is too narrow.
struct Segment {
    rank: u8,
    spans: Vec<Span<'static>>,
}

fn seg(rank: u8, spans: Vec<Span<'static>>) -> Segment {
    Segment { rank, spans }
}

fn width_of(spans: &[Span<'_>]) -> usize {
    spans.iter().map(|s| s.content.chars().count()).sum()
}

/// The counters line's pieces for this mode, in display order, each ranked by what the lessons
/// need first: the responder switches and the peer's entry (lesson 4), the ring counters in
/// live (lesson 7), the stack's verdicts in replay (lessons 3, 5). Controls that do nothing in
/// a mode are not shown there (replay has no responders to switch, no rate, no hand-off ring
/// worth watching; only live has a kernel whose ring can drop).
fn segments(mode: &Mode, s: &Status, pps: &[u64], w: usize) -> Vec<Segment> {
    let c = &s.counters;
    let mut out = Vec::new();
    let replay = matches!(mode, Mode::Replay { .. });
    let live = matches!(mode, Mode::Live { .. });
    if !replay {
        out.push(seg(0, switch("ARP", s.arp_responder, "a")));
        out.push(seg(0, switch("ICMP", s.icmp_responder, "i")));
    }
    if let Some(p) = &s.peer {
        let (text, color) = match p.arp_entry {
            // The state word is the one `ip neigh` prints, as in the ARP panel.
            Some((_, left)) if left.is_finite() => (
                format!("peer's entry {} {left:.0}s", p.neigh_state),
                Color::LightGreen,
            ),
            Some(_) => (format!("peer's entry {}", p.neigh_state), Color::Yellow),
            None => (
                format!("peer's entry gone ({})", p.neigh_state),
                Color::LightRed,
            ),
        };
        out.push(seg(0, vec![Span::styled(text, Style::default().fg(color))]));
        out.push(seg(1, vec![Span::raw(format!(" lost {}  ", p.pings_lost))]));
    }
    let no_reply = c.frames_in.saturating_sub(c.answered);
    if replay {
        // Recorded verdicts are what ringside did; otherwise what it would have done.
        let mut t = if s.recorded_verdicts && s.notes_seen > 0 {
            format!(
                "{} frames as recorded: answered {}, no-reply {}",
                c.frames_in, c.answered, no_reply
            )
        } else {
            format!(
                "{} frames judged: would answer {}, no-reply {}",
                c.frames_in, c.answered, no_reply
            )
        };
        for (r, n) in c.nonzero() {
            t.push_str(&format!(" · {} {n}", r.name()));
        }
        if s.unsupported_link > 0 {
            // Cooked or raw-IP frames: shown, but the stack (Ethernet) never saw them.
            t.push_str(&format!(
                " · unsupported_link {} (not judged)",
                s.unsupported_link
            ));
        }
        out.push(seg(0, vec![Span::raw(t)]));
        return out;
    }
    out.push(seg(
        2,
        vec![Span::raw(format!(
            "rx {} tx {}  ",
            c.frames_in, c.frames_out
        ))],
    ));
    let ring_rank = if live { 1 } else { 4 };
    out.push(seg(
        ring_rank,
        vec![Span::raw(format!(
            "handoff {}/{} lost {}  ",
            s.handoff_used, s.handoff_capacity, s.handoff_dropped
        ))],
    ));
    if live {
        out.push(seg(
            1,
            vec![Span::raw(format!("kernel drops {}  ", s.link.kernel_drops))],
        ));
        if let Some((used, total)) = s.link.ring_used {
            out.push(seg(3, vec![Span::raw(format!("ring {used}/{total}  "))]));
        }
    }
    out.push(seg(3, vec![Span::raw(format!("no-reply {no_reply}  "))]));
    let n = if w >= 140 { 20 } else { 8 };
    let series = &pps[pps.len().saturating_sub(n)..];
    let last_full = series.len().checked_sub(2).map(|i| series[i]).unwrap_or(0);
    out.push(seg(
        5,
        vec![
            Span::styled(sparkline(series), Style::default().fg(Color::LightCyan)),
            Span::raw(format!(" {last_full} pps")),
        ],
    ));
    out
}

/// The counters line at width `w`: the lowest-ranked pieces are left out until it fits.
/// `pps`: frames per second, oldest first, up to [`PPS_SHOWN`] seconds.
pub fn counters_line(mode: &Mode, s: &Status, pps: &[u64], w: usize) -> Line<'static> {
    let mut segs = segments(mode, s, pps, w);
    while segs.len() > 1 && segs.iter().map(|s| width_of(&s.spans)).sum::<usize>() > w {
        let worst = segs.iter().map(|s| s.rank).max().unwrap_or(0);
        let i = segs.iter().rposition(|s| s.rank == worst).unwrap_or(0);
        segs.remove(i);
    }
    Line::from(segs.into_iter().flat_map(|s| s.spans).collect::<Vec<_>>())
}

/// Seconds of packets-per-second the counters line shows at most (on a wide screen).
pub const PPS_SHOWN: usize = 20;

/// The prompt being typed: a filter, or a frame number to go to.
#[derive(Clone, Copy, Debug)]
pub struct Prompt<'a> {
    pub text: &'a str,
    pub goto: bool,
}

/// The status bar: a [`Widget`] with the counters line, then the prompt, a message or the key
/// hints.
pub struct StatusBar<'a> {
    pub mode: &'a Mode,
    pub status: &'a Status,
    /// Frames per second, oldest first, the last [`PPS_SHOWN`] seconds.
    pub pps: &'a [u64],
    pub prompt: Option<Prompt<'a>>,
    pub message: Option<&'a Message>,
}

impl Widget for StatusBar<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        render(self, area, buf)
    }
}

fn render(bar: StatusBar<'_>, area: Rect, f: &mut Buffer) {
    if area.height == 0 {
        return;
    }
    let s = bar.status;
    let w = area.width as usize;
    Paragraph::new(counters_line(bar.mode, s, bar.pps, w)).render(Rect { height: 1, ..area }, f);
    if area.height < 2 {
        return;
    }
    let r2 = Rect {
        y: area.y + 1,
        height: 1,
        ..area
    };
    if let Some(Prompt { text: buf, goto }) = bar.prompt {
        // Validated as typed: green when it parses, red with the reason under it otherwise.
        let verdict = if goto {
            match buf.trim().parse::<u64>() {
                Ok(_) => Ok(()),
                Err(_) if buf.trim().is_empty() => Err("type a frame number".to_string()),
                Err(_) => Err(format!("'{}' is not a frame number", clean(buf.trim()))),
            }
        } else if buf.trim().is_empty() {
            Ok(())
        } else {
            super::filter::Filter::parse(buf).map(|_| ())
        };
        let color = if verdict.is_ok() {
            Color::LightGreen
        } else {
            Color::LightRed
        };
        let prompt = Line::from(vec![
            Span::styled(
                if goto { "go to frame: " } else { "filter: /" },
                Style::default()
                    .fg(Color::Yellow)
                    .add_modifier(Modifier::BOLD),
            ),
            Span::styled(clean(buf), Style::default().fg(color)),
            Span::styled("█", Style::default().fg(Color::Yellow)),
            Span::styled(
                "  Enter apply · Esc cancel",
                Style::default().fg(Color::Gray),
            ),
        ]);
        let under = match (bar.message, verdict) {
            (Some(m), _) => Line::styled(
                fit(&clean(&m.text), w),
                Style::default().fg(Color::LightRed),
            ),
            (None, Err(e)) => Line::styled(fit(&clean(&e), w), Style::default().fg(color)),
            (None, Ok(())) if goto => Line::raw(""),
            (None, Ok(())) => Line::styled(
                fit(
                    "arp icmp udp · port 9 · 198.51.100.1 · ipv4.ttl == 1 · udp.port == 9 · frame.len > 100 · && || ! ( )",
                    w,
                ),
                Style::default().fg(Color::Gray),
            ),
        };
        let r = Rect {
            height: area.height - 1,
            ..r2
        };
        Paragraph::new(vec![prompt, under]).render(r, f);
    } else if let Some(m) = bar.message {
        // The message over the key hints, which stay listed.
        let msg = Line::styled(
            fit(&clean(&m.text), w),
            Style::default().fg(if m.error {
                Color::LightRed
            } else {
                Color::LightGreen
            }),
        );
        let mut rows = vec![msg];
        rows.extend(
            hint_lines(bar.mode, w)
                .into_iter()
                .map(|l| Line::styled(fit(&l, w), Style::default().fg(Color::Gray))),
        );
        rows.truncate(area.height as usize - 1);
        let r = Rect {
            height: area.height - 1,
            ..r2
        };
        Paragraph::new(rows).render(r, f);
    } else {
        let mut lines = hint_lines(bar.mode, w);
        if let Some(e) = &s.error {
            lines.insert(0, format!("capture stopped: {}", clean(e)));
        }
        let rows: Vec<Line> = lines
            .into_iter()
            .take(area.height as usize - 1)
            .map(|l| Line::styled(fit(&l, w), Style::default().fg(Color::Gray)))
            .collect();
        let r = Rect {
            height: area.height - 1,
            ..r2
        };
        Paragraph::new(rows).render(r, f);
    }
}
