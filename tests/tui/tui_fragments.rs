//! Lesson 8 in a real terminal (tmux, 160x48, the size LESSONS.md recommends): going to frame 5,
//! the last fragment of the 1473-byte datagram, the layers pane says what was reassembled from
//! what; frame 4 says where it was reassembled.
use crate::support::tmux;
use std::time::Duration;

#[test]
fn lesson_8_shows_the_reassembled_datagram_on_its_last_fragment() {
    let Some(server) = tmux::Server::start("tui_fragments") else {
        return;
    };
    let line = format!(
        "cd {} && {} lesson 8; sleep 600",
        env!("CARGO_MANIFEST_DIR"),
        env!("CARGO_BIN_EXE_ringside")
    );
    let s = server.session("l8", 160, 48, &line);
    let caption = &ringside::lessons::lesson(8).unwrap().caption[..20];
    let (ok, screen) = s.wait_for(Duration::from_secs(15), |sc| sc.contains(caption));
    assert!(ok, "lesson 8 did not open:\n{screen}");
    let go_to = |n: &str| {
        s.keys(":");
        for c in n.chars() {
            s.keys(&c.to_string());
        }
        s.keys("Enter");
    };
    go_to("5");
    let (ok, screen) = s.wait_for(Duration::from_secs(10), |sc| {
        sc.contains("Reassembled IPv4 datagram: 1481 bytes of UDP (frames 4, 5)")
    });
    assert!(ok, "no reassembly line on frame 5:\n{screen}");
    assert!(
        screen.contains("[2 IPv4 Fragments (1481 bytes): #4(1480), #5(1)]"),
        "{screen}"
    );
    // The 1-byte fragment's payload row is on screen too (the pane grew for the two lines).
    assert!(screen.contains("Data: 1 bytes \"x\""), "{screen}");
    go_to("4");
    let (ok, screen) = s.wait_for(Duration::from_secs(10), |sc| {
        sc.contains("[reassembled in #5]")
    });
    assert!(ok, "no `reassembled in` on frame 4:\n{screen}");
    s.keys("q");
}

/// Lesson 6 at a laptop's 80x24: on frame 5 the layers pane opens on the beginning of the
/// wrapped `[3 IPv4 Fragments …]` line, not its second half (the pane once scrolled one line
/// too far to keep the selected field in view).
#[test]
fn lesson_6_at_80x24_shows_the_fragments_line_from_its_start() {
    let Some(server) = tmux::Server::start("tui_fragments_80x24") else {
        return;
    };
    let line = format!("{} lesson 6; sleep 600", env!("CARGO_BIN_EXE_ringside"));
    let s = server.session("l6", 80, 24, &line);
    let caption = &ringside::lessons::lesson(6).unwrap().caption[..20];
    let (ok, screen) = s.wait_for(Duration::from_secs(15), |sc| sc.contains(caption));
    assert!(ok, "lesson 6 did not open:\n{screen}");
    for k in [":", "5", "Enter"] {
        s.keys(k);
    }
    let (ok, screen) = s.wait_for(Duration::from_secs(10), |sc| {
        sc.contains("frame 5/8") && sc.contains("Reassembled IPv4 datagram")
    });
    assert!(ok, "frame 5 not shown:\n{screen}");
    let rows: Vec<&str> = screen.lines().collect();
    let y = rows
        .iter()
        .position(|r| r.starts_with("┌ Layers"))
        .unwrap_or_else(|| panic!("no layers pane:\n{screen}"));
    assert!(
        rows[y + 1].starts_with("│[3 IPv4 Fragments (4008 bytes):"),
        "the pane's top line is cut:\n{screen}"
    );
    assert!(
        screen.contains("│  Destination: 02:52:53:00:00:02"),
        "the selected field left the pane:\n{screen}"
    );
    s.keys("q");
}
