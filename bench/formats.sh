#!/bin/sh
# bench/formats.sh: capture throughput with log formats (issue 15).
#
# A child writes SIZE bytes (256 MiB) of 100-byte lines to its stdout; tend
# (main = true, so it exits once all is written) captures them into a file
# on a tmpfs, as:
#   plain       stdout_logfile = FILE (raw: spliced, no framing)
#   iso8601     the same with log_timestamp = iso8601
#   rfc3339ms   log_timestamp = rfc3339ms
#   json        log_format = json
# The variants run interleaved, RUNS times each; the median MB/s (of the
# child's bytes, 10^6/s, start-up and shutdown included) and each one's
# ratio to plain are reported. Target: timestamps and JSON >= 70 % of plain.
# Also reported: the bytes written per byte read (a JSON record of a
# 100-byte line is about 1.9 times its size) and tend's CPU time (user +
# system, from its rusage) per run, less sensitive to a busy machine.
# Prints a table, then one JSON object on its own line (bench/run embeds it).
#
# Env: TEND_BIN, TEND_HELPERS, TEND_SRCDIR (set by `make bench`),
# FORMATS_BYTES (default 268435456), FORMATS_RUNS (default 5, 3 with
# BENCH_QUICK=1), FORMATS_DIR (default /dev/shm; must be a tmpfs).
set -u

SRC=${TEND_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
H=${TEND_HELPERS:-$SRC/build/helpers}
TEND_BIN=${TEND_BIN:-$SRC/build/tend}
SIZE=${FORMATS_BYTES:-268435456}
if [ "${BENCH_QUICK:-0}" = 1 ]; then RUNS=${FORMATS_RUNS:-3}; else RUNS=${FORMATS_RUNS:-5}; fi
LIMIT=120
BASE=${FORMATS_DIR:-/dev/shm}

die() { echo "formats.sh: $*" >&2; exit 1; }
[ -x "$H/spam" ] || die "helper $H/spam missing (make bench)"
[ -x "$TEND_BIN" ] || die "$TEND_BIN missing"
[ "$(stat -f -c %T "$BASE" 2>/dev/null)" = tmpfs ] || die "$BASE is not a tmpfs (set FORMATS_DIR)"
D=$(mktemp -d "$BASE/tend-formats.XXXXXX") || die "cannot make a folder in $BASE"
trap 'rm -rf "$D"' EXIT
trap 'exit 130' INT TERM HUP

VARIANTS="plain iso8601 rfc3339ms json"
for v in $VARIANTS; do
    case $v in
    plain) extra="" ;;
    json) extra="log_format = json" ;;
    *) extra="log_timestamp = $v" ;;
    esac
    cat >"$D/$v.ini" <<EOF
[supervisor]
rundir = $D/run
[program:spam]
command = $H/spam -b $SIZE -c 1048576
stdout_logfile = $D/out.log
stdout_logfile_maxbytes = 0
startsecs = 0
autorestart = false
main = true
$extra
EOF
    : >"$D/r_$v"
    : >"$D/c_$v"
done

now_ns() { date +%s%N; }
# tend's CPU ms from /usr/bin/time when there is one, else empty
have_time=0; [ -x /usr/bin/time ] && have_time=1

run_one() { # VARIANT: appends MB/s to r_V, CPU ms to c_V; bytes written to $D/w_V
    v=$1
    rm -rf "$D/out.log" "$D/run"
    t0=$(now_ns)
    if [ $have_time = 1 ]; then
        timeout -s KILL $LIMIT /usr/bin/time -f '%U %S' -o "$D/time" "$TEND_BIN" -c "$D/$v.ini" >/dev/null 2>"$D/err"
    else
        timeout -s KILL $LIMIT "$TEND_BIN" -c "$D/$v.ini" >/dev/null 2>"$D/err"
    fi
    t1=$(now_ns)
    w=$(stat -c %s "$D/out.log" 2>/dev/null || echo 0)
    if [ "$w" -ge "$SIZE" ]; then
        awk -v b="$SIZE" -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f\n", b / 1e6 / (ns / 1e9) }' >>"$D/r_$v"
        echo "$w" >"$D/w_$v"
        [ $have_time = 1 ] && awk '{ printf "%.0f\n", ($1 + $2) * 1000 }' "$D/time" >>"$D/c_$v"
    else
        echo "formats.sh: $v: tend wrote $w bytes for $SIZE: $(tail -n 1 "$D/err")" >&2
    fi
    rm -f "$D/out.log"
}

run=0
while [ $run -lt "$RUNS" ]; do
    run=$((run + 1))
    echo "formats.sh: run $run of $RUNS" >&2
    for v in $VARIANTS; do run_one "$v"; done
done

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a == "" || b == "" || b <= 0) print ""; else printf "%.2f\n", a / b }'; }
show() { if [ -n "${1:-}" ]; then printf '%s' "$1"; else printf -- -; fi; }
pct() { if [ -n "${1:-}" ]; then awk -v r="$1" 'BEGIN { printf "%d%%", r * 100 + 0.5 }'; else printf -- -; fi; }
j() { if [ -n "${1:-}" ]; then printf '%s' "$1"; else printf null; fi; }
list() { tr '\n' ' ' <"$1" | sed 's/ *$//; s/ /, /g'; }

for v in $VARIANTS; do
    eval "M_$v=\$(median <\"\$D/r_$v\")"
    eval "C_$v=\$(median <\"\$D/c_$v\")"
    eval "W_$v=\$(cat \"\$D/w_$v\" 2>/dev/null)"
done
VERDICT=met
for v in iso8601 rfc3339ms json; do
    eval "m=\$M_$v"
    r=$(ratio "$m" "$M_plain")
    eval "R_$v=\$r"
    if [ -z "$r" ]; then VERDICT="-"; elif [ "$VERDICT" != "-" ] && awk -v r="$r" 'BEGIN { exit !(r < 0.70) }'; then VERDICT="NOT met"; fi
done

echo "log formats: $((SIZE / 1048576)) MiB of 100-byte lines into a file on tmpfs, MB/s of input, median of $RUNS  target: timestamps and json >= 70% of plain [$VERDICT]"
printf '  %-22s %8s %8s %9s %9s   %s\n' "" "MB/s" "of plain" "out/in" "tend CPU" "runs"
for v in $VARIANTS; do
    eval "m=\$M_$v c=\$C_$v w=\$W_$v"
    if [ "$v" = plain ]; then r=1; else eval "r=\$R_$v"; fi
    oi=$(awk -v w="${w:-}" -v s="$SIZE" 'BEGIN { if (w == "") print ""; else printf "%.2f\n", w / s }')
    printf '  %-22s %8s %8s %9s %9s   %s\n' "$v" "$(show "$m")" "$(pct "$r")" "$(show "$oi")" \
        "$(show "${c:+${c} ms}")" "$(list "$D/r_$v")"
done
printf '{"bytes": %s, "runs": %s, "fs": "tmpfs", "plain_mbps": %s, "iso8601_mbps": %s, "rfc3339ms_mbps": %s, "json_mbps": %s, "ratio_iso8601_plain": %s, "ratio_rfc3339ms_plain": %s, "ratio_json_plain": %s, "cpu_ms": {"plain": %s, "iso8601": %s, "rfc3339ms": %s, "json": %s}, "bytes_written": {"plain": %s, "iso8601": %s, "rfc3339ms": %s, "json": %s}, "target": "timestamps and json >= 0.70 x plain", "verdict": "%s"}\n' \
    "$SIZE" "$RUNS" "$(j "$M_plain")" "$(j "$M_iso8601")" "$(j "$M_rfc3339ms")" "$(j "$M_json")" \
    "$(j "$R_iso8601")" "$(j "$R_rfc3339ms")" "$(j "$R_json")" \
    "$(j "$C_plain")" "$(j "$C_iso8601")" "$(j "$C_rfc3339ms")" "$(j "$C_json")" \
    "$(j "$W_plain")" "$(j "$W_iso8601")" "$(j "$W_rfc3339ms")" "$(j "$W_json")" "$VERDICT"
