#!/usr/bin/env bash
# A/B of two commits on the interleaved runner: builds `interleaved` at each commit (in
# temporary worktrees, one shared target dir), then runs the two binaries alternately K
# times on the given workloads and prints one line per (run, commit, workload):
#   run commit workload asyncio asyncio-eager tokio async-executor
# ("-" where a workload has no eager mode).
# Summarise with `python3 benches/ab_report.py FILE`. Each binary measures tokio and
# async-executor in its own process too, so the report can divide out machine drift.
#
#   bash benches/ab.sh a91868a 93eea07 10 sync_complete spawn_many_local > /tmp/ab.txt
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: $0 BEFORE AFTER K WORKLOAD..." >&2; exit 2; }
before=$1 after=$2 k=$3
shift 3
root=$(git rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$work/before" 2>/dev/null || true;
      git -C "$root" worktree remove --force "$work/after" 2>/dev/null || true; rm -rf "$work"' EXIT
target=${CARGO_TARGET_DIR:-$root/target/ab}
for which in before after; do
    rev=${!which}
    git -C "$root" worktree add -q --detach "$work/$which" "$rev"
    (cd "$work/$which" && CARGO_TARGET_DIR="$target" \
        cargo build -q --release -p asyncio-benches --bin interleaved >&2)
    cp "$target/release/interleaved" "$work/interleaved-$which"
done
args=()
for w in "$@"; do args+=(--workload "$w"); done
for i in $(seq 1 "$k"); do
    for which in before after; do
        "$work/interleaved-$which" --rounds 3 "${args[@]}" 2>/dev/null |
            awk -v w="$which" -v i="$i" '
                /^[a-z_]+ \(/ { wl = $1 }
                /median figure/ {
                    # Fields by label: "asyncio N [asyncio eager N] tokio N async-executor N";
                    # a workload without an eager mode prints "-" in that column.
                    a = e = t = x = "-"
                    for (f = 3; f <= NF; f++) {
                        if ($f == "asyncio" && $(f + 1) == "eager") { e = $(f + 2); f += 2 }
                        else if ($f == "asyncio") a = $(f + 1)
                        else if ($f == "tokio") t = $(f + 1)
                        else if ($f == "async-executor") x = $(f + 1)
                    }
                    gsub(",", "", a); gsub(",", "", e); gsub(",", "", t); gsub(",", "", x)
                    print i, w, wl, a, e, t, x
                }'
    done
done
