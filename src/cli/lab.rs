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

#[derive(Subcommand, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabAction {
    /// Build the lab (or repair it): idempotent.
    Up(LabNames),
    /// Remove what `up` made, and nothing else.
    Down(LabNames),
    /// Say what exists.
    Status(LabNames),
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
fn run_cmd(prog: &str, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(prog).args(args).output().map_err(|e| {
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

fn ip(args: &[&str]) -> anyhow::Result<String> {
    run_cmd("ip", args)
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

/// Interfaces of a namespace other than lo.
fn ns_interfaces(ns: &str) -> anyhow::Result<Vec<String>> {
    let out = ip(&["-n", ns, "-o", "link", "show"])?;
    Ok(out
        .lines()
        .filter_map(|l| l.split(':').nth(1))
        .map(|n| n.trim().split('@').next().unwrap_or("").to_string())
        .filter(|n| n != "lo" && !n.is_empty())
        .collect())
}

fn require_root() -> anyhow::Result<()> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        bail!("needs root (CAP_NET_ADMIN) to build namespaces: run with sudo");
    }
    Ok(())
}

pub fn run(args: LabArgs) -> anyhow::Result<()> {
    match args.action {
        LabAction::Up(n) => up(&Lab::new(&n)),
        LabAction::Down(n) => down(&Lab::new(&n)),
        LabAction::Status(n) => status(&Lab::new(&n)),
    }
}

fn sysctl_ns(ns: &str, settings: &[(String, &str)]) -> anyhow::Result<()> {
    let kv: Vec<String> = settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut args = vec!["netns", "exec", ns, "sysctl", "-qw"];
    args.extend(kv.iter().map(String::as_str));
    ip(&args).map(|_| ())
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

fn up(lab: &Lab) -> anyhow::Result<()> {
    require_root()?;
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
        let peer = link_line(Some(ns), PEER_IF)?;
        let ours = peer.as_deref().is_some_and(|l| has_alias(l, &lab.alias));
        if !ours && !ns_interfaces(ns)?.is_empty() {
            bail!(
                "namespace {ns} exists and was not made by `ringside lab`: pick another lab name \
                 with --name, or remove it with `ip netns del {ns}`"
            );
        }
    } else {
        ip(&["netns", "add", ns])?;
    }
    // No IPv6 anywhere in the peer namespace: set before the interface arrives there.
    sysctl_ns(
        ns,
        &[
            ("net.ipv6.conf.all.disable_ipv6".to_string(), "1"),
            ("net.ipv6.conf.default.disable_ipv6".to_string(), "1"),
        ],
    )?;
    let made_cable = local.is_none();
    if made_cable {
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
            ns,
        ])?;
        ip(&["link", "set", "dev", ifc, "alias", &lab.alias])?;
        ip(&["-n", ns, "link", "set", "dev", PEER_IF, "alias", &lab.alias])?;
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
    ip(&[
        "-n",
        ns,
        "addr",
        "replace",
        &format!("{PEER_IP}/{PREFIX}"),
        "dev",
        PEER_IF,
    ])?;
    let neigh: Vec<(String, &str)> = PEER_NEIGH
        .iter()
        .map(|(k, v)| (format!("net.ipv4.neigh.{PEER_IF}.{k}"), *v))
        .collect();
    sysctl_ns(ns, &neigh)?;
    let csum_note = match ip(&["netns", "exec", ns, "ethtool", "-K", PEER_IF, "tx", "off"]) {
        Ok(_) => "",
        Err(_) => {
            " (could not turn off the peer's TX checksum offload: install ethtool; until then \
             its UDP checksums show as \"not computed yet\")"
        }
    };
    ip(&["-n", ns, "link", "set", "dev", "lo", "up"])?;
    ip(&["-n", ns, "link", "set", "dev", PEER_IF, "up"])?;
    ip(&["link", "set", "dev", ifc, "up"])?;

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

fn down(lab: &Lab) -> anyhow::Result<()> {
    require_root()?;
    let (ns, ifc) = (lab.ns.as_str(), lab.iface.as_str());
    let mut removed = Vec::new();
    let mut kept = Vec::new();
    // Decide about the namespace before the cable goes (deleting either end deletes both).
    let ns_ours = if ns_exists(ns)? {
        let peer = link_line(Some(ns), PEER_IF)?;
        let ours = peer.as_deref().is_some_and(|l| has_alias(l, &lab.alias))
            || ns_interfaces(ns)?.is_empty();
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
