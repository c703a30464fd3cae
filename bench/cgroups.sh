#!/bin/sh
# bench/cgroups.sh: what cgroups cost tend (issue 18).
#
# 1. Time until N (200) programs of `sleep` are RUNNING (tend's status file),
#    `cgroups = on` against `cgroups = off`, runs interleaved, median of RUNS
#    (5; 3 with BENCH_QUICK=1). Target: on within 20 % of off.
# 2. tend with the N programs in cgroups, left alone for SECS seconds (10;
#    5 with BENCH_QUICK=1): its context switches (target 0: cgroup.events is
#    watched, never polled).
# tend runs in a cgroup this script makes below its own and removes; it
# needs root and a writable cgroup2 mount, else it says so and prints null.
# Prints a table, then one JSON object on its own line (bench/run embeds it).
#
# Env: TEND_BIN, TEND_HELPERS, TEND_SRCDIR (set by `make bench`),
# CGROUPS_N (200), CGROUPS_RUNS, CGROUPS_SECS.
set -u

SRC=${TEND_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
H=${TEND_HELPERS:-$SRC/build/helpers}
TEND_BIN=${TEND_BIN:-$SRC/build/tend}
N=${CGROUPS_N:-200}
if [ "${BENCH_QUICK:-0}" = 1 ]; then RUNS=${CGROUPS_RUNS:-3}; SECS=${CGROUPS_SECS:-5}
else RUNS=${CGROUPS_RUNS:-5}; SECS=${CGROUPS_SECS:-10}; fi

die() { echo "cgroups.sh: $*" >&2; exit 1; }
[ -x "$TEND_BIN" ] || die "$TEND_BIN missing"
[ -x "$H/bench_ready" ] || die "helper $H/bench_ready missing (make bench)"

MNT=$(awk '$0 ~ / - cgroup2 / && $4 == "/" { print $5; exit }' /proc/self/mountinfo)
OWN=$(sed -n 's/^0:://p' /proc/self/cgroup)
[ "$OWN" = / ] && OWN=
if [ -z "$MNT" ] || [ ! -w "$MNT$OWN/cgroup.procs" ]; then
    echo "cgroups: not measured (needs root and a writable cgroup2 mount)"
    echo null
    exit 0
fi
CG="$MNT$OWN/tend-bench-$$"
D=$(mktemp -d "${TMPDIR:-/tmp}/tend-cgroups.XXXXXX") || die "cannot make a folder"
TP=""
stop_tend() { # the tend of $TP, by SIGTERM (it removes its cgroups), then by force
    [ -n "$TP" ] || return 0
    kill -TERM "$TP" 2>/dev/null
    i=0
    while kill -0 "$TP" 2>/dev/null && [ $i -lt 500 ]; do sleep 0.02; i=$((i + 1)); done
    kill -0 "$TP" 2>/dev/null && "$H/bench_proc" kill "$TP"
    TP=""
}
cleanup() {
    stop_tend
    [ -f "$CG/cgroup.kill" ] && echo 1 >"$CG/cgroup.kill" 2>/dev/null
    [ -d "$CG" ] && find "$CG" -depth -type d -exec rmdir {} + 2>/dev/null
    rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
mkdir "$CG" || die "cannot make $CG"

gen() { # DIR MODE
    mkdir -p "$1"
    {
        printf '[supervisor]\nrundir = %s/run\ncgroups = %s\nloglevel = warn\n' "$1" "$2"
        i=0
        while [ $i -lt "$N" ]; do
            printf '[program:p%d]\ncommand = sleep 1000\nstartsecs = 0\n' $i
            i=$((i + 1))
        done
    } >"$1/tend.ini"
}
start() { # DIR: tend in the bench cgroup; US = bench_ready's status time, TP = tend
    set -- $("$H/bench_ready" -t 20000 -s "$1/run/status" "$N" -- \
        sh -c 'echo 0 >"$1/cgroup.procs" && exec "$2" -c "$3"' sh "$CG" "$TEND_BIN" "$1/tend.ini")
    [ $# -eq 3 ] || return 1
    TP=$3
    US=$2
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

gen "$D/off" off
gen "$D/on" on
r=0
while [ $r -lt "$RUNS" ]; do
    for m in off on; do
        start "$D/$m" || die "tend ($m) did not start $N programs"
        [ "$US" -ge 0 ] 2>/dev/null || die "tend ($m): not all RUNNING within 20 s"
        echo "$US" >>"$D/t_$m"
        stop_tend
    done
    r=$((r + 1))
done
OFF=$(median <"$D/t_off")
ON=$(median <"$D/t_on")
RATIO=$(awk -v a="$ON" -v b="$OFF" 'BEGIN { printf "%.2f", a / b }')
VERDICT=$(awk -v r="$RATIO" 'BEGIN { print (r <= 1.2) ? "pass" : "FAIL" }')

# idle with every program in its cgroup
start "$D/on" || die "tend (on) did not start"
NCG=$(find "$CG" -mindepth 1 -maxdepth 1 -type d -name '*.tend' | wc -l)
sleep 1
C0=$("$H/bench_proc" ctx "$TP")
sleep "$SECS"
C1=$("$H/bench_proc" ctx "$TP")
stop_tend
LEFT=$(find "$CG" -mindepth 1 -type d | wc -l)
CTX=$((C1 - C0))
IV=$([ "$CTX" -eq 0 ] && echo pass || echo FAIL)

printf '%d programs until all RUNNING (median of %d): cgroups off %.1f ms, on %.1f ms, ratio %s  target <= 1.20  [%s]\n' \
    "$N" "$RUNS" "$(awk -v v="$OFF" 'BEGIN { print v / 1000 }')" "$(awk -v v="$ON" 'BEGIN { print v / 1000 }')" "$RATIO" "$VERDICT"
printf '%d programs in %d cgroups, %d s idle: %d context switches  target 0  [%s]; cgroups left after exit: %d\n' \
    "$N" "$NCG" "$SECS" "$CTX" "$IV" "$LEFT"
printf '{"programs": %d, "runs": %d, "all_running_us": {"off": %s, "on": %s, "ratio": %s, "target": 1.2, "verdict": "%s"}, "idle": {"seconds": %d, "cgroups": %d, "context_switches": %d, "target": 0, "verdict": "%s"}, "cgroups_left": %d}\n' \
    "$N" "$RUNS" "$OFF" "$ON" "$RATIO" "$VERDICT" "$SECS" "$NCG" "$CTX" "$IV" "$LEFT"
