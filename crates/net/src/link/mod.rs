//! Where frames come from and go to. Every backend (AF_PACKET ring, AF_XDP, netmap, TAP, pcap, the simulated
//! LAN) implements [`Link`]; the capture thread drives any of them the same way.
pub mod frame;
pub mod pcap;
pub mod sim;

use std::io;
use std::os::fd::BorrowedFd;
use std::time::Duration;

/// Per-frame facts a backend knows that the bytes do not carry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RxMeta {
    /// Capture time as recorded in pcaps and shown: wall-clock time since the Unix epoch for
    /// real links, the file's time for pcap, simulated time for the simulated LAN.
    pub ts: Duration,
    /// The stack's clock at reception (see [`Link::now`]): it ages the ARP cache and reassembly
    /// buffers and refills the ICMP error budget by it, so it must never step backwards. Real
    /// links use CLOCK_MONOTONIC here (a wall clock can jump back with NTP or a VM resume);
    /// pcap and the simulated LAN use the same time as `ts`.
    pub clock: Duration,
    /// Length on the wire; larger than the bytes handed over when the backend truncated (snaplen).
    pub orig_len: u32,
    /// The sender's kernel left the L4 checksum to "hardware" (veth CHECKSUM_PARTIAL,
    /// TP_STATUS_CSUMNOTREADY): the checksum field is not computed yet, so it is neither good nor bad.
    pub csum_not_ready: bool,
    /// What ringside recorded about this frame when it wrote the capture (pcapng comments);
    /// None for live links and foreign captures.
    pub note: Option<crate::recorded::FrameNote>,
    /// What the frame starts with: Ethernet for every live backend; a capture file's link type
    /// (Linux cooked, raw IP) for pcap. The stack is fed Ethernet frames only.
    pub link: crate::wire::LinkKind,
    /// Which of several merged sources the frame came from (`replay a.pcap b.pcap`: the index
    /// of its file); 0 for a link with one source.
    pub source: u16,
}

/// Counters and gauges a backend keeps about itself (the kernel's, where it has them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkStats {
    pub rx_frames: u64,
    pub rx_bytes: u64,
    pub tx_frames: u64,
    pub tx_errors: u64,
    /// Frames the kernel dropped because the ring was full (PACKET_STATISTICS and the like).
    pub kernel_drops: u64,
    /// Ring occupancy: (slots or blocks in user hands or filled, total). None where there is no ring.
    pub ring_used: Option<(u32, u32)>,
}

/// What one [`Link::recv_batch`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Received {
    /// This many frames were handed over; 0 when the wait ran out first.
    Frames(usize),
    /// A finite source (a capture file) had handed over its last frame already. A live link
    /// never ends.
    End,
}

impl Received {
    /// Frames handed over (none at the end).
    pub fn frames(self) -> usize {
        match self {
            Received::Frames(n) => n,
            Received::End => 0,
        }
    }
}

/// What a link can show about itself, for the status bar and its panels. Taken at status ticks
/// (a few times a second), never per frame: the ring picture and the strings cost something.
/// Every backend has the first two; each `Option` only some, None where the backend has no
/// such thing.
#[derive(Clone, Debug, Default)]
pub struct LinkInfo {
    /// One line for the status bar, e.g. "afpacket veth-rs0 (TPACKET_V3, 64 blocks x 128 KiB)".
    pub describe: String,
    pub stats: LinkStats,
    /// The receive ring (who owns which slot, where the cursors are), for the ring panel:
    /// AF_PACKET, AF_XDP, netmap and the simulated LAN; None where frames do not come through
    /// a shared ring (TAP, a capture file). See [`ring_view`].
    pub ring: Option<ring_view::RingView>,
    /// The simulated peer ("the student's PC"), for the ARP panel: the simulated LAN only.
    pub peer: Option<PeerView>,
    /// A finite source (a capture file): (bytes read, total bytes), to show loading progress.
    pub progress: Option<(u64, u64)>,
}

/// What only some links can be asked to do: today, the simulated LAN's clock.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LinkControl {
    /// Run simulated time this many times faster than real time (clamped to the backend's range).
    Speed(f64),
    /// Stop (true) or restart (false) simulated time itself: the peer's timers, its pings, the
    /// ARP countdown.
    Freeze(bool),
    /// While frozen: let the next event happen (one frame on the wire, or the timer that sends
    /// one) and stop again, like Packet Tracer's simulation mode.
    Step,
}

/// Why a link cannot do what a [`LinkControl`] asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unsupported {
    /// A real wire runs in real time.
    RealTime,
    /// A capture file runs in the time it was recorded in, read as fast as the disk allows.
    FileTime,
}

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self {
            Unsupported::RealTime => "a real wire runs in real time",
            Unsupported::FileTime => "a capture file runs in its recorded time",
        };
        write!(f, "{what}: it cannot be sped up, frozen or stepped")
    }
}

impl std::error::Error for Unsupported {}

/// One network attachment.
///
/// What every backend does, per frame: [`recv_batch`](Link::recv_batch) (frames in),
/// [`send`](Link::send) and [`flush`](Link::flush) (frames out), and [`now`](Link::now) (the
/// clock the stack runs on). What backends differ in sits in one pair, used a few times a
/// second at most: [`info`](Link::info) (what the link can show: a ring, a simulated peer, a
/// file's progress) and [`control`](Link::control) (what it can be asked to do; a link that
/// cannot says why).
pub trait Link: Send {
    /// Wait at most `timeout` for frames, then hand every frame that is ready to `on_frame`
    /// (a batch per wake-up). Says how many frames were handed over, or that a finite source
    /// has ended. The slice is only valid during the call: the frame may live in a
    /// kernel-shared ring.
    fn recv_batch(
        &mut self,
        timeout: Duration,
        on_frame: &mut dyn FnMut(&[u8], RxMeta),
    ) -> io::Result<Received>;

    /// Queue one frame for transmission.
    fn send(&mut self, frame: &[u8]) -> io::Result<()>;

    /// Push queued frames out (a TX ring kick). Backends that send immediately need not override.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// The stack's clock now (the same clock as [`RxMeta::clock`]): [`monotonic_clock`] for real
    /// links; simulated time for the simulated LAN; the capture's own time for pcap replay.
    fn now(&self) -> Duration;

    /// What the link can show about itself now (see [`LinkInfo`]). Status ticks only.
    fn info(&self) -> LinkInfo;

    /// Ask the link to do what only some links can (see [`LinkControl`]).
    fn control(&mut self, c: LinkControl) -> Result<(), Unsupported>;

    /// A handle another thread can use to end a `recv_batch` wait early (a control to apply, a
    /// stop), so the wait itself can be long: an idle capture thread then wakes a few times a
    /// second, not fifty. None (the default): the wait runs to its timeout.
    fn waker(&mut self) -> Option<Waker> {
        None
    }
}

/// Ends a link's wait from another thread (see [`Link::waker`]): one end of a socket pair whose
/// other end the link polls beside its own descriptor. A socket pair, not an eventfd: std makes
/// it without `unsafe`, and a wake is one non-blocking datagram.
#[derive(Clone, Debug)]
pub struct Waker(std::sync::Arc<std::os::unix::net::UnixDatagram>);

impl Waker {
    /// Wake the link's current or next wait. A wake already pending is enough: a full socket
    /// buffer is not an error.
    pub fn wake(&self) {
        let _ = self.0.send(&[1]);
    }
}

/// The link's end of a [`Waker`]: readable while a wake is pending.
#[derive(Debug)]
pub struct WakeReceiver(std::os::unix::net::UnixDatagram);

impl WakeReceiver {
    /// A connected pair, both ends non-blocking.
    pub fn pair() -> io::Result<(Waker, WakeReceiver)> {
        let (a, b) = std::os::unix::net::UnixDatagram::pair()?;
        a.set_nonblocking(true)?;
        b.set_nonblocking(true)?;
        Ok((Waker(std::sync::Arc::new(a)), WakeReceiver(b)))
    }
    pub fn fd(&self) -> BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self.0.as_fd()
    }
    /// Take every pending wake, so the next wait sleeps again.
    pub fn drain(&self) {
        let mut b = [0u8; 16];
        while self.0.recv(&mut b).is_ok() {}
    }
}

/// Wait up to `timeout` (rounded up to whole milliseconds) for `fd` to be readable. Returns the
/// poll revents: 0 when the time ran out or a signal (SIGINT to stop, SIGUSR1/2 to toggle)
/// interrupted the wait, which is not an error. For netmap the poll also syncs the RX rings.
pub fn poll_in(fd: BorrowedFd<'_>, timeout: Duration) -> io::Result<libc::c_short> {
    let ms = timeout.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as libc::c_int;
    match crate::sys::poll(fd, libc::POLLIN, ms) {
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(0),
        r => r,
    }
}

/// Spin for at most `linger` until `ready()` (checked 64 times between clock reads, which cost
/// more than a look at a ring cursor); true when it became ready. The rings' `--linger-us`: after
/// traffic, a short spin catches the next frame without the sleep and wake-up of `poll()`.
pub(crate) fn spin_until(linger: Duration, ready: impl Fn() -> bool) -> bool {
    if linger.is_zero() {
        return false;
    }
    let deadline = std::time::Instant::now() + linger;
    loop {
        for _ in 0..64 {
            if ready() {
                return true;
            }
            std::hint::spin_loop();
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
    }
}

/// Time since the Unix epoch, for timestamps people read (pcap files, the screen).
pub fn wall_clock() -> Duration {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
}

/// A clock that never steps backwards (CLOCK_MONOTONIC, from the first call in this process),
/// for the stack's timers on real links.
pub fn monotonic_clock() -> Duration {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed()
}

/// What the simulated peer ("the student's PC") knows, for the UI's ARP panel.
#[derive(Clone, Debug, PartialEq)]
pub struct PeerView {
    pub name: String,
    pub mac: [u8; 6],
    pub ip: std::net::Ipv4Addr,
    /// The peer's ARP entry for the stack: (MAC, seconds until its state next changes:
    /// REACHABLE -> STALE, DELAY -> PROBE, PROBE -> next probe or FAILED; infinite in STALE,
    /// which waits for traffic), None when absent.
    pub arp_entry: Option<([u8; 6], f64)>,
    /// That entry's state as Linux's `ip neigh` names it (REACHABLE, STALE, DELAY, PROBE,
    /// FAILED, INCOMPLETE, NONE), so the demo and the real-kernel lab tell the same story.
    pub neigh_state: &'static str,
    /// Echo requests sent, replies seen, and requests that timed out.
    pub pings_sent: u64,
    pub pings_answered: u64,
    pub pings_lost: u64,
    /// ARP requests the peer sent that nobody answered yet.
    pub arp_unanswered: u64,
    pub speed: f64,
    /// Simulated time is stopped (the teacher pressed space); `.` steps it.
    pub frozen: bool,
}

pub mod afpacket;
pub mod iface;
pub mod merge;
pub mod netmap;
pub mod ring_view;
pub mod sim_ring;
pub mod tap;
pub mod xdp;

#[cfg(test)]
mod spin_tests {
    use super::spin_until;
    use std::time::Duration;

    #[test]
    fn no_linger_means_no_spin_even_when_ready() {
        assert!(!spin_until(Duration::ZERO, || true));
    }

    #[test]
    fn a_ready_ring_ends_the_spin_and_a_silent_one_gives_up() {
        assert!(spin_until(Duration::from_millis(50), || true));
        let n = std::cell::Cell::new(0u32);
        assert!(spin_until(Duration::from_secs(5), || {
            n.set(n.get() + 1);
            n.get() == 200
        }));
        assert!(!spin_until(Duration::from_micros(200), || false));
    }
}
