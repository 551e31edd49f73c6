//! Several capture files as one link, merged by timestamp (like `mergecap`): `replay a.pcap
//! b.pcap` shows both sides of an exchange captured on two hosts as one timeline. Each frame is
//! tagged with the file it came from ([`RxMeta::source`]). Streams: one frame per file is
//! held, never a whole file.
use super::{Link, LinkControl, LinkInfo, LinkStats, Received, RxMeta, Unsupported};
use crate::pcap::CaptureReader;
use std::io;
use std::time::Duration;

/// Frames handed over per `recv_batch` (as for one file).
const BATCH: usize = 1024;

/// The next frame of one file, copied out of its reader's buffer.
struct Head {
    ts: Duration,
    orig_len: u32,
    data: Vec<u8>,
    /// ringside's recorded note (pcapng comment), carried through the merge.
    note: Option<crate::recorded::FrameNote>,
    /// What the frame starts with (its file's, or pcapng interface's, link type).
    link: crate::pcap::LinkKind,
}

pub struct MergedLink {
    readers: Vec<CaptureReader>,
    heads: Vec<Option<Head>>,
    now: Duration,
    stats: LinkStats,
    /// A damaged file's reason, reported once after the frames before the damage.
    stopped: Option<String>,
}

impl MergedLink {
    /// Merge `readers` (at most 65,536 files; the tag is a u16).
    pub fn new(readers: Vec<CaptureReader>) -> Self {
        let mut m = MergedLink {
            heads: readers.iter().map(|_| None).collect(),
            readers,
            now: Duration::ZERO,
            stats: LinkStats::default(),
            stopped: None,
        };
        for i in 0..m.readers.len() {
            m.refill(i);
        }
        m
    }

    /// Read file `i`'s next frame into its head (None at its end or damage).
    fn refill(&mut self, i: usize) {
        let r = &mut self.readers[i];
        self.heads[i] = match r.next_frame() {
            Ok(Some(f)) => Some(Head {
                ts: f.ts,
                orig_len: f.orig_len,
                data: f.data.to_vec(),
                note: f.note,
                link: f.link,
            }),
            Ok(None) => {
                if let Some(s) = r.stopped() {
                    self.stopped
                        .get_or_insert_with(|| format!("{}: {s}", r.path().display()));
                }
                None
            }
            Err(e) => {
                self.stopped
                    .get_or_insert_with(|| format!("{}: {e:#}", r.path().display()));
                None
            }
        };
    }

    /// The file whose head is earliest (the lower index on a tie: stable, like mergecap).
    fn earliest(&self) -> Option<usize> {
        (0..self.heads.len())
            .filter(|&i| self.heads[i].is_some())
            .min_by_key(|&i| self.heads[i].as_ref().map(|h| h.ts))
    }
}

impl Link for MergedLink {
    fn recv_batch(
        &mut self,
        _timeout: Duration,
        on_frame: &mut dyn FnMut(&[u8], RxMeta),
    ) -> io::Result<Received> {
        let mut n = 0;
        while n < BATCH {
            let Some(i) = self.earliest() else {
                if n == 0 {
                    if let Some(s) = self.stopped.take() {
                        return Err(io::Error::other(s));
                    }
                    return Ok(Received::End);
                }
                break;
            };
            let head = self.heads[i].take().expect("earliest has a head");
            self.now = self.now.max(head.ts);
            self.stats.rx_frames += 1;
            self.stats.rx_bytes += head.data.len() as u64;
            on_frame(
                &head.data,
                RxMeta {
                    ts: head.ts,
                    clock: self.now,
                    orig_len: head.orig_len,
                    csum_not_ready: false,
                    note: head.note,
                    link: head.link,
                    source: i as u16,
                },
            );
            self.refill(i);
            n += 1;
        }
        Ok(Received::Frames(n))
    }

    fn send(&mut self, _frame: &[u8]) -> io::Result<()> {
        self.stats.tx_frames += 1;
        Ok(())
    }

    fn now(&self) -> Duration {
        self.now
    }

    fn info(&self) -> LinkInfo {
        let names: Vec<String> = self
            .readers
            .iter()
            .map(|r| r.path().display().to_string())
            .collect();
        let (mut done, mut total) = (0, 0);
        for r in &self.readers {
            let (d, t) = r.progress();
            done += d;
            total += t;
        }
        LinkInfo {
            describe: format!("pcap {} (merged by time)", names.join(" + ")),
            stats: self.stats,
            progress: Some((done, total)),
            ..LinkInfo::default()
        }
    }

    fn control(&mut self, _: LinkControl) -> Result<(), Unsupported> {
        Err(Unsupported::FileTime)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcap::PcapRecorder;

    fn file(dir: &std::path::Path, name: &str, stamps: &[u64]) -> CaptureReader {
        let path = dir.join(name);
        let mut w = PcapRecorder::create(&path).unwrap();
        for &ms in stamps {
            let mut f = vec![0u8; 60];
            f[0] = ms as u8;
            w.write(Duration::from_millis(ms), &f, 60).unwrap();
        }
        w.close().unwrap();
        CaptureReader::open(&path).unwrap()
    }

    #[test]
    fn frames_come_in_time_order_tagged_with_their_file() {
        let dir = tempfile::tempdir().unwrap();
        let a = file(dir.path(), "a.pcap", &[1, 4, 5, 9]);
        let b = file(dir.path(), "b.pcap", &[2, 4, 8]);
        let mut m = MergedLink::new(vec![a, b]);
        let mut seen = Vec::new();
        while m
            .recv_batch(Duration::ZERO, &mut |f, meta| {
                seen.push((meta.ts.as_millis() as u8, f[0], meta.source))
            })
            .unwrap()
            != Received::End
        {}
        let want = [(1, 0), (2, 1), (4, 0), (4, 1), (5, 0), (8, 1), (9, 0)];
        let got: Vec<(u8, u16)> = seen.iter().map(|&(t, _, s)| (t, s)).collect();
        assert_eq!(got, want, "by time, the first file first on a tie");
        assert!(
            seen.iter().all(|&(t, b, _)| t == b),
            "each frame's own bytes"
        );
        assert_eq!(m.info().progress.map(|(d, t)| d == t), Some(true));
    }
}
