//! The demo's simulated NIC ring: every frame of the simulated LAN passes through it on its way
//! to ringside, so the ring panel (`v`) has a real ring to draw with no root and no NIC, and
//! freezing time (`space`) and stepping (`.`) shows one slot at a time.
//!
//! It follows netmap's RX ring (netmap.h, `struct netmap_ring`; netmap_kern.h, `netmap_kring`):
//! - slots `[head, tail)` belong to the program (filled frames); the rest to the kernel;
//! - `poll()` / NIOCRXSYNC is the only moment the kernel looks at the ring: it takes back the
//!   slots the program moved `head` past (from its private `hwcur` up to `head`), then publishes
//!   the slots the NIC has filled by moving `tail` forward (at most `num_slots - 1` slots are
//!   ever filled: `head == tail` must mean empty);
//! - `nm_nextpkt()` (netmap_user.h) returns the buffer of slot `cur` and moves `cur` and `head`
//!   one slot on. No system call, no copy, no wait: when `cur == tail` it returns NULL at once.
//!   The slot is handed back by that store to `head`, but the kernel only takes it at the next
//!   poll, so the buffer still holds the frame until then.
use super::ring_view::{distance, Cursor, LastSync, Owner, RingKind, RingView};
use std::collections::VecDeque;
use std::time::Duration;

/// Slots in the simulated ring: small enough to see whole at 80x24.
pub const SLOTS: u32 = 16;
/// Bytes per buffer: netmap's default buffer size (netmap_mem2.c, NETMAP_BUF_POOL .size 2048).
pub const BUF_SIZE: u32 = 2048;

/// A netmap-style RX ring of [`SLOTS`] slots.
#[derive(Debug)]
pub struct SimRing {
    /// Each slot's buffer: the frame's time and bytes (buffers are reused as frames move).
    bufs: Vec<(Duration, Vec<u8>)>,
    head: u32,
    cur: u32,
    tail: u32,
    /// The kernel's copy of `head` at the last sync (netmap's `nr_hwcur`): slots from here to
    /// `head` were handed back by ringside but not taken by the kernel yet.
    hwcur: u32,
    last: LastSync,
}

impl Default for SimRing {
    fn default() -> Self {
        SimRing {
            bufs: (0..SLOTS).map(|_| (Duration::ZERO, Vec::new())).collect(),
            head: 0,
            cur: 0,
            tail: 0,
            hwcur: 0,
            last: LastSync::default(),
        }
    }
}

fn next(i: u32) -> u32 {
    (i + 1) % SLOTS
}

impl SimRing {
    /// Filled slots waiting for `nm_nextpkt` (from `cur` to `tail`).
    pub fn waiting(&self) -> u32 {
        distance(self.cur, self.tail, SLOTS)
    }

    /// `poll()` / NIOCRXSYNC: the kernel takes back the slots ringside handed back, then the
    /// frames the NIC received (`wire`, oldest first) go into free slots and `tail` moves past
    /// them. Frames that find no free slot stay on the wire for the next sync.
    pub fn rxsync(&mut self, wire: &mut VecDeque<(Duration, Vec<u8>)>) {
        let reclaimed = distance(self.hwcur, self.head, SLOTS);
        self.hwcur = self.head;
        let mut published = 0;
        // Keep one slot empty: tail may go up to hwcur - 1.
        while next(self.tail) != self.hwcur {
            let Some((ts, frame)) = wire.pop_front() else {
                break;
            };
            let slot = &mut self.bufs[self.tail as usize];
            slot.0 = ts;
            slot.1.clear();
            slot.1.extend_from_slice(&frame);
            self.tail = next(self.tail);
            published += 1;
        }
        self.last = LastSync {
            reclaimed,
            published,
            taken: 0,
        };
    }

    /// `nm_nextpkt()`: the slot at `cur`, with `cur` and `head` moved past it; None when no
    /// frame is waiting (it does not wait). The slot's buffer stays valid until the next
    /// [`SimRing::rxsync`].
    pub fn next_pkt(&mut self) -> Option<u32> {
        if self.cur == self.tail {
            return None;
        }
        let i = self.cur;
        self.cur = next(i);
        self.head = self.cur;
        self.last.taken += 1;
        Some(i)
    }

    /// The frame in slot `i` and its time.
    pub fn buf(&self, i: u32) -> (Duration, &[u8]) {
        let (ts, b) = &self.bufs[(i % SLOTS) as usize];
        (*ts, b)
    }

    /// Who owns slot `i` now.
    pub fn owner(&self, i: u32) -> Owner {
        if distance(self.head, i, SLOTS) < distance(self.head, self.tail, SLOTS) {
            Owner::User
        } else if distance(self.hwcur, i, SLOTS) < distance(self.hwcur, self.head, SLOTS) {
            Owner::Returned
        } else {
            Owner::Kernel
        }
    }

    /// The ring panel's picture: all [`SLOTS`] slots, head / cur / tail, the last sync.
    pub fn view(&self) -> RingView {
        RingView {
            kind: RingKind::Simulated,
            total: SLOTS,
            slot_bytes: BUF_SIZE,
            first: 0,
            cells: (0..SLOTS).map(|i| self.owner(i)).collect(),
            user: distance(self.head, self.tail, SLOTS),
            cursors: vec![
                Cursor {
                    name: "head",
                    at: self.head,
                    meaning: "first slot ringside holds; moving it hands slots back",
                },
                Cursor {
                    name: "cur",
                    at: self.cur,
                    meaning: "where nm_nextpkt reads next",
                },
                Cursor {
                    name: "tail",
                    at: self.tail,
                    meaning: "first slot the kernel holds",
                },
            ],
            rings: 1,
            ring_index: 0,
            last_sync: Some(self.last),
            fill: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(n: usize) -> VecDeque<(Duration, Vec<u8>)> {
        (0..n)
            .map(|i| (Duration::from_secs(i as u64), vec![i as u8; 60]))
            .collect()
    }

    /// One slot's life: the kernel's, filled and published by a poll (ringside's), taken by
    /// nm_nextpkt (handed back, still holding the frame), taken back by the next poll.
    #[test]
    fn a_slot_goes_kernel_user_returned_kernel() {
        let mut r = SimRing::default();
        let mut w = wire(1);
        assert_eq!(r.owner(0), Owner::Kernel);
        r.rxsync(&mut w);
        assert_eq!(r.owner(0), Owner::User, "poll published it: tail 0 -> 1");
        assert_eq!((r.head, r.cur, r.tail), (0, 0, 1));
        assert_eq!(r.next_pkt(), Some(0));
        assert_eq!(r.owner(0), Owner::Returned, "head moved past it");
        assert_eq!(r.buf(0).1, &[0u8; 60][..], "the frame is still there");
        assert_eq!(r.next_pkt(), None, "nothing waiting: returns at once");
        r.rxsync(&mut w);
        assert_eq!(r.owner(0), Owner::Kernel, "the next poll took it back");
        assert_eq!(
            r.view().last_sync,
            Some(LastSync {
                reclaimed: 1,
                published: 0,
                taken: 0
            })
        );
    }

    /// A burst larger than the ring: 15 slots fill (one stays empty, so head == tail means
    /// empty), the rest wait on the wire; frames come out in order across the wrap.
    #[test]
    fn a_burst_fills_all_but_one_slot_and_wraps_in_order() {
        let mut r = SimRing::default();
        let mut w = wire(40);
        r.rxsync(&mut w);
        assert_eq!(r.waiting(), SLOTS - 1);
        assert_eq!(w.len(), 40 - 15);
        let mut got = Vec::new();
        while got.len() < 40 {
            match r.next_pkt() {
                Some(i) => got.push(r.buf(i).1[0]),
                None => r.rxsync(&mut w),
            }
        }
        assert_eq!(got, (0..40).collect::<Vec<u8>>());
        let v = r.view();
        assert_eq!((v.total, v.slot_bytes, v.cells.len()), (16, 2048, 16));
        assert_eq!(v.cursor("head"), Some(40 % 16));
    }
}
