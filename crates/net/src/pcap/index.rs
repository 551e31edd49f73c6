//! An index of a capture file's frames, so the TUI can show any frame of a file of ten million
//! without loading it: a background scan notes where every [`STRIDE`]th frame's record starts;
//! frame N is then read by starting a reader at the nearest noted record before it and skipping
//! at most `STRIDE - 1` frames.
//!
//! The trade-off: one offset per frame would be 8 bytes a frame (80 MB for 10M frames) and
//! reach any frame with one seek; one per 64 frames is 1.25 MB for 10M frames, and a jump reads
//! up to 63 frames it does not show (a few tens of microseconds). The frames are found by the
//! same [`CaptureReader`] that `dump` and `replay` read with, so frame N here is frame N there,
//! odd records and cut files included (the index ends where the reader stops).
use super::{CaptureReader, FileFrame, ReadError};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::thread::JoinHandle;

/// Frames per noted offset.
pub const STRIDE: u64 = 64;

/// Largest preamble (pcapng section header + interface descriptions) kept to start readers.
const MAX_PREAMBLE: u64 = 16 << 20;

/// Why the index cannot be built or cannot read a frame.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The capture itself cannot be opened or read (see [`ReadError`]).
    #[error(transparent)]
    Capture(#[from] ReadError),
    /// The background scan thread could not be started (the I/O error is the source).
    #[error("starting the index thread")]
    Thread(#[source] std::io::Error),
    /// The scan found the file cannot be read from a noted offset ([`FrameIndex::refused`]).
    #[error("{0}")]
    Refused(String),
    /// No offset noted for the frame asked for.
    #[error("the index has no entry for that frame")]
    NoEntry,
    /// The preamble is not read yet.
    #[error("the index is not ready")]
    NotReady,
    /// The file cannot be opened again to read a frame (the I/O error is the source).
    #[error("cannot open {}", path.display())]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The frame is not where the scan found it: the file changed under the index.
    #[error("{}: frame {frame} is no longer where the index found it (the file changed?)", path.display())]
    Moved { path: PathBuf, frame: u64 },
    /// A pcapng header block after the first packet: a reader started later would miss it.
    #[error("{}", late_header(path))]
    LateHeader { path: PathBuf },
    /// More header bytes before the first packet than the index keeps.
    #[error("{}: {len} bytes of headers before the first packet", path.display())]
    PreambleTooLong { path: PathBuf, len: u64 },
    /// Seeking or reading the file failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// What the scan has found so far; shared with its thread.
#[derive(Default)]
struct Scan {
    /// Record offset of frames 1, 1 + STRIDE, 1 + 2 * STRIDE, ...
    checkpoints: RwLock<Vec<u64>>,
    /// The bytes a reader needs before the first record (see [`CaptureReader::preamble_len`]).
    preamble: OnceLock<Vec<u8>>,
    /// Frames indexed (published after their checkpoint).
    frames: AtomicU64,
    /// Bytes of the file scanned.
    bytes: AtomicU64,
    done: AtomicBool,
    stop: AtomicBool,
    /// Why the file cannot be indexed, when it cannot (the scan then stops).
    refused: Mutex<Option<String>>,
    is_refused: AtomicBool,
}

/// The index of one capture file, filled by a background thread (see the module docs).
pub struct FrameIndex {
    path: PathBuf,
    total_bytes: u64,
    scan: Arc<Scan>,
    thread: Option<JoinHandle<()>>,
}

impl FrameIndex {
    /// Start indexing `path` in the background. Fails only when the file cannot be opened or
    /// is not a capture; frames are available as the scan reaches them ([`Self::frames`]).
    pub fn build(path: &Path) -> Result<Self, IndexError> {
        let reader = CaptureReader::open(path)?;
        let total_bytes = reader.progress().1;
        let scan = Arc::new(Scan::default());
        let thread = {
            let scan = scan.clone();
            let path = path.to_path_buf();
            std::thread::Builder::new()
                .name("ringside-index".into())
                .spawn(move || run_scan(reader, &path, &scan))
                .map_err(IndexError::Thread)?
        };
        Ok(FrameIndex {
            path: path.to_path_buf(),
            total_bytes,
            scan,
            thread: Some(thread),
        })
    }

    /// [`Self::build`], then wait for the scan to end (tests, small files).
    pub fn build_blocking(path: &Path) -> Result<Self, IndexError> {
        let mut ix = Self::build(path)?;
        if let Some(t) = ix.thread.take() {
            let _ = t.join();
        }
        Ok(ix)
    }

    /// Frames indexed so far (all of them once [`Self::done`]).
    pub fn frames(&self) -> u64 {
        self.scan.frames.load(Ordering::Acquire)
    }

    /// The scan has reached the end of the file (or where reading stopped).
    pub fn done(&self) -> bool {
        self.scan.done.load(Ordering::Acquire)
    }

    /// (bytes scanned, file size), for the progress bar.
    pub fn progress(&self) -> (u64, u64) {
        (self.scan.bytes.load(Ordering::Relaxed), self.total_bytes)
    }

    /// Why the file cannot be read through the index (a pcapng file with an interface
    /// description after its first packet), if so: callers then read it from the start.
    pub fn refused(&self) -> Option<String> {
        if !self.scan.is_refused.load(Ordering::Acquire) {
            return None;
        }
        self.scan.refused.lock().ok().and_then(|r| r.clone())
    }

    /// [`Self::refused`] without the reason (cheap: checked for every frame).
    pub fn usable(&self) -> bool {
        !self.scan.is_refused.load(Ordering::Acquire)
    }

    /// Memory the index holds (the offsets and the preamble).
    pub fn bytes(&self) -> usize {
        let offsets = self.scan.checkpoints.read().map_or(0, |c| c.capacity() * 8);
        offsets + self.scan.preamble.get().map_or(0, |p| p.len())
    }

    /// Read up to `count` frames from frame `first` on (numbered from 1), giving each to
    /// `each` with its number; stops at the last indexed frame. Returns how many were given.
    pub fn read(
        &self,
        first: u64,
        count: usize,
        each: &mut dyn FnMut(u64, FileFrame<'_>),
    ) -> Result<usize, IndexError> {
        let indexed = self.frames();
        if first == 0 || first > indexed || count == 0 {
            return Ok(0);
        }
        if let Some(why) = self.refused() {
            return Err(IndexError::Refused(why));
        }
        let k = (first - 1) / STRIDE;
        let offset = self
            .scan
            .checkpoints
            .read()
            .ok()
            .and_then(|c| c.get(k as usize).copied())
            .ok_or(IndexError::NoEntry)?;
        let preamble = self.scan.preamble.get().ok_or(IndexError::NotReady)?;
        let mut file = File::open(&self.path).map_err(|source| IndexError::Open {
            path: self.path.clone(),
            source,
        })?;
        file.seek(SeekFrom::Start(offset))?;
        let stream = std::io::Cursor::new(preamble.clone()).chain(file);
        let mut r = CaptureReader::from_reader(&self.path, stream, 0)?;
        let mut no = k * STRIDE + 1;
        let last = (first + count as u64 - 1).min(indexed);
        let mut given = 0;
        while no <= last {
            let Some(f) = r.next_frame()? else {
                return Err(IndexError::Moved {
                    path: self.path.clone(),
                    frame: no,
                });
            };
            if no >= first {
                each(no, f);
                given += 1;
            }
            no += 1;
        }
        Ok(given)
    }
}

impl Drop for FrameIndex {
    fn drop(&mut self) {
        self.scan.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The scan: read every frame once, note every STRIDE-th record's offset.
fn run_scan(mut reader: CaptureReader, path: &Path, scan: &Scan) {
    let refuse = |why: String| {
        if let Ok(mut r) = scan.refused.lock() {
            *r = Some(why);
        }
        scan.is_refused.store(true, Ordering::Release);
    };
    let mut n: u64 = 0;
    let mut pending = Vec::with_capacity(256);
    loop {
        if scan.stop.load(Ordering::Relaxed) {
            break;
        }
        let frame = match reader.next_frame() {
            Ok(Some(_)) => true,
            // The reader's own error (a pcapng interface of a link type ringside cannot read)
            // ends the file for every reader alike.
            Ok(None) | Err(_) => false,
        };
        if !frame {
            break;
        }
        if n.is_multiple_of(STRIDE) {
            let Some(off) = reader.record_offset() else {
                refuse(format!(
                    "{}: cannot tell where frame {} starts",
                    path.display(),
                    n + 1
                ));
                break;
            };
            if scan.preamble.get().is_none() {
                match read_preamble(&reader, path) {
                    Ok(p) => {
                        let _ = scan.preamble.set(p);
                    }
                    Err(e) => {
                        refuse(format!("{e:#}"));
                        break;
                    }
                }
            }
            pending.push(off);
        }
        n += 1;
        // Publish in batches: the lock and the counter are touched every 16k frames.
        if n.is_multiple_of(STRIDE * 256) {
            if reader.preamble_len().is_none() {
                refuse(late_header(path));
                break;
            }
            publish(scan, &mut pending, n, &reader);
        }
    }
    if reader.preamble_len().is_none() && n > 0 {
        refuse(late_header(path));
    }
    publish(scan, &mut pending, n, &reader);
    scan.done.store(true, Ordering::Release);
}

fn late_header(path: &Path) -> String {
    format!(
        "{}: an interface description comes after the first packet (read from the start)",
        path.display()
    )
}

fn publish(scan: &Scan, pending: &mut Vec<u64>, frames: u64, reader: &CaptureReader) {
    if let Ok(mut c) = scan.checkpoints.write() {
        c.append(pending);
    }
    scan.frames.store(frames, Ordering::Release);
    scan.bytes.store(reader.progress().0, Ordering::Relaxed);
}

/// The file's first bytes, up to its first record.
fn read_preamble(reader: &CaptureReader, path: &Path) -> Result<Vec<u8>, IndexError> {
    let Some(len) = reader.preamble_len() else {
        return Err(IndexError::LateHeader {
            path: path.to_path_buf(),
        });
    };
    if len > MAX_PREAMBLE {
        return Err(IndexError::PreambleTooLong {
            path: path.to_path_buf(),
            len,
        });
    }
    let mut buf = vec![0; len as usize];
    File::open(path)?.read_exact(&mut buf)?;
    Ok(buf)
}
