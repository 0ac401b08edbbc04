"""Summarises `benches/ab.sh` output: per workload, after ÷ before for asyncio (default
and eager), raw and divided by the same process's tokio figure (machine drift), as the
median of the per-run ratios with their range."""
import collections
import statistics
import sys

runs = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    i, which, workload, *figures = line.split()
    # Older outputs of ab.sh kept thousands separators; "-" marks a missing eager mode.
    runs[(int(i), workload)][which] = [
        None if x == "-" else float(x.replace(",", "")) for x in figures
    ]


def spread(values):
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


for workload in sorted({w for _, w in runs}):
    pairs = [v for (_, w), v in runs.items() if w == workload and len(v) == 2]
    print(f"{workload} ({len(pairs)} runs each)")
    for col, mode in ((0, "default"), (1, "eager")):
        if any(p["before"][col] is None or p["after"][col] is None for p in pairs):
            continue
        raw = [p["after"][col] / p["before"][col] for p in pairs]
        drift = [
            (p["after"][col] / p["after"][2]) / (p["before"][col] / p["before"][2])
            for p in pairs
            if p["after"][2] is not None and p["before"][2] is not None
        ]
        before = statistics.median(p["before"][col] for p in pairs)
        after = statistics.median(p["after"][col] for p in pairs)
        print(
            f"  {mode:8} before {before:.0f}  after {after:.0f}  "
            f"after ÷ before {spread(raw)}"
            + (f"  ÷ tokio's drift {spread(drift)}" if drift else "")
        )
