//! PLACEHOLDER: `ringside lab` (to be written).
use clap::Args;

#[derive(Args, Debug, Default)]
pub struct LabArgs {}

pub fn run(_args: LabArgs) -> anyhow::Result<()> {
    anyhow::bail!("`ringside lab` is not built yet")
}
