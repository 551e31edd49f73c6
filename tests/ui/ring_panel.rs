//! The ring panel (`v`): the demo's simulated NIC ring, frozen and stepped, at 80x24 and
//! 160x48 (insta snapshots of the lockstep lesson, so exact), what it says for a capture file,
//! and that odd terminal sizes draw without a panic.
use crate::support::ui as ui_support;
use ringside::capture::Status;
use ringside::ui::app::{Action, App};
use ringside::ui::Mode;
use ui_support::*;

const RING: &str = "simulated netmap: 16 slots x 2048 B";

/// `v` until the ring panel is on screen at `w` x `h`.
fn show_ring(l: &mut Lesson, w: u16, h: u16) -> String {
    for _ in 0..4 {
        let s = l.render(w, h);
        if s.contains(RING) {
            return s;
        }
        l.press(Action::CycleSide);
    }
    panic!("no ring panel after 4 presses of v:\n{}", l.render(w, h));
}

/// The line of markers under the ring's cells: the column of `h` (head) or `^` (cursors
/// together) gives head's slot.
fn head_column(screen: &str) -> usize {
    let lines: Vec<&str> = screen.lines().collect();
    let row = lines
        .iter()
        .position(|l| l.contains(RING))
        .expect("ring title");
    let cells = lines[row + 1];
    let marks = lines[row + 2];
    let start = cells.find(" 0 ").expect("the slot-0 gutter") + 3;
    let start = cells[..start].chars().count();
    let col = marks
        .chars()
        .position(|c| c == '^' || c == 'h')
        .expect("a head marker");
    col - start
}

fn frozen_demo() -> Lesson {
    let mut l = Lesson::new();
    l.run_until(5.0);
    l.press(Action::TogglePause); // space: freeze simulated time
    l
}

#[test]
fn demo_ring_frozen_at_80x24_and_160x48() {
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        let mut l = frozen_demo();
        let s = show_ring(&mut l, w, h);
        insta::assert_snapshot!(format!("ring_frozen_{w}x{h}"), s);
        assert!(s.contains("head 8  cur 8  tail 8  (0 ringside's)"), "{s}");
        assert!(s.contains("█ ringside's ▒ handed back · kernel's"), "{s}");
        if h >= 48 {
            assert!(s.contains("nm_nextpkt() takes the slot at cur"), "{s}");
            assert!(s.contains("cur: where nm_nextpkt reads next"), "{s}");
        }
    }
}

/// The teaching moment: time frozen, `.` lets one frame through the ring: head/cur/tail move
/// one slot, the slot just read shows as handed back (a second frame that arrived with it waits
/// in a slot of ringside's), and the kernel takes the slot back only at the next poll().
#[test]
fn a_step_moves_the_cursors_one_slot() {
    use ringside::link::ring_view::Owner;
    let mut l = frozen_demo();
    let s0 = show_ring(&mut l, 80, 24);
    let h0 = head_column(&s0);
    assert_eq!(h0, 8, "8 frames came in so far:\n{s0}");
    // t = 6 s: the peer's ping and a UDP datagram arrive together.
    l.press(Action::Step);
    assert_eq!(l.pump_once(), 1, "one frame per step");
    let s1 = l.render(80, 24);
    insta::assert_snapshot!("ring_after_one_step_80x24", s1);
    assert_eq!(head_column(&s1), h0 + 1, "{s0}\n{s1}");
    let ring = l.app.status.ring.clone().unwrap();
    assert_eq!(ring.cells[h0], Owner::Returned, "read, handed back");
    assert_eq!(ring.cells[h0 + 1], Owner::User, "the datagram waits");
    assert_eq!(ring.cursor("tail"), Some(h0 as u32 + 2));
    let sync = ring.last_sync.unwrap();
    assert_eq!((sync.published, sync.taken), (2, 1), "{sync:?}");
    assert!(s1.contains(" 0 ········▒█······"), "{s1}");
    assert!(s1.contains("last poll(): 0 back to the kernel, 2"), "{s1}");
    // Step 2 takes the waiting datagram with no poll(): slot h0 is still handed back.
    l.press(Action::Step);
    assert_eq!(l.pump_once(), 1);
    let ring = l.app.status.ring.clone().unwrap();
    assert_eq!(
        ring.cells[h0],
        Owner::Returned,
        "no poll yet: not taken back"
    );
    assert_eq!(ring.cells[h0 + 1], Owner::Returned);
    // Step 3 polls (nothing waits): the kernel takes both back, hands over the next ping.
    l.press(Action::Step);
    assert_eq!(l.pump_once(), 1);
    let ring = l.app.status.ring.clone().unwrap();
    assert_eq!(ring.cells[h0], Owner::Kernel, "the poll took it back");
    assert_eq!(ring.cells[h0 + 1], Owner::Kernel);
    assert_eq!(ring.cells[h0 + 2], Owner::Returned);
    assert_eq!(ring.last_sync.unwrap().reclaimed, 2);
    assert_eq!(ring.cursor("head"), Some(h0 as u32 + 3));
}

/// A capture file has no ring: one line says so.
#[test]
fn replay_says_a_file_is_not_a_ring() {
    let mut app = App::new(
        Mode::Replay {
            file: "x.pcap".into(),
        },
        1 << 20,
    );
    app.set_status(Status::default());
    for _ in 0..4 {
        let s = render(&mut app, 80, 24);
        if s.contains("Ring") {
            assert!(s.contains("No ring: a capture file is read, not"), "{s}");
            return;
        }
        app.handle(Action::CycleSide);
    }
    panic!("no ring panel in replay");
}

/// Any terminal size, even 10 lines or 20 columns: drawn, no panic, no control byte.
#[test]
fn odd_sizes_draw_without_panic() {
    let mut l = frozen_demo();
    show_ring(&mut l, 80, 24);
    for (w, h) in [
        (20, 10),
        (40, 10),
        (80, 10),
        (33, 17),
        (120, 12),
        (200, 60),
        (1, 1),
    ] {
        let s = l.render(w, h);
        assert!(!s.chars().any(|c| c.is_control() && c != '\n'), "{w}x{h}");
    }
}
