//! The ARP panel's peer-kernel lines as the screen draws them (TestBackend): at 160x48 beside
//! ringside's cache, at 80x24 after one `v`; the reason when the peer cannot be seen, wrapped,
//! never cut mid-sentence into nonsense; hostile names (a namespace file is anyone's name)
//! reach the screen without a control byte.
use crate::support::ui as ui_support;
use ringside::capture::Status;
use ringside::peer_kernel::netlink::Neighbour;
use ringside::peer_kernel::{PeerKernel, PeerKernelView};
use ringside::ui::app::{Action, App};
use ringside::ui::Mode;
use std::net::Ipv4Addr;
use ui_support::render;

fn live_app(peer: PeerKernel) -> App {
    let mut app = App::new(
        Mode::Live {
            interface: "rs0".into(),
        },
        1 << 20,
    );
    app.set_status(Status {
        link_desc: "afpacket rs0".into(),
        arp_responder: true,
        icmp_responder: true,
        peer_kernel: Some(peer),
        ..Status::default()
    });
    app
}

fn stale(netns: &str) -> PeerKernel {
    PeerKernel::Seen(PeerKernelView {
        netns: netns.into(),
        ifname: "peer0".into(),
        ip: Some(Ipv4Addr::new(198, 51, 100, 1)),
        target: Ipv4Addr::new(198, 51, 100, 2),
        entry: Some(Neighbour {
            ifindex: 2,
            dst: Ipv4Addr::new(198, 51, 100, 2),
            state: libc::NUD_STALE,
            lladdr: Some(vec![2, 0x52, 0x53, 0, 0, 2]),
            confirmed_ticks: Some(712),
            probes: Some(0),
        }),
        pings_sent: 12,
        replies: 9,
        error: None,
        ticks_per_second: 100,
    })
}

#[test]
fn the_peer_kernels_entry_sits_beside_ringsides_cache() {
    let mut app = live_app(stale("ringside-peer"));
    let wide = render(&mut app, 160, 48);
    for want in [
        "ringside's ARP cache (0)",
        "peer kernel 198.51.100.1 (peer0 in ringside-peer)",
        "its entry for 198.51.100.2: STALE",
        "lladdr 02:52:53:00:00:02",
        "confirmed 7.1 s ago",
        "pings sent 12, replies 9 (since ringside started)",
    ] {
        assert!(wide.contains(want), "160x48 lacks {want:?}:\n{wide}");
    }
    // 80x24: the right-hand panel is the hex view until one `v`.
    let mut app = live_app(stale("ringside-peer"));
    app.handle(Action::CycleSide);
    let small = render(&mut app, 80, 24);
    for want in [
        "its entry for 198.51.100.2: STALE",
        "pings sent 12, replies 9",
    ] {
        assert!(small.contains(want), "80x24 lacks {want:?}:\n{small}");
    }
}

#[test]
fn an_unseen_peer_gets_its_reason_and_the_way_to_see_it() {
    let mut app = live_app(PeerKernel::Unseen {
        why: "eth1 is not a veth or TAP (a foreign interface): ringside cannot see the machine at \
              the other end"
            .into(),
        how: "to see the peer kernel's ARP entry and pings, run ringside in the lab \
              (`ringside lab up`)"
            .into(),
    });
    let s = render(&mut app, 160, 48);
    assert!(s.contains("peer kernel: not visible"), "{s}");
    // Wrapped at word boundaries: every word is on screen.
    let text: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    for word in ["foreign", "interface):", "machine", "`ringside", "up`)"] {
        assert!(text.contains(word), "{word} missing:\n{s}");
    }
}

#[test]
fn hostile_names_reach_the_screen_without_control_bytes() {
    let mut app = live_app(stale("x\u{1b}[2J\u{7}\r\nnet"));
    let s = render(&mut app, 160, 48);
    assert!(
        !s.chars().any(|c| c.is_control() && c != '\n'),
        "a control byte reached the screen:\n{s:?}"
    );
    assert!(s.contains("its entry for 198.51.100.2: STALE"), "{s}");
}
