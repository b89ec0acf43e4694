# Shared by scripts/load.sh and scripts/profile-routes.sh (sourced, not run): tools, building,
# starting and stopping the quick start on loopback in offline mode. Set SCRIPT_NAME before
# sourcing; `log` and `die` prefix their lines with it.

log() { printf '%s: %s\n' "$SCRIPT_NAME" "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# ensure_apt_tools TOOL...: installs the missing ones with apt-get (root, Debian/Ubuntu), or dies.
ensure_apt_tools() {
    local missing=() tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    log "installing ${missing[*]} with apt-get"
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        die "${missing[*]} missing and cannot be installed here (needs root and apt-get)"
    fi
    apt-get update -qq >&2 || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2 \
        || die "apt-get install ${missing[*]} failed"
    for tool in "${missing[@]}"; do
        command -v "$tool" >/dev/null 2>&1 || die "$tool still missing after apt-get install"
    done
}

# require_tools TOOL...: dies naming the first one missing.
require_tools() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
    done
}

# build_quickstart: the release quick start with the test-util feature; sets QS_BIN.
build_quickstart() {
    log "building the quick start (release)"
    timeout 1800 cargo build --release --example quickstart --features test-util >&2 \
        || die "cargo build --release --example quickstart --features test-util failed"
    QS_BIN="$ROOT/target/release/examples/quickstart"
    [ -x "$QS_BIN" ] || die "no executable at $QS_BIN"
}

# start_quickstart WORK TIMEOUT [VAR=VALUE...] [--wrap COMMAND...]: starts QS_BIN in offline mode
# on a free loopback port with the debug routes, the given variables and, after --wrap, under the
# given command (valgrind...); output goes to WORK/server.out and WORK/server.err. Waits at most
# TIMEOUT seconds for its `listening on` line, then sets QS_PID, QS_BASE (http://127.0.0.1:PORT)
# and QS_ACCESS (the printed access token).
start_quickstart() {
    local work=$1 timeout=$2
    shift 2
    local vars=() wrap=()
    while [ "$#" -gt 0 ]; do
        if [ "$1" = --wrap ]; then
            shift
            wrap=("$@")
            break
        fi
        vars+=("$1")
        shift
    done
    env -u COGNITO_USER_POOL_ID -u COGNITO_CLIENT_ID -u COGNITO_REGION -u COGNITO_TOKEN_USE \
        -u COGNITO_JWKS_URL \
        BIND_ADDR=127.0.0.1:0 QUICKSTART_DEBUG_STATS=1 "${vars[@]}" \
        "${wrap[@]}" "$QS_BIN" >"$work/server.out" 2>"$work/server.err" </dev/null &
    QS_PID=$!
    local deadline=$((SECONDS + timeout))
    until grep -q '^listening on http://' "$work/server.out" 2>/dev/null; do
        if ! kill -0 "$QS_PID" 2>/dev/null; then
            cat "$work/server.err" >&2 || true
            die "the quick start exited during start-up"
        fi
        [ "$SECONDS" -lt "$deadline" ] || die "the quick start printed no 'listening on' line in ${timeout}s"
        sleep 0.2
    done
    QS_BASE="$(sed -n 's|^listening on \(http://127\.0\.0\.1:[0-9]*\)$|\1|p' "$work/server.out" | head -n 1)"
    [ -n "$QS_BASE" ] || die "the quick start does not listen on 127.0.0.1: $(grep '^listening on' "$work/server.out")"
    QS_ACCESS="$(sed -n 's/^access token: //p' "$work/server.out" | head -n 1)"
    [ -n "$QS_ACCESS" ] || die "no access token line"
    log "server pid $QS_PID at $QS_BASE"
}

# stop_quickstart: Ctrl-C to QS_PID (if running), at most 10 s to exit, then SIGKILL.
stop_quickstart() {
    if [ -n "${QS_PID:-}" ] && kill -0 "$QS_PID" 2>/dev/null; then
        kill -INT "$QS_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$QS_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$QS_PID" 2>/dev/null || true
        wait "$QS_PID" 2>/dev/null || true
    fi
    QS_PID=""
}

# on_exit HOOK: runs the function HOOK once when the script exits (normally, on an error, or on
# Ctrl-C / TERM, which exit 130 / 143), keeping the script's exit status.
on_exit() {
    ON_EXIT_HOOK=$1
    trap _run_on_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}
_run_on_exit() {
    local status=$?
    trap - EXIT INT TERM
    "$ON_EXIT_HOOK" || true
    exit "$status"
}
