#!/usr/bin/env bash
# Fuzz for longer than CI does: each target for SECONDS (default 1800) with JOBS parallel jobs
# (default 1; the machine is shared), keeping the corpus in fuzz/corpus between runs so coverage
# accumulates. Any crash fails the run and is left in fuzz/artifacts/TARGET/: turn it into a
# regression test in tests/ (see tests/wire/wire_regressions.rs), then fix.
#
#   tools/fuzz-long.sh [SECONDS] [TARGETS...]      e.g. tools/fuzz-long.sh 3600 stack
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-1800}
shift || true
targets=${*:-dissect stack pcap}
FUZZ_SECONDS=$secs FUZZ_TARGETS=$targets FUZZ_JOBS=${JOBS:-1} exec .ci/fuzz
