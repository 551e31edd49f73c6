//! What a user sees when the input is wrong, through the real binary: a missing, unreadable or
//! not-a-capture file is a usage error (exit 2) in every command that reads one, on one line that
//! says what to give instead; bad flags are one line and exit 2 too.
use std::path::Path;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_ringside");

/// (exit code, stderr). stdin/stdout are not a terminal, as in a script.
fn ringside(args: &[&str]) -> (i32, String) {
    let o = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("running ringside");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn assert_usage_error(args: &[&str], says: &str) {
    let (code, err) = ringside(args);
    assert_eq!(code, 2, "{args:?}: exit code; stderr: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err}");
    assert!(err.starts_with("ringside: error: "), "{args:?}: {err}");
    assert!(err.contains(says), "{args:?}: expected {says:?} in: {err}");
}

/// Every command that reads a capture, with `file` as its input.
fn readers(file: &str, out: &str) -> Vec<Vec<String>> {
    [
        vec!["dump", file],
        vec!["dump", "--json", file],
        vec!["respond", file, "-w", out],
        vec!["replay", file],
    ]
    .into_iter()
    .map(|v| v.into_iter().map(String::from).collect())
    .collect()
}

fn each(file: &Path, dir: &Path, says: &str) {
    let out = dir.join("out.pcap");
    for args in readers(file.to_str().unwrap(), out.to_str().unwrap()) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_usage_error(&args, says);
    }
    assert!(
        !out.exists(),
        "respond wrote {} for a bad input",
        out.display()
    );
}

#[test]
fn a_missing_capture_is_a_usage_error_that_says_what_to_give() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("capture.pcap");
    each(
        &missing,
        dir.path(),
        &format!(
            "{}: no such file (give the path to a pcap or pcapng file)",
            missing.display()
        ),
    );
}

#[test]
fn a_directory_or_a_file_that_is_no_capture_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    each(dir.path(), dir.path(), "is a directory");
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "these are not packets\n").unwrap();
    each(&text, dir.path(), "not a pcap or pcapng file");
    let empty = dir.path().join("empty.pcap");
    std::fs::write(&empty, b"").unwrap();
    each(&empty, dir.path(), "not a capture file");
}

#[test]
fn a_lesson_whose_capture_is_missing_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    // Lesson 1 opens a capture; an empty assets directory does not have it.
    assert_usage_error(
        &["lesson", "1", "--assets", d],
        "ringside lesson --write-assets",
    );
    assert_usage_error(&["lesson", "99"], "there is no lesson 99");
}

#[test]
fn bad_flags_are_one_line_and_exit_2() {
    assert_usage_error(
        &[
            "respond",
            "x.pcap",
            "-w",
            "y.pcap",
            "--ip",
            "198.51.100.2/33",
        ],
        "prefix length 33 is over 32",
    );
    assert_usage_error(&["replay", "x.pcap", "--arp-timeout", "0"], "out of range");
    assert_usage_error(&["live", "-i", "rs0"], "--ip");
    assert_usage_error(&["dump"], "required");
}

#[test]
fn a_good_capture_still_works() {
    let asset = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/udp-exchange.pcapng");
    let o = Command::new(BIN)
        .args(["dump", asset.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).lines().count() > 1);
}
