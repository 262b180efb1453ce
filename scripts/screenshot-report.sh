#!/usr/bin/env bash
# Screenshot a ztsim HTML report with headless Chromium, offline, and fail on any console
# error (a self-contained report has no scripts and makes no requests, so it should log none).
#
#   scripts/screenshot-report.sh REPORT.html OUT.png [WIDTHxHEIGHT]
#
# Installs Debian's chromium with apt-get when no chromium is on the PATH.
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 REPORT.html OUT.png [WIDTHxHEIGHT]" >&2
    exit 2
fi
report=$1
out=$2
size=${3:-1400x4000}
[ -f "$report" ] || { echo "$0: no such file: $report" >&2; exit 2; }

browser=""
for b in chromium chromium-browser google-chrome; do
    if command -v "$b" >/dev/null 2>&1; then browser=$(command -v "$b"); break; fi
done
if [ -z "$browser" ]; then
    echo "installing chromium (apt-get)..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt_log=$(mktemp)
    if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; } >"$apt_log" 2>&1; then
        cat "$apt_log" >&2
        echo "$0: could not install chromium" >&2
        exit 1
    fi
    rm -f "$apt_log"
    browser=$(command -v chromium)
fi

abs_report=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
abs_out=$(mkdir -p "$(dirname "$out")" && cd "$(dirname "$out")" && pwd)/$(basename "$out")
profile=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$profile" "$log"' EXIT

# No network: every request other than the file itself is refused by the proxy setting,
# and the report's own Content-Security-Policy forbids loading anything.
status=0
timeout 120 "$browser" --headless --no-sandbox --disable-gpu \
    --disable-background-networking --disable-component-update --disable-sync \
    --no-first-run --no-default-browser-check --disable-extensions \
    --proxy-server="127.0.0.1:9" --proxy-bypass-list="<-loopback>" \
    --user-data-dir="$profile" \
    --enable-logging=stderr --v=0 \
    --hide-scrollbars --window-size="${size/x/,}" \
    --screenshot="$abs_out" "file://$abs_report" >"$log" 2>&1 || status=$?

if [ "$status" -ne 0 ]; then
    cat "$log" >&2
    echo "$0: chromium exited with $status" >&2
    exit 1
fi
if grep -E "Uncaught|ERROR:CONSOLE|CONSOLE\(|Refused to|net::ERR_" "$log" >&2; then
    echo "$0: the report logged console errors or made requests (above)" >&2
    exit 1
fi
if [ ! -s "$abs_out" ]; then
    cat "$log" >&2
    echo "$0: no screenshot written" >&2
    exit 1
fi
echo "wrote $out"
