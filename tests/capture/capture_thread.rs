//! The capture thread: a live link never waits on the UI (overflow is counted), a file waits for
//! it (every frame arrives), and replies follow their triggers in wire order.
use crate::support;
use ringside::capture::{self, CaptureOptions, Direction};
use ringside::link::pcap::PcapLink;
use ringside::stack::{Stack, StackConfig};
use std::path::Path;
use std::time::{Duration, Instant};

fn asset(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets")
        .join(name)
}

fn drain_all(
    opts: CaptureOptions,
    file: &str,
) -> (Vec<ringside::capture::Captured>, capture::Status) {
    let link = PcapLink::open(&asset(file)).unwrap();
    let h = capture::spawn(Box::new(link), Stack::new(StackConfig::default()), opts);
    // A slow reader: the channel holds 2 frames, we take one at a time.
    support::capture::drain(h, Duration::from_secs(20))
}

#[test]
fn a_file_waits_for_a_slow_reader_and_nothing_is_lost() {
    let opts = CaptureOptions {
        handoff_capacity: Some(2),
        lossless: true,
        show_replies: false,
        poll_timeout: Duration::from_millis(5),
        ..CaptureOptions::default()
    };
    let (got, st) = drain_all(opts, "udp-messages.pcapng");
    // udp-messages.pcapng holds 7 frames; replies are not shown in replay.
    assert_eq!(got.len(), 7, "{got:?}");
    assert!(got.iter().all(|c| c.dir == Direction::In));
    assert_eq!(st.handoff_dropped, 0);
    assert_eq!(st.counters.frames_in, 7);
}

#[test]
fn replies_follow_their_trigger_in_wire_order() {
    let opts = CaptureOptions {
        handoff_capacity: Some(1024),
        poll_timeout: Duration::from_millis(5),
        ..CaptureOptions::default()
    };
    let (got, _) = drain_all(opts, "ping.pcapng");
    // ping.pcapng: the stack answers the ARP request and pings; each answer comes right after its
    // request, before the next received frame.
    for (i, c) in got.iter().enumerate() {
        if c.dir == Direction::Out {
            assert!(i > 0, "a reply cannot come first");
            let prev_in = got[..i]
                .iter()
                .rev()
                .find(|p| p.dir == Direction::In)
                .unwrap();
            assert!(
                matches!(prev_in.verdict, Some(ringside::stack::Verdict::Answered(_))),
                "{i}: {prev_in:?}"
            );
        }
    }
    assert!(got.iter().filter(|c| c.dir == Direction::Out).count() >= 5);
}

#[test]
fn a_full_channel_is_counted_not_waited_for() {
    let link = PcapLink::open(&asset("fragments.pcapng")).unwrap();
    let opts = CaptureOptions {
        handoff_capacity: Some(1),
        poll_timeout: Duration::from_millis(5),
        ..CaptureOptions::default()
    };
    let h = capture::spawn(Box::new(link), Stack::new(StackConfig::default()), opts);
    // Nobody reads: the thread must still finish the file, counting what did not fit.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !h.status().finished && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let st = h.stop();
    assert!(st.finished);
    // 8 frames in the file + 4 replies = 12 offered, 1 fits.
    assert_eq!(st.handoff_dropped, 11, "{st:?}");
}

#[test]
fn the_channel_is_bounded_in_bytes_too() {
    // Room for 10,000 frames but only 3,000 bytes: two 1514-byte fragments would not fit.
    let link = PcapLink::open(&asset("fragments.pcapng")).unwrap();
    let opts = CaptureOptions {
        handoff_capacity: Some(10_000),
        handoff_bytes: 3_000,
        poll_timeout: Duration::from_millis(5),
        ..CaptureOptions::default()
    };
    let mut h = capture::spawn(Box::new(link), Stack::new(StackConfig::default()), opts);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !h.status().finished && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let rx = h.frames.take().unwrap();
    let mut bytes = 0;
    while let Some(c) = rx.try_recv() {
        bytes += c.data.len();
    }
    let st = h.stop();
    assert!(bytes <= 3_000, "{bytes} bytes waited in the channel");
    assert!(st.handoff_dropped > 0, "{st:?}");
}

#[test]
fn a_recording_shows_what_ringside_sent_as_sent_not_as_input() {
    // udp-exchange.pcapng holds 4 frames from the peer and 3 that ringside sent (its MAC).
    let opts = CaptureOptions {
        handoff_capacity: Some(1024),
        lossless: true,
        show_replies: false,
        recorded: true,
        poll_timeout: Duration::from_millis(5),
        ..CaptureOptions::default()
    };
    let (got, st) = drain_all(opts, "udp-exchange.pcapng");
    let dirs: Vec<Direction> = got.iter().map(|c| c.dir).collect();
    use Direction::{In, Out};
    assert_eq!(dirs, [In, Out, In, In, Out, In, Out]);
    assert!(got
        .iter()
        .filter(|c| c.dir == Out)
        .all(|c| c.verdict.is_none()));
    assert_eq!(
        st.counters.frames_in, 4,
        "only the peer's frames are judged"
    );
    assert_eq!(
        st.counters.no_reply(ringside::stack::DropReason::NotForUs),
        0
    );
}

#[test]
fn a_forged_frame_from_our_mac_is_judged_not_shown_as_sent() {
    use ringside::wire::build::{icmp_echo, EthIp};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("forged.pcap");
    let us = StackConfig::default();
    let mut rec = ringside::pcap::PcapRecorder::create(&path).unwrap();
    // From our MAC to our MAC, and from our MAC to everyone: the stack never sends either.
    for dst in [us.mac, [0xff; 6]] {
        let h = EthIp {
            src_mac: us.mac,
            dst_mac: dst,
            src_ip: [198, 51, 100, 7].into(),
            dst_ip: us.ip,
            ttl: 64,
            ip_id: 1,
        };
        let mut f = Vec::new();
        icmp_echo(&mut f, &h, false, 1, 1, b"forged");
        rec.write(Duration::from_secs(1), &f, f.len() as u32)
            .unwrap();
    }
    rec.close().unwrap();
    let link = PcapLink::open(&path).unwrap();
    let opts = CaptureOptions {
        lossless: true,
        show_replies: false,
        recorded: true,
        poll_timeout: Duration::from_millis(5),
        ..CaptureOptions::default()
    };
    let mut h = capture::spawn(Box::new(link), Stack::new(us), opts);
    let rx = h.frames.take().unwrap();
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while got.len() < 2 && Instant::now() < deadline {
        if let Some(c) = rx.recv_timeout(Duration::from_millis(20)) {
            got.push(c);
        }
    }
    drop(rx);
    let st = h.stop();
    assert!(
        got.iter()
            .all(|c| c.dir == Direction::In && c.verdict.is_some()),
        "{got:?}"
    );
    assert_eq!(st.counters.frames_in, 2);
}
