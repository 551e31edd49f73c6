//! Frames onto a lab link and back, from inside the test's namespaces (a helper thread enters
//! the namespace, opens the socket and ends; the socket stays in that namespace):
//! - [`RawSender`]: an AF_PACKET socket that puts frames on the wire as given, bypassing the
//!   peer kernel's stack, so anything (a corpus frame, a flood) reaches the other end;
//! - [`Witness`]: counts the frames the kernel offers to packet sockets on ringside's interface;
//! - [`EchoSync`]: a UDP echo round trip through ringside, to know it has caught up.
#![allow(dead_code)]
use std::cell::Cell;
use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// Why a frame could not be put on the wire (the kernel refused it at send time).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Refused {
    /// Shorter than an Ethernet header (EINVAL: AF_PACKET needs 14 bytes).
    pub too_short: u64,
    /// Longer than the link's MTU plus the Ethernet header (EMSGSIZE).
    pub too_long: u64,
    /// Any other errno.
    pub other: u64,
}

impl Refused {
    pub fn total(&self) -> u64 {
        self.too_short + self.too_long + self.other
    }
}

/// A bound, send-only AF_PACKET socket on one interface of a namespace.
pub struct RawSender {
    fd: OwnedFd,
    /// Frames the kernel accepted.
    pub sent: u64,
    pub refused: Refused,
    /// ENOBUFS answers (the receiving side's backlog was full): the frame was sent again after
    /// a short pause, so it is counted once in `sent`.
    pub retried: u64,
}

impl RawSender {
    /// Open on `ifname` in network namespace `ns` (created with `ip netns add`).
    pub fn open(ns: &str, ifname: &str) -> RawSender {
        // Protocol 0: the socket receives nothing, it only sends.
        let fd = packet_socket(ns, ifname, 0).unwrap_or_else(|e| panic!("raw sender: {e}"));
        RawSender {
            fd,
            sent: 0,
            refused: Refused::default(),
            retried: 0,
        }
    }

    /// Put one frame on the wire. True if the kernel took it; a refusal is counted by cause.
    pub fn send(&mut self, frame: &[u8]) -> bool {
        loop {
            // SAFETY: send(2) from a valid buffer of the given length.
            let n = unsafe {
                libc::send(
                    self.fd.as_raw_fd(),
                    frame.as_ptr() as *const libc::c_void,
                    frame.len(),
                    0,
                )
            };
            if n >= 0 {
                self.sent += 1;
                return true;
            }
            match std::io::Error::last_os_error().raw_os_error() {
                Some(libc::ENOBUFS) | Some(libc::EAGAIN) | Some(libc::EINTR) => {
                    self.retried += 1;
                    std::thread::sleep(std::time::Duration::from_micros(50));
                }
                Some(libc::EINVAL) if frame.len() < 14 => {
                    self.refused.too_short += 1;
                    return false;
                }
                Some(libc::EMSGSIZE) => {
                    self.refused.too_long += 1;
                    return false;
                }
                _ => {
                    self.refused.other += 1;
                    return false;
                }
            }
        }
    }
}

/// Run `f` on a helper thread that has entered network namespace `ns` (sockets it opens stay in
/// that namespace after the thread ends).
pub fn in_netns<T: Send + 'static>(ns: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let path = format!("/run/netns/{ns}");
    std::thread::spawn(move || {
        let nsf = File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        // SAFETY: setns on a namespace file we just opened; it changes only this thread.
        if unsafe { libc::setns(nsf.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
            panic!("setns {path}: {}", std::io::Error::last_os_error());
        }
        f()
    })
    .join()
    .expect("namespace thread")
}

/// Knows when ringside has handled everything sent before: a UDP datagram from the peer
/// kernel to ringside's echo service (port 7) comes back only after every frame ahead of it in
/// ringside's ring (the ring is in order). A datagram dropped at a full ring is sent again.
pub struct EchoSync {
    sock: std::net::UdpSocket,
    token: u64,
    /// Datagrams sent (each is a frame ringside receives and, if it got it, answers).
    pub sent: u64,
}

impl EchoSync {
    /// A UDP socket of the peer kernel in namespace `ns`, from `local` to `ringside` port 7.
    pub fn open(ns: &str, local: &str, ringside: &str) -> EchoSync {
        let (local, to) = (format!("{local}:0"), format!("{ringside}:7"));
        let sock = in_netns(ns, move || {
            let s = std::net::UdpSocket::bind(&local).expect("UDP bind in the peer namespace");
            s.connect(&to).expect("UDP connect");
            s
        });
        sock.set_read_timeout(Some(std::time::Duration::from_millis(20)))
            .unwrap();
        EchoSync {
            sock,
            token: 0,
            sent: 0,
        }
    }

    /// Wait until ringside has caught up (its echo of a fresh token came back); panics after
    /// `limit` without one.
    pub fn wait(&mut self, limit: std::time::Duration) {
        self.token += 1;
        let want = self.token.to_be_bytes();
        let t0 = std::time::Instant::now();
        let mut buf = [0u8; 64];
        while t0.elapsed() < limit {
            // ECONNREFUSED (a port unreachable) or a full socket buffer: just try again.
            if self.sock.send(&want).is_ok() {
                self.sent += 1;
            }
            let round = std::time::Instant::now();
            while round.elapsed() < std::time::Duration::from_millis(20) {
                match self.sock.recv(&mut buf) {
                    Ok(8) if buf[..8] == want => return,
                    Ok(_) => continue, // an echo of an earlier, retried token
                    Err(_) => break,
                }
            }
        }
        panic!("ringside did not echo a UDP datagram within {limit:?}");
    }
}

/// An AF_PACKET socket of namespace `ns` bound to `ifname` for `protocol` (network byte order;
/// 0 receives nothing).
fn packet_socket(ns: &str, ifname: &str, protocol: u16) -> Result<OwnedFd, String> {
    let ifname = ifname.to_string();
    in_netns(ns, move || -> Result<OwnedFd, String> {
        // SAFETY: plain socket(2).
        let raw = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW, i32::from(protocol)) };
        if raw < 0 {
            return Err(format!("socket: {}", std::io::Error::last_os_error()));
        }
        // SAFETY: raw is a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let cname = std::ffi::CString::new(ifname.clone()).unwrap();
        // SAFETY: a NUL-terminated name; looked up in this thread's (the lab's) namespace.
        let index = unsafe { libc::if_nametoindex(cname.as_ptr()) };
        if index == 0 {
            return Err(format!("no interface {ifname} in the namespace"));
        }
        // SAFETY: an all-zero sockaddr_ll is valid; the fields set below make it a bind address
        // for the interface.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = protocol;
        sll.sll_ifindex = index as i32;
        // SAFETY: bind with a properly sized sockaddr_ll.
        let r = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                &sll as *const libc::sockaddr_ll as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_ll>() as u32,
            )
        };
        if r != 0 {
            return Err(format!("bind: {}", std::io::Error::last_os_error()));
        }
        Ok(fd)
    })
}

fn set_int_opt(fd: &OwnedFd, level: i32, name: i32, value: i32) -> Result<(), String> {
    // SAFETY: setsockopt with a pointer to an int and its size.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            &value as *const i32 as *const libc::c_void,
            std::mem::size_of::<i32>() as u32,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(format!(
            "setsockopt {level}/{name}: {}",
            std::io::Error::last_os_error()
        ))
    }
}

/// Counts the frames the kernel hands to packet sockets on an interface, from the wire only:
/// what ringside's own socket is offered, measured beside it. A frame the kernel drops before
/// that point (say, a VLAN frame too short to untag) never counts. The socket is never read:
/// its tiny buffer overflows at once and the kernel counts the overflow, so
/// PACKET_STATISTICS' `tp_packets` (which includes drops) is every frame offered.
pub struct Witness {
    fd: OwnedFd,
    seen: Cell<u64>,
}

impl Witness {
    pub fn open(ns: &str, ifname: &str) -> Witness {
        let all = (libc::ETH_P_ALL as u16).to_be();
        let fd = packet_socket(ns, ifname, all).unwrap_or_else(|e| panic!("witness: {e}"));
        set_int_opt(&fd, libc::SOL_PACKET, libc::PACKET_IGNORE_OUTGOING, 1)
            .unwrap_or_else(|e| panic!("witness: {e}"));
        set_int_opt(&fd, libc::SOL_SOCKET, libc::SO_RCVBUF, 1)
            .unwrap_or_else(|e| panic!("witness: {e}"));
        let w = Witness {
            fd,
            seen: Cell::new(0),
        };
        // Whatever arrived between socket() and bind() (any interface of the namespace): reset.
        w.frames();
        w.seen.set(0);
        w
    }

    /// Frames offered since the witness opened.
    pub fn frames(&self) -> u64 {
        // SAFETY: an all-zero tpacket_stats is valid.
        let mut st: libc::tpacket_stats = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::tpacket_stats>() as libc::socklen_t;
        // SAFETY: getsockopt into a struct of the advertised size.
        let r = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                &mut st as *mut libc::tpacket_stats as *mut libc::c_void,
                &mut len,
            )
        };
        assert_eq!(
            r,
            0,
            "PACKET_STATISTICS: {}",
            std::io::Error::last_os_error()
        );
        // Reading resets the kernel's figures: keep a running total.
        self.seen.set(self.seen.get() + u64::from(st.tp_packets));
        self.seen.get()
    }
}
