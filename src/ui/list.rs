//! The packet list, Wireshark's columns: No., Time, Source, Destination, Protocol, Length, Info,
//! plus what ringside did, as a marker at every width: `→` sent by ringside, `✓` received and
//! answered, `←` received and nothing was due (delivered, held), `✗` not answered, with the
//! reason (its own column on wide screens, after Info elsewhere). Only the visible rows are dissected.
use super::chrome::pane_block;
use super::history::Entry;
use super::text::{clean, fit, pad};
use crate::capture::Direction;
use crate::stack::{DropReason, Verdict};
use crate::wire::Summary;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, StatefulWidget, Widget};

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

/// One row of the list, as [`App`](super::app::App) hands it over: the frame's record, its
/// summary and the context shown after Info.
#[derive(Clone, Debug)]
pub struct ListRow {
    pub no: u64,
    pub entry: Entry,
    pub summary: Summary,
    /// Seconds since the first frame (negative for a frame earlier than it).
    pub time: f64,
    /// A merged replay: the short name of the file the frame came from.
    pub source: Option<String>,
    /// The request/reply pair it belongs to ("reply in 12 (0.2 ms)").
    pub link: Option<String>,
}

/// The list's own state, kept between draws: its scroll position and, from the last draw, where
/// it was (for the mouse) and how many rows it showed (for PgUp/PgDn).
#[derive(Clone, Debug)]
pub struct PacketListState {
    /// View index of the top row.
    pub top: usize,
    /// Rows shown last draw (at least 1).
    pub page: usize,
    /// The whole pane, and its rows under the column header, as last drawn.
    pub area: Rect,
    pub rows_area: Rect,
}

impl Default for PacketListState {
    fn default() -> Self {
        PacketListState {
            top: 0,
            page: 10,
            area: Rect::default(),
            rows_area: Rect::default(),
        }
    }
}

impl PacketListState {
    /// Scroll so row `selected` of `total` is among the `height` rows shown (the newest rows
    /// when following); returns the new top row. Called before the rows are fetched, so only
    /// the rows on screen are dissected.
    pub fn scroll_into_view(
        &mut self,
        selected: Option<usize>,
        total: usize,
        height: usize,
    ) -> usize {
        let mut top = self.top.min(total.saturating_sub(1));
        if let Some(s) = selected {
            if s < top {
                top = s;
            } else if s >= top + height {
                top = s + 1 - height;
            }
        }
        if top + height > total {
            top = total.saturating_sub(height);
        }
        self.top = top;
        top
    }

    /// The view index of the row drawn at screen row `y`, if `y` is on a row.
    pub fn row_at(&self, p: ratatui::layout::Position) -> Option<usize> {
        self.rows_area
            .contains(p)
            .then(|| self.top + (p.y - self.rows_area.y) as usize)
    }
}

/// The packet list: a [`StatefulWidget`] over the rows on screen (from [`PacketListState::top`]).
pub struct PacketList<'a> {
    /// Frames in the view (after the filter).
    pub total: usize,
    /// The filter's text, when one is set.
    pub filter: Option<&'a str>,
    /// With a file behind the history and a filter: (frames checked, of all).
    pub checked: Option<(u64, u64)>,
    /// Frames evicted from the history's memory budget.
    pub evicted: u64,
    /// The highest frame number there is (sizes the No. column).
    pub last_no: u64,
    /// The rows from the state's top row, as many as fit (or fewer at the end).
    pub rows: Vec<ListRow>,
    /// View index of the selected frame.
    pub selected: Option<usize>,
    pub focused: bool,
}

impl PacketList<'_> {
    /// Rows of frames a list drawn in `area` shows (the border and column header taken off).
    pub fn rows_height(area: Rect) -> usize {
        Block::bordered().inner(area).height.saturating_sub(1) as usize
    }
}

impl StatefulWidget for PacketList<'_> {
    type State = PacketListState;

    fn render(self, area: Rect, buf: &mut Buffer, state: &mut PacketListState) {
        let total = self.total;
        let mut title = match self.filter {
            Some(text) => format!(" Packets · filter: {} · {total} shown ", clean(text)),
            None => format!(" Packets · {total} "),
        };
        if let Some((checked, all)) = self.checked {
            if checked < all {
                title.push_str(&format!("· checked {checked} of {all} "));
            }
        }
        if self.evicted > 0 {
            title.push_str(&format!("· {} oldest evicted ", self.evicted));
        }
        let block = pane_block(
            fit(&title, area.width.saturating_sub(2) as usize),
            self.focused,
        );
        let inner = block.inner(area);
        block.render(area, buf);
        state.area = area;
        if inner.height == 0 || inner.width == 0 {
            state.rows_area = Rect::default();
            return;
        }
        let w = inner.width as usize;
        let c = cols(w, self.last_no);
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
        Paragraph::new(header).render(Rect { height: 1, ..inner }, buf);
        let rows_area = Rect {
            y: inner.y + 1,
            height: inner.height - 1,
            ..inner
        };
        let h = rows_area.height as usize;
        state.page = h.max(1);
        state.rows_area = rows_area;
        if h == 0 {
            return;
        }
        if total == 0 {
            let msg = if self.filter.is_some() {
                "No frame matches the filter (Esc clears it)."
            } else {
                "Waiting for frames…"
            };
            Paragraph::new(msg)
                .style(Style::default().fg(Color::DarkGray))
                .render(rows_area, buf);
            return;
        }
        let lines: Vec<Line> = self
            .rows
            .iter()
            .take(h)
            .enumerate()
            .map(|(k, row)| {
                let selected = self.selected == Some(state.top + k);
                Line::from(row_span(row, &c, w, selected, self.focused))
            })
            .collect();
        Paragraph::new(lines).render(rows_area, buf);
    }
}

/// One frame's row, padded to the list's width `w`.
fn row_span(row: &ListRow, c: &Cols, w: usize, selected: bool, focused: bool) -> Span<'static> {
    let e = row.entry;
    let (mark, vtext, vstyle) = verdict_cell(e.dir, e.verdict, e.pending);
    let s = &row.summary;
    let mut info = clean(&s.info);
    if let Some(src) = &row.source {
        info = format!("[{}] {info}", fit(&clean(src), 20));
    }
    if let Some(link) = &row.link {
        info = format!("{info} · {link}");
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
        pad(&row.no.to_string(), c.no),
        pad(&format!("{:.3}", row.time), c.time),
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
    if selected {
        style = if focused {
            Style::default()
                .fg(Color::Black)
                .bg(Color::LightBlue)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(Color::Black).bg(Color::Gray)
        };
    }
    Span::styled(pad(&text, w), style)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The list scrolls only as far as it must to show the selection, and never past the end.
    #[test]
    fn scrolls_just_enough_to_show_the_selection() {
        let mut st = PacketListState::default();
        assert_eq!(
            st.scroll_into_view(Some(3), 100, 10),
            0,
            "row 3 is on the first page"
        );
        assert_eq!(
            st.scroll_into_view(Some(15), 100, 10),
            6,
            "row 15 is the last one shown"
        );
        assert_eq!(
            st.scroll_into_view(Some(10), 100, 10),
            6,
            "still in view: no jump"
        );
        assert_eq!(
            st.scroll_into_view(Some(2), 100, 10),
            2,
            "up: it becomes the top row"
        );
        assert_eq!(st.scroll_into_view(Some(99), 100, 10), 90);
        assert_eq!(st.scroll_into_view(None, 5, 10), 0, "fewer rows than room");
    }
}
