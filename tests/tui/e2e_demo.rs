//! End to end: the real binary in a real terminal (tmux). Switch the ARP responder off and watch
//! the simulated PC's pings fail once its ARP entry expires, switch it on and watch them recover,
//! quit with `q` and exit 0. And the teacher's clock on a laptop-sized terminal: `space` freezes
//! simulated time, `.` steps it one frame, `v` reaches the ARP panel in one press.
use crate::support::tmux;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// (sent, answered, lost) from the ARP panel's "pings: 12 sent · 11 answered · 1 lost".
fn pings(screen: &str) -> Option<(u64, u64, u64)> {
    let line = screen.lines().find(|l| l.contains("pings: "))?;
    let rest = &line[line.find("pings: ")? + 7..];
    let nums: Vec<u64> = rest
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(3)
        .map(|s| s.parse().unwrap())
        .collect();
    (nums.len() == 3).then(|| (nums[0], nums[1], nums[2]))
}

/// `ringside ARGS` in a detached tmux session of `w` x `h`; its exit status goes to the
/// returned file.
fn start_demo<'s>(
    server: &'s tmux::Server,
    tag: &str,
    w: u16,
    h: u16,
    args: &str,
) -> (tmux::Session<'s>, tempfile::TempDir, PathBuf) {
    let bin = env!("CARGO_BIN_EXE_ringside");
    let dir = tempfile::tempdir().unwrap();
    let rc_file: PathBuf = dir.path().join("rc");
    let shell = format!(
        "cd {}; {bin} {args}; echo $? > {}; sleep 60",
        dir.path().display(),
        rc_file.display()
    );
    let t = server.session(&format!("e2e-{tag}"), w, h, &shell);
    (t, dir, rc_file)
}

/// The simulated clock from the title bar's `t=12.3s`.
fn sim_time(screen: &str) -> Option<f64> {
    let at = screen.find("t=")? + 2;
    let rest = &screen[at..];
    rest[..rest.find('s')?].parse().ok()
}

/// "Packets · 32" from the list's title.
fn frames(screen: &str) -> Option<u64> {
    let at = screen.find("Packets · ")? + "Packets · ".len();
    let rest = &screen[at..];
    rest[..rest.find(' ')?].parse().ok()
}

#[test]
fn space_freezes_the_demo_clock_and_dot_steps_it_at_80x24() {
    let Some(server) = tmux::Server::start("e2e_demo-clock") else {
        return;
    };
    let (t, _dir, _rc) = start_demo(&server, "clock", 80, 24, "demo --speed 2");
    let long = Duration::from_secs(20);
    let s = t.wait_until("a few frames", long, |s| frames(s).is_some_and(|n| n >= 6));
    // Every key the lessons use is listed at this size, `v` and `.` included.
    for hint in [
        "space freeze time",
        ". step",
        "+/- speed",
        "a ARP",
        "v panel",
        "? help",
    ] {
        assert!(s.contains(hint), "{hint:?} missing at 80x24:\n{s}");
    }
    t.keys("Space");
    t.wait_until("the frozen title", long, |s| s.contains("TIME FROZEN"));
    // The title turns at the key press; the clock it shows is the capture thread's last
    // snapshot until the thread has applied the freeze (one status tick later). Read the
    // time once that settled snapshot is on screen.
    std::thread::sleep(Duration::from_millis(600));
    let s = t.screen();
    let (t0, n0) = (sim_time(&s).unwrap(), frames(&s).unwrap());
    std::thread::sleep(Duration::from_millis(1500));
    let s = t.screen();
    assert_eq!(sim_time(&s), Some(t0), "simulated time stands still:\n{s}");
    assert_eq!(frames(&s), Some(n0), "no frame arrives:\n{s}");
    t.keys(".");
    t.wait_until("one step", long, |s| frames(s).is_some_and(|n| n > n0));
    // ringside's reply to the stepped frame may reach the list one UI tick after it.
    std::thread::sleep(Duration::from_millis(600));
    let s = t.screen();
    let (t1, n1) = (sim_time(&s).unwrap(), frames(&s).unwrap());
    assert!(t1 > t0 && n1 <= n0 + 2, "one frame (and its reply):\n{s}");
    std::thread::sleep(Duration::from_millis(1000));
    let s = t.screen();
    assert_eq!(frames(&s), Some(n1), "and frozen again:\n{s}");
    assert!(s.contains("TIME FROZEN"), "{s}");
    // `v` once: the ARP panel with the peer's neighbour state, as `ip neigh` names it.
    t.keys("v");
    t.wait_until("the ARP panel", long, |s| {
        s.contains("its ARP entry for ringside")
    });
    t.keys("Space");
    t.wait_until("time running again", long, |s| {
        !s.contains("TIME FROZEN") && sim_time(s).is_some_and(|x| x > t1 + 1.0)
    });
    t.keys("q");
}

/// Replay is a browser: two captures merged by time, each frame tagged with its file, and none
/// of the live controls (responder switches, rate, hand-off ring, follow-the-tail) on screen.
#[test]
fn replay_merges_files_by_time_and_shows_no_live_controls() {
    let Some(server) = tmux::Server::start("e2e_demo-replay") else {
        return;
    };
    let assets = concat!(env!("CARGO_MANIFEST_DIR"), "/assets");
    let args = format!("replay {assets}/ping.pcapng {assets}/udp-exchange.pcapng");
    let (t, _dir, _rc) = start_demo(&server, "replay", 160, 48, &args);
    let long = Duration::from_secs(20);
    let s = t.wait_until("both files loaded", long, |s| s.contains("· loaded"));
    assert!(s.contains("ping.pcapng + "), "{s}");
    t.keys("g");
    let s = t.wait_until("the first frames", long, |s| s.contains("frame 1/"));
    assert!(s.contains("[ping.pcapng] "), "{s}");
    assert!(s.contains("[udp-exchange.pcapng] "), "{s}");
    for live_only in [
        "ARP ON",
        "[a]",
        "pps",
        "handoff",
        "BROWSING",
        "LIVE",
        "kernel drops",
    ] {
        assert!(!s.contains(live_only), "{live_only:?} in replay:\n{s}");
    }
    t.keys("q");
}

#[test]
fn arp_off_breaks_ping_after_the_entry_expires_and_on_fixes_it() {
    let Some(server) = tmux::Server::start("e2e_demo-arp") else {
        return;
    };
    let (t, _dir, rc_file) = start_demo(&server, "arp", 160, 48, "demo --speed 10 --arp-timeout 5");
    let long = Duration::from_secs(20);

    let s = t.wait_until("pings answered", long, |s| {
        s.contains("Echo (ping) reply") && pings(s).is_some_and(|p| p.1 >= 3)
    });
    assert!(s.contains("ARP ON [a]"), "{s}");
    assert_eq!(pings(&s).unwrap().2, 0, "no loss while ARP is answered");

    // ARP off: pings go on until the peer's entry expires, then fail.
    t.keys("a");
    let s = t.wait_until("the peer's entry to expire", long, |s| {
        s.contains("peer's entry gone") && s.contains("ARP OFF [a]")
    });
    assert!(s.contains("arp_responder_off"), "{s}");
    let (_, answered, lost) = pings(&s).unwrap();
    let s = t.wait_until("pings to be lost", long, |s| {
        pings(s).is_some_and(|p| p.2 >= lost + 3)
    });
    assert!(s.contains("ARP requests unanswered"), "{s}");
    assert!(
        pings(&s).unwrap().1 <= answered + 1,
        "nothing answered with the entry gone:\n{s}"
    );

    // ARP on: the next request is answered, pings resume.
    t.keys("a");
    let s = t.wait_until("pings to resume", long, |s| {
        s.contains("ARP ON [a]") && pings(s).is_some_and(|p| p.1 >= answered + 5)
    });
    assert!(!s.contains("peer's entry gone"), "{s}");

    t.keys("q");
    let start = Instant::now();
    let rc = loop {
        if let Ok(rc) = std::fs::read_to_string(&rc_file) {
            break rc;
        }
        assert!(
            start.elapsed() < long,
            "ringside did not quit on q:\n{}",
            t.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(rc.trim(), "0", "exit status");
}

/// `dump -V --frame N`: one frame as a tree of headers and fields, with the checksum it should
/// have had (lesson 5's frame 13). Piped, plain `dump` stays TSV.
#[test]
fn dump_tree_and_pipe_stays_tsv() {
    let bin = env!("CARGO_BIN_EXE_ringside");
    let ping = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/ping.pcapng");
    let o = Command::new(bin)
        .args(["dump", "-V", "--frame", "13", ping])
        .output()
        .unwrap();
    assert!(o.status.success());
    let t = String::from_utf8(o.stdout).unwrap();
    assert!(t.starts_with("Frame 13: 98 bytes on wire"), "{t}");
    assert_eq!(t.matches("\nFrame ").count(), 0, "only frame 13:\n{t}");
    assert!(
        t.contains("    Checksum: 0x341a ✗ BAD (should be 0x341b)"),
        "{t}"
    );
    assert!(
        t.contains("        ..0 More fragments (MF): not set"),
        "{t}"
    );
    let o = Command::new(bin).args(["dump", ping]).output().unwrap();
    let tsv = String::from_utf8(o.stdout).unwrap();
    assert!(tsv.starts_with("no\ttime\t"), "a pipe gets the TSV");
}

/// In a terminal, plain `dump` prints one readable line per frame, not 66 TSV columns.
#[test]
fn dump_in_a_terminal_is_one_summary_line_per_frame() {
    let Some(server) = tmux::Server::start("e2e_demo-dump") else {
        return;
    };
    let ping = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/ping.pcapng");
    let (t, _dir, _rc) = start_demo(&server, "dump", 120, 40, &format!("dump {ping}"));
    let s = t.wait_until("the summary", Duration::from_secs(20), |s| {
        s.contains("Echo (ping) request")
    });
    assert!(!s.contains("ipv4.version"), "{s}");
    assert!(s.contains("seq=6, ttl=64"), "{s}");
}
