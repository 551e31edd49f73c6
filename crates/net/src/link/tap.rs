//! The TAP backend: ringside is the machine at the far end of a virtual Ethernet cable whose near
//! end is a kernel interface (`/dev/net/tun`, IFF_TAP | IFF_NO_PI). Every frame the kernel sends
//! out of that interface is read here, and every frame written here arrives at the kernel as if
//! received on it. No root-only ring, no promiscuous mode: one read(2)/write(2) per frame.
//!
//! Persistent or transient: if the interface already exists as a persistent TAP
//! (`ip tuntap add dev NAME mode tap`) ringside attaches to it and it stays after ringside exits
//! (with the addresses given to it). If it does not exist, ringside creates a transient one that
//! the kernel removes when ringside exits; it is brought up, but the kernel side has no address
//! until you give it one (`ip addr add 198.51.100.1/24 dev NAME`).
use super::{Link, LinkControl, LinkInfo, LinkStats, Received, RxMeta, Unsupported};
use crate::link::afpacket::permission_hint;
use crate::link::iface;
use crate::sys::{self, IfreqRequest};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

/// Largest frame read in one go (a TAP MTU can be up to 64 KiB).
const MAX_FRAME: usize = 65_536 + 18;
/// At most this many frames handed over per `recv_batch` (then the capture loop gets a turn).
const BATCH: usize = 256;

pub struct Tap {
    fd: OwnedFd,
    ifname: String,
    /// True when ringside created the interface (it disappears on exit).
    created: bool,
    buf: Vec<u8>,
    stats: LinkStats,
}

impl Tap {
    /// Attach to (or create) TAP interface `ifname` and make sure it is up.
    pub fn open(ifname: &str) -> io::Result<Tap> {
        let existed = iface::ifindex(ifname).is_ok();
        let opened = sys::open(
            c"/dev/net/tun",
            libc::O_RDWR | libc::O_NONBLOCK | libc::O_CLOEXEC,
        );
        let fd = opened.map_err(|e| match e.raw_os_error() {
                Some(libc::ENOENT) | Some(libc::ENODEV) => io::Error::new(
                    e.kind(),
                    "/dev/net/tun not found: load the tun module (`modprobe tun`) or use --backend afpacket",
                ),
                _ => permission_hint(e),
        })?;
        let mut ifr = iface::ifreq(ifname)?;
        ifr.set_flags((libc::IFF_TAP | libc::IFF_NO_PI) as libc::c_short);
        if let Err(e) = ifr.ioctl(fd.as_fd(), IfreqRequest::TunSetIff) {
            return Err(match e.raw_os_error() {
                Some(libc::EINVAL) | Some(libc::EBUSY) if existed => io::Error::new(
                    e.kind(),
                    format!(
                        "`{ifname}` exists but is not a free TAP interface ({e}): pick another \
                         name for --backend tap, or use --backend afpacket on it"
                    ),
                ),
                _ => permission_hint(e),
            });
        }
        if !iface::is_up(ifname)? {
            iface::set_up(ifname)
                .map_err(|e| io::Error::new(e.kind(), format!("bringing {ifname} up: {e}")))?;
        }
        Ok(Tap {
            fd,
            ifname: ifname.to_string(),
            created: !existed,
            buf: vec![0; MAX_FRAME],
            stats: LinkStats::default(),
        })
    }

    /// True when ringside created the interface (transient: gone when ringside exits).
    pub fn created(&self) -> bool {
        self.created
    }

    fn read_one(&mut self) -> io::Result<Option<usize>> {
        match sys::read(self.fd.as_fd(), &mut self.buf) {
            Ok(n) => Ok(Some(n)),
            Err(e) => match e.raw_os_error() {
                Some(libc::EAGAIN) | Some(libc::EINTR) => Ok(None),
                _ => Err(e),
            },
        }
    }
}

impl Link for Tap {
    fn recv_batch(
        &mut self,
        timeout: Duration,
        on_frame: &mut dyn FnMut(&[u8], RxMeta),
    ) -> io::Result<Received> {
        if super::poll_in(self.fd.as_fd(), timeout)? == 0 {
            return Ok(Received::Frames(0));
        }
        let mut handed = 0;
        while handed < BATCH {
            let Some(n) = self.read_one()? else { break };
            self.stats.rx_frames += 1;
            self.stats.rx_bytes += n as u64;
            let meta = RxMeta {
                ts: super::wall_clock(),
                clock: super::monotonic_clock(),
                orig_len: n as u32,
                csum_not_ready: false,
                note: None,
                link: crate::wire::LinkKind::Ethernet,
                source: 0,
            };
            on_frame(&self.buf[..n], meta);
            handed += 1;
        }
        Ok(Received::Frames(handed))
    }

    fn send(&mut self, frame: &[u8]) -> io::Result<()> {
        if let Err(e) = sys::write(self.fd.as_fd(), frame) {
            self.stats.tx_errors += 1;
            return match e.raw_os_error() {
                // Full queue, interface down, frame too large: count, keep going.
                Some(libc::EAGAIN | libc::EIO | libc::EINVAL | libc::ENOBUFS | libc::EINTR) => {
                    Ok(())
                }
                _ => Err(e),
            };
        }
        self.stats.tx_frames += 1;
        Ok(())
    }

    fn now(&self) -> Duration {
        super::monotonic_clock()
    }

    fn info(&self) -> LinkInfo {
        LinkInfo {
            describe: self.describe(),
            stats: self.stats(),
            ..LinkInfo::default()
        }
    }

    fn control(&mut self, _: LinkControl) -> Result<(), Unsupported> {
        Err(Unsupported::RealTime)
    }
}

/// What [`Link::info`] reports.
impl Tap {
    fn stats(&self) -> LinkStats {
        self.stats
    }

    fn describe(&self) -> String {
        format!(
            "tap {} ({})",
            self.ifname,
            if self.created {
                "transient: removed on exit"
            } else {
                "persistent"
            }
        )
    }
}
