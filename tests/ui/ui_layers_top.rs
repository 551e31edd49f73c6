//! The top line of the layers pane starts something: a bracketed context line, a header's title,
//! a field, a diagram row. Never the rest of a wrapped line (lesson 6, frame 5 at 80x24 once
//! showed "#3(1480), #4(1480), #5(1048)]" with "[3 IPv4 Fragments (4008 bytes):" scrolled away),
//! nor a flag bit without its field. Checked on every frame and field of every lesson, at a
//! laptop's 80x24, a short terminal and a projector's 160x48, and under the mouse wheel.
use crate::support::ui as ui_support;
use ringside::capture::{Captured, Status};
use ringside::lessons::{Opens, LESSONS};
use ringside::ui::app::{Action, App, Pane};
use ringside::ui::Mode;
use ui_support::{render, Lesson};

/// Every header name the pane titles a layer with (`LayerKind::name`).
const TITLES: &[&str] = &[
    "Ethernet II",
    "Linux cooked capture",
    "IEEE 802.2 LLC",
    "IPv6",
    "IPv6 extension header",
    "ICMPv6",
    "802.1Q VLAN tag",
    "ARP",
    "IPv4",
    "ICMP",
    "Quoted IPv4 datagram",
    "UDP",
    "Payload",
    "Trailer (padding)",
];

fn frames(name: &str) -> Vec<Captured> {
    ui_support::asset_frames(name)
}

/// The app `ringside lesson N` opens: its capture replayed (or the demo run for 20 simulated
/// seconds), with its caption line.
fn lesson_app(n: u32) -> App {
    let l = ringside::lessons::lesson(n).unwrap();
    let mut app = match l.opens {
        Opens::Capture(file) => {
            let mut app = App::new(Mode::Replay { file: file.into() }, 64 << 20);
            for c in frames(file) {
                app.ingest(&c);
            }
            app.set_status(Status::default());
            app
        }
        Opens::Demo { .. } => {
            let mut lesson = Lesson::new();
            lesson.run_until(20.0);
            lesson.app
        }
    };
    app.caption = Some(l.caption.to_string());
    app.follow = false;
    app
}

/// The layers pane's first line inside its border, and the screen row it is on (None: no
/// layers pane drawn at this size).
fn pane_top(screen: &str) -> Option<(usize, String)> {
    let rows: Vec<&str> = screen.lines().collect();
    let y = rows.iter().position(|r| r.starts_with("┌ Layers"))?;
    let width = rows[y].chars().skip(1).position(|c| c == '┐')?;
    let row = rows.get(y + 1).filter(|r| r.starts_with('│'))?;
    Some((y + 1, row.chars().skip(1).take(width).collect()))
}

/// `line` (the pane's top) begins something a reader can start from.
fn starts_something(line: &str) -> bool {
    let l = line.trim_end();
    l.is_empty()
        || l.starts_with('[')
        || l.starts_with("Reassembled IPv4 datagram")
        || TITLES.iter().any(|t| l.starts_with(&format!("{t} (")))
        // One field per line: two spaces, then the label (a flag bit has four).
        || (l.starts_with("  ") && !l[2..].starts_with(' '))
        // The diagram: a row's border or cells, or the ruler's tens (not its ones).
        || l.starts_with('+')
        || l.starts_with('|')
        || (l.starts_with(" 0 ") && !l.starts_with(" 0 1 2"))
        || l.starts_with("No frame selected")
}

#[test]
fn lesson_6_frame_5_at_80x24_shows_the_whole_fragments_line() {
    let mut app = lesson_app(6);
    app.selected = Some(5);
    let screen = render(&mut app, 80, 24);
    let (_, top) = pane_top(&screen).expect("a layers pane at 80x24");
    assert!(
        top.starts_with("[3 IPv4 Fragments (4008 bytes):"),
        "the pane's top cuts the fragments line:\n{screen}"
    );
    // ...and the selected field (the destination MAC) is still in view under it.
    assert!(
        screen.contains("  Destination: 02:52:53:00:00:02"),
        "{screen}"
    );
    insta::assert_snapshot!("lesson6_frame5_80x24", screen);
    // At a projector's size the line is not wrapped, and on top too.
    let big = render(&mut app, 160, 48);
    let (_, top) = pane_top(&big).expect("a layers pane at 160x48");
    assert!(
        top.starts_with("[3 IPv4 Fragments (4008 bytes): #3(1480), #4(1480), #5(1048)]"),
        "{big}"
    );
}

#[test]
fn the_layers_pane_never_starts_on_a_continuation() {
    let mut checked = 0;
    // Lessons that open the same capture (or the demo) show the same frames: check each once.
    let mut seen = Vec::new();
    for lesson in LESSONS {
        let source = match lesson.opens {
            Opens::Capture(file) => file,
            Opens::Demo { .. } => "the demo",
        };
        if seen.contains(&source) {
            continue;
        }
        seen.push(source);
        let mut app = lesson_app(lesson.number);
        app.focus = Pane::Layers;
        let nos: Vec<u64> = (0..app.view_len().min(16))
            .filter_map(|i| app.view_no(i))
            .collect();
        // A laptop, short terminals (10 lines has no room for the pane; 13 gives it one line),
        // a projector.
        for (w, h) in [(80, 24), (80, 16), (80, 13), (80, 10), (160, 48)] {
            for &no in &nos {
                app.selected = Some(no);
                app.select_field(0);
                // Down through every field, as a student does with j.
                let mut last = usize::MAX;
                while app.field != last {
                    last = app.field;
                    let screen = render(&mut app, w, h);
                    if let Some((_, top)) = pane_top(&screen) {
                        assert!(
                            starts_something(&top),
                            "lesson {}, frame {no}, field {}, {w}x{h}: the pane starts \
                             mid-line with {top:?}:\n{screen}",
                            lesson.number,
                            app.field
                        );
                        checked += 1;
                    }
                    app.handle(Action::Down);
                }
            }
        }
    }
    assert!(checked > 500, "only {checked} screens had a layers pane");
}

#[test]
fn the_wheel_steps_over_continuations_both_ways_and_never_sticks() {
    let mut app = lesson_app(6);
    app.selected = Some(5);
    let screen = render(&mut app, 80, 24);
    let (y, _) = pane_top(&screen).unwrap();
    let (x, y) = (5, y as u16);
    let mut tops = Vec::new();
    for _ in 0..40 {
        app.handle(Action::ScrollDown(x, y));
        let screen = render(&mut app, 80, 24);
        let (_, top) = pane_top(&screen).unwrap();
        assert!(starts_something(&top), "wheel down: {top:?}\n{screen}");
        tops.push(top);
    }
    // It got to the end: the last header's payload row is in view.
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("  Data: "), "{screen}");
    assert!(tops.windows(2).any(|p| p[0] != p[1]), "the wheel moved");
    for _ in 0..40 {
        app.handle(Action::ScrollUp(x, y));
        let screen = render(&mut app, 80, 24);
        let (_, top) = pane_top(&screen).unwrap();
        assert!(starts_something(&top), "wheel up: {top:?}\n{screen}");
    }
    let (_, top) = pane_top(&render(&mut app, 80, 24)).unwrap();
    assert!(
        top.starts_with("[3 IPv4 Fragments"),
        "back at the top: {top:?}"
    );
}
