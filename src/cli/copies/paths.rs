//! The receive paths being compared, each a [`Receiver`] opened inside the receiving namespace.
//!
//! To add a path (AF_XDP: `crate::link::xdp`), add one [`PathSpec`] to [`PATHS`]: an `open`
//! that returns a [`LinkReceiver`] around the new backend (any [`Link`] works), and its copy
//! story with the kernel function that makes the copy.
use super::flood::{self, is_flood};
use super::netns::RX_IP;
use crate::link::afpacket::{AfPacket, RingConfig, RingVersion};
use crate::link::Link;
use crate::sys;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Duration;

/// What one path's loop counted.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tally {
    /// Flood frames received.
    pub frames: u64,
    /// Other frames the path saw and skipped (raw paths see everything on the cable).
    pub other: u64,
    /// Receive-side system calls the loop made (recvfrom, poll), or for a ring an upper bound.
    pub syscalls: u64,
    /// Bytes of flood frames the CPU wrote into memory this program can read: what recvfrom
    /// returned, or for a ring the frame bytes the kernel copied into it (its snaplen).
    pub bytes_copied: u64,
}

pub trait Receiver {
    /// Take what is there, waiting at most `wait` when nothing is.
    fn receive(&mut self, wait: Duration, t: &mut Tally) -> io::Result<()>;
}

/// Where a path's CPU copy happens, with the kernel source that does it.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct CopyStory {
    /// CPU copies of each frame's bytes into memory the program reads.
    pub cpu_copies: u32,
    /// Where and by whom.
    pub at: &'static str,
    /// The Linux source that makes the copy.
    pub cite: &'static str,
}

pub struct PathSpec {
    /// Short key used in `--paths` and the JSON.
    pub key: &'static str,
    pub name: &'static str,
    /// True when `syscalls` is exact; false when it is an upper bound.
    pub syscalls_exact: bool,
    pub copy: CopyStory,
    /// Open the receiver on the interface `ifname` (called inside the receiving namespace).
    pub open: fn(ifname: &str) -> io::Result<Box<dyn Receiver>>,
}

pub const PATHS: &[PathSpec] = &[
    PathSpec {
        key: "socket",
        name: "UDP socket, recvfrom",
        syscalls_exact: true,
        copy: CopyStory {
            cpu_copies: 1,
            at: "in recvfrom, on the receiving thread: socket queue -> your buffer (payload only)",
            cite: "net/ipv4/udp.c udp_recvmsg -> skb_copy_datagram_msg",
        },
        open: open_socket,
    },
    PathSpec {
        key: "packet",
        name: "AF_PACKET, recvfrom",
        syscalls_exact: true,
        copy: CopyStory {
            cpu_copies: 1,
            at: "in recvfrom, on the receiving thread: socket queue -> your buffer (whole frame)",
            cite: "net/packet/af_packet.c packet_rcv queues a clone (no data copy); \
                   packet_recvmsg -> skb_copy_datagram_msg",
        },
        open: open_packet,
    },
    PathSpec {
        key: "ring",
        name: "TPACKET_V3 mmap ring",
        syscalls_exact: false,
        copy: CopyStory {
            cpu_copies: 1,
            at: "in the kernel's receive softirq, before your program runs: skb -> ring; \
                 read in place, 0 copies at read",
            cite: "net/packet/af_packet.c tpacket_rcv -> skb_copy_bits",
        },
        open: open_ring,
    },
    PathSpec {
        key: "xdp",
        name: "AF_XDP socket (copy mode)",
        syscalls_exact: false,
        copy: CopyStory {
            cpu_copies: 1,
            at: "in the kernel's XDP hook, before the stack sees the frame: frame -> UMEM chunk \
                 (veth refuses zero-copy); read in place, 0 copies at read",
            cite: "net/xdp/xsk.c __xsk_rcv -> xsk_copy_xdp (memcpy into the UMEM)",
        },
        open: open_xdp,
    },
];

/// Prefix an error with the call that failed.
fn named(what: &'static str) -> impl Fn(io::Error) -> io::Error {
    move |e| io::Error::new(e.kind(), format!("{what}: {e}"))
}

fn setsockopt_int(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    v: libc::c_int,
) -> bool {
    sys::setsockopt(fd, level, name, &v).is_ok()
}

/// A socket the loop reads with `recvfrom(MSG_DONTWAIT)` until EAGAIN, then `poll()`s: every
/// call is counted, the EAGAIN ones too.
struct RecvfromLoop {
    fd: OwnedFd,
    buf: Vec<u8>,
    /// The socket hands whole Ethernet frames (AF_PACKET) rather than UDP payloads.
    frames: bool,
}

impl RecvfromLoop {
    fn new(fd: OwnedFd, frames: bool) -> RecvfromLoop {
        // Room for the whole queue of a slow reader: the comparison is about copies, not drops.
        // SO_RCVBUFFORCE needs CAP_NET_ADMIN (we have it); fall back to what SO_RCVBUF allows.
        let big = 256 << 20;
        if !setsockopt_int(fd.as_fd(), libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, big) {
            setsockopt_int(fd.as_fd(), libc::SOL_SOCKET, libc::SO_RCVBUF, big);
        }
        RecvfromLoop {
            fd,
            buf: vec![0; 65536],
            frames,
        }
    }

    fn is_ours(&self, got: &[u8]) -> bool {
        if self.frames {
            is_flood(got)
        } else {
            got.starts_with(flood::MAGIC)
        }
    }
}

impl Receiver for RecvfromLoop {
    fn receive(&mut self, wait: Duration, t: &mut Tally) -> io::Result<()> {
        let mut polled = false;
        loop {
            t.syscalls += 1;
            let e = match sys::recv(self.fd.as_fd(), &mut self.buf, libc::MSG_DONTWAIT) {
                Ok(r) => {
                    if self.is_ours(&self.buf[..r]) {
                        t.frames += 1;
                        t.bytes_copied += r as u64;
                    } else {
                        t.other += 1;
                    }
                    continue;
                }
                Err(e) => e,
            };
            match e.raw_os_error() {
                Some(libc::EINTR) => continue,
                Some(libc::EAGAIN) if !polled => {
                    polled = true;
                    t.syscalls += 1;
                    crate::link::poll_in(self.fd.as_fd(), wait)?;
                }
                Some(libc::EAGAIN) => return Ok(()),
                _ => return Err(io::Error::new(e.kind(), format!("recvfrom: {e}"))),
            }
        }
    }
}

/// (a) The kernel's own UDP: a socket bound to the flood's address and port.
fn open_socket(_ifname: &str) -> io::Result<Box<dyn Receiver>> {
    let fd = sys::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0)
        .map_err(named("UDP socket"))?;
    let addr = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: flood::PORT.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes(RX_IP),
        },
        sin_zero: [0; 8],
    };
    sys::bind(fd.as_fd(), &addr).map_err(named("bind UDP port 9"))?;
    Ok(Box::new(RecvfromLoop::new(fd, false)))
}

/// (b) A raw AF_PACKET socket without a ring: one recvfrom per frame.
fn open_packet(ifname: &str) -> io::Result<Box<dyn Receiver>> {
    let ifindex = crate::link::iface::ifindex(ifname)?;
    let proto = (libc::ETH_P_ALL as u16).to_be();
    let fd = sys::socket(
        libc::AF_PACKET,
        libc::SOCK_RAW | libc::SOCK_CLOEXEC,
        proto.into(),
    )
    .map_err(named("AF_PACKET socket"))
    .map_err(crate::link::afpacket::permission_hint)?;
    // The kernel's own ICMP replies (port 9 is closed here) are not frames we received.
    setsockopt_int(
        fd.as_fd(),
        libc::SOL_PACKET,
        libc::PACKET_IGNORE_OUTGOING,
        1,
    );
    let mut sll = sys::sockaddr_ll();
    sll.sll_family = libc::AF_PACKET as u16;
    sll.sll_protocol = proto;
    sll.sll_ifindex = ifindex as i32;
    sys::bind(fd.as_fd(), &sll).map_err(named("bind AF_PACKET socket"))?;
    Ok(Box::new(RecvfromLoop::new(fd, true)))
}

/// Any ringside [`Link`] as a receive path, capture only: frames are read in place in
/// `recv_batch`'s callback. Each `recv_batch` makes at most one wait (a `poll()`), so the calls
/// counted are an upper bound on its receive syscalls.
pub struct LinkReceiver<L: Link>(pub L);

impl<L: Link> Receiver for LinkReceiver<L> {
    fn receive(&mut self, wait: Duration, t: &mut Tally) -> io::Result<()> {
        t.syscalls += 1;
        self.0.recv_batch(wait, &mut |frame, _meta| {
            if is_flood(frame) {
                t.frames += 1;
                t.bytes_copied += frame.len() as u64;
            } else {
                t.other += 1;
            }
        })?;
        Ok(())
    }
}

/// (c) ringside's own afpacket link with a TPACKET_V3 ring: 64 blocks x 256 KiB (16 MiB), so a
/// receiver descheduled for a few ms on a busy machine loses nothing; 1 ms block retire timer.
/// AF_XDP in copy mode (veth has no zero-copy): ringside's own `--backend xdp` link.
fn open_xdp(ifname: &str) -> io::Result<Box<dyn Receiver>> {
    let xdp = crate::link::xdp::Xdp::open(ifname, crate::link::xdp::XdpConfig::default())?;
    Ok(Box::new(LinkReceiver(xdp)))
}

fn open_ring(ifname: &str) -> io::Result<Box<dyn Receiver>> {
    let cfg = RingConfig {
        block_nr: 64,
        ..RingConfig::new(RingVersion::V3)
    };
    Ok(Box::new(LinkReceiver(AfPacket::open(ifname, cfg)?)))
}
