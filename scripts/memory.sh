#!/usr/bin/env bash
# Memory soak of the layer under key rotation: builds and runs `examples/soak.rs` (release).
#
#   bash scripts/memory.sh [seconds]      # default 90 (SOAK_SECONDS), at most 3600
#
# In one process: a LocalIssuer serving its JWKS on 127.0.0.1, a layer refreshing every second
# (unknown-kid cooldown 250 ms), a new key every SOAK_ROTATE_SECONDS (default 3) with all but the
# two newest withdrawn, and a client loop sending fresh tokens, fresh unknown kids and
# withdrawn-key tokens through the layer. VmRSS is sampled every second. Prints the counters and
# the RSS summary; exits non-zero when the end RSS is more than max(10%, 5 MiB) above the RSS
# after warm-up (SOAK_WARMUP_SECONDS, default a quarter of the run, at least 10 s).
#
# Bounded: the soak stops itself after the duration; `timeout` kills it 120 s later at the latest.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

seconds="${1:-${SOAK_SECONDS:-90}}"
case "$seconds" in
    '' | *[!0-9]* | 0) echo "usage: $0 [seconds > 0]" >&2; exit 2 ;;
esac
[ "$seconds" -le 3600 ] || { echo "memory.sh: at most 3600 seconds" >&2; exit 2; }

echo "memory.sh: building examples/soak.rs (release)" >&2
timeout 1800 cargo build --release --example soak --features test-util >&2 \
    || { echo "memory.sh: error: cargo build --release --example soak --features test-util failed" >&2; exit 1; }

SOAK_PID=""
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [ -n "$SOAK_PID" ] && kill -0 "$SOAK_PID" 2>/dev/null; then
        kill "$SOAK_PID" 2>/dev/null || true
        wait "$SOAK_PID" 2>/dev/null || true
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "memory.sh: soak for ${seconds}s (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
timeout --kill-after=10 $((seconds + 120)) "$ROOT/target/release/examples/soak" "$seconds" &
SOAK_PID=$!
rc=0
wait "$SOAK_PID" || rc=$?
SOAK_PID=""
case "$rc" in
    0) ;;
    124 | 137) echo "memory.sh: error: the soak did not finish in time" >&2 ;;
    *) echo "memory.sh: error: the soak failed (exit $rc)" >&2 ;;
esac
exit "$rc"
