//! The command line. One file per subcommand, each with its own clap `Args` and `run`.
use clap::{Parser, Subcommand};

pub mod demo;
pub mod dump;
pub mod lab;
pub mod lesson;
pub mod live;
pub mod replay;
pub mod respond;

#[derive(Parser, Debug)]
#[command(
    name = "ringside",
    version,
    about = "A user-space network stack you can watch: raw Ethernet frames answered in user space, shown layer by layer",
    long_about = None,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the classroom lesson on a simulated LAN (no root, no NIC). The default.
    Demo(demo::DemoArgs),
    /// Open lesson N of LESSONS.md (its capture or the simulated LAN) with a caption.
    Lesson(lesson::LessonArgs),
    /// Browse a pcap/pcapng capture in the TUI.
    Replay(replay::ReplayArgs),
    /// Print every frame of a capture, one line per frame, with every decoded field.
    Dump(dump::DumpArgs),
    /// Feed a capture through the stack offline and write what it would have sent.
    Respond(respond::RespondArgs),
    /// Run the stack on a real interface (AF_PACKET ring, netmap or TAP). Needs root.
    Live(live::LiveArgs),
    /// Build or remove the two-namespace veth lab for `live`. Needs root.
    Lab(lab::LabArgs),
}

/// A failure the user caused (bad arguments, missing file): exit code 2 instead of 1.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for UsageError {}

/// `198.51.100.2/24` (a bare address means /24, the lab's prefix).
pub fn parse_ipv4_prefix(s: &str) -> Result<(std::net::Ipv4Addr, u8), String> {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (
            a,
            p.parse::<u8>()
                .map_err(|_| format!("bad prefix length in {s:?}"))?,
        ),
        None => (s, 24),
    };
    if prefix > 32 {
        return Err(format!("prefix length {prefix} is over 32"));
    }
    let addr = addr
        .parse()
        .map_err(|_| format!("{addr:?} is not an IPv4 address (expected e.g. 198.51.100.2/24)"))?;
    Ok((addr, prefix))
}

/// `02:52:53:00:00:02`, for clap's value_parser.
pub fn parse_mac_arg(s: &str) -> Result<[u8; 6], String> {
    crate::wire::parse_mac(s)
        .ok_or_else(|| format!("{s:?} is not a MAC address (expected e.g. 02:52:53:00:00:02)"))
}

/// Parse the command line and run it. Returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let result = match cli.command {
        None => demo::run(demo::DemoArgs::default()),
        Some(Command::Demo(a)) => demo::run(a),
        Some(Command::Lesson(a)) => lesson::run(a),
        Some(Command::Replay(a)) => replay::run(a),
        Some(Command::Dump(a)) => dump::run(a),
        Some(Command::Respond(a)) => respond::run(a),
        Some(Command::Live(a)) => live::run(a),
        Some(Command::Lab(a)) => lab::run(a),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            // One line: the error and its causes, joined.
            let msg = format!("{e:#}").replace('\n', " ");
            eprintln!("ringside: error: {msg}");
            if e.downcast_ref::<UsageError>().is_some() {
                2
            } else {
                1
            }
        }
    }
}
