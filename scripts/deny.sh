#!/usr/bin/env bash
# Supply-chain checks with cargo-deny (config: deny.toml).
# - installs cargo-deny when missing; a failed install fails this script (it never hides a check);
# - licenses, bans (one crypto backend: no ring, rsa or openssl) and sources must pass;
# - advisories need the RustSec database from GitHub: when that fetch fails (no network), the step
#   says so loudly and is skipped; any advisory found fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo deny --version >/dev/null 2>&1; then
  echo "installing cargo-deny" >&2
  cargo install cargo-deny --locked --version 0.20.2
fi
cargo deny --version

cargo deny check licenses bans sources

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if cargo deny check advisories >"$log" 2>&1; then
  cat "$log"
  echo "advisories ok"
elif grep -q "failed to fetch advisory database" "$log"; then
  tail -n 3 "$log" >&2
  echo "ADVISORIES NOT CHECKED: the RustSec advisory database could not be fetched (no network)." >&2
else
  cat "$log" >&2
  exit 1
fi
