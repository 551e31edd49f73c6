//! Replay at scale (issue 13): a capture file's frame index ([`ringside::pcap::index`]) finds
//! frame N's bytes as a plain read from the start does, on pcap and pcapng, odd and cut files;
//! and the real binary's replay lists every frame of a large file at once, jumps to any of
//! them, and keeps its memory within --history-mb plus a fixed overhead. Nothing is timed: the
//! limits only bound a hang (speed is in bench/replay_scale.py).
use crate::support::odd_captures;
use crate::support::tmux;

use ringside::pcap::index::{FrameIndex, STRIDE};
use ringside::pcap::{CaptureReader, LinkKind};
use std::path::Path;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_ringside");

/// (ts, data, orig_len, link) of every frame, read from the start.
type Frame = (Duration, Vec<u8>, u32, LinkKind);

fn read_plain(path: &Path) -> Vec<Frame> {
    let mut r = CaptureReader::open(path).unwrap();
    let mut out = Vec::new();
    while let Some(f) = r.next_frame().unwrap() {
        out.push((f.ts, f.data.to_vec(), f.orig_len, f.link));
    }
    out
}

/// Every frame through the index, one at a time and in runs that cross the noted offsets,
/// equals the plain read.
fn check_index(path: &Path) -> usize {
    let plain = read_plain(path);
    let ix = FrameIndex::build_blocking(path).unwrap();
    assert!(ix.done());
    assert_eq!(ix.refused(), None, "{}", path.display());
    assert_eq!(ix.frames(), plain.len() as u64, "{}", path.display());
    let mut got = Vec::new();
    for no in 1..=plain.len() as u64 {
        let n = ix
            .read(no, 1, &mut |n, f| {
                assert_eq!(n, no);
                got.push((f.ts, f.data.to_vec(), f.orig_len, f.link));
            })
            .unwrap();
        assert_eq!(n, 1, "{}: frame {no}", path.display());
    }
    assert!(got == plain, "{}: single reads differ", path.display());
    // Runs: from just before a noted offset across it, and past the end (cut to what exists).
    for first in [1, STRIDE - 2, STRIDE + 1, 2 * STRIDE - 1] {
        if first > plain.len() as u64 {
            continue;
        }
        let mut run = Vec::new();
        ix.read(first, 70, &mut |n, f| {
            run.push((n, f.data.to_vec()));
        })
        .unwrap();
        let want: Vec<(u64, Vec<u8>)> = plain
            .iter()
            .enumerate()
            .skip(first as usize - 1)
            .take(70)
            .map(|(i, f)| (i as u64 + 1, f.1.clone()))
            .collect();
        assert_eq!(run, want, "{}: run from {first}", path.display());
    }
    assert_eq!(
        ix.read(plain.len() as u64 + 1, 5, &mut |_, _| {}).unwrap(),
        0
    );
    assert_eq!(ix.read(0, 5, &mut |_, _| {}).unwrap(), 0);
    plain.len()
}

/// The lesson frames repeated `n` times over (classic pcap, 1 ms apart): each frame's first
/// bytes differ by its number, so a frame read from the wrong place is seen.
fn write_big_pcap(path: &Path, n: u64) {
    use std::io::Write;
    let mut lesson = Vec::new();
    for name in ["ping.pcapng", "udp-exchange.pcapng", "arp-silent.pcapng"] {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets")
            .join(name);
        lesson.extend(read_plain(&p).into_iter().map(|f| f.1));
    }
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let mut h = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    h.extend_from_slice(&262_144u32.to_le_bytes());
    h.extend_from_slice(&1u32.to_le_bytes());
    w.write_all(&h).unwrap();
    for i in 0..n {
        let data = &lesson[(i % lesson.len() as u64) as usize];
        let t = 1_700_000_000_000u64 + i; // ms
        for v in [
            (t / 1000) as u32,
            ((t % 1000) * 1000) as u32,
            data.len() as u32,
            data.len() as u32,
        ] {
            w.write_all(&v.to_le_bytes()).unwrap();
        }
        w.write_all(data).unwrap();
    }
    w.flush().unwrap();
}

#[test]
fn the_index_reads_frame_n_as_a_plain_read_does() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut frames = 0;
    // The lessons' pcapng captures (comments, if_tsresol) and the corpus.
    for e in std::fs::read_dir(root.join("assets")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "pcapng" || x == "pcap") {
            frames += check_index(&p);
        }
    }
    // Odd classic pcaps (times backwards, tiny and hostile frames).
    for cap in odd_captures::odd_captures(7) {
        let p = dir.path().join(format!("{}.pcap", cap.name));
        odd_captures::write(&cap, &p);
        frames += check_index(&p);
    }
    // A file of a few hundred frames, then the same cut in the middle of a record: the index
    // ends where the reader stops, at the last whole frame.
    let big = dir.path().join("big.pcap");
    write_big_pcap(&big, 300);
    assert_eq!(check_index(&big), 300);
    let bytes = std::fs::read(&big).unwrap();
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3 + 5]).unwrap();
    let n = check_index(&cut);
    assert!(n > 150 && n < 300, "{n} whole frames before the cut");
    // The same frames as pcapng (ringside's own writer: comments on every frame).
    let ng = dir.path().join("big.pcapng");
    let mut rec = ringside::pcapng_write::PcapNgRecorder::create(&ng, &Default::default()).unwrap();
    for (ts, data, orig, _) in read_plain(&big) {
        rec.write(ts, &data, orig, None).unwrap();
    }
    rec.close().unwrap();
    assert_eq!(check_index(&ng), 300);
    let bytes = std::fs::read(&ng).unwrap();
    let cut = dir.path().join("cut.pcapng");
    std::fs::write(&cut, &bytes[..bytes.len() / 2 + 3]).unwrap();
    let n = check_index(&cut);
    assert!(n > 100 && n < 300, "{n} whole frames before the cut");
    assert!(frames > 500, "{frames} frames checked");
}

/// A pcapng whose second interface is described after the first packet: a reader started at a
/// later packet would not know it, so the index says it cannot be used (replay then shows what
/// its history holds, as before).
#[test]
fn a_late_interface_description_is_refused_not_misread() {
    let dir = tempfile::tempdir().unwrap();
    let le = |v: u32| v.to_le_bytes();
    let mut b = Vec::new();
    // Section header (28 bytes), interface 0 (Ethernet), one packet, interface 1, one packet.
    b.extend_from_slice(&[0x0a, 0x0d, 0x0d, 0x0a]);
    b.extend_from_slice(&le(28));
    b.extend_from_slice(&[0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0]);
    b.extend_from_slice(&[0xff; 8]);
    b.extend_from_slice(&le(28));
    let idb = |b: &mut Vec<u8>| {
        b.extend_from_slice(&le(1));
        b.extend_from_slice(&le(20));
        b.extend_from_slice(&[1, 0, 0, 0]);
        b.extend_from_slice(&le(65535));
        b.extend_from_slice(&le(20));
    };
    let epb = |b: &mut Vec<u8>, iface: u32| {
        let data = [0x02u8; 60];
        b.extend_from_slice(&le(6));
        b.extend_from_slice(&le(32 + 60));
        for v in [iface, 0, 1, 60, 60] {
            b.extend_from_slice(&le(v));
        }
        b.extend_from_slice(&data);
        b.extend_from_slice(&le(32 + 60));
    };
    idb(&mut b);
    epb(&mut b, 0);
    idb(&mut b);
    epb(&mut b, 1);
    let p = dir.path().join("late.pcapng");
    std::fs::write(&p, &b).unwrap();
    assert_eq!(read_plain(&p).len(), 2, "the plain reader reads both");
    let ix = FrameIndex::build_blocking(&p).unwrap();
    let why = ix.refused().expect("the index refuses this layout");
    assert!(why.contains("interface description"), "{why}");
    assert!(ix.read(1, 1, &mut |_, _| {}).is_err());
}

/// The number column of the selected row (the highlighted one) and the title's position.
fn position(screen: &str) -> Option<(u64, u64)> {
    let at = screen.find("frame ")?;
    let rest = &screen[at + 6..];
    let (a, b) = rest.split_once('/')?;
    let b: String = b.chars().take_while(|c| c.is_ascii_digit()).collect();
    Some((a.trim().parse().ok()?, b.parse().ok()?))
}

#[test]
fn replay_lists_and_jumps_to_any_frame_of_a_large_file() {
    let Some(server) = tmux::Server::start("replay_index_jump") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("200k.pcap");
    write_big_pcap(&path, 200_000);
    // 1 MiB of history holds a few thousand frames: the rest are read back from the file.
    let s = server.session(
        "jump",
        160,
        48,
        &format!("{BIN} replay {} --history-mb 1", path.display()),
    );
    let limit = Duration::from_secs(120);
    let (ok, screen) = s.wait_for(limit, |s| {
        s.contains("frame 1/200000") && !s.contains("indexing")
    });
    assert!(ok, "every frame listed once indexed:\n{screen}");
    s.keys(":");
    s.keys("150000");
    s.keys("Enter");
    let (ok, screen) = s.wait_for(limit, |s| s.contains("frame 150000/200000"));
    assert!(ok, "go to 150000:\n{screen}");
    let row = screen
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some("150000"))
        .unwrap_or_else(|| panic!("frame 150000's row on screen:\n{screen}"));
    // Frame 150000 is the 150000th record: its time is 149.999 s after frame 1.
    assert!(row.contains("149.999"), "{row}");
    s.keys("G");
    let (ok, screen) = s.wait_for(limit, |s| s.contains("frame 200000/200000"));
    assert!(ok, "G goes to the file's last frame:\n{screen}");
    s.keys("g");
    let (ok, screen) = s.wait_for(limit, |s| s.contains("frame 1/200000"));
    assert!(ok, "g back to the first (evicted long ago):\n{screen}");
    s.keys(":");
    s.keys("5000000");
    s.keys("Enter");
    let (ok, screen) = s.wait_for(limit, |s| {
        s.contains("there is no frame 5000000 (frames 1–200000)")
    });
    assert!(ok, "a frame past the end is named:\n{screen}");
    assert_eq!(position(&screen), Some((1, 200_000)));
    // Once the stack has judged every frame, frame 1 (evicted from the 1 MiB history long
    // ago, read back from the file) shows the verdict it was given, not "not judged yet".
    let (ok, screen) = s.wait_for(Duration::from_secs(600), |s| s.contains(" loaded"));
    assert!(ok, "the judge pass ends:\n{screen}");
    s.keys("j");
    s.keys("k");
    let (ok, screen) = s.wait_for(limit, |s| {
        s.lines()
            .any(|l| l.split_whitespace().nth(1) == Some("1") && l.contains("arp_reply"))
    });
    assert!(ok, "frame 1 keeps its verdict after eviction:\n{screen}");
    assert!(!screen.contains("not judged yet"), "{screen}");
    s.keys("q");
}

/// Peak RSS of a replay of a 1M-frame file (~165 MB) within --history-mb + 64 MiB, once every
/// frame has been judged and the file browsed end to end.
#[test]
fn replay_memory_stays_within_the_history_budget() {
    let Some(server) = tmux::Server::start("replay_index_rss") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("1m.pcap");
    write_big_pcap(&path, 1_000_000);
    let history_mb = 16;
    let s = server.session(
        "rss",
        160,
        48,
        &format!("{BIN} replay {} --history-mb {history_mb}", path.display()),
    );
    let limit = Duration::from_secs(600);
    let (ok, screen) = s.wait_for(limit, |s| s.contains(" loaded"));
    assert!(ok, "the judge pass ends:\n{screen}");
    for k in ["G", "g", "PageDown", "G"] {
        s.keys(k);
    }
    let (ok, screen) = s.wait_for(limit, |s| s.contains("frame 1000000/1000000"));
    assert!(ok, "{screen}");
    let pid = s.format("#{pane_pid}");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb = |key: &str| -> u64 {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{key} in /proc/{pid}/status:\n{status}"))
    };
    assert!(
        status.contains("ringside"),
        "the pane runs ringside itself:\n{status}"
    );
    let peak_mib = kb("VmHWM:") / 1024;
    eprintln!("peak RSS {peak_mib} MiB with --history-mb {history_mb}");
    assert!(
        peak_mib < history_mb + 64,
        "peak RSS {peak_mib} MiB, more than --history-mb {history_mb} + 64 MiB"
    );
    s.keys("q");
}
