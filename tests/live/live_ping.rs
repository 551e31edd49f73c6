//! `ringside live` answers ping from a real kernel over AF_PACKET (both ring versions) and TAP:
//! 56, 0 and 1472-byte payloads, and a 65,000-byte ping that travels as 44 fragments each way
//! (the stack reassembles the request and fragments the reply).
use crate::support::netns;
use netns::*;

/// Every ping size a user tries first, one run of ringside.
fn pings_answered(lab: &Lab, extra: &[&str], what: &str) {
    let rs = lab.ringside(extra);
    let mut sent = 0;
    for (size, count) in [(56usize, 3u32), (0, 2), (1472, 2), (65_000, 2)] {
        let (tx, rx, out) = lab.ping(size, count, 2);
        assert_eq!(
            (tx, rx),
            (count, count),
            "{what}: ping -s {size}: expected every echo answered\n{out}\nringside: {}",
            rs.stderr()
        );
        if size >= 8 {
            // ping checks the payload of each reply and complains about corruption.
            assert!(!out.contains("wrong data"), "{what}: ping -s {size}: {out}");
            assert!(!out.contains("DUP!"), "{what}: ping -s {size}: {out}");
        }
        sent += count as u64;
    }
    let s = rs.stop();
    assert!(
        s.get("answered") >= sent,
        "{what}: answered {} < {sent} echo requests\n{}",
        s.get("answered"),
        s.stdout
    );
    // 65,008 bytes of ICMP = 44 fragments of at most 1480 bytes per request: 43 held, the last
    // completes the datagram and is answered.
    assert!(
        s.get("fragment_held") >= 2 * 43,
        "{what}: fragments not held for reassembly\n{}",
        s.stdout
    );
    assert_eq!(s.get("malformed"), 0, "{what}\n{}", s.stdout);
    assert_eq!(s.get("bad_checksum"), 0, "{what}\n{}", s.stdout);
    assert_eq!(s.get("kernel_drops"), 0, "{what}\n{}", s.stdout);
    assert_eq!(s.get("link_tx_errors"), 0, "{what}\n{}", s.stdout);
    assert_eq!(
        s.get("frames_out"),
        s.get("link_tx_frames"),
        "{what}: every frame the stack built went out\n{}",
        s.stdout
    );
}

#[test]
fn ping_over_afpacket_tpacket_v2() {
    if !can_run("ping_over_afpacket_tpacket_v2") {
        return;
    }
    let lab = Lab::veth("v2");
    pings_answered(&lab, &["--ring", "v2"], "TPACKET_V2");
}

#[test]
fn ping_over_afpacket_tpacket_v3() {
    if !can_run("ping_over_afpacket_tpacket_v3") {
        return;
    }
    let lab = Lab::veth("v3");
    pings_answered(&lab, &["--ring", "v3", "--retire-ms", "2"], "TPACKET_V3");
}

/// `--busy-poll` never sleeps in poll(): the wait is the linger spin for the whole timeout
/// (`link::spin_until`), on both ring versions. A spin that gave up early or never saw the
/// cursor move would lose the pings.
#[test]
fn ping_over_afpacket_busy_poll_v2_and_v3() {
    if !can_run("ping_over_afpacket_busy_poll_v2_and_v3") {
        return;
    }
    let lab = Lab::veth("bpv2");
    pings_answered(
        &lab,
        &["--ring", "v2", "--busy-poll"],
        "TPACKET_V2 --busy-poll",
    );
    drop(lab);
    let lab = Lab::veth("bpv3");
    pings_answered(
        &lab,
        &["--ring", "v3", "--retire-ms", "2", "--busy-poll"],
        "TPACKET_V3 --busy-poll",
    );
}

#[test]
fn ping_over_tap() {
    if !can_run("ping_over_tap") {
        return;
    }
    // One namespace: its kernel owns the TAP interface (198.51.100.1) and pings through it;
    // ringside is the far end of the TAP "cable".
    let lab = Lab::tap("tap");
    let tap = TAP;
    let rs = Ringside::start(
        &lab.rs_ns,
        &[
            "live",
            "--headless",
            "--backend",
            "tap",
            "-i",
            tap,
            "--ip",
            "198.51.100.2/24",
        ],
    );
    assert!(
        rs.stderr().contains("tap rstap0 (persistent)"),
        "{}",
        rs.stderr()
    );
    let mut sent = 0u64;
    for (size, count) in [(56usize, 3u32), (0, 2), (1472, 2), (65_000, 2)] {
        let (tx, rx, out) = ping_in(&lab.rs_ns, size, count, 2);
        assert_eq!(
            (tx, rx),
            (count, count),
            "tap: ping -s {size}\n{out}\n{}",
            rs.stderr()
        );
        sent += count as u64;
    }
    let s = rs.stop();
    assert!(s.get("answered") >= sent, "{}", s.stdout);
    assert_eq!(s.get("link_tx_errors"), 0, "{}", s.stdout);
}

#[test]
fn transient_tap_is_created_and_removed() {
    if !can_run("transient_tap_is_created_and_removed") {
        return;
    }
    let lab = Lab::namespaces("ttap");
    let rs = Ringside::start(
        &lab.rs_ns,
        &[
            "live",
            "--headless",
            "--backend",
            "tap",
            "-i",
            "rstmp0",
            "--ip",
            "198.51.100.2/24",
        ],
    );
    assert!(rs.stderr().contains("transient"), "{}", rs.stderr());
    let link = sh(&[
        "ip", "-n", &lab.rs_ns, "-br", "link", "show", "dev", "rstmp0",
    ]);
    assert!(link.contains("UP"), "ringside brought its TAP up: {link}");
    // A generated, locally administered MAC for ringside (not the TAP's own kernel-side MAC).
    let kernel_mac = mac_in(&lab.rs_ns, "rstmp0");
    let line = rs.stderr();
    let ours = line
        .split_whitespace()
        .map(|w| w.trim_end_matches([';', ',']))
        .find(|w| w.starts_with("02:") && w.len() == 17)
        .unwrap_or_else(|| panic!("no 02:... MAC in {line}"));
    assert_ne!(ours, kernel_mac);
    rs.stop();
    let o = lab.in_rs(&["ip", "link", "show", "dev", "rstmp0"]);
    assert!(!o.status.success(), "the transient TAP outlived ringside");
}
