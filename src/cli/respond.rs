//! `ringside respond FILE -w OUT.pcap`: the stack, offline. Every frame of a capture goes through
//! the same `Stack` the live backends use, with the capture's timestamps as the clock; what the
//! stack would have sent is written to OUT, and the verdict counters are printed.
use crate::pcap::{CaptureReader, PcapRecorder};
use crate::stack::{Counters, Outbox, Stack, StackConfig};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct RespondArgs {
    /// A pcap or pcapng capture (Ethernet link type).
    pub file: PathBuf,
    /// Where to write the frames the stack sends (pcap).
    #[arg(short = 'w', long = "write")]
    pub out: PathBuf,
    #[command(flatten)]
    pub stack: super::StackArgs,
}

pub fn run(args: RespondArgs) -> anyhow::Result<()> {
    let cfg = args.stack.config(StackConfig::default())?;
    let mut reader = super::open_capture(&args.file)?;
    let mut out = PcapRecorder::create(&args.out)?;
    let counters = respond(&mut reader, cfg, &mut out)?;
    out.close()?;
    print!(
        "{}",
        report(&counters, out.frames(), &args.out.display().to_string())
    );
    if let Some(stopped) = reader.stopped() {
        eprintln!("ringside: warning: {}: {stopped}", args.file.display());
    }
    Ok(())
}

/// Run every frame of `reader` through a fresh stack; replies go to `out`.
pub fn respond(
    reader: &mut CaptureReader,
    cfg: StackConfig,
    out: &mut PcapRecorder,
) -> anyhow::Result<Counters> {
    let mut stack = Stack::new(cfg);
    let mut outbox = Outbox::new();
    while let Some(f) = reader.next_frame()? {
        stack.poll(f.ts);
        outbox.clear();
        stack.handle_frame(f.ts, f.data, false, &mut outbox);
        for reply in outbox.iter() {
            out.write(f.ts, reply, reply.len() as u32)?;
        }
    }
    Ok(stack.counters().clone())
}

/// The counters as `name<TAB>count` lines: frames in, answered, frames written, then every
/// no-reply reason that occurred.
pub fn report(c: &Counters, written: u64, path: &str) -> String {
    let mut s = format!(
        "frames_in\t{}\nanswered\t{}\nframes_out\t{}\n",
        c.frames_in, c.answered, c.frames_out
    );
    for (reason, n) in c.nonzero() {
        s.push_str(&format!("{}\t{n}\n", reason.name()));
    }
    s.push_str(&format!("written\t{written}\t{path}\n"));
    s
}
