//! A capture file as a link: `replay` reads frames through the same capture thread and stack as a
//! live interface would, as fast as the file reads. What the stack sends is counted, not written
//! anywhere (use `respond -w` to write it).
use super::{Link, LinkControl, LinkInfo, LinkStats, Received, RxMeta, Unsupported};
use crate::pcap::CaptureReader;
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
    pub fn open(path: &Path) -> anyhow::Result<Self> {
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
