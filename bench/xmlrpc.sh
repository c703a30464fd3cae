#!/bin/sh
# bench/xmlrpc.sh: supervisord's XML-RPC interface, tend beside supervisord
# (issue 16).
#
# 1. getAllProcessInfo round trip with N programs (10) of `sleep`: one client
#    on one keep-alive connection to each server's [unix_http_server]
#    socket, calls interleaved (tend, supervisord, tend, ...), ROUNDS each
#    (2000; 500 with BENCH_QUICK=1) in BLOCKS blocks (10): per block each
#    server's median round trip and CPU time per call (schedstat), and
#    their ratios. Reported: the medians over the blocks, the spread
#    (lowest..highest block), p90 of all calls. A block that a busy machine
#    slowed moves the spread, not the figure. The client (python3,
#    time.perf_counter_ns: CLOCK_MONOTONIC) sends the same bytes
#    supervisorctl's xmlrpc.client sends and reads the whole answer.
#    Target: tend <= 1/4 of supervisord's time (round trip, and CPU).
# 2. tend's idle cost with the socket open: RSS/PSS (/proc/PID/smaps_rollup)
#    and context switches over SECS (10; 5 with BENCH_QUICK=1), the same N
#    programs with and without [unix_http_server]. Target: the same (0
#    switches, RSS within a few KB).
# Prints a table, then one JSON object on its own line (bench/run embeds it).
#
# Env: TEND_BIN, TEND_SRCDIR (set by `make bench`), XMLRPC_N, XMLRPC_ROUNDS,
# XMLRPC_BLOCKS, XMLRPC_SECS.
set -u

SRC=${TEND_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
TEND_BIN=${TEND_BIN:-$SRC/build/tend}
N=${XMLRPC_N:-10}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
    ROUNDS=${XMLRPC_ROUNDS:-500}; SECS=${XMLRPC_SECS:-5}
else
    ROUNDS=${XMLRPC_ROUNDS:-2000}; SECS=${XMLRPC_SECS:-10}
fi
BLOCKS=${XMLRPC_BLOCKS:-10}

die() { echo "xmlrpc.sh: $*" >&2; exit 1; }
[ -x "$TEND_BIN" ] || die "$TEND_BIN missing"
command -v python3 >/dev/null 2>&1 || die "python3 missing"
SUPD=$(command -v supervisord 2>/dev/null || true)
D=$(mktemp -d "${TMPDIR:-/tmp}/tend-xmlrpc.XXXXXX") || die "cannot make a folder"
PIDS=""
cleanup() {
    for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
    for p in $PIDS; do wait "$p" 2>/dev/null; done
    rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

programs() {
    i=0
    while [ "$i" -lt "$N" ]; do
        printf '[program:p%02d]\ncommand = sleep 1000\nstartsecs = 0\nstdout_logfile = NONE\nstderr_logfile = NONE\n' "$i"
        i=$((i + 1))
    done
}
# $1 name, $2 1 = with the socket
tend_conf() {
    {
        printf '[supervisor]\nrundir = %s/run-%s\n' "$D" "$1"
        [ "$2" = 1 ] && printf '[unix_http_server]\nfile = %s/%s.sock\n' "$D" "$1"
        programs
    } >"$D/$1.ini"
}
supd_conf() {
    {
        printf '[supervisord]\nlogfile = %s/supervisord.log\npidfile = %s/supervisord.pid\n' "$D" "$D"
        printf 'childlogdir = %s\n[unix_http_server]\nfile = %s/supd.sock\n' "$D" "$D"
        printf '[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n'
        programs
    } >"$D/supd.conf"
}
# Wait until a socket answers getAllProcessInfo with N RUNNING.
ready() {
    python3 - "$1" "$N" <<'EOF' >/dev/null 2>&1
import socket, sys, time
path, n = sys.argv[1], int(sys.argv[2])
body = b"<?xml version='1.0'?>\n<methodCall>\n<methodName>supervisor.getAllProcessInfo</methodName>\n<params>\n</params>\n</methodCall>\n"
req = b"POST /RPC2 HTTP/1.0\r\nHost: localhost\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n" % len(body) + body
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    try:
        s = socket.socket(socket.AF_UNIX); s.connect(path); s.sendall(req)
        data = b""
        while True:
            c = s.recv(65536)
            if not c: break
            data += c
        s.close()
        if data.count(b"<string>RUNNING</string>") == n:
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.1)
sys.exit(1)
EOF
}
kb() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null; }
ctx() { awk '/^(non)?voluntary_ctxt_switches/ { s += $2 } END { print s + 0 }' "/proc/$1/status"; }

# ---- 1. round trips
tend_conf rt 1
"$TEND_BIN" -c "$D/rt.ini" >"$D/rt.log" 2>&1 &
TP=$!; PIDS="$PIDS $TP"
ready "$D/rt.sock" || die "tend's socket did not answer (see nothing: $(tail -n 1 "$D/rt.log"))"
SOCKS="$D/rt.sock"; SPIDS="$TP"
if [ -n "$SUPD" ]; then
    supd_conf
    "$SUPD" -n -c "$D/supd.conf" >"$D/supd.out" 2>&1 &
    SP=$!; PIDS="$PIDS $SP"
    if ready "$D/supd.sock"; then SOCKS="$SOCKS $D/supd.sock"; SPIDS="$SPIDS $SP"; else echo "xmlrpc.sh: supervisord did not answer" >&2; fi
else
    echo "xmlrpc.sh: supervisord not installed: tend alone" >&2
fi
echo "xmlrpc.sh: getAllProcessInfo, $N programs, $ROUNDS rounds in $BLOCKS blocks" >&2
# shellcheck disable=SC2086
RT=$(python3 - "$ROUNDS" "$BLOCKS" "$SPIDS" $SOCKS <<'EOF'
import socket, statistics, sys, time
rounds, blocks, pids, paths = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].split(), sys.argv[4:]
per = max(1, rounds // blocks)
def cpu_ns(pid):  # time on a CPU, every thread (schedstat: ns)
    import os
    t = 0
    for task in os.listdir("/proc/%s/task" % pid):
        with open("/proc/%s/task/%s/schedstat" % (pid, task)) as f:
            t += int(f.read().split()[0])
    return t
body = b"<?xml version='1.0'?>\n<methodCall>\n<methodName>supervisor.getAllProcessInfo</methodName>\n<params>\n</params>\n</methodCall>\n"
req = (b"POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\nContent-Type: text/xml\r\n"
       b"User-Agent: Python-xmlrpc/3.11\r\nContent-Length: %d\r\n\r\n" % len(body)) + body
def conn(p):
    s = socket.socket(socket.AF_UNIX); s.connect(p); return s
def call(s):
    s.sendall(req)
    buf = b""
    while b"\r\n\r\n" not in buf:
        c = s.recv(65536)
        if not c: raise SystemExit("connection closed")
        buf += c
    head, rest = buf.split(b"\r\n\r\n", 1)
    n = None
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length": n = int(v)
    if n is None: raise SystemExit("no Content-Length")
    while len(rest) < n:
        c = s.recv(65536)
        if not c: raise SystemExit("short body")
        rest += c
    if b"<name>statename</name>" not in rest: raise SystemExit("not an answer")
socks = [conn(p) for p in paths]
for s in socks:
    for _ in range(5): call(s)        # warm up
alltimes = [[] for _ in paths]
med = [[] for _ in paths]      # per block: median round trip (ms)
cpu = [[] for _ in paths]      # per block: server CPU per call (us)
for _ in range(blocks):
    times = [[] for _ in paths]
    c0 = [cpu_ns(p) for p in pids]
    for _ in range(per):
        for i, s in enumerate(socks):
            t0 = time.perf_counter_ns(); call(s); times[i].append(time.perf_counter_ns() - t0)
    c1 = [cpu_ns(p) for p in pids]
    for i, t in enumerate(times):
        med[i].append(statistics.median(t) / 1e6)
        cpu[i].append((c1[i] - c0[i]) / per / 1e3)
        alltimes[i] += t
# line per server: median ms, p90 ms, CPU us, block medians lowest..highest
for i, t in enumerate(alltimes):
    t.sort()
    print("%.3f %.3f %.1f %.3f %.3f %.1f %.1f" % (
        statistics.median(med[i]), t[int(len(t) * 0.9)] / 1e6, statistics.median(cpu[i]),
        min(med[i]), max(med[i]), min(cpu[i]), max(cpu[i])))
# then the ratios tend/supervisord per block: round trip median lo hi, CPU median lo hi
if len(paths) == 2:
    r = [a / b for a, b in zip(med[0], med[1]) if b > 0]
    c = [a / b for a, b in zip(cpu[0], cpu[1]) if b > 0]
    print("%.3f %.3f %.3f %.3f %.3f %.3f" % (statistics.median(r), min(r), max(r),
                                           statistics.median(c), min(c), max(c)))
EOF
) || die "the round-trip client failed"
TEND_MS=$(echo "$RT" | sed -n 1p | cut -d' ' -f1); TEND_P90=$(echo "$RT" | sed -n 1p | cut -d' ' -f2)
SUPD_MS=$(echo "$RT" | sed -n 2p | cut -d' ' -f1); SUPD_P90=$(echo "$RT" | sed -n 2p | cut -d' ' -f2)
TEND_CPU=$(echo "$RT" | sed -n 1p | cut -d' ' -f3); SUPD_CPU=$(echo "$RT" | sed -n 2p | cut -d' ' -f3)
TEND_SPREAD=$(echo "$RT" | sed -n 1p | awk '{ printf "%s..%s ms, %s..%s us", $4, $5, $6, $7 }')
SUPD_SPREAD=$(echo "$RT" | sed -n 2p | awk 'NF { printf "%s..%s ms, %s..%s us", $4, $5, $6, $7 }')
RATIOS=$(echo "$RT" | sed -n 3p)
RATIO=$(echo "$RATIOS" | cut -s -d' ' -f1); RATIO_LO=$(echo "$RATIOS" | cut -s -d' ' -f2)
RATIO_HI=$(echo "$RATIOS" | cut -s -d' ' -f3); CPU_RATIO=$(echo "$RATIOS" | cut -s -d' ' -f4)
CPU_RATIO_LO=$(echo "$RATIOS" | cut -s -d' ' -f5); CPU_RATIO_HI=$(echo "$RATIOS" | cut -s -d' ' -f6)
for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
for p in $PIDS; do wait "$p" 2>/dev/null; done
PIDS=""

# ---- 2. tend idle, with and without the socket
idle() { # $1 name, $2 with socket
    tend_conf "$1" "$2"
    "$TEND_BIN" -c "$D/$1.ini" >"$D/$1.log" 2>&1 &
    tp=$!; PIDS="$PIDS $tp"
    n=0
    while [ "$n" -lt 100 ]; do
        [ -f "$D/run-$1/status" ] && [ "$(grep -c ' RUNNING ' "$D/run-$1/status")" -eq "$N" ] && break
        sleep 0.1; n=$((n + 1))
    done
    [ "$2" = 1 ] && { ready "$D/$1.sock" || die "tend's socket did not answer"; }
    sleep 1
    x0=$(ctx "$tp")
    sleep "$SECS"
    x1=$(ctx "$tp")
    eval "CTX_$1=$((x1 - x0)) RSS_$1=$(kb "$tp" Rss) PSS_$1=$(kb "$tp" Pss)"
    kill -TERM "$tp"; wait "$tp" 2>/dev/null
}
echo "xmlrpc.sh: tend idle $SECS s without and with [unix_http_server]" >&2
idle plain 0
idle http 1

VERDICT=$(awk -v r="$RATIO" -v c="$CPU_RATIO" 'BEGIN { if (r == "") print "not compared"; else print (r <= 0.25 && c <= 0.25 ? "met" : "NOT met") }')
printf '  %-30s %9s %8s %8s   %s\n' "getAllProcessInfo, $N programs" "median ms" "p90 ms" "CPU us" "blocks: lowest..highest"
printf '  %-30s %9s %8s %8s   %s\n' "tend" "$TEND_MS" "$TEND_P90" "$TEND_CPU" "$TEND_SPREAD"
printf '  %-30s %9s %8s %8s   %s\n' "supervisord" "${SUPD_MS:--}" "${SUPD_P90:--}" "${SUPD_CPU:--}" "${SUPD_SPREAD:--}"
echo "  tend / supervisord, median of $BLOCKS blocks: round trip ${RATIO:--} (${RATIO_LO:--}..${RATIO_HI:--}), server CPU per call ${CPU_RATIO:--} (${CPU_RATIO_LO:--}..${CPU_RATIO_HI:--}); target <= 0.25 [$VERDICT]"
echo "  (the round trip includes the python client's own time, the same for both)"
printf '  %-36s %10s %10s %10s\n' "tend idle $SECS s, $N programs" "RSS KB" "PSS KB" "switches"
printf '  %-36s %10s %10s %10s\n' "no socket" "$RSS_plain" "$PSS_plain" "$CTX_plain"
printf '  %-36s %10s %10s %10s\n' "[unix_http_server]" "$RSS_http" "$PSS_http" "$CTX_http"
j() { if [ -n "${1:-}" ]; then printf '%s' "$1"; else printf null; fi; }
printf '{"programs": %d, "rounds": %d, "blocks": %d, "ratio_range": [%s, %s], "cpu_ratio_range": [%s, %s], "tend_ms": %s, "tend_p90_ms": %s, "supervisord_ms": %s, "supervisord_p90_ms": %s, "ratio": %s, "target_met": %s, "tend_cpu_us_per_call": %s, "supervisord_cpu_us_per_call": %s, "cpu_ratio": %s, "idle_seconds": %d, "idle_plain": {"rss_kb": %s, "pss_kb": %s, "switches": %s}, "idle_http": {"rss_kb": %s, "pss_kb": %s, "switches": %s}}\n' \
    "$N" "$ROUNDS" "$BLOCKS" "$(j "${RATIO_LO:-}")" "$(j "${RATIO_HI:-}")" "$(j "${CPU_RATIO_LO:-}")" "$(j "${CPU_RATIO_HI:-}")" "$(j "$TEND_MS")" "$(j "$TEND_P90")" "$(j "${SUPD_MS:-}")" "$(j "${SUPD_P90:-}")" \
    "$(j "${RATIO:-}")" "$([ "$VERDICT" = met ] && echo true || echo false)" \
    "$(j "$TEND_CPU")" "$(j "${SUPD_CPU:-}")" "$(j "${CPU_RATIO:-}")" "$SECS" \
    "$(j "$RSS_plain")" "$(j "$PSS_plain")" "$(j "$CTX_plain")" "$(j "$RSS_http")" "$(j "$PSS_http")" "$(j "$CTX_http")"
