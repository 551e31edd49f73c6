#!/usr/bin/env bash
# The large version of the proof tests: the same checks as CI over corpora SCALE times bigger
# (new seeds' worth of frames: the generators are seeded, so a run is reproducible), release build.
#
#   tools/proof-large.sh [SCALE]        default 20: ~340k frames compared with tshark, ~900k
#                                       frames through `respond`, 40 editcap mutations
#   RINGSIDE_AGREEMENT_FILES=a.pcap:b.pcapng tools/proof-large.sh   also compare these captures
#   RINGSIDE_AGREEMENT_VERBOSE=1        list every mismatch, not 4 per field
#   RINGSIDE_AGREEMENT_KEEP=DIR         keep the generated captures (to open one in Wireshark)
#
# Longer fuzzing: tools/fuzz-long.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export RINGSIDE_PROOF_SCALE=${1:-20}
echo "proof: scale $RINGSIDE_PROOF_SCALE (CI runs scale 1)"
cargo test --release --test wire -- --nocapture --test-threads=1 agreement::
cargo test --release --test stack -- --nocapture --test-threads=1 corpus_respond::
cargo test --release --test corpus_floods -- --nocapture --test-threads=1
