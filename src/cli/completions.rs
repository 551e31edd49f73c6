//! `ringside completions SHELL`: the shell's completion script, made by clap_complete from the
//! same definitions as the parser, so it never lists a flag the binary does not take.
//! bash: `source <(ringside completions bash)`; the .deb installs them for bash, zsh and fish.
use clap::{Args, CommandFactory};

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub fn run(args: CompletionsArgs) -> anyhow::Result<()> {
    let mut cmd = super::Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "ringside", &mut std::io::stdout());
    Ok(())
}
