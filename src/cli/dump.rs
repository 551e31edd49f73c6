//! PLACEHOLDER: `ringside dump` (to be written).
use clap::Args;

#[derive(Args, Debug, Default)]
pub struct DumpArgs {}

pub fn run(_args: DumpArgs) -> anyhow::Result<()> {
    anyhow::bail!("`ringside dump` is not built yet")
}
