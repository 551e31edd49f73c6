//! `ringside demo` (also what plain `ringside` runs): the classroom lesson on a simulated LAN. No
//! root, no NIC: a simulated "student's PC" ARPs for and pings the ringside stack, sends it UDP,
//! and keeps an ARP cache entry that expires, so switching the ARP responder off shows why ping
//! stops working.
use super::UsageError;
use crate::capture::{self, CaptureOptions};
use crate::link::sim::{SimConfig, SimLan, SPEED_RANGE};
use crate::stack::{Stack, StackConfig};
use crate::ui::{self, Mode, UiOptions};
use clap::Args;
use std::io::IsTerminal;
use std::time::Duration;

#[derive(Args, Debug, Clone, PartialEq)]
pub struct DemoArgs {
    /// Simulated seconds per real second (0.01 to 100); `+`/`-` change it while running.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// How long the simulated PC's ARP entry for ringside stays valid, in simulated seconds.
    #[arg(long, value_name = "SECS", default_value_t = 15.0)]
    pub arp_timeout: f64,
    /// Seed for the simulated traffic (ping identifier, IP IDs); same seed, same lesson.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Memory for the frame history, in MiB (the oldest frames are dropped beyond it).
    #[arg(long, value_name = "MB", default_value_t = 256)]
    pub history_mb: usize,
}

impl Default for DemoArgs {
    fn default() -> Self {
        DemoArgs {
            speed: 1.0,
            arp_timeout: 15.0,
            seed: 1,
            history_mb: 256,
        }
    }
}

impl DemoArgs {
    /// The simulated LAN these arguments describe, around the stack `stack`.
    pub fn sim_config(&self, stack: &StackConfig) -> anyhow::Result<SimConfig> {
        if !(SPEED_RANGE.0..=SPEED_RANGE.1).contains(&self.speed) {
            return Err(UsageError(format!(
                "--speed {} is out of range: use {} to {}",
                self.speed, SPEED_RANGE.0, SPEED_RANGE.1
            ))
            .into());
        }
        if !(self.arp_timeout.is_finite() && self.arp_timeout >= 1.0 && self.arp_timeout <= 3600.0)
        {
            return Err(UsageError(format!(
                "--arp-timeout {} is out of range: use 1 to 3600 seconds",
                self.arp_timeout
            ))
            .into());
        }
        Ok(SimConfig {
            stack_ip: stack.ip,
            arp_timeout: Duration::from_secs_f64(self.arp_timeout),
            seed: self.seed,
            speed: self.speed,
            ..SimConfig::default()
        })
    }
}

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    open(args, None)
}

/// The demo with an optional caption line (lessons use it).
pub fn open(args: DemoArgs, caption: Option<String>) -> anyhow::Result<()> {
    let stack_cfg = StackConfig::default();
    let sim = args.sim_config(&stack_cfg)?;
    if args.history_mb == 0 {
        return Err(UsageError("--history-mb must be at least 1".into()).into());
    }
    if !std::io::stdout().is_terminal() {
        return Err(UsageError(
            "ringside demo draws a terminal UI: run it in a terminal (stdout is not one)".into(),
        )
        .into());
    }
    let handle = capture::spawn(
        Box::new(SimLan::new(sim)),
        Stack::new(stack_cfg),
        CaptureOptions::default(),
    );
    ui::run(
        handle,
        UiOptions {
            mode: Mode::Demo,
            history_bytes: args.history_mb << 20,
            caption,
        },
    )
}
