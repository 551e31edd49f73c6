//! A private veth "cable" between two network namespaces of our own, for one `ringside copies` run.
//!
//! The namespaces are anonymous: each is made by a short-lived thread calling `unshare(2)` with
//! `CLONE_NEWNET`, and kept alive only by a file descriptor on `/proc/thread-self/ns/net`. So they
//! (and the veth pair inside them) vanish when the descriptors close: on a normal exit, on an
//! error, on a panic, even on SIGKILL. Nothing is named in /run/netns and nothing is made in the
//! namespace the command runs in. This also works inside an unprivileged user namespace (the
//! rootless lab), which has CAP_NET_ADMIN over the network namespaces it creates.
//!
//! ```text
//!   namespace "rx" (the receivers)          namespace "tx" (the flood's sender)
//!   cprxPID 198.51.100.2/24  <---- veth ---->  cptxPID 198.51.100.1/24
//! ```
use anyhow::{bail, Context};
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::process::Command;

pub const RX_IP: [u8; 4] = [198, 51, 100, 2];
pub const TX_IP: [u8; 4] = [198, 51, 100, 1];
pub const RX_MAC: &str = "02:52:53:00:00:02";
const TX_MAC: &str = "02:52:53:00:00:01";

/// The two namespaces and the names of the veth ends in them. Dropping it removes everything.
pub struct Pair {
    rx: File,
    tx: File,
    pub rx_if: String,
    pub tx_if: String,
}

/// A fresh, empty network namespace, held by the returned descriptor.
fn new_netns() -> anyhow::Result<File> {
    let made = std::thread::spawn(|| -> io::Result<File> {
        // Changes only this (short-lived) thread.
        crate::sys::unshare(libc::CLONE_NEWNET)?;
        File::open("/proc/thread-self/ns/net")
    })
    .join()
    .map_err(|_| anyhow::anyhow!("the thread making a network namespace panicked"))?;
    made.map_err(|e| match e.raw_os_error() {
        Some(libc::EPERM) => anyhow::anyhow!(
            "needs CAP_NET_ADMIN and CAP_NET_RAW to make its own network namespaces: run with \
             sudo (or inside the rootless lab)"
        ),
        _ => anyhow::anyhow!("making a network namespace: {e}"),
    })
}

/// Enter the namespace `ns` in the calling thread only (network namespaces are per thread).
pub fn enter(ns: RawFd) -> io::Result<()> {
    crate::sys::setns(ns, libc::CLONE_NEWNET)
}

/// Run `ip ARGS` inside namespace `ns`: one line of error with ip's own words on failure.
fn ip_in(ns: RawFd, args: &[&str]) -> anyhow::Result<()> {
    let mut cmd = Command::new("ip");
    cmd.args(args);
    // `ns` is open in the parent and so inherited by the child.
    crate::sys::exec_in_netns(&mut cmd, ns);
    let out = cmd.output().map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            anyhow::anyhow!("`ip` not found: install iproute2")
        } else {
            anyhow::anyhow!("running ip: {e}")
        }
    })?;
    if !out.status.success() {
        bail!(
            "`ip {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
                .trim()
                .replace('\n', "; ")
        );
    }
    Ok(())
}

/// No IPv6 in namespace `ns` (no router solicitations or MLD reports on the cable). Written from
/// a thread inside it: /proc/sys/net shows the namespace of the thread that opens it.
fn disable_ipv6(ns: RawFd) -> anyhow::Result<()> {
    std::thread::spawn(move || -> io::Result<()> {
        enter(ns)?;
        for key in ["all", "default"] {
            let p = format!("/proc/sys/net/ipv6/conf/{key}/disable_ipv6");
            if std::path::Path::new(&p).exists() {
                std::fs::write(&p, "1")?;
            }
        }
        Ok(())
    })
    .join()
    .map_err(|_| anyhow::anyhow!("the sysctl thread panicked"))?
    .context("disabling IPv6 in the private namespaces")
}

impl Pair {
    /// Both namespaces, the veth pair, addresses, and a permanent ARP entry on the sender's side
    /// (no ARP exchange before the flood: the first frames would wait in the neighbour queue).
    pub fn build() -> anyhow::Result<Pair> {
        let pid = std::process::id();
        let pair = Pair {
            rx: new_netns()?,
            tx: new_netns()?,
            rx_if: format!("cprx{pid}"),
            tx_if: format!("cptx{pid}"),
        };
        let (rx, tx) = (pair.rx.as_raw_fd(), pair.tx.as_raw_fd());
        disable_ipv6(rx)?;
        disable_ipv6(tx)?;
        // The peer end goes straight into the tx namespace: `ip` opens it by path.
        let tx_path = format!("/proc/{pid}/fd/{tx}");
        ip_in(
            rx,
            &[
                "link",
                "add",
                &pair.rx_if,
                "address",
                RX_MAC,
                "type",
                "veth",
                "peer",
                "name",
                &pair.tx_if,
                "address",
                TX_MAC,
                "netns",
                &tx_path,
            ],
        )?;
        let rx_ip = format!("{}/24", std::net::Ipv4Addr::from(RX_IP));
        let tx_ip = format!("{}/24", std::net::Ipv4Addr::from(TX_IP));
        ip_in(rx, &["addr", "add", &rx_ip, "dev", &pair.rx_if])?;
        ip_in(tx, &["addr", "add", &tx_ip, "dev", &pair.tx_if])?;
        let rx_addr = std::net::Ipv4Addr::from(RX_IP).to_string();
        ip_in(
            tx,
            &[
                "neigh",
                "replace",
                &rx_addr,
                "lladdr",
                RX_MAC,
                "dev",
                &pair.tx_if,
                "nud",
                "permanent",
            ],
        )?;
        for (ns, ifc) in [(rx, &pair.rx_if), (tx, &pair.tx_if)] {
            ip_in(ns, &["link", "set", "dev", "lo", "up"])?;
            ip_in(ns, &["link", "set", "dev", ifc, "up"])?;
        }
        Ok(pair)
    }

    pub fn rx_ns(&self) -> RawFd {
        self.rx.as_raw_fd()
    }

    pub fn tx_ns(&self) -> RawFd {
        self.tx.as_raw_fd()
    }
}
