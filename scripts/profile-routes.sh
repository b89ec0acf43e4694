#!/usr/bin/env bash
# Instructions per request of the quick start's routes, counted by callgrind: the steady companion
# of scripts/load.sh, whose request rates move with whatever else the machine is doing.
#
#   bash scripts/profile-routes.sh
#
# Builds the quick start (release, `--features test-util`), runs it under
# `valgrind --tool=callgrind` on 127.0.0.1 (offline mode, QUICKSTART_DEBUG_STATS=1), and for each
# route zeroes the counters, drives it with wrk for PROFILE_SECONDS (default 4; 1 thread,
# 4 connections, every request with the printed access token's Authorization header), dumps the
# counters, and divides the instructions (user space, the whole server) by the requests wrk
# completed. Routes: /health, /debug/authed, /debug/me-no-layer, /me (see scripts/load.sh).
#
# Installs valgrind and wrk with apt-get when missing (root, Debian/Ubuntu). Every wait is bounded;
# the server is stopped on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SECONDS_PER_ROUTE="${PROFILE_SECONDS:-4}"
case "$SECONDS_PER_ROUTE" in
    '' | *[!0-9]* | 0) echo "profile-routes.sh: PROFILE_SECONDS must be a positive integer" >&2; exit 2 ;;
esac
ROUTES=(/health /debug/authed /debug/me-no-layer /me)

log() { printf 'profile-routes.sh: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

missing=()
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]} with apt-get"
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        die "${missing[*]} missing and cannot be installed here (needs root and apt-get)"
    fi
    apt-get update -qq >&2 || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2 \
        || die "apt-get install ${missing[*]} failed"
fi
for tool in callgrind_control timeout python3; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
done

log "building the quick start (release)"
timeout 1800 cargo build --release --example quickstart --features test-util >&2 \
    || die "cargo build --release --example quickstart --features test-util failed"
BIN="$ROOT/target/release/examples/quickstart"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/tower-cognito-profile.XXXXXX")"
SERVER_PID=""
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -INT "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "starting the quick start under callgrind (slow: about a minute)"
env -u COGNITO_USER_POOL_ID -u COGNITO_CLIENT_ID -u COGNITO_REGION -u COGNITO_TOKEN_USE \
    -u COGNITO_JWKS_URL \
    BIND_ADDR=127.0.0.1:0 QUICKSTART_DEBUG_STATS=1 \
    valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.out.%p" "$BIN" \
    >"$WORK/server.out" 2>"$WORK/server.err" </dev/null &
SERVER_PID=$!
deadline=$((SECONDS + 600))
until grep -q '^listening on http://' "$WORK/server.out" 2>/dev/null; do
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.err" >&2; die "the server exited during start-up"; }
    [ "$SECONDS" -lt "$deadline" ] || die "no 'listening on' line in 600 s"
    sleep 0.5
done
BASE="$(sed -n 's|^listening on \(http://127\.0\.0\.1:[0-9]*\)$|\1|p' "$WORK/server.out" | head -n 1)"
[ -n "$BASE" ] || die "the server does not listen on 127.0.0.1"
ACCESS="$(sed -n 's/^access token: //p' "$WORK/server.out" | head -n 1)"
[ -n "$ACCESS" ] || die "no access token line"

wrk_run() { # wrk_run SECONDS PATH: prints the completed requests
    timeout $(($1 + 60)) wrk -t 1 -c 4 -d "${1}s" --timeout 10s \
        -H "Authorization: Bearer $ACCESS" "$BASE$2" >"$WORK/wrk.out" 2>&1 \
        || { cat "$WORK/wrk.out" >&2; die "wrk failed on $2"; }
    grep -q 'Non-2xx' "$WORK/wrk.out" && { cat "$WORK/wrk.out" >&2; die "$2 answered non-2xx"; }
    awk '/requests in/ { print $1 }' "$WORK/wrk.out"
}

log "warm-up: 2 s of /me"
wrk_run 2 /me >/dev/null
: >"$WORK/results"
part=0
for route in "${ROUTES[@]}"; do
    log "$route: ${SECONDS_PER_ROUTE}s"
    callgrind_control --zero "$SERVER_PID" >/dev/null 2>&1 || die "callgrind_control --zero failed"
    requests="$(wrk_run "$SECONDS_PER_ROUTE" "$route")"
    callgrind_control --dump="$route" "$SERVER_PID" >/dev/null 2>&1 || die "callgrind_control --dump failed"
    part=$((part + 1))
    dump="$WORK/callgrind.out.$SERVER_PID.$part"
    for _ in $(seq 1 100); do
        [ -s "$dump" ] && grep -q '^totals:\|^summary:' "$dump" && break
        sleep 0.1
    done
    total="$(grep -E '^(summary|totals):' "$dump" | head -n 1 | awk '{ print $2 }')"
    [ -n "$total" ] && [ "${requests:-0}" -gt 0 ] || die "no count for $route"
    echo "$route $requests $total" >>"$WORK/results"
done

python3 - "$WORK/results" <<'PY'
import sys
rows = [line.split() for line in open(sys.argv[1])]
per = {route: int(total) / int(requests) for route, requests, total in rows}
base = per["/health"]
print()
print("| route | requests | instructions per request | over `/health` |")
print("|---|---:|---:|---:|")
for route, requests, _ in rows:
    extra = "" if route == "/health" else f"{per[route] - base:+,.0f}"
    print(f"| `{route}` | {int(requests):,} | {per[route]:,.0f} | {extra} |")
PY
