"""Rewrite the "Runs stored" section at the end of a long results folder's COMMAND.md: runs per
task and method folder, statuses, and the library versions of the LRTuner runs.

    python benchmarks/long_status.py benchmarks/results/long
"""

import collections
import json
import pathlib
import sys

from lrtuner_bench.methods import LONG_RECIPE

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/results/long")
command = (root / "COMMAND.md").read_text()
body = command.split("## Runs stored")[0].rstrip("\n") + "\n"
counts = collections.defaultdict(dict)
status = collections.Counter()
versions = collections.Counter()
for f in root.glob("runs/*/*/*.json"):
    if f.name == "grid.json":
        continue
    r = json.loads(f.read_text())
    counts[r["task"]][f.parent.name] = counts[r["task"]].get(f.parent.name, 0) + 1
    status[r.get("status")] += 1
    if f.parent.name.startswith("lrtuner"):
        versions[r["config"]["method"].get("library_version")] += 1
methods = ["baseline-grid", "baseline", *LONG_RECIPE]
lines = [
    "## Runs stored",
    "",
    f"{sum(status.values())} runs ({', '.join(f'{k}: {v}' for k, v in sorted(status.items()))}); "
    f"LRTuner runs by library version: {dict(sorted(versions.items()))}. "
    "A `-` is a run not made. Every table shows missing or failed runs as such, never as "
    "results.",
    "",
    "| task | " + " | ".join(methods) + " |",
    "|---|" + "---|" * len(methods),
]
for task in sorted(counts):
    lines.append(f"| {task} | " + " | ".join(str(counts[task].get(m, "-")) for m in methods) + " |")
(root / "COMMAND.md").write_text(body + "\n" + "\n".join(lines) + "\n")
print("\n".join(lines[:3]))
