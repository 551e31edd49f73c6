//! Drawing one full screen (160x48) with 1,000,000 frames in the history: the cost per refresh a
//! long lesson or a flood puts on the UI. Only visible rows and the selected frame are dissected.
use criterion::{criterion_group, criterion_main, Criterion};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use ringside::capture::{Captured, Direction};
use ringside::stack::{Answer, Verdict};
use ringside::ui::app::{Action, App};
use ringside::ui::{draw, Mode};
use ringside::wire::build::{icmp_echo, udp, EthIp};
use std::net::Ipv4Addr;
use std::time::Duration;

fn frames() -> Vec<Captured> {
    let h = EthIp {
        src_mac: [2, 0, 0, 0, 0, 1],
        dst_mac: [2, 0x52, 0x53, 0, 0, 2],
        src_ip: Ipv4Addr::new(198, 51, 100, 1),
        dst_ip: Ipv4Addr::new(198, 51, 100, 2),
        ttl: 64,
        ip_id: 1,
    };
    let mut ping = Vec::new();
    icmp_echo(&mut ping, &h, false, 0x1234, 1, &[0x10; 56]);
    let mut msg = Vec::new();
    udp(&mut msg, &h, 40000, 9, b"hello ringside");
    [ping, msg]
        .into_iter()
        .map(|data| Captured {
            ts: Duration::ZERO,
            dir: Direction::In,
            orig_len: data.len() as u32,
            data,
            csum_not_ready: false,
            verdict: Some(Verdict::Answered(Answer::EchoReply)),
            responders: Default::default(),
            source: 0,
            link: ringside::wire::LinkKind::Ethernet,
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let templates = frames();
    let mut app = App::new(Mode::Demo, 512 << 20);
    for i in 0..1_000_000u64 {
        let mut f = templates[(i % 2) as usize].clone();
        f.ts = Duration::from_micros(i * 100);
        app.ingest(&f);
    }
    assert_eq!(app.history.len(), 1_000_000, "all frames kept");
    let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap();
    c.bench_function("draw 160x48, 1M frames, live tail", |b| {
        b.iter(|| {
            term.draw(|f| draw(f, &mut app)).unwrap();
        })
    });
    // Browsing: every draw shows a different page (row summaries not cached yet).
    let mut k = 0u64;
    c.bench_function("draw 160x48, 1M frames, paging through", |b| {
        b.iter(|| {
            k += 1;
            app.handle(if k % 2000 < 1000 {
                Action::PageUp
            } else {
                Action::PageDown
            });
            term.draw(|f| draw(f, &mut app)).unwrap();
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
