#![allow(unsafe_code)] // a ring in memory shared with the kernel, which writes it
//! The AF_XDP backend (`--backend xdp`): the stock-Linux way to take an interface's frames away
//! from the kernel's stack, as netmap does with its own module.
//!
//! How it works (Documentation/networking/af_xdp.rst):
//! 1. For every RX queue of the interface, an AF_XDP socket with its own UMEM and four rings
//!    ([`ring`]), bound to that queue with XDP_USE_NEED_WAKEUP (and XDP_COPY, or XDP_ZEROCOPY
//!    with `--zero-copy`).
//! 2. An XSKMAP holding those sockets by queue index, and a five-instruction XDP program
//!    ([`bpf::program`]) attached with a BPF link: `bpf_redirect_map(&xsks, rx_queue_index,
//!    XDP_PASS)`. Every frame arriving on a queue with a socket goes to ringside; the kernel's
//!    stack never sees it (its addresses on the interface stop answering). When ringside exits,
//!    or is killed, the link's descriptor closes and the program is gone: the kernel answers again.
//!
//! Why written on `libc` here: the Rust AF_XDP crates either wrap libbpf/libxdp, C libraries to
//! build and ship (`xsk-rs` 0.9, `xdpsock`), or, like the pure-Rust `xdp` crate (0.7, MIT/Apache,
//! Quilkin's: "early days, focused on the needs of Quilkin"), cover the UMEM and rings but not
//! loading and attaching the BPF program, which would need `aya` and a compiled ELF object on
//! top. The rings and the program are the lesson, and they fit in three small files.
//! (`cargo search` cannot reach crates.io's search API from these machines; the crates were
//! checked on docs.rs and lib.rs.)
//!
//! On veth (the lab) only copy mode exists: the kernel copies each frame into the UMEM. The point
//! there is the lesson, not speed (see the README's backend table).
use super::ring_view::{distance, Cursor, Owner, RingKind, RingView};
use super::{Link, LinkControl, LinkInfo, LinkStats, Received, RxMeta, Unsupported};
use crate::link::iface;
use crate::sys;
use std::io;
use std::mem::size_of;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

pub mod bpf;
pub mod ring;
use ring::{Consumer, Producer, Ring, Umem};

/// Where the XDP program runs (`live --xdp-mode` names them: `cli::live::XdpModeArg`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XdpMode {
    /// Generic XDP: after the driver has built an skb (works on every interface; slower).
    Skb,
    /// Native XDP: inside the driver, before any skb exists (needs driver support; veth has it).
    Drv,
}

impl XdpMode {
    fn flags(self) -> u32 {
        match self {
            XdpMode::Skb => bpf::XDP_FLAGS_SKB_MODE,
            XdpMode::Drv => bpf::XDP_FLAGS_DRV_MODE,
        }
    }

    fn name(self) -> &'static str {
        match self {
            XdpMode::Skb => "generic (skb)",
            XdpMode::Drv => "native (drv)",
        }
    }
}

/// How to open the interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XdpConfig {
    /// None: native if the driver has it, else generic (said on stderr).
    pub mode: Option<XdpMode>,
    /// Ask for XDP_ZEROCOPY; fall back to copy mode (with one line on stderr) when refused.
    pub zero_copy: bool,
    /// Spin on the RX rings instead of sleeping in poll().
    pub busy_poll: bool,
    /// After a batch with frames, check the rings this long before sleeping (see afpacket).
    pub linger: Duration,
}

impl Default for XdpConfig {
    fn default() -> Self {
        XdpConfig {
            mode: None,
            zero_copy: false,
            busy_poll: false,
            linger: Duration::from_micros(50),
        }
    }
}

/// Entries per RX, TX and COMPLETION ring, and UMEM frames per queue: half for receiving (all on
/// the FILL ring at start), half for sending.
const RING_SIZE: u32 = 2048;
const FRAMES: u32 = 2 * RING_SIZE;
/// The FILL ring can hold every frame of the UMEM, twice the RING_SIZE chunks ever on it. The
/// kernel publishes its FILL consumer index only after it has posted the frame on RX (xsk_flush
/// in net/xdp/xsk.c; in native mode once per NAPI poll), so a chunk we have just received can
/// still count as "on FILL": a FILL ring of RING_SIZE entries is then full, and a chunk that
/// cannot go back is lost to the kernel for good, until there are none left to receive into.
const FILL_SIZE: u32 = FRAMES;
/// The kernel keeps this much in front of each received frame (XDP_PACKET_HEADROOM).
const XDP_PACKET_HEADROOM: u32 = 256;
/// At most this many frames per queue per `recv_batch` (replies go out between batches).
const RX_BATCH: u32 = 512;
/// Frames queued by `send` before a kick is forced.
const TX_BATCH: u32 = 64;

/// One RX queue's socket, its UMEM and its rings.
struct Queue {
    fd: OwnedFd,
    umem: Umem,
    fill: Ring<u64, Producer>,
    comp: Ring<u64, Consumer>,
    rx: Ring<libc::xdp_desc, Consumer>,
    tx: Ring<libc::xdp_desc, Producer>,
    /// TX chunks user space owns.
    tx_free: Vec<u64>,
}

/// AF_XDP on every RX queue of one interface, with ringside's XDP program attached.
pub struct Xdp {
    // Fields drop in declaration order: the BPF link first, so the program is detached before
    // the sockets it redirects to close.
    _link: OwnedFd,
    _prog: OwnedFd,
    _map: OwnedFd,
    ifname: String,
    queues: Vec<Queue>,
    mode: XdpMode,
    zero_copy: bool,
    cfg: XdpConfig,
    recently_active: bool,
    pollfds: Vec<libc::pollfd>,
    rx_frames: u64,
    rx_bytes: u64,
    tx_frames: u64,
    tx_errors: u64,
    /// Descriptors the kernel wrote that point outside the UMEM (should stay 0).
    bad_descs: u64,
    /// RX chunks that did not fit back on the FILL ring (should stay 0: see FILL_SIZE).
    lost_chunks: u64,
}

/// Turn the kernel's errno into one line that says what to do.
fn explain(step: &str, ifname: &str, e: io::Error) -> io::Error {
    let msg = match e.raw_os_error() {
        Some(libc::EPERM) | Some(libc::EACCES) => format!(
            "AF_XDP needs CAP_NET_ADMIN, CAP_NET_RAW and CAP_BPF (root in the first user \
             namespace): run with sudo, or use --backend afpacket ({step}: {e})"
        ),
        Some(libc::EAFNOSUPPORT) => format!(
            "this kernel has no AF_XDP sockets (CONFIG_XDP_SOCKETS is off): use --backend \
             afpacket, or a kernel built with CONFIG_XDP_SOCKETS=y ({e})"
        ),
        Some(libc::EBUSY) | Some(libc::EEXIST) if step == "attach" => format!(
            "{ifname} already has an XDP program (another ringside, or see `ip link show \
             {ifname}`): stop its owner or remove it with `ip link set {ifname} xdp off`, then \
             retry ({e})"
        ),
        Some(libc::EBUSY) if step == "bind" => format!(
            "a queue of {ifname} is already bound to another AF_XDP socket: stop the other \
             program, then retry ({e})"
        ),
        Some(libc::EOPNOTSUPP) if step == "attach" => {
            format!("{ifname}'s driver has no native XDP: use --xdp-mode skb ({e})")
        }
        Some(libc::ENOBUFS) if step == "umem" => format!(
            "the kernel refused to lock the UMEM in memory: raise `ulimit -l` or run as root ({e})"
        ),
        _ => format!("AF_XDP {step} on {ifname}: {e}"),
    };
    io::Error::new(e.kind(), msg)
}

fn setsockopt<T>(fd: BorrowedFd<'_>, name: libc::c_int, v: &T) -> io::Result<()> {
    // SAFETY: `v` points at a live T of the size we pass.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_XDP,
            name,
            (v as *const T).cast(),
            size_of::<T>() as libc::socklen_t,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn getsockopt<T>(fd: BorrowedFd<'_>, name: libc::c_int, v: &mut T) -> io::Result<()> {
    let mut len = size_of::<T>() as libc::socklen_t;
    // SAFETY: the kernel writes at most `len` bytes into `v`, which is that large.
    let r = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_XDP,
            name,
            (v as *mut T).cast(),
            &mut len,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The number of RX queues (ethtool's channels: rx + combined), 1 when the driver does not say.
fn rx_queue_count(ifname: &str) -> u32 {
    #[repr(C)]
    #[derive(Default)]
    struct EthtoolChannels {
        cmd: u32,
        max_rx: u32,
        max_tx: u32,
        max_other: u32,
        max_combined: u32,
        rx_count: u32,
        tx_count: u32,
        other_count: u32,
        combined_count: u32,
    }
    const ETHTOOL_GCHANNELS: u32 = 0x3c;
    const SIOCETHTOOL: libc::Ioctl = 0x8946;
    let Ok(mut ifr) = iface::ifreq_for(ifname) else {
        return 1;
    };
    let mut ch = EthtoolChannels {
        cmd: ETHTOOL_GCHANNELS,
        ..Default::default()
    };
    ifr.ifr_ifru.ifru_data = (&mut ch as *mut EthtoolChannels).cast();
    let Ok(s) = sys::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) else {
        return 1;
    };
    // SAFETY: SIOCETHTOOL with ETHTOOL_GCHANNELS writes one ethtool_channels into `ch`, which
    // `ifr` points at and which outlives the call.
    let r = unsafe { libc::ioctl(s.as_raw_fd(), SIOCETHTOOL, &mut ifr as *mut libc::ifreq) };
    if r < 0 {
        return 1;
    }
    (ch.rx_count + ch.combined_count).max(1)
}

/// What one [`Queue::drain_rx`] took off its RX ring.
#[derive(Default)]
struct Drained {
    frames: u64,
    bytes: u64,
    /// Descriptors pointing outside the UMEM (should stay 0).
    bad_descs: u64,
    /// Chunks that did not fit back on the FILL ring (cannot happen with FILL_SIZE; counted so a
    /// regression shows in the link line instead of as a slow starvation of the RX path).
    lost_chunks: u64,
}

/// The setup step that failed, and the kernel's answer.
type Step = (&'static str, io::Error);

impl Queue {
    /// Socket, UMEM and rings for queue `id`, bound with `bind_flags` (af_xdp.rst, "Usage").
    /// A failure names its step (for [`explain`]).
    fn open(ifindex: u32, id: u32, chunk: u32, bind_flags: u16) -> Result<Queue, Step> {
        let fd = sys::socket(libc::AF_XDP, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0)
            .map_err(|e| ("socket", e))?;
        let umem = Umem::new(FRAMES, chunk).map_err(|e| ("umem", e))?;
        setsockopt(fd.as_fd(), libc::XDP_UMEM_REG, &umem.registration())
            .map_err(|e| ("umem", e))?;
        for (opt, size) in [
            (libc::XDP_UMEM_FILL_RING, FILL_SIZE),
            (libc::XDP_UMEM_COMPLETION_RING, RING_SIZE),
            (libc::XDP_RX_RING, RING_SIZE),
            (libc::XDP_TX_RING, RING_SIZE),
        ] {
            setsockopt(fd.as_fd(), opt, &size).map_err(|e| ("ring setup", e))?;
        }
        // SAFETY: plain old data; the kernel fills it.
        let mut off: libc::xdp_mmap_offsets = unsafe { std::mem::zeroed() };
        getsockopt(fd.as_fd(), libc::XDP_MMAP_OFFSETS, &mut off)
            .map_err(|e| ("XDP_MMAP_OFFSETS", e))?;
        let map = |e| ("ring mmap", e);
        let mut fill = Ring::map(
            fd.as_raw_fd(),
            &off.fr,
            FILL_SIZE,
            libc::XDP_UMEM_PGOFF_FILL_RING,
        )
        .map_err(map)?;
        let comp = Ring::map(
            fd.as_raw_fd(),
            &off.cr,
            RING_SIZE,
            libc::XDP_UMEM_PGOFF_COMPLETION_RING,
        )
        .map_err(map)?;
        let rx = Ring::map(
            fd.as_raw_fd(),
            &off.rx,
            RING_SIZE,
            libc::XDP_PGOFF_RX_RING as u64,
        )
        .map_err(map)?;
        let tx = Ring::map(
            fd.as_raw_fd(),
            &off.tx,
            RING_SIZE,
            libc::XDP_PGOFF_TX_RING as u64 & 0xffff_ffff,
        )
        .map_err(map)?;
        // The first half of the UMEM goes to the kernel for receiving, before bind, so the first
        // frame has somewhere to land.
        for i in 0..RING_SIZE {
            fill.push(i as u64 * chunk as u64);
        }
        fill.submit();
        let tx_free = (RING_SIZE..FRAMES)
            .map(|i| i as u64 * chunk as u64)
            .collect();

        let sxdp = libc::sockaddr_xdp {
            sxdp_family: libc::AF_XDP as u16,
            sxdp_flags: bind_flags,
            sxdp_ifindex: ifindex,
            sxdp_queue_id: id,
            sxdp_shared_umem_fd: 0,
        };
        // SAFETY: `sxdp` is a valid sockaddr_xdp of the size passed.
        let r = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&sxdp as *const libc::sockaddr_xdp).cast(),
                size_of::<libc::sockaddr_xdp>() as libc::socklen_t,
            )
        };
        if r < 0 {
            return Err(("bind", io::Error::last_os_error()));
        }
        Ok(Queue {
            fd,
            umem,
            fill,
            comp,
            rx,
            tx,
            tx_free,
        })
    }

    /// Hand every received frame (up to RX_BATCH) to `on_frame`, stamped `(ts, clock)`, then give
    /// the chunks back to the kernel on the FILL ring.
    fn drain_rx(
        &mut self,
        (ts, clock): (Duration, Duration),
        on_frame: &mut dyn FnMut(&[u8], RxMeta),
    ) -> Drained {
        let n = self.rx.available().min(RX_BATCH);
        let mut got = Drained::default();
        if n == 0 {
            return got;
        }
        for i in 0..n {
            let d = self.rx.peek(i);
            // SAFETY: the chunk came to us on the RX ring and goes back on the FILL ring only
            // below, after `on_frame` has returned and the slice is gone.
            match unsafe { self.umem.frame(d.addr, d.len) } {
                Some(f) => {
                    let meta = RxMeta {
                        ts,
                        clock,
                        orig_len: d.len,
                        // XDP hands over no checksum state: a frame whose sender left the L4
                        // checksum to offload looks wrong here (see the README's AF_XDP notes).
                        csum_not_ready: false,
                        note: None,
                        link: crate::wire::LinkKind::Ethernet,
                        source: 0,
                    };
                    got.frames += 1;
                    got.bytes += d.len as u64;
                    on_frame(f, meta);
                }
                None => got.bad_descs += 1,
            }
        }
        // Every chunk back on FILL, in one go (FILL has room: it holds the whole UMEM, see
        // FILL_SIZE), before the RX entries naming them are released.
        let (rx, umem) = (&self.rx, &self.umem);
        let back = self.fill.push_n(n, |i| umem.chunk_of(rx.peek(i).addr));
        got.lost_chunks = (n - back) as u64;
        self.rx.release(n);
        self.fill.submit();
        if self.fill.needs_wakeup() {
            // af_xdp.rst, "XDP_USE_NEED_WAKEUP": the kernel wants a syscall to go on filling RX.
            // SAFETY: a zero-length, non-blocking recvfrom on our socket; no buffer is written.
            unsafe {
                libc::recvfrom(
                    self.fd.as_raw_fd(),
                    std::ptr::null_mut(),
                    0,
                    libc::MSG_DONTWAIT,
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                )
            };
        }
        got
    }

    /// Take sent chunks back from the COMPLETION ring. Returns how many.
    fn reap(&mut self) -> u64 {
        let n = self.comp.available();
        for i in 0..n {
            let addr = self.comp.peek(i);
            self.tx_free.push(self.umem.chunk_of(addr));
        }
        self.comp.release(n);
        n as u64
    }

    /// Publish the TX ring and, if the kernel asks for it, kick it with sendto (in copy mode this
    /// call is where the kernel sends the frames). Errors that only mean "try again" are not fatal.
    fn kick(&mut self) -> io::Result<()> {
        self.tx.submit();
        if self.tx.outstanding() == 0 || !self.tx.needs_wakeup() {
            return Ok(());
        }
        // SAFETY: a zero-length, non-blocking sendto on our bound socket; no buffer is read.
        let r = unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                std::ptr::null(),
                0,
                libc::MSG_DONTWAIT,
                std::ptr::null(),
                0,
            )
        };
        if r < 0 {
            let e = io::Error::last_os_error();
            return match e.raw_os_error() {
                Some(libc::EAGAIN | libc::EBUSY | libc::ENOBUFS | libc::ENETDOWN | libc::EINTR) => {
                    Ok(())
                }
                _ => Err(e),
            };
        }
        Ok(())
    }

    fn statistics(&self) -> libc::xdp_statistics {
        // SAFETY: plain old data.
        let mut st: libc::xdp_statistics = unsafe { std::mem::zeroed() };
        let _ = getsockopt(self.fd.as_fd(), libc::XDP_STATISTICS, &mut st);
        st
    }
}

impl Xdp {
    /// Take over every RX queue of `ifname` (which must exist and be up).
    pub fn open(ifname: &str, cfg: XdpConfig) -> io::Result<Xdp> {
        let ifindex = iface::ifindex(ifname)?;
        let mtu = iface::mtu(ifname)?;
        // A received frame must fit in one chunk after the kernel's headroom (no multi-buffer).
        let need = mtu + 14 + 4 + XDP_PACKET_HEADROOM;
        let chunk = if need <= 2048 {
            2048
        } else if need <= 4096 {
            4096
        } else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{ifname} has MTU {mtu}; ringside's AF_XDP frames hold at most 3818 bytes: \
                     lower it with `ip link set {ifname} mtu 1500` or use --backend afpacket"
                ),
            ));
        };
        let nq = rx_queue_count(ifname);
        // The program first: an interface that already has one is refused here, before any
        // socket exists. Until the sockets are in the map, the program passes frames on.
        let map = bpf::create_xskmap(nq).map_err(|e| explain("BPF map", ifname, e))?;
        let prog =
            bpf::load_program(map.as_fd()).map_err(|e| explain("BPF program load", ifname, e))?;
        let (link, mode) = match cfg.mode {
            Some(m) => (
                bpf::attach_link(prog.as_fd(), ifindex, m.flags())
                    .map_err(|e| explain("attach", ifname, e))?,
                m,
            ),
            None => match bpf::attach_link(prog.as_fd(), ifindex, XdpMode::Drv.flags()) {
                Ok(l) => (l, XdpMode::Drv),
                Err(e) if e.raw_os_error() == Some(libc::EOPNOTSUPP) => {
                    eprintln!("ringside: {ifname} has no native XDP; using generic (skb) mode");
                    let l = bpf::attach_link(prog.as_fd(), ifindex, XdpMode::Skb.flags())
                        .map_err(|e| explain("attach", ifname, e))?;
                    (l, XdpMode::Skb)
                }
                Err(e) => return Err(explain("attach", ifname, e)),
            },
        };
        let mut zero_copy = cfg.zero_copy;
        let mut queues = Vec::with_capacity(nq as usize);
        for q in 0..nq {
            let opened = Self::open_queue(ifname, ifindex, q, chunk, &mut zero_copy);
            let queue = opened.map_err(|(step, e)| explain(step, ifname, e))?;
            bpf::xskmap_set(map.as_fd(), q, queue.fd.as_fd())
                .map_err(|e| explain("BPF map update", ifname, e))?;
            queues.push(queue);
        }
        let pollfds = queues
            .iter()
            .map(|q| libc::pollfd {
                fd: q.fd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        Ok(Xdp {
            ifname: ifname.to_string(),
            queues,
            mode,
            zero_copy,
            cfg,
            recently_active: false,
            pollfds,
            rx_frames: 0,
            rx_bytes: 0,
            tx_frames: 0,
            tx_errors: 0,
            bad_descs: 0,
            lost_chunks: 0,
            _link: link,
            _prog: prog,
            _map: map,
        })
    }

    /// Open queue `q`, in zero-copy mode first if asked (falling back to copy, once, with one
    /// line). A socket closed moments ago (ringside restarted) keeps its queue busy until the
    /// kernel's deferred teardown has run: EBUSY is retried for up to a second before it counts.
    fn open_queue(
        ifname: &str,
        ifindex: u32,
        q: u32,
        chunk: u32,
        zero_copy: &mut bool,
    ) -> Result<Queue, Step> {
        let copy = libc::XDP_USE_NEED_WAKEUP | libc::XDP_COPY;
        let zc = libc::XDP_USE_NEED_WAKEUP | libc::XDP_ZEROCOPY;
        let deadline = Instant::now() + Duration::from_secs(1);
        loop {
            let opened = if *zero_copy {
                match Queue::open(ifindex, q, chunk, zc) {
                    // The driver cannot do zero-copy (EOPNOTSUPP on veth): say so once, copy.
                    Err(("bind", e)) if e.raw_os_error() == Some(libc::EOPNOTSUPP) => {
                        eprintln!(
                            "ringside: {ifname} refused zero-copy AF_XDP ({e}); using copy mode"
                        );
                        *zero_copy = false;
                        Queue::open(ifindex, q, chunk, copy)
                    }
                    other => other,
                }
            } else {
                Queue::open(ifindex, q, chunk, copy)
            };
            match opened {
                Err(("bind", e))
                    if e.raw_os_error() == Some(libc::EBUSY) && Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(20));
                }
                other => return other,
            }
        }
    }

    fn rx_ready(&self) -> bool {
        self.queues.iter().any(|q| q.rx.available() > 0)
    }

    /// Sleep in poll() on every socket until one has frames or `timeout` passes.
    fn wait(&mut self, timeout: Duration) -> io::Result<()> {
        if self.cfg.busy_poll {
            // --busy-poll: the linger spin for the whole wait, never poll().
            super::spin_until(timeout, || self.rx_ready());
            return Ok(());
        }
        let ms = timeout.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as libc::c_int;
        match crate::sys::poll_fds(&mut self.pollfds, ms) {
            Err(e) if e.kind() != io::ErrorKind::Interrupted => Err(e),
            _ => Ok(()),
        }
    }

    /// Spin up to `cfg.linger` for the next frame; true when it arrived.
    fn linger(&self) -> bool {
        super::spin_until(self.cfg.linger, || self.rx_ready())
    }

    /// Take every ready frame off every queue. XDP hands over no receive time in copy mode, so a
    /// batch is stamped with the time ringside took it: one clock read per wake-up, not two per
    /// frame (the clocks were a good part of the per-frame cost under a flood).
    fn drain(&mut self, on_frame: &mut dyn FnMut(&[u8], RxMeta)) -> usize {
        if !self.rx_ready() {
            return 0;
        }
        let stamp = (super::wall_clock(), super::monotonic_clock());
        let mut handed = 0;
        for q in &mut self.queues {
            let got = q.drain_rx(stamp, on_frame);
            self.rx_frames += got.frames;
            self.rx_bytes += got.bytes;
            self.bad_descs += got.bad_descs;
            self.lost_chunks += got.lost_chunks;
            handed += got.frames as usize;
        }
        handed
    }

    fn reap_all(&mut self) {
        for q in &mut self.queues {
            self.tx_frames += q.reap();
        }
    }
}

impl Link for Xdp {
    fn recv_batch(
        &mut self,
        timeout: Duration,
        on_frame: &mut dyn FnMut(&[u8], RxMeta),
    ) -> io::Result<Received> {
        self.reap_all();
        // Frames a refused kick left on a TX ring: try again now.
        for q in &mut self.queues {
            if q.tx.outstanding() > 0 {
                q.kick()?;
            }
        }
        let mut handed = self.drain(on_frame);
        if handed == 0 {
            if !(self.recently_active && self.linger()) {
                self.wait(timeout)?;
            }
            handed = self.drain(on_frame);
        }
        self.recently_active = handed > 0;
        Ok(Received::Frames(handed))
    }

    /// Copy the frame into a free TX chunk of queue 0 and put it on the TX ring.
    fn send(&mut self, frame: &[u8]) -> io::Result<()> {
        let q = &mut self.queues[0];
        if q.tx_free.is_empty() || q.tx.free() == 0 {
            q.kick()?;
            self.tx_frames += q.reap();
        }
        let Some(addr) = q.tx_free.pop() else {
            self.tx_errors += 1;
            return Ok(());
        };
        if !q.umem.write(addr, frame) || q.tx.free() == 0 {
            q.tx_free.push(addr);
            self.tx_errors += 1;
            return Ok(());
        }
        q.tx.push(libc::xdp_desc {
            addr,
            len: frame.len() as u32,
            options: 0,
        });
        if q.tx.unsubmitted() >= TX_BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        for q in &mut self.queues {
            q.kick()?;
            self.tx_frames += q.reap();
        }
        Ok(())
    }

    fn now(&self) -> Duration {
        super::monotonic_clock()
    }

    fn info(&self) -> LinkInfo {
        LinkInfo {
            describe: self.describe(),
            stats: self.stats(),
            ring: self.ring(),
            ..LinkInfo::default()
        }
    }

    fn control(&mut self, _: LinkControl) -> Result<(), Unsupported> {
        Err(Unsupported::RealTime)
    }
}

/// What [`Link::info`] reports.
impl Xdp {
    fn stats(&self) -> LinkStats {
        let (mut drops, mut tx_invalid) = (0, 0);
        for q in &self.queues {
            let st = q.statistics();
            drops += st.rx_dropped + st.rx_ring_full;
            tx_invalid += st.tx_invalid_descs;
        }
        let used: u32 = self.queues.iter().map(|q| q.rx.available()).sum();
        let total: u32 = self.queues.iter().map(|q| q.rx.size()).sum();
        LinkStats {
            rx_frames: self.rx_frames,
            rx_bytes: self.rx_bytes,
            tx_frames: self.tx_frames,
            tx_errors: self.tx_errors + tx_invalid,
            kernel_drops: drops,
            ring_used: Some((used, total)),
        }
    }

    /// The RX ring of the queue holding most frames for ringside (queue 0 when all are empty).
    fn ring(&self) -> Option<RingView> {
        let (i, q) = self
            .queues
            .iter()
            .enumerate()
            .max_by_key(|(i, q)| (q.rx.available(), usize::MAX - i))?;
        let (fill_prod, fill_cons) = q.fill.indexes();
        Some(rx_picture(
            q.rx.size(),
            q.umem.chunk,
            q.rx.indexes(),
            (fill_prod.wrapping_sub(fill_cons), q.fill.size()),
            (i as u32, self.queues.len() as u32),
        ))
    }

    fn describe(&self) -> String {
        let mut s = format!(
            "xdp {} (AF_XDP {}, {} XDP, {} queue{}, {} frames x {} B each, {})",
            self.ifname,
            if self.zero_copy { "zero-copy" } else { "copy" },
            self.mode.name(),
            self.queues.len(),
            if self.queues.len() == 1 { "" } else { "s" },
            FRAMES,
            self.queues[0].umem.chunk,
            if self.cfg.busy_poll {
                "busy-poll"
            } else {
                "need_wakeup + poll"
            }
        );
        if self.bad_descs > 0 {
            s.push_str(&format!(", {} bad descriptors", self.bad_descs));
        }
        if self.lost_chunks > 0 {
            s.push_str(&format!(
                ", {} RX frames lost (FILL full)",
                self.lost_chunks
            ));
        }
        s
    }
}

/// The ring panel's picture of one AF_XDP RX ring of `size` descriptors naming UMEM chunks of
/// `chunk` bytes, from its free-running (producer, consumer) indexes: entries from the consumer
/// up to the producer are filled frames for ringside, the rest the kernel's to fill.
fn rx_picture(
    size: u32,
    chunk: u32,
    (prod, cons): (u32, u32),
    fill: (u32, u32),
    (queue, queues): (u32, u32),
) -> RingView {
    let size = size.max(1);
    let held = prod.wrapping_sub(cons).min(size);
    let at = |i: u32| i % size;
    let (first, len) = RingView::window(size, at(cons));
    RingView {
        kind: RingKind::XdpRx,
        total: size,
        slot_bytes: chunk,
        first,
        cells: (0..len)
            .map(|k| {
                if distance(at(cons), (first + k) % size, size) < held {
                    Owner::User
                } else {
                    Owner::Kernel
                }
            })
            .collect(),
        user: held,
        cursors: vec![
            Cursor {
                name: "cons",
                at: at(cons),
                meaning: "consumer: ringside reads here next",
            },
            Cursor {
                name: "prod",
                at: at(prod),
                meaning: "producer: the kernel posts the next frame here",
            },
        ],
        rings: queues,
        ring_index: queue,
        last_sync: None,
        fill: Some(fill),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(step: &str, errno: i32) -> String {
        explain(step, "rs0", io::Error::from_raw_os_error(errno)).to_string()
    }

    /// Each failure the kernel can report is one line that says what to do.
    #[test]
    fn every_setup_error_is_one_line_that_says_what_to_do() {
        let cases = [
            ("socket", libc::EAFNOSUPPORT, "CONFIG_XDP_SOCKETS"),
            ("socket", libc::EAFNOSUPPORT, "--backend afpacket"),
            ("BPF map", libc::EPERM, "CAP_BPF"),
            ("BPF program load", libc::EPERM, "sudo"),
            ("attach", libc::EBUSY, "ip link set rs0 xdp off"),
            ("attach", libc::EEXIST, "already has an XDP program"),
            ("attach", libc::EOPNOTSUPP, "--xdp-mode skb"),
            (
                "bind",
                libc::EBUSY,
                "already bound to another AF_XDP socket",
            ),
            ("umem", libc::ENOBUFS, "ulimit -l"),
        ];
        for (step, errno, want) in cases {
            let l = line(step, errno);
            assert!(l.contains(want), "{step} errno {errno}: {l}");
            assert_eq!(l.lines().count(), 1, "{l}");
        }
        // Anything else still names the step and the interface.
        assert!(line("ring mmap", libc::ENOMEM).starts_with("AF_XDP ring mmap on rs0: "));
    }

    /// Four frames posted across the wrap of a 2048-entry ring: ringside's from the consumer to
    /// the producer; the FILL ring's count carried along.
    #[test]
    fn rx_picture_from_free_running_indexes() {
        let (prod, cons) = (u32::MAX.wrapping_add(3), u32::MAX - 1);
        let v = rx_picture(2048, 2048, (prod, cons), (2040, 2048), (0, 1));
        assert_eq!(v.user, 4);
        assert_eq!(v.cursor("cons"), Some(2046));
        assert_eq!(v.cursor("prod"), Some(2));
        let users: Vec<u32> = (0..v.cells.len())
            .filter(|&k| v.cells[k] == Owner::User)
            .map(|k| v.index_of(k))
            .collect();
        assert_eq!(users, [2046, 2047], "the window ends at the last entry");
        assert_eq!(v.fill, Some((2040, 2048)));
        // After the wrap, the same four entries from 0 on.
        let v = rx_picture(
            2048,
            2048,
            (prod.wrapping_add(2), cons.wrapping_add(2)),
            (0, 2048),
            (0, 1),
        );
        assert_eq!(v.cursor("cons"), Some(0));
        assert_eq!(
            &v.cells[..5],
            [
                Owner::User,
                Owner::User,
                Owner::User,
                Owner::User,
                Owner::Kernel
            ]
        );
    }
}
