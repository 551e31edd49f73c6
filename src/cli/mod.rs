//! The command line. One file per subcommand, each with its own clap `Args` and `run`; the stack's
//! own settings ([`StackArgs`]) are shared by every command that runs the stack on frames.
use crate::stack::StackConfig;
use clap::{Args, Parser, Subcommand};
use std::net::Ipv4Addr;
use std::time::Duration;

pub mod completions;
pub mod config;
pub mod copies;
pub mod cstruct;
pub mod demo;
pub mod dump;
pub mod dump_text;
pub mod dump_tree;
pub mod lab;
pub mod lesson;
pub mod live;
pub mod man;
pub mod replay;
pub mod respond;
pub mod userns;

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
    /// Colours: dark (default), light (light terminal), high-contrast (projector), no-color.
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "THEME",
        hide_possible_values = true
    )]
    pub theme: Option<crate::ui::text::Theme>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the classroom lesson on a simulated LAN (no root, no NIC). The default.
    Demo(demo::DemoArgs),
    /// Open lesson N of LESSONS.md (its capture or the simulated LAN) with a caption.
    Lesson(lesson::LessonArgs),
    /// Browse a pcap/pcapng capture in the TUI.
    Replay(replay::ReplayArgs),
    /// Print every frame of a capture: a summary line per frame in a terminal, TSV (every
    /// decoded field) in a pipe or with --tsv, a tree of headers with -V.
    #[command(disable_version_flag = true)]
    Dump(dump::DumpArgs),
    /// Feed a capture through the stack offline and write what it would have sent.
    Respond(respond::RespondArgs),
    /// Run the stack on a real interface (AF_PACKET ring, netmap or TAP). Needs root.
    Live(live::LiveArgs),
    /// Build, enter or remove the two-namespace veth lab for `live` (with or without root).
    Lab(lab::LabArgs),
    /// Print the course's C structs (udp, icmp, arp) with offsets, sizes and compiler checks.
    Struct(cstruct::StructArgs),
    /// Measure where a received frame's copies go: UDP socket vs AF_PACKET vs mmap ring. Needs root.
    Copies(copies::CopiesArgs),
    /// Print the manual page (roff; `ringside man | man -l -`).
    Man(man::ManArgs),
    /// Print a shell completion script (bash, zsh, fish, ...).
    Completions(completions::CompletionsArgs),
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

/// The stack's address, MAC and responders: the same flags, parsed the same way, wherever the
/// stack answers frames (`respond`, `replay`, `live`).
#[derive(Args, Debug, Clone, PartialEq)]
pub struct StackArgs {
    /// ringside's own IPv4 address and prefix length (a bare address means /24). Default for
    /// `respond` and `replay`: 198.51.100.2/24 (the lessons' address); `live` needs it given,
    /// and the kernel must not own it on the interface.
    #[arg(long, value_name = "A/P", value_parser = parse_ipv4_prefix)]
    pub ip: Option<(Ipv4Addr, u8)>,

    /// ringside's MAC address. Default for `respond` and `replay`: 02:52:53:00:00:02; for `live`,
    /// the interface's own (afpacket, netmap), or a random locally administered 02:... one (tap:
    /// the kernel end already uses the interface's).
    #[arg(long, value_name = "MAC", value_parser = parse_mac_arg)]
    pub mac: Option<[u8; 6]>,

    /// Seconds a learned ARP entry lives in ringside's cache (fractions allowed, e.g. 0.5).
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_seconds)]
    pub arp_timeout: Duration,

    /// Start with the ARP responder off (nobody learns ringside's MAC).
    #[arg(long)]
    pub no_arp: bool,

    /// Start with the ICMP echo responder off.
    #[arg(long)]
    pub no_icmp: bool,

    /// Answer echo requests sent to a broadcast address (Linux ignores them by default).
    #[arg(long)]
    pub broadcast_echo: bool,

    /// Make ringside a member of VLAN ID (1-4094; repeat for more): frames tagged with it are
    /// answered, tagged the same way. Stacked tags are OUTER.INNER (e.g. 100.200, like Linux's
    /// eth0.100.200). Without it ringside is an untagged host: tagged frames are dropped
    /// (vlan_not_member).
    #[arg(long = "vlan", value_name = "ID", value_parser = parse_vlan)]
    pub vlan: Vec<VlanPath>,
}

/// One `--vlan`: the VLAN IDs of a frame's tags, outermost first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VlanPath(pub Vec<u16>);

/// `100` or `100.200` (at most as many tags as the stack follows), each ID 1 to 4094 (0 marks
/// a priority-only tag and 4095 is reserved, IEEE 802.1Q).
pub fn parse_vlan(s: &str) -> Result<VlanPath, String> {
    let ids: Vec<&str> = s.split('.').collect();
    if ids.len() > crate::wire::MAX_VLAN_TAGS {
        return Err(format!(
            "{s:?}: at most {} stacked VLAN IDs",
            crate::wire::MAX_VLAN_TAGS
        ));
    }
    ids.iter()
        .map(|id| match id.parse::<u16>() {
            Ok(n) if (1..=4094).contains(&n) && id.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
            _ => Err(format!(
                "{s:?} is not a VLAN ID (expected 1 to 4094, or OUTER.INNER e.g. 100.200)"
            )),
        })
        .collect::<Result<Vec<u16>, String>>()
        .map(VlanPath)
}

impl Default for StackArgs {
    fn default() -> Self {
        StackArgs {
            ip: None,
            mac: None,
            arp_timeout: StackConfig::default().arp_timeout,
            no_arp: false,
            no_icmp: false,
            broadcast_echo: false,
            vlan: Vec::new(),
        }
    }
}

impl StackArgs {
    /// The stack configuration these flags describe; what was not given comes from `base`
    /// (whose `ip`, `prefix` and `mac` are the command's defaults). Usage errors for an address
    /// the stack cannot be (0.0.0.0, broadcast, multicast, /0) or a multicast MAC.
    pub fn config(&self, base: StackConfig) -> Result<StackConfig, UsageError> {
        let (ip, prefix) = self.ip.unwrap_or((base.ip, base.prefix));
        if ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast() || prefix == 0 {
            return Err(UsageError(format!(
                "--ip {ip}/{prefix}: not a usable host address"
            )));
        }
        let mac = self.mac.unwrap_or(base.mac);
        if mac[0] & 1 != 0 || mac == [0; 6] {
            return Err(UsageError(format!(
                "--mac {}: must be a unicast address",
                crate::wire::mac_to_string(&mac)
            )));
        }
        Ok(StackConfig {
            ip,
            prefix,
            mac,
            arp_timeout: self.arp_timeout,
            arp_responder: !self.no_arp,
            icmp_responder: !self.no_icmp,
            answer_broadcast_echo: self.broadcast_echo,
            vlans: if self.vlan.is_empty() {
                base.vlans
            } else {
                self.vlan.iter().map(|v| v.0.clone()).collect()
            },
            ..base
        })
    }
}

/// Open the capture a command reads (`dump`, `respond`, `replay`, `lesson`). Whatever is wrong
/// with it (missing, unreadable, a directory, not a pcap/pcapng, not Ethernet) is the user's to
/// fix, so it is a [`UsageError`] (exit 2) whose message says what to give instead.
pub fn open_capture(path: &std::path::Path) -> anyhow::Result<crate::pcap::CaptureReader> {
    use std::io::ErrorKind;
    const GIVE: &str = "give the path to a pcap or pcapng file";
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| {
        UsageError(match e.kind() {
            ErrorKind::NotFound => format!("{shown}: no such file ({GIVE})"),
            ErrorKind::PermissionDenied => {
                format!("{shown}: permission denied ({GIVE} you may read)")
            }
            _ => format!("{shown}: cannot open: {e} ({GIVE})"),
        })
    })?;
    if meta.is_dir() {
        return Err(UsageError(format!("{shown}: is a directory ({GIVE})")).into());
    }
    crate::pcap::CaptureReader::open(path).map_err(|e| {
        use crate::pcap::ReadError;
        UsageError(match &e {
            ReadError::Open { source, .. } if source.kind() == ErrorKind::PermissionDenied => {
                format!("{shown}: permission denied ({GIVE} you may read)")
            }
            ReadError::Open { source, .. } => format!("{e}: {source} ({GIVE})"),
            // The reader's own verdicts (not a capture, bad header, not Ethernet) say it already.
            _ => e.to_string(),
        })
        .into()
    })
}

/// Seconds, fractions allowed: `60`, `0.5`. Positive and at most a day.
pub fn parse_seconds(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds (e.g. 60 or 0.5)"))?;
    if !(v > 0.0 && v <= 86_400.0) {
        return Err(format!(
            "{s} seconds is out of range: use more than 0, at most 86400"
        ));
    }
    Ok(Duration::from_secs_f64(v))
}

/// `198.51.100.2/24` (a bare address means /24, the lab's prefix).
pub fn parse_ipv4_prefix(s: &str) -> Result<(Ipv4Addr, u8), String> {
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

/// A clap error on one line, like every other error: its message, without the usage block and
/// the hints after it (`--help` has them).
fn clap_error_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let head = text.split("\n\n").next().unwrap_or_default();
    let msg = head
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let msg = msg.strip_prefix("error: ").unwrap_or(&msg).to_string();
    format!("{msg} (see --help)")
}

/// Parse the command line and run it. Returns the process exit code.
pub fn main() -> i32 {
    // Like other command-line tools, end quietly when a reader goes away (`ringside dump x |
    // head`) instead of panicking on the failed write. Rust starts programs with SIGPIPE ignored.
    // Before any thread exists.
    crate::sys::default_action(libc::SIGPIPE);
    let config = match config::load() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ringside: error: {e}");
            return 2;
        }
    };
    // The configuration's values are the flags' defaults, so a flag still wins.
    use clap::{CommandFactory, FromArgMatches};
    let parsed = config
        .apply(Cli::command())
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(), // --help, --version
        Err(e) => {
            eprintln!("ringside: error: {}", clap_error_line(&e));
            return 2;
        }
    };
    // The flag, else the config file, else NO_COLOR (https://no-color.org), else dark.
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme = cli.theme.or(config.theme).unwrap_or(if no_color {
        crate::ui::text::Theme::NoColor
    } else {
        crate::ui::text::Theme::Dark
    });
    crate::ui::text::set_theme(theme);
    let result = match cli.command {
        None => demo::run(config.demo_args()),
        Some(Command::Demo(a)) => demo::run(a),
        Some(Command::Lesson(a)) => lesson::run(a),
        Some(Command::Replay(a)) => replay::run(a),
        Some(Command::Dump(a)) => dump::run(a),
        Some(Command::Respond(a)) => respond::run(a),
        Some(Command::Live(a)) => live::run(a),
        Some(Command::Lab(a)) => lab::run(a),
        Some(Command::Struct(a)) => cstruct::run(a),
        Some(Command::Copies(a)) => copies::run(a),
        Some(Command::Man(a)) => man::run(a),
        Some(Command::Completions(a)) => completions::run(a),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        Cli::try_parse_from(std::iter::once("ringside").chain(args.iter().copied()))
            .map(|c| c.command.unwrap())
            .map_err(|e| e.to_string())
    }

    /// The stack flags of `respond`, `replay` and `live`, whatever the command.
    fn stack_of(cmd: Command) -> StackArgs {
        match cmd {
            Command::Respond(a) => a.stack,
            Command::Replay(a) => a.stack,
            Command::Live(a) => a.stack,
            c => panic!("no stack flags in {c:?}"),
        }
    }

    const FLAGS: &[&str] = &[
        "--ip",
        "192.0.2.10",
        "--mac",
        "02-00-5E-10-00-01",
        "--arp-timeout",
        "0.5",
        "--no-arp",
        "--no-icmp",
        "--broadcast-echo",
        "--vlan",
        "100",
        "--vlan",
        "7.4094",
    ];

    fn with(cmd: &[&str]) -> Vec<String> {
        cmd.iter().chain(FLAGS).map(|s| s.to_string()).collect()
    }

    #[test]
    fn respond_replay_and_live_take_the_same_stack_flags_the_same_way() {
        let cmds: [&[&str]; 3] = [
            &["respond", "in.pcap", "-w", "out.pcap"],
            &["replay", "in.pcap"],
            &["live", "-i", "rs0"],
        ];
        let want = StackConfig {
            ip: Ipv4Addr::new(192, 0, 2, 10),
            prefix: 24,
            mac: [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01],
            arp_timeout: Duration::from_millis(500),
            arp_responder: false,
            icmp_responder: false,
            answer_broadcast_echo: true,
            vlans: vec![vec![100], vec![7, 4094]],
            ..StackConfig::default()
        };
        for c in cmds {
            let args = with(c);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let stack = stack_of(parse(&args).unwrap_or_else(|e| panic!("{c:?}: {e}")));
            assert_eq!(stack.config(StackConfig::default()).unwrap(), want, "{c:?}");
        }
    }

    #[test]
    fn vlan_ids_outside_1_to_4094_or_too_deep_are_usage_errors() {
        for bad in ["0", "4095", "x", "", "1.", "1.2.3.4", "+1"] {
            let e = parse(&["replay", "x.pcap", "--vlan", bad]).unwrap_err();
            assert!(e.contains("VLAN ID") || e.contains("stacked"), "{bad}: {e}");
        }
        assert_eq!(parse_vlan("1.2.3"), Ok(VlanPath(vec![1, 2, 3])));
    }

    #[test]
    fn offline_commands_default_to_the_lesson_address_and_live_requires_one() {
        let s = stack_of(parse(&["replay", "x.pcap"]).unwrap());
        let cfg = s.config(StackConfig::default()).unwrap();
        assert_eq!(
            (cfg.ip, cfg.prefix, cfg.mac),
            (Ipv4Addr::new(198, 51, 100, 2), 24, [2, 0x52, 0x53, 0, 0, 2])
        );
        assert_eq!(cfg.arp_timeout, Duration::from_secs(60));
        let e = parse(&["live", "-i", "rs0"]).unwrap_err();
        assert!(e.contains("--ip"), "{e}");
    }

    #[test]
    fn bad_stack_flags_are_refused_with_what_was_expected() {
        for (flag, value, says) in [
            ("--ip", "198.51.100.2/33", "over 32"),
            ("--ip", "198.51.100/24", "not an IPv4 address"),
            ("--mac", "02:52:53:00:00", "not a MAC address"),
            ("--arp-timeout", "0", "out of range"),
            ("--arp-timeout", "-1", "out of range"),
            ("--arp-timeout", "1e30", "out of range"),
            ("--arp-timeout", "soon", "not a number of seconds"),
        ] {
            for c in [
                &["respond", "x", "-w", "y"][..],
                &["replay", "x"],
                &["live", "-i", "rs0"],
            ] {
                let joined = format!("{flag}={value}");
                let mut args = c.to_vec();
                args.push(&joined);
                if c[0] == "live" && flag != "--ip" {
                    args.extend(["--ip", "192.0.2.1/24"]);
                }
                let e = parse(&args)
                    .err()
                    .unwrap_or_else(|| panic!("{args:?} accepted"));
                assert!(e.contains(says), "{args:?}: {e}");
            }
        }
        let s = stack_of(parse(&["replay", "x", "--mac", "01:00:5e:00:00:01"]).unwrap());
        let e = s.config(StackConfig::default()).unwrap_err();
        assert!(e.0.contains("must be a unicast address"), "{e}");
        let s = stack_of(parse(&["replay", "x", "--ip", "255.255.255.255/24"]).unwrap());
        assert!(s.config(StackConfig::default()).is_err());
    }

    #[test]
    fn argument_errors_are_one_line_naming_the_problem() {
        let line = |args: &[&str]| {
            let e = Cli::try_parse_from(std::iter::once("ringside").chain(args.iter().copied()))
                .unwrap_err();
            clap_error_line(&e)
        };
        assert_eq!(
            line(&["live", "-i", "rs0", "--ip", "1.2.3.4/33"]),
            "invalid value '1.2.3.4/33' for '--ip <A/P>': prefix length 33 is over 32 (see --help)"
        );
        assert_eq!(
            line(&["live", "-i", "rs0"]),
            "the following required arguments were not provided: --ip <A/P> (see --help)"
        );
    }

    #[test]
    fn history_mb_is_one_flag_everywhere() {
        let mb = |args: &[&str]| match parse(args).unwrap() {
            Command::Demo(a) => a.history_mb,
            Command::Replay(a) => a.history_mb,
            Command::Live(a) => a.history_mb,
            c => panic!("{c:?}"),
        };
        assert_eq!(mb(&["demo", "--history-mb", "8"]), 8);
        assert_eq!(mb(&["replay", "x", "--history-mb", "8"]), 8);
        let live = ["live", "-i", "rs0", "--ip", "192.0.2.1/24"];
        assert_eq!(mb(&[&live[..], &["--history-mb", "8"]].concat()), 8);
        // The old spelling still works for live, and is not advertised.
        assert_eq!(mb(&[&live[..], &["--history-mib", "8"]].concat()), 8);
        let help = Cli::try_parse_from(["ringside", "live", "--help"])
            .unwrap_err()
            .to_string();
        assert!(
            help.contains("--history-mb") && !help.contains("history-mib"),
            "{help}"
        );
    }
}
