//! The real binary in a real terminal: a tmux server of the test process's own (`-L`, named
//! with the pid, so concurrent tests and other tmux users never share, start or stop each
//! other's server), kept up by an idle session for the whole test and killed when the
//! [`Server`] drops, whatever happened. Tests in one binary run as threads of one process, so
//! the socket is named with the test's name too: pass each test its own.
#![allow(dead_code)]
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub struct Server {
    socket: String,
}

impl Server {
    /// Start a server for `test`. `None` (with one line saying what to install) when tmux is
    /// missing outside CI; under CI (`CI` set) a missing tmux fails the test.
    pub fn start(test: &str) -> Option<Server> {
        if !Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            assert!(
                std::env::var_os("CI").is_none(),
                "{test}: tmux is missing; CI must run this test (.ci/run installs tmux)"
            );
            eprintln!("{test}: SKIPPED: tmux is not installed (apt-get install tmux)");
            return None;
        }
        let s = Server {
            socket: format!("ringside-{test}-{}", std::process::id()),
        };
        let keep = s.run(&["new-session", "-d", "-s", "keep", "sleep 3600"]);
        assert!(
            keep.status.success(),
            "tmux: {}",
            String::from_utf8_lossy(&keep.stderr)
        );
        Some(s)
    }

    pub fn command(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]);
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("running tmux")
    }

    /// A detached session `name`, `w`x`h`, running `shell_line` under sh.
    pub fn session(&self, name: &str, w: u16, h: u16, shell_line: &str) -> Session<'_> {
        let (w, h) = (w.to_string(), h.to_string());
        let o = self.run(&[
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            &w,
            "-y",
            &h,
            shell_line,
        ]);
        assert!(
            o.status.success(),
            "tmux new-session {name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        // Keep the pane after its command ends, so its last screen can be read.
        self.run(&["set-option", "-t", name, "remain-on-exit", "on"]);
        Session {
            server: self,
            name: name.to_string(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

pub struct Session<'a> {
    server: &'a Server,
    pub name: String,
}

impl Session<'_> {
    pub fn screen(&self) -> String {
        let o = self.server.run(&["capture-pane", "-p", "-t", &self.name]);
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// tmux's view of the pane, e.g. `#{alternate_on}`.
    pub fn format(&self, fmt: &str) -> String {
        let o = self.server.run(&["display", "-p", "-t", &self.name, fmt]);
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    }

    pub fn keys(&self, k: &str) {
        self.server.run(&["send-keys", "-t", &self.name, k]);
    }

    /// Wait (polling, up to `limit`) until `pred(screen)` holds; the last screen either way.
    /// The limit only bounds a hang: nothing is measured by it.
    pub fn wait_for(&self, limit: Duration, pred: impl Fn(&str) -> bool) -> (bool, String) {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                return (true, s);
            }
            if start.elapsed() > limit {
                return (false, s);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// [`wait_for`](Self::wait_for), failing the test with the last screen when `limit` runs
    /// out; `what` names what was awaited.
    pub fn wait_until(&self, what: &str, limit: Duration, pred: impl Fn(&str) -> bool) -> String {
        let (ok, s) = self.wait_for(limit, pred);
        assert!(ok, "timed out waiting for {what}; screen:\n{s}");
        s
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        let _ = self.server.run(&["kill-session", "-t", &self.name]);
    }
}

/// A shell line that runs `cmd`, then prints its exit status and the terminal's line
/// discipline flags (`icanon`/`-icanon`, `echo`/`-echo`: raw mode left on shows the `-` forms),
/// then waits to be read.
pub fn run_then_report(cmd: &str) -> String {
    format!(
        "{cmd}; echo \"rc=$?\"; stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; echo; sleep 600"
    )
}

/// The terminal after `run_then_report`'s command ended: back on the main screen, cursor shown,
/// mouse reporting off, canonical mode and echo on. `Err` says what was left wrong.
pub fn check_restored(s: &Session<'_>, screen: &str) -> Result<(), String> {
    let mut wrong = Vec::new();
    if s.format("#{alternate_on}") != "0" {
        wrong.push("still on the alternate screen");
    }
    if s.format("#{cursor_flag}") != "1" {
        wrong.push("cursor hidden");
    }
    if s.format("#{mouse_any_flag}") != "0" || s.format("#{mouse_standard_flag}") != "0" {
        wrong.push("mouse reporting left on");
    }
    let flags: Vec<&str> = screen
        .lines()
        .flat_map(|l| l.split_whitespace())
        .filter(|w| matches!(*w, "icanon" | "-icanon" | "echo" | "-echo"))
        .collect();
    if !(flags.contains(&"icanon") && flags.contains(&"echo"))
        || flags.iter().any(|f| f.starts_with('-'))
    {
        wrong.push("raw mode left on (stty shows no icanon/echo)");
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join(", "))
    }
}
