//! UDP (RFC 768): checksum-validated delivery to the two bound ports, the echo service (RFC 862)
//! and the print sink; port unreachable for everything else.
use std::time::Duration;

use super::host::{Datagram, Peer, Stack};
use super::{Answer, DropReason, Outbox, PrintedDatagram, Verdict};
use crate::wire::build::{self, IP_PROTO_UDP};

/// The print sink keeps at most this many bytes of each payload (`orig_len` tells the rest).
pub const PRINT_PAYLOAD_CAP: usize = 2048;

impl Stack {
    pub(super) fn udp(
        &mut self,
        now: Duration,
        peer: &Peer<'_>,
        d: &Datagram<'_>,
        csum_not_ready: bool,
        out: &mut Outbox,
    ) -> Verdict {
        let p = d.payload();
        if p.len() < 8 {
            return Verdict::NoReply(DropReason::Malformed);
        }
        let src_port = u16::from_be_bytes([p[0], p[1]]);
        let dst_port = u16::from_be_bytes([p[2], p[3]]);
        let udp_len = usize::from(u16::from_be_bytes([p[4], p[5]]));
        let csum = u16::from_be_bytes([p[6], p[7]]);
        if udp_len < 8 || udp_len > p.len() {
            return Verdict::NoReply(DropReason::Malformed);
        }
        let seg = &p[..udp_len]; // bytes past the UDP length are not part of the datagram
                                 // Checksum 0 means the sender computed none (RFC 768). With offload the field holds only
                                 // the pseudo-header sum the kernel left for the NIC: unverifiable, so accepted.
        if csum != 0 && !csum_not_ready {
            let mut c = build::pseudo_header(d.src, d.dst, IP_PROTO_UDP, udp_len as u16);
            if c.add(seg).finish() != 0 {
                return Verdict::NoReply(DropReason::BadChecksum);
            }
        }
        let payload = &seg[8..];
        if dst_port == self.cfg.udp_echo_port {
            if d.broadcast && !self.cfg.answer_broadcast_echo {
                return Verdict::NoReply(DropReason::BroadcastEcho);
            }
            // Port 0 cannot be answered; echo to our own echo port would let two echo services
            // bounce one datagram forever (the classic echo/echo loop).
            if src_port == 0 || src_port == self.cfg.udp_echo_port {
                return Verdict::NoReply(DropReason::BadSource);
            }
            let hdr = build::udp_header(self.cfg.ip, d.src, dst_port, src_port, payload);
            self.send_ip(
                out,
                peer,
                d.src,
                IP_PROTO_UDP,
                d.dont_fragment,
                [&hdr, payload],
            );
            return Verdict::Answered(Answer::UdpEcho);
        }
        if dst_port == self.cfg.udp_print_port {
            self.print(PrintedDatagram {
                at: now,
                from: (d.src, src_port),
                payload: payload[..payload.len().min(PRINT_PAYLOAD_CAP)].to_vec(),
                orig_len: payload.len(),
            });
            return Verdict::NoReply(DropReason::UdpDelivered);
        }
        self.unreachable(
            now,
            peer,
            d,
            build::ICMP_CODE_PORT_UNREACHABLE,
            Answer::PortUnreachable,
            out,
        )
    }

    fn print(&mut self, p: PrintedDatagram) {
        if self.cfg.print_keep == 0 {
            return;
        }
        while self.printed.len() >= self.cfg.print_keep {
            self.printed.pop_front();
        }
        self.printed.push_back(p);
    }
}
