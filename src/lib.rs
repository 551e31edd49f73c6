//! ringside: a teaching user-space network stack.
//!
//! Layers, bottom up (each module has one job):
//! - [`wire`]: pure packet formats: dissection into a byte-exact field map, and reply builders.
//! - [`stack`]: the sans-I/O host: frames in, frames out, time passed in.
//! - [`link`]: where frames come from and go to (AF_PACKET ring, netmap, TAP, pcap, simulated LAN).
//! - [`capture`]: the capture thread and the bounded history the UI reads.
//! - [`ui`]: the ratatui front end.
// `unsafe` only where the kernel hands us memory or a raw call needs it: the ring modules
// (link::afpacket, link::xdp, link::netmap, peer_kernel::sys) and `sys`, each allowing it itself.
#![deny(unsafe_code)]
pub mod capture;
pub mod cli;
pub mod crash;
pub mod lessons;
pub mod link;
pub mod pcap;
pub mod pcapng_write;
pub mod peer_kernel;
pub mod recorded;
pub mod stack;
pub mod sys;
pub mod ui;
pub mod wire;
