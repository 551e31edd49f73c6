//! End to end through the real binary in a real terminal (tmux): `ringside demo`, `v` until the
//! ring panel, `space` to freeze simulated time, `.` to step: head, cur and tail move by one
//! slot, and the slot just read shows as handed back.
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    session: String,
}

impl Tmux {
    fn cmd(&self, args: &[&str]) -> std::process::Output {
        tmux().args(args).output().expect("running tmux")
    }
    fn screen(&self) -> String {
        let o = self.cmd(&["capture-pane", "-p", "-t", &self.session]);
        String::from_utf8_lossy(&o.stdout).into_owned()
    }
    fn keys(&self, k: &str) {
        self.cmd(&["send-keys", "-t", &self.session, k]);
    }
    /// Wait until `pred(screen)` holds; panic with the screen if it never does.
    fn wait_for(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            if start.elapsed() > timeout {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = tmux().args(["kill-session", "-t", &self.session]).output();
    }
}

/// False (after saying so) when tmux is missing outside CI; a failure under CI.
fn have_tmux() -> bool {
    if !matches!(Command::new("tmux").arg("-V").output(), Ok(o) if o.status.success()) {
        // CI installs tmux (.ci/run): there a missing tmux is a broken setup, not a skip.
        assert!(
            std::env::var_os("CI").is_none(),
            "tmux is missing under CI: .ci/run must install it (apt-get install tmux)"
        );
        eprintln!("SKIPPED: tmux is not installed (apt-get install tmux)");
        return false;
    }
    true
}

/// `ringside ARGS` in a detached tmux session of `w` x `h`; its exit status goes to the
/// returned file.
fn start_demo(tag: &str, w: u16, h: u16, args: &str) -> (Tmux, tempfile::TempDir, PathBuf) {
    let bin = env!("CARGO_BIN_EXE_ringside");
    let dir = tempfile::tempdir().unwrap();
    let rc_file: PathBuf = dir.path().join("rc");
    let t = Tmux {
        session: format!("ringside-e2e-{tag}-{}", std::process::id()),
    };
    let shell = format!(
        "cd {}; {bin} {args}; echo $? > {}; sleep 60",
        dir.path().display(),
        rc_file.display()
    );
    let o = t.cmd(&[
        "new-session",
        "-d",
        "-s",
        &t.session,
        "-x",
        &w.to_string(),
        "-y",
        &h.to_string(),
        "sh",
        "-c",
        &shell,
    ]);
    assert!(
        o.status.success(),
        "tmux: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    (t, dir, rc_file)
}

/// machine) never share, start or stop each other's server.
fn tmux_socket() -> String {
    format!("ringside-e2e_ring-{}", std::process::id())
}

fn tmux() -> Command {
    let mut c = Command::new("tmux");
    c.args(["-L", &tmux_socket()]);
    c
}

/// (head, cur, tail) from the ring panel's "head 8  cur 8  tail 9" line.
fn cursors(screen: &str) -> Option<(u32, u32, u32)> {
    let line = screen
        .lines()
        .find(|l| l.contains("head ") && l.contains("tail "))?;
    let at = line.find("head ")?;
    let nums: Vec<u32> = line[at..]
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(3)
        .filter_map(|s| s.parse().ok())
        .collect();
    (nums.len() == 3).then(|| (nums[0], nums[1], nums[2]))
}

/// The ring's cells: the 16 characters after the " 0 " gutter on the line under the title.
fn cells(screen: &str) -> Option<Vec<char>> {
    let lines: Vec<&str> = screen.lines().collect();
    let row = lines
        .iter()
        .position(|l| l.contains("simulated netmap: 16 slots"))?;
    let line = lines.get(row + 1)?;
    let at = line.find(" 0 ")? + 3;
    let c: Vec<char> = line[at..].chars().take(16).collect();
    (c.len() == 16).then_some(c)
}

#[test]
fn dot_moves_the_demo_ring_one_slot_at_80x24() {
    if !have_tmux() {
        return;
    }
    let (t, _dir, _rc) = start_demo("ring", 80, 24, "demo --speed 2");
    let long = Duration::from_secs(20);
    t.wait_for("the demo", long, |s| s.contains("simulated LAN"));
    // `v` until the ring panel (three presses at 80x24: ARP, C struct, ring).
    let mut s = t.screen();
    for _ in 0..4 {
        if s.contains("simulated netmap: 16 slots x 2048 B") {
            break;
        }
        t.keys("v");
        std::thread::sleep(Duration::from_millis(300));
        s = t.screen();
    }
    assert!(s.contains("simulated netmap: 16 slots x 2048 B"), "{s}");
    // Freeze, and wait until the ring stands still.
    t.keys("Space");
    let mut before = t.wait_for("time frozen", long, |s| {
        s.contains("TIME FROZEN") && cursors(s).is_some()
    });
    loop {
        std::thread::sleep(Duration::from_millis(600));
        let again = t.screen();
        if cursors(&again) == cursors(&before) {
            break;
        }
        before = again;
    }
    let (h0, c0, _) = cursors(&before).unwrap();
    assert_eq!(h0, c0, "nm_nextpkt moves cur and head together:\n{before}");
    t.keys(".");
    let after = t.wait_for("one step", long, |s| {
        cursors(s).is_some_and(|(h, _, _)| h != h0)
    });
    let (h1, c1, t1) = cursors(&after).unwrap();
    assert_eq!(h1, (h0 + 1) % 16, "one slot:\n{before}\n{after}");
    assert_eq!(c1, h1);
    assert!(t1 == h1 || t1 == (h1 + 1) % 16, "{after}");
    let c = cells(&after).unwrap_or_else(|| panic!("no cells:\n{after}"));
    assert_eq!(
        c[h0 as usize], '▒',
        "the slot just read is handed back:\n{after}"
    );
    assert!(
        after.contains("nm_nextpkt()") && after.contains("took 1"),
        "{after}"
    );
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(cursors(&t.screen()), Some((h1, c1, t1)), "and frozen again");
    t.keys("q");
}
