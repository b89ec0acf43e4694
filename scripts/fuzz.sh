#!/usr/bin/env bash
# Fuzz smoke run: builds every cargo-fuzz target in fuzz/ and runs each for SECONDS (default 60),
# on the stable toolchain. Fails if cargo-fuzz cannot be installed, a build fails, or any target
# crashes (panic, sanitizer report, timeout, out-of-memory). Prints the executions per target.
#
#   bash scripts/fuzz.sh [seconds]
#
# cargo-fuzz needs nightly-only rustc flags (-Zsanitizer, -Cpasses=sancov); RUSTC_BOOTSTRAP=1 lets
# the stable compiler accept them. libFuzzer is C++: it needs a C++ compiler (g++ or clang++).
# New inputs the fuzzer finds go to fuzz/corpus/<target>/ and crashes to fuzz/artifacts/<target>/
# (both git-ignored, except the committed corpus/*/seed-* files).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
case "$seconds" in
  '' | *[!0-9]* | 0) echo "usage: $0 [seconds > 0]" >&2; exit 2 ;;
esac
# Pinned for reproducible CI; any installed cargo-fuzz is used as is.
cargo_fuzz_version="${CARGO_FUZZ_VERSION:-0.13.2}"

export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR=never

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz $cargo_fuzz_version"
  if ! cargo install cargo-fuzz --locked --version "$cargo_fuzz_version"; then
    echo "error: could not install cargo-fuzz" >&2
    exit 1
  fi
  if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "error: cargo-fuzz was installed but 'cargo fuzz' does not run (is ~/.cargo/bin on PATH?)" >&2
    exit 1
  fi
fi
cargo fuzz --version

mapfile -t targets < <(cargo fuzz list)
if [ "${#targets[@]}" -eq 0 ]; then
  echo "error: no fuzz targets found in fuzz/" >&2
  exit 1
fi

echo "== cargo fuzz build (${targets[*]})"
cargo fuzz build

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
failed=()
summary=()
for target in "${targets[@]}"; do
  echo "== cargo fuzz run $target (${seconds}s)"
  log="$logs/$target.log"
  # -timeout: one input taking over 10 s is a denial-of-service bug, reported as a crash.
  # -max_len: above the verifier's 8 KiB token cap, so the cap itself is exercised.
  status=0
  cargo fuzz run "$target" -- \
    -max_total_time="$seconds" -timeout=10 -max_len=10240 \
    >"$log" 2>&1 || status=$?
  done_line=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -n 1 || true)
  if [ "$status" -ne 0 ] || [ -z "$done_line" ]; then
    echo "!! $target failed (exit $status); end of its log:"
    tail -n 60 "$log"
    failed+=("$target")
    summary+=("$(printf '%-14s CRASHED (exit %s), see fuzz/artifacts/%s/' "$target" "$status" "$target")")
  else
    runs=$(sed -E 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\1 executions in \2 s/' <<<"$done_line")
    # libFuzzer's last status line: "#N DONE cov: C ft: F corp: K/SIZE ...".
    coverage=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 |
      sed -nE 's/.*cov: ([0-9]+).*corp: ([0-9]+)\/.*/cov \1, corpus \2/p' || true)
    [ -n "$coverage" ] && runs="$runs ($coverage)"
    echo "$target: $runs"
    summary+=("$(printf '%-14s %s' "$target" "$runs")")
  fi
done

echo "== fuzz summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -ne 0 ]; then
  echo "error: fuzz targets failed: ${failed[*]}" >&2
  exit 1
fi
