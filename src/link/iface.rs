//! Interface facts the live backends need, read from the kernel of the current network namespace:
//! index, flags (up, carrier), MTU, MAC, and the IPv4 addresses the kernel itself owns there.
//!
//! Every error says what to do about it in one line (they end up on the `ringside: error:` line).
use std::ffi::CString;
use std::io;
use std::net::Ipv4Addr;

/// A closed-on-drop file descriptor.
pub(crate) struct Fd(pub(crate) libc::c_int);

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: we own the descriptor; closing it once here is the only close.
        unsafe { libc::close(self.0) };
    }
}

/// `name` as the fixed-size, NUL-terminated array `struct ifreq` wants.
fn ifr_name(name: &str) -> io::Result<[libc::c_char; libc::IFNAMSIZ]> {
    if name.is_empty() || name.len() >= libc::IFNAMSIZ || name.contains(['/', ' ', '\0']) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "`{name}` is not a valid interface name (1 to {} characters, no '/' or spaces)",
                libc::IFNAMSIZ - 1
            ),
        ));
    }
    let mut out = [0 as libc::c_char; libc::IFNAMSIZ];
    for (o, b) in out.iter_mut().zip(name.bytes()) {
        *o = b as libc::c_char;
    }
    Ok(out)
}

pub(crate) fn ifreq_for(name: &str) -> io::Result<libc::ifreq> {
    // SAFETY: ifreq is plain old data; all-zero is a valid value.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    ifr.ifr_name = ifr_name(name)?;
    Ok(ifr)
}

/// A throwaway datagram socket for interface ioctls (they work on any socket of the namespace).
fn ioctl_socket() -> io::Result<Fd> {
    // SAFETY: plain socket(2) call; the result is checked.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Fd(fd))
}

fn ifreq_ioctl(name: &str, req: libc::Ioctl, ifr: &mut libc::ifreq) -> io::Result<()> {
    let s = ioctl_socket()?;
    // SAFETY: `ifr` is a valid, initialised ifreq that outlives the call; these requests read and
    // write only inside it.
    if unsafe { libc::ioctl(s.0, req, ifr as *mut libc::ifreq) } < 0 {
        return Err(name_error(name, io::Error::last_os_error()));
    }
    Ok(())
}

/// Turn ENODEV/ENXIO into "no such interface" with a hint; keep other errors.
fn name_error(name: &str, e: io::Error) -> io::Error {
    match e.raw_os_error() {
        Some(libc::ENODEV) | Some(libc::ENXIO) => no_such_interface(name),
        _ => e,
    }
}

pub fn no_such_interface(name: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!(
            "no such interface `{name}` in this network namespace: list them with `ip -br link`, \
             or build the lab with `ringside lab up`"
        ),
    )
}

/// The kernel's index of the interface.
pub fn ifindex(name: &str) -> io::Result<u32> {
    let c = CString::new(name).map_err(|_| no_such_interface(name))?;
    // SAFETY: `c` is a valid NUL-terminated string.
    let idx = unsafe { libc::if_nametoindex(c.as_ptr()) };
    if idx == 0 {
        return Err(name_error(name, io::Error::last_os_error()));
    }
    Ok(idx)
}

/// The interface flags (IFF_UP, IFF_RUNNING, ...).
pub fn flags(name: &str) -> io::Result<u32> {
    let mut ifr = ifreq_for(name)?;
    ifreq_ioctl(name, libc::SIOCGIFFLAGS, &mut ifr)?;
    // SAFETY: SIOCGIFFLAGS filled the flags member of the union.
    Ok(unsafe { ifr.ifr_ifru.ifru_flags } as u16 as u32)
}

/// True when the interface is administratively up.
pub fn is_up(name: &str) -> io::Result<bool> {
    Ok(flags(name)? & libc::IFF_UP as u32 != 0)
}

/// Bring the interface up (as `ip link set NAME up`).
pub fn set_up(name: &str) -> io::Result<()> {
    let mut ifr = ifreq_for(name)?;
    ifreq_ioctl(name, libc::SIOCGIFFLAGS, &mut ifr)?;
    // SAFETY: SIOCGIFFLAGS filled the flags member; we modify the same member.
    unsafe { ifr.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short };
    ifreq_ioctl(name, libc::SIOCSIFFLAGS, &mut ifr)
}

/// The interface MTU.
pub fn mtu(name: &str) -> io::Result<u32> {
    let mut ifr = ifreq_for(name)?;
    ifreq_ioctl(name, libc::SIOCGIFMTU, &mut ifr)?;
    // SAFETY: SIOCGIFMTU filled the mtu member of the union.
    Ok(unsafe { ifr.ifr_ifru.ifru_mtu }.max(0) as u32)
}

/// The interface's hardware (MAC) address; an error when it is not Ethernet-like.
pub fn mac(name: &str) -> io::Result<[u8; 6]> {
    let mut ifr = ifreq_for(name)?;
    ifreq_ioctl(name, libc::SIOCGIFHWADDR, &mut ifr)?;
    // SAFETY: SIOCGIFHWADDR filled the hwaddr member of the union.
    let sa = unsafe { ifr.ifr_ifru.ifru_hwaddr };
    if sa.sa_family != libc::ARPHRD_ETHER {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!(
                "`{name}` is not an Ethernet interface (ARPHRD {}): ringside speaks Ethernet only",
                sa.sa_family
            ),
        ));
    }
    let mut m = [0u8; 6];
    for (o, b) in m.iter_mut().zip(sa.sa_data.iter()) {
        *o = *b as u8;
    }
    Ok(m)
}

/// The IPv4 addresses (with prefix length) the kernel owns on `name`, via getifaddrs(3).
pub fn kernel_ipv4(name: &str) -> io::Result<Vec<(Ipv4Addr, u8)>> {
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs writes a list head we free below with freeifaddrs.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return Err(io::Error::last_os_error());
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
        let n = unsafe { std::ffi::CStr::from_ptr(ifa.ifa_name) };
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

/// A random locally administered unicast MAC, 02:xx:xx:xx:xx:xx.
pub fn random_local_mac() -> [u8; 6] {
    let mut m = [0u8; 6];
    // SAFETY: getrandom writes at most 5 bytes into the 5-byte tail of `m`.
    let n = unsafe { libc::getrandom(m[1..].as_mut_ptr().cast(), 5, 0) };
    if n != 5 {
        // No entropy source: fall back on the pid and the clock, still locally administered.
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos();
        let seed = (t as u64) << 16 ^ std::process::id() as u64;
        m[1..].copy_from_slice(&seed.to_be_bytes()[3..8]);
    }
    m[0] = 0x02;
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_mac_is_locally_administered_unicast() {
        let a = random_local_mac();
        assert_eq!(a[0], 0x02);
        let b = random_local_mac();
        assert_ne!(a, b, "two generated MACs collided");
    }

    #[test]
    fn loopback_facts() {
        assert_eq!(ifindex("lo").unwrap(), 1);
        assert!(is_up("lo").unwrap());
        assert!(mtu("lo").unwrap() >= 1500);
        let v4 = kernel_ipv4("lo").unwrap();
        assert!(v4.contains(&(Ipv4Addr::LOCALHOST, 8)), "{v4:?}");
        assert!(mac("lo").is_err(), "loopback is not Ethernet");
    }

    #[test]
    fn missing_interface_says_so() {
        let e = ifindex("rs-nope-zz").unwrap_err();
        assert!(
            e.to_string().contains("no such interface `rs-nope-zz`"),
            "{e}"
        );
        let e = mtu("rs-nope-zz").unwrap_err();
        assert!(e.to_string().contains("no such interface"), "{e}");
        assert!(ifindex("a/b").is_err());
        assert!(flags("this-name-is-far-too-long").is_err());
    }
}
