#![allow(unsafe_code)] // a ring in memory shared with the kernel, which writes it
//! The netmap backend (cargo feature `netmap`, via `netmap_sys` 0.1.4).
//!
//! netmap maps the NIC's rings into user space: each ring is a header plus an array of slots, each
//! slot naming a buffer (by index) and a length. User space owns the slots from `head` up to (not
//! including) `tail`; it gives them back by moving `head` (and `cur`) forward, and the next
//! poll()/NIOCRXSYNC/NIOCTXSYNC tells the kernel.
//!
//! Two halves:
//! - [`Region`] + [`RingView`]: the ring arithmetic (`nm_nextpkt`-style RX walk, TX slot filling,
//!   head/cur/tail, wraparound) over a memory region addressed by *offsets*, with every offset and
//!   index the kernel wrote checked against the region before use. Compiled always and unit-tested
//!   on a synthetic ring built in a `Vec`.
//! - `Netmap` (feature `netmap` only): open `/dev/netmap`, NIOCREGIF, mmap, poll, NIOCTXSYNC.
//!
//! `netmap_sys` 0.1.4 quirks handled here: it speaks the legacy `nmreq` API and its `NETMAP_API`
//! is 11, but current netmap rejects legacy requests below version 14, so `nr_version = 14`; its
//! `NETMAP_RXRING` assumes exactly one host TX ring, so RX ring offsets are computed here from
//! `ni_host_tx_rings` (the first spare word of `netmap_if`; 0 on old kernels, meaning 1).
#[cfg(feature = "netmap")]
use std::io;
use std::mem::{offset_of, size_of};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

/// The kernel's `struct netmap_ring` header (netmap.h, API 14). `netmap_sys` 0.1.4 has the same
/// size and field positions (checked at compile time with the feature on); our own copy lets the
/// ring logic and its tests build without the feature.
#[repr(C)]
pub struct NmRingHdr {
    pub buf_ofs: i64,
    pub num_slots: u32,
    pub nr_buf_size: u32,
    pub ringid: u16,
    pub dir: u16,
    pub head: u32,
    pub cur: u32,
    pub tail: u32,
    pub flags: u32,
    pub ts: libc::timeval,
    pub offset_mask: u64,
    pub buf_align: u64,
    _pad: [u8; 56],
    pub sem: [u8; 128],
}

/// The kernel's `struct netmap_slot`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct NmSlot {
    pub buf_idx: u32,
    pub len: u16,
    pub flags: u16,
    pub ptr: u64,
}

/// Size of the ring header; the slot array follows it.
pub const RING_HDR: usize = size_of::<NmRingHdr>();
const SLOT: usize = size_of::<NmSlot>();

#[cfg(feature = "netmap")]
const _: () = {
    use netmap_sys::netmap::{netmap_ring, netmap_slot};
    assert!(size_of::<netmap_ring>() == RING_HDR);
    assert!(size_of::<netmap_slot>() == SLOT);
    assert!(offset_of!(netmap_ring, head) == offset_of!(NmRingHdr, head));
    assert!(offset_of!(netmap_ring, tail) == offset_of!(NmRingHdr, tail));
    assert!(offset_of!(netmap_ring, nr_buf_size) == offset_of!(NmRingHdr, nr_buf_size));
    assert!(offset_of!(netmap_ring, sem) == offset_of!(NmRingHdr, sem));
};

/// Something in the shared memory that cannot be right.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NmError {
    /// A ring header or its slot array lies outside the mapped region.
    RingOutOfBounds,
    /// head or tail is not a slot index of the ring.
    BadIndex,
}

impl std::fmt::Display for NmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NmError::RingOutOfBounds => "netmap ring lies outside the mapped memory",
            NmError::BadIndex => "netmap ring head/tail out of range",
        })
    }
}

/// A memory region shared with the kernel (the netmap mmap) or a test buffer. All access is by
/// offset, bounds-checked; 32-bit words the kernel and we both write are accessed atomically.
pub struct Region {
    base: NonNull<u8>,
    len: usize,
}

// SAFETY: the region is plain memory; the owner decides its lifetime (see Region::new).
unsafe impl Send for Region {}

impl Region {
    /// # Safety
    /// `base..base+len` must be valid for reads and writes, 8-byte aligned, and outlive the Region.
    pub unsafe fn new(base: NonNull<u8>, len: usize) -> Region {
        Region { base, len }
    }

    fn fits(&self, off: usize, n: usize) -> bool {
        off.checked_add(n).is_some_and(|end| end <= self.len)
    }

    fn atomic_u32(&self, off: usize) -> Option<&AtomicU32> {
        if !off.is_multiple_of(4) || !self.fits(off, 4) {
            return None;
        }
        // SAFETY: in bounds and aligned (checked); shared words are only accessed atomically.
        Some(unsafe { AtomicU32::from_ptr(self.base.as_ptr().add(off).cast()) })
    }

    fn load(&self, off: usize) -> Option<u32> {
        self.atomic_u32(off).map(|a| a.load(Ordering::Acquire))
    }

    fn store(&self, off: usize, v: u32) -> Option<()> {
        self.atomic_u32(off).map(|a| a.store(v, Ordering::Release))
    }

    fn read_i64(&self, off: usize) -> Option<i64> {
        if !off.is_multiple_of(8) || !self.fits(off, 8) {
            return None;
        }
        // SAFETY: in bounds and aligned (checked). Written once by the kernel at registration.
        Some(unsafe { std::ptr::read_volatile(self.base.as_ptr().add(off).cast::<i64>()) })
    }

    /// A view of `n` bytes at `off` (None if out of the region).
    ///
    /// # Safety
    ///
    /// The kernel writes into the region concurrently. The bytes must be the buffer of an RX slot
    /// between head and tail (user space owns those: the kernel does not write them until head
    /// moves past), and the view must be dropped before head is advanced past that slot.
    unsafe fn bytes(&self, off: usize, n: usize) -> Option<&[u8]> {
        if !self.fits(off, n) {
            return None;
        }
        // SAFETY: in bounds (checked); nobody writes the bytes while the view lives (contract).
        Some(unsafe { std::slice::from_raw_parts(self.base.as_ptr().add(off), n) })
    }

    /// Copy `src` into the region at `off` (None, nothing written, if it does not fit). No
    /// `&mut` into the shared memory is ever handed out, so two writes cannot alias a reference.
    ///
    /// # Safety
    ///
    /// The bytes must be the buffer of a TX slot between head and tail (user space owns those:
    /// the kernel does not read them until head moves past), and no view from [`Region::bytes`]
    /// of them may be alive.
    unsafe fn copy_in(&self, off: usize, src: &[u8]) -> Option<()> {
        if !self.fits(off, src.len()) {
            return None;
        }
        // SAFETY: in bounds (checked); `src` is ordinary memory, never inside the region while
        // a slot we own is being written (contract), so the ranges do not overlap.
        unsafe {
            std::ptr::copy_nonoverlapping(src.as_ptr(), self.base.as_ptr().add(off), src.len())
        };
        Some(())
    }
}

/// One ring inside a [`Region`], its geometry validated once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingView {
    /// Offset of the ring header in the region.
    off: usize,
    num_slots: u32,
    buf_size: u32,
    /// Offset of buffer 0 in the region (ring offset + buf_ofs); may be negative in principle.
    buf_base: i128,
}

impl RingView {
    /// Validate the ring header at `off`: header and all slots inside the region, a non-zero
    /// slot count and buffer size.
    pub fn new(region: &Region, off: usize) -> Result<RingView, NmError> {
        if !off.is_multiple_of(8) || !region.fits(off, RING_HDR) {
            return Err(NmError::RingOutOfBounds);
        }
        let num_slots = region
            .load(off + offset_of!(NmRingHdr, num_slots))
            .ok_or(NmError::RingOutOfBounds)?;
        let buf_size = region
            .load(off + offset_of!(NmRingHdr, nr_buf_size))
            .ok_or(NmError::RingOutOfBounds)?;
        let buf_ofs = region
            .read_i64(off + offset_of!(NmRingHdr, buf_ofs))
            .ok_or(NmError::RingOutOfBounds)?;
        let slots = (num_slots as usize).checked_mul(SLOT);
        if num_slots == 0 || buf_size == 0 || slots.is_none_or(|s| !region.fits(off + RING_HDR, s))
        {
            return Err(NmError::RingOutOfBounds);
        }
        Ok(RingView {
            off,
            num_slots,
            buf_size,
            buf_base: off as i128 + buf_ofs as i128,
        })
    }

    pub fn num_slots(&self) -> u32 {
        self.num_slots
    }

    fn next(&self, i: u32) -> u32 {
        if i + 1 == self.num_slots {
            0
        } else {
            i + 1
        }
    }

    fn slot_off(&self, i: u32) -> usize {
        self.off + RING_HDR + i as usize * SLOT
    }

    /// Region offset of buffer `idx`, when `n` bytes of it lie inside the region and the buffer.
    fn buf_off(&self, region: &Region, idx: u32, n: usize) -> Option<usize> {
        if n > self.buf_size as usize {
            return None;
        }
        let off = self.buf_base + idx as i128 * self.buf_size as i128;
        let off = usize::try_from(off).ok()?;
        region.fits(off, n).then_some(off)
    }

    fn head_tail(&self, region: &Region) -> Result<(u32, u32), NmError> {
        let head = region
            .load(self.off + offset_of!(NmRingHdr, head))
            .ok_or(NmError::RingOutOfBounds)?;
        let tail = region
            .load(self.off + offset_of!(NmRingHdr, tail))
            .ok_or(NmError::RingOutOfBounds)?;
        if head >= self.num_slots || tail >= self.num_slots {
            return Err(NmError::BadIndex);
        }
        Ok((head, tail))
    }

    /// (head, cur, tail) as they are now, for the ring panel. Racy by nature (the kernel may
    /// move tail between the loads); each word is one atomic Acquire load, as in `rx_walk`.
    pub fn head_cur_tail(&self, region: &Region) -> Result<(u32, u32, u32), NmError> {
        let (head, tail) = self.head_tail(region)?;
        let cur = region
            .load(self.off + offset_of!(NmRingHdr, cur))
            .ok_or(NmError::RingOutOfBounds)?;
        Ok((head, cur.min(self.num_slots - 1), tail))
    }

    pub fn buf_size(&self) -> u32 {
        self.buf_size
    }

    fn set_head_cur(&self, region: &Region, i: u32) {
        // Both offsets were validated with the header; `cur` first, `head` (what the kernel reads
        // as "released up to here") last.
        let _ = region.store(self.off + offset_of!(NmRingHdr, cur), i);
        let _ = region.store(self.off + offset_of!(NmRingHdr, head), i);
    }

    /// Slots user space holds: from head up to tail (the kernel's "space" for TX, "ready" for RX).
    pub fn space(&self, region: &Region) -> Result<u32, NmError> {
        let (head, tail) = self.head_tail(region)?;
        Ok(if tail >= head {
            tail - head
        } else {
            tail + self.num_slots - head
        })
    }

    /// RX: hand every received slot from head to tail (at most `max`) to `on_frame`, like
    /// `nm_nextpkt`, then give them back by moving head and cur past them. Slots whose buffer
    /// index or length do not fit are skipped and counted in `bad`. Returns frames handed over.
    pub fn rx_walk(
        &self,
        region: &Region,
        max: usize,
        bad: &mut u64,
        on_frame: &mut dyn FnMut(&[u8]),
    ) -> Result<usize, NmError> {
        let (head, tail) = self.head_tail(region)?;
        let mut i = head;
        let mut n = 0;
        while i != tail && n < max {
            let s = self.slot_off(i);
            // The slot array was validated with the header: these loads are in bounds.
            let idx = region
                .load(s + offset_of!(NmSlot, buf_idx))
                .unwrap_or(u32::MAX);
            let len_flags = region.load(s + offset_of!(NmSlot, len)).unwrap_or(0);
            // `len` and `flags` share one 32-bit word: len is the low half on little endian.
            let len = if cfg!(target_endian = "little") {
                len_flags & 0xffff
            } else {
                len_flags >> 16
            } as usize;
            // SAFETY: slot i lies in [head, tail): user space owns its buffer until head moves
            // past it, which `set_head_cur` below does only after `frame` is dropped (on_frame
            // cannot keep it: it gets the slice for the call only).
            match self
                .buf_off(region, idx, len)
                .and_then(|o| unsafe { region.bytes(o, len) })
            {
                Some(frame) => {
                    on_frame(frame);
                    n += 1;
                }
                None => *bad += 1,
            }
            i = self.next(i);
        }
        self.set_head_cur(region, i);
        Ok(n)
    }

    /// TX: copy `frame` into the buffer of the slot at head and advance head/cur. Ok(false) when
    /// the ring is full (sync and retry) or the frame does not fit a buffer.
    pub fn tx_put(&self, region: &Region, frame: &[u8]) -> Result<bool, NmError> {
        let (head, tail) = self.head_tail(region)?;
        if head == tail || frame.len() > u16::MAX as usize {
            return Ok(false);
        }
        let s = self.slot_off(head);
        let idx = region
            .load(s + offset_of!(NmSlot, buf_idx))
            .unwrap_or(u32::MAX);
        // SAFETY: the slot at head is in [head, tail) (checked above: head != tail), so user
        // space owns its buffer until head advances below; nothing views TX buffers.
        let written = self
            .buf_off(region, idx, frame.len())
            .and_then(|o| unsafe { region.copy_in(o, frame) });
        if written.is_none() {
            return Ok(false);
        }
        let len = frame.len() as u32;
        // len in its half of the (len, flags) word; flags cleared.
        let word = if cfg!(target_endian = "little") {
            len
        } else {
            len << 16
        };
        let _ = region.store(s + offset_of!(NmSlot, len), word);
        self.set_head_cur(region, self.next(head));
        Ok(true)
    }
}

/// The ring panel's picture of one netmap RX ring (`index` of `rings`) of `num_slots` slots of
/// `buf_size` bytes: slots [head, tail) are user space's (netmap.h, struct netmap_ring), the
/// rest the kernel's. Pure, so it is tested below and built without the `netmap` feature.
pub fn picture(
    num_slots: u32,
    buf_size: u32,
    (head, cur, tail): (u32, u32, u32),
    index: u32,
    rings: u32,
) -> crate::link::ring_view::RingView {
    use crate::link::ring_view::{distance, netmap_owner, Cursor, RingKind, RingView};
    let (first, len) = RingView::window(num_slots, head);
    RingView {
        kind: RingKind::NetmapRx,
        total: num_slots,
        slot_bytes: buf_size,
        first,
        cells: (0..len)
            .map(|k| netmap_owner((first + k) % num_slots, head, tail))
            .collect(),
        user: distance(head, tail, num_slots),
        cursors: vec![
            Cursor {
                name: "head",
                at: head,
                meaning: "first slot ringside holds; moving it hands slots back",
            },
            Cursor {
                name: "cur",
                at: cur,
                meaning: "where nm_nextpkt reads next; poll() wakes when tail passes it",
            },
            Cursor {
                name: "tail",
                at: tail,
                meaning: "first slot the kernel holds",
            },
        ],
        rings,
        ring_index: index,
        last_sync: None,
        fill: None,
    }
}

/// Multi-queue TX: try `put` on ring `first` (of `n`), then on each following ring (wrapping),
/// until one takes the frame. Ok(false) when every ring is full.
pub fn put_on_first_with_room(
    n: usize,
    first: usize,
    mut put: impl FnMut(usize) -> Result<bool, NmError>,
) -> Result<bool, NmError> {
    for k in 0..n {
        if put((first + k) % n)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The one-line message for `--backend netmap` where it cannot work.
pub const NO_DEVICE: &str =
    "/dev/netmap not found: this kernel has no netmap module; load it with \
     `modprobe netmap` on a netmap-enabled kernel, or use --backend afpacket";
pub const NOT_BUILT: &str = "this ringside was built without netmap support: rebuild with \
     `cargo build --release --features netmap`, or use --backend afpacket";

/// True when this build has the netmap backend.
pub const AVAILABLE: bool = cfg!(feature = "netmap");

#[cfg(feature = "netmap")]
pub use device::Netmap;

#[cfg(feature = "netmap")]
mod device {
    use super::*;
    use crate::link::afpacket::permission_hint;
    use crate::link::{Link, LinkControl, LinkInfo, LinkStats, Received, RxMeta, Unsupported};
    use crate::sys;
    use netmap_sys::netmap::{netmap_if, nmreq, NIOCREGIF, NIOCTXSYNC, NR_REG_ALL_NIC};
    use std::os::fd::{AsFd, AsRawFd, OwnedFd};
    use std::time::Duration;

    /// Legacy-API version current netmap accepts (see the module docs).
    const NR_VERSION: u32 = 14;

    /// The mmap of a netmap port's memory; unmapped on drop.
    struct Mapping {
        ptr: NonNull<u8>,
        len: usize,
    }
    // SAFETY: plain shared memory owned by this value.
    unsafe impl Send for Mapping {}
    impl Drop for Mapping {
        fn drop(&mut self) {
            // SAFETY: unmapping exactly our own mapping, once.
            unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
        }
    }

    pub struct Netmap {
        // Field order: region (a view) before the mapping it views, the mapping before the fd.
        region: Region,
        _map: Mapping,
        fd: OwnedFd,
        ifname: String,
        /// Every hardware RX ring (one per NIC queue), walked in turn.
        rx: Vec<RingView>,
        /// Frames handed over per RX ring (shown by `describe`: which queues the NIC used).
        rx_frames: Vec<u64>,
        /// Every hardware TX ring.
        tx: Vec<RingView>,
        /// The RX ring the latest frames came from: replies go out on the TX ring of the same
        /// queue when it has room (as a NIC's queue pairs are used), otherwise on any other.
        tx_hint: usize,
        next_rx: usize,
        stats: LinkStats,
        bad_slots: u64,
        pending_tx: bool,
    }

    impl Netmap {
        /// Open `netmap:IFNAME` in all-NIC-rings mode. (The `netmap:` prefix is nm_open()'s port
        /// syntax; the legacy NIOCREGIF request itself takes the bare interface name.)
        pub fn open(ifname: &str) -> io::Result<Netmap> {
            let fd =
                sys::open(c"/dev/netmap", libc::O_RDWR | libc::O_CLOEXEC).map_err(|e| {
                    match e.raw_os_error() {
                        Some(libc::ENOENT) | Some(libc::ENODEV) | Some(libc::ENXIO) => {
                            io::Error::new(io::ErrorKind::NotFound, NO_DEVICE)
                        }
                        _ => permission_hint(e),
                    }
                })?;
            // SAFETY: nmreq is plain old data.
            let mut req: nmreq = unsafe { std::mem::zeroed() };
            for (o, b) in req
                .nr_name
                .iter_mut()
                .zip(ifname.bytes().take(libc::IFNAMSIZ - 1))
            {
                *o = b as libc::c_char;
            }
            req.nr_version = NR_VERSION;
            req.nr_flags = NR_REG_ALL_NIC;
            // SAFETY: NIOCREGIF reads and writes the nmreq we pass.
            if unsafe { libc::ioctl(fd.as_raw_fd(), NIOCREGIF, &mut req as *mut nmreq) } < 0 {
                let e = io::Error::last_os_error();
                return Err(io::Error::new(
                    e.kind(),
                    format!("netmap could not register {ifname} (NIOCREGIF: {e}): check the name with `ip -br link`, or use --backend afpacket"),
                ));
            }
            let len = req.nr_memsize as usize;
            // SAFETY: mapping the port memory the kernel just sized; checked.
            let p = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_SHARED,
                    fd.as_raw_fd(),
                    0,
                )
            };
            if p == libc::MAP_FAILED {
                return Err(io::Error::last_os_error());
            }
            let ptr =
                NonNull::new(p.cast::<u8>()).ok_or_else(|| io::Error::other("mmap gave NULL"))?;
            let map = Mapping { ptr, len };
            // SAFETY: the mapping is page aligned, `len` bytes long, and is kept alive beside the
            // region in the same struct (dropped after it).
            let region = unsafe { Region::new(ptr, len) };

            let nif = req.nr_offset as usize;
            let bad = || io::Error::other("netmap_if lies outside the netmap memory");
            if !region.fits(nif, size_of::<netmap_if>()) || !nif.is_multiple_of(8) {
                return Err(bad());
            }
            let word = |o: usize| region.load(nif + o).ok_or_else(bad);
            let tx_rings = word(offset_of!(netmap_if, ni_tx_rings))? as usize;
            let rx_rings = word(offset_of!(netmap_if, ni_rx_rings))? as usize;
            let host_tx = match word(offset_of!(netmap_if, ni_spare1))? {
                0 => 1,
                n => n as usize,
            };
            let ring_ofs = |i: usize| -> io::Result<usize> {
                let at = nif + size_of::<netmap_if>() + i * size_of::<isize>();
                let o = region.read_i64(at).ok_or_else(bad)?;
                usize::try_from(nif as i128 + o as i128).map_err(|_| bad())
            };
            let view = |off: usize| {
                RingView::new(&region, off).map_err(|e| io::Error::other(e.to_string()))
            };
            if tx_rings == 0 || rx_rings == 0 {
                return Err(io::Error::other(format!("{ifname} has no netmap rings")));
            }
            // Ring order in netmap_if (netmap.h): the NIC TX rings, the host TX ring(s), the NIC
            // RX rings, then the host RX ring(s). NR_REG_ALL_NIC registered the NIC rings only:
            // the host rings (the path to and from the kernel's own stack) are left alone.
            let tx = (0..tx_rings)
                .map(|i| view(ring_ofs(i)?))
                .collect::<io::Result<Vec<_>>>()?;
            let rx = (0..rx_rings)
                .map(|i| view(ring_ofs(tx_rings + host_tx + i)?))
                .collect::<io::Result<Vec<_>>>()?;
            Ok(Netmap {
                region,
                _map: map,
                fd,
                ifname: ifname.to_string(),
                rx_frames: vec![0; rx.len()],
                rx,
                tx,
                tx_hint: 0,
                next_rx: 0,
                stats: LinkStats::default(),
                bad_slots: 0,
                pending_tx: false,
            })
        }

        /// Put `frame` on the hinted TX ring, or the next one with room. Ok(false): all full
        /// (or the frame fits no buffer).
        fn tx_put_any(&self, frame: &[u8]) -> Result<bool, NmError> {
            put_on_first_with_room(self.tx.len(), self.tx_hint, |i| {
                self.tx[i].tx_put(&self.region, frame)
            })
        }

        fn txsync(&mut self) -> io::Result<()> {
            // SAFETY: NIOCTXSYNC takes no argument.
            if unsafe { libc::ioctl(self.fd.as_raw_fd(), NIOCTXSYNC as libc::Ioctl) } < 0 {
                return Err(io::Error::last_os_error());
            }
            self.pending_tx = false;
            Ok(())
        }
    }

    impl Link for Netmap {
        fn recv_batch(
            &mut self,
            timeout: Duration,
            on_frame: &mut dyn FnMut(&[u8], RxMeta),
        ) -> io::Result<Received> {
            let ready = self
                .rx
                .iter()
                .any(|r| r.space(&self.region).map(|s| s > 0).unwrap_or(false));
            if !ready {
                // poll() also runs RXSYNC, returning consumed slots to the kernel.
                crate::link::poll_in(self.fd.as_fd(), timeout)?;
            }
            let ts = crate::link::wall_clock();
            let clock = crate::link::monotonic_clock();
            let mut handed = 0;
            let n = self.rx.len();
            for k in 0..n {
                let ring = (self.next_rx + k) % n;
                let r = self.rx[ring];
                let stats = &mut self.stats;
                let got = r
                    .rx_walk(&self.region, usize::MAX, &mut self.bad_slots, &mut |f| {
                        stats.rx_frames += 1;
                        stats.rx_bytes += f.len() as u64;
                        on_frame(
                            f,
                            RxMeta {
                                ts,
                                clock,
                                orig_len: f.len() as u32,
                                csum_not_ready: false,
                                note: None,
                                link: crate::wire::LinkKind::Ethernet,
                                source: 0,
                            },
                        );
                    })
                    .map_err(|e| io::Error::other(e.to_string()))?;
                if got > 0 {
                    self.rx_frames[ring] += got as u64;
                    self.tx_hint = ring;
                }
                handed += got;
            }
            self.next_rx = (self.next_rx + 1) % n;
            Ok(Received::Frames(handed))
        }

        fn send(&mut self, frame: &[u8]) -> io::Result<()> {
            let mut put = self.tx_put_any(frame);
            if put == Ok(false) {
                // All full: push what is queued and take back the slots the NIC has sent.
                self.txsync()?;
                put = self.tx_put_any(frame);
            }
            match put {
                Ok(true) => {
                    self.stats.tx_frames += 1;
                    self.pending_tx = true;
                }
                Ok(false) => self.stats.tx_errors += 1,
                Err(e) => return Err(io::Error::other(e.to_string())),
            }
            Ok(())
        }

        fn flush(&mut self) -> io::Result<()> {
            if self.pending_tx {
                self.txsync()?;
            }
            Ok(())
        }

        fn now(&self) -> Duration {
            crate::link::monotonic_clock()
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
    impl Netmap {
        fn stats(&self) -> LinkStats {
            let used: u32 = self
                .rx
                .iter()
                .map(|r| r.space(&self.region).unwrap_or(0))
                .sum();
            let total: u32 = self.rx.iter().map(|r| r.num_slots()).sum();
            LinkStats {
                ring_used: Some((used, total)),
                ..self.stats
            }
        }

        /// The RX ring holding most frames for ringside (ring 0 when all are empty).
        fn ring(&self) -> Option<crate::link::ring_view::RingView> {
            let hct: Vec<(u32, u32, u32)> = self
                .rx
                .iter()
                .map(|r| r.head_cur_tail(&self.region))
                .collect::<Result<_, _>>()
                .ok()?;
            let (i, r) = self.rx.iter().enumerate().max_by_key(|(i, r)| {
                let (h, _, t) = hct[*i];
                (
                    crate::link::ring_view::distance(h, t, r.num_slots()),
                    usize::MAX - i,
                )
            })?;
            Some(super::picture(
                r.num_slots(),
                r.buf_size(),
                hct[i],
                i as u32,
                self.rx.len() as u32,
            ))
        }

        fn describe(&self) -> String {
            let mut s = format!(
                "netmap {} ({} RX rings x {} slots",
                self.ifname,
                self.rx.len(),
                self.rx.first().map(|r| r.num_slots()).unwrap_or(0)
            );
            if self.rx.len() > 1 {
                let per: Vec<String> = self.rx_frames.iter().map(|n| n.to_string()).collect();
                s.push_str(&format!(", frames per RX ring {}", per.join("/")));
            }
            s.push(')');
            if self.bad_slots > 0 {
                s.push_str(&format!(", {} bad slots", self.bad_slots));
            }
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SLOTS: u32 = 8;
    const BUF: u32 = 256;

    /// A synthetic netmap ring in a Vec: header, SLOTS slots, then SLOTS+2 buffers of BUF bytes.
    /// Slot i starts out pointing at buffer i.
    struct FakeRing {
        mem: Vec<u64>,
    }

    impl FakeRing {
        fn new() -> FakeRing {
            let buf_ofs = RING_HDR + SLOTS as usize * SLOT;
            let total = buf_ofs + (SLOTS as usize + 2) * BUF as usize;
            let mut r = FakeRing {
                mem: vec![0u64; total / 8],
            };
            let b = r.bytes_mut();
            b[0..8].copy_from_slice(&(buf_ofs as i64).to_ne_bytes());
            b[8..12].copy_from_slice(&SLOTS.to_ne_bytes());
            b[12..16].copy_from_slice(&BUF.to_ne_bytes());
            for i in 0..SLOTS {
                r.slot_mut(i).buf_idx = i;
            }
            r
        }
        fn bytes_mut(&mut self) -> &mut [u8] {
            let n = self.mem.len() * 8;
            // SAFETY: viewing our own Vec<u64> as bytes.
            unsafe { std::slice::from_raw_parts_mut(self.mem.as_mut_ptr().cast(), n) }
        }
        fn hdr(&mut self) -> &mut NmRingHdr {
            // SAFETY: the Vec is 8-aligned and larger than the header.
            unsafe { &mut *self.mem.as_mut_ptr().cast::<NmRingHdr>() }
        }
        fn slot_mut(&mut self, i: u32) -> &mut NmSlot {
            let off = RING_HDR + i as usize * SLOT;
            // SAFETY: in bounds, 8-aligned (RING_HDR and SLOT are multiples of 8).
            unsafe { &mut *self.bytes_mut().as_mut_ptr().add(off).cast::<NmSlot>() }
        }
        fn buf_mut(&mut self, idx: u32) -> &mut [u8] {
            let off = RING_HDR + SLOTS as usize * SLOT + (idx * BUF) as usize;
            &mut self.bytes_mut()[off..off + BUF as usize]
        }
        /// The kernel "receives" `payload` into the slot at tail and advances tail.
        fn kernel_rx(&mut self, payload: &[u8]) {
            let t = self.hdr().tail;
            let idx = self.slot_mut(t).buf_idx;
            self.buf_mut(idx)[..payload.len()].copy_from_slice(payload);
            self.slot_mut(t).len = payload.len() as u16;
            self.hdr().tail = (t + 1) % SLOTS;
        }
        fn region(&mut self) -> Region {
            let n = self.mem.len() * 8;
            let p = NonNull::new(self.mem.as_mut_ptr().cast::<u8>()).unwrap();
            // SAFETY: the Vec outlives every Region the tests make from it.
            unsafe { Region::new(p, n) }
        }
    }

    fn collect(ring: &RingView, region: &Region, max: usize, bad: &mut u64) -> Vec<Vec<u8>> {
        let mut got = Vec::new();
        ring.rx_walk(region, max, bad, &mut |f| got.push(f.to_vec()))
            .unwrap();
        got
    }

    /// After the kernel received three frames and ringside took one (moving cur and head past
    /// it together, as nm_nextpkt does), the picture shows the two slots ringside still holds
    /// (head..tail) and the cursors by their netmap names.
    #[test]
    fn picture_shows_head_to_tail_as_ringsides() {
        let mut f = FakeRing::new();
        f.kernel_rx(b"one");
        f.kernel_rx(b"two");
        f.kernel_rx(b"three");
        let region = f.region();
        let ring = RingView::new(&region, 0).unwrap();
        let mut bad = 0;
        collect(&ring, &region, 1, &mut bad);
        let hct = ring.head_cur_tail(&f.region()).unwrap();
        assert_eq!(hct, (1, 1, 3));
        let v = picture(ring.num_slots(), ring.buf_size(), hct, 0, 1);
        use crate::link::ring_view::Owner::{Kernel as K, User as U};
        assert_eq!(v.cells, [K, U, U, K, K, K, K, K]);
        assert_eq!(v.user, 2);
        assert_eq!(
            (v.cursor("head"), v.cursor("cur"), v.cursor("tail")),
            (Some(1), Some(1), Some(3))
        );
        assert_eq!((v.total, v.slot_bytes), (SLOTS, BUF));
    }

    #[test]
    fn header_layout_matches_netmap_h() {
        assert_eq!(RING_HDR, 256, "slots start after the 128-aligned sem[128]");
        assert_eq!(SLOT, 16);
        assert_eq!(offset_of!(NmRingHdr, head), 20);
        assert_eq!(offset_of!(NmRingHdr, tail), 28);
        assert_eq!(offset_of!(NmRingHdr, ts), 40);
        assert_eq!(offset_of!(NmRingHdr, sem), 128);
    }

    #[test]
    fn rx_walk_hands_over_head_to_tail_and_releases() {
        let mut f = FakeRing::new();
        f.kernel_rx(b"first");
        f.kernel_rx(b"second");
        f.kernel_rx(b"third");
        let region = f.region();
        let ring = RingView::new(&region, 0).unwrap();
        assert_eq!(ring.space(&region), Ok(3));
        let mut bad = 0;
        let got = collect(&ring, &region, usize::MAX, &mut bad);
        assert_eq!(
            got,
            vec![b"first".to_vec(), b"second".to_vec(), b"third".to_vec()]
        );
        assert_eq!(
            (f.hdr().head, f.hdr().cur),
            (3, 3),
            "head and cur moved past them"
        );
        assert_eq!(ring.space(&f.region()), Ok(0));
        assert_eq!(collect(&ring, &f.region(), usize::MAX, &mut bad).len(), 0);
        assert_eq!(bad, 0);
    }

    #[test]
    fn rx_walk_wraps_around_the_ring_end() {
        let mut f = FakeRing::new();
        // Start near the end: user and kernel both at slot 6.
        f.hdr().head = 6;
        f.hdr().cur = 6;
        f.hdr().tail = 6;
        for p in [b"s6", b"s7", b"s0", b"s1"] {
            f.kernel_rx(p);
        }
        assert_eq!(f.hdr().tail, 2);
        let region = f.region();
        let ring = RingView::new(&region, 0).unwrap();
        assert_eq!(ring.space(&region), Ok(4));
        let mut bad = 0;
        // `max` limits one walk; the rest waits for the next.
        let got = collect(&ring, &region, 3, &mut bad);
        assert_eq!(got, vec![b"s6".to_vec(), b"s7".to_vec(), b"s0".to_vec()]);
        assert_eq!(f.hdr().head, 1);
        let got = collect(&ring, &f.region(), 3, &mut bad);
        assert_eq!(got, vec![b"s1".to_vec()]);
        assert_eq!((f.hdr().head, f.hdr().cur), (2, 2));
    }

    #[test]
    fn rx_walk_skips_slots_with_impossible_buffers() {
        let mut f = FakeRing::new();
        f.kernel_rx(b"good");
        f.kernel_rx(b"index past the memory");
        f.kernel_rx(b"too long");
        f.kernel_rx(b"last buffer, fits");
        f.slot_mut(1).buf_idx = 1_000_000;
        f.slot_mut(2).len = (BUF + 1) as u16;
        f.slot_mut(3).buf_idx = SLOTS + 1; // the spare buffer at the very end: valid
        let idx = f.slot_mut(3).buf_idx;
        f.buf_mut(idx)[..4].copy_from_slice(b"tail");
        f.slot_mut(3).len = 4;
        let region = f.region();
        let ring = RingView::new(&region, 0).unwrap();
        let mut bad = 0;
        let got = collect(&ring, &region, usize::MAX, &mut bad);
        assert_eq!(got, vec![b"good".to_vec(), b"tail".to_vec()]);
        assert_eq!(bad, 2);
        assert_eq!(f.hdr().head, 4, "bad slots are released too");
    }

    #[test]
    fn bad_head_tail_and_ring_geometry_are_errors() {
        let mut f = FakeRing::new();
        f.hdr().tail = SLOTS; // one past the last slot
        let region = f.region();
        let ring = RingView::new(&region, 0).unwrap();
        let mut bad = 0;
        assert_eq!(
            ring.rx_walk(&region, 10, &mut bad, &mut |_| {}),
            Err(NmError::BadIndex)
        );
        f.hdr().tail = 0;
        f.hdr().num_slots = 1 << 30; // slot array past the memory
        assert_eq!(RingView::new(&f.region(), 0), Err(NmError::RingOutOfBounds));
        f.hdr().num_slots = 0;
        assert_eq!(RingView::new(&f.region(), 0), Err(NmError::RingOutOfBounds));
        f.hdr().num_slots = SLOTS;
        let len = f.mem.len() * 8;
        assert_eq!(
            RingView::new(&f.region(), len - 8),
            Err(NmError::RingOutOfBounds)
        );
        assert_eq!(
            RingView::new(&f.region(), usize::MAX - 3),
            Err(NmError::RingOutOfBounds)
        );
    }

    #[test]
    fn tx_goes_to_the_hinted_ring_then_the_next_with_room() {
        // Three TX rings (three NIC queues): ring 1 full, rings 0 and 2 with room.
        let mut rings: Vec<FakeRing> = (0..3).map(|_| FakeRing::new()).collect();
        for (i, f) in rings.iter_mut().enumerate() {
            f.hdr().tail = if i == 1 { 0 } else { 4 };
        }
        let regions: Vec<Region> = rings.iter_mut().map(|f| f.region()).collect();
        let views: Vec<RingView> = regions
            .iter()
            .map(|r| RingView::new(r, 0).unwrap())
            .collect();
        let put = |first: usize, frame: &[u8]| {
            put_on_first_with_room(3, first, |i| views[i].tx_put(&regions[i], frame))
        };
        assert_eq!(put(2, b"to ring 2"), Ok(true), "the hinted ring has room");
        assert_eq!(put(1, b"ring 1 full"), Ok(true), "wraps on to ring 2");
        assert_eq!(put(5, b"hint past the end"), Ok(true), "5 % 3 = ring 2");
        let heads: Vec<u32> = rings.iter_mut().map(|f| f.hdr().head).collect();
        assert_eq!(heads, vec![0, 0, 3]);
        // Ring 2 (4 slots) takes one more, then ring 0 takes 4, then everything is full.
        for _ in 0..5 {
            assert_eq!(put(2, b"x"), Ok(true));
        }
        assert_eq!(put(0, b"full"), Ok(false));
        let heads: Vec<u32> = rings.iter_mut().map(|f| f.hdr().head).collect();
        assert_eq!(heads, vec![4, 0, 4]);
    }

    #[test]
    fn tx_put_fills_slots_until_the_ring_is_full() {
        let mut f = FakeRing::new();
        // A TX ring: the kernel gives user space slots head..tail (here 5..2, wrapping: 5 slots).
        f.hdr().head = 5;
        f.hdr().cur = 5;
        f.hdr().tail = 2;
        let region = f.region();
        let ring = RingView::new(&region, 0).unwrap();
        assert_eq!(ring.space(&region), Ok(5));
        for k in 0..5u8 {
            assert_eq!(ring.tx_put(&region, &[k; 60]), Ok(true), "frame {k}");
        }
        assert_eq!(ring.tx_put(&region, &[9; 60]), Ok(false), "full");
        assert_eq!((f.hdr().head, f.hdr().cur), (2, 2));
        // Slot 7 got frame 2, slot 0 frame 3 (wrapped).
        assert_eq!(f.slot_mut(7).len, 60);
        assert_eq!(&f.buf_mut(7)[..60], &[2u8; 60][..]);
        assert_eq!(&f.buf_mut(0)[..60], &[3u8; 60][..]);
        // The kernel sends them and hands the slots back: room again.
        f.hdr().tail = 1;
        let region = f.region();
        assert_eq!(ring.space(&region), Ok(7));
        assert_eq!(
            ring.tx_put(&region, &[0; BUF as usize + 1]),
            Ok(false),
            "too big"
        );
        assert_eq!(ring.tx_put(&region, &[7; 14]), Ok(true));
        assert_eq!(f.slot_mut(2).len, 14);
    }
}
