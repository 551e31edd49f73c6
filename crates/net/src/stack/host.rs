//! The host: Ethernet (with VLAN tags), ARP and IPv4 input, dispatch to ICMP and UDP, and the
//! one place replies are written.
//!
//! Order of checks for one frame (the first that fails names the verdict):
//! 1. Ethernet: ≥ 14 bytes, whole VLAN tags and at most [`MAX_VLAN_TAGS`] of them, the limit
//!    the dissector flags as `too_many_vlan_tags` (Malformed); the tags' VLAN one we are a
//!    member of, or none (VlanNotMember, see [`Stack::vlan_member`]); destination our MAC or broadcast,
//!    not multicast: we join no group (NotForUs); source a unicast MAC other than ours
//!    (BadSource); EtherType ARP or IPv4 (UnsupportedEthertype).
//! 2. ARP: see [`Stack::arp`].
//! 3. IPv4: version, IHL, lengths (Malformed); header checksum (BadChecksum); destination ours
//!    or broadcast, and a broadcast one if the frame went to the broadcast MAC (NotForUs, RFC
//!    1122 §3.3.6, see [`Stack::ipv4`]); source not a martian (MartianSource, see
//!    [`is_martian`]) and not ours or our subnet's broadcast (BadSource); options well formed
//!    (BadIpv4Options, see [`ipv4_options_ok`]); any TTL, 0 included (RFC 1122 §3.2.1.7);
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
use crate::wire::arp::{self, ArpPacket, ArpRepr};
use crate::wire::build::{EthIp, Ipv4Datagram};
use crate::wire::ethernet::{self, EthernetFrame, EthernetRepr};
use crate::wire::icmp;
use crate::wire::ipv4::{self, Ipv4Packet};
use crate::wire::vlan::{self, VlanTag};
use crate::wire::{EtherType, IpProtocol, Mac, MAX_VLAN_TAGS};

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
    Mac(*m).is_unicast()
}

/// A source address no host on a wire can have: what Linux's `ip_route_input_slow` drops as a
/// "martian source" (multicast, 255.255.255.255, 0.0.0.0/8, 127.0.0.0/8 without
/// `route_localnet`), and 240.0.0.0/4, reserved (RFC 6890; RFC 1812 §5.3.7 lists it among the
/// addresses a router must not forward from). Linux drops 240/4 too with rp_filter on (no route
/// back, `fib_validate_source`); without it, it accepts the datagram but has no route to answer.
/// An ARP probe's sender 0.0.0.0 is not judged here (RFC 5227; see [`Stack::arp`]).
pub(super) fn is_martian(ip: Ipv4Addr) -> bool {
    let first = ip.octets()[0];
    first == 0 || first == 127 || first >= 224
}

/// Whether the IPv4 options (the header past its first 20 bytes) are well formed (RFC 791
/// §3.1): End of Option List (0) ends them, No Operation (1) is one byte, every other option
/// has a length byte counting its type and length bytes, so at least 2, and it must end inside
/// the header. Each step moves forward at least one byte and reads only `opts`: no loop, no
/// read past the header, whatever the bytes.
///
/// A malformed option makes the datagram malformed: we drop it as BadIpv4Options. RFC 1122
/// §3.2.2.5 says a host SHOULD send a Parameter Problem pointing at the bad byte, and Linux
/// does (`ip_options_compile` → `icmp_send(ICMP_PARAMETERPROB)`, pointer at the option's first
/// byte); ringside stays silent (a SHOULD, not a MUST) and names the reason instead.
pub(super) fn ipv4_options_ok(opts: &[u8]) -> bool {
    let mut i = 0;
    while i < opts.len() {
        match opts[i] {
            0 => return true,
            1 => i += 1,
            _ => {
                let Some(&len) = opts.get(i + 1) else {
                    return false;
                };
                let len = usize::from(len);
                if len < 2 || len > opts.len() - i {
                    return false;
                }
                i += len;
            }
        }
    }
    true
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
    ///
    /// Inlined into the capture loop for its first test only: the usual frame of a busy LAN
    /// (untagged, to another host's MAC) is judged there without a call; every other frame
    /// goes through [`Stack::judge`].
    #[inline]
    pub fn handle_frame(
        &mut self,
        now: Duration,
        frame: &[u8],
        csum_not_ready: bool,
        out: &mut Outbox,
    ) -> Verdict {
        if self.count_if_for_another_host(frame) {
            return Verdict::NoReply(DropReason::NotForUs);
        }
        self.judge(now, frame, csum_not_ready, out)
    }

    /// If `frame` is an untagged Ethernet frame for another host's MAC, count it as
    /// [`Stack::handle_frame`] would (NotForUs, no reply) and say true; else change nothing and
    /// say false. A capture loop's cheap first look, for the usual frame of a flood: the
    /// caller then needs nothing more from the stack for it.
    #[inline]
    pub fn count_if_for_another_host(&mut self, frame: &[u8]) -> bool {
        if !self.untagged_for_another_host(frame) {
            return false;
        }
        self.counters
            .record(Verdict::NoReply(DropReason::NotForUs), 0);
        true
    }

    /// A whole, untagged Ethernet header whose destination is neither our MAC nor broadcast.
    /// [`Stack::ethernet`] says NotForUs to exactly these and more: without a tag its VLAN
    /// walk finds nothing malformed and [`Stack::vlan_member`] accepts the frame, so the
    /// destination test decides (the unit test `untagged_for_another_host_is_what_ethernet_says`
    /// checks it against the full walk).
    #[inline]
    fn untagged_for_another_host(&self, frame: &[u8]) -> bool {
        let Ok(eth) = EthernetFrame::new_checked(frame) else {
            return false;
        };
        let dst = eth.dst();
        dst != Mac(self.cfg.mac) && !dst.is_broadcast() && !eth.ethertype().is_vlan_tpid()
    }

    /// [`Stack::handle_frame`] for any frame, through every check.
    fn judge(
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
        self.cfg.mtu.clamp(ipv4::MIN_MTU, ipv4::MAX_LEN)
    }

    fn ethernet(
        &mut self,
        now: Duration,
        frame: &[u8],
        csum_not_ready: bool,
        out: &mut Outbox,
    ) -> Verdict {
        let Ok(eth) = EthernetFrame::new_checked(frame) else {
            return Verdict::NoReply(DropReason::Malformed);
        };
        // The tags sit between the source MAC and the final EtherType: each is a TPID (in the
        // type field's place) then a TCI, read through `VlanTag` as the dissector does.
        let tags_start = ethernet::field::TYPE.at;
        let mut at = ethernet::HEADER_LEN; // just past the (first) type field
        let mut ethertype = eth.ethertype();
        let mut tags = 0;
        while ethertype.is_vlan_tpid() {
            if tags == MAX_VLAN_TAGS {
                // A tag more than the dissector follows: it flags the frame malformed, so do we.
                return Verdict::NoReply(DropReason::Malformed);
            }
            let Ok(tag) = VlanTag::new_checked(&frame[at..]) else {
                return Verdict::NoReply(DropReason::Malformed);
            };
            ethertype = tag.ethertype();
            at += vlan::HEADER_LEN;
            tags += 1;
        }
        let tag_bytes = &frame[tags_start..at - vlan::TPID_LEN];
        if !self.vlan_member(tag_bytes) {
            return Verdict::NoReply(DropReason::VlanNotMember);
        }
        let (dst, src) = (eth.dst(), eth.src());
        if dst != Mac(self.cfg.mac) && !dst.is_broadcast() {
            return Verdict::NoReply(DropReason::NotForUs);
        }
        if !src.is_unicast() || src == Mac(self.cfg.mac) {
            return Verdict::NoReply(DropReason::BadSource);
        }
        let peer = Peer {
            mac: src.0,
            tags: tag_bytes,
            link_broadcast: dst.is_broadcast(),
        };
        let payload = &frame[at..];
        match ethertype {
            EtherType::ARP => self.arp(now, &peer, payload, out),
            EtherType::IPV4 => self.ipv4(now, &peer, payload, csum_not_ready, out),
            _ => Verdict::NoReply(DropReason::UnsupportedEthertype),
        }
    }

    /// Whether a frame with these VLAN tags (4 bytes each, outermost first) is for one of our
    /// interfaces: no tag, or a lone priority tag (VID 0: IEEE 802.1Q's null VLAN, Linux hands
    /// it to the untagged interface), or exactly the VLAN IDs of one of `cfg.vlans`. Any TPID
    /// (802.1Q 0x8100, 802.1ad 0x88a8, the old 0x9100) counts; only the IDs are compared.
    fn vlan_member(&self, tags: &[u8]) -> bool {
        // Each tag is 4 bytes, TPID then TCI: the VLAN ID is in the TCI.
        let vid = |t: &[u8]| VlanTag::new_unchecked(&t[vlan::TPID_LEN..]).vid();
        let n = tags.len() / 4;
        if n == 0 || (n == 1 && vid(tags) == 0) {
            return true;
        }
        self.cfg.vlans.iter().any(|ids| {
            ids.len() == n
                && ids
                    .iter()
                    .zip(tags.chunks_exact(4))
                    .all(|(&id, t)| id == vid(t))
        })
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
    /// zero): BadSource; a martian sender IP other than a probe's 0.0.0.0 (Linux checks a
    /// request's sender with `ip_route_input`, the same martian rules as IP): MartianSource.
    /// Nothing learned or sent.
    fn arp(&mut self, now: Duration, peer: &Peer<'_>, p: &[u8], out: &mut Outbox) -> Verdict {
        // Anything past 28 bytes is Ethernet padding. Only Ethernet/IPv4 ARP exists on this link.
        let Some(a) = ArpPacket::new_checked(p)
            .ok()
            .and_then(|a| ArpRepr::parse(&a))
        else {
            return Verdict::NoReply(DropReason::Malformed);
        };
        let (op, sha, spa, tpa) = (a.op, a.sha.0, a.spa, a.tpa);
        if !is_unicast_mac(&sha) {
            return Verdict::NoReply(DropReason::BadSource);
        }
        if is_martian(spa) && !spa.is_unspecified() {
            return Verdict::NoReply(DropReason::MartianSource);
        }
        let learnable = !spa.is_unspecified() && spa != self.cfg.ip;
        match op {
            arp::OP_REQUEST if tpa == self.cfg.ip => {
                if learnable {
                    self.arp.learn(now, spa, sha, true);
                }
                if !self.cfg.arp_responder {
                    return Verdict::NoReply(DropReason::ArpResponderOff);
                }
                let (mac, ip, tags) = (self.cfg.mac, self.cfg.ip, peer.tags);
                out.push_with(|b| {
                    EthernetRepr {
                        dst: Mac(sha),
                        src: Mac(mac),
                        ethertype: EtherType::ARP,
                    }
                    .emit(b, tags);
                    ArpRepr {
                        op: arp::OP_REPLY,
                        sha: Mac(mac),
                        spa: ip,
                        tha: Mac(sha),
                        tpa: spa,
                    }
                    .emit(b);
                });
                Verdict::Answered(Answer::ArpReply)
            }
            arp::OP_REQUEST if spa != tpa => {
                if learnable {
                    self.arp.learn(now, spa, sha, false);
                }
                Verdict::NoReply(DropReason::NotForUs)
            }
            arp::OP_REQUEST | arp::OP_REPLY => {
                // A gratuitous request, or any reply: a new entry only for a reply to us.
                if learnable {
                    let for_us = op == arp::OP_REPLY && tpa == self.cfg.ip;
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
    /// The TTL is not checked: RFC 1122 §3.2.1.7 says a host MUST NOT discard a datagram just
    /// because it arrived with TTL below 2 (TTL limits forwarding, not delivery; a host only
    /// must not *send* TTL 0). Linux delivers TTL 0 and 1 alike and answers the ping, with its
    /// own TTL (64), as we do.
    fn ipv4(
        &mut self,
        now: Duration,
        peer: &Peer<'_>,
        p: &[u8],
        csum_not_ready: bool,
        out: &mut Outbox,
    ) -> Verdict {
        // Version, IHL, the header there, total length within header..frame: else Malformed.
        let Ok(ip) = Ipv4Packet::new_checked(p) else {
            return Verdict::NoReply(DropReason::Malformed);
        };
        if !ip.verify_checksum() {
            return Verdict::NoReply(DropReason::BadChecksum);
        }
        let ihl = ip.header_len();
        let p = ip.datagram(); // frames may be padded past the datagram
        let (src, dst) = (ip.src(), ip.dst());
        let broadcast = self.is_broadcast(dst);
        if (dst != self.cfg.ip || peer.link_broadcast) && !broadcast {
            return Verdict::NoReply(DropReason::NotForUs);
        }
        if is_martian(src) {
            return Verdict::NoReply(DropReason::MartianSource);
        }
        if src == self.cfg.ip || self.is_broadcast(src) {
            return Verdict::NoReply(DropReason::BadSource);
        }
        if !ipv4_options_ok(ip.options()) {
            return Verdict::NoReply(DropReason::BadIpv4Options);
        }
        let more = ip.more_frags();
        let offset = ip.frag_offset();
        let protocol = ip.protocol().0;
        let dont_fragment = ip.dont_frag();
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
            id: ip.ident(),
        };
        let frag = Fragment {
            header: &p[..ihl],
            offset,
            more,
            payload: ip.payload(),
        };
        let mut buf = std::mem::take(&mut self.reassembled);
        let v = match self.frags.insert(now, key, frag, &mut buf) {
            Outcome::Held => Verdict::NoReply(DropReason::FragmentHeld),
            Outcome::Rejected => Verdict::NoReply(DropReason::FragmentRejected),
            Outcome::Complete { header_len } => {
                let first_df = Ipv4Packet::new_unchecked(&buf[..]).dont_frag();
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
        match IpProtocol(d.protocol) {
            IpProtocol::ICMP => self.icmp(peer, d, csum_not_ready, out),
            IpProtocol::UDP => self.udp(now, peer, d, csum_not_ready, out),
            _ => self.unreachable(
                now,
                peer,
                d,
                icmp::CODE_PROTOCOL_UNREACHABLE,
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

    /// The shortcut of `handle_frame` never changes a verdict, a counter or a reply: over
    /// frames of every kind of destination, EtherType (VLAN TPIDs included) and length, and a
    /// host with and without VLANs, `handle_frame` and the full `judge` agree, and every frame
    /// the shortcut takes is one `judge` calls NotForUs.
    #[test]
    fn untagged_for_another_host_is_what_ethernet_says() {
        let ours = StackConfig::default().mac;
        let dsts = [
            ours,
            [0xff; 6],
            [0x01, 0x00, 0x5e, 0, 0, 1],
            [0x02, 0x52, 0x53, 0, 0, 0x99],
            [0; 6],
        ];
        let types: [u16; 7] = [0x0800, 0x0806, 0x8100, 0x88a8, 0x9100, 0x86dd, 0x0000];
        let (mut taken, mut judged) = (0, 0);
        for vlans in [vec![], vec![vec![100]], vec![vec![0]]] {
            let cfg = StackConfig {
                vlans,
                ..StackConfig::default()
            };
            for dst in dsts {
                for ty in types {
                    // After the type: a VLAN tag (VID 100) carrying ARP, then ARP-request-like
                    // bytes for our address, so longer frames reach deeper checks.
                    let mut full = dst.to_vec();
                    full.extend([0x02, 0x52, 0x53, 0, 0, 0x01]);
                    full.extend(ty.to_be_bytes());
                    full.extend([0x00, 0x64, 0x08, 0x06]);
                    full.extend([0, 1, 8, 0, 6, 4, 0, 1]);
                    full.extend([0x02, 0x52, 0x53, 0, 0, 0x01, 198, 51, 100, 1]);
                    full.extend([0; 6]);
                    full.extend(cfg.ip.octets());
                    full.resize(64, 0);
                    for len in [0, 6, 13, 14, 17, 18, 21, 42, 46, 64] {
                        let f = &full[..len];
                        let (mut a, mut b) = (Stack::new(cfg.clone()), Stack::new(cfg.clone()));
                        let (mut out_a, mut out_b) = (Outbox::new(), Outbox::new());
                        let now = Duration::from_secs(1);
                        let fast = a.untagged_for_another_host(f);
                        let va = a.handle_frame(now, f, false, &mut out_a);
                        let vb = b.judge(now, f, false, &mut out_b);
                        // The capture loop's way: the first look, then the rest if needed.
                        let mut c = Stack::new(cfg.clone());
                        if !c.count_if_for_another_host(f) {
                            c.handle_frame(now, f, false, &mut Outbox::new());
                        }
                        assert_eq!(c.counters(), b.counters(), "{f:02x?}");
                        assert_eq!(va, vb, "{f:02x?}");
                        assert_eq!(a.counters(), b.counters(), "{f:02x?}");
                        assert!(out_a.iter().eq(out_b.iter()), "{f:02x?}");
                        if fast {
                            assert_eq!(vb, Verdict::NoReply(DropReason::NotForUs), "{f:02x?}");
                            taken += 1;
                        } else {
                            judged += 1;
                        }
                    }
                }
            }
        }
        assert!(
            taken > 0 && judged > taken,
            "{taken} taken, {judged} judged in full"
        );
    }

    #[test]
    fn options_walk_stops_at_every_malformation() {
        // Well formed: nothing, NOPs, EOL then junk (padding), a whole option.
        for ok in [
            &[][..],
            &[1, 1, 1, 1],
            &[0, 0xff, 0, 0],
            &[7, 7, 4, 0, 0, 0, 0, 1],
        ] {
            assert!(ipv4_options_ok(ok), "{ok:?}");
        }
        // Length 0 or 1, a length byte missing, an option running past the header.
        for bad in [
            &[7, 0, 0, 0][..],
            &[1, 1, 0x44, 1],
            &[1, 1, 1, 0x83],
            &[0x83, 40, 0, 0],
        ] {
            assert!(!ipv4_options_ok(bad), "{bad:?}");
        }
    }

    #[test]
    fn martians() {
        for m in [
            "0.0.0.0",
            "0.1.2.3",
            "127.0.0.1",
            "224.0.0.1",
            "239.1.1.1",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(is_martian(m.parse().unwrap()), "{m}");
        }
        for ok in [
            "1.0.0.1",
            "126.255.255.255",
            "128.0.0.1",
            "198.51.100.1",
            "223.255.255.254",
        ] {
            assert!(!is_martian(ok.parse().unwrap()), "{ok}");
        }
    }

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
