//! `ringside man [COMMAND...]` prints a manual page (roff) made from the clap definitions by
//! clap_mangen; `ringside man --out DIR` writes one page per command (ringside.1,
//! ringside-lab.1, ringside-lab-up.1, ...), as the .deb installs them. `--help` stays short:
//! the long explanations are added here, for the man pages only.
use super::UsageError;
use clap::{Args, CommandFactory};
use roff::{bold, roman, Roff};
use std::path::PathBuf;

#[derive(Args, Debug, Default)]
pub struct ManArgs {
    /// The command whose page to print, e.g. `lab up` (default: ringside's own page).
    #[arg(value_name = "COMMAND")]
    pub command: Vec<String>,
    /// Write every page into DIR instead (ringside.1, ringside-lab.1, ...).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

const TOP_LONG: &str = "ringside teaches how a network stack works by being one. It takes raw \
Ethernet frames from a memory-mapped ring (AF_PACKET TPACKET, netmap), a TAP device, a pcap or \
pcapng file, or a simulated classroom LAN; answers ARP, ICMP echo and UDP in user space; and \
shows every frame in a terminal UI, layer by layer: the RFC header diagram, the hex bytes, and \
the C struct a course would write for it, packed and padded.

Without a command it runs the demo: the classroom lesson on a simulated LAN, which needs no root \
and no network card. The lessons of LESSONS.md open with `ringside lesson N`; their captures are \
built into the binary. The real-kernel lab (`ringside lab up`) joins ringside to a Linux kernel \
in a network namespace by a veth cable; it works without root, in user namespaces of your own.";

const LESSON_LONG: &str = "Open lesson N of LESSONS.md with a one-line caption saying what \
to look at and which key to press. Lessons on captures replay a file built into the binary; \
the others run the simulated LAN. `--write-assets DIR` writes the captures and LESSONS.md out \
as files, for tshark, tcpdump or a course page.";

const LIVE_LONG: &str = "Run the stack on a real interface: frames come from an AF_PACKET ring \
(or netmap, or a TAP device), ringside answers ARP and ICMP echo for --ip in user space, and \
the kernel must not own that address on the interface (it would answer too). Loopback \
interfaces are refused. It needs CAP_NET_RAW: root, the capabilities given to the binary with \
`setcap cap_net_raw,cap_net_admin+ep`, or the user namespace of a rootless lab \
(`ringside lab exec -- ringside live -i rs0 --ip 198.51.100.2/24`).";

/// Extra sections of ringside(1): files, environment, and the other pages.
fn top_extra(cmd: &clap::Command) -> Roff {
    let mut r = Roff::new();
    r.control("SH", ["FILES"]);
    r.control("TP", []);
    r.text([bold("$XDG_CONFIG_HOME/ringside/config.toml")]);
    r.text([roman(
        "(else ~/.config/ringside/config.toml): the teacher's defaults for address, MAC, ARP \
         timeout, demo speed and theme; flags override it. See the README for its keys.",
    )]);
    r.control("TP", []);
    r.text([bold("$XDG_RUNTIME_DIR/ringside/lab-NAME.pid")]);
    r.text([roman(
        "(else /tmp/ringside-UID/): how `lab exec` and `lab shell` find a lab built without root.",
    )]);
    r.control("SH", ["ENVIRONMENT"]);
    r.control("TP", []);
    r.text([bold("RINGSIDE_CONFIG")]);
    r.text([roman(
        "Read this configuration file instead of the default one.",
    )]);
    r.control("TP", []);
    r.text([bold("NO_COLOR")]);
    r.text([roman(
        "When set and not empty, the terminal UI uses no colour.",
    )]);
    r.control("SH", ["SEE ALSO"]);
    let mut pages = Vec::new();
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        pages.push(format!("ringside-{}(1)", sub.get_name()));
    }
    pages.extend(["ping(8)".into(), "ip-netns(8)".into(), "tcpdump(8)".into()]);
    r.text([roman(pages.join(", "))]);
    r
}

/// The command tree with the man pages' long descriptions.
pub fn command() -> clap::Command {
    let mut cmd = super::Cli::command()
        .long_about(TOP_LONG)
        .disable_help_subcommand(true)
        .mut_subcommand("lesson", |c| c.long_about(LESSON_LONG))
        .mut_subcommand("live", |c| c.long_about(LIVE_LONG))
        .mut_subcommand("lab", |c| {
            c.long_about(super::lab::LAB_LONG)
                .mut_subcommand("up", |c| c.long_about(super::lab::UP_LONG))
                .mut_subcommand("exec", |c| c.long_about(super::lab::EXEC_LONG))
        });
    cmd.build();
    cmd
}

/// One page, as roff.
fn page(cmd: &clap::Command, top: bool) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .manual("ringside manual")
        .source(format!("ringside {}", env!("CARGO_PKG_VERSION")))
        .render(&mut out)?;
    if top {
        top_extra(cmd).to_writer(&mut out)?;
    }
    Ok(out)
}

/// Every page of the tree under `cmd`: (file name, roff).
pub fn all_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    fn walk(
        cmd: &clap::Command,
        top: bool,
        out: &mut Vec<(String, Vec<u8>)>,
    ) -> std::io::Result<()> {
        let name = cmd.get_display_name().unwrap_or(cmd.get_name());
        out.push((format!("{name}.1"), page(cmd, top)?));
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            walk(sub, false, out)?;
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(&command(), true, &mut out)?;
    Ok(out)
}

pub fn run(args: ManArgs) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::io::Write;
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        for (name, roff) in all_pages()? {
            let path = dir.join(name);
            std::fs::write(&path, roff).with_context(|| format!("writing {}", path.display()))?;
            println!("{}", path.display());
        }
        return Ok(());
    }
    let mut cmd = command();
    for word in &args.command {
        cmd = cmd.find_subcommand(word).cloned().ok_or_else(|| {
            UsageError(format!(
                "no manual page for `{}`: see `ringside man --out DIR` for the list",
                args.command.join(" ")
            ))
        })?;
    }
    std::io::stdout().write_all(&page(&cmd, args.command.is_empty())?)?;
    Ok(())
}
