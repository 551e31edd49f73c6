//! PLACEHOLDER: the ratatui front end (to be written).
use crate::capture::CaptureHandle;

/// What the screen is showing, for the title bar and which panels make sense.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    Demo,
    Live { interface: String },
    Replay { file: String },
}

pub struct UiOptions {
    pub mode: Mode,
    /// History memory budget in bytes (oldest frames evicted beyond it).
    pub history_bytes: usize,
}

/// Run the TUI until the user quits. Consumes frames from `capture` and sends it controls.
pub fn run(_capture: CaptureHandle, _opts: UiOptions) -> anyhow::Result<()> {
    anyhow::bail!("the terminal UI is not built yet")
}
