//! The UI's run loop: take in what the capture thread has, answer the user's events, and draw
//! only when something the screen shows may have changed.
//!
//! Users run ringside over SSH on shared machines: a screen nobody touches, on a quiet link,
//! should cost nothing but a few wake-ups, not a full redraw 25 times a second. A draw is due
//! after a key, mouse or resize event that did something; new frames; a new status snapshot
//! (the capture thread publishes one on every change, and at its idle interval, which is how
//! the demo's clock, a replay's progress and the ARP ages keep moving); and progress made in
//! other threads that the screen shows (a file's index growing, the filter's checks).
use super::app::{self, App};
use super::{draw, handle_write, history, keys, text, Restart, UiOptions, DRAIN_PER_TICK};
use crate::capture::{CaptureHandle, FrameReceiver};
use ratatui::backend::Backend;
use ratatui::crossterm::event::{self, Event};
use ratatui::Terminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Time a turn may spend taking frames in, and again filtering a file (see [`App::filter_step`]).
const DRAIN_TIME: Duration = Duration::from_millis(15);
/// How often the loop looks for frames and snapshots when no event comes: the most a new frame
/// waits before it is drawn. Looking is cheap (a channel and a counter); drawing is not, and
/// happens only when something changed.
const TICK: Duration = Duration::from_millis(40);

/// Where the loop's key, mouse and resize events come from: the terminal, or a test's script.
pub trait Events {
    /// The next event, waiting up to `timeout` for one; None when none came.
    fn next(&mut self, timeout: Duration) -> std::io::Result<Option<Event>>;
}

/// The terminal's own events (crossterm).
pub struct TerminalEvents;

impl Events for TerminalEvents {
    fn next(&mut self, timeout: Duration) -> std::io::Result<Option<Event>> {
        if event::poll(timeout)? {
            event::read().map(Some)
        } else {
            Ok(None)
        }
    }
}

/// The UI while it runs: the app, the capture it shows, and what was last drawn from.
pub struct UiLoop<'r, B: Backend> {
    pub app: App,
    capture: CaptureHandle,
    frames: FrameReceiver,
    restart: Option<Restart<'r>>,
    /// What the replay shows now: recorded verdicts (where the capture has them) or judged again.
    recorded_view: bool,
    cwd: PathBuf,
    terminal: Terminal<B>,
    /// The number of the last status snapshot taken (see [`CaptureHandle::wait_status`]).
    seen_status: u64,
    /// The hand-off occupancy and the background progress at the last look.
    handoff: (usize, usize),
    background: app::Background,
    /// Something on screen may have changed since the last draw.
    dirty: bool,
    draws: u64,
    /// A debug build's test panic after the first draw (see `RINGSIDE_DEBUG_PANIC`).
    debug_panic: bool,
}

fn take_frames(c: &mut CaptureHandle) -> anyhow::Result<FrameReceiver> {
    c.frames
        .take()
        .ok_or_else(|| anyhow::anyhow!("the capture was started without a UI channel"))
}

impl<'r, B: Backend> UiLoop<'r, B>
where
    B::Error: Send + Sync + 'static,
{
    pub fn new(
        mut capture: CaptureHandle,
        opts: UiOptions,
        restart: Option<Restart<'r>>,
        index: Option<std::sync::Arc<crate::pcap::index::FrameIndex>>,
        terminal: Terminal<B>,
    ) -> anyhow::Result<Self> {
        let frames = take_frames(&mut capture)?;
        let mut app = App::new(opts.mode, opts.history_bytes);
        if let Some(ix) = index {
            app.history = history::History::new(opts.history_bytes).with_file(ix);
        }
        app.caption = opts.caption;
        Ok(UiLoop {
            app,
            capture,
            frames,
            restart,
            recorded_view: true,
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            terminal,
            seen_status: 0,
            handoff: (0, 0),
            background: app::Background::default(),
            dirty: true,
            draws: 0,
            debug_panic: false,
        })
    }

    pub(super) fn with_debug_panic(mut self, on: bool) -> Self {
        self.debug_panic = on;
        self
    }

    /// Screens drawn so far (a test counts them: an idle screen must not be redrawn).
    pub fn draws(&self) -> u64 {
        self.draws
    }

    pub fn terminal(&self) -> &Terminal<B> {
        &self.terminal
    }

    /// One turn: take in what the capture thread has, draw if anything changed, then answer
    /// events until the next tick. Returns false once the user quit.
    pub fn turn(&mut self, events: &mut dyn Events) -> anyhow::Result<bool> {
        let tick_start = Instant::now();
        self.take_in(tick_start);
        if std::mem::take(&mut self.dirty) {
            let app = &mut self.app;
            self.terminal.draw(|f| {
                draw(f, app);
                text::paint(f.buffer_mut(), text::theme());
            })?;
            self.draws += 1;
            if self.debug_panic {
                panic!("RINGSIDE_DEBUG_PANIC=1: a test panic inside the TUI");
            }
        }
        let mut timeout = TICK.saturating_sub(tick_start.elapsed());
        while let Some(ev) = events.next(timeout)? {
            let action = keys::action(&ev, self.app.input.is_some());
            let resized = matches!(ev, Event::Resize(..));
            // A mouse move or an unbound key changes nothing on screen.
            self.dirty |= action.is_some() || resized;
            if let Some(a) = action {
                self.app.handle(a);
            }
            for c in self.app.controls.drain(..) {
                self.capture.control(c);
            }
            handle_write(&mut self.app, &self.cwd);
            if std::mem::take(&mut self.app.rejudge_requested) && self.rejudge() {
                break;
            }
            if self.app.quit {
                return Ok(false);
            }
            if resized {
                break;
            }
            timeout = Duration::ZERO;
        }
        Ok(true)
    }

    /// Frames (a bounded number per turn, so a flood cannot freeze the keys), the latest status
    /// snapshot if there is a new one, and progress made in other threads. Marks the screen
    /// dirty when any of it changed.
    fn take_in(&mut self, tick_start: Instant) {
        let app = &mut self.app;
        for i in 0..DRAIN_PER_TICK {
            // A fast source (a large file) gets at most DRAIN_TIME a turn: keys wait no more.
            if i % 256 == 255 && tick_start.elapsed() > DRAIN_TIME {
                break;
            }
            match self.frames.try_recv() {
                Some(c) => {
                    app.ingest(&c);
                    self.dirty = true;
                }
                None => break,
            }
        }
        app.filter_step(DRAIN_TIME);
        // What the UI still holds counts as hand-off occupancy too.
        let (used, cap) = self.frames.occupancy();
        if let Some(st) = self
            .capture
            .wait_status(&mut self.seen_status, Duration::ZERO)
        {
            app.set_status(st);
            self.dirty = true;
        }
        app.status.handoff_used = used;
        app.status.handoff_capacity = cap;
        let background = app.background();
        if (used, cap) != self.handoff || background != self.background {
            (self.handoff, self.background) = ((used, cap), background);
            self.dirty = true;
        }
    }

    /// `J` in a replay: read the file again from its start, showing the recorded verdicts or
    /// judging every frame again. True when the capture was restarted.
    fn rejudge(&mut self) -> bool {
        let Some(r) = self.restart.as_mut() else {
            return false;
        };
        let recorded = !self.recorded_view;
        // The file may be gone since: say so and keep what is on screen.
        let fresh = r(recorded).and_then(|mut c| Ok((take_frames(&mut c)?, c)));
        let (fresh_frames, fresh) = match fresh {
            Ok(f) => f,
            Err(e) => {
                self.app.message = Some(app::Message {
                    text: format!("cannot read the capture again: {e:#}"),
                    error: true,
                });
                return false;
            }
        };
        self.recorded_view = recorded;
        // The old thread may wait for room in its channel: drop our end first.
        drop(std::mem::replace(&mut self.frames, fresh_frames));
        std::mem::replace(&mut self.capture, fresh).stop();
        // The new thread counts its snapshots from zero.
        self.seen_status = 0;
        self.app.restart();
        self.app.message = Some(app::Message {
            text: if recorded {
                "showing the verdicts recorded in the capture".into()
            } else {
                "judging every frame again with the current settings".into()
            },
            error: false,
        });
        true
    }

    /// Give the terminal back and stop the capture: the app, for its mode, and the capture's
    /// final status.
    pub fn finish(self) -> (App, crate::capture::Status) {
        drop(self.terminal);
        drop(self.frames);
        (self.app, self.capture.stop())
    }
}
