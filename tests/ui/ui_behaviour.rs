//! What a person at the keyboard sees: navigation, pause, filters, mouse, resizing, the history
//! budget, writing a pcap, and wire text that cannot reach the terminal.
use crate::support::ui as ui_support;
use ringside::capture::{Captured, Direction, Status};
use ringside::link::Link;
use ringside::ui::app::{Action, App, Pane};
use ringside::ui::{write_history, Mode};
use ringside::wire::build::{udp, EthIp};
use std::net::Ipv4Addr;
use std::time::Duration;
use ui_support::*;

#[test]
fn tiny_and_odd_terminal_sizes_never_crash() {
    let mut l = Lesson::new();
    l.run_until(5.0);
    for (w, h) in [
        (10, 5),
        (1, 1),
        (0, 0),
        (80, 0),
        (0, 24),
        (39, 9),
        (40, 10),
        (300, 3),
        (45, 12),
        (200, 80),
    ] {
        let s = l.render(w, h);
        if w >= 40 && h >= 10 {
            assert!(s.contains("Packets"), "{w}x{h}:\n{s}");
        }
    }
    assert!(l.render(30, 6).contains("terminal 30x6 is too"));
    l.press(Action::ToggleHelp);
    l.render(12, 5);
    l.render(45, 10);
}

#[test]
fn follow_browse_pause_and_return_to_live() {
    let mut l = Lesson::new();
    l.run_until(5.0);
    let last = l.app.history.last_no().unwrap();
    assert_eq!(
        l.app.selected,
        Some(last),
        "live tail follows the newest frame"
    );
    l.press(Action::Up);
    assert_eq!(l.app.selected, Some(last - 1));
    l.run_until(8.0);
    assert_eq!(
        l.app.selected,
        Some(last - 1),
        "browsing keeps the selection"
    );
    l.press(Action::First);
    assert_eq!(l.app.selected, Some(1));
    l.press(Action::NextFrame);
    l.press(Action::NextFrame);
    assert_eq!(l.app.selected, Some(3));
    l.press(Action::PrevFrame);
    assert_eq!(l.app.selected, Some(2));
    l.press(Action::Last);
    assert_eq!(l.app.selected, l.app.history.last_no());
    l.press(Action::Up);
    l.press(Action::Last);
    assert!(l.app.follow, "G follows the tail again");
    // Looking into the fields stops following: the detail panes stay on the chosen frame.
    l.press(Action::NextPane);
    let chosen = l.app.selected;
    l.run_until(12.0);
    assert_eq!(
        l.app.selected, chosen,
        "Tab into the layers: selection kept"
    );
    assert!(l.render(80, 24).contains("BROWSING (G: follow)"));
}

/// Live: `space` pauses the view only; the capture goes on and the title says so.
#[test]
fn live_space_pauses_the_view_and_capture_goes_on() {
    let mut app = App::new(
        Mode::Live {
            interface: "rs0".into(),
        },
        1 << 20,
    );
    for i in 0..5 {
        app.ingest(&frame(i));
    }
    app.handle(Action::TogglePause);
    for i in 5..9 {
        app.ingest(&frame(i));
    }
    assert_eq!(app.view_len(), 5, "the list stays put");
    assert_eq!(app.history.len(), 9, "capture went on");
    let screen = render(&mut app, 80, 24);
    assert!(
        screen.contains("VIEW PAUSED (+4), capture goes on"),
        "{screen}"
    );
    app.handle(Action::TogglePause);
    assert_eq!(app.view_len(), 9);
    assert_eq!(app.selected, app.history.last_no());
    app.handle(Action::Step);
    assert!(render(&mut app, 80, 24).contains("a real wire cannot be stepped"));
}

/// The teacher's clock: in the demo `space` stops simulated time itself (the ARP countdown, the
/// pings), `.` lets one event through (one frame, plus ringside's answer to it), and the screen
/// says time is frozen.
#[test]
fn demo_space_freezes_time_and_dot_steps_one_event() {
    let mut l = Lesson::new();
    l.run_until(5.2);
    l.press(Action::TogglePause);
    assert!(l.app.time_frozen());
    let t0 = l.sim.now();
    let frames = l.app.history.len();
    let entry = l.app.status.peer.clone().unwrap().arp_entry;
    for _ in 0..20 {
        assert_eq!(l.pump_once(), 0);
    }
    l.run_until(30.0);
    assert_eq!(l.sim.now(), t0, "simulated time stands still");
    assert_eq!(l.app.history.len(), frames, "no frame moves");
    assert_eq!(
        l.app.status.peer.clone().unwrap().arp_entry,
        entry,
        "the countdown stops"
    );
    let screen = l.render(80, 24);
    assert!(screen.contains("TIME FROZEN"), "{screen}");
    assert!(screen.contains("t=5.2s"), "{screen}");
    // One step: the next event is the ping at 6 s; ringside's reply is shown right after it.
    l.press(Action::Step);
    assert_eq!(l.pump_once(), 1);
    assert_eq!(l.sim.now(), Duration::from_secs(6));
    assert_eq!(l.app.history.len(), frames + 2, "the request and its reply");
    let last = l.app.history.last_no().unwrap();
    assert!(l
        .app
        .row(last - 1)
        .unwrap()
        .summary
        .info
        .contains("request"));
    assert!(l.app.row(last).unwrap().summary.info.contains("reply"));
    assert_eq!(l.pump_once(), 0, "and time stops again");
    assert!(l.render(80, 24).contains("t=6.0s"));
    // `space` again: time runs.
    l.press(Action::TogglePause);
    assert!(!l.app.time_frozen());
    l.run_until(8.0);
    assert!(l.app.history.len() > frames + 2);
}

/// `.` from running time freezes it first; speeds go down to 0.01x.
#[test]
fn step_freezes_first_and_speeds_reach_a_hundredth() {
    let mut l = Lesson::new();
    l.run_until(3.0);
    l.press(Action::Step);
    assert!(l.app.time_frozen());
    assert_eq!(l.pump_once(), 1);
    for _ in 0..20 {
        l.press(Action::Slower);
    }
    assert_eq!(l.app.speed(), Some(0.01));
    assert!(l.render(80, 24).contains("0.01x"));
}

#[test]
fn filters_select_what_they_say_and_bad_ones_explain() {
    let mut l = Lesson::new();
    l.run_until(30.0);
    let type_filter = |l: &mut Lesson, text: &str| {
        l.press(Action::StartFilter);
        for _ in 0..40 {
            l.press(Action::Backspace);
        }
        for c in text.chars() {
            l.press(Action::Char(c));
        }
        l.press(Action::Submit);
    };
    let infos = |l: &mut Lesson| -> Vec<String> {
        (0..l.app.view_len())
            .map(|i| {
                let no = l.app.view_no(i).unwrap();
                let r = l.app.row(no).unwrap().summary;
                format!("{} {}", r.protocol, r.info)
            })
            .collect()
    };
    type_filter(&mut l, "arp");
    assert!(!infos(&mut l).is_empty() && infos(&mut l).iter().all(|i| i.starts_with("ARP")));
    type_filter(&mut l, "port 9");
    let v = infos(&mut l);
    assert!(
        !v.is_empty() && v.iter().all(|i| i.contains("→ 9 ")),
        "{v:?}"
    );
    type_filter(&mut l, "icmp and 198.51.100.2 and not out");
    let v = infos(&mut l);
    assert!(
        v.iter()
            .all(|i| i.contains("request") || i.contains("nreachable")),
        "{v:?}"
    );
    type_filter(&mut l, "port 5555 or icmp and out");
    assert!(infos(&mut l)
        .iter()
        .any(|i| i.contains("port unreachable") || i.contains("Destination unreachable")));
    // An invalid filter: the prompt stays open with the reason; nothing else changes.
    let before = l.app.view_len();
    type_filter(&mut l, "tcp");
    assert!(l.app.input.is_some());
    let s = l.render(80, 24);
    assert!(s.contains("unknown filter word 'tcp'"), "{s}");
    assert_eq!(l.app.view_len(), before);
    l.press(Action::Escape); // closes the prompt
    l.press(Action::Escape); // clears the filter
    assert!(l.app.filter.is_none());
    assert_eq!(l.app.view_len(), l.app.history.len());
}

#[test]
fn mouse_clicks_select_rows_and_fields() {
    let mut l = Lesson::new();
    l.run_until(6.0);
    l.render(160, 48);
    let rows = l.app.panes.list.rows_area;
    let first = l.app.panes.list.top;
    l.press(Action::Click(rows.x + 5, rows.y + 2));
    assert_eq!(l.app.selected, l.app.view_no(first + 2));
    assert_eq!(l.app.focus, Pane::List);
    l.render(160, 48);
    let (r, fi) = *l
        .app
        .panes
        .layers
        .fields
        .iter()
        .find(|(_, fi)| *fi == 2)
        .expect("the Ethernet type cell is on screen");
    l.press(Action::Click(r.x + 1, r.y));
    assert_eq!((l.app.focus, l.app.field), (Pane::Layers, fi));
    let s = l.render(160, 48);
    assert!(s.contains("Ethernet II › Type"), "{s}");
    // The wheel over the list moves the selection.
    let sel = l.app.selected.unwrap();
    l.press(Action::ScrollUp(rows.x + 1, rows.y + 1));
    assert_eq!(
        l.app.selected,
        Some(sel - 3),
        "{sel} of {}",
        l.app.view_len()
    );
}

#[test]
fn tab_moves_focus_and_keys_follow_it() {
    let mut l = Lesson::new();
    l.run_until(4.0);
    l.press(Action::First);
    l.press(Action::NextPane);
    assert_eq!(l.app.focus, Pane::Layers);
    l.press(Action::Down);
    assert_eq!(
        l.app.field, 1,
        "down moves between fields in the layers pane"
    );
    assert_eq!(l.app.selected, Some(1), "and not between frames");
    l.press(Action::NextPane);
    assert_eq!(l.app.focus, Pane::Hex);
    l.press(Action::PrevPane);
    l.press(Action::PrevPane);
    assert_eq!(l.app.focus, Pane::List);
}

#[test]
fn responder_keys_send_controls_and_speed_is_bounded() {
    let mut l = Lesson::new();
    l.run_until(2.0);
    l.press(Action::ToggleIcmp);
    assert!(!l.stack.icmp_responder());
    l.run_until(5.0);
    assert!(l.render(160, 48).contains("icmp_responder_off"));
    for _ in 0..20 {
        l.press(Action::Faster);
    }
    assert_eq!(l.app.status.peer.as_ref().unwrap().speed, 100.0);
    l.press(Action::Slower);
    assert!(l.render(80, 24).contains("50x"));
}

fn frame(i: u32) -> Captured {
    let mut data = Vec::new();
    let h = EthIp {
        src_mac: [2, 0, 0, 0, 0, 1],
        dst_mac: [2, 0, 0, 0, 0, 2],
        src_ip: Ipv4Addr::new(198, 51, 100, 1),
        dst_ip: Ipv4Addr::new(198, 51, 100, 2),
        ttl: 64,
        ip_id: i as u16,
    };
    udp(&mut data, &h, 40000, 9, format!("msg {i}").as_bytes());
    Captured {
        ts: Duration::from_millis(i as u64),
        dir: Direction::In,
        orig_len: data.len() as u32,
        data,
        csum_not_ready: false,
        verdict: None,
        responders: Default::default(),
        source: 0,
        link: ringside::wire::LinkKind::Ethernet,
    }
}

#[test]
fn a_flood_stays_within_the_history_budget_with_stable_numbers() {
    let budget = 1 << 20;
    let mut app = App::new(Mode::Demo, budget);
    for i in 0..100_000 {
        app.ingest(&frame(i));
    }
    assert!(app.history.bytes() <= budget);
    assert_eq!(app.history.last_no(), Some(100_000));
    assert!(app.history.first_no() > 1);
    let s = render(&mut app, 160, 48);
    assert!(s.contains("oldest evicted"), "{s}");
    assert!(s.contains("100000"));
}

#[test]
fn w_writes_the_history_as_a_pcap_that_reads_back() {
    let mut l = Lesson::new();
    l.run_until(10.0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lesson.pcap");
    let n = write_history(&l.app, &path).unwrap();
    assert_eq!(n as usize, l.app.history.len());
    let mut r = ringside::pcap::CaptureReader::open(&path).unwrap();
    let mut back = 0;
    while let Some(f) = r.next_frame().unwrap() {
        back += 1;
        assert_eq!(f.data, l.app.history.get(back).unwrap().data);
    }
    assert_eq!(back as usize, l.app.history.len());
    // The key path: `w` names the file and says so on screen.
    l.press(Action::WritePcap);
    ringside::ui::handle_write(&mut l.app, dir.path());
    let s = l.render(160, 48);
    assert!(
        s.contains("wrote ") && s.contains("ringside-") && s.contains(".pcap"),
        "{s}"
    );
}

/// The demo's clock starts at 0: written as is, its pcaps would be dated 1970 in Wireshark. They
/// carry the date the demo started, frames as far apart as on screen; the screen keeps `t=`.
#[test]
fn a_pcap_written_from_the_demo_is_dated_now_not_1970() {
    let mut l = Lesson::new();
    l.run_until(10.0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.pcap");
    write_history(&l.app, &path).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let mut r = ringside::pcap::CaptureReader::open(&path).unwrap();
    let mut no = 0;
    let mut first = None;
    while let Some(f) = r.next_frame().unwrap() {
        no += 1;
        let ts = f.ts;
        let d = ts.abs_diff(now);
        assert!(
            d < Duration::from_secs(60),
            "frame {no} dated {ts:?}, now is {now:?}"
        );
        let sim = l.app.history.get(no).unwrap().entry.ts;
        let first = *first.get_or_insert((ts, sim));
        assert_eq!(ts - first.0, sim - first.1, "frame {no}: spacing kept");
    }
    assert!(no > 10, "{no} frames");
    assert!(
        l.render(160, 48).contains("t=10.0s"),
        "the screen keeps the simulated clock"
    );
}

#[test]
fn escape_sequences_in_udp_payloads_are_neutralised() {
    let mut app = App::new(Mode::Demo, 1 << 20);
    let mut c = frame(1);
    let evil = b"\x1b]0;pwned\x07\x1b[2J";
    let mut data = Vec::new();
    let h = EthIp {
        src_mac: [2, 0, 0, 0, 0, 1],
        dst_mac: [2, 0, 0, 0, 0, 2],
        src_ip: Ipv4Addr::new(198, 51, 100, 1),
        dst_ip: Ipv4Addr::new(198, 51, 100, 2),
        ttl: 64,
        ip_id: 1,
    };
    udp(&mut data, &h, 40000, 9, evil);
    c.data = data;
    app.ingest(&c);
    app.status.printed.push(ringside::stack::PrintedDatagram {
        at: Duration::ZERO,
        from: (Ipv4Addr::new(198, 51, 100, 1), 40000),
        payload: evil.to_vec(),
        orig_len: evil.len(),
    });
    let s = render(&mut app, 160, 48);
    assert!(!s.contains('\x1b') && !s.contains('\x07'));
    assert!(s.contains(".]0;pwned..[2J"), "{s}");
}

#[test]
fn quick_presses_act_on_what_was_pressed_not_on_a_stale_snapshot() {
    // The capture thread applies controls a little later than the keys are pressed; a snapshot
    // published in between must not undo them (`a a` must end with ARP on, `+ + +` at 8x).
    let mut l = Lesson::new();
    l.run_until(2.0);
    let stale = l.status(); // taken before any key
    l.app.handle(Action::ToggleArp);
    l.app.set_status(stale.clone());
    assert!(
        !l.app.status.arp_responder,
        "the stale snapshot undid the first `a`"
    );
    l.app.handle(Action::ToggleArp);
    assert!(
        l.app.status.arp_responder,
        "`a a` must end with the ARP responder on"
    );
    for _ in 0..3 {
        l.app.handle(Action::Faster);
        l.app.set_status(stale.clone());
    }
    assert_eq!(l.app.speed(), Some(10.0), "three `+` from 1x: 2, 5, 10");
    // Once the capture thread has applied them, its snapshot is the truth again.
    let sent = l.app.controls.len() as u64;
    let applied = Status {
        controls_applied: sent,
        ..stale
    };
    l.app.set_status(applied);
    assert!(
        l.app.status.arp_responder,
        "applied snapshot (ARP on before the keys)"
    );
}

#[test]
fn responder_keys_in_replay_say_why_they_do_nothing() {
    let mut app = App::new(
        Mode::Replay {
            file: "x.pcap".into(),
        },
        1 << 20,
    );
    let before = app.status.arp_responder;
    app.handle(Action::ToggleArp);
    app.handle(Action::ToggleIcmp);
    assert_eq!(app.status.arp_responder, before);
    assert!(
        app.controls.is_empty(),
        "no control sent to a finished replay"
    );
    let msg = format!("{:?}", app.message);
    assert!(msg.contains("--no-arp"), "{msg}");
}

fn type_text(l: &mut Lesson, text: &str) {
    for c in text.chars() {
        l.press(Action::Char(c));
    }
}

/// Field filters by dump's names, checked as typed (the reason under the prompt), and two
/// words with no operator refused instead of silently ANDed.
#[test]
fn field_filters_are_validated_as_typed_and_select_frames() {
    let mut l = Lesson::new();
    l.run_until(20.0);
    l.press(Action::StartFilter);
    type_text(&mut l, "arp icmp");
    let s = l.render(80, 24);
    assert!(s.contains("filter: /arp icmp"), "{s}");
    assert!(
        s.contains("no operator"),
        "the reason under the prompt:\n{s}"
    );
    l.press(Action::Submit);
    assert!(
        l.app.filter.is_none() && l.app.input.is_some(),
        "refused, prompt kept"
    );
    for _ in 0..8 {
        l.press(Action::Backspace);
    }
    type_text(&mut l, "icmp.type == 8 && ipv4.ttl < 65 && frame.len > 90");
    let s = l.render(160, 48);
    assert!(!s.contains("no operator") && !s.contains("unknown"), "{s}");
    l.press(Action::Submit);
    let n = l.app.view_len();
    assert!(n >= 20, "{n} echo requests");
    for i in 0..n {
        let no = l.app.view_no(i).unwrap();
        assert!(l.app.row(no).unwrap().summary.info.contains("request"));
    }
    l.press(Action::StartFilter);
    for _ in 0..60 {
        l.press(Action::Backspace);
    }
    type_text(&mut l, "udp.port == 9 || arp");
    l.press(Action::Submit);
    for i in 0..l.app.view_len() {
        let no = l.app.view_no(i).unwrap();
        let r = l.app.row(no).unwrap().summary;
        assert!(r.protocol == "ARP" || r.info.contains(" 9 "), "{r:?}");
    }
}

/// `:` then a number selects that frame; a frame that does not exist is named.
#[test]
fn go_to_frame_n() {
    let mut l = Lesson::new();
    l.run_until(10.0);
    l.press(Action::StartGoto);
    type_text(&mut l, "7");
    assert!(l.render(80, 24).contains("go to frame: 7"));
    l.press(Action::Submit);
    assert_eq!(l.app.selected, Some(7));
    assert!(!l.app.follow, "browsing, not following the tail");
    l.press(Action::StartGoto);
    type_text(&mut l, "9999");
    l.press(Action::Submit);
    assert_eq!(l.app.selected, Some(7));
    assert!(l.render(80, 24).contains("there is no frame 9999"));
}

/// Each echo request names its reply and each reply its request, with the RTT, in the list and
/// the layers pane; ARP too. At 160x48 nothing of it is cut, seq= included.
#[test]
fn requests_and_replies_are_linked() {
    let mut l = Lesson::new();
    l.run_until(6.0);
    let req = select_where(&mut l.app, "Echo (ping) request id=0x9e37, seq=3,");
    let s = l.render(160, 48);
    let line = s
        .lines()
        .find(|x| x.contains("seq=3,") && x.contains("request"))
        .unwrap();
    assert!(
        line.contains(&format!("reply in {} (0.000 ms)", req + 1)),
        "{line}"
    );
    assert!(
        s.contains(&format!("[reply in {}", req + 1)),
        "layers pane:\n{s}"
    );
    let rep = select_where(&mut l.app, "Echo (ping) reply id=0x9e37, seq=3,");
    assert_eq!(rep, req + 1);
    let s = l.render(160, 48);
    assert!(
        s.contains(&format!("request in {req} (RTT 0.000 ms)")),
        "{s}"
    );
    select_where(&mut l.app, "Who has 198.51.100.2?");
    let s = l.render(160, 48);
    assert!(
        s.contains("Who has 198.51.100.2? Tell 198.51.100.1 · reply in 2"),
        "{s}"
    );
}

/// Live at 80x24: lesson 7's ring counters (`handoff`, `kernel drops`) stay on the status line
/// even with big numbers; the demo, with no kernel, never claims `kernel drops`.
#[test]
fn live_status_keeps_the_ring_counters_at_80_columns() {
    let mut app = App::new(
        Mode::Live {
            interface: "rs0".into(),
        },
        1 << 20,
    );
    let mut st = Status {
        handoff_used: 65_536,
        handoff_capacity: 65_536,
        handoff_dropped: 123_456,
        ..Status::default()
    };
    st.link.kernel_drops = 98_765;
    st.counters.frames_in = 1_234_567;
    app.set_status(st);
    for i in 0..3 {
        app.ingest(&frame(i));
    }
    let s = render(&mut app, 80, 24);
    assert!(s.contains("handoff 65536/65536 lost 123456"), "{s}");
    assert!(s.contains("kernel drops 98765"), "{s}");
    let mut l = Lesson::new();
    l.run_until(3.0);
    for (w, h) in [(80, 24), (160, 48), (240, 60)] {
        assert!(!l.render(w, h).contains("kernel drops"), "{w}x{h}");
    }
}

/// Lesson 5's bad checksum: with the field selected, the value it should have had is on screen
/// at 160x48 and at 80x24 (the field line wraps instead of being cut), and the IPv4 header at
/// 80x24 is field per line with its labels, not a diagram of bare numbers.
#[test]
fn lesson5_should_be_is_visible_at_every_size() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/ping.pcapng");
    let mut r = ringside::pcap::CaptureReader::open(std::path::Path::new(path)).unwrap();
    let mut app = App::new(
        Mode::Replay {
            file: "ping.pcapng".into(),
        },
        1 << 20,
    );
    while let Some(f) = r.next_frame().unwrap() {
        app.ingest(&Captured {
            ts: f.ts,
            dir: Direction::In,
            data: f.data.to_vec(),
            orig_len: f.orig_len,
            csum_not_ready: false,
            verdict: None,
            responders: Default::default(),
            source: 0,
            link: ringside::wire::LinkKind::Ethernet,
        });
    }
    app.selected = Some(13);
    app.focus = Pane::Layers;
    let i = app
        .selection()
        .unwrap()
        .1
        .fields
        .iter()
        .position(|f| f.key == "icmp.checksum")
        .unwrap();
    app.select_field(i);
    for (w, h) in [(160, 48), (120, 40), (80, 24)] {
        let s = render(&mut app, w, h);
        assert!(s.contains("should\u{a0}be 0x341b"), "{w}x{h}:\n{s}");
    }
    let ttl = app
        .selection()
        .unwrap()
        .1
        .fields
        .iter()
        .position(|f| f.key == "ipv4.ttl")
        .unwrap();
    app.select_field(ttl);
    let s = render(&mut app, 80, 24);
    assert!(s.contains("  TTL: 64"), "{s}");
    assert!(!s.contains("| 4 |"), "{s}");
    for live_only in ["ARP ON", "pps", "handoff", "BROWSING", "kernel drops"] {
        assert!(!s.contains(live_only), "{live_only:?} in replay:\n{s}");
    }
}

/// `v` shows the next view with each press at every size: at 80x24 hex → ARP → C struct →
/// ring, on a wide screen (hex always shown) ARP → C struct → ring under the hex view.
#[test]
fn v_cycles_one_view_per_press_at_every_size() {
    let mut l = Lesson::new();
    l.run_until(4.0);
    let arp = "its ARP entry for ringside";
    // The struct panel names the course's struct, or says no course struct fits the frame.
    let is_struct = |s: &str| s.contains("The course's struct") || s.contains("No course struct");
    let ring = "simulated netmap: 16 slots";
    let s = l.render(80, 24);
    assert!(!s.contains(arp) && !is_struct(&s));
    l.press(Action::CycleSide);
    assert!(l.render(80, 24).contains(arp), "one press: the ARP panel");
    l.press(Action::CycleSide);
    assert!(is_struct(&l.render(80, 24)), "two: the struct");
    l.press(Action::CycleSide);
    assert!(l.render(80, 24).contains(ring), "three: the ring");
    l.press(Action::CycleSide);
    let s = l.render(80, 24);
    assert!(
        s.contains("Hex · frame") && !is_struct(&s) && !s.contains(ring),
        "four: hex again"
    );
    // Wide: ARP under the hex in the demo; each press moves on.
    let s = l.render(160, 48);
    assert!(s.contains(arp) && s.contains("Hex · frame"), "{s}");
    l.press(Action::CycleSide);
    let s = l.render(160, 48);
    assert!(is_struct(&s) && !s.contains(arp), "{s}");
    l.press(Action::CycleSide);
    let s = l.render(160, 48);
    assert!(s.contains(ring) && s.contains("Hex · frame"), "{s}");
    l.press(Action::CycleSide);
    assert!(l.render(160, 48).contains(arp));
}

/// The layers pane's highlighted line at `w` x `h` (the selected field, black on yellow), and
/// the whole screen as text.
fn highlighted_layers_line(app: &mut App, w: u16, h: u16) -> (Option<String>, String) {
    use ratatui::style::Color;
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    t.draw(|f| ringside::ui::draw(f, app)).unwrap();
    let buf = t.backend().buffer().clone();
    let pane = app.panes.layers.area;
    let line = |y: u16| -> String {
        (pane.x..pane.x + pane.width)
            .map(|x| buf[(x, y)].symbol())
            .collect()
    };
    let hl = (pane.y..pane.y + pane.height)
        .find(|&y| buf[(pane.x + 1, y)].bg == Color::Yellow)
        .map(|y| line(y).trim_matches(|c| c == '│' || c == ' ').to_string());
    let screen = (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n")
        .collect();
    (hl, screen)
}

/// Moving from a long frame with a late field selected (an echo request's TTL, field 11) to a
/// short one (an ARP request, which has no TTL): the very first draw after the move highlights
/// and describes the new frame's field, in the narrow layout where the layers pane is drawn
/// before anything else looks at the new frame. (It used to show the ARP frame's field 11 for
/// one draw: the index was matched to the new frame only once a pane had read it.)
#[test]
fn first_draw_after_a_move_shows_the_new_frames_field() {
    let mut l = Lesson::new();
    l.run_until(6.0);
    select_where(&mut l.app, "Echo (ping) request");
    l.press(Action::NextPane);
    for _ in 0..11 {
        l.press(Action::Down);
    }
    let (hl, s) = highlighted_layers_line(&mut l.app, 80, 24);
    assert_eq!(hl.as_deref(), Some("TTL: 64"), "{s}");
    assert!(s.contains("IPv4 › TTL = 64"), "{s}");

    // To the ARP request by keys, as a user steps through the list.
    let arp = (0..l.app.view_len())
        .find(|&i| {
            let no = l.app.view_no(i).unwrap();
            l.app.row(no).unwrap().summary.info.contains("Who has")
        })
        .expect("the lesson has an ARP request");
    let at = l.app.selected_pos().unwrap();
    let step = if arp < at {
        Action::PrevFrame
    } else {
        Action::NextFrame
    };
    for _ in 0..arp.abs_diff(at) {
        l.press(step);
    }
    assert_eq!(l.app.selected_pos(), Some(arp));
    let (first_hl, first) = highlighted_layers_line(&mut l.app, 80, 24);
    // No TTL in ARP: the selection falls back to the frame's first field.
    assert_eq!(
        first_hl.as_deref(),
        Some("Destination: ff:ff:ff:ff:ff:ff"),
        "{first}"
    );
    assert!(first.contains("Ethernet II › Destination"), "{first}");
    let (_, again) = highlighted_layers_line(&mut l.app, 80, 24);
    assert_eq!(
        first, again,
        "the first draw after the move is the settled one"
    );
}
