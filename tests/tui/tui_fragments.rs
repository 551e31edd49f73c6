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
