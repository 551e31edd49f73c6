//! PLACEHOLDER: `ringside demo` (to be written).
use clap::Args;

#[derive(Args, Debug, Default)]
pub struct DemoArgs {}

pub fn run(_args: DemoArgs) -> anyhow::Result<()> {
    anyhow::bail!("`ringside demo` is not built yet")
}
