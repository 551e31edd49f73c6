//! The corpus generator (tests/support/corpus_gen.rs) checked: the same seed gives the same
//! bytes, and its "valid" corpus is valid.
use crate::support::corpus_gen::*;
use ringside::wire::{dissect, Check};

#[test]
fn same_seed_same_corpus() {
    assert_eq!(hostile_corpus(7, 300), hostile_corpus(7, 300));
    assert_ne!(hostile_corpus(7, 300), hostile_corpus(8, 300));
}

/// The "valid" corpus really is valid: a generator bug would otherwise show up as a decoder
/// disagreement (or hide one).
#[test]
fn valid_frames_have_right_checksums_and_lengths() {
    let mut kinds = std::collections::BTreeSet::new();
    for (i, rec) in valid_corpus(1, 2000).iter().enumerate() {
        let d = dissect(&rec.data);
        assert!(d.problems.is_empty(), "frame {i}: {:?}", d.problems);
        for f in &d.fields {
            if let Some(c) = f.check {
                assert!(
                    matches!(c, Check::Good | Check::Absent | Check::Unverified),
                    "frame {i}: {} {c:?}",
                    f.key
                );
            }
        }
        kinds.insert(d.summary().protocol);
    }
    for k in ["ARP", "ICMP", "UDP", "IPv4"] {
        assert!(kinds.contains(k), "{k} missing from {kinds:?}");
    }
}
