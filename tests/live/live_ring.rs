//! The ring panel of a real `ringside live` (tmux, root, a veth lab in namespaces of its own):
//! it names the TPACKET ring with the geometry the kernel accepted (TPACKET_V2: 41,984 frame
//! slots of 1,584 bytes at MTU 1500; `--ring v3`: 32 blocks of 256 KiB; `--backend xdp`: the
//! AF_XDP RX ring's 2048 descriptors and its FILL ring), and ringside's cursor moves on as the
//! peer kernel's pings arrive, every slot handed back once read.
use crate::support::{netns, tmux};
use netns::*;
use std::time::Duration;

/// The limit on each wait: it only bounds a hang.
const WAIT: Duration = Duration::from_secs(20);

/// (ringside's index, the kernel's, held) from the panel's "next 12  kernel 12  (0 ringside's)"
/// (TPACKET) or "cons 12  prod 12  (0 ringside's)" (AF_XDP).
fn cursors(screen: &str) -> Option<(u32, u32, u32)> {
    let line = screen
        .lines()
        .find(|l| l.contains("ringside's)") && (l.contains("next ") || l.contains("cons ")))?;
    let at = line.find("next ").or_else(|| line.find("cons "))?;
    let nums: Vec<u32> = line[at..]
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(3)
        .filter_map(|s| s.parse().ok())
        .collect();
    (nums.len() == 3).then(|| (nums[0], nums[1], nums[2]))
}

#[test]
fn live_ring_panel_shows_the_real_tpacket_ring() {
    if !can_run_with_tmux("live_ring_panel_shows_the_real_tpacket_ring") {
        return;
    }
    let Some(server) = tmux::Server::start("live_ring_panel_shows_the_real_tpacket_ring") else {
        return;
    };
    for (extra, title) in [
        ("", "TPACKET_V2: 41984 frame slots x 1584 B"),
        ("--ring v3", "TPACKET_V3: 32 blocks x 262144 B"),
        ("--backend xdp", "AF_XDP RX: 2048 descriptors x "),
    ] {
        let lab = Lab::veth("ring");
        let shell = format!(
            "ip netns exec {} {BIN} live -i rs0 --ip {RINGSIDE_IP}/24 {extra}; sleep 60",
            lab.rs_ns
        );
        let t = server.session(&format!("ring-{}", unique()), 160, 48, &shell);
        t.wait_until("the live UI", WAIT, |s| s.contains("ringside live · rs0"));
        // `v` until the ring (two presses on a wide screen: C struct, then the ring).
        let mut s = t.screen();
        for _ in 0..4 {
            if s.contains(title) {
                break;
            }
            t.keys("v");
            std::thread::sleep(Duration::from_millis(300));
            s = t.screen();
        }
        assert!(s.contains(title), "{extra}: {title:?} not on screen:\n{s}");
        let (n0, _, _) = cursors(&s).unwrap_or_else(|| panic!("no cursor line:\n{s}"));
        let (sent, got, out) = lab.ping(56, 5, 5);
        assert_eq!((sent, got), (5, 5), "{out}");
        // Every frame read and handed back: the cursor moved past them, none held.
        let s = t.wait_until("the cursor to move past the pings", WAIT, |s| {
            cursors(s).is_some_and(|(n, k, held)| n >= n0 + 5 && n == k && held == 0)
        });
        match extra {
            "" => assert!(s.contains("sets TP_STATUS_USER"), "{s}"),
            "--ring v3" => assert!(s.contains("retire timeout"), "{s}"),
            _ => assert!(
                s.contains("FILL ring: ") && s.contains("lent to the kernel"),
                "{s}"
            ),
        }
        t.keys("q");
    }
}
