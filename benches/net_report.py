"""Summarises benches/net_run.sh results as the benches/README.md "Servers" tables.

    python3 benches/net_report.py target/net-runs/*/results.jsonl

A value is the median over runs; a ratio is the median of the per-run ratios (each run
measures every server within seconds of the others, so a per-run ratio compares like
with like on a noisy machine), with the range of the per-run ratios in brackets.
Ratios are ours ÷ the peer's: for messages/s above 1 is better, for p99 and CPU per
message below 1 is better.
"""

import collections
import json
import statistics
import sys

OURS = ["asyncio", "asyncio-streams"]
ECHO_ORDER = [
    "asyncio",
    "asyncio-streams",
    "tokio",
    "smol",
    "uvloop-protocol",
    "uvloop-streams",
    "cpython-streams",
]
# Which peers each of ours is compared with, in the ratio tables.
PEERS = {
    "asyncio": ["tokio", "smol", "uvloop-protocol"],
    "asyncio-streams": ["tokio", "uvloop-streams", "cpython-streams"],
}
TARGETS = {"throughput": 1.0, "cpu": 1.0, "p99": 1.1}


def load(paths):
    rows = []
    for p in paths:
        with open(p) as f:
            rows += [json.loads(line) for line in f if line.strip()]
    return rows


def size_name(n):
    return f"{n // 1024} KiB" if n >= 1024 else f"{n} B"


def med(xs):
    return statistics.median(xs) if xs else None


def cell(xs, fmt="{:.2f}"):
    if not xs:
        return "–"
    m = fmt.format(statistics.median(xs))
    if len(xs) == 1:
        return m
    return f"{m} ({fmt.format(min(xs))}–{fmt.format(max(xs))})"


def per_run_ratios(by_run, ours, peer, key):
    out = []
    for servers in by_run.values():
        if ours in servers and peer in servers and servers[peer][key]:
            out.append(servers[ours][key] / servers[peer][key])
    return out


def echo(rows):
    groups = collections.defaultdict(lambda: collections.defaultdict(dict))
    for r in rows:
        if r["bench"] == "echo":
            groups[(r["conns"], r["size"])][r["run"]][r["server"]] = r
    if not groups:
        return {}
    present = {s for g in groups.values() for run in g.values() for s in run}
    servers = [s for s in ECHO_ORDER if s in present] + sorted(present - set(ECHO_ORDER))
    nruns = max(len(g) for g in groups.values())
    print(f"### Echo ({nruns} runs)\n")
    print(
        "| conns × size | server | msg/s | p50 µs | p99 µs | server CPU µs/msg "
        "| client CPU % |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for (conns, size), by_run in sorted(groups.items()):
        label = f"{conns} × {size_name(size)}"
        for s in servers:
            rs = [run[s] for run in by_run.values() if s in run]
            if not rs:
                continue
            cpu = [r["server_cpu_us_per_msg"] for r in rs]
            client = [100 * r["client_cpu_s"] / r["secs"] for r in rs]
            print(
                f"| {label} | {s} | {med([r['msg_per_s'] for r in rs]):,.0f} "
                f"| {med([r['p50_us'] for r in rs]):,.0f} "
                f"| {med([r['p99_us'] for r in rs]):,.0f} | {med(cpu):.2f} "
                f"| {med(client):.0f} |"
            )
            label = ""
    print()
    verdicts = {}
    for ours in OURS:
        if ours not in servers:
            continue
        peers = [p for p in PEERS[ours] if p in servers]
        for title, key, target in [
            ("messages/s", "msg_per_s", "throughput"),
            ("p99 round trip", "p99_us", "p99"),
            ("server CPU per message", "server_cpu_us_per_msg", "cpu"),
        ]:
            print(f"{ours} ÷ peer, {title} (median of per-run ratios, range):\n")
            print("| conns × size | " + " | ".join(f"÷ {p}" for p in peers) + " |")
            print("|---|" + "---:|" * len(peers))
            for (conns, size), by_run in sorted(groups.items()):
                cells = []
                for p in peers:
                    rs = per_run_ratios(by_run, ours, p, key)
                    cells.append(cell(rs))
                    if rs:
                        verdicts[(ours, p, target, f"{conns} × {size_name(size)}")] = rs
                print(f"| {conns} × {size_name(size)} | " + " | ".join(cells) + " |")
            print()
    return verdicts


def http(rows):
    by_conns = collections.defaultdict(lambda: collections.defaultdict(dict))
    for r in rows:
        if r["bench"] == "http":
            by_conns[r["conns"]][r["run"]][r["server"]] = r
    if not by_conns:
        return {}
    nruns = max(len(g) for g in by_conns.values())
    print(f"### HTTP/1.1 hello world, hyper, wrk -t1 ({nruns} runs)\n")
    print(
        "| conns | server | req/s | p50 µs | p99 µs | server CPU µs/req "
        "| asyncio ÷ tokio: req/s | p99 | CPU/req |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    verdicts = {}
    for conns, by_run in sorted(by_conns.items()):
        for s in ["asyncio", "tokio"]:
            rs = [run[s] for run in by_run.values() if s in run]
            if not rs:
                continue
            ratios = ["", "", ""]
            if s == "asyncio":
                for i, (key, target) in enumerate(
                    [("req_per_s", "throughput"), ("p99_us", "p99"),
                     ("server_cpu_us_per_req", "cpu")]
                ):
                    xs = per_run_ratios(by_run, "asyncio", "tokio", key)
                    ratios[i] = cell(xs)
                    if xs:
                        verdicts[("asyncio", "tokio", target, f"http {conns}")] = xs
            errs = sum(1 for r in rs if r.get("errors"))
            print(
                f"| {conns} | {s} | {med([r['req_per_s'] for r in rs]):,.0f} "
                f"| {med([r['p50_us'] for r in rs]):,.0f} "
                f"| {med([r['p99_us'] for r in rs]):,.0f} "
                f"| {med([r['server_cpu_us_per_req'] for r in rs]):.2f} | "
                + " | ".join(ratios)
                + " |"
                + (f" ({errs} runs with socket errors)" if errs else "")
            )
    print()
    return verdicts


def targets(v):
    print("### Targets (medians of the per-run ratios; **bold** = missed)\n")
    workloads = list(dict.fromkeys(w for (_, _, _, w) in v))
    rules = [
        ("asyncio", "tokio", "throughput", "msg/s ÷ tokio ≥ 1.0", lambda x: x >= 1.0),
        ("asyncio", "tokio", "cpu", "CPU/msg ÷ tokio ≤ 1.0", lambda x: x <= 1.0),
        ("asyncio", "tokio", "p99", "p99 ÷ tokio ≤ 1.1", lambda x: x <= 1.1),
        ("asyncio-streams", "tokio", "throughput", "msg/s ÷ tokio ≥ 1.0", lambda x: x >= 1.0),
        ("asyncio-streams", "tokio", "cpu", "CPU/msg ÷ tokio ≤ 1.0", lambda x: x <= 1.0),
        ("asyncio-streams", "tokio", "p99", "p99 ÷ tokio ≤ 1.1", lambda x: x <= 1.1),
        ("asyncio-streams", "uvloop-streams", "cpu", "CPU/msg ÷ uvloop streams ≤ 0.5",
         lambda x: x <= 0.5),
    ]
    print("| server | target | " + " | ".join(workloads) + " |")
    print("|---|---|" + "---:|" * len(workloads))
    for ours, peer, target, label, ok in rules:
        cells = []
        for w in workloads:
            xs = v.get((ours, peer, target, w))
            if not xs:
                cells.append("")
                continue
            x = med(xs)
            cells.append(f"{x:.2f}" if ok(x) else f"**{x:.2f}**")
        if any(cells):
            print(f"| {ours} | {label} | " + " | ".join(cells) + " |")
    print()


def main(paths):
    if not paths:
        sys.exit(__doc__)
    rows = load(paths)
    loads = sorted(r["load1"] for r in rows if "load1" in r)
    if loads:
        print(
            f"Machine load average (1 min) during the runs: {loads[0]:.1f} min, "
            f"{med(loads):.1f} median, {loads[-1]:.1f} max (2 CPUs; the bench itself adds ~1).\n"
        )
    v = echo(rows)
    v.update(http(rows))
    targets(v)


if __name__ == "__main__":
    main(sys.argv[1:])
