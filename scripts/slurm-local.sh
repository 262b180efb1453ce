#!/usr/bin/env bash
# Runs the Slurm example of examples/slurm/ on a single-node Slurm stood up on this machine:
# installs slurm-wlm and munge from Debian if needed, starts munged, slurmctld and slurmd,
# submits a 4-task job array of a small sweep (sbatch --wait --array=0-3), merges the shards
# with the merge job, and checks that the merged cells.csv and trials.csv equal a local,
# unsharded run byte for byte. The daemons it started are stopped by their pids on exit,
# also on failure. Run as root; safe to run again.
#
#   bash scripts/slurm-local.sh
#
# Environment: ZTSIM (the ztsim binary; default target/debug/ztsim, built if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
say() { echo "slurm-local: $*"; }
die() {
    echo "slurm-local: $*" >&2
    exit 1
}

[ "$(id -u)" = 0 ] || die "run as root: it installs packages and starts daemons"

# ---------------------------------------------------------------- packages
have_all() {
    for f in /usr/sbin/slurmctld /usr/sbin/slurmd /usr/bin/sbatch /usr/sbin/munged /usr/bin/munge; do
        [ -x "$f" ] || return 1
    done
}
if ! have_all; then
    say "installing slurm-wlm and munge"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi
have_all || die "slurm-wlm or munge did not install"

ZTSIM=${ZTSIM:-$ROOT/target/debug/ztsim}
if [ ! -x "$ZTSIM" ]; then
    say "building ztsim"
    cargo build --locked --quiet
fi
ZTSIM=$(realpath "$ZTSIM")

# ---------------------------------------------------------------- daemons
STATE=/run/ztsim-slurm-local
mkdir -p "$STATE"
started=()

# A pid recorded by an earlier run of this script, if that process still runs the daemon.
recorded() {
    local f=$STATE/$1.pid pid
    [ -s "$f" ] || return 1
    pid=$(cat "$f")
    [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$1" && echo "$pid"
}

stop() {
    local name=$1 pid
    pid=$(recorded "$name") || {
        rm -f "$STATE/$name.pid"
        return 0
    }
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    rm -f "$STATE/$name.pid"
}

cleanup() {
    local rc=$?
    if [ $rc -ne 0 ] && [ -n "${WORK:-}" ]; then
        for f in "$WORK"/*.out /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log; do
            [ -f "$f" ] && { echo "--- $f (last lines)"; tail -n 15 "$f"; }
        done
    fi
    # Stop what this run started, in reverse order, by pid.
    for ((i = ${#started[@]} - 1; i >= 0; i--)); do
        stop "${started[i]}"
    done
    [ ${#started[@]} -gt 0 ] && say "stopped ${started[*]}"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Daemons left by an interrupted earlier run of this script go first.
for d in slurmd slurmctld munged; do stop "$d"; done

mkdir -p /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge /etc/slurm
chown slurm:slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
chown munge:munge /run/munge
chmod 0755 /run/munge

if [ ! -s /etc/munge/munge.key ]; then
    say "creating the munge key"
    if command -v mungekey >/dev/null; then
        mungekey --create --keyfile /etc/munge/munge.key
    else
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    fi
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key

if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    say "munged already running (not started here, left alone)"
else
    runuser -u munge -- /usr/sbin/munged
    for _ in $(seq 50); do
        [ -s /run/munge/munged.pid ] && break
        sleep 0.1
    done
    [ -s /run/munge/munged.pid ] || die "munged did not start"
    cp /run/munge/munged.pid "$STATE/munged.pid"
    started+=(munged)
    munge -n | unmunge >/dev/null || die "munge does not work"
fi

host=$(hostname -s)
if ! getent hosts "$host" >/dev/null; then
    say "adding $host to /etc/hosts"
    echo "127.0.1.1 $host" >>/etc/hosts
fi
node=$(/usr/sbin/slurmd -C | grep '^NodeName=')
[ -n "$node" ] || die "slurmd -C printed no NodeName line"
cat >/etc/slurm/slurm.conf <<EOF
# Written by ztsim's scripts/slurm-local.sh: a single-node cluster for testing.
ClusterName=ztsim-local
SlurmctldHost=$host
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SlurmUser=slurm
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldPidFile=$STATE/slurmctld.daemon.pid
SlurmdPidFile=$STATE/slurmd.daemon.pid
$node
PartitionName=debug Nodes=ALL Default=YES State=UP MaxTime=INFINITE
EOF

/usr/sbin/slurmctld -D >>/var/log/slurm/slurmctld.log 2>&1 &
echo $! >"$STATE/slurmctld.pid"
started+=(slurmctld)
for _ in $(seq 100); do
    scontrol ping 2>/dev/null | grep -q UP && break
    sleep 0.2
done
scontrol ping | grep -q UP || die "slurmctld did not come up"
/usr/sbin/slurmd -D >>/var/log/slurm/slurmd.log 2>&1 &
echo $! >"$STATE/slurmd.pid"
started+=(slurmd)
state=
for _ in $(seq 150); do
    state=$(sinfo -h -N -o '%T' 2>/dev/null | head -1)
    case $state in idle | mixed | allocated) break ;; esac
    sleep 0.2
done
case $state in
idle | mixed | allocated) ;;
*)
    scontrol update NodeName="${host}" State=RESUME 2>/dev/null || true
    sleep 1
    state=$(sinfo -h -N -o '%T' | head -1)
    [ "$state" = idle ] || die "node $host is $state, not idle"
    ;;
esac
say "cluster up: $(sinfo -h -o '%P %a %D %T %C' | head -1) (partition avail nodes state cpus A/I/O/T)"

# ---------------------------------------------------------------- the sweep
WORK=$ROOT/target/slurm-local
rm -rf "$WORK"
mkdir -p "$WORK"
SPEC=$ROOT/examples/slurm/spec.yaml
cells=$("$ZTSIM" sweep "$SPEC" --out "$WORK/unused" --dry-run)
say "$cells"

t0=$(date +%s.%N)
say "sbatch --wait --array=0-3 examples/slurm/sweep.sbatch"
sbatch --wait --array=0-3 --chdir="$WORK" \
    --export=ALL,SPEC="$SPEC",OUT="$WORK",ZTSIM="$ZTSIM" \
    "$ROOT/examples/slurm/sweep.sbatch"
t1=$(date +%s.%N)
for f in "$WORK"/ztsim-sweep-*.out; do
    echo "  $(basename "$f"): $(tail -n 1 "$f")"
done
say "sbatch --wait examples/slurm/merge.sbatch"
sbatch --wait --chdir="$WORK" --export=ALL,OUT="$WORK",ZTSIM="$ZTSIM" \
    "$ROOT/examples/slurm/merge.sbatch"
t2=$(date +%s.%N)
echo "  $(tail -n 1 "$WORK"/ztsim-merge-*.out)"

say "local, unsharded run for comparison"
"$ZTSIM" sweep "$SPEC" --out "$WORK/local" --quiet
for f in cells.csv trials.csv; do
    cmp "$WORK/merged/$f" "$WORK/local/$f" || die "$f of the Slurm run differs from the local run"
done
say "examples/slurm/submit.sh with 3 shards (the merge job waits for the array: afterok)"
t2b=$(date +%s.%N)
submitted=$(ZTSIM="$ZTSIM" "$ROOT/examples/slurm/submit.sh" "$SPEC" "$WORK/submit" 3)
echo "  $submitted"
merge_job=$(echo "$submitted" | sed -n 's/.*merge job \([0-9]*\).*/\1/p')
[ -n "$merge_job" ] || die "submit.sh printed no merge job id"
for _ in $(seq 600); do
    [ -z "$(squeue -h -j "$merge_job" 2>/dev/null)" ] && break
    sleep 0.5
done
for f in cells.csv trials.csv; do
    cmp "$WORK/submit/merged/$f" "$WORK/local/$f" || die "$f of submit.sh's run differs from the local run"
done
t3=$(date +%s.%N)
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
printf 'slurm-local: array %s s, merge %s s, submit.sh %s s; merged cells.csv (%s rows) and trials.csv (%s rows) equal the local run byte for byte\n' \
    "$(secs "$t0" "$t1")" "$(secs "$t1" "$t2")" "$(secs "$t2b" "$t3")" \
    "$(($(wc -l <"$WORK/merged/cells.csv") - 1))" "$(($(wc -l <"$WORK/merged/trials.csv") - 1))"
say "OK"
