#!/usr/bin/env bash
# The load test of `ztsim serve` on this machine only: starts a server on 127.0.0.1 with the
# 30-seat exercise (tests/exercises/load-30.yaml) in a temporary state directory, runs
# scripts/serve-load.py against it, and stops the server.
#
#   scripts/serve-load.sh [serve-load.py ARGS...]      e.g. --duration 30 (default 300)
#
# ZTSIM_BIN picks the binary (default target/debug/ztsim; build it first). Uses the venv that
# tests/browser/run.sh makes (target/browser-venv, with the `websockets` package), making it
# when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${ZTSIM_BIN:-target/debug/ztsim}
[ -x "$bin" ] || { echo "$0: no ztsim binary at $bin (cargo build, or set ZTSIM_BIN)" >&2; exit 2; }
venv=target/browser-venv
req=tests/browser/requirements.txt
if ! [ -x "$venv/bin/python" ] || ! cmp -s "$req" "$venv/requirements.txt"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
    cp "$req" "$venv/requirements.txt"
fi
state=$(mktemp -d)
links="$state/links.txt"
"$bin" serve tests/exercises/load-30.yaml --bind 127.0.0.1:0 --state-dir "$state/session" \
    >"$links" 2>"$state/server.log" &
server=$!
stop() {
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    rm -rf "$state"
}
trap stop EXIT
for _ in $(seq 100); do
    grep -q '^facilitator: ' "$links" && break
    kill -0 "$server" 2>/dev/null || { cat "$state/server.log" >&2; exit 1; }
    sleep 0.1
done
console=$(sed -n 's/^facilitator: //p' "$links")
[ -n "$console" ] || { echo "$0: the server printed no facilitator link" >&2; exit 1; }
# The load script's verdict is the exit status, whatever stopping the server returns.
status=0
"$venv/bin/python" scripts/serve-load.py "$console" "$@" || status=$?
trap - EXIT
stop
exit "$status"
