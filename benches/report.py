"""Summarises criterion runs as the benches/README.md table: the median time per task
for each runtime, and the ratio asyncio / peer.

    python3 benches/report.py                       # the latest run (target/criterion)
    python3 benches/report.py target/bench-runs/*   # several runs (benches/run.sh)

With several runs, a time is the median of the runs' medians, and a ratio is the
median of the per-run ratios (each run measures the runtimes one after the other, so a
per-run ratio compares like with like on a noisy machine); the range of the per-run
ratios follows in brackets.
"""

import json
import os
import statistics
import sys

DEFAULT = os.path.join(os.path.dirname(__file__), "..", "target", "criterion")

# workload -> (tasks per iteration, unit label)
WORKLOADS = {
    "spawn_many_local": (10_000, "ns/task"),
    "spawn_many_remote": (10_000, "ns/task"),
    "yield_many": (200, "ns per 1,000 yields"),
    "ping_pong": (1_000, "ns/pair"),
    "chained_spawn": (1_000, "ns/task"),
    "sync_complete": (100_000, "ns/task"),
    "cancel_storm": (10_000, "ns/task"),
    "all_tasks_under_load": (1, "ns per call (10k tasks)"),
    "threadsafe_roundtrip": (1, "ns/round trip"),
    "queue_spsc": (100_000, "ns/item"),
    "queue_mpsc": (100_000, "ns/item"),
    "lock_contention": (16_000, "ns/acquire"),
}


def times_of(root, group, per):
    """function id -> median ns per unit, for one run."""
    d = os.path.join(root, group)
    out = {}
    if not os.path.isdir(d):
        return out
    for name in sorted(os.listdir(d)):
        new = os.path.join(d, name, "new")
        if not os.path.exists(os.path.join(new, "estimates.json")):
            continue
        with open(os.path.join(new, "benchmark.json")) as f:
            fid = json.load(f)["function_id"]
        with open(os.path.join(new, "estimates.json")) as f:
            out[fid] = json.load(f)["median"]["point_estimate"] / per
    return out


def peer(times, prefix):
    return next((v for k, v in times.items() if k.startswith(prefix)), None)


def ratio_cell(ratios):
    if not ratios:
        return ""
    mid = statistics.median(ratios)
    if len(ratios) == 1:
        return f"{mid:.2f}"
    return f"{mid:.2f} ({min(ratios):.2f}–{max(ratios):.2f})"


def main(roots):
    roots = roots or [DEFAULT]
    print(f"{len(roots)} run(s)\n")
    print("| workload | unit | runtime | median | ÷ tokio | ÷ async-executor |")
    print("|---|---|---|---:|---:|---:|")
    for group, (per, unit) in WORKLOADS.items():
        runs = [t for t in (times_of(r, group, per) for r in roots) if t]
        if not runs:
            continue
        fids = list(runs[0].keys())
        # asyncio rows first, then the peers.
        fids.sort(key=lambda f: (not f.startswith("asyncio"), f))
        for fid in fids:
            values = [r[fid] for r in runs if fid in r]
            vs_tokio, vs_ae = [], []
            if fid.startswith("asyncio"):
                for r in runs:
                    t, a = peer(r, "tokio"), peer(r, "async-executor")
                    if fid in r and t:
                        vs_tokio.append(r[fid] / t)
                    if fid in r and a:
                        vs_ae.append(r[fid] / a)
            print(
                f"| {group} | {unit} | {fid} | {statistics.median(values):,.0f} "
                f"| {ratio_cell(vs_tokio)} | {ratio_cell(vs_ae)} |"
            )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
