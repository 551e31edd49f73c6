//! The user-space host, sans-I/O: frames in, frames out, time passed in. No sockets here; the
//! capture thread (or `respond`, or a test) feeds it.
//!
//! Public API contract (used by capture, ui, cli, sim, tests):
//! - `Stack::new(StackConfig)`
//! - `Stack::handle_frame(&mut self, now: Duration, frame: &[u8], csum_not_ready: bool, out: &mut Outbox) -> Verdict`
//! - `Stack::poll(&mut self, now: Duration)`: ages the ARP cache and reassembly buffers
//! - `Stack::set_arp_responder(bool)`, `set_icmp_responder(bool)`, `arp_responder()`, `icmp_responder()`
//! - `Stack::counters(&self) -> &Counters`
//! - `Stack::arp_cache(&self, now) -> Vec<ArpEntry>`
//! - `Stack::take_printed(&mut self) -> Vec<PrintedDatagram>` (UDP print sink, bounded)
//! - `Stack::config(&self) -> &StackConfig`
//! - `Stack::reassembly_bytes(&self) -> usize` (held fragment bytes, ≤ `reassembly_mem_cap`)
mod arp;
mod host;
mod icmp;
mod reassembly;
mod udp;
pub use host::Stack;
pub use icmp::QUOTED_PAYLOAD;
pub use reassembly::{FRAGMENT_OVERHEAD, MAX_REASSEMBLIES};
pub use udp::PRINT_PAYLOAD_CAP;

use std::net::Ipv4Addr;
use std::time::Duration;

/// How the host is set up. `Default` is the lab/demo host 198.51.100.2/24.
#[derive(Clone, Debug, PartialEq)]
pub struct StackConfig {
    pub ip: Ipv4Addr,
    pub prefix: u8,
    pub mac: [u8; 6],
    /// How long a learned ARP entry lives.
    pub arp_timeout: Duration,
    /// At most this many ARP entries (oldest evicted), so random senders cannot grow memory.
    pub arp_cache_cap: usize,
    pub arp_responder: bool,
    pub icmp_responder: bool,
    /// Answer echo requests sent to the broadcast address (Linux: icmp_echo_ignore_broadcasts=1).
    pub answer_broadcast_echo: bool,
    /// IP MTU of the link: replies larger than this are fragmented.
    pub mtu: usize,
    /// Bytes of fragments held at once across all reassemblies; over it, the oldest is dropped.
    pub reassembly_mem_cap: usize,
    pub reassembly_timeout: Duration,
    /// ICMP errors (unreachable) sent per second at most (token bucket, burst of the same size).
    pub icmp_error_rate: u32,
    /// UDP port of the echo service (RFC 862).
    pub udp_echo_port: u16,
    /// UDP port of the print sink: payloads are kept for display.
    pub udp_print_port: u16,
    /// Payloads kept by the print sink at most (oldest dropped).
    pub print_keep: usize,
    /// The VLANs ringside is a member of, each the frame's VLAN IDs outermost first (`[100]`,
    /// or `[100, 200]` for C-tag 200 inside S-tag 100, Linux's `eth0.100.200`). Empty: an
    /// untagged host, which answers only untagged (or priority-tagged, VID 0) frames.
    pub vlans: Vec<Vec<u16>>,
}

impl Default for StackConfig {
    fn default() -> Self {
        StackConfig {
            ip: Ipv4Addr::new(198, 51, 100, 2),
            prefix: 24,
            mac: [0x02, 0x52, 0x53, 0x00, 0x00, 0x02],
            arp_timeout: Duration::from_secs(60),
            arp_cache_cap: 256,
            arp_responder: true,
            icmp_responder: true,
            answer_broadcast_echo: false,
            mtu: 1500,
            reassembly_mem_cap: 1 << 20,
            reassembly_timeout: Duration::from_secs(30),
            icmp_error_rate: 10,
            udp_echo_port: 7,
            udp_print_port: 9,
            print_keep: 64,
            vlans: Vec::new(),
        }
    }
}

/// Why a frame got no answer. Every frame the stack sees ends in exactly one [`Verdict`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DropReason {
    /// Too short or inconsistent to parse (truncated header, length field lies, bad IHL...).
    Malformed,
    /// IPv4 header, ICMP or UDP checksum wrong.
    BadChecksum,
    /// Addressed to another host (MAC or IP), to a multicast MAC (we join no group), an ARP
    /// request for another address, a unicast IP datagram in a link-layer broadcast frame
    /// (discarded, RFC 1122 §3.3.6), or a broadcast datagram for a port/protocol we do not serve
    /// (no ICMP error is ever sent about a broadcast, IP or link-layer, RFC 1122 §3.2.2).
    NotForUs,
    /// Neither IPv4 nor ARP (IPv6, LLDP, ...).
    UnsupportedEthertype,
    /// ARP reply or gratuitous ARP: nothing to answer. The sender's entry is refreshed if we
    /// have one; a new entry is made only from a reply to our address (RFC 826's merge rule).
    ArpNoReplyNeeded,
    /// ARP request for us while the ARP responder is switched off.
    ArpResponderOff,
    /// Echo request for us while the ICMP responder is switched off.
    IcmpResponderOff,
    /// Echo request (ICMP, or the UDP echo service) to a broadcast address with broadcast echo off.
    BroadcastEcho,
    /// ICMP types we do not answer (echo reply, errors, ...).
    IcmpNotEcho,
    /// A fragment held for reassembly (not a drop: counted so frames in == sum of verdicts).
    FragmentHeld,
    /// A fragment that could not be kept: over the memory cap, overlapping (which discards the
    /// whole datagram), a duplicate, past 65,535 bytes, or of a datagram already discarded.
    FragmentRejected,
    /// UDP delivered to a bound port that sends nothing back (the print sink).
    UdpDelivered,
    /// Closed port or unknown protocol, but the ICMP error rate limit was hit.
    IcmpErrorRateLimited,
    /// Sender's address is unusable: broadcast/multicast/zero source MAC (Ethernet or ARP sender)
    /// or our own MAC; IP source our own address or our subnet's broadcast; UDP echo from port 0
    /// or from the echo port itself (echo loops).
    BadSource,
    /// A tagged frame (802.1Q / 802.1ad) of a VLAN ringside is not a member of (`--vlan`).
    /// Linux does the same: with no VLAN device for the tag, `__netif_receive_skb_core` marks
    /// the frame PACKET_OTHERHOST and IP drops it; VID 0 (priority tag only) counts as
    /// untagged.
    VlanNotMember,
    /// An IP source no host can have (a "martian", Linux's `ip_route_input_slow`): 0.0.0.0/8
    /// (RFC 1122 §3.2.1.3: "this network", only ever a source while a host learns its address;
    /// ARP probes with sender 0.0.0.0 are fine, RFC 5227), 127.0.0.0/8 (loopback never reaches
    /// a wire), 224.0.0.0/4 (multicast is a destination, RFC 1112 §4), 240.0.0.0/4 (reserved,
    /// RFC 1112/6890; this includes 255.255.255.255, the limited broadcast).
    MartianSource,
    /// An IPv4 option whose length is 0 or 1 or runs past the header (RFC 791 §3.1): the
    /// datagram is malformed and dropped, see `Stack::ipv4_options_ok`.
    BadIpv4Options,
}

impl DropReason {
    pub const ALL: [DropReason; 17] = [
        DropReason::Malformed,
        DropReason::BadChecksum,
        DropReason::NotForUs,
        DropReason::UnsupportedEthertype,
        DropReason::ArpNoReplyNeeded,
        DropReason::ArpResponderOff,
        DropReason::IcmpResponderOff,
        DropReason::BroadcastEcho,
        DropReason::IcmpNotEcho,
        DropReason::FragmentHeld,
        DropReason::FragmentRejected,
        DropReason::UdpDelivered,
        DropReason::IcmpErrorRateLimited,
        DropReason::BadSource,
        DropReason::VlanNotMember,
        DropReason::MartianSource,
        DropReason::BadIpv4Options,
    ];

    /// Stable snake_case name used by `dump`, `--headless` and the UI.
    pub fn name(self) -> &'static str {
        match self {
            DropReason::Malformed => "malformed",
            DropReason::BadChecksum => "bad_checksum",
            DropReason::NotForUs => "not_for_us",
            DropReason::UnsupportedEthertype => "unsupported_ethertype",
            DropReason::ArpNoReplyNeeded => "arp_no_reply_needed",
            DropReason::ArpResponderOff => "arp_responder_off",
            DropReason::IcmpResponderOff => "icmp_responder_off",
            DropReason::BroadcastEcho => "broadcast_echo",
            DropReason::IcmpNotEcho => "icmp_not_echo",
            DropReason::FragmentHeld => "fragment_held",
            DropReason::FragmentRejected => "fragment_rejected",
            DropReason::UdpDelivered => "udp_delivered",
            DropReason::IcmpErrorRateLimited => "icmp_error_rate_limited",
            DropReason::BadSource => "bad_source",
            DropReason::VlanNotMember => "vlan_not_member",
            DropReason::MartianSource => "martian_source",
            DropReason::BadIpv4Options => "bad_ipv4_options",
        }
    }

    fn index(self) -> usize {
        DropReason::ALL.iter().position(|r| *r == self).unwrap_or(0)
    }
}

/// What the stack did with one frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// One or more frames were sent in answer (ARP reply, echo reply, UDP echo, ICMP error).
    Answered(Answer),
    /// Nothing was sent; why.
    NoReply(DropReason),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Answer {
    ArpReply,
    EchoReply,
    UdpEcho,
    PortUnreachable,
    ProtocolUnreachable,
}

impl Answer {
    pub fn name(self) -> &'static str {
        match self {
            Answer::ArpReply => "arp_reply",
            Answer::EchoReply => "echo_reply",
            Answer::UdpEcho => "udp_echo",
            Answer::PortUnreachable => "port_unreachable",
            Answer::ProtocolUnreachable => "protocol_unreachable",
        }
    }
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Answered(a) => a.name(),
            Verdict::NoReply(r) => r.name(),
        }
    }
}

/// Every frame in is counted once, under its verdict. `frames_in == answered + sum(no_reply)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub frames_in: u64,
    pub frames_out: u64,
    pub answered: u64,
    no_reply: [u64; DropReason::ALL.len()],
}

impl Counters {
    pub fn record(&mut self, verdict: Verdict, frames_sent: usize) {
        self.frames_in += 1;
        self.frames_out += frames_sent as u64;
        match verdict {
            Verdict::Answered(_) => self.answered += 1,
            Verdict::NoReply(r) => self.no_reply[r.index()] += 1,
        }
    }

    pub fn no_reply(&self, reason: DropReason) -> u64 {
        self.no_reply[reason.index()]
    }

    /// (reason, count) for every reason with a non-zero count, in [`DropReason::ALL`] order.
    pub fn nonzero(&self) -> impl Iterator<Item = (DropReason, u64)> + '_ {
        DropReason::ALL
            .iter()
            .map(|r| (*r, self.no_reply(*r)))
            .filter(|(_, n)| *n > 0)
    }
}

/// Frames the stack wants sent, in one reusable buffer (no allocation per frame once warm).
#[derive(Default, Debug)]
pub struct Outbox {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Outbox {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }
    /// Append one frame built by `build`, which writes into the provided buffer's end.
    pub fn push_with(&mut self, build: impl FnOnce(&mut Vec<u8>)) {
        build(&mut self.bytes);
        self.ends.push(self.bytes.len());
    }
    pub fn push(&mut self, frame: &[u8]) {
        self.push_with(|b| b.extend_from_slice(frame));
    }
    pub fn len(&self) -> usize {
        self.ends.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let f = &self.bytes[start..end];
            start = end;
            f
        })
    }
}

/// One row of the stack's ARP cache as the UI shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ArpEntry {
    pub ip: Ipv4Addr,
    pub mac: [u8; 6],
    /// Seconds since learned or refreshed.
    pub age: f64,
    /// Seconds left before it expires.
    pub remaining: f64,
}

/// A UDP payload kept by the print sink.
#[derive(Clone, Debug, PartialEq)]
pub struct PrintedDatagram {
    pub at: Duration,
    pub from: (Ipv4Addr, u16),
    /// The payload, cut to [`PRINT_PAYLOAD_CAP`] bytes.
    pub payload: Vec<u8>,
    /// The payload's length as received (more than `payload.len()` when it was cut).
    pub orig_len: usize,
}
