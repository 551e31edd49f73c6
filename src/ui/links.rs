//! Request/response links, as Wireshark draws them: an ICMP echo request and its reply (same
//! addresses swapped, same identifier and sequence number, RFC 792), an ARP request and the
//! reply that answers it (RFC 826: the reply's sender is the request's target). Found as frames
//! arrive, from a few header bytes (no full dissection on the hot path); memory is bounded.
use std::collections::HashMap;
use std::time::Duration;

/// What frame `no` is linked to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// A request answered by frame `reply`, `rtt` later.
    ReplyIn { reply: u64, rtt: Duration },
    /// A reply to the request in frame `request`, `rtt` after it.
    RequestIn { request: u64, rtt: Duration },
}

impl Link {
    /// `reply in 12 (0.210 ms)` / `request in 11 (0.210 ms)`.
    pub fn describe(&self) -> String {
        match *self {
            Link::ReplyIn { reply, rtt } => format!("reply in {reply} ({})", fmt_rtt(rtt)),
            Link::RequestIn { request, rtt } => {
                format!("request in {request} (RTT {})", fmt_rtt(rtt))
            }
        }
    }
}

/// `0.210 ms`, `1.503 s`.
pub fn fmt_rtt(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{:.3} ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{:.3} s", d.as_secs_f64())
    }
}

/// What identifies a request and its reply.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
enum Key {
    /// (requester, responder, ident, seq).
    Echo([u8; 4], [u8; 4], u16, u16),
    /// (asker's IP, asked-for IP).
    Arp([u8; 4], [u8; 4]),
}

/// Requests waiting for a reply, and links found, at most this many each.
const KEEP: usize = 1 << 16;

#[derive(Default, Debug)]
pub struct Links {
    /// Keyed by the merged input too: a reply in one file never answers a request in another.
    pending: HashMap<(u16, Key), (u64, Duration)>,
    found: HashMap<u64, Link>,
}

/// A request (true) or reply (false), and its key written as the request's.
fn classify(frame: &[u8]) -> Option<(bool, Key)> {
    let mut at = 12;
    let mut ethertype = u16::from_be_bytes([*frame.get(at)?, *frame.get(at + 1)?]);
    if ethertype == 0x8100 || ethertype == 0x88a8 {
        at += 4;
        ethertype = u16::from_be_bytes([*frame.get(at)?, *frame.get(at + 1)?]);
    }
    let p = frame.get(at + 2..)?;
    let ip4 = |b: &[u8]| -> [u8; 4] { [b[0], b[1], b[2], b[3]] };
    match ethertype {
        0x0806 if p.len() >= 28 && p[4] == 6 && p[5] == 4 => {
            let (spa, tpa) = (ip4(&p[14..18]), ip4(&p[24..28]));
            match u16::from_be_bytes([p[6], p[7]]) {
                1 => Some((true, Key::Arp(spa, tpa))),
                2 => Some((false, Key::Arp(tpa, spa))),
                _ => None,
            }
        }
        0x0800 if p.len() >= 20 => {
            let ihl = usize::from(p[0] & 0x0f) * 4;
            // Only whole, unfragmented datagrams: a fragment's bytes are not an ICMP header.
            let frag = u16::from_be_bytes([p[6], p[7]]) & 0x3fff;
            if p[0] >> 4 != 4 || ihl < 20 || p[9] != 1 || frag != 0 {
                return None;
            }
            let icmp = p.get(ihl..ihl + 8)?;
            let (src, dst) = (ip4(&p[12..16]), ip4(&p[16..20]));
            let ident = u16::from_be_bytes([icmp[4], icmp[5]]);
            let seq = u16::from_be_bytes([icmp[6], icmp[7]]);
            match icmp[0] {
                8 => Some((true, Key::Echo(src, dst, ident, seq))),
                0 => Some((false, Key::Echo(dst, src, ident, seq))),
                _ => None,
            }
        }
        _ => None,
    }
}

impl Links {
    /// Take frame `no`, seen at `ts`, from merged input `source` (0 when there is one).
    pub fn add(&mut self, no: u64, ts: Duration, source: u16, frame: &[u8]) {
        let Some((request, key)) = classify(frame) else {
            return;
        };
        let key = (source, key);
        if request {
            if self.pending.len() >= KEEP {
                self.pending.clear();
            }
            // A retransmitted request (same seq) replaces the older one, as in Wireshark.
            self.pending.insert(key, (no, ts));
        } else if let Some((req, t)) = self.pending.remove(&key) {
            if self.found.len() >= KEEP {
                self.found.clear();
            }
            let rtt = ts.saturating_sub(t);
            self.found.insert(req, Link::ReplyIn { reply: no, rtt });
            self.found.insert(no, Link::RequestIn { request: req, rtt });
        }
    }

    pub fn get(&self, no: u64) -> Option<Link> {
        self.found.get(&no).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::build::{arp, icmp_echo, EthIp};
    use std::net::Ipv4Addr;

    fn hdr(a: u8, b: u8) -> EthIp {
        EthIp {
            src_mac: [2, 0, 0, 0, 0, a],
            dst_mac: [2, 0, 0, 0, 0, b],
            src_ip: Ipv4Addr::new(198, 51, 100, a),
            dst_ip: Ipv4Addr::new(198, 51, 100, b),
            ttl: 64,
            ip_id: 1,
        }
    }

    #[test]
    fn echo_and_arp_pairs_link_with_their_rtt() {
        let mut l = Links::default();
        let ms = Duration::from_millis;
        let mut f = Vec::new();
        f.clear();
        icmp_echo(&mut f, &hdr(1, 2), false, 7, 1, b"x");
        l.add(1, ms(0), 0, &f);
        f.clear();
        icmp_echo(&mut f, &hdr(1, 2), false, 7, 2, b"x"); // never answered
        l.add(2, ms(1), 0, &f);
        f.clear();
        icmp_echo(&mut f, &hdr(2, 1), true, 7, 1, b"x");
        l.add(3, ms(5), 0, &f);
        assert_eq!(
            l.get(1),
            Some(Link::ReplyIn {
                reply: 3,
                rtt: ms(5)
            })
        );
        assert_eq!(
            l.get(3),
            Some(Link::RequestIn {
                request: 1,
                rtt: ms(5)
            })
        );
        assert_eq!(l.get(2), None);
        assert_eq!(l.get(3).unwrap().describe(), "request in 1 (RTT 5.000 ms)");
        // A reply with another ident is not this request's.
        f.clear();
        icmp_echo(&mut f, &hdr(2, 1), true, 8, 2, b"x");
        l.add(4, ms(6), 0, &f);
        assert_eq!(l.get(2), None);
        // ARP: who has .2? tell .1 / .2 is at ...
        f.clear();
        arp(
            &mut f,
            [0xff; 6],
            1,
            [2, 0, 0, 0, 0, 1],
            Ipv4Addr::new(198, 51, 100, 1),
            [0; 6],
            Ipv4Addr::new(198, 51, 100, 2),
        );
        l.add(5, ms(10), 0, &f);
        f.clear();
        arp(
            &mut f,
            [2, 0, 0, 0, 0, 1],
            2,
            [2, 0, 0, 0, 0, 2],
            Ipv4Addr::new(198, 51, 100, 2),
            [2, 0, 0, 0, 0, 1],
            Ipv4Addr::new(198, 51, 100, 1),
        );
        l.add(6, ms(12), 0, &f);
        assert_eq!(l.get(5).unwrap().describe(), "reply in 6 (2.000 ms)");
        // Merged captures: the same request in two files; a reply pairs within its own file.
        let mut m = Links::default();
        f.clear();
        icmp_echo(&mut f, &hdr(1, 2), false, 7, 1, b"x");
        m.add(1, ms(0), 0, &f);
        m.add(2, ms(0), 1, &f);
        f.clear();
        icmp_echo(&mut f, &hdr(2, 1), true, 7, 1, b"x");
        m.add(3, ms(1), 0, &f);
        assert_eq!(
            m.get(3),
            Some(Link::RequestIn {
                request: 1,
                rtt: ms(1)
            })
        );
        assert_eq!(m.get(2), None);
        // Bad input is normal input: nothing panics on short or odd frames.
        for n in 0..f.len() {
            l.add(100 + n as u64, ms(20), 0, &f[..n]);
        }
    }
}
