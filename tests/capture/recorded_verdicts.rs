//! A capture ringside wrote carries what ringside did: tshark shows the per-frame comments, and
//! `replay` shows the recorded verdicts (lesson 4's ARP failure as it happened) until `J` judges
//! the frames again. Plain pcap files are judged as before.
use crate::support::tmux;
use crate::support::ui as ui_support;
use ringside::capture::{Captured, Status};
use ringside::pcap::CaptureReader;
use ringside::pcapng_write::Recorder;
use ringside::recorded::FrameNote;
use ringside::stack::{Answer, DropReason, StackConfig, Verdict};
use ringside::ui::app::{Action, App};
use ringside::ui::{write_history, Mode};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use ui_support::replay_screen;

fn asset(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets")
        .join(name)
}

/// Every frame of `path` with the note ringside's reader finds in it.
fn frames_with_notes(path: &Path) -> Vec<(Vec<u8>, Option<FrameNote>)> {
    let mut r = CaptureReader::open(path).unwrap();
    let mut v = Vec::new();
    while let Some(f) = r.next_frame().unwrap() {
        v.push((f.data.to_vec(), f.note));
    }
    assert!(r.stopped().is_none());
    v
}

/// Run `path` through `replay`'s own capture thread to the end.
fn replay(path: &Path, recorded_verdicts: bool) -> (Vec<Captured>, Status) {
    let reader = CaptureReader::open(path).unwrap();
    let h = ringside::cli::replay::spawn(reader, StackConfig::default(), recorded_verdicts);
    let (got, st) = crate::support::capture::drain(h, Duration::from_secs(30));
    assert!(st.finished && st.error.is_none(), "{:?}", st.error);
    (got, st)
}

/// The replay screen after every frame was shown.
fn count(frames: &[Captured], v: Verdict) -> usize {
    frames.iter().filter(|c| c.verdict == Some(v)).count()
}

const OFF: Verdict = Verdict::NoReply(DropReason::ArpResponderOff);
const ARP_REPLY: Verdict = Verdict::Answered(Answer::ArpReply);

fn no_reply_on_status_bar(s: &str) -> u64 {
    let at = s.find("no-reply ").expect("status bar shows no-reply") + "no-reply ".len();
    s[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn replaying_arp_silent_shows_the_failure_as_it_was_recorded() {
    let path = asset("arp-silent.pcapng");
    let file = frames_with_notes(&path);
    assert!(
        file.iter().all(|(_, n)| n.is_some()),
        "every frame has a note"
    );
    let recorded_off = file
        .iter()
        .filter(|(_, n)| n.unwrap().verdict == Some(OFF))
        .count();
    assert!(recorded_off >= 5, "the capture records unanswered requests");

    let (got, st) = replay(&path, true);
    assert_eq!(got.len(), file.len());
    // Each frame shows the direction, verdict and switches recorded beside it.
    for (i, (c, (data, note))) in got.iter().zip(&file).enumerate() {
        let note = note.unwrap();
        assert_eq!(&c.data, data, "frame {}", i + 1);
        assert_eq!(
            (c.dir, c.verdict, c.responders),
            (note.dir, note.verdict, note.responders),
            "frame {}",
            i + 1
        );
    }
    assert_eq!(count(&got, OFF), recorded_off);
    assert_eq!(
        st.counters.no_reply(DropReason::ArpResponderOff),
        recorded_off as u64
    );
    assert_eq!(st.notes_seen, file.len() as u64);
    assert!(st.recorded_verdicts);

    let (_, s) = replay_screen(&path.display().to_string(), &got, st.clone(), 160, 48);
    let title = s.lines().next().unwrap();
    assert!(title.contains("recorded verdicts"), "{title}");
    let no_reply = no_reply_on_status_bar(&s);
    assert!(
        no_reply >= recorded_off as u64,
        "status bar: no-reply {no_reply}\n{s}"
    );
}

#[test]
fn j_judges_the_recorded_capture_again_with_the_current_settings() {
    let path = asset("arp-silent.pcapng");
    let (recorded, st_rec) = replay(&path, true);
    let (again, st) = replay(&path, false);
    assert_eq!(again.len(), recorded.len());
    // With ARP on (the current setting) every request ARP-off left unanswered is answered.
    assert_eq!(count(&again, OFF), 0);
    for (r, a) in recorded.iter().zip(&again) {
        assert_eq!(r.dir, a.dir, "the recorded directions stay");
        if r.verdict == Some(OFF) {
            assert_eq!(a.verdict, Some(ARP_REPLY));
        }
    }
    assert_eq!(st.counters.no_reply(DropReason::ArpResponderOff), 0);
    assert!(!st.recorded_verdicts);
    let (_, s) = replay_screen(&path.display().to_string(), &again, st, 160, 48);
    let title = s.lines().next().unwrap();
    assert!(title.contains("judged again: ARP on ICMP on"), "{title}");

    // The key asks the run loop for that, in a replay of a capture that has notes.
    let (mut app, _) = replay_screen(&path.display().to_string(), &recorded, st_rec, 160, 48);
    app.handle(Action::Rejudge);
    assert!(app.rejudge_requested);
    let mut demo = App::new(Mode::Demo, 1 << 20);
    demo.handle(Action::Rejudge);
    assert!(!demo.rejudge_requested);
    assert!(demo.message.unwrap().error);
}

#[test]
fn a_plain_pcap_is_judged_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("arp-silent.pcap");
    let mut w = Recorder::create(&plain, &StackConfig::default()).unwrap();
    assert!(w.format_note().unwrap().contains("no comments"));
    let file = frames_with_notes(&asset("arp-silent.pcapng"));
    for (i, (data, note)) in file.iter().enumerate() {
        let ts = Duration::from_secs(1_767_603_600) + Duration::from_millis(i as u64 * 500);
        w.write(ts, data, data.len() as u32, note.as_ref()).unwrap();
    }
    w.close().unwrap();
    let magic = u32::from_be_bytes(std::fs::read(&plain).unwrap()[..4].try_into().unwrap());
    assert!(
        [0xa1b2c3d4, 0xd4c3b2a1].contains(&magic),
        "classic pcap magic, got {magic:#x}"
    );
    assert!(frames_with_notes(&plain).iter().all(|(_, n)| n.is_none()));

    let (got, st) = replay(&plain, true);
    assert_eq!(st.notes_seen, 0);
    assert_eq!(count(&got, OFF), 0, "judged with ARP on, as today");
    assert!(count(&got, ARP_REPLY) > 2);
    let (_, s) = replay_screen(&plain.display().to_string(), &got, st.clone(), 160, 48);
    assert!(s.lines().next().unwrap().contains("would have answered"));
    // `J` has nothing to switch to: it says so.
    let (mut app, _) = replay_screen(&plain.display().to_string(), &got, st.clone(), 160, 48);
    app.handle(Action::Rejudge);
    assert!(!app.rejudge_requested);

    // `respond` judges it too, the same way.
    let mut reader = CaptureReader::open(&plain).unwrap();
    let out = dir.path().join("replies.pcap");
    let mut rec = ringside::pcap::PcapRecorder::create(&out).unwrap();
    let r = ringside::cli::respond::respond(&mut reader, StackConfig::default(), &mut rec).unwrap();
    assert_eq!(r.counters.no_reply(DropReason::ArpResponderOff), 0);
    assert_eq!(r.counters, st.counters);
}

#[test]
fn w_passes_recorded_verdicts_on_and_not_fresh_judgements() {
    let path = asset("arp-silent.pcapng");
    let dir = tempfile::tempdir().unwrap();
    let (got, st) = replay(&path, true);
    let (app, _) = replay_screen(&path.display().to_string(), &got, st, 100, 30);
    let out = dir.path().join("again.pcapng");
    assert_eq!(write_history(&app, &out).unwrap() as usize, got.len());
    assert_eq!(frames_with_notes(&out), frames_with_notes(&path));

    // Judged again, the verdicts are not what happened: written without notes.
    let (got, st) = replay(&path, false);
    let (app, _) = replay_screen(&path.display().to_string(), &got, st, 100, 30);
    let out = dir.path().join("judged.pcapng");
    write_history(&app, &out).unwrap();
    assert!(frames_with_notes(&out).iter().all(|(_, n)| n.is_none()));
}

/// tshark is the reference reader: missing, the test is skipped with a line, except under CI.
fn tshark_available(test: &str) -> bool {
    if Command::new("tshark").arg("-v").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{test}: tshark is missing under CI: .ci/run must install it"
    );
    eprintln!("{test}: SKIPPED: install tshark (apt-get install tshark)");
    false
}

fn run(args: &[&str]) -> String {
    let o = Command::new(args[0]).args(&args[1..]).output().unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn tshark_shows_ringsides_comments_on_every_lesson_capture() {
    if !tshark_available("tshark_shows_ringsides_comments_on_every_lesson_capture") {
        return;
    }
    for a in ringside::lessons::assets::ASSETS {
        let path = asset(a.name);
        let p = path.to_str().unwrap();
        let comments = run(&[
            "tshark",
            "-n",
            "-r",
            p,
            "-T",
            "fields",
            "-e",
            "frame.comment",
        ]);
        let ours: Vec<String> = frames_with_notes(&path)
            .iter()
            .map(|(_, n)| n.unwrap().to_comment())
            .collect();
        assert_eq!(comments.lines().collect::<Vec<_>>(), ours, "{}", a.name);
        // The section names ringside, its version and its address.
        let info = run(&["capinfos", "-k", p]);
        assert!(
            info.contains(&format!("ringside {}", env!("CARGO_PKG_VERSION")))
                && info.contains("198.51.100.2/24 02:52:53:00:00:02"),
            "{info}"
        );
    }
    let p = asset("arp-silent.pcapng");
    let off = run(&[
        "tshark",
        "-n",
        "-r",
        p.to_str().unwrap(),
        "-Y",
        r#"frame.comment contains "verdict=arp_responder_off arp=off" && arp.opcode == 1"#,
    ]);
    assert!(off.lines().count() >= 5, "{off}");
}

#[test]
fn the_replay_screen_says_which_verdicts_it_shows_and_j_switches() {
    let Some(server) = tmux::Server::start("recorded_verdicts_j") else {
        return;
    };
    let line = format!(
        "{} replay {}; sleep 30",
        env!("CARGO_BIN_EXE_ringside"),
        asset("arp-silent.pcapng").display()
    );
    let v = server.session("v", 160, 48, &line);
    let wait_for = |needle: &str| {
        let (_, s) = v.wait_for(Duration::from_secs(15), |s| s.contains(needle));
        s
    };
    let s = wait_for("loaded");
    assert!(
        s.contains("recorded verdicts: what ringside did") && s.contains("loaded"),
        "{s}"
    );
    let recorded_no_reply = no_reply_on_status_bar(&s);
    assert!(recorded_no_reply > 0, "{s}");
    v.keys("J");
    let s = wait_for("judged again");
    assert!(s.contains("judged again: ARP on ICMP on"), "{s}");
    let s = wait_for("loaded");
    assert!(s.contains("judged again") && s.contains("loaded"), "{s}");
    // With ARP on, the requests the recording left unanswered are answered now.
    assert!(no_reply_on_status_bar(&s) < recorded_no_reply, "{s}");
    // ("recorded verdicts" alone is in the judged-again title too: "J: recorded verdicts".)
    v.keys("J");
    let s = wait_for("recorded verdicts: what ringside did");
    assert!(s.contains("recorded verdicts: what ringside did"), "{s}");
    let s = wait_for("loaded");
    assert!(no_reply_on_status_bar(&s) > 0, "{s}");
    v.keys("q");
}

/// `w` in the demo records what happened on screen: ARP switched off, requests unanswered.
#[test]
fn w_in_the_demo_records_each_frames_verdict_and_the_switches() {
    let mut l = ui_support::Lesson::with(ringside::link::sim::SimConfig {
        arp_timeout: Duration::from_secs(10),
        ..Default::default()
    });
    l.run_until(5.0);
    l.press(Action::ToggleArp);
    l.run_until(40.0);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo.pcapng");
    write_history(&l.app, &out).unwrap();
    let file = frames_with_notes(&out);
    assert_eq!(file.len(), l.app.history.len());
    for (i, (data, note)) in file.iter().enumerate() {
        let fr = l
            .app
            .history
            .get(l.app.history.first_no() + i as u64)
            .unwrap();
        let note = note.expect("every frame has a note");
        assert_eq!(data, fr.data);
        assert_eq!((note.dir, note.verdict), (fr.entry.dir, fr.entry.verdict));
    }
    let off: Vec<_> = file
        .iter()
        .filter_map(|(_, n)| *n)
        .filter(|n| n.verdict == Some(OFF))
        .collect();
    assert!(!off.is_empty(), "the unanswered requests are recorded");
    assert!(off.iter().all(|n| !n.responders.arp && n.responders.icmp));
    assert!(
        file.iter().any(|(_, n)| n.unwrap().responders.arp),
        "before `a`"
    );
}
