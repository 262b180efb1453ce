#!/usr/bin/env bash
# Installs the Python package (the wheel python/run-tests.sh built, else built here) and
# executes every notebook with pytest --nbmake, keeping executed copies (with their charts) in
# target/notebooks/executed/. The notebooks run ztsim through the package: their sweep and
# sensitivity results go to target/notebooks/.
#
#   bash notebooks/run.sh
#
# Environment: PYTHON (default python3), VENV (default target/notebooks/venv).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
say() { echo "notebooks: $*"; }
die() {
    echo "notebooks: $*" >&2
    exit 1
}
t_start=$(date +%s.%N)

# The notebooks in git carry no outputs (they are executed here, into copies).
python3 - <<'EOF' || die "strip the outputs of the notebooks before committing them"
import json, pathlib, sys
bad = [p.name for p in pathlib.Path("notebooks").glob("*.ipynb")
       if any(c.get("outputs") or c.get("execution_count") for c in json.loads(p.read_text())["cells"])]
if bad:
    print("notebooks with outputs:", ", ".join(bad), file=sys.stderr)
    sys.exit(1)
EOF

PYTHON=${PYTHON:-python3}
VENV=${VENV:-$ROOT/target/notebooks/venv}
if [ ! -x "$VENV/bin/python" ]; then
    if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
        say "installing python3-venv"
        rm -rf "$VENV"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        PYTHON=/usr/bin/python3
        "$PYTHON" -m venv "$VENV"
    fi
fi
say "installing notebooks/requirements.txt into $VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r notebooks/requirements.txt
# The Python package (rl-baseline.ipynb): the wheel python/run-tests.sh built, else built here.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
WHEEL=$(ls "$ROOT"/target/python/wheels/ztsim-*.whl 2>/dev/null | head -n 1 || true)
if [ -z "$WHEEL" ]; then
    say "building the ztsim wheel"
    "$VENV/bin/maturin" build --release --locked --quiet -m python/Cargo.toml -o "$ROOT/target/python/wheels"
    WHEEL=$(ls "$ROOT"/target/python/wheels/ztsim-*.whl | head -n 1)
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$WHEEL"
t_env=$(date +%s.%N)

# The notebooks make their own inputs through the Python package (ztsim.sweep,
# ztsim.sensitivity) into $DATA; a fresh start each run.
DATA=$ROOT/target/notebooks
rm -rf "$DATA/sweep" "$DATA/sensitivity" "$DATA/executed"

# Execute copies, so the sources stay stripped and the executed ones keep their charts.
mkdir -p "$DATA/executed"
cp notebooks/*.ipynb "$DATA/executed/"
export ZTSIM_REPO=$ROOT ZTSIM_NOTEBOOK_DATA=$DATA MPLBACKEND=module://matplotlib_inline.backend_inline
set +e
"$VENV/bin/python" -m pytest --nbmake --overwrite --nbmake-timeout=600 -p no:cacheprovider \
    "$DATA/executed"
rc=$?
set -e
if [ $rc -eq 5 ]; then
    die "pytest collected no notebook (exit 5)"
elif [ $rc -ne 0 ]; then
    die "a notebook failed (pytest exit $rc); see $DATA/executed"
fi

# Every executed notebook shows its charts.
"$VENV/bin/python" - "$DATA/executed" <<'EOF' || die "an executed notebook has no chart"
import json, pathlib, sys
ok = True
for p in sorted(pathlib.Path(sys.argv[1]).glob("*.ipynb")):
    cells = json.loads(p.read_text())["cells"]
    images = sum("image/png" in o.get("data", {}) for c in cells for o in c.get("outputs", []))
    print(f"notebooks: {p.name}: {images} charts")
    ok &= images >= 2
sys.exit(0 if ok else 1)
EOF
t_end=$(date +%s.%N)
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
say "environment $(secs "$t_start" "$t_env") s, notebooks $(secs "$t_env" "$t_end") s; executed copies in $DATA/executed"
