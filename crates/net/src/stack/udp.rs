//! UDP (RFC 768): checksum-validated delivery to the two bound ports, the echo service (RFC 862)
//! and the print sink; port unreachable for everything else.
use std::time::Duration;

use super::host::{Datagram, Peer, Stack};
use super::{Answer, DropReason, Outbox, PrintedDatagram, Verdict};
use crate::wire::icmp;
use crate::wire::udp::{UdpPacket, UdpRepr};
use crate::wire::IpProtocol;

const IP_PROTO_UDP: u8 = IpProtocol::UDP.0;

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
        // 8 bytes there, length within 8..=IP payload: else Malformed. Bytes past the UDP
        // length are not part of the datagram: `payload()` stops there.
        let Ok(u) = UdpPacket::new_checked(d.payload()) else {
            return Verdict::NoReply(DropReason::Malformed);
        };
        let (src_port, dst_port, csum) = (u.src_port(), u.dst_port(), u.checksum());
        // Checksum 0 means the sender computed none (RFC 768). With offload the field holds only
        // the pseudo-header sum the kernel left for the NIC: unverifiable, so accepted.
        if csum != 0 && !csum_not_ready && !u.verify_checksum(d.src, d.dst) {
            return Verdict::NoReply(DropReason::BadChecksum);
        }
        let payload = u.payload();
        if dst_port == self.cfg.udp_echo_port {
            if d.broadcast && !self.cfg.answer_broadcast_echo {
                return Verdict::NoReply(DropReason::BroadcastEcho);
            }
            // Port 0 cannot be answered; echo to our own echo port would let two echo services
            // bounce one datagram forever (the classic echo/echo loop).
            if src_port == 0 || src_port == self.cfg.udp_echo_port {
                return Verdict::NoReply(DropReason::BadSource);
            }
            let hdr = UdpRepr {
                src_port: dst_port,
                dst_port: src_port,
            }
            .header(self.cfg.ip, d.src, payload);
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
            icmp::CODE_PORT_UNREACHABLE,
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
