//! `ringside copies`: where the copies of a received frame really go, measured.
//!
//! The same UDP flood (N datagrams of one payload size, paced) is sent by a kernel in a private
//! network namespace over a veth cable and received in turn through each path in [`PATHS`]: a
//! plain UDP socket, a raw AF_PACKET socket read with recvfrom, and ringside's TPACKET_V3 ring.
//! For each it prints what the receiving loop measured: frames received of those offered, receive
//! syscalls per frame (counted by the loop), the receiving thread's CPU time per frame
//! (CLOCK_THREAD_CPUTIME_ID), its sleeps per frame (getrusage RUSAGE_THREAD, voluntary context
//! switches), and the bytes the CPU copied into memory the program reads per frame. Which copy
//! that is, and where, is cited from the Linux source, never guessed.
mod flood;
mod netns;
mod paths;

use anyhow::{bail, Context};
use clap::Args;
use flood::Flood;
use paths::{PathSpec, Tally, PATHS};
use serde::Serialize;
use std::io::IsTerminal;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

#[derive(Args, Debug)]
pub struct CopiesArgs {
    /// Datagrams sent per path and payload size.
    #[arg(short = 'n', long, default_value_t = 20_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub frames: u32,
    /// UDP payload sizes in bytes, comma-separated (16 to 1472: 1472 is the largest that is not
    /// fragmented on a 1500-byte MTU).
    #[arg(long, value_delimiter = ',', default_value = "64,1472", value_parser = clap::value_parser!(u16).range(16..=1472))]
    pub sizes: Vec<u16>,
    /// Datagrams per second the sender is paced to.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(100..=10_000_000))]
    pub rate: u32,
    /// Which paths, comma-separated, in order (socket, packet, ring, xdp).
    #[arg(long, value_delimiter = ',', default_value = "socket,packet,ring,xdp", value_parser = path_key)]
    pub paths: Vec<String>,
    /// Print the figures as one JSON object instead of bars.
    #[arg(long)]
    pub json: bool,
}

fn path_key(s: &str) -> Result<String, String> {
    match PATHS.iter().find(|p| p.key == s) {
        Some(p) => Ok(p.key.to_string()),
        None => {
            let keys: Vec<&str> = PATHS.iter().map(|p| p.key).collect();
            Err(format!("unknown path {s:?}: use {}", keys.join(", ")))
        }
    }
}

/// One path's figures for one payload size.
#[derive(Debug, Serialize)]
pub struct Run {
    pub path: &'static str,
    pub name: &'static str,
    pub payload: usize,
    pub frame_len: usize,
    pub offered: u64,
    pub received: u64,
    pub other_frames: u64,
    pub syscalls: u64,
    /// False: `syscalls` is an upper bound (ring calls that may or may not have slept in poll).
    pub syscalls_exact: bool,
    pub syscalls_per_frame: f64,
    pub cpu_ns: u64,
    pub cpu_ns_per_frame: f64,
    /// The sending thread's CPU per frame received: on veth it also runs the receive softirq.
    pub sender_cpu_ns_per_frame: f64,
    pub sleeps: u64,
    pub sleeps_per_frame: f64,
    pub bytes_copied: u64,
    pub bytes_copied_per_frame: f64,
    pub copy: paths::CopyStory,
}

#[derive(Debug, Serialize)]
struct Report {
    frames: u32,
    rate: u32,
    link: &'static str,
    runs: Vec<Run>,
}

pub(crate) fn thread_cpu() -> Duration {
    crate::sys::thread_cpu_time()
}

/// Voluntary context switches of this thread: how often it went to sleep waiting.
fn thread_sleeps() -> u64 {
    crate::sys::thread_voluntary_switches()
}

/// Frames stop coming: the sender finished and nothing arrived for this long.
const IDLE: Duration = Duration::from_millis(300);

/// Receive one flood through `spec` inside namespace `rx`, sent from namespace `tx`.
fn measure(
    spec: &PathSpec,
    rx: RawFd,
    tx: RawFd,
    ifname: &str,
    flood: Flood,
) -> anyhow::Result<Run> {
    let done = Arc::new(AtomicBool::new(false));
    let (ready_tx, ready_rx) = mpsc::channel::<()>();
    let (open, ifname) = (spec.open, ifname.to_string());
    let sender_done = done.clone();
    // Longest a run may take: twice the paced time, plus slack for a busy machine.
    let deadline = Duration::from_secs_f64(2.0 * f64::from(flood.frames) / f64::from(flood.rate))
        + Duration::from_secs(5);
    let receiver = std::thread::spawn(move || -> anyhow::Result<(Tally, Duration, u64)> {
        netns::enter(rx).context("entering the receiving namespace")?;
        let mut path = open(&ifname)?;
        let _ = ready_tx.send(());
        let (cpu0, sleeps0, start) = (thread_cpu(), thread_sleeps(), Instant::now());
        let mut t = Tally::default();
        let mut last = Instant::now();
        loop {
            let before = t.frames;
            path.receive(Duration::from_millis(50), &mut t)?;
            if t.frames > before {
                last = Instant::now();
            }
            let finished = sender_done.load(Ordering::Acquire);
            if t.frames >= u64::from(flood.frames)
                || (finished && last.elapsed() >= IDLE)
                || start.elapsed() > deadline
            {
                break;
            }
        }
        Ok((t, thread_cpu() - cpu0, thread_sleeps() - sleeps0))
    });
    // Send only once the receiver is listening (or has failed: then its error is the one to tell).
    let sent = match ready_rx.recv() {
        Ok(()) => {
            let d = done.clone();
            std::thread::spawn(move || flood::send(tx, flood, d))
                .join()
                .map_err(|_| anyhow::anyhow!("the sender thread panicked"))?
        }
        Err(_) => Ok(flood::Sent {
            frames: 0,
            cpu: Duration::ZERO,
        }),
    };
    done.store(true, Ordering::Release);
    let (t, cpu, sleeps) = receiver
        .join()
        .map_err(|_| anyhow::anyhow!("the receiver thread panicked"))?
        .with_context(|| format!("receiving through {}", spec.name))?;
    let sent = sent.context("sending the flood")?;
    let per = |x: f64| {
        if t.frames == 0 {
            0.0
        } else {
            x / t.frames as f64
        }
    };
    Ok(Run {
        path: spec.key,
        name: spec.name,
        payload: flood.payload,
        frame_len: flood.payload + flood::HEADERS,
        offered: sent.frames,
        received: t.frames,
        other_frames: t.other,
        syscalls: t.syscalls,
        syscalls_exact: spec.syscalls_exact,
        syscalls_per_frame: per(t.syscalls as f64),
        cpu_ns: cpu.as_nanos() as u64,
        cpu_ns_per_frame: per(cpu.as_nanos() as f64),
        sender_cpu_ns_per_frame: per(sent.cpu.as_nanos() as f64),
        sleeps,
        sleeps_per_frame: per(sleeps as f64),
        bytes_copied: t.bytes_copied,
        bytes_copied_per_frame: per(t.bytes_copied as f64),
        copy: spec.copy,
    })
}

pub fn run(args: CopiesArgs) -> anyhow::Result<()> {
    let specs: Vec<&PathSpec> = args
        .paths
        .iter()
        .filter_map(|k| PATHS.iter().find(|p| p.key == k))
        .collect();
    if specs.is_empty() {
        bail!(crate::cli::UsageError(
            "--paths: name at least one path".into()
        ));
    }
    // Progress only for a person watching: not into a pipe, a log or the JSON's stderr.
    let progress = !args.json && std::io::stderr().is_terminal();
    let pair = netns::Pair::build()?;
    let mut runs = Vec::new();
    for &size in &args.sizes {
        let flood = Flood {
            frames: args.frames,
            payload: usize::from(size),
            rate: args.rate,
        };
        for spec in &specs {
            if progress {
                eprint!("\r{} payload {size} B ...        ", spec.name);
            }
            runs.push(measure(
                spec,
                pair.rx_ns(),
                pair.tx_ns(),
                &pair.rx_if,
                flood,
            )?);
        }
    }
    if progress {
        eprint!("\r{:60}\r", "");
    }
    let report = Report {
        frames: args.frames,
        rate: args.rate,
        link: "veth pair between two private network namespaces (no NIC: no DMA on this cable)",
        runs,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render(&report));
    }
    Ok(())
}

/// Bar width in columns for the largest value of a group.
const BAR: usize = 32;

/// A horizontal bar for `v` on a scale where `max` fills [`BAR`] columns, in eighths of a column.
fn bar(v: f64, max: f64) -> String {
    // NaN and non-positive values draw nothing.
    let drawable = |x: f64| x.is_finite() && x > 0.0;
    if !drawable(max) || !drawable(v) {
        return String::new();
    }
    let eighths = ((v / max) * (BAR * 8) as f64).round().max(1.0) as usize;
    let mut s = "█".repeat(eighths / 8);
    const PART: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    s.push_str(PART[eighths % 8]);
    s
}

fn group(out: &mut String, title: &str, rows: &[(&str, f64, String)]) {
    let max = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    out.push_str(&format!("  {title}\n"));
    for (name, v, label) in rows {
        out.push_str(&format!(
            "    {name:<22} {:<w$} {label}\n",
            bar(*v, max),
            w = BAR + 1
        ));
    }
}

fn render(r: &Report) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "Where the copies go: the same UDP flood ({} datagrams per path, paced at {}/s) received \
         three ways.\nLink: {}.\n",
        r.frames, r.rate, r.link
    ));
    let mut sizes: Vec<usize> = r.runs.iter().map(|x| x.payload).collect();
    sizes.dedup();
    for size in sizes {
        let runs: Vec<&Run> = r.runs.iter().filter(|x| x.payload == size).collect();
        let frame = size + flood::HEADERS;
        out.push_str(&format!(
            "\n== {size}-byte UDP payload ({frame}-byte Ethernet frame: 14 + 20 + 8 + {size}) ==\n"
        ));
        let rows = |f: &dyn Fn(&Run) -> (f64, String)| -> Vec<(&str, f64, String)> {
            runs.iter()
                .map(|x| {
                    let (v, l) = f(x);
                    (x.name, v, l)
                })
                .collect()
        };
        group(
            &mut out,
            "frames received / offered",
            &rows(&|x| (x.received as f64, format!("{}/{}", x.received, x.offered))),
        );
        group(
            &mut out,
            "receive syscalls per frame (counted by the loop)",
            &rows(&|x| {
                let le = if x.syscalls_exact { "" } else { "<= " };
                (
                    x.syscalls_per_frame,
                    format!("{le}{:.3}", x.syscalls_per_frame),
                )
            }),
        );
        group(
            &mut out,
            "receiving thread's CPU per frame (CLOCK_THREAD_CPUTIME_ID)",
            &rows(&|x| (x.cpu_ns_per_frame, format!("{:.0} ns", x.cpu_ns_per_frame))),
        );
        group(
            &mut out,
            "sending thread's CPU per frame (on veth it also runs the kernel's receive side)",
            &rows(&|x| {
                (
                    x.sender_cpu_ns_per_frame,
                    format!("{:.0} ns", x.sender_cpu_ns_per_frame),
                )
            }),
        );
        group(
            &mut out,
            "times the receiving thread slept per frame (getrusage: voluntary switches)",
            &rows(&|x| (x.sleeps_per_frame, format!("{:.3}", x.sleeps_per_frame))),
        );
        group(
            &mut out,
            "bytes the CPU copied into memory the program reads, per frame",
            &rows(&|x| {
                (
                    x.bytes_copied_per_frame,
                    format!(
                        "{:.0} B, {} copy {}",
                        x.bytes_copied_per_frame, x.copy.cpu_copies, x.copy.at
                    ),
                )
            }),
        );
    }
    out.push_str("\nWhere each copy is made (Linux source):\n");
    let mut seen = Vec::new();
    for x in &r.runs {
        if !seen.contains(&x.path) {
            seen.push(x.path);
            out.push_str(&format!("  {:<22} {}\n", x.name, x.copy.cite));
        }
    }
    out.push('\n');
    out.push_str(FOOTER);
    out
}

const FOOTER: &str = "\
How to read this:
  - recvfrom paths make at least one syscall per frame (each call returns one datagram or frame,
    and copies it). The ring path makes one poll() per block of frames handed over (<= counts
    every recv_batch call as one), and reads each frame where the kernel put it.
  - The first CPU figure is the receiving thread only. On veth the sender's own send call runs
    the receive side too (veth_xmit -> veth_forward_skb -> __netif_rx, drivers/net/veth.c: the
    NET_RX softirq runs on the sending CPU as the send re-enables bottom halves, unless it is
    deferred to ksoftirqd), so the ring's copy (tpacket_rcv) is counted in the sending thread's
    figure with the rest of the kernel's receive work, not in the ring's: it moved, it did not
    vanish. On the raw paths no UDP socket listens, so the kernel also looks for one, finds none
    and answers a few ICMP port unreachables (rate-limited: icmp_send, net/ipv4/icmp.c).
DMA, the course's point 2: a real NIC writes each received frame into RAM by itself (DMA into
  buffers the driver gave it in its RX ring) and raises an interrupt; the CPU copies nothing for
  that, so it is not a CPU copy. This cable has no NIC and no DMA: veth hands the sender's sk_buff
  to the receiving side (veth_xmit -> veth_forward_skb -> __dev_forward_skb, drivers/net/veth.c,
  no data copy). From the sk_buff on, the copies above are the same as on a NIC.
  The course's \"two copies\" (NIC -> kernel, kernel -> user) is one CPU copy on the socket path.
  The mmap ring still costs one CPU copy, in the kernel. No CPU copy at all needs the NIC to DMA
  into buffers the program maps: netmap's NIC mode, AF_XDP in zero-copy mode (not on veth).
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_show_small_values() {
        assert_eq!(bar(1.0, 1.0).chars().count(), BAR);
        assert_eq!(bar(0.5, 1.0).chars().count(), BAR / 2);
        // Far below the largest, still visible: one eighth of a column.
        assert_eq!(bar(0.0001, 1.0), "▏");
        assert_eq!(bar(0.0, 1.0), "");
        assert_eq!(bar(1.0, 0.0), "");
        assert_eq!(bar(f64::NAN, 1.0), "");
    }

    #[test]
    fn every_path_cites_the_kernel_function_that_copies() {
        for p in PATHS {
            assert!(
                p.copy.cite.contains(".c ") && p.copy.cite.contains("copy"),
                "{}",
                p.key
            );
            assert_eq!(p.copy.cpu_copies, 1, "{}", p.key);
        }
    }
}
