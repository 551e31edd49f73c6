//! The ratatui front end: a packet list, the selected frame as RFC-style header diagrams over a
//! hex view, the frame's headers as a C struct (packed vs padded), the ARP caches and a status bar.
//!
//! The capture thread owns the link and the stack; the UI only drains its bounded channel (at most
//! [`DRAIN_PER_TICK`] frames per tick, so a flood cannot freeze the screen) into a history with a
//! fixed memory budget, and sends it controls. Rendering dissects only the rows on screen and the
//! selected frame, and happens only when something changed (see [`run_loop`]).
pub mod app;
pub mod arp;
pub mod chrome;
pub mod controls;
pub mod filter;
pub mod fragments;
pub mod help;
pub mod hexview;
pub mod history;
pub mod keys;
pub mod layers;
pub mod links;
pub mod list;
pub mod meaning;
pub mod packing;
pub mod prompt;
pub mod ringpanel;
pub mod run_loop;
pub mod screen;
pub mod status;
pub mod structview;
pub mod text;

use crate::capture::{CaptureHandle, Status};
use crate::pcapng_write::Recorder;
use crate::recorded::FrameNote;
use app::App;
pub use app::{Mode, SOURCE_SEP};
pub use run_loop::{Events, TerminalEvents, UiLoop};
pub use screen::draw;
use std::path::{Path, PathBuf};

pub struct UiOptions {
    pub mode: Mode,
    /// History memory budget in bytes (oldest frames evicted beyond it).
    pub history_bytes: usize,
    /// A line under the title (a lesson's "what to look at"), if any.
    pub caption: Option<String>,
}

/// Frames taken from the capture channel per screen refresh at most.
pub const DRAIN_PER_TICK: usize = 50_000;

/// `ringside-YYYYmmdd-HHMMSS.pcapng` in local time (UTC when the zone is unknown): pcapng, so
/// each frame keeps ringside's verdict as its comment.
pub fn default_pcap_name() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs() as i64;
    // libc's localtime_r: the user's own clock is what they will look for.
    let Some(tm) = crate::sys::local_time(t) else {
        return format!("ringside-{t}.pcapng");
    };
    format!(
        "ringside-{:04}{:02}{:02}-{:02}{:02}{:02}.pcapng",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    )
}

/// Write every frame in the history to a capture file; returns how many. The name picks the
/// format ([`crate::pcapng_write::CaptureFormat`]): pcapng keeps each frame's direction, verdict
/// and responder switches as its comment, classic `.pcap` only the frames. Timestamps are
/// shifted by [`App::pcap_epoch`] (the demo's start), so a demo's capture is dated today, not
/// 1970.
pub fn write_history(app: &App, path: &Path) -> anyhow::Result<u64> {
    let mut rec = Recorder::create(path, &app.status.host)?;
    // A replay judged again says what ringside would have done, not what happened: its frames
    // are written without notes (a replay showing recorded verdicts passes them on).
    let notes = match app.mode {
        Mode::Replay { .. } => app.status.recorded_verdicts && app.status.notes_seen > 0,
        _ => true,
    };
    for fr in app.history.iter() {
        // The file is an Ethernet capture: a replayed cooked or raw-IP frame is left out.
        if fr.entry.link != crate::wire::LinkKind::Ethernet {
            continue;
        }
        let note = FrameNote {
            dir: fr.entry.dir,
            verdict: fr.entry.verdict,
            responders: fr.entry.responders,
        };
        let note = notes.then_some(&note);
        rec.write(
            app.pcap_epoch + fr.entry.ts,
            fr.data,
            fr.entry.orig_len,
            note,
        )?;
    }
    rec.close()?;
    Ok(rec.frames())
}

/// Handle a `w` press: write the history next to the user, say where.
pub fn handle_write(app: &mut App, dir: &Path) {
    if !app.write_requested {
        return;
    }
    app.write_requested = false;
    let path: PathBuf = dir.join(default_pcap_name());
    app.message = Some(match write_history(app, &path) {
        Ok(n) => app::Message {
            text: format!("wrote {n} frames to {}", path.display()),
            error: false,
        },
        Err(e) => app::Message {
            text: format!("could not write the capture: {e:#}"),
            error: true,
        },
    });
}

/// Owns the terminal while the TUI runs: raw mode, the alternate screen and mouse capture are
/// undone when it drops (every return path), and a panic meanwhile restores them before its one
/// line is printed (see [`crate::crash`]).
struct TerminalGuard {
    _tui: crate::crash::TuiActive,
}

impl TerminalGuard {
    fn enter() -> anyhow::Result<Self> {
        use ratatui::crossterm::{event, execute, terminal};
        let guard = TerminalGuard {
            _tui: crate::crash::TuiActive::enter(),
        };
        terminal::enable_raw_mode()?;
        execute!(
            std::io::stdout(),
            terminal::EnterAlternateScreen,
            event::EnableMouseCapture
        )?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        crate::crash::restore_terminal();
    }
}

/// A debug build only: `RINGSIDE_DEBUG_PANIC=1` panics inside the TUI after the first draw, so
/// a test can see the terminal restored and the crash line printed. Release builds ignore it.
fn debug_panic_requested() -> bool {
    cfg!(debug_assertions) && std::env::var_os("RINGSIDE_DEBUG_PANIC").is_some_and(|v| v == "1")
}

/// Run the TUI until the user quits. Consumes frames from `capture` and sends it controls.
pub fn run(capture: CaptureHandle, opts: UiOptions) -> anyhow::Result<()> {
    run_with_restart(capture, opts, None)
}

/// Starts a replay's capture again from the file's start: `true` shows the recorded verdicts,
/// `false` judges every frame with the current settings (`J`).
pub type Restart<'a> = &'a mut dyn FnMut(bool) -> anyhow::Result<CaptureHandle>;

/// [`run`], with a way to read the source again for `J` (a replay).
pub fn run_with_restart(
    capture: CaptureHandle,
    opts: UiOptions,
    restart: Option<Restart<'_>>,
) -> anyhow::Result<()> {
    run_indexed(capture, opts, restart, None)
}

/// [`run_with_restart`] for a replay of one file with its index: every frame of the file can be
/// listed and jumped to while the capture thread judges them in order (see
/// [`history::FileBacked`]).
pub fn run_indexed(
    capture: CaptureHandle,
    opts: UiOptions,
    restart: Option<Restart<'_>>,
    index: Option<std::sync::Arc<crate::pcap::index::FrameIndex>>,
) -> anyhow::Result<()> {
    let guard = TerminalGuard::enter()?;
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(std::io::stdout()))?;
    terminal.clear()?;
    let mut ui = UiLoop::new(capture, opts, restart, index, terminal)?
        .with_debug_panic(debug_panic_requested());
    let result = (|| -> anyhow::Result<()> {
        while ui.turn(&mut TerminalEvents)? {}
        Ok(())
    })();
    let (app, st) = ui.finish();
    drop(guard);
    result?;
    exit_result(&app.mode, &st)
}

/// How the UI ends once the user quit: a live capture that failed (the interface went down, the
/// socket broke) is an error, as it is headless, so scripts see exit 1 and the reason, in one line,
/// after the screen is restored. A capture file that ends early is only a warning (the frames
/// before the damage were shown), as in `dump`.
pub fn exit_result(mode: &Mode, st: &Status) -> anyhow::Result<()> {
    match (mode, &st.error) {
        (Mode::Live { interface }, Some(e)) => Err(anyhow::anyhow!(
            "the capture on {interface} failed: {}",
            e.replace('\n', " ")
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quitting_after_a_failed_live_capture_is_an_error() {
        let failed = Status {
            finished: true,
            error: Some("receiving from rs0: Network is down (os error 100)".into()),
            ..Status::default()
        };
        let live = Mode::Live {
            interface: "rs0".into(),
        };
        let e = exit_result(&live, &failed).unwrap_err().to_string();
        assert_eq!(
            e,
            "the capture on rs0 failed: receiving from rs0: Network is down (os error 100)"
        );
        assert!(
            exit_result(&live, &Status::default()).is_ok(),
            "q on a healthy capture"
        );
        // A capture file that ends early was shown up to the damage: a warning, not a failure.
        let replay = Mode::Replay {
            file: "x.pcap".into(),
        };
        assert!(exit_result(&replay, &failed).is_ok());
    }
}
