//! `ringside replay FILE...`: browse pcap/pcapng captures in the TUI. Frames go through the
//! capture thread and a real stack, as fast as the file reads, so each frame's verdict is what
//! ringside would have answered. A capture ringside wrote (pcapng with its notes, see
//! [`crate::recorded`]) shows the verdicts it recorded instead, as they happened; `J` reads the
//! files again and judges every frame with the current settings (and back). Several files are
//! merged by time, each frame tagged with its file. Files are streamed, never read whole; the
//! title shows loading progress and which verdicts are shown.
use super::UsageError;
use crate::capture::{self, CaptureHandle, CaptureOptions};
use crate::link::merge::MergedLink;
use crate::link::pcap::PcapLink;
use crate::link::Link;
use crate::pcap::index::FrameIndex;
use crate::pcap::CaptureReader;
use crate::stack::{Stack, StackConfig};
use crate::ui::{self, Mode, UiOptions};
use clap::Args;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

#[derive(Args, Debug, Default)]
pub struct ReplayArgs {
    /// The capture to browse (pcap or pcapng: Ethernet, Linux cooked or raw IP; only Ethernet
    /// frames are judged by the stack). Several are merged by time, each frame
    /// tagged with its file (like `mergecap`).
    #[arg(value_name = "FILE", required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// Memory for the frame history, in MiB (the oldest frames are dropped beyond it).
    #[arg(long, value_name = "MB", default_value_t = 256)]
    pub history_mb: usize,
    /// Who ringside is in this capture: with your own capture, give the address and MAC the
    /// frames were sent to, and the verdicts show what ringside would have answered there.
    #[command(flatten)]
    pub stack: super::StackArgs,
}

pub fn run(args: ReplayArgs) -> anyhow::Result<()> {
    let cfg = args.stack.config(StackConfig::default())?;
    open_many(&args.files, args.history_mb, cfg, None)
}

/// Browse `file` through a stack configured as `cfg`, with an optional caption line (lessons use
/// it).
pub fn open(
    file: &Path,
    history_mb: usize,
    cfg: StackConfig,
    caption: Option<String>,
) -> anyhow::Result<()> {
    open_many(&[file.to_path_buf()], history_mb, cfg, caption)
}

/// Browse `files` merged by time (one file: as it is).
pub fn open_many(
    files: &[PathBuf],
    history_mb: usize,
    cfg: StackConfig,
    caption: Option<String>,
) -> anyhow::Result<()> {
    if files.len() > usize::from(u16::MAX) {
        return Err(UsageError(format!("{} files: give at most 65535", files.len())).into());
    }
    // Several files: their names joined by " + " (the list tags frames by these).
    let name = files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(ui::SOURCE_SEP);
    let mut reopen = || {
        files
            .iter()
            .map(|f| super::open_capture(f))
            .collect::<anyhow::Result<Vec<_>>>()
    };
    // One file: indexed in the background, so every frame can be listed and jumped to at once
    // (the judge pass follows). Several files keep the merged stream: the history shows what it
    // holds of them.
    let one = match files {
        [one] => Some(one.as_path()),
        _ => None,
    };
    browse_indexed(&mut reopen, name, history_mb, cfg, caption, one)
}

/// Browse the captures `reopen` opens from their start (files, or a lesson's capture embedded
/// in the binary): once to show them, and again each time `J` switches between recorded and
/// fresh verdicts. `name` is what the title calls them.
pub fn browse(
    reopen: &mut dyn FnMut() -> anyhow::Result<Vec<CaptureReader>>,
    name: String,
    history_mb: usize,
    cfg: StackConfig,
    caption: Option<String>,
) -> anyhow::Result<()> {
    browse_indexed(reopen, name, history_mb, cfg, caption, None)
}

/// [`browse`], with `indexed`'s index when it is one file on disk.
fn browse_indexed(
    reopen: &mut dyn FnMut() -> anyhow::Result<Vec<CaptureReader>>,
    name: String,
    history_mb: usize,
    cfg: StackConfig,
    caption: Option<String>,
    indexed: Option<&Path>,
) -> anyhow::Result<()> {
    if history_mb == 0 {
        return Err(UsageError("--history-mb must be at least 1".into()).into());
    }
    let first = reopen()?;
    if !std::io::stdout().is_terminal() {
        return Err(UsageError(
            "ringside replay draws a terminal UI: run it in a terminal (for text, use `ringside dump`)"
                .into(),
        )
        .into());
    }
    let index = match indexed {
        Some(p) => Some(Arc::new(FrameIndex::build(p)?)),
        None => None,
    };
    let handle = spawn_merged(first, cfg.clone(), true);
    let mut restart =
        |recorded_verdicts: bool| Ok(spawn_merged(reopen()?, cfg.clone(), recorded_verdicts));
    ui::run_indexed(
        handle,
        UiOptions {
            mode: Mode::Replay { file: name },
            history_bytes: history_mb << 20,
            caption,
        },
        Some(&mut restart),
        index,
    )
}

/// The capture thread over `readers` (merged by time when there are several).
fn spawn_merged(
    mut readers: Vec<CaptureReader>,
    cfg: StackConfig,
    recorded_verdicts: bool,
) -> CaptureHandle {
    let link: Box<dyn Link> = if readers.len() == 1 {
        Box::new(PcapLink::new(readers.remove(0)))
    } else {
        Box::new(MergedLink::new(readers))
    };
    capture::spawn(link, Stack::new(cfg), replay_options(recorded_verdicts))
}

/// The capture thread over `reader` as `replay` runs it. `recorded_verdicts`: show the verdicts
/// a capture ringside wrote carries (where it has them); false judges every frame again.
pub fn spawn(reader: CaptureReader, cfg: StackConfig, recorded_verdicts: bool) -> CaptureHandle {
    spawn_merged(vec![reader], cfg, recorded_verdicts)
}

/// How `replay` runs the capture thread.
pub fn replay_options(recorded_verdicts: bool) -> CaptureOptions {
    CaptureOptions {
        // A file can wait for the screen: every frame is shown (the history budget bounds
        // memory after that). The file already holds what the host sent: those frames show
        // as sent, and the stack's fresh answers are not added as extra rows (the verdict
        // column says what ringside did, or would have done).
        handoff_capacity: Some(65_536),
        // The judge pass waits for the screen anyway (lossless): a short queue keeps a large
        // file's replay within --history-mb plus a fixed overhead.
        handoff_bytes: 8 << 20,
        poll_timeout: Duration::from_millis(20),
        lossless: true,
        show_replies: false,
        recorded: true,
        recorded_verdicts,
        ..CaptureOptions::default()
    }
}
