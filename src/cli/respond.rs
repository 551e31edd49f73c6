//! PLACEHOLDER: `ringside respond` (to be written).
use clap::Args;

#[derive(Args, Debug, Default)]
pub struct RespondArgs {}

pub fn run(_args: RespondArgs) -> anyhow::Result<()> {
    anyhow::bail!("`ringside respond` is not built yet")
}
