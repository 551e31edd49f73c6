//! Dissection cost per frame: etherparse's slicer + the field map, on the frame sizes that matter
//! for capture (64-byte minimum frames and 1514-byte full frames), plus `dump`'s formatting.
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ringside::wire::Dissection;
use std::hint::black_box;

/// A UDP datagram from 198.51.100.1:40000 to 198.51.100.2:9, `frame_len` bytes on the wire.
fn udp_frame(frame_len: usize) -> Vec<u8> {
    let payload = vec![0x5a; frame_len - 42];
    let mut f = Vec::new();
    etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0x52, 0x53, 0, 0, 2])
        .ipv4([198, 51, 100, 1], [198, 51, 100, 2], 64)
        .udp(40000, 9)
        .write(&mut f, &payload)
        .unwrap();
    f
}

fn icmp_frame(frame_len: usize) -> Vec<u8> {
    let payload = vec![0x5a; frame_len - 42];
    let mut f = Vec::new();
    etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0x52, 0x53, 0, 0, 2])
        .ipv4([198, 51, 100, 1], [198, 51, 100, 2], 64)
        .icmpv4_echo_request(0x42, 1)
        .write(&mut f, &payload)
        .unwrap();
    f
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("dissect");
    g.throughput(Throughput::Elements(1));
    for (name, frame) in [
        ("udp_64", udp_frame(64)),
        ("udp_1514", udp_frame(1514)),
        ("icmp_64", icmp_frame(64)),
        ("icmp_1514", icmp_frame(1514)),
    ] {
        let mut d = Dissection::default();
        g.bench_function(name, |b| {
            b.iter(|| {
                d.parse(black_box(&frame), false);
                black_box(d.fields.len())
            })
        });
    }
    g.finish();

    // etherparse's lax slicer alone: the layer walk without our field map, for comparison.
    let mut g = c.benchmark_group("etherparse_lax_slice");
    g.throughput(Throughput::Elements(1));
    for (name, frame) in [("udp_64", udp_frame(64)), ("udp_1514", udp_frame(1514))] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let p = etherparse::LaxSlicedPacket::from_ethernet(black_box(&frame)).unwrap();
                black_box(p.transport.is_some())
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("dump_line");
    g.throughput(Throughput::Elements(1));
    let frame = udp_frame(64);
    let mut d = Dissection::default();
    d.parse(&frame, false);
    let mut dumper = ringside::cli::dump::Dumper::new(false);
    g.bench_function("udp_64_tsv", |b| {
        b.iter_batched_ref(
            || (),
            |_| black_box(dumper.line(1, std::time::Duration::ZERO, 64, 64, &d).len()),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
