//! The classroom PC's neighbour (ARP cache) entry for ringside, modelled on Linux's neighbour
//! state machine (net/core/neighbour.c; the states are the ones `ip neigh` prints, the timers the
//! ones ip-sysctl.rst documents under `neigh/default/`). Sans-I/O: time comes in as `now`, and
//! what the entry wants sent comes back as a [`Solicit`] for the PC to turn into an ARP request.
//!
//! The walk the ARP lesson shows:
//! - REACHABLE for `reachable_time` after an ARP reply confirmed the entry (Linux draws the time
//!   at random between 0.5 and 1.5 x `base_reachable_time`; the demo uses the value as it is, so
//!   the countdown on screen is the teacher's `--arp-timeout`);
//! - then STALE: still used, no timer of its own; a packet sent through a STALE entry goes out at
//!   once and moves it to DELAY (`__neigh_event_send`), which waits `delay_first_probe_time`
//!   (5 s) for a confirmation from an upper layer (TCP would give one; ping gives none). Linux's
//!   timer (`neigh_timer_handler`) takes a REACHABLE entry that was used in the last
//!   `delay_first_probe_time` straight to DELAY when its time runs out; the PC lets it read STALE
//!   until its next packet. With a ping a second and a whole-second timeout both give the same
//!   times (DELAY at the timeout, PROBE 5 s later);
//! - then PROBE: still using the cached MAC, up to `ucast_solicit` (3) unicast ARP requests,
//!   `retrans_time` (1 s) apart; a reply makes it REACHABLE, silence makes it FAILED;
//! - without a usable entry (none yet, or FAILED) the next packet makes it INCOMPLETE: broadcast
//!   requests once a `retrans_time` while packets wait. Linux gives up after `mcast_solicit` (3)
//!   broadcasts, drops the queue and starts again with the next packet; the PC keeps asking while
//!   anything is queued and gives up when its queue empties. With a ping a second the class sees
//!   the same thing: INCOMPLETE and a broadcast `Who has` every second.
use crate::wire::Mac;
use std::time::Duration;

/// Linux `retrans_time` (1 s): the gap between two ARP requests for the same entry.
pub const RETRANS_TIME: Duration = Duration::from_secs(1);

/// The timers of one entry (Linux's per-device `neigh/*/` sysctls).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NeighTimers {
    /// How long a confirmed entry stays REACHABLE (`base_reachable_time`, without the jitter).
    pub reachable_time: Duration,
    /// How long a used STALE entry waits in DELAY before probing (`delay_first_probe_time`).
    pub delay_first_probe: Duration,
    /// Unicast probes in PROBE before the entry fails (`ucast_solicit`).
    pub ucast_probes: u32,
}

/// The entry's state. Times are absolute (the PC's clock).
#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    /// No entry (never learned).
    None,
    /// Resolution gave up; the next packet starts a new one (as from `None`).
    Failed,
    /// Resolving: broadcast requests sent; `next` is when the next one is due.
    Incomplete { next: Duration },
    /// Confirmed until `until`; after that it reads as STALE and the next send starts DELAY.
    Reachable { mac: Mac, until: Duration },
    /// Known but unconfirmed (reachable time over, or learned from a request): usable; the next
    /// packet sent through it starts DELAY.
    Stale { mac: Mac },
    /// Used while STALE: packets go out, and probing starts at `until` unless confirmed first.
    Delay { mac: Mac, until: Duration },
    /// Probing with unicast requests: `sent` so far, next due at `next`.
    Probe { mac: Mac, sent: u32, next: Duration },
}

/// An ARP request the entry wants sent now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Solicit {
    /// To everyone (INCOMPLETE: the MAC is unknown).
    Broadcast,
    /// To the MAC the entry still holds (PROBE: "are you still there?").
    Unicast(Mac),
}

/// What to do with a packet the PC wants to send to the neighbour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// Send it now, to this MAC.
    Send(Mac),
    /// Hold it: resolution is under way.
    Hold,
    /// Hold it and broadcast a request: resolution starts now (INCOMPLETE).
    HoldAndSolicit,
}

/// One neighbour entry and its timers.
#[derive(Clone, Debug)]
pub struct Neighbour {
    timers: NeighTimers,
    state: State,
}

impl Neighbour {
    /// An absent entry (`ip neigh` shows nothing; the state reads NONE).
    pub fn new(timers: NeighTimers) -> Self {
        Neighbour {
            timers,
            state: State::None,
        }
    }

    /// When [`Neighbour::poll`] next has something to do; None while no timer runs (NONE,
    /// FAILED, REACHABLE, STALE: REACHABLE's end only changes the name, nothing is sent).
    pub fn poll_at(&self) -> Option<Duration> {
        match self.state {
            State::Incomplete { next } | State::Probe { next, .. } => Some(next),
            State::Delay { until, .. } => Some(until),
            _ => None,
        }
    }

    /// Run the entry's timers at `now` (`neigh_timer_handler`). `has_queued`: packets wait for
    /// the resolution (without them INCOMPLETE gives up). Returns the request to send, if any.
    pub fn poll(&mut self, now: Duration, has_queued: bool) -> Option<Solicit> {
        match self.state {
            State::Incomplete { next } if next <= now => {
                if !has_queued {
                    // Nothing left to deliver: give up resolving (Linux: FAILED).
                    self.state = State::Failed;
                    return None;
                }
                self.state = State::Incomplete {
                    next: now + RETRANS_TIME,
                };
                Some(Solicit::Broadcast)
            }
            State::Delay { mac, until } if until <= now => {
                // No confirmation arrived: probe the cached MAC, the first probe now.
                self.state = State::Probe {
                    mac,
                    sent: 1,
                    next: now + RETRANS_TIME,
                };
                Some(Solicit::Unicast(mac))
            }
            State::Probe { mac, sent, next } if next <= now => {
                if sent >= self.timers.ucast_probes {
                    self.state = State::Failed;
                    return None;
                }
                self.state = State::Probe {
                    mac,
                    sent: sent + 1,
                    next: now + RETRANS_TIME,
                };
                Some(Solicit::Unicast(mac))
            }
            _ => None,
        }
    }

    /// The PC wants to send a packet to the neighbour now (`neigh_event_send`): where it goes,
    /// moving a STALE entry to DELAY or an absent one to INCOMPLETE on the way.
    pub fn output(&mut self, now: Duration) -> Output {
        match self.state {
            State::Reachable { mac, until } if now < until => Output::Send(mac),
            State::Reachable { mac, .. } | State::Stale { mac } => {
                // A STALE entry is used as it is and moves to DELAY.
                self.state = State::Delay {
                    mac,
                    until: now + self.timers.delay_first_probe,
                };
                Output::Send(mac)
            }
            State::Delay { mac, .. } | State::Probe { mac, .. } => Output::Send(mac),
            State::Incomplete { .. } => Output::Hold,
            State::None | State::Failed => {
                self.state = State::Incomplete {
                    next: now + RETRANS_TIME,
                };
                Output::HoldAndSolicit
            }
        }
    }

    /// An ARP reply from the neighbour confirmed `mac` (`arp_process` -> `neigh_update` to
    /// NUD_REACHABLE; Linux makes a reply sent to the broadcast address only STALE, but ringside
    /// answers unicast).
    pub fn confirm(&mut self, now: Duration, mac: Mac) {
        self.state = State::Reachable {
            mac,
            until: now + self.timers.reachable_time,
        };
    }

    /// An ARP request from the neighbour told its MAC (`arp_process` -> `neigh_event_ns`: the
    /// entry becomes STALE, unless it already holds that MAC in a valid state, which
    /// `neigh_update` then keeps).
    /// True when the entry became STALE (usable: held packets can go).
    pub fn heard_request(&mut self, mac: Mac) -> bool {
        match self.state {
            State::Reachable { mac: m, .. }
            | State::Probe { mac: m, .. }
            | State::Delay { mac: m, .. }
                if m == mac =>
            {
                false
            }
            _ => {
                self.state = State::Stale { mac };
                true
            }
        }
    }

    /// The state as `ip neigh` prints it ("REACHABLE", "STALE", "DELAY", ...).
    pub fn state_name(&self, now: Duration) -> &'static str {
        match self.state {
            State::None => "NONE",
            State::Failed => "FAILED",
            State::Delay { .. } => "DELAY",
            State::Incomplete { .. } => "INCOMPLETE",
            State::Reachable { until, .. } if now < until => "REACHABLE",
            State::Reachable { .. } | State::Stale { .. } => "STALE",
            State::Probe { .. } => "PROBE",
        }
    }

    /// The MAC held and the seconds until the state next changes (REACHABLE -> STALE,
    /// DELAY -> PROBE, PROBE -> next probe or FAILED; infinite in STALE, which waits for
    /// traffic); None while no MAC is known (NONE, INCOMPLETE, FAILED).
    pub fn entry(&self, now: Duration) -> Option<(Mac, f64)> {
        match self.state {
            State::Reachable { mac, until } if now < until => {
                Some((mac, (until - now).as_secs_f64()))
            }
            State::Reachable { mac, .. } | State::Stale { mac } => Some((mac, f64::INFINITY)),
            State::Delay { mac, until } => Some((mac, until.saturating_sub(now).as_secs_f64())),
            State::Probe { mac, next, .. } => Some((mac, next.saturating_sub(now).as_secs_f64())),
            State::None | State::Failed | State::Incomplete { .. } => None,
        }
    }

    /// In PROBE: unicast probes sent so far, and how many there will be at most.
    pub fn probes_sent(&self) -> Option<(u32, u32)> {
        match self.state {
            State::Probe { sent, .. } => Some((sent, self.timers.ucast_probes)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Mac = Mac([2, 0, 0, 0, 0, 0xa]);
    const B: Mac = Mac([2, 0, 0, 0, 0, 0xb]);

    fn entry() -> Neighbour {
        Neighbour::new(NeighTimers {
            reachable_time: Duration::from_secs(15),
            delay_first_probe: Duration::from_secs(5),
            ucast_probes: 3,
        })
    }

    /// A request from the neighbour never downgrades an entry that already holds its MAC; a
    /// new MAC (or no entry) becomes STALE, usable at once.
    #[test]
    fn a_request_learns_stale_but_keeps_what_it_knows() {
        let t0 = Duration::ZERO;
        let mut n = entry();
        assert!(n.heard_request(A), "no entry: learned");
        assert_eq!(n.state_name(t0), "STALE");
        n.confirm(t0, A);
        assert!(!n.heard_request(A));
        assert_eq!(n.state_name(t0), "REACHABLE");
        assert!(n.heard_request(B), "another MAC: replaced");
        assert_eq!(
            (n.state_name(t0), n.entry(t0)),
            ("STALE", Some((B, f64::INFINITY)))
        );
        assert_eq!(n.output(t0), Output::Send(B));
        assert_eq!(n.state_name(t0), "DELAY");
        assert!(!n.heard_request(B), "DELAY with the same MAC is kept");
        assert_eq!(n.state_name(t0), "DELAY");
    }

    /// No entry: the first packet is held and starts INCOMPLETE with a broadcast; the next
    /// packets are held quietly; the timer asks again once a second while packets wait and
    /// gives up when none do.
    #[test]
    fn incomplete_asks_while_packets_wait() {
        let s = Duration::from_secs;
        let mut n = entry();
        assert_eq!(n.poll_at(), None);
        assert_eq!(n.output(s(0)), Output::HoldAndSolicit);
        assert_eq!(n.output(s(0)), Output::Hold);
        assert_eq!(n.poll_at(), Some(s(1)));
        assert_eq!(n.poll(s(1), true), Some(Solicit::Broadcast));
        assert_eq!(n.poll(s(1), true), None, "not due again until 2 s");
        assert_eq!(n.poll(s(2), false), None);
        assert_eq!((n.state_name(s(2)), n.poll_at()), ("FAILED", None));
        assert_eq!(
            n.output(s(3)),
            Output::HoldAndSolicit,
            "FAILED starts again"
        );
    }
}
