//! `ringside live` and `lab` against the real kernel, in network namespaces each test makes and
//! removes (root; rootless_lab runs as nobody in user namespaces).
#[path = "../support/mod.rs"]
mod support;

mod copies;
mod live_arp;
mod live_lab;
mod live_peer_kernel;
mod live_ping;
mod live_record;
mod live_ring;
mod live_robustness;
mod live_tui;
mod live_udp;
mod live_xdp;
mod rootless_lab;
