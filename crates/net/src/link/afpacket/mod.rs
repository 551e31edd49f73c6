#![allow(unsafe_code)] // a ring in memory shared with the kernel, which writes it
//! The AF_PACKET backend: a memory-mapped RX ring (TPACKET_V2 or TPACKET_V3) on one interface,
//! transmit with `sendmmsg` on the same bound socket.
//!
//! Why written on `libc` here: no maintained crate does TPACKET_V3 rings on stable Rust with a
//! permissive licence. `pnet_datalink` and `afpacket` read the socket plainly (one recvfrom per
//! frame, no ring); the ring-capable crates we found are unmaintained or GPL. The unsafe part is
//! the small [`ring`] module; everything it lends out is bounds-checked there.
//!
//! Which ring for what (measured on a veth lab, see `bench/live.py`, `bench/ring.py` and the README):
//! - **TPACKET_V2** (frame slots, the default for `live`): every frame is handed to user space as
//!   soon as the kernel has written it, so `poll()` wakes per frame and a ping is answered in tens
//!   of microseconds. This is the interactive responder's ring.
//! - **TPACKET_V3** (blocks): the kernel fills a block and hands it over when full or when the
//!   retire timer (`--retire-ms`) fires. Fewer wake-ups and denser memory at high rates (bulk
//!   capture), but a lone ping waits for the timer: its RTT is about the timeout.
use super::ring_view::{Cursor, Owner, RingKind, RingView};
use super::{Link, LinkControl, LinkInfo, LinkStats, Received, RxMeta, Unsupported};
use crate::link::iface;
use crate::sys;
use std::cell::Cell;
use std::io;
use std::mem::size_of;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::time::Duration;

pub mod ring;
use ring::{Mmap, RxFrame, V3Frames};

/// Which TPACKET ring layout (`live --ring` names them: `cli::live::RingArg`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RingVersion {
    /// Frame-based: each frame handed over at once (low latency; the default for `live`).
    V2,
    /// Block-based: frames handed over a block at a time, when full or at the retire timeout.
    V3,
}

/// Ring geometry and wake-up policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingConfig {
    pub version: RingVersion,
    /// Bytes per block (a multiple of the page size).
    pub block_size: usize,
    pub block_nr: usize,
    /// V3: how long the kernel may keep a partly filled block before handing it over.
    pub retire_ms: u32,
    /// Spin on the ring instead of sleeping in poll() (lowest latency, burns a core).
    pub busy_poll: bool,
    /// V2: when the previous batch had frames, check the ring for this long before sleeping in
    /// poll(). The replies to that batch are already sent (the capture loop sends between
    /// batches), so this adds no latency; under a steady stream, or a ping flood, the next frame
    /// is usually there within microseconds and is taken without a poll() wake-up.
    pub linger: Duration,
}

impl RingConfig {
    /// Defaults: V2 64 MiB (1024 blocks x 64 KiB: 41,984 slots of 1584 B at MTU 1500), V3 8 MiB
    /// (32 blocks x 256 KiB), 1 ms retire.
    ///
    /// Why V2 64 MiB (bench/ring.py, bench/RESULTS.md): a V2 ring wakes ringside per frame, so a
    /// lone ping is answered at the C TPACKET_V2 + poll floor (V3 waits for its retire timer),
    /// but its slots are fixed-size: a 64 B flood takes 1584 B per frame. The old 4 MiB (2,048
    /// slots) held ~1.5 ms of a full-speed 64 B flood and dropped whenever ringside's thread was
    /// off the CPU that long (it dropped in all six bench runs on this shared machine). 16 MiB
    /// and 32 MiB each dropped in two of six runs, 64 MiB (~30 ms of that flood) in none, at the
    /// same ping latency. The memory is mapped once, at start.
    pub fn new(version: RingVersion) -> Self {
        match version {
            RingVersion::V2 => RingConfig {
                version,
                block_size: 64 << 10,
                block_nr: 1024,
                retire_ms: 1,
                busy_poll: false,
                linger: Duration::from_micros(50),
            },
            RingVersion::V3 => RingConfig {
                version,
                block_size: 256 << 10,
                block_nr: 32,
                retire_ms: 1,
                busy_poll: false,
                linger: Duration::ZERO,
            },
        }
    }
}

/// At most this many V2 frames per `recv_batch`, so replies to the first are not held back behind
/// a long stream (the capture loop sends replies between batches).
const V2_BATCH: usize = 512;

/// Frames queued by `send` before `flush` is forced.
const TX_BATCH: usize = 64;

/// An AF_PACKET socket bound to one interface, with its RX ring mapped.
pub struct AfPacket {
    fd: OwnedFd,
    ifname: String,
    cfg: RingConfig,
    ring: Mmap,
    /// V2: bytes per frame slot, and frames per block / in all.
    frame_size: usize,
    frames_per_block: usize,
    frame_nr: usize,
    /// Next frame (V2) or block (V3) the kernel will hand over.
    cursor: usize,
    /// The last `recv_batch` had frames (V2 lingers before sleeping then).
    recently_active: bool,
    vlan_scratch: Vec<u8>,
    tx: TxQueue,
    /// Frames and bytes handed over, and headers the kernel wrote that did not fit their
    /// frame/block (should stay 0).
    rx: RxCounts,
    tx_frames: u64,
    tx_errors: u64,
    /// PACKET_STATISTICS resets on read: accumulated here.
    kernel_drops: Cell<u64>,
    freeze_q: Cell<u64>,
    /// Polled beside the socket once [`Link::waker`] was asked for: another thread's control
    /// or stop ends the wait at once.
    wake: Option<super::WakeReceiver>,
}

/// Reusable transmit batch: frames back to back, plus the iovec/mmsghdr arrays for sendmmsg.
struct TxQueue {
    bytes: Vec<u8>,
    ends: Vec<usize>,
    iov: Vec<libc::iovec>,
    msgs: Vec<libc::mmsghdr>,
}

// SAFETY: the raw pointers in `iov`/`msgs` point only into `bytes` of the same value and are
// rebuilt right before each sendmmsg; they are never shared across threads.
unsafe impl Send for TxQueue {}

fn os_err(what: &str, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

pub fn permission_hint(e: io::Error) -> io::Error {
    match e.raw_os_error() {
        Some(libc::EPERM) | Some(libc::EACCES) => io::Error::new(
            io::ErrorKind::PermissionDenied,
            "needs root (CAP_NET_RAW): run with sudo",
        ),
        _ => e,
    }
}

fn setsockopt<T>(fd: libc::c_int, level: libc::c_int, name: libc::c_int, v: &T) -> io::Result<()> {
    // SAFETY: `v` points at a live T of the size we pass.
    let r = unsafe {
        libc::setsockopt(
            fd,
            level,
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

impl AfPacket {
    /// Open `ifname` with the given ring. The interface must exist and be up.
    pub fn open(ifname: &str, cfg: RingConfig) -> io::Result<AfPacket> {
        let ifindex = iface::ifindex(ifname)?;
        let mtu = iface::mtu(ifname)? as usize;
        // Protocol 0: nothing is queued to the socket until bind() below, after the ring exists.
        let fd = sys::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0)
            .map_err(permission_hint)?;
        let version = match cfg.version {
            RingVersion::V2 => libc::tpacket_versions::TPACKET_V2,
            RingVersion::V3 => libc::tpacket_versions::TPACKET_V3,
        } as libc::c_int;
        setsockopt(
            fd.as_raw_fd(),
            libc::SOL_PACKET,
            libc::PACKET_VERSION,
            &version,
        )
        .map_err(|e| os_err("PACKET_VERSION", e))?;

        let page = 4096usize;
        if cfg.block_size == 0 || !cfg.block_size.is_multiple_of(page) || cfg.block_nr == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "ring blocks must be a non-zero multiple of 4 KiB (got {} bytes x {})",
                    cfg.block_size, cfg.block_nr
                ),
            ));
        }
        // A V2 slot holds header + sockaddr_ll + padding + an MTU-sized frame with a VLAN tag,
        // and no more (1584 B at MTU 1500, not a power of two: denser ring, see v2_slot_size).
        // V3 frames are variable-sized inside a block; tp_frame_size only has to be valid there.
        let frame_size = ring::v2_slot_size(mtu);
        let (frame_size, block_size) = match cfg.version {
            RingVersion::V2 if frame_size > cfg.block_size => {
                (frame_size, frame_size.div_ceil(page) * page)
            }
            _ => (frame_size.min(cfg.block_size), cfg.block_size),
        };
        let cfg = RingConfig { block_size, ..cfg };
        let frames_per_block = block_size / frame_size;
        let frame_nr = frames_per_block * cfg.block_nr;
        let r = match cfg.version {
            RingVersion::V2 => {
                let req = libc::tpacket_req {
                    tp_block_size: block_size as u32,
                    tp_block_nr: cfg.block_nr as u32,
                    tp_frame_size: frame_size as u32,
                    tp_frame_nr: frame_nr as u32,
                };
                setsockopt(fd.as_raw_fd(), libc::SOL_PACKET, libc::PACKET_RX_RING, &req)
            }
            RingVersion::V3 => {
                let req = libc::tpacket_req3 {
                    tp_block_size: block_size as u32,
                    tp_block_nr: cfg.block_nr as u32,
                    tp_frame_size: frame_size as u32,
                    tp_frame_nr: frame_nr as u32,
                    tp_retire_blk_tov: cfg.retire_ms.max(1),
                    tp_sizeof_priv: 0,
                    tp_feature_req_word: 0,
                };
                setsockopt(fd.as_raw_fd(), libc::SOL_PACKET, libc::PACKET_RX_RING, &req)
            }
        };
        r.map_err(|e| {
            os_err(
                &format!(
                    "PACKET_RX_RING ({} blocks x {} KiB)",
                    cfg.block_nr,
                    block_size >> 10
                ),
                e,
            )
        })?;
        let ring = Mmap::map(fd.as_raw_fd(), block_size * cfg.block_nr)
            .map_err(|e| os_err("mapping the packet ring", e))?;

        // Our own transmissions are not looped back into the ring (Linux >= 4.20). Older kernels
        // refuse the option; frames marked PACKET_OUTGOING are skipped in the ring walk instead.
        let one: libc::c_int = 1;
        let _ = setsockopt(
            fd.as_raw_fd(),
            libc::SOL_PACKET,
            libc::PACKET_IGNORE_OUTGOING,
            &one,
        );

        // Promiscuous: we answer for a MAC the interface may not have (--mac).
        let mreq = libc::packet_mreq {
            mr_ifindex: ifindex as libc::c_int,
            mr_type: libc::PACKET_MR_PROMISC as libc::c_ushort,
            mr_alen: 0,
            mr_address: [0; 8],
        };
        setsockopt(
            fd.as_raw_fd(),
            libc::SOL_PACKET,
            libc::PACKET_ADD_MEMBERSHIP,
            &mreq,
        )
        .map_err(|e| os_err("PACKET_ADD_MEMBERSHIP (promiscuous)", e))?;

        // SAFETY: sockaddr_ll is plain old data.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
        sll.sll_ifindex = ifindex as i32;
        // SAFETY: `sll` is a valid sockaddr_ll of the size passed.
        let r = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&sll as *const libc::sockaddr_ll).cast(),
                size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if r < 0 {
            return Err(os_err(
                &format!("binding to {ifname}"),
                io::Error::last_os_error(),
            ));
        }
        let mut link = AfPacket {
            fd,
            ifname: ifname.to_string(),
            cfg,
            ring,
            frame_size,
            frames_per_block,
            frame_nr,
            cursor: 0,
            recently_active: false,
            vlan_scratch: Vec::with_capacity(frame_size.max(2048) + 4),
            tx: TxQueue {
                bytes: Vec::with_capacity(TX_BATCH * 1600),
                ends: Vec::with_capacity(TX_BATCH),
                iov: Vec::with_capacity(TX_BATCH),
                msgs: Vec::with_capacity(TX_BATCH),
            },
            rx: RxCounts::default(),
            tx_frames: 0,
            tx_errors: 0,
            kernel_drops: Cell::new(0),
            freeze_q: Cell::new(0),
            wake: None,
        };
        // A bind on a down interface succeeds but leaves ENETDOWN pending on the socket.
        link.take_socket_error()?;
        Ok(link)
    }

    pub fn config(&self) -> RingConfig {
        self.cfg
    }

    /// Byte offset of V2 frame slot `i` (slots never straddle blocks).
    fn v2_offset(&self, i: usize) -> usize {
        (i / self.frames_per_block) * self.cfg.block_size
            + (i % self.frames_per_block) * self.frame_size
    }

    /// Byte offset of the ownership word of the frame/block at the cursor.
    fn cursor_status_offset(&self) -> usize {
        match self.cfg.version {
            RingVersion::V2 => self.v2_offset(self.cursor),
            RingVersion::V3 => self.cursor * self.cfg.block_size + ring::V3_BLOCK_STATUS,
        }
    }

    fn cursor_ready(&self) -> bool {
        self.ring.status(self.cursor_status_offset()) & libc::TP_STATUS_USER != 0
    }

    /// A pending socket error (ENETDOWN when the interface went down) becomes an io::Error.
    fn take_socket_error(&mut self) -> io::Result<()> {
        let mut err: libc::c_int = 0;
        let mut len = size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: SO_ERROR writes one c_int into `err`.
        let r = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_ERROR,
                (&mut err as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        if r == 0 && err != 0 {
            let e = io::Error::from_raw_os_error(err);
            if err == libc::ENETDOWN {
                return Err(io::Error::new(
                    e.kind(),
                    format!(
                        "interface {} is down: bring it up with `ip link set {} up`",
                        self.ifname, self.ifname
                    ),
                ));
            }
            return Err(e);
        }
        Ok(())
    }

    /// Wait until the cursor's frame/block is ours or `timeout` passes.
    fn wait(&mut self, timeout: Duration) -> io::Result<()> {
        if self.cfg.busy_poll {
            // --busy-poll: the linger spin for the whole wait, never poll().
            super::spin_until(timeout, || self.cursor_ready());
            return Ok(());
        }
        let revents = match &self.wake {
            None => super::poll_in(self.fd.as_fd(), timeout)?,
            Some(w) => poll_in_or_woken(self.fd.as_fd(), w, timeout)?,
        };
        if revents & (libc::POLLERR | libc::POLLNVAL) != 0 {
            self.take_socket_error()?;
        }
        Ok(())
    }

    /// Spin up to `cfg.linger` for the cursor's frame; true when it arrived.
    fn linger(&self) -> bool {
        super::spin_until(self.cfg.linger, || self.cursor_ready())
    }

    /// Hand one parsed ring frame to `on_frame` (VLAN tag re-inserted), updating the counters
    /// (rx frames, rx bytes, headers the kernel should never have written). True if handed on.
    ///
    /// `clock` is the stack's clock for the frame, read by the caller once per V3 block or V2
    /// batch, not here (why: [`deliver_v3_block`]).
    ///
    /// Always inlined into the ring walks, with the V3 header parse (`V3Frames::next`): as two
    /// calls per frame, the parsed frame went through memory between them and each call saved
    /// and restored registers, which cost more than the work (bench/capture_ir.py: 226 -> 174
    /// instructions per 64 B frame; `#[inline]` alone was not taken).
    #[inline(always)]
    fn deliver(
        parsed: Result<RxFrame, ring::RingError>,
        bytes: &[u8],
        clock: Duration,
        scratch: &mut Vec<u8>,
        counts: &mut RxCounts,
        on_frame: &mut dyn FnMut(&[u8], RxMeta),
    ) -> bool {
        let Ok(f) = parsed else {
            counts.bad_headers += 1;
            return false;
        };
        if f.pkttype == libc::PACKET_OUTGOING {
            return false;
        }
        let data = &bytes[f.data.clone()];
        let mut meta = RxMeta {
            ts: Duration::new(f.sec as u64, f.nsec.min(999_999_999)),
            clock,
            orig_len: f.len,
            csum_not_ready: f.csum_not_ready(),
            note: None,
            link: crate::wire::LinkKind::Ethernet,
            source: 0,
        };
        counts.frames += 1;
        if let Some(tag) = f.vlan {
            ring::reinsert_vlan(data, tag, scratch);
            meta.orig_len = f.len + 4;
            counts.bytes += f.len as u64 + 4;
            on_frame(scratch, meta);
        } else {
            counts.bytes += f.len as u64;
            on_frame(data, meta);
        }
        true
    }

    fn recv_v2(
        &mut self,
        timeout: Duration,
        on_frame: &mut dyn FnMut(&[u8], RxMeta),
    ) -> io::Result<usize> {
        let mut handed = 0;
        let mut walked = 0;
        let mut waited = false;
        // Read once the first frame is ours (after any wait): one clock read per batch.
        let mut clock = None;
        let limit = self.frame_nr.min(V2_BATCH);
        while walked < limit {
            if !self.cursor_ready() {
                if walked > 0 || waited {
                    break;
                }
                waited = true;
                if !(self.recently_active && self.linger()) {
                    self.wait(timeout)?;
                }
                continue;
            }
            let off = self.v2_offset(self.cursor);
            {
                // SAFETY: `cursor_ready` saw TP_STATUS_USER in this frame's tp_status, so the
                // kernel leaves it alone; `slot` is dropped at the end of this block, before
                // `release` below hands the frame back.
                let slot = unsafe { self.ring.user_owned(off..off + self.frame_size) };
                let parsed = ring::v2_frame(slot);
                let clock = *clock.get_or_insert_with(super::monotonic_clock);
                if Self::deliver(
                    parsed,
                    slot,
                    clock,
                    &mut self.vlan_scratch,
                    &mut self.rx,
                    on_frame,
                ) {
                    handed += 1;
                }
            }
            self.ring.release(off);
            self.cursor = (self.cursor + 1) % self.frame_nr;
            walked += 1;
        }
        self.recently_active = walked > 0;
        Ok(handed)
    }

    fn recv_v3(
        &mut self,
        timeout: Duration,
        on_frame: &mut dyn FnMut(&[u8], RxMeta),
    ) -> io::Result<usize> {
        let mut handed = 0;
        let mut walked = 0;
        let mut waited = false;
        while walked < self.cfg.block_nr {
            if !self.cursor_ready() {
                if walked > 0 || waited {
                    break;
                }
                self.wait(timeout)?;
                waited = true;
                continue;
            }
            let off = self.cursor * self.cfg.block_size;
            {
                // SAFETY: `cursor_ready` saw TP_STATUS_USER in this block's block_status, so the
                // kernel leaves the block alone; `block` (and every frame parsed from it) is
                // dropped at the end of this scope, before `release` below hands it back.
                let block = unsafe { self.ring.user_owned(off..off + self.cfg.block_size) };
                handed += deliver_v3_block(block, &mut self.rx, &mut self.vlan_scratch, on_frame);
            }
            self.ring.release(off + ring::V3_BLOCK_STATUS);
            self.cursor = (self.cursor + 1) % self.cfg.block_nr;
            walked += 1;
        }
        Ok(handed)
    }

    /// Read PACKET_STATISTICS (which resets it) into the running totals.
    fn poll_kernel_stats(&self) {
        let mut st = libc::tpacket_stats_v3 {
            tp_packets: 0,
            tp_drops: 0,
            tp_freeze_q_cnt: 0,
        };
        let mut len = match self.cfg.version {
            RingVersion::V2 => size_of::<libc::tpacket_stats>(),
            RingVersion::V3 => size_of::<libc::tpacket_stats_v3>(),
        } as libc::socklen_t;
        // SAFETY: the kernel writes at most `len` bytes, and `st` is at least that large.
        let r = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                (&mut st as *mut libc::tpacket_stats_v3).cast(),
                &mut len,
            )
        };
        if r == 0 {
            self.kernel_drops
                .set(self.kernel_drops.get() + st.tp_drops as u64);
            if self.cfg.version == RingVersion::V3 {
                self.freeze_q
                    .set(self.freeze_q.get() + st.tp_freeze_q_cnt as u64);
            }
        }
    }

    /// (frames or blocks currently owned by user space, total).
    fn occupancy(&self) -> (u32, u32) {
        match self.cfg.version {
            RingVersion::V2 => {
                // The kernel fills slots in ring order and hands them back in that order, so the
                // frames waiting for us are one run starting at the cursor: walk only that run
                // (a default ring has tens of thousands of slots; this runs per UI refresh).
                let used = (0..self.frame_nr)
                    .map(|k| (self.cursor + k) % self.frame_nr)
                    .take_while(|&i| {
                        self.ring.status(self.v2_offset(i)) & libc::TP_STATUS_USER != 0
                    })
                    .count();
                (used as u32, self.frame_nr as u32)
            }
            RingVersion::V3 => {
                let used = (0..self.cfg.block_nr)
                    .filter(|&b| {
                        self.ring
                            .status(b * self.cfg.block_size + ring::V3_BLOCK_STATUS)
                            & libc::TP_STATUS_USER
                            != 0
                    })
                    .count();
                (used as u32, self.cfg.block_nr as u32)
            }
        }
    }

    /// The ring as the ring panel draws it: a window of slots (V2) or blocks (V3) around
    /// ringside's cursor, each owner read from its tp_status / block_status.
    ///
    /// A racy snapshot, on purpose: the kernel keeps writing status words while we read them one
    /// by one, so the picture mixes moments a few microseconds apart. That is fine for a picture
    /// redrawn ten times a second. Each word is read with the same atomic Acquire load the
    /// receive path uses (never a plain read of memory the kernel writes), no frame bytes are
    /// read, and nothing here changes ownership: only `recv_v2`/`recv_v3` hand slots back.
    fn ring_snapshot(&self) -> RingView {
        let (used, _) = self.occupancy();
        let (total, slot_bytes) = match self.cfg.version {
            RingVersion::V2 => (self.frame_nr, self.frame_size),
            RingVersion::V3 => (self.cfg.block_nr, self.cfg.block_size),
        };
        let status = |i: u32| match self.cfg.version {
            RingVersion::V2 => self.ring.status(self.v2_offset(i as usize)),
            RingVersion::V3 => self
                .ring
                .status(i as usize * self.cfg.block_size + ring::V3_BLOCK_STATUS),
        };
        ring_picture(
            self.cfg.version,
            total as u32,
            slot_bytes as u32,
            self.cursor as u32,
            used,
            &status,
        )
    }

    /// Frames the kernel wrote with impossible offsets (0 unless something is very wrong).
    pub fn bad_headers(&self) -> u64 {
        self.rx.bad_headers
    }

    /// Times the V3 ring was frozen because every block was in user hands.
    pub fn freeze_count(&self) -> u64 {
        self.poll_kernel_stats();
        self.freeze_q.get()
    }
}

/// What the ring walk counts as it hands frames over (the link's `LinkStats` and
/// [`AfPacket::bad_headers`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RxCounts {
    pub frames: u64,
    pub bytes: u64,
    /// Headers the kernel wrote that did not fit their frame/block (should stay 0).
    pub bad_headers: u64,
}

/// Hand every frame of one V3 block that user space owns (`block`: the whole block, as the
/// kernel retired it) to `on_frame`, as [`AfPacket`]'s `recv_batch` does; says how many were
/// handed on (outgoing frames and bad headers are not). Safe code over a plain slice, so
/// `bench/capture_ir.py` drives this same walk over synthetic blocks under callgrind.
///
/// The stack's clock is read here once per block, not per frame: a clock read per frame (vDSO
/// clock_gettime and the `Instant` arithmetic around it) was a third of the capture path's
/// CPU under a 64 B flood, ~60 ns a frame on the bench VM (bench/RESULTS.md, issue 13). The
/// stack only ages its ARP cache and reassemblies by it, in seconds; frames of one block reach
/// it within microseconds of each other.
pub fn deliver_v3_block(
    block: &[u8],
    counts: &mut RxCounts,
    scratch: &mut Vec<u8>,
    on_frame: &mut dyn FnMut(&[u8], RxMeta),
) -> usize {
    let Ok(hdr) = ring::v3_block(block) else {
        counts.bad_headers += 1;
        return 0;
    };
    let clock = super::monotonic_clock();
    // Counted in a local copy, written back once: through `counts` itself each frame's
    // counts were stored to memory around the call of `on_frame`.
    let mut c = *counts;
    for parsed in V3Frames::new(block, hdr) {
        AfPacket::deliver(parsed, block, clock, scratch, &mut c, on_frame);
    }
    let handed = c.frames - counts.frames;
    *counts = c;
    handed as usize
}

/// The picture of a TPACKET ring of `total` slots (V2) or blocks (V3) of `slot_bytes` each:
/// the window around ringside's `cursor`, each cell's owner from its status word
/// (`status(i)`: slot i's tp_status or block i's block_status), `used` slots or blocks in
/// ringside's hands. Pure, so it is tested on a synthetic ring state below.
fn ring_picture(
    version: RingVersion,
    total: u32,
    slot_bytes: u32,
    cursor: u32,
    used: u32,
    status: &dyn Fn(u32) -> u32,
) -> RingView {
    let total = total.max(1);
    let cursor = cursor % total;
    let (first, len) = RingView::window(total, cursor);
    let cells = (0..len)
        .map(|k| {
            // TP_STATUS_USER set: the kernel wrote the slot and will not touch it until
            // ringside stores TP_STATUS_KERNEL (0) there again.
            if status((first + k) % total) & libc::TP_STATUS_USER != 0 {
                Owner::User
            } else {
                Owner::Kernel
            }
        })
        .collect();
    // The kernel's own position (packet_sock's rx_ring.head for V2, the active block for V3)
    // is not in shared memory. Both sides go round the ring in order and ringside hands slots
    // back in order, so it is the first slot after the run ringside has not read yet; when
    // every slot is ringside's, the kernel waits at the cursor (V2 drops, V3 freezes).
    let kernel_at = (cursor + used.min(total)) % total;
    let (kind, kernel_meaning) = match version {
        RingVersion::V2 => (RingKind::TpacketV2, "the kernel copies the next frame here"),
        RingVersion::V3 => (RingKind::TpacketV3, "the kernel fills this block"),
    };
    RingView {
        kind,
        total,
        slot_bytes,
        first,
        cells,
        user: used,
        cursors: vec![
            Cursor {
                name: "next",
                at: cursor,
                meaning: "ringside reads here next",
            },
            Cursor {
                name: "kernel",
                at: kernel_at,
                meaning: kernel_meaning,
            },
        ],
        rings: 1,
        ring_index: 0,
        last_sync: None,
        fill: None,
    }
}

impl TxQueue {
    fn push(&mut self, frame: &[u8]) {
        self.bytes.extend_from_slice(frame);
        self.ends.push(self.bytes.len());
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }
}

/// Errors on one outgoing frame that do not mean the link is gone: counted, not fatal.
fn transient_tx_error(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(
            libc::ENOBUFS
                | libc::EAGAIN
                | libc::EMSGSIZE
                | libc::EINVAL
                | libc::ENETDOWN
                | libc::EINTR
        )
    )
}

impl Link for AfPacket {
    fn recv_batch(
        &mut self,
        timeout: Duration,
        on_frame: &mut dyn FnMut(&[u8], RxMeta),
    ) -> io::Result<Received> {
        match self.cfg.version {
            RingVersion::V2 => self.recv_v2(timeout, on_frame),
            RingVersion::V3 => self.recv_v3(timeout, on_frame),
        }
        .map(Received::Frames)
    }

    fn send(&mut self, frame: &[u8]) -> io::Result<()> {
        self.tx.push(frame);
        if self.tx.ends.len() >= TX_BATCH {
            self.flush()?;
        }
        Ok(())
    }

    /// Send the queued frames with as few `sendmmsg` calls as the kernel allows.
    fn flush(&mut self) -> io::Result<()> {
        let tx = &mut self.tx;
        if tx.ends.is_empty() {
            return Ok(());
        }
        tx.iov.clear();
        tx.msgs.clear();
        let mut start = 0;
        for &end in &tx.ends {
            tx.iov.push(libc::iovec {
                // SAFETY (of later use): points into tx.bytes, which is not touched until the
                // sendmmsg calls below are done.
                iov_base: tx.bytes[start..end].as_ptr() as *mut libc::c_void,
                iov_len: end - start,
            });
            start = end;
        }
        for iov in tx.iov.iter_mut() {
            // SAFETY: msghdr is plain old data; zero is "no address, no control".
            let mut m: libc::mmsghdr = unsafe { std::mem::zeroed() };
            m.msg_hdr.msg_iov = iov as *mut libc::iovec;
            m.msg_hdr.msg_iovlen = 1;
            tx.msgs.push(m);
        }
        let mut at = 0;
        let mut fatal = None;
        while at < tx.msgs.len() {
            let n = (tx.msgs.len() - at) as libc::c_uint;
            // SAFETY: `msgs[at..]` are valid mmsghdrs whose iovecs point into live `bytes`. The
            // socket is bound, so no destination address is needed.
            let r = unsafe {
                libc::sendmmsg(
                    self.fd.as_raw_fd(),
                    tx.msgs.as_mut_ptr().add(at),
                    n,
                    libc::MSG_DONTWAIT,
                )
            };
            if r > 0 {
                self.tx_frames += r as u64;
                at += r as usize;
                continue;
            }
            let e = io::Error::last_os_error();
            // The frame at `at` failed: count it and go on with the rest, unless the socket is
            // unusable.
            self.tx_errors += 1;
            at += 1;
            if !transient_tx_error(&e) {
                fatal = Some(e);
                break;
            }
        }
        tx.clear();
        match fatal {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn now(&self) -> Duration {
        super::monotonic_clock()
    }

    fn info(&self) -> LinkInfo {
        LinkInfo {
            describe: self.describe(),
            stats: self.stats(),
            ring: Some(self.ring_snapshot()),
            ..LinkInfo::default()
        }
    }

    fn control(&mut self, _: LinkControl) -> Result<(), Unsupported> {
        Err(Unsupported::RealTime)
    }

    fn waker(&mut self) -> Option<super::Waker> {
        let (waker, rx) = super::WakeReceiver::pair().ok()?;
        self.wake = Some(rx);
        Some(waker)
    }
}

/// [`super::poll_in`] on the ring's socket and a [`super::WakeReceiver`] together: the socket's
/// revents (0 when woken, timed out or interrupted by a signal). A pending wake is taken.
fn poll_in_or_woken(
    fd: BorrowedFd<'_>,
    wake: &super::WakeReceiver,
    timeout: Duration,
) -> io::Result<libc::c_short> {
    let ms = timeout.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as libc::c_int;
    let mut pfds = [
        crate::sys::pollfd(fd, libc::POLLIN),
        crate::sys::pollfd(wake.fd(), libc::POLLIN),
    ];
    match crate::sys::poll_fds(&mut pfds, ms) {
        Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(0),
        Err(e) => return Err(e),
        Ok(_) => {}
    }
    if pfds[1].revents != 0 {
        wake.drain();
    }
    Ok(pfds[0].revents)
}

/// What [`Link::info`] reports.
impl AfPacket {
    fn stats(&self) -> LinkStats {
        self.poll_kernel_stats();
        LinkStats {
            rx_frames: self.rx.frames,
            rx_bytes: self.rx.bytes,
            tx_frames: self.tx_frames,
            tx_errors: self.tx_errors,
            kernel_drops: self.kernel_drops.get(),
            ring_used: Some(self.occupancy()),
        }
    }

    fn describe(&self) -> String {
        let wake = if self.cfg.busy_poll {
            "busy-poll"
        } else {
            "poll"
        };
        let mut s = match self.cfg.version {
            RingVersion::V2 => format!(
                "afpacket {} (TPACKET_V2, {} frames x {} B, {wake})",
                self.ifname, self.frame_nr, self.frame_size
            ),
            RingVersion::V3 => format!(
                "afpacket {} (TPACKET_V3, {} blocks x {} KiB, retire {} ms, {wake})",
                self.ifname,
                self.cfg.block_nr,
                self.cfg.block_size >> 10,
                self.cfg.retire_ms.max(1)
            ),
        };
        if self.freeze_q.get() > 0 {
            s.push_str(&format!(", ring frozen {}x", self.freeze_q.get()));
        }
        if self.rx.bad_headers > 0 {
            s.push_str(&format!(", {} bad ring headers", self.rx.bad_headers));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::ring_view::WINDOW;

    const USER: u32 = libc::TP_STATUS_USER;

    /// A V2 ring of the default geometry where the kernel has filled 5 slots from ringside's
    /// cursor: the window shows them as ringside's, the rest as the kernel's, and the kernel's
    /// position right after them. At the ring's end the run wraps to slot 0.
    #[test]
    fn v2_picture_from_a_synthetic_ring() {
        let total = 41_984u32;
        let filled_from = |cursor: u32| {
            move |i: u32| {
                if (0..5).any(|k| (cursor + k) % total == i) {
                    USER | libc::TP_STATUS_CSUMNOTREADY
                } else {
                    libc::TP_STATUS_KERNEL
                }
            }
        };
        let users = |v: &RingView| -> Vec<u32> {
            (0..v.cells.len())
                .filter(|&k| v.cells[k] == Owner::User)
                .map(|k| v.index_of(k))
                .collect()
        };
        let v = ring_picture(RingVersion::V2, total, 1584, 1000, 5, &filled_from(1000));
        assert_eq!(v.kind, RingKind::TpacketV2);
        assert_eq!(v.cells.len(), WINDOW);
        assert_eq!(v.first, 992, "a few slots before the cursor stay in view");
        assert_eq!(users(&v), [1000, 1001, 1002, 1003, 1004]);
        assert_eq!(v.cursor("next"), Some(1000));
        assert_eq!(v.cursor("kernel"), Some(1005));
        assert_eq!((v.user, v.total, v.slot_bytes), (5, 41_984, 1584));
        // Wrapping: the window ends at the last slot; the kernel is already back at slot 3.
        let v = ring_picture(
            RingVersion::V2,
            total,
            1584,
            41_982,
            5,
            &filled_from(41_982),
        );
        assert_eq!(v.first, 41_920);
        assert_eq!(users(&v), [41_982, 41_983]);
        assert_eq!(v.cursor("kernel"), Some(3));
    }

    /// V3: 32 blocks, all in view; two retired blocks wait for ringside; the kernel fills the
    /// block after them.
    #[test]
    fn v3_picture_from_a_synthetic_ring() {
        let status = |b: u32| if b == 30 || b == 31 { USER } else { 0 };
        let v = ring_picture(RingVersion::V3, 32, 256 << 10, 30, 2, &status);
        assert_eq!(v.kind, RingKind::TpacketV3);
        assert_eq!(
            (v.first, v.cells.len()),
            (0, 32),
            "a small ring is shown whole"
        );
        assert_eq!(v.cells[30], Owner::User);
        assert_eq!(v.cells[31], Owner::User);
        assert_eq!(v.cells.iter().filter(|&&o| o == Owner::User).count(), 2);
        assert_eq!(v.cursor("kernel"), Some(0), "wraps to block 0");
        // Every block ringside's: the kernel waits at the cursor (the ring is frozen).
        let v = ring_picture(RingVersion::V3, 32, 256 << 10, 7, 32, &|_| USER);
        assert_eq!(v.cursor("kernel"), Some(7));
    }
}
