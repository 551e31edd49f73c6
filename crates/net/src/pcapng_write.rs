//! Writing captures: pcapng with ringside's recorded verdicts (the default), or classic pcap when
//! the file name ends in `.pcap` (what tcpdump users expect from that name; it has no room for
//! comments, so the verdicts are left out and the caller says so).
//!
//! The pcapng file is one section: a Section Header Block whose `shb_comment` names ringside, its
//! version and its address and whose `shb_userappl` is `ringside X.Y.Z`; one Interface Description
//! Block (Ethernet, `if_tsresol` 9: nanoseconds); then one Enhanced Packet Block per frame whose
//! `opt_comment` is the frame's [`FrameNote`] (see [`crate::recorded`] for its format).
//! pcap-file 2 writes the blocks and their options.
use crate::link::frame::FrameSink;
use crate::pcap::{PcapRecorder, WriteError, SNAPLEN};
use crate::recorded::{self, FrameNote};
use crate::stack::StackConfig;
use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::section_header::{SectionHeaderBlock, SectionHeaderOption};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::{DataLink, Endianness};
use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// if_tsresol 9: timestamps in nanoseconds (pcap-file writes an EPB's time as nanoseconds).
const TS_RESOL_NANOS: u8 = 9;

/// Writes a pcapng file with one comment per frame, as frames come.
pub struct PcapNgRecorder {
    writer: Option<PcapNgWriter<BufWriter<File>>>,
    path: PathBuf,
    frames: u64,
    /// The comment being written (reused: no allocation per frame once warm).
    comment: String,
}

impl PcapNgRecorder {
    /// Create `path` and write the section and interface headers. `host` is the ringside the
    /// capture is recorded by (its address goes in the section comment).
    pub fn create(path: &Path, host: &StackConfig) -> Result<Self, WriteError> {
        let file = File::create(path).map_err(|source| WriteError::Create {
            path: path.to_path_buf(),
            source,
        })?;
        let cannot = |e: pcap_file::PcapError| WriteError::Headers {
            path: path.to_path_buf(),
            detail: e.to_string(),
        };
        let section = SectionHeaderBlock {
            // Fixed, not native: the lesson captures regenerate byte for byte on any machine.
            endianness: Endianness::Little,
            major_version: 1,
            minor_version: 0,
            section_length: -1,
            options: vec![
                SectionHeaderOption::Comment(Cow::Owned(recorded::section_comment(host))),
                SectionHeaderOption::UserApplication(Cow::Owned(recorded::user_application())),
            ],
        };
        let mut writer =
            PcapNgWriter::with_section_header(BufWriter::new(file), section).map_err(cannot)?;
        writer
            .write_pcapng_block(InterfaceDescriptionBlock {
                linktype: DataLink::ETHERNET,
                snaplen: SNAPLEN,
                options: vec![InterfaceDescriptionOption::IfTsResol(TS_RESOL_NANOS)],
            })
            .map_err(cannot)?;
        Ok(PcapNgRecorder {
            writer: Some(writer),
            path: path.to_path_buf(),
            frames: 0,
            comment: String::new(),
        })
    }

    /// Append one frame (cut at [`SNAPLEN`]; `orig_len` keeps its real length) with its note.
    pub fn write(
        &mut self,
        ts: Duration,
        data: &[u8],
        orig_len: u32,
        note: Option<&FrameNote>,
    ) -> std::io::Result<()> {
        let Some(w) = self.writer.as_mut() else {
            return Err(std::io::Error::other("recorder already finished"));
        };
        let data = &data[..data.len().min(SNAPLEN as usize)];
        let mut options = Vec::new();
        if let Some(n) = note {
            n.write_comment(&mut self.comment);
            options.push(EnhancedPacketOption::Comment(Cow::Borrowed(&self.comment)));
        }
        w.write_pcapng_block(EnhancedPacketBlock {
            interface_id: 0,
            timestamp: ts,
            original_len: orig_len.max(data.len() as u32),
            data: Cow::Borrowed(data),
            options,
        })
        .map_err(|e| std::io::Error::other(e.to_string()))?;
        self.frames += 1;
        Ok(())
    }

    /// Flush to disk; further writes fail.
    pub fn close(&mut self) -> std::io::Result<()> {
        if let Some(w) = self.writer.take() {
            w.into_inner().flush()?;
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

impl Drop for PcapNgRecorder {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

/// Which file format a name asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptureFormat {
    /// Classic pcap (`.pcap`): every tool opens it, but it has no comments.
    Pcap,
    /// pcapng with recorded verdicts: any other name.
    PcapNg,
}

impl CaptureFormat {
    /// `.pcap` (any case) gives classic pcap, anything else pcapng.
    pub fn for_path(path: &Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("pcap") => CaptureFormat::Pcap,
            _ => CaptureFormat::PcapNg,
        }
    }
}

/// A recording in the format its file name asks for (see [`CaptureFormat::for_path`]).
pub enum Recorder {
    Pcap(PcapRecorder),
    PcapNg(PcapNgRecorder),
}

impl Recorder {
    pub fn create(path: &Path, host: &StackConfig) -> Result<Self, WriteError> {
        Ok(match CaptureFormat::for_path(path) {
            CaptureFormat::Pcap => Recorder::Pcap(PcapRecorder::create(path)?),
            CaptureFormat::PcapNg => Recorder::PcapNg(PcapNgRecorder::create(path, host)?),
        })
    }

    /// For a classic pcap: the one line telling the user the verdicts are not in it.
    pub fn format_note(&self) -> Option<String> {
        match self {
            Recorder::Pcap(r) => Some(format!(
                "{}: classic pcap has no comments, so ringside's verdicts are not recorded \
                 (name it .pcapng to keep them)",
                r.path().display()
            )),
            Recorder::PcapNg(_) => None,
        }
    }

    pub fn write(
        &mut self,
        ts: Duration,
        data: &[u8],
        orig_len: u32,
        note: Option<&FrameNote>,
    ) -> std::io::Result<()> {
        match self {
            Recorder::Pcap(r) => r.write(ts, data, orig_len),
            Recorder::PcapNg(r) => r.write(ts, data, orig_len, note),
        }
    }

    pub fn close(&mut self) -> std::io::Result<()> {
        match self {
            Recorder::Pcap(r) => r.close(),
            Recorder::PcapNg(r) => r.close(),
        }
    }

    pub fn frames(&self) -> u64 {
        match self {
            Recorder::Pcap(r) => r.frames(),
            Recorder::PcapNg(r) => r.frames(),
        }
    }

    pub fn path(&self) -> &Path {
        match self {
            Recorder::Pcap(r) => r.path(),
            Recorder::PcapNg(r) => r.path(),
        }
    }
}

impl FrameSink for Recorder {
    fn write_frame(
        &mut self,
        ts: Duration,
        data: &[u8],
        orig_len: u32,
        note: Option<&FrameNote>,
    ) -> std::io::Result<()> {
        self.write(ts, data, orig_len, note)
    }
    fn finish(&mut self) -> std::io::Result<()> {
        self.close()
    }
}
