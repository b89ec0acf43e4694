#!/usr/bin/env bash
# Instructions per iteration of each case of the criterion group `verify` (benches/verify.rs),
# counted by callgrind: the steady companion of the timed ratios, which move by a few percent
# between cases run seconds apart on a shared machine.
#
#   bash scripts/profile-bench.sh
#
# Builds the bench (`cargo bench --bench verify --features test-util --no-run`), runs each case
# under `valgrind --tool=callgrind` with criterion's `--profile-time 1` (iterations without
# analysis), and divides the instructions of `criterion::bencher::Bencher::iter` (the timed loop,
# inclusive) by its iterations (the call count of its most-called callee). Prints a Markdown
# table: instructions per iteration and the ratio to `floor_rsa_verify`; the layer rows also
# subtract `oneshot_without_layer`, as the timed table does.
#
# Installs valgrind with apt-get when missing (root, Debian/Ubuntu). Each case is bounded by
# `timeout`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SCRIPT_NAME=profile-bench.sh
# shellcheck source=scripts/quickstart-lib.sh
. "$ROOT/scripts/quickstart-lib.sh"

CASES=(floor_rsa_verify verify_access verify_id oneshot_without_layer oneshot_with_layer
    oneshot_with_layer_uncached reject_malformed reject_unknown_kid reject_wrong_alg
    reject_adversarial_header reject_adversarial_header_8x_cap)
# PROFILE_CASES="floor_rsa_verify oneshot_without_layer reject_adversarial_header" runs only those
# (the floor and `oneshot_without_layer` are needed for the ratios).
if [ -n "${PROFILE_CASES:-}" ]; then
    read -r -a CASES <<<"$PROFILE_CASES"
fi

ensure_apt_tools valgrind
require_tools callgrind_annotate timeout python3

log "building the bench (release)"
BIN="$(timeout 1800 cargo bench --bench verify --features test-util --no-run --message-format=json \
    | python3 -c '
import json, sys
for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("reason") == "compiler-artifact" and msg.get("target", {}).get("name") == "verify" \
            and msg.get("executable"):
        print(msg["executable"])')" || die "cargo bench --no-run failed"
[ -x "$BIN" ] || die "no bench executable found"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/tower-cognito-profile-bench.XXXXXX")"
cleanup() { rm -rf "$WORK"; }
on_exit cleanup

for case in "${CASES[@]}"; do
    log "$case"
    timeout 600 valgrind --tool=callgrind --callgrind-out-file="$WORK/$case.out" \
        "$BIN" --bench --profile-time 1 "verify/$case\$" >/dev/null 2>"$WORK/$case.err" \
        || { cat "$WORK/$case.err" >&2; die "callgrind run of $case failed"; }
    callgrind_annotate --inclusive=yes --tree=calling --threshold=100 "$WORK/$case.out" \
        >"$WORK/$case.txt" 2>/dev/null || die "callgrind_annotate failed on $case"
done

python3 - "$WORK" "${CASES[@]}" <<'PY'
import re, sys

work, cases = sys.argv[1], sys.argv[2:]

def per_iteration(case):
    """Inclusive instructions of Bencher::iter ÷ the call count of its most-called callee."""
    lines = open(f"{work}/{case}.txt").read().splitlines()
    for i, line in enumerate(lines):
        if re.search(r"\*\s+\S*criterion::bencher::Bencher<M>::iter\b", line):
            total = int(line.split()[0].replace(",", ""))
            # The callee list ends at the first blank line.
            calls = []
            for callee in lines[i + 1:]:
                if not callee.strip():
                    break
                m = re.search(r"\(([\d,]+)x\)", callee)
                if m:
                    calls.append(int(m.group(1).replace(",", "")))
            if not calls:
                break
            return total / max(calls)
    sys.exit(f"profile-bench.sh: no Bencher::iter in the profile of {case}")

ir = {case: per_iteration(case) for case in cases}
floor = ir["floor_rsa_verify"]
base = ir["oneshot_without_layer"]
print()
print("| case | instructions per iteration | ratio to floor |")
print("|---|---:|---:|")
for case in sorted(cases, key=ir.get):
    print(f"| {case} | {ir[case]:,.0f} | {ir[case] / floor:.4f} |")
for case, label in [("oneshot_with_layer_uncached", "layer cost, token cache off (with − without)"),
                    ("oneshot_with_layer", "layer cost, cache hit (with − without)")]:
    if case not in ir:
        continue
    cost = ir[case] - base
    print(f"| {label} | {cost:,.0f} | {cost / floor:.4f} |")
PY
