//! What the fuzz targets share: the frame-sequence encoding the stack target reads (and the seed
//! writer writes), and the invariants every target asserts. A broken invariant panics, which
//! libFuzzer reports as a crash with the input that caused it.
use ringside::cli::dump::{Dumper, COLUMNS};
use ringside::stack::{Outbox, Stack, StackConfig};
use ringside::wire::{Check, Dissection, LayerKind, Value};
use std::time::Duration;

/// One frame of a fuzz input for the stack: how long after the previous one it arrives, whether
/// the capture flagged its checksum as not ready, and its bytes.
pub struct Rec<'a> {
    pub step: Duration,
    pub csum_not_ready: bool,
    pub data: &'a [u8],
}

/// Records are `[ctl][len: u16 BE][len bytes]`; a short last record takes what is left.
/// `ctl & 0x7f` is the time step: 126 = 31 s (past the reassembly timeout), 127 = 61 s (past the
/// ARP lifetime), otherwise that many 10 ms; bit 7 is `csum_not_ready`.
pub fn split(mut data: &[u8]) -> impl Iterator<Item = Rec<'_>> {
    std::iter::from_fn(move || {
        if data.len() < 3 {
            return None;
        }
        let ctl = data[0];
        let len = usize::from(u16::from_be_bytes([data[1], data[2]])).min(data.len() - 3);
        let rec = Rec {
            step: match ctl & 0x7f {
                127 => Duration::from_secs(61),
                126 => Duration::from_secs(31),
                n => Duration::from_millis(10 * u64::from(n)),
            },
            csum_not_ready: ctl & 0x80 != 0,
            data: &data[3..3 + len],
        };
        data = &data[3 + len..];
        Some(rec)
    })
}

/// The inverse of [`split`] with 10 ms steps: for seeds.
pub fn encode<'a>(frames: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for f in frames {
        let f = &f[..f.len().min(usize::from(u16::MAX))];
        out.push(1);
        out.extend_from_slice(&(f.len() as u16).to_be_bytes());
        out.extend_from_slice(f);
    }
    out
}

/// The field map stays inside the frame and in order, the summary and dump line are built, and the
/// dump line has exactly one cell per column on one line.
pub fn check_dissection(frame: &[u8], d: &Dissection, dumper: &mut Dumper) {
    assert_eq!(d.frame_len, frame.len());
    let mut prev_start = 0;
    for l in &d.layers {
        assert!(
            l.bytes.start <= l.bytes.end && l.bytes.end <= frame.len(),
            "{l:?}"
        );
        assert!(
            l.bytes.start >= prev_start || l.kind == LayerKind::Payload,
            "layers out of order: {:?}",
            d.layers
        );
        prev_start = l.bytes.start;
        for f in d.layer_fields(l) {
            assert!(
                f.byte_range().end <= frame.len(),
                "{} outside the frame",
                f.key
            );
            assert!(
                f.bit_len > 0 && f.bit_len <= 8 * frame.len() as u32,
                "{f:?}"
            );
        }
    }
    assert_eq!(
        d.fields.len(),
        d.layers.iter().map(|l| l.fields.len()).sum::<usize>()
    );
    let s = d.summary();
    assert!(!s.protocol.is_empty());
    let line = dumper.line(1, Duration::ZERO, frame.len(), frame.len() as u32, d);
    // Written byte by byte: it must still be UTF-8 (Info holds names like "→").
    let line = std::str::from_utf8(line).expect("a dump line is UTF-8");
    assert!(
        line.ends_with('\n') && line.matches('\n').count() == 1,
        "{line:?}"
    );
    if line.starts_with('{') {
        assert!(line.trim_end().ends_with('}'), "{line:?}"); // JSON: one object
    } else {
        assert_eq!(line.matches('\t').count(), COLUMNS.len() - 1, "{line:?}");
    }
}

/// A frame the stack sent: well formed, every checksum right (a fragment's L4 checksum cannot be
/// judged from one fragment), no bigger than the MTU, and sent to whoever sent the trigger.
pub fn check_reply(cfg: &StackConfig, trigger: &[u8], reply: &[u8]) {
    let d = ringside::wire::dissect(reply);
    assert!(
        d.problems.is_empty(),
        "reply {:?}: {:02x?}",
        d.problems,
        reply
    );
    let fragment =
        d.num("ipv4.frag_offset").unwrap_or(0) > 0 || d.num("ipv4.flags").unwrap_or(0) & 1 != 0;
    for f in &d.fields {
        match f.check {
            None | Some(Check::Good) => {}
            Some(Check::Unverified) if fragment => {}
            Some(c) => panic!("reply {} is {c:?}: {reply:02x?}", f.key),
        }
    }
    if let Some(total) = d.num("ipv4.total_length") {
        assert!(
            total as usize <= cfg.mtu,
            "reply of {total} bytes over MTU {}",
            cfg.mtu
        );
    }
    // The sender: the Ethernet source, or for ARP the sender hardware address (RFC 826).
    let t = ringside::wire::dissect(trigger);
    let sender = match t.field("arp.sha").or(t.field("eth.src")).map(|f| f.value) {
        Some(Value::Mac(m)) => m,
        other => panic!("a reply to a frame without a sender MAC: {other:?}"),
    };
    assert_eq!(
        reply[0..6],
        sender,
        "reply not sent to the trigger's sender"
    );
    assert_eq!(&reply[6..12], &cfg.mac, "reply not from our MAC");
    // Back the way it came: the trigger's VLAN tags, which must be a VLAN we are a member of
    // (or none, or a lone priority tag).
    let tags = |f: &[u8]| {
        let mut at = 12;
        while f.len() >= at + 4
            && ringside::wire::is_vlan_tpid(u16::from_be_bytes([f[at], f[at + 1]]))
        {
            at += 4;
        }
        f[12..at].to_vec()
    };
    let (tt, rt) = (tags(trigger), tags(reply));
    assert_eq!(tt, rt, "reply tags differ from the trigger's");
    let vids: Vec<u16> = tt
        .chunks(4)
        .map(|t| u16::from_be_bytes([t[2], t[3]]) & 0xfff)
        .collect();
    assert!(
        vids.is_empty() || vids == [0] || cfg.vlans.contains(&vids),
        "answered a frame of VLAN {vids:?}, not a member"
    );
    // Never to a martian source (Linux's ip_route_input_slow drops them).
    if let Some(Value::Ipv4(src)) = t.field("ipv4.src").map(|f| f.value) {
        let first = src[0];
        assert!(
            !(first == 0 || first == 127 || first >= 224),
            "answered a martian source {src:?}"
        );
    }
}

/// Feed a frame sequence through a fresh stack, checking every reply and the counters.
pub fn run_stack(data: &[u8]) {
    let cfg = StackConfig {
        answer_broadcast_echo: data.first().is_some_and(|b| b & 1 != 0),
        // Sometimes a member of a few VLANs, so tagged frames reach IPv4 too.
        vlans: if data.first().is_some_and(|b| b & 2 != 0) {
            vec![vec![1], vec![42], vec![100, 101]]
        } else {
            Vec::new()
        },
        ..StackConfig::default()
    };
    let mut stack = Stack::new(cfg.clone());
    let mut out = Outbox::new();
    let mut now = Duration::from_secs(1_000);
    let (mut fed, mut sent) = (0u64, 0u64);
    for rec in split(data) {
        now += rec.step;
        stack.poll(now);
        out.clear();
        stack.handle_frame(now, rec.data, rec.csum_not_ready, &mut out);
        fed += 1;
        for reply in out.iter() {
            check_reply(&cfg, rec.data, reply);
            sent += 1;
        }
        assert!(stack.reassembly_bytes() <= cfg.reassembly_mem_cap);
        assert!(stack.arp_cache(now).len() <= cfg.arp_cache_cap);
    }
    let c = stack.counters();
    assert_eq!(c.frames_in, fed);
    assert_eq!(c.frames_out, sent);
    assert_eq!(
        c.frames_in,
        c.answered + c.nonzero().map(|(_, n)| n).sum::<u64>()
    );
}
