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
# PROFILE_OUT=DIR keeps the callgrind dump of each route there (DIR/health.callgrind, ...), for
# `callgrind_annotate`.
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

SCRIPT_NAME=profile-routes.sh
# shellcheck source=scripts/quickstart-lib.sh
. "$ROOT/scripts/quickstart-lib.sh"

ensure_apt_tools valgrind wrk
require_tools callgrind_control timeout python3
build_quickstart

WORK="$(mktemp -d "${TMPDIR:-/tmp}/tower-cognito-profile.XXXXXX")"
cleanup() {
    stop_quickstart
    rm -rf "$WORK"
}
on_exit cleanup

log "starting the quick start under callgrind (slow: about a minute)"
start_quickstart "$WORK" 600 \
    --wrap valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.out.%p"
SERVER_PID="$QS_PID"
BASE="$QS_BASE"
ACCESS="$QS_ACCESS"

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
    if [ -n "${PROFILE_OUT:-}" ]; then
        mkdir -p "$PROFILE_OUT" || die "cannot create $PROFILE_OUT"
        name="${route#/}"
        cp "$dump" "$PROFILE_OUT/${name//\//-}.callgrind" || die "cannot copy the dump to $PROFILE_OUT"
    fi
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
