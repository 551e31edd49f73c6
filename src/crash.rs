//! What a panic looks like to the user: one line on stderr saying where the full report went,
//! exit code 1; never a backtrace over a raw-mode terminal left unusable.
//!
//! [`install`] (called by `main`) sets the panic hook. While the TUI runs it holds a
//! [`TuiActive`] guard, and the hook first gives the terminal back (mouse capture off, main
//! screen, cursor shown, raw mode off), so the line is readable and the shell works after it.
//! The report (message, place, thread, version, backtrace) goes to a file:
//! `$XDG_STATE_HOME/ringside/crash-PID.txt` (XDG's default `~/.local/state` without it), or the
//! temporary directory when that cannot be written.
use std::io::Write;
use std::panic::PanicHookInfo;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

/// True while the TUI owns the terminal (raw mode, alternate screen, mouse capture).
static TUI_ACTIVE: AtomicBool = AtomicBool::new(false);

/// Held by the TUI while it owns the terminal: a panic restores the terminal first.
pub struct TuiActive(());

impl TuiActive {
    pub fn enter() -> Self {
        TUI_ACTIVE.store(true, Ordering::SeqCst);
        TuiActive(())
    }
}

impl Drop for TuiActive {
    fn drop(&mut self) {
        TUI_ACTIVE.store(false, Ordering::SeqCst);
    }
}

/// Give the terminal back to the shell. Safe to call when it was never taken (each step only
/// undoes what may have been done), but it writes escape sequences, so only call it when the
/// TUI ran.
pub fn restore_terminal() {
    use ratatui::crossterm::{cursor, event, execute, terminal};
    let _ = execute!(
        std::io::stdout(),
        event::DisableMouseCapture,
        terminal::LeaveAlternateScreen,
        cursor::Show
    );
    let _ = terminal::disable_raw_mode();
}

/// Install the panic hook for the whole process (the binary's `main` only: tests keep Rust's).
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        // Only the first panic reports: another thread panicking meanwhile waits for the exit.
        static REPORTING: AtomicBool = AtomicBool::new(false);
        if REPORTING.swap(true, Ordering::SeqCst) {
            std::thread::park();
            return;
        }
        if TUI_ACTIVE.swap(false, Ordering::SeqCst) {
            restore_terminal();
        }
        let report = report(info);
        let line = match write_report(&report) {
            Ok(path) => format!(
                "ringside: internal error (a bug): {}; full report in {}",
                one_line(info),
                path.display()
            ),
            Err(e) => format!(
                "ringside: internal error (a bug): {}; could not write the report ({e}):\n{report}",
                one_line(info)
            ),
        };
        let _ = writeln!(std::io::stderr(), "{line}");
        std::process::exit(1);
    }));
}

/// The panic message and where it happened, without control characters.
fn one_line(info: &PanicHookInfo<'_>) -> String {
    let msg = payload_text(info);
    let place = info
        .location()
        .map(|l| format!(" at {}:{}", l.file(), l.line()))
        .unwrap_or_default();
    format!("{msg}{place}")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn payload_text(info: &PanicHookInfo<'_>) -> String {
    let p = info.payload();
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_string()
    }
}

fn report(info: &PanicHookInfo<'_>) -> String {
    let thread = std::thread::current();
    format!(
        "ringside {} panicked\nthread: {}\nmessage: {}\nat: {}\ncommand: {:?}\n\nbacktrace:\n{}\n",
        env!("CARGO_PKG_VERSION"),
        thread.name().unwrap_or("<unnamed>"),
        payload_text(info),
        info.location()
            .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
            .unwrap_or_else(|| "unknown".into()),
        std::env::args().collect::<Vec<_>>(),
        std::backtrace::Backtrace::force_capture()
    )
}

/// Where reports go: `$XDG_STATE_HOME/ringside`, else `~/.local/state/ringside` (the XDG
/// default), then the temporary directory.
fn report_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    match std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        Some(d) => dirs.push(PathBuf::from(d).join("ringside")),
        None => {
            if let Some(h) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
                dirs.push(PathBuf::from(h).join(".local/state/ringside"));
            }
        }
    }
    dirs.push(std::env::temp_dir());
    dirs
}

fn write_report(report: &str) -> std::io::Result<PathBuf> {
    let name = format!("ringside-crash-{}.txt", std::process::id());
    let mut last = None;
    for dir in report_dirs() {
        let path = dir.join(&name);
        let written = std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(&path, report));
        match written {
            Ok(()) => return Ok(path),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no directory to write to")))
}
