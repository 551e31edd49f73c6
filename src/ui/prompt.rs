//! The prompt under the status bar and its keys: `/` types a filter, `:` (or Ctrl-G) a frame
//! number to go to, as Wireshark's display filter bar and "Go to packet". While it is open every
//! key is text (see [`super::keys::action`]) until Enter or Esc.
use super::app::{Action, App};
use super::filter::Filter;

/// Open the filter prompt, holding the filter set now (to edit it).
pub fn open_filter(app: &mut App) {
    app.goto = false;
    app.input = Some(
        app.filter
            .as_ref()
            .map(|f| f.text.clone())
            .unwrap_or_default(),
    );
}

/// Open the go-to prompt, empty.
pub fn open_goto(app: &mut App) {
    app.goto = true;
    app.input = Some(String::new());
}

/// A key while the filter prompt is open: Enter applies the filter (an empty one clears it; one
/// that does not parse stays in the prompt, with the reason said), Esc closes the prompt.
pub fn filter_key(app: &mut App, a: Action) {
    if edit(app, a) {
        return;
    }
    if a != Action::Submit {
        return;
    }
    let text = app.input.take().unwrap_or_default();
    if text.trim().is_empty() {
        app.set_filter(None);
        app.message = None;
        return;
    }
    match Filter::parse(&text) {
        Ok(f) => {
            app.set_filter(Some(f));
            app.message = None;
        }
        Err(e) => {
            app.say(format!("filter: {e}"), true);
            app.input = Some(text);
        }
    }
}

/// A key while the go-to prompt is open: Enter selects the frame typed, Esc closes the prompt.
pub fn goto_key(app: &mut App, a: Action) {
    if edit(app, a) {
        return;
    }
    if a == Action::Submit {
        let text = app.input.take().unwrap_or_default();
        go_to(app, text.trim());
    }
}

/// Typing, Backspace and Esc, the same in both prompts; true if `a` was one of them (or a key
/// that means nothing here).
fn edit(app: &mut App, a: Action) -> bool {
    let Some(buf) = app.input.as_mut() else {
        return true;
    };
    match a {
        Action::Char(c) if !c.is_control() => {
            buf.push(c);
            app.message = None; // the live check under the prompt takes over
        }
        Action::Backspace => {
            buf.pop();
            app.message = None;
        }
        Action::Escape => app.input = None,
        Action::Submit => return false,
        _ => {}
    }
    true
}

/// Select frame `text` (a number), as Wireshark's Go to packet. A frame the filter hides, or
/// one evicted from the history, is named as such.
fn go_to(app: &mut App, text: &str) {
    let Ok(no) = text.parse::<u64>() else {
        app.say(format!("go to: '{text}' is not a frame number"), true);
        return;
    };
    let (first, count) = app.history.span();
    match app.view_pos(no) {
        Ok(i) => {
            app.follow = false;
            app.select_pos(i);
            app.message = None;
        }
        Err(_)
            if app
                .filter_checked()
                .is_some_and(|(checked, _)| no > checked) =>
        {
            app.say(
                format!("frame {no} is not checked by the filter yet (Esc clears it)"),
                true,
            )
        }
        Err(_) if app.history.get(no).is_some() || (no >= first && no < first + count) => app.say(
            format!("frame {no} is hidden by the filter (Esc clears it)"),
            true,
        ),
        Err(_) if app.history.file().is_some_and(|fb| !fb.index().done()) => app.say(
            format!("frame {no} is not indexed yet ({count} so far): try again in a moment"),
            true,
        ),
        Err(_) if no < app.history.first_no() && no > 0 => app.say(
            format!("frame {no} is no longer in the history (its memory budget)"),
            true,
        ),
        Err(_) => app.say(
            format!(
                "there is no frame {no} (frames {first}–{})",
                (first + count).saturating_sub(1)
            ),
            true,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::app::{KeyMode, Mode};

    fn typed(app: &mut App, text: &str) {
        for c in text.chars() {
            app.handle(Action::Char(c));
        }
    }

    /// Each mode gets its own keys: in a prompt `q` is text and Esc closes only the prompt;
    /// under the help, `/` waits and Esc closes the help.
    #[test]
    fn keys_go_to_the_mode_open() {
        let mut app = App::new(Mode::Demo, 1 << 20);
        assert_eq!(app.key_mode(), KeyMode::Normal);
        app.handle(Action::StartGoto);
        assert_eq!(app.key_mode(), KeyMode::GoTo);
        typed(&mut app, "q1");
        assert_eq!(app.input.as_deref(), Some("q1"));
        assert!(!app.quit, "q is text in a prompt");
        app.handle(Action::Submit);
        assert_eq!(app.key_mode(), KeyMode::Normal);
        let said = app.message.as_ref().map(|m| m.text.as_str());
        assert_eq!(said, Some("go to: 'q1' is not a frame number"));

        app.handle(Action::StartFilter);
        assert_eq!(app.key_mode(), KeyMode::Filter);
        typed(&mut app, "udp &&");
        app.handle(Action::Submit);
        assert_eq!(
            app.key_mode(),
            KeyMode::Filter,
            "a bad filter stays to be fixed"
        );
        assert!(app.message.as_ref().is_some_and(|m| m.error));
        app.handle(Action::Escape);
        assert_eq!(app.key_mode(), KeyMode::Normal);
        assert!(app.filter.is_none());

        app.handle(Action::ToggleHelp);
        assert_eq!(app.key_mode(), KeyMode::Help);
        app.handle(Action::StartFilter);
        assert_eq!(
            app.key_mode(),
            KeyMode::Help,
            "the help waits for its close keys"
        );
        app.handle(Action::Escape);
        assert_eq!(app.key_mode(), KeyMode::Normal);
        assert!(!app.quit);
    }
}
