//! The configuration file, through the real binary: found where the XDG spec says (or where
//! RINGSIDE_CONFIG points), its address changes what the stack answers, a flag still wins, and
//! a bad key is one line naming the file, the line and the key (exit 2).
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_ringside");

/// `ringside respond assets/ping.pcapng` with the environment `env`: (exit code, stdout, stderr).
fn respond(env: &[(&str, &Path)], extra: &[&str]) -> (i32, String, String) {
    let out = tempfile::NamedTempFile::new().unwrap();
    let ping = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/ping.pcapng");
    let mut c = Command::new(BIN);
    c.arg("respond")
        .arg(ping)
        .arg("-w")
        .arg(out.path())
        .args(extra)
        .env_remove("RINGSIDE_CONFIG")
        .env_remove("XDG_CONFIG_HOME");
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn answered(out: &str) -> u64 {
    out.lines()
        .find_map(|l| l.strip_prefix("answered"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no answered line: {out}"))
}

#[test]
fn the_configured_address_is_the_default_and_a_flag_still_wins() {
    let home = tempfile::tempdir().unwrap();
    let (code, out, err) = respond(&[("HOME", home.path())], &[]);
    assert_eq!(code, 0, "{err}");
    let lesson = answered(&out);
    assert!(lesson > 0, "{out}");

    // ~/.config/ringside/config.toml (no XDG_CONFIG_HOME): another address, nothing answered.
    let dir = home.path().join(".config/ringside");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), "address = \"192.0.2.7/24\"\n").unwrap();
    let (code, out, err) = respond(&[("HOME", home.path())], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(answered(&out), 0, "{out}");
    // The flag wins over the file.
    let (_, out, _) = respond(&[("HOME", home.path())], &["--ip", "198.51.100.2/24"]);
    assert_eq!(answered(&out), lesson, "{out}");

    // XDG_CONFIG_HOME comes first, RINGSIDE_CONFIG before both.
    let xdg = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(xdg.path().join("ringside")).unwrap();
    std::fs::write(
        xdg.path().join("ringside/config.toml"),
        "address = \"198.51.100.2/24\"\n",
    )
    .unwrap();
    let (_, out, _) = respond(
        &[("HOME", home.path()), ("XDG_CONFIG_HOME", xdg.path())],
        &[],
    );
    assert_eq!(answered(&out), lesson, "{out}");
    let (_, out, _) = respond(
        &[
            ("HOME", home.path()),
            ("XDG_CONFIG_HOME", xdg.path()),
            ("RINGSIDE_CONFIG", &dir.join("config.toml")),
        ],
        &[],
    );
    assert_eq!(answered(&out), 0, "{out}");
}

#[test]
fn a_bad_configuration_is_one_line_naming_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.toml");
    std::fs::write(
        &file,
        "# the teacher's defaults\naddress = \"192.0.2.7/24\"\nadress = \"x\"\n",
    )
    .unwrap();
    let (code, _, err) = respond(&[("RINGSIDE_CONFIG", &file)], &[]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "ringside: error: {} line 3: unknown field `adress`",
            file.display()
        )),
        "{err}"
    );
    std::fs::write(&file, "[demo]\nspeed = 1000\n").unwrap();
    let (code, _, err) = respond(&[("RINGSIDE_CONFIG", &file)], &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("line 2") && err.contains("out of range"),
        "{err}"
    );
    let missing = dir.path().join("nope.toml");
    let (code, _, err) = respond(&[("RINGSIDE_CONFIG", &missing)], &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("nope.toml") && err.contains("RINGSIDE_CONFIG names it"),
        "{err}"
    );
}
