//! The teacher's defaults: `$XDG_CONFIG_HOME/ringside/config.toml` (else
//! `~/.config/ringside/config.toml`), or the file `RINGSIDE_CONFIG` names. Every key is a flag's
//! default; a flag on the command line still wins. A missing file is no error; a bad one is one
//! line naming the file, the line and the key.
//!
//! ```toml
//! address = "198.51.100.2/24"   # --ip of live, replay and respond
//! mac = "02:52:53:00:00:02"     # --mac of live, replay and respond
//! arp_timeout = 60              # --arp-timeout of live, replay and respond: ringside's ARP cache
//! theme = "light"               # --theme: dark, light, high-contrast or no-color
//!
//! [demo]                        # `ringside` and `ringside demo`
//! speed = 1.0                   # --speed
//! arp_timeout = 15              # --arp-timeout: the simulated PC's entry for ringside
//! ```
use super::UsageError;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// ringside's address and prefix, as `--ip` takes it.
    #[serde(default, deserialize_with = "de::address")]
    pub address: Option<String>,
    /// ringside's MAC, as `--mac` takes it.
    #[serde(default, deserialize_with = "de::mac")]
    pub mac: Option<String>,
    /// Seconds an ARP entry lives in ringside's cache.
    #[serde(default, deserialize_with = "de::seconds")]
    pub arp_timeout: Option<String>,
    /// The screen's colours, as `--theme` takes them.
    #[serde(default)]
    pub theme: Option<crate::ui::text::Theme>,
    #[serde(default)]
    pub demo: Demo,
}

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Demo {
    /// Simulated seconds per real second.
    #[serde(default, deserialize_with = "de::speed")]
    pub speed: Option<String>,
    /// The simulated PC's ARP entry lifetime, simulated seconds.
    #[serde(default, deserialize_with = "de::seconds")]
    pub arp_timeout: Option<String>,
}

/// Values are checked by the flags' own parsers, and kept as the text a flag would get, so a
/// key means exactly what its flag means.
mod de {
    use serde::de::{Deserializer, Error};
    use serde::Deserialize;

    /// A string, or a number written as one (`arp_timeout = 60` or `"60"`).
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        S(String),
        I(i64),
        F(f64),
    }

    fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(match Text::deserialize(d)? {
            Text::S(s) => s,
            Text::I(i) => i.to_string(),
            Text::F(f) => f.to_string(),
        })
    }

    fn checked<'de, D: Deserializer<'de>, T>(
        d: D,
        parse: fn(&str) -> Result<T, String>,
    ) -> Result<Option<String>, D::Error> {
        let s = text(d)?;
        parse(&s).map_err(D::Error::custom)?;
        Ok(Some(s))
    }

    pub fn address<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        checked(d, crate::cli::parse_ipv4_prefix)
    }
    pub fn mac<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        checked(d, crate::cli::parse_mac_arg)
    }
    pub fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        checked(d, crate::cli::parse_seconds)
    }
    pub fn speed<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        checked(d, |s| {
            let (lo, hi) = crate::link::sim::SPEED_RANGE;
            match s.parse::<f64>() {
                Ok(v) if (lo..=hi).contains(&v) => Ok(v),
                _ => Err(format!("speed {s:?} is out of range: use {lo} to {hi}")),
            }
        })
    }
}

/// Where the configuration is read from: `RINGSIDE_CONFIG`, else the XDG place. None when
/// neither names a place (no HOME).
pub fn path() -> Option<PathBuf> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(p) = var("RINGSIDE_CONFIG") {
        return Some(PathBuf::from(p));
    }
    let base = var("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("ringside").join("config.toml"))
}

/// Parse `text` (from `file`, for messages).
pub fn parse(file: &Path, text: &str) -> Result<Config, UsageError> {
    toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        let at = line.map(|l| format!(" line {l}")).unwrap_or_default();
        let msg = e.message().trim().replace('\n', " ");
        UsageError(format!(
            "{}{at}: {msg} (fix it, or see `man ringside` for the keys)",
            file.display()
        ))
    })
}

/// Read the configuration: the defaults when there is no file, a [`UsageError`] for a bad one.
/// A file `RINGSIDE_CONFIG` names must exist.
pub fn load() -> Result<Config, UsageError> {
    let Some(path) = path() else {
        return Ok(Config::default());
    };
    let named = std::env::var_os("RINGSIDE_CONFIG").is_some();
    // The default place may not exist, or be out of reach (HOME of another user, under sudo or
    // setpriv): then there is no configuration. A file that is there must be readable.
    if !named && !path.try_exists().unwrap_or(false) {
        return Ok(Config::default());
    }
    match std::fs::read_to_string(&path) {
        Ok(text) => parse(&path, &text),
        Err(e) if named => Err(UsageError(format!(
            "{}: {e} (RINGSIDE_CONFIG names it: fix the path or unset it)",
            path.display()
        ))),
        Err(e) => Err(UsageError(format!("{}: {e}", path.display()))),
    }
}

impl Config {
    /// The command line with this configuration's values as the flags' defaults.
    pub fn apply(&self, mut cmd: clap::Command) -> clap::Command {
        for sub in ["live", "replay", "respond"] {
            cmd = cmd.mut_subcommand(sub, |mut c| {
                if let Some(v) = &self.address {
                    // live requires --ip only when nothing else gives it.
                    c = c.mut_arg("ip", |a| a.required(false).default_value(v.clone()));
                }
                if let Some(v) = &self.mac {
                    c = c.mut_arg("mac", |a| a.default_value(v.clone()));
                }
                if let Some(v) = &self.arp_timeout {
                    c = c.mut_arg("arp_timeout", |a| a.default_value(v.clone()));
                }
                c
            });
        }
        cmd.mut_subcommand("demo", |mut c| {
            if let Some(v) = &self.demo.speed {
                c = c.mut_arg("speed", |a| a.default_value(v.clone()));
            }
            if let Some(v) = &self.demo.arp_timeout {
                c = c.mut_arg("arp_timeout", |a| a.default_value(v.clone()));
            }
            c
        })
    }

    /// What plain `ringside` (the demo, no flags) runs with.
    pub fn demo_args(&self) -> super::demo::DemoArgs {
        let mut a = super::demo::DemoArgs::default();
        if let Some(v) = self.demo.speed.as_deref().and_then(|v| v.parse().ok()) {
            a.speed = v;
        }
        if let Some(d) = self.demo.arp_timeout.as_deref() {
            if let Ok(d) = super::parse_seconds(d) {
                a.arp_timeout = d.as_secs_f64();
            }
        }
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(Path::new("/home/t/.config/ringside/config.toml"), text)
            .unwrap_err()
            .0
    }

    #[test]
    fn every_key_parses_and_numbers_may_be_written_bare() {
        let c = parse(
            Path::new("c.toml"),
            "address = \"192.0.2.7/24\"\nmac = \"02:00:00:00:00:07\"\narp_timeout = 0.5\n\
             theme = \"high-contrast\"\n\
             [demo]\nspeed = 2\narp_timeout = 10\n",
        )
        .unwrap();
        assert_eq!(c.address.as_deref(), Some("192.0.2.7/24"));
        assert_eq!(c.mac.as_deref(), Some("02:00:00:00:00:07"));
        assert_eq!(c.arp_timeout.as_deref(), Some("0.5"));
        assert_eq!(c.demo.speed.as_deref(), Some("2"));
        assert_eq!(c.theme, Some(crate::ui::text::Theme::HighContrast));
        assert!(err("theme = \"pink\"\n").contains("line 1"));
        let d = c.demo_args();
        assert_eq!((d.speed, d.arp_timeout), (2.0, 10.0));
        assert_eq!(parse(Path::new("c"), "").unwrap(), Config::default());
    }

    #[test]
    fn the_file_gives_defaults_and_flags_still_win() {
        use crate::cli::{Cli, Command};
        use clap::{CommandFactory, FromArgMatches};
        let c = parse(
            Path::new("c.toml"),
            "address = \"192.0.2.7/24\"\narp_timeout = 2\n[demo]\nspeed = 4\narp_timeout = 9\n",
        )
        .unwrap();
        let run = |args: &[&str]| {
            let m = c
                .apply(Cli::command())
                .try_get_matches_from(std::iter::once("ringside").chain(args.iter().copied()))
                .unwrap();
            Cli::from_arg_matches(&m).unwrap().command.unwrap()
        };
        let Command::Live(l) = run(&["live", "-i", "rs0"]) else {
            panic!()
        };
        assert_eq!(l.stack.ip, Some(("192.0.2.7".parse().unwrap(), 24)));
        assert_eq!(l.stack.arp_timeout.as_secs(), 2);
        let Command::Replay(r) = run(&["replay", "x", "--ip", "198.51.100.2/24"]) else {
            panic!()
        };
        assert_eq!(r.stack.ip, Some(("198.51.100.2".parse().unwrap(), 24)));
        let Command::Demo(d) = run(&["demo"]) else {
            panic!()
        };
        assert_eq!((d.speed, d.arp_timeout), (4.0, 9.0));
        let Command::Demo(d) = run(&["demo", "--speed", "0.5"]) else {
            panic!()
        };
        assert_eq!((d.speed, d.arp_timeout), (0.5, 9.0));
    }

    #[test]
    fn a_bad_file_is_one_line_naming_the_file_the_line_and_the_key() {
        let e = err("mac = \"02:00:00:00:00:07\"\n\nadress = \"192.0.2.7/24\"\n");
        assert!(
            e.starts_with("/home/t/.config/ringside/config.toml line 3: unknown field `adress`"),
            "{e}"
        );
        assert!(!e.contains('\n'), "{e}");
        let e = err("[demo]\nspeed = 1000\n");
        assert!(e.contains("line 2") && e.contains("out of range"), "{e}");
        let e = err("arp_timeout = \"soon\"\n");
        assert!(
            e.contains("line 1") && e.contains("not a number of seconds"),
            "{e}"
        );
        let e = err("address = \"198.51.100/24\"\n");
        assert!(e.contains("not an IPv4 address"), "{e}");
        let e = err("[demo]\ncolour = 1\n");
        assert!(
            e.contains("line 2") && e.contains("unknown field `colour`"),
            "{e}"
        );
        let e = err("address = \n");
        assert!(e.contains("line 1"), "{e}");
    }
}
