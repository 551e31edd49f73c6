//! IPv4 reassembly as the screen tells it, Wireshark style: on the fragment that completes a
//! datagram, `[2 IPv4 Fragments (1481 bytes): #4(1480), #5(1)]` and `Reassembled IPv4
//! datagram: 1481 bytes of UDP (frames 4, 5)`; on the fragments before it, `[reassembled in
//! #5]`; where the frames in history do not make a whole datagram, what is missing or overlaps.
//!
//! Fragments belong together when they share source, destination, protocol and identification
//! (RFC 791 section 2.3, "Fragmentation"), and, in a merged replay, the input file. Computed
//! from the frames still in the UI's history (nothing outside it, so memory stays bounded by
//! the history's budget) from a few header bytes each, once per selected frame and history
//! state (cached): the stack's own reassembly (crates/net/src/stack/reassembly.rs) decides what ringside
//! delivers; this only explains the frames on screen.
use super::history::{FrameRef, History};
use crate::wire::LinkKind;
use std::cell::RefCell;

/// The reassembly key (RFC 791): (input, source, destination, protocol, identification).
type Key = (u16, [u8; 4], [u8; 4], u8, u16);

/// One fragment's place in its datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Piece {
    no: u64,
    /// Fragment offset in bytes (the header's value x 8).
    offset: usize,
    /// Bytes of IP payload this fragment carries.
    len: usize,
    /// More Fragments: not the last piece.
    more: bool,
}

/// What the layers pane says about a fragment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fragments {
    /// This frame completed the datagram: its pieces (frame, bytes) in offset order, the
    /// datagram's payload length and protocol.
    Completes {
        pieces: Vec<(u64, usize)>,
        total: usize,
        proto: u8,
    },
    /// An earlier piece of a datagram that frame `.0` completed.
    ReassembledIn(u64),
    /// The frames in history do not make a whole datagram: why (one line).
    Incomplete(String),
}

impl Fragments {
    /// The lines shown at the top of the layers pane.
    pub fn lines(&self) -> Vec<String> {
        match self {
            Fragments::Completes {
                pieces,
                total,
                proto,
            } => {
                let list = elide(pieces.iter().map(|(no, n)| format!("#{no}({n})")));
                let frames = elide(pieces.iter().map(|(no, _)| no.to_string()));
                vec![
                    format!("[{} IPv4 Fragments ({total} bytes): {list}]", pieces.len()),
                    format!(
                        "Reassembled IPv4 datagram: {total} bytes of {} (frames {frames})",
                        proto_name(*proto)
                    ),
                ]
            }
            Fragments::ReassembledIn(no) => vec![format!("[reassembled in #{no}]")],
            Fragments::Incomplete(why) => {
                vec![format!("[IPv4 fragment not reassembled: {why}]")]
            }
        }
    }
}

/// A list for one line: all of it up to 6 items, else the first 3, `…` and the last (a 65000-byte
/// ping is 44 fragments: the pane must keep room for the headers).
fn elide(items: impl Iterator<Item = String>) -> String {
    let v: Vec<String> = items.collect();
    if v.len() <= 6 {
        return v.join(", ");
    }
    format!("{}, …, {}", v[..3].join(", "), v[v.len() - 1])
}

fn proto_name(p: u8) -> String {
    match p {
        1 => "ICMP".into(),
        6 => "TCP".into(),
        17 => "UDP".into(),
        n => format!("protocol {n}"),
    }
}

/// Where the IPv4 header starts in a frame of this link kind, if the frame carries IPv4.
fn ipv4_at(link: LinkKind, f: &[u8]) -> Option<usize> {
    let be16 =
        |at: usize| -> Option<u16> { Some(u16::from_be_bytes([*f.get(at)?, *f.get(at + 1)?])) };
    match link {
        LinkKind::Ethernet => {
            let mut at = 12;
            // 802.1Q / 802.1ad tags, as many as there are (bounded by the frame).
            while matches!(be16(at)?, 0x8100 | 0x88a8) {
                at += 4;
            }
            (be16(at)? == 0x0800).then_some(at + 2)
        }
        LinkKind::LinuxSll => (be16(14)? == 0x0800).then_some(16),
        LinkKind::LinuxSll2 => (be16(0)? == 0x0800).then_some(20),
        LinkKind::RawIp => (*f.first()? >> 4 == 4).then_some(0),
    }
}

/// The key and piece of a frame that is an IPv4 fragment (MF set or offset non-zero).
fn piece(fr: &FrameRef<'_>) -> Option<(Key, Piece)> {
    let at = ipv4_at(fr.entry.link, fr.data)?;
    let ip = fr.data.get(at..at + 20)?;
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    if ip[0] >> 4 != 4 || ihl < 20 {
        return None;
    }
    let flags_off = u16::from_be_bytes([ip[6], ip[7]]);
    let more = flags_off & 0x2000 != 0;
    let offset = usize::from(flags_off & 0x1fff) * 8;
    if !more && offset == 0 {
        return None;
    }
    let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
    let len = total.checked_sub(ihl)?;
    let key = (
        fr.entry.source,
        [ip[12], ip[13], ip[14], ip[15]],
        [ip[16], ip[17], ip[18], ip[19]],
        ip[9],
        u16::from_be_bytes([ip[4], ip[5]]),
    );
    Some((
        key,
        Piece {
            no: fr.no,
            offset,
            len,
            more,
        },
    ))
}

/// Is this set of pieces a whole datagram? Ok(payload length) or Err(what is wrong).
fn judge(pieces: &[Piece]) -> Result<usize, String> {
    let mut sorted = pieces.to_vec();
    sorted.sort_by_key(|p| (p.offset, p.no));
    let mut covered = 0;
    for p in &sorted {
        if p.offset > covered {
            return Err(format!("fragment at {covered} missing"));
        }
        if p.offset < covered {
            return Err(format!(
                "frame {} overlaps bytes {}-{}",
                p.no,
                p.offset,
                covered.min(p.offset + p.len).max(p.offset + 1) - 1
            ));
        }
        covered = p.offset + p.len;
    }
    match sorted.iter().find(|p| !p.more) {
        None => Err("last fragment (MF=0) missing".to_string()),
        Some(last) if last.offset + last.len != covered => Err(format!(
            "data after the last fragment (frame {}, which ends at {})",
            last.no,
            last.offset + last.len
        )),
        Some(_) => Ok(covered),
    }
}

/// Frames looked at on each side of the selected one.
const WINDOW: u64 = 1 << 16;
/// Linux's default IPv4 reassembly timeout (net.ipv4.ipfrag_time): pieces further apart in
/// time never make one datagram there.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// What to say about frame `no` (None when it is not an IPv4 fragment).
pub fn for_frame(h: &History, no: u64) -> Option<Fragments> {
    let sel = h.get(no)?;
    let (key, _) = piece(&sel)?;
    let proto = key.3;
    let at = sel.entry.ts;
    // Walk the history in order, as a receiver would: pieces of this key gather into one
    // datagram until they make it whole; later pieces with the same key start another (the
    // sender's identification wrapped, or a retransmission). A set that can never be whole
    // (overlapping pieces: Linux drops such a datagram, net/ipv4/ip_fragment.c) ends too.
    let mut set: Vec<Piece> = Vec::new();
    // The end the last piece (MF clear) gives, and the bytes gathered: the set is judged (a
    // sort) only when it may be whole, so a long run of pieces costs O(n log n), not O(n^2).
    let (mut end, mut bytes) = (None, 0usize);
    // Bounded: a datagram's pieces lie within WINDOW frames of each other (IPv4 allows at most
    // 8192 per datagram) and within Linux's reassembly timeout (ipfrag_time, 30 s) of one
    // another; a live fragment flood must not make each draw walk the whole history.
    let first = no.saturating_sub(WINDOW).max(h.first_no());
    let last = no.saturating_add(WINDOW);
    for fr in (first..=last).map_while(|n| h.get(n)) {
        if fr.entry.ts.abs_diff(at) > TIMEOUT {
            continue;
        }
        let Some((k, p)) = piece(&fr) else { continue };
        if k != key {
            continue;
        }
        set.push(p);
        bytes += p.len;
        if !p.more {
            end = Some(p.offset + p.len);
        }
        if end.is_none_or(|e| bytes < e) {
            continue;
        }
        let verdict = judge(&set);
        if set.iter().any(|p| p.no == no) {
            return Some(match verdict {
                Ok(total) if fr.no == no => {
                    set.sort_by_key(|p| (p.offset, p.no));
                    Fragments::Completes {
                        pieces: set.iter().map(|p| (p.no, p.len)).collect(),
                        total,
                        proto,
                    }
                }
                Ok(_) => Fragments::ReassembledIn(fr.no),
                Err(why) => Fragments::Incomplete(why),
            });
        }
        set.clear();
        (end, bytes) = (None, 0);
    }
    if !set.iter().any(|p| p.no == no) {
        return None;
    }
    Some(Fragments::Incomplete(judge(&set).err().unwrap_or_default()))
}

/// What a cached answer was computed from: the history (where it lives and what it holds: first
/// and last frame, bytes) and the selected frame (number, time, length). Frames only arrive and
/// leave at the ends, so the same extent and byte count means the same frames.
type CacheKey = (
    usize,
    u64,
    Option<u64>,
    usize,
    u64,
    std::time::Duration,
    usize,
);

thread_local! {
    /// The last answer: the walk runs once per selection (and again when frames arrive or
    /// leave), not on every draw.
    static CACHE: RefCell<Option<(CacheKey, Option<Fragments>)>> = const { RefCell::new(None) };
}

/// [`for_frame`], cached.
pub fn cached(h: &History, no: u64) -> Option<Fragments> {
    let fr = h.get(no)?;
    let key = (
        h as *const History as usize,
        h.first_no(),
        h.last_no(),
        h.bytes(),
        no,
        fr.entry.ts,
        fr.data.len(),
    );
    CACHE.with(|c| {
        if let Some((k, v)) = c.borrow().as_ref() {
            if *k == key {
                return v.clone();
            }
        }
        let v = for_frame(h, no);
        *c.borrow_mut() = Some((key, v.clone()));
        v
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(no: u64, offset: usize, len: usize, more: bool) -> Piece {
        Piece {
            no,
            offset,
            len,
            more,
        }
    }

    #[test]
    fn whole_missing_and_overlapping_sets_are_told_apart() {
        assert_eq!(
            judge(&[p(4, 0, 1480, true), p(5, 1480, 1, false)]),
            Ok(1481)
        );
        // Out of order is fine.
        assert_eq!(
            judge(&[p(5, 1480, 1, false), p(4, 0, 1480, true)]),
            Ok(1481)
        );
        assert_eq!(
            judge(&[p(5, 1480, 1, false)]).unwrap_err(),
            "fragment at 0 missing"
        );
        assert_eq!(
            judge(&[p(1, 0, 1480, true), p(3, 2960, 8, false)]).unwrap_err(),
            "fragment at 1480 missing"
        );
        assert!(judge(&[p(1, 0, 1480, true)])
            .unwrap_err()
            .starts_with("last fragment (MF=0) missing"));
        assert_eq!(
            judge(&[p(1, 0, 1480, true), p(2, 1472, 16, false)]).unwrap_err(),
            "frame 2 overlaps bytes 1472-1479"
        );
        assert!(judge(&[p(1, 0, 16, false), p(2, 16, 8, true)])
            .unwrap_err()
            .starts_with("data after the last fragment"));
    }

    #[test]
    fn lines_read_like_wiresharks() {
        let f = Fragments::Completes {
            pieces: vec![(4, 1480), (5, 1)],
            total: 1481,
            proto: 17,
        };
        assert_eq!(
            f.lines(),
            [
                "[2 IPv4 Fragments (1481 bytes): #4(1480), #5(1)]",
                "Reassembled IPv4 datagram: 1481 bytes of UDP (frames 4, 5)"
            ]
        );
        let many = Fragments::Completes {
            pieces: (4..48)
                .map(|no| (no, if no < 47 { 1480 } else { 88 }))
                .collect(),
            total: 43 * 1480 + 88,
            proto: 1,
        };
        assert_eq!(
            many.lines(),
            [
                "[44 IPv4 Fragments (63728 bytes): #4(1480), #5(1480), #6(1480), …, #47(88)]",
                "Reassembled IPv4 datagram: 63728 bytes of ICMP (frames 4, 5, 6, …, 47)"
            ]
        );
        assert_eq!(Fragments::ReassembledIn(5).lines(), ["[reassembled in #5]"]);
    }
}
