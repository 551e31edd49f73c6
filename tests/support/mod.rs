//! What the test groups share, in one place: every group binary (`tests/*/main.rs`) includes this
//! module, so a helper is written once. Each group uses a subset, hence `allow(dead_code)`.
#![allow(dead_code, unused_imports)]

/// Reading a capture thread's frames and final status to the end.
pub mod capture;
/// Seeded corpora of valid and hostile frames, every-byte truncations, `editcap` mutations.
pub mod corpus_gen;
/// Network namespaces and veth labs with unique names, removed on drop; `ringside live` driven.
pub mod netns;
/// Capture files of odd shapes (cut, lying, other link types) for replay/UI tests.
pub mod odd_captures;
/// Raw AF_PACKET transmit and witness sockets inside a namespace.
pub mod rawtx;
/// The seeded generator (SplitMix64) every randomised test draws from.
pub mod rng;
/// The stack's test frames, feeding and reply checks.
pub mod stack;
/// A tmux server per test (unique socket) driving the real binary in a real terminal.
pub mod tmux;
/// The UI through ratatui's TestBackend on a lockstep simulated lesson.
pub mod ui;
