//! The packet list, Wireshark's columns: No., Time, Source, Destination, Protocol, Length, Info,
//! plus what ringside did, as a marker at every width: `→` sent by ringside, `✓` received and
//! answered, `←` received and nothing was due (delivered, held), `✗` not answered, with the
//! reason (its own column on wide screens, after Info elsewhere). Only the visible rows are dissected.
use super::app::{App, Pane};
use super::text::{clean, fit, pad};
use crate::capture::Direction;
use crate::stack::{DropReason, Verdict};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

/// No-reply verdicts that are not a failure (nothing was expected back).
pub fn benign(r: DropReason) -> bool {
    matches!(
        r,
        DropReason::ArpNoReplyNeeded | DropReason::UdpDelivered | DropReason::FragmentHeld
    )
}

/// Marker, verdict text and colour for a frame. `pending`: read from the file ahead of the
/// judge pass, so no verdict yet.
fn verdict_cell(
    dir: Direction,
    v: Option<Verdict>,
    pending: bool,
) -> (&'static str, &'static str, Style) {
    match (dir, v) {
        _ if pending => ("·", "not judged yet", Style::default().fg(Color::DarkGray)),
        (Direction::Out, _) => ("→", "sent", Style::default().fg(Color::Cyan)),
        (Direction::In, Some(Verdict::Answered(a))) => ("✓", a.name(), Style::default()),
        (Direction::In, Some(Verdict::NoReply(r))) if benign(r) => {
            ("←", r.name(), Style::default().fg(Color::Gray))
        }
        (Direction::In, Some(Verdict::NoReply(r))) => {
            ("✗", r.name(), Style::default().fg(Color::LightRed))
        }
        (Direction::In, None) => ("←", "", Style::default()),
    }
}

struct Cols {
    no: usize,
    time: usize,
    addr: usize,
    proto: usize,
    len: usize,
    verdict: usize,
}

/// Column widths for a list `width` wide: the fixed columns shrink a little on small screens,
/// the verdict gets its own column only where Info still has room (elsewhere the marker and a
/// `✗ reason` after Info say it), and Info takes everything left.
fn cols(width: usize, last_no: u64) -> Cols {
    let no = last_no.to_string().len().max(3);
    if width >= 150 {
        Cols {
            no,
            time: 10,
            addr: 17,
            proto: 5,
            len: 5,
            verdict: 20,
        }
    } else if width >= 110 {
        Cols {
            no,
            time: 9,
            addr: 17,
            proto: 5,
            len: 4,
            verdict: 0,
        }
    } else {
        Cols {
            no,
            time: 7,
            addr: 15,
            proto: 5,
            len: 4,
            verdict: 0,
        }
    }
}

pub fn render(f: &mut Frame, area: Rect, app: &mut App) {
    let focused = app.focus == Pane::List;
    let total = app.view_len();
    let mut title = match &app.filter {
        Some(fl) => format!(" Packets · filter: {} · {total} shown ", clean(&fl.text)),
        None => format!(" Packets · {total} "),
    };
    if let Some((checked, all)) = app.filter_checked() {
        if checked < all {
            title.push_str(&format!("· checked {checked} of {all} "));
        }
    }
    if app.history.evicted() > 0 && app.history.file().is_none() {
        title.push_str(&format!("· {} oldest evicted ", app.history.evicted()));
    }
    let block = Block::bordered()
        .title(fit(&title, area.width.saturating_sub(2) as usize))
        .border_style(super::pane_border(focused));
    let inner = block.inner(area);
    f.render_widget(block, area);
    app.hits.list = area;
    if inner.height == 0 || inner.width == 0 {
        app.hits.list_rows = Rect::default();
        return;
    }
    let w = inner.width as usize;
    let (first, count) = app.history.span();
    let c = cols(w, (first + count).saturating_sub(1));
    let header = {
        let mut s = format!(
            "  {} {} {} {} {} {} ",
            pad("No.", c.no),
            pad("Time", c.time),
            pad("Source", c.addr),
            pad("Destination", c.addr),
            pad("Proto", c.proto),
            pad("Len", c.len)
        );
        if c.verdict > 0 {
            s.push_str(&pad("ringside did", c.verdict));
            s.push(' ');
        }
        s.push_str("Info");
        Line::styled(
            fit(&s, w),
            Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        )
    };
    f.render_widget(Paragraph::new(header), Rect { height: 1, ..inner });
    let rows_area = Rect {
        y: inner.y + 1,
        height: inner.height - 1,
        ..inner
    };
    let h = rows_area.height as usize;
    app.page = h.max(1);
    app.hits.list_rows = rows_area;
    if h == 0 {
        return;
    }
    if total == 0 {
        let msg = if app.filter.is_some() {
            "No frame matches the filter (Esc clears it)."
        } else {
            "Waiting for frames…"
        };
        f.render_widget(
            Paragraph::new(msg).style(Style::default().fg(Color::DarkGray)),
            rows_area,
        );
        app.hits.list_first = 0;
        return;
    }
    // Scroll so the selection is visible (the newest rows when following).
    let sel = app.selected_pos();
    let mut top = app.list_top.min(total.saturating_sub(1));
    if let Some(s) = sel {
        if s < top {
            top = s;
        } else if s >= top + h {
            top = s + 1 - h;
        }
    }
    if top + h > total {
        top = total.saturating_sub(h);
    }
    app.list_top = top;
    app.hits.list_first = top;
    let t0 = app.history.t0();
    // With a file behind the history, rows not held are read from it, in one go.
    let nos: Vec<u64> = (top..(top + h).min(total))
        .filter_map(|i| app.view_no(i))
        .collect();
    app.prefetch(&nos);
    let mut lines = Vec::with_capacity(h);
    for i in top..(top + h).min(total) {
        let Some(no) = app.view_no(i) else { break };
        let Some(row) = app.row(no) else { break };
        let Some(fr) = app.frame(no) else { break };
        let e = *fr.entry;
        let (mark, vtext, vstyle) = verdict_cell(e.dir, e.verdict, e.pending);
        // Earlier than the first frame (merged captures, a clock step): negative, as Wireshark.
        let time = e.ts.as_secs_f64() - t0.as_secs_f64();
        let s = &row.summary;
        let mut info = clean(&s.info);
        if app.sources > 1 {
            info = format!("[{}] {info}", fit(&clean(&app.source_name(e.source)), 20));
        }
        if let Some(link) = app.links.get(no) {
            info = format!("{info} · {}", link.describe());
        }
        if c.verdict == 0 && e.dir == Direction::In {
            if let Some(Verdict::NoReply(r)) = e.verdict {
                if !benign(r) {
                    info = format!("{info} ✗ {}", r.name());
                }
            }
        }
        let mut text = format!(
            "{mark} {} {} {} {} {} {} ",
            pad(&no.to_string(), c.no),
            pad(&format!("{time:.3}"), c.time),
            pad(&clean(&s.src), c.addr),
            pad(&clean(&s.dst), c.addr),
            pad(s.protocol, c.proto),
            pad(&e.orig_len.to_string(), c.len),
        );
        if c.verdict > 0 {
            text.push_str(&pad(vtext, c.verdict));
            text.push(' ');
        }
        text.push_str(&info);
        let mut style = vstyle;
        if sel == Some(i) {
            style = if focused {
                Style::default()
                    .fg(Color::Black)
                    .bg(Color::LightBlue)
                    .add_modifier(Modifier::BOLD)
            } else {
                Style::default().fg(Color::Black).bg(Color::Gray)
            };
        }
        lines.push(Line::from(Span::styled(pad(&text, w), style)));
    }
    f.render_widget(Paragraph::new(lines), rows_area);
}
