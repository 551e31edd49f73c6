//! Keys and mouse to [`Action`]s. The table below is also what the `?` overlay shows.
use super::app::Action;
use ratatui::crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

/// (keys, what they do): the help overlay and the README's key table.
pub const KEYS: &[(&str, &str)] = &[
    (
        "↑ ↓  k j",
        "move in the focused pane (frames, fields, hex rows)",
    ),
    ("PgUp PgDn", "a page of frames up / down"),
    ("g  Home", "first frame"),
    ("G  End", "last frame, and follow new frames (live tail)"),
    (
        "space",
        "demo: freeze / run simulated time; live: pause the view",
    ),
    (
        ".",
        "demo: one event (the next frame or timer), then frozen",
    ),
    ("n  p", "next / previous frame, from any pane"),
    ("Enter Tab", "next pane: packets → layers/fields → hex"),
    ("Shift-Tab", "previous pane"),
    (
        "/",
        "filter: arp, icmp, udp, 198.51.100.1, port 9, in, out,",
    ),
    ("", "  dropped, bad; combine with and / or / not ( )"),
    (
        "Esc",
        "clear the filter / close the prompt / back to packets",
    ),
    ("a", "ARP responder on / off"),
    ("i", "ICMP (echo) responder on / off"),
    (
        "+  -",
        "simulated time faster / slower, 0.01x to 100x (demo)",
    ),
    ("v", "right-hand panel: hex / ARP caches / C struct"),
    ("w", "write the history to ringside-YYYYmmdd-HHMMSS.pcap"),
    ("?", "this help (? Esc q close it)"),
    ("q  Ctrl-C", "quit"),
    ("mouse", "click a frame or a field; wheel scrolls"),
];

/// Map a terminal event. `typing`: the filter prompt is open (letters are text).
pub fn action(ev: &Event, typing: bool) -> Option<Action> {
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => key(k, typing),
        Event::Mouse(m) => mouse(m),
        _ => None,
    }
}

fn key(k: &KeyEvent, typing: bool) -> Option<Action> {
    if k.modifiers.contains(KeyModifiers::CONTROL) {
        return match k.code {
            KeyCode::Char('c') => Some(Action::Interrupt),
            _ => None,
        };
    }
    if typing {
        return match k.code {
            KeyCode::Enter => Some(Action::Submit),
            KeyCode::Esc => Some(Action::Escape),
            KeyCode::Backspace => Some(Action::Backspace),
            KeyCode::Char(c) => Some(Action::Char(c)),
            _ => None,
        };
    }
    Some(match k.code {
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Up | KeyCode::Char('k') => Action::Up,
        KeyCode::Down | KeyCode::Char('j') => Action::Down,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::Home | KeyCode::Char('g') => Action::First,
        KeyCode::End | KeyCode::Char('G') => Action::Last,
        KeyCode::Char(' ') => Action::TogglePause,
        KeyCode::Char('.') => Action::Step,
        KeyCode::Char('n') => Action::NextFrame,
        KeyCode::Char('p') => Action::PrevFrame,
        KeyCode::Enter => Action::Submit,
        KeyCode::Tab => Action::NextPane,
        KeyCode::BackTab => Action::PrevPane,
        KeyCode::Char('/') => Action::StartFilter,
        KeyCode::Esc => Action::Escape,
        KeyCode::Char('a') => Action::ToggleArp,
        KeyCode::Char('i') => Action::ToggleIcmp,
        KeyCode::Char('+') | KeyCode::Char('=') => Action::Faster,
        KeyCode::Char('-') => Action::Slower,
        KeyCode::Char('w') => Action::WritePcap,
        KeyCode::Char('?') | KeyCode::F(1) => Action::ToggleHelp,
        KeyCode::Char('v') => Action::CycleSide,
        _ => return None,
    })
}

fn mouse(m: &MouseEvent) -> Option<Action> {
    match m.kind {
        MouseEventKind::Down(MouseButton::Left) => Some(Action::Click(m.column, m.row)),
        MouseEventKind::ScrollUp => Some(Action::ScrollUp(m.column, m.row)),
        MouseEventKind::ScrollDown => Some(Action::ScrollDown(m.column, m.row)),
        _ => None,
    }
}
