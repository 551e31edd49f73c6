//! Captures and the capture thread: pcap/pcapng in and out (tshark), recorded verdicts, replay of
//! cooked/raw-IP links and large files (the real binary, some in tmux).
#[path = "../support/mod.rs"]
mod support;

mod capture_thread;
mod pcap_io;
mod recorded_verdicts;
mod replay_index;
mod replay_links;
