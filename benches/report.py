"""Summarises the latest criterion run (target/criterion) as the benches/README.md table:
median time per task for each runtime and the ratio asyncio / peer.

Run after the benches: python3 benches/report.py
"""

import json
import os
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..", "target", "criterion")

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


def median_ns(group, bench):
    path = os.path.join(ROOT, group, bench, "new", "estimates.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"]


def benches_of(group):
    d = os.path.join(ROOT, group)
    if not os.path.isdir(d):
        return []
    out = []
    for name in sorted(os.listdir(d)):
        if os.path.exists(os.path.join(d, name, "new", "estimates.json")):
            with open(os.path.join(d, name, "new", "benchmark.json")) as f:
                out.append((name, json.load(f)["function_id"]))
    return out


def main():
    print("| workload | unit | runtime | median | ratio vs tokio | ratio vs async-executor |")
    print("|---|---|---|---:|---:|---:|")
    for group, (per, unit) in WORKLOADS.items():
        rows = benches_of(group)
        if not rows:
            continue
        times = {fid: median_ns(group, d) / per for d, fid in rows}
        peers = {k: v for k, v in times.items() if not k.startswith("asyncio")}
        tokio = next((v for k, v in peers.items() if k.startswith("tokio")), None)
        ae = next((v for k, v in peers.items() if k.startswith("async-executor")), None)
        for fid, t in times.items():
            ratio_t = f"{t / tokio:.2f}" if tokio and fid.startswith("asyncio") else ""
            ratio_a = f"{t / ae:.2f}" if ae and fid.startswith("asyncio") else ""
            print(f"| {group} | {unit} | {fid} | {t:,.0f} | {ratio_t} | {ratio_a} |")


if __name__ == "__main__":
    sys.exit(main())
