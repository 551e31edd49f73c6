//! ICMP: echo replies (RFC 792) and the errors we send (destination unreachable), rate-limited
//! by a token bucket and restricted by RFC 1122 §3.2.2.
use std::time::Duration;

use super::host::{Datagram, Peer, Stack};
use super::{Answer, DropReason, Outbox, Verdict};
use crate::wire::icmp::{self, EchoRepr, ErrorRepr, IcmpPacket};
use crate::wire::IpProtocol;

const IP_PROTO_ICMP: u8 = IpProtocol::ICMP.0;

/// ICMP errors quote the offending IP header and this many bytes of its payload (RFC 792).
pub const QUOTED_PAYLOAD: usize = 8;

/// Token bucket: `rate` tokens per second, holding at most `rate` (the burst). Starts full.
#[derive(Debug, Clone)]
pub(crate) struct TokenBucket {
    rate: u32,
    tokens: f64,
    last: Option<Duration>,
}

impl TokenBucket {
    pub(crate) fn new(rate: u32) -> Self {
        TokenBucket {
            rate,
            tokens: f64::from(rate),
            last: None,
        }
    }

    /// Take one token if there is one. Time going backwards refills nothing.
    pub(crate) fn take(&mut self, now: Duration) -> bool {
        if let Some(last) = self.last {
            let dt = now.saturating_sub(last).as_secs_f64();
            self.tokens = (self.tokens + dt * f64::from(self.rate)).min(f64::from(self.rate));
        }
        if self.last.is_none_or(|l| now > l) {
            self.last = Some(now);
        }
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

impl Stack {
    /// An ICMP message for us (whole datagram, IPv4 header already checked).
    pub(super) fn icmp(
        &mut self,
        peer: &Peer<'_>,
        d: &Datagram<'_>,
        csum_not_ready: bool,
        out: &mut Outbox,
    ) -> Verdict {
        let Ok(msg) = IcmpPacket::new_checked(d.payload()) else {
            return Verdict::NoReply(DropReason::Malformed);
        };
        if !csum_not_ready && !msg.verify_checksum() {
            return Verdict::NoReply(DropReason::BadChecksum);
        }
        if msg.msg_type() != icmp::ECHO_REQUEST {
            return Verdict::NoReply(DropReason::IcmpNotEcho);
        }
        if !self.cfg.icmp_responder {
            return Verdict::NoReply(DropReason::IcmpResponderOff);
        }
        if d.broadcast && !self.cfg.answer_broadcast_echo {
            return Verdict::NoReply(DropReason::BroadcastEcho);
        }
        // Echo reply: same identifier, sequence and data (RFC 792), code 0. The data is exactly
        // the request's ICMP payload as bounded by the IPv4 total length: Ethernet padding was
        // cut off before we got here.
        let data = msg.data();
        let hdr = if csum_not_ready {
            // The request's checksum is not final (offload): sum the reply in full.
            EchoRepr {
                reply: true,
                ident: msg.ident(),
                seq: msg.seq(),
            }
            .header(data)
        } else {
            // The checksum was verified: update it for the type/code word alone (RFC 1624
            // eqn. 3) instead of summing the data again.
            EchoRepr::reply_header(&msg)
        };
        self.send_ip(
            out,
            peer,
            d.src,
            IP_PROTO_ICMP,
            d.dont_fragment,
            [&hdr, data],
        );
        Verdict::Answered(Answer::EchoReply)
    }

    /// Send destination unreachable `code` about datagram `d`, if the rules allow it: never about
    /// a broadcast/multicast destination, IP or link-layer (RFC 1122 §3.2.2; `ipv4` already
    /// discards unicast datagrams in link-layer broadcasts, checked here again so the MUST NOT
    /// holds on its own; sources were vetted on arrival, and
    /// only whole datagrams get here, so never about a non-first fragment; and ICMP itself is
    /// always handled, so never about an ICMP error). Rate-limited.
    pub(super) fn unreachable(
        &mut self,
        now: Duration,
        peer: &Peer<'_>,
        d: &Datagram<'_>,
        code: u8,
        answer: Answer,
        out: &mut Outbox,
    ) -> Verdict {
        if d.broadcast || peer.link_broadcast {
            return Verdict::NoReply(DropReason::NotForUs);
        }
        if !self.icmp_errors.take(now) {
            return Verdict::NoReply(DropReason::IcmpErrorRateLimited);
        }
        let quoted_len = d.ihl + d.payload().len().min(QUOTED_PAYLOAD);
        let quoted = &d.bytes[..quoted_len];
        let hdr = ErrorRepr {
            msg_type: icmp::DEST_UNREACHABLE,
            code,
        }
        .header(quoted);
        self.send_ip(out, peer, d.src, IP_PROTO_ICMP, false, [&hdr, quoted]);
        Verdict::Answered(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::StackConfig;
    use crate::wire::build::{self, IP_PROTO_UDP};

    #[test]
    fn no_unreachable_about_a_link_layer_broadcast_whatever_the_ip_destination() {
        // `ipv4` discards these before delivery; the MUST NOT (RFC 1122 §3.2.2) holds here too.
        let mut s = Stack::new(StackConfig::default());
        let mut bytes = [0u8; 28];
        bytes[0] = 0x45;
        let d = Datagram {
            bytes: &bytes,
            ihl: 20,
            src: std::net::Ipv4Addr::new(198, 51, 100, 1),
            dst: s.config().ip,
            protocol: IP_PROTO_UDP,
            dont_fragment: false,
            broadcast: false,
        };
        let mut out = Outbox::new();
        for (link_broadcast, sent) in [(true, 0), (false, 1)] {
            let peer = Peer {
                mac: [2, 0, 0, 0, 0, 1],
                tags: &[],
                link_broadcast,
            };
            out.clear();
            let code = build::ICMP_CODE_PORT_UNREACHABLE;
            s.unreachable(
                Duration::ZERO,
                &peer,
                &d,
                code,
                Answer::PortUnreachable,
                &mut out,
            );
            assert_eq!(out.len(), sent, "link_broadcast {link_broadcast}");
        }
    }

    #[test]
    fn bucket_bursts_then_refills_at_rate() {
        let ms = Duration::from_millis;
        let mut b = TokenBucket::new(10);
        let sent = (0..20).filter(|_| b.take(ms(0))).count();
        assert_eq!(sent, 10, "burst");
        assert!(!b.take(ms(50)), "half a token after 50 ms");
        assert!(b.take(ms(100)), "one token after 100 ms");
        assert!(!b.take(ms(100)));
        // A long pause refills only up to the burst.
        let sent = (0..20).filter(|_| b.take(ms(60_000))).count();
        assert_eq!(sent, 10);
    }

    #[test]
    fn zero_rate_never_sends_and_clock_going_back_is_harmless() {
        let mut b = TokenBucket::new(0);
        assert!(!b.take(Duration::from_secs(5)));
        let mut b = TokenBucket::new(1);
        assert!(b.take(Duration::from_secs(5)));
        assert!(!b.take(Duration::from_secs(1)));
        assert!(!b.take(Duration::from_millis(5500)));
        assert!(b.take(Duration::from_secs(6)));
    }
}
