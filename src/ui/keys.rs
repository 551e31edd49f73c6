//! Keys and mouse to [`Action`]s. The table below is also what the `?` overlay shows.
use super::app::Action;
use ratatui::crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

/// (keys, what they do): the one list of keys. The `?` overlay draws it, README's key table is
/// [`markdown_table`] of it (a test compares them), and LESSONS.md names only keys in it.
pub const KEYS: &[(&str, &str)] = &[
    ("↑ ↓  k j", "move in the focused pane (frames, fields, hex rows)"),
    ("PgUp PgDn", "a page of frames up / down"),
    ("g  Home", "first frame"),
    ("G  End", "last frame, and follow new frames (live tail)"),
    ("n  p", "next / previous frame, from any pane"),
    (":  Ctrl-G", "go to frame N"),
    ("Tab  Enter", "next pane: packets → layers/fields → hex (Shift-Tab back)"),
    (
        "/",
        "filter: arp icmp udp port 9 in out dropped bad, or fields: ipv4.ttl == 1, ipv4.addr == 198.51.100.0/24; && || ! ( )",
    ),
    ("Esc", "clear the filter / close the prompt / back to packets"),
    ("space", "demo: freeze / run time; live: pause the view (capture goes on)"),
    (".", "demo: one event (the next frame or timer), then frozen"),
    ("+  -", "simulated time faster / slower, 0.01x to 100x (demo)"),
    ("a  i", "ARP / ICMP echo responder on / off"),
    ("v", "right-hand panel: hex / ARP caches / C struct / ring"),
    ("w", "write the history to ringside-YYYYmmdd-HHMMSS.pcapng"),
    (
        "J",
        "replay: recorded verdicts / judge again with current settings",
    ),
    ("?  F1", "this help (? Esc q close it)"),
    ("q  Ctrl-C", "quit"),
    ("mouse", "click a frame or a field; wheel scrolls"),
];

/// README's key table, generated from [`KEYS`].
pub fn markdown_table() -> String {
    let mut s = String::from("| keys | action |\n|---|---|\n");
    for (k, what) in KEYS {
        let keys = k.split_whitespace().collect::<Vec<_>>().join(" ");
        s.push_str(&format!("| {keys} | {} |\n", what.replace('|', "\\|")));
    }
    s
}

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
            KeyCode::Char('g') if !typing => Some(Action::StartGoto),
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
        KeyCode::Char(':') => Action::StartGoto,
        KeyCode::Esc => Action::Escape,
        KeyCode::Char('a') => Action::ToggleArp,
        KeyCode::Char('i') => Action::ToggleIcmp,
        KeyCode::Char('+') | KeyCode::Char('=') => Action::Faster,
        KeyCode::Char('-') => Action::Slower,
        KeyCode::Char('w') => Action::WritePcap,
        KeyCode::Char('J') => Action::Rejudge,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// README's key table is exactly [`KEYS`]: edit KEYS, then paste `markdown_table()` (this
    /// test prints it) into README.md.
    #[test]
    fn readme_key_table_is_the_help_list() {
        let readme = include_str!("../../README.md");
        let table = markdown_table();
        assert!(
            readme.contains(&table),
            "README.md's key table differs from ui::keys::KEYS; it should read:\n{table}"
        );
    }

    /// Every key LESSONS.md's table tells the class to press is one the program binds.
    #[test]
    fn lessons_keys_are_bound() {
        let lessons = include_str!("../../LESSONS.md");
        let table = lessons
            .split("| keys | what |")
            .nth(1)
            .expect("LESSONS.md has its key table");
        let bound: Vec<&str> = KEYS
            .iter()
            .flat_map(|(k, _)| k.split_whitespace())
            .collect();
        for row in table.lines().skip(2).take_while(|l| l.starts_with('|')) {
            let cell = row.split('|').nth(1).unwrap_or("");
            for key in cell.split('`').skip(1).step_by(2) {
                let keys: Vec<&str> = if key == "/" {
                    vec!["/"]
                } else {
                    key.split('/').collect()
                };
                for k in keys {
                    assert!(
                        bound.contains(&k),
                        "LESSONS.md names `{k}`, which ui::keys::KEYS does not list"
                    );
                }
            }
        }
    }
}
