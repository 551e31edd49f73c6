//! The run loop draws only when something on screen changed: users watch ringside over SSH on
//! shared machines, and a screen at rest must not be redrawn 25 times a second. The loop is
//! driven turn by turn with a scripted event source, so draws are counted, not timed.
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{
    Event, KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind,
};
use ringside::capture::{self, CaptureOptions};
use ringside::link::pcap::PcapLink;
use ringside::stack::{Stack, StackConfig};
use ringside::ui::{Events, Mode, UiLoop, UiOptions};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Events a test queues; none waits when the queue is empty.
#[derive(Default)]
struct Script(VecDeque<Event>);

impl Events for Script {
    fn next(&mut self, _timeout: Duration) -> std::io::Result<Option<Event>> {
        Ok(self.0.pop_front())
    }
}

fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// A replay of udp-messages.pcapng (7 frames), run until the capture thread has finished and
/// every frame is on screen.
fn replay_at_rest(script: &mut Script) -> UiLoop<'static, TestBackend> {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/udp-messages.pcapng");
    let link = PcapLink::open(&file).unwrap();
    let opts = CaptureOptions {
        lossless: true,
        show_replies: false,
        ..CaptureOptions::default()
    };
    let handle = capture::spawn(Box::new(link), Stack::new(StackConfig::default()), opts);
    let ui_opts = UiOptions {
        mode: Mode::Replay {
            file: "udp-messages.pcapng".into(),
        },
        history_bytes: 1 << 20,
        caption: None,
    };
    let terminal = ratatui::Terminal::new(TestBackend::new(100, 30)).unwrap();
    let mut ui = UiLoop::new(handle, ui_opts, None, None, terminal).unwrap();
    // A bound for a broken capture thread, not a timing assertion.
    let give_up = Instant::now() + Duration::from_secs(20);
    while !(ui.app.status.finished && ui.app.view_len() == 7) {
        assert!(Instant::now() < give_up, "the replay never finished");
        assert!(ui.turn(script).unwrap());
        std::thread::sleep(Duration::from_millis(2));
    }
    // The turn that took the final snapshot drew it; one more takes in anything left.
    assert!(ui.turn(script).unwrap());
    ui
}

#[test]
fn a_screen_at_rest_is_not_redrawn_and_each_change_is() {
    let mut script = Script::default();
    let mut ui = replay_at_rest(&mut script);
    let drawn = ui.draws();
    assert!(drawn >= 1, "the first turn draws the screen");
    let shown = ui.terminal().backend().buffer().clone();
    for _ in 0..200 {
        assert!(ui.turn(&mut script).unwrap());
    }
    assert_eq!(
        ui.draws(),
        drawn,
        "200 turns with nothing new redrew the screen"
    );
    assert_eq!(ui.terminal().backend().buffer(), &shown);

    // A mouse move and an unbound key change nothing: no draw.
    script.0.push_back(Event::Mouse(MouseEvent {
        kind: MouseEventKind::Moved,
        column: 3,
        row: 3,
        modifiers: KeyModifiers::NONE,
    }));
    script.0.push_back(key(KeyCode::F(12)));
    assert!(ui.turn(&mut script).unwrap());
    assert!(ui.turn(&mut script).unwrap());
    assert_eq!(ui.draws(), drawn);

    // A key that moves the selection is drawn on the next turn, once.
    let selected = ui.app.selected;
    script.0.push_back(key(KeyCode::Down));
    assert!(ui.turn(&mut script).unwrap());
    assert!(ui.turn(&mut script).unwrap());
    assert_ne!(ui.app.selected, selected, "Down moved the selection");
    assert_eq!(ui.draws(), drawn + 1);
    assert_ne!(
        ui.terminal().backend().buffer(),
        &shown,
        "the move is on screen"
    );

    // A resize is redrawn too (the terminal may have cleared what was there).
    script.0.push_back(Event::Resize(100, 30));
    assert!(ui.turn(&mut script).unwrap());
    assert!(ui.turn(&mut script).unwrap());
    assert_eq!(ui.draws(), drawn + 2);

    // `q` ends the loop.
    script.0.push_back(key(KeyCode::Char('q')));
    assert!(!ui.turn(&mut script).unwrap());
    let (_app, status) = ui.finish();
    assert!(status.finished && status.error.is_none(), "{status:?}");
}
