//! `ringside respond FILE -w OUT.pcap`: the stack, offline. Every frame of a capture goes through
//! the same `Stack` the live backends use, with the capture's timestamps as the clock; what the
//! stack would have sent is written to OUT, and the verdict counters are printed.
use crate::pcap::{CaptureReader, PcapRecorder};
use crate::stack::{Counters, Outbox, Stack, StackConfig};
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct RespondArgs {
    /// A pcap or pcapng capture (Ethernet link type).
    pub file: PathBuf,
    /// The stack's address and prefix.
    #[arg(long, default_value = "198.51.100.2/24", value_parser = super::parse_ipv4_prefix)]
    pub ip: (std::net::Ipv4Addr, u8),
    /// The stack's MAC address.
    #[arg(long, default_value = "02:52:53:00:00:02", value_parser = super::parse_mac_arg)]
    pub mac: [u8; 6],
    /// Where to write the frames the stack sends (pcap).
    #[arg(short = 'w', long = "write")]
    pub out: PathBuf,
    /// ARP cache entry lifetime, seconds.
    #[arg(long, default_value_t = 60)]
    pub arp_timeout: u64,
    /// Start with the ARP responder off.
    #[arg(long)]
    pub no_arp: bool,
    /// Start with the ICMP echo responder off.
    #[arg(long)]
    pub no_icmp: bool,
    /// Answer echo requests sent to a broadcast address.
    #[arg(long)]
    pub broadcast_echo: bool,
}

pub fn run(args: RespondArgs) -> anyhow::Result<()> {
    let cfg = StackConfig {
        ip: args.ip.0,
        prefix: args.ip.1,
        mac: args.mac,
        arp_timeout: Duration::from_secs(args.arp_timeout),
        arp_responder: !args.no_arp,
        icmp_responder: !args.no_icmp,
        answer_broadcast_echo: args.broadcast_echo,
        ..StackConfig::default()
    };
    let mut reader = CaptureReader::open(&args.file)?;
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
