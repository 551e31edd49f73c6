//! `ringside respond FILE -w OUT.pcap`: the stack, offline. Every frame of a capture goes through
//! the same frame loop and `Stack` the live backends use ([`crate::capture::pump`]), with the
//! capture's timestamps as the clock (never stepping back); what the
//! stack would have sent is written to OUT, and the verdict counters are printed. Frames the host
//! itself sent (its MAC to another unicast MAC: a capture recorded by `live -w` holds them) are
//! skipped and counted as `own_frames`, as a live stack never sees its own frames. Frames of
//! another link type (Linux cooked, raw IP) are not fed to the stack, which speaks Ethernet:
//! they carry no destination MAC to judge "for us" by, and an answer would need one; they are
//! counted as `unsupported_link`.
use crate::capture::{run_here, Direction, PumpError, PumpMode};
use crate::link::pcap::PcapLink;
use crate::link::{Link, LinkControl, LinkInfo, Received, RxMeta, Unsupported};
use crate::pcap::{CaptureReader, PcapRecorder};
use crate::stack::{Counters, Stack, StackConfig};
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

/// Run every frame of `reader` through a fresh stack, by the same frame loop as `live`, `demo`
/// and `replay` ([`run_here`]); replies go to `out`.
pub fn respond(
    reader: &mut CaptureReader,
    cfg: StackConfig,
    out: &mut PcapRecorder,
) -> anyhow::Result<Responded> {
    let mut stack = Stack::new(cfg);
    let mut wire = FileWire {
        frames: PcapLink::new(&mut *reader).one_frame_at_a_time(),
        out,
        ts: std::time::Duration::ZERO,
    };
    // The file holds what the host sent: frames from the stack's own MAC are its own
    // (`recorded`), judged by the MACs alone (see `FileWire`). Replies are not shown: they go
    // out on the wire, into OUT.
    let mode = PumpMode {
        recorded: true,
        show_replies: false,
        recorded_verdicts: false,
        visit_judged: true,
    };
    let (mut own_frames, mut unsupported_link) = (0, 0);
    let ran = run_here(&mut wire, &mut stack, None, mode, &mut |meta, note, _| {
        if meta.link != crate::wire::LinkKind::Ethernet {
            unsupported_link += 1;
        } else if note.dir == Direction::Out {
            own_frames += 1;
        }
    });
    match ran {
        Ok(()) => {}
        // A damaged file ends after the frames before the damage: `run` warns about it.
        Err(PumpError::Receive(..)) if wire.frames.reader().stopped().is_some() => {}
        Err(PumpError::Receive(_, e) | PumpError::Send(_, e)) => return Err(e.into()),
    }
    Ok(Responded {
        counters: stack.counters().clone(),
        own_frames,
        unsupported_link,
    })
}

/// The capture as the wire in and OUT as the wire out: what the stack sends is written with the
/// time of the frame it answers (frames are read one at a time, so each reply is sent before
/// the next frame comes).
///
/// A live stack never sees its own frames (the ring skips outgoing ones), so a frame the host
/// itself sent is already an answer: skipped. `respond` tells them by the MACs alone
/// ([`crate::capture::sent_by`]), for every capture alike, so ringside's recorded notes are
/// dropped here.
struct FileWire<'a> {
    frames: PcapLink<&'a mut CaptureReader>,
    out: &'a mut PcapRecorder,
    /// Time of the frame read last.
    ts: std::time::Duration,
}

impl Link for FileWire<'_> {
    fn recv_batch(
        &mut self,
        timeout: std::time::Duration,
        on_frame: &mut dyn FnMut(&[u8], RxMeta),
    ) -> std::io::Result<Received> {
        let ts = &mut self.ts;
        self.frames.recv_batch(timeout, &mut |frame, meta| {
            *ts = meta.ts;
            on_frame(frame, RxMeta { note: None, ..meta })
        })
    }

    fn send(&mut self, frame: &[u8]) -> std::io::Result<()> {
        self.frames.send(frame)?;
        self.out
            .write(self.ts, frame, frame.len() as u32)
            .map_err(std::io::Error::other)
    }

    fn now(&self) -> std::time::Duration {
        self.frames.now()
    }

    fn info(&self) -> LinkInfo {
        self.frames.info()
    }

    fn control(&mut self, c: LinkControl) -> Result<(), Unsupported> {
        self.frames.control(c)
    }
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
