//! End to end through the real binary in a real terminal (tmux): `ringside demo`, `v` until the
//! ring panel, `space` to freeze simulated time, `.` to step: head, cur and tail move by one
//! slot, and the slot just read shows as handed back.
use crate::support::tmux;
use std::time::Duration;

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

/// Wait until `pred(screen)` holds; fail with the screen when it never does.
fn wait(t: &tmux::Session, what: &str, limit: Duration, pred: impl Fn(&str) -> bool) -> String {
    let (ok, s) = t.wait_for(limit, pred);
    assert!(ok, "timed out waiting for {what}; screen:\n{s}");
    s
}

#[test]
fn dot_moves_the_demo_ring_one_slot_at_80x24() {
    let Some(server) = tmux::Server::start("e2e_ring") else {
        return;
    };
    let t = server.session(
        "ring",
        80,
        24,
        &format!(
            "{} demo --speed 2; sleep 60",
            env!("CARGO_BIN_EXE_ringside")
        ),
    );
    let long = Duration::from_secs(20);
    wait(&t, "the demo", long, |s| s.contains("simulated LAN"));
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
    let mut before = wait(&t, "time frozen", long, |s| {
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
    let after = wait(&t, "one step", long, |s| {
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
