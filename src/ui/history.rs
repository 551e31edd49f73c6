//! The UI's frame history: every frame the capture thread handed over, numbered from 1, within a
//! fixed memory budget. Frame bytes live in a chunked arena (no allocation per frame); when the
//! budget is exceeded the oldest frames (and then their chunks) are evicted. Frame numbers never
//! change and never repeat, so a selection survives eviction of older frames.
use crate::capture::{Captured, Direction};
use crate::recorded::Responders;
use crate::stack::Verdict;
use std::collections::VecDeque;
use std::time::Duration;

/// One frame's facts; its bytes are in the arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub ts: Duration,
    pub dir: Direction,
    pub verdict: Option<Verdict>,
    /// The responder switches when the frame was handled (written by `w` as its comment).
    pub responders: Responders,
    pub orig_len: u32,
    pub csum_not_ready: bool,
    /// Which merged input it came from (see [`Captured::source`]).
    pub source: u16,
    /// What the frame starts with: dissect it by this ([`crate::wire::Dissection::parse_link`]).
    pub link: crate::wire::LinkKind,
    chunk: u64,
    off: u32,
    len: u32,
}

/// A frame borrowed from the history.
#[derive(Clone, Copy, Debug)]
pub struct FrameRef<'a> {
    pub no: u64,
    pub entry: &'a Entry,
    pub data: &'a [u8],
}

pub struct History {
    entries: VecDeque<Entry>,
    chunks: VecDeque<Vec<u8>>,
    /// Sequence number of `chunks[0]`.
    first_chunk: u64,
    chunk_size: usize,
    /// Sum of the chunks' capacities.
    chunk_bytes: usize,
    budget: usize,
    /// Number of `entries[0]` (frames are numbered from 1).
    first_no: u64,
    evicted: u64,
    t0: Option<Duration>,
}

impl History {
    /// A history that keeps at most about `budget` bytes (frame bytes + per-frame bookkeeping).
    pub fn new(budget: usize) -> Self {
        let budget = budget.max(64 * 1024);
        History {
            entries: VecDeque::new(),
            chunks: VecDeque::new(),
            first_chunk: 0,
            chunk_size: (budget / 16).clamp(16 * 1024, 1 << 20),
            chunk_bytes: 0,
            budget,
            first_no: 1,
            evicted: 0,
            t0: None,
        }
    }

    /// Store a frame; returns its number.
    pub fn push(&mut self, c: &Captured) -> u64 {
        let no = self.push_parts(
            c.ts,
            c.dir,
            c.verdict,
            c.orig_len,
            c.csum_not_ready,
            &c.data,
        );
        // The newest frame is never evicted.
        if let Some(e) = self.entries.back_mut() {
            e.responders = c.responders;
            e.source = c.source;
            e.link = c.link;
        }
        no
    }

    pub fn push_parts(
        &mut self,
        ts: Duration,
        dir: Direction,
        verdict: Option<Verdict>,
        orig_len: u32,
        csum_not_ready: bool,
        data: &[u8],
    ) -> u64 {
        self.t0.get_or_insert(ts);
        let need = data.len();
        let fits = self
            .chunks
            .back()
            .is_some_and(|c| c.capacity() - c.len() >= need);
        if !fits {
            let c = Vec::with_capacity(self.chunk_size.max(need));
            self.chunk_bytes += c.capacity();
            self.chunks.push_back(c);
        }
        let chunk_idx = self.chunks.len() - 1;
        let chunk = &mut self.chunks[chunk_idx];
        let off = chunk.len() as u32;
        chunk.extend_from_slice(data);
        self.entries.push_back(Entry {
            ts,
            dir,
            verdict,
            responders: Responders::default(),
            orig_len,
            csum_not_ready,
            source: 0,
            link: crate::wire::LinkKind::Ethernet,
            chunk: self.first_chunk + chunk_idx as u64,
            off,
            len: need as u32,
        });
        let no = self.first_no + self.entries.len() as u64 - 1;
        self.evict();
        no
    }

    fn evict(&mut self) {
        while self.bytes() > self.budget && self.entries.len() > 1 {
            self.entries.pop_front();
            self.first_no += 1;
            self.evicted += 1;
            let keep_from = self.entries.front().map_or(self.first_chunk, |e| e.chunk);
            while self.first_chunk < keep_from {
                if let Some(c) = self.chunks.pop_front() {
                    self.chunk_bytes -= c.capacity();
                }
                self.first_chunk += 1;
            }
        }
    }

    /// Memory held: arena chunks plus the entries in use (the table itself grows by doubling,
    /// so it may hold up to twice that).
    pub fn bytes(&self) -> usize {
        self.chunk_bytes + self.entries.len() * std::mem::size_of::<Entry>()
    }

    pub fn budget(&self) -> usize {
        self.budget
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Number of the oldest frame still held.
    pub fn first_no(&self) -> u64 {
        self.first_no
    }

    /// Number of the newest frame, if any.
    pub fn last_no(&self) -> Option<u64> {
        (!self.entries.is_empty()).then(|| self.first_no + self.entries.len() as u64 - 1)
    }

    /// Frames evicted to stay within the budget.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Time of the first frame ever stored (the Time column counts from it).
    pub fn t0(&self) -> Duration {
        self.t0.unwrap_or_default()
    }

    pub fn get(&self, no: u64) -> Option<FrameRef<'_>> {
        let i = no.checked_sub(self.first_no)? as usize;
        let entry = self.entries.get(i)?;
        let chunk = &self.chunks[(entry.chunk - self.first_chunk) as usize];
        let data = &chunk[entry.off as usize..(entry.off + entry.len) as usize];
        Some(FrameRef { no, entry, data })
    }

    /// Frames in order, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = FrameRef<'_>> + '_ {
        (self.first_no..self.first_no + self.entries.len() as u64).filter_map(|no| self.get(no))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(h: &mut History, len: usize, tag: u8) -> u64 {
        h.push_parts(
            Duration::from_millis(tag as u64),
            Direction::In,
            None,
            len as u32,
            false,
            &vec![tag; len],
        )
    }

    #[test]
    fn numbers_are_stable_and_bytes_round_trip() {
        let mut h = History::new(1 << 20);
        assert_eq!(push(&mut h, 60, 1), 1);
        assert_eq!(push(&mut h, 98, 2), 2);
        let f = h.get(2).unwrap();
        assert_eq!(f.data, &[2u8; 98][..]);
        assert_eq!(h.get(1).unwrap().data.len(), 60);
        assert!(h.get(3).is_none());
        assert!(h.get(0).is_none());
    }

    #[test]
    fn memory_stays_within_budget_and_oldest_go_first() {
        let budget = 256 * 1024;
        let mut h = History::new(budget);
        for i in 0..100_000u64 {
            push(&mut h, 100, (i % 251) as u8);
            assert!(h.bytes() <= budget, "{} > {budget}", h.bytes());
        }
        let last = h.last_no().unwrap();
        assert_eq!(last, 100_000);
        assert!(h.evicted() > 90_000);
        assert_eq!(h.first_no() + h.len() as u64 - 1, last);
        // The survivors are the newest frames, with their own bytes.
        assert_eq!(h.get(last).unwrap().data[0], ((last - 1) % 251) as u8);
        assert!(h.get(h.first_no() - 1).is_none());
        assert_eq!(h.iter().count(), h.len());
    }
}
