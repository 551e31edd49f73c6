//! Interface facts the live backends need, read from the kernel of the current network namespace:
//! index, flags (up, carrier), MTU, MAC, and the IPv4 addresses the kernel itself owns there.
//!
//! Every error says what to do about it in one line (they end up on the `ringside: error:` line).
use crate::sys::{self, Ifreq, IfreqRequest};
use std::ffi::CString;
use std::io;
use std::net::Ipv4Addr;
use std::os::fd::{AsFd, OwnedFd};

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

/// A zeroed `struct ifreq` naming interface `name`.
pub(crate) fn ifreq(name: &str) -> io::Result<Ifreq> {
    Ok(Ifreq::new(ifr_name(name)?))
}

/// The same as a raw `libc::ifreq`, for a ring module that fills in a pointer member itself.
pub(crate) fn ifreq_for(name: &str) -> io::Result<libc::ifreq> {
    Ok(ifreq(name)?.into_raw())
}

/// A throwaway datagram socket for interface ioctls (they work on any socket of the namespace).
fn ioctl_socket() -> io::Result<OwnedFd> {
    sys::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0)
}

fn ifreq_ioctl(name: &str, req: IfreqRequest, ifr: &mut Ifreq) -> io::Result<()> {
    let s = ioctl_socket()?;
    ifr.ioctl(s.as_fd(), req).map_err(|e| name_error(name, e))
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
    let idx = sys::if_nametoindex(&c);
    if idx == 0 {
        return Err(name_error(name, io::Error::last_os_error()));
    }
    Ok(idx)
}

/// The interface flags (IFF_UP, IFF_RUNNING, ...).
pub fn flags(name: &str) -> io::Result<u32> {
    let mut ifr = ifreq(name)?;
    ifreq_ioctl(name, IfreqRequest::GetFlags, &mut ifr)?;
    Ok(ifr.flags() as u16 as u32)
}

/// True when the interface is administratively up.
pub fn is_up(name: &str) -> io::Result<bool> {
    Ok(flags(name)? & libc::IFF_UP as u32 != 0)
}

/// Bring the interface up (as `ip link set NAME up`).
pub fn set_up(name: &str) -> io::Result<()> {
    let mut ifr = ifreq(name)?;
    ifreq_ioctl(name, IfreqRequest::GetFlags, &mut ifr)?;
    ifr.set_flags(ifr.flags() | libc::IFF_UP as libc::c_short);
    ifreq_ioctl(name, IfreqRequest::SetFlags, &mut ifr)
}

/// The interface MTU.
pub fn mtu(name: &str) -> io::Result<u32> {
    let mut ifr = ifreq(name)?;
    ifreq_ioctl(name, IfreqRequest::GetMtu, &mut ifr)?;
    Ok(ifr.mtu().max(0) as u32)
}

/// The interface's hardware (MAC) address; an error when it is not Ethernet-like.
pub fn mac(name: &str) -> io::Result<[u8; 6]> {
    let mut ifr = ifreq(name)?;
    ifreq_ioctl(name, IfreqRequest::GetHwaddr, &mut ifr)?;
    let sa = ifr.hwaddr();
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
    sys::ipv4_addrs(name)
}

/// A random locally administered unicast MAC, 02:xx:xx:xx:xx:xx.
pub fn random_local_mac() -> [u8; 6] {
    let mut m = [0u8; 6];
    if sys::getrandom(&mut m[1..]).ok() != Some(5) {
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
