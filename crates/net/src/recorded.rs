//! Recorded verdicts: what ringside did with each frame, written beside the frame as a pcapng
//! packet comment (`opt_comment`, RFC draft-ietf-opsawg-pcapng §4.2), so a capture carries what
//! actually happened and `replay` can show it instead of judging the frames again.
//!
//! The comment is one line, stable and machine-parseable:
//!
//! ```text
//! ringside: dir=in verdict=arp_responder_off arp=off icmp=on
//! ringside: dir=out arp=on icmp=on
//! ```
//!
//! - `dir`: `in` (received from the link) or `out` (sent by ringside).
//! - `verdict` (received frames only): what the stack did, by the names `dump`, `respond` and
//!   `--headless` print: an answer (`arp_reply`, `echo_reply`, `udp_echo`, `port_unreachable`,
//!   `protocol_unreachable`, all counted as `answered`) or a no-reply reason (`not_for_us`,
//!   `arp_responder_off`, ...).
//! - `arp`, `icmp`: the responder switches (`on`/`off`) when the frame was handled.
//!
//! Readers ignore keys they do not know (later versions may add some) and anything not starting
//! with `ringside:`. `tshark -r FILE -T fields -e frame.comment` prints the comments.
use crate::link::frame::Direction;
use crate::stack::{Answer, DropReason, StackConfig, Verdict};

/// The responder switches at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Responders {
    pub arp: bool,
    pub icmp: bool,
}

impl Default for Responders {
    /// Both on, as ringside starts.
    fn default() -> Self {
        Responders {
            arp: true,
            icmp: true,
        }
    }
}

/// One frame's recorded facts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameNote {
    pub dir: Direction,
    /// What the stack did (received frames; None for frames it sent).
    pub verdict: Option<Verdict>,
    pub responders: Responders,
}

/// Every comment starts with this.
pub const PREFIX: &str = "ringside:";

/// Comments longer than this are not ringside's (a note is under 80 bytes): not parsed at all,
/// so a hostile multi-megabyte comment costs nothing beyond the reader's bounded buffer.
pub const MAX_NOTE_LEN: usize = 256;

fn on_off(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

impl FrameNote {
    /// The packet comment, e.g. `ringside: dir=in verdict=echo_reply arp=on icmp=on`.
    pub fn to_comment(&self) -> String {
        let mut s = String::new();
        self.write_comment(&mut s);
        s
    }

    /// [`Self::to_comment`] into a reused buffer (the recorder writes one per frame).
    pub fn write_comment(&self, out: &mut String) {
        use std::fmt::Write;
        out.clear();
        let dir = match self.dir {
            Direction::In => "in",
            Direction::Out => "out",
        };
        let _ = write!(out, "{PREFIX} dir={dir}");
        if let Some(v) = self.verdict {
            let _ = write!(out, " verdict={}", v.name());
        }
        let _ = write!(
            out,
            " arp={} icmp={}",
            on_off(self.responders.arp),
            on_off(self.responders.icmp)
        );
    }

    /// Read a comment written by [`Self::to_comment`]. None when it is not ringside's (other
    /// text, too long, or no valid `dir`). An unknown verdict name (a newer ringside) gives a
    /// note without a verdict; missing switches read as on.
    pub fn parse(comment: &str) -> Option<FrameNote> {
        if comment.len() > MAX_NOTE_LEN {
            return None;
        }
        let rest = comment.strip_prefix(PREFIX)?;
        let mut dir = None;
        let mut verdict = None;
        let mut responders = Responders::default();
        for pair in rest.split_ascii_whitespace() {
            let Some((key, value)) = pair.split_once('=') else {
                continue;
            };
            match key {
                "dir" => {
                    dir = match value {
                        "in" => Some(Direction::In),
                        "out" => Some(Direction::Out),
                        _ => return None,
                    }
                }
                "verdict" => verdict = verdict_by_name(value),
                "arp" => responders.arp = value != "off",
                "icmp" => responders.icmp = value != "off",
                _ => {}
            }
        }
        let dir = dir?;
        Some(FrameNote {
            dir,
            verdict: if dir == Direction::In { verdict } else { None },
            responders,
        })
    }
}

/// Every answer, for reading names back. The match below fails to compile when one is added
/// without being listed here.
const ANSWERS: [Answer; 5] = [
    Answer::ArpReply,
    Answer::EchoReply,
    Answer::UdpEcho,
    Answer::PortUnreachable,
    Answer::ProtocolUnreachable,
];

#[allow(dead_code)]
fn every_answer_is_listed(a: Answer) {
    match a {
        Answer::ArpReply
        | Answer::EchoReply
        | Answer::UdpEcho
        | Answer::PortUnreachable
        | Answer::ProtocolUnreachable => {}
    }
}

/// The verdict `name` stands for ([`Verdict::name`] backwards).
pub fn verdict_by_name(name: &str) -> Option<Verdict> {
    ANSWERS
        .iter()
        .map(|a| Verdict::Answered(*a))
        .chain(DropReason::ALL.iter().map(|r| Verdict::NoReply(*r)))
        .find(|v| v.name() == name)
}

/// The section comment: who recorded the capture and how to read its packet comments.
pub fn section_comment(host: &StackConfig) -> String {
    let m = host.mac;
    format!(
        "Recorded by ringside {} (a user-space network stack) as {}/{} {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}. \
         A frame's comment starting \"ringside:\" says what ringside did with it: \
         \"ringside: dir=in|out [verdict=NAME] arp=on|off icmp=on|off\".",
        env!("CARGO_PKG_VERSION"),
        host.ip,
        host.prefix,
        m[0],
        m[1],
        m[2],
        m[3],
        m[4],
        m[5]
    )
}

/// The section's `shb_userappl`: `ringside X.Y.Z`.
pub fn user_application() -> String {
    format!("ringside {}", env!("CARGO_PKG_VERSION"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_verdict_round_trips_through_its_comment() {
        let verdicts = ANSWERS
            .iter()
            .map(|a| Verdict::Answered(*a))
            .chain(DropReason::ALL.iter().map(|r| Verdict::NoReply(*r)));
        for v in verdicts {
            for (arp, icmp) in [(true, true), (false, true), (true, false), (false, false)] {
                let note = FrameNote {
                    dir: Direction::In,
                    verdict: Some(v),
                    responders: Responders { arp, icmp },
                };
                assert_eq!(FrameNote::parse(&note.to_comment()), Some(note));
            }
        }
        let out = FrameNote {
            dir: Direction::Out,
            verdict: None,
            responders: Responders::default(),
        };
        assert_eq!(out.to_comment(), "ringside: dir=out arp=on icmp=on");
        assert_eq!(FrameNote::parse(&out.to_comment()), Some(out));
    }

    #[test]
    fn the_format_is_the_documented_one() {
        let note = FrameNote {
            dir: Direction::In,
            verdict: Some(Verdict::NoReply(DropReason::ArpResponderOff)),
            responders: Responders {
                arp: false,
                icmp: true,
            },
        };
        assert_eq!(
            note.to_comment(),
            "ringside: dir=in verdict=arp_responder_off arp=off icmp=on"
        );
    }

    #[test]
    fn foreign_odd_and_hostile_comments_are_not_notes() {
        for c in [
            "",
            "ringside",
            "ringside:",
            "ringside: verdict=answered",
            "ringside: dir=sideways verdict=arp_reply",
            "captured at the lab bench",
            "Ringside: dir=in",
            "\u{1b}[2Jringside: dir=in",
        ] {
            assert_eq!(FrameNote::parse(c), None, "{c:?}");
        }
        let huge = format!("ringside: dir=in {}", "x".repeat(1 << 20));
        assert_eq!(FrameNote::parse(&huge), None);
        // Unknown keys and verdict names from a newer ringside: keep what is known.
        let n =
            FrameNote::parse("ringside: dir=in verdict=teleported arp=off icmp=on ttl=9").unwrap();
        assert_eq!(n.verdict, None);
        assert!(!n.responders.arp);
        // Control bytes in a value never come back out: values are matched, not kept.
        let n = FrameNote::parse("ringside: dir=in verdict=\u{1b}[31m").unwrap();
        assert_eq!(n.verdict, None);
    }
}
