#!/usr/bin/env bash
# Fuzz ztsim's parsers with cargo-fuzz (libFuzzer), on the stable toolchain.
#
#   scripts/fuzz.sh                      # every target, 20 s each (what CI runs)
#   scripts/fuzz.sh --time 600 scenario_yaml bloodhound_zip
#   scripts/fuzz.sh --list
#
# Options:
#   --time SECONDS   time per target (default 20; FUZZ_TIME overrides too)
#   --sanitizer S    none (default) or address
#   --no-build       run the targets as last built
#   --list           print the targets and exit
#
# Stable Rust has no `-Z` flags, which cargo-fuzz needs for coverage instrumentation:
# RUSTC_BOOTSTRAP=1 lets the stable compiler accept them. Instrumentation only
# (--sanitizer none) is the default: ztsim is safe Rust, what we hunt are panics, hangs and
# memory blow-ups, and without AddressSanitizer each run is about twice as fast. The address
# sanitizer also works here (the stable toolchain ships its runtime):
# scripts/fuzz.sh --sanitizer address.
#
# Corpora live in fuzz/corpus/TARGET (not committed) and are seeded on every run from the
# files the project ships: scenarios, test scenarios, the bad-input corpus, the SharpHound
# fixtures, the exercises, fuzz/seeds/TARGET/ (hostile shapes: bare-CR line breaks, alias
# byte bombs, byte-order marks, duplicate zip entries, duplicate ids) and
# tests/fuzz-regressions/. A crash stops the
# script with a non-zero status; its input is in fuzz/artifacts/TARGET/. Turn it into a
# file under tests/fuzz-regressions/ (see the README there) and fix the bug.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

ALL_TARGETS=(scenario_yaml scenario_json scenario_sim bloodhound_json bloodhound_zip
    overlay_yaml sweep_spec tabletop_script tabletop_command controls_file azurehound_json)
time_per=${FUZZ_TIME:-20}
sanitizer=${FUZZ_SANITIZER:-none}
build=1
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --time) time_per=$2; shift 2 ;;
        --sanitizer) sanitizer=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        --list) printf '%s\n' "${ALL_TARGETS[@]}"; exit 0 ;;
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
        -*) echo "$0: unknown option $1" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")

export RUSTC_BOOTSTRAP=1
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2}

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz..." >&2
    cargo install cargo-fuzz --version 0.13.2 --locked
fi

# ---- corpora, seeded from shipped files -------------------------------------------------
seed() { # seed TARGET FILE [PREFIX-BYTE-OCTAL]
    local dir=fuzz/corpus/$1 f=$2 name
    mkdir -p "$dir"
    name=seed-$(printf '%s' "$f" | cksum | cut -d' ' -f1)
    if [ $# -ge 3 ]; then
        { printf "\\$3"; cat "$f"; } >"$dir/$name"
    else
        cp "$f" "$dir/$name"
    fi
}
shopt -s nullglob globstar
for f in scenarios/*.yaml tests/scenarios/**/*.yaml tests/bad/*.yaml tests/fuzz-regressions/*.yaml \
    fuzz/seeds/scenario_yaml/*; do
    seed scenario_yaml "$f"
    seed scenario_sim "$f"
done
for f in tests/bad/*.json tests/fuzz-regressions/*.json fuzz/seeds/scenario_json/*; do
    seed scenario_json "$f"
done
# The JSON target also gets the shipped scenarios as JSON, when a ztsim binary is at hand.
if [ -x target/debug/ztsim ]; then
    mkdir -p fuzz/corpus/scenario_json
    target/debug/ztsim generate --assets 40 --seed 3 --quiet -o fuzz/corpus/scenario_json/seed-generated.json 2>/dev/null || true
fi
# SharpHound files: the first byte picks the file name the target gives them.
i=0
for type in users computers groups domains gpos ous containers certtemplates; do
    for f in tests/fixtures/sharphound/**/*"$type".json tests/fuzz-regressions/bloodhound-*"$type"*.json; do
        seed bloodhound_json "$f" "$(printf '%03o' $i)"
    done
    i=$((i + 1))
done
# Hostile SharpHound files (duplicate and case-colliding ids, long names, unknown versions,
# BOMs), read as users files (first byte 0).
for f in fuzz/seeds/bloodhound_json/*; do seed bloodhound_json "$f" 000; done
# Zips of the fixture collections.
if command -v python3 >/dev/null 2>&1; then
    mkdir -p fuzz/corpus/bloodhound_zip
    for d in tests/fixtures/sharphound/*/; do
        python3 - "$d" "fuzz/corpus/bloodhound_zip/seed-$(basename "$d").zip" <<'EOF'
import os, sys, zipfile
src, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for n in sorted(os.listdir(src)):
        if n.endswith(".json"):
            z.write(os.path.join(src, n), "20240101000000_" + n)
EOF
    done
fi
for f in tests/fuzz-regressions/*.zip fuzz/seeds/bloodhound_zip/*; do seed bloodhound_zip "$f"; done
for f in tests/fixtures/azurehound/*.json tests/fuzz-regressions/azurehound-*.json; do seed azurehound_json "$f"; done
for f in fuzz/seeds/overlay_yaml/*; do seed overlay_yaml "$f"; done
for f in tests/controls-files/*.yaml; do seed controls_file "$f"; done
for f in fuzz/seeds/sweep_spec/* notebooks/spec.yaml; do seed sweep_spec "$f"; done
for f in scenarios/exercises/*.yaml fuzz/seeds/tabletop_script/*; do seed tabletop_script "$f"; done
for f in fuzz/seeds/tabletop_command/*; do seed tabletop_command "$f"; done
if compgen -G "scenarios/exercises/*.yaml" >/dev/null; then
    grep -h 'do:' scenarios/exercises/*.yaml | sed -e 's/.*do: *//' -e 's/^"//' -e 's/".*$//' \
        >fuzz/corpus/tabletop_command/seed-exercise-commands
fi

dict_for() {
    case "$1" in
        bloodhound_* | azurehound_*) echo "$root/fuzz/dict/bloodhound.dict" ;;
        tabletop_command) echo "" ;;
        *) echo "$root/fuzz/dict/scenario.dict" ;;
    esac
}

# ---- build once, then run each target ----------------------------------------------------
if [ $build = 1 ]; then
    echo "building fuzz targets (sanitizer: $sanitizer)..." >&2
    cargo fuzz build --sanitizer "$sanitizer"
fi
triple=$(rustc -vV | sed -n 's/^host: //p')
bindir=fuzz/target/$triple/release

status=0
summary=()
for t in "${targets[@]}"; do
    log=$(mktemp)
    dict=$(dict_for "$t")
    args=(-max_total_time="$time_per" -timeout=10 -rss_limit_mb=2048 -max_len=65536
        -print_final_stats=1)
    [ -n "$dict" ] && args+=(-dict="$dict")
    echo "fuzzing $t for ${time_per}s..." >&2
    mkdir -p "fuzz/artifacts/$t"
    args+=(-artifact_prefix="fuzz/artifacts/$t/")
    if "$bindir/$t" "${args[@]}" "fuzz/corpus/$t" >"$log" 2>&1; then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
        corpus=$(find "fuzz/corpus/$t" -type f | wc -l)
        summary+=("$(printf '%-18s ok     %10s execs in %ss, corpus %s' "$t" "$runs" "$time_per" "$corpus")")
    else
        status=1
        summary+=("$(printf '%-18s FAILED (see fuzz/artifacts/%s/)' "$t" "$t")")
        grep -E 'panicked|ERROR:|SUMMARY|Test unit written|Base64' "$log" | head -20 >&2 || tail -40 "$log" >&2
    fi
    rm -f "$log"
done
printf '%s\n' "${summary[@]}"
exit $status
