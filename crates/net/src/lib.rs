//! ringside-net: the network half of ringside, a teaching user-space network stack. The program
//! (command line, terminal UI, lessons) is the `ringside` package at the workspace root; it
//! re-exports these modules under the same names.
//!
//! Layers, bottom up (a module uses its own layer and the ones below; `tests/project/layering.rs` checks):
//! - [`wire`]: pure packet formats: dissection into a byte-exact field map, and reply builders;
//!   [`sys`]: the system calls outside the rings, behind safe functions.
//! - [`stack`]: the sans-I/O host: frames in, frames out, time passed in.
//! - [`link`]: where frames come from and go to (AF_PACKET, AF_XDP and netmap rings, TAP, capture
//!   files, the simulated LAN); [`recorded`] (the verdict notes frames carry), [`pcap`] and
//!   [`pcapng_write`] (capture files), [`peer_kernel`] (the peer's ARP state, read by netlink).
//! - [`capture`]: the frame loops (the capture thread, `pump`, `run_lockstep`).
//!
//! A separate crate so that the compiler keeps the layers honest: no anyhow (errors are typed,
//! e.g. [`pcap::ReadError`]), no clap, ratatui or crossterm.
// `unsafe` only where the kernel hands us memory or a raw call needs it: the ring modules
// (link::afpacket, link::xdp, link::netmap, peer_kernel::sys) and `sys`, each allowing it itself.
#![deny(unsafe_code)]
pub mod capture;
pub mod link;
pub mod pcap;
pub mod pcapng_write;
pub mod peer_kernel;
pub mod recorded;
pub mod stack;
pub mod sys;
pub mod wire;
