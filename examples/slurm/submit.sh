#!/bin/bash
# Submits a sharded sweep and its merge to Slurm:
#
#   examples/slurm/submit.sh SPEC OUT [SHARDS]      (SHARDS defaults to 4)
#
# The array job runs one shard per task; the merge job starts when every task succeeded
# (afterok) and writes OUT/merged. Set ZTSIM to the binary if it is not on PATH.
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 SPEC OUT [SHARDS]" >&2
    exit 2
fi
spec=$(realpath "$1")
out=$(realpath -m "$2")
shards=${3:-4}
here=$(dirname "$(realpath "$0")")
ztsim=${ZTSIM:-$(command -v ztsim || true)}
if [ -z "$ztsim" ]; then
    echo "submit.sh: set ZTSIM to the ztsim binary (none on PATH)" >&2
    exit 2
fi
mkdir -p "$out"
array=$(sbatch --parsable --array=0-$((shards - 1)) --chdir="$out" \
    --export=ALL,SPEC="$spec",OUT="$out",ZTSIM="$ztsim",SHARDS="$shards" "$here/sweep.sbatch")
array=${array%%;*}
merge=$(sbatch --parsable --dependency=afterok:"$array" --chdir="$out" \
    --export=ALL,OUT="$out",ZTSIM="$ztsim" "$here/merge.sbatch")
merge=${merge%%;*}
echo "submitted array job $array ($shards shards) and merge job $merge; results in $out/merged"
