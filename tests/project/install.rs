//! ringside installed like a tool: the binary alone, run from anywhere, has its lessons. To be
//! sure nothing is read from the source tree, the binary runs copied out of it, in a mount
//! namespace where `assets/` and LESSONS.md of this tree are hidden (an empty tmpfs and
//! /dev/null mounted over them), from an empty working directory.
use crate::support::tmux;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_ringside");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether `unshare --user --map-root-user --mount` works here; under CI it must.
fn can_hide_sources(test: &str) -> bool {
    let ok = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: CI needs `unshare` (util-linux) and user namespaces"
        );
        eprintln!("{test}: SKIPPED: needs `unshare --user --mount` (util-linux, user namespaces)");
    }
    ok
}

/// A copy of the binary outside the source tree.
fn installed(dir: &Path) -> PathBuf {
    let bin = dir.join("ringside");
    // Copied by `cp`, not from this process: a write descriptor here would be inherited by a
    // child another test forks meanwhile, and exec of the copy could fail with ETXTBSY.
    let cp = std::process::Command::new("cp")
        .arg(BIN)
        .arg(&bin)
        .status()
        .unwrap();
    assert!(cp.success(), "cp {BIN}");
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

/// A shell line that hides this source tree's lesson files, then runs `line` in `cwd`.
fn hidden(cwd: &Path, line: &str) -> String {
    let r = root();
    format!(
        "mount -t tmpfs none {a} && mount --bind /dev/null {m} && test -z \"$(ls -A {a})\" && \
         test ! -s {m} && cd {cwd} && {line}",
        a = r.join("assets").display(),
        m = r.join("LESSONS.md").display(),
        cwd = cwd.display()
    )
}

fn unshare_sh(line: &str) -> Command {
    let mut c = Command::new("unshare");
    c.args(["--user", "--map-root-user", "--mount", "sh", "-c", line]);
    c
}

/// The lesson files of this source tree: every assets/*.pcap* and LESSONS.md.
fn lesson_files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("assets"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    v.push(root().join("LESSONS.md"));
    v
}

#[test]
fn the_binary_alone_lists_its_lessons_and_writes_their_files_byte_for_byte() {
    if !can_hide_sources("install: write-assets") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let bin = installed(tmp.path());
    let cwd = tmp.path().join("empty");
    std::fs::create_dir(&cwd).unwrap();
    let out = tmp.path().join("out");
    let line = hidden(
        &cwd,
        &format!(
            "{b} lesson --list && {b} lesson --write-assets {o}",
            b = bin.display(),
            o = out.display()
        ),
    );
    let o = unshare_sh(&line).output().unwrap();
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        said.lines().filter(|l| l.starts_with(" 1 ")).count(),
        1,
        "{said}"
    );
    assert!(said.contains("replay ping.pcap"), "{said}"); // .pcap or .pcapng
    for f in lesson_files() {
        let name = f.file_name().unwrap();
        let written = std::fs::read(out.join(name))
            .unwrap_or_else(|_| panic!("--write-assets did not write {name:?}: {said}"));
        assert!(
            written == std::fs::read(&f).unwrap(),
            "{name:?} differs from the source tree's"
        );
    }
}

#[test]
fn the_binary_alone_opens_a_lesson_in_a_terminal() {
    if !can_hide_sources("install: open lesson") {
        return;
    }
    if Command::new("tmux").arg("-V").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "CI must have tmux");
        eprintln!("install: open lesson: SKIPPED: tmux not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let bin = installed(tmp.path());
    let line = hidden(tmp.path(), &format!("{} lesson 5; sleep 30", bin.display()));
    let caption = &ringside::lessons::lesson(5).unwrap().caption[..30];
    let screen = in_terminal(
        "lesson5",
        &format!("unshare --user --map-root-user --mount sh -c '{line}'"),
        &[caption, "198.51.100.1"],
    );
    assert!(!screen.contains("error"), "{screen}");
}

/// Run `line` in a tmux terminal of its own (120x40) until the screen shows every `want`
/// (panics after 15 s), press q, and return the screen.
fn in_terminal(tag: &str, line: &str, want: &[&str]) -> String {
    let server = tmux::Server::start(&format!("install-{tag}")).expect("the caller checked tmux");
    let t = server.session("t", 120, 40, line);
    let (_, screen) = t.wait_for(Duration::from_secs(15), |screen| {
        want.iter().all(|w| screen.contains(w))
    });
    assert!(
        want.iter().all(|w| screen.contains(w)),
        "`{line}` did not show {want:?}:\n{screen}"
    );
    t.keys("q");
    screen
}

fn ringside(args: &[&str]) -> String {
    let o = Command::new(BIN).args(args).output().unwrap();
    assert!(
        o.status.success(),
        "ringside {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// `man --warnings -l PAGE`: (rendered text, warnings).
fn man(page: &Path) -> (String, String) {
    let o = Command::new("man")
        .args(["--warnings", "-l"])
        .arg(page)
        .env("MANWIDTH", "80")
        .env("MANPAGER", "cat")
        .output()
        .expect("man (apt-get install man-db groff-base)");
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn every_man_page_renders_without_warnings_and_holds_the_long_explanations() {
    if Command::new("man").arg("-V").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "CI must have man-db");
        eprintln!("man pages: SKIPPED: install man-db groff-base");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let listed = ringside(&["man", "--out", dir.path().to_str().unwrap()]);
    let pages: Vec<&str> = listed.lines().collect();
    for want in [
        "ringside.1",
        "ringside-lab.1",
        "ringside-lab-up.1",
        "ringside-live.1",
    ] {
        assert!(pages.iter().any(|p| p.ends_with(want)), "{want}: {listed}");
    }
    for p in &pages {
        let (text, warnings) = man(Path::new(p));
        assert!(warnings.is_empty(), "{p}: {warnings}");
        assert!(
            text.contains("NAME") && text.contains("SYNOPSIS"),
            "{p}:\n{text}"
        );
    }
    // The top page: the description, the files and environment it reads, the other pages.
    let (top, _) = man(&dir.path().join("ringside.1"));
    for want in [
        "FILES",
        "config.toml",
        "RINGSIDE_CONFIG",
        "NO_COLOR",
        "ringside-lab(1)",
    ] {
        assert!(top.contains(want), "{want}:\n{top}");
    }
    // `ringside man lab up` is the same page as the file; its long text is not in --help.
    let up = ringside(&["man", "lab", "up"]);
    assert_eq!(
        up.as_bytes(),
        std::fs::read(dir.path().join("ringside-lab-up.1")).unwrap()
    );
    assert!(up.contains("unprivileged user namespaces"));
    let help = ringside(&["lab", "up", "--help"]);
    assert!(!help.contains("unprivileged user namespaces"), "{help}");
    assert!(help.lines().count() < 15, "--help stays short:\n{help}");
}

#[test]
fn the_bash_completion_script_loads_and_completes_subcommands_and_flags() {
    let script = format!(
        "source <({BIN} completions bash) && complete -p ringside && \
         COMP_WORDS=(ringside la); COMP_CWORD=1; _ringside ringside la ringside; \
         echo \"1:${{COMPREPLY[*]}}\"; \
         COMP_WORDS=(ringside lab exec --p); COMP_CWORD=3; _ringside ringside --p exec; \
         echo \"2:${{COMPREPLY[*]}}\""
    );
    let o = Command::new("bash").args(["-c", &script]).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("-F _ringside ringside"), "{out}");
    assert!(out.lines().any(|l| l == "1:lab"), "{out}");
    assert!(out.lines().any(|l| l == "2:--peer"), "{out}");
    for shell in ["zsh", "fish"] {
        let s = ringside(&["completions", shell]);
        assert!(s.contains("ringside") && s.contains("lesson"), "{shell}");
    }
}

/// The .deb CI builds with `.ci/deb` before `cargo test`, if there is one.
fn built_deb() -> Option<PathBuf> {
    let dir = root().join("target/debian");
    let mut debs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    debs.retain(|p| {
        let n = p.file_name().unwrap().to_string_lossy();
        n.starts_with("ringside_") && n.ends_with(".deb")
    });
    debs.sort();
    debs.pop()
}

#[test]
fn the_deb_installs_a_binary_that_runs_its_lessons_and_demo_with_man_pages_and_completions() {
    let Some(deb) = built_deb() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must build the .deb with .ci/deb before cargo test"
        );
        eprintln!("deb: SKIPPED: no target/debian/ringside_*.deb (build it with .ci/deb)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("root");
    let info = Command::new("dpkg-deb")
        .arg("-I")
        .arg(&deb)
        .output()
        .unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(
        info.contains("Package: ringside") && info.contains("Depends: libc6"),
        "{info}"
    );
    let st = Command::new("dpkg-deb")
        .arg("-x")
        .arg(&deb)
        .arg(&dest)
        .status()
        .unwrap();
    assert!(st.success());
    let at = |p: &str| dest.join(p);
    for f in [
        "usr/bin/ringside",
        "usr/share/man/man1/ringside.1.gz",
        "usr/share/man/man1/ringside-lab-up.1.gz",
        "usr/share/bash-completion/completions/ringside",
        "usr/share/zsh/vendor-completions/_ringside",
        "usr/share/fish/vendor_completions.d/ringside.fish",
        "usr/share/doc/ringside/README.md",
        "usr/share/doc/ringside/LESSONS.md",
    ] {
        assert!(at(f).is_file(), "{f} not in {}", deb.display());
    }
    let note = std::fs::read_to_string(at("usr/share/doc/ringside/README.Debian")).unwrap();
    assert!(note.contains("sudo setcap cap_net_raw,cap_net_admin+ep /usr/bin/ringside"));
    // `man ringside` after installing: the installed page renders without warnings.
    if Command::new("man").arg("-V").output().is_ok() {
        let (text, warnings) = man(&at("usr/share/man/man1/ringside.1.gz"));
        assert!(warnings.is_empty(), "{warnings}");
        assert!(text.contains("ringside-lab(1)"), "{text}");
    }
    let bin = at("usr/bin/ringside");
    let bin = bin.to_str().unwrap();
    // The installed binary, from a directory with nothing in it.
    let cwd = tempfile::tempdir().unwrap();
    let o = Command::new(bin)
        .args(["lesson", "--list"])
        .current_dir(cwd.path())
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && list.lines().count() == ringside::lessons::LESSONS.len(),
        "{list}"
    );
    let comp = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {} && complete -p ringside",
            at("usr/share/bash-completion/completions/ringside").display()
        ))
        .output()
        .unwrap();
    assert!(comp.status.success(), "{comp:?}");
    if Command::new("tmux").arg("-V").output().is_ok() {
        in_terminal(
            "deb-demo",
            &format!("cd {} && {bin} demo; sleep 30", cwd.path().display()),
            &["simulated LAN"],
        );
    } else {
        assert!(std::env::var_os("CI").is_none(), "CI must have tmux");
    }
}

#[test]
fn cargo_install_gives_a_binary_that_has_its_lessons_anywhere() {
    let bin = root().join("target/cargo-install/bin/ringside");
    if !bin.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run `cargo install --path . --root target/cargo-install` (.ci/deb) first"
        );
        eprintln!("cargo install: SKIPPED: run .ci/deb (it installs into target/cargo-install)");
        return;
    }
    let cwd = tempfile::tempdir().unwrap();
    let out = cwd.path().join("lessons");
    let o = Command::new(&bin)
        .args(["lesson", "--write-assets"])
        .arg(&out)
        .current_dir(cwd.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    for f in lesson_files() {
        let name = f.file_name().unwrap();
        assert!(
            std::fs::read(out.join(name)).ok() == std::fs::read(&f).ok(),
            "{name:?}: the installed binary's copy differs from the source tree's (stale install?)"
        );
    }
}
