//! `ringside replay FILE`: browse a pcap/pcapng capture in the TUI. Frames go through the capture
//! thread and a real stack, as fast as the file reads, so each frame's verdict is what ringside
//! would have answered. The file is streamed, never read whole; the title shows loading progress.
use super::UsageError;
use crate::capture::{self, CaptureOptions};
use crate::link::pcap::PcapLink;
use crate::stack::{Stack, StackConfig};
use crate::ui::{self, Mode, UiOptions};
use clap::Args;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Args, Debug, Default)]
pub struct ReplayArgs {
    /// The capture to browse (pcap or pcapng, Ethernet).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
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
    open(&args.file, args.history_mb, cfg, None)
}

/// Browse `file` through a stack configured as `cfg`, with an optional caption line (lessons use
/// it).
pub fn open(
    file: &Path,
    history_mb: usize,
    cfg: StackConfig,
    caption: Option<String>,
) -> anyhow::Result<()> {
    if history_mb == 0 {
        return Err(UsageError("--history-mb must be at least 1".into()).into());
    }
    let reader = super::open_capture(file)?;
    if let Some(kind) = reader
        .file_link()
        .filter(|k| *k != crate::pcap::LinkKind::Ethernet)
    {
        // The stack answers Ethernet frames and the screen draws them: a cooked or raw-IP
        // capture has no MACs to answer to (see `respond`); dump decodes it.
        return Err(UsageError(format!(
            "{}: a {kind:?} capture: replay feeds Ethernet frames to the stack; `ringside dump {}` decodes it",
            file.display(),
            file.display()
        ))
        .into());
    }
    let link = PcapLink::new(reader);
    if !std::io::stdout().is_terminal() {
        return Err(UsageError(
            "ringside replay draws a terminal UI: run it in a terminal (for text, use `ringside dump`)"
                .into(),
        )
        .into());
    }
    let handle = capture::spawn(
        Box::new(link),
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
            mode: Mode::Replay {
                file: file.display().to_string(),
            },
            history_bytes: history_mb << 20,
            caption,
        },
    )
}
