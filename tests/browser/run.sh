#!/usr/bin/env bash
# The browser test of `ztsim serve`: Playwright (Python) driving the system Chromium.
#
#   tests/browser/run.sh [PYTEST ARGS...]
#
# Builds nothing: takes the binary from ZTSIM_BIN (default target/debug/ztsim; build it first
# with `cargo build`). Makes a venv in target/browser-venv with tests/browser/requirements.txt,
# installs Debian's chromium with apt-get when it is missing (never `playwright install`: the
# test uses /usr/bin/chromium through executable_path). ZTSIM_SCREENSHOTS=DIR saves
# console.png, seat.png and report.png there.
set -euo pipefail
cd "$(dirname "$0")/../.."

export ZTSIM_BIN=${ZTSIM_BIN:-target/debug/ztsim}
case "$ZTSIM_BIN" in /*) ;; *) ZTSIM_BIN=$PWD/$ZTSIM_BIN ;; esac
[ -x "$ZTSIM_BIN" ] || { echo "$0: no ztsim binary at $ZTSIM_BIN (cargo build, or set ZTSIM_BIN)" >&2; exit 2; }

if ! [ -x /usr/bin/chromium ]; then
    echo "installing chromium (apt-get)..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

venv=target/browser-venv
req=tests/browser/requirements.txt
if ! [ -x "$venv/bin/python" ] || ! cmp -s "$req" "$venv/requirements.txt"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
    cp "$req" "$venv/requirements.txt"
fi
# Playwright must not fetch a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/browser/test_exercise.py "$@"
