//! `ringside live`: run the stack on a real interface (AF_PACKET ring, AF_XDP, netmap or TAP).
use crate::capture::{self, CaptureOptions, Control, FrameSink, Status};
use crate::cli::UsageError;
use crate::link::afpacket::{AfPacket, RingConfig, RingVersion};
use crate::link::iface;
use crate::link::tap::Tap;
use crate::link::xdp::{Xdp, XdpConfig, XdpMode};
use crate::link::{netmap, Link};
use crate::stack::{DropReason, Stack, StackConfig};
use anyhow::{anyhow, bail, Context};
use clap::{Args, ValueEnum};
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// Linux AF_PACKET with a memory-mapped RX ring (see --ring).
    Afpacket,
    /// netmap (needs a netmap kernel and a build with `--features netmap`).
    Netmap,
    /// A TAP interface: ringside is the far end of a virtual cable from the kernel.
    Tap,
    /// AF_XDP: an XDP program hands every frame of the interface to ringside, before the
    /// kernel's stack sees it (needs CAP_BPF; see --xdp-mode, --zero-copy).
    Xdp,
}

/// `--ring`: the command line's names for [`RingVersion`] (clap stays out of the link layer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RingArg {
    /// Frame-based: each frame handed over at once (low latency; the default for `live`).
    V2,
    /// Block-based: frames handed over a block at a time, when full or at the retire timeout.
    V3,
}

impl From<RingArg> for RingVersion {
    fn from(r: RingArg) -> Self {
        match r {
            RingArg::V2 => RingVersion::V2,
            RingArg::V3 => RingVersion::V3,
        }
    }
}

/// `--xdp-mode`: the command line's names for [`XdpMode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum XdpModeArg {
    /// Generic XDP: after the driver has built an skb (works on every interface; slower).
    Skb,
    /// Native XDP: inside the driver, before any skb exists (needs driver support; veth has it).
    Drv,
}

impl From<XdpModeArg> for XdpMode {
    fn from(m: XdpModeArg) -> Self {
        match m {
            XdpModeArg::Skb => XdpMode::Skb,
            XdpModeArg::Drv => XdpMode::Drv,
        }
    }
}

#[derive(Args, Debug)]
#[command(after_long_help = AFTER_HELP, mut_arg("ip", |a| a.required(true)))]
pub struct LiveArgs {
    /// Interface to take over, e.g. rs0 after `ringside lab up`. For --backend tap, the TAP
    /// interface to attach to (created, transient, if it does not exist).
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    pub interface: String,

    #[command(flatten)]
    pub stack: crate::cli::StackArgs,

    /// Where frames come from.
    #[arg(long, value_enum, default_value_t = Backend::Afpacket)]
    pub backend: Backend,

    /// AF_PACKET ring layout. v2 (default): every frame is handed over as soon as it lands, so
    /// a ping is answered in tens of microseconds. v3: frames come a block at a time, when the
    /// block fills or --retire-ms passes; cheaper per frame under load, but a lone ping waits
    /// for the timer (RTT ~ --retire-ms). Use v3 for bulk capture, v2 for the responder.
    #[arg(long, value_enum, default_value_t = RingArg::V2)]
    pub ring: RingArg,

    /// Ring block size in KiB (multiple of 4). Default: 64 (v2), 256 (v3).
    #[arg(long, value_name = "KIB")]
    pub block_kib: Option<usize>,

    /// Number of ring blocks. Default: 1024 (v2, 64 MiB), 32 (v3, 8 MiB).
    #[arg(long, value_name = "N")]
    pub blocks: Option<usize>,

    /// TPACKET_V3 block retire timeout in milliseconds (the latency floor of --ring v3).
    #[arg(long, value_name = "MS", default_value_t = 1)]
    pub retire_ms: u32,

    /// --backend xdp: where the XDP program runs. skb: generic XDP, after the kernel built an
    /// skb (every driver); drv: native XDP, in the driver. Default: native if the driver has
    /// it, else generic.
    #[arg(long, value_enum, value_name = "MODE")]
    pub xdp_mode: Option<XdpModeArg>,

    /// --backend xdp: ask for zero-copy AF_XDP (frames DMA'd straight into ringside's memory).
    /// Falls back to copy mode, with one line saying so, on drivers that refuse (veth does).
    #[arg(long)]
    pub zero_copy: bool,

    /// Spin on the ring instead of sleeping in poll(): lowest latency, burns a whole CPU core.
    #[arg(long)]
    pub busy_poll: bool,

    /// V2 and xdp: after a busy batch, check the ring this many microseconds before sleeping in poll()
    /// (catches the next frame of a stream or ping flood without a wake-up). 0 disables.
    #[arg(long, value_name = "US", default_value_t = 50)]
    pub linger_us: u64,

    /// Record every frame received and sent (Ethernet): pcapng with ringside's verdict as each
    /// frame's comment, or classic pcap without them when the name ends in .pcap.
    #[arg(short = 'w', long = "write", value_name = "OUT.pcapng")]
    pub write: Option<PathBuf>,

    /// No terminal UI: log to stderr, print counters on Ctrl-C / SIGTERM.
    /// SIGUSR1 toggles the ARP responder, SIGUSR2 the ICMP echo responder.
    #[arg(long)]
    pub headless: bool,

    /// Only capture (and record with -w): no stack, nothing answered. For benchmarks.
    #[arg(long, requires = "headless")]
    pub capture_only: bool,

    /// Memory the UI may use for frame history, in MiB (the oldest frames are dropped beyond it).
    #[arg(
        long = "history-mb",
        alias = "history-mib",
        value_name = "MB",
        default_value_t = 64
    )]
    pub history_mb: usize,

    /// The network namespace of the machine at the other end of the veth (a /run/netns file
    /// or /proc/PID/ns/net), for the ARP panel's "peer kernel" lines. Default: found by itself
    /// in the lab (`ringside lab up`, `ringside lab exec`) and under /run/netns.
    #[arg(long, value_name = "PATH")]
    pub peer_netns: Option<PathBuf>,
}

const AFTER_HELP: &str = "\
Examples:
  sudo ringside lab up
  sudo ringside live -i rs0 --ip 198.51.100.2/24
  sudo ip netns exec ringside-peer ping 198.51.100.2

Headless control: SIGINT/SIGTERM stop and print every counter (one `name value` per line on
stdout); SIGUSR1 toggles the ARP responder, SIGUSR2 the ICMP echo responder. UDP datagrams to the
print-sink port (9) are logged to stderr, escaped.

Latency: --ring v2 (default) wakes per frame. --ring v3 hands frames over per block, when full or
after --retire-ms; a ping to a v3 ringside waits for that timer. --busy-poll spins instead of
sleeping (lowest latency, one CPU core at 100%).

AF_XDP: --backend xdp attaches a small XDP program that hands every frame of the interface to
ringside before the kernel's stack sees it (the kernel's own addresses there stop answering). It
is removed when ringside exits, even when killed.";

/// Ctrl-C or SIGTERM arrived: stop.
fn stop_asked() -> bool {
    crate::sys::signal_count(libc::SIGINT) > 0 || crate::sys::signal_count(libc::SIGTERM) > 0
}

/// SIGINT and SIGTERM stop the loops, SIGUSR1/2 toggle responders: each is counted by a handler
/// that only adds to an atomic. A blocking poll() returns EINTR, which the loops treat as a
/// timeout.
fn install_signal_handlers() {
    crate::sys::count_signals(&[libc::SIGINT, libc::SIGTERM, libc::SIGUSR1, libc::SIGUSR2]);
}

/// Everything `live` checks and builds before it starts capturing.
struct Plan {
    cfg: StackConfig,
    link: Box<dyn Link>,
}

fn kernel_owns_check(ifname: &str, ip: Ipv4Addr) -> anyhow::Result<()> {
    let owned = iface::kernel_ipv4(ifname).context("listing the interface's addresses")?;
    if let Some((_, p)) = owned.iter().find(|(a, _)| *a == ip) {
        bail!(
            "the kernel owns {ip} on {ifname} and would answer too: remove it with \
             `ip addr del {ip}/{p} dev {ifname}` or use another address"
        );
    }
    Ok(())
}

/// With AF_XDP the kernel cannot answer for its own address on the interface: the XDP program
/// takes every frame before the stack sees it. So an address the kernel owns is allowed, and
/// the lesson is said once.
fn kernel_owns_note(ifname: &str, ip: Ipv4Addr) -> anyhow::Result<()> {
    let owned = iface::kernel_ipv4(ifname).context("listing the interface's addresses")?;
    if owned.iter().any(|(a, _)| *a == ip) {
        eprintln!(
            "ringside: the kernel owns {ip} on {ifname}, but it will not answer while ringside \
             runs: the XDP program hands every frame to ringside first (it answers again after)"
        );
    }
    Ok(())
}

fn open_link(args: &LiveArgs) -> anyhow::Result<Box<dyn Link>> {
    let name = &args.interface;
    match args.backend {
        Backend::Afpacket => {
            let mut rc = RingConfig::new(args.ring.into());
            if let Some(k) = args.block_kib {
                if k == 0 || k % 4 != 0 {
                    return Err(UsageError(format!(
                        "--block-kib {k}: must be a non-zero multiple of 4"
                    ))
                    .into());
                }
                rc.block_size = k << 10;
            }
            if let Some(n) = args.blocks {
                if n == 0 {
                    return Err(UsageError("--blocks must be at least 1".into()).into());
                }
                rc.block_nr = n;
            }
            if args.retire_ms == 0 {
                return Err(UsageError("--retire-ms must be at least 1".into()).into());
            }
            rc.retire_ms = args.retire_ms;
            rc.busy_poll = args.busy_poll;
            if rc.version == RingVersion::V2 {
                rc.linger = Duration::from_micros(args.linger_us);
            }
            Ok(Box::new(AfPacket::open(name, rc)?))
        }
        Backend::Tap => Ok(Box::new(Tap::open(name)?)),
        Backend::Netmap => open_netmap(name),
        Backend::Xdp => {
            let cfg = XdpConfig {
                mode: args.xdp_mode.map(XdpMode::from),
                zero_copy: args.zero_copy,
                busy_poll: args.busy_poll,
                linger: Duration::from_micros(args.linger_us),
            };
            Ok(Box::new(Xdp::open(name, cfg)?))
        }
    }
}

#[cfg(feature = "netmap")]
fn open_netmap(name: &str) -> anyhow::Result<Box<dyn Link>> {
    Ok(Box::new(netmap::Netmap::open(name)?))
}

#[cfg(not(feature = "netmap"))]
fn open_netmap(_name: &str) -> anyhow::Result<Box<dyn Link>> {
    Err(UsageError(netmap::NOT_BUILT.into()).into())
}

fn plan(args: &LiveArgs) -> anyhow::Result<Plan> {
    let Some((ip, _)) = args.stack.ip else {
        return Err(
            UsageError("live needs --ip ADDRESS/PREFIX, e.g. 198.51.100.2/24".into()).into(),
        );
    };
    // Validates the address and a given MAC; the MAC itself may still come from the interface.
    let cfg = args.stack.config(StackConfig::default())?;
    if args.history_mb == 0 {
        return Err(UsageError("--history-mb must be at least 1".into()).into());
    }
    if args.backend == Backend::Netmap && !netmap::AVAILABLE {
        return Err(UsageError(netmap::NOT_BUILT.into()).into());
    }
    if args.backend != Backend::Xdp && (args.xdp_mode.is_some() || args.zero_copy) {
        return Err(UsageError("--xdp-mode and --zero-copy need --backend xdp".into()).into());
    }
    let name = &args.interface;
    if args.backend != Backend::Tap {
        iface::ifindex(name)?;
        if iface::flags(name)? & libc::IFF_LOOPBACK as u32 != 0 {
            return Err(UsageError(format!(
                "{name} is a loopback interface: the kernel answers everything on it itself; \
                 use a veth pair (`ringside lab up`) or --backend tap"
            ))
            .into());
        }
        if !iface::is_up(name)? {
            bail!("interface {name} is down: bring it up with `ip link set {name} up`");
        }
        if args.backend == Backend::Xdp {
            kernel_owns_note(name, ip)?;
        } else {
            kernel_owns_check(name, ip)?;
        }
    }
    let link = open_link(args)?;
    if args.backend == Backend::Tap {
        kernel_owns_check(name, ip)?;
    }
    let mac = match (args.stack.mac, args.backend) {
        (Some(m), _) => m,
        (None, Backend::Tap) => iface::random_local_mac(),
        (None, _) => iface::mac(name)?,
    };
    let mtu = iface::mtu(name).map(|m| m as usize).unwrap_or(1500);
    let cfg = StackConfig { mac, mtu, ..cfg };
    Ok(Plan { cfg, link })
}

/// Where `-w` frames go.
type Recording = Box<dyn FrameSink>;

/// The `-w` file, in the format its name asks for (see [`crate::pcapng_write::CaptureFormat`]),
/// and for a classic pcap the one-line note that it cannot hold the verdicts (printed now, and
/// again after the screen closes, which would hide it).
fn open_recorder(
    args: &LiveArgs,
    host: &StackConfig,
) -> anyhow::Result<(Option<Recording>, Option<String>)> {
    let Some(path) = &args.write else {
        return Ok((None, None));
    };
    let r = crate::pcapng_write::Recorder::create(path, host)?;
    let note = r.format_note().map(|n| format!("ringside: note: {n}"));
    if let Some(n) = &note {
        eprintln!("{n}");
    }
    Ok((Some(Box::new(r)), note))
}

pub fn run(args: LiveArgs) -> anyhow::Result<()> {
    let Plan { cfg, link } = plan(&args)?;
    let (record, format_note) = open_recorder(&args, &cfg)?;
    if args.capture_only {
        return capture_only(link, record);
    }
    let desc = link.info().describe;
    let mac = crate::wire::mac_to_string(&cfg.mac);
    let (ip, prefix) = (cfg.ip, cfg.prefix);
    let stack = Stack::new(cfg);
    // The kernel at the other end of the cable, watched from its own thread (see peer_kernel).
    let peer = crate::peer_kernel::Watch::start(&args.interface, ip, args.peer_netns.clone());
    if !args.headless {
        let handle = capture::spawn(
            link,
            stack,
            CaptureOptions {
                record,
                peer_kernel: Some(peer.cell()),
                // Every change is published within 100 ms; an idle link once a second, enough
                // for the ARP ages on screen (each snapshot is a redraw, see ui::run_loop).
                idle_status_interval: Some(TUI_IDLE_STATUS),
                ..CaptureOptions::default()
            },
        );
        let ran = crate::ui::run(
            handle,
            crate::ui::UiOptions {
                mode: crate::ui::Mode::Live {
                    interface: args.interface.clone(),
                },
                history_bytes: args.history_mb << 20,
                caption: None,
            },
        );
        if let Some(n) = format_note {
            eprintln!("{n}");
        }
        return ran;
    }

    install_signal_handlers();
    let handle = capture::spawn(
        link,
        stack,
        CaptureOptions {
            handoff_capacity: None,
            record,
            // An idle capture thread wakes 10 times a second (each wake-up costs 30-60 us of
            // CPU on the bench VM). A control or a stop ends the wait at once where the link has a
            // waker (AF_PACKET); elsewhere within this timeout.
            poll_timeout: Duration::from_millis(100),
            // Headless has no screen to refresh, only changes to log: a snapshot within 50 ms
            // of a change (a printed datagram, the peer kernel's entry, counters), none while
            // nothing changes (bench/capture_cost.py measured the idle CPU of looking
            // regardless), and the main thread below wakes on each one.
            status_interval: Duration::from_millis(50),
            idle_status_interval: Some(HEADLESS_IDLE_STATUS),
            peer_kernel: Some(peer.cell()),
            ..CaptureOptions::default()
        },
    );
    let started = Instant::now();
    eprintln!(
        "ringside: live on {desc} as {ip}/{prefix} {mac}; ARP responder {}, ICMP responder {}. \
         Ctrl-C stops; SIGUSR1 toggles ARP, SIGUSR2 toggles ICMP",
        on_off(!args.stack.no_arp),
        on_off(!args.stack.no_icmp)
    );
    let mut arp = SignalSwitch {
        sig: "SIGUSR1",
        what: "ARP",
        on: !args.stack.no_arp,
        seen: SignalToggle::default(),
        control: Control::ArpResponder,
        state: |s| s.arp_responder,
    };
    let mut icmp = SignalSwitch {
        sig: "SIGUSR2",
        what: "ICMP",
        on: !args.stack.no_icmp,
        seen: SignalToggle::default(),
        control: Control::IcmpResponder,
        state: |s| s.icmp_responder,
    };
    let mut printed = PrintCursor::default();
    let mut peer_log = PeerLog::default();
    let mut seen = 0;
    while !stop_asked() {
        // Woken by each new snapshot, else every SIGNAL_LOOK for the signal counters (a
        // handler cannot wake a condition variable safely).
        let fresh = handle.wait_status(&mut seen, SIGNAL_LOOK);
        arp.apply(crate::sys::signal_count(libc::SIGUSR1), &handle);
        icmp.apply(crate::sys::signal_count(libc::SIGUSR2), &handle);
        let Some(st) = fresh else { continue };
        printed.print_new(&st);
        peer_log.print_change(&st);
        if st.finished {
            break;
        }
    }
    // A second Ctrl-C while we wrap up kills the process the ordinary way.
    crate::sys::default_action(libc::SIGINT);
    peer.refresh();
    let st = handle.stop();
    printed.print_new(&st);
    peer_log.print_change(&st);
    print_summary(&st, started.elapsed(), args.write.is_some());
    if let Some(e) = st.error {
        bail!("{e}");
    }
    Ok(())
}

/// Headless: how often the main thread looks at the signal counters (Ctrl-C, SIGUSR1/2).
const SIGNAL_LOOK: Duration = Duration::from_millis(100);

/// Headless: a status snapshot at least this often when nothing changed (nothing reads it then
/// but the final summary, which takes its own).
const HEADLESS_IDLE_STATUS: Duration = Duration::from_secs(1);
/// How often the TUI gets a snapshot of an idle link (its ARP ages tick in seconds).
const TUI_IDLE_STATUS: Duration = Duration::from_secs(1);

/// Headless: one stderr line each time the peer kernel's entry for ringside changes state (or
/// once, why it cannot be seen), so a script sees the ARP lesson as the panel shows it.
#[derive(Default)]
struct PeerLog {
    last: Option<String>,
}

impl PeerLog {
    fn print_change(&mut self, st: &Status) {
        use crate::peer_kernel::PeerKernel;
        let line = match &st.peer_kernel {
            None => return,
            Some(PeerKernel::Unseen { why, how }) => {
                format!("ringside: peer kernel not visible: {why}; {how}")
            }
            Some(PeerKernel::Seen(v)) => {
                let entry = match &v.entry {
                    Some(e) => match &e.lladdr {
                        Some(mac) => format!(
                            "{} (lladdr {})",
                            v.state().unwrap_or_default(),
                            crate::peer_kernel::lladdr(mac)
                        ),
                        None => v.state().unwrap_or_default(),
                    },
                    None => "none".into(),
                };
                format!(
                    "ringside: peer kernel {} in {}: its entry for {}: {entry}",
                    v.ip.map_or("?".to_string(), |a| a.to_string()),
                    v.netns,
                    v.target
                )
            }
        };
        // Names come from outside (a namespace file, an interface): no control byte reaches
        // the terminal.
        let line: String = line
            .chars()
            .map(|c| if c.is_control() { '?' } else { c })
            .collect();
        if self.last.as_deref() != Some(line.as_str()) {
            eprintln!("{line}");
            self.last = Some(line);
        }
    }
}

/// Counts signals of one kind for the main loop: the handler only increments a counter, so two
/// signals between two checks show up as a difference of 2, and must toggle twice (= not at all).
#[derive(Default)]
struct SignalToggle {
    seen: u32,
}

impl SignalToggle {
    /// How many signals arrived since the last call, given the handler's counter now.
    fn take(&mut self, count: u32) -> u32 {
        let n = count.wrapping_sub(self.seen);
        self.seen = count;
        n
    }
}

/// One responder switched by a signal (SIGUSR1: ARP, SIGUSR2: ICMP).
struct SignalSwitch {
    sig: &'static str,
    what: &'static str,
    on: bool,
    seen: SignalToggle,
    control: fn(bool) -> Control,
    state: fn(&Status) -> bool,
}

impl SignalSwitch {
    /// Apply the signals counted since the last call (`count`: the handler's counter now): an
    /// odd number flips the responder, once the capture thread has it the change is logged.
    fn apply(&mut self, count: u32, handle: &capture::CaptureHandle) {
        let n = self.seen.take(count);
        if n == 0 {
            return;
        }
        let was = self.on;
        self.on = toggled(was, n);
        if self.on != was {
            handle.control((self.control)(self.on));
            let (state, on) = (self.state, self.on);
            wait_applied(handle, |s| state(s) == on);
        }
        log_toggles(self.sig, self.what, was, n);
    }
}

/// A responder that was `on`, after `n` toggles.
fn toggled(on: bool, n: u32) -> bool {
    on ^ (n % 2 == 1)
}

/// One log line per signal, each with the state it left (the last is the state now in force);
/// a burst beyond a few is summarised.
fn log_toggles(sig: &str, what: &str, was: bool, n: u32) {
    const EACH: u32 = 8;
    for i in 1..=n.min(EACH) {
        eprintln!(
            "ringside: {sig}: {what} responder now {}",
            on_off(toggled(was, i))
        );
    }
    if n > EACH {
        eprintln!(
            "ringside: {sig}: {} more; {what} responder now {}",
            n - EACH,
            on_off(toggled(was, n))
        );
    }
}

/// Wait (briefly) until the capture thread's published status shows a control took effect, so
/// the log line is true when printed: frames after it see the new setting.
fn wait_applied(handle: &capture::CaptureHandle, done: impl Fn(&Status) -> bool) {
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(1) {
        let s = handle.status();
        if done(&s) || s.finished {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn on_off(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

/// Which print-sink datagrams of the rolling `Status::printed` list were already logged.
#[derive(Default)]
struct PrintCursor {
    /// Time of the newest datagram logged, and how many were logged with exactly that time.
    last_at: Option<Duration>,
    same_at: usize,
}

impl PrintCursor {
    fn print_new(&mut self, st: &Status) {
        let mut seen_same = 0;
        for d in &st.printed {
            let new = match self.last_at {
                None => true,
                Some(t) if d.at > t => true,
                Some(t) if d.at == t => {
                    seen_same += 1;
                    seen_same > self.same_at
                }
                _ => false,
            };
            if !new {
                continue;
            }
            eprintln!(
                "ringside: udp {}:{} -> print sink ({} bytes{}): \"{}\"",
                d.from.0,
                d.from.1,
                d.orig_len,
                if d.orig_len > d.payload.len() {
                    format!(", first {} shown", d.payload.len())
                } else {
                    String::new()
                },
                d.payload.escape_ascii()
            );
            if self.last_at == Some(d.at) {
                self.same_at += 1;
            } else {
                self.last_at = Some(d.at);
                self.same_at = 1;
                seen_same = 1;
            }
        }
    }
}

fn print_summary(st: &Status, ran: Duration, recorded: bool) {
    use std::io::Write;
    let c = &st.counters;
    let mut out = String::new();
    let mut line = |k: &str, v: u64| out.push_str(&format!("{k:<26}{v}\n"));
    line("frames_in", c.frames_in);
    line("frames_out", c.frames_out);
    line("answered", c.answered);
    for r in DropReason::ALL {
        line(r.name(), c.no_reply(r));
    }
    line("link_rx_frames", st.link.rx_frames);
    line("link_tx_frames", st.link.tx_frames);
    line("link_tx_errors", st.link.tx_errors);
    line("kernel_drops", st.link.kernel_drops);
    // The stack's bounded state: what the ARP cache and reassembly caps hold at the end.
    line("arp_entries", st.arp_cache.len() as u64);
    line("reassembly_bytes", st.reassembly_bytes as u64);
    // The peer kernel's ICMP counters since ringside started (when it can be seen).
    if let Some(crate::peer_kernel::PeerKernel::Seen(v)) = &st.peer_kernel {
        line("peer_pings_sent", v.pings_sent);
        line("peer_echo_replies", v.replies);
    }
    if recorded {
        line("recorded_frames", c.frames_in + c.frames_out);
        line("record_errors", st.record_errors);
    }
    let mut so = std::io::stdout().lock();
    let _ = so.write_all(out.as_bytes());
    let _ = so.flush();
    eprintln!(
        "ringside: stopped after {:.1} s on {}",
        ran.as_secs_f64(),
        st.link_desc
    );
}

/// `--capture-only`: the backend alone, frames counted (and recorded), nothing parsed or answered.
fn capture_only(
    mut link: Box<dyn Link>,
    mut record: Option<Box<dyn FrameSink>>,
) -> anyhow::Result<()> {
    install_signal_handlers();
    let desc = link.info().describe;
    eprintln!("ringside: capturing only on {desc}; Ctrl-C stops");
    let started = Instant::now();
    let (mut frames, mut bytes, mut record_errors) = (0u64, 0u64, 0u64);
    let mut result = Ok(());
    while !stop_asked() {
        let r = link.recv_batch(Duration::from_millis(50), &mut |f, meta| {
            frames += 1;
            bytes += f.len() as u64;
            if let Some(r) = record.as_mut() {
                if r.write_frame(meta.ts, f, meta.orig_len, None).is_err() {
                    record_errors += 1;
                }
            }
        });
        if let Err(e) = r {
            result = Err(anyhow!("receiving from {desc}: {e}"));
            break;
        }
    }
    if let Some(r) = record.as_mut() {
        if r.finish().is_err() {
            record_errors += 1;
        }
    }
    let info = link.info();
    let s = info.stats;
    println!("{:<26}{frames}", "frames_captured");
    println!("{:<26}{bytes}", "bytes_captured");
    println!("{:<26}{}", "kernel_drops", s.kernel_drops);
    println!("{:<26}{record_errors}", "record_errors");
    eprintln!(
        "ringside: stopped after {:.1} s on {}",
        started.elapsed().as_secs_f64(),
        info.describe
    );
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        live: LiveArgs,
    }

    #[test]
    fn every_signal_toggles_even_when_two_arrive_between_checks() {
        let mut t = SignalToggle::default();
        assert_eq!(t.take(0), 0, "no signal, no toggle");
        assert_eq!(t.take(1), 1);
        assert!(!toggled(true, 1), "one SIGUSR1: on -> off");
        // Two signals before the loop looks again: off -> on -> off, i.e. unchanged.
        assert_eq!(t.take(3), 2);
        assert!(!toggled(false, 2), "two signals are two toggles, not one");
        assert!(toggled(false, 3));
        assert_eq!(t.take(3), 0);
        // The handler's counter wraps; the difference is still right.
        let mut t = SignalToggle { seen: u32::MAX };
        assert_eq!(t.take(1), 2);
    }

    #[test]
    fn defaults_are_the_interactive_ones() {
        let t = T::parse_from(["t", "-i", "rs0", "--ip", "198.51.100.2/24"]);
        assert_eq!(t.live.backend, Backend::Afpacket);
        assert_eq!(t.live.ring, RingArg::V2, "the responder ring is V2");
        assert!(!t.live.headless && !t.live.stack.no_arp && !t.live.stack.no_icmp);
    }

    #[test]
    fn usage_errors_exit_2_before_touching_the_system() {
        assert!(
            T::try_parse_from(["t", "-i", "rs0"]).is_err(),
            "live needs --ip"
        );
        let t = T::parse_from(["t", "-i", "rs0", "--ip", "224.0.0.1/24"]);
        let e = plan(&t.live).err().unwrap();
        assert!(e.downcast_ref::<UsageError>().is_some(), "{e}");
        assert!(e.to_string().contains("not a usable host address"), "{e}");
        let t = T::parse_from([
            "t",
            "-i",
            "rs0",
            "--ip",
            "198.51.100.2/24",
            "--mac",
            "03:00:00:00:00:01",
        ]);
        let e = plan(&t.live).err().unwrap();
        assert!(e.to_string().contains("unicast"), "{e}");
        assert!(e.downcast_ref::<UsageError>().is_some());
    }

    #[cfg(not(feature = "netmap"))]
    #[test]
    fn netmap_without_the_feature_says_how_to_rebuild() {
        let t = T::parse_from([
            "t",
            "-i",
            "rs0",
            "--ip",
            "198.51.100.2/24",
            "--backend",
            "netmap",
        ]);
        let e = plan(&t.live).err().unwrap();
        assert!(e.downcast_ref::<UsageError>().is_some());
        assert!(e.to_string().contains("--features netmap"), "{e}");
    }

    #[test]
    fn print_cursor_logs_each_datagram_once() {
        use crate::stack::PrintedDatagram;
        let d = |ns: u64, p: &str| PrintedDatagram {
            at: Duration::from_nanos(ns),
            from: (Ipv4Addr::new(198, 51, 100, 1), 5000),
            payload: p.as_bytes().to_vec(),
            orig_len: p.len(),
        };
        let mut c = PrintCursor::default();
        let mut st = Status {
            printed: vec![d(1, "a"), d(2, "b"), d(2, "c")],
            ..Status::default()
        };
        c.print_new(&st);
        assert_eq!((c.last_at, c.same_at), (Some(Duration::from_nanos(2)), 2));
        st.printed.push(d(2, "d"));
        st.printed.push(d(3, "e"));
        st.printed.remove(0);
        c.print_new(&st);
        assert_eq!((c.last_at, c.same_at), (Some(Duration::from_nanos(3)), 1));
    }
}
