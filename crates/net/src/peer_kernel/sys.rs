#![allow(unsafe_code)] // netlink: raw socket calls on buffers the kernel reads and fills
//! The system calls of the peer view, and all of its `unsafe`: a NETLINK_ROUTE socket (a
//! request, then every reply until NLMSG_DONE or the acknowledgement) and setns(2) of the
//! calling thread into a network namespace.
use super::netlink::{self, Reply};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// A NETLINK_ROUTE socket. It belongs to the network namespace of the thread that made it, for
/// its whole life (netlink_create() takes the creator's `sock_net`), whatever that thread does
/// afterwards.
pub struct Rtnl {
    fd: OwnedFd,
    seq: u32,
    buf: Vec<u8>,
}

impl Rtnl {
    pub fn open() -> io::Result<Rtnl> {
        // SAFETY: socket(2) with constant arguments; the fd is owned from here on.
        let fd = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                libc::NETLINK_ROUTE,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just returned by socket(2) and nothing else owns it.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // A dump is answered at once; a bound wait keeps a wedged kernel from hanging the
        // watcher (and with it, `q`).
        let tv = libc::timeval {
            tv_sec: 1,
            tv_usec: 0,
        };
        // SAFETY: setsockopt with a pointer to a live timeval and its size.
        unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                (&tv as *const libc::timeval).cast(),
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            );
        }
        Ok(Rtnl {
            fd,
            seq: 0,
            buf: vec![0; 32 << 10],
        })
    }

    /// Send the request `make(seq)` and hand each data message of the answer to `each`.
    /// An NLMSG_ERROR with an errno is the error returned.
    pub fn call(
        &mut self,
        make: impl Fn(u32) -> Vec<u8>,
        each: &mut dyn FnMut(&netlink::Msg<'_>),
    ) -> io::Result<()> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let req = make(seq);
        // SAFETY: send(2) of a live buffer with its length; to the kernel (the socket's
        // default destination, port 0).
        let n = unsafe { libc::send(self.fd.as_raw_fd(), req.as_ptr().cast(), req.len(), 0) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        // A dump's messages for `seq`; stale answers of an earlier, timed-out call are skipped.
        for _ in 0..10_000 {
            // SAFETY: recv(2) into our own buffer, at most its length.
            let n = unsafe {
                libc::recv(
                    self.fd.as_raw_fd(),
                    self.buf.as_mut_ptr().cast(),
                    self.buf.len(),
                    0,
                )
            };
            if n < 0 {
                return Err(io::Error::last_os_error());
            }
            let got = &self.buf[..n as usize];
            for m in netlink::messages(got) {
                match m {
                    Reply::Data(m) if m.seq == seq => each(&m),
                    Reply::Data(_) => {}
                    Reply::Done => return Ok(()),
                    Reply::Error(0) => return Ok(()),
                    Reply::Error(e) => return Err(io::Error::from_raw_os_error(-e)),
                }
            }
            // A single (not dump) answer ends with its one message.
            if !req_is_dump(&req) && got.len() >= netlink::NLMSG_HDRLEN {
                return Ok(());
            }
        }
        Err(io::Error::other("netlink: the answer did not end"))
    }
}

fn req_is_dump(req: &[u8]) -> bool {
    req.get(6..8)
        .map(|f| u16::from_ne_bytes([f[0], f[1]]) & netlink::NLM_F_DUMP != 0)
        .unwrap_or(false)
}

/// Move the calling thread (only it: setns(2) on a thread changes that thread's namespace) into
/// the network namespace `fd` refers to. Needs CAP_SYS_ADMIN over the namespace's owning user
/// namespace (net/core/net_namespace.c `netns_install()`): root, or root of the rootless lab's
/// user namespace; CAP_NET_ADMIN alone (setcap) gets EPERM.
pub fn enter_netns(fd: &OwnedFd) -> io::Result<()> {
    // SAFETY: setns on an fd we own, with its namespace kind.
    if unsafe { libc::setns(fd.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Clock ticks per second of the kernel's clock_t values (USER_HZ, 100 on Linux): the unit of
/// NDA_CACHEINFO's ages.
pub fn clock_ticks_per_second() -> u32 {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u32::try_from(hz).ok().filter(|&h| h > 0).unwrap_or(100)
}
