#![allow(unsafe_code)] // a ring in memory shared with the kernel, which writes it
//! The memory shared with the kernel's AF_PACKET RX ring, and the parsing of what the kernel
//! writes into it.
//!
//! Two halves, kept apart on purpose:
//! - [`Mmap`]: the only `unsafe` here. It owns the mapping, reads and writes the ownership word of a
//!   frame (V2) or block (V3) atomically, and lends a `&[u8]` view of a frame or block *only while
//!   user space owns it* (the kernel does not write into a frame/block whose status has
//!   TP_STATUS_USER until we hand it back with TP_STATUS_KERNEL). That precondition is the
//!   caller's, so [`Mmap::user_owned`] is an `unsafe fn`.
//! - Pure, safe parsers ([`v2_frame`], [`v3_block`], [`V3Frames`]) over that `&[u8]`. Every offset and
//!   length the kernel wrote is checked against the bounds of the frame or block before anything is
//!   sliced, so a buggy or hostile value gives a [`RingError`], never an out-of-bounds read. They are
//!   unit-tested below on synthetic frames and blocks.
//!
//! Layouts come from `libc` (`tpacket2_hdr`, `tpacket3_hdr`, `tpacket_block_desc`) through
//! `offset_of!`, so the field positions are the kernel's ABI, not numbers typed in here.
use libc::{tpacket2_hdr, tpacket3_hdr, tpacket_block_desc, tpacket_hdr_v1, tpacket_hdr_variant1};
use std::io;
use std::mem::{offset_of, size_of};
use std::ops::Range;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

/// An mmap of the packet socket's ring. Unmapped on drop.
pub struct Mmap {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is plain memory owned by this value; moving it to another thread is fine.
unsafe impl Send for Mmap {}

impl Mmap {
    /// Map `len` bytes of the ring of socket `fd` (after PACKET_RX_RING succeeded).
    pub fn map(fd: libc::c_int, len: usize) -> io::Result<Mmap> {
        // SAFETY: a fresh shared mapping of the socket's ring; the kernel checks `len` against the
        // ring it allocated. The result is checked before use.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_POPULATE,
                fd,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = NonNull::new(p.cast::<u8>()).ok_or_else(|| io::Error::other("mmap gave NULL"))?;
        Ok(Mmap { ptr, len })
    }

    fn status_word(&self, off: usize) -> &AtomicU32 {
        assert!(
            off.is_multiple_of(4) && off + 4 <= self.len,
            "status word out of the ring"
        );
        // SAFETY: in bounds and 4-aligned (checked; the mapping is page aligned). The kernel writes
        // this word concurrently, so it is only ever accessed atomically.
        unsafe { AtomicU32::from_ptr(self.ptr.as_ptr().add(off).cast::<u32>()) }
    }

    /// The ownership word at `off` (a frame's tp_status or a block's block_status), with Acquire
    /// ordering: when it shows TP_STATUS_USER, everything the kernel wrote before it is visible.
    pub fn status(&self, off: usize) -> u32 {
        self.status_word(off).load(Ordering::Acquire)
    }

    /// Hand the frame/block back to the kernel (Release: our reads of it happen before).
    pub fn release(&self, off: usize) {
        self.status_word(off)
            .store(libc::TP_STATUS_KERNEL, Ordering::Release);
    }

    /// A view of `range` of the ring. Panics if `range` is not inside the mapping.
    ///
    /// # Safety
    ///
    /// The kernel writes into the ring concurrently; a `&[u8]` over bytes it is writing is a data
    /// race. So `range` must lie inside one frame (V2) or block (V3) whose ownership word, read
    /// through [`Mmap::status`], showed TP_STATUS_USER, and the view must be dropped before that
    /// frame or block is handed back with [`Mmap::release`]: in that window the kernel does not
    /// write there, so the shared bytes behave like ordinary memory. (The borrow checker cannot
    /// see this: `release` takes `&self` too.)
    pub unsafe fn user_owned(&self, range: Range<usize>) -> &[u8] {
        assert!(
            range.start <= range.end && range.end <= self.len,
            "view out of the ring"
        );
        // SAFETY: in bounds (checked); the caller holds the frame/block (the contract above), so
        // nothing writes to these bytes while the view lives.
        unsafe {
            std::slice::from_raw_parts(self.ptr.as_ptr().add(range.start), range.end - range.start)
        }
    }
}

impl Drop for Mmap {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly the mapping we made, once.
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

/// The kernel wrote something that does not fit in its own frame or block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RingError {
    /// A header field points outside the frame or block.
    OutOfBounds,
    /// A V3 frame's next offset does not move forward.
    BadNext,
}

/// One received frame as the ring header describes it. `data` indexes the frame (V2) or block (V3)
/// slice the header was parsed from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RxFrame {
    pub status: u32,
    /// Length on the wire (tp_len).
    pub len: u32,
    pub data: Range<usize>,
    pub sec: u32,
    pub nsec: u32,
    /// The VLAN tag the kernel stripped, as (TPID, TCI), when there was one.
    pub vlan: Option<(u16, u16)>,
    /// sll_pkttype of the sockaddr_ll after the header (PACKET_HOST, PACKET_OUTGOING, ...).
    pub pkttype: u8,
}

impl RxFrame {
    pub fn csum_not_ready(&self) -> bool {
        self.status & libc::TP_STATUS_CSUMNOTREADY != 0
    }
}

fn u16_at(b: &[u8], off: usize) -> Result<u16, RingError> {
    let s = b.get(off..off + 2).ok_or(RingError::OutOfBounds)?;
    Ok(u16::from_ne_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], off: usize) -> Result<u32, RingError> {
    let s = b.get(off..off + 4).ok_or(RingError::OutOfBounds)?;
    Ok(u32::from_ne_bytes([s[0], s[1], s[2], s[3]]))
}

/// The kernel's TPACKET_ALIGN: up to a multiple of 16.
const fn tpacket_align(n: usize) -> usize {
    (n + libc::TPACKET_ALIGNMENT - 1) & !(libc::TPACKET_ALIGNMENT - 1)
}

/// Where the sockaddr_ll sits after a ring header (the kernel's TPACKET_ALIGN(sizeof(hdr))).
const fn sll_offset(hdr_size: usize) -> usize {
    tpacket_align(hdr_size)
}

/// The data range `[base + mac, base + mac + snaplen)` if it lies after the header and inside
/// `limit`.
fn data_range(
    base: usize,
    hdr_size: usize,
    mac: u16,
    snaplen: u32,
    limit: usize,
) -> Result<Range<usize>, RingError> {
    let mac = mac as usize;
    if mac < hdr_size {
        return Err(RingError::OutOfBounds);
    }
    let start = base.checked_add(mac).ok_or(RingError::OutOfBounds)?;
    let end = start
        .checked_add(snaplen as usize)
        .ok_or(RingError::OutOfBounds)?;
    if end > limit {
        return Err(RingError::OutOfBounds);
    }
    Ok(start..end)
}

/// The VLAN tag the kernel moved out of the frame, as libpcap decides it: a tag is present when the
/// TCI is non-zero or TP_STATUS_VLAN_VALID says so (TCI 0 is a valid priority tag).
fn vlan_of(status: u32, tci: u16, tpid: u16) -> Option<(u16, u16)> {
    if tci == 0 && status & libc::TP_STATUS_VLAN_VALID == 0 {
        return None;
    }
    let tpid = if status & libc::TP_STATUS_VLAN_TPID_VALID != 0 && tpid != 0 {
        tpid
    } else {
        0x8100
    };
    Some((tpid, tci))
}

/// Size of a TPACKET_V2 frame header.
pub const V2_HDR: usize = size_of::<tpacket2_hdr>();
/// Size of a TPACKET_V3 frame header.
pub const V3_HDR: usize = size_of::<tpacket3_hdr>();
/// Offset of block_status inside a V3 block.
pub const V3_BLOCK_STATUS: usize =
    offset_of!(tpacket_block_desc, hdr) + offset_of!(tpacket_hdr_v1, block_status);

/// Where the kernel puts an Ethernet frame inside a V2 slot: `tpacket_rcv` (net/packet/af_packet.c)
/// computes `netoff = TPACKET_ALIGN(TPACKET2_HDRLEN + max(maclen, 16))` and `macoff = netoff -
/// maclen`, with TPACKET2_HDRLEN = TPACKET_ALIGN(sizeof(tpacket2_hdr)) + sizeof(sockaddr_ll).
pub const V2_MAC_OFFSET: usize = {
    let hdrlen = tpacket_align(V2_HDR) + size_of::<libc::sockaddr_ll>();
    tpacket_align(hdrlen + 16) - 14
};

/// Bytes per V2 slot for an interface of this MTU: the frame offset, then an Ethernet header, a
/// VLAN tag the kernel did not strip and `mtu` bytes of payload, rounded up to TPACKET_ALIGNMENT
/// (the kernel refuses other sizes). 1584 bytes at MTU 1500, where a power of two would take
/// 2048: 41 slots per 64 KiB block instead of 32, so the same memory buffers 28 % more frames.
/// A longer frame (GRO, a peer with a larger MTU) is cut to fit and keeps its wire length.
pub const fn v2_slot_size(mtu: usize) -> usize {
    tpacket_align(V2_MAC_OFFSET + 14 + 4 + mtu)
}

/// Parse one TPACKET_V2 frame slot (`frame` is the whole slot, tp_frame_size bytes).
pub fn v2_frame(frame: &[u8]) -> Result<RxFrame, RingError> {
    let status = u32_at(frame, offset_of!(tpacket2_hdr, tp_status))?;
    let len = u32_at(frame, offset_of!(tpacket2_hdr, tp_len))?;
    let snaplen = u32_at(frame, offset_of!(tpacket2_hdr, tp_snaplen))?;
    let mac = u16_at(frame, offset_of!(tpacket2_hdr, tp_mac))?;
    let sec = u32_at(frame, offset_of!(tpacket2_hdr, tp_sec))?;
    let nsec = u32_at(frame, offset_of!(tpacket2_hdr, tp_nsec))?;
    let tci = u16_at(frame, offset_of!(tpacket2_hdr, tp_vlan_tci))?;
    let tpid = u16_at(frame, offset_of!(tpacket2_hdr, tp_vlan_tpid))?;
    let pkttype = pkttype_at(frame, 0, V2_HDR);
    let data = data_range(0, V2_HDR, mac, snaplen, frame.len())?;
    Ok(RxFrame {
        status,
        len,
        data,
        sec,
        nsec,
        vlan: vlan_of(status, tci, tpid),
        pkttype,
    })
}

/// sll_pkttype of the sockaddr_ll following a header at `base`; PACKET_HOST when it does not fit.
fn pkttype_at(b: &[u8], base: usize, hdr_size: usize) -> u8 {
    let off = base + sll_offset(hdr_size) + offset_of!(libc::sockaddr_ll, sll_pkttype);
    b.get(off).copied().unwrap_or(libc::PACKET_HOST)
}

/// The header of a V3 block the kernel retired to user space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct V3Block {
    pub num_pkts: u32,
    pub first: u32,
}

/// Parse a V3 block header (`block` is the whole block, tp_block_size bytes).
pub fn v3_block(block: &[u8]) -> Result<V3Block, RingError> {
    let h = offset_of!(tpacket_block_desc, hdr);
    let num_pkts = u32_at(block, h + offset_of!(tpacket_hdr_v1, num_pkts))?;
    let first = u32_at(block, h + offset_of!(tpacket_hdr_v1, offset_to_first_pkt))?;
    if num_pkts > 0 && (first as usize) < h + size_of::<tpacket_hdr_v1>() {
        return Err(RingError::OutOfBounds);
    }
    Ok(V3Block { num_pkts, first })
}

/// The frames of one V3 block, following tp_next_offset, each checked against the block's bounds.
/// Ends after `num_pkts` frames or at the first bad header (which it yields as an error).
pub struct V3Frames<'a> {
    block: &'a [u8],
    off: usize,
    left: u32,
}

impl<'a> V3Frames<'a> {
    pub fn new(block: &'a [u8], hdr: V3Block) -> Self {
        V3Frames {
            block,
            off: hdr.first as usize,
            left: hdr.num_pkts,
        }
    }

    /// Inlined (with `next`) into the ring walk, which runs it once per frame: see
    /// `AfPacket::deliver`.
    #[inline]
    fn parse(&self) -> Result<(RxFrame, u32), RingError> {
        let (b, o) = (self.block, self.off);
        // The header as one fixed-size array: the field reads below (constant offsets into a
        // constant length) need no bounds check of their own.
        let (h, pkttype) = v3_header_at(b, o)?;
        let next = u32_at(h, offset_of!(tpacket3_hdr, tp_next_offset))?;
        let sec = u32_at(h, offset_of!(tpacket3_hdr, tp_sec))?;
        let nsec = u32_at(h, offset_of!(tpacket3_hdr, tp_nsec))?;
        let snaplen = u32_at(h, offset_of!(tpacket3_hdr, tp_snaplen))?;
        let len = u32_at(h, offset_of!(tpacket3_hdr, tp_len))?;
        let status = u32_at(h, offset_of!(tpacket3_hdr, tp_status))?;
        let mac = u16_at(h, offset_of!(tpacket3_hdr, tp_mac))?;
        let hv1 = offset_of!(tpacket3_hdr, hv1);
        // tp_vlan_tci is a u32 in the V3 header; the TCI is its low 16 bits.
        let tci = u32_at(h, hv1 + offset_of!(tpacket_hdr_variant1, tp_vlan_tci))? as u16;
        let tpid = u16_at(h, hv1 + offset_of!(tpacket_hdr_variant1, tp_vlan_tpid))?;
        let data = data_range(o, V3_HDR, mac, snaplen, b.len())?;
        let f = RxFrame {
            status,
            len,
            data,
            sec,
            nsec,
            vlan: vlan_of(status, tci, tpid),
            pkttype,
        };
        Ok((f, next))
    }
}

/// Where sll_pkttype sits after a V3 frame header: the last byte of a frame the walk reads
/// before the frame's data.
const V3_PKTTYPE: usize = sll_offset(V3_HDR) + offset_of!(libc::sockaddr_ll, sll_pkttype);

/// The V3 frame header at `o` and the sll_pkttype after it, with one bounds check for both
/// (this runs once per frame: a check for the header and another for the pkttype byte cost
/// more than the rest of the parse of that byte).
#[inline]
fn v3_header_at(b: &[u8], o: usize) -> Result<(&[u8; V3_HDR], u8), RingError> {
    let rest = b.get(o..).ok_or(RingError::OutOfBounds)?;
    match rest.first_chunk::<{ V3_PKTTYPE + 1 }>() {
        Some(head) => {
            let (h, _) = head
                .split_first_chunk::<V3_HDR>()
                .expect("the header is shorter than the header and its pkttype");
            Ok((h, head[V3_PKTTYPE]))
        }
        None => v3_header_without_sockaddr(rest),
    }
}

/// A header that fits, in the last bytes of a block, with no room for the sockaddr_ll's
/// pkttype after it: PACKET_HOST, as [`pkttype_at`] says of a byte that does not fit. The
/// kernel never writes that (its data starts after the sockaddr_ll), but a frame with a small
/// tp_mac and snaplen there would still pass `data_range`, so it is kept, out of the way.
#[cold]
fn v3_header_without_sockaddr(rest: &[u8]) -> Result<(&[u8; V3_HDR], u8), RingError> {
    let h = rest.first_chunk::<V3_HDR>().ok_or(RingError::OutOfBounds)?;
    Ok((h, libc::PACKET_HOST))
}

impl Iterator for V3Frames<'_> {
    type Item = Result<RxFrame, RingError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        match self.parse() {
            Ok((f, next)) => {
                if self.left > 0 {
                    // The next header must start after this one and fit in the block; checked on
                    // the next call, but it must at least move forward.
                    if (next as usize) < V3_HDR {
                        self.left = 0;
                        return Some(Err(RingError::BadNext));
                    }
                    self.off += next as usize;
                }
                Some(Ok(f))
            }
            Err(e) => {
                self.left = 0;
                Some(Err(e))
            }
        }
    }
}

/// Copy `data` into `out` with the 802.1Q tag `(tpid, tci)` put back after the MAC addresses,
/// as it was on the wire. `out` is reused: no allocation once it has grown to the largest frame.
/// Frames too short to hold two MAC addresses are copied unchanged.
pub fn reinsert_vlan(data: &[u8], (tpid, tci): (u16, u16), out: &mut Vec<u8>) {
    out.clear();
    if data.len() < 12 {
        out.extend_from_slice(data);
        return;
    }
    out.extend_from_slice(&data[..12]);
    out.extend_from_slice(&tpid.to_be_bytes());
    out.extend_from_slice(&tci.to_be_bytes());
    out.extend_from_slice(&data[12..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put_u16(b: &mut [u8], off: usize, v: u16) {
        b[off..off + 2].copy_from_slice(&v.to_ne_bytes());
    }
    fn put_u32(b: &mut [u8], off: usize, v: u32) {
        b[off..off + 4].copy_from_slice(&v.to_ne_bytes());
    }

    /// A V2 slot as the kernel fills it: header, sockaddr_ll, frame bytes at tp_mac.
    fn v2_slot(size: usize, mac: u16, payload: &[u8], status: u32, tci: u16) -> Vec<u8> {
        let mut s = vec![0u8; size];
        put_u32(&mut s, offset_of!(tpacket2_hdr, tp_status), status);
        put_u32(
            &mut s,
            offset_of!(tpacket2_hdr, tp_len),
            payload.len() as u32 + 100,
        );
        put_u32(
            &mut s,
            offset_of!(tpacket2_hdr, tp_snaplen),
            payload.len() as u32,
        );
        put_u16(&mut s, offset_of!(tpacket2_hdr, tp_mac), mac);
        put_u32(&mut s, offset_of!(tpacket2_hdr, tp_sec), 1_700_000_000);
        put_u32(&mut s, offset_of!(tpacket2_hdr, tp_nsec), 123_456_789);
        put_u16(&mut s, offset_of!(tpacket2_hdr, tp_vlan_tci), tci);
        let pk = sll_offset(V2_HDR) + offset_of!(libc::sockaddr_ll, sll_pkttype);
        s[pk] = libc::PACKET_OUTGOING;
        s[mac as usize..mac as usize + payload.len()].copy_from_slice(payload);
        s
    }

    #[test]
    fn v2_frame_fields_and_data() {
        let payload: Vec<u8> = (0..60).collect();
        let st = libc::TP_STATUS_USER | libc::TP_STATUS_CSUMNOTREADY;
        let slot = v2_slot(256, 66, &payload, st, 0);
        let f = v2_frame(&slot).unwrap();
        assert_eq!(&slot[f.data.clone()], &payload[..]);
        assert_eq!(f.len, 160, "tp_len (wire length) kept apart from snaplen");
        assert_eq!((f.sec, f.nsec), (1_700_000_000, 123_456_789));
        assert!(f.csum_not_ready());
        assert_eq!(f.vlan, None);
        assert_eq!(f.pkttype, libc::PACKET_OUTGOING);
    }

    #[test]
    fn v2_hostile_offsets_are_errors_not_reads() {
        let payload = [0xAAu8; 60];
        let mut slot = v2_slot(256, 66, &payload, libc::TP_STATUS_USER, 0);
        // snaplen running past the slot
        put_u32(&mut slot, offset_of!(tpacket2_hdr, tp_snaplen), 191);
        assert_eq!(v2_frame(&slot), Err(RingError::OutOfBounds));
        put_u32(&mut slot, offset_of!(tpacket2_hdr, tp_snaplen), 190);
        assert!(v2_frame(&slot).is_ok(), "exactly to the end is fine");
        put_u32(&mut slot, offset_of!(tpacket2_hdr, tp_snaplen), u32::MAX);
        assert_eq!(v2_frame(&slot), Err(RingError::OutOfBounds));
        // data overlapping the header
        put_u32(&mut slot, offset_of!(tpacket2_hdr, tp_snaplen), 10);
        put_u16(&mut slot, offset_of!(tpacket2_hdr, tp_mac), 4);
        assert_eq!(v2_frame(&slot), Err(RingError::OutOfBounds));
        put_u16(&mut slot, offset_of!(tpacket2_hdr, tp_mac), u16::MAX);
        assert_eq!(v2_frame(&slot), Err(RingError::OutOfBounds));
        // a slot shorter than the header
        assert_eq!(v2_frame(&slot[..20]), Err(RingError::OutOfBounds));
    }

    #[test]
    fn vlan_tag_detection_like_libpcap() {
        let p = [0u8; 64];
        let s = v2_slot(
            256,
            66,
            &p,
            libc::TP_STATUS_USER | libc::TP_STATUS_VLAN_VALID,
            0,
        );
        assert_eq!(
            v2_frame(&s).unwrap().vlan,
            Some((0x8100, 0)),
            "priority tag, TCI 0"
        );
        let s = v2_slot(256, 66, &p, libc::TP_STATUS_USER, 0x2064);
        assert_eq!(v2_frame(&s).unwrap().vlan, Some((0x8100, 0x2064)));
        let mut s = v2_slot(
            256,
            66,
            &p,
            libc::TP_STATUS_USER | libc::TP_STATUS_VLAN_VALID | libc::TP_STATUS_VLAN_TPID_VALID,
            7,
        );
        put_u16(&mut s, offset_of!(tpacket2_hdr, tp_vlan_tpid), 0x88a8);
        assert_eq!(v2_frame(&s).unwrap().vlan, Some((0x88a8, 7)));
    }

    #[test]
    fn vlan_reinsertion_restores_the_wire_frame() {
        // dst, src, then IPv4 ethertype; the kernel removed "81 00 00 64" after src.
        let mut stripped = vec![0xff; 6];
        stripped.extend([0x02, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0x00]);
        let mut out = Vec::new();
        reinsert_vlan(&stripped, (0x8100, 100), &mut out);
        assert_eq!(&out[..12], &stripped[..12]);
        assert_eq!(&out[12..16], &[0x81, 0x00, 0x00, 0x64]);
        assert_eq!(&out[16..], &stripped[12..]);
        assert_eq!(out.len(), stripped.len() + 4);
        let cap = out.capacity();
        reinsert_vlan(&stripped, (0x8100, 100), &mut out);
        assert_eq!(out.capacity(), cap, "buffer reused");
        reinsert_vlan(&[1, 2, 3], (0x8100, 1), &mut out);
        assert_eq!(out, [1, 2, 3]);
    }

    const BLOCK: usize = 4096;
    const FIRST: usize = 48;

    /// A V3 block with frames of the given payloads laid out like the kernel does.
    fn v3_block_with(payloads: &[&[u8]]) -> (Vec<u8>, Vec<usize>) {
        let mut b = vec![0u8; BLOCK];
        let h = offset_of!(tpacket_block_desc, hdr);
        put_u32(&mut b, V3_BLOCK_STATUS, libc::TP_STATUS_USER);
        put_u32(
            &mut b,
            h + offset_of!(tpacket_hdr_v1, num_pkts),
            payloads.len() as u32,
        );
        put_u32(
            &mut b,
            h + offset_of!(tpacket_hdr_v1, offset_to_first_pkt),
            FIRST as u32,
        );
        let mut off = FIRST;
        let mut offs = Vec::new();
        for (i, p) in payloads.iter().enumerate() {
            offs.push(off);
            let mac = 82u16;
            let total = (mac as usize + p.len() + 15) & !15;
            let next = if i + 1 < payloads.len() { total } else { 0 };
            put_u32(
                &mut b,
                off + offset_of!(tpacket3_hdr, tp_next_offset),
                next as u32,
            );
            put_u32(
                &mut b,
                off + offset_of!(tpacket3_hdr, tp_sec),
                10 + i as u32,
            );
            put_u32(&mut b, off + offset_of!(tpacket3_hdr, tp_nsec), 5);
            put_u32(
                &mut b,
                off + offset_of!(tpacket3_hdr, tp_snaplen),
                p.len() as u32,
            );
            put_u32(
                &mut b,
                off + offset_of!(tpacket3_hdr, tp_len),
                p.len() as u32,
            );
            put_u32(
                &mut b,
                off + offset_of!(tpacket3_hdr, tp_status),
                libc::TP_STATUS_USER,
            );
            put_u16(&mut b, off + offset_of!(tpacket3_hdr, tp_mac), mac);
            b[off + mac as usize..off + mac as usize + p.len()].copy_from_slice(p);
            off += total;
        }
        (b, offs)
    }

    #[test]
    fn v3_walks_every_frame_of_a_block() {
        let a = [1u8; 60];
        let bb = [2u8; 1514];
        let c = [3u8; 42];
        let (block, _) = v3_block_with(&[&a, &bb, &c]);
        let hdr = v3_block(&block).unwrap();
        assert_eq!(hdr.num_pkts, 3);
        let frames: Vec<_> = V3Frames::new(&block, hdr)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(frames.len(), 3);
        assert_eq!(&block[frames[0].data.clone()], &a[..]);
        assert_eq!(&block[frames[1].data.clone()], &bb[..]);
        assert_eq!(&block[frames[2].data.clone()], &c[..]);
        assert_eq!(frames[2].sec, 12);
    }

    #[test]
    fn v3_empty_block_yields_nothing() {
        let (block, _) = v3_block_with(&[]);
        let hdr = v3_block(&block).unwrap();
        assert_eq!(V3Frames::new(&block, hdr).count(), 0);
    }

    #[test]
    fn v3_hostile_headers_stop_the_walk_safely() {
        let a = [1u8; 60];
        let (block, offs) = v3_block_with(&[&a, &a, &a]);
        let h = offset_of!(tpacket_block_desc, hdr);

        // next offset pointing past the block: first frame fine, then an error, then the end.
        let mut b = block.clone();
        put_u32(
            &mut b,
            offs[0] + offset_of!(tpacket3_hdr, tp_next_offset),
            1 << 20,
        );
        let got: Vec<_> = V3Frames::new(&b, v3_block(&b).unwrap()).collect();
        assert!(got[0].is_ok());
        assert_eq!(got[1], Err(RingError::OutOfBounds));
        assert_eq!(got.len(), 2);

        // next offset zero (would loop forever on the same frame)
        let mut b = block.clone();
        put_u32(
            &mut b,
            offs[1] + offset_of!(tpacket3_hdr, tp_next_offset),
            0,
        );
        let got: Vec<_> = V3Frames::new(&b, v3_block(&b).unwrap()).collect();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1], Err(RingError::BadNext));

        // num_pkts far larger than the block can hold: the walk ends at the first bad header.
        let mut b = block.clone();
        put_u32(&mut b, h + offset_of!(tpacket_hdr_v1, num_pkts), u32::MAX);
        let n = V3Frames::new(&b, v3_block(&b).unwrap()).count();
        assert!(n <= 4, "walked {n} frames of a 3-frame block");

        // snaplen past the block end
        let mut b = block.clone();
        put_u32(
            &mut b,
            offs[2] + offset_of!(tpacket3_hdr, tp_snaplen),
            BLOCK as u32,
        );
        let got: Vec<_> = V3Frames::new(&b, v3_block(&b).unwrap()).collect();
        assert_eq!(got[2], Err(RingError::OutOfBounds));

        // first frame inside the block descriptor
        let mut b = block.clone();
        put_u32(
            &mut b,
            h + offset_of!(tpacket_hdr_v1, offset_to_first_pkt),
            8,
        );
        assert_eq!(v3_block(&b), Err(RingError::OutOfBounds));

        // first frame offset at the very end of the block
        let mut b = block;
        put_u32(
            &mut b,
            h + offset_of!(tpacket_hdr_v1, offset_to_first_pkt),
            u32::MAX - 4,
        );
        let got: Vec<_> = V3Frames::new(&b, v3_block(&b).unwrap()).collect();
        assert_eq!(got, vec![Err(RingError::OutOfBounds)]);
    }

    #[test]
    fn v3_pkttype_is_read_and_defaults_to_host_where_it_does_not_fit() {
        let a = [1u8; 60];
        let (mut b, offs) = v3_block_with(&[&a]);
        let pk = offs[0] + V3_PKTTYPE;
        b[pk] = libc::PACKET_OUTGOING;
        let got: Vec<_> = V3Frames::new(&b, v3_block(&b).unwrap()).collect();
        assert_eq!(got[0].as_ref().unwrap().pkttype, libc::PACKET_OUTGOING);

        // A header in the last bytes of the block with its 2 bytes of data right after it
        // (tp_mac = the header's size): the data fits, the sockaddr_ll does not.
        let mac = V3_HDR as u16;
        put_u16(&mut b, offs[0] + offset_of!(tpacket3_hdr, tp_mac), mac);
        put_u32(&mut b, offs[0] + offset_of!(tpacket3_hdr, tp_snaplen), 2);
        let end = offs[0] + V3_HDR + 2;
        assert!(end <= pk, "the pkttype byte is outside the cut block");
        let cut = &b[..end];
        let got: Vec<_> = V3Frames::new(cut, v3_block(cut).unwrap()).collect();
        let f = got[0].as_ref().unwrap();
        assert_eq!(f.pkttype, libc::PACKET_HOST);
        assert_eq!(f.data, offs[0] + V3_HDR..end);

        // One byte less and the data does not fit: a bad header.
        let cut = &b[..end - 1];
        let got: Vec<_> = V3Frames::new(cut, v3_block(cut).unwrap()).collect();
        assert_eq!(got, vec![Err(RingError::OutOfBounds)]);
        // A header cut short: a bad header.
        let cut = &b[..offs[0] + V3_HDR - 1];
        let got: Vec<_> = V3Frames::new(cut, v3_block(cut).unwrap()).collect();
        assert_eq!(got, vec![Err(RingError::OutOfBounds)]);
    }

    #[test]
    fn v2_slots_fit_an_mtu_frame_at_the_kernels_offset() {
        // tp_mac of an Ethernet frame in a V2 slot, as seen on a veth (see v2_frame tests: 66).
        assert_eq!(V2_MAC_OFFSET, 66);
        assert_eq!(v2_slot_size(1500), 1584, "66 + 14 + 4 + 1500, 16-aligned");
        assert_eq!(v2_slot_size(9000), 9088);
        assert_eq!(v2_slot_size(1280), 1376);
        for mtu in [68, 576, 1500, 1501, 4000, 9000, 65536] {
            let s = v2_slot_size(mtu);
            assert_eq!(s % libc::TPACKET_ALIGNMENT, 0, "kernel wants aligned slots");
            assert!(s >= V2_MAC_OFFSET + 18 + mtu, "a tagged MTU frame fits");
            assert!(
                s < V2_MAC_OFFSET + 18 + mtu + 16,
                "no more than alignment slack"
            );
        }
        // A full-size tagged frame parses out of a slot of exactly that size.
        let payload = vec![7u8; 14 + 4 + 1500];
        let slot = v2_slot(v2_slot_size(1500), V2_MAC_OFFSET as u16, &payload, 1, 0);
        assert_eq!(v2_frame(&slot).unwrap().data.len(), 1518);
    }

    #[test]
    fn header_sizes_match_the_kernel_abi() {
        assert_eq!(V2_HDR, 32);
        assert_eq!(V3_HDR, 48);
        assert_eq!(V3_BLOCK_STATUS, 8);
    }
}
