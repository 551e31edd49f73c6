//! IPv4 fragment reassembly (RFC 791 §3.2, RFC 815) with hard resource bounds.
//!
//! A datagram is identified by (source, destination, protocol, identification). Fragments are
//! kept as separate byte runs sorted by offset, so memory is what was actually received; each
//! run is charged its length plus [`FRAGMENT_OVERHEAD`] (the bookkeeping a fragment costs, as
//! Linux charges skb truesize), and the first fragment's IP header is charged too. Bounds:
//! - all held bytes ≤ `mem_cap`: the oldest reassembly is dropped first when a fragment would
//!   push the total over;
//! - at most [`MAX_REASSEMBLIES`] datagrams in progress: the oldest is dropped for a new one;
//! - a reassembly lives `timeout` from its first fragment's arrival (not refreshed, like Linux);
//! - a datagram may not exceed 65,535 bytes, header included (the "ping of death" fragment is
//!   refused). The header counted is the first fragment's as received (options included, up to
//!   60 bytes), which is what the reassembled datagram starts with; until the first fragment is
//!   here, the 20-byte minimum. A datagram found too big, as soon as its first fragment and its
//!   furthest byte are both known, is killed (like Linux's `ip_frag_reasm` "oversized").
//!
//! Overlap policy (RFC 5722's rule, which Linux also applies to IPv4 since 4.19): a fragment that
//! overlaps one already held kills the whole datagram. An exact duplicate (same offset, same
//! bytes) is dropped on its own. A killed datagram leaves a tombstone holding no data until its
//! timeout, so its remaining fragments are refused instead of starting a new reassembly that
//! could never complete.
use std::net::Ipv4Addr;
use std::time::Duration;

/// Concurrent reassemblies at most.
pub const MAX_REASSEMBLIES: usize = 64;
/// Bytes charged per held fragment on top of its payload.
pub const FRAGMENT_OVERHEAD: usize = 64;
const MAX_DATAGRAM: usize = 65_535;
/// An IPv4 header without options.
const MIN_HEADER: usize = 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Key {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub protocol: u8,
    pub id: u16,
}

/// One fragment as it arrived.
pub(crate) struct Fragment<'a> {
    /// Its IP header (with options): kept from the first fragment for the reassembled datagram.
    pub header: &'a [u8],
    /// Fragment offset in bytes.
    pub offset: usize,
    pub more: bool,
    pub payload: &'a [u8],
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Held,
    Rejected,
    /// The datagram is complete: `out` holds the first fragment's IP header (as received) followed
    /// by the whole reassembled payload.
    Complete {
        header_len: usize,
    },
}

struct Run {
    offset: usize,
    data: Vec<u8>,
}

struct Entry {
    key: Key,
    started: Duration,
    seq: u64,
    header: Vec<u8>,
    runs: Vec<Run>,
    /// Payload length, known once the last fragment (MF clear) arrived.
    end: Option<usize>,
    received: usize,
    held: usize,
    dead: bool,
}

pub(crate) struct Reassembler {
    entries: Vec<Entry>,
    held: usize,
    next_seq: u64,
    mem_cap: usize,
    timeout: Duration,
}

impl Reassembler {
    pub(crate) fn new(mem_cap: usize, timeout: Duration) -> Self {
        Reassembler {
            entries: Vec::new(),
            held: 0,
            next_seq: 0,
            mem_cap,
            timeout,
        }
    }

    /// Bytes charged for fragments held right now (always ≤ the memory cap).
    pub(crate) fn held_bytes(&self) -> usize {
        self.held
    }

    /// Datagrams in progress (tombstones included).
    pub(crate) fn in_progress(&self) -> usize {
        self.entries.len()
    }

    fn remove(&mut self, i: usize) {
        let e = self.entries.swap_remove(i);
        self.held -= e.held;
    }

    /// Kill entry `i`: free its data, keep a tombstone until its timeout.
    fn kill(&mut self, i: usize) {
        let e = &mut self.entries[i];
        self.held -= e.held;
        e.held = 0;
        e.runs = Vec::new();
        e.header = Vec::new();
        e.dead = true;
    }

    /// Drop reassemblies whose time is up.
    pub(crate) fn expire(&mut self, now: Duration) {
        let mut i = 0;
        while i < self.entries.len() {
            if now.saturating_sub(self.entries[i].started) >= self.timeout {
                self.remove(i);
            } else {
                i += 1;
            }
        }
    }

    fn oldest(&self, with_data: bool) -> Option<usize> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| !with_data || e.held > 0)
            .min_by_key(|(_, e)| e.seq)
            .map(|(i, _)| i)
    }

    /// Offer one fragment. On `Complete`, `out` is cleared and filled with the datagram.
    pub(crate) fn insert(
        &mut self,
        now: Duration,
        key: Key,
        frag: Fragment<'_>,
        out: &mut Vec<u8>,
    ) -> Outcome {
        self.expire(now);
        let len = frag.payload.len();
        let end = frag.offset + len;
        let mut idx = self.entries.iter().position(|e| e.key == key);

        // A fragment that can never be part of a valid datagram poisons its datagram.
        let header_len = if frag.offset == 0 {
            frag.header.len()
        } else {
            MIN_HEADER
        };
        let cost = len + FRAGMENT_OVERHEAD + if frag.offset == 0 { header_len } else { 0 };
        let invalid = len == 0
            || (frag.more && !len.is_multiple_of(8))
            || header_len + end > MAX_DATAGRAM
            || cost > self.mem_cap;
        if invalid {
            if let Some(i) = idx {
                self.kill(i);
            }
            return Outcome::Rejected;
        }

        let i = match idx {
            Some(i) => i,
            None => {
                if self.entries.len() >= MAX_REASSEMBLIES {
                    if let Some(o) = self.oldest(false) {
                        self.remove(o);
                    }
                }
                self.entries.push(Entry {
                    key,
                    started: now,
                    seq: self.next_seq,
                    header: Vec::new(),
                    runs: Vec::new(),
                    end: None,
                    received: 0,
                    held: 0,
                    dead: false,
                });
                self.next_seq += 1;
                self.entries.len() - 1
            }
        };
        let e = &self.entries[i];
        if e.dead {
            return Outcome::Rejected;
        }
        // Where the new run goes, and whether it collides with a neighbour.
        let pos = e.runs.partition_point(|r| r.offset < frag.offset);
        if let Some(r) = e.runs.get(pos) {
            if r.offset == frag.offset && r.data == frag.payload {
                return Outcome::Rejected; // exact duplicate: dropped alone
            }
        }
        let overlaps_prev = pos > 0 && {
            let p = &e.runs[pos - 1];
            p.offset + p.data.len() > frag.offset
        };
        let overlaps_next = e.runs.get(pos).is_some_and(|n| n.offset < end);
        let inconsistent_end = match (e.end, frag.more) {
            (Some(total), true) => end >= total,
            (Some(total), false) => end != total,
            (None, false) => e.runs.last().is_some_and(|r| r.offset + r.data.len() > end),
            (None, true) => false,
        };
        // Header plus furthest payload byte known so far: the datagram is at least this long.
        // The check above assumed a 20-byte header for non-first fragments; the first
        // fragment's may be longer (options), so judge again with what is known now.
        let first_header = if frag.offset == 0 {
            frag.header.len()
        } else {
            e.header.len().max(MIN_HEADER)
        };
        let furthest = e
            .runs
            .last()
            .map_or(0, |r| r.offset + r.data.len())
            .max(e.end.unwrap_or(0))
            .max(end);
        let oversized = first_header + furthest > MAX_DATAGRAM;
        if overlaps_prev || overlaps_next || inconsistent_end || oversized {
            self.kill(i);
            return Outcome::Rejected;
        }

        // Make room, oldest first; that may be this very datagram.
        let seq = e.seq;
        while self.held + cost > self.mem_cap {
            let Some(o) = self.oldest(true) else { break };
            self.remove(o);
        }
        idx = self.entries.iter().position(|e| e.seq == seq);
        let Some(i) = idx else {
            return Outcome::Rejected;
        };
        if self.held + cost > self.mem_cap {
            // Only possible if this datagram held nothing and was not evicted: cannot fit.
            self.remove(i);
            return Outcome::Rejected;
        }

        let e = &mut self.entries[i];
        e.runs.insert(
            pos,
            Run {
                offset: frag.offset,
                data: frag.payload.to_vec(),
            },
        );
        if frag.offset == 0 {
            e.header = frag.header.to_vec();
        }
        if !frag.more {
            e.end = Some(end);
        }
        e.received += len;
        e.held += cost;
        self.held += cost;

        match e.end {
            Some(total) if e.received == total => {
                // Checked on every fragment above: the first one's header and the end are known.
                debug_assert!(e.header.len() + total <= MAX_DATAGRAM);
                // Runs do not overlap and cover `total` bytes below `total`: contiguous from 0.
                out.clear();
                out.reserve(e.header.len() + total);
                out.extend_from_slice(&e.header);
                for r in &e.runs {
                    out.extend_from_slice(&r.data);
                }
                let header_len = e.header.len();
                self.remove(i);
                Outcome::Complete { header_len }
            }
            _ => Outcome::Held,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_secs(30);
    fn key(id: u16) -> Key {
        Key {
            src: Ipv4Addr::new(10, 0, 0, 1),
            dst: Ipv4Addr::new(10, 0, 0, 2),
            protocol: 17,
            id,
        }
    }
    const HDR: [u8; 20] = [0x45; 20];

    fn frag<'a>(offset: usize, more: bool, payload: &'a [u8]) -> Fragment<'a> {
        Fragment {
            header: &HDR,
            offset,
            more,
            payload,
        }
    }

    #[test]
    fn reverse_order_completes_with_first_header() {
        let data: Vec<u8> = (0..40u8).collect();
        let mut r = Reassembler::new(1 << 20, T);
        let mut out = Vec::new();
        let z = Duration::ZERO;
        assert_eq!(
            r.insert(z, key(1), frag(32, false, &data[32..]), &mut out),
            Outcome::Held
        );
        assert_eq!(
            r.insert(z, key(1), frag(16, true, &data[16..32]), &mut out),
            Outcome::Held
        );
        assert_eq!(
            r.insert(z, key(1), frag(0, true, &data[..16]), &mut out),
            Outcome::Complete { header_len: 20 }
        );
        assert_eq!(&out[..20], &HDR);
        assert_eq!(&out[20..], &data[..]);
        assert_eq!(r.held_bytes(), 0);
        assert_eq!(r.in_progress(), 0);
    }

    #[test]
    fn overlap_kills_and_tombstone_refuses_rest() {
        let d = [7u8; 64];
        let mut r = Reassembler::new(1 << 20, T);
        let mut out = Vec::new();
        let z = Duration::ZERO;
        assert_eq!(
            r.insert(z, key(1), frag(0, true, &d[..16]), &mut out),
            Outcome::Held
        );
        assert_eq!(
            r.insert(z, key(1), frag(8, true, &d[..16]), &mut out),
            Outcome::Rejected
        );
        assert_eq!(r.held_bytes(), 0);
        assert_eq!(
            r.insert(z, key(1), frag(16, false, &d[..8]), &mut out),
            Outcome::Rejected
        );
        // After the timeout the tombstone is gone and the id can be reused.
        assert_eq!(
            r.insert(T, key(1), frag(16, false, &d[..8]), &mut out),
            Outcome::Held
        );
    }

    #[test]
    fn duplicate_dropped_alone() {
        let d = [7u8; 16];
        let mut r = Reassembler::new(1 << 20, T);
        let mut out = Vec::new();
        let z = Duration::ZERO;
        r.insert(z, key(1), frag(0, true, &d[..8]), &mut out);
        assert_eq!(
            r.insert(z, key(1), frag(0, true, &d[..8]), &mut out),
            Outcome::Rejected
        );
        assert!(matches!(
            r.insert(z, key(1), frag(8, false, &d[..8]), &mut out),
            Outcome::Complete { .. }
        ));
    }

    #[test]
    fn oversize_and_inconsistent_rejected() {
        let d = [0u8; 16];
        let mut r = Reassembler::new(1 << 20, T);
        let mut out = Vec::new();
        let z = Duration::ZERO;
        // ping of death: 65,528 + 16 + 20 > 65,535
        assert_eq!(
            r.insert(z, key(1), frag(65_528, false, &d), &mut out),
            Outcome::Rejected
        );
        // MF fragment not a multiple of 8
        assert_eq!(
            r.insert(z, key(2), frag(0, true, &d[..5]), &mut out),
            Outcome::Rejected
        );
        // last fragment says 16 bytes, then one at 16..24 arrives with MF
        r.insert(z, key(3), frag(8, false, &d[..8]), &mut out);
        assert_eq!(
            r.insert(z, key(3), frag(16, true, &d[..8]), &mut out),
            Outcome::Rejected
        );
    }

    #[test]
    fn long_first_header_counts_against_the_65535_limit() {
        // 60-byte header (40 bytes of options) + 65,480 bytes = 65,540: too big, though the
        // last fragment alone (20 + 65,480) looks fine. Refused in either order.
        let hdr60 = [0x4f; 60];
        let d = [0u8; 1024];
        let z = Duration::ZERO;
        let first = |p| Fragment {
            header: &hdr60,
            offset: 0,
            more: true,
            payload: p,
        };
        let mut out = Vec::new();
        let mut r = Reassembler::new(1 << 20, T);
        assert_eq!(r.insert(z, key(1), first(&d), &mut out), Outcome::Held);
        assert_eq!(
            r.insert(z, key(1), frag(65_480 - 8, false, &d[..8]), &mut out),
            Outcome::Rejected
        );
        assert_eq!(r.held_bytes(), 0);
        assert_eq!(
            r.insert(z, key(2), frag(65_480 - 8, false, &d[..8]), &mut out),
            Outcome::Held
        );
        assert_eq!(r.insert(z, key(2), first(&d), &mut out), Outcome::Rejected);
        assert_eq!(r.held_bytes(), 0);
        // Exactly 65,535 with the long header is fine.
        let mut r = Reassembler::new(1 << 20, T);
        let end = 65_535 - 60;
        r.insert(z, key(3), first(&d), &mut out);
        let mut off = d.len();
        while off + d.len() < end {
            assert_eq!(
                r.insert(z, key(3), frag(off, true, &d), &mut out),
                Outcome::Held
            );
            off += d.len();
        }
        assert_eq!(
            r.insert(z, key(3), frag(off, false, &d[..end - off]), &mut out),
            Outcome::Complete { header_len: 60 }
        );
        assert_eq!(out.len(), 65_535);
    }

    #[test]
    fn memory_cap_evicts_oldest_and_count_cap_holds() {
        let d = [1u8; 1024];
        let cap = 10 * (1024 + FRAGMENT_OVERHEAD);
        let mut r = Reassembler::new(cap, T);
        let mut out = Vec::new();
        let z = Duration::ZERO;
        for id in 0..1000u16 {
            // Last fragments only: each waits for its first half.
            r.insert(z, key(id), frag(1024, false, &d), &mut out);
            assert!(r.held_bytes() <= cap);
            assert!(r.in_progress() <= MAX_REASSEMBLIES);
        }
        assert_eq!(r.held_bytes(), cap);
        // The newest survive and complete; the oldest are gone (their first half starts anew).
        assert_eq!(
            r.insert(z, key(999), frag(0, true, &d), &mut out),
            Outcome::Complete { header_len: 20 }
        );
        assert_eq!(out.len(), 20 + 2048);
        assert_eq!(
            r.insert(z, key(0), frag(0, true, &d), &mut out),
            Outcome::Held
        );
        assert!(r.held_bytes() <= cap);
    }

    #[test]
    fn fragment_larger_than_cap_rejected() {
        let d = [1u8; 256];
        let mut r = Reassembler::new(100, T);
        let mut out = Vec::new();
        assert_eq!(
            r.insert(Duration::ZERO, key(1), frag(0, true, &d), &mut out),
            Outcome::Rejected
        );
        assert_eq!(r.held_bytes(), 0);
    }
}
