//! The real binary in a real 80x24 terminal (tmux): every capture under assets/ and every odd
//! capture of tests/support/odd_captures.rs opens in `ringside replay`, quits with `q`, exits 0
//! and leaves the terminal as it found it. And a panic inside the TUI (a debug build's
//! `RINGSIDE_DEBUG_PANIC=1`) restores the terminal, prints one line saying where the report
//! went, and exits 1.
use crate::support::odd_captures;
use crate::support::tmux;

use std::path::{Path, PathBuf};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_ringside");
/// Only bounds a hang (a session that never draws or never exits); nothing is timed.
const LIMIT: Duration = Duration::from_secs(60);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every pcap/pcapng file under `dir`, recursively, sorted.
fn captures_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(captures_under(&p));
        } else if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// One ARP request behind a LINUX_SLL (113) header, as a classic pcap.
fn write_cooked_arp(path: &Path) {
    let mut frame = vec![0, 1, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x06];
    frame.extend_from_slice(
        &hex::decode("0001080006040001020000000001c6336401000000000000c6336402").unwrap(),
    );
    let mut b = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    b.extend_from_slice(&65535u32.to_le_bytes());
    b.extend_from_slice(&113u32.to_le_bytes());
    for v in [1u32, 0, frame.len() as u32, frame.len() as u32] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&frame);
    std::fs::write(path, b).unwrap();
}

fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}

#[test]
fn every_asset_and_odd_capture_opens_and_quits_cleanly() {
    let Some(server) = tmux::Server::start("tui_assets") else {
        return;
    };
    let mut files = captures_under(&root().join("assets"));
    let assets = files.len();
    assert!(
        assets >= 8,
        "assets/ has the lesson captures and the corpus"
    );
    let dir = tempfile::tempdir().unwrap();
    for cap in odd_captures::odd_captures(16) {
        let path = dir.path().join(format!("{}.pcap", cap.name));
        odd_captures::write(&cap, &path);
        files.push(path);
    }
    // A Linux cooked capture (`tcpdump -i any`): shown, its frames not judged.
    files.push(dir.path().join("cooked-arp.pcap"));
    write_cooked_arp(files.last().unwrap());
    // All sessions start at once (each waits for its TUI), then each is quit in turn.
    let sessions: Vec<_> = files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let line = tmux::run_then_report(&format!("{BIN} replay {}", quote(f)));
            (f, server.session(&format!("replay-{i}"), 80, 24, &line))
        })
        .collect();
    let mut failures = Vec::new();
    for (f, s) in &sessions {
        let name = f.display();
        let (drawn, screen) = s.wait_for(LIMIT, |sc| {
            sc.contains("ringside replay") || sc.contains("internal error")
        });
        if !drawn || screen.contains("internal error") {
            failures.push(format!("{name}: the TUI never drew:\n{screen}"));
            continue;
        }
        s.keys("q");
        let (ended, screen) = s.wait_for(LIMIT, |sc| {
            sc.lines().any(|l| l.starts_with("rc=")) && sc.contains("icanon")
        });
        if !ended {
            failures.push(format!("{name}: `q` did not end it:\n{screen}"));
            continue;
        }
        if !screen.lines().any(|l| l == "rc=0") {
            failures.push(format!("{name}: exit status not 0:\n{screen}"));
        }
        if screen.contains("panicked") || screen.contains("internal error") {
            failures.push(format!("{name}: crashed:\n{screen}"));
        }
        if let Err(e) = tmux::check_restored(s, &screen) {
            failures.push(format!("{name}: terminal not restored: {e}\n{screen}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} captures failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
    eprintln!(
        "opened and quit {} captures ({assets} under assets/, {} generated)",
        files.len(),
        files.len() - assets
    );
}

#[test]
fn a_panic_in_the_tui_restores_the_terminal_and_says_where_the_report_is() {
    if !cfg!(debug_assertions) {
        eprintln!("skipped: RINGSIDE_DEBUG_PANIC exists in debug builds only");
        return;
    }
    let Some(server) = tmux::Server::start("tui_panic") else {
        return;
    };
    let state = tempfile::tempdir().unwrap();
    let cmd = format!(
        "XDG_STATE_HOME={} RINGSIDE_DEBUG_PANIC=1 {BIN} replay {}",
        quote(state.path()),
        quote(&root().join("assets/ping.pcapng"))
    );
    // Wide enough that the one line is one screen line too.
    let s = server.session("panic", 300, 24, &tmux::run_then_report(&cmd));
    let (ended, screen) = s.wait_for(LIMIT, |sc| sc.contains("icanon"));
    assert!(
        ended,
        "the crashed TUI never returned to the shell:\n{screen}"
    );
    let text: Vec<&str> = screen.lines().filter(|l| !l.trim().is_empty()).collect();
    // The crash line, rc, the stty flags: nothing else (no backtrace on the terminal).
    assert_eq!(text.len(), 3, "one line, then the shell's:\n{screen}");
    let line = text[0];
    assert!(
        line.starts_with("ringside: internal error (a bug): RINGSIDE_DEBUG_PANIC=1"),
        "{screen}"
    );
    assert_eq!(text[1], "rc=1", "a panic exits 1:\n{screen}");
    tmux::check_restored(&s, &screen).unwrap_or_else(|e| panic!("{e}:\n{screen}"));
    let report_path = line
        .split("full report in ")
        .nth(1)
        .unwrap_or_else(|| panic!("no report path in {line:?}"))
        .trim();
    assert!(
        Path::new(report_path).starts_with(state.path().join("ringside")),
        "report under $XDG_STATE_HOME/ringside: {report_path}"
    );
    let report = std::fs::read_to_string(report_path).unwrap();
    assert!(report.contains("RINGSIDE_DEBUG_PANIC=1"), "{report}");
    assert!(report.contains("backtrace:"), "{report}");
    assert!(
        report.contains("ringside::ui::run"),
        "the backtrace names the TUI's run loop:\n{report}"
    );
}
