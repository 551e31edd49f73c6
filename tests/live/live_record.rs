//! `live -w`: the capture holds every frame ringside saw and sent, and tshark agrees with
//! ringside's own count. A `.pcapng` name records ringside's verdict beside each frame (tshark
//! reads the comments); a `.pcap` name gives classic pcap, and ringside says it has no verdicts.
use crate::support::netns;
use netns::*;
use std::time::Duration;

#[test]
fn recorded_pcap_opens_in_tshark_with_ringsides_frame_count() {
    if !can_run("recorded_pcap_opens_in_tshark_with_ringsides_frame_count") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("live.pcap");
    let lab = Lab::veth("rec");
    let mut rs = lab.ringside(&["-w", pcap.to_str().unwrap()]);
    assert!(
        rs.wait_stderr("classic pcap has no comments", Duration::from_secs(3)),
        "a .pcap name must say the verdicts are not recorded: {}",
        rs.stderr()
    );
    let (_, rx, out) = lab.ping(56, 3, 2);
    assert_eq!(rx, 3, "{out}");
    let s = rs.stop();
    let recorded = s.get("recorded_frames");
    assert_eq!(recorded, s.get("frames_in") + s.get("frames_out"));
    assert_eq!(s.get("record_errors"), 0);

    let count = |filter: &str| tshark_count(&pcap, filter);
    assert_eq!(count(""), recorded, "tshark frame count vs ringside's");
    // ringside's own replies are in it: 3 echo replies from 198.51.100.2, one ARP reply at least.
    assert_eq!(count("icmp.type == 0 && ip.src == 198.51.100.2"), 3);
    assert!(count("arp.opcode == 2") >= 1);
    // and tshark (checking IPv4 checksums too) finds their checksums right.
    assert_eq!(
        count(
            r#"icmp.type == 0 && icmp.checksum.status == "Good" && ip.checksum.status == "Good""#
        ),
        3
    );
}

/// tshark's values of `field` for each frame matching `filter` (all frames when empty).
fn tshark_fields(file: &std::path::Path, filter: &str, field: &str) -> Vec<String> {
    let mut args = vec!["tshark", "-n", "-r", file.to_str().unwrap()];
    if !filter.is_empty() {
        args.extend(["-Y", filter]);
    }
    args.extend(["-T", "fields", "-e", field]);
    sh(&args).lines().map(str::to_string).collect()
}

#[test]
fn recorded_pcapng_carries_ringsides_verdicts_that_tshark_reads() {
    if !can_run("recorded_pcapng_carries_ringsides_verdicts_that_tshark_reads") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("live.pcapng");
    let lab = Lab::veth("recng");
    let mut rs = lab.ringside(&["-w", file.to_str().unwrap()]);
    let (_, rx, out) = lab.ping(56, 3, 2);
    assert_eq!(rx, 3, "{out}");
    // The lesson's failure, live: ARP off, the peer forgets ringside, its requests go unanswered.
    rs.signal(libc::SIGUSR1);
    assert!(rs.wait_stderr("SIGUSR1: ARP responder now off", Duration::from_secs(3)));
    sh(&["ip", "-n", &lab.peer_ns, "neigh", "flush", "all"]);
    let (_, rx, out) = lab.ping(56, 1, 2);
    assert_eq!(
        rx, 0,
        "ARP off and the entry flushed, yet ping worked: {out}"
    );
    let s = rs.stop();
    assert_eq!(s.get("record_errors"), 0);
    let recorded = s.get("recorded_frames");

    let comments = tshark_fields(&file, "", "frame.comment");
    assert_eq!(
        comments.len() as u64,
        recorded,
        "tshark frame count vs ringside's"
    );
    assert!(
        comments.iter().all(|c| c.starts_with("ringside: dir=")),
        "every frame carries ringside's note: {comments:#?}"
    );
    let with = |needle: &str| comments.iter().filter(|c| c.contains(needle)).count() as u64;
    assert_eq!(with("dir=in "), s.get("frames_in"));
    assert_eq!(with("dir=out "), s.get("frames_out"));
    assert_eq!(
        with("verdict=arp_responder_off arp=off"),
        s.get("arp_responder_off")
    );
    assert!(s.get("arp_responder_off") >= 1, "{}", s.stdout);
    // The three pings were answered with both responders on, and the replies are ringside's.
    let answered = tshark_fields(
        &file,
        "icmp.type == 8 && frame.comment contains \"verdict=echo_reply\"",
        "frame.comment",
    );
    assert_eq!(answered.len(), 3, "{answered:#?}");
    assert!(answered.iter().all(|c| c.ends_with("arp=on icmp=on")));
    let replies = tshark_fields(&file, "icmp.type == 0", "frame.comment");
    assert_eq!(replies.len(), 3);
    assert!(replies.iter().all(|c| c.starts_with("ringside: dir=out")));
    // The unanswered requests are the peer's ARP requests for ringside, recorded as such.
    let unanswered = tshark_fields(
        &file,
        "frame.comment contains \"arp_responder_off\"",
        "arp.dst.proto_ipv4",
    );
    assert!(
        unanswered.iter().all(|ip| ip == "198.51.100.2"),
        "{unanswered:#?}"
    );
    // The section names ringside and its address.
    let info = sh(&["capinfos", "-k", file.to_str().unwrap()]);
    assert!(
        info.contains("ringside") && info.contains("198.51.100.2/24"),
        "{info}"
    );
}
