#!/usr/bin/env bash
# Builds the Python package's wheel in a fresh venv, installs it, and runs pytest python/tests
# (the API against the CLI, Gymnasium's check_env, PettingZoo's parallel_api_test and
# parallel_seed_test, determinism, the random agent against `ztsim run`, bad input).
#
#   bash python/run-tests.sh
#
# Environment: PYTHON (default python3, >= 3.11), VENV (default target/python/venv, made
# afresh on every run), CARGO_TARGET_DIR (default target/, shared with the root crate).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
say() { echo "python: $*"; }

PYTHON=${PYTHON:-python3}
VENV=${VENV:-$ROOT/target/python/venv}
WHEELS=$ROOT/target/python/wheels
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

rm -rf "$VENV" "$WHEELS"
if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
    say "installing python3-venv"
    rm -rf "$VENV"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    PYTHON=/usr/bin/python3
    "$PYTHON" -m venv "$VENV"
fi
say "installing python/requirements.txt into $VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r python/requirements.txt

say "building the wheel (maturin, release)"
"$VENV/bin/maturin" build --release --locked --quiet -m python/Cargo.toml -o "$WHEELS"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps "$WHEELS"/ztsim-*.whl

# The tests compare with the CLI: the debug binary, built if missing.
export ZTSIM=${ZTSIM:-$CARGO_TARGET_DIR/debug/ztsim}
if [ ! -x "$ZTSIM" ]; then
    say "building ztsim"
    cargo build --locked --quiet
fi
say "pytest python/tests"
cd "$ROOT"
"$VENV/bin/python" -m pytest -q -p no:cacheprovider python/tests
