#!/bin/sh
# bench/events.sh: from a program's state change to an event listener
# receiving the event (issue 17), tend beside supervisord in the same run.
#
# A program writes CLOCK_MONOTONIC (Python's time.monotonic) to a file and
# exits at once (os._exit); it is restarted and does it again, N times. A
# listener written with supervisor.childutils, subscribed to
# PROCESS_STATE_EXITED, writes the same clock as soon as it has read each
# event. Reported: the median (and max) of receipt - exit, in ms, for tend
# and for supervisord (/usr/bin/supervisord) with the same programs. The
# figure includes the reaping, the state change, the envelope and Python
# reading it, the same for both. Target: tend under 1 ms.
# Prints a table, then one JSON object on its own line (bench/run embeds it).
#
# Env: TEND_BIN, TEND_SRCDIR (set by `make bench`), EVENTS_N (30; 10 with
# BENCH_QUICK=1), SUPERVISORD (/usr/bin/supervisord).
set -u

SRC=${TEND_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
TEND_BIN=${TEND_BIN:-$SRC/build/tend}
SUPERVISORD=${SUPERVISORD:-/usr/bin/supervisord}
PY=/usr/bin/python3
if [ "${BENCH_QUICK:-0}" = 1 ]; then N=${EVENTS_N:-10}; else N=${EVENTS_N:-30}; fi

die() { echo "events.sh: $*" >&2; exit 1; }
[ -x "$TEND_BIN" ] || die "$TEND_BIN missing"
"$PY" -c 'import supervisor.childutils' 2>/dev/null || die "no supervisor.childutils for $PY"
D=$(mktemp -d "${TMPDIR:-/tmp}/tend-events.XXXXXX") || die "cannot make a folder"
PIDS=""
cleanup() {
    for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
    for p in $PIDS; do wait "$p" 2>/dev/null; done
    rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

cat >"$D/prog.py" <<'EOF'
import os, sys, time
time.sleep(0.1)
with open(sys.argv[1], "a") as f:
    f.write("%.6f\n" % time.monotonic())
os._exit(3)
EOF
cat >"$D/listener.py" <<'EOF'
import sys, time
from supervisor import childutils
while True:
    headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
    t = time.monotonic()
    if payload.startswith("processname:p "):
        with open(sys.argv[1], "a") as f:
            f.write("%.6f\n" % t)
    childutils.listener.ok(sys.stdout)
EOF

# NAME -> waits for N receipts, then sets MED_<NAME>, MAX_<NAME> (ms)
measure() {
    name=$1 pid=$2
    n=0
    while [ "$n" -lt 600 ]; do
        [ -f "$D/$name.recv" ] && [ "$(wc -l <"$D/$name.recv")" -ge "$N" ] && break
        sleep 0.1; n=$((n + 1))
    done
    kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    [ -f "$D/$name.recv" ] || { eval "MED_$name= MAX_$name="; return; }
    # the i-th exit with the i-th receipt, the first N of each
    paste "$D/$name.exit" "$D/$name.recv" | head -n "$N" |
        awk 'NF == 2 { printf "%.3f\n", ($2 - $1) * 1000 }' | sort -n >"$D/$name.lat"
    k=$(wc -l <"$D/$name.lat")
    eval "MED_$name=$(awk -v k="$k" 'NR == int((k + 1) / 2) { print }' "$D/$name.lat")"
    eval "MAX_$name=$(tail -n 1 "$D/$name.lat")"
    eval "CNT_$name=$k"
}

echo "events.sh: tend, $N exits of a program, PROCESS_STATE_EXITED to a listener" >&2
cat >"$D/tend.ini" <<EOF
[supervisor]
rundir = $D/run
loglevel = warn
[program:p]
command = $PY $D/prog.py $D/tend.exit
startsecs = 0
autorestart = true
backoff_max = 0
[eventlistener:l]
command = $PY $D/listener.py $D/tend.recv
startsecs = 0
events = PROCESS_STATE_EXITED
EOF
"$TEND_BIN" -c "$D/tend.ini" >"$D/tend.out" 2>&1 &
tp=$!
PIDS="$tp"
measure tend "$tp"

MED_supd="" MAX_supd="" CNT_supd=0
if [ -x "$SUPERVISORD" ]; then
    echo "events.sh: supervisord, the same" >&2
    cat >"$D/supd.conf" <<EOF
[supervisord]
nodaemon = true
logfile = $D/supd.log
pidfile = $D/supd.pid
loglevel = warn
[program:p]
command = $PY $D/prog.py $D/supd.exit
startsecs = 0
autorestart = true
startretries = 1000
[eventlistener:l]
command = $PY $D/listener.py $D/supd.recv
startsecs = 0
events = PROCESS_STATE_EXITED
EOF
    "$SUPERVISORD" -c "$D/supd.conf" >"$D/supd.out" 2>&1 &
    sp=$!
    PIDS="$PIDS $sp"
    measure supd "$sp"
else
    echo "events.sh: $SUPERVISORD missing: supervisord not measured" >&2
fi

VERDICT=$(awk -v v="${MED_tend:-}" 'BEGIN { print (v != "" && v + 0 < 1 ? "met" : "NOT met") }')
RATIO=$(awk -v a="${MED_tend:-}" -v b="${MED_supd:-}" 'BEGIN { if (a == "" || b == "" || a <= 0) print ""; else printf "%.1f", b / a }')
printf '  %-40s %10s %10s\n' "" "median ms" "max ms"
printf '  %-40s %10s %10s\n' "tend: exit -> listener has the event" "${MED_tend:--}" "${MAX_tend:--}"
printf '  %-40s %10s %10s\n' "supervisord: the same" "${MED_supd:--}" "${MAX_supd:--}"
echo "  ($N exits each; supervisord / tend: ${RATIO:--}); target: tend < 1 ms [$VERDICT]"
j() { if [ -n "${1:-}" ]; then printf '%s' "$1"; else printf null; fi; }
printf '{"exits": %d, "tend_median_ms": %s, "tend_max_ms": %s, "supervisord_median_ms": %s, "supervisord_max_ms": %s, "target_tend_below_ms": 1, "target_met": %s}\n' \
    "$N" "$(j "${MED_tend:-}")" "$(j "${MAX_tend:-}")" "$(j "${MED_supd:-}")" "$(j "${MAX_supd:-}")" \
    "$([ "$VERDICT" = met ] && echo true || echo false)"
