//! The UI's frame history: every frame the capture thread handed over, numbered from 1, within a
//! fixed memory budget. Frame bytes live in a chunked arena (no allocation per frame); when the
//! budget is exceeded the oldest frames (and then their chunks) are evicted. Frame numbers never
//! change and never repeat, so a selection survives eviction of older frames.
//!
//! A replay of one file is also backed by the file itself ([`FileBacked`]): every frame of the
//! file can be listed and shown, evicted or not yet read by the judge pass, by reading it again
//! through the file's [`FrameIndex`]; a one-byte-per-frame log keeps the verdicts of frames the
//! judge pass has reached.
use crate::capture::{Captured, Direction};
use crate::pcap::index::FrameIndex;
use crate::recorded::Responders;
use crate::stack::{Answer, DropReason, Verdict};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
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
    /// Read from the file ahead of the judge pass: no verdict yet ("not judged yet").
    pub pending: bool,
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
    /// A replay of one file: every frame of it, read again on demand.
    file: Option<FileBacked>,
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
            file: None,
        }
    }

    /// Back this history by `index`'s file: frame N of the history is frame N of the file (a
    /// replay of that one file, each frame handed over once, in order).
    pub fn with_file(mut self, index: Arc<FrameIndex>) -> Self {
        self.file = Some(FileBacked::new(index));
        self
    }

    /// The file behind the history, if any (none once its index refused the file: then the
    /// history shows what it holds, as without a file).
    pub fn file(&self) -> Option<&FileBacked> {
        self.file.as_ref().filter(|fb| fb.index.usable())
    }

    /// Frames that can be listed: those held, and with a file behind, every indexed frame from
    /// the first. (first number, count).
    pub fn span(&self) -> (u64, u64) {
        match self.file() {
            Some(fb) => {
                let held = self.last_no().unwrap_or(0);
                (1, held.max(fb.index.frames()))
            }
            None => (self.first_no, self.entries.len() as u64),
        }
    }

    /// Make frames `nos` (sorted) readable through [`Self::get`]: those not held are read from
    /// the file (consecutive numbers in one read). Returns an error the reader met, if any.
    pub fn prefetch(&mut self, nos: &[u64]) -> Option<String> {
        let first_held = self.first_no;
        let last_held = self.last_no().unwrap_or(0);
        let fb = self.file.as_mut().filter(|fb| fb.index.usable())?;
        let mut i = 0;
        let mut err = None;
        while i < nos.len() {
            let no = nos[i];
            if (first_held..=last_held).contains(&no) || fb.cache.contains_key(&no) {
                i += 1;
                continue;
            }
            let mut run = 1;
            while i + run < nos.len() && nos[i + run] == no + run as u64 {
                run += 1;
            }
            if let Err(e) = fb.load(no, run) {
                err = Some(format!("{e:#}"));
            }
            i += run;
        }
        err
    }

    /// Store a frame; returns its number.
    pub fn push(&mut self, c: &Captured) -> u64 {
        if let Some(fb) = self.file.as_mut() {
            fb.judged(c.dir, c.verdict);
        }
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
            pending: false,
            chunk: self.first_chunk + chunk_idx as u64,
            off,
            len: need as u32,
        });
        let no = self.first_no + self.entries.len() as u64 - 1;
        if let Some(fb) = self.file.as_mut() {
            // The held copy (with its verdict) is the one shown from now on.
            fb.forget(no);
        }
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
        let Some(i) = no.checked_sub(self.first_no).map(|i| i as usize) else {
            return self.file()?.get(no);
        };
        let Some(entry) = self.entries.get(i) else {
            return self.file()?.get(no);
        };
        let chunk = &self.chunks[(entry.chunk - self.first_chunk) as usize];
        let data = &chunk[entry.off as usize..(entry.off + entry.len) as usize];
        Some(FrameRef { no, entry, data })
    }

    /// Frames in order, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = FrameRef<'_>> + '_ {
        (self.first_no..self.first_no + self.entries.len() as u64).filter_map(|no| self.get(no))
    }
}

/// Frames read back from the file, at most this many bytes of them (then the cache starts over).
const FILE_CACHE_BYTES: usize = 8 << 20;

/// A replay's file behind the history: its index, frames read from it lately, and the verdict of
/// every frame the judge pass has reached (one byte each: see [`verdict_code`]).
pub struct FileBacked {
    index: Arc<FrameIndex>,
    cache: HashMap<u64, (Entry, Vec<u8>)>,
    cache_bytes: usize,
    /// Verdict codes of frames 1, 2, ... as the judge pass handed them over.
    verdicts: Vec<u8>,
}

impl FileBacked {
    fn new(index: Arc<FrameIndex>) -> Self {
        FileBacked {
            index,
            cache: HashMap::new(),
            cache_bytes: 0,
            verdicts: Vec::new(),
        }
    }

    pub fn index(&self) -> &Arc<FrameIndex> {
        &self.index
    }

    /// Frames the judge pass has handed over (their verdicts are known).
    pub fn judged_frames(&self) -> u64 {
        self.verdicts.len() as u64
    }

    /// Memory held besides the history's own: the index, the verdict log, the frame cache.
    pub fn bytes(&self) -> usize {
        self.index.bytes() + self.verdicts.capacity() + self.cache_bytes
    }

    fn judged(&mut self, dir: Direction, verdict: Option<Verdict>) {
        self.verdicts.push(verdict_code(dir, verdict));
    }

    fn forget(&mut self, no: u64) {
        if let Some((_, d)) = self.cache.remove(&no) {
            self.cache_bytes -= d.len();
        }
    }

    /// The verdict the judge pass gave frame `no`: None if it has not reached it yet.
    pub fn verdict(&self, no: u64) -> Option<(Direction, Option<Verdict>)> {
        let code = *self.verdicts.get(no.checked_sub(1)? as usize)?;
        Some(verdict_from_code(code))
    }

    fn load(&mut self, first: u64, count: usize) -> anyhow::Result<()> {
        if self.cache_bytes > FILE_CACHE_BYTES {
            self.cache.clear();
            self.cache_bytes = 0;
        }
        let FileBacked {
            index,
            cache,
            cache_bytes,
            verdicts,
        } = self;
        index.read(first, count, &mut |no, f| {
            let judged = verdicts.get(no as usize - 1).map(|&c| verdict_from_code(c));
            let (dir, verdict) = judged.unwrap_or((Direction::In, None));
            let entry = Entry {
                ts: f.ts,
                dir,
                verdict,
                responders: Responders::default(),
                orig_len: f.orig_len,
                csum_not_ready: false,
                source: 0,
                link: f.link,
                pending: judged.is_none(),
                chunk: 0,
                off: 0,
                len: f.data.len() as u32,
            };
            *cache_bytes += f.data.len();
            cache.insert(no, (entry, f.data.to_vec()));
        })?;
        Ok(())
    }

    fn get(&self, no: u64) -> Option<FrameRef<'_>> {
        let (entry, data) = self.cache.get(&no)?;
        Some(FrameRef { no, entry, data })
    }
}

/// A frame's direction and verdict in one byte: 0 sent, 1 received and not judged (a frame of
/// another link type), 2.. answered (by [`Answer`]), then not answered (by [`DropReason::ALL`]).
pub fn verdict_code(dir: Direction, verdict: Option<Verdict>) -> u8 {
    match (dir, verdict) {
        (Direction::Out, _) => 0,
        (Direction::In, None) => 1,
        // Exhaustive: a new answer must get a code (and a place in ANSWERS).
        (Direction::In, Some(Verdict::Answered(a))) => match a {
            Answer::ArpReply => 2,
            Answer::EchoReply => 3,
            Answer::UdpEcho => 4,
            Answer::PortUnreachable => 5,
            Answer::ProtocolUnreachable => 6,
        },
        (Direction::In, Some(Verdict::NoReply(r))) => {
            2 + ANSWERS.len() as u8
                + DropReason::ALL.iter().position(|&x| x == r).unwrap_or(0) as u8
        }
    }
}

/// The inverse of [`verdict_code`].
pub fn verdict_from_code(code: u8) -> (Direction, Option<Verdict>) {
    let c = usize::from(code);
    match c {
        0 => (Direction::Out, None),
        1 => (Direction::In, None),
        _ if c - 2 < ANSWERS.len() => (Direction::In, Some(Verdict::Answered(ANSWERS[c - 2]))),
        _ => (
            Direction::In,
            DropReason::ALL
                .get(c - 2 - ANSWERS.len())
                .map(|&r| Verdict::NoReply(r)),
        ),
    }
}

const ANSWERS: [Answer; 5] = [
    Answer::ArpReply,
    Answer::EchoReply,
    Answer::UdpEcho,
    Answer::PortUnreachable,
    Answer::ProtocolUnreachable,
];

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
    fn verdict_codes_round_trip() {
        let mut all = vec![(Direction::Out, None), (Direction::In, None)];
        all.extend(
            ANSWERS
                .iter()
                .map(|&a| (Direction::In, Some(Verdict::Answered(a)))),
        );
        all.extend(
            DropReason::ALL
                .iter()
                .map(|&r| (Direction::In, Some(Verdict::NoReply(r)))),
        );
        let codes: std::collections::HashSet<u8> =
            all.iter().map(|&(d, v)| verdict_code(d, v)).collect();
        assert_eq!(codes.len(), all.len(), "every verdict has its own code");
        for (d, v) in all {
            assert_eq!(verdict_from_code(verdict_code(d, v)), (d, v));
        }
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
