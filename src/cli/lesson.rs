//! `ringside lesson N`: open lesson N of LESSONS.md (its capture, or the simulated LAN) with a
//! caption saying what to look at. `--list` lists them. The captures and LESSONS.md are inside
//! the binary (see `lessons::embedded`), so this works from any directory; `--write-assets DIR`
//! writes them out, and `--assets DIR` opens captures from DIR instead.
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
    /// Write the lesson captures and LESSONS.md into DIR and exit.
    #[arg(long, value_name = "DIR")]
    pub write_assets: Option<PathBuf>,
    /// Open the lesson captures from DIR instead of the copies built into ringside.
    #[arg(long, value_name = "DIR")]
    pub assets: Option<PathBuf>,
}

pub fn run(args: LessonArgs) -> anyhow::Result<()> {
    if let Some(dir) = &args.write_assets {
        for p in lessons::embedded::write_all(dir)? {
            println!("{}", p.display());
        }
        return Ok(());
    }
    let Some(n) = args.number.filter(|_| !args.list) else {
        for l in lessons::LESSONS {
            let opens = match l.opens {
                Opens::Capture(f) => format!("replay {f}"),
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
            let cfg = crate::stack::StackConfig::default();
            let Some(dir) = &args.assets else {
                let bytes = lessons::embedded::capture(file).ok_or_else(|| {
                    anyhow::anyhow!("lesson capture {file} is not built into this binary")
                })?;
                let mut reopen = || {
                    let reader = crate::pcap::CaptureReader::from_reader(
                        Path::new(file),
                        bytes,
                        bytes.len() as u64,
                    )?;
                    Ok(vec![reader])
                };
                return super::replay::browse(&mut reopen, file.to_string(), 256, cfg, caption);
            };
            let path = dir.join(file);
            if !path.exists() {
                return Err(UsageError(format!(
                    "{} not found: give the directory `ringside lesson --write-assets DIR` wrote, or leave out --assets",
                    path.display()
                ))
                .into());
            }
            super::replay::open(&path, 256, cfg, caption)
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
