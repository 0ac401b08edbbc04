#!/usr/bin/env bash
# Runs integration test binaries under valgrind's memcheck: no invalid read or write, no
# definitely lost block. See docs/testing.md for the subset and the latest result.
#
#   bash scripts/valgrind.sh                 # the default subset
#   bash scripts/valgrind.sh spawn cancel    # chosen test files (tests/<name>.rs)
#
# Tests run one at a time (--test-threads=1) in a debug build; the few tests that exist
# to stress sizes (a million tasks) are skipped, they cover no other code path.
set -euo pipefail
cd "$(dirname "$0")/.."

DEFAULT=(spawn cancel cancel_forwarding eager registry timers threadsafe shutdown
         callbacks future gather wait wait_for shield as_completed timeouts taskgroup
         runner locks semaphore condition queues to_thread panics)
TESTS=("${@:-${DEFAULT[@]}}")
SKIP=(--skip million --skip stress)

args=()
for t in "${TESTS[@]}"; do args+=(--test "$t"); done
mapfile -t bins < <(cargo test -p asyncio "${args[@]}" --no-run --message-format=json 2>/dev/null \
    | python3 -c 'import json,sys
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m.get("executable") and m["target"]["kind"]==["test"]:
        print(m["target"]["name"]+" "+m["executable"])')

mkdir -p target/valgrind
status=0
for entry in "${bins[@]}"; do
    name=${entry%% *}; bin=${entry#* }
    log=target/valgrind/$name.log
    start=$SECONDS
    if valgrind --tool=memcheck --error-exitcode=99 --leak-check=full \
        --errors-for-leak-kinds=definite --show-leak-kinds=definite \
        --fair-sched=yes --log-file="$log" \
        "$bin" --test-threads=1 "${SKIP[@]}" >"target/valgrind/$name.out" 2>&1; then
        verdict=clean
    else
        verdict="FAILED (exit $?)"
        status=1
    fi
    errors=$(grep -Eo 'ERROR SUMMARY: [0-9]+ errors' "$log" | tail -1)
    definite=$(grep -Eo 'definitely lost: [0-9,]+ bytes in [0-9,]+ blocks' "$log" | tail -1)
    tests=$(grep -Eo 'test result: [a-zA-Z.]+ [0-9]+ passed; [0-9]+ failed' "target/valgrind/$name.out" | tail -1)
    printf '%-18s %-10s %4ds  %s | %s | %s\n' "$name" "$verdict" $((SECONDS - start)) \
        "${errors:-no summary}" "${definite:-definitely lost: 0 bytes}" "${tests:-no test result}"
done
exit $status
