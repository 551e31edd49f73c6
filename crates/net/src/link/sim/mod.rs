//! The simulated LAN behind `ringside demo`: one peer host ("the student's PC") on a wire with the
//! ringside stack. No root, no NIC. The PC itself is a sans-I/O host in [`pc`] (with its
//! neighbour entry for ringside, Linux's state machine, in [`neigh`]); this module is the thin
//! adapter that makes it a [`Link`]: it owns the clock, the wire and the NIC ring, calls
//! [`Pc::poll`] when [`Pc::poll_at`] says, and hands the PC each frame ringside sends
//! ([`Pc::handle_frame`]).
//!
//! Time: in real-time mode ([`SimLan::new`]) simulated time runs at `speed` x wall time and
//! `recv_batch` sleeps until the PC's next event (or the timeout). In lockstep mode
//! ([`SimLan::lockstep`]) `recv_batch` never sleeps: it jumps the clock to the next event, which
//! makes whole lessons reproducible in tests. Everything is deterministic given [`SimConfig::seed`].
//!
//! The NIC: the PC's frames reach ringside through a 16-slot netmap-style RX ring
//! ([`super::sim_ring`]): a `poll()` publishes what is on the wire, `nm_nextpkt()` takes one slot at
//! a time, so the ring panel (`v`) draws a real ring in the demo.
//!
//! The teacher's clock: [`SimLan::set_frozen`] stops simulated time (no timer fires, no frame moves)
//! and [`SimLan::step`] then lets exactly one thing happen: the next frame on the wire, or, when the
//! wire is empty, the clock jumps to the next timer and the first frame it sends is delivered.
pub mod neigh;
pub mod pc;

use super::sim_ring::SimRing;
use super::{Link, LinkControl, LinkInfo, LinkStats, PeerView, Received, RxMeta, Unsupported};
use crate::stack::Outbox;
pub use pc::{Heard, Pc, PcCounters};
use std::collections::VecDeque;
use std::io;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

/// How the simulated LAN is set up. `Default` matches the stack's default config
/// (198.51.100.2) with the peer at 198.51.100.1. All but `speed` describe the PC ([`Pc::new`]);
/// `speed` is the link's clock.
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
    /// The student's PC, driven by this link's clock.
    pc: Pc,
    /// What the PC sent in its last call, before it goes on the wire.
    outbox: Outbox,
    /// Frames on the wire towards the stack, with the time they were sent.
    wire: VecDeque<(Duration, Vec<u8>)>,
    /// The NIC's RX ring the frames from the wire pass through (see [`super::sim_ring`]).
    ring: SimRing,
    stats: LinkStats,
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
        SimLan {
            pc: Pc::new(&cfg),
            clock: Clock::Lockstep,
            now: Duration::ZERO,
            frozen: false,
            steps: 0,
            outbox: Outbox::new(),
            wire: VecDeque::new(),
            ring: SimRing::default(),
            stats: LinkStats::default(),
            cfg,
        }
    }

    pub fn config(&self) -> &SimConfig {
        &self.cfg
    }

    /// The student's PC on this LAN.
    pub fn pc(&self) -> &Pc {
        &self.pc
    }

    /// The next time the PC has something to do (frames already on the wire aside).
    fn next_event(&self) -> Duration {
        self.pc.poll_at().unwrap_or(Duration::MAX)
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

    /// Run the PC up to `t`: everything due by then is put on the wire.
    fn advance(&mut self, t: Duration) {
        loop {
            let next = self.next_event();
            if next > t {
                break;
            }
            self.now = self.now.max(next);
            self.pc.poll(self.now, &mut self.outbox);
            self.put_on_wire();
        }
        self.now = self.now.max(t);
    }

    /// A frame from the stack reaches the PC; what it answers goes on the wire.
    fn receive(&mut self, f: &[u8]) {
        self.pc.handle_frame(self.now, f, &mut self.outbox);
        self.put_on_wire();
    }

    /// The PC's frames, sent at `now`, onto the wire towards the stack.
    fn put_on_wire(&mut self) {
        let now = self.now;
        self.wire
            .extend(self.outbox.iter().map(|f| (now, f.to_vec())));
        self.outbox.clear();
    }

    /// The peer's view for the UI.
    pub fn view(&self) -> PeerView {
        let c = self.pc.counters();
        PeerView {
            name: self.cfg.peer_name.clone(),
            mac: self.cfg.peer_mac,
            ip: self.cfg.peer_ip,
            arp_entry: self.pc.neighbour().entry(self.now).map(|(m, s)| (m.0, s)),
            neigh_state: self.neigh_state(),
            pings_sent: c.pings_sent,
            pings_answered: c.pings_answered,
            pings_lost: c.pings_lost,
            arp_unanswered: c.arp_unanswered,
            speed: self.cfg.speed,
            frozen: self.frozen,
        }
    }

    /// The neighbour state name, as `ip neigh` prints it ("REACHABLE", "STALE", "DELAY", ...).
    pub fn neigh_state(&self) -> &'static str {
        self.pc.neighbour().state_name(self.now)
    }
}

impl Link for SimLan {
    fn recv_batch(
        &mut self,
        timeout: Duration,
        on_frame: &mut dyn FnMut(&[u8], RxMeta),
    ) -> io::Result<Received> {
        if self.frozen {
            return Ok(Received::Frames(self.recv_frozen(timeout, on_frame)));
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
        Ok(Received::Frames(n))
    }

    fn send(&mut self, frame: &[u8]) -> io::Result<()> {
        self.stats.tx_frames += 1;
        self.receive(frame);
        Ok(())
    }

    fn now(&self) -> Duration {
        self.now
    }

    fn info(&self) -> LinkInfo {
        LinkInfo {
            describe: format!(
                "simulated LAN: {} {} ({}), neighbour entry {}",
                self.cfg.peer_name,
                self.cfg.peer_ip,
                crate::wire::mac_to_string(&self.cfg.peer_mac),
                self.neigh_state()
            ),
            stats: self.stats,
            ring: self.ring(),
            peer: Some(self.view()),
            progress: None,
        }
    }

    /// The simulated LAN's clock is the teacher's: every control is honoured.
    fn control(&mut self, c: LinkControl) -> Result<(), Unsupported> {
        match c {
            LinkControl::Speed(s) => self.set_speed(s),
            LinkControl::Freeze(on) => self.set_frozen(on),
            LinkControl::Step => self.step(),
        }
        Ok(())
    }
}

/// The teacher's clock (see the module comment), through [`Link::control`] or directly.
impl SimLan {
    /// The receive ring now, as the ring panel draws it (always there; an Option as in
    /// [`LinkInfo::ring`]).
    pub fn ring(&self) -> Option<super::ring_view::RingView> {
        Some(self.ring.view())
    }

    /// Stop or restart simulated time itself: the peer's timers, its pings, the ARP countdown.
    pub fn set_frozen(&mut self, frozen: bool) {
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

    /// While frozen: let the next event happen (one frame on the wire, or the timer that sends
    /// one) and stop again.
    pub fn step(&mut self) {
        if self.frozen {
            self.steps = self.steps.saturating_add(1);
        }
    }

    /// Run simulated time `speed` times faster than real time (clamped to [`SPEED_RANGE`]).
    pub fn set_speed(&mut self, speed: f64) {
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
                source: 0,
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
    use crate::link::frame::Direction;
    use crate::stack::Stack;
    use crate::stack::StackConfig;
    use crate::wire::ethernet::EthernetFrame;
    use crate::wire::{EtherType, Mac};

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

    /// ARP off at 5 s, through the link and the real stack: the PC's unicast probes, then its
    /// broadcasts, and its pings fail (the timer walk itself is tested on the PC, in `pc`).
    #[test]
    fn arp_off_unicast_probes_then_broadcasts_then_pings_fail() {
        let (sim, _, frames) = lesson(40.0, Some(5.0));
        // (time, Ethernet destination) of each ARP frame the PC sent.
        let arp_reqs: Vec<(Duration, Mac)> = frames
            .iter()
            .filter(|c| c.dir == Direction::In)
            .filter_map(|c| {
                let eth = EthernetFrame::new_checked(&c.data[..]).ok()?;
                (eth.ethertype() == EtherType::ARP).then(|| (c.ts, eth.dst()))
            })
            .skip(1) // the first resolution at t=0
            .collect();
        let stack_mac = Mac(StackConfig::default().mac);
        // The entry was confirmed at t=0, reachable 15 s, then STALE; the ping at 15 s uses it
        // and starts DELAY (5 s); probes start at 20 s, unicast, 1 s apart.
        assert_eq!(arp_reqs[0].0, Duration::from_secs(20));
        assert_eq!(arp_reqs[1].0, Duration::from_secs(21));
        assert!(arp_reqs[..3].iter().all(|&(_, to)| to == stack_mac));
        assert!(arp_reqs[3..].iter().all(|&(_, to)| to == Mac::BROADCAST));
        let v = sim.view();
        assert!(v.arp_entry.is_none());
        assert!(v.pings_lost >= 15, "{v:?}");
        assert!(v.arp_unanswered >= 20, "{v:?}");
        assert_eq!(sim.neigh_state(), "INCOMPLETE");
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
                .unwrap()
                .frames();
            assert_eq!(n, 1, "step {i} delivers one frame");
            assert_eq!(
                sim.now(),
                *frames.last().unwrap(),
                "the clock is at that frame"
            );
            assert!(sim.now() > t0);
            let n = sim
                .recv_batch(Duration::from_millis(10), &mut |_, m| frames.push(m.ts))
                .unwrap()
                .frames();
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
