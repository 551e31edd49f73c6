//! Test labs in network namespaces: two namespaces joined by a veth pair, the peer's kernel as
//! the machine that pings, ringside (the real binary) running `live --headless` in the other.
//! Every name carries the pid and a counter; `Drop` removes the namespaces (and with them the
//! interfaces) even when the test fails. Nothing is created in the root namespace.
#![allow(dead_code)]
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

pub const RINGSIDE_IP: &str = "198.51.100.2";
pub const PEER_IP: &str = "198.51.100.1";
pub const BIN: &str = env!("CARGO_BIN_EXE_ringside");

/// True when the live tests can run here (root, `ip netns` works). Otherwise says why and returns
/// false (the test is skipped), except under CI (`CI` set), where a missing prerequisite fails the
/// test: CI runs as root with iproute2 installed, so a skip there would hide a broken setup.
pub fn can_run(test: &str) -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return missing(
            test,
            "needs root (CAP_NET_ADMIN, CAP_NET_RAW) for network namespaces",
        );
    }
    match Command::new("ip").args(["netns", "list"]).output() {
        Ok(o) if o.status.success() => true,
        _ => missing(test, "`ip netns` is unavailable (install iproute2)"),
    }
}

/// [`can_run`], and tmux to drive the terminal UI.
pub fn can_run_with_tmux(test: &str) -> bool {
    if !can_run(test) {
        return false;
    }
    match Command::new("tmux").arg("-V").output() {
        Ok(o) if o.status.success() => true,
        _ => missing(test, "tmux is not installed (apt-get install tmux)"),
    }
}

/// A prerequisite is missing: fail under CI, else say the test is skipped and why.
pub fn missing(test: &str, why: &str) -> bool {
    assert!(
        std::env::var_os("CI").is_none(),
        "{test}: {why}; CI must run this test (.ci/run runs as root and installs its packages)"
    );
    eprintln!("{test}: SKIPPED: {why}");
    false
}

fn run(cmd: &mut Command) -> Output {
    let o = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    o
}

/// Run and require success.
pub fn sh(args: &[&str]) -> String {
    let o = run(Command::new(args[0]).args(&args[1..]));
    assert!(
        o.status.success(),
        "{args:?} failed: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

static SEQ: AtomicU32 = AtomicU32::new(0);

/// The live tests run as threads of one binary on a 2-core machine. A flood (a test that keeps a
/// core busy sending, or whose figures must be its own) runs [`alone`]: it waits until no other
/// lab is up and keeps new labs from starting until it ends. Every other lab holds a shared
/// turn for its lifetime (taken in [`Lab::namespaces`]), so timing-sensitive tests (neighbour
/// timers, a UI in tmux) never run beside a flood.
static LOAD: RwLock<()> = RwLock::new(());

thread_local! {
    /// This thread holds the exclusive turn: its own labs need no shared one.
    static ALONE: Cell<bool> = const { Cell::new(false) };
    /// The shared turn this thread's labs hold, and how many of them hold it (a test may have
    /// two labs up: the read lock is taken once per thread, never recursively, which could
    /// deadlock behind a waiting writer).
    static SHARED: RefCell<(usize, Option<RwLockReadGuard<'static, ()>>)> =
        const { RefCell::new((0, None)) };
}

/// The exclusive turn of [`alone`]; released on drop.
pub struct Alone(#[allow(dead_code)] RwLockWriteGuard<'static, ()>);

impl Drop for Alone {
    fn drop(&mut self) {
        ALONE.with(|a| a.set(false));
    }
}

/// Run the calling test with no other lab up (see [`LOAD`]). Take it before making a lab and
/// hold it for the test.
pub fn alone() -> Alone {
    assert_eq!(
        SHARED.with(|s| s.borrow().0),
        0,
        "take alone() before making a lab: this thread's own lab would wait for itself"
    );
    let g = LOAD.write().unwrap_or_else(|e| e.into_inner());
    ALONE.with(|a| a.set(true));
    Alone(g)
}

/// One lab's hold on its thread's shared turn. Not `Send`: it is released on the thread that
/// took it.
struct Turn(std::marker::PhantomData<*const ()>);

/// A shared turn for a lab, unless this thread already runs alone.
fn shared_turn() -> Option<Turn> {
    if ALONE.with(|a| a.get()) {
        return None;
    }
    SHARED.with(|s| {
        let mut s = s.borrow_mut();
        if s.0 == 0 {
            s.1 = Some(LOAD.read().unwrap_or_else(|e| e.into_inner()));
        }
        s.0 += 1;
    });
    Some(Turn(std::marker::PhantomData))
}

impl Drop for Turn {
    fn drop(&mut self) {
        SHARED.with(|s| {
            let mut s = s.borrow_mut();
            s.0 -= 1;
            if s.0 == 0 {
                s.1 = None;
            }
        });
    }
}

/// A unique short suffix: pid and a per-process counter.
pub fn unique() -> String {
    format!(
        "{}x{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

/// The TAP interface of [`Lab::tap`].
pub const TAP: &str = "rstap0";

pub struct Lab {
    /// Namespace where ringside runs (its interface `rs0` is there).
    pub rs_ns: String,
    /// Namespace of the peer kernel (`peer0`, 198.51.100.1/24).
    pub peer_ns: String,
    pub rs_if: String,
    pub peer_if: String,
    /// This lab's shared turn (see [`alone`]); dropped after the namespaces are removed.
    _turn: Option<Turn>,
}

impl Lab {
    /// Two namespaces, no IPv6, lo up in both.
    pub fn namespaces(tag: &str) -> Lab {
        let turn = shared_turn();
        remove_orphans();
        let u = unique();
        let lab = Lab {
            rs_ns: format!("rst-{tag}-{u}"),
            peer_ns: format!("rsp-{tag}-{u}"),
            rs_if: "rs0".into(),
            peer_if: "peer0".into(),
            _turn: turn,
        };
        for ns in [&lab.rs_ns, &lab.peer_ns] {
            sh(&["ip", "netns", "add", ns]);
            sh(&[
                "ip",
                "netns",
                "exec",
                ns,
                "sysctl",
                "-qw",
                "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1",
            ]);
            sh(&["ip", "-n", ns, "link", "set", "lo", "up"]);
        }
        lab
    }

    /// The TAP lab: one namespace whose kernel owns the TAP interface [`TAP`] (198.51.100.1/24)
    /// and pings through it; ringside, opening the same TAP, is the far end of the "cable".
    pub fn tap(tag: &str) -> Lab {
        let lab = Lab::namespaces(tag);
        sh(&[
            "ip", "-n", &lab.rs_ns, "tuntap", "add", "dev", TAP, "mode", "tap",
        ]);
        sh(&[
            "ip",
            "-n",
            &lab.rs_ns,
            "addr",
            "add",
            "198.51.100.1/24",
            "dev",
            TAP,
        ]);
        lab
    }

    /// The veth lab: rs0 (no address) in rs_ns <-> peer0 198.51.100.1/24 in peer_ns. The peer's
    /// TX checksum offload is left on (the kernel default), so UDP from the peer arrives with
    /// TP_STATUS_CSUMNOTREADY: ringside must cope. Peer neighbour timers shortened.
    pub fn veth(tag: &str) -> Lab {
        let lab = Lab::namespaces(tag);
        sh(&[
            "ip",
            "-n",
            &lab.rs_ns,
            "link",
            "add",
            "rs0",
            "address",
            "02:52:53:00:00:02",
            "type",
            "veth",
            "peer",
            "name",
            "peer0",
            "address",
            "02:52:53:00:00:01",
            "netns",
            &lab.peer_ns,
        ]);
        sh(&[
            "ip",
            "-n",
            &lab.peer_ns,
            "addr",
            "add",
            &format!("{PEER_IP}/24"),
            "dev",
            "peer0",
        ]);
        lab.peer_neigh_timers(1000, 200);
        sh(&["ip", "-n", &lab.rs_ns, "link", "set", "rs0", "up"]);
        sh(&["ip", "-n", &lab.peer_ns, "link", "set", "peer0", "up"]);
        lab
    }

    /// Peer ARP timers: reachable for ~`reachable_ms`, then one unicast probe, one broadcast.
    pub fn peer_neigh_timers(&self, reachable_ms: u32, retrans_ms: u32) {
        let p = |k: &str, v: String| format!("net.ipv4.neigh.{}.{k}={v}", self.peer_if);
        sh(&[
            "ip",
            "netns",
            "exec",
            &self.peer_ns,
            "sysctl",
            "-qw",
            &p("base_reachable_time_ms", reachable_ms.to_string()),
            &p("delay_first_probe_time", "1".into()),
            &p("retrans_time_ms", retrans_ms.to_string()),
            &p("ucast_solicit", "1".into()),
            &p("mcast_solicit", "1".into()),
            &p("gc_stale_time", "5".into()),
        ]);
    }

    pub fn in_peer(&self, args: &[&str]) -> Output {
        run(Command::new("ip")
            .args(["netns", "exec", &self.peer_ns])
            .args(args))
    }

    pub fn in_rs(&self, args: &[&str]) -> Output {
        run(Command::new("ip")
            .args(["netns", "exec", &self.rs_ns])
            .args(args))
    }

    /// `ping` from the peer namespace; (transmitted, received, output).
    pub fn ping(&self, size: usize, count: u32, wait_s: u32) -> (u32, u32, String) {
        ping_in(&self.peer_ns, size, count, wait_s)
    }

    /// Start `ringside live --headless -i rs0 --ip 198.51.100.2/24 EXTRA...` in rs_ns and wait
    /// for its startup line.
    pub fn ringside(&self, extra: &[&str]) -> Ringside {
        let mut args = vec![
            "live",
            "--headless",
            "-i",
            &self.rs_if,
            "--ip",
            "198.51.100.2/24",
        ];
        args.extend_from_slice(extra);
        Ringside::start(&self.rs_ns, &args)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for ns in [&self.rs_ns, &self.peer_ns] {
            let _ = Command::new("ip")
                .args(["netns", "pids", ns])
                .output()
                .map(|o| {
                    for pid in String::from_utf8_lossy(&o.stdout).split_whitespace() {
                        if let Ok(pid) = pid.parse::<i32>() {
                            // SAFETY: kill(2) on a process of the test's own namespace.
                            unsafe { libc::kill(pid, libc::SIGKILL) };
                        }
                    }
                });
            let _ = Command::new("ip").args(["netns", "del", ns]).output();
        }
    }
}

/// Namespaces of earlier test processes that were killed before their `Drop` ran (a timeout, a
/// SIGKILL): named rst-/rsp-TAG-PIDxN, removed when that PID no longer runs.
fn remove_orphans() {
    let Ok(o) = Command::new("ip").args(["netns", "list"]).output() else {
        return;
    };
    for line in String::from_utf8_lossy(&o.stdout).lines() {
        let Some(name) = line.split_whitespace().next() else {
            continue;
        };
        if !(name.starts_with("rst-") || name.starts_with("rsp-")) {
            continue;
        }
        let pid = name
            .rsplit('-')
            .next()
            .and_then(|s| s.split('x').next())
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(pid) = pid {
            if pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists()
            {
                let _ = Command::new("ip").args(["netns", "del", name]).output();
            }
        }
    }
}

/// `ping -c COUNT -s SIZE` to ringside from namespace `ns`; (transmitted, received, output).
pub fn ping_in(ns: &str, size: usize, count: u32, wait_s: u32) -> (u32, u32, String) {
    let o = run(Command::new("ip").args([
        "netns",
        "exec",
        ns,
        "ping",
        "-n",
        "-c",
        &count.to_string(),
        "-i",
        "0.2",
        "-W",
        &wait_s.to_string(),
        "-s",
        &size.to_string(),
        RINGSIDE_IP,
    ]));
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let line = out
        .lines()
        .find(|l| l.contains("packets transmitted"))
        .unwrap_or("");
    let num = |key: &str| -> u32 {
        line.split(',')
            .find(|p| p.contains(key))
            .and_then(|p| p.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (num("transmitted"), num("received"), out)
}

/// A running `ringside live --headless`.
pub struct Ringside {
    child: Option<Child>,
    stderr: Arc<Mutex<String>>,
}

impl Ringside {
    pub fn start(ns: &str, args: &[&str]) -> Ringside {
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns, BIN])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting ringside");
        let err = child.stderr.take().expect("stderr");
        let buf = Arc::new(Mutex::new(String::new()));
        let b2 = buf.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let mut b = b2.lock().unwrap();
                b.push_str(&line);
                b.push('\n');
            }
        });
        let mut r = Ringside {
            child: Some(child),
            stderr: buf,
        };
        let started = r.wait_stderr("ringside: live on", Duration::from_secs(10))
            || r.wait_stderr("ringside: capturing only", Duration::from_millis(1));
        if !started {
            let st = r.child.as_mut().unwrap().try_wait().ok().flatten();
            panic!(
                "ringside did not start (exit {st:?}): {}",
                r.stderr.lock().unwrap()
            );
        }
        r
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().map(|c| c.id() as i32).unwrap_or(0)
    }

    pub fn signal(&self, sig: libc::c_int) {
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(self.pid(), sig) };
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Wait until stderr contains `needle` (true) or the timeout/exit (false).
    pub fn wait_stderr(&mut self, needle: &str, timeout: Duration) -> bool {
        self.wait_stderr_n(needle, 1, timeout)
    }

    /// Wait until stderr contains `needle` at least `n` times.
    pub fn wait_stderr_n(&mut self, needle: &str, n: usize, timeout: Duration) -> bool {
        let t0 = Instant::now();
        loop {
            if self.stderr.lock().unwrap().matches(needle).count() >= n {
                return true;
            }
            let exited = self
                .child
                .as_mut()
                .map(|c| matches!(c.try_wait(), Ok(Some(_))))
                .unwrap_or(true);
            if exited {
                std::thread::sleep(Duration::from_millis(50));
                return self.stderr.lock().unwrap().matches(needle).count() >= n;
            }
            if t0.elapsed() > timeout {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// SIGINT, wait, and parse the `name value` lines it printed. Panics on a non-zero exit.
    pub fn stop(self) -> Summary {
        self.stop_with(libc::SIGINT)
    }

    /// Resident memory of the running process (from /proc/PID/status).
    pub fn memory(&self) -> Memory {
        Memory::of(self.pid())
    }

    /// Stop with `sig` (SIGINT or SIGTERM), wait, and parse the `name value` lines it printed.
    /// Panics on a non-zero exit.
    pub fn stop_with(mut self, sig: libc::c_int) -> Summary {
        self.signal(sig);
        let mut child = self.child.take().unwrap();
        let t0 = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if t0.elapsed() > Duration::from_secs(10) {
                let _ = child.kill();
                panic!("ringside did not stop on signal {sig}: {}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        std::thread::sleep(Duration::from_millis(50));
        let stderr = self.stderr();
        assert!(
            status.success(),
            "ringside exited with {status}: {stderr}\n{out}"
        );
        let values = out
            .lines()
            .filter_map(|l| {
                let mut it = l.split_whitespace();
                Some((it.next()?.to_string(), it.next()?.parse().ok()?))
            })
            .collect();
        Summary {
            values,
            stdout: out,
            stderr,
        }
    }
}

impl Drop for Ringside {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The counters ringside printed when stopped.
pub struct Summary {
    pub values: HashMap<String, u64>,
    pub stdout: String,
    pub stderr: String,
}

impl Summary {
    pub fn get(&self, k: &str) -> u64 {
        *self
            .values
            .get(k)
            .unwrap_or_else(|| panic!("no `{k}` in ringside's summary:\n{}", self.stdout))
    }
}

/// The MAC of an interface in a namespace.
pub fn mac_in(ns: &str, ifname: &str) -> String {
    let out = sh(&["ip", "-n", ns, "-br", "link", "show", "dev", ifname]);
    out.split_whitespace().nth(2).unwrap_or("").to_string()
}

/// Resident set figures of a process, in KiB: VmRSS (now) and VmHWM (its peak so far).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Memory {
    pub rss_kib: u64,
    pub hwm_kib: u64,
}

impl Memory {
    /// Read /proc/PID/status; panics if the process is gone (it crashed) or is not ringside
    /// (`ip netns exec` execs the command in place, so the child's pid is ringside's).
    pub fn of(pid: i32) -> Memory {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .unwrap_or_else(|e| panic!("ringside (pid {pid}) is gone: {e}"));
        assert_eq!(comm.trim(), "ringside", "pid {pid} is not ringside");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .unwrap_or_else(|e| panic!("ringside (pid {pid}) is gone: {e}"));
        assert!(
            !status.contains("State:\tZ") && !status.contains("State:\tX"),
            "ringside (pid {pid}) has exited (crashed?)"
        );
        let field = |name: &str| -> u64 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("no {name} in /proc/{pid}/status:\n{status}"))
        };
        Memory {
            rss_kib: field("VmRSS:"),
            hwm_kib: field("VmHWM:"),
        }
    }
}

impl std::fmt::Display for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "RSS {:.1} MiB (peak {:.1} MiB)",
            self.rss_kib as f64 / 1024.0,
            self.hwm_kib as f64 / 1024.0
        )
    }
}

/// Frames of the capture `pcap` that tshark shows (with IPv4 header checksums checked) and that
/// match the display filter `filter` (all frames when empty).
pub fn tshark_count(pcap: &std::path::Path, filter: &str) -> u64 {
    let mut args = vec![
        "tshark",
        "-n",
        "-o",
        "ip.check_checksum:TRUE",
        "-r",
        pcap.to_str().unwrap(),
    ];
    if !filter.is_empty() {
        args.extend(["-Y", filter]);
    }
    sh(&args).lines().count() as u64
}
