#!/usr/bin/env bash
# Screenshot a ztsim HTML report with headless Chromium, offline, and fail on any console
# error (a self-contained report has no scripts and makes no requests, so it should log none).
#
#   scripts/screenshot-report.sh REPORT.html OUT.png [WIDTHxHEIGHT]
#   scripts/screenshot-report.sh --pdf a4|letter REPORT.html OUT.pdf
#
# With --pdf, prints the report to PDF at that paper size (print CSS applies), converts every
# page to PNG beside it (OUT-1.png, OUT-2.png, ... with pdftoppm) for looking at, and fails
# when a page's right margin has ink in it: a table or chart cut at the page's edge.
# Installs Debian's chromium (and poppler-utils for --pdf) with apt-get when missing.
set -euo pipefail

paper=""
if [ "${1:-}" = "--pdf" ]; then
    paper=${2:-}
    case "$paper" in
        a4|letter) ;;
        *) echo "usage: $0 --pdf a4|letter REPORT.html OUT.pdf" >&2; exit 2 ;;
    esac
    shift 2
fi
if [ $# -lt 2 ]; then
    echo "usage: $0 REPORT.html OUT.png [WIDTHxHEIGHT]" >&2
    echo "       $0 --pdf a4|letter REPORT.html OUT.pdf" >&2
    exit 2
fi
report=$1
out=$2
size=${3:-1400x4000}

apt_install() {
    echo "installing $* (apt-get)..." >&2
    export DEBIAN_FRONTEND=noninteractive
    local apt_log
    apt_log=$(mktemp)
    if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@"; } >"$apt_log" 2>&1; then
        cat "$apt_log" >&2
        echo "$0: could not install $*" >&2
        exit 1
    fi
    rm -f "$apt_log"
}
[ -f "$report" ] || { echo "$0: no such file: $report" >&2; exit 2; }

browser=""
for b in chromium chromium-browser google-chrome; do
    if command -v "$b" >/dev/null 2>&1; then browser=$(command -v "$b"); break; fi
done
if [ -z "$browser" ]; then
    apt_install chromium
    browser=$(command -v chromium)
fi
if [ -n "$paper" ] && ! command -v pdftoppm >/dev/null 2>&1; then
    apt_install poppler-utils
fi

abs_report=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
abs_out=$(mkdir -p "$(dirname "$out")" && cd "$(dirname "$out")" && pwd)/$(basename "$out")
profile=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$profile" "$log"' EXIT

# No network: every request other than the file itself is refused by the proxy setting,
# and the report's own Content-Security-Policy forbids loading anything.
# The paper size reaches the print through a copy of the report whose @page names it. The
# copy moves the right page margin into padding: Chromium clips what overflows the page
# area, so a margin would hide a cut table, while padding lets it show, and be caught below.
target="$abs_report"
if [ -n "$paper" ]; then
    target="$profile/report-$paper.html"
    sed "s|@page { size: auto; margin: 14mm 12mm; }|@page { size: $paper portrait; margin: 14mm 0 14mm 12mm; } @media print { body { padding-right: 12mm !important; } }|" \
        "$abs_report" >"$target"
    grep -q "size: $paper portrait" "$target" || { echo "$0: the report has no @page rule to set" >&2; exit 1; }
    action=(--no-pdf-header-footer --print-to-pdf="$abs_out")
else
    action=(--hide-scrollbars --window-size="${size/x/,}" --screenshot="$abs_out")
fi
status=0
timeout 120 "$browser" --headless --no-sandbox --disable-gpu \
    --disable-background-networking --disable-component-update --disable-sync \
    --no-first-run --no-default-browser-check --disable-extensions \
    --proxy-server="127.0.0.1:9" --proxy-bypass-list="<-loopback>" \
    --user-data-dir="$profile" \
    --enable-logging=stderr --v=0 \
    "${action[@]}" "file://$target" >"$log" 2>&1 || status=$?

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
    echo "$0: nothing written" >&2
    exit 1
fi
if [ -n "$paper" ]; then
    stem=${abs_out%.pdf}
    pdftoppm -r 60 -png "$abs_out" "$stem"
    pages=$(ls "$stem"-*.png | wc -l)
    # A cut table or chart runs into the right margin (the last 4% of the page's width).
    cut=0
    for png in "$stem"-*.png; do
        if ! python3 - "$png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
w, h, depth, ctype = struct.unpack(">IIBB", data[16:26])
idat = b"".join(data[i + 8:i + 8 + struct.unpack(">I", data[i:i + 4])[0]]
                for i in range(8, len(data)) if data[i + 4:i + 8] == b"IDAT")
raw = zlib.decompress(idat)
bpp = {2: 3, 6: 4, 0: 1, 4: 2}[ctype]
stride = w * bpp
rows, prev = [], bytearray(stride)
for y in range(h):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]
        c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line)
    prev = line
edge = int(w * 0.96)
ink = sum(1 for line in rows for x in range(edge, w) if min(line[x * bpp:x * bpp + 3]) < 200)
sys.exit(1 if ink > 0 else 0)
PY
        then
            echo "$0: $(basename "$png"): something runs into the right margin (a cut table or chart?)" >&2
            cut=1
        fi
    done
    [ "$cut" -eq 0 ] || exit 1
    echo "wrote $out ($pages pages, $paper; page images $(basename "$stem")-N.png): nothing cut at the right edge"
    exit 0
fi
echo "wrote $out"
