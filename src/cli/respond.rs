//! `ringside respond FILE -w OUT.pcap`: the stack, offline. Every frame of a capture goes through
//! the same `Stack` the live backends use, with the capture's timestamps as the clock; what the
//! stack would have sent is written to OUT, and the verdict counters are printed. Frames the host
//! itself sent (its MAC to another unicast MAC: a capture recorded by `live -w` holds them) are
//! skipped and counted as `own_frames`, as a live stack never sees its own frames. Frames of
//! another link type (Linux cooked, raw IP) are not fed to the stack, which speaks Ethernet:
//! they carry no destination MAC to judge "for us" by, and an answer would need one; they are
//! counted as `unsupported_link`.
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
    let responded = respond(&mut reader, cfg, &mut out)?;
    out.close()?;
    print!(
        "{}",
        report(&responded, out.frames(), &args.out.display().to_string())
    );
    if let Some(odd) = reader.oddities() {
        eprintln!("ringside: warning: {}: {odd}", args.file.display());
    }
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
) -> anyhow::Result<Responded> {
    let own_mac = cfg.mac;
    let mut stack = Stack::new(cfg);
    let mut outbox = Outbox::new();
    let mut own_frames = 0;
    let mut unsupported_link = 0;
    // The stack's clock never steps back, even where a merged capture's timestamps do.
    let mut clock = std::time::Duration::ZERO;
    while let Some(f) = reader.next_frame()? {
        if f.link != crate::pcap::LinkKind::Ethernet {
            unsupported_link += 1;
            continue;
        }
        // What the host itself sent is already an answer: a live stack never sees its own
        // frames (the ring skips outgoing ones), so neither does this one.
        if crate::capture::sent_by(own_mac, f.data) {
            own_frames += 1;
            continue;
        }
        clock = clock.max(f.ts);
        stack.poll(clock);
        outbox.clear();
        stack.handle_frame(clock, f.data, false, &mut outbox);
        for reply in outbox.iter() {
            out.write(f.ts, reply, reply.len() as u32)?;
        }
    }
    Ok(Responded {
        counters: stack.counters().clone(),
        own_frames,
        unsupported_link,
    })
}

/// What `respond` did with a capture.
pub struct Responded {
    pub counters: Counters,
    /// Frames the host itself had sent (its MAC to another unicast MAC), not fed to the stack.
    pub own_frames: u64,
    /// Frames of a non-Ethernet link type (Linux cooked, raw IP), not fed to the stack.
    pub unsupported_link: u64,
}

/// The counters as `name<TAB>count` lines: frames the host itself had sent (skipped), frames
/// in, answered, frames out, then every no-reply reason that occurred, then frames written.
pub fn report(r: &Responded, written: u64, path: &str) -> String {
    let c = &r.counters;
    let mut s = format!(
        "own_frames\t{}\nframes_in\t{}\nanswered\t{}\nframes_out\t{}\n",
        r.own_frames, c.frames_in, c.answered, c.frames_out
    );
    if r.unsupported_link > 0 {
        s.insert_str(0, &format!("unsupported_link\t{}\n", r.unsupported_link));
    }
    for (reason, n) in c.nonzero() {
        s.push_str(&format!("{}\t{n}\n", reason.name()));
    }
    s.push_str(&format!("written\t{written}\t{path}\n"));
    s
}
