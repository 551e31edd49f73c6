//! The peer's side, live: `ringside live` on the lab's shape (rs0 in one namespace, the peer
//! kernel's peer0 198.51.100.1 in another), driven in tmux as the student sees it. The ARP panel
//! shows the peer kernel's own neighbour entry for ringside as `ip neigh` names it, REACHABLE
//! after the kernel's ping, then, with ringside's ARP responder off (`a`) and the peer's timers
//! short, the kernel's own walk STALE/DELAY/PROBE to FAILED, with more pings sent than
//! answered. A foreign interface (not a veth) gets one line saying why the peer is not seen.
use crate::support::netns;
use crate::support::tmux;
use netns::*;
use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// "pings sent N, replies M" from the panel.
fn pings(screen: &str) -> Option<(u64, u64)> {
    let rest = screen.split("pings sent ").nth(1)?;
    let (sent, rest) = rest.split_once(", replies ")?;
    let replies = rest.split_whitespace().next()?;
    Some((sent.trim().parse().ok()?, replies.parse().ok()?))
}

/// The state after "its entry for 198.51.100.2: " on the screen.
fn state(screen: &str) -> Option<String> {
    let rest = screen.split("its entry for 198.51.100.2: ").nth(1)?;
    rest.split_whitespace().next().map(str::to_string)
}

#[test]
fn the_arp_panel_shows_the_peer_kernels_own_entry_walk_to_failed_in_tmux() {
    let test = "the_arp_panel_shows_the_peer_kernels_own_entry_walk_to_failed_in_tmux";
    if !can_run_with_tmux(test) {
        return;
    }
    let Some(server) = tmux::Server::start("peer_kernel") else {
        return;
    };
    let lab = Lab::veth("peerk");
    // As the lab: REACHABLE for 2.5-7.5 s (base_reachable_time 5 s, randomised), long enough
    // to be seen at the panel's two looks a second even on a loaded machine; then one unicast
    // probe and one broadcast, 200 ms apart.
    lab.peer_neigh_timers(5000, 200);
    let line = format!(
        "ip netns exec {} {BIN} live -i rs0 --ip {RINGSIDE_IP}/24; sleep 600",
        lab.rs_ns
    );
    let s = server.session("live", 160, 48, &line);
    let wait = |what: &str, pred: &dyn Fn(&str) -> bool| {
        let (ok, screen) = s.wait_for(Duration::from_secs(20), pred);
        assert!(ok, "timed out waiting for {what}; screen:\n{screen}");
        screen
    };
    let screen = wait("the peer kernel's lines", &|s| {
        s.contains("its entry for 198.51.100.2:")
    });
    assert!(
        screen.contains(&format!(
            "peer kernel 198.51.100.1 (peer0 in {})",
            lab.peer_ns
        )),
        "{screen}"
    );
    assert_eq!(state(&screen).as_deref(), Some("none:"), "{screen}");

    // The kernel pings ringside: it ARPs, ringside answers, its entry is REACHABLE.
    let (tx, rx, out) = lab.ping(56, 3, 2);
    assert_eq!((tx, rx), (3, 3), "{out}");
    let screen = wait("REACHABLE and 3/3 pings", &|s| {
        state(s).as_deref() == Some("REACHABLE") && pings(s) == Some((3, 3))
    });
    assert!(
        screen.contains("lladdr 02:52:53:00:00:02"),
        "the MAC it learned: {screen}"
    );
    // ringside's ARP reply confirmed it moments ago (the kernel's NDA_CACHEINFO).
    let confirmed: f64 = screen
        .split("confirmed ")
        .nth(1)
        .and_then(|r| r.split(" s ago").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no `confirmed N s ago`:\n{screen}"));
    assert!(confirmed < 5.0, "confirmed {confirmed} s ago:\n{screen}");

    // ARP off, pings go on: the kernel's own entry ages and fails.
    s.keys("a");
    wait("ARP OFF", &|s| s.contains("ARP OFF"));
    let mut ping = Command::new("ip")
        .args(["netns", "exec", &lab.peer_ns, "ping", "-n", "-i", "0.5"])
        .args(["-W", "1", "-c", "40", RINGSIDE_IP])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ping");
    let mut seen = BTreeSet::new();
    let t0 = Instant::now();
    let mut screen = s.screen();
    while t0.elapsed() < Duration::from_secs(40) {
        screen = s.screen();
        if let Some(st) = state(&screen) {
            seen.insert(st.clone());
            if st == "FAILED" || st == "INCOMPLETE" {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        seen.contains("FAILED") || seen.contains("INCOMPLETE"),
        "the entry never failed: states seen {seen:?}; screen:\n{screen}"
    );
    assert!(
        ["STALE", "DELAY", "PROBE"]
            .iter()
            .any(|st| seen.contains(*st)),
        "no doubt before failing: states seen {seen:?}"
    );
    // Pings sent while the entry is FAILED (or INCOMPLETE, asking again) find no MAC: the
    // kernel counts them sent, and no reply comes.
    let (ok, screen) = s.wait_for(Duration::from_secs(20), |s| {
        pings(s).is_some_and(|(sent, replies)| sent > replies && replies >= 3)
    });
    let _ = ping.kill();
    let _ = ping.wait();
    assert!(ok, "no unanswered ping counted; screen:\n{screen}");
    // The panel's words are the kernel's: `ip neigh` agrees on the state now.
    let neigh = sh(&["ip", "-n", &lab.peer_ns, "neigh", "show", RINGSIDE_IP]);
    assert!(
        neigh.contains("FAILED") || neigh.contains("INCOMPLETE") || neigh.trim().is_empty(),
        "ip neigh: {neigh}\nscreen:\n{screen}"
    );
    s.keys("q");
}

/// The one stderr line `live --headless` says about the peer kernel first.
fn first_peer_line(rs: &mut Ringside) -> String {
    assert!(
        rs.wait_stderr("ringside: peer kernel", Duration::from_secs(5)),
        "{}",
        rs.stderr()
    );
    rs.stderr()
        .lines()
        .find(|l| l.starts_with("ringside: peer kernel"))
        .unwrap()
        .to_string()
}

#[test]
fn a_foreign_interface_says_why_the_peer_is_not_seen() {
    let test = "a_foreign_interface_says_why_the_peer_is_not_seen";
    if !can_run(test) {
        return;
    }
    let lab = Lab::namespaces("peerx");
    // A bridge: a real interface, but no cable with another end ringside could look into.
    sh(&[
        "ip", "-n", &lab.rs_ns, "link", "add", "b0", "type", "bridge",
    ]);
    sh(&["ip", "-n", &lab.rs_ns, "link", "set", "b0", "up"]);
    let mut rs = Ringside::start(
        &lab.rs_ns,
        &["live", "--headless", "-i", "b0", "--ip", "198.51.100.2/24"],
    );
    let line = first_peer_line(&mut rs);
    assert!(
        line.contains("peer kernel not visible: b0 is not a veth or TAP (a foreign interface)")
            && line.contains("ringside lab up"),
        "{line}"
    );
    let s = rs.stop();
    assert!(
        !s.values.contains_key("peer_pings_sent"),
        "no peer counters without a peer: {}",
        s.stdout
    );
}

#[test]
fn a_peer_outside_run_netns_is_named_unseen_until_peer_netns_points_at_it() {
    let test = "a_peer_outside_run_netns_is_named_unseen_until_peer_netns_points_at_it";
    if !can_run(test) {
        return;
    }
    let lab = Lab::namespaces("peero");
    // The peer's namespace belongs to a process only (as in the rootless lab), not /run/netns.
    let mut holder = Command::new("unshare")
        .args(["--net", "sleep", "600"])
        .spawn()
        .expect("unshare");
    let pid = holder.id().to_string();
    let ns = format!("/proc/{pid}/ns/net");
    let t0 = Instant::now();
    while std::fs::read_link(&ns).ok() == std::fs::read_link("/proc/self/ns/net").ok() {
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "unshare --net did not"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let run = || {
        sh(&[
            "ip", "-n", &lab.rs_ns, "link", "add", "rs0", "type", "veth", "peer", "name", "peer0",
            "netns", &pid,
        ]);
        sh(&["ip", "-n", &lab.rs_ns, "link", "set", "rs0", "up"]);
        let mut rs = lab.ringside(&[]);
        let line = first_peer_line(&mut rs);
        assert!(
            line.contains("rs0's other end is in a namespace ringside cannot open")
                && line.contains("--peer-netns PATH"),
            "{line}"
        );
        drop(rs);
        let mut rs = lab.ringside(&["--peer-netns", &ns]);
        let line = first_peer_line(&mut rs);
        assert!(
            line.contains(&format!(
                "in the namespace of pid {pid}: its entry for 198.51.100.2: none"
            )),
            "{line}"
        );
        drop(rs);
        // A namespace that is not rs0's other end is refused, not shown.
        let mut rs = lab.ringside(&["--peer-netns", "/proc/self/ns/net"]);
        let line = first_peer_line(&mut rs);
        assert!(
            line.contains(
                "--peer-netns /proc/self/ns/net: rs0's other end is not in that namespace"
            ),
            "{line}"
        );
    };
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run));
    let _ = holder.kill();
    let _ = holder.wait();
    if let Err(e) = r {
        std::panic::resume_unwind(e);
    }
}

#[test]
fn with_a_tap_device_the_peer_is_this_namespaces_own_kernel() {
    let test = "with_a_tap_device_the_peer_is_this_namespaces_own_kernel";
    if !can_run(test) {
        return;
    }
    // As tests/live/live_ping.rs: the namespace's kernel owns the TAP interface and pings through
    // it; ringside is the far end of the TAP "cable".
    let lab = Lab::tap("peert");
    let tap = TAP;
    let args = [
        "live",
        "--headless",
        "--backend",
        "tap",
        "-i",
        tap,
        "--ip",
        "198.51.100.2/24",
    ];
    let rs = Ringside::start(&lab.rs_ns, &args);
    let (tx, rx, out) = ping_in(&lab.rs_ns, 56, 2, 2);
    assert_eq!((tx, rx), (2, 2), "{out}");
    let s = rs.stop();
    assert!(
        s.stderr.contains(
            "peer kernel 198.51.100.1 in this namespace: its entry for 198.51.100.2: \
             REACHABLE (lladdr "
        ),
        "{}",
        s.stderr
    );
    assert_eq!(s.get("peer_pings_sent"), 2, "{}", s.stdout);
    assert_eq!(s.get("peer_echo_replies"), 2, "{}", s.stdout);
}
