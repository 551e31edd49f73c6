//! The reassembled-datagram lines of the layers pane, on lesson 8's capture (the 1473-byte
//! datagram sent as frames 4 and 5: 1480 + 1 bytes of IP payload), drawn by the real screen code
//! (TestBackend): frame 5 says what was reassembled from what, frame 4 where; a capture with a
//! fragment lost or overlapping says so instead of pretending.
use crate::support::ui as ui_support;
use ringside::capture::{Captured, Status};
use ringside::ui::app::App;
use ringside::ui::Mode;
use ui_support::render;

fn frames(name: &str) -> Vec<Captured> {
    ui_support::asset_frames(name)
}

fn replay(frames: &[Captured], select: u64) -> App {
    let mut app = App::new(
        Mode::Replay {
            file: "udp-messages.pcapng".into(),
        },
        64 << 20,
    );
    for c in frames {
        app.ingest(c);
    }
    app.set_status(Status::default());
    app.selected = Some(select);
    app.follow = false;
    app
}

#[test]
fn the_last_fragment_says_what_was_reassembled_from_what() {
    let f = frames("udp-messages.pcapng");
    let mut app = replay(&f, 5);
    let screen = render(&mut app, 160, 48);
    assert!(
        screen.contains("[2 IPv4 Fragments (1481 bytes): #4(1480), #5(1)]"),
        "{screen}"
    );
    assert!(
        screen.contains("Reassembled IPv4 datagram: 1481 bytes of UDP (frames 4, 5)"),
        "{screen}"
    );
    insta::assert_snapshot!("lesson8_frame5_reassembled_160x48", screen);

    let mut app = replay(&f, 4);
    let screen = render(&mut app, 160, 48);
    assert!(screen.contains("[reassembled in #5]"), "{screen}");
    assert!(!screen.contains("Reassembled IPv4 datagram"), "{screen}");

    // 80x24, the field-per-line layers pane: the lines wrap, nothing of them is cut.
    let mut app = replay(&f, 5);
    let small = render(&mut app, 80, 24);
    let text: String = small
        .lines()
        .map(|l| l.trim_matches(|c| c == '│' || c == ' '))
        .collect::<Vec<_>>()
        .join(" ");
    // The pane's top is the fragments line's beginning, never its wrapped rest.
    for piece in [
        "[2 IPv4 Fragments (1481 bytes):",
        "Reassembled IPv4 datagram: 1481 bytes",
        "of UDP (frames 4, 5)",
    ] {
        assert!(text.contains(piece), "{piece} missing at 80x24:\n{small}");
    }

    // A datagram that is not fragmented says nothing of the kind.
    let mut app = replay(&f, 3);
    let screen = render(&mut app, 160, 48);
    assert!(
        !screen.contains("Fragments") && !screen.contains("reassembled"),
        "{screen}"
    );
}

#[test]
fn a_lost_or_overlapping_fragment_is_named_not_hidden() {
    let f = frames("udp-messages.pcapng");
    // Frame 4 (bytes 0-1479) lost: frame 5 (now 4) cannot be reassembled.
    let lost: Vec<Captured> = f
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 3)
        .map(|(_, c)| c.clone())
        .collect();
    let mut app = replay(&lost, 4);
    let screen = render(&mut app, 160, 48);
    assert!(
        screen.contains("[IPv4 fragment not reassembled: fragment at 0 missing]"),
        "{screen}"
    );
    // The last fragment lost: the first one waits for the rest.
    let cut: Vec<Captured> = f[..4].to_vec();
    let mut app = replay(&cut, 4);
    let screen = render(&mut app, 160, 48);
    assert!(
        screen.contains("[IPv4 fragment not reassembled: last fragment (MF=0) missing]"),
        "{screen}"
    );
    // An overlapping copy of the last fragment, moved 8 bytes back (offset 1472): Linux drops
    // such a datagram whole (net/ipv4/ip_fragment.c, IPFRAG_OVERLAP), and the screen says why.
    let mut last = f[4].clone();
    let off = u16::from_be_bytes([last.data[20], last.data[21]]);
    assert_eq!(off & 0x1fff, 185, "frame 5 is at offset 185 (x8 = 1480)");
    let moved = (off & !0x1fff) | 184;
    last.data[20..22].copy_from_slice(&moved.to_be_bytes());
    // A correct header checksum again (RFC 1071), so only the overlap is wrong.
    last.data[24..26].copy_from_slice(&[0, 0]);
    let sum = last.data[14..34]
        .chunks(2)
        .fold(0u32, |a, w| a + u32::from(u16::from_be_bytes([w[0], w[1]])));
    let sum = (sum & 0xffff) + (sum >> 16);
    last.data[24..26].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    let overl = vec![f[0].clone(), f[1].clone(), f[2].clone(), f[3].clone(), last];
    let mut app = replay(&overl, 5);
    let screen = render(&mut app, 160, 48);
    assert!(
        screen.contains("[IPv4 fragment not reassembled: frame 5 overlaps bytes 1472-1472]"),
        "{screen}"
    );
    assert!(!screen.contains("bad_ipv4_checksum"), "{screen}");
}

#[test]
fn lesson_6s_ping_and_its_reply_are_each_reassembled_from_three() {
    // Frames 3-5: one 4000-byte ping (4008 bytes of ICMP) in fragments of 1480, 1480, 1048;
    // frames 6-8: ringside's reply, cut the same way under another identification.
    let f = frames("fragments.pcapng");
    let mut app = replay(&f, 5);
    let screen = render(&mut app, 160, 48);
    assert!(
        screen.contains("[3 IPv4 Fragments (4008 bytes): #3(1480), #4(1480), #5(1048)]")
            && screen.contains("Reassembled IPv4 datagram: 4008 bytes of ICMP (frames 3, 4, 5)"),
        "{screen}"
    );
    let mut app = replay(&f, 8);
    let screen = render(&mut app, 160, 48);
    assert!(
        screen.contains("[3 IPv4 Fragments (4008 bytes): #6(1480), #7(1480), #8(1048)]"),
        "{screen}"
    );
    for no in [6, 7] {
        let mut app = replay(&f, no);
        let screen = render(&mut app, 160, 48);
        assert!(
            screen.contains("[reassembled in #8]"),
            "frame {no}:\n{screen}"
        );
    }
}
