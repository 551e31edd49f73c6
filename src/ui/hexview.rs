//! Hex + ASCII view of the selected frame: bytes coloured by layer, the selected field's bytes
//! highlighted (from `Field::byte_range`), non-printable bytes as `.` in the ASCII column.
use super::chrome::pane_block;
use super::text::{fit, layer_color};
use crate::wire::Dissection;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, StatefulWidget, Widget};
use std::ops::Range;

/// Bytes per row that fit in `width` columns (16 or 8, or 4 when very narrow).
pub fn bytes_per_row(width: u16) -> usize {
    // "0000  " + 3 per byte + 1 gap + 1 per byte
    if width >= 6 + 16 * 4 + 2 {
        16
    } else if width > 5 + 8 * 4 {
        8
    } else {
        4
    }
}

/// The hex dump lines of `data`.
pub fn lines(
    data: &[u8],
    d: Option<&Dissection>,
    per_row: usize,
    highlight: Option<Range<usize>>,
) -> Vec<Line<'static>> {
    let hl = Style::default()
        .fg(Color::Black)
        .bg(Color::Yellow)
        .add_modifier(Modifier::BOLD);
    let byte_style = |i: usize| {
        if highlight.as_ref().is_some_and(|r| r.contains(&i)) {
            return hl;
        }
        match d.and_then(|d| d.layer_at(i)) {
            Some(l) => Style::default().fg(layer_color(l.kind)),
            None => Style::default(),
        }
    };
    let mut out = Vec::new();
    for (row, chunk) in data.chunks(per_row).enumerate() {
        let base = row * per_row;
        let mut spans = vec![Span::styled(
            format!("{base:04x}  "),
            Style::default().fg(Color::DarkGray),
        )];
        for (k, &b) in chunk.iter().enumerate() {
            let mut buf = [0u8; 2];
            // Two hex digits, no allocation.
            let digits = match hex::encode_to_slice([b], &mut buf) {
                Ok(()) => std::str::from_utf8(&buf).unwrap_or("??").to_string(),
                Err(_) => "??".into(),
            };
            spans.push(Span::styled(digits, byte_style(base + k)));
            let gap = if k + 1 == 8 && per_row == 16 {
                "  "
            } else {
                " "
            };
            spans.push(Span::raw(gap));
        }
        // Pad a short last row so the ASCII column lines up.
        let missing = per_row - chunk.len();
        let mut padw = missing * 3;
        if per_row == 16 && chunk.len() < 8 {
            padw += 1;
        }
        spans.push(Span::raw(" ".repeat(padw + 1)));
        for (k, &b) in chunk.iter().enumerate() {
            let c = if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            };
            spans.push(Span::styled(c.to_string(), byte_style(base + k)));
        }
        out.push(Line::from(spans));
    }
    out
}

/// The hex pane's own state: its scroll (in rows) and where it was last drawn (for the mouse).
#[derive(Clone, Debug, Default)]
pub struct HexState {
    pub scroll: u16,
    pub area: Rect,
}

/// The hex pane: a [`StatefulWidget`] over the selected frame's bytes.
pub struct HexView<'a> {
    /// The selected frame (its number, bytes and dissection), if any.
    pub frame: Option<(u64, &'a [u8], &'a Dissection)>,
    /// The selected field (its bytes are highlighted).
    pub field: usize,
    /// Scroll to keep the selected field's bytes in view (off once the wheel scrolled).
    pub follow_field: bool,
    pub focused: bool,
}

impl StatefulWidget for HexView<'_> {
    type State = HexState;

    fn render(self, area: Rect, buf: &mut Buffer, state: &mut HexState) {
        state.area = area;
        let Some((no, data, d)) = self.frame else {
            pane_block(" Hex ", self.focused).render(area, buf);
            return;
        };
        let inner_w = area.width.saturating_sub(2);
        let inner_h = area.height.saturating_sub(2) as usize;
        let per = bytes_per_row(inner_w);
        let hl = d.fields.get(self.field).map(|x| x.byte_range());
        let title = match &hl {
            Some(r) if !r.is_empty() => format!(
                " Hex · frame {no} · {} bytes · selected {}..{} ",
                data.len(),
                r.start,
                r.end
            ),
            _ => format!(" Hex · frame {no} · {} bytes ", data.len()),
        };
        let body = lines(data, Some(d), per, hl.clone());
        let mut scroll = state.scroll;
        if self.follow_field {
            if let Some(r) = hl.filter(|r| !r.is_empty()) {
                let (a, b) = ((r.start / per) as u16, ((r.end - 1) / per) as u16);
                if a < scroll {
                    scroll = a;
                } else if b as usize >= scroll as usize + inner_h {
                    scroll = (b as usize + 1).saturating_sub(inner_h) as u16;
                }
            }
        }
        scroll = scroll.min((body.len().saturating_sub(inner_h)) as u16);
        state.scroll = scroll;
        let block = pane_block(
            fit(&title, area.width.saturating_sub(2) as usize),
            self.focused,
        );
        Paragraph::new(body)
            .block(block)
            .scroll((scroll, 0))
            .render(area, buf);
    }
}
