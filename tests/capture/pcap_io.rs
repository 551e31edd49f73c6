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
fn unknown_link_type_is_refused_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("wifi.pcap");
    let mut f = std::fs::File::create(&p).unwrap();
    // pcap header with link type 105 (IEEE 802.11).
    f.write_all(&[
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 105, 0, 0, 0,
    ])
    .unwrap();
    drop(f);
    let err = CaptureReader::open(&p)
        .err()
        .expect("802.11 must be refused")
        .to_string();
    assert!(
        err.contains("(105) is not one ringside reads") && err.contains("LINUX_SLL"),
        "{err}"
    );
}

/// Issue 16: `tcpdump -i any` (LINUX_SLL, LINUX_SLL2) and raw-IP captures are read: dump shows the
/// cooked header for what it is and the IPv4/ARP inside; respond does not feed them to the
/// Ethernet stack (no destination MAC to judge or answer by) and counts them; replay says so.
#[test]
fn cooked_and_raw_ip_captures_are_read() {
    // An ARP request from 02:00:00:00:00:01, as SLL v1 / SLL2 / (its IPv4 ping as) raw IP.
    let arp_body = hex::decode("0001080006040001020000000001c6336401000000000000c6336402").unwrap();
    let mut sll = vec![0, 1, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x06];
    sll.extend_from_slice(&arp_body);
    let mut sll2 = vec![
        0x08, 0x06, 0, 0, 0, 0, 0, 3, 0, 1, 1, 6, 2, 0, 0, 0, 0, 1, 0, 0,
    ];
    sll2.extend_from_slice(&arp_body);
    let mut ping = Vec::new();
    let h = ringside::wire::build::EthIp {
        src_mac: [2, 0, 0, 0, 0, 1],
        dst_mac: [2, 0, 0, 0, 0, 2],
        src_ip: [198, 51, 100, 1].into(),
        dst_ip: [198, 51, 100, 2].into(),
        ttl: 64,
        ip_id: 1,
    };
    ringside::wire::build::icmp_echo(&mut ping, &h, false, 7, 1, b"hi");
    let raw = ping[14..].to_vec();
    let dir = tempfile::tempdir().unwrap();
    for (link, frame, want) in [
        (
            113u32,
            &sll,
            "sll.pkttype=1 sll.hatype=1 sll.src=02:00:00:00:00:01 sll.etype=0x0806",
        ),
        (
            276,
            &sll2,
            "sll.ifindex=3 sll.pkttype=1 sll.src=02:00:00:00:00:01 sll.etype=0x0806",
        ),
        (101, &raw, "ipv4.src=198.51.100.1 icmp.type=8"),
        (228, &raw, "ipv4.src=198.51.100.1 icmp.type=8"),
    ] {
        let mut b = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        b.extend_from_slice(&65535u32.to_le_bytes());
        b.extend_from_slice(&link.to_le_bytes());
        for v in [1u32, 0, frame.len() as u32, frame.len() as u32] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(frame);
        let p = dir.path().join(format!("{link}.pcap"));
        std::fs::write(&p, &b).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_ringside"))
            .arg("dump")
            .arg("--json")
            .arg(&p)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let row: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        for kv in want.split(' ') {
            let (k, v) = kv.split_once('=').unwrap();
            assert_eq!(row[k].as_str(), Some(v), "link {link}: {k} in {row}");
        }
        if link != 101 && link != 228 {
            assert_eq!(row["arp.tpa"].as_str(), Some("198.51.100.2"), "{row}");
            assert_eq!(row["protocol"].as_str(), Some("ARP"), "{row}");
        }
        assert!(row.get("eth.src").is_none(), "no Ethernet header: {row}");
        // respond: counted, not answered.
        let o = Command::new(env!("CARGO_BIN_EXE_ringside"))
            .arg("respond")
            .arg(&p)
            .arg("-w")
            .arg(dir.path().join("out.pcap"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(text.contains("unsupported_link\t1\n"), "{text}");
        assert!(text.contains("frames_in\t0\n"), "{text}");
        // replay: refused with what to run instead (exit 2), before any terminal is needed.
        let o = Command::new(env!("CARGO_BIN_EXE_ringside"))
            .arg("replay")
            .arg(&p)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains("ringside dump"), "{err}");
    }
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

/// A classic pcap from raw parts: (secs, frac, caplen field, orig_len field, data).
fn raw_pcap(snaplen: u32, recs: &[(u32, u32, u32, u32, Vec<u8>)]) -> Vec<u8> {
    let mut b = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    b.extend_from_slice(&snaplen.to_le_bytes());
    b.extend_from_slice(&1u32.to_le_bytes());
    for (s, us, cap, orig, data) in recs {
        for v in [s, us, cap, orig] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(data);
    }
    b
}

/// Issue 16: records Wireshark reads (caplen above the snaplen, orig_len below caplen,
/// microseconds >= 10^6) are read, and named in one warning line with counts.
#[test]
fn odd_records_wireshark_reads_are_read_and_counted() {
    let f = vec![0x5a; 60];
    let bytes = raw_pcap(
        40, // snaplen below every record's caplen
        &[
            (10, 1_500_000, 60, 60, f.clone()),
            (11, 2, 60, 40, f.clone()),
            (12, 3, 60, 60, f.clone()),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("odd.pcap");
    std::fs::write(&p, &bytes).unwrap();
    let mut r = CaptureReader::open(&p).unwrap();
    let mut got = Vec::new();
    while let Some(fr) = r.next_frame().unwrap() {
        got.push((fr.ts, fr.orig_len, fr.data.len()));
    }
    assert!(r.stopped().is_none(), "{:?}", r.stopped());
    assert_eq!(
        got,
        [
            (Duration::new(11, 500_000_000), 60, 60), // 1.5 s of microseconds carried
            (Duration::new(11, 2_000), 40, 60),
            (Duration::new(12, 3_000), 60, 60),
        ]
    );
    assert_eq!(
        r.oddities().unwrap(),
        "read anyway: 3 record(s) with caplen above the file's snaplen, 1 with orig_len below \
         caplen, 1 with a fraction of a second >= 1 s (carried into the seconds)"
    );
    // dump reads all three and says so in ONE warning line.
    let out = Command::new(env!("CARGO_BIN_EXE_ringside"))
        .arg("dump")
        .arg(&p)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 4);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("read anyway: 3 record(s)"), "{err}");
    if have("tshark") {
        let t = Command::new("tshark").arg("-r").arg(&p).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&t.stdout).lines().count(), 3);
    }
}

/// A record claiming more than a capture record may hold (Wireshark: 262144 bytes) ends the read
/// as corrupt, like tshark, without allocating what it claims.
#[test]
fn oversized_record_ends_the_read_without_allocating() {
    let f = vec![0x5a; 60];
    let bytes = raw_pcap(
        65535,
        &[(1, 0, 60, 60, f.clone()), (2, 0, 300_000, 300_000, f)],
    );
    let mut r =
        CaptureReader::from_reader(Path::new("big.pcap"), std::io::Cursor::new(bytes), 0).unwrap();
    assert!(r.next_frame().unwrap().is_some());
    assert!(r.next_frame().unwrap().is_none());
    let why = r.stopped().unwrap().to_string();
    assert!(why.contains("300000 bytes"), "{why}");
}

/// pcapng blocks whose options have no end-of-options marker, an unknown option code, and a name
/// resolution block: pcap-file refused the whole file (tcpdump's ospf-sr.pcapng); tshark reads it.
#[test]
fn pcapng_with_options_pcap_file_refuses_is_read() {
    fn block(ty: u32, body: &[u8]) -> Vec<u8> {
        let len = (12 + body.len().div_ceil(4) * 4) as u32;
        let mut b = ty.to_le_bytes().to_vec();
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(body);
        b.resize(len as usize - 4, 0);
        b.extend_from_slice(&len.to_le_bytes());
        b
    }
    fn opt(code: u16, v: &[u8]) -> Vec<u8> {
        let mut o = code.to_le_bytes().to_vec();
        o.extend_from_slice(&(v.len() as u16).to_le_bytes());
        o.extend_from_slice(v);
        o.resize(4 + v.len().div_ceil(4) * 4, 0);
        o
    }
    let mut shb = vec![0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0];
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    shb.extend(opt(4, b"rtbrick-lspgen")); // no opt_endofopt after it
    shb.extend(opt(1234, &[1, 2, 3])); // an option code no spec defines
    let mut idb = vec![1, 0, 0, 0, 0, 0, 4, 0];
    idb.extend(opt(2, b"lspgen")); // if_name, no end marker
    let frame = [0x5au8; 60];
    let mut epb = vec![0u8; 4];
    epb.extend_from_slice(&0u32.to_le_bytes());
    epb.extend_from_slice(&1_000_000u32.to_le_bytes()); // 1 s in microseconds
    epb.extend_from_slice(&60u32.to_le_bytes());
    epb.extend_from_slice(&60u32.to_le_bytes());
    epb.extend_from_slice(&frame);
    let mut file = block(0x0a0d0d0a, &shb);
    file.extend(block(1, &idb));
    // A name resolution block (192.0.2.1 is "a"): nothing ringside uses.
    file.extend(block(
        4,
        &[1, 0, 6, 0, 192, 0, 2, 1, b'a', 0, 0, 0, 0, 0, 0, 0],
    ));
    file.extend(block(6, &epb));
    file.extend(block(6, &epb));
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("opts.pcapng");
    if let Some(k) = std::env::var_os("KEEP_PCAPNG") {
        std::fs::write(k, &file).unwrap();
    }
    std::fs::write(&p, &file).unwrap();
    let (got, stopped) = read_all(&p);
    assert_eq!(stopped, None);
    assert_eq!(got.len(), 2);
    let r = CaptureReader::open(&p).unwrap();
    let mut r = r;
    while r.next_frame().unwrap().is_some() {}
    assert_eq!(
        r.oddities().as_deref(),
        Some("read anyway: 1 pcapng option(s) of odd shape skipped")
    );
    assert_eq!(got[0], (Duration::from_secs(1), frame.to_vec()));
    if have("tshark") {
        let t = Command::new("tshark").arg("-r").arg(&p).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&t.stdout).lines().count(), 2);
    }
}

/// Found by the pcap fuzzer: a second interface with a link type ringside cannot read is an
/// error, and no frame may follow it (the reader used to go on after returning the error).
#[test]
fn no_frame_follows_an_unreadable_interface() {
    use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
    use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionBlock;
    use pcap_file::pcapng::PcapNgWriter;
    use std::borrow::Cow;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("two-links.pcapng");
    let mut w = PcapNgWriter::new(std::fs::File::create(&p).unwrap()).unwrap();
    let data = frames()[0].clone();
    let epb = |interface_id| EnhancedPacketBlock {
        interface_id,
        timestamp: Duration::from_secs(1),
        original_len: data.len() as u32,
        data: Cow::Borrowed(&data),
        options: vec![],
    };
    for (link, id) in [
        (pcap_file::DataLink::ETHERNET, 0),
        (pcap_file::DataLink::PPP, 1),
    ] {
        w.write_pcapng_block(InterfaceDescriptionBlock {
            linktype: link,
            snaplen: 0,
            options: vec![],
        })
        .unwrap();
        w.write_pcapng_block(epb(id)).unwrap();
    }
    w.write_pcapng_block(epb(0)).unwrap();
    drop(w);
    let mut r = CaptureReader::open(&p).unwrap();
    assert!(r.next_frame().unwrap().is_some(), "the Ethernet frame");
    assert!(r.next_frame().is_err(), "the PPP interface");
    for _ in 0..3 {
        assert!(r.next_frame().unwrap().is_none(), "nothing after the error");
    }
}
