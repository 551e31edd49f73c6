//! A whole lesson on one thread: the simulated LAN and a real stack in lockstep (simulated clock,
//! no sleeping), frames fed to the UI state as the capture thread would, the screen rendered to a
//! `TestBackend`. Deterministic: the same calls give the same screen.
#![allow(dead_code)]
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use ringside::capture::run_lockstep;
use ringside::capture::{Control, Status};
use ringside::link::sim::{SimConfig, SimLan};
use ringside::link::Link;
use ringside::link::LinkControl;
use ringside::stack::{PrintedDatagram, Stack, StackConfig};
use ringside::ui::app::{Action, App};
use ringside::ui::{draw, Mode};
use std::time::Duration;

pub struct Lesson {
    pub sim: SimLan,
    pub stack: Stack,
    pub app: App,
    /// What the UDP print sink got (the capture thread keeps these for the status).
    pub printed: Vec<PrintedDatagram>,
    /// Controls applied, as the capture thread counts them.
    pub applied: u64,
}

impl Lesson {
    pub fn new() -> Self {
        Self::with(SimConfig::default())
    }

    pub fn with(cfg: SimConfig) -> Self {
        let stack = Stack::new(StackConfig::default());
        let mut l = Lesson {
            sim: SimLan::lockstep(cfg),
            stack,
            app: App::new(Mode::Demo, 64 << 20),
            printed: Vec::new(),
            applied: 0,
        };
        l.publish();
        l
    }

    /// Run simulated time up to `secs` (from the lesson's start).
    pub fn run_until(&mut self, secs: f64) {
        let until = Duration::from_secs_f64(secs);
        let app = &mut self.app;
        run_lockstep(&mut self.sim, &mut self.stack, until, &mut |c| {
            app.ingest(&c)
        })
        .expect("the simulated LAN does not fail");
        self.printed.extend(self.stack.take_printed());
        self.publish();
    }

    /// One wake-up of the capture loop (what the capture thread does about 20 times a second):
    /// with time frozen, this is where a step's frame arrives. Returns the frames received.
    pub fn pump_once(&mut self) -> usize {
        let app = &mut self.app;
        let mut outbox = ringside::stack::Outbox::new();
        let n = ringside::capture::pump(
            &mut self.sim,
            &mut self.stack,
            &mut outbox,
            Duration::from_millis(50),
            ringside::capture::PumpMode::default(),
            &mut |meta, note, data| {
                app.ingest(&ringside::capture::Captured {
                    ts: meta.ts,
                    dir: note.dir,
                    data: data.to_vec(),
                    orig_len: meta.orig_len,
                    csum_not_ready: meta.csum_not_ready,
                    verdict: note.verdict,
                    responders: note.responders,
                    source: meta.source,
                    link: meta.link,
                })
            },
        )
        .expect("the simulated LAN does not fail")
        .frames();
        let now = self.sim.now();
        self.stack.poll(now);
        self.publish();
        n
    }

    /// What the capture thread would publish now.
    pub fn status(&self) -> Status {
        let now = self.sim.now();
        let info = self.sim.info();
        Status {
            counters: self.stack.counters().clone(),
            link: info.stats,
            link_desc: info.describe,
            arp_cache: self.stack.arp_cache(now),
            arp_responder: self.stack.arp_responder(),
            icmp_responder: self.stack.icmp_responder(),
            peer: info.peer,
            ring: info.ring,
            handoff_capacity: 65_536,
            printed: self.printed.clone(),
            now,
            controls_applied: self.applied,
            ..Status::default()
        }
    }

    fn publish(&mut self) {
        let s = self.status();
        self.app.set_status(s);
    }

    /// A key press, with its controls applied as the capture thread would.
    pub fn press(&mut self, a: Action) {
        self.app.handle(a);
        for c in self.app.controls.drain(..) {
            match c {
                Control::ArpResponder(on) => self.stack.set_arp_responder(on),
                Control::IcmpResponder(on) => self.stack.set_icmp_responder(on),
                Control::Link(LinkControl::Speed(s)) => self.sim.set_speed(s),
                Control::Link(LinkControl::Freeze(on)) => self.sim.set_frozen(on),
                Control::Link(LinkControl::Step) => self.sim.step(),
            }
            self.applied += 1;
        }
        self.publish();
    }

    pub fn render(&mut self, w: u16, h: u16) -> String {
        render(&mut self.app, w, h)
    }
}

/// Render `app` at `w` x `h` and return the screen as text (one line per row).
pub fn render(app: &mut App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| draw(f, app)).unwrap();
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Select the first listed frame whose Info contains `needle`.
pub fn select_where(app: &mut App, needle: &str) -> u64 {
    for i in 0..app.view_len() {
        let no = app.view_no(i).unwrap();
        if app.row(no).unwrap().summary.info.contains(needle) {
            app.selected = Some(no);
            app.follow = false;
            return no;
        }
    }
    panic!("no frame with {needle:?}");
}

/// A replay of `frames` as `ringside replay` shows it (titled with `file`), with status `st`,
/// drawn once at `w` x `h`: the app, and the screen with every cell (lines not trimmed).
pub fn replay_screen(
    file: &str,
    frames: &[ringside::capture::Captured],
    st: Status,
    w: u16,
    h: u16,
) -> (App, String) {
    let mut app = App::new(Mode::Replay { file: file.into() }, 64 << 20);
    for c in frames {
        app.ingest(c);
    }
    app.set_status(st);
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| draw(f, &mut app)).unwrap();
    let buf = t.backend().buffer().clone();
    let mut s = String::new();
    for y in 0..h {
        for x in 0..w {
            s.push_str(buf[(x, y)].symbol());
        }
        s.push('\n');
    }
    (app, s)
}

/// The frames of `name` in assets/, as the capture thread hands them to the UI (received, no
/// verdict: a replay without the stack).
pub fn asset_frames(name: &str) -> Vec<ringside::capture::Captured> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets")
        .join(name);
    let mut r = ringside::pcap::CaptureReader::open(&path).unwrap();
    let mut out = Vec::new();
    while let Some(f) = r.next_frame().unwrap() {
        out.push(ringside::capture::Captured {
            ts: f.ts,
            dir: ringside::capture::Direction::In,
            data: f.data.to_vec(),
            orig_len: f.data.len() as u32,
            csum_not_ready: false,
            verdict: None,
            responders: Default::default(),
            source: 0,
            link: Default::default(),
        });
    }
    out
}
