//! Capture files: read pcap and pcapng (streaming, a frame at a time), write pcap
//! ([`crate::pcapng_write`] writes pcapng with ringside's recorded verdicts).
//!
//! Reading never loads the file: a record is read whole only up to [`MAX_RECORD`] bytes (a
//! pcapng block up to 1 MiB), so a length field that lies cannot make it allocate more. Records
//! Wireshark reads although they are odd are read too, and counted ([`CaptureReader::oddities`]). Only Ethernet captures are accepted (ringside's stack
//! speaks Ethernet); a file cut short is read up to its last whole frame and the reader says where
//! it stopped.
use crate::link::frame::FrameSink;
use crate::recorded::FrameNote;
pub use crate::wire::LinkKind;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketOption;
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption;
use pcap_file::pcapng::{Block, PcapNgReader};
use pcap_file::{DataLink, TsResolution};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub mod index;

/// Why a capture cannot be opened or read. Each reason is one line naming the file; the CLI turns
/// them into usage errors (exit 2) and matches on [`ReadError::Open`] for "permission denied".
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file cannot be opened (the I/O error is the source).
    #[error("cannot open {}", path.display())]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Fewer than 4 bytes: no magic number to tell the format by.
    #[error("{}: not a capture file (shorter than a pcap header)", path.display())]
    TooShort { path: PathBuf },
    /// The first 4 bytes are neither pcap's nor pcapng's magic number.
    #[error(
        "{}: not a pcap or pcapng file (magic {:02x}{:02x}{:02x}{:02x})",
        path.display(), magic[0], magic[1], magic[2], magic[3]
    )]
    UnknownMagic { path: PathBuf, magic: [u8; 4] },
    /// The pcap file header or the pcapng section header is cut short or malformed.
    #[error("{}: bad {format} header: {detail}", path.display())]
    BadHeader {
        path: PathBuf,
        /// "pcap" or "pcapng".
        format: &'static str,
        detail: String,
    },
    /// A link type ringside does not decode (802.11, PPP...).
    #[error(
        "{}: link type {link:?} ({}) is not one ringside reads (Ethernet, LINUX_SLL, LINUX_SLL2, RAW IP)",
        path.display(), u32::from(*link)
    )]
    UnsupportedLinkType { path: PathBuf, link: DataLink },
}

/// Why a capture cannot be written (pcap here, pcapng in [`crate::pcapng_write`]).
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The file cannot be created (the I/O error is the source).
    #[error("cannot create {}", path.display())]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Writing the file's headers failed.
    #[error("cannot write {}: {detail}", path.display())]
    Headers { path: PathBuf, detail: String },
}

/// One frame from a capture file. `data` borrows the reader's buffer until the next call.
#[derive(Clone, Copy, Debug)]
pub struct FileFrame<'a> {
    pub ts: Duration,
    pub data: &'a [u8],
    pub orig_len: u32,
    /// ringside's recorded note from the frame's pcapng comment, if it has one.
    pub note: Option<FrameNote>,
    /// What the frame starts with (Ethernet, a Linux cooked header, a bare IP datagram).
    pub link: LinkKind,
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
    Pcap(ClassicPcap),
    PcapNg {
        reader: Box<PcapNgReader<PcapNgRepair<CountingReader>>>,
        /// The current frame, copied out of the reader (its block borrow cannot outlive the
        /// loop that skips non-packet blocks); reused, so no allocation per frame.
        frame: Vec<u8>,
        /// Per interface: seconds per timestamp unit (pcapng's if_tsresol, default 10^-6).
        units: Vec<Option<TsUnit>>,
        /// Per interface: its link type; and the current frame's.
        links: Vec<LinkKind>,
        link: LinkKind,
        /// Where each packet block starts in the file (see [`NgLayout`]).
        layout: Arc<Mutex<NgLayout>>,
    },
}

/// Where a pcapng file's packet blocks lie, noted by [`PcapNgRepair`] as it reads blocks (it
/// reads ahead of pcap-file's parser, so the offsets queue until their frames come out).
#[derive(Default)]
struct NgLayout {
    /// File offsets of packet blocks handed on but not yet returned as frames.
    packets: std::collections::VecDeque<u64>,
    /// Offset of the first packet block: everything before it (section header, interface
    /// descriptions) is what a reader needs to start reading at a later packet block.
    first_packet: Option<u64>,
    /// A section header or interface description came after a packet block: a reader started
    /// at a later packet would miss it.
    late_header: bool,
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
    /// Records read although odd (see [`Oddities`]).
    odd: Arc<Oddities>,
    /// File offset of the record of the frame returned last (see [`Self::record_offset`]).
    record_offset: Option<u64>,
}

impl CaptureReader {
    /// Open `path`. Fails with one line for a missing file, an unknown format, or a link type
    /// other than Ethernet.
    pub fn open(path: &Path) -> Result<Self, ReadError> {
        let file = File::open(path).map_err(|source| ReadError::Open {
            path: path.to_path_buf(),
            source,
        })?;
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
    ) -> Result<Self, ReadError> {
        let path = name;
        let bytes_read = Arc::new(AtomicU64::new(0));
        let odd = Arc::new(Oddities::default());
        let mut buffered: BufReader<Box<dyn Read + Send>> =
            BufReader::with_capacity(64 << 10, Box::new(reader));
        let magic: [u8; 4] = match buffered.fill_buf() {
            Ok(b) if b.len() >= 4 => [b[0], b[1], b[2], b[3]],
            _ => {
                return Err(ReadError::TooShort {
                    path: path.to_path_buf(),
                })
            }
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
                let r =
                    ClassicPcap::new(counting, odd.clone()).map_err(|e| ReadError::BadHeader {
                        path: path.to_path_buf(),
                        format: "pcap",
                        detail: e.to_string(),
                    })?;
                let mut r = r;
                r.link = check_link_type(path, r.link_type)?;
                Format::Pcap(r)
            }
            [0x0a, 0x0d, 0x0d, 0x0a] => {
                let layout = Arc::new(Mutex::new(NgLayout::default()));
                let repair =
                    PcapNgRepair::new(counting, odd.clone(), bytes_read.clone(), layout.clone());
                let r = PcapNgReader::new(repair).map_err(|e| ReadError::BadHeader {
                    path: path.to_path_buf(),
                    format: "pcapng",
                    detail: e.to_string(),
                })?;
                Format::PcapNg {
                    reader: Box::new(r),
                    frame: Vec::new(),
                    units: Vec::new(),
                    links: Vec::new(),
                    link: LinkKind::Ethernet,
                    layout,
                }
            }
            _ => {
                return Err(ReadError::UnknownMagic {
                    path: path.to_path_buf(),
                    magic,
                })
            }
        };
        Ok(CaptureReader {
            path: path.to_path_buf(),
            format,
            frames: 0,
            stopped: None,
            done: false,
            bytes_read,
            total_bytes,
            odd,
            record_offset: None,
        })
    }

    /// The next frame; `Ok(None)` at the end. A file cut short or corrupt ends reading: the
    /// frames before it are still delivered, and [`CaptureReader::stopped`] says where it ended.
    /// A link type other than Ethernet (pcapng interfaces) is an error.
    pub fn next_frame(&mut self) -> Result<Option<FileFrame<'_>>, ReadError> {
        if self.done {
            return Ok(None);
        }
        let frames = self.frames;
        let path = &self.path;
        // A link type ringside cannot read is an error for the caller, and the end of the file:
        // no frame may follow an error.
        let mut fatal = None;
        let record_offset = &mut self.record_offset;
        let result: Result<Option<FileFrame<'_>>, String> = match &mut self.format {
            Format::Pcap(r) => {
                *record_offset = Some(r.inner.count.load(Ordering::Relaxed));
                r.next_record()
            }
            Format::PcapNg {
                reader,
                frame,
                units,
                links,
                link,
                layout,
            } => loop {
                let found = match reader.next_block() {
                    None => break Ok(None),
                    Some(Err(e)) => break Err(describe_error(&e)),
                    Some(Ok(Block::InterfaceDescription(idb))) => {
                        match check_link_type(path, idb.linktype) {
                            Ok(k) => links.push(k),
                            Err(e) => {
                                fatal = Some(e);
                                break Ok(None);
                            }
                        }
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
                        *link = links
                            .get(epb.interface_id as usize)
                            .copied()
                            .unwrap_or_default();
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
                        *link = links.first().copied().unwrap_or_default();
                        Some((Duration::ZERO, spb.original_len, None))
                    }
                    Some(Ok(Block::Packet(pb))) => {
                        frame.clear();
                        frame.extend_from_slice(&pb.data);
                        *link = links
                            .get(pb.interface_id as usize)
                            .copied()
                            .unwrap_or_default();
                        Some((
                            TsUnit::MICRO.to_duration(pb.timestamp),
                            pb.original_len,
                            None,
                        ))
                    }
                    Some(Ok(_)) => None, // statistics, name resolution, sections: nothing to show
                };
                if let Some((ts, orig_len, note)) = found {
                    // Packet blocks come out of pcap-file in the order the repair noted them.
                    *record_offset = layout.lock().ok().and_then(|mut l| l.packets.pop_front());
                    break Ok(Some(FileFrame {
                        ts,
                        orig_len,
                        data: frame,
                        note,
                        link: *link,
                    }));
                }
            },
        };
        if let Some(e) = fatal {
            self.done = true;
            return Err(e);
        }
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

    /// What was odd but read anyway, as one line ("2 records with caplen above the file's
    /// snaplen, ..."), or None when nothing was. Complete once reading has ended.
    pub fn oddities(&self) -> Option<String> {
        self.odd.summary()
    }

    /// The file's link type when the file has one (classic pcap); pcapng names one per
    /// interface, known only as its frames come ([`FileFrame::link`]).
    pub fn file_link(&self) -> Option<LinkKind> {
        match &self.format {
            Format::Pcap(r) => Some(r.link),
            Format::PcapNg { .. } => None,
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

    /// Where the record of the frame returned last starts in the file (a classic pcap record
    /// header, a pcapng packet block): [`index::FrameIndex`] keeps these to read frame N again
    /// without reading the frames before it. Offsets count from the start of what was given to
    /// [`Self::from_reader`].
    pub fn record_offset(&self) -> Option<u64> {
        self.record_offset
    }

    /// How to start reading at a record offset: the bytes before the first record (the pcap
    /// file header; the pcapng section header and interface descriptions) are read first,
    /// then the records from that offset on. `Some(len)` is the length of that preamble once
    /// a frame was read; None where it cannot work: a pcapng file with a section header or
    /// interface description after its first packet (a reader started later would miss it).
    pub fn preamble_len(&self) -> Option<u64> {
        match &self.format {
            Format::Pcap(_) => Some(24),
            Format::PcapNg { layout, .. } => {
                let l = layout.lock().ok()?;
                if l.late_header {
                    None
                } else {
                    l.first_packet
                }
            }
        }
    }
}

/// Largest record read, as Wireshark (WTAP_MAX_PACKET_SIZE_STANDARD): a record that claims
/// more is corrupt and ends reading, so a length field that lies never allocates more than this.
pub const MAX_RECORD: u32 = 262_144;

/// Largest pcapng block accepted (a packet of [`MAX_RECORD`] bytes plus generous options).
const MAX_BLOCK: u32 = 1 << 20;

/// Odd things Wireshark reads without complaint, counted per file so they can be named in one
/// warning line instead of ending the read.
#[derive(Default)]
pub struct Oddities {
    /// Classic pcap: captured length above the file header's snaplen.
    caplen_above_snaplen: AtomicU64,
    /// Original (wire) length below the captured length.
    orig_below_caplen: AtomicU64,
    /// Microseconds (or nanoseconds) field of a second or more: carried into the seconds.
    subsec_overflow: AtomicU64,
    /// pcapng options ringside cannot parse (unknown shape, no end-of-options): skipped.
    pcapng_options: AtomicU64,
    /// pcapng blocks of types no spec defines: skipped.
    pcapng_blocks: AtomicU64,
}

impl Oddities {
    fn bump(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub fn summary(&self) -> Option<String> {
        let items = [
            (
                &self.caplen_above_snaplen,
                "record(s) with caplen above the file's snaplen",
            ),
            (&self.orig_below_caplen, "with orig_len below caplen"),
            (
                &self.subsec_overflow,
                "with a fraction of a second >= 1 s (carried into the seconds)",
            ),
            (
                &self.pcapng_options,
                "pcapng option(s) of odd shape skipped",
            ),
            (
                &self.pcapng_blocks,
                "pcapng block(s) of unknown type skipped",
            ),
        ];
        let parts: Vec<String> = items
            .iter()
            .filter_map(|(c, what)| {
                let n = c.load(Ordering::Relaxed);
                (n > 0).then(|| format!("{n} {what}"))
            })
            .collect();
        (!parts.is_empty()).then(|| format!("read anyway: {}", parts.join(", ")))
    }
}

/// The classic pcap format (libpcap's, tcpdump's): a 24-byte file header, then records of a
/// 16-byte header and the frame. Parsed by hand because pcap-file refuses records Wireshark
/// reads (caplen above the snaplen, orig_len below caplen, microseconds >= 10^6).
struct ClassicPcap {
    inner: CountingReader,
    big_endian: bool,
    nanos: bool,
    snaplen: u32,
    link_type: DataLink,
    link: LinkKind,
    buf: Vec<u8>,
    odd: Arc<Oddities>,
}

impl ClassicPcap {
    fn new(mut inner: CountingReader, odd: Arc<Oddities>) -> Result<Self, String> {
        let mut h = [0u8; 24];
        inner
            .read_exact(&mut h)
            .map_err(|_| "shorter than a pcap header".to_string())?;
        let (big_endian, nanos) = match [h[0], h[1], h[2], h[3]] {
            [0xd4, 0xc3, 0xb2, 0xa1] => (false, false),
            [0xa1, 0xb2, 0xc3, 0xd4] => (true, false),
            [0x4d, 0x3c, 0xb2, 0xa1] => (false, true),
            [0xa1, 0xb2, 0x3c, 0x4d] => (true, true),
            _ => return Err("not a pcap magic number".into()),
        };
        let u32_at = |i: usize| {
            let b = [h[i], h[i + 1], h[i + 2], h[i + 3]];
            if big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        // The link type is the low 16 bits; the high bits may carry FCS information
        // (libpcap's LT_LINKTYPE / LT_FCS_LENGTH), which says nothing about the frames' format.
        let link_type = DataLink::from(u32_at(20) & 0xffff);
        Ok(ClassicPcap {
            inner,
            big_endian,
            nanos,
            snaplen: u32_at(16),
            link_type,
            link: LinkKind::Ethernet,
            buf: Vec::new(),
            odd,
        })
    }

    fn next_record(&mut self) -> Result<Option<FileFrame<'_>>, String> {
        let mut h = [0u8; 16];
        match read_full(&mut self.inner, &mut h) {
            0 => return Ok(None),
            16 => {}
            _ => return Err("the file is truncated (a record header is cut short)".into()),
        }
        let be = self.big_endian;
        let u = |i: usize| {
            let b = [h[i], h[i + 1], h[i + 2], h[i + 3]];
            if be {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        let (secs, frac, caplen, orig_len) = (u(0), u(4), u(8), u(12));
        if caplen > MAX_RECORD {
            return Err(format!(
                "the next record is corrupt (it claims {caplen} bytes, more than the {MAX_RECORD} a capture record may hold)"
            ));
        }
        if caplen > self.snaplen {
            Oddities::bump(&self.odd.caplen_above_snaplen);
        }
        if orig_len < caplen {
            Oddities::bump(&self.odd.orig_below_caplen);
        }
        let per_sec: u64 = if self.nanos { 1_000_000_000 } else { 1_000_000 };
        if frac as u64 >= per_sec {
            Oddities::bump(&self.odd.subsec_overflow);
        }
        let nanos_total = frac as u64 * (1_000_000_000 / per_sec);
        let ts = Duration::from_secs(secs as u64) + Duration::from_nanos(nanos_total);
        self.buf.resize(caplen as usize, 0);
        if read_full(&mut self.inner, &mut self.buf) < caplen as usize {
            return Err("the file is truncated (the next frame's bytes are missing)".into());
        }
        Ok(Some(FileFrame {
            ts,
            orig_len,
            data: &self.buf,
            note: None,
            link: self.link,
        }))
    }
}

/// Read until `buf` is full or the stream ends; how many bytes were read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    n
}

/// Sits between the file and pcap-file's pcapng reader and hands it only blocks it parses:
/// pcap-file refuses a whole file for an option list without an end-of-options marker (allowed by
/// the pcapng spec when the options fill the block), an option of a length it does not expect, or
/// a name-resolution block it cannot read, all of which Wireshark reads. Blocks ringside uses
/// (section header, interface description, packets) keep the options ringside reads (comments,
/// if_tsresol, flags) when well formed, always closed by an end-of-options marker; blocks it does
/// not use are dropped. Each block is read whole (at most [`MAX_BLOCK`] bytes) before it is passed on.
struct PcapNgRepair<R> {
    inner: R,
    out: Vec<u8>,
    pos: usize,
    big_endian: bool,
    odd: Arc<Oddities>,
    /// Bytes taken from the file so far: the offset of the next block.
    consumed: Arc<AtomicU64>,
    layout: Arc<Mutex<NgLayout>>,
}

impl<R: Read> PcapNgRepair<R> {
    fn new(
        inner: R,
        odd: Arc<Oddities>,
        consumed: Arc<AtomicU64>,
        layout: Arc<Mutex<NgLayout>>,
    ) -> Self {
        PcapNgRepair {
            inner,
            out: Vec::new(),
            pos: 0,
            big_endian: false,
            odd,
            consumed,
            layout,
        }
    }

    /// Note where a block that goes on to pcap-file starts (see [`NgLayout`]).
    fn note_block(&self, ty: u32, at: u64) {
        let Ok(mut l) = self.layout.lock() else {
            return;
        };
        match ty {
            2 | 3 | 6 => {
                l.first_packet.get_or_insert(at);
                l.packets.push_back(at);
            }
            0x0a0d_0d0a | 1 if l.first_packet.is_some() => l.late_header = true,
            _ => {}
        }
    }

    fn u32(&self, b: &[u8]) -> u32 {
        let b = [b[0], b[1], b[2], b[3]];
        if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    }

    fn u16(&self, b: &[u8]) -> u16 {
        if self.big_endian {
            u16::from_be_bytes([b[0], b[1]])
        } else {
            u16::from_le_bytes([b[0], b[1]])
        }
    }

    fn put_u32(&self, v: u32) -> [u8; 4] {
        if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    /// Fill `out` with the next block to hand on. Ok(false) at the end of the stream; what
    /// cannot be judged (a cut or oversized block) is passed on as it is, for pcap-file to report.
    fn next_block(&mut self) -> std::io::Result<bool> {
        loop {
            self.out.clear();
            self.pos = 0;
            let at = self.consumed.load(Ordering::Relaxed);
            let mut head = [0u8; 12];
            let got = read_full(&mut self.inner, &mut head);
            if got == 0 {
                return Ok(false);
            }
            let ty_raw = [head[0], head[1], head[2], head[3]];
            if ty_raw == [0x0a, 0x0d, 0x0d, 0x0a] && got == 12 {
                self.big_endian = head[8..12] == [0x1a, 0x2b, 0x3c, 0x4d];
            }
            self.out.extend_from_slice(&head[..got]);
            if got < 12 {
                return Ok(true); // cut short: pcap-file says so
            }
            let ty = self.u32(&head[0..4]);
            let len = self.u32(&head[4..8]);
            self.note_block(ty, at);
            if !(12..=MAX_BLOCK).contains(&len) || !len.is_multiple_of(4) {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("a pcapng block claims {len} bytes"),
                ));
            }
            (&mut self.inner)
                .take(len as u64 - 12)
                .read_to_end(&mut self.out)?;
            if self.out.len() < len as usize {
                return Ok(true); // cut short
            }
            // Where the options start in each block ringside uses (pcapng spec, section 4).
            let opts_at = match ty {
                0x0a0d_0d0a => 24,
                1 => 16,
                // Enhanced / obsolete packet block: options after the padded packet data.
                2 | 6 if self.out.len() >= 28 => {
                    28 + (self.u32(&self.out[20..24]) as usize).div_ceil(4) * 4
                }
                // Simple packet block (no options), or a packet block too short to hold its
                // fields: passed on as it is (pcap-file reports the latter as corrupt).
                2 | 3 | 6 => return Ok(true),
                // Name resolution, interface statistics, journal, decryption secrets, custom:
                // defined blocks ringside has no use for, dropped quietly.
                4 | 5 | 7..=10 | 0xbad | 0x4000_0bad => continue,
                _ => {
                    Oddities::bump(&self.odd.pcapng_blocks);
                    continue;
                }
            };
            if ty == 6 && self.u32(&self.out[24..28]) < self.u32(&self.out[20..24]) {
                Oddities::bump(&self.odd.orig_below_caplen);
            }
            if ty == 1 && self.out[10..12] != [0, 0] {
                // The reserved field must be 0; pcap-file refuses the file otherwise.
                self.out[10..12].copy_from_slice(&[0, 0]);
            }
            self.rewrite_options(ty, opts_at);
            return Ok(true);
        }
    }

    /// Keep the well-formed options ringside reads, close them with an end-of-options marker,
    /// and fix both block length fields.
    fn rewrite_options(&mut self, ty: u32, at: usize) {
        let end = self.out.len() - 4;
        if at > end {
            return; // data runs past the block: pcap-file reports the corrupt block
        }
        let mut kept = Vec::new();
        let mut p = at;
        while p + 4 <= end {
            let code = self.u16(&self.out[p..]);
            let len = self.u16(&self.out[p + 2..]) as usize;
            if code == 0 {
                break;
            }
            let body = p + 4..p + 4 + len;
            if body.end > end {
                Oddities::bump(&self.odd.pcapng_options);
                break;
            }
            let v = &self.out[body.clone()];
            let keep = match (ty, code) {
                (_, 1) => std::str::from_utf8(v).is_ok(), // opt_comment
                (1, 9) => len == 1,                       // if_tsresol
                (6, 2) => len == 4,                       // epb_flags
                _ => false,
            };
            if keep {
                kept.extend_from_slice(&self.out[p..body.end]);
                kept.resize(kept.len().div_ceil(4) * 4, 0);
            } else if !matches!((ty, code), (0x0a0d_0d0a, 2..=4) | (1, 2..=15) | (6, 2..=7)) {
                // Options the spec defines but ringside has no use for are dropped silently;
                // others are odd.
                Oddities::bump(&self.odd.pcapng_options);
            }
            p = body.start + len.div_ceil(4) * 4;
        }
        if !kept.is_empty() {
            kept.extend_from_slice(&[0, 0, 0, 0]); // opt_endofopt
        }
        let new_len = (at + kept.len() + 4) as u32;
        self.out.truncate(at);
        self.out.extend_from_slice(&kept);
        let l = self.put_u32(new_len);
        self.out.extend_from_slice(&l);
        self.out[4..8].copy_from_slice(&l);
    }
}

impl<R: Read> Read for PcapNgRepair<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.out.len() && !self.next_block()? {
            return Ok(0);
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// The link types ringside decodes: Ethernet, Linux cooked captures (`tcpdump -i any`) and bare
/// IP datagrams; anything else is refused with its name.
fn check_link_type(path: &Path, dl: DataLink) -> Result<LinkKind, ReadError> {
    LinkKind::from_linktype(u32::from(dl)).ok_or_else(|| ReadError::UnsupportedLinkType {
        path: path.to_path_buf(),
        link: dl,
    })
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
    pub fn create(path: &Path) -> Result<Self, WriteError> {
        let file = File::create(path).map_err(|source| WriteError::Create {
            path: path.to_path_buf(),
            source,
        })?;
        let header = PcapHeader {
            datalink: DataLink::ETHERNET,
            snaplen: SNAPLEN,
            ts_resolution: TsResolution::MicroSecond,
            ..PcapHeader::default()
        };
        let writer = PcapWriter::with_header(BufWriter::new(file), header).map_err(|e| {
            WriteError::Headers {
                path: path.to_path_buf(),
                detail: e.to_string(),
            }
        })?;
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
