//! What every pane shares: its border (the focused pane's in yellow) and the bordered block a pane
//! draws into. Panes import this, not `ui/mod.rs`, so a pane depends only on the data it draws.
//! Colours here are the dark theme's; [`super::text::paint`] maps them to the chosen theme.
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::Block;

/// The border style of a pane: bright when it has the keyboard focus.
pub fn pane_border(focused: bool) -> Style {
    if focused {
        Style::default().fg(Color::LightYellow)
    } else {
        Style::default().fg(Color::DarkGray)
    }
}

/// A pane's bordered block with `title`.
pub fn pane_block<'a>(title: impl Into<Line<'a>>, focused: bool) -> Block<'a> {
    Block::bordered()
        .title(title)
        .border_style(pane_border(focused))
}
