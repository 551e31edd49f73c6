//! `live -w`: the pcap holds every frame ringside saw and sent, and tshark agrees with ringside's
//! own count.
#[path = "common/netns.rs"]
mod netns;
use netns::*;

#[test]
fn recorded_pcap_opens_in_tshark_with_ringsides_frame_count() {
    if !can_run("recorded_pcap_opens_in_tshark_with_ringsides_frame_count") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("live.pcap");
    let lab = Lab::veth("rec");
    let rs = lab.ringside(&["-w", pcap.to_str().unwrap()]);
    let (_, rx, out) = lab.ping(56, 3, 2);
    assert_eq!(rx, 3, "{out}");
    let s = rs.stop();
    let recorded = s.get("recorded_frames");
    assert_eq!(recorded, s.get("frames_in") + s.get("frames_out"));
    assert_eq!(s.get("record_errors"), 0);

    let count = |filter: &str| -> u64 {
        let mut args = vec![
            "tshark",
            "-n",
            "-o",
            "ip.check_checksum:TRUE",
            "-r",
            pcap.to_str().unwrap(),
        ];
        if !filter.is_empty() {
            args.extend(["-Y", filter]);
        }
        sh(&args).lines().count() as u64
    };
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
