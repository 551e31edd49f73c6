//! The student's PC of the simulated classroom LAN, as a sans-I/O host like ringside's own
//! [`crate::stack::Stack`] (and smoltcp's `Interface`): no clock, no thread, no wire. Time comes
//! in as `now`; frames come in through [`Pc::handle_frame`] and go out into an [`Outbox`];
//! [`Pc::poll_at`] says when [`Pc::poll`] next has something to do. The link adapter
//! ([`super::SimLan`]) owns the clock and the wire and calls these.
//!
//! What the PC does, behaving like a Linux host running `ping` and now and then sending UDP:
//! - pings ringside once a second (ident fixed per run, seq counting from 1, 56 data bytes laid
//!   out like iputils `ping`: a `struct timeval`, then each byte its own offset, 0x10, 0x11, ...);
//!   a request without an echo reply after [`SimConfig::ping_timeout`] is counted lost;
//! - every few seconds sends a UDP datagram to ringside's print port (9), its echo port (7), and
//!   once in a while to a closed port (which earns an ICMP port unreachable);
//! - sends through its neighbour entry for ringside ([`super::neigh`], Linux's states): without a
//!   usable entry it holds what it wants to send (a few packets, like Linux's per-neighbour
//!   queue) while the entry resolves; held packets older than the ping timeout are dropped;
//! - answers ARP requests for its own address; an ARP request from ringside updates (or creates,
//!   as STALE) its entry for ringside, as Linux does.
//!
//! Frames are read only through the wire layer's checked views and written only with its
//! emitters; every frame sent is padded to the 60-byte Ethernet minimum, as the PC's NIC would.
use super::neigh::{NeighTimers, Neighbour, Output, Solicit};
use super::SimConfig;
use crate::stack::Outbox;
use crate::wire::arp::{ArpPacket, ArpRepr, OP_REPLY, OP_REQUEST};
use crate::wire::build::{arp, icmp_echo, pad_to_min, udp, EthIp};
use crate::wire::ethernet::EthernetFrame;
use crate::wire::icmp::{IcmpPacket, ECHO_REPLY};
use crate::wire::ipv4::Ipv4Packet;
use crate::wire::{EtherType, IpProtocol, Mac};
use std::collections::VecDeque;
use std::time::Duration;

/// Packets the PC holds while its entry resolves (Linux kept 3 per neighbour for years).
pub const QUEUE_MAX: usize = 3;
/// Bytes of data in each echo request (iputils `ping`'s default `-s 56`).
pub const PING_DATA_LEN: usize = 56;
/// UDP ports the PC sends to: ringside's print sink, its echo service, and a closed port.
pub const PRINT_PORT: u16 = 9;
pub const ECHO_PORT: u16 = 7;
pub const CLOSED_PORT: u16 = 5555;

/// Something the PC wants to send to ringside.
#[derive(Clone, Debug)]
enum Packet {
    Ping { seq: u16 },
    Udp { dst_port: u16, payload: Vec<u8> },
}

/// What the PC made of a frame from ringside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Heard {
    /// Not for the PC (another MAC, not from ringside's address), unreadable, or nothing it
    /// listens to (an echo reply to no ping of its own, an ICMP error, UDP).
    Ignored,
    /// ringside's ARP reply: the entry is REACHABLE and held packets went out.
    ArpReply,
    /// ringside asked for the PC's MAC: answered.
    ArpRequest,
    /// The echo reply to ping `seq`, in time.
    EchoReply { seq: u16 },
}

/// The PC's counters, as the ARP panel shows them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PcCounters {
    /// Echo requests sent (or held for sending), replies seen, and requests that timed out.
    pub pings_sent: u64,
    pub pings_answered: u64,
    pub pings_lost: u64,
    /// ARP requests sent since the last ARP reply from ringside.
    pub arp_unanswered: u64,
}

/// The classroom PC.
#[derive(Debug)]
pub struct Pc {
    cfg: SimConfig,
    neigh: Neighbour,
    /// Packets held while the entry resolves, with the time they were due.
    held: VecDeque<(Duration, Packet)>,
    next_ping: Duration,
    /// None when the PC sends no UDP.
    next_udp: Option<Duration>,
    udp_count: u64,
    ident: u16,
    ip_id: u16,
    seq: u16,
    /// Echo requests sent and waiting for replies: (seq, sent at).
    outstanding: VecDeque<(u16, Duration)>,
    counters: PcCounters,
}

impl Pc {
    /// A PC that has not sent anything yet: its first ping is due at time zero, its first
    /// datagram half a `udp_interval` later. `cfg.speed` is the link's and not read here.
    pub fn new(cfg: &SimConfig) -> Self {
        let mix = cfg.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        Pc {
            neigh: Neighbour::new(NeighTimers {
                reachable_time: cfg.arp_timeout,
                delay_first_probe: cfg.delay_first_probe,
                ucast_probes: cfg.probes,
            }),
            held: VecDeque::new(),
            next_ping: Duration::ZERO,
            next_udp: (!cfg.udp_interval.is_zero()).then(|| cfg.udp_interval / 2),
            udp_count: 0,
            ident: (mix >> 48) as u16 | 1,
            ip_id: (mix >> 32) as u16,
            seq: 0,
            outstanding: VecDeque::new(),
            counters: PcCounters::default(),
            cfg: cfg.clone(),
        }
    }

    /// The identifier of every echo request of this run (like `ping`'s, fixed per run).
    pub fn ping_ident(&self) -> u16 {
        self.ident
    }

    pub fn counters(&self) -> PcCounters {
        self.counters
    }

    /// The neighbour entry for ringside (its state, MAC and countdown).
    pub fn neighbour(&self) -> &Neighbour {
        &self.neigh
    }

    /// When [`Pc::poll`] next has something to do: a ping or datagram due, a neighbour timer,
    /// a ping or held packet timing out. None when nothing is scheduled.
    pub fn poll_at(&self) -> Option<Duration> {
        let timeout = self.cfg.ping_timeout;
        [
            Some(self.next_ping),
            self.next_udp,
            self.neigh.poll_at(),
            self.outstanding.front().map(|&(_, at)| at + timeout),
            self.held.front().map(|&(at, _)| at + timeout),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Do everything due by `now`, putting the frames it sends in `out`. Call it at (or after)
    /// [`Pc::poll_at`]; what it schedules for `now` itself is done on the next call.
    pub fn poll(&mut self, now: Duration, out: &mut Outbox) {
        // Timeouts first: lost pings, held packets too old to matter.
        let timeout = self.cfg.ping_timeout;
        while let Some(&(_, at)) = self.outstanding.front() {
            if at + timeout > now {
                break;
            }
            self.outstanding.pop_front();
            self.counters.pings_lost += 1;
        }
        while let Some(&(at, _)) = self.held.front() {
            if at + timeout > now {
                break;
            }
            if let Some((_, Packet::Ping { .. })) = self.held.pop_front() {
                self.counters.pings_lost += 1;
            }
        }
        if let Some(s) = self.neigh.poll(now, !self.held.is_empty()) {
            self.solicit(s, out);
        }
        if self.next_ping <= now {
            self.seq = self.seq.wrapping_add(1);
            self.counters.pings_sent += 1;
            let seq = self.seq;
            self.send(now, Packet::Ping { seq }, out);
            self.next_ping += self.cfg.ping_interval;
        }
        if let Some(due) = self.next_udp.filter(|&t| t <= now) {
            self.udp_count += 1;
            let n = self.udp_count;
            let (dst_port, payload) = if n.is_multiple_of(7) {
                (CLOSED_PORT, format!("is anyone listening on 5555? #{n}"))
            } else if n.is_multiple_of(3) {
                (ECHO_PORT, format!("echo me back #{n}"))
            } else {
                (PRINT_PORT, format!("hello ringside, message #{n}"))
            };
            let payload = payload.into_bytes();
            self.send(now, Packet::Udp { dst_port, payload }, out);
            self.next_udp = Some(due + self.cfg.udp_interval);
        }
    }

    /// A frame from ringside reaches the PC at `now`; what it answers goes into `out`.
    pub fn handle_frame(&mut self, now: Duration, frame: &[u8], out: &mut Outbox) -> Heard {
        let Ok(eth) = EthernetFrame::new_checked(frame) else {
            return Heard::Ignored;
        };
        let dst = eth.dst();
        if dst != Mac(self.cfg.peer_mac) && !dst.is_broadcast() {
            return Heard::Ignored;
        }
        match eth.ethertype() {
            EtherType::ARP => self.handle_arp(now, eth.payload(), out),
            EtherType::IPV4 => self.handle_ipv4(eth.payload()),
            _ => Heard::Ignored,
        }
    }

    fn handle_arp(&mut self, now: Duration, p: &[u8], out: &mut Outbox) -> Heard {
        let Some(a) = ArpPacket::new_checked(p)
            .ok()
            .and_then(|a| ArpRepr::parse(&a))
        else {
            return Heard::Ignored;
        };
        if a.spa != self.cfg.stack_ip || a.tpa != self.cfg.peer_ip {
            return Heard::Ignored;
        }
        match a.op {
            OP_REPLY => {
                // A reply confirms the entry: REACHABLE, held packets go out.
                self.counters.arp_unanswered = 0;
                self.neigh.confirm(now, a.sha);
                self.flush_held(now, a.sha, out);
                Heard::ArpReply
            }
            OP_REQUEST => {
                // Answer, and note the asker (as STALE unless already better known).
                out.push_with(|b| {
                    let start = b.len();
                    arp(
                        b,
                        a.sha.0,
                        OP_REPLY,
                        self.cfg.peer_mac,
                        self.cfg.peer_ip,
                        a.sha.0,
                        a.spa,
                    );
                    pad_to_min(b, start);
                });
                if self.neigh.heard_request(a.sha) {
                    self.flush_held(now, a.sha, out);
                }
                Heard::ArpRequest
            }
            _ => Heard::Ignored,
        }
    }

    fn handle_ipv4(&mut self, p: &[u8]) -> Heard {
        let Ok(ip) = Ipv4Packet::new_checked(p) else {
            return Heard::Ignored;
        };
        if ip.protocol() != IpProtocol::ICMP {
            return Heard::Ignored;
        }
        let Ok(icmp) = IcmpPacket::new_checked(ip.payload()) else {
            return Heard::Ignored;
        };
        if icmp.msg_type() != ECHO_REPLY || icmp.ident() != self.ident {
            return Heard::Ignored;
        }
        let seq = icmp.seq();
        let Some(i) = self.outstanding.iter().position(|&(s, _)| s == seq) else {
            return Heard::Ignored;
        };
        self.outstanding.remove(i);
        self.counters.pings_answered += 1;
        Heard::EchoReply { seq }
    }

    /// Send `p` through the neighbour entry, or hold it while the entry resolves.
    fn send(&mut self, now: Duration, p: Packet, out: &mut Outbox) {
        match self.neigh.output(now) {
            Output::Send(mac) => self.transmit(now, mac, p, out),
            hold => {
                if hold == Output::HoldAndSolicit {
                    self.solicit(Solicit::Broadcast, out);
                }
                if self.held.len() >= QUEUE_MAX {
                    if let Some((_, Packet::Ping { .. })) = self.held.pop_front() {
                        self.counters.pings_lost += 1;
                    }
                }
                self.held.push_back((now, p));
            }
        }
    }

    fn flush_held(&mut self, now: Duration, mac: Mac, out: &mut Outbox) {
        while let Some((_, p)) = self.held.pop_front() {
            self.transmit(now, mac, p, out);
        }
    }

    /// Put `p` in a frame to `dst_mac`.
    fn transmit(&mut self, now: Duration, dst_mac: Mac, p: Packet, out: &mut Outbox) {
        self.ip_id = self.ip_id.wrapping_add(1);
        let hdr = EthIp {
            src_mac: self.cfg.peer_mac,
            dst_mac: dst_mac.0,
            src_ip: self.cfg.peer_ip,
            dst_ip: self.cfg.stack_ip,
            ttl: 64,
            ip_id: self.ip_id,
        };
        let src_port = 40000 + (self.udp_count % 1000) as u16;
        out.push_with(|b| {
            let start = b.len();
            match &p {
                Packet::Ping { seq } => {
                    icmp_echo(b, &hdr, false, self.ident, *seq, &iputils_ping_data(now))
                }
                Packet::Udp { dst_port, payload } => udp(b, &hdr, src_port, *dst_port, payload),
            }
            pad_to_min(b, start);
        });
        if let Packet::Ping { seq } = p {
            self.outstanding.push_back((seq, now));
        }
    }

    /// An ARP request for ringside's address: broadcast, or a unicast probe.
    fn solicit(&mut self, s: Solicit, out: &mut Outbox) {
        let to = match s {
            Solicit::Broadcast => Mac::BROADCAST,
            Solicit::Unicast(mac) => mac,
        };
        out.push_with(|b| {
            let start = b.len();
            arp(
                b,
                to.0,
                OP_REQUEST,
                self.cfg.peer_mac,
                self.cfg.peer_ip,
                Mac::ZERO.0,
                self.cfg.stack_ip,
            );
            pad_to_min(b, start);
        });
        self.counters.arp_unanswered += 1;
    }
}

/// The data of an echo request as iputils `ping` sends it: every byte set to its own offset in
/// the data (ping_common.c `setup`), then the send time written over the first 16 bytes as a
/// 64-bit `struct timeval` (ping.c `ping4_send_probe`; seconds, microseconds, host order:
/// little-endian here), so the visible pattern starts at 0x10.
pub fn iputils_ping_data(now: Duration) -> [u8; PING_DATA_LEN] {
    let mut data = [0u8; PING_DATA_LEN];
    for (i, b) in data.iter_mut().enumerate() {
        *b = i as u8;
    }
    data[..8].copy_from_slice(&now.as_secs().to_le_bytes());
    data[8..16].copy_from_slice(&u64::from(now.subsec_micros()).to_le_bytes());
    data
}

/// The PC driven directly: frames in, time advanced by hand, what it sends read back through
/// the wire views. No link, no clock, no thread.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::{Stack, StackConfig};
    use crate::wire::icmp::ECHO_REQUEST;
    use crate::wire::udp::UdpPacket;
    use std::net::Ipv4Addr;

    const STACK_MAC: Mac = Mac([0x02, 0x52, 0x53, 0x00, 0x00, 0x02]);

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    /// One frame the PC sent, as read through the views.
    #[derive(Clone, Debug, PartialEq)]
    enum Sent {
        /// An ARP request for `who`, to `to` (broadcast or a unicast probe).
        ArpRequest {
            to: Mac,
            who: Ipv4Addr,
        },
        ArpReply {
            to: Mac,
            tha: Mac,
            tpa: Ipv4Addr,
        },
        Ping {
            to: Mac,
            ident: u16,
            seq: u16,
            data: Vec<u8>,
        },
        Udp {
            to: Mac,
            dst_port: u16,
            payload: Vec<u8>,
        },
    }

    /// Parse a frame the PC sent; every one is padded to the Ethernet minimum and comes from
    /// the PC's MAC and address.
    fn read(f: &[u8]) -> Sent {
        let cfg = SimConfig::default();
        assert!(
            f.len() >= crate::wire::ethernet::MIN_FRAME,
            "padded: {f:02x?}"
        );
        let eth = EthernetFrame::new_checked(f).unwrap();
        assert_eq!(eth.src(), Mac(cfg.peer_mac));
        match eth.ethertype() {
            EtherType::ARP => {
                let a = ArpRepr::parse(&ArpPacket::new_checked(eth.payload()).unwrap()).unwrap();
                assert_eq!((a.sha, a.spa), (Mac(cfg.peer_mac), cfg.peer_ip));
                match a.op {
                    OP_REQUEST => {
                        assert_eq!(a.tha, Mac::ZERO);
                        Sent::ArpRequest {
                            to: eth.dst(),
                            who: a.tpa,
                        }
                    }
                    OP_REPLY => Sent::ArpReply {
                        to: eth.dst(),
                        tha: a.tha,
                        tpa: a.tpa,
                    },
                    op => panic!("ARP op {op}"),
                }
            }
            EtherType::IPV4 => {
                let ip = Ipv4Packet::new_checked(eth.payload()).unwrap();
                assert!(ip.verify_checksum());
                assert_eq!((ip.src(), ip.dst()), (cfg.peer_ip, cfg.stack_ip));
                assert_eq!(ip.ttl(), 64);
                if ip.protocol() == IpProtocol::ICMP {
                    let icmp = IcmpPacket::new_checked(ip.payload()).unwrap();
                    assert!(icmp.verify_checksum());
                    assert_eq!(icmp.msg_type(), ECHO_REQUEST);
                    Sent::Ping {
                        to: eth.dst(),
                        ident: icmp.ident(),
                        seq: icmp.seq(),
                        data: icmp.data().to_vec(),
                    }
                } else {
                    assert_eq!(ip.protocol(), IpProtocol::UDP);
                    let u = UdpPacket::new_checked(ip.payload()).unwrap();
                    assert!(u.verify_checksum(ip.src(), ip.dst()));
                    Sent::Udp {
                        to: eth.dst(),
                        dst_port: u.dst_port(),
                        payload: u.payload().to_vec(),
                    }
                }
            }
            t => panic!("EtherType {t:?}"),
        }
    }

    fn drain(out: &mut Outbox) -> Vec<Sent> {
        let sent = out.iter().map(read).collect();
        out.clear();
        sent
    }

    /// Poll the PC at each time it asks for, up to `until`: what it sent, with the time.
    fn run_until(pc: &mut Pc, until: Duration) -> Vec<(Duration, Sent)> {
        let mut out = Outbox::new();
        let mut sent = Vec::new();
        while let Some(now) = pc.poll_at().filter(|&t| t <= until) {
            pc.poll(now, &mut out);
            sent.extend(drain(&mut out).into_iter().map(|s| (now, s)));
        }
        sent
    }

    /// ringside's ARP frame (`op`) to the PC, built with the wire layer's emitter.
    fn arp_from_stack(op: u16, target: Ipv4Addr) -> Vec<u8> {
        let cfg = SimConfig::default();
        let mut f = Vec::new();
        arp(
            &mut f,
            cfg.peer_mac,
            op,
            STACK_MAC.0,
            cfg.stack_ip,
            if op == OP_REPLY { cfg.peer_mac } else { [0; 6] },
            target,
        );
        f
    }

    fn arp_requests(sent: &[(Duration, Sent)]) -> Vec<(f64, Mac)> {
        sent.iter()
            .filter_map(|(t, s)| match s {
                Sent::ArpRequest { to, who } => {
                    assert_eq!(*who, SimConfig::default().stack_ip);
                    Some((t.as_secs_f64(), *to))
                }
                _ => None,
            })
            .collect()
    }

    fn no_udp() -> SimConfig {
        SimConfig {
            udp_interval: Duration::ZERO,
            ..SimConfig::default()
        }
    }

    /// The first ping finds no entry: it is held, a broadcast asks for ringside, and ringside's
    /// reply sends the held ping to the MAC it gave.
    #[test]
    fn first_ping_waits_for_the_arp_reply() {
        let mut pc = Pc::new(&no_udp());
        let mut out = Outbox::new();
        assert_eq!(pc.poll_at(), Some(Duration::ZERO));
        pc.poll(Duration::ZERO, &mut out);
        let cfg = SimConfig::default();
        assert_eq!(
            drain(&mut out),
            [Sent::ArpRequest {
                to: Mac::BROADCAST,
                who: cfg.stack_ip
            }]
        );
        assert_eq!(pc.neighbour().state_name(Duration::ZERO), "INCOMPLETE");
        assert_eq!(pc.poll_at(), Some(secs(1.0)), "the next request in 1 s");
        let heard = pc.handle_frame(
            secs(0.001),
            &arp_from_stack(OP_REPLY, cfg.peer_ip),
            &mut out,
        );
        assert_eq!(heard, Heard::ArpReply);
        let sent = drain(&mut out);
        assert!(
            matches!(sent[..], [Sent::Ping { to, seq: 1, .. }] if to == STACK_MAC),
            "{sent:?}"
        );
        assert_eq!(pc.neighbour().state_name(secs(0.001)), "REACHABLE");
        assert_eq!(
            pc.neighbour().entry(secs(1.001)),
            Some((STACK_MAC, 14.0)),
            "15 s from the reply"
        );
        assert_eq!(pc.counters().arp_unanswered, 0);
    }

    /// Lesson 4's walk with a ping a second and ringside's ARP responder off after the first
    /// reply, at the times Linux's timers give and the lesson states: REACHABLE 15 s (the demo's
    /// `arp_timeout`), the ping at 15 s moves it to DELAY, 5 s later PROBE with 3 unicast
    /// requests 1 s apart, then FAILED and broadcasts once a second (INCOMPLETE).
    #[test]
    fn reachable_delay_probe_failed_at_linux_times() {
        let cfg = no_udp();
        let mut pc = Pc::new(&cfg);
        let mut out = Outbox::new();
        run_until(&mut pc, Duration::ZERO);
        pc.handle_frame(
            Duration::ZERO,
            &arp_from_stack(OP_REPLY, cfg.peer_ip),
            &mut out,
        );
        out.clear();
        let mut sent = Vec::new();
        let mut at = |pc: &mut Pc, t: f64| {
            sent.extend(run_until(pc, secs(t)));
            pc.neighbour().state_name(secs(t))
        };
        assert_eq!(at(&mut pc, 14.5), "REACHABLE");
        assert_eq!(pc.neighbour().entry(secs(14.5)), Some((STACK_MAC, 0.5)));
        assert_eq!(
            at(&mut pc, 15.5),
            "DELAY",
            "the ping at 15 s used the STALE entry"
        );
        assert_eq!(pc.neighbour().entry(secs(15.5)), Some((STACK_MAC, 4.5)));
        assert_eq!(at(&mut pc, 19.5), "DELAY");
        assert_eq!(at(&mut pc, 20.5), "PROBE");
        assert_eq!(pc.neighbour().probes_sent(), Some((1, 3)));
        assert_eq!(at(&mut pc, 22.5), "PROBE");
        assert_eq!(pc.neighbour().probes_sent(), Some((3, 3)));
        assert_eq!(
            at(&mut pc, 23.5),
            "INCOMPLETE",
            "FAILED, and the ping at 23 s asks again"
        );
        assert_eq!(pc.neighbour().entry(secs(23.5)), None);
        at(&mut pc, 26.5);
        let b = Mac::BROADCAST;
        assert_eq!(
            arp_requests(&sent),
            [
                (20.0, STACK_MAC),
                (21.0, STACK_MAC),
                (22.0, STACK_MAC),
                (23.0, b),
                (24.0, b),
                (25.0, b),
                (26.0, b)
            ]
        );
        // Every ping up to 22 s went out, to the cached MAC, through REACHABLE, DELAY and PROBE.
        let pings: Vec<(f64, Mac)> = sent
            .iter()
            .filter_map(|(t, s)| match s {
                Sent::Ping { to, .. } => Some((t.as_secs_f64(), *to)),
                _ => None,
            })
            .collect();
        let want: Vec<(f64, Mac)> = (1..=22).map(|t| (t as f64, STACK_MAC)).collect();
        assert_eq!(pings, want);
    }

    /// With ringside's ARP responder on, the walk ends where the lab's kernel ends it: the
    /// first unicast probe at 20 s is answered and the entry is REACHABLE again for 15 s (a ping
    /// reply confirms nothing to Linux; only the ARP reply does).
    #[test]
    fn an_answered_probe_makes_it_reachable_again() {
        let cfg = no_udp();
        let mut pc = Pc::new(&cfg);
        let mut out = Outbox::new();
        run_until(&mut pc, Duration::ZERO);
        let reply = arp_from_stack(OP_REPLY, cfg.peer_ip);
        pc.handle_frame(Duration::ZERO, &reply, &mut out);
        out.clear();
        let sent = run_until(&mut pc, secs(20.0));
        assert_eq!(arp_requests(&sent), [(20.0, STACK_MAC)]);
        assert_eq!(pc.neighbour().state_name(secs(20.0)), "PROBE");
        assert_eq!(
            pc.handle_frame(secs(20.0), &reply, &mut out),
            Heard::ArpReply
        );
        assert!(out.is_empty(), "nothing was held");
        assert_eq!(pc.neighbour().state_name(secs(20.0)), "REACHABLE");
        assert_eq!(pc.neighbour().entry(secs(21.0)), Some((STACK_MAC, 14.0)));
        let sent = run_until(&mut pc, secs(34.5));
        assert!(arp_requests(&sent).is_empty(), "no probe before 35 s");
        assert_eq!(pc.neighbour().state_name(secs(34.5)), "REACHABLE");
    }

    /// With no traffic the states that pass in an instant above last: STALE (no timer of its
    /// own, countdown infinite) and FAILED.
    #[test]
    fn stale_waits_for_traffic_and_failed_stays_until_the_next_packet() {
        let cfg = SimConfig {
            ping_interval: Duration::from_secs(100),
            ..no_udp()
        };
        let mut pc = Pc::new(&cfg);
        let mut out = Outbox::new();
        run_until(&mut pc, Duration::ZERO);
        pc.handle_frame(
            Duration::ZERO,
            &arp_from_stack(OP_REPLY, cfg.peer_ip),
            &mut out,
        );
        run_until(&mut pc, secs(50.0));
        assert_eq!(pc.neighbour().state_name(secs(50.0)), "STALE");
        assert_eq!(
            pc.neighbour().entry(secs(50.0)),
            Some((STACK_MAC, f64::INFINITY))
        );
        assert_eq!(pc.poll_at(), Some(secs(100.0)), "only the next ping");
        let sent = run_until(&mut pc, secs(108.5));
        assert_eq!(pc.neighbour().state_name(secs(108.5)), "FAILED");
        let (d, p) = (STACK_MAC, 105.0);
        assert_eq!(
            arp_requests(&sent),
            [(p, d), (p + 1.0, d), (p + 2.0, d)],
            "DELAY 100-105 s, then 3 probes"
        );
        assert_eq!(pc.poll_at(), Some(secs(200.0)), "FAILED has no timer");
    }

    /// An ARP request from ringside is answered and makes the entry STALE; held packets go.
    #[test]
    fn answers_arp_requests_and_learns_the_asker() {
        let cfg = no_udp();
        let mut pc = Pc::new(&cfg);
        let mut out = Outbox::new();
        run_until(&mut pc, Duration::ZERO); // ping 1 held, INCOMPLETE
        let heard = pc.handle_frame(
            secs(0.5),
            &arp_from_stack(OP_REQUEST, cfg.peer_ip),
            &mut out,
        );
        assert_eq!(heard, Heard::ArpRequest);
        let sent = drain(&mut out);
        assert_eq!(
            sent[0],
            Sent::ArpReply {
                to: STACK_MAC,
                tha: STACK_MAC,
                tpa: cfg.stack_ip
            }
        );
        assert!(matches!(sent[1], Sent::Ping { to, seq: 1, .. } if to == STACK_MAC));
        assert_eq!(sent.len(), 2);
        assert_eq!(pc.neighbour().state_name(secs(0.5)), "STALE");
        // A request for another address is not for the PC: no answer, nothing learned.
        let other = arp_from_stack(OP_REQUEST, Ipv4Addr::new(198, 51, 100, 9));
        assert_eq!(pc.handle_frame(secs(0.6), &other, &mut out), Heard::Ignored);
        assert!(out.is_empty());
    }

    /// Nobody answers ARP: pings are held (at most 3), each lost 2 s after it was due, and a
    /// broadcast goes out every second.
    #[test]
    fn unanswered_arp_holds_then_loses_pings() {
        let mut pc = Pc::new(&no_udp());
        let sent = run_until(&mut pc, secs(10.0));
        assert!(sent
            .iter()
            .all(|(_, s)| matches!(s, Sent::ArpRequest { .. })));
        let c = pc.counters();
        assert_eq!(c.pings_sent, 11, "pings at 0..=10 s");
        assert_eq!(c.pings_lost, 9, "those due by 8 s");
        assert_eq!(c.arp_unanswered, 11, "a broadcast at 0..=10 s");
        assert!(pc.held.len() <= QUEUE_MAX);
    }

    /// The PC and ringside's stack, both sans-I/O, talking with no link in between: each frame
    /// is handed to the other side at the time it was sent.
    fn converse(pc: &mut Pc, stack: &mut Stack, until: Duration) -> Vec<Vec<u8>> {
        let (mut to_stack, mut to_pc) = (Outbox::new(), Outbox::new());
        let mut seen = Vec::new();
        while let Some(now) = pc.poll_at().filter(|&t| t <= until) {
            pc.poll(now, &mut to_stack);
            while !to_stack.is_empty() {
                for f in to_stack.iter() {
                    seen.push(f.to_vec());
                    stack.handle_frame(now, f, false, &mut to_pc);
                }
                to_stack.clear();
                for f in to_pc.iter() {
                    pc.handle_frame(now, f, &mut to_stack);
                }
                to_pc.clear();
            }
        }
        seen
    }

    /// Pings once a second like iputils `ping`: one ident, seq from 1, 56 data bytes (a
    /// timeval, then each byte its offset), all answered by ringside's stack.
    #[test]
    fn pings_once_a_second_like_iputils() {
        let mut pc = Pc::new(&SimConfig::default());
        let mut stack = Stack::new(StackConfig::default());
        let frames = converse(&mut pc, &mut stack, secs(10.0));
        let pings: Vec<(u16, u16, Vec<u8>)> = frames
            .iter()
            .filter_map(|f| match read(f) {
                Sent::Ping {
                    ident, seq, data, ..
                } => {
                    assert_eq!(
                        f.len(),
                        14 + 20 + 8 + PING_DATA_LEN,
                        "98 bytes, like ping's"
                    );
                    Some((ident, seq, data))
                }
                _ => None,
            })
            .collect();
        assert_eq!(pings.len(), 11, "t = 0..=10 s");
        assert!(pings.iter().all(|p| p.0 == pc.ping_ident()));
        let seqs: Vec<u16> = pings.iter().map(|p| p.1).collect();
        assert_eq!(seqs, (1..=11).collect::<Vec<u16>>(), "seq counts from 1");
        let data = &pings[3].2;
        assert_eq!(data[..8], 3u64.to_le_bytes(), "timeval seconds");
        assert_eq!(data[8..16], 0u64.to_le_bytes(), "timeval microseconds");
        assert_eq!(data[16], 0x10, "then the 0x10, 0x11, ... pattern");
        assert_eq!(data[55], 0x37);
        let c = pc.counters();
        assert_eq!((c.pings_sent, c.pings_answered, c.pings_lost), (11, 11, 0));
        // The UDP datagrams at 2, 6, 10 s: print, print, echo (every third).
        let udp: Vec<u16> = frames
            .iter()
            .filter_map(|f| match read(f) {
                Sent::Udp { dst_port, .. } => Some(dst_port),
                _ => None,
            })
            .collect();
        assert_eq!(udp, [PRINT_PORT, PRINT_PORT, ECHO_PORT]);
    }

    /// Echo replies that are not for one of its own outstanding pings change nothing.
    #[test]
    fn ignores_echo_replies_it_did_not_ask_for() {
        let mut pc = Pc::new(&no_udp());
        let mut stack = Stack::new(StackConfig::default());
        converse(&mut pc, &mut stack, Duration::ZERO);
        assert_eq!(pc.counters().pings_answered, 1);
        let cfg = SimConfig::default();
        let reply = |ident: u16, seq: u16| {
            let mut f = Vec::new();
            let h = EthIp {
                src_mac: STACK_MAC.0,
                dst_mac: cfg.peer_mac,
                src_ip: cfg.stack_ip,
                dst_ip: cfg.peer_ip,
                ttl: 64,
                ip_id: 7,
            };
            icmp_echo(
                &mut f,
                &h,
                true,
                ident,
                seq,
                &iputils_ping_data(Duration::ZERO),
            );
            f
        };
        let mut out = Outbox::new();
        let id = pc.ping_ident();
        for f in [reply(id ^ 1, 1), reply(id, 1), reply(id, 99)] {
            assert_eq!(pc.handle_frame(secs(0.5), &f, &mut out), Heard::Ignored);
        }
        assert!(out.is_empty());
        assert_eq!(pc.counters().pings_answered, 1);
        // Frames too short to read are ignored too.
        for n in [0, 3, 13, 20, 41] {
            let f = &reply(id, 1)[..n];
            assert_eq!(pc.handle_frame(secs(0.5), f, &mut out), Heard::Ignored);
        }
    }
}
