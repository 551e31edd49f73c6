//! What a frame is once a link has delivered it or the stack has sent it: its direction, the
//! [`Captured`] record the UI and recorders see, and the [`FrameSink`] recorders implement. These
//! are data, not a loop: they live here, below the capture loop (`crate::capture`, which
//! re-exports them), so the pcap writers and the simulated LAN can use them without importing it.
use crate::recorded::{FrameNote, Responders};
use crate::stack::Verdict;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Received from the link.
    In,
    /// Sent by the stack.
    Out,
}

/// One frame as the UI and recorders see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Captured {
    pub ts: Duration,
    pub dir: Direction,
    pub data: Vec<u8>,
    pub orig_len: u32,
    pub csum_not_ready: bool,
    /// What the stack did with a received frame (None for frames it sent); in a replay of a
    /// capture ringside recorded, what it did then.
    pub verdict: Option<Verdict>,
    /// The responder switches when the frame was handled (what `w` records beside it).
    pub responders: Responders,
    /// Which input it came from when several are merged (`replay a.pcap b.pcap`: 0, 1, ...).
    pub source: u16,
    /// What the frame starts with (see [`crate::link::RxMeta::link`]): the screen dissects it by this.
    pub link: crate::wire::LinkKind,
}

/// Where recorded frames go (`-w FILE`). Runs on the capture thread: keep it buffered.
pub trait FrameSink: Send {
    /// One frame and what ringside did with it (a pcapng writer keeps `note` as its comment;
    /// None where nothing judged the frame, as in `--capture-only`).
    fn write_frame(
        &mut self,
        ts: Duration,
        data: &[u8],
        orig_len: u32,
        note: Option<&FrameNote>,
    ) -> std::io::Result<()>;
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
