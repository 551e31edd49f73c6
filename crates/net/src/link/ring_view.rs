//! A picture of a link's receive ring at one moment, the same shape for every backend, for the
//! ring panel (`v`) and lesson 10.
//!
//! Who owns each slot (or block) is the whole story of a shared ring: the kernel (or the NIC)
//! writes only into slots it owns, the program reads only the slots it owns, and handing a slot
//! back is one store into shared memory (TPACKET: `tp_status = TP_STATUS_KERNEL`; netmap:
//! `ring->head` moved past it), not a system call.
//!
//! A snapshot is bounded and cheap: a ring can have tens of thousands of slots (ringside's
//! default TPACKET_V2 ring has 41,984), so it holds at most [`WINDOW`] cells around the cursor
//! plus totals. The capture thread takes one per status tick (about 10 a second), never per frame.

/// The most cells a snapshot holds.
pub const WINDOW: usize = 64;

/// Which kind of ring the snapshot shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RingKind {
    /// A netmap RX ring: slots with head / cur / tail in the shared ring header.
    NetmapRx,
    /// An AF_PACKET TPACKET_V2 RX ring: fixed-size frame slots, each with its own tp_status.
    TpacketV2,
    /// An AF_PACKET TPACKET_V3 RX ring: blocks, each handed over whole (block_status).
    TpacketV3,
    /// An AF_XDP socket's RX ring: descriptors with producer / consumer indexes.
    XdpRx,
    /// The demo's simulated NIC: a small netmap-style RX ring the simulated frames pass through.
    Simulated,
}

impl RingKind {
    /// The name on screen.
    pub fn name(self) -> &'static str {
        match self {
            RingKind::NetmapRx => "netmap RX",
            RingKind::TpacketV2 => "TPACKET_V2",
            RingKind::TpacketV3 => "TPACKET_V3",
            RingKind::XdpRx => "AF_XDP RX",
            RingKind::Simulated => "simulated netmap",
        }
    }

    /// What one cell is: a slot, a frame slot, a block.
    pub fn unit(self) -> &'static str {
        match self {
            RingKind::TpacketV2 => "frame slots",
            RingKind::TpacketV3 => "blocks",
            RingKind::XdpRx => "descriptors",
            RingKind::NetmapRx | RingKind::Simulated => "slots",
        }
    }
}

/// Who may touch a slot right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// The kernel (or the NIC): empty, or being filled. User space must not read it.
    Kernel,
    /// User space (ringside): filled, waiting to be read or being read.
    User,
    /// Read and handed back by ringside (netmap: `head` moved past it), but the kernel only takes
    /// it at the next `poll()` / NIOCRXSYNC: until then the buffer still holds the frame.
    Returned,
}

/// A named index into the ring, by its real name (`head`, `cur`, `tail`, "next", ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub name: &'static str,
    /// Slot (or block) index in the ring.
    pub at: u32,
    /// What it means, in a few words, for the legend.
    pub meaning: &'static str,
}

/// What the last `poll()` and `nm_nextpkt()` calls did (the simulated ring knows; real rings
/// are not watched per call).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LastSync {
    /// Slots the kernel took back at the poll (the ones ringside had moved `head` past).
    pub reclaimed: u32,
    /// Filled slots the poll handed to user space (`tail` moved forward by this many).
    pub published: u32,
    /// Slots `nm_nextpkt` took after it (`cur` and `head` moved forward by this many).
    pub taken: u32,
}

/// One ring at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RingView {
    pub kind: RingKind,
    /// Slots (or blocks) in the ring.
    pub total: u32,
    /// Bytes per slot (or block).
    pub slot_bytes: u32,
    /// Index of `cells[0]`; the cells continue from there, wrapping at `total`.
    pub first: u32,
    /// The owners of at most [`WINDOW`] consecutive slots.
    pub cells: Vec<Owner>,
    /// Slots in user hands in the whole ring (not only the window).
    pub user: u32,
    pub cursors: Vec<Cursor>,
    /// RX rings of the link (netmap, AF_XDP queues); this snapshot shows `ring_index`.
    pub rings: u32,
    pub ring_index: u32,
    pub last_sync: Option<LastSync>,
    /// AF_XDP: (empty UMEM chunks lent to the kernel on the FILL ring, FILL ring size).
    pub fill: Option<(u32, u32)>,
}

impl RingView {
    /// A window of `min(total, WINDOW)` consecutive slots that shows `around` (the cursor),
    /// starting a few slots before it so the slots just handed back stay in view, and never
    /// wrapping past the last slot (the row's first index then reads as on a ruler):
    /// (first index, length).
    pub fn window(total: u32, around: u32) -> (u32, u32) {
        let len = total.min(WINDOW as u32);
        if len == total {
            return (0, len);
        }
        let back = len / 8;
        ((around % total).saturating_sub(back).min(total - len), len)
    }

    /// The ring index of cell `k` of the window.
    pub fn index_of(&self, k: usize) -> u32 {
        if self.total == 0 {
            return 0;
        }
        ((self.first as u64 + k as u64) % self.total as u64) as u32
    }

    /// Position of ring index `i` in the window, if it is in it.
    pub fn cell_of(&self, i: u32) -> Option<usize> {
        if self.total == 0 || i >= self.total {
            return None;
        }
        let k = (i as u64 + self.total as u64 - self.first as u64) % self.total as u64;
        ((k as usize) < self.cells.len()).then_some(k as usize)
    }

    /// The cursor called `name`.
    pub fn cursor(&self, name: &str) -> Option<u32> {
        self.cursors.iter().find(|c| c.name == name).map(|c| c.at)
    }
}

/// netmap's rule (netmap.h, struct netmap_ring): slots `[head, tail)` belong to user space,
/// the rest to the kernel. Owner of slot `i`.
pub fn netmap_owner(i: u32, head: u32, tail: u32) -> Owner {
    let in_user = if head <= tail {
        head <= i && i < tail
    } else {
        i >= head || i < tail
    };
    if in_user {
        Owner::User
    } else {
        Owner::Kernel
    }
}

/// Slots from `from` forward to `to` in a ring of `n` (0 when equal).
pub fn distance(from: u32, to: u32, n: u32) -> u32 {
    if n == 0 {
        return 0;
    }
    (to + n - from % n) % n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_ring_is_shown_whole() {
        assert_eq!(RingView::window(16, 9), (0, 16));
        assert_eq!(RingView::window(64, 63), (0, 64));
    }

    #[test]
    fn a_large_ring_shows_a_window_just_behind_the_cursor() {
        let (first, len) = RingView::window(41_984, 1000);
        assert_eq!(len, WINDOW as u32);
        assert_eq!(first, 1000 - 8);
        // Near either end the window stops at the ring's end instead of wrapping.
        assert_eq!(RingView::window(41_984, 2), (0, 64));
        assert_eq!(RingView::window(41_984, 41_983), (41_984 - 64, 64));
        let v = RingView {
            kind: RingKind::TpacketV2,
            total: 41_984,
            slot_bytes: 1584,
            first: 41_920,
            cells: vec![Owner::Kernel; WINDOW],
            user: 0,
            cursors: vec![],
            rings: 1,
            ring_index: 0,
            last_sync: None,
            fill: None,
        };
        assert_eq!(v.index_of(0), 41_920);
        assert_eq!(v.index_of(63), 41_983);
        assert_eq!(v.cell_of(41_983), Some(63));
        assert_eq!(v.cell_of(0), None, "slot 0 is outside this window");
        assert_eq!(v.cell_of(500), None);
        assert_eq!(v.cell_of(41_984), None, "not a slot");
    }

    #[test]
    fn netmap_user_slots_are_head_to_tail() {
        let own = |h, t| -> Vec<Owner> { (0..8).map(|i| netmap_owner(i, h, t)).collect() };
        use Owner::{Kernel as K, User as U};
        assert_eq!(own(2, 5), [K, K, U, U, U, K, K, K]);
        assert_eq!(own(6, 1), [U, K, K, K, K, K, U, U], "wrapping");
        assert_eq!(own(3, 3), [K; 8], "head == tail: nothing for user space");
        assert_eq!(distance(6, 1, 8), 3);
        assert_eq!(distance(3, 3, 8), 0);
    }
}
