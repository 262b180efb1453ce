#!/usr/bin/env bash
# Plays the interactive tabletop REPL the way a trainer does, in a real terminal: starts
# `ztsim tabletop` inside tmux, types commands with send-keys (including tab completion of a
# command and an asset id), captures the screen with capture-pane and checks that it shows
# narration: times, ATT&CK techniques, asset names, the turn footer and an isolation.
#
# Usage: scripts/tabletop-tmux.sh            (builds the debug binary if it is missing)
#        ZTSIM=path/to/ztsim scripts/tabletop-tmux.sh
# Exit status 0 when every check passes; the captured screen is printed either way.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v tmux >/dev/null 2>&1; then
    echo "tmux is missing; installing it (Debian: apt-get install -y tmux)" >&2
    apt-get install -y tmux >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y tmux >/dev/null; }
fi
BIN=${ZTSIM:-target/debug/ztsim}
if [ ! -x "$BIN" ]; then
    cargo build --quiet
fi

SESSION="ztsim-tabletop-$$"
cleanup() { tmux kill-session -t "$SESSION" 2>/dev/null || true; }
trap cleanup EXIT

# A wide pane so that narration lines are not wrapped.
tmux new-session -d -s "$SESSION" -x 250 -y 60 \
    "$BIN tabletop scenarios/flat-ad.yaml --profile ransomware --trial 13; sleep 30"

screen() { tmux capture-pane -t "$SESSION" -p -S -2000; }
wait_for() { # wait_for TEXT [SECONDS]
    local i
    for ((i = 0; i < ${2:-20} * 10; i++)); do
        if screen | grep -qF -- "$1"; then return 0; fi
        sleep 0.1
    done
    echo "timed out waiting for: $1" >&2
    return 1
}
type_line() { tmux send-keys -t "$SESSION" -l -- "$1"; tmux send-keys -t "$SESSION" Enter; }

wait_for "T+00:00>"
type_line "god"
wait_for "God view on"
type_line "step 24h"
wait_for "T+24:00>"
# Tab completion: `isol` completes to `isolate `, `ws-it-0` to `ws-it-01 `.
tmux send-keys -t "$SESSION" -l "isol"
tmux send-keys -t "$SESSION" Tab
tmux send-keys -t "$SESSION" -l "ws-it-0"
tmux send-keys -t "$SESSION" Tab
tmux send-keys -t "$SESSION" Enter
wait_for "is isolated (contained)"
type_line "status"
wait_for "Commands logged: 2"
type_line "quit"
sleep 0.5

OUT=$(screen)
echo "$OUT"
echo "----"
fail=0
check() { # check DESCRIPTION PATTERN (extended regex)
    if grep -qE -- "$2" <<<"$OUT"; then
        echo "ok: $1"
    else
        echo "MISSING: $1 (/$2/)"
        fail=1
    fi
}
check "a prompt with the clock" '^T\+00:00> god'
check "narrated attack steps with time, technique and asset" '^T\+[0-9]+:[0-9]{2} +(ALERT|\(no alert\)) +The attacker .*\([a-z]+-[a-z0-9-]+\).*\[T1[0-9]{3}(\.[0-9]{3})? [A-Za-z]'
check "the turn footer with the blast radius" '^T\+24:00  -- blast radius [0-9]+'
check "tab completion typed the whole command" 'T\+24:00> isolate ws-it-01'
check "the isolation took effect" "IT manager's desktop .*\(ws-it-01\) is isolated \(contained\)"
check "status after the isolation" 'Contained: .*ws-it-01'
exit $fail
