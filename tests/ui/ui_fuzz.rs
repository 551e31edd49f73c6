//! The TUI against hostile input, through ratatui's `TestBackend` (no terminal, no clock):
//! captures (every file under assets/, the odd captures of tests/support/odd_captures.rs, seeded
//! hostile frames, random timestamps: backwards, equal, years apart) x key and mouse sequences
//! (every key the app binds, random keys, the filter prompt with random text) x terminal sizes
//! (1x1 up to 300x100, 10 lines high among them), with a fixed seed.
//!
//! Every run asserts: nothing panics, and no cell of any drawn screen holds a control character
//! (C0 < 0x20, DEL, C1 0x80-0x9f), which a real terminal would act on. A failing run names its
//! index; `UI_FUZZ_RUN=N` replays that run alone. `RINGSIDE_PROOF_SCALE=K` runs K times as many.
use crate::support::corpus_gen;
use crate::support::odd_captures;

use corpus_gen::{hostile_corpus, scale, Rec, Rng};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::Terminal;
use ringside::capture::{Captured, Direction, Status};
use ringside::link::PeerView;
use ringside::stack::{Outbox, PrintedDatagram, Stack, StackConfig, Verdict};
use ringside::ui::app::App;
use ringside::ui::{draw, keys, Mode};
use std::net::Ipv4Addr;
use std::path::Path;
use std::time::Duration;

/// Runs at scale 1 (CI). Each run draws several screens.
const RUNS: usize = 2000;
const SEED: u64 = 0x5eed_0016_f022_0001;

/// One frame to feed: its timestamp and record.
type Frame = (Duration, Rec);

/// Every capture the fuzz draws from, each a list of frames in file order.
fn captures() -> Vec<(String, Vec<Frame>)> {
    let mut out = Vec::new();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("assets")];
    let mut files = Vec::new();
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
                files.push(p);
            }
        }
    }
    files.sort();
    assert!(!files.is_empty(), "no captures under assets/");
    for p in files {
        let mut r = ringside::pcap::CaptureReader::open(&p).expect("assets open");
        let mut frames = Vec::new();
        while let Ok(Some(f)) = r.next_frame() {
            frames.push((
                f.ts,
                Rec {
                    data: f.data.to_vec(),
                    orig_len: f.orig_len,
                },
            ));
        }
        out.push((p.display().to_string(), frames));
    }
    for c in odd_captures::odd_captures(SEED) {
        out.push((c.name.to_string(), c.frames));
    }
    let hostile = hostile_corpus(SEED ^ 1, 500);
    out.push((
        "hostile".into(),
        hostile
            .into_iter()
            .enumerate()
            .map(|(i, r)| (Duration::from_millis(i as u64), r))
            .collect(),
    ));
    out
}

/// Timestamps as the run wants them: as in the file, or rewritten.
fn retime(r: &mut Rng, frames: &mut [Frame]) {
    match r.below(5) {
        0 | 1 => {}
        2 => {
            // Backwards, in steps up to a minute.
            let mut t = 1_000_000_000.0;
            for f in frames.iter_mut() {
                t -= r.below(60_000) as f64 / 1000.0;
                f.0 = Duration::from_secs_f64(t.max(0.0));
            }
        }
        3 => {
            // Random anywhere a pcap can date a frame, including 0 and the last second.
            for f in frames.iter_mut() {
                f.0 = match r.below(4) {
                    0 => Duration::ZERO,
                    1 => Duration::new(u64::from(u32::MAX), 999_999_000),
                    _ => Duration::from_micros(r.next_u64() % (u64::from(u32::MAX) * 1_000_000)),
                };
            }
        }
        _ => {
            // All in the same microsecond.
            for f in frames.iter_mut() {
                f.0 = Duration::from_secs(5);
            }
        }
    }
}

/// Every key the app binds (keys.rs), and some it does not.
const BOUND: &[KeyCode] = &[
    KeyCode::Char('q'),
    KeyCode::Up,
    KeyCode::Char('k'),
    KeyCode::Down,
    KeyCode::Char('j'),
    KeyCode::PageUp,
    KeyCode::PageDown,
    KeyCode::Home,
    KeyCode::Char('g'),
    KeyCode::End,
    KeyCode::Char('G'),
    KeyCode::Char(' '),
    KeyCode::Char('n'),
    KeyCode::Char('p'),
    KeyCode::Enter,
    KeyCode::Tab,
    KeyCode::BackTab,
    KeyCode::Char('/'),
    KeyCode::Esc,
    KeyCode::Char('a'),
    KeyCode::Char('i'),
    KeyCode::Char('+'),
    KeyCode::Char('='),
    KeyCode::Char('-'),
    KeyCode::Char('w'),
    KeyCode::Char('?'),
    KeyCode::F(1),
    KeyCode::Char('v'),
    KeyCode::Backspace,
    KeyCode::Delete,
    KeyCode::Left,
    KeyCode::Right,
    KeyCode::F(5),
];

/// Text for the filter prompt: filter words, numbers, operators, and hostile characters.
const FILTER_BITS: &[&str] = &[
    "icmp",
    "udp",
    "arp",
    "ip",
    "port",
    "host",
    "src",
    "dst",
    "and",
    "or",
    "not",
    "(",
    ")",
    "==",
    "!=",
    "9",
    "7",
    "198.51.100.1",
    "255.255.255.255",
    "0",
    "65536",
    "99999999999999999999",
    "verdict",
    "answered",
    "in",
    "out",
    " ",
    "\u{1b}[2J",
    "\u{7}",
    "\u{9b}",
    "\u{85}",
    "\t",
    "\r",
    "\u{7f}",
    "界",
    "👍🏽",
    "\u{301}",
    "\u{200b}",
    "\u{202e}",
    "a",
];

fn key(code: KeyCode, mods: KeyModifiers) -> Event {
    Event::Key(KeyEvent {
        code,
        modifiers: mods,
        kind: KeyEventKind::Press,
        state: ratatui::crossterm::event::KeyEventState::NONE,
    })
}

/// One random terminal event, aimed inside (mostly) a `w`x`h` screen.
fn event(r: &mut Rng, w: u16, h: u16) -> Vec<Event> {
    let mouse = |kind, x: u16, y: u16| {
        Event::Mouse(MouseEvent {
            kind,
            column: x,
            row: y,
            modifiers: KeyModifiers::NONE,
        })
    };
    let (x, y) = if r.chance(90) {
        (r.below(u64::from(w)) as u16, r.below(u64::from(h)) as u16)
    } else {
        (r.u16(), r.u16())
    };
    match r.below(20) {
        0..=10 => vec![key(r.pick(BOUND), KeyModifiers::NONE)],
        11 => vec![key(KeyCode::Char(char::from(r.u8())), KeyModifiers::NONE)],
        12 => vec![key(KeyCode::Char('c'), KeyModifiers::CONTROL)],
        13 => vec![mouse(MouseEventKind::Down(MouseButton::Left), x, y)],
        14 => vec![mouse(MouseEventKind::ScrollUp, x, y)],
        15 => vec![mouse(MouseEventKind::ScrollDown, x, y)],
        _ => {
            // The filter prompt: open it, type random text, maybe submit or cancel.
            let mut v = vec![key(KeyCode::Char('/'), KeyModifiers::NONE)];
            for _ in 0..r.range(0, 8) {
                for c in r.pick(FILTER_BITS).chars() {
                    v.push(key(KeyCode::Char(c), KeyModifiers::NONE));
                }
                if r.chance(10) {
                    v.push(key(KeyCode::Backspace, KeyModifiers::NONE));
                }
            }
            v.push(key(
                r.pick(&[KeyCode::Enter, KeyCode::Enter, KeyCode::Esc, KeyCode::Tab]),
                KeyModifiers::NONE,
            ));
            v
        }
    }
}

/// A terminal size: any from 1x1 to 300x100, with the edges and 10 lines high often.
fn size(r: &mut Rng) -> (u16, u16) {
    let w = match r.below(6) {
        0 => r.range(1, 12) as u16,
        1 | 2 => r.pick(&[39, 40, 41, 79, 80, 119, 120, 121, 136, 137, 139, 140, 300]),
        3 => r.range(1, 300) as u16,
        _ => r.range(1, 100) as u16,
    };
    let h = match r.below(6) {
        0 => 10,
        1 => r.range(1, 12) as u16,
        2 => r.pick(&[24, 29, 30, 31, 48, 100]),
        3 => r.range(1, 100) as u16,
        _ => r.range(1, 40) as u16,
    };
    (w, h)
}

/// A status as a capture thread could publish it, with hostile text where text comes from
/// outside (interface names, peer names, errors, printed payloads).
fn status(r: &mut Rng, stack: &Stack, now: Duration, mode: &Mode) -> Status {
    let hostile = "eth0\u{1b}[31m\u{7}\u{9b}2J\r\n\t界";
    Status {
        counters: stack.counters().clone(),
        arp_cache: stack.arp_cache(now),
        reassembly_bytes: stack.reassembly_bytes(),
        arp_responder: r.chance(50),
        icmp_responder: r.chance(50),
        link_desc: if r.chance(50) {
            hostile.into()
        } else {
            "rs0".into()
        },
        peer: (matches!(mode, Mode::Demo) || r.chance(20)).then(|| PeerView {
            name: if r.chance(50) {
                hostile.into()
            } else {
                "pc".into()
            },
            mac: [2, 0, 0, 0, 0, 1],
            ip: Ipv4Addr::new(198, 51, 100, 1),
            arp_entry: r
                .chance(50)
                .then(|| ([2, 0x52, 0x53, 0, 0, 2], r.below(100) as f64 - 20.0)),
            neigh_state: r.pick(&["REACHABLE", "STALE", "DELAY", "PROBE", "FAILED", "NONE"]),
            frozen: r.chance(30),
            pings_sent: r.next_u64() >> r.below(64),
            pings_answered: r.next_u64() >> r.below(64),
            pings_lost: r.next_u64() >> r.below(64),
            arp_unanswered: r.below(5),
            speed: r.pick(&[0.25, 1.0, 64.0, f64::MIN_POSITIVE]),
        }),
        handoff_dropped: r.next_u64() >> r.below(64),
        handoff_used: r.below(70_000) as usize,
        handoff_capacity: r.pick(&[0, 1, 65_536]),
        printed: (0..r.below(3))
            .map(|_| PrintedDatagram {
                at: now,
                from: (Ipv4Addr::new(198, 51, 100, 1), r.u16()),
                payload: odd_captures::CONTROL_BYTES.to_vec(),
                orig_len: r.below(100_000) as usize,
            })
            .collect(),
        now,
        progress: r
            .chance(50)
            .then(|| (r.next_u64() >> 1, r.next_u64() >> r.below(64))),
        finished: r.chance(50),
        error: r.chance(10).then(|| hostile.to_string()),
        ..Status::default()
    }
}

/// The first control character in the drawn screen, with where it is.
fn control_cell(buf: &Buffer) -> Option<(u16, u16, String)> {
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let sym = buf[(x, y)].symbol();
            if sym
                .chars()
                .any(|c| (c as u32) < 0x20 || (0x7f..=0x9f).contains(&(c as u32)))
            {
                return Some((x, y, sym.escape_debug().to_string()));
            }
        }
    }
    None
}

/// What one run covered.
#[derive(Default)]
struct Tally {
    frames: u64,
    events: u64,
    draws: u64,
}

fn one_run(run: usize, caps: &[(String, Vec<Frame>)], tally: &mut Tally) {
    let mut r = Rng::new(SEED ^ (run as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let (name, all) = &caps[r.below(caps.len() as u64) as usize];
    // A window of the capture (a long one is cut: the point is variety, not volume).
    let start = r.below(all.len().max(1) as u64) as usize * usize::from(r.chance(50));
    let n = r.range(0, 150).min(all.len() - start.min(all.len()));
    let mut frames: Vec<Frame> = all[start.min(all.len())..][..n].to_vec();
    retime(&mut r, &mut frames);
    let mode = match r.below(3) {
        0 => Mode::Demo,
        1 => Mode::Live {
            interface: "rs0\u{1b}[7m".into(),
        },
        _ => Mode::Replay {
            file: format!("{name}\u{7}\u{9b}"),
        },
    };
    // A small history budget sometimes, so frames are evicted under the selection.
    let budget = if r.chance(30) {
        r.range(0, 4096)
    } else {
        16 << 20
    };
    let mut app = App::new(mode.clone(), budget);
    if r.chance(30) {
        app.caption = Some("Lesson \u{1b}[2J caption\u{9b}\u{7}".into());
    }
    let mut stack = Stack::new(StackConfig::default());
    let mut out = Outbox::new();
    // The extremes for certain in the first runs, random sizes after.
    let (mut w, mut h) = match run {
        0 => (1, 1),
        1 => (300, 100),
        2 => (80, 10),
        3 => (40, 10),
        _ => size(&mut r),
    };
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut fed = 0;
    let mut now = Duration::ZERO;
    let rounds = r.range(1, 4);
    for round in 0..rounds {
        // Some frames arrive (as the capture thread hands them over), then keys, then a draw.
        let until = if round + 1 == rounds {
            frames.len()
        } else {
            (fed + r.range(0, frames.len())).min(frames.len())
        };
        for (ts, rec) in &frames[fed..until] {
            now = *ts;
            out.clear();
            let verdict = stack.handle_frame(now, &rec.data, false, &mut out);
            let dir = if r.chance(10) {
                Direction::Out
            } else {
                Direction::In
            };
            app.ingest(&Captured {
                source: r.below(3) as u16,
                link: ringside::wire::LinkKind::Ethernet,
                responders: Default::default(),
                ts: *ts,
                dir,
                data: rec.data.clone(),
                orig_len: rec.orig_len,
                csum_not_ready: r.chance(10),
                verdict: (dir == Direction::In).then_some(verdict).or_else(|| {
                    r.chance(5)
                        .then_some(Verdict::NoReply(ringside::stack::DropReason::Malformed))
                }),
            });
            tally.frames += 1;
        }
        fed = until;
        app.set_status(status(&mut r, &stack, now, &mode));
        for _ in 0..r.range(0, 12) {
            for ev in event(&mut r, w, h) {
                tally.events += 1;
                if let Some(a) = keys::action(&ev, app.input.is_some()) {
                    app.handle(a);
                }
                app.controls.clear();
                app.write_requested = false; // the run loop would write a file: not here
                app.quit = false;
            }
            if r.chance(15) {
                term.draw(|f| draw(f, &mut app)).unwrap();
                tally.draws += 1;
                check(run, name, &term);
            }
        }
        if r.chance(40) {
            (w, h) = size(&mut r);
            term.backend_mut().resize(w, h);
            term.resize(ratatui::layout::Rect::new(0, 0, w, h)).unwrap();
        }
        term.draw(|f| draw(f, &mut app)).unwrap();
        tally.draws += 1;
        check(run, name, &term);
    }
}

fn check(run: usize, name: &str, term: &Terminal<TestBackend>) {
    if let Some((x, y, sym)) = control_cell(term.backend().buffer()) {
        panic!(
            "run {run} ({name}): a control character reached the screen at ({x},{y}): \
             {sym:?}\n{}",
            term.backend()
        );
    }
}

#[test]
fn the_tui_survives_hostile_captures_keys_and_sizes() {
    let caps = captures();
    let only: Option<usize> = std::env::var("UI_FUZZ_RUN")
        .ok()
        .and_then(|s| s.parse().ok());
    let runs: Vec<usize> = match only {
        Some(i) => vec![i],
        None => (0..RUNS * scale()).collect(),
    };
    let mut tally = Tally::default();
    for &run in &runs {
        let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            one_run(run, &caps, &mut tally)
        }));
        if let Err(e) = res {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("run {run} failed (replay it with UI_FUZZ_RUN={run}): {msg}");
        }
    }
    eprintln!(
        "ui_fuzz: {} runs over {} captures: {} frames ingested, {} key/mouse events, {} screens drawn",
        runs.len(),
        caps.len(),
        tally.frames,
        tally.events,
        tally.draws
    );
    assert!(only.is_some() || tally.draws >= runs.len() as u64);
}

/// The issue 16 crash, kept as its own case: a replay whose timestamps go backwards drew a
/// sparkline from an index past its end on the first draw.
#[test]
fn backwards_timestamps_draw_a_sparkline() {
    let mut app = App::new(Mode::Replay { file: "x".into() }, 1 << 20);
    let frame = hostile_corpus(3, 1).remove(0).data;
    for s in [100u64, 99, 98, 80, 200, 5, 4_000_000_000, 0] {
        app.ingest(&Captured {
            source: 0,
            link: ringside::wire::LinkKind::Ethernet,
            responders: Default::default(),
            ts: Duration::from_secs(s),
            dir: Direction::In,
            data: frame.clone(),
            orig_len: frame.len() as u32,
            csum_not_ready: false,
            verdict: None,
        });
    }
    for n in [0, 1, 8, 20, 200] {
        let series = app.pps_series(n);
        assert!(series.len() <= n, "{n}: {series:?}");
    }
    let mut term = Terminal::new(TestBackend::new(160, 90)).unwrap();
    term.draw(|f| draw(f, &mut app)).unwrap();
    // The Time column counts from the first frame: earlier frames are negative, not 0.
    let screen = format!("{}", term.backend());
    for t in [
        "-1.000", "-2.000", "-20.000", "100.000", "-95.000", "-100.000",
    ] {
        assert!(screen.contains(t), "Time column {t}:\n{screen}");
    }
    // A clock step back within the window counts in its own second: 3 frames at 98..=100.
    let mut app = App::new(Mode::Replay { file: "x".into() }, 1 << 20);
    for s in [100u64, 99, 100, 98] {
        app.ingest(&Captured {
            source: 0,
            link: ringside::wire::LinkKind::Ethernet,
            responders: Default::default(),
            ts: Duration::from_secs(s),
            dir: Direction::In,
            data: frame.clone(),
            orig_len: frame.len() as u32,
            csum_not_ready: false,
            verdict: None,
        });
    }
    assert_eq!(app.pps_series(3), vec![1, 1, 2]);
}

/// The screen check itself can fail: a cell holding ESC, DEL or a C1 character is found.
/// (ratatui's debug build also asserts when it measures such a cell, so a draw that let one
/// through panics first; release builds would send it to the terminal.)
#[test]
fn control_cell_finds_c0_del_and_c1() {
    for sym in ["\u{1b}", "\u{7f}", "\u{9b}", "a\u{85}", "\n"] {
        let mut buf = Buffer::empty(ratatui::layout::Rect::new(0, 0, 4, 2));
        buf[(2, 1)].set_symbol(sym);
        assert_eq!(
            control_cell(&buf).map(|(x, y, _)| (x, y)),
            Some((2, 1)),
            "{sym:?}"
        );
    }
    let mut buf = Buffer::empty(ratatui::layout::Rect::new(0, 0, 4, 2));
    buf[(0, 0)].set_symbol("界");
    assert_eq!(control_cell(&buf), None);
}
