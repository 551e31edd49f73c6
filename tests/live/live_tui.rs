//! `ringside live` with its terminal UI (driven in tmux): when the capture fails under it (here the
//! interface goes down), the screen says so, and quitting with `q` exits 1 with the reason on one
//! line, as headless does; a scripted session must not mistake a dead capture for success.
use crate::support::netns;
use netns::*;
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux(String);

impl Tmux {
    fn screen(&self) -> String {
        let o = tmux()
            .args(["capture-pane", "-p", "-t", &self.0])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&o.stdout).into_owned()
    }
    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = tmux().args(["kill-session", "-t", &self.0]).output();
    }
}

#[test]
fn tui_quit_after_the_interface_went_down_exits_1_with_the_reason() {
    if !can_run_with_tmux("tui_quit_after_the_interface_went_down_exits_1_with_the_reason") {
        return;
    }
    let lab = Lab::veth("tui");
    let dir = tempfile::tempdir().unwrap();
    let (rc, err) = (dir.path().join("rc"), dir.path().join("stderr"));
    let shell = format!(
        "ip netns exec {} {BIN} live -i rs0 --ip {RINGSIDE_IP}/24 2>{}; echo $? >{}; sleep 60",
        lab.rs_ns,
        err.display(),
        rc.display()
    );
    let t = Tmux(format!("ringside-live-tui-{}", unique()));
    let o = tmux()
        .args(["new-session", "-d", "-s", &t.0, "-x", "160", "-y", "48"])
        .args(["sh", "-c", &shell])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    t.wait_for("the live UI", |s| s.contains("ringside live · rs0"));

    sh(&["ip", "-n", &lab.rs_ns, "link", "set", "rs0", "down"]);
    let s = t.wait_for("the UI to show the capture stopped", |s| {
        s.contains("capture stopped:")
    });
    assert!(s.contains("rs0 is down"), "{s}");

    sh(&["tmux", "-L", &tmux_socket(), "send-keys", "-t", &t.0, "q"]);
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

/// A tmux server of this test process's own: concurrent tests (and other tmux users on the
/// machine) never share, start or stop each other's server.
fn tmux_socket() -> String {
    format!("ringside-live_tui-{}", std::process::id())
}

fn tmux() -> Command {
    let mut c = Command::new("tmux");
    c.args(["-L", &tmux_socket()]);
    c
}
