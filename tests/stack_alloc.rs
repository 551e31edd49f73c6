//! The hot path does not allocate: once the outbox is warm, answering ARP requests and small
//! echo requests (and UDP echo) allocates nothing. Measured with a counting global allocator;
//! this binary has a single test so nothing else allocates meanwhile.
mod support;
use support::stack as stack_support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ringside::stack::{Answer, Outbox, Stack, Verdict};
use ringside::wire::build::BROADCAST_MAC;
use stack_support::*;

struct Counting;
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

#[test]
fn arp_and_echo_replies_do_not_allocate_once_warm() {
    let mut s = Stack::new(cfg());
    let mut out = Outbox::new();
    let cases = [
        (
            arp_request(BROADCAST_MAC, PEER_MAC, PEER_IP, US_IP),
            Answer::ArpReply,
        ),
        (ping(&to_us(), 1, 1, &[0x11; 18]), Answer::EchoReply),
        (ping(&to_us(), 1, 2, &[0x22; 1472]), Answer::EchoReply),
        (udp(&to_us(), 999, 7, b"echo"), Answer::UdpEcho),
    ];
    let mut now = Duration::ZERO;
    for round in 0..2 {
        let before = ALLOCS.load(Ordering::Relaxed);
        for i in 0..1000 {
            for (f, a) in &cases {
                out.clear();
                now += Duration::from_millis(1);
                assert_eq!(
                    s.handle_frame(now, f, false, &mut out),
                    Verdict::Answered(*a)
                );
                s.poll(now);
                assert_eq!(out.len(), 1, "round {round} frame {i}");
            }
        }
        let n = ALLOCS.load(Ordering::Relaxed) - before;
        if round == 1 {
            assert_eq!(n, 0, "allocations while answering 4,000 frames warm");
        }
    }
}
