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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::build::{udp, EthIp};

    /// Drawn on its own from a frame and a field: the pane scrolls to the selected field's
    /// bytes unless the wheel took over, and remembers where it was drawn.
    #[test]
    fn scrolls_to_the_selected_field_unless_pinned() {
        let h = EthIp {
            src_mac: [2, 0, 0, 0, 0, 1],
            dst_mac: [2, 0, 0, 0, 0, 2],
            src_ip: [198, 51, 100, 1].into(),
            dst_ip: [198, 51, 100, 2].into(),
            ttl: 64,
            ip_id: 1,
        };
        let mut data = Vec::new();
        udp(&mut data, &h, 40000, 9, &[0x41; 400]);
        let mut d = Dissection::default();
        d.parse(&data, false);
        let last = d.fields.len() - 1;
        let end = d.fields[last].byte_range().end;
        assert!(
            end > 16 * 20,
            "the last field ends deep in the frame: {end}"
        );
        let area = Rect::new(0, 0, 80, 8);
        let draw = |follow_field: bool| {
            let mut buf = Buffer::empty(area);
            let mut st = HexState::default();
            let view = HexView {
                frame: Some((7, &data, &d)),
                field: last,
                follow_field,
                focused: true,
            };
            view.render(area, &mut buf, &mut st);
            (st, buf)
        };
        let (st, buf) = draw(true);
        assert_eq!(st.area, area);
        let rows = (end - 1) / 16 + 1;
        assert_eq!(
            st.scroll as usize,
            rows - 6,
            "the field's last row is the pane's last"
        );
        let top: String = (0..80).map(|x| buf[(x, 0)].symbol().to_string()).collect();
        assert!(top.contains("Hex · frame 7 · 442 bytes"), "{top}");
        let (st, _) = draw(false);
        assert_eq!(st.scroll, 0, "pinned by the wheel: stays where it was");
    }
}
