//! Stack cost per frame: one received frame through `handle_frame`, reply written to a warm
//! outbox. `Throughput::Elements(1)` makes criterion print frames per second as well.
use std::hint::black_box;
use std::net::Ipv4Addr;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ringside::stack::{Outbox, Stack, StackConfig, Verdict};
use ringside::wire::build::{self, EthIp, BROADCAST_MAC};

fn frames() -> Vec<(&'static str, Vec<u8>)> {
    let cfg = StackConfig::default();
    let peer_mac = [0x02, 0, 0, 0, 0, 1];
    let peer_ip = Ipv4Addr::new(198, 51, 100, 1);
    let h = EthIp {
        src_mac: peer_mac,
        dst_mac: cfg.mac,
        src_ip: peer_ip,
        dst_ip: cfg.ip,
        ttl: 64,
        ip_id: 1,
    };
    let mut arp = Vec::new();
    build::arp(
        &mut arp,
        BROADCAST_MAC,
        build::ARP_REQUEST,
        peer_mac,
        peer_ip,
        [0; 6],
        cfg.ip,
    );
    build::pad_to_min(&mut arp, 0); // 60 bytes + FCS = a 64-byte frame on the wire
    let mut echo64 = Vec::new();
    build::icmp_echo(&mut echo64, &h, false, 1, 1, &[0x5a; 18]); // 60 bytes
    let mut echo1514 = Vec::new();
    build::icmp_echo(&mut echo1514, &h, false, 1, 1, &[0x5a; 1472]); // 1514 bytes
    let mut udp_print = Vec::new();
    build::udp(&mut udp_print, &h, 4000, cfg.udp_print_port, &[b'p'; 18]);
    assert_eq!((arp.len(), echo64.len(), echo1514.len()), (60, 60, 1514));
    vec![
        ("arp_request_64B", arp),
        ("icmp_echo_64B", echo64),
        ("icmp_echo_1514B", echo1514),
        ("udp_print_64B", udp_print),
    ]
}

fn per_frame(c: &mut Criterion) {
    let mut g = c.benchmark_group("stack");
    g.throughput(Throughput::Elements(1));
    for (name, f) in frames() {
        let mut s = Stack::new(StackConfig::default());
        let mut out = Outbox::new();
        let mut now = Duration::ZERO;
        g.bench_function(name, |b| {
            b.iter(|| {
                out.clear();
                now += Duration::from_micros(1);
                let v = s.handle_frame(now, black_box(&f), false, &mut out);
                // Keep the print sink from growing the measurement into a memory benchmark.
                if matches!(v, Verdict::NoReply(_)) {
                    black_box(s.take_printed());
                }
                black_box(v)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, per_frame);
criterion_main!(benches);
