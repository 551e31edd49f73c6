//! A capture file as a link: `replay` reads frames through the same capture thread and stack as a
//! live interface would, as fast as the file reads. What the stack sends is counted, not written
//! anywhere (use `respond -w` to write it).
use super::{Link, LinkControl, LinkInfo, LinkStats, Received, RxMeta, Unsupported};
use crate::pcap::{CaptureReader, ReadError};
use std::borrow::BorrowMut;
use std::io;
use std::path::Path;
use std::time::Duration;

/// Frames handed over per `recv_batch`, so the capture thread still sees controls between batches.
const BATCH: usize = 1024;

/// A capture file as a link. `R` is the reader, owned (`replay`) or borrowed (`respond`, which
/// reads the file's oddities once the frames are done).
pub struct PcapLink<R = CaptureReader> {
    reader: R,
    /// Frames of another link type (Linux cooked, raw IP): shown, but the stack speaks Ethernet,
    /// so they are not fed to it; counted here (the status line names them).
    unsupported_link: u64,
    now: Duration,
    stats: LinkStats,
    /// Frames handed over per `recv_batch` at most.
    batch: usize,
}

impl PcapLink {
    pub fn open(path: &Path) -> Result<Self, ReadError> {
        Ok(Self::new(CaptureReader::open(path)?))
    }
}

impl<R: BorrowMut<CaptureReader>> PcapLink<R> {
    /// A link over a capture already opened.
    pub fn new(reader: R) -> Self {
        PcapLink {
            reader,
            unsupported_link: 0,
            now: Duration::ZERO,
            stats: LinkStats::default(),
            batch: BATCH,
        }
    }

    /// Hand over one frame per `recv_batch`, so what the stack sends in answer to a frame is
    /// sent before the next frame is read (`respond` stamps each reply with its frame's time).
    pub fn one_frame_at_a_time(mut self) -> Self {
        self.batch = 1;
        self
    }

    /// The reader, e.g. to ask why it stopped.
    pub fn reader(&self) -> &CaptureReader {
        self.reader.borrow()
    }
}

impl<R: BorrowMut<CaptureReader> + Send> Link for PcapLink<R> {
    fn recv_batch(
        &mut self,
        _timeout: Duration,
        on_frame: &mut dyn FnMut(&[u8], RxMeta),
    ) -> io::Result<Received> {
        let reader = self.reader.borrow_mut();
        let mut n = 0;
        while n < self.batch {
            let frame = reader.next_frame().map_err(io::Error::other)?;
            let Some(f) = frame else {
                if n == 0 {
                    if let Some(stopped) = reader.stopped() {
                        // Frames before the damage were delivered; now say where the file ended.
                        return Err(io::Error::other(stopped.to_string()));
                    }
                    return Ok(Received::End);
                }
                break;
            };
            if f.link != crate::pcap::LinkKind::Ethernet {
                self.unsupported_link += 1;
            }
            // The capture's own clock: the stack ages its caches by the file's timestamps.
            self.now = self.now.max(f.ts);
            self.stats.rx_frames += 1;
            self.stats.rx_bytes += f.data.len() as u64;
            on_frame(
                f.data,
                RxMeta {
                    ts: f.ts,
                    // The file's time, but never backwards (merged captures can step back).
                    clock: self.now,
                    orig_len: f.orig_len,
                    csum_not_ready: false,
                    note: f.note,
                    link: f.link,
                    source: 0,
                },
            );
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
        let reader = self.reader.borrow();
        // Shown in the status line: what was odd in the file but read anyway, once per file.
        let mut describe = format!("pcap {}", reader.path().display());
        if let Some(odd) = reader.oddities() {
            describe += &format!(" ({odd})");
        }
        if self.unsupported_link > 0 {
            describe += &format!(
                " (unsupported_link {}: non-Ethernet frames shown, not fed to the stack)",
                self.unsupported_link
            );
        }
        LinkInfo {
            describe,
            stats: self.stats,
            progress: Some(reader.progress()),
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

    /// A capture file ends (and says so), shows how far it got, and refuses the simulated
    /// clock's controls by name rather than ignoring them.
    #[test]
    fn a_file_says_it_ended_and_why_it_has_no_clock_to_control() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("three.pcap");
        let mut w = PcapRecorder::create(&path).unwrap();
        for ms in [1u64, 2, 3] {
            w.write(Duration::from_millis(ms), &[0u8; 60], 60).unwrap();
        }
        w.close().unwrap();
        let mut link = PcapLink::open(&path).unwrap().one_frame_at_a_time();
        let mut got = Vec::new();
        while let Received::Frames(n) = link
            .recv_batch(Duration::ZERO, &mut |_, m| got.push(m.ts))
            .unwrap()
        {
            assert_eq!(n, 1, "one frame at a time");
        }
        assert_eq!(got.len(), 3);
        assert_eq!(link.now(), Duration::from_millis(3), "the file's own clock");
        let info = link.info();
        assert!(info
            .progress
            .is_some_and(|(read, total)| read == total && total > 0));
        assert!(info.ring.is_none() && info.peer.is_none());
        for c in [
            LinkControl::Speed(2.0),
            LinkControl::Freeze(true),
            LinkControl::Step,
        ] {
            assert_eq!(link.control(c), Err(Unsupported::FileTime));
        }
        assert!(Unsupported::FileTime
            .to_string()
            .contains("cannot be sped up"));
    }
}
