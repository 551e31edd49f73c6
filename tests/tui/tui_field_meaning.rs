//! The real binary at a laptop's 80x24 (tmux): in lesson 5, Tab into the layers pane and walk
//! down to the TTL; the pane's foot says what it means and where that is defined, inside the
//! pane, and says nothing more once the focus leaves the pane.
use crate::support::tmux;
use std::time::Duration;

#[test]
fn lesson_5_at_80x24_says_what_the_ttl_means() {
    let Some(server) = tmux::Server::start("tui_field_meaning") else {
        return;
    };
    let line = format!("{} lesson 5; sleep 600", env!("CARGO_BIN_EXE_ringside"));
    let s = server.session("l5", 80, 24, &line);
    let caption = &ringside::lessons::lesson(5).unwrap().caption[..20];
    let (ok, screen) = s.wait_for(Duration::from_secs(15), |sc| sc.contains(caption));
    assert!(ok, "lesson 5 did not open:\n{screen}");
    for k in [":", "3", "Enter", "Tab"] {
        s.keys(k);
    }
    // Ethernet's 3 fields, then IPv4's version ... fragment offset: the TTL is the 12th.
    for _ in 0..11 {
        s.keys("j");
    }
    let screen = s.wait_until("the TTL's meaning", Duration::from_secs(10), |sc| {
        sc.contains("IPv4 › TTL = ") && sc.contains("│TTL: hops left;")
    });
    assert!(
        screen.contains("RFC 1122 §3.2.1.7│"),
        "the source is kept whole at the pane's right edge:\n{screen}"
    );
    let rows: Vec<&str> = screen.lines().collect();
    let at = rows
        .iter()
        .position(|r| r.contains("│TTL: hops left;"))
        .unwrap();
    assert!(
        rows[at + 2].starts_with('└'),
        "the meaning is the pane's foot:\n{screen}"
    );
    // Focus back on the list: the meaning goes.
    s.keys("BTab");
    s.wait_until("the meaning gone", Duration::from_secs(10), |sc| {
        sc.contains("IPv4 › TTL = ") && !sc.contains("TTL: hops left")
    });
    s.keys("q");
}
