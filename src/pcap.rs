//! Capture files: read pcap and pcapng (streaming, a frame at a time), write pcap
//! ([`crate::pcapng_write`] writes pcapng with ringside's recorded verdicts).
//!
//! Reading never loads the file: pcap-file parses through a fixed 8 MB buffer, so a length field
//! that lies cannot make it allocate more. Only Ethernet captures are accepted (ringside's stack
//! speaks Ethernet); a file cut short is read up to its last whole frame and the reader says where
//! it stopped.
use crate::capture::FrameSink;
use crate::recorded::FrameNote;
use anyhow::{bail, Context};
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapReader, PcapWriter};
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketOption;
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption;
use pcap_file::pcapng::{Block, PcapNgReader};
use pcap_file::{DataLink, TsResolution};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// One frame from a capture file. `data` borrows the reader's buffer until the next call.
#[derive(Clone, Copy, Debug)]
pub struct FileFrame<'a> {
    pub ts: Duration,
    pub data: &'a [u8],
    pub orig_len: u32,
    /// ringside's recorded note from the frame's pcapng comment, if it has one.
    pub note: Option<FrameNote>,
}

/// Why reading ended before the end of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stopped {
    /// Whole frames read before the stop.
    pub frames: u64,
    pub reason: String,
}

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "capture ends early: read {} whole frame{}, then {}",
            self.frames,
            if self.frames == 1 { "" } else { "s" },
            self.reason
        )
    }
}

enum Format {
    Pcap(PcapReader<CountingReader>),
    PcapNg {
        reader: PcapNgReader<CountingReader>,
        /// The current frame, copied out of the reader (its block borrow cannot outlive the
        /// loop that skips non-packet blocks); reused, so no allocation per frame.
        frame: Vec<u8>,
        /// Per interface: seconds per timestamp unit (pcapng's if_tsresol, default 10^-6).
        units: Vec<Option<TsUnit>>,
    },
}

/// Reads Ethernet frames from a pcap or pcapng file.
pub struct CaptureReader {
    path: PathBuf,
    format: Format,
    frames: u64,
    stopped: Option<Stopped>,
    done: bool,
    bytes_read: Arc<AtomicU64>,
    total_bytes: u64,
}

impl CaptureReader {
    /// Open `path`. Fails with one line for a missing file, an unknown format, or a link type
    /// other than Ethernet.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let total_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
        Self::from_reader(path, file, total_bytes)
    }

    /// Read a capture from any byte stream (a file, a pipe, bytes in memory: the fuzzer uses
    /// `&[u8]`). `name` is what messages call it; `total_bytes` is for [`Self::progress`] (0 if
    /// unknown). Same checks and errors as [`Self::open`].
    pub fn from_reader(
        name: &Path,
        reader: impl Read + Send + 'static,
        total_bytes: u64,
    ) -> anyhow::Result<Self> {
        let path = name;
        let bytes_read = Arc::new(AtomicU64::new(0));
        let mut buffered: BufReader<Box<dyn Read + Send>> = BufReader::new(Box::new(reader));
        let magic: [u8; 4] = match buffered.fill_buf() {
            Ok(b) if b.len() >= 4 => [b[0], b[1], b[2], b[3]],
            _ => bail!(
                "{}: not a capture file (shorter than a pcap header)",
                path.display()
            ),
        };
        let counting = CountingReader {
            inner: buffered,
            count: bytes_read.clone(),
        };
        let format = match magic {
            [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0xc3, 0xd4]
            | [0x4d, 0x3c, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d] => {
                let r = PcapReader::new(counting)
                    .map_err(|e| anyhow::anyhow!("{}: bad pcap header: {e}", path.display()))?;
                check_link_type(path, r.header().datalink)?;
                Format::Pcap(r)
            }
            [0x0a, 0x0d, 0x0d, 0x0a] => {
                let r = PcapNgReader::new(counting)
                    .map_err(|e| anyhow::anyhow!("{}: bad pcapng header: {e}", path.display()))?;
                Format::PcapNg {
                    reader: r,
                    frame: Vec::new(),
                    units: Vec::new(),
                }
            }
            _ => bail!(
                "{}: not a pcap or pcapng file (magic {:02x}{:02x}{:02x}{:02x})",
                path.display(),
                magic[0],
                magic[1],
                magic[2],
                magic[3]
            ),
        };
        Ok(CaptureReader {
            path: path.to_path_buf(),
            format,
            frames: 0,
            stopped: None,
            done: false,
            bytes_read,
            total_bytes,
        })
    }

    /// The next frame; `Ok(None)` at the end. A file cut short or corrupt ends reading: the
    /// frames before it are still delivered, and [`CaptureReader::stopped`] says where it ended.
    /// A link type other than Ethernet (pcapng interfaces) is an error.
    pub fn next_frame(&mut self) -> anyhow::Result<Option<FileFrame<'_>>> {
        if self.done {
            return Ok(None);
        }
        let frames = self.frames;
        let path = &self.path;
        let result: Result<Option<FileFrame<'_>>, String> = match &mut self.format {
            Format::Pcap(r) => match r.next_packet() {
                None => Ok(None),
                Some(Ok(PcapPacket {
                    timestamp,
                    orig_len,
                    data,
                })) => Ok(Some(FileFrame {
                    ts: timestamp,
                    orig_len,
                    data: borrowed(data),
                    note: None,
                })),
                Some(Err(e)) => Err(describe_error(&e)),
            },
            Format::PcapNg {
                reader,
                frame,
                units,
            } => loop {
                let found = match reader.next_block() {
                    None => break Ok(None),
                    Some(Err(e)) => break Err(describe_error(&e)),
                    Some(Ok(Block::InterfaceDescription(idb))) => {
                        check_link_type(path, idb.linktype)?;
                        let unit = idb.options.iter().find_map(|o| match o {
                            InterfaceDescriptionOption::IfTsResol(r) => Some(TsUnit::from(*r)),
                            _ => None,
                        });
                        units.push(unit);
                        None
                    }
                    Some(Ok(Block::EnhancedPacket(epb))) => {
                        let unit = units
                            .get(epb.interface_id as usize)
                            .copied()
                            .flatten()
                            .unwrap_or(TsUnit::MICRO);
                        // pcap-file hands the raw 64-bit timestamp over as nanoseconds; scale
                        // it by the interface's real resolution.
                        let raw = epb.timestamp.as_nanos() as u64;
                        frame.clear();
                        frame.extend_from_slice(&epb.data);
                        // Only ringside's own note is kept, parsed: a comment can be huge or
                        // hold control bytes, and none of its text reaches the screen.
                        let note = epb.options.iter().find_map(|o| match o {
                            EnhancedPacketOption::Comment(c) => FrameNote::parse(c),
                            _ => None,
                        });
                        Some((unit.to_duration(raw), epb.original_len, note))
                    }
                    Some(Ok(Block::SimplePacket(spb))) => {
                        frame.clear();
                        frame.extend_from_slice(&spb.data);
                        Some((Duration::ZERO, spb.original_len, None))
                    }
                    Some(Ok(Block::Packet(pb))) => {
                        frame.clear();
                        frame.extend_from_slice(&pb.data);
                        Some((
                            TsUnit::MICRO.to_duration(pb.timestamp),
                            pb.original_len,
                            None,
                        ))
                    }
                    Some(Ok(_)) => None, // statistics, name resolution, sections: nothing to show
                };
                if let Some((ts, orig_len, note)) = found {
                    break Ok(Some(FileFrame {
                        ts,
                        orig_len,
                        data: frame,
                        note,
                    }));
                }
            },
        };
        match result {
            Ok(Some(f)) => {
                self.frames = frames + 1;
                Ok(Some(f))
            }
            Ok(None) => {
                self.done = true;
                Ok(None)
            }
            Err(reason) => {
                self.done = true;
                self.stopped = Some(Stopped { frames, reason });
                Ok(None)
            }
        }
    }

    /// Set when the file ended early (truncated or corrupt).
    pub fn stopped(&self) -> Option<&Stopped> {
        self.stopped.as_ref()
    }

    /// True once reading has ended (cleanly or at damage).
    pub fn finished(&self) -> bool {
        self.done
    }

    /// Frames delivered so far.
    pub fn frames_read(&self) -> u64 {
        self.frames
    }

    /// (bytes consumed from the file, file size), for a progress bar.
    pub fn progress(&self) -> (u64, u64) {
        (self.bytes_read.load(Ordering::Relaxed), self.total_bytes)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The borrowed data pcap-file parsed in place; an owned copy only if it ever hands one back.
fn borrowed(data: std::borrow::Cow<'_, [u8]>) -> &'_ [u8] {
    match data {
        std::borrow::Cow::Borrowed(b) => b,
        // pcap-file 2 always borrows from its buffer; leaking here would be wrong, so keep an
        // empty frame rather than allocate per frame (never reached with pcap-file 2.0).
        std::borrow::Cow::Owned(_) => &[],
    }
}

fn check_link_type(path: &Path, dl: DataLink) -> anyhow::Result<()> {
    if dl == DataLink::ETHERNET {
        return Ok(());
    }
    let hint = match dl {
        DataLink::LINUX_SLL | DataLink::LINUX_SLL2 => {
            " (captured with `-i any`? capture on one interface: `tcpdump -i IFACE -w FILE`)"
        }
        _ => "",
    };
    bail!(
        "{}: link type {:?} ({}) is not Ethernet; ringside reads Ethernet (DLT_EN10MB) captures only{hint}",
        path.display(),
        dl,
        u32::from(dl)
    )
}

fn describe_error(e: &pcap_file::PcapError) -> String {
    match e {
        pcap_file::PcapError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            "the file is truncated (the next frame's bytes are missing)".into()
        }
        other => format!("the next record is corrupt ({other})"),
    }
}

/// pcapng's if_tsresol: 10^-n (top bit clear) or 2^-n (top bit set) seconds per unit.
#[derive(Clone, Copy, Debug)]
struct TsUnit(u8);

impl TsUnit {
    const MICRO: TsUnit = TsUnit(6);

    fn to_duration(self, raw: u64) -> Duration {
        let n = (self.0 & 0x7f) as u32;
        if self.0 & 0x80 == 0 {
            match 10u64.checked_pow(n) {
                Some(per_sec) if per_sec > 0 => {
                    let secs = raw / per_sec;
                    let frac = raw % per_sec;
                    let nanos = (frac as u128 * 1_000_000_000 / per_sec as u128) as u32;
                    Duration::new(secs, nanos)
                }
                _ => Duration::ZERO,
            }
        } else if n < 64 {
            let secs = raw >> n;
            let frac = raw & ((1u64 << n) - 1);
            let nanos = ((frac as u128 * 1_000_000_000) >> n) as u32;
            Duration::new(secs, nanos)
        } else {
            Duration::ZERO
        }
    }
}

impl From<u8> for TsUnit {
    fn from(v: u8) -> Self {
        TsUnit(v)
    }
}

/// Counts bytes pulled from the file, for progress.
struct CountingReader {
    inner: BufReader<Box<dyn Read + Send>>,
    count: Arc<AtomicU64>,
}

impl Read for CountingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Largest frame written whole; longer ones are cut (orig_len keeps the real length).
pub const SNAPLEN: u32 = 262_144;

/// Writes a pcap file (Ethernet, microsecond timestamps: what every tool opens) as frames come.
pub struct PcapRecorder {
    writer: Option<PcapWriter<BufWriter<File>>>,
    path: PathBuf,
    frames: u64,
}

impl PcapRecorder {
    pub fn create(path: &Path) -> anyhow::Result<Self> {
        let file =
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        let header = PcapHeader {
            datalink: DataLink::ETHERNET,
            snaplen: SNAPLEN,
            ts_resolution: TsResolution::MicroSecond,
            ..PcapHeader::default()
        };
        let writer = PcapWriter::with_header(BufWriter::new(file), header)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
        Ok(PcapRecorder {
            writer: Some(writer),
            path: path.to_path_buf(),
            frames: 0,
        })
    }

    pub fn write(&mut self, ts: Duration, data: &[u8], orig_len: u32) -> std::io::Result<()> {
        let Some(w) = self.writer.as_mut() else {
            return Err(std::io::Error::other("recorder already finished"));
        };
        let data = &data[..data.len().min(SNAPLEN as usize)];
        // pcap stores microseconds: round down so the file's times never run ahead.
        let ts = Duration::new(ts.as_secs(), ts.subsec_micros() * 1000);
        let orig_len = orig_len.max(data.len() as u32);
        w.write_packet(&PcapPacket::new(ts, orig_len, data))
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        self.frames += 1;
        Ok(())
    }

    /// Flush to disk; further writes fail.
    pub fn close(&mut self) -> std::io::Result<()> {
        if let Some(w) = self.writer.take() {
            use std::io::Write;
            w.into_writer().flush()?;
        }
        Ok(())
    }

    pub fn frames(&self) -> u64 {
        self.frames
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Classic pcap has no room for the note: the frame alone is written.
impl FrameSink for PcapRecorder {
    fn write_frame(
        &mut self,
        ts: Duration,
        data: &[u8],
        orig_len: u32,
        _note: Option<&FrameNote>,
    ) -> std::io::Result<()> {
        self.write(ts, data, orig_len)
    }
    fn finish(&mut self) -> std::io::Result<()> {
        self.close()
    }
}

impl Drop for PcapRecorder {
    fn drop(&mut self) {
        let _ = self.close();
    }
}
