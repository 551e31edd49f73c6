//! The peer's side, live: in the lab, the kernel at the other end of ringside's veth is the
//! "student's PC". Its own neighbour (ARP) entry for ringside, in the states `ip neigh` prints,
//! and the pings it sent and the replies it got, read from inside its network namespace, so
//! the live ARP lesson shows what the demo's simulated PC shows.
//!
//! Finding the peer: ringside is given an interface (`-i rs0`), not a namespace. The kernel
//! knows where a veth's other end is: RTM_GETLINK on rs0 answers IFLA_LINK (the other end's
//! ifindex, in its namespace) and IFLA_LINK_NETNSID (that namespace's id as seen from ours).
//! An id cannot be opened, so the candidates are opened and asked for their id (RTM_GETNSID
//! with NETNSA_FD): `--peer-netns PATH` if given, `RINGSIDE_PEER_NETNS` (set by `ringside lab
//! exec`: the rootless lab's peer is a process's namespace, not under /run/netns), then every
//! namespace under /run/netns (the system-wide lab's NAME-peer, a test's). Matching by id, not
//! by the lab's name, means the panel never shows some other namespace that happens to be
//! called ringside-peer, and it works for any veth whose other end ringside may enter. A TAP
//! device's other end is the kernel of ringside's own namespace, on the same interface.
//!
//! Reading it: one thread setns(2)s into the peer's namespace once (setns moves only the
//! calling thread) and stays there. Its NETLINK_ROUTE socket, made after the move, belongs to
//! the peer's namespace, so RTM_GETNEIGH dumps the peer's table (net/core/neighbour.c
//! `neigh_dump_info()`). The ICMP counters come from `/proc/thread-self/net/snmp`: /proc/PID/net
//! shows the namespace of the task it names (fs/proc/proc_net.c `get_proc_task_net()`, which
//! reads `task->nsproxy->net_ns`), and /proc/self is the thread-group leader, still in ringside's
//! namespace, so only thread-self is the peer's. The Icmp line is net/ipv4/proc.c `icmp_put()`:
//! OutEchos counts echo requests the peer's IP layer built (net/ipv4/ip_output.c
//! `__ip_make_skb()` calls `icmp_out_count()`, for ping's raw and datagram sockets alike),
//! InEchoReps echo replies it received (net/ipv4/icmp.c `icmp_rcv()`).
//!
//! The thread looks twice a second and publishes a snapshot; the capture thread copies the
//! latest into its status (never waits on netlink), the UI draws it.
pub mod netlink;
mod sys;

use std::net::Ipv4Addr;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the peer's table and counters are read: the neighbour states change on timers of
/// seconds (the lab: base_reachable_time 5 s, delay_first_probe_time 1 s).
pub const POLL: Duration = Duration::from_millis(500);

/// The environment variable `ringside lab exec` sets to the peer's namespace.
pub const PEER_NETNS_ENV: &str = "RINGSIDE_PEER_NETNS";

/// What ringside knows of the kernel at the other end of its interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeerKernel {
    /// Found, and read (see `error` for the last read that failed).
    Seen(PeerKernelView),
    /// Not visible: why, and how to see it (one line each).
    Unseen { why: String, how: String },
}

/// The peer kernel's side, as last read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerKernelView {
    /// Where it is: the /run/netns name, or how the lab names it.
    pub netns: String,
    /// Its end of the cable (peer0 in the lab) and its IPv4 address there.
    pub ifname: String,
    pub ip: Option<Ipv4Addr>,
    /// ringside's address: the entry that matters.
    pub target: Ipv4Addr,
    /// Its neighbour entry for `target` on that interface; None when it has none.
    pub entry: Option<netlink::Neighbour>,
    /// Echo requests it sent and echo replies it received since ringside started looking
    /// (IcmpOutEchos, IcmpInEchoReps of the whole namespace: in the lab, ping to ringside).
    pub pings_sent: u64,
    pub replies: u64,
    /// The last read failed (the namespace went away...).
    pub error: Option<String>,
    /// The kernel's clock_t ticks per second (to read [`netlink::Neighbour::confirmed_ticks`]).
    pub ticks_per_second: u32,
}

impl PeerKernelView {
    /// The entry's state as `ip neigh` prints it ("REACHABLE", ...), None without an entry.
    pub fn state(&self) -> Option<String> {
        self.entry.as_ref().map(|e| netlink::nud_name(e.state))
    }

    /// How long ago the entry was last confirmed reachable (an ARP reply), as `ip -s neigh`
    /// reads NDA_CACHEINFO.
    pub fn confirmed_ago(&self) -> Option<Duration> {
        let t = self.entry.as_ref()?.confirmed_ticks?;
        let hz = self.ticks_per_second.max(1);
        Some(Duration::from_millis(u64::from(t) * 1000 / u64::from(hz)))
    }
}

/// The watcher thread and its latest snapshot.
pub struct Watch {
    latest: Arc<Mutex<Option<PeerKernel>>>,
    /// Looks published so far (see [`Watch::refresh`]).
    looks: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Watch {
    /// Start watching the kernel at the other end of `iface` for its entry for `target`.
    /// `explicit`: `--peer-netns`. Never fails: what goes wrong becomes [`PeerKernel::Unseen`].
    pub fn start(iface: &str, target: Ipv4Addr, explicit: Option<PathBuf>) -> Watch {
        let latest = Arc::new(Mutex::new(None));
        let looks = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Shared {
            cell: latest.clone(),
            looks: looks.clone(),
            stop: stop.clone(),
        };
        let iface = iface.to_string();
        let thread = std::thread::Builder::new()
            .name("ringside-peer".into())
            .spawn(move || watch(&iface, target, explicit, &shared))
            .ok();
        Watch {
            latest,
            looks,
            stop,
            thread,
        }
    }

    /// Look again now and wait (up to a second) for it: the final counters `live --headless`
    /// prints must not be half a poll old.
    pub fn refresh(&self) {
        let Some(t) = &self.thread else { return };
        let before = self.looks.load(Ordering::Acquire);
        if before == 0 {
            // Still finding the peer, or it cannot be seen: nothing to look at again.
            return;
        }
        t.thread().unpark();
        let t0 = std::time::Instant::now();
        while self.looks.load(Ordering::Acquire) == before
            && t0.elapsed() < Duration::from_secs(1)
            && !t.is_finished()
        {
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// The latest snapshot (None until the first look is done).
    pub fn latest(&self) -> Option<PeerKernel> {
        self.latest.lock().ok().and_then(|g| g.clone())
    }

    /// A handle the capture thread can read from.
    pub fn cell(&self) -> PeerCell {
        PeerCell(self.latest.clone())
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

/// A reader of the watcher's latest snapshot (cloned into the capture thread's options).
#[derive(Clone, Debug)]
pub struct PeerCell(Arc<Mutex<Option<PeerKernel>>>);

impl PeerCell {
    pub fn latest(&self) -> Option<PeerKernel> {
        self.0.lock().ok().and_then(|g| g.clone())
    }
}

/// What the watcher thread shares with its [`Watch`].
struct Shared {
    cell: Arc<Mutex<Option<PeerKernel>>>,
    looks: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Shared {
    fn publish(&self, v: impl Into<PeerKernel>) {
        if let Ok(mut g) = self.cell.lock() {
            *g = Some(v.into());
        }
    }
}

/// Where the other end of the cable is, once found.
struct Found {
    ns: Option<(OwnedFd, String)>,
    peer_ifindex: u32,
}

const IN_THE_LAB: &str = "run ringside in the lab (`ringside lab up`, then `ringside live -i rs0 \
                          ...` as root or `ringside lab exec -- ringside live -i rs0 ...`)";

/// Why the peer cannot be seen, and how to see it (becomes [`PeerKernel::Unseen`]).
#[derive(Debug)]
struct NotSeen {
    why: String,
    how: String,
}

impl From<NotSeen> for PeerKernel {
    fn from(n: NotSeen) -> PeerKernel {
        PeerKernel::Unseen {
            why: n.why,
            how: n.how,
        }
    }
}

fn unseen(why: impl Into<String>, how: impl Into<String>) -> NotSeen {
    NotSeen {
        why: why.into(),
        how: how.into(),
    }
}

/// How the panel names a namespace file: its /run/netns name; a process's namespace by its
/// pid (`lab` when `ringside lab exec` named it: the rootless lab's peer); else the path.
fn label(path: &Path, lab: bool) -> String {
    let pid = path
        .strip_prefix("/proc")
        .ok()
        .filter(|rest| rest.ends_with("ns/net"))
        .and_then(|rest| rest.components().next())
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    match (path.parent(), path.file_name(), pid) {
        (Some(p), Some(n), _) if p == Path::new("/run/netns") => n.to_string_lossy().into_owned(),
        (_, _, Some(_)) if lab => "the lab's peer namespace".into(),
        (_, _, Some(pid)) => format!("the namespace of pid {pid}"),
        _ => path.display().to_string(),
    }
}

/// Find the other end of `iface` (see the module comment).
fn find(rtnl: &mut sys::Rtnl, iface: &str, explicit: Option<&Path>) -> Result<Found, NotSeen> {
    let index = crate::link::iface::ifindex(iface)
        .map_err(|e| unseen(format!("{iface}: {e}"), IN_THE_LAB))?;
    let mut link = None;
    rtnl.call(|seq| netlink::get_link(seq, index), &mut |m| {
        link = link.take().or_else(|| netlink::parse_link(m))
    })
    .map_err(|e| unseen(format!("reading {iface} through netlink: {e}"), IN_THE_LAB))?;
    let Some(link) = link else {
        return Err(unseen(
            format!("the kernel said nothing of {iface}"),
            IN_THE_LAB,
        ));
    };
    if link.kind.as_deref() == Some("tun") {
        // A TAP device: the machine at the other end of this cable is the kernel of this very
        // namespace, on this very interface (`--backend tap`).
        return Ok(Found {
            ns: None,
            peer_ifindex: index,
        });
    }
    let (Some("veth"), Some(peer_ifindex)) = (link.kind.as_deref(), link.link) else {
        return Err(unseen(
            format!(
                "{iface} is not a veth or TAP (a foreign interface): ringside cannot see the machine \
                 at the other end"
            ),
            format!("to see the peer kernel's ARP entry and pings, {IN_THE_LAB}"),
        ));
    };
    let Some(want) = link.link_netnsid else {
        // Both ends in this namespace: nothing to enter.
        return Ok(Found {
            ns: None,
            peer_ifindex,
        });
    };
    // (path, named by `ringside lab exec`)
    let mut candidates: Vec<(PathBuf, bool)> = Vec::new();
    candidates.extend(explicit.map(|p| (p.to_path_buf(), false)));
    candidates.extend(std::env::var_os(PEER_NETNS_ENV).map(|p| (PathBuf::from(p), true)));
    if let Ok(dir) = std::fs::read_dir("/run/netns") {
        let mut named: Vec<PathBuf> = dir.filter_map(|e| Some(e.ok()?.path())).collect();
        named.sort();
        candidates.extend(named.into_iter().map(|p| (p, false)));
    }
    for (path, from_lab) in &candidates {
        // Non-blocking: a FIFO named by mistake must not hang the watcher in open(2).
        let Ok(f) = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
        else {
            continue;
        };
        let fd: OwnedFd = f.into();
        let raw = fd.as_raw_fd() as u32;
        let mut id = None;
        if rtnl
            .call(|seq| netlink::get_nsid(seq, raw), &mut |m| {
                id = id.or(netlink::parse_nsid(m))
            })
            .is_ok()
            && id == Some(want)
        {
            return Ok(Found {
                ns: Some((fd, label(path, *from_lab))),
                peer_ifindex,
            });
        }
    }
    if let Some(p) = explicit {
        return Err(unseen(
            format!(
                "--peer-netns {}: {iface}'s other end is not in that namespace",
                p.display()
            ),
            "give the namespace of the other end (`ip -d link show` names it as link-netns)",
        ));
    }
    Err(unseen(
        format!(
            "{iface}'s other end is in a namespace ringside cannot open (not under /run/netns)"
        ),
        format!("{IN_THE_LAB}, or give --peer-netns PATH"),
    ))
}

/// The watcher thread: find the peer, enter its namespace, then look every [`POLL`].
fn watch(iface: &str, target: Ipv4Addr, explicit: Option<PathBuf>, shared: &Shared) {
    let found = sys::Rtnl::open()
        .map_err(|e| unseen(format!("netlink: {e}"), IN_THE_LAB))
        .and_then(|mut r| find(&mut r, iface, explicit.as_deref()));
    let found = match found {
        Ok(f) => f,
        Err(why) => return shared.publish(why),
    };
    let netns = match &found.ns {
        Some((fd, name)) => {
            if let Err(e) = sys::enter_netns(fd) {
                let why = if e.raw_os_error() == Some(libc::EPERM) {
                    format!(
                        "no permission to enter the peer's namespace {name} (entering one \
                         needs CAP_SYS_ADMIN; setcap's cap_net_raw,cap_net_admin is not enough)"
                    )
                } else {
                    format!("entering the peer's namespace {name}: {e}")
                };
                return shared.publish(unseen(why, format!("run as root, or {IN_THE_LAB}")));
            }
            name.clone()
        }
        None => "this namespace".to_string(),
    };
    // From here on this thread, and every socket and /proc/thread-self file it opens, is in
    // the peer's namespace.
    let mut rtnl = match sys::Rtnl::open() {
        Ok(r) => r,
        Err(e) => return shared.publish(unseen(format!("netlink in {netns}: {e}"), IN_THE_LAB)),
    };
    let idx = found.peer_ifindex;
    let mut ifname = String::new();
    let _ = rtnl.call(|seq| netlink::get_link(seq, idx), &mut |m| {
        if let Some(l) = netlink::parse_link(m) {
            ifname = l.name;
        }
    });
    let mut base: Option<(u64, u64)> = None;
    let hz = sys::clock_ticks_per_second();
    while !shared.stop.load(Ordering::Relaxed) {
        let mut view = PeerKernelView {
            netns: netns.clone(),
            ifname: ifname.clone(),
            ip: None,
            target,
            entry: None,
            pings_sent: 0,
            replies: 0,
            error: None,
            ticks_per_second: hz,
        };
        let read = look(&mut rtnl, idx, &mut view).and_then(|()| {
            let text = std::fs::read_to_string("/proc/thread-self/net/snmp")?;
            icmp_echo_counters(&text)
                .ok_or_else(|| std::io::Error::other("no Icmp OutEchos/InEchoReps in snmp"))
        });
        match read {
            Ok(now) => {
                let b = *base.get_or_insert(now);
                view.pings_sent = now.0.saturating_sub(b.0);
                view.replies = now.1.saturating_sub(b.1);
            }
            Err(e) => view.error = Some(e.to_string()),
        }
        shared.publish(PeerKernel::Seen(view));
        shared.looks.fetch_add(1, Ordering::Release);
        std::thread::park_timeout(POLL);
    }
}

/// One look at the peer's address and its neighbour entry for `view.target`.
fn look(rtnl: &mut sys::Rtnl, idx: u32, view: &mut PeerKernelView) -> std::io::Result<()> {
    rtnl.call(netlink::dump_ipv4_addrs, &mut |m| {
        if let Some((i, a)) = netlink::parse_ipv4_addr(m) {
            if i == idx && view.ip.is_none() {
                view.ip = Some(a);
            }
        }
    })?;
    let target = view.target;
    rtnl.call(netlink::dump_ipv4_neighbours, &mut |m| {
        if let Some(n) = netlink::parse_neighbour(m) {
            if n.ifindex == idx && n.dst == target {
                view.entry = Some(n);
            }
        }
    })
}

/// A link-layer address as `ip neigh` prints it (aa:bb:...), whatever its length.
pub fn lladdr(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// (OutEchos, InEchoReps) from /proc/net/snmp's two `Icmp:` lines (names, then values).
pub fn icmp_echo_counters(snmp: &str) -> Option<(u64, u64)> {
    let mut icmp = snmp.lines().filter(|l| l.starts_with("Icmp:"));
    let names: Vec<&str> = icmp.next()?.split_whitespace().skip(1).collect();
    let values: Vec<&str> = icmp.next()?.split_whitespace().skip(1).collect();
    let get = |want: &str| -> Option<u64> {
        let i = names.iter().position(|n| *n == want)?;
        values.get(i)?.parse().ok()
    };
    Some((get("OutEchos")?, get("InEchoReps")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icmp_counters_are_read_by_name() {
        // The Icmp lines of /proc/net/snmp on this machine's kernel (6.18): InCsumErrors and
        // the OutRateLimit columns came in later versions, hence by name, not position.
        let snmp = "Ip: Forwarding DefaultTTL\nIp: 2 64\n\
            Icmp: InMsgs InErrors InCsumErrors InDestUnreachs InTimeExcds InParmProbs InSrcQuenchs InRedirects InEchos InEchoReps InTimestamps InTimestampReps InAddrMasks InAddrMaskReps OutMsgs OutErrors OutRateLimitGlobal OutRateLimitHost OutDestUnreachs OutTimeExcds OutParmProbs OutSrcQuenchs OutRedirects OutEchos OutEchoReps OutTimestamps OutTimestampReps OutAddrMasks OutAddrMaskReps\n\
            Icmp: 9 0 0 0 0 0 0 0 0 9 0 0 0 0 12 0 0 0 0 0 0 0 0 12 0 0 0 0 0\n\
            IcmpMsg: InType0 OutType8\nIcmpMsg: 9 12\n";
        assert_eq!(icmp_echo_counters(snmp), Some((12, 9)));
        assert_eq!(icmp_echo_counters("Icmp: InMsgs\nIcmp: 1\n"), None);
        assert_eq!(icmp_echo_counters(""), None);
    }

    #[test]
    fn namespaces_are_named_as_the_user_knows_them() {
        assert_eq!(
            label(Path::new("/run/netns/ringside-peer"), false),
            "ringside-peer"
        );
        assert_eq!(
            label(Path::new("/proc/42/ns/net"), true),
            "the lab's peer namespace"
        );
        assert_eq!(
            label(Path::new("/proc/42/ns/net"), false),
            "the namespace of pid 42"
        );
        assert_eq!(label(Path::new("/tmp/x"), false), "/tmp/x");
    }

    #[test]
    fn loopback_is_not_a_lab_interface() {
        // `lo` exists everywhere and is no veth: the panel must say why it sees no peer.
        let mut r = match sys::Rtnl::open() {
            Ok(r) => r,
            Err(e) => panic!("netlink socket: {e}"),
        };
        match find(&mut r, "lo", None) {
            Err(NotSeen { why, how }) => {
                assert!(why.contains("lo is not a veth"), "{why}");
                assert!(how.contains("ringside lab up"), "{how}");
            }
            other => panic!("{:?}", other.map(|f| f.peer_ifindex)),
        }
    }
}
