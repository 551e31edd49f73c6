//! The ARP lesson on a real kernel: arping is answered with ringside's MAC and the peer's
//! neighbour table learns it; with the ARP responder off, ping works only until the peer's
//! neighbour entry runs out (REACHABLE -> STALE -> DELAY -> PROBE -> FAILED), and recovers when
//! the responder is switched back on (SIGUSR1 toggles it in --headless mode).
use crate::support::netns;
use netns::*;
use std::time::{Duration, Instant};

#[test]
fn arping_is_answered_and_the_peer_learns_ringsides_mac() {
    if !can_run("arping_is_answered_and_the_peer_learns_ringsides_mac") {
        return;
    }
    let lab = Lab::veth("arping");
    let rs = lab.ringside(&[]);
    let mac = mac_in(&lab.rs_ns, "rs0");
    let o = lab.in_peer(&["arping", "-c", "2", "-w", "3", "-I", "peer0", RINGSIDE_IP]);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    // iputils arping says "Received 2 response(s)", Habets' arping "2 packets received".
    assert!(
        out.contains("Received 2 response") || out.contains("2 packets received"),
        "arping: {out}{}\nringside: {}",
        String::from_utf8_lossy(&o.stderr),
        rs.stderr()
    );
    assert!(
        out.to_lowercase().contains(&mac),
        "arping replies should carry {mac}: {out}"
    );
    // A ping makes the kernel keep the entry (arping alone does not fill the cache).
    let (_, rx, out) = lab.ping(56, 1, 2);
    assert_eq!(rx, 1, "{out}");
    let neigh = sh(&["ip", "-n", &lab.peer_ns, "neigh", "show", RINGSIDE_IP]);
    assert!(
        neigh.contains(&format!("lladdr {mac}")),
        "peer's neighbour table: {neigh}"
    );
    let s = rs.stop();
    assert!(s.get("answered") >= 3, "{}", s.stdout);
}

/// Ping once a ~second until `want` (success or failure) or the deadline; returns how long it took.
fn ping_until(lab: &Lab, want: bool, deadline: Duration) -> Option<Duration> {
    let t0 = Instant::now();
    while t0.elapsed() < deadline {
        let (_, rx, _) = lab.ping(56, 1, 1);
        if (rx == 1) == want {
            return Some(t0.elapsed());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    None
}

#[test]
fn arp_responder_off_breaks_ping_once_the_neighbour_entry_expires() {
    if !can_run("arp_responder_off_breaks_ping_once_the_neighbour_entry_expires") {
        return;
    }
    let lab = Lab::veth("arpoff");
    // Start with the responder off: the peer cannot resolve ringside at all.
    let mut rs = lab.ringside(&["--no-arp"]);
    let (_, rx, out) = lab.ping(56, 1, 1);
    assert_eq!(rx, 0, "no ARP answer, yet ping worked: {out}");

    rs.signal(libc::SIGUSR1);
    assert!(rs.wait_stderr("SIGUSR1: ARP responder now on", Duration::from_secs(3)));
    let took = ping_until(&lab, true, Duration::from_secs(6));
    assert!(
        took.is_some(),
        "ARP back on, ping did not recover: {}",
        rs.stderr()
    );

    // Off again: ping keeps working from the peer's cache for a while (the lesson: ARP is only
    // asked when the entry goes stale), then fails when the peer's probes go unanswered.
    rs.signal(libc::SIGUSR1);
    assert!(rs.wait_stderr("SIGUSR1: ARP responder now off", Duration::from_secs(3)));
    let neigh = sh(&["ip", "-n", &lab.peer_ns, "neigh", "show", RINGSIDE_IP]);
    assert!(
        neigh.contains("lladdr"),
        "peer had learned ringside: {neigh}"
    );
    let failed_after = ping_until(&lab, false, Duration::from_secs(15));
    assert!(
        failed_after.is_some(),
        "ping kept working with the ARP responder off: {}",
        sh(&["ip", "-n", &lab.peer_ns, "neigh", "show"])
    );
    let neigh = sh(&["ip", "-n", &lab.peer_ns, "neigh", "show", RINGSIDE_IP]);
    assert!(
        neigh.contains("FAILED") || neigh.contains("INCOMPLETE") || !neigh.contains("lladdr"),
        "peer's entry should be unresolved now: {neigh}"
    );

    // On again: the peer's next broadcast ARP is answered and ping recovers.
    rs.signal(libc::SIGUSR1);
    assert!(rs.wait_stderr_n("SIGUSR1: ARP responder now on", 2, Duration::from_secs(3)));
    assert!(
        ping_until(&lab, true, Duration::from_secs(6)).is_some(),
        "ping did not recover after ARP was switched back on"
    );
    let s = rs.stop();
    assert!(
        s.get("arp_responder_off") >= 2,
        "requests ignored while off are counted\n{}",
        s.stdout
    );
}

#[test]
fn icmp_responder_toggles_with_sigusr2() {
    if !can_run("icmp_responder_toggles_with_sigusr2") {
        return;
    }
    let lab = Lab::veth("icmpoff");
    let mut rs = lab.ringside(&[]);
    let (_, rx, out) = lab.ping(56, 2, 1);
    assert_eq!(rx, 2, "{out}");
    rs.signal(libc::SIGUSR2);
    assert!(rs.wait_stderr("SIGUSR2: ICMP responder now off", Duration::from_secs(3)));
    let (tx, rx, out) = lab.ping(56, 2, 1);
    assert_eq!((tx, rx), (2, 0), "echo answered with ICMP off: {out}");
    rs.signal(libc::SIGUSR2);
    assert!(rs.wait_stderr("SIGUSR2: ICMP responder now on", Duration::from_secs(3)));
    let (_, rx, out) = lab.ping(56, 2, 1);
    let s = rs.stop();
    assert_eq!(rx, 2, "{out}\n{}\n{}", s.stdout, s.stderr);
    assert_eq!(s.get("icmp_responder_off"), 2, "{}", s.stdout);
}
