//! `ringside replay FILE`: browse a pcap/pcapng capture in the TUI. Frames go through the capture
//! thread and a real stack, as fast as the file reads, so each frame's verdict is what ringside
//! would have answered. The file is streamed, never read whole; the title shows loading progress.
use super::UsageError;
use crate::capture::{self, CaptureOptions};
use crate::link::merge::MergedLink;
use crate::link::pcap::PcapLink;
use crate::stack::{Stack, StackConfig};
use crate::ui::{self, Mode, UiOptions};
use clap::Args;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Args, Debug, Default)]
pub struct ReplayArgs {
    /// The capture to browse (pcap or pcapng, Ethernet). Several are merged by time, each frame
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
    if history_mb == 0 {
        return Err(UsageError("--history-mb must be at least 1".into()).into());
    }
    if files.len() > usize::from(u16::MAX) {
        return Err(UsageError(format!("{} files: give at most 65535", files.len())).into());
    }
    let readers = files
        .iter()
        .map(|f| super::open_capture(f))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let link: Box<dyn crate::link::Link> = if readers.len() == 1 {
        Box::new(PcapLink::new(
            readers.into_iter().next().expect("one reader"),
        ))
    } else {
        Box::new(MergedLink::new(readers))
    };
    if !std::io::stdout().is_terminal() {
        return Err(UsageError(
            "ringside replay draws a terminal UI: run it in a terminal (for text, use `ringside dump`)"
                .into(),
        )
        .into());
    }
    let handle = capture::spawn(
        link,
        Stack::new(cfg),
        CaptureOptions {
            // A file can wait for the screen: every frame is shown (the history budget bounds
            // memory after that). The file already holds what the host sent: those frames show
            // as sent, and the stack's fresh answers are not added as extra rows (the verdict
            // column says what ringside would have done).
            handoff_capacity: Some(65_536),
            poll_timeout: Duration::from_millis(20),
            lossless: true,
            show_replies: false,
            recorded: true,
            ..CaptureOptions::default()
        },
    );
    ui::run(
        handle,
        UiOptions {
            // Several files: their names joined by " + " (the list tags frames by these).
            mode: Mode::Replay {
                file: files
                    .iter()
                    .map(|f| f.display().to_string())
                    .collect::<Vec<_>>()
                    .join(ui::SOURCE_SEP),
            },
            history_bytes: history_mb << 20,
            caption,
        },
    )
}
