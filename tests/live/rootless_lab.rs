//! The lab without root, as a student on a shared machine would use it: `ringside lab up` run as
//! `nobody` (setpriv) builds its own user + network namespaces, `lab exec` enters them from
//! "another terminal", the kernel's own ping from the peer side is answered by `ringside live`
//! inside, and killing the lab leaves nothing behind. Also: where user namespaces are switched
//! off, one line names the setting; and the setcap alternative works for `live` as `nobody`.
use crate::support::netns;
use netns::*;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() }
}

fn have(prog: &str, arg: &str) -> bool {
    Command::new(prog)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// What the rootless tests need: setpriv (as root), ping, ip, and working user namespaces.
fn can_run_rootless(test: &str) -> bool {
    for (prog, pkg) in [
        ("setpriv", "util-linux"),
        ("ping", "iputils-ping"),
        ("ip", "iproute2"),
        ("unshare", "util-linux"),
    ] {
        if !have(prog, "-V") {
            return missing(test, &format!("`{prog}` is missing (install {pkg})"));
        }
    }
    let ok = Command::new("unshare")
        .args(["--user", "--map-root-user", "--net", "true"])
        .status()
        .is_ok_and(|s| s.success());
    ok || missing(test, "unprivileged user namespaces are switched off here")
}

/// A user without root: `nobody` when we are root (through setpriv), else ourselves. Each runs
/// with a private HOME and XDG_RUNTIME_DIR, so the lab's pid file is this test's alone, and its
/// own copy of the binary (the build tree may be in a directory `nobody` cannot enter).
struct Student {
    home: tempfile::TempDir,
    bin: String,
}

impl Student {
    fn new() -> Student {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir(home.path().join("bin")).unwrap();
        let bin = home.path().join("bin/ringside");
        // A hard link where it can be: a copy is a file open for writing, and a child another
        // test forks at that moment inherits the descriptor until it execs, so running the copy
        // can fail with ETXTBSY ("Text file busy"). A link opens nothing for writing.
        if std::fs::hard_link(BIN, &bin).is_err() {
            std::fs::copy(BIN, &bin).unwrap();
        }
        if euid() == 0 {
            std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        }
        Student {
            bin: bin.to_str().unwrap().to_string(),
            home,
        }
    }

    fn cmd(&self, prog: &str) -> Command {
        let mut c = if euid() == 0 {
            let mut c = Command::new("setpriv");
            c.args([
                "--reuid=nobody",
                "--regid=nogroup",
                "--clear-groups",
                "--",
                prog,
            ]);
            c
        } else {
            Command::new(prog)
        };
        c.env("HOME", self.home.path())
            .env("XDG_RUNTIME_DIR", self.home.path())
            .current_dir(self.home.path())
            .stdin(Stdio::null());
        c
    }

    fn ringside(&self, args: &[&str]) -> (i32, String, String) {
        let o = self.cmd(&self.bin).args(args).output().unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    }
}

/// A child killed (SIGKILL) and reaped when dropped: nothing outlives a failed test.
struct Reaped(Child);
impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The namespace inode /proc/PID/ns/KIND points at ("net:[4026532...]").
fn ns_of(pid: i32, kind: &str) -> String {
    std::fs::read_link(format!("/proc/{pid}/ns/{kind}"))
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Pids of every process whose namespace of some kind is one of `inodes`.
fn processes_in(inodes: &[String]) -> Vec<i32> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if ["net", "user"]
            .iter()
            .any(|k| inodes.contains(&ns_of(pid, k)))
        {
            found.push(pid);
        }
    }
    found
}

#[test]
fn a_student_without_root_builds_the_lab_pings_ringside_in_it_and_killing_it_leaves_nothing() {
    let test = "rootless lab";
    if !can_run_rootless(test) {
        return;
    }
    let student = Student::new();
    let name = format!("u{}", unique());
    let n = ["--name", name.as_str()];

    // Terminal 1: the lab, in the foreground.
    let mut up = student.cmd(&student.bin);
    up.args(["lab", "up"])
        .args(n)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut lab = Reaped(up.spawn().unwrap());
    let lab_pid = lab.0.id() as i32;
    let mut out = BufReader::new(lab.0.stdout.take().unwrap());
    let mut printed = String::new();
    while !printed.contains("removes it all") {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap() == 0 {
            let mut err = String::new();
            lab.0
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            panic!("lab up ended: {printed}{err}");
        }
        printed.push_str(&line);
    }
    assert!(printed.contains("built without root"), "{printed}");
    assert!(
        printed.contains(&format!(
            "ringside lab exec --name {name} -- ringside live -i rs0 --ip 198.51.100.2/24"
        )) && printed.contains(&format!(
            "ringside lab exec --name {name} --peer -- ping 198.51.100.2"
        )),
        "{printed}"
    );
    // Nothing of it in the machine's namespace or /run/netns.
    assert!(!sh(&["ip", "netns", "list"]).contains(&name));
    assert_ne!(
        ns_of(lab_pid, "net"),
        ns_of(std::process::id() as i32, "net")
    );

    let (code, status, err) = student.ringside(&["lab", "status", "--name", &name]);
    assert_eq!(code, 0, "{err}");
    assert!(status.contains("up without root"), "{status}");
    let peer_pid: i32 = status
        .split("peer held by pid ")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no peer pid in {status}"));
    let inodes = vec![
        ns_of(lab_pid, "user"),
        ns_of(lab_pid, "net"),
        ns_of(peer_pid, "net"),
    ];
    assert!(inodes.iter().all(|i| !i.is_empty()), "{inodes:?}");

    // Terminal 2: ringside on its side of the cable.
    let mut live = student.cmd(&student.bin);
    live.args(["lab", "exec"])
        .args(n)
        .args([
            "--",
            &student.bin,
            "live",
            "--headless",
            "-i",
            "rs0",
            "--ip",
            "198.51.100.2/24",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut live = Reaped(live.spawn().unwrap());
    let mut err = BufReader::new(live.0.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(line.contains("ringside: live on afpacket rs0"), "{line}");

    // Terminal 3: the peer kernel's own ping.
    let o = student
        .cmd(&student.bin)
        .args(["lab", "exec"])
        .args(n)
        .args([
            "--peer", "--", "ping", "-n", "-c", "3", "-i", "0.2", "-W", "2",
        ])
        .arg(RINGSIDE_IP)
        .output()
        .unwrap();
    let ping = String::from_utf8_lossy(&o.stdout);
    assert!(
        ping.contains("3 packets transmitted, 3 received"),
        "{ping}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // The peer learned ringside's MAC by ARP: ringside answered that too.
    let o = student
        .cmd(&student.bin)
        .args(["lab", "exec"])
        .args(n)
        .args(["--peer", "--", "ip", "neigh", "show", "198.51.100.2"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("lladdr 02:52:53:00:00:02"),
        "{o:?}"
    );

    // Ctrl-C ringside: it answered the three echoes.
    // SAFETY: signalling our own child (setpriv and `lab exec` exec, so the pid is ringside's).
    unsafe { libc::kill(live.0.id() as i32, libc::SIGINT) };
    let mut summary = String::new();
    live.0
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut summary)
        .unwrap();
    let answered: u64 = summary
        .lines()
        .find_map(|l| l.strip_prefix("answered"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    assert!(answered >= 4, "3 echoes and an ARP request: {summary}");
    assert!(live.0.wait().unwrap().success());
    // ringside saw the peer's side from inside the lab too (`lab exec` told it where the
    // peer's namespace is): the kernel's own entry for it and the three pings, both answered.
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    assert!(
        rest.contains(
            "peer kernel 198.51.100.1 in the lab's peer namespace: its entry for 198.51.100.2: \
             REACHABLE (lladdr 02:52:53:00:00:02)"
        ),
        "{rest}"
    );
    for (k, v) in [("peer_pings_sent", 3), ("peer_echo_replies", 3)] {
        let got: Option<u64> = summary
            .lines()
            .find_map(|l| l.strip_prefix(k))
            .and_then(|v| v.trim().parse().ok());
        assert_eq!(got, Some(v), "{k}: {summary}");
    }

    // Kill the lab the hard way: no handler runs, yet everything goes.
    lab.0.kill().unwrap();
    lab.0.wait().unwrap();
    let t0 = Instant::now();
    let left = loop {
        let left = processes_in(&inodes);
        if left.is_empty() || t0.elapsed() > Duration::from_secs(5) {
            break left;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        left.is_empty(),
        "processes still in the lab's namespaces: {left:?}"
    );
    let (code, _, err) = student.ringside(&["lab", "exec", "--name", &name, "--", "true"]);
    assert_eq!(code, 1);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&format!("lab {name} is not up")), "{err}");
    let (code, status, _) = student.ringside(&["lab", "down", "--name", &name]);
    assert_eq!(code, 0);
    assert!(status.contains("already down"), "{status}");
}

#[test]
fn lab_down_stops_a_rootless_lab_and_a_second_up_is_refused_while_it_runs() {
    let test = "rootless lab down";
    if !can_run_rootless(test) {
        return;
    }
    let student = Student::new();
    let name = format!("d{}", unique());
    let mut up = student.cmd(&student.bin);
    up.args(["lab", "up", "--name", &name])
        .stdout(Stdio::piped());
    let mut lab = Reaped(up.spawn().unwrap());
    let mut out = BufReader::new(lab.0.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("removes it all") {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "lab up ended early");
    }
    let (code, _, err) = student.ringside(&["lab", "up", "--name", &name]);
    assert_eq!(code, 1);
    assert!(err.contains("is already up"), "{err}");
    let (code, said, err) = student.ringside(&["lab", "down", "--name", &name]);
    assert_eq!(code, 0, "{err}");
    assert!(said.contains("stopped the lab without root"), "{said}");
    // It ended cleanly, and said so.
    assert!(lab.0.wait().unwrap().success());
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert!(rest.contains(&format!("lab {name} removed")), "{rest}");
    // Its pid file went with it.
    let dir = student.home.path().join("ringside");
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(files.is_empty(), "{files:?}");
}

#[test]
fn where_user_namespaces_are_switched_off_one_line_names_the_setting_and_the_alternatives() {
    let test = "user namespaces off";
    if !can_run_rootless(test) {
        return;
    }
    // user.max_user_namespaces is per user namespace: set it to 0 in a throwaway one, which
    // switches them off for everything inside it without touching the machine.
    let o = Command::new("unshare")
        .args(["--user", "--map-root-user", "sh", "-c"])
        .arg("echo 0 > /proc/sys/user/max_user_namespaces && exec \"$0\" lab up --name off")
        .arg(BIN)
        .env("XDG_RUNTIME_DIR", tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("(user.max_user_namespaces=0)"), "{err}");
    assert!(
        err.contains("sudo ringside lab up") && err.contains("setcap cap_net_raw,cap_net_admin+ep"),
        "{err}"
    );
}

/// The alternative where user namespaces are off: an administrator gives the binary
/// CAP_NET_RAW and CAP_NET_ADMIN with setcap, and `live` runs as an ordinary user.
#[test]
fn with_setcap_an_ordinary_user_runs_live_on_a_veth_the_admin_made() {
    let test = "setcap live";
    if !can_run(test) {
        return;
    }
    if !have("setcap", "-h") || !have("setpriv", "-V") {
        missing(
            test,
            "setcap or setpriv is missing (install libcap2-bin util-linux)",
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let bin = dir.path().join("ringside");
    // Its own inode (setcap marks the file), copied by `cp`: a copy written from this process
    // would leave a write descriptor that a child another test forks inherits until it execs,
    // and running the binary then can fail with ETXTBSY.
    let cp = Command::new("cp").arg(BIN).arg(&bin).status().unwrap();
    assert!(cp.success(), "cp {BIN}");
    sh(&[
        "setcap",
        "cap_net_raw,cap_net_admin+ep",
        bin.to_str().unwrap(),
    ]);
    let lab = Lab::veth("setcap");
    let start = |bin: &Path| {
        Command::new("nsenter")
            .arg(format!("--net=/run/netns/{}", lab.rs_ns))
            .args([
                "setpriv",
                "--reuid=nobody",
                "--regid=nogroup",
                "--clear-groups",
                "--",
            ])
            .arg(bin)
            .args(["live", "--headless", "-i", "rs0", "--ip", "198.51.100.2/24"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Without the capabilities, nobody is refused.
    let o = start(Path::new(BIN)).wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    // With them, it runs and answers the kernel's ping.
    let mut live = Reaped(start(&bin));
    let mut err = BufReader::new(live.0.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(line.contains("ringside: live on afpacket rs0"), "{line}");
    // The peer kernel's side needs more than these capabilities (entering a namespace is
    // CAP_SYS_ADMIN): one line says so, and how to get it.
    line.clear();
    err.read_line(&mut line).unwrap();
    assert!(
        line.contains("peer kernel not visible: no permission to enter the peer's namespace")
            && line.contains(&lab.peer_ns)
            && line.contains("ringside lab exec"),
        "{line}"
    );
    let (tx, rx, out) = lab.ping(56, 3, 2);
    assert_eq!((tx, rx), (3, 3), "{out}");
    // SAFETY: signalling our own child.
    unsafe { libc::kill(live.0.id() as i32, libc::SIGINT) };
    assert!(live.0.wait().unwrap().success());
}
