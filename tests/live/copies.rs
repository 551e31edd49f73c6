//! `ringside copies`: the same UDP flood through a UDP socket, an AF_PACKET socket read with
//! recvfrom, and the TPACKET_V3 ring, in namespaces the command makes for itself. The figures
//! asserted are counts, not times (the machine is shared and noisy): every path gets most frames;
//! recvfrom paths make at least one receive syscall per frame, the ring far fewer than one; the
//! CPU copies the bytes recvfrom returned (payload for UDP, whole frame for AF_PACKET) or the
//! kernel put in the ring; CPU time per frame is measured.
use crate::support::netns;
use netns::{alone, can_run, BIN};
use std::process::Command;

const N: u64 = 2000;

fn copies(extra: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(["copies", "-n", &N.to_string(), "--sizes", "64,1472"])
        .args(extra)
        .output()
        .expect("running ringside copies")
}

#[test]
fn each_path_is_measured_and_the_ring_needs_far_fewer_syscalls() {
    if !can_run("each_path_is_measured_and_the_ring_needs_far_fewer_syscalls") {
        return;
    }
    // A flood per path, whose counts must be its own: no lab beside it.
    let _alone = alone();
    let out = copies(&["--json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ringside copies failed: {stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let runs = report["runs"].as_array().expect("runs");
    let mut seen = Vec::new();
    for r in runs {
        let path = r["path"].as_str().unwrap();
        let payload = r["payload"].as_u64().unwrap();
        let what = format!("{path} {payload} B: {r}");
        seen.push((path.to_string(), payload));
        assert_eq!(r["offered"].as_u64(), Some(N), "{what}");
        let received = r["received"].as_u64().unwrap();
        assert!(received * 10 >= N * 9, "most frames received: {what}");
        let spf = r["syscalls_per_frame"].as_f64().unwrap();
        match path {
            "ring" => assert!(spf < 0.2, "ring syscalls/frame far below 1: {what}"),
            // AF_XDP's loop wakes per small batch (need_wakeup, 50 us linger): fewer than one
            // syscall per frame, though not the V3 ring's whole blocks.
            "xdp" => assert!(spf < 1.0, "AF_XDP: fewer syscalls than frames: {what}"),
            _ => assert!(
                spf >= 1.0,
                "recvfrom: at least one syscall per frame: {what}"
            ),
        }
        assert!(r["cpu_ns_per_frame"].as_f64().unwrap() > 0.0, "{what}");
        assert!(r["cpu_ns"].as_u64().unwrap() > 0, "{what}");
        // What the CPU copied into the program's memory, per frame: measured, and exactly what
        // each path hands over (recvfrom's return value; the ring's snaplen).
        let want = match path {
            "socket" => payload,
            _ => payload + 14 + 20 + 8,
        };
        assert_eq!(
            r["bytes_copied_per_frame"].as_f64(),
            Some(want as f64),
            "{what}"
        );
        assert_eq!(r["copy"]["cpu_copies"].as_u64(), Some(1), "{what}");
    }
    let want: Vec<(String, u64)> = [64, 1472]
        .iter()
        .flat_map(|&p| ["socket", "packet", "ring", "xdp"].map(|k| (k.to_string(), p)))
        .collect();
    assert_eq!(seen, want);
}

#[test]
fn the_text_report_draws_bars_and_cites_the_kernel() {
    if !can_run("the_text_report_draws_bars_and_cites_the_kernel") {
        return;
    }
    // A flood per path, whose counts must be its own: no lab beside it.
    let _alone = alone();
    let out = Command::new(BIN)
        .args([
            "copies",
            "-n",
            "500",
            "--sizes",
            "64",
            "--paths",
            "socket,ring",
        ])
        .output()
        .expect("running ringside copies");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for needle in [
        "UDP socket, recvfrom",
        "TPACKET_V3 mmap ring",
        "█",
        "udp_recvmsg -> skb_copy_datagram_msg",
        "tpacket_rcv -> skb_copy_bits",
        "DMA",
        "not a CPU copy",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    assert!(!text.contains("AF_PACKET, recvfrom"), "{text}");
}

#[test]
fn without_privileges_it_says_what_to_do_in_one_line() {
    if !can_run("without_privileges_it_says_what_to_do_in_one_line") {
        return;
    }
    // As nobody, with no capabilities: setpriv is util-linux (installed by .ci/run).
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .args([BIN, "copies", "-n", "10"])
        .output()
        .expect("running setpriv (install util-linux)");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("run with sudo"), "{err}");
}
