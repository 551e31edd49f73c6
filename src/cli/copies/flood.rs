//! The flood: N UDP datagrams of one payload size, sent by the kernel of the "tx" namespace from
//! an ordinary UDP socket (`sendmmsg`, 32 per call), paced to a fixed rate so every receive path
//! is offered exactly the same frames at the same pace.
use super::netns::{self, RX_IP, TX_IP};
use crate::sys;
use std::io;
use std::os::fd::{AsFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The UDP port the flood goes to (9, "discard", RFC 863).
pub const PORT: u16 = 9;
const SRC_PORT: u16 = 40009;
/// First bytes of every flood payload, then a 64-bit sequence number: how the raw paths tell the
/// flood from anything else on the cable.
pub const MAGIC: &[u8; 8] = b"RSCOPIES";
/// Bytes of headers before the payload in each frame: Ethernet 14 + IPv4 20 + UDP 8.
pub const HEADERS: usize = 14 + 20 + 8;

const BATCH: usize = 32;

#[derive(Clone, Copy, Debug)]
pub struct Flood {
    pub frames: u32,
    pub payload: usize,
    pub rate: u32,
}

/// Is this Ethernet frame one of the flood's? (IPv4, UDP, to [`PORT`], payload starts [`MAGIC`].)
pub fn is_flood(frame: &[u8]) -> bool {
    if frame.len() < 14 + 20 || frame[12..14] != [0x08, 0x00] || frame[14 + 9] != 17 {
        return false;
    }
    let ihl = usize::from(frame[14] & 0x0f) * 4;
    let udp = 14 + ihl;
    frame.len() >= udp + 8 + MAGIC.len()
        && frame[udp + 2..udp + 4] == PORT.to_be_bytes()
        && &frame[udp + 8..udp + 8 + MAGIC.len()] == MAGIC
}

/// Prefix an error with the call that failed.
fn named(what: &'static str) -> impl Fn(io::Error) -> io::Error {
    move |e| io::Error::new(e.kind(), format!("{what}: {e}"))
}

fn sockaddr(ip: [u8; 4], port: u16) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes(ip),
        },
        sin_zero: [0; 8],
    }
}

/// What the sender did: datagrams the kernel accepted, and the sending thread's CPU time. On veth
/// that time includes the receive side's kernel work (see the footer of `ringside copies`).
pub struct Sent {
    pub frames: u64,
    pub cpu: Duration,
}

/// Send the flood from inside namespace `ns`. Sets `done` when finished (or failed), so the
/// receiver knows to stop waiting.
pub fn send(ns: RawFd, flood: Flood, done: Arc<AtomicBool>) -> io::Result<Sent> {
    struct SetDone(Arc<AtomicBool>);
    impl Drop for SetDone {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Release);
        }
    }
    let _done = SetDone(done);
    netns::enter(ns)?;
    let fd = sys::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0)
        .map_err(named("UDP socket"))?;
    let src = sockaddr(TX_IP, SRC_PORT);
    // Not connected: a connected UDP socket would fail on the ICMP port unreachable the
    // receiving kernel sends while no UDP socket listens (the raw paths).
    let dst = sockaddr(RX_IP, PORT);
    sys::bind(fd.as_fd(), &src).map_err(named("bind"))?;
    let mut bufs = vec![vec![0u8; flood.payload]; BATCH];
    for b in &mut bufs {
        b[..MAGIC.len()].copy_from_slice(MAGIC);
    }
    let start = Instant::now();
    let cpu0 = super::thread_cpu();
    let mut sent: u64 = 0;
    let total = u64::from(flood.frames);
    while sent < total {
        let n = (total - sent).min(BATCH as u64) as usize;
        for (i, b) in bufs.iter_mut().take(n).enumerate() {
            b[8..16].copy_from_slice(&(sent + i as u64).to_be_bytes());
        }
        let r = sys::send_datagrams(fd.as_fd(), &dst, &mut bufs[..n]);
        let r = match r {
            Ok(r) => r,
            Err(e) => match e.raw_os_error() {
                // A full queue: try the same datagrams again shortly.
                Some(libc::ENOBUFS) | Some(libc::EAGAIN) | Some(libc::EINTR) => {
                    std::thread::sleep(Duration::from_micros(100));
                    continue;
                }
                _ => return Err(named("sendmmsg")(e)),
            },
        };
        sent += r as u64;
        // Pace: datagram k leaves no earlier than k / rate seconds after the start.
        let due = start + Duration::from_secs_f64(sent as f64 / f64::from(flood.rate));
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
    }
    Ok(Sent {
        frames: sent,
        cpu: super::thread_cpu() - cpu0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(payload: &[u8], dport: u16) -> Vec<u8> {
        let mut f = vec![0u8; HEADERS];
        f[12..14].copy_from_slice(&[0x08, 0x00]);
        f[14] = 0x45;
        f[14 + 9] = 17;
        f[36..38].copy_from_slice(&dport.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    #[test]
    fn flood_frames_are_told_from_others() {
        let mut p = MAGIC.to_vec();
        p.extend_from_slice(&7u64.to_be_bytes());
        assert!(is_flood(&frame(&p, PORT)));
        assert!(!is_flood(&frame(&p, PORT + 1)));
        assert!(!is_flood(&frame(b"RSCOPIEX-and-more", PORT)));
        let mut arp = frame(&p, PORT);
        arp[12..14].copy_from_slice(&[0x08, 0x06]);
        assert!(!is_flood(&arp));
        for cut in 0..HEADERS + MAGIC.len() {
            assert!(!is_flood(&frame(&p, PORT)[..cut]), "cut at {cut}");
        }
    }
}
