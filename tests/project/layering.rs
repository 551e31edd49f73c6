//! The layers of the README's architecture section, checked: no module of the library uses a
//! module of a layer above it. Every `crate::X` path in code counts (a `use` line, a path in an
//! expression or a type, a `pub use`), not only `use` lines; comments and string literals do not.
//!
//! Layers, bottom up (a module may use its own layer and the ones below):
//!   0  wire (header formats), sys (syscalls), crash (the panic hook; uses nothing)
//!   1  stack
//!   2  link (backends and the frame types, `link::frame`), recorded (the notes frames carry),
//!      pcap and pcapng_write (file formats, beside link: a capture file is a link), peer_kernel
//!   3  capture (the frame loops: the capture thread, `pump`, `run_lockstep`)
//!   4  ui, lessons
//!   5  cli
//!
//! Layers 0 to 3 but crash are the library crate, ringside-net (crates/net/src), whose manifest
//! keeps clap, ratatui, crossterm and anyhow out; crash, ui, lessons and cli are the program, the
//! root package (src/). Both are read here.
//!
//! `#[cfg(test)]` modules are not part of the library's graph and may drive a lower layer through
//! a higher one (the simulated LAN's tests run it through `capture::run_lockstep`).
use std::path::{Path, PathBuf};

fn layer(top: &str) -> Option<u8> {
    Some(match top {
        "wire" | "sys" | "crash" => 0,
        "stack" => 1,
        "link" | "recorded" | "pcap" | "pcapng_write" | "peer_kernel" => 2,
        "capture" => 3,
        "ui" | "lessons" => 4,
        "cli" => 5,
        _ => return None,
    })
}

/// Upward uses the layering still allows, each with its reason: (file, used top module). None
/// today; an entry here must say why the dependency cannot move down.
const EXCEPTIONS: &[(&str, &str)] = &[];

/// The source with comments and the contents of string and char literals blanked (newlines
/// kept, so offsets still give line numbers).
fn code_only(src: &str) -> Vec<u8> {
    let b = src.as_bytes();
    let mut out = b.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from..to] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            let end = b[i..]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(b.len(), |p| i + p);
            blank(&mut out, i, end);
            i = end;
        } else if b[i..].starts_with(b"/*") {
            let (mut depth, mut j) = (1, i + 2);
            while j < b.len() && depth > 0 {
                if b[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if b[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                } else {
                    j += 1;
                }
            }
            blank(&mut out, i, j);
            i = j;
        } else if b[i] == b'r'
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
            && b.get(i + 1 + b[i + 1..].iter().take_while(|&&c| c == b'#').count()) == Some(&b'"')
        {
            let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
            let start = i + 2 + hashes;
            let mut close = vec![b'"'];
            close.extend(std::iter::repeat_n(b'#', hashes));
            let end = b[start..]
                .windows(close.len())
                .position(|w| w == close.as_slice())
                .map_or(b.len(), |p| start + p + close.len());
            blank(&mut out, start, end.saturating_sub(close.len()).max(start));
            i = end;
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            blank(&mut out, i + 1, j.min(b.len()));
            i = j + 1;
        } else if b[i] == b'\'' {
            // A char literal ('x', '\n', '\u{1b}', '"') or a lifetime ('a): only literals skipped.
            if b.get(i + 1) == Some(&b'\\') {
                let end = b[i + 2..]
                    .iter()
                    .position(|&c| c == b'\'')
                    .map_or(b.len(), |p| i + 3 + p);
                blank(&mut out, i + 1, end - 1);
                i = end;
            } else if b.get(i + 2) == Some(&b'\'') {
                blank(&mut out, i + 1, i + 2);
                i += 3;
            } else {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    out
}

/// Blank every `#[cfg(test)]` item (a module or a function): attribute through its closing brace.
fn without_tests(code: &mut [u8]) {
    let pat = b"#[cfg(test)]";
    let mut i = 0;
    while let Some(p) = code[i..].windows(pat.len()).position(|w| w == pat) {
        let start = i + p;
        let Some(open) = code[start..].iter().position(|&c| c == b'{' || c == b';') else {
            break;
        };
        let mut j = start + open;
        if code[j] == b'{' {
            let mut depth = 0;
            while j < code.len() {
                match code[j] {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        let end = (j + 1).min(code.len());
        for c in &mut code[start..end] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
        i = end;
    }
}

/// Every top-level module a `crate::` path in `code` names, with its 1-based line.
fn crate_paths(code: &[u8]) -> Vec<(usize, String)> {
    let ident = |from: usize| -> (String, usize) {
        let mut j = from;
        while j < code.len() && code[j].is_ascii_whitespace() {
            j += 1;
        }
        let s = j;
        while j < code.len() && (code[j].is_ascii_alphanumeric() || code[j] == b'_') {
            j += 1;
        }
        (String::from_utf8_lossy(&code[s..j]).into_owned(), j)
    };
    let line = |at: usize| code[..at].iter().filter(|&&c| c == b'\n').count() + 1;
    let mut found = Vec::new();
    let pat = b"crate::";
    let mut i = 0;
    while let Some(p) = code[i..].windows(pat.len()).position(|w| w == pat) {
        let at = i + p;
        i = at + pat.len();
        if at > 0 && (code[at - 1].is_ascii_alphanumeric() || code[at - 1] == b'_') {
            continue; // `mycrate::` is not this crate
        }
        let mut j = i;
        while j < code.len() && code[j].is_ascii_whitespace() {
            j += 1;
        }
        if code.get(j) == Some(&b'{') {
            // `crate::{a::X, b}`: the first name of each top-level entry.
            let mut depth = 0;
            let mut expect = true;
            while j < code.len() {
                match code[j] {
                    b'{' => {
                        depth += 1;
                        if depth == 1 {
                            expect = true;
                        }
                    }
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    b',' if depth == 1 => expect = true,
                    c if depth == 1 && expect && (c.is_ascii_alphabetic() || c == b'_') => {
                        let (name, end) = ident(j);
                        found.push((line(j), name));
                        expect = false;
                        j = end;
                        continue;
                    }
                    _ => {}
                }
                j += 1;
            }
        } else {
            let (name, _) = ident(i);
            found.push((line(at), name));
        }
    }
    found
}

/// The top-level module of a file, given its path under its crate's src/ (link/sim.rs -> link,
/// pcap.rs -> pcap).
fn top_of(in_src: &Path) -> String {
    let first = in_src
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

fn violations(rel: &str, top: &str, src: &str) -> Vec<String> {
    let Some(own) = layer(top) else {
        return Vec::new();
    };
    let mut code = code_only(src);
    without_tests(&mut code);
    crate_paths(&code)
        .into_iter()
        .filter(|(_, used)| layer(used).is_some_and(|l| l > own))
        .filter(|(_, used)| !EXCEPTIONS.contains(&(rel, used.as_str())))
        .map(|(line, used)| {
            format!(
                "{rel}:{line}: {top} (layer {own}) uses crate::{used} (layer {})",
                layer(&used).unwrap()
            )
        })
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn no_module_uses_a_layer_above_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut bad = Vec::new();
    let mut tops = std::collections::BTreeSet::new();
    // Both crates: the library (crates/net) and the program, whose `crate::wire` and the like
    // are the library's modules re-exported.
    let mut files = Vec::new();
    for src in [root.join("src"), root.join("crates/net/src")] {
        let mut found = Vec::new();
        rust_files(&src, &mut found);
        assert!(!found.is_empty(), "no Rust files under {}", src.display());
        files.extend(found.into_iter().map(|f| (src.clone(), f)));
    }
    files.sort();
    for (src_dir, f) in &files {
        let rel = f.strip_prefix(root).unwrap();
        let top = top_of(f.strip_prefix(src_dir).unwrap());
        if top != "lib" && top != "main" {
            tops.insert(top.clone());
        }
        let src = std::fs::read_to_string(f).unwrap();
        bad.extend(violations(&rel.to_string_lossy(), &top, &src));
    }
    // A new top-level module must be given a layer, or it would go unchecked.
    let unplaced: Vec<_> = tops.iter().filter(|t| layer(t).is_none()).collect();
    assert!(
        unplaced.is_empty(),
        "modules without a layer in tests/project/layering.rs: {unplaced:?}"
    );
    assert!(
        bad.is_empty(),
        "imports from a layer above:\n{}",
        bad.join("\n")
    );
}

#[test]
fn every_exception_is_still_needed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (file, used) in EXCEPTIONS {
        let src = std::fs::read_to_string(root.join(file)).unwrap();
        let mut code = code_only(&src);
        without_tests(&mut code);
        assert!(
            crate_paths(&code).iter().any(|(_, u)| u == used),
            "{file} no longer uses crate::{used}: remove its exception from tests/project/layering.rs"
        );
    }
}

#[test]
fn the_checker_finds_upward_paths_in_every_form() {
    let src = r#"
//! Docs may name crate::ui freely.
use crate::stack::Stack;
use crate::{wire::Mac,
    capture::Captured};
fn f() -> crate::cli::Args { let s = "crate::ui"; let c = '"'; todo!() }
#[cfg(test)]
mod tests {
    use crate::capture::run_lockstep;
}
"#;
    let v = violations("src/link/x.rs", "link", src);
    assert_eq!(
        v,
        [
            "src/link/x.rs:5: link (layer 2) uses crate::capture (layer 3)",
            "src/link/x.rs:6: link (layer 2) uses crate::cli (layer 5)",
        ],
        "{v:#?}"
    );
    // The same paths from the top are fine.
    assert!(violations("src/cli/x.rs", "cli", src).is_empty());
}
