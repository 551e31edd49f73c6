//! The system calls ringside makes outside its rings, each behind a safe function: the one place
//! (with the ring modules) where `unsafe` is allowed, so the rest of the crate cannot misuse a
//! pointer or a descriptor. Every `unsafe` block says why it is sound (`// SAFETY:`).
//!
//! Descriptors are `OwnedFd` (closed on drop) or borrowed as `BorrowedFd`/`AsRawFd`. Where a
//! function takes a plain `RawFd`, the call is memory-safe for any integer: a wrong one fails
//! with EBADF, it cannot touch memory.
//!
//! Grouped by job: process ids; namespaces (unshare/setns, and the holder process of the
//! rootless lab); signals; poll; interface ioctls (`struct ifreq`); sockets; clocks and time.
#![allow(unsafe_code)]

use std::ffi::CStr;
use std::io;
use std::net::Ipv4Addr;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

fn errno() -> io::Error {
    io::Error::last_os_error()
}

fn check(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        return Err(errno());
    }
    Ok(r)
}

// ---- process ids -------------------------------------------------------------------------------

/// The real user id.
pub fn uid() -> u32 {
    // SAFETY: getuid has no preconditions and cannot fail.
    unsafe { libc::getuid() }
}

/// The effective user id.
pub fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// The real group id.
pub fn gid() -> u32 {
    // SAFETY: getgid has no preconditions and cannot fail.
    unsafe { libc::getgid() }
}

/// Send signal `sig` to process `pid`.
pub fn kill(pid: i32, sig: libc::c_int) -> io::Result<()> {
    // SAFETY: kill(2) takes no pointers.
    check(unsafe { libc::kill(pid, sig) }).map(drop)
}

/// Wait for our child `pid` to end and reap it (its status is not wanted).
pub fn reap(pid: i32) {
    // SAFETY: waitpid(2) with a null status pointer writes nothing.
    unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
}

/// Reap our child `pid` if it has ended, without waiting: true when it had.
pub fn try_reap(pid: i32) -> bool {
    let mut status = 0;
    // SAFETY: waitpid(2) writes one c_int into a local.
    unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) == pid }
}

// ---- namespaces --------------------------------------------------------------------------------

/// unshare(2): move the calling thread (or, for CLONE_NEWUSER, the single-threaded process) into
/// new namespaces of the kinds in `flags`.
pub fn unshare(flags: libc::c_int) -> io::Result<()> {
    // SAFETY: unshare takes no pointers; it fails (EINVAL) where it does not apply.
    check(unsafe { libc::unshare(flags) }).map(drop)
}

/// setns(2): move the calling thread into the namespace open at `fd`, of kind `nstype`
/// (CLONE_NEWNET, CLONE_NEWUSER).
pub fn setns(fd: impl AsRawFd, nstype: libc::c_int) -> io::Result<()> {
    // SAFETY: setns takes no pointers; a bad descriptor fails with EBADF/EINVAL.
    check(unsafe { libc::setns(fd.as_raw_fd(), nstype) }).map(drop)
}

/// Make `cmd`'s child enter the network namespace open at `ns` between fork and exec. `ns` must
/// stay open until the command is spawned (it is inherited by the child).
pub fn exec_in_netns(cmd: &mut Command, ns: RawFd) {
    // SAFETY: between fork and exec the child calls only setns(2), which is async-signal-safe
    // and allocates nothing (io::Error::last_os_error only reads errno).
    unsafe {
        cmd.pre_exec(move || {
            if libc::setns(ns, libc::CLONE_NEWNET) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Fork a child that makes a network namespace of its own and sleeps in it until killed; it dies
/// with its parent (PR_SET_PDEATHSIG) and writes one byte to `report`, b'1' once it is in its
/// namespace, b'0' when unshare failed (then it exits). `parent` is our pid, checked by the child
/// (the parent may have died before PR_SET_PDEATHSIG took effect). The caller must be
/// single-threaded, as after unshare(CLONE_NEWUSER). Returns the child's pid.
pub fn fork_netns_holder(parent: i32, report: &OwnedFd, other_end: &OwnedFd) -> io::Result<i32> {
    let (wr, rd) = (report.as_raw_fd(), other_end.as_raw_fd());
    // SAFETY: the caller is single-threaded (unshare(CLONE_NEWUSER) required it), so no lock is
    // held across fork; the child calls only async-signal-safe raw system calls on descriptors
    // it inherited and never returns into Rust code (it pauses until killed, or _exits).
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(errno());
    }
    if pid == 0 {
        // SAFETY: as above: raw system calls only, in the child.
        unsafe {
            libc::close(rd);
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            let ok: u8 = if libc::unshare(libc::CLONE_NEWNET) == 0 {
                b'1'
            } else {
                b'0'
            };
            libc::write(wr, (&ok as *const u8).cast(), 1);
            libc::close(wr);
            if ok != b'1' {
                libc::_exit(1);
            }
            // Signals the lab blocks are blocked here too; SIGKILL still ends us.
            loop {
                libc::pause();
            }
        }
    }
    Ok(pid)
}

// ---- signals -----------------------------------------------------------------------------------

/// Restore `sig`'s default action (for SIGPIPE and SIGINT: end the process).
pub fn default_action(sig: libc::c_int) {
    // SAFETY: setting a disposition to SIG_DFL runs no code of ours.
    unsafe { libc::signal(sig, libc::SIG_DFL) };
}

/// A set of signals.
pub struct SigSet(libc::sigset_t);

impl SigSet {
    pub fn of(sigs: &[libc::c_int]) -> SigSet {
        // SAFETY: sigset_t is plain data; sigemptyset initialises it before sigaddset reads it.
        unsafe {
            let mut set = std::mem::zeroed::<libc::sigset_t>();
            libc::sigemptyset(&mut set);
            for &s in sigs {
                libc::sigaddset(&mut set, s);
            }
            SigSet(set)
        }
    }

    /// Block these signals in the calling thread (children inherit the mask).
    pub fn block(&self) {
        // SAFETY: reads our initialised set; the old mask is not asked for.
        unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &self.0, std::ptr::null_mut()) };
    }

    /// Wait for one of these (blocked) signals and take it; None when sigwait failed.
    pub fn wait(&self) -> Option<libc::c_int> {
        let mut sig = 0;
        // SAFETY: reads our set, writes one c_int into a local.
        (unsafe { libc::sigwait(&self.0, &mut sig) } == 0).then_some(sig)
    }
}

/// How many times each signal arrived since [`count_signals`] installed its handler.
static SIGNALS: [AtomicU32; 65] = [const { AtomicU32::new(0) }; 65];

extern "C" fn count_signal(sig: libc::c_int) {
    // Async-signal-safe: one atomic add.
    if let Some(n) = usize::try_from(sig).ok().and_then(|s| SIGNALS.get(s)) {
        n.fetch_add(1, Ordering::Relaxed);
    }
}

/// Count arrivals of each of `sigs` (read with [`signal_count`]) instead of their default action.
/// No SA_RESTART: a blocking poll() returns EINTR, which the loops treat as a timeout.
pub fn count_signals(sigs: &[libc::c_int]) {
    let h = count_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    for &sig in sigs {
        // SAFETY: a zeroed sigaction with an empty mask and a handler that only adds to an
        // atomic (async-signal-safe).
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = h;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

/// How many times `sig` arrived since [`count_signals`] (0 for signals not counted).
pub fn signal_count(sig: libc::c_int) -> u32 {
    usize::try_from(sig)
        .ok()
        .and_then(|s| SIGNALS.get(s))
        .map_or(0, |n| n.load(Ordering::Relaxed))
}

// ---- poll --------------------------------------------------------------------------------------

/// poll(2) one descriptor for `events` for up to `ms` milliseconds: the revents (0 on timeout).
pub fn poll(
    fd: BorrowedFd<'_>,
    events: libc::c_short,
    ms: libc::c_int,
) -> io::Result<libc::c_short> {
    let mut pfd = [pollfd(fd, events)];
    poll_fds(&mut pfd, ms)?;
    Ok(pfd[0].revents)
}

/// A `pollfd` asking for `events` on `fd`, `revents` cleared.
pub fn pollfd(fd: BorrowedFd<'_>, events: libc::c_short) -> libc::pollfd {
    libc::pollfd {
        fd: fd.as_raw_fd(),
        events,
        revents: 0,
    }
}

/// poll(2) on several descriptors at once (a ring and its wake-up pipe; every AF_XDP queue):
/// the number with events, each one's `revents` filled in. The caller keeps the descriptors
/// open for the call (they come from [`pollfd`], which borrows them).
pub fn poll_fds(pfds: &mut [libc::pollfd], ms: libc::c_int) -> io::Result<libc::c_int> {
    // SAFETY: a valid array of `pfds.len()` pollfds, alive and exclusively ours for the call;
    // poll only reads the descriptor numbers and writes `revents`.
    check(unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, ms) })
}

// ---- interface ioctls (struct ifreq) -----------------------------------------------------------

/// A `struct ifreq`, always fully initialised (zeroed, then the name), so reading any member of
/// its union is defined.
pub struct Ifreq(libc::ifreq);

/// The ifreq ioctls ringside makes; each reads and writes only inside the ifreq.
#[derive(Clone, Copy)]
pub enum IfreqRequest {
    GetFlags,
    SetFlags,
    GetMtu,
    GetHwaddr,
    /// On a /dev/net/tun descriptor: attach it to (or create) the named TUN/TAP interface.
    TunSetIff,
}

impl Ifreq {
    pub fn new(name: [libc::c_char; libc::IFNAMSIZ]) -> Ifreq {
        // SAFETY: ifreq is plain old data; all-zero is a valid value.
        let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
        ifr.ifr_name = name;
        Ifreq(ifr)
    }

    /// The raw struct, for a ring module that fills in a pointer member itself.
    pub fn into_raw(self) -> libc::ifreq {
        self.0
    }

    pub fn flags(&self) -> libc::c_short {
        // SAFETY: every byte is initialised and any bit pattern is a valid c_short.
        unsafe { self.0.ifr_ifru.ifru_flags }
    }

    pub fn set_flags(&mut self, flags: libc::c_short) {
        self.0.ifr_ifru.ifru_flags = flags;
    }

    pub fn mtu(&self) -> libc::c_int {
        // SAFETY: every byte is initialised and any bit pattern is a valid c_int.
        unsafe { self.0.ifr_ifru.ifru_mtu }
    }

    pub fn hwaddr(&self) -> libc::sockaddr {
        // SAFETY: every byte is initialised and sockaddr is plain integers.
        unsafe { self.0.ifr_ifru.ifru_hwaddr }
    }

    /// Make `req` on `fd` (any socket for the SIOC* requests; /dev/net/tun for TunSetIff).
    pub fn ioctl(&mut self, fd: BorrowedFd<'_>, req: IfreqRequest) -> io::Result<()> {
        let req = match req {
            IfreqRequest::GetFlags => libc::SIOCGIFFLAGS,
            IfreqRequest::SetFlags => libc::SIOCSIFFLAGS,
            IfreqRequest::GetMtu => libc::SIOCGIFMTU,
            IfreqRequest::GetHwaddr => libc::SIOCGIFHWADDR,
            IfreqRequest::TunSetIff => libc::TUNSETIFF,
        };
        // SAFETY: `self.0` is a valid, initialised ifreq that outlives the call; these requests
        // read and write only inside it.
        check(unsafe { libc::ioctl(fd.as_raw_fd(), req, &mut self.0 as *mut libc::ifreq) })
            .map(drop)
    }
}

/// if_nametoindex(3): 0 when there is no such interface (errno says why).
pub fn if_nametoindex(name: &CStr) -> u32 {
    // SAFETY: `name` is a valid NUL-terminated string.
    unsafe { libc::if_nametoindex(name.as_ptr()) }
}

/// The IPv4 addresses (with prefix length) the kernel owns on `name`, via getifaddrs(3).
pub fn ipv4_addrs(name: &str) -> io::Result<Vec<(Ipv4Addr, u8)>> {
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs writes a list head we free below with freeifaddrs.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return Err(errno());
    }
    let mut out = Vec::new();
    let mut cur = head;
    while !cur.is_null() {
        // SAFETY: `cur` is a node of the list getifaddrs returned, not yet freed.
        let ifa = unsafe { &*cur };
        cur = ifa.ifa_next;
        if ifa.ifa_addr.is_null() || ifa.ifa_name.is_null() {
            continue;
        }
        // SAFETY: ifa_name is a NUL-terminated string owned by the list.
        let n = unsafe { CStr::from_ptr(ifa.ifa_name) };
        if n.to_bytes() != name.as_bytes() {
            continue;
        }
        // SAFETY: ifa_addr is non-null and points at a sockaddr of the family it declares.
        if unsafe { (*ifa.ifa_addr).sa_family } as i32 != libc::AF_INET {
            continue;
        }
        // SAFETY: family is AF_INET, so this is a sockaddr_in.
        let sin = unsafe { &*(ifa.ifa_addr as *const libc::sockaddr_in) };
        let ip = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
        let prefix = if ifa.ifa_netmask.is_null() {
            32
        } else {
            // SAFETY: the netmask of an AF_INET address is a sockaddr_in.
            let m = unsafe { &*(ifa.ifa_netmask as *const libc::sockaddr_in) };
            u32::from_be(m.sin_addr.s_addr).count_ones() as u8
        };
        out.push((ip, prefix));
    }
    // SAFETY: `head` came from getifaddrs and is freed exactly once.
    unsafe { libc::freeifaddrs(head) };
    Ok(out)
}

// ---- sockets and descriptors -------------------------------------------------------------------

/// socket(2), owned.
pub fn socket(domain: libc::c_int, ty: libc::c_int, proto: libc::c_int) -> io::Result<OwnedFd> {
    // SAFETY: socket(2) takes no pointers.
    let fd = check(unsafe { libc::socket(domain, ty, proto) })?;
    // SAFETY: `fd` was just returned by socket(2) and is owned only here.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// open(2) of `path` with `flags`, owned. (Unlike `File::open`, any flags, e.g. O_NONBLOCK.)
pub fn open(path: &CStr, flags: libc::c_int) -> io::Result<OwnedFd> {
    // SAFETY: `path` is a valid NUL-terminated string.
    let fd = check(unsafe { libc::open(path.as_ptr(), flags) })?;
    // SAFETY: `fd` was just returned by open(2) and is owned only here.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// setsockopt(2) with one value of type `T`.
pub fn setsockopt<T: Copy>(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    v: &T,
) -> io::Result<()> {
    // SAFETY: one `T` of the size given, alive for the call; the kernel only reads it.
    check(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (v as *const T).cast(),
            size_of::<T>() as libc::socklen_t,
        )
    })
    .map(drop)
}

/// The socket addresses ringside binds to; each is plain data the kernel reads by its length.
pub trait SockAddr: Copy {}
impl SockAddr for libc::sockaddr_in {}
impl SockAddr for libc::sockaddr_ll {}

/// bind(2) to `addr`.
pub fn bind<A: SockAddr>(fd: BorrowedFd<'_>, addr: &A) -> io::Result<()> {
    // SAFETY: a complete socket address of the length given, alive for the call.
    check(unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (addr as *const A).cast(),
            size_of::<A>() as libc::socklen_t,
        )
    })
    .map(drop)
}

/// An all-zero sockaddr_ll (the fields not set mean "any").
pub fn sockaddr_ll() -> libc::sockaddr_ll {
    // SAFETY: sockaddr_ll is plain old data; all-zero is a valid value.
    unsafe { std::mem::zeroed() }
}

/// recv(2) into `buf` with `flags`: the bytes received.
pub fn recv(fd: BorrowedFd<'_>, buf: &mut [u8], flags: libc::c_int) -> io::Result<usize> {
    // SAFETY: `buf` is writable for its length; no source address asked for.
    let r = unsafe {
        libc::recvfrom(
            fd.as_raw_fd(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            flags,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    };
    if r < 0 {
        return Err(errno());
    }
    Ok(r as usize)
}

/// sendmmsg(2): each of `datagrams` to `dst` on an unconnected datagram socket, in one call.
/// Returns how many the kernel took.
pub fn send_datagrams(
    fd: BorrowedFd<'_>,
    dst: &libc::sockaddr_in,
    datagrams: &mut [Vec<u8>],
) -> io::Result<usize> {
    let mut iov: Vec<libc::iovec> = datagrams
        .iter_mut()
        .map(|b| libc::iovec {
            iov_base: b.as_mut_ptr().cast(),
            iov_len: b.len(),
        })
        .collect();
    let mut msgs: Vec<libc::mmsghdr> = iov
        .iter_mut()
        .map(|v| {
            // SAFETY: mmsghdr is plain old data; every field we need is set below.
            let mut m: libc::mmsghdr = unsafe { std::mem::zeroed() };
            m.msg_hdr.msg_name = (dst as *const libc::sockaddr_in).cast_mut().cast();
            m.msg_hdr.msg_namelen = size_of::<libc::sockaddr_in>() as libc::socklen_t;
            m.msg_hdr.msg_iov = v;
            m.msg_hdr.msg_iovlen = 1;
            m
        })
        .collect();
    // SAFETY: `msgs` points at `iov` and `dst`, `iov` at `datagrams`: all alive for the call.
    let r = unsafe {
        libc::sendmmsg(
            fd.as_raw_fd(),
            msgs.as_mut_ptr(),
            msgs.len() as libc::c_uint,
            0,
        )
    };
    check(r).map(|n| n as usize)
}

/// read(2) into `buf`: the bytes read.
pub fn read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: reading into our own buffer of the length passed.
    let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        return Err(errno());
    }
    Ok(n as usize)
}

/// write(2) of `buf`: the bytes written.
pub fn write(fd: BorrowedFd<'_>, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: writing from a live slice of the length passed.
    let n = unsafe { libc::write(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len()) };
    if n < 0 {
        return Err(errno());
    }
    Ok(n as usize)
}

// ---- clocks, time, randomness -------------------------------------------------------------------

/// CPU time used by the calling thread.
pub fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into a local.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Voluntary context switches of the calling thread: how often it went to sleep waiting.
pub fn thread_voluntary_switches() -> u64 {
    // SAFETY: rusage is plain old data; getrusage writes one into a local.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut ru) };
    ru.ru_nvcsw as u64
}

/// Broken-down local time of `t` (seconds since the epoch), by localtime_r(3); None when the C
/// library cannot convert it.
pub fn local_time(t: i64) -> Option<libc::tm> {
    // SAFETY: tm is plain old data (integers and a pointer localtime_r sets).
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let tt: libc::time_t = t as libc::time_t;
    // SAFETY: both pointers are to valid, owned values; localtime_r writes only `tm`.
    let ok = unsafe { !libc::localtime_r(&tt, &mut tm).is_null() };
    ok.then_some(tm)
}

/// Fill `buf` from the kernel's random source (getrandom(2)); the bytes written.
pub fn getrandom(buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: getrandom writes at most `buf.len()` bytes into `buf`.
    let n = unsafe { libc::getrandom(buf.as_mut_ptr().cast(), buf.len(), 0) };
    if n < 0 {
        return Err(errno());
    }
    Ok(n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn a_counted_signal_is_counted() {
        count_signals(&[libc::SIGUSR2]);
        let before = signal_count(libc::SIGUSR2);
        // SAFETY: raise(3) signals this thread, so the handler has run when it returns.
        assert_eq!(unsafe { libc::raise(libc::SIGUSR2) }, 0);
        assert_eq!(signal_count(libc::SIGUSR2), before + 1);
        assert_eq!(signal_count(-1), 0);
        assert_eq!(signal_count(1000), 0);
    }

    #[test]
    fn poll_times_out_on_a_quiet_socket() {
        let s = socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0).unwrap();
        assert_eq!(poll(s.as_fd(), libc::POLLIN, 1).unwrap(), 0);
        let mut buf = [0u8; 4];
        let e = recv(s.as_fd(), &mut buf, libc::MSG_DONTWAIT).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EAGAIN));
    }
}
