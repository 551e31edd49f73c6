//! A capture file as a link: `replay` reads frames through the same capture thread and stack as a
//! live interface would, as fast as the file reads. What the stack sends is counted, not written
//! anywhere (use `respond -w` to write it).
use super::{Link, LinkStats, RxMeta};
use crate::pcap::{CaptureReader, ReadError};
use std::io;
use std::path::Path;
use std::time::Duration;

/// Frames handed over per `recv_batch`, so the capture thread still sees controls between batches.
const BATCH: usize = 1024;

pub struct PcapLink {
    reader: CaptureReader,
    /// Frames of another link type (Linux cooked, raw IP): shown, but the stack speaks Ethernet,
    /// so they are not fed to it; counted here (the status line names them).
    unsupported_link: u64,
    now: Duration,
    stats: LinkStats,
}

impl PcapLink {
    pub fn open(path: &Path) -> Result<Self, ReadError> {
        Ok(Self::new(CaptureReader::open(path)?))
    }

    /// A link over a capture already opened.
    pub fn new(reader: CaptureReader) -> Self {
        PcapLink {
            reader,
            unsupported_link: 0,
            now: Duration::ZERO,
            stats: LinkStats::default(),
        }
    }
}

impl Link for PcapLink {
    fn recv_batch(
        &mut self,
        _timeout: Duration,
        on_frame: &mut dyn FnMut(&[u8], RxMeta),
    ) -> io::Result<usize> {
        let mut n = 0;
        while n < BATCH {
            let frame = self.reader.next_frame().map_err(io::Error::other)?;
            let Some(f) = frame else {
                if let Some(stopped) = self.reader.stopped() {
                    // Frames before the damage were delivered; now say where the file ended.
                    if n == 0 {
                        return Err(io::Error::other(stopped.to_string()));
                    }
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
                },
            );
            n += 1;
        }
        Ok(n)
    }

    fn send(&mut self, _frame: &[u8]) -> io::Result<()> {
        self.stats.tx_frames += 1;
        Ok(())
    }

    fn now(&self) -> Duration {
        self.now
    }

    fn stats(&self) -> LinkStats {
        self.stats
    }

    fn describe(&self) -> String {
        // Shown in the status line: what was odd in the file but read anyway, once per file.
        let mut s = format!("pcap {}", self.reader.path().display());
        if let Some(odd) = self.reader.oddities() {
            s += &format!(" ({odd})");
        }
        if self.unsupported_link > 0 {
            s += &format!(
                " (unsupported_link {}: non-Ethernet frames shown, not fed to the stack)",
                self.unsupported_link
            );
        }
        s
    }

    fn progress(&self) -> Option<(u64, u64)> {
        Some(self.reader.progress())
    }

    fn exhausted(&self) -> bool {
        // Done once the reader hit the end cleanly; a damaged file ends through the error above.
        self.reader.finished() && self.reader.stopped().is_none()
    }
}
