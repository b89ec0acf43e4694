#!/usr/bin/env bash
# Runs cognito-local (a Cognito user-pool emulator) on loopback for tests/emulator.rs.
#
#   scripts/cognito-local.sh start   install (once), prepare a Cognito-shaped pool, start, wait;
#                                    prints COGNITO_LOCAL_URL=http://127.0.0.1:PORT as the only
#                                    line on stdout (everything else goes to stderr)
#   scripts/cognito-local.sh stop    stop it (no error when it is not running)
#   scripts/cognito-local.sh status  print COGNITO_LOCAL_URL=... when running; exit 1 otherwise
#
# The version is pinned in scripts/package.json + scripts/package-lock.json and installed with
# `npm ci` into target/cognito-local/ (git-ignored). State lives in target/cognito-local/.cognito
# and is reset on every fresh start. The pool is `us-east-1_LocalPool1`; its tokens carry
# iss = https://cognito-idp.us-east-1.amazonaws.com/us-east-1_LocalPool1 while the JWKS is served at
# $COGNITO_LOCAL_URL/us-east-1_LocalPool1/.well-known/jwks.json.
#
# Every code the emulator sends (sign-up, reset, attribute verification) is $CODE, fixed at
# 424242 (cognito-local reads `CODE`), so that tests/emulator.rs can confirm with the client.
#
# Needs node (>= 18), npm and python3; nothing else. `start` is idempotent (a running, healthy
# instance is reused) and fails (non-zero) when the emulator does not answer within
# COGNITO_LOCAL_START_TIMEOUT seconds (default 60).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCRIPTS="$ROOT/scripts"
DIR="$ROOT/target/cognito-local"
POOL_ID="us-east-1_LocalPool1"
ISSUER_DOMAIN="https://cognito-idp.us-east-1.amazonaws.com"
PID_FILE="$DIR/cognito-local.pid"
URL_FILE="$DIR/cognito-local.url"
LOG_FILE="$DIR/cognito-local.log"
STAMP_FILE="$DIR/installed.stamp"
START_TIMEOUT="${COGNITO_LOCAL_START_TIMEOUT:-60}"

log() { printf 'cognito-local.sh: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# Whether pid $1 is alive (a zombie, left by a container init that does not reap, is not).
alive() {
    kill -0 "$1" 2>/dev/null || return 1
    [[ -r "/proc/$1/stat" ]] || return 0
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    [[ "${stat:0:1}" != "Z" ]]
}

need() { command -v "$1" >/dev/null 2>&1 || die "$1 is required but not on PATH"; }

# Exit status 0 when GET $1 answers 200 within 2 s (python3: curl is not always installed).
http_ok() {
    python3 - "$1" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}

# Exit status 0 when the pool's JWKS answers with at least one RS256 key.
jwks_ok() {
    python3 - "$1/$POOL_ID/.well-known/jwks.json" <<'PY'
import json, sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
        keys = json.load(r).get("keys", [])
    sys.exit(0 if any(k.get("kty") == "RSA" for k in keys) else 1)
except Exception:
    sys.exit(1)
PY
}

# The pid of our running emulator, or nothing. A recycled pid running something else is ignored.
running_pid() {
    [[ -f "$PID_FILE" ]] || return 0
    local pid
    pid="$(cat "$PID_FILE")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 0
    if alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'cognito-local'; then
        echo "$pid"
    elif alive "$pid" && [[ ! -d /proc ]]; then
        echo "$pid" # no /proc (macOS): trust the pid file
    fi
}

install() {
    need node
    need npm
    mkdir -p "$DIR"
    local want have=""
    want="$(cat "$SCRIPTS/package.json" "$SCRIPTS/package-lock.json" | python3 -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')"
    [[ -f "$STAMP_FILE" ]] && have="$(cat "$STAMP_FILE")"
    if [[ "$want" == "$have" && -f "$DIR/node_modules/cognito-local/lib/bin/start.js" ]]; then
        log "cognito-local already installed in $DIR"
        return 0
    fi
    log "installing cognito-local (pinned by scripts/package-lock.json) into $DIR"
    cp "$SCRIPTS/package.json" "$SCRIPTS/package-lock.json" "$DIR/"
    local started=$SECONDS
    # --ignore-scripts: the only install script in the tree (aws-sdk) just prints a notice.
    (cd "$DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2) ||
        die "npm ci failed in $DIR"
    [[ -f "$DIR/node_modules/cognito-local/lib/bin/start.js" ]] ||
        die "npm ci succeeded but node_modules/cognito-local/lib/bin/start.js is missing"
    echo "$want" >"$STAMP_FILE"
    log "installed in $((SECONDS - started)) s"
}

# A fresh state: the Cognito-shaped pool and the issuer domain (see the shared COGNITO.md notes).
prepare_state() {
    rm -rf "$DIR/.cognito"
    mkdir -p "$DIR/.cognito/db"
    printf '{}\n' >"$DIR/.cognito/db/$POOL_ID.json"
    cat >"$DIR/.cognito/config.json" <<EOF
{
  "TokenConfig": { "IssuerDomain": "$ISSUER_DOMAIN" },
  "UserPoolDefaults": { "UsernameAttributes": [] }
}
EOF
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Starts node in its own session (it outlives this script) and prints its pid.
spawn() {
    python3 - "$DIR" "$1" "$LOG_FILE" <<'PY'
import os, subprocess, sys
cwd, port, log = sys.argv[1:4]
env = dict(os.environ, HOST="127.0.0.1", PORT=port, CODE="424242")
with open(log, "ab") as out:
    p = subprocess.Popen(
        ["node", "node_modules/cognito-local/lib/bin/start.js"],
        cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
print(p.pid)
PY
}

stop_pid() {
    local pid="$1" i
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do # at most 10 s
        alive "$pid" || return 0
        sleep 0.2
    done
    log "pid $pid did not stop after SIGTERM; sending SIGKILL"
    kill -9 "$pid" 2>/dev/null || true
}

start() {
    need python3
    local pid url
    pid="$(running_pid)"
    if [[ -n "$pid" && -f "$URL_FILE" ]]; then
        url="$(cat "$URL_FILE")"
        if http_ok "$url/health" && jwks_ok "$url"; then
            log "already running (pid $pid) at $url"
            echo "COGNITO_LOCAL_URL=$url"
            return 0
        fi
        log "pid $pid is not healthy; restarting"
        stop_pid "$pid"
    fi
    rm -f "$PID_FILE" "$URL_FILE"

    install
    prepare_state
    : >"$LOG_FILE"

    local attempt port deadline started=$SECONDS
    for attempt in 1 2 3; do # a port can be taken between choosing and binding: retry
        port="$(free_port)"
        url="http://127.0.0.1:$port"
        pid="$(spawn "$port")"
        echo "$pid" >"$PID_FILE"
        log "started pid $pid on $url (attempt $attempt); waiting for /health (at most ${START_TIMEOUT} s)"
        deadline=$((SECONDS + START_TIMEOUT))
        while ((SECONDS < deadline)); do
            if ! alive "$pid"; then
                log "cognito-local exited early; log:"
                tail -n 20 "$LOG_FILE" >&2 || true
                break
            fi
            if http_ok "$url/health"; then
                jwks_ok "$url" || {
                    stop_pid "$pid"
                    rm -f "$PID_FILE"
                    die "$url answers /health but not $url/$POOL_ID/.well-known/jwks.json"
                }
                echo "$url" >"$URL_FILE"
                log "up in $((SECONDS - started)) s (log: $LOG_FILE)"
                echo "COGNITO_LOCAL_URL=$url"
                return 0
            fi
            sleep 0.25
        done
        if alive "$pid"; then
            stop_pid "$pid"
            rm -f "$PID_FILE"
            log "log:"
            tail -n 20 "$LOG_FILE" >&2 || true
            die "cognito-local did not answer $url/health within ${START_TIMEOUT} s"
        fi
        rm -f "$PID_FILE"
    done
    die "cognito-local did not start (3 attempts); see $LOG_FILE"
}

stop() {
    local pid
    pid="$(running_pid)"
    if [[ -z "$pid" ]]; then
        log "not running"
    else
        stop_pid "$pid"
        log "stopped pid $pid"
    fi
    rm -f "$PID_FILE" "$URL_FILE"
}

status() {
    local pid url
    pid="$(running_pid)"
    if [[ -n "$pid" && -f "$URL_FILE" ]] && url="$(cat "$URL_FILE")" && http_ok "$url/health"; then
        echo "COGNITO_LOCAL_URL=$url"
    else
        log "not running"
        return 1
    fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
*)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
