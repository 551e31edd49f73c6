//! With the layers pane focused, its foot says what the selected field means and where that is
//! defined ("TTL: hops left; ... — RFC 791 §3.1, ..."), from the header's field table: for every
//! field of an ARP, UDP and ICMP frame of the lessons, at 80x24 and 160x48, inside the pane,
//! the source kept whole when the meaning is cut. With the list focused the foot stays short.
use crate::support::ui as ui_support;
use ringside::capture::Status;
use ringside::ui::app::{Action, App, Pane};
use ringside::ui::meaning::{about, split};
use ringside::ui::Mode;
use ui_support::render;

fn replay(file: &str, select: u64) -> App {
    let mut app = App::new(Mode::Replay { file: file.into() }, 64 << 20);
    for c in ui_support::asset_frames(file) {
        app.ingest(&c);
    }
    app.set_status(Status::default());
    app.selected = Some(select);
    app.follow = false;
    app
}

/// The layers pane's rows inside its border (its foot last), and its inner width.
fn pane_rows(screen: &str) -> (Vec<String>, usize) {
    let rows: Vec<&str> = screen.lines().collect();
    let y = rows
        .iter()
        .position(|r| r.starts_with("┌ Layers"))
        .unwrap_or_else(|| panic!("no layers pane:\n{screen}"));
    let w = rows[y].chars().skip(1).position(|c| c == '┐').unwrap();
    let inner = rows[y + 1..]
        .iter()
        .take_while(|r| r.starts_with('│'))
        .map(|r| r.chars().skip(1).take(w).collect::<String>())
        .collect();
    (inner, w)
}

/// (capture, frame): an ARP request, a UDP datagram, an ICMP echo request.
const FRAMES: &[(&str, u64)] = &[
    ("udp-exchange.pcapng", 1),
    ("udp-exchange.pcapng", 3),
    ("ping.pcapng", 3),
];

#[test]
fn every_explained_field_says_what_it_means_and_where() {
    let mut shown = Vec::new();
    for &(file, no) in FRAMES {
        for (w, h) in [(80, 24), (160, 48)] {
            let mut app = replay(file, no);
            app.focus = Pane::Layers;
            app.select_field(0);
            let mut last = usize::MAX;
            while app.field != last {
                last = app.field;
                let d = app.selection().unwrap().1.clone();
                let f = &d.fields[app.field];
                let screen = render(&mut app, w, h);
                app.handle(Action::Down);
                let Some(text) = about(f.key) else { continue };
                let (rows, inner_w) = pane_rows(&screen);
                let (meaning, source) = split(text);
                let at = rows
                    .iter()
                    .rposition(|r| r.starts_with(&format!("{}: ", f.label)))
                    .unwrap_or_else(|| {
                        panic!("{file} #{no} {w}x{h}: no meaning for {}:\n{screen}", f.key)
                    });
                let foot: Vec<&str> = rows[at..].iter().map(|r| r.trim_end()).collect();
                let joined = foot.join(" ");
                // The meaning's first words are there, and the source whole at the end.
                let first_words: String = meaning.split(' ').take(2).collect::<Vec<_>>().join(" ");
                assert!(
                    joined.contains(&first_words),
                    "{file} #{no} {w}x{h} {}: {joined:?}",
                    f.key
                );
                if source.chars().count() + 5 <= inner_w {
                    assert!(
                        joined.ends_with(&format!("— {source}")),
                        "{file} #{no} {w}x{h} {}: the source is cut: {joined:?}\n{screen}",
                        f.key
                    );
                }
                // It is the pane's foot: nothing of the diagram under it.
                assert_eq!(at + foot.len(), rows.len());
                assert!(foot.len() <= 2, "{joined:?}");
                shown.push(f.key);
            }
        }
    }
    for key in [
        "arp.opcode",
        "eth.type",
        "ipv4.ttl",
        "udp.checksum",
        "icmp.seq",
    ] {
        assert!(shown.contains(&key), "{key} never shown: {shown:?}");
    }
}

#[test]
fn the_meaning_at_a_laptop_and_a_projector() {
    // ARP's opcode, the UDP checksum: what the lessons ask about.
    let mut app = replay("udp-exchange.pcapng", 1);
    app.focus = Pane::Layers;
    let op = key_index(&mut app, "arp.opcode");
    app.select_field(op);
    let small = render(&mut app, 80, 24);
    assert!(small.contains("│Operation: 1 request, 2 reply;"), "{small}");
    insta::assert_snapshot!("arp_opcode_80x24", small);
    let mut app = replay("udp-exchange.pcapng", 3);
    app.focus = Pane::Layers;
    let ck = key_index(&mut app, "udp.checksum");
    app.select_field(ck);
    let big = render(&mut app, 160, 48);
    assert!(big.contains("— RFC 768"), "{big}");
    insta::assert_snapshot!("udp_checksum_160x48", big);
    // Focus back on the list: the foot is the field's description alone.
    app.handle(Action::PrevPane);
    assert_ne!(app.focus, Pane::Layers);
    let list = render(&mut app, 160, 48);
    assert!(!list.contains("— RFC 768"), "{list}");
}

fn key_index(app: &mut App, key: &str) -> usize {
    let d = app.selection().unwrap().1;
    d.fields.iter().position(|f| f.key == key).unwrap()
}
