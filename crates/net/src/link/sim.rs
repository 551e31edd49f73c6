//! The simulated LAN behind `ringside demo`: one peer host ("the student's PC") on a wire with the
//! ringside stack. No root, no NIC: the peer is a small state machine that behaves like a Linux host
//! running `ping` and now and then sending a UDP datagram.
//!
//! What the peer does, on the link's simulated clock:
//! - pings the stack once a second (ident fixed per run, seq counting from 1, 56 data bytes laid
//!   out like iputils `ping`: a timeval then the bytes 0x10, 0x11, ...); a request without an echo
//!   reply after [`SimConfig::ping_timeout`] is counted lost;
//! - every few seconds sends a UDP datagram to the stack's print port (9), its echo port (7), and
//!   once in a while to a closed port (which earns an ICMP port unreachable);
//! - keeps a neighbour (ARP cache) entry for the stack, modelled on Linux's neighbour states
//!   (net/core/neighbour.c): REACHABLE for [`SimConfig::arp_timeout`] after an ARP reply confirmed
//!   it; then STALE (still usable, no timer); the next packet sent through a STALE entry goes out
//!   and moves it to DELAY, which waits [`SimConfig::delay_first_probe`] for a confirmation (from
//!   TCP, say; ping gives none); then PROBE: still using the cached MAC, it sends up to
//!   [`SimConfig::probes`] unicast ARP requests one second apart; an answer makes it REACHABLE again,
//!   silence makes it FAILED. Without a usable entry the peer queues what it wants to send (a few
//!   packets, like Linux's per-neighbour queue) and broadcasts an ARP request once a second
//!   (INCOMPLETE); queued packets older than the ping timeout are dropped.
//! - answers ARP requests for its own address; an ARP request from the stack updates (or creates,
//!   as "stale": usable, probed on next use) the peer's entry for the stack, as Linux does.
//!
//! Time: in real-time mode ([`SimLan::new`]) simulated time runs at `speed` x wall time and
//! `recv_batch` sleeps until the next peer event (or the timeout). In lockstep mode
//! ([`SimLan::lockstep`]) `recv_batch` never sleeps: it jumps the clock to the next event, which
//! makes whole lessons reproducible in tests. Everything is deterministic given [`SimConfig::seed`].
//!
//! The NIC: the peer's frames reach ringside through a 16-slot netmap-style RX ring
//! ([`super::sim_ring`]): a `poll()` publishes what is on the wire, `nm_nextpkt()` takes one slot at
//! a time, so the ring panel (`v`) draws a real ring in the demo.
//!
//! The teacher's clock: [`Link::set_frozen`] stops simulated time (no timer fires, no frame moves)
//! and [`Link::step`] then lets exactly one thing happen: the next frame on the wire, or, when the
//! wire is empty, the clock jumps to the next timer and the first frame it sends is delivered.
use super::sim_ring::SimRing;
use super::{Link, LinkStats, PeerView, RxMeta};
#[cfg(test)]
use crate::link::frame::Direction;
use crate::wire::build::{arp, icmp_echo, pad_to_min, udp, EthIp};
use std::collections::VecDeque;
use std::io;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use crate::wire::arp::{ArpPacket, ArpRepr, OP_REPLY as ARP_REPLY, OP_REQUEST as ARP_REQUEST};
use crate::wire::ethernet::EthernetFrame;
use crate::wire::icmp::{IcmpPacket, ECHO_REPLY};
use crate::wire::ipv4::Ipv4Packet;
use crate::wire::{EtherType, IpProtocol, Mac};
const BROADCAST: [u8; 6] = Mac::BROADCAST.0;
/// Frames the peer keeps waiting for an ARP answer (Linux kept 3 per neighbour for years).
const QUEUE_MAX: usize = 3;

/// How the simulated LAN is set up. `Default` matches the stack's default config
/// (198.51.100.2) with the peer at 198.51.100.1.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    pub peer_name: String,
    pub peer_ip: Ipv4Addr,
    pub peer_mac: [u8; 6],
    /// The ringside stack the peer talks to.
    pub stack_ip: Ipv4Addr,
    /// How long the peer's entry for the stack stays REACHABLE after a confirmation.
    pub arp_timeout: Duration,
    /// How long a used STALE entry waits in DELAY before probing (Linux
    /// `delay_first_probe_time`, 5 s).
    pub delay_first_probe: Duration,
    /// Unicast ARP probes before the entry fails (Linux `ucast_solicit`, 3).
    pub probes: u32,
    pub ping_interval: Duration,
    /// An echo request without a reply after this long is counted lost.
    pub ping_timeout: Duration,
    /// Seconds between UDP datagrams (0 = none). Every third goes to the echo port, every seventh
    /// to a closed port, the rest to the print port.
    pub udp_interval: Duration,
    /// Picks the ping ident and the first IP id; same seed, same lesson.
    pub seed: u64,
    /// Simulated seconds per real second.
    pub speed: f64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            peer_name: "the student's PC".into(),
            peer_ip: Ipv4Addr::new(198, 51, 100, 1),
            peer_mac: [0x02, 0x00, 0x00, 0x00, 0x00, 0x01],
            stack_ip: Ipv4Addr::new(198, 51, 100, 2),
            arp_timeout: Duration::from_secs(15),
            delay_first_probe: Duration::from_secs(5),
            probes: 3,
            ping_interval: Duration::from_secs(1),
            ping_timeout: Duration::from_secs(2),
            udp_interval: Duration::from_secs(4),
            seed: 1,
            speed: 1.0,
        }
    }
}

/// Slowest and fastest simulated speed accepted.
pub const SPEED_RANGE: (f64, f64) = (0.01, 100.0);

#[derive(Clone, Copy, Debug, PartialEq)]
enum Neigh {
    /// No entry (never learned).
    None,
    /// Resolution gave up; the next packet starts a new one (as from `None`).
    Failed,
    /// Resolving: broadcast requests sent; `next` is when the next one is due.
    Incomplete { next: Duration },
    /// Confirmed until `until`; after that the next send starts probing.
    Reachable { mac: [u8; 6], until: Duration },
    /// Known but unconfirmed (reachable time over, or learned from a request): usable; the next
    /// packet sent through it starts DELAY.
    Stale { mac: [u8; 6] },
    /// Used while STALE: packets go out, and probing starts at `until` unless confirmed first.
    Delay { mac: [u8; 6], until: Duration },
    /// Probing with unicast requests: `sent` so far, next due at `next`.
    Probe {
        mac: [u8; 6],
        sent: u32,
        next: Duration,
    },
}

#[derive(Clone, Debug)]
enum Pending {
    Ping { seq: u16 },
    Udp { dst_port: u16, payload: Vec<u8> },
}

enum Clock {
    Real {
        anchor_real: Instant,
        anchor_sim: Duration,
    },
    Lockstep,
}

/// The simulated LAN: implements [`Link`] for the capture thread.
pub struct SimLan {
    cfg: SimConfig,
    clock: Clock,
    now: Duration,
    /// Simulated time stopped by the teacher; `steps` events still to let through.
    frozen: bool,
    steps: u32,
    stack_mac_hint: Option<[u8; 6]>,
    neigh: Neigh,
    /// Frames on the wire towards the stack, with the time they were sent.
    wire: VecDeque<(Duration, Vec<u8>)>,
    /// The NIC's RX ring the frames from the wire pass through (see [`super::sim_ring`]).
    ring: SimRing,
    queue: VecDeque<(Duration, Pending)>,
    next_ping: Duration,
    next_udp: Duration,
    udp_count: u64,
    ident: u16,
    ip_id: u16,
    seq: u16,
    /// Echo requests on the wire waiting for replies: (seq, sent at).
    outstanding: VecDeque<(u16, Duration)>,
    pings_sent: u64,
    pings_answered: u64,
    pings_lost: u64,
    arp_unanswered: u64,
    stats: LinkStats,
    scratch: Vec<u8>,
}

impl SimLan {
    /// Simulated time runs at `cfg.speed` x wall time from now.
    pub fn new(cfg: SimConfig) -> Self {
        let mut s = Self::lockstep(cfg);
        s.clock = Clock::Real {
            anchor_real: Instant::now(),
            anchor_sim: Duration::ZERO,
        };
        s
    }

    /// Simulated time jumps from event to event; `recv_batch` never sleeps (tests, benches).
    pub fn lockstep(mut cfg: SimConfig) -> Self {
        cfg.speed = cfg.speed.clamp(SPEED_RANGE.0, SPEED_RANGE.1);
        let mix = cfg.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        SimLan {
            ident: (mix >> 48) as u16 | 1,
            ip_id: (mix >> 32) as u16,
            clock: Clock::Lockstep,
            now: Duration::ZERO,
            frozen: false,
            steps: 0,
            stack_mac_hint: None,
            neigh: Neigh::None,
            wire: VecDeque::new(),
            ring: SimRing::default(),
            queue: VecDeque::new(),
            next_ping: Duration::ZERO,
            next_udp: if cfg.udp_interval.is_zero() {
                Duration::MAX
            } else {
                cfg.udp_interval / 2
            },
            udp_count: 0,
            seq: 0,
            outstanding: VecDeque::new(),
            pings_sent: 0,
            pings_answered: 0,
            pings_lost: 0,
            arp_unanswered: 0,
            stats: LinkStats::default(),
            scratch: Vec::with_capacity(128),
            cfg,
        }
    }

    pub fn config(&self) -> &SimConfig {
        &self.cfg
    }

    /// The next time the peer has something to do (frames already on the wire aside).
    fn next_event(&self) -> Duration {
        let mut t = self.next_ping.min(self.next_udp);
        match self.neigh {
            Neigh::Incomplete { next } | Neigh::Probe { next, .. } => t = t.min(next),
            Neigh::Delay { until, .. } => t = t.min(until),
            _ => {}
        }
        if let Some(&(_, at)) = self.outstanding.front() {
            t = t.min(at + self.cfg.ping_timeout);
        }
        if let Some(&(at, _)) = self.queue.front() {
            t = t.min(at + self.cfg.ping_timeout);
        }
        t
    }

    fn sim_now_real(&self) -> Duration {
        match self.clock {
            Clock::Real {
                anchor_real,
                anchor_sim,
            } if !self.frozen => anchor_sim + anchor_real.elapsed().mul_f64(self.cfg.speed),
            Clock::Real { anchor_sim, .. } => anchor_sim.max(self.now),
            Clock::Lockstep => self.now,
        }
    }

    /// Run the peer up to `t`: everything due by then is put on the wire.
    fn advance(&mut self, t: Duration) {
        loop {
            let next = self.next_event();
            if next > t {
                break;
            }
            self.now = self.now.max(next);
            self.fire_due();
        }
        self.now = self.now.max(t);
    }

    /// Do everything due at `self.now`.
    fn fire_due(&mut self) {
        let now = self.now;
        // Timeouts first: lost pings, stale queued packets.
        while let Some(&(_, at)) = self.outstanding.front() {
            if at + self.cfg.ping_timeout <= now {
                self.outstanding.pop_front();
                self.pings_lost += 1;
            } else {
                break;
            }
        }
        while let Some((at, _)) = self.queue.front() {
            if *at + self.cfg.ping_timeout <= now {
                if let Some((_, Pending::Ping { .. })) = self.queue.pop_front() {
                    self.pings_lost += 1;
                }
            } else {
                break;
            }
        }
        // Neighbour timers.
        match self.neigh {
            Neigh::Incomplete { next } if next <= now => {
                if self.queue.is_empty() {
                    // Nothing left to deliver: give up resolving (Linux: FAILED).
                    self.neigh = Neigh::Failed;
                } else {
                    self.send_arp_request(None);
                    self.neigh = Neigh::Incomplete {
                        next: now + Duration::from_secs(1),
                    };
                }
            }
            Neigh::Delay { mac, until } if until <= now => {
                // No confirmation arrived: probe the cached MAC (the first probe goes now).
                self.neigh = Neigh::Probe {
                    mac,
                    sent: 0,
                    next: now,
                };
                self.step_probe_now();
            }
            Neigh::Probe { mac, sent, next } if next <= now => {
                if sent >= self.cfg.probes {
                    self.neigh = Neigh::Failed;
                } else {
                    self.send_arp_request(Some(mac));
                    self.neigh = Neigh::Probe {
                        mac,
                        sent: sent + 1,
                        next: now + Duration::from_secs(1),
                    };
                }
            }
            _ => {}
        }
        if self.next_ping <= now {
            self.seq = self.seq.wrapping_add(1);
            self.pings_sent += 1;
            let seq = self.seq;
            self.send_ip(Pending::Ping { seq });
            self.next_ping += self.cfg.ping_interval;
        }
        if self.next_udp <= now {
            self.udp_count += 1;
            let n = self.udp_count;
            let (dst_port, payload) = if n.is_multiple_of(7) {
                (
                    5555,
                    format!("is anyone listening on 5555? #{n}").into_bytes(),
                )
            } else if n.is_multiple_of(3) {
                (7, format!("echo me back #{n}").into_bytes())
            } else {
                (9, format!("hello ringside, message #{n}").into_bytes())
            };
            self.send_ip(Pending::Udp { dst_port, payload });
            self.next_udp += self.cfg.udp_interval;
        }
    }

    /// The MAC to send an IP packet to right now, starting a probe or a resolution if needed.
    fn resolve_for_send(&mut self) -> Option<[u8; 6]> {
        let now = self.now;
        match self.neigh {
            Neigh::Reachable { mac, until } if now < until => Some(mac),
            Neigh::Reachable { mac, .. } | Neigh::Stale { mac } => {
                // Linux neigh_event_send: a STALE entry is used as it is and moves to DELAY.
                self.neigh = Neigh::Delay {
                    mac,
                    until: now + self.cfg.delay_first_probe,
                };
                Some(mac)
            }
            Neigh::Delay { mac, .. } | Neigh::Probe { mac, .. } => Some(mac),
            Neigh::Incomplete { .. } => None,
            Neigh::None | Neigh::Failed => {
                self.send_arp_request(None);
                self.neigh = Neigh::Incomplete {
                    next: now + Duration::from_secs(1),
                };
                None
            }
        }
    }

    fn step_probe_now(&mut self) {
        if let Neigh::Probe { mac, sent, .. } = self.neigh {
            self.send_arp_request(Some(mac));
            self.neigh = Neigh::Probe {
                mac,
                sent: sent + 1,
                next: self.now + Duration::from_secs(1),
            };
        }
    }

    fn send_ip(&mut self, p: Pending) {
        match self.resolve_for_send() {
            Some(mac) => self.transmit(mac, p),
            None => {
                if self.queue.len() >= QUEUE_MAX {
                    if let Some((_, Pending::Ping { .. })) = self.queue.pop_front() {
                        self.pings_lost += 1;
                    }
                }
                self.queue.push_back((self.now, p));
            }
        }
    }

    fn transmit(&mut self, dst_mac: [u8; 6], p: Pending) {
        self.ip_id = self.ip_id.wrapping_add(1);
        let hdr = EthIp {
            src_mac: self.cfg.peer_mac,
            dst_mac,
            src_ip: self.cfg.peer_ip,
            dst_ip: self.cfg.stack_ip,
            ttl: 64,
            ip_id: self.ip_id,
        };
        let mut f = std::mem::take(&mut self.scratch);
        f.clear();
        match p {
            Pending::Ping { seq } => {
                // iputils ping: struct timeval (sec, usec as 64-bit) then 0x10, 0x11, ...
                let mut data = [0u8; 56];
                data[..8].copy_from_slice(&self.now.as_secs().to_le_bytes());
                data[8..16].copy_from_slice(&(self.now.subsec_micros() as u64).to_le_bytes());
                for (i, b) in data[16..].iter_mut().enumerate() {
                    *b = 0x10 + i as u8;
                }
                icmp_echo(&mut f, &hdr, false, self.ident, seq, &data);
                self.outstanding.push_back((seq, self.now));
            }
            Pending::Udp { dst_port, payload } => {
                udp(
                    &mut f,
                    &hdr,
                    40000 + (self.udp_count % 1000) as u16,
                    dst_port,
                    &payload,
                );
            }
        }
        // On the wire every frame is at least 60 bytes (the sender's NIC pads).
        pad_to_min(&mut f, 0);
        self.wire.push_back((self.now, f.clone()));
        self.scratch = f;
    }

    /// Broadcast (`to` None) or unicast ARP request for the stack's address.
    fn send_arp_request(&mut self, to: Option<[u8; 6]>) {
        let mut f = Vec::with_capacity(42);
        arp(
            &mut f,
            to.unwrap_or(BROADCAST),
            ARP_REQUEST,
            self.cfg.peer_mac,
            self.cfg.peer_ip,
            [0; 6],
            self.cfg.stack_ip,
        );
        pad_to_min(&mut f, 0);
        self.arp_unanswered += 1;
        self.wire.push_back((self.now, f));
    }

    fn flush_queue(&mut self, mac: [u8; 6]) {
        while let Some((_, p)) = self.queue.pop_front() {
            self.transmit(mac, p);
        }
    }

    /// A frame from the stack reaches the peer.
    fn receive(&mut self, f: &[u8]) {
        let Ok(eth) = EthernetFrame::new_checked(f) else {
            return;
        };
        let dst = eth.dst();
        if dst != Mac(self.cfg.peer_mac) && !dst.is_broadcast() {
            return;
        }
        let p = eth.payload();
        match eth.ethertype() {
            EtherType::ARP => {
                let Some(a) = ArpPacket::new_checked(p)
                    .ok()
                    .and_then(|a| ArpRepr::parse(&a))
                else {
                    return;
                };
                let (op, sha, spa, tpa) = (a.op, a.sha.0, a.spa, a.tpa);
                if spa != self.cfg.stack_ip {
                    return;
                }
                self.stack_mac_hint = Some(sha);
                if op == ARP_REPLY && tpa == self.cfg.peer_ip {
                    // A reply confirms the entry: REACHABLE, queued packets go out.
                    self.arp_unanswered = 0;
                    self.neigh = Neigh::Reachable {
                        mac: sha,
                        until: self.now + self.cfg.arp_timeout,
                    };
                    self.flush_queue(sha);
                } else if op == ARP_REQUEST && tpa == self.cfg.peer_ip {
                    // Answer, and note the asker (as STALE unless already better known).
                    let mut r = Vec::with_capacity(42);
                    arp(
                        &mut r,
                        sha,
                        ARP_REPLY,
                        self.cfg.peer_mac,
                        self.cfg.peer_ip,
                        sha,
                        spa,
                    );
                    pad_to_min(&mut r, 0);
                    self.wire.push_back((self.now, r));
                    match self.neigh {
                        Neigh::Reachable { mac, until } if mac == sha => {
                            self.neigh = Neigh::Reachable { mac, until }
                        }
                        Neigh::Probe { mac, .. } | Neigh::Delay { mac, .. } if mac == sha => {}
                        _ => {
                            self.neigh = Neigh::Stale { mac: sha };
                            if !self.queue.is_empty() {
                                self.flush_queue(sha);
                            }
                        }
                    }
                }
            }
            EtherType::IPV4 => {
                let Ok(ip) = Ipv4Packet::new_checked(p) else {
                    return;
                };
                if ip.protocol() != IpProtocol::ICMP {
                    return;
                }
                let Ok(icmp) = IcmpPacket::new_checked(ip.payload()) else {
                    return;
                };
                if icmp.msg_type() == ECHO_REPLY {
                    let (ident, seq) = (icmp.ident(), icmp.seq());
                    if ident == self.ident {
                        if let Some(i) = self.outstanding.iter().position(|&(s, _)| s == seq) {
                            self.outstanding.remove(i);
                            self.pings_answered += 1;
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// The peer's view for the UI.
    pub fn view(&self) -> PeerView {
        let now = self.now;
        // Seconds until the state next changes (see PeerView::arp_entry).
        let arp_entry = match self.neigh {
            Neigh::Reachable { mac, until } if now < until => {
                Some((mac, (until - now).as_secs_f64()))
            }
            Neigh::Reachable { mac, .. } | Neigh::Stale { mac } => Some((mac, f64::INFINITY)),
            Neigh::Delay { mac, until } => Some((mac, until.saturating_sub(now).as_secs_f64())),
            Neigh::Probe { mac, next, .. } => Some((mac, next.saturating_sub(now).as_secs_f64())),
            Neigh::None | Neigh::Failed | Neigh::Incomplete { .. } => None,
        };
        PeerView {
            name: self.cfg.peer_name.clone(),
            mac: self.cfg.peer_mac,
            ip: self.cfg.peer_ip,
            arp_entry,
            neigh_state: self.neigh_state(),
            pings_sent: self.pings_sent,
            pings_answered: self.pings_answered,
            pings_lost: self.pings_lost,
            arp_unanswered: self.arp_unanswered,
            speed: self.cfg.speed,
            frozen: self.frozen,
        }
    }

    /// Unicast probes sent in the current PROBE state, and how many there will be at most.
    pub fn probes_sent(&self) -> Option<(u32, u32)> {
        match self.neigh {
            Neigh::Probe { sent, .. } => Some((sent, self.cfg.probes)),
            _ => None,
        }
    }

    /// The neighbour state name, as `ip neigh` prints it ("REACHABLE", "STALE", "DELAY", ...).
    pub fn neigh_state(&self) -> &'static str {
        match self.neigh {
            Neigh::None => "NONE",
            Neigh::Failed => "FAILED",
            Neigh::Delay { .. } => "DELAY",
            Neigh::Incomplete { .. } => "INCOMPLETE",
            Neigh::Reachable { until, .. } if self.now < until => "REACHABLE",
            Neigh::Reachable { .. } | Neigh::Stale { .. } => "STALE",
            Neigh::Probe { .. } => "PROBE",
        }
    }
}

impl Link for SimLan {
    fn recv_batch(
        &mut self,
        timeout: Duration,
        on_frame: &mut dyn FnMut(&[u8], RxMeta),
    ) -> io::Result<usize> {
        if self.frozen {
            return Ok(self.recv_frozen(timeout, on_frame));
        }
        if self.nothing_waiting() {
            match self.clock {
                Clock::Lockstep => {
                    let t = self.next_event().min(self.now + timeout);
                    self.advance(t);
                }
                Clock::Real { .. } => {
                    let now = self.sim_now_real();
                    let due = self.next_event().saturating_sub(now);
                    let real = due.div_f64(self.cfg.speed).min(timeout);
                    if !real.is_zero() {
                        std::thread::sleep(real);
                    }
                    let t = self.sim_now_real();
                    self.advance(t);
                }
            }
        } else if let Clock::Real { .. } = self.clock {
            let t = self.sim_now_real();
            self.advance(t);
        }
        let mut n = 0;
        while self.deliver_one(on_frame) {
            n += 1;
        }
        Ok(n)
    }

    fn send(&mut self, frame: &[u8]) -> io::Result<()> {
        self.stats.tx_frames += 1;
        self.receive(frame);
        Ok(())
    }

    fn now(&self) -> Duration {
        self.now
    }

    fn stats(&self) -> LinkStats {
        self.stats
    }

    fn describe(&self) -> String {
        format!(
            "simulated LAN: {} {} ({}), neighbour entry {}",
            self.cfg.peer_name,
            self.cfg.peer_ip,
            crate::wire::mac_to_string(&self.cfg.peer_mac),
            self.neigh_state()
        )
    }

    fn peer(&self) -> Option<PeerView> {
        Some(self.view())
    }

    fn ring(&self) -> Option<super::ring_view::RingView> {
        Some(self.ring.view())
    }

    fn set_frozen(&mut self, frozen: bool) {
        if frozen == self.frozen {
            return;
        }
        // Re-anchor so simulated time resumes where it stopped, not where the wall clock is.
        let now = self.sim_now_real();
        if let Clock::Real { .. } = self.clock {
            self.clock = Clock::Real {
                anchor_real: Instant::now(),
                anchor_sim: now,
            };
        }
        self.frozen = frozen;
        self.steps = 0;
    }

    fn step(&mut self) {
        if self.frozen {
            self.steps = self.steps.saturating_add(1);
        }
    }

    fn set_speed(&mut self, speed: f64) {
        let speed = speed.clamp(SPEED_RANGE.0, SPEED_RANGE.1);
        if let Clock::Real { .. } = self.clock {
            // Re-anchor so simulated time stays continuous across the change.
            let now = self.sim_now_real();
            self.clock = Clock::Real {
                anchor_real: Instant::now(),
                anchor_sim: now,
            };
        }
        self.cfg.speed = speed;
    }
}

impl SimLan {
    /// Nothing for ringside: the wire and the ring are both empty.
    fn nothing_waiting(&self) -> bool {
        self.wire.is_empty() && self.ring.waiting() == 0
    }

    /// Hand the oldest frame to `on_frame` through the ring, as a netmap program takes it:
    /// `nm_nextpkt` while the ring has frames, a `poll()` (rxsync) when it has none; false when
    /// the wire and the ring are empty.
    fn deliver_one(&mut self, on_frame: &mut dyn FnMut(&[u8], RxMeta)) -> bool {
        if self.ring.waiting() == 0 {
            self.ring.rxsync(&mut self.wire);
        }
        let Some(slot) = self.ring.next_pkt() else {
            return false;
        };
        let (ts, f) = self.ring.buf(slot);
        self.stats.rx_frames += 1;
        self.stats.rx_bytes += f.len() as u64;
        on_frame(
            f,
            RxMeta {
                ts,
                clock: ts,
                orig_len: f.len() as u32,
                csum_not_ready: false,
                note: None,
                link: crate::wire::LinkKind::Ethernet,
            },
        );
        true
    }

    /// `recv_batch` while time is frozen: nothing moves unless a step was asked for; a step
    /// delivers the next frame on the wire, first running the clock through the next timers
    /// until one puts a frame on the wire. The stack's reply to it (if any) reaches the peer as usual, and a frame
    /// the peer answers with waits on the wire for the next step.
    fn recv_frozen(&mut self, timeout: Duration, on_frame: &mut dyn FnMut(&[u8], RxMeta)) -> usize {
        if self.steps == 0 {
            if let Clock::Real { .. } = self.clock {
                std::thread::sleep(timeout.min(Duration::from_millis(20)));
            }
            return 0;
        }
        self.steps -= 1;
        // Timers that send nothing (a ping counted lost) pass on the way to the next frame; the
        // peer pings once a second, so one comes soon (the bound only guards the loop).
        for _ in 0..10_000 {
            if !self.nothing_waiting() {
                break;
            }
            let t = self.next_event();
            self.advance(t);
        }
        if let Clock::Real { anchor_real, .. } = self.clock {
            self.clock = Clock::Real {
                anchor_real,
                anchor_sim: self.now,
            };
        }
        usize::from(self.deliver_one(on_frame))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // The lockstep loop lives in capture (above link); the tests drive the LAN through it.
    use crate::capture::run_lockstep;
    use crate::link::frame::Captured;
    use crate::stack::Stack;
    use crate::stack::StackConfig;

    fn lesson(secs: f64, arp_off_at: Option<f64>) -> (SimLan, Stack, Vec<Captured>) {
        let mut sim = SimLan::lockstep(SimConfig::default());
        let mut stack = Stack::new(StackConfig::default());
        let mut frames = Vec::new();
        let mut sink = |c: Captured| frames.push(c);
        if let Some(t) = arp_off_at {
            run_lockstep(&mut sim, &mut stack, Duration::from_secs_f64(t), &mut sink).unwrap();
            stack.set_arp_responder(false);
        }
        run_lockstep(
            &mut sim,
            &mut stack,
            Duration::from_secs_f64(secs),
            &mut sink,
        )
        .unwrap();
        (sim, stack, frames)
    }

    #[test]
    fn same_seed_same_lesson() {
        let (_, _, a) = lesson(30.0, Some(10.0));
        let (_, _, b) = lesson(30.0, Some(10.0));
        assert_eq!(a, b);
        assert!(a.len() > 50);
    }

    #[test]
    fn pings_once_a_second_like_iputils() {
        let (sim, _, frames) = lesson(10.0, None);
        let reqs: Vec<_> = frames
            .iter()
            .filter(|c| c.dir == Direction::In && c.data.len() == 98 && c.data[34] == 8)
            .collect();
        assert_eq!(reqs.len(), 11, "t = 0..=10 s");
        let d = &reqs[3].data;
        assert_eq!(u16::from_be_bytes([d[38], d[39]]), sim.ident);
        assert_eq!(u16::from_be_bytes([d[40], d[41]]), 4, "seq counts from 1");
        assert_eq!(d[42..50], 3u64.to_le_bytes(), "timeval seconds");
        assert_eq!(d[58], 0x10, "then the 0x10, 0x11, ... pattern");
        assert_eq!(d[97], 0x37);
        let v = sim.view();
        assert_eq!((v.pings_sent, v.pings_answered, v.pings_lost), (11, 11, 0));
    }

    #[test]
    fn arp_off_unicast_probes_then_broadcasts_then_pings_fail() {
        let (sim, _, frames) = lesson(40.0, Some(5.0));
        let arp_reqs: Vec<&Captured> = frames
            .iter()
            .filter(|c| c.dir == Direction::In && c.data[12..14] == [8, 6])
            .skip(1) // the first resolution at t=0
            .collect();
        let stack_mac = StackConfig::default().mac;
        // The entry was confirmed at t=0, reachable 15 s, then STALE; the ping at 15 s uses it
        // and starts DELAY (5 s); probes start at 20 s, unicast, 1 s apart.
        assert_eq!(arp_reqs[0].ts, Duration::from_secs(20));
        assert_eq!(arp_reqs[1].ts, Duration::from_secs(21));
        assert!(arp_reqs[..3].iter().all(|c| c.data[..6] == stack_mac));
        assert!(arp_reqs[3..].iter().all(|c| c.data[..6] == [0xff; 6]));
        let v = sim.view();
        assert!(v.arp_entry.is_none());
        assert!(v.pings_lost >= 15, "{v:?}");
        assert!(v.arp_unanswered >= 20, "{v:?}");
        assert_eq!(sim.neigh_state(), "INCOMPLETE");
    }

    /// The states `ip neigh` prints, in Linux's order, at the times Linux's timers give.
    #[test]
    fn neighbour_states_follow_linux() {
        let mut sim = SimLan::lockstep(SimConfig {
            udp_interval: Duration::ZERO,
            ping_interval: Duration::from_secs(100),
            ..SimConfig::default()
        });
        let mut stack = Stack::new(StackConfig::default());
        let mut sink = |_: Captured| {};
        let mut at = |sim: &mut SimLan, stack: &mut Stack, t: f64| {
            run_lockstep(sim, stack, Duration::from_secs_f64(t), &mut sink).unwrap();
            sim.neigh_state()
        };
        // Resolved at t=0 (ARP answered): REACHABLE 15 s.
        assert_eq!(at(&mut sim, &mut stack, 1.0), "REACHABLE");
        stack.set_arp_responder(false);
        assert_eq!(sim.view().arp_entry.unwrap().1, 14.0);
        // Reachable time over, nothing sent: STALE, with no timer of its own.
        assert_eq!(at(&mut sim, &mut stack, 50.0), "STALE");
        assert_eq!(sim.view().arp_entry.unwrap().1, f64::INFINITY);
        // The ping at 100 s uses the stale entry: DELAY for 5 s, then PROBE, then FAILED.
        assert_eq!(at(&mut sim, &mut stack, 101.0), "DELAY");
        assert_eq!(sim.view().arp_entry.unwrap().1, 4.0);
        assert_eq!(at(&mut sim, &mut stack, 105.5), "PROBE");
        assert_eq!(sim.probes_sent(), Some((1, 3)));
        assert_eq!(at(&mut sim, &mut stack, 108.5), "FAILED");
        assert!(sim.view().arp_entry.is_none());
    }

    /// Frozen, nothing moves however long the wall clock runs; each step lets exactly one frame
    /// through and moves the clock to its time; thawing resumes from there.
    #[test]
    fn frozen_time_stands_still_and_steps_one_event() {
        let mut sim = SimLan::new(SimConfig {
            speed: 20.0,
            ..SimConfig::default()
        });
        let mut frames = Vec::new();
        let start = Instant::now();
        while sim.now() < Duration::from_secs(3) && start.elapsed() < Duration::from_secs(5) {
            sim.recv_batch(Duration::from_millis(10), &mut |_, m| frames.push(m.ts))
                .unwrap();
        }
        sim.set_frozen(true);
        let t0 = sim.now();
        let view = sim.view();
        let seen = frames.len();
        for _ in 0..10 {
            sim.recv_batch(Duration::from_millis(10), &mut |_, m| frames.push(m.ts))
                .unwrap();
        }
        assert_eq!(frames.len(), seen, "no frame while frozen");
        assert_eq!(sim.now(), t0, "the clock stands still");
        assert_eq!(sim.view().arp_entry, view.arp_entry, "the countdown too");
        assert!(sim.view().frozen);
        for i in 1..=3 {
            sim.step();
            let n = sim
                .recv_batch(Duration::from_millis(10), &mut |_, m| frames.push(m.ts))
                .unwrap();
            assert_eq!(n, 1, "step {i} delivers one frame");
            assert_eq!(
                sim.now(),
                *frames.last().unwrap(),
                "the clock is at that frame"
            );
            assert!(sim.now() > t0);
            let n = sim
                .recv_batch(Duration::from_millis(10), &mut |_, m| frames.push(m.ts))
                .unwrap();
            assert_eq!(n, 0, "and stops again");
        }
        let stepped = sim.now();
        sim.set_frozen(false);
        std::thread::sleep(Duration::from_millis(20));
        sim.recv_batch(Duration::from_millis(10), &mut |_, _| {})
            .unwrap();
        assert!(sim.now() >= stepped, "time resumes from the last step");
        assert!(
            sim.now() < stepped + Duration::from_secs(3),
            "not from the wall clock"
        );
    }

    /// The demo's ring, frozen and stepped: each `.` moves head/cur/tail on by one slot; the
    /// slot just read is handed back (head moved past it) and the next poll gives it to the
    /// kernel; frames never skip the ring.
    #[test]
    fn frozen_steps_move_the_ring_one_slot_at_a_time() {
        use crate::link::ring_view::Owner;
        let mut sim = SimLan::lockstep(SimConfig {
            udp_interval: Duration::ZERO,
            ..SimConfig::default()
        });
        let mut stack = Stack::new(StackConfig::default());
        run_lockstep(&mut sim, &mut stack, Duration::from_secs(3), &mut |_| {}).unwrap();
        sim.set_frozen(true);
        let before = sim.ring().unwrap();
        let head0 = before.cursor("head").unwrap();
        assert_eq!(before.cursor("cur"), Some(head0));
        assert_eq!(before.cursor("tail"), Some(head0), "nothing waiting");
        let stepped = |sim: &mut SimLan| {
            sim.step();
            let mut got = 0;
            sim.recv_batch(Duration::from_millis(1), &mut |_, _| got += 1)
                .unwrap();
            assert_eq!(got, 1, "one frame per step");
            sim.ring().unwrap()
        };
        let a = stepped(&mut sim);
        let s0 = head0;
        let s1 = (head0 + 1) % 16;
        assert_eq!(a.cursor("head"), Some(s1), "the cursor moved one slot");
        assert_eq!(a.cursor("cur"), Some(s1));
        assert_eq!(a.cursor("tail"), Some(s1));
        assert_eq!(
            a.cells[s0 as usize],
            Owner::Returned,
            "read and handed back"
        );
        assert_eq!(a.last_sync.unwrap().taken, 1);
        let b = stepped(&mut sim);
        assert_eq!(b.cells[s0 as usize], Owner::Kernel, "the next poll took it");
        assert_eq!(b.cells[s1 as usize], Owner::Returned);
        assert_eq!(b.cursor("head"), Some((s1 + 1) % 16));
        assert_eq!(b.last_sync.unwrap().reclaimed, 1);
        // Frozen with no step: nothing moves.
        sim.recv_batch(Duration::from_millis(1), &mut |_, _| {})
            .unwrap();
        assert_eq!(sim.ring().unwrap(), b);
    }

    #[test]
    fn recovers_when_the_responder_comes_back() {
        let mut sim = SimLan::lockstep(SimConfig::default());
        let mut stack = Stack::new(StackConfig::default());
        let mut sink = |_: Captured| {};
        stack.set_arp_responder(false);
        run_lockstep(&mut sim, &mut stack, Duration::from_secs(10), &mut sink).unwrap();
        assert_eq!(sim.view().pings_answered, 0);
        stack.set_arp_responder(true);
        run_lockstep(&mut sim, &mut stack, Duration::from_secs(20), &mut sink).unwrap();
        let v = sim.view();
        assert!(v.pings_answered >= 9, "{v:?}");
        assert_eq!(v.arp_unanswered, 0);
        assert!(v.arp_entry.is_some());
    }

    #[test]
    fn real_time_mode_runs_at_the_set_speed() {
        let mut sim = SimLan::new(SimConfig {
            speed: 50.0,
            ..SimConfig::default()
        });
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(200) {
            sim.recv_batch(Duration::from_millis(20), &mut |_, _| {})
                .unwrap();
        }
        let t = sim.now().as_secs_f64();
        assert!(
            (5.0..=14.0).contains(&t),
            "about 10 simulated seconds, got {t}"
        );
    }
}
