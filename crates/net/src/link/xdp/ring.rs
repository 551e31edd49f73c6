#![allow(unsafe_code)] // a ring in memory shared with the kernel, which writes it
//! The memory an AF_XDP socket shares with the kernel (Documentation/networking/af_xdp.rst,
//! "UMEM" and "Rings"):
//!
//! - the **UMEM**: one anonymous mapping cut into equal chunks ("frames"), registered with
//!   XDP_UMEM_REG. Frames are named by their byte offset in it (the descriptor's `addr`).
//! - four **rings**, each single-producer / single-consumer: a `producer` index, a `consumer`
//!   index, a `flags` word (XDP_RING_NEED_WAKEUP) and a power-of-two array of descriptors, mapped
//!   from the socket at the offsets XDP_MMAP_OFFSETS reports. The FILL ring gives the kernel empty
//!   frames to receive into; the RX ring gives them back full; the TX ring hands frames to send;
//!   the COMPLETION ring returns them once sent. ringside produces on FILL and TX and consumes on
//!   RX and COMPLETION; the kernel does the opposite.
//!
//! The indices run freely (u32, wrapping) and are masked on access; the producer publishes with a
//! release store after writing descriptors, the consumer reads it with an acquire load before
//! reading them (the same protocol as libxdp's xsk.h, written out here). Everything the kernel
//! writes (a descriptor's address and length) is checked against the UMEM before it is sliced.
use std::io;
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

/// A memory mapping, unmapped on drop.
pub struct Mapping {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: plain memory owned by this value (shared with the kernel, never with another thread of
// ours); moving it between threads is fine.
unsafe impl Send for Mapping {}

impl Mapping {
    /// Private anonymous memory for the UMEM, faulted in now (MAP_POPULATE) so the first frames do
    /// not pay for page faults.
    pub fn anonymous(len: usize) -> io::Result<Mapping> {
        // SAFETY: a fresh private anonymous mapping; the result is checked before use.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_POPULATE,
                -1,
                0,
            )
        };
        Self::checked(p, len)
    }

    /// One of the socket's rings, at the page offset the ABI names (XDP_PGOFF_RX_RING, ...).
    pub fn ring(fd: libc::c_int, len: usize, pgoff: u64) -> io::Result<Mapping> {
        // SAFETY: a fresh shared mapping of a ring the kernel allocated for this socket (the
        // setsockopt that sized it succeeded); the kernel checks `len` against that ring.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_POPULATE,
                fd,
                pgoff as libc::off_t,
            )
        };
        Self::checked(p, len)
    }

    fn checked(p: *mut libc::c_void, len: usize) -> io::Result<Mapping> {
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = NonNull::new(p.cast::<u8>()).ok_or_else(|| io::Error::other("mmap gave NULL"))?;
        Ok(Mapping { ptr, len })
    }

    pub fn byte_len(&self) -> usize {
        self.len
    }

    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: we own this mapping and unmap it once; nothing borrows it past `self`.
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

/// The UMEM: `frames` chunks of `chunk` bytes.
pub struct Umem {
    map: Mapping,
    pub chunk: u32,
    pub frames: u32,
}

impl Umem {
    pub fn new(frames: u32, chunk: u32) -> io::Result<Umem> {
        let map = Mapping::anonymous(frames as usize * chunk as usize)?;
        Ok(Umem { map, chunk, frames })
    }

    /// The `xdp_umem_reg` that registers this memory (no headroom: the kernel still keeps its own
    /// XDP_PACKET_HEADROOM of 256 bytes in front of each received frame, inside the chunk).
    pub fn registration(&self) -> libc::xdp_umem_reg {
        libc::xdp_umem_reg {
            addr: self.map.as_ptr() as u64,
            len: self.map.byte_len() as u64,
            chunk_size: self.chunk,
            headroom: 0,
            flags: 0,
            tx_metadata_len: 0,
        }
    }

    /// The start of the chunk holding `addr` (the kernel's RX addresses point past its headroom).
    pub fn chunk_of(&self, addr: u64) -> u64 {
        addr & !(self.chunk as u64 - 1)
    }

    /// The bytes `[addr, addr + len)` if they lie inside one chunk of the UMEM.
    ///
    /// # Safety
    /// The chunk must be owned by user space now: taken from the RX ring and not yet given back
    /// on the FILL ring. The kernel does not write into it until then.
    pub unsafe fn frame(&self, addr: u64, len: u32) -> Option<&[u8]> {
        let (start, end) = self.span(addr, len)?;
        // SAFETY: in bounds (checked by `span`); the caller guarantees the kernel is not writing.
        Some(unsafe { std::slice::from_raw_parts(self.map.as_ptr().add(start), end - start) })
    }

    /// Copy `bytes` into the chunk at `addr` (a TX chunk that user space owns: free, or returned
    /// on the COMPLETION ring). False if it does not fit in the chunk.
    pub fn write(&mut self, addr: u64, bytes: &[u8]) -> bool {
        let Some((start, _)) = self.span(addr, bytes.len() as u32) else {
            return false;
        };
        // SAFETY: `start..start + len` is inside the mapping (checked by `span`), and the chunk is
        // ours: only chunks from our TX free list reach here, which the kernel neither reads nor
        // writes until we put them on the TX ring.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.map.as_ptr().add(start), bytes.len())
        };
        true
    }

    fn span(&self, addr: u64, len: u32) -> Option<(usize, usize)> {
        let end = addr.checked_add(len as u64)?;
        let chunk_end = self.chunk_of(addr) + self.chunk as u64;
        if addr >= self.map.byte_len() as u64 || end > chunk_end || end > self.map.byte_len() as u64
        {
            return None;
        }
        Some((addr as usize, end as usize))
    }
}

/// Which end of a ring this process holds.
pub struct Producer;
pub struct Consumer;

/// One mapped ring of `T` descriptors (`u64` frame addresses for FILL and COMPLETION,
/// `xdp_desc` for RX and TX).
pub struct Ring<T, End> {
    _map: Mapping,
    producer: NonNull<AtomicU32>,
    consumer: NonNull<AtomicU32>,
    flags: NonNull<AtomicU32>,
    descs: NonNull<T>,
    size: u32,
    /// Our copy of the index we own (producer or consumer), published by `submit`/`release`.
    local: u32,
    _end: PhantomData<End>,
}

// SAFETY: the ring's memory is owned by `_map`; the raw pointers point into it. Only one thread
// of ours uses a ring at a time (the Link is moved to the capture thread, not shared).
unsafe impl<T: Send, E> Send for Ring<T, E> {}

impl<T: Copy, End> Ring<T, End> {
    /// Map a ring of `size` entries at `pgoff` of socket `fd`, laid out as `off` says.
    pub fn map(
        fd: libc::c_int,
        off: &libc::xdp_ring_offset,
        size: u32,
        pgoff: u64,
    ) -> io::Result<Self> {
        if !size.is_power_of_two() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "ring size must be a power of two",
            ));
        }
        let len = off.desc as usize + size as usize * std::mem::size_of::<T>();
        let map = Mapping::ring(fd, len, pgoff)?;
        let at = |o: u64, n: usize| -> io::Result<NonNull<u8>> {
            if o as usize + n > len || !(o as usize).is_multiple_of(4) {
                return Err(io::Error::other(
                    "the kernel's ring offsets lie outside the ring",
                ));
            }
            // SAFETY: `o + n <= len`: inside the mapping (checked just above).
            Ok(unsafe { NonNull::new_unchecked(map.as_ptr().add(o as usize)) })
        };
        let producer = at(off.producer, 4)?.cast();
        let consumer = at(off.consumer, 4)?.cast();
        let flags = at(off.flags, 4)?.cast();
        let descs = at(off.desc, size as usize * std::mem::size_of::<T>())?.cast();
        Ok(Ring {
            _map: map,
            producer,
            consumer,
            flags,
            descs,
            size,
            local: 0,
            _end: PhantomData,
        })
    }

    /// A ring laid out like the kernel's over private memory, for tests: the kernel's end is
    /// played by writing the other index with [`Ring::set_peer_index`].
    #[cfg(test)]
    fn unshared(size: u32) -> Ring<T, End> {
        let off = libc::xdp_ring_offset {
            producer: 0,
            consumer: 64,
            flags: 128,
            desc: 192,
        };
        let len = off.desc as usize + size as usize * std::mem::size_of::<T>();
        let map = Mapping::anonymous(len).unwrap();
        let at = |o: u64| NonNull::new(map.as_ptr().wrapping_add(o as usize)).unwrap();
        Ring {
            producer: at(off.producer).cast(),
            consumer: at(off.consumer).cast(),
            flags: at(off.flags).cast(),
            descs: at(off.desc).cast(),
            _map: map,
            size,
            local: 0,
            _end: PhantomData,
        }
    }

    fn prod(&self) -> &AtomicU32 {
        // SAFETY: points into our live mapping, 4-aligned (checked in `map`); the kernel updates
        // it concurrently, which is why it is only ever accessed atomically.
        unsafe { self.producer.as_ref() }
    }

    fn cons(&self) -> &AtomicU32 {
        // SAFETY: as for `prod`.
        unsafe { self.consumer.as_ref() }
    }

    /// The kernel asks to be woken by a syscall to make progress on this ring (XDP_USE_NEED_WAKEUP).
    pub fn needs_wakeup(&self) -> bool {
        // SAFETY: as for `prod`.
        let f = unsafe { self.flags.as_ref() };
        f.load(Ordering::Relaxed) & libc::XDP_RING_NEED_WAKEUP != 0
    }

    pub fn size(&self) -> u32 {
        self.size
    }

    /// (producer, consumer) as they are now, free-running (mask with `size - 1` for a slot), for
    /// the ring panel: two Acquire loads, racy by nature (the kernel moves its index meanwhile).
    pub fn indexes(&self) -> (u32, u32) {
        (
            self.prod().load(Ordering::Acquire),
            self.cons().load(Ordering::Acquire),
        )
    }

    fn slot(&self, index: u32) -> *mut T {
        // SAFETY (of the pointer arithmetic): masked into 0..size, inside the descriptor array.
        unsafe { self.descs.as_ptr().add((index & (self.size - 1)) as usize) }
    }
}

impl<T: Copy> Ring<T, Producer> {
    /// Entries we may still write (the kernel has not consumed the rest yet).
    pub fn free(&self) -> u32 {
        self.size - self.local.wrapping_sub(self.cons().load(Ordering::Acquire))
    }

    /// Entries written and published but not yet consumed by the kernel.
    pub fn outstanding(&self) -> u32 {
        self.prod()
            .load(Ordering::Relaxed)
            .wrapping_sub(self.cons().load(Ordering::Acquire))
    }

    /// Write one entry (not yet visible to the kernel: see `submit`). False when the ring is full.
    pub fn push(&mut self, item: T) -> bool {
        if self.free() == 0 {
            return false;
        }
        // SAFETY: the slot is in the array and the kernel has consumed it (free() > 0), so it does
        // not read it until we publish the new producer index.
        unsafe { self.slot(self.local).write(item) };
        self.local = self.local.wrapping_add(1);
        true
    }

    /// Write up to `n` entries, the `i`-th being `item(i)`, with one look at the kernel's consumer
    /// index for the lot (a per-entry look reads a cache line the kernel keeps writing). Not yet
    /// visible to the kernel: see `submit`. Returns how many fitted.
    pub fn push_n(&mut self, n: u32, mut item: impl FnMut(u32) -> T) -> u32 {
        let n = n.min(self.free());
        for i in 0..n {
            // SAFETY: as in `push`: fewer than free() slots from `local` on, all consumed.
            unsafe { self.slot(self.local.wrapping_add(i)).write(item(i)) };
        }
        self.local = self.local.wrapping_add(n);
        n
    }

    /// Publish every pushed entry to the kernel (release: the descriptors are written first).
    pub fn submit(&self) {
        self.prod().store(self.local, Ordering::Release);
    }

    /// Entries pushed but not submitted.
    pub fn unsubmitted(&self) -> u32 {
        self.local.wrapping_sub(self.prod().load(Ordering::Relaxed))
    }
}

impl<T: Copy> Ring<T, Consumer> {
    /// Entries the kernel has produced that we have not consumed.
    pub fn available(&self) -> u32 {
        self.prod().load(Ordering::Acquire).wrapping_sub(self.local)
    }

    /// The `i`-th unconsumed entry (`i < available()`).
    pub fn peek(&self, i: u32) -> T {
        // SAFETY: the slot is in the array, and the kernel produced it (acquire load in
        // `available`) and does not overwrite it until we release it.
        unsafe { self.slot(self.local.wrapping_add(i)).read() }
    }

    /// Hand `n` consumed entries back to the kernel.
    pub fn release(&mut self, n: u32) {
        self.local = self.local.wrapping_add(n);
        self.cons().store(self.local, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FILL as the kernel leaves it: it publishes its consumer index late, so entries it has
    /// taken still count as in the ring. `push_n` writes what fits, in order, and says how many.
    #[test]
    fn push_n_writes_what_fits_after_the_consumer() {
        let mut fill: Ring<u64, Producer> = Ring::unshared(4);
        assert_eq!(fill.push_n(3, |i| 100 + i as u64), 3);
        fill.submit();
        assert_eq!(fill.outstanding(), 3);
        // The kernel has taken none yet (as far as its published index says): room for one.
        assert_eq!(fill.push_n(3, |i| 200 + i as u64), 1);
        assert_eq!(fill.push_n(1, |_| 0), 0, "full");
        // It publishes two consumed: two more fit, wrapping around the end of the array.
        fill.cons().store(2, Ordering::Release);
        assert_eq!(fill.push_n(5, |i| 300 + i as u64), 2);
        fill.submit();
        // SAFETY: slots of the ring's own array; no kernel shares this memory.
        let at = |i: u32| unsafe { fill.slot(i).read() };
        assert_eq!([at(0), at(1), at(2), at(3)], [300, 301, 102, 200]);
        assert_eq!(fill.outstanding(), 4);
        assert_eq!(fill.unsubmitted(), 0);
    }

    #[test]
    fn umem_spans_stay_inside_one_chunk() {
        let u = Umem::new(4, 2048).unwrap();
        assert_eq!(u.chunk_of(2048 + 256), 2048);
        assert_eq!(u.span(256, 1514), Some((256, 1770)));
        assert_eq!(u.span(2048 + 256, 1792), Some((2304, 4096)));
        assert_eq!(
            u.span(2048 + 256, 1793),
            None,
            "crosses into the next chunk"
        );
        assert_eq!(u.span(3 * 2048, 2049), None, "past the end");
        assert_eq!(u.span(4 * 2048, 1), None, "outside the UMEM");
        assert_eq!(u.span(u64::MAX - 1, 4), None, "overflow");
        // SAFETY: no kernel shares this UMEM (never registered).
        assert!(unsafe { u.frame(8192, 0) }.is_none());
    }
}
