#!/bin/sh
# bench/capture.sh: log capture throughput (issue 6).
#
# A child writes SIZE bytes (512 MiB) of 100-byte lines to its stdout, and
# we time until all of it is in a log file on the real disk:
#   cat          the same generator piped through `cat > file` (the limit)
#   tend         build/tend with stdout_logfile=FILE, maxbytes 0
#   supervisord  the same program under supervisord, if installed (installed
#                with apt-get when missing and we are root)
# All three write into one folder, interleaved, RUNS times each (sync before
# every run); the median is reported. Prints a table, then one JSON object
# on its own line (the bench suite, bench/run, embeds it as is).
#
# Env: TEND_BIN, TEND_HELPERS, TEND_SRCDIR (set by `make bench`; defaults to
# this tree's build/), CAPTURE_BYTES (default 536870912), CAPTURE_RUNS
# (default 5, 3 with BENCH_QUICK=1), CAPTURE_DIR (default: a fresh folder in
# /var/tmp, or in build/ when /var/tmp is a tmpfs).
set -u

SRC=${TEND_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
H=${TEND_HELPERS:-$SRC/build/helpers}
TEND_BIN=${TEND_BIN:-$SRC/build/tend}
SIZE=${CAPTURE_BYTES:-536870912}
if [ "${BENCH_QUICK:-0}" = 1 ]; then RUNS=${CAPTURE_RUNS:-3}; else RUNS=${CAPTURE_RUNS:-5}; fi
LIMIT=120   # seconds for one run before it counts as failed

have() { command -v "$1" >/dev/null 2>&1; }
die() { echo "capture.sh: $*" >&2; exit 1; }

[ -x "$H/spam" ] || die "helper $H/spam missing (make BUILD=... or make bench)"
GEN="$H/spam -b $SIZE -c 1048576"

# ---- where: a real disk, the same folder for everyone
if [ -n "${CAPTURE_DIR:-}" ]; then
    mkdir -p "$CAPTURE_DIR" || die "cannot make $CAPTURE_DIR"
    D=$(mktemp -d "$CAPTURE_DIR/capture.XXXXXX") || die "cannot make a folder in $CAPTURE_DIR"
else
    base=/var/tmp
    [ "$(stat -f -c %T "$base" 2>/dev/null)" = tmpfs ] && base=$SRC/build
    mkdir -p "$base"
    D=$(mktemp -d "$base/tend-capture.XXXXXX") || die "cannot make a folder in $base"
fi
FSTYPE=$(stat -f -c %T "$D" 2>/dev/null || echo unknown)
PIDS=""
cleanup() {
    for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
    rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# ---- peers
if ! have supervisord && [ "$(id -u)" = 0 ] && have apt-get; then
    echo "capture.sh: installing supervisor" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends supervisor \
        >"$D/apt.log" 2>&1 || echo "capture.sh: apt-get install supervisor failed" >&2
fi
HAVE_TEND=0; [ -x "$TEND_BIN" ] && HAVE_TEND=1
HAVE_SUPD=0; have supervisord && HAVE_SUPD=1
[ "$HAVE_TEND" = 1 ] || echo "capture.sh: $TEND_BIN missing; tend not measured" >&2

now_ns() { date +%s%N; }
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }

# Wait until $1 holds SIZE bytes or process $2 died or LIMIT passed: 0 or 1.
# (supervisord cannot exit with its program: it is polled every 10 ms; the
# polling shell costs it a little CPU.)
wait_full() {
    end=$(( $(date +%s) + LIMIT ))
    while [ "$(size_of "$1")" -lt "$SIZE" ]; do
        kill -0 "$2" 2>/dev/null || { [ "$(size_of "$1")" -ge "$SIZE" ]; return; }
        [ "$(date +%s)" -ge "$end" ] && return 1
        sleep 0.01
    done
    return 0
}

# Stop process $1 (TERM, then KILL after 10 s) and reap it.
stop_pid() {
    kill -TERM "$1" 2>/dev/null
    n_wait=0
    while kill -0 "$1" 2>/dev/null && [ $n_wait -lt 1000 ]; do sleep 0.01; n_wait=$((n_wait + 1)); done
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    PIDS=""
}

# Each prints MB/s (10^6 bytes per second) or nothing on failure.
mbps() { awk -v b="$SIZE" -v ns="$1" 'BEGIN { if (ns > 0) printf "%.0f\n", b / 1e6 / (ns / 1e9) }'; }

run_cat() {
    f=$D/cat.log
    rm -f "$f"; sync
    t0=$(now_ns)
    $GEN | cat > "$f"
    t1=$(now_ns)
    [ "$(size_of "$f")" -eq "$SIZE" ] && mbps $((t1 - t0))
    rm -f "$f"
}

cat > "$D/tend.ini" <<EOF
[supervisor]
rundir = $D/run
[program:spam]
command = $GEN
stdout_logfile = $D/tend.log
stdout_logfile_maxbytes = 0
autostart = true
autorestart = false
startsecs = 0
main = true
EOF

# main = true: tend exits once the generator has exited and its output is
# written (capture_flush_all), so tend is timed like cat, without polling
# (start-up and shutdown included).
run_tend() {
    f=$D/tend.log
    rm -rf "$f" "$D/run"; sync
    t0=$(now_ns)
    timeout -s KILL $LIMIT "$TEND_BIN" -c "$D/tend.ini" >"$D/tend.out" 2>"$D/tend.err"
    t1=$(now_ns)
    if [ "$(size_of "$f")" -eq "$SIZE" ]; then
        mbps $((t1 - t0))
    else
        echo "capture.sh: tend wrote $(size_of "$f") of $SIZE bytes: $(tail -n 2 "$D/tend.err" | tr '\n' ' ')" >&2
    fi
    rm -f "$f"
}

cat > "$D/supd.conf" <<EOF
[supervisord]
nodaemon = true
logfile = $D/supd.log
pidfile = $D/supd.pid
childlogdir = $D
[program:spam]
command = $GEN
stdout_logfile = $D/supd-out.log
stdout_logfile_maxbytes = 0
autostart = true
autorestart = false
startsecs = 0
EOF

run_supd() {
    f=$D/supd-out.log
    rm -f "$f" "$D/supd.log" "$D/supd.pid"; sync
    t0=$(now_ns)
    supervisord -c "$D/supd.conf" >/dev/null 2>&1 &
    pid=$!; PIDS=$pid
    if wait_full "$f" "$pid"; then t1=$(now_ns); ok=1; else ok=0; fi
    stop_pid "$pid"
    [ $ok = 1 ] && [ "$(size_of "$f")" -eq "$SIZE" ] && mbps $((t1 - t0))
    rm -f "$f"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

: >"$D/r_cat"; : >"$D/r_tend"; : >"$D/r_supd"
run=0
while [ $run -lt "$RUNS" ]; do
    run=$((run + 1))
    echo "capture.sh: run $run of $RUNS" >&2
    run_cat >>"$D/r_cat"
    [ "$HAVE_TEND" = 1 ] && run_tend >>"$D/r_tend"
    [ "$HAVE_SUPD" = 1 ] && run_supd >>"$D/r_supd"
done

CAT=$(median <"$D/r_cat")
TEND=$(median <"$D/r_tend")
SUPD=$(median <"$D/r_supd")
ratio() { awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a == "" || b == "" || b <= 0) print ""; else printf "%.2f\n", a / b }'; }
R_TEND=$(ratio "$TEND" "$CAT")
R_SUPD=$(ratio "$SUPD" "$CAT")
VERDICT="-"
[ -n "$R_TEND" ] && VERDICT=$(awk -v r="$R_TEND" 'BEGIN { print (r >= 0.90) ? "met" : "NOT met" }')
show() { if [ -n "${1:-}" ]; then printf '%s' "$1"; else printf -- -; fi; }
pct() { if [ -n "${1:-}" ]; then awk -v r="$1" 'BEGIN { printf "%d%%", r * 100 + 0.5 }'; else printf -- -; fi; }
j() { if [ -n "${1:-}" ]; then printf '%s' "$1"; else printf null; fi; }
list() { tr '\n' ' ' <"$1" | sed 's/ *$//; s/ /, /g'; }

echo "log capture: $((SIZE / 1048576)) MiB of 100-byte lines into a log file on $FSTYPE, MB/s, median of $RUNS  target: tend >= 90% of cat [$VERDICT]"
printf '  %-28s %8s %8s   %s\n' "" "MB/s" "of cat" "runs"
printf '  %-28s %8s %8s   %s\n' "cat > file (the limit)" "$(show "$CAT")" "100%" "$(list "$D/r_cat")"
printf '  %-28s %8s %8s   %s\n' "tend stdout_logfile" "$(show "$TEND")" "$(pct "$R_TEND")" "$(list "$D/r_tend")"
printf '  %-28s %8s %8s   %s\n' "supervisord stdout_logfile" "$(show "$SUPD")" "$(pct "$R_SUPD")" "$(list "$D/r_supd")"
printf '{"bytes": %s, "runs": %s, "fs": "%s", "cat_mbps": %s, "tend_mbps": %s, "supervisord_mbps": %s, "ratio_tend_cat": %s, "ratio_supervisord_cat": %s, "target": "tend >= 0.90 x cat", "verdict": "%s"}\n' \
    "$SIZE" "$RUNS" "$FSTYPE" "$(j "$CAT")" "$(j "$TEND")" "$(j "$SUPD")" "$(j "$R_TEND")" "$(j "$R_SUPD")" "$VERDICT"
