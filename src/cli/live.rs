//! PLACEHOLDER: `ringside live` (to be written).
use clap::Args;

#[derive(Args, Debug, Default)]
pub struct LiveArgs {}

pub fn run(_args: LiveArgs) -> anyhow::Result<()> {
    anyhow::bail!("`ringside live` is not built yet")
}
