//! The host: Ethernet (with VLAN tags), ARP and IPv4 input, dispatch to ICMP and UDP, and the
//! one place replies are written.
//!
//! Order of checks for one frame (the first that fails names the verdict):
//! 1. Ethernet: ≥ 14 bytes, whole VLAN tags and at most [`MAX_VLAN_TAGS`] of them, the limit
//!    the dissector flags as `too_many_vlan_tags` (Malformed); destination our MAC or broadcast,
//!    not multicast: we join no group (NotForUs); source a unicast MAC other than ours
//!    (BadSource); EtherType ARP or IPv4 (UnsupportedEthertype).
//! 2. ARP: see [`Stack::arp`].
//! 3. IPv4: version, IHL, lengths (Malformed); header checksum (BadChecksum); destination ours
//!    or broadcast, and a broadcast one if the frame went to the broadcast MAC (NotForUs, RFC
//!    1122 §3.3.6, see [`Stack::ipv4`]); source unicast and not ours (BadSource); TTL > 0
//!    (TtlExpired: deliberately against RFC 1122 §3.2.1.7, see [`Stack::ipv4`]);
//!    fragments go to reassembly (FragmentHeld/FragmentRejected or, when complete, on).
//! 4. ICMP (`icmp.rs`), UDP (`udp.rs`); any other protocol, TCP included (this host has no
//!    TCP), gets protocol unreachable.
//!
//! Replies go to the frame's source MAC with the frame's VLAN tags (the ARP reply, like Linux
//! and RFC 826, to the ARP sender hardware address): a responder needs no ARP lookup to answer.
use std::collections::VecDeque;
use std::net::Ipv4Addr;

use super::arp::ArpCache;
use super::icmp::TokenBucket;
use super::reassembly::{Fragment, Key, Outcome, Reassembler};
use super::*;
use crate::wire::build::{self, EthIp, Ipv4Datagram};
use crate::wire::{is_vlan_tpid, MAX_VLAN_TAGS};

/// TTL of everything we send (Linux's default).
const REPLY_TTL: u8 = 64;

/// Where a frame came from: replies go back the same way.
pub(super) struct Peer<'a> {
    pub mac: [u8; 6],
    pub tags: &'a [u8],
    /// The frame went to the link-layer broadcast address (multicast MACs never get this far).
    /// No ICMP error is ever sent about such a frame (RFC 1122 §3.2.2).
    pub link_broadcast: bool,
}

/// A whole IPv4 datagram for us (unfragmented, or reassembled).
pub(super) struct Datagram<'a> {
    /// Header (with options) and payload, cut to the total length. For a reassembled datagram,
    /// the first fragment's header as received, then the whole payload.
    pub bytes: &'a [u8],
    pub ihl: usize,
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub protocol: u8,
    pub dont_fragment: bool,
    /// Sent to 255.255.255.255 or our subnet's directed broadcast.
    pub broadcast: bool,
}

impl Datagram<'_> {
    pub fn payload(&self) -> &[u8] {
        &self.bytes[self.ihl..]
    }
}

/// A user-space IPv4 host: answers ARP and ICMP echo, serves UDP echo and print, reassembles
/// fragments. Sans-I/O: [`Stack::handle_frame`] takes a frame and appends replies to an
/// [`Outbox`]; time comes in as `now`.
pub struct Stack {
    pub(super) cfg: StackConfig,
    pub(super) counters: Counters,
    pub(super) arp: ArpCache,
    pub(super) frags: Reassembler,
    pub(super) icmp_errors: TokenBucket,
    pub(super) printed: VecDeque<PrintedDatagram>,
    next_ip_id: u16,
    /// Reused buffer for reassembled datagrams.
    reassembled: Vec<u8>,
}

fn is_unicast_mac(m: &[u8; 6]) -> bool {
    m[0] & 1 == 0 && *m != [0; 6]
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn ip_at(b: &[u8], at: usize) -> Ipv4Addr {
    Ipv4Addr::new(b[at], b[at + 1], b[at + 2], b[at + 3])
}

impl Stack {
    pub fn new(cfg: StackConfig) -> Self {
        Stack {
            arp: ArpCache::new(cfg.arp_cache_cap, cfg.arp_timeout),
            frags: Reassembler::new(cfg.reassembly_mem_cap, cfg.reassembly_timeout),
            icmp_errors: TokenBucket::new(cfg.icmp_error_rate),
            printed: VecDeque::new(),
            counters: Counters::default(),
            // Any start works; derive it from the MAC so two lab hosts differ.
            next_ip_id: u16::from_be_bytes([cfg.mac[4], cfg.mac[5]]).wrapping_mul(0x9e37),
            reassembled: Vec::new(),
            cfg,
        }
    }

    pub fn config(&self) -> &StackConfig {
        &self.cfg
    }

    /// Handle one received frame: append any replies to `out` and return the single verdict,
    /// which is also counted in [`Stack::counters`]. `csum_not_ready` means the capture reported
    /// the L4 checksum as left to offload: it is accepted unverified.
    pub fn handle_frame(
        &mut self,
        now: Duration,
        frame: &[u8],
        csum_not_ready: bool,
        out: &mut Outbox,
    ) -> Verdict {
        let before = out.len();
        let v = self.ethernet(now, frame, csum_not_ready, out);
        self.counters.record(v, out.len() - before);
        v
    }

    /// Age the ARP cache and drop timed-out reassemblies.
    pub fn poll(&mut self, now: Duration) {
        self.arp.expire(now);
        self.frags.expire(now);
    }

    pub fn set_arp_responder(&mut self, on: bool) {
        self.cfg.arp_responder = on;
    }
    pub fn set_icmp_responder(&mut self, on: bool) {
        self.cfg.icmp_responder = on;
    }
    pub fn arp_responder(&self) -> bool {
        self.cfg.arp_responder
    }
    pub fn icmp_responder(&self) -> bool {
        self.cfg.icmp_responder
    }
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Live ARP entries at `now`, sorted by IP.
    pub fn arp_cache(&self, now: Duration) -> Vec<ArpEntry> {
        self.arp.entries(now)
    }

    /// The print sink's payloads since the last call (at most `print_keep`, oldest first).
    pub fn take_printed(&mut self) -> Vec<PrintedDatagram> {
        self.printed.drain(..).collect()
    }

    /// Bytes held by fragment reassembly right now (payload plus per-fragment bookkeeping);
    /// never above `reassembly_mem_cap`.
    pub fn reassembly_bytes(&self) -> usize {
        self.frags.held_bytes()
    }

    /// Datagrams being reassembled right now (at most [`MAX_REASSEMBLIES`](super::MAX_REASSEMBLIES)).
    pub fn reassemblies(&self) -> usize {
        self.frags.in_progress()
    }

    /// The IP MTU replies are fragmented to: `cfg.mtu` within 68..=65,535.
    pub fn effective_mtu(&self) -> usize {
        self.cfg.mtu.clamp(build::IPV4_MIN_MTU, build::IPV4_MAX_LEN)
    }

    fn ethernet(
        &mut self,
        now: Duration,
        frame: &[u8],
        csum_not_ready: bool,
        out: &mut Outbox,
    ) -> Verdict {
        if frame.len() < build::ETH_HDR_LEN {
            return Verdict::NoReply(DropReason::Malformed);
        }
        let mut at = 12;
        let mut ethertype = be16(frame, at);
        while is_vlan_tpid(ethertype) {
            if (at - 12) / 4 == MAX_VLAN_TAGS {
                // A tag more than the dissector follows: it flags the frame malformed, so do we.
                return Verdict::NoReply(DropReason::Malformed);
            }
            at += 4;
            if frame.len() < at + 2 {
                return Verdict::NoReply(DropReason::Malformed);
            }
            ethertype = be16(frame, at);
        }
        let dst: [u8; 6] = frame[0..6].try_into().unwrap_or_default();
        let src: [u8; 6] = frame[6..12].try_into().unwrap_or_default();
        if dst != self.cfg.mac && dst != build::BROADCAST_MAC {
            return Verdict::NoReply(DropReason::NotForUs);
        }
        if !is_unicast_mac(&src) || src == self.cfg.mac {
            return Verdict::NoReply(DropReason::BadSource);
        }
        let peer = Peer {
            mac: src,
            tags: &frame[12..at],
            link_broadcast: dst == build::BROADCAST_MAC,
        };
        let payload = &frame[at + 2..];
        match ethertype {
            build::ETHERTYPE_ARP => self.arp(now, &peer, payload, out),
            build::ETHERTYPE_IPV4 => self.ipv4(now, &peer, payload, csum_not_ready, out),
            _ => Verdict::NoReply(DropReason::UnsupportedEthertype),
        }
    }

    /// ARP (RFC 826, RFC 5227 probes):
    /// - a request for our address is answered (also a probe with sender IP 0.0.0.0: the reply
    ///   tells the prober the address is taken) and its sender learned;
    /// - a reply to our address: its sender is learned; nothing to answer;
    /// - a gratuitous ARP (sender IP = target IP, request or reply), a reply to another address,
    ///   and any other request only refresh an entry we already have.
    ///
    /// That is RFC 826's merge rule: an entry for the sender is updated if there is one, and a
    /// new one is added only if we are the target. Linux (with the default `arp_accept=0`)
    /// creates no entry from a gratuitous ARP either. So no host on the link can fill our cache
    /// by announcing itself or by broadcasting replies meant for someone else.
    ///
    /// Never learned: sender IP 0.0.0.0 or our own. Unusable sender MAC (broadcast, multicast,
    /// zero) or sender IP (broadcast, multicast): BadSource, nothing learned or sent.
    fn arp(&mut self, now: Duration, peer: &Peer<'_>, p: &[u8], out: &mut Outbox) -> Verdict {
        // Anything past 28 bytes is Ethernet padding.
        if p.len() < 28 {
            return Verdict::NoReply(DropReason::Malformed);
        }
        if p[0..6] != [0x00, 0x01, 0x08, 0x00, 6, 4] {
            // Only Ethernet/IPv4 ARP exists on this link.
            return Verdict::NoReply(DropReason::Malformed);
        }
        let op = be16(p, 6);
        let sha: [u8; 6] = p[8..14].try_into().unwrap_or_default();
        let spa = ip_at(p, 14);
        let tpa = ip_at(p, 24);
        if !is_unicast_mac(&sha) || spa.is_broadcast() || spa.is_multicast() {
            return Verdict::NoReply(DropReason::BadSource);
        }
        let learnable = !spa.is_unspecified() && spa != self.cfg.ip;
        match op {
            build::ARP_REQUEST if tpa == self.cfg.ip => {
                if learnable {
                    self.arp.learn(now, spa, sha, true);
                }
                if !self.cfg.arp_responder {
                    return Verdict::NoReply(DropReason::ArpResponderOff);
                }
                let (mac, ip, tags) = (self.cfg.mac, self.cfg.ip, peer.tags);
                out.push_with(|b| {
                    build::ethernet(b, sha, mac, tags, build::ETHERTYPE_ARP);
                    build::arp_payload(b, build::ARP_REPLY, mac, ip, sha, spa);
                });
                Verdict::Answered(Answer::ArpReply)
            }
            build::ARP_REQUEST if spa != tpa => {
                if learnable {
                    self.arp.learn(now, spa, sha, false);
                }
                Verdict::NoReply(DropReason::NotForUs)
            }
            build::ARP_REQUEST | build::ARP_REPLY => {
                // A gratuitous request, or any reply: a new entry only for a reply to us.
                if learnable {
                    let for_us = op == build::ARP_REPLY && tpa == self.cfg.ip;
                    self.arp.learn(now, spa, sha, for_us);
                }
                Verdict::NoReply(DropReason::ArpNoReplyNeeded)
            }
            _ => Verdict::NoReply(DropReason::Malformed),
        }
    }

    fn is_broadcast(&self, ip: Ipv4Addr) -> bool {
        if ip.is_broadcast() {
            return true;
        }
        // Directed broadcast of our subnet; /31 and /32 have none (RFC 3021).
        let prefix = u32::from(self.cfg.prefix.min(32));
        if prefix >= 31 {
            return false;
        }
        let host_mask = u32::MAX >> prefix;
        let net = u32::from(self.cfg.ip) & !host_mask;
        u32::from(ip) == net | host_mask
    }

    /// IPv4 input, up to delivery or reassembly. A unicast datagram that arrived in a link-layer
    /// broadcast is discarded as NotForUs: RFC 1122 §3.3.6 says a host SHOULD silently discard
    /// it. Linux only does so with `net.ipv4.conf.*.drop_unicast_in_l2_multicast=1` (by
    /// default it delivers it, though it never sends an ICMP error about it); we take the RFC's
    /// side: such a frame is misaddressed or crafted (every host on the link sees it, e.g. the
    /// Wi-Fi "hole 196" attack), and discarding it keeps one simple rule for the lessons: a
    /// frame to ff:ff:ff:ff:ff:ff must carry a broadcast IP destination.
    ///
    /// A datagram with TTL 0 is dropped as TtlExpired. This deliberately deviates from RFC 1122
    /// §3.2.1.7, which says a host MUST NOT discard a datagram just because its TTL is below 2
    /// (TTL limits forwarding, not delivery); Linux delivers a TTL-0 datagram addressed to it
    /// and answers the ping. ringside's spec says TTL 0 is not answered, for teaching: the
    /// lessons show TTL 0 as "expired" next to TTL 1, which is answered.
    fn ipv4(
        &mut self,
        now: Duration,
        peer: &Peer<'_>,
        p: &[u8],
        csum_not_ready: bool,
        out: &mut Outbox,
    ) -> Verdict {
        if p.len() < 20 || p[0] >> 4 != 4 {
            return Verdict::NoReply(DropReason::Malformed);
        }
        let ihl = usize::from(p[0] & 0x0f) * 4;
        let total = usize::from(be16(p, 2));
        if ihl < 20 || ihl > p.len() || total < ihl || total > p.len() {
            return Verdict::NoReply(DropReason::Malformed);
        }
        if build::internet_checksum(&p[..ihl]) != 0 {
            return Verdict::NoReply(DropReason::BadChecksum);
        }
        let p = &p[..total]; // frames may be padded past the datagram
        let flags_frag = be16(p, 6);
        let (src, dst) = (ip_at(p, 12), ip_at(p, 16));
        let broadcast = self.is_broadcast(dst);
        if (dst != self.cfg.ip || peer.link_broadcast) && !broadcast {
            return Verdict::NoReply(DropReason::NotForUs);
        }
        if src.is_unspecified()
            || src.is_broadcast()
            || src.is_multicast()
            || src.is_loopback()
            || src == self.cfg.ip
            || self.is_broadcast(src)
        {
            return Verdict::NoReply(DropReason::BadSource);
        }
        if p[8] == 0 {
            // Not RFC 1122 §3.2.1.7 (Linux would deliver it): see above, the spec wins.
            return Verdict::NoReply(DropReason::TtlExpired);
        }
        let more = flags_frag & 0x2000 != 0;
        let offset = usize::from(flags_frag & 0x1fff) * 8;
        let protocol = p[9];
        let dont_fragment = flags_frag & 0x4000 != 0;
        if !more && offset == 0 {
            let d = Datagram {
                bytes: p,
                ihl,
                src,
                dst,
                protocol,
                dont_fragment,
                broadcast,
            };
            return self.deliver(now, peer, &d, csum_not_ready, out);
        }
        let key = Key {
            src,
            dst,
            protocol,
            id: be16(p, 4),
        };
        let frag = Fragment {
            header: &p[..ihl],
            offset,
            more,
            payload: &p[ihl..],
        };
        let mut buf = std::mem::take(&mut self.reassembled);
        let v = match self.frags.insert(now, key, frag, &mut buf) {
            Outcome::Held => Verdict::NoReply(DropReason::FragmentHeld),
            Outcome::Rejected => Verdict::NoReply(DropReason::FragmentRejected),
            Outcome::Complete { header_len } => {
                let first_df = be16(&buf, 6) & 0x4000 != 0;
                let d = Datagram {
                    bytes: &buf,
                    ihl: header_len,
                    src,
                    dst,
                    protocol,
                    dont_fragment: first_df,
                    broadcast,
                };
                self.deliver(now, peer, &d, csum_not_ready, out)
            }
        };
        // Keep the buffer (at most one 64 KiB datagram) for next time.
        self.reassembled = buf;
        v
    }

    fn deliver(
        &mut self,
        now: Duration,
        peer: &Peer<'_>,
        d: &Datagram<'_>,
        csum_not_ready: bool,
        out: &mut Outbox,
    ) -> Verdict {
        match d.protocol {
            build::IP_PROTO_ICMP => self.icmp(peer, d, csum_not_ready, out),
            build::IP_PROTO_UDP => self.udp(now, peer, d, csum_not_ready, out),
            _ => self.unreachable(
                now,
                peer,
                d,
                build::ICMP_CODE_PROTOCOL_UNREACHABLE,
                Answer::ProtocolUnreachable,
                out,
            ),
        }
    }

    /// Send an IPv4 datagram from us to `dst` via `peer`, fragmented to the MTU if needed (then
    /// with DF clear). Writes straight into the outbox: no allocation once it is warm.
    pub(super) fn send_ip(
        &mut self,
        out: &mut Outbox,
        peer: &Peer<'_>,
        dst: Ipv4Addr,
        protocol: u8,
        dont_fragment: bool,
        l4: [&[u8]; 2],
    ) {
        let h = EthIp {
            src_mac: self.cfg.mac,
            dst_mac: peer.mac,
            src_ip: self.cfg.ip,
            dst_ip: dst,
            ttl: REPLY_TTL,
            ip_id: self.next_ip_id,
        };
        self.next_ip_id = self.next_ip_id.wrapping_add(1);
        let d = Ipv4Datagram {
            eth_ip: &h,
            vlan_tags: peer.tags,
            protocol,
            dont_fragment,
            l4,
        };
        let mtu = self.effective_mtu();
        let mut offset = 0;
        loop {
            let mut next = 0;
            out.push_with(|b| next = d.write_fragment(b, mtu, offset));
            offset = next;
            if offset >= d.l4_len() {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directed_broadcast_per_prefix() {
        let mut cfg = StackConfig {
            ip: Ipv4Addr::new(10, 1, 2, 3),
            prefix: 24,
            ..StackConfig::default()
        };
        let s = Stack::new(cfg.clone());
        assert!(s.is_broadcast(Ipv4Addr::new(10, 1, 2, 255)));
        assert!(s.is_broadcast(Ipv4Addr::BROADCAST));
        assert!(!s.is_broadcast(Ipv4Addr::new(10, 1, 3, 255)));
        cfg.prefix = 31;
        assert!(!Stack::new(cfg.clone()).is_broadcast(Ipv4Addr::new(10, 1, 2, 3)));
        cfg.prefix = 0;
        assert!(Stack::new(cfg).is_broadcast(Ipv4Addr::BROADCAST));
    }
}
