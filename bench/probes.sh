#!/bin/sh
# bench/probes.sh: what health probes cost tend (issue 14).
#
# tend supervises N programs (100) of `sleep`, each with
#   healthcheck = tcp:127.0.0.1:PORT   healthcheck_interval = 1
# against one listener (tests/helpers/netserve), and is left alone for SECS
# seconds (60). Reported: tend's CPU time (user + system, from
# /proc/PID/stat) over that window, as a share of one core. Target: < 1 %.
# For contrast, the same configuration without healthchecks: its CPU time
# and its context switches over the window (target 0: no probes, no timer).
# Prints a table, then one JSON object on its own line (bench/run embeds it).
#
# Env: TEND_BIN, TEND_HELPERS, TEND_SRCDIR (set by `make bench`),
# PROBES_N (100), PROBES_SECS (60; 10 with BENCH_QUICK=1).
set -u

SRC=${TEND_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
H=${TEND_HELPERS:-$SRC/build/helpers}
TEND_BIN=${TEND_BIN:-$SRC/build/tend}
N=${PROBES_N:-100}
if [ "${BENCH_QUICK:-0}" = 1 ]; then SECS=${PROBES_SECS:-10}; else SECS=${PROBES_SECS:-60}; fi

die() { echo "probes.sh: $*" >&2; exit 1; }
[ -x "$H/netserve" ] || die "helper $H/netserve missing (make bench)"
[ -x "$TEND_BIN" ] || die "$TEND_BIN missing"
D=$(mktemp -d "${TMPDIR:-/tmp}/tend-probes.XXXXXX") || die "cannot make a folder"
PIDS=""
cleanup() {
    for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
    for p in $PIDS; do wait "$p" 2>/dev/null; done
    rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

TICK=$(getconf CLK_TCK)
# A free port: let the kernel pick one for a moment.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null) || PORT=47123
"$H/netserve" "$PORT" >"$D/netserve.out" 2>&1 &
PIDS="$!"

cpu_ticks() { # PID -> utime + stime in clock ticks
    sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
ctx() { # PID -> voluntary + involuntary context switches
    awk '/^(voluntary|nonvoluntary)_ctxt_switches/ { s += $2 } END { print s }' "/proc/$1/status"
}

run() { # NAME PROBED(0/1) -> sets CPU_<NAME> (percent of a core), CTX_<NAME>
    name=$1 probed=$2
    conf="$D/$name.ini"
    {
        printf '[supervisor]\nrundir = %s/run-%s\nloglevel = warn\n' "$D" "$name"
        i=0
        while [ "$i" -lt "$N" ]; do
            printf '[program:p%d]\ncommand = sleep 100000\nstartsecs = 0\n' "$i"
            [ "$probed" = 1 ] && printf 'healthcheck = tcp:127.0.0.1:%s\nhealthcheck_interval = 1\n' "$PORT"
            i=$((i + 1))
        done
    } >"$conf"
    "$TEND_BIN" -c "$conf" >"$D/$name.out" 2>&1 &
    tp=$!
    PIDS="$PIDS $tp"
    # every program up, and the first checks under way
    n=0
    while [ "$n" -lt 50 ]; do
        [ -f "$D/run-$name/status" ] && [ "$(grep -c ' RUNNING ' "$D/run-$name/status")" -eq "$N" ] && break
        sleep 0.1; n=$((n + 1))
    done
    sleep 2
    c0=$(cpu_ticks "$tp"); x0=$(ctx "$tp")
    sleep "$SECS"
    c1=$(cpu_ticks "$tp"); x1=$(ctx "$tp")
    kill -TERM "$tp"; wait "$tp" 2>/dev/null
    eval "CPU_$name=$(awk -v a="$c0" -v b="$c1" -v t="$TICK" -v s="$SECS" 'BEGIN { printf "%.3f", (b - a) / t / s * 100 }')"
    eval "CTX_$name=$((x1 - x0))"
}

echo "probes.sh: $N programs, $SECS s without probes" >&2
run plain 0
echo "probes.sh: $N programs, tcp: probe each every second, $SECS s" >&2
run probed 1

VERDICT=$(awk -v v="$CPU_probed" 'BEGIN { print (v + 0 < 1 ? "met" : "NOT met") }')
printf '  %-40s %10s %12s\n' "" "CPU %core" "switches"
printf '  %-40s %10s %12s\n' "$N programs, no probes" "$CPU_plain" "$CTX_plain"
printf '  %-40s %10s %12s\n' "$N programs, tcp: every 1 s" "$CPU_probed" "$CTX_probed"
echo "  target: probed < 1 % of a core [$VERDICT]; no probes: 0 switches"
printf '{"programs": %d, "seconds": %d, "cpu_pct_probed": %s, "cpu_pct_plain": %s, "switches_probed": %d, "switches_plain": %d, "target_met": %s}\n' \
    "$N" "$SECS" "$CPU_probed" "$CPU_plain" "$CTX_probed" "$CTX_plain" \
    "$([ "$VERDICT" = met ] && echo true || echo false)"
