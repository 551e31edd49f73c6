//! LESSONS.md cannot rot: every command in it is run (offline ones for real, TUI ones in tmux),
//! parsed (root-only lab commands; `live_lab.rs` runs that sequence for real), and the facts the
//! text states about the captures are checked against what ringside prints.
use crate::support::tmux;
use clap::Parser;
use ringside::cli::lab::PEER_IF;
use ringside::cli::{Cli, Command as Sub};
use ringside::lessons::{Opens, LESSONS};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn lessons_md() -> String {
    std::fs::read_to_string(root().join("LESSONS.md")).unwrap()
}

/// (lesson number, command line) for every line of every ```sh block.
fn commands() -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let (mut lesson, mut in_sh) = (0, false);
    for line in lessons_md().lines() {
        if let Some(rest) = line.strip_prefix("## ") {
            lesson = rest.split('.').next().unwrap().trim().parse().unwrap_or(0);
        } else if line.starts_with("```sh") {
            in_sh = true;
        } else if line.starts_with("```") {
            in_sh = false;
        } else if in_sh && !line.trim().is_empty() {
            out.push((lesson, line.trim().to_string()));
        }
    }
    out
}

fn ringside(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ringside"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

fn words(cmd: &str) -> Vec<&str> {
    cmd.split_whitespace().collect()
}

#[test]
fn every_lesson_in_the_table_has_its_section_and_opens_with_its_command() {
    let cmds = commands();
    for l in LESSONS {
        assert!(
            lessons_md().contains(&format!("## {}. ", l.number)),
            "LESSONS.md lacks lesson {}",
            l.number
        );
        assert!(
            cmds.contains(&(l.number, format!("ringside lesson {}", l.number))),
            "lesson {} must start from `ringside lesson {}`",
            l.number,
            l.number
        );
        if let Opens::Capture(f) = l.opens {
            assert!(
                root().join("assets").join(f).exists(),
                "lesson {}: assets/{f}",
                l.number
            );
        }
    }
}

#[test]
fn every_ringside_command_parses_and_lab_names_match_the_lab() {
    for (n, cmd) in commands() {
        let cmd = cmd.split('#').next().unwrap().trim();
        let w: Vec<&str> = words(cmd).into_iter().filter(|w| *w != "sudo").collect();
        match w.first().copied() {
            Some("ringside") => {
                let cli =
                    Cli::try_parse_from(&w).unwrap_or_else(|e| panic!("lesson {n}: `{cmd}`: {e}"));
                if let Some(Sub::Lab(lab)) = cli.command {
                    assert_eq!(lab.action.name().as_str(), "ringside");
                    let iface = lab.action.iface();
                    assert!(iface.is_none_or(|i| i.as_str() == "rs0"), "{iface:?}");
                }
                if cmd.contains("live") {
                    assert!(
                        cmd.contains("-i rs0") && cmd.contains("198.51.100.2/24"),
                        "lesson {n}: {cmd}"
                    );
                }
            }
            Some("ip") => {
                // The peer side of the lab: its namespace, its interface, ringside's address.
                assert!(
                    cmd.starts_with("sudo ip netns exec ringside-peer "),
                    "lesson {n}: {cmd}"
                );
                assert!(
                    !cmd.contains("dev ") || cmd.contains(&format!("dev {PEER_IF}")),
                    "lesson {n}: {cmd}"
                );
                if cmd.contains("ping") {
                    assert!(
                        cmd.ends_with("198.51.100.2"),
                        "lesson {n}: only ringside is pinged: {cmd}"
                    );
                }
            }
            other => panic!("lesson {n}: unexpected command {other:?} in `{cmd}`"),
        }
    }
}

#[test]
fn offline_commands_run_and_print_what_the_text_says() {
    for (n, cmd) in commands() {
        let w = words(&cmd);
        if !matches!(w.get(1), Some(&"dump" | &"respond" | &"struct")) || w[0] != "ringside" {
            continue;
        }
        let out = ringside(&w[1..]);
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "lesson {n}: `{cmd}`: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!stdout.is_empty(), "lesson {n}: `{cmd}` printed nothing");
        let counter = |name: &str| {
            stdout
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{name}\t")))
                .map(|v| v.split('\t').next().unwrap().parse::<u64>().unwrap())
                .unwrap_or(0)
        };
        match (n, w[1]) {
            (3, "respond") => {
                assert_eq!(
                    (counter("malformed"), counter("udp_delivered")),
                    (2, 2),
                    "{stdout}"
                );
            }
            (3, "dump") => {
                assert!(
                    stdout.contains("udp_length_exceeds_frame")
                        && stdout.contains("udp_length_too_short")
                );
            }
            (5, "respond") => {
                assert_eq!(
                    (counter("bad_checksum"), counter("broadcast_echo")),
                    (1, 1),
                    "{stdout}"
                );
                // The capture holds ringside's own 6 replies: skipped, not judged as not_for_us.
                assert_eq!(
                    (counter("own_frames"), counter("not_for_us")),
                    (6, 0),
                    "{stdout}"
                );
            }
            (6, "dump") => {
                let col = stdout
                    .lines()
                    .next()
                    .unwrap()
                    .split('\t')
                    .position(|c| c == "ipv4.frag_offset")
                    .unwrap();
                let offs: Vec<&str> = stdout
                    .lines()
                    .skip(3)
                    .take(3)
                    .map(|l| l.split('\t').nth(col).unwrap())
                    .collect();
                assert_eq!(
                    offs,
                    ["0", "185", "370"],
                    "lesson 6 says offsets 0, 185, 370 (x8 bytes)"
                );
            }
            (2, "struct") => {
                // The course's struct as C, with the numbers lesson 2 states.
                assert!(stdout.contains("struct udppkt {"), "{stdout}");
                assert!(
                    stdout.contains("_Static_assert(sizeof(struct udppkt) == 44,")
                        && stdout.contains("_Static_assert(offsetof(struct udppkt, ip) == 16,"),
                    "{stdout}"
                );
            }
            (8, "dump") => {
                // The 1473-byte datagram in 2 fragments: frames 4 and 5 share an identification.
                let rows: Vec<&str> = stdout.lines().collect();
                let head: Vec<&str> = rows[0].split('\t').collect();
                let col = |k: &str| head.iter().position(|c| *c == k).unwrap();
                let cell = |r: usize, k: &str| rows[r].split('\t').nth(col(k)).unwrap();
                assert_eq!(cell(4, "ipv4.id"), cell(5, "ipv4.id"));
                assert_eq!(
                    (cell(4, "udp.length"), cell(5, "ipv4.frag_offset")),
                    ("1481", "185")
                );
            }
            (1, "dump") => {
                let row3 = stdout.lines().nth(3).unwrap();
                assert!(row3.contains("40000") && row3.contains("\t9\t"), "{row3}");
            }
            _ => {}
        }
    }
}

#[test]
fn tui_commands_open_with_their_caption() {
    // One server for the whole test (kept up by an idle session, so killing one command's
    // session does not stop it while the next command's session is starting).
    let Some(server) = tmux::Server::start("lessons_captions") else {
        return;
    };
    for (i, (n, cmd)) in commands().into_iter().enumerate() {
        let w = words(&cmd);
        if w[0] != "ringside" || !matches!(w[1], "lesson" | "replay" | "demo") {
            continue;
        }
        let name = format!("lesson-{n}-cmd-{i}");
        let bin = env!("CARGO_BIN_EXE_ringside");
        let line = format!(
            "cd {} && {bin} {}; sleep 30",
            root().display(),
            w[1..].join(" ")
        );
        let session = server.session(&name, 160, 48, &line);
        let expect = match w[1] {
            "lesson" => ringside::lessons::lesson(n).unwrap().caption[..30].to_string(),
            // Lesson captures carry the verdicts ringside recorded (pcapng comments).
            "replay" => "recorded verdicts".into(),
            _ => "simulated LAN".into(),
        };
        let (_, screen) =
            session.wait_for(Duration::from_secs(15), |screen| screen.contains(&expect));
        assert!(
            screen.contains(&expect),
            "lesson {n}: `{cmd}` did not show {expect:?}:\n{screen}"
        );
        assert!(!screen.contains("error"), "lesson {n}: `{cmd}`:\n{screen}");
        session.keys("q");
    }
}

/// What LESSONS.md tells the student to look at, found on screen after the keys it names, at a
/// projector size and at 80x24: (lesson, terminal size, keys, text that must appear).
type LookAt = (
    u32,
    (u16, u16),
    &'static [&'static str],
    &'static [&'static str],
);
const LOOK_AT: &[LookAt] = &[
    // Lesson 2: frame 3 (`j j`); the struct panel is on screen at 160x48, `v` brings it at 80x24.
    // Then Tab to the layers and down to the IPv4 protocol field: the panel follows it.
    (
        2,
        (160, 48),
        &[
            "j", "j", "Tab", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j",
        ],
        &[
            "sizeof(struct udppkt) 44 (align 4) · packed 42 = the wire · holes at 14-15",
            "/* 2 bytes of padding */",
            "✗ byte 25: Header Checksum, low byte",
            "pkt->ip.protocol: the wire has Protocol in byte 23",
        ],
    ),
    (
        2,
        (80, 24),
        &[
            "j", "j", "v", "Tab", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j",
        ],
        &[
            "udppkt 44 B · packed 42 · hole 14-15",
            "unsigned char protocol;    25   23",
            "pkt->ip.protocol: the wire has",
        ],
    ),
    // Lesson 10: `v` until the ring (two presses on a projector, three at 80x24), `space`, `.`.
    (
        10,
        (160, 48),
        &["v", "v", "Space", "."],
        &[
            "simulated netmap: 16 slots x 2048 B",
            "TIME FROZEN",
            "█ ringside's ▒ handed back · kernel's",
            "nm_nextpkt() took 1",
        ],
    ),
    (
        10,
        (80, 24),
        &["v", "v", "v"],
        &["simulated netmap: 16 slots x 2048 B", "(0 ringside's)"],
    ),
    // Lesson 9: frame 3's layers: what a switch reads, then what a router reads.
    (
        9,
        (160, 48),
        &["j", "j"],
        &[
            "Ethernet II (link layer) · 14 bytes · offset 0",
            "TTL: 64",
            "Destination Address: 198.51.100.2",
        ],
    ),
];

#[test]
fn what_each_lesson_says_to_look_at_is_on_screen() {
    let Some(server) = tmux::Server::start("lessons_look") else {
        return;
    };
    for (i, (n, (w, h), keys, want)) in LOOK_AT.iter().enumerate() {
        let name = format!("look-{n}-{i}");
        let line = format!(
            "cd {} && {} lesson {n}; sleep 30",
            root().display(),
            env!("CARGO_BIN_EXE_ringside")
        );
        let session = server.session(&name, *w, *h, &line);
        let caption = &ringside::lessons::lesson(*n).unwrap().caption[..20];
        session.wait_for(Duration::from_secs(15), |screen| screen.contains(caption));
        for k in *keys {
            session.keys(k);
            std::thread::sleep(Duration::from_millis(150));
        }
        let (_, shown) = session.wait_for(Duration::from_secs(10), |shown| {
            want.iter().all(|t| shown.contains(t))
        });
        for t in *want {
            assert!(
                shown.contains(t),
                "lesson {n} at {w}x{h} after {keys:?}: no {t:?} on screen:\n{shown}"
            );
        }
        session.keys("q");
    }
}
