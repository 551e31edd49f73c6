//! netmap on a real netmap module: `tools/netmap-vm/run.sh` builds netmap.ko from the pinned source
//! for Debian 12's kernel, boots that kernel under QEMU (TCG) with a busybox initramfs, and runs
//! ringside's netmap backend against the guest kernel over a veth pair. The guest prints one
//! `check NAME ok|fail DETAIL` line per check; this test asserts every one of them.
//!
//! Needs qemu-system-x86, busybox-static, gcc, make, iproute2, iputils-ping, ethtool, util-linux,
//! tshark, apt's Debian 12 lists and the netmap tarball (`../shared/third_party/` or
//! NETMAP_TARBALL). Missing any: skipped with one line outside CI, a failure under CI.
use std::path::Path;
use std::process::Command;

/// Every check the guest (and, for the recording, the host) must report as ok, in order.
const CHECKS: &[&str] = &[
    // netmap's own pkt-gen first: if these fail, the setup is broken, not ringside.
    "pktgen_tx",
    "pktgen_rx",
    "ping_56",
    "ping_1472",
    "ping_4000_fragmented",
    "ping_burst_3000",
    "udp_echo",
    "udp_print_sink",
    "arp_off_neighbour_fails",
    "arp_on_ping_works",
    "host_stack_cut_off",
    "counters_main",
    "arp_off_counted",
    "host_stack_restored",
    "multi_ring",
    "counters_multi",
    "recording_tshark",
];

/// Exit status of run.sh when a prerequisite is missing (it prints what to install).
const MISSING: i32 = 77;

#[test]
fn ringside_netmap_backend_in_a_qemu_guest() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("tools/netmap-vm/run.sh");
    let mut cmd = Command::new("bash");
    cmd.arg(&script);
    // The script builds ringside with `--features netmap`, in a target directory of its own: in
    // the default one it would replace target/debug/ringside, which the other tests run as the
    // build without netmap. A debug build: measured here, it builds in a quarter of the CPU time
    // of a release build and the guest's checks take about as long with either (TCG dominates).
    cmd.env(
        "CARGO_TARGET_DIR",
        root.join("target/netmap-vm/cargo-target"),
    );
    if std::env::var_os("RINGSIDE_PROFILE").is_none() {
        cmd.env("RINGSIDE_PROFILE", "debug");
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(MISSING) {
        let why = stderr.lines().last().unwrap_or("a prerequisite is missing");
        assert!(
            std::env::var_os("CI").is_none(),
            "{why}; CI must run this test (.ci/run installs its packages)"
        );
        eprintln!("ringside_netmap_backend_in_a_qemu_guest: SKIPPED: {why}");
        return;
    }
    let log = format!("--- stdout\n{stdout}\n--- stderr\n{stderr}");
    // The result lines (and the guest's timing) in the test log, pass or fail.
    eprintln!("{stdout}");
    for name in CHECKS {
        let line = stdout
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(name))
            .unwrap_or_else(|| panic!("no result line for check {name}\n{log}"));
        assert!(
            line.starts_with(&format!("check {name} ok")),
            "check {name} failed: {line}\n{log}"
        );
    }
    let failed: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("check ") && l.split_whitespace().nth(2) == Some("fail"))
        .collect();
    assert!(failed.is_empty(), "failed checks: {failed:?}\n{log}");
    assert!(
        out.status.success(),
        "run.sh exited {:?}\n{log}",
        out.status
    );
}
