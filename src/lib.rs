//! ringside: a teaching user-space network stack. This package is the program: the command line,
//! the terminal UI and the lessons. The network itself (packet formats, the stack, the links and
//! their rings, the capture loop, capture files) is the `ringside-net` library
//! (`crates/net`), re-exported here under its module names so `crate::wire::...` and
//! `ringside::wire::...` read as they always did.
//!
//! Layers, bottom up (each module has one job):
//! - [`wire`]: pure packet formats: dissection into a byte-exact field map, and reply builders.
//! - [`stack`]: the sans-I/O host: frames in, frames out, time passed in.
//! - [`link`]: where frames come from and go to (AF_PACKET ring, netmap, TAP, pcap, simulated LAN).
//! - [`capture`]: the capture thread and the bounded history the UI reads.
//! - [`ui`]: the ratatui front end; [`lessons`]; [`cli`], the commands.
//!
//! Why two crates and not one with a module boundary: the library then cannot reach up. It has
//! no anyhow, clap, ratatui or crossterm among its dependencies, so a `link` that wanted a clap
//! derive or a `pcap` that wanted `anyhow::bail!` does not compile, instead of relying on review.
// No `unsafe` here at all: the system calls are behind ringside-net's `sys` and ring modules.
#![deny(unsafe_code)]
pub use ringside_net::{
    capture, link, pcap, pcapng_write, peer_kernel, recorded, stack, sys, wire,
};
pub mod cli;
pub mod crash;
pub mod lessons;
pub mod ui;
