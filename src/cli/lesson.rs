//! `ringside lesson N`: open lesson N of LESSONS.md (its capture, or the simulated LAN) with a
//! caption saying what to look at. `--list` lists them; `--write-assets DIR` regenerates the
//! captures the lessons use.
use super::UsageError;
use crate::lessons::{self, Opens};
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Args, Debug, Default)]
pub struct LessonArgs {
    /// The lesson number; see `--list`.
    pub number: Option<u32>,
    /// List the lessons.
    #[arg(long)]
    pub list: bool,
    /// Write the lesson captures into DIR (what `assets/` holds) and exit.
    #[arg(long, value_name = "DIR")]
    pub write_assets: Option<PathBuf>,
    /// Where the lesson captures are (default: `assets/` of this source tree, else ./assets).
    #[arg(long, value_name = "DIR")]
    pub assets: Option<PathBuf>,
}

pub fn run(args: LessonArgs) -> anyhow::Result<()> {
    if let Some(dir) = &args.write_assets {
        for p in lessons::assets::write_all(dir)? {
            println!("{}", p.display());
        }
        return Ok(());
    }
    let Some(n) = args.number.filter(|_| !args.list) else {
        for l in lessons::LESSONS {
            let opens = match l.opens {
                Opens::Capture(f) => format!("replay assets/{f}"),
                Opens::Demo { arp_timeout } => format!("demo --arp-timeout {arp_timeout}"),
            };
            println!("{:>2}  {:<48} {opens}", l.number, l.title);
        }
        return Ok(());
    };
    let lesson = lessons::lesson(n).ok_or_else(|| {
        UsageError(format!(
            "there is no lesson {n}: lessons are 1 to {} (`ringside lesson --list`)",
            lessons::LESSONS.len()
        ))
    })?;
    let caption = Some(lesson.caption.to_string());
    match lesson.opens {
        Opens::Capture(file) => {
            let dir = args.assets.clone().unwrap_or_else(default_assets_dir);
            let path = dir.join(file);
            if !path.exists() {
                return Err(UsageError(format!(
                    "{} not found: run from the ringside source tree, pass --assets DIR, or make them with `ringside lesson --write-assets assets`",
                    path.display()
                ))
                .into());
            }
            super::replay::open(&path, 256, crate::stack::StackConfig::default(), caption)
        }
        Opens::Demo { arp_timeout } => super::demo::open(
            super::demo::DemoArgs {
                arp_timeout,
                ..super::demo::DemoArgs::default()
            },
            caption,
        ),
    }
}

/// `assets/` next to the sources this binary was built from, else `./assets`.
fn default_assets_dir() -> PathBuf {
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    if built.is_dir() {
        built
    } else {
        PathBuf::from("assets")
    }
}
