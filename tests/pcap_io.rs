//! Capture files in and out: what tshark writes we read, what we write tshark reads, and files
//! that are cut short, lie about lengths, or carry another link type are handled with a message.
use ringside::capture::Direction;
use ringside::pcap::{CaptureReader, PcapRecorder};
use ringside::pcapng_write::{CaptureFormat, Recorder};
use ringside::recorded::{FrameNote, Responders};
use ringside::stack::StackConfig;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn frames() -> Vec<Vec<u8>> {
    // ARP request, then 60-byte padded frames of increasing fill.
    let arp = hex::decode(
        "ffffffffffff02000000000108060001080006040001020000000001c6336401000000000000c6336402",
    )
    .unwrap();
    let mut v = vec![arp];
    for i in 0..5u8 {
        v.push(vec![i; 60 + i as usize]);
    }
    v
}

fn write_pcap(path: &Path) {
    let mut w = PcapRecorder::create(path).unwrap();
    for (i, f) in frames().iter().enumerate() {
        w.write(
            Duration::new(1_700_000_000 + i as u64, 123_456_000),
            f,
            f.len() as u32,
        )
        .unwrap();
    }
    w.close().unwrap();
}

fn read_all(path: &Path) -> (Vec<(Duration, Vec<u8>)>, Option<String>) {
    let mut r = CaptureReader::open(path).unwrap();
    let mut out = Vec::new();
    while let Some(f) = r.next_frame().unwrap() {
        out.push((f.ts, f.data.to_vec()));
    }
    (out, r.stopped().map(|s| s.to_string()))
}

#[test]
fn written_pcap_reads_back_identically() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.pcap");
    write_pcap(&p);
    let (got, stopped) = read_all(&p);
    assert_eq!(stopped, None);
    assert_eq!(
        got.iter().map(|g| g.1.clone()).collect::<Vec<_>>(),
        frames()
    );
    assert_eq!(got[1].0, Duration::new(1_700_000_001, 123_456_000));
}

#[test]
fn truncated_file_reads_up_to_the_last_whole_frame_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.pcap");
    write_pcap(&p);
    let bytes = std::fs::read(&p).unwrap();
    // Cut in the middle of the last frame's data.
    std::fs::write(&p, &bytes[..bytes.len() - 10]).unwrap();
    let (got, stopped) = read_all(&p);
    assert_eq!(got.len(), frames().len() - 1);
    let msg = stopped.expect("a truncated file must say where it stopped");
    assert!(
        msg.contains("read 5 whole frames") && msg.contains("truncated"),
        "{msg}"
    );
}

#[test]
fn lying_record_length_does_not_allocate_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.pcap");
    write_pcap(&p);
    let mut bytes = std::fs::read(&p).unwrap();
    // First record header: incl_len and orig_len claim 4 GB.
    bytes[24 + 8..24 + 16].copy_from_slice(&[0xff; 8]);
    std::fs::write(&p, &bytes).unwrap();
    let (got, stopped) = read_all(&p);
    assert!(got.is_empty());
    assert!(stopped.is_some());
}

#[test]
fn non_ethernet_link_type_is_refused_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("sll.pcap");
    let mut f = std::fs::File::create(&p).unwrap();
    // pcap header with link type 113 (Linux cooked capture).
    f.write_all(&[
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 113, 0, 0, 0,
    ])
    .unwrap();
    drop(f);
    let err = CaptureReader::open(&p)
        .err()
        .expect("SLL must be refused")
        .to_string();
    assert!(
        err.contains("not Ethernet") && err.contains("-i any"),
        "{err}"
    );
}

#[test]
fn not_a_capture_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.pcap");
    std::fs::write(&p, b"hello world, not a pcap").unwrap();
    let err = CaptureReader::open(&p).err().unwrap().to_string();
    assert!(err.contains("not a pcap or pcapng file"), "{err}");
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
}

#[test]
fn tshark_opens_what_we_write_and_we_read_its_pcapng() {
    if !have("tshark") {
        eprintln!("skipped: tshark not installed (CI installs it)");
        assert!(std::env::var("CI").is_err(), "CI must have tshark");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.pcap");
    write_pcap(&p);
    let out = Command::new("tshark")
        .args(["-r"])
        .arg(&p)
        .args(["-T", "fields", "-e", "frame.len"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tshark: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lens: Vec<usize> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(lens, frames().iter().map(|f| f.len()).collect::<Vec<_>>());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("appears to be damaged"), "{stderr}");

    // tshark converts to pcapng with nanosecond resolution; the times must survive.
    let ng = dir.path().join("a.pcapng");
    let st = Command::new("editcap")
        .args(["-F", "pcapng"])
        .arg(&p)
        .arg(&ng)
        .status()
        .unwrap();
    assert!(st.success());
    let (got, stopped) = read_all(&ng);
    assert_eq!(stopped, None);
    assert_eq!(got.len(), frames().len());
    assert_eq!(got[2].0, Duration::new(1_700_000_002, 123_456_000));
}

/// A note for frame `i` of [`frames`]: in/out alternating, with a verdict on received ones.
fn note(i: usize) -> FrameNote {
    use ringside::stack::{Answer, DropReason, Verdict};
    let dir = if i.is_multiple_of(2) {
        Direction::In
    } else {
        Direction::Out
    };
    let verdict = match (dir, i % 4) {
        (Direction::Out, _) => None,
        (_, 0) => Some(Verdict::Answered(Answer::ArpReply)),
        _ => Some(Verdict::NoReply(DropReason::ArpResponderOff)),
    };
    FrameNote {
        dir,
        verdict,
        responders: Responders {
            arp: i.is_multiple_of(4),
            icmp: true,
        },
    }
}

#[test]
fn the_file_name_picks_the_format_and_pcapng_keeps_times_lengths_and_notes() {
    let dir = tempfile::tempdir().unwrap();
    let host = StackConfig::default();
    for (name, format) in [
        ("a.pcapng", CaptureFormat::PcapNg),
        ("a.PCAP", CaptureFormat::Pcap),
        ("a.pcap", CaptureFormat::Pcap),
        ("capture", CaptureFormat::PcapNg),
    ] {
        assert_eq!(CaptureFormat::for_path(Path::new(name)), format, "{name}");
    }
    let p = dir.path().join("a.pcapng");
    let mut w = Recorder::create(&p, &host).unwrap();
    assert_eq!(w.format_note(), None);
    for (i, f) in frames().iter().enumerate() {
        // Nanoseconds survive (if_tsresol 9); orig_len may exceed what was kept.
        let ts = Duration::new(1_700_000_000 + i as u64, 123_456_789);
        w.write(ts, f, f.len() as u32 + 100, Some(&note(i)))
            .unwrap();
    }
    w.close().unwrap();
    assert_eq!(&std::fs::read(&p).unwrap()[..4], &[0x0a, 0x0d, 0x0d, 0x0a]);
    let mut r = CaptureReader::open(&p).unwrap();
    let mut i = 0;
    while let Some(f) = r.next_frame().unwrap() {
        assert_eq!(f.data, &frames()[i][..]);
        assert_eq!(f.ts, Duration::new(1_700_000_000 + i as u64, 123_456_789));
        assert_eq!(f.orig_len, f.data.len() as u32 + 100);
        assert_eq!(f.note, Some(note(i)), "frame {i}");
        i += 1;
    }
    assert_eq!(i, frames().len());
}

/// A pcapng with one frame per comment, written by pcap-file directly (any tool could).
fn pcapng_with_comments(path: &Path, comments: &[String]) {
    use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
    use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionBlock;
    use pcap_file::pcapng::PcapNgWriter;
    use std::borrow::Cow;
    let mut w = PcapNgWriter::new(std::fs::File::create(path).unwrap()).unwrap();
    w.write_pcapng_block(InterfaceDescriptionBlock {
        linktype: pcap_file::DataLink::ETHERNET,
        snaplen: 0,
        options: vec![],
    })
    .unwrap();
    let data = frames()[0].clone();
    for c in comments {
        w.write_pcapng_block(EnhancedPacketBlock {
            interface_id: 0,
            timestamp: Duration::from_secs(1),
            original_len: data.len() as u32,
            data: Cow::Borrowed(&data),
            options: vec![EnhancedPacketOption::Comment(Cow::Borrowed(c))],
        })
        .unwrap();
    }
}

#[test]
fn huge_hostile_and_foreign_comments_are_frames_without_notes() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.pcapng");
    let comments = vec![
        // An option is at most 65,535 bytes (its length is 16 bits).
        format!("ringside: dir=in verdict=arp_reply {}", "x".repeat(65_000)),
        "ringside: dir=\u{1b}[2J verdict=arp_reply".to_string(),
        "\u{7}\u{1b}]0;pwned\u{7}".to_string(),
        "taken at the lab bench".to_string(),
        "ringside: dir=out arp=off icmp=on".to_string(),
    ];
    pcapng_with_comments(&p, &comments);
    let mut r = CaptureReader::open(&p).unwrap();
    let mut notes = Vec::new();
    while let Some(f) = r.next_frame().unwrap() {
        assert_eq!(f.data, &frames()[0][..]);
        notes.push(f.note);
    }
    assert!(r.stopped().is_none(), "{:?}", r.stopped());
    assert_eq!(notes.len(), comments.len());
    assert_eq!(&notes[..4], &[None, None, None, None]);
    assert_eq!(
        notes[4],
        Some(FrameNote {
            dir: Direction::Out,
            verdict: None,
            responders: Responders {
                arp: false,
                icmp: true
            }
        })
    );
}
