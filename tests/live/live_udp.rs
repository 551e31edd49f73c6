//! UDP from a real kernel: the print sink logs payloads (escaped) on stderr, the echo service
//! answers, a closed port makes the peer's connected socket see ECONNREFUSED (ICMP port
//! unreachable). The peer keeps TX checksum offload on, so ringside gets CHECKSUM_PARTIAL frames
//! (TP_STATUS_CSUMNOTREADY) and must not call them bad.
use crate::support::netns;
use netns::*;
use std::time::Duration;

const PY: &str = r#"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect(("198.51.100.2", int(sys.argv[1])))
s.send(bytes.fromhex(sys.argv[2]))
try:
    data = s.recv(65535)
    print("reply " + data.hex())
except ConnectionRefusedError:
    print("refused")
except socket.timeout:
    print("timeout")
"#;

/// Send `payload` to ringside's UDP `port` from the peer: "reply HEX", "refused" or "timeout".
pub(crate) fn udp(lab: &Lab, port: u16, payload: &[u8]) -> String {
    let hex: String = payload.iter().map(|b| format!("{b:02x}")).collect();
    let o = lab.in_peer(&["python3", "-c", PY, &port.to_string(), &hex]);
    assert!(
        o.status.success(),
        "python3 in the peer namespace: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

#[test]
fn udp_print_sink_echo_and_closed_port() {
    if !can_run("udp_print_sink_echo_and_closed_port") {
        return;
    }
    let lab = Lab::veth("udp");
    let csum = sh(&[
        "ip",
        "netns",
        "exec",
        &lab.peer_ns,
        "ethtool",
        "-k",
        "peer0",
    ]);
    let mut rs = lab.ringside(&[]);

    // Echo (port 7): the same bytes come back.
    let payload = b"hello ringside \x00\x01\xff";
    let got = udp(&lab, 7, payload);
    let want: String = payload.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(got, format!("reply {want}"), "{}", rs.stderr());

    // Print sink (port 9): nothing comes back, the payload is logged escaped, one line.
    let got = udp(&lab, 9, b"hi\x01\nthere\x1b[2J");
    assert_eq!(got, "timeout", "the print sink sends nothing back");
    assert!(
        rs.wait_stderr(
            r#"print sink (13 bytes): "hi\x01\nthere\x1b[2J""#,
            Duration::from_secs(3)
        ),
        "print-sink line missing or not escaped: {:?}",
        rs.stderr()
    );
    assert!(
        !rs.stderr().contains('\x1b'),
        "raw control bytes reached the terminal"
    );

    // Closed port: ICMP port unreachable, which the kernel turns into ECONNREFUSED.
    let got = udp(&lab, 5555, b"anyone?");
    assert_eq!(got, "refused", "{}", rs.stderr());

    let s = rs.stop();
    assert_eq!(
        s.get("bad_checksum"),
        0,
        "peer offload: {csum}\n{}",
        s.stdout
    );
    assert_eq!(s.get("udp_delivered"), 1, "{}", s.stdout);
    assert!(s.get("answered") >= 2, "{}", s.stdout);
}
