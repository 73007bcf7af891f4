"""Compare the stored runs of two results folders, task by task and method by method.

For every run file ``runs/TASK/METHOD/*.json`` present in both folders (the grids' per-LR
runs included), the final metric of each and whether they are equal; per task and method, the two
means and how many seeds match exactly. Used to check a whole profile run into a fresh
folder against the committed runs of the same code (``benchmarks/results/long-core``)::

    python benchmarks/compare_runs.py benchmarks/results/long benchmarks/results/long-core \\
        --tasks digits-wnmlp,fmnist-mixer > table.md

Only runs whose stored ``config`` is equal are compared (a run of another library version or
budget is counted as "config differs", not compared).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path


def _runs(folder: Path) -> dict[tuple[str, str, str], dict]:
    out = {}
    for path in sorted((folder / "runs").glob("*/*/*.json")):
        run = json.loads(path.read_text())
        if not isinstance(run, dict) or "final_metric" not in run:
            continue  # a grid's summary (grid.json), not a run
        task, method = path.parent.parent.name, path.parent.name
        out[(task, method, path.stem)] = run
    return out


def _final(run: dict) -> float | None:
    value = run.get("final_metric")
    return float(value) if run.get("status") == "ok" and value is not None else None


def compare(a: Path, b: Path, tasks: set[str] | None) -> str:
    runs_a, runs_b = _runs(a), _runs(b)
    groups: dict[tuple[str, str], list[tuple[float | None, float | None]]] = defaultdict(list)
    config_differs: dict[tuple[str, str], int] = defaultdict(int)
    for key in sorted(set(runs_a) & set(runs_b)):
        task, method, _ = key
        if tasks is not None and task not in tasks:
            continue
        if runs_a[key].get("config") != runs_b[key].get("config"):
            config_differs[(task, method)] += 1
            continue
        groups[(task, method)].append((_final(runs_a[key]), _final(runs_b[key])))
    lines = [
        f"`python benchmarks/compare_runs.py {a} {b}"
        + (f" --tasks {','.join(sorted(tasks))}`" if tasks else "`"),
        "",
        f"Runs present in both folders with equal configs; A = `{a}`, B = `{b}`. Means over the "
        "runs that ended ok in both; `equal`: runs whose final metric is the same float.",
        "",
        "| task | method | runs | A: mean | B: mean | equal | largest difference |",
        "|---|---|---|---|---|---|---|",
    ]
    total = same = 0
    for (task, method), pairs in sorted(groups.items()):
        ok = [(x, y) for x, y in pairs if x is not None and y is not None]
        equal = sum(x == y for x, y in ok)
        total += len(pairs)
        same += equal
        mean_a = f"{statistics.fmean(x for x, _ in ok):.4g}" if ok else "-"
        mean_b = f"{statistics.fmean(y for _, y in ok):.4g}" if ok else "-"
        largest = f"{max(abs(x - y) for x, y in ok):.3g}" if ok else "-"
        lines.append(
            f"| {task} | {method} | {len(pairs)} | {mean_a} | {mean_b} | {equal} | {largest} |"
        )
    lines += [
        "",
        f"{same} of {total} compared runs end at the same final metric; "
        f"{sum(config_differs.values())} runs present in both had different configs "
        "(another library version, budget or method constant) and were not compared.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--tasks", default=None, help="comma-separated task names (default all)")
    args = parser.parse_args(argv)
    tasks = set(args.tasks.split(",")) if args.tasks else None
    print(compare(args.a, args.b, tasks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
