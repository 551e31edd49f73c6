//! The screen in each lesson state, at 80x24 (a laptop terminal), 120x40, 160x48 (a projector)
//! and 240x60, from a lockstep lesson (simulated clock): deterministic, so the snapshots are
//! exact.
use crate::support::ui as ui_support;
use ringside::ui::app::{Action, Pane};
use ui_support::*;

fn both(l: &mut Lesson, name: &str) -> (String, String) {
    let small = l.render(80, 24);
    let big = l.render(160, 48);
    insta::assert_snapshot!(format!("{name}_80x24"), small);
    insta::assert_snapshot!(format!("{name}_160x48"), big);
    for (w, h) in [(120, 40), (240, 60)] {
        let s = l.render(w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), s);
    }
    (small, big)
}

#[test]
fn arp_on_pings_answered() {
    let mut l = Lesson::new();
    l.run_until(12.0);
    let (small, big) = both(&mut l, "arp_on");
    assert!(big.contains("ARP ON [a]"), "{big}");
    assert!(big.contains("Echo (ping) reply"));
    assert!(big.contains("0 lost"));
    assert!(
        small.contains("peer's entry REACHABLE 3s lost 0"),
        "{small}"
    );
}

#[test]
fn arp_off_entry_expired_pings_fail() {
    let mut l = Lesson::new();
    l.run_until(12.0);
    l.press(Action::ToggleArp);
    l.run_until(30.0);
    let peer = l.app.status.peer.clone().unwrap();
    assert!(peer.arp_entry.is_none(), "the peer's entry expired");
    assert!(peer.pings_lost > 5 && peer.arp_unanswered > 5, "{peer:?}");
    let (small, big) = both(&mut l, "arp_off_expired");
    assert!(big.contains("ARP OFF [a]"));
    assert!(big.contains("arp_responder_off"));
    assert!(big.contains("(none): must ARP before it can ping"));
    assert!(big.contains("ARP requests unanswered"));
    assert!(
        small.contains("peer's entry gone (INCOMPLETE) lost"),
        "{small}"
    );
}

#[test]
fn help_overlay() {
    let mut l = Lesson::new();
    l.run_until(5.0);
    l.press(Action::ToggleHelp);
    let (small, big) = both(&mut l, "help");
    for s in [&small, &big] {
        assert!(s.contains("? Esc q close this"));
        assert!(s.contains("ARP / ICMP echo responder on / off"));
        assert!(s.contains("colours: Ethernet II"), "the legend fits:\n{s}");
        assert!(s.contains("mouse"), "every key fits:\n{s}");
    }
    // Unbound keys leave it open (it says which close it); ?, Esc and q close it, q not quitting.
    l.press(Action::Down);
    assert!(l.render(80, 24).contains("? Esc q close this"));
    l.press(Action::Escape);
    for close in [Action::ToggleHelp, Action::Escape, Action::Quit] {
        l.press(Action::ToggleHelp);
        l.press(close);
        assert!(
            !l.render(80, 24).contains("? Esc q close this"),
            "{close:?}"
        );
        assert!(!l.app.quit);
    }
}

#[test]
fn filter_active() {
    let mut l = Lesson::new();
    l.run_until(20.0);
    l.press(Action::StartFilter);
    for c in "udp and not port 9".chars() {
        l.press(Action::Char(c));
    }
    l.press(Action::Submit);
    let (small, big) = both(&mut l, "filter_udp_not_9");
    assert!(big.contains("filter: udp and not port 9"));
    assert!(!big.contains("ICMP   "), "only UDP rows listed");
    assert!(small.contains("→ 7") || small.contains("7 →"));
}

#[test]
fn packed_vs_padded_on_a_udp_frame() {
    let mut l = Lesson::new();
    l.run_until(8.0);
    select_where(&mut l.app, "→ 9 ");
    l.app.focus = Pane::Layers;
    // Walk down to the IPv4 source address: its member sits after the 2-byte hole.
    for _ in 0..14 {
        l.press(Action::Down);
    }
    l.press(Action::CycleSide); // small screens: the ARP caches, then
    l.press(Action::CycleSide); // the struct instead of the hex view
    let (small, big) = both(&mut l, "packed_udp");
    // The course's own nested struct: the hole after the Ethernet header, every IPv4 member read
    // 2 bytes late by the unpacked program, and what it reads instead.
    assert!(
        big.contains("sizeof(struct udppkt) 44 (align 4) · packed 42 = the wire · holes at 14-15"),
        "{big}"
    );
    assert!(big.contains("/* 2 bytes of padding */    14-15"), "{big}");
    assert!(
        big.contains("struct iphdr ip;               16   14"),
        "{big}"
    );
    assert!(
        big.contains("unsigned char protocol;      25   23  ✗ byte 25: Header Checksum, low byte"),
        "{big}"
    );
    // The course's bit-fields as it wrote them, and what gcc does with them.
    assert!(
        big.contains("unsigned char version:4;   16.0 14.0"),
        "{big}"
    );
    // The selected member (the source address) at the foot: wrong unpacked, right packed.
    assert!(
        big.contains("pkt->ip.sip: the wire has Source Address at 26-29"),
        "{big}"
    );
    assert!(
        big.contains("packed: reads bytes 26-29 = 0x016433c6 ✓"),
        "{big}"
    );
    assert!(
        small.contains("udppkt 44 B · packed 42 · hole 14-15"),
        "{small}"
    );
    assert!(
        big.contains("gcc gives version:4 the LOW nibble: ip.version reads the IHL"),
        "{big}"
    );
}

#[test]
fn field_selected_highlights_bytes() {
    let mut l = Lesson::new();
    l.run_until(6.0);
    select_where(&mut l.app, "Echo (ping) request");
    l.press(Action::NextPane);
    for _ in 0..11 {
        l.press(Action::Down);
    }
    let (small, big) = both(&mut l, "field_ttl");
    assert!(small.contains("TTL = 64"), "{small}");
    assert!(big.contains("selected 22..23"));
}

/// Lesson 4 frozen mid-story: ARP off, the peer's entry in DELAY (Linux's 5 s wait before it
/// probes), time stopped by the teacher.
#[test]
fn frozen_in_delay() {
    let mut l = Lesson::new();
    l.run_until(12.0);
    l.press(Action::ToggleArp);
    l.run_until(16.5);
    l.press(Action::TogglePause);
    let peer = l.app.status.peer.clone().unwrap();
    assert_eq!(peer.neigh_state, "DELAY");
    let (small, big) = both(&mut l, "frozen_delay");
    assert!(small.contains("TIME FROZEN"), "{small}");
    assert!(small.contains("peer's entry DELAY 4s"), "{small}");
    assert!(big.contains("PROBE in 3.5s unless confirmed"), "{big}");
}
