//! The ARP cache: IPv4 → MAC, learned from ARP traffic, aged out after `arp_timeout`, capped at
//! `arp_cache_cap` entries with the least recently refreshed evicted first.
//!
//! Storage is a hash map plus a queue of (ip, stamp) in refresh order. A refresh pushes a new
//! stamp and leaves the old queue item stale (skipped later); the queue is compacted when stale
//! items outnumber live ones, so memory stays O(cap) and, once warm, refreshing an entry (the
//! hot path: a peer re-asking for us) does not allocate.
use std::collections::{HashMap, VecDeque};
use std::net::Ipv4Addr;
use std::time::Duration;

use super::ArpEntry;

#[derive(Clone, Copy, Debug)]
struct Slot {
    mac: [u8; 6],
    updated: Duration,
    stamp: u64,
}

#[derive(Debug)]
pub(crate) struct ArpCache {
    map: HashMap<Ipv4Addr, Slot>,
    order: VecDeque<(Ipv4Addr, u64)>,
    next_stamp: u64,
    cap: usize,
    timeout: Duration,
}

impl ArpCache {
    pub(crate) fn new(cap: usize, timeout: Duration) -> Self {
        ArpCache {
            map: HashMap::with_capacity(cap.min(1024)),
            order: VecDeque::with_capacity(cap.min(1024)),
            next_stamp: 0,
            cap,
            timeout,
        }
    }

    fn expired(&self, slot: &Slot, now: Duration) -> bool {
        now.saturating_sub(slot.updated) >= self.timeout
    }

    fn is_live(&self, ip: Ipv4Addr, stamp: u64) -> bool {
        self.map.get(&ip).is_some_and(|s| s.stamp == stamp)
    }

    /// Record `ip` at `mac`. An existing entry is refreshed (and its MAC replaced); a new one is
    /// created only if `create` (RFC 826: requests not for us only update what we already know).
    pub(crate) fn learn(&mut self, now: Duration, ip: Ipv4Addr, mac: [u8; 6], create: bool) {
        let stamp = self.next_stamp;
        if let Some(slot) = self.map.get_mut(&ip) {
            *slot = Slot {
                mac,
                updated: now,
                stamp,
            };
        } else {
            if !create || self.cap == 0 {
                return;
            }
            while self.map.len() >= self.cap {
                self.evict_oldest();
            }
            self.map.insert(
                ip,
                Slot {
                    mac,
                    updated: now,
                    stamp,
                },
            );
        }
        self.next_stamp += 1;
        self.order.push_back((ip, stamp));
        if self.order.len() > 2 * self.map.len() + 32 {
            let map = &self.map;
            self.order
                .retain(|&(ip, st)| map.get(&ip).is_some_and(|s| s.stamp == st));
        }
    }

    fn evict_oldest(&mut self) {
        while let Some((ip, stamp)) = self.order.pop_front() {
            if self.is_live(ip, stamp) {
                self.map.remove(&ip);
                return;
            }
        }
        // Unreachable while every live entry has a queue item; stay safe anyway.
        if let Some(&ip) = self.map.keys().next() {
            self.map.remove(&ip);
        }
    }

    /// Drop every entry not refreshed within the timeout.
    pub(crate) fn expire(&mut self, now: Duration) {
        while let Some(&(ip, stamp)) = self.order.front() {
            match self.map.get(&ip) {
                Some(s) if s.stamp == stamp => {
                    if !self.expired(s, now) {
                        break;
                    }
                    self.map.remove(&ip);
                }
                _ => {}
            }
            self.order.pop_front();
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// Live entries at `now`, sorted by IP.
    pub(crate) fn entries(&self, now: Duration) -> Vec<ArpEntry> {
        let mut v: Vec<ArpEntry> = self
            .map
            .iter()
            .filter(|(_, s)| !self.expired(s, now))
            .map(|(ip, s)| {
                let age = now.saturating_sub(s.updated);
                ArpEntry {
                    ip: *ip,
                    mac: s.mac,
                    age: age.as_secs_f64(),
                    remaining: self.timeout.saturating_sub(age).as_secs_f64(),
                }
            })
            .collect();
        v.sort_by_key(|e| e.ip);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(n: u32) -> Ipv4Addr {
        Ipv4Addr::from(0x0a00_0000 + n)
    }
    const S: Duration = Duration::from_secs(1);

    #[test]
    fn refresh_keeps_entry_and_eviction_takes_least_recent() {
        let mut c = ArpCache::new(3, 60 * S);
        for n in 1..=3 {
            c.learn(n * S, ip(n), [n as u8; 6], true);
        }
        c.learn(4 * S, ip(1), [9; 6], true); // refresh 1: now 2 is the oldest
        c.learn(5 * S, ip(4), [4; 6], true);
        let ips: Vec<_> = c.entries(5 * S).iter().map(|e| e.ip).collect();
        assert_eq!(ips, vec![ip(1), ip(3), ip(4)]);
        assert_eq!(c.entries(5 * S)[0].mac, [9; 6]);
    }

    #[test]
    fn update_only_does_not_create() {
        let mut c = ArpCache::new(3, 60 * S);
        c.learn(S, ip(1), [1; 6], false);
        assert_eq!(c.len(), 0);
        c.learn(S, ip(1), [1; 6], true);
        c.learn(2 * S, ip(1), [2; 6], false);
        assert_eq!(c.entries(2 * S)[0].mac, [2; 6]);
    }

    #[test]
    fn expiry_follows_refresh_time() {
        let mut c = ArpCache::new(8, 10 * S);
        c.learn(Duration::ZERO, ip(1), [1; 6], true);
        c.learn(5 * S, ip(2), [2; 6], true);
        c.learn(8 * S, ip(1), [1; 6], true); // refreshed
        c.expire(12 * S);
        assert_eq!(c.len(), 2);
        c.expire(15 * S); // ip(2) learned at 5 → gone at 15
        assert_eq!(c.len(), 1);
        assert_eq!(c.entries(15 * S)[0].ip, ip(1));
        assert!(
            c.entries(18 * S).is_empty(),
            "hidden once expired even before expire()"
        );
        c.expire(18 * S);
        assert_eq!(c.len(), 0);
    }

    #[test]
    fn queue_stays_bounded_under_refresh_storm() {
        let mut c = ArpCache::new(4, 60 * S);
        for i in 0..10_000u32 {
            c.learn(S, ip(i % 2), [1; 6], true);
        }
        assert!(c.order.len() <= 2 * c.map.len() + 33);
        assert_eq!(c.len(), 2);
    }
}
