//! `ringside live` with its terminal UI (driven in tmux): when the capture fails under it (here the
//! interface goes down), the screen says so, and quitting with `q` exits 1 with the reason on one
//! line, as headless does; a scripted session must not mistake a dead capture for success.
use crate::support::{netns, tmux};
use netns::*;
use std::time::{Duration, Instant};

/// The limit on each wait: it only bounds a hang.
const WAIT: Duration = Duration::from_secs(20);

#[test]
fn tui_quit_after_the_interface_went_down_exits_1_with_the_reason() {
    if !can_run_with_tmux("tui_quit_after_the_interface_went_down_exits_1_with_the_reason") {
        return;
    }
    let Some(server) = tmux::Server::start("live_tui_quit") else {
        return;
    };
    let lab = Lab::veth("tui");
    let dir = tempfile::tempdir().unwrap();
    let (rc, err) = (dir.path().join("rc"), dir.path().join("stderr"));
    let shell = format!(
        "ip netns exec {} {BIN} live -i rs0 --ip {RINGSIDE_IP}/24 2>{}; echo $? >{}; sleep 60",
        lab.rs_ns,
        err.display(),
        rc.display()
    );
    let t = server.session(&format!("tui-{}", unique()), 160, 48, &shell);
    t.wait_until("the live UI", WAIT, |s| s.contains("ringside live · rs0"));

    sh(&["ip", "-n", &lab.rs_ns, "link", "set", "rs0", "down"]);
    let s = t.wait_until("the UI to show the capture stopped", WAIT, |s| {
        s.contains("capture stopped:")
    });
    assert!(s.contains("rs0 is down"), "{s}");

    t.keys("q");
    let deadline = Instant::now() + Duration::from_secs(20);
    let code = loop {
        if let Ok(c) = std::fs::read_to_string(&rc) {
            if c.ends_with('\n') {
                break c;
            }
        }
        assert!(Instant::now() < deadline, "no exit on q:\n{}", t.screen());
        std::thread::sleep(Duration::from_millis(100));
    };
    let err = std::fs::read_to_string(&err).unwrap();
    assert_eq!(code.trim(), "1", "exit status; stderr: {err}");
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("ringside: error: the capture on rs0 failed: ")
            && last.contains("interface rs0 is down"),
        "one line with the reason: {err:?}"
    );
}
