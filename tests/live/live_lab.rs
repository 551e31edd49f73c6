//! `ringside lab` builds a working lab (run in a test namespace through `nsenter --net`, so
//! nothing lands in the machine's root namespace), is idempotent, and `down` removes exactly
//! what it made. And `live` refuses, in one line, what cannot work.
use crate::support::netns;
use netns::*;
use std::process::Command;

/// Run `ringside ARGS` with only the network namespace of `ns` entered.
fn ringside_in(ns: &str, args: &[&str]) -> (i32, String, String) {
    let o = Command::new("nsenter")
        .arg(format!("--net=/run/netns/{ns}"))
        .arg(BIN)
        .args(args)
        .output()
        .expect("nsenter");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn lab_up_is_idempotent_works_for_live_and_down_cleans_up() {
    if !can_run("lab_up_is_idempotent_works_for_live_and_down_cleans_up") {
        return;
    }
    // A namespace standing in for "the teacher's laptop"; the lab's peer namespace is NAME-peer.
    let host = Lab::namespaces("labhost");
    let name = format!("rslab{}", unique());
    let peer_ns = format!("{name}-peer");
    // Make sure the peer namespace goes even if an assert fails midway.
    struct DelNs(String);
    impl Drop for DelNs {
        fn drop(&mut self) {
            let _ = Command::new("ip").args(["netns", "del", &self.0]).output();
        }
    }
    let _guard = DelNs(peer_ns.clone());
    let flags = ["--name", name.as_str(), "--iface", "rs0"];
    let up: Vec<&str> = ["lab", "up"].iter().chain(flags.iter()).copied().collect();

    let (code, out, err) = ringside_in(&host.rs_ns, &up);
    assert_eq!(code, 0, "lab up: {out}{err}");
    assert!(
        out.contains("ringside live -i rs0 --ip 198.51.100.2/24"),
        "{out}"
    );
    assert!(
        out.contains(&format!("ip netns exec {peer_ns} ping 198.51.100.2")),
        "{out}"
    );
    // ringside's end: up, no kernel IPv4, IPv6 off.
    let addr = sh(&["ip", "-n", &host.rs_ns, "-4", "addr", "show", "dev", "rs0"]);
    assert!(
        !addr.contains("inet "),
        "kernel address on ringside's end: {addr}"
    );
    let v6 = host.in_rs(&["cat", "/proc/sys/net/ipv6/conf/rs0/disable_ipv6"]);
    assert_eq!(String::from_utf8_lossy(&v6.stdout).trim(), "1");
    // the peer: 198.51.100.1, short ARP timers, TX checksum offload off.
    let paddr = sh(&["ip", "-n", &peer_ns, "-4", "addr", "show", "dev", "peer0"]);
    assert!(paddr.contains("198.51.100.1/24"), "{paddr}");
    let brt = sh(&[
        "ip",
        "netns",
        "exec",
        &peer_ns,
        "sysctl",
        "-n",
        "net.ipv4.neigh.peer0.base_reachable_time_ms",
    ]);
    assert_eq!(brt.trim(), "5000");
    let k = sh(&["ip", "netns", "exec", &peer_ns, "ethtool", "-k", "peer0"]);
    assert!(k.contains("tx-checksumming: off"), "{k}");

    // Again: no error, nothing duplicated.
    let (code, out, err) = ringside_in(&host.rs_ns, &up);
    assert_eq!(code, 0, "second lab up: {out}{err}");
    assert!(out.contains("already up"), "{out}");
    let (code, out, _) = ringside_in(
        &host.rs_ns,
        &["lab", "status", "--name", &name, "--iface", "rs0"],
    );
    assert_eq!(code, 0);
    assert!(out.contains(": up"), "{out}");

    // The printed next step works.
    let rs = Ringside::start(
        &host.rs_ns,
        &["live", "--headless", "-i", "rs0", "--ip", "198.51.100.2/24"],
    );
    let (_, rx, pout) = ping_in(&peer_ns, 56, 2, 2);
    assert_eq!(rx, 2, "ping across the lab: {pout}\n{}", rs.stderr());
    // `lab exec --peer` reaches the same peer as `ip netns exec`.
    let (code, out, err) = ringside_in(
        &host.rs_ns,
        &[
            "lab", "exec", "--name", &name, "--peer", "--", "ip", "-o", "-4", "addr", "show",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("peer0") && out.contains("198.51.100.1/24"),
        "{out}"
    );
    rs.stop();

    // An interface of the same name that the lab did not make is left alone by down.
    let down: Vec<&str> = ["lab", "down"]
        .iter()
        .chain(flags.iter())
        .copied()
        .collect();
    let (code, out, err) = ringside_in(&host.rs_ns, &down);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("removed"), "{out}");
    assert!(!host.in_rs(&["ip", "link", "show", "rs0"]).status.success());
    let list = sh(&["ip", "netns", "list"]);
    assert!(
        !list.contains(&peer_ns),
        "peer namespace left behind: {list}"
    );
    let (code, out, _) = ringside_in(&host.rs_ns, &down);
    assert_eq!(code, 0);
    assert!(out.contains("already down"), "{out}");

    sh(&[
        "ip",
        "-n",
        &host.rs_ns,
        "link",
        "add",
        "rs0",
        "type",
        "veth",
        "peer",
        "name",
        "other0",
    ]);
    let (code, _, err) = ringside_in(&host.rs_ns, &up);
    assert_eq!(code, 1, "lab up over a foreign rs0 must refuse");
    assert!(err.contains("not made by `ringside lab`"), "{err}");
    let (code, out, _) = ringside_in(&host.rs_ns, &down);
    assert_eq!(code, 0);
    assert!(out.contains("left alone"), "{out}");
    assert!(host.in_rs(&["ip", "link", "show", "rs0"]).status.success());
    sh(&["ip", "-n", &host.rs_ns, "link", "del", "rs0"]);

    // A namespace of the lab's name that ringside did not make, even an empty one, is refused
    // by up and left alone by down.
    sh(&["ip", "netns", "add", &peer_ns]);
    let (code, _, err) = ringside_in(&host.rs_ns, &up);
    assert_eq!(code, 1, "lab up over a foreign namespace must refuse");
    assert!(
        err.contains(&format!("namespace {peer_ns} exists and was not made")),
        "{err}"
    );
    let (code, out, _) = ringside_in(&host.rs_ns, &down);
    assert_eq!(code, 0);
    assert!(
        out.contains(&format!("left alone: namespace {peer_ns}")),
        "{out}"
    );
    assert!(sh(&["ip", "netns", "list"]).contains(&peer_ns));
}

#[test]
fn live_refuses_what_cannot_work_in_one_line() {
    if !can_run("live_refuses_what_cannot_work_in_one_line") {
        return;
    }
    let lab = Lab::veth("errors");
    let live = |extra: &[&str]| {
        let mut args = vec!["live", "--headless"];
        args.extend_from_slice(extra);
        ringside_in(&lab.rs_ns, &args)
    };
    let one_line = |err: &str| {
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(err.starts_with("ringside: error: "), "{err}");
    };

    let (code, _, err) = live(&["-i", "nope0", "--ip", "198.51.100.2/24"]);
    assert_eq!(code, 1);
    one_line(&err);
    assert!(err.contains("no such interface `nope0`"), "{err}");

    // Loopback: refused as such, not "delete 127.0.0.1 from lo".
    sh(&["ip", "-n", &lab.rs_ns, "link", "set", "lo", "up"]);
    let (code, _, err) = live(&["-i", "lo", "--ip", "127.0.0.1/8"]);
    assert_eq!(code, 2, "usage error: {err}");
    one_line(&err);
    assert!(
        err.contains("lo is a loopback interface") && !err.contains("ip addr del"),
        "{err}"
    );

    let (code, _, err) = live(&["-i", "rs0", "--ip", "198.51.100.2/33"]);
    assert_eq!(code, 2, "usage error: {err}");
    one_line(&err);
    assert!(err.contains("prefix length 33 is over 32"), "{err}");

    sh(&["ip", "-n", &lab.rs_ns, "link", "set", "rs0", "down"]);
    let (code, _, err) = live(&["-i", "rs0", "--ip", "198.51.100.2/24"]);
    assert_eq!(code, 1);
    one_line(&err);
    assert!(err.contains("ip link set rs0 up"), "{err}");
    sh(&["ip", "-n", &lab.rs_ns, "link", "set", "rs0", "up"]);

    sh(&[
        "ip",
        "-n",
        &lab.rs_ns,
        "addr",
        "add",
        "198.51.100.2/24",
        "dev",
        "rs0",
    ]);
    let (code, _, err) = live(&["-i", "rs0", "--ip", "198.51.100.2/24"]);
    assert_eq!(code, 1);
    one_line(&err);
    assert!(
        err.contains("the kernel owns 198.51.100.2 on rs0")
            && err.contains("ip addr del 198.51.100.2/24 dev rs0"),
        "{err}"
    );
    sh(&[
        "ip",
        "-n",
        &lab.rs_ns,
        "addr",
        "del",
        "198.51.100.2/24",
        "dev",
        "rs0",
    ]);

    let (code, _, err) = live(&[
        "-i",
        "rs0",
        "--ip",
        "198.51.100.2/24",
        "--backend",
        "netmap",
    ]);
    one_line(&err);
    if cfg!(feature = "netmap") {
        assert_eq!(code, 1);
        assert!(err.contains("/dev/netmap not found"), "{err}");
    } else {
        assert_eq!(code, 2);
        assert!(err.contains("--features netmap"), "{err}");
    }

    // Not root: the capability, said plainly.
    let o = Command::new("nsenter")
        .arg(format!("--net=/run/netns/{}", lab.rs_ns))
        .args([
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            BIN,
        ])
        .args(["live", "--headless", "-i", "rs0", "--ip", "198.51.100.2/24"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    one_line(&err);
    assert!(
        err.contains("needs root (CAP_NET_RAW): run with sudo"),
        "{err}"
    );
}
