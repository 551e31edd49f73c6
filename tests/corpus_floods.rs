//! Floods against the stack with its default configuration, measured on the real heap (a counting
//! allocator), not only on the stack's own gauges: 100,000 fragments that never complete, 100,000
//! ARP requests from random senders, 100,000 pings to the broadcast address (ignored by default,
//! answered with --broadcast-echo). Each must leave the heap bounded, and the stack must still
//! answer a real ping afterwards. Prints the figures (`cargo test --test corpus_floods -- --nocapture`).
mod support;

use ringside::stack::{Answer, DropReason, Outbox, Stack, StackConfig, Verdict};
use ringside::wire::build::{self, EthIp};
use ringside::wire::{dissect, Check};
use std::alloc::{GlobalAlloc, Layout, System};
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use support::rng::Rng;

/// Counts live heap bytes and their high-water mark.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Relaxed) + l.size();
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// The floods run one at a time, so the heap figures are each flood's own.
static SERIAL: Mutex<()> = Mutex::new(());

/// Heap figures over a flood: bytes still held after it (vs before) and the peak above the start.
struct Heap {
    start: usize,
}

impl Heap {
    fn start() -> Heap {
        let start = LIVE.load(Relaxed);
        PEAK.store(start, Relaxed);
        Heap { start }
    }
    fn retained(&self) -> isize {
        LIVE.load(Relaxed) as isize - self.start as isize
    }
    fn peak(&self) -> usize {
        PEAK.load(Relaxed).saturating_sub(self.start)
    }
}

const US_MAC: [u8; 6] = [0x02, 0x52, 0x53, 0x00, 0x00, 0x02];
const PEER_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
const N: u64 = 100_000;
/// Heap a flood may leave behind or use at its peak, on top of the stack's own caps.
const SLACK: usize = 2 << 20;

/// What the floods draw from the shared generator (tests/support/rng.rs).
trait Draw {
    fn mac(&mut self) -> [u8; 6];
    fn addr(&mut self) -> Ipv4Addr;
}

impl Draw for Rng {
    /// A unicast, locally administered MAC.
    fn mac(&mut self) -> [u8; 6] {
        let b = self.next_u64().to_be_bytes();
        [0x02, b[0], b[1], b[2], b[3], b[4] | 1]
    }
    /// A TEST-NET-1/2 host address (512 distinct: more than the ARP cache holds).
    fn addr(&mut self) -> Ipv4Addr {
        let v = self.next_u64();
        let host = (v >> 8) as u8;
        let host = host.clamp(1, 254);
        if v & 1 == 0 {
            Ipv4Addr::new(198, 51, 100, host)
        } else {
            Ipv4Addr::new(192, 0, 2, host)
        }
    }
}

fn cfg() -> StackConfig {
    let c = StackConfig::default();
    assert_eq!(c.mac, US_MAC);
    c
}

fn peer() -> EthIp {
    EthIp {
        src_mac: PEER_MAC,
        dst_mac: US_MAC,
        src_ip: Ipv4Addr::new(198, 51, 100, 1),
        dst_ip: cfg().ip,
        ttl: 64,
        ip_id: 1,
    }
}

/// A real ping after the flood gets a clean echo reply to the peer.
fn still_answers_ping(s: &mut Stack, now: Duration) {
    let mut f = Vec::new();
    build::icmp_echo(&mut f, &peer(), false, 0x5150, 1, b"after the flood");
    let mut out = Outbox::new();
    let v = s.handle_frame(now, &f, false, &mut out);
    assert_eq!(v, Verdict::Answered(Answer::EchoReply));
    let reply: Vec<u8> = out.iter().next().expect("a reply").to_vec();
    assert_eq!(reply[0..6], PEER_MAC);
    let d = dissect(&reply);
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    assert_eq!(d.num("icmp.type"), Some(0));
    assert_eq!(d.num("icmp.ident"), Some(0x5150));
    assert_eq!(d.field("icmp.checksum").unwrap().check, Some(Check::Good));
}

fn counted(s: &Stack) {
    let c = s.counters();
    assert_eq!(c.frames_in, N + 1);
    assert_eq!(
        c.frames_in,
        c.answered + c.nonzero().map(|(_, n)| n).sum::<u64>()
    );
}

fn report(name: &str, heap: &Heap, t: Instant, extra: String) {
    eprintln!(
        "{name}: {N} frames in {:.2} s; heap peak +{} KiB, retained {:+} KiB; {extra}",
        t.elapsed().as_secs_f64(),
        heap.peak() / 1024,
        heap.retained() / 1024
    );
}

/// Two shapes: many datagrams of one fragment each (the cap on datagrams in progress binds), and
/// datagrams of 40 fragments each that never get their last one (the byte cap binds).
#[test]
fn flood_of_fragments_that_never_complete() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for per_datagram in [1u64, 40] {
        let c = cfg();
        let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
        let payload = [0x5au8; 1480];
        let mut frame = Vec::with_capacity(1514);
        let mut out = Outbox::new();
        let heap = Heap::start();
        let t = Instant::now();
        let mut s = Stack::new(c.clone());
        let mut max_held = 0;
        let mut h = peer();
        for i in 0..N {
            if i % per_datagram == 0 {
                h = EthIp {
                    src_mac: rng.mac(),
                    src_ip: rng.addr(),
                    ip_id: rng.next_u64() as u16,
                    ..peer()
                };
            }
            // Fragment k of its datagram, MF set: the last one never comes.
            let k = (i % per_datagram) as usize;
            let len = if per_datagram == 1 {
                (1 + (rng.next_u64() % 185) as usize) * 8
            } else {
                1480
            };
            let d = build::Ipv4Datagram {
                eth_ip: &h,
                vlan_tags: &[],
                protocol: build::IP_PROTO_UDP,
                dont_fragment: false,
                l4: [&payload[..len], &[]],
            };
            frame.clear();
            d.write_fragment(&mut frame, 1500, 0);
            let off = (0x2000 | (k * 1480 / 8)) as u16; // MF + offset
            frame[20..22].copy_from_slice(&off.to_be_bytes());
            frame[24] = 0;
            frame[25] = 0;
            let sum = build::internet_checksum(&frame[14..34]);
            frame[24..26].copy_from_slice(&sum.to_be_bytes());
            out.clear();
            let now = Duration::from_micros(10 * i);
            s.poll(now);
            let v = s.handle_frame(now, &frame, false, &mut out);
            if h.src_ip == c.ip {
                continue; // a forged source of our own address
            }
            assert!(
                matches!(
                    v,
                    Verdict::NoReply(DropReason::FragmentHeld | DropReason::FragmentRejected)
                ),
                "{v:?}"
            );
            assert!(s.reassembly_bytes() <= c.reassembly_mem_cap);
            max_held = max_held.max(s.reassembly_bytes());
        }
        let pending = s.reassemblies();
        counted_after(&mut s, Duration::from_secs(2));
        report(
            &format!("fragments ({per_datagram} per datagram)"),
            &heap,
            t,
            format!(
                "reassembly held at most {} KiB (cap {} KiB), {pending} datagrams pending (cap {})",
                max_held / 1024,
                c.reassembly_mem_cap / 1024,
                ringside::stack::MAX_REASSEMBLIES
            ),
        );
        assert!(pending <= ringside::stack::MAX_REASSEMBLIES);
        if per_datagram > 1 {
            assert!(max_held > c.reassembly_mem_cap / 2, "the flood did fill it");
        }
        assert!(
            heap.peak() < c.reassembly_mem_cap * 3 + SLACK,
            "peak {}",
            heap.peak()
        );
        assert!((heap.retained() as usize) < c.reassembly_mem_cap * 3 + SLACK);
        // And the timeout frees it all.
        s.poll(Duration::from_secs(2) + c.reassembly_timeout + Duration::from_secs(1));
        assert_eq!(s.reassembly_bytes(), 0);
        assert_eq!(s.reassemblies(), 0);
    }
}

fn counted_after(s: &mut Stack, now: Duration) {
    still_answers_ping(s, now);
    counted(s);
}

#[test]
fn flood_of_arp_requests_from_random_senders() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let c = cfg();
    let mut rng = Rng::new(0x1234_5678_9abc_def1);
    let mut frame = Vec::with_capacity(64);
    let mut out = Outbox::new();
    let heap = Heap::start();
    let t = Instant::now();
    let mut s = Stack::new(c.clone());
    for i in 0..N {
        frame.clear();
        let sha = rng.mac();
        let spa = rng.addr();
        build::arp(
            &mut frame,
            build::BROADCAST_MAC,
            build::ARP_REQUEST,
            sha,
            spa,
            [0; 6],
            c.ip,
        );
        out.clear();
        let now = Duration::from_micros(10 * i);
        s.poll(now);
        let v = s.handle_frame(now, &frame, false, &mut out);
        if spa == Ipv4Addr::new(198, 51, 100, 2) {
            continue; // someone claiming our own address: not learned
        }
        assert_eq!(v, Verdict::Answered(Answer::ArpReply));
        assert_eq!(out.iter().next().unwrap()[0..6], sha);
        if i % 997 == 0 {
            assert!(s.arp_cache(now).len() <= c.arp_cache_cap);
        }
    }
    let now = Duration::from_secs(1);
    let entries = s.arp_cache(now).len();
    // Learning the peer by its ping's ARP is not needed: the echo reply goes to the frame's source.
    counted_after(&mut s, now);
    report(
        "arp",
        &heap,
        t,
        format!("{entries} ARP entries (cap {})", c.arp_cache_cap),
    );
    assert_eq!(entries, c.arp_cache_cap, "full, not over");
    assert!(heap.peak() < SLACK, "peak {}", heap.peak());
    assert!((heap.retained() as usize) < SLACK);
}

#[test]
fn flood_of_pings_to_the_broadcast_address() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for answer in [false, true] {
        let c = StackConfig {
            answer_broadcast_echo: answer,
            ..cfg()
        };
        let mut rng = Rng::new(0xdead_beef_cafe_f00d);
        let mut frame = Vec::with_capacity(128);
        let mut out = Outbox::new();
        let heap = Heap::start();
        let t = Instant::now();
        let mut s = Stack::new(c.clone());
        let mut replies = 0u64;
        for i in 0..N {
            let h = EthIp {
                src_mac: rng.mac(),
                dst_mac: build::BROADCAST_MAC,
                src_ip: rng.addr(),
                dst_ip: Ipv4Addr::new(198, 51, 100, 255),
                ttl: 64,
                ip_id: i as u16,
            };
            frame.clear();
            build::icmp_echo(&mut frame, &h, false, 7, i as u16, b"smurf");
            out.clear();
            let now = Duration::from_micros(10 * i);
            s.poll(now);
            let v = s.handle_frame(now, &frame, false, &mut out);
            if h.src_ip == c.ip {
                continue; // a forged source of our own address
            }
            if answer {
                assert_eq!(v, Verdict::Answered(Answer::EchoReply));
                let r = out.iter().next().unwrap();
                assert_eq!(
                    r[0..6],
                    h.src_mac,
                    "reply to the sender, never to broadcast"
                );
                replies += 1;
            } else {
                assert_eq!(v, Verdict::NoReply(DropReason::BroadcastEcho));
                assert!(out.is_empty());
            }
        }
        counted_after(&mut s, Duration::from_secs(1));
        report(
            if answer {
                "broadcast pings (answered)"
            } else {
                "broadcast pings (ignored)"
            },
            &heap,
            t,
            format!(
                "{replies} replies, {} ARP entries",
                s.arp_cache(Duration::from_secs(1)).len()
            ),
        );
        assert!(heap.peak() < SLACK, "peak {}", heap.peak());
        assert!((heap.retained() as usize) < SLACK);
    }
}
