//! `ringside dump` keeps its output byte for byte (issue 13: dump was made faster, and a
//! script reading its TSV or JSON lines must not notice): every lesson capture, the randpkt
//! corpus and seeded corpora of valid, hostile, odd, IPv6, truncated, cooked and raw-IP frames,
//! dumped as TSV and as JSON lines by the real binary, equal what they were when the files under
//! tests/golden/dump/ were written (before the change). Each golden file holds one 64-bit
//! FNV-1a hash per output line (the outputs are megabytes; the hashes name the first line that
//! differs, and `ringside dump` shows it). `UPDATE_GOLDEN=1 cargo test --test dump_golden`
//! rewrites them, for a deliberate change of the output.
use crate::support::corpus_gen;

use corpus_gen::*;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_ringside");

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// (name, capture) pairs: the checked-in captures, and corpora written into `dir`.
fn captures(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut add_dir = |d: &Path, prefix: &str| {
        let mut files: Vec<PathBuf> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
            .collect();
        files.sort();
        for p in files {
            let name = format!("{prefix}{}", p.file_name().unwrap().to_string_lossy());
            out.push((name, p));
        }
    };
    add_dir(&root().join("assets"), "");
    add_dir(&root().join("assets/corpus/randpkt"), "randpkt-");
    let mut gen = |name: &str, recs: Vec<Rec>, link: u32| {
        let p = dir.join(name);
        write_pcap_link(&p, link, &recs);
        out.push((name.to_string(), p));
    };
    gen("valid.pcap", valid_corpus(11, 400), 1);
    gen("hostile.pcap", hostile_corpus(12, 400), 1);
    gen("odd.pcap", odd_corpus(13, 300), 1);
    gen("ipv6.pcap", ipv6_corpus(14, 300), 1);
    gen("truncations.pcap", truncation_sweep(&sweep_bases(15, 4)), 1);
    let base = valid_corpus(16, 150);
    gen("sll.pcap", to_sll(&mut Rng::new(17), &base, false), 113);
    gen("sll2.pcap", to_sll(&mut Rng::new(18), &base, true), 276);
    gen("raw-ip.pcap", to_raw_ip(&base, false), 101);
    out
}

/// FNV-1a, 64 bits, of each line, as 16 hex digits a line.
fn line_hashes(out: &[u8]) -> String {
    let mut s = String::new();
    for line in out.split_inclusive(|&b| b == b'\n') {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in line {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        s.push_str(&format!("{h:016x}\n"));
    }
    s
}

fn dump(path: &Path, args: &[&str]) -> Vec<u8> {
    let o = Command::new(BIN)
        .arg("dump")
        .arg(path)
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "dump {} {args:?}: {}",
        path.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

#[test]
fn dump_output_is_byte_identical_to_the_golden_files() {
    let dir = tempfile::tempdir().unwrap();
    let golden = root().join("tests/golden/dump");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    if update {
        std::fs::create_dir_all(&golden).unwrap();
    }
    let mut checked = 0;
    let mut differ = Vec::new();
    for (name, path) in captures(dir.path()) {
        for (ext, args) in [("tsv", &["--tsv"][..]), ("jsonl", &["--json"][..])] {
            let out = dump(&path, args);
            assert!(out.len() > 100, "{name}.{ext}: {} bytes", out.len());
            let got = line_hashes(&out);
            let file = golden.join(format!("{name}.{ext}.fnv"));
            if update {
                std::fs::write(&file, &got).unwrap();
                continue;
            }
            let want = std::fs::read_to_string(&file).unwrap_or_else(|e| {
                panic!(
                    "{}: {e} (UPDATE_GOLDEN=1 cargo test --test dump_golden writes it)",
                    file.display()
                )
            });
            if got != want {
                // The first line that differs, to say where.
                let line = got
                    .lines()
                    .zip(want.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or_else(|| got.lines().count().min(want.lines().count()));
                differ.push(format!("{name}.{ext} (line {})", line + 1));
            }
            checked += 1;
        }
    }
    assert!(differ.is_empty(), "dump output changed: {differ:?}");
    if !update {
        assert!(checked >= 2 * 20, "{checked} outputs compared");
    }
}

/// `--frame N` prints the header and that one frame's row, as the full dump has it.
#[test]
fn one_frame_is_the_full_dumps_row() {
    let p = root().join("assets/ping.pcapng");
    let all = String::from_utf8(dump(&p, &["--tsv"])).unwrap();
    let one = String::from_utf8(dump(&p, &["--tsv", "--frame", "3"])).unwrap();
    let lines: Vec<&str> = all.lines().collect();
    assert_eq!(one, format!("{}\n{}\n", lines[0], lines[3]));
    let all = String::from_utf8(dump(&p, &["--json"])).unwrap();
    let one = String::from_utf8(dump(&p, &["--json", "--frame", "3"])).unwrap();
    assert_eq!(one, format!("{}\n", all.lines().nth(2).unwrap()));
}
