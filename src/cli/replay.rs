//! PLACEHOLDER: `ringside replay` (to be written).
use clap::Args;

#[derive(Args, Debug, Default)]
pub struct ReplayArgs {}

pub fn run(_args: ReplayArgs) -> anyhow::Result<()> {
    anyhow::bail!("`ringside replay` is not built yet")
}
