#!/usr/bin/env bash
# Peer comparison: tower-cognito against jsonwebtoken, jwt-authorizer and (when node is present)
# AWS's aws-jwt-verify, all on the same RSA-2048 key and the same ~1 KB Cognito access token, as
# ratios to a bare RSA verification (the floor). Prints ONE Markdown table on stdout.
#
#   bash scripts/peers.sh
#
# 1. `cargo bench` in benches/peers (its own crate and workspace, never built by the main crate's
#    `cargo test`): one criterion group, one run; also writes target/peers/fixture.json.
# 2. If node is on PATH: `npm ci` in benches/peers/node (aws-jwt-verify pinned by package.json +
#    package-lock.json), then node/verify.mjs, which times aws-jwt-verify and node's own
#    `crypto.verify` floor in one process (target/peers/node.json).
# 3. benches/peers/table.py prints the table: Rust rows as ratios to the aws-lc-rs floor of the same
#    criterion run; the aws-jwt-verify row twice, as a ratio to node's floor and as its absolute
#    time divided by the Rust floor.
#
# No network but the package registries on the first run (cargo fetch, npm ci). Needs cargo and python3;
# node >= 18 and npm are optional. The measurements take about a minute (criterion: 7 cases x 4 s;
# node: ~15 s); the first build of the peers crate (aws-lc-sys, ring) takes several minutes.
#
# tower-cognito's verified-token cache is off in the main layer row (every request verified, as in
# the peers); a separate row shows the cache hit of the one token sent again.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEERS="$ROOT/benches/peers"
OUT="$ROOT/target/peers"
log() { printf 'peers.sh: %s\n' "$*" >&2; }

command -v cargo >/dev/null || { log "error: cargo not found"; exit 1; }
command -v python3 >/dev/null || { log "error: python3 not found"; exit 1; }

TARGET="$(cd "$PEERS" && cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
GROUP="$TARGET/criterion/peers"

mkdir -p "$OUT"
# One run: no stale criterion estimates nor node results.
rm -rf "$GROUP" "$OUT/node.json"

log "load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
log "running the Rust peer bench (benches/peers)"
(cd "$PEERS" && PEERS_FIXTURE="$OUT/fixture.json" cargo bench --bench peers -- --noplot >&2)

if command -v node >/dev/null && command -v npm >/dev/null; then
    # `npm ci` once per change of package.json / package-lock.json (stamp in node_modules/).
    stamp="$PEERS/node/node_modules/.peers-stamp"
    want="$(cat "$PEERS/node/package.json" "$PEERS/node/package-lock.json" | cksum)"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        log "installing aws-jwt-verify (pinned by benches/peers/node/package-lock.json)"
        (cd "$PEERS/node" &&
            npm ci --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error >&2)
        printf '%s\n' "$want" >"$stamp"
    fi
    log "running the node peer ($(node --version))"
    node "$PEERS/node/verify.mjs" "$OUT/fixture.json" "$OUT/node.json"
else
    log "node/npm not found: the aws-jwt-verify rows are skipped"
fi

python3 "$PEERS/table.py" "$GROUP" "$OUT/node.json" "$PEERS/Cargo.lock"
