#!/usr/bin/env bash
# The client-side cost of one USER_SRP_AUTH login (SRP_A and the PASSWORD_VERIFIER answer) in
# tower-cognito-client (criterion, benches/srp.rs of the workspace), pycognito and
# amazon-cognito-identity-js, on the same inputs (tests/data/srp/srp_vectors_pycognito.json of
# this crate, case 2), on this machine; prints the ratios.
#
#   bash client/scripts/srp-bench.sh
#
# Installs pycognito (pip, into the user site) and amazon-cognito-identity-js (npm, into a temp
# dir) when missing. No network traffic besides the package installs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYCOGNITO_VERSION=2024.5.1
JS_VERSION=6.3.21
VECTORS=tests/data/srp/srp_vectors_pycognito.json

python3 -c "import pycognito" 2>/dev/null || pip install --quiet "pycognito==$PYCOGNITO_VERSION"
NODE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/srp-bench.XXXXXX")"
trap 'rm -rf "$NODE_DIR"' EXIT
(cd "$NODE_DIR" && npm install --silent --no-audit --no-fund "amazon-cognito-identity-js@$JS_VERSION" >/dev/null)

echo "== tower-cognito (criterion)"
cargo bench -p tower-cognito-benches --bench srp -- --noplot 2>&1 | grep -E "^srp/|time:"

echo "== pycognito $PYCOGNITO_VERSION"
py_out=$(python3 scripts/srp-vectors/srp_vectors.py --timing 2>&1 >/dev/null)
echo "$py_out"

echo "== amazon-cognito-identity-js $JS_VERSION"
js_out=$(NODE_PATH="$NODE_DIR/node_modules" node scripts/srp-vectors/srp_vectors_js.cjs --timing "$VECTORS" 2>&1 >/dev/null)
echo "$js_out"

python3 - "$py_out" "$js_out" <<'PY'
import json, pathlib, re, sys

py, js = sys.argv[1], sys.argv[2]
rust_ns = json.loads(pathlib.Path("../target/criterion/srp/login/new/estimates.json").read_text())["median"]["point_estimate"]
rust = rust_ns / 1e6
claim = float(re.search(r"process_challenge mean ([\d.]+) ms", py).group(1))
init = float(re.search(r"A = g\^a\) mean ([\d.]+) ms", py).group(1))
node = float(re.search(r"mean ([\d.]+) ms", js).group(1))
print()
print("| implementation | one login (A + PASSWORD_VERIFIER) | ratio to tower-cognito |")
print("|---|---:|---:|")
print(f"| tower-cognito (crypto-bigint, aws-lc-rs) | {rust:.2f} ms | 1.0 |")
print(f"| pycognito {sys.argv[1].split()[1]} | {init + claim:.2f} ms | {(init + claim) / rust:.1f} |")
print(f"| amazon-cognito-identity-js | {node:.2f} ms | {node / rust:.1f} |")
PY
