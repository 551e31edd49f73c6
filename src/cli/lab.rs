//! `ringside lab up|down|status`: a veth "cable" between this network namespace and a peer
//! namespace whose kernel plays the student's PC.
//!
//! ```text
//!   this namespace                       namespace ringside-peer
//!   rs0 (no IP: ringside answers)  <-->  peer0 198.51.100.1/24 (the Linux kernel answers)
//! ```
//!
//! The ringside end stays in the namespace `lab up` runs in (the root namespace on a laptop), so
//! `ringside live -i rs0 ...` just works afterwards. It gets no IPv4 address (else the kernel would
//! answer ARP and ping too) and no IPv6 (else the capture fills with router solicitations). The
//! peer's ARP timers are shortened so the neighbour-cache lesson (REACHABLE -> STALE -> DELAY ->
//! PROBE -> FAILED) takes seconds, and its TX checksum offload is off so captured UDP checksums are
//! real. Everything made is labelled with an interface alias; `down` removes only what carries it.
//!
//! Built by running iproute2's `ip` (and `sysctl`, `ethtool`) so each step is a command a teacher
//! can read and repeat by hand.
use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use std::process::Command;

#[derive(Args, Debug)]
pub struct LabArgs {
    #[command(subcommand)]
    pub action: LabAction,
}

#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum LabAction {
    /// Build the lab (or repair it). Without root: a private lab that lives while this runs.
    Up(LabUp),
    /// Remove what `up` made, and nothing else (a rootless lab: stop it).
    Down(LabNames),
    /// Say what exists.
    Status(LabNames),
    /// Run a command inside the lab: ringside's side, or the peer's with --peer.
    Exec(LabExec),
    /// A shell inside the lab: ringside's side, or the peer's with --peer.
    Shell(LabShell),
}

impl LabAction {
    /// The lab this action is about.
    pub fn name(&self) -> LabName {
        match self {
            LabAction::Up(u) => u.names.name,
            LabAction::Down(n) | LabAction::Status(n) => n.name,
            LabAction::Exec(e) => e.name,
            LabAction::Shell(s) => s.name,
        }
    }

    /// ringside's end of the cable, for the actions that take it.
    pub fn iface(&self) -> Option<IfName> {
        match self {
            LabAction::Up(u) => Some(u.names.iface),
            LabAction::Down(n) | LabAction::Status(n) => Some(n.iface),
            LabAction::Exec(_) | LabAction::Shell(_) => None,
        }
    }
}

/// The man page's description of `ringside lab`.
pub const LAB_LONG: &str = "A lab for `ringside live` against the real Linux kernel: a veth \
cable between ringside's end (rs0, with no kernel address, so only ringside answers) and a peer \
network namespace whose kernel plays the student's PC (peer0, 198.51.100.1/24, IPv6 off, its \
neighbour timers shortened so the ARP lesson takes seconds, TX checksum offload off so captured \
checksums are real). Everything it makes is marked with an interface alias, and `down` removes \
only what carries the mark. It works with root (system-wide, until `down`) and without \
(private user namespaces, while `lab up` runs).";

/// The man page's description of `ringside lab up`.
pub const UP_LONG: &str =
    "Build the lab: a veth cable between ringside's end (rs0, no kernel address) \
and a peer network namespace whose Linux kernel plays the student's PC (peer0, 198.51.100.1/24).

As root (sudo) the lab is system-wide: rs0 appears in the namespace the command runs in, the peer \
namespace is NAME-peer under /run/netns, and the lab stays until `ringside lab down`.

Without root (or with --rootless) ringside makes its own user and network namespaces, as \
`unshare --user --map-root-user --net` would, with the peer namespace inside them. That lab is \
private to you and lives as long as `ringside lab up` runs: it prints how to enter it and waits; \
Ctrl-C, `ringside lab down` or killing it removes everything. Enter it from another terminal with \
`ringside lab exec [--peer] -- CMD` or `ringside lab shell [--peer]`. This needs unprivileged user \
namespaces (kernel.unprivileged_userns_clone, user.max_user_namespaces, \
kernel.apparmor_restrict_unprivileged_userns); where they are switched off, use sudo, or have an \
administrator build the lab once and give the binary its capabilities with \
`setcap cap_net_raw,cap_net_admin+ep` so that `ringside live` runs without sudo.";

/// The man page's description of `ringside lab exec`.
pub const EXEC_LONG: &str = "Run CMD inside the lab. Without --peer it runs on ringside's side \
(where rs0 is): `ringside lab exec -- ringside live -i rs0 --ip 198.51.100.2/24`. With --peer it \
runs in the peer namespace, as the student's PC: `ringside lab exec --peer -- ping 198.51.100.2`.

For a lab built without root, this enters the user and network namespaces of the running \
`ringside lab up` (found through its pid file in $XDG_RUNTIME_DIR/ringside, else \
/tmp/ringside-UID); inside, you are root of those namespaces only, with the capabilities raw \
sockets need there. For the system-wide lab, --peer enters /run/netns/NAME-peer (needs root).";

#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct LabUp {
    #[command(flatten)]
    pub names: LabNames,
    /// Build a private lab in your own user namespace even when root.
    #[arg(long)]
    pub rootless: bool,
}

#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct LabExec {
    /// Lab name (as given to `lab up`).
    #[arg(long, default_value = "ringside")]
    pub name: LabName,
    /// Run in the peer's namespace (the student's PC) instead of ringside's side.
    #[arg(long)]
    pub peer: bool,
    /// The command and its arguments (after `--`).
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    pub command: Vec<String>,
}

#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct LabShell {
    /// Lab name (as given to `lab up`).
    #[arg(long, default_value = "ringside")]
    pub name: LabName,
    /// A shell on the peer's side (the student's PC) instead of ringside's.
    #[arg(long)]
    pub peer: bool,
}

#[derive(Args, Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabNames {
    /// Lab name: the peer namespace is NAME-peer.
    #[arg(long, default_value = "ringside")]
    pub name: LabName,
    /// ringside's end of the cable, in the namespace the command runs in.
    #[arg(long, default_value = "rs0")]
    pub iface: IfName,
}

/// A short validated name (interface names are at most 15 bytes; netns names we keep as short).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShortName {
    buf: [u8; 15],
    len: u8,
}

impl ShortName {
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len as usize]).unwrap_or("")
    }
}

fn parse_short(s: &str, max: usize) -> Result<ShortName, String> {
    let ok = !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if !ok {
        return Err(format!(
            "`{s}`: use 1 to {max} characters from a-z, A-Z, 0-9, '-', '_', '.'"
        ));
    }
    let mut buf = [0u8; 15];
    buf[..s.len()].copy_from_slice(s.as_bytes());
    Ok(ShortName {
        buf,
        len: s.len() as u8,
    })
}

pub type LabName = ShortName;
pub type IfName = ShortName;

impl std::str::FromStr for ShortName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        // 15 for interfaces; lab names get "-peer" appended, still readable at 15 + 5.
        parse_short(s, 15)
    }
}

/// Peer end's name inside the peer namespace.
pub const PEER_IF: &str = "peer0";
pub const PEER_IP: &str = "198.51.100.1";
pub const RINGSIDE_IP: &str = "198.51.100.2";
const PREFIX: u8 = 24;
const RINGSIDE_MAC: &str = "02:52:53:00:00:02";
const PEER_MAC: &str = "02:52:53:00:00:01";

/// The peer's neighbour (ARP) timers: short so the lesson happens in seconds.
const PEER_NEIGH: [(&str, &str); 6] = [
    ("base_reachable_time_ms", "5000"),
    ("delay_first_probe_time", "1"),
    ("gc_stale_time", "10"),
    ("retrans_time_ms", "500"),
    ("ucast_solicit", "2"),
    ("mcast_solicit", "2"),
];

struct Lab {
    ns: String,
    iface: String,
    alias: String,
    /// The flags to repeat in follow-up commands ("" for the defaults).
    flags: String,
}

impl Lab {
    /// ` --name NAME`, or "" for the default lab.
    fn name_flag(&self) -> String {
        match self.alias.trim_start_matches("ringside lab ") {
            "ringside" => String::new(),
            n => format!(" --name {n}"),
        }
    }

    fn new(n: &LabNames) -> Lab {
        Lab {
            ns: format!("{}-peer", n.name.as_str()),
            iface: n.iface.as_str().to_string(),
            alias: format!("ringside lab {}", n.name.as_str()),
            flags: [
                ("--name", n.name.as_str(), "ringside"),
                ("--iface", n.iface.as_str(), "rs0"),
            ]
            .iter()
            .filter(|(_, v, d)| v != d)
            .map(|(f, v, _)| format!(" {f} {v}"))
            .collect(),
        }
    }
}

/// Run a command; its stdout on success, a one-line error with its stderr otherwise.
/// Run a command; its stdout on success, a one-line error with its stderr otherwise.
fn run_command(mut cmd: Command, prog: &str, args: &[&str]) -> anyhow::Result<String> {
    let out = cmd.output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            let pkg = match prog {
                "ip" => "iproute2",
                "sysctl" => "procps",
                other => other,
            };
            anyhow::anyhow!("`{prog}` not found: install {pkg}")
        } else {
            anyhow::anyhow!("running {prog}: {e}")
        }
    })?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        bail!(
            "`{prog} {}` failed: {}",
            args.join(" "),
            err.trim().replace('\n', "; ")
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn run_cmd(prog: &str, args: &[&str]) -> anyhow::Result<String> {
    let mut cmd = Command::new(prog);
    cmd.args(args);
    run_command(cmd, prog, args)
}

fn ip(args: &[&str]) -> anyhow::Result<String> {
    run_cmd("ip", args)
}

/// Where the peer's network namespace is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum PeerNs {
    /// A named namespace in /run/netns: the system-wide lab, made as root.
    Named(String),
    /// The namespace of a process: the rootless lab's peer holder.
    Process(i32),
}

impl PeerNs {
    /// What `ip link ... netns X` takes: a name or a pid.
    fn ip_netns_arg(&self) -> String {
        match self {
            PeerNs::Named(ns) => ns.clone(),
            PeerNs::Process(pid) => pid.to_string(),
        }
    }
}

/// Run `prog args` in the peer's namespace.
fn in_peer(peer: &PeerNs, prog: &str, args: &[&str]) -> anyhow::Result<String> {
    match peer {
        PeerNs::Named(ns) if prog == "ip" => {
            let mut a = vec!["-n", ns.as_str()];
            a.extend_from_slice(args);
            ip(&a)
        }
        PeerNs::Named(ns) => {
            let mut a = vec!["netns", "exec", ns.as_str(), prog];
            a.extend_from_slice(args);
            ip(&a)
        }
        PeerNs::Process(pid) => {
            use std::os::fd::AsRawFd;
            let fd = super::userns::ns_fd(*pid, "net")?;
            let mut cmd = Command::new(prog);
            cmd.args(args);
            // `fd` outlives the spawn (run_command waits for the child).
            crate::sys::exec_in_netns(&mut cmd, fd.as_raw_fd());
            let r = run_command(cmd, prog, args);
            drop(fd);
            r
        }
    }
}

fn ns_exists(ns: &str) -> anyhow::Result<bool> {
    let list = ip(&["netns", "list"])?;
    Ok(list
        .lines()
        .any(|l| l.split_whitespace().next() == Some(ns)))
}

/// `ip -o link show` of one interface (in `ns` when given), None when it does not exist.
fn link_line(ns: Option<&str>, name: &str) -> anyhow::Result<Option<String>> {
    let mut args = Vec::new();
    if let Some(ns) = ns {
        args.extend(["-n", ns]);
    }
    args.extend(["-o", "link", "show", "dev", name]);
    match ip(&args) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.to_string().contains("does not exist") => Ok(None),
        Err(e) if ns.is_some() && e.to_string().contains("setting the network namespace") => {
            let ns = ns.unwrap_or_default();
            bail!(
                "namespace {ns} is stale (its /run/netns entry lost its namespace): remove it \
                 with `ip netns del {ns}` and run `ringside lab up` again"
            )
        }
        Err(e) => Err(e),
    }
}

fn has_alias(line: &str, alias: &str) -> bool {
    // `ip -o` prints the alias as "\    alias TEXT" at the end of the line.
    line.split("alias ")
        .nth(1)
        .is_some_and(|rest| rest.trim_end() == alias)
}

/// True when the named namespace was made by this lab: `up` labels its loopback interface with
/// the lab's alias right after creating it (older labs: only the peer end carried it).
fn ns_is_ours(ns: &str, alias: &str) -> anyhow::Result<bool> {
    for dev in ["lo", PEER_IF] {
        if link_line(Some(ns), dev)?
            .as_deref()
            .is_some_and(|l| has_alias(l, alias))
        {
            return Ok(true);
        }
    }
    Ok(false)
}

fn require_root() -> anyhow::Result<()> {
    if !super::userns::real_root() {
        bail!("needs root (CAP_NET_ADMIN) to change the system-wide lab: run with sudo");
    }
    Ok(())
}

pub fn run(args: LabArgs) -> anyhow::Result<()> {
    match args.action {
        LabAction::Up(u) if u.rootless || !super::userns::real_root() => {
            up_rootless(&Lab::new(&u.names))
        }
        LabAction::Up(u) => up(&Lab::new(&u.names)),
        LabAction::Down(n) => down(&Lab::new(&n)),
        LabAction::Status(n) => status(&Lab::new(&n)),
        LabAction::Exec(e) => enter(e.name, e.peer, &e.command),
        LabAction::Shell(s) => {
            let shell = std::env::var("SHELL")
                .ok()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "/bin/sh".into());
            let side = if s.peer {
                "the peer's side (the student's PC)"
            } else {
                "ringside's side"
            };
            eprintln!(
                "ringside: a shell in lab {} on {side}; `exit` leaves it",
                s.name.as_str()
            );
            enter(s.name, s.peer, &[shell])
        }
    }
}

/// Under `ip netns exec`, mounts are slaves of the main mount namespace: a namespace created
/// there (a bind mount in /run/netns) never becomes visible outside and dies with the command.
fn require_shared_netns_mounts() -> anyhow::Result<()> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let slave = info.lines().any(|l| {
        let f: Vec<&str> = l.split(' ').collect();
        f.get(4) == Some(&"/run/netns") && l.contains(" master:") && !l.contains(" shared:")
    });
    if slave {
        bail!(
            "cannot create the peer namespace from inside `ip netns exec` (its mounts do not \
             propagate out): run `ringside lab up` in the main namespace, or enter only the \
             network namespace with `nsenter --net=/run/netns/NAME ringside lab up`"
        );
    }
    Ok(())
}

/// Lay the cable (when `make_cable`) and set both ends up: the same steps for the system-wide
/// and the rootless lab. Returns a note when the peer's checksum offload could not be turned off.
fn wire_up(lab: &Lab, peer: &PeerNs, make_cable: bool) -> anyhow::Result<&'static str> {
    let ifc = lab.iface.as_str();
    // No IPv6 anywhere in the peer namespace: set before the interface arrives there.
    in_peer(
        peer,
        "sysctl",
        &[
            "-qw",
            "net.ipv6.conf.all.disable_ipv6=1",
            "net.ipv6.conf.default.disable_ipv6=1",
        ],
    )?;
    if make_cable {
        // Both ends at once, the peer's created directly inside its namespace.
        ip(&[
            "link",
            "add",
            ifc,
            "address",
            RINGSIDE_MAC,
            "type",
            "veth",
            "peer",
            "name",
            PEER_IF,
            "address",
            PEER_MAC,
            "netns",
            &peer.ip_netns_arg(),
        ])?;
        ip(&["link", "set", "dev", ifc, "alias", &lab.alias])?;
        in_peer(
            peer,
            "ip",
            &["link", "set", "dev", PEER_IF, "alias", &lab.alias],
        )?;
    }
    // ringside's end: no IPv6 (no router solicitations, no MLD), no IPv4 (the kernel must not
    // answer for ringside). The sysctl is per namespace; this one is ours.
    let v6 = format!("/proc/sys/net/ipv6/conf/{ifc}/disable_ipv6");
    if std::path::Path::new(&v6).exists() {
        std::fs::write(&v6, "1").with_context(|| format!("disabling IPv6 on {ifc}"))?;
    }
    let owned = crate::link::iface::kernel_ipv4(ifc)?;
    for (a, p) in owned {
        ip(&["addr", "del", &format!("{a}/{p}"), "dev", ifc])?;
    }
    // The peer: its address, short neighbour timers, real checksums on what it sends.
    in_peer(
        peer,
        "ip",
        &[
            "addr",
            "replace",
            &format!("{PEER_IP}/{PREFIX}"),
            "dev",
            PEER_IF,
        ],
    )?;
    let neigh: Vec<String> = PEER_NEIGH
        .iter()
        .map(|(k, v)| format!("net.ipv4.neigh.{PEER_IF}.{k}={v}"))
        .collect();
    let mut args = vec!["-qw"];
    args.extend(neigh.iter().map(String::as_str));
    in_peer(peer, "sysctl", &args)?;
    let csum_note = match in_peer(peer, "ethtool", &["-K", PEER_IF, "tx", "off"]) {
        Ok(_) => "",
        Err(_) => {
            " (could not turn off the peer's TX checksum offload: install ethtool; until then \
             its UDP checksums show as \"not computed yet\")"
        }
    };
    in_peer(peer, "ip", &["link", "set", "dev", "lo", "up"])?;
    in_peer(peer, "ip", &["link", "set", "dev", PEER_IF, "up"])?;
    ip(&["link", "set", "dev", ifc, "up"])?;
    Ok(csum_note)
}

fn up(lab: &Lab) -> anyhow::Result<()> {
    require_shared_netns_mounts()?;
    let (ns, ifc) = (lab.ns.as_str(), lab.iface.as_str());
    let had_ns = ns_exists(ns)?;
    let local = link_line(None, ifc)?;
    if let Some(l) = &local {
        if !has_alias(l, &lab.alias) {
            bail!(
                "{ifc} already exists and was not made by `ringside lab`: pick another name with \
                 --iface, or remove it with `ip link del {ifc}`"
            );
        }
    }
    if had_ns {
        if !ns_is_ours(ns, &lab.alias)? {
            bail!(
                "namespace {ns} exists and was not made by `ringside lab`: pick another lab name \
                 with --name, or remove it with `ip netns del {ns}`"
            );
        }
    } else {
        ip(&["netns", "add", ns])?;
    }
    // The mark `down` looks for before it deletes the namespace.
    ip(&["-n", ns, "link", "set", "dev", "lo", "alias", &lab.alias])?;
    let made_cable = local.is_none();
    let csum_note = wire_up(lab, &PeerNs::Named(ns.to_string()), made_cable)?;

    let what = if made_cable || !had_ns {
        "built"
    } else {
        "already up (settings re-applied)"
    };
    println!(
        "lab {what}: {ifc} ({RINGSIDE_MAC}, no kernel address) <-> {ns}: {PEER_IF} \
         {PEER_IP}/{PREFIX} ({PEER_MAC}){csum_note}"
    );
    println!("next:");
    println!("  sudo ringside live -i {ifc} --ip {RINGSIDE_IP}/{PREFIX}");
    println!("  sudo ip netns exec {ns} ping {RINGSIDE_IP}");
    println!("  sudo ip netns exec {ns} ip neigh show dev {PEER_IF}    # the peer's ARP cache");
    println!("  sudo ringside lab down{}    # when finished", lab.flags);
    Ok(())
}

/// The pid file of the rootless lab `name` of user `uid`.
fn rootless_pid_file(name: &str, uid: u32) -> anyhow::Result<std::path::PathBuf> {
    Ok(super::userns::pid_file(
        &super::userns::runtime_dir(uid)?,
        name,
    ))
}

/// The running rootless lab `name` of this user, if any.
fn rootless_lab(name: &str) -> Option<super::userns::LabProcs> {
    let uid = crate::sys::uid();
    let path = rootless_pid_file(name, uid).ok()?;
    super::userns::read_pid_file(&path, uid)
}

/// `lab up` without root: our own user + network namespaces, the peer's namespace held by a
/// child, and this process waiting in the foreground; when it ends, so does the lab.
fn up_rootless(lab: &Lab) -> anyhow::Result<()> {
    use super::userns;
    let name = lab.alias.trim_start_matches("ringside lab ").to_string();
    let (uid, gid) = (crate::sys::uid(), crate::sys::gid());
    let pid_path = rootless_pid_file(&name, uid)?;
    if let Some(p) = userns::read_pid_file(&pid_path, uid) {
        bail!(
            "lab {name} is already up (pid {}): enter it with `ringside lab shell{}`, or stop it \
             with `ringside lab down{}`",
            p.lab,
            lab.name_flag(),
            lab.name_flag()
        );
    }
    // Ctrl-C, SIGTERM and SIGHUP are taken with sigwait below, after the lab is built; block
    // them now so the peer holder (which inherits the mask) ignores the terminal's Ctrl-C.
    let set = crate::sys::SigSet::of(&[libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGCHLD]);
    set.block();
    userns::enter_new(uid, gid)?;
    let peer_pid = userns::spawn_holder()?;
    let stop_holder = || {
        // Killing and reaping our own child.
        let _ = crate::sys::kill(peer_pid, libc::SIGKILL);
        crate::sys::reap(peer_pid);
    };
    let built = (|| {
        ip(&["link", "set", "dev", "lo", "up"])?;
        wire_up(lab, &PeerNs::Process(peer_pid), true)
    })();
    let csum_note = match built {
        Ok(n) => n,
        Err(e) => {
            stop_holder();
            return Err(e);
        }
    };
    let procs = userns::LabProcs {
        lab: std::process::id() as i32,
        peer: peer_pid,
    };
    if let Err(e) = userns::write_pid_file(&pid_path, procs) {
        stop_holder();
        return Err(e);
    }
    let ifc = lab.iface.as_str();
    let n = lab.name_flag();
    println!(
        "lab {name} built without root (private user + network namespaces, pid {}): {ifc} \
         ({RINGSIDE_MAC}, no kernel address) <-> peer: {PEER_IF} {PEER_IP}/{PREFIX} \
         ({PEER_MAC}){csum_note}",
        procs.lab
    );
    println!("it lives while this runs; from another terminal:");
    println!("  ringside lab exec{n} -- ringside live -i {ifc} --ip {RINGSIDE_IP}/{PREFIX}");
    println!("  ringside lab exec{n} --peer -- ping {RINGSIDE_IP}");
    println!(
        "  ringside lab exec{n} --peer -- ip neigh show dev {PEER_IF}    # the peer's ARP cache"
    );
    println!("  ringside lab shell{n} [--peer]    # a shell on either side");
    println!("Ctrl-C here (or `ringside lab down{n}`) removes it all");
    use std::io::Write;
    let _ = std::io::stdout().flush();

    let why = loop {
        let Some(sig) = set.wait() else { continue };
        if sig != libc::SIGCHLD {
            break None;
        }
        if crate::sys::try_reap(peer_pid) {
            break Some("the process holding the peer's namespace died");
        }
    };
    let _ = std::fs::remove_file(&pid_path);
    if let Some(why) = why {
        bail!("lab {name} stopped: {why}");
    }
    stop_holder();
    println!("lab {name} removed (its namespaces end with their last process)");
    Ok(())
}

/// `lab exec` / `lab shell`: run `cmd` inside lab `name`, on the peer's side with `peer`.
/// Replaces this process (exec), so the command's exit status is ours.
fn enter(name: LabName, peer: bool, cmd: &[String]) -> anyhow::Result<()> {
    use super::userns;
    use std::os::unix::process::CommandExt;
    let name = name.as_str();
    let flag = if name == "ringside" {
        String::new()
    } else {
        format!(" --name {name}")
    };
    // Where the peer's namespace is, for `ringside live` run on ringside's side: it shows the
    // peer kernel's ARP entry from there (peer_kernel checks it is rs0's other end).
    let peer_netns: Option<String>;
    if let Some(p) = rootless_lab(name) {
        peer_netns = Some(format!("/proc/{}/ns/net", p.peer));
        // Both fds first: once in the lab's user namespace, /proc still works, but keep it simple.
        let user = userns::ns_fd(p.lab, "user")?;
        let net = userns::ns_fd(if peer { p.peer } else { p.lab }, "net")?;
        userns::set_ns(&user, libc::CLONE_NEWUSER)
            .with_context(|| format!("entering the user namespace of lab {name}"))?;
        userns::set_ns(&net, libc::CLONE_NEWNET)
            .with_context(|| format!("entering the network namespace of lab {name}"))?;
    } else if ns_exists(&format!("{name}-peer")).unwrap_or(false) {
        // The system-wide lab: ringside's side is this namespace already.
        peer_netns = Some(format!("/run/netns/{name}-peer"));
        if peer {
            require_root()?;
            let fd: std::os::fd::OwnedFd = std::fs::File::open(format!("/run/netns/{name}-peer"))
                .with_context(|| format!("opening /run/netns/{name}-peer"))?
                .into();
            userns::set_ns(&fd, libc::CLONE_NEWNET)
                .with_context(|| format!("entering namespace {name}-peer"))?;
        }
    } else {
        bail!("lab {name} is not up: start it with `ringside lab up{flag}` in another terminal");
    }
    let mut command = Command::new(&cmd[0]);
    command.args(&cmd[1..]);
    if let Some(path) = peer_netns.filter(|_| !peer) {
        command.env(crate::peer_kernel::PEER_NETNS_ENV, path);
    }
    let err = command.exec();
    Err(super::UsageError(format!("cannot run `{}`: {err}", cmd[0])).into())
}

fn down(lab: &Lab) -> anyhow::Result<()> {
    let name = lab.alias.trim_start_matches("ringside lab ");
    if let Some(p) = rootless_lab(name) {
        // Our own lab process: the pid file names it and its start time.
        let _ = crate::sys::kill(p.lab, libc::SIGTERM);
        let t0 = std::time::Instant::now();
        while super::userns::running(p.lab) {
            if t0.elapsed() > std::time::Duration::from_secs(5) {
                bail!("lab {name} (pid {}) did not stop on SIGTERM", p.lab);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        println!(
            "lab down: stopped the lab without root (pid {}); its namespaces are gone",
            p.lab
        );
        return Ok(());
    }
    let (ns, ifc) = (lab.ns.as_str(), lab.iface.as_str());
    if !super::userns::real_root() {
        if ns_exists(ns)? || link_line(None, ifc)?.is_some() {
            require_root()?;
        }
        println!("lab is already down: nothing of it exists");
        return Ok(());
    }
    let mut removed = Vec::new();
    let mut kept = Vec::new();
    // Decide about the namespace before the cable goes (deleting either end deletes both).
    let ns_ours = if ns_exists(ns)? {
        let ours = ns_is_ours(ns, &lab.alias)?;
        if !ours {
            kept.push(format!("namespace {ns} (not made by ringside lab)"));
        }
        ours
    } else {
        false
    };
    if let Some(l) = link_line(None, ifc)? {
        if has_alias(&l, &lab.alias) {
            ip(&["link", "del", "dev", ifc])?;
            removed.push(format!("interface {ifc}"));
        } else {
            kept.push(format!("interface {ifc} (not made by ringside lab)"));
        }
    }
    if ns_ours {
        ip(&["netns", "del", ns])?;
        removed.push(format!("namespace {ns}"));
    }
    if removed.is_empty() {
        println!("lab is already down: nothing of it exists");
    } else {
        println!("lab down: removed {}", removed.join(", "));
    }
    if !kept.is_empty() {
        println!("left alone: {}", kept.join(", "));
    }
    Ok(())
}

fn status(lab: &Lab) -> anyhow::Result<()> {
    let name = lab.alias.trim_start_matches("ringside lab ");
    if let Some(p) = rootless_lab(name) {
        let n = lab.name_flag();
        println!(
            "lab {name}: up without root (namespaces of pid {}, peer held by pid {}): enter it \
             with `ringside lab shell{n} [--peer]`, stop it with `ringside lab down{n}`",
            p.lab, p.peer
        );
        return Ok(());
    }
    let (ns, ifc) = (lab.ns.as_str(), lab.iface.as_str());
    let have_ns = ns_exists(ns)?;
    let local = link_line(None, ifc)?;
    let local_ours = local.as_deref().is_some_and(|l| has_alias(l, &lab.alias));
    let peer = if have_ns {
        link_line(Some(ns), PEER_IF)?
    } else {
        None
    };
    let state = match (have_ns, local_ours, peer.is_some()) {
        (true, true, true) => "up",
        (false, false, _) if local.is_none() => "down",
        _ => "partly built (run `ringside lab up` to repair or `ringside lab down` to clear)",
    };
    println!(
        "lab {}: {state}",
        lab.alias.trim_start_matches("ringside lab ")
    );
    match &local {
        Some(l) => {
            let up = l.contains(",UP") || l.contains("<UP");
            let addrs = crate::link::iface::kernel_ipv4(ifc).unwrap_or_default();
            let addrs = if addrs.is_empty() {
                "no kernel IPv4 address (good: ringside answers)".to_string()
            } else {
                let a: Vec<String> = addrs.iter().map(|(a, p)| format!("{a}/{p}")).collect();
                format!("kernel owns {} (the kernel would answer too)", a.join(", "))
            };
            println!(
                "  {ifc}: {}, {}, {addrs}{}",
                if up { "up" } else { "down" },
                crate::link::iface::mac(ifc)
                    .map(|m| crate::wire::mac_to_string(&m))
                    .unwrap_or_default(),
                if local_ours {
                    ""
                } else {
                    ", NOT made by ringside lab"
                }
            );
        }
        None => println!("  {ifc}: absent"),
    }
    if have_ns {
        println!("  namespace {ns}: present");
        if peer.is_some() {
            let addr = ip(&["-n", ns, "-br", "addr", "show", "dev", PEER_IF])?;
            println!(
                "  {PEER_IF} in {ns}: {}",
                addr.split_whitespace().collect::<Vec<_>>().join(" ")
            );
            let neigh = ip(&["-n", ns, "neigh", "show", "dev", PEER_IF])?;
            if neigh.trim().is_empty() {
                println!("  peer's ARP cache: empty");
            } else {
                for l in neigh.lines() {
                    println!("  peer's ARP cache: {l}");
                }
            }
        }
    } else {
        println!("  namespace {ns}: absent");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_validated() {
        assert_eq!("rs0".parse::<ShortName>().unwrap().as_str(), "rs0");
        assert!("".parse::<ShortName>().is_err());
        assert!("a/b".parse::<ShortName>().is_err());
        assert!("sixteen-chars-xx".parse::<ShortName>().is_err());
        assert!("has space".parse::<ShortName>().is_err());
    }

    #[test]
    fn alias_matching_is_exact() {
        let l = "7: rs0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue \\    link/ether 02:52:53:00:00:02 brd ff:ff:ff:ff:ff:ff link-netns ringside-peer\\    alias ringside lab ringside\n";
        assert!(has_alias(l, "ringside lab ringside"));
        assert!(!has_alias(l, "ringside lab ring"));
        assert!(!has_alias(
            "7: rs0: <UP> mtu 1500\n",
            "ringside lab ringside"
        ));
    }

    #[test]
    fn lab_names_derive_namespace_and_alias() {
        let lab = Lab::new(&LabNames {
            name: "ringside".parse().unwrap(),
            iface: "rs0".parse().unwrap(),
        });
        assert_eq!(lab.ns, "ringside-peer");
        assert_eq!(lab.iface, "rs0");
        assert_eq!(lab.alias, "ringside lab ringside");
        assert_eq!(lab.flags, "");
        let lab = Lab::new(&LabNames {
            name: "t1".parse().unwrap(),
            iface: "rs0".parse().unwrap(),
        });
        assert_eq!(
            (lab.ns.as_str(), lab.flags.as_str()),
            ("t1-peer", " --name t1")
        );
    }
}
