#!/bin/sh
# Run check test programs, TEST_JOBS at a time (default 3: most integration
# time is spent waiting on timers, not CPU), print each program's output in
# order, then one closing line for the whole run:
#   check: N passed, N failed
# Exits non-zero when a test failed or a program ended outside check's
# accounting (crash, no summary).
jobs=${TEST_JOBS:-3}
out=$(mktemp -d "${TMPDIR:-/tmp}/tend-run-all.XXXXXX") || exit 1
trap 'rm -rf "$out"' EXIT INT TERM

i=0
for t in "$@"; do
    i=$((i + 1))
    echo "$i $t"
done | xargs -P "$jobs" -L 1 sh -c '
    start=$(date +%s)
    "$2" >"$0/$1.log" 2>&1
    echo $? >"$0/$1.rc"
    echo "$(( $(date +%s) - start ))" >"$0/$1.secs"
' "$out"

passed=0; failed=0; bad=0; i=0
for t in "$@"; do
    i=$((i + 1))
    rc=$(cat "$out/$i.rc" 2>/dev/null || echo 255)
    echo "== $t ($(cat "$out/$i.secs" 2>/dev/null || echo ?) s)"
    cat "$out/$i.log"
    line=$(grep -E '^[0-9]+%: Checks: ' "$out/$i.log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "$t: no check summary (exit $rc)"; bad=$((bad + 1)); continue
    fi
    n=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
    f=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
    e=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
    passed=$((passed + n - f - e)); failed=$((failed + f + e))
    [ "$rc" -ne 0 ] && [ $((f + e)) -eq 0 ] && bad=$((bad + 1))
done
echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$bad" -eq 0 ]
