//! The `?` overlay: every key, from [`super::keys::KEYS`].
use super::keys::KEYS;
use super::text::fit;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

pub fn render(f: &mut Frame, area: Rect) {
    let w = area.width.min(76);
    let h = area.height.min(KEYS.len() as u16 + 4);
    if w < 10 || h < 3 {
        return;
    }
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    let inner_w = w.saturating_sub(2) as usize;
    let mut lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(
                    format!(" {k:<11}"),
                    Style::default()
                        .fg(Color::Yellow)
                        .add_modifier(Modifier::BOLD),
                ),
                Span::raw(fit(what, inner_w.saturating_sub(12))),
            ])
        })
        .collect();
    lines.push(Line::styled(
        fit(
            " → ringside sent  ✓ answered  ← nothing due  ✗ not answered + reason",
            inner_w,
        ),
        Style::default().fg(Color::Gray),
    ));
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(" Keys · ? Esc q close this ")
                .border_style(Style::default().fg(Color::Yellow)),
        ),
        r,
    );
}
