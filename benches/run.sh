#!/usr/bin/env bash
# Runs every criterion bench RUNS times (default 3), keeps each run's results under
# target/bench-runs/runN, then the memory bench once, then prints the README table
# (medians over runs, median per-run ratios with their range).
#
#   bash benches/run.sh [RUNS]
set -euo pipefail
runs=${1:-3}
cd "$(dirname "$0")/.."
out=target/bench-runs
rm -rf "$out"
mkdir -p "$out/logs"
benches=(spawn sync_complete cancel registry threadsafe sync)
cargo bench -p asyncio-benches --no-run
for r in $(seq 1 "$runs"); do
    rm -rf target/criterion
    for b in "${benches[@]}"; do
        cargo bench -p asyncio-benches --bench "$b" >"$out/logs/run$r-$b.log" 2>&1
    done
    cp -r target/criterion "$out/run$r"
    echo "run $r of $runs done ($(date +%T))"
done
cargo bench -p asyncio-benches --bench memory | tee "$out/logs/memory.log"
python3 benches/report.py "$out"/run*
