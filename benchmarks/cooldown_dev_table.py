"""Rule 9's development table: LRTuner with the cooldown against the same runs without it.

Reads the cooldown runs written by ``benchmarks/explore_dev.py --scenarios cooldown`` (one JSON
line per run) and, for the same task and seed, the ``lrtuner@peak1`` run of a ``long`` results
folder made by 0.4.0 (no cooldown; identical up to the cooldown's first step), and the tuned
baseline's and Knee's means from that folder::

    python benchmarks/cooldown_dev_table.py benchmarks/results/cooldown-dev/runs.jsonl \\
        benchmarks/results/long > benchmarks/results/cooldown-dev/README.md
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

from validation_table import seed_finals  # the same folder's reader of seed*.json


def _mean_std(values: list[float]) -> str:
    if not values:
        return "-"
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.fmean(values):.4f} ± {std:.4f}"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        raise SystemExit("usage: python benchmarks/cooldown_dev_table.py RUNS.jsonl LONG_DIR")
    rows = [json.loads(line) for line in Path(args[0]).read_text().splitlines() if line.strip()]
    runs_root = Path(args[1]) / "runs"
    tasks = sorted({r["task"] for r in rows})
    lines = [
        f"`python benchmarks/cooldown_dev_table.py {args[0]} {args[1]}`",
        "",
        "Development tasks only. Final metric, mean ± std over the seeds both versions have; "
        "Δ = with - without the cooldown, per seed, signed so that > 0 is better.",
        "",
        "| task | metric | seeds | without cooldown (0.4.0) | with cooldown (0.2) | Δ per seed "
        "| tuned baseline | Knee |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for task in tasks:
        mine = {int(r["seed"]): r for r in rows if r["task"] == task and r["metric"] is not None}
        old = seed_finals(runs_root / task / "lrtuner@peak1")
        seeds = sorted(set(mine) & set(old))
        if not seeds:
            continue
        hib = bool(mine[seeds[0]]["higher_is_better"])
        sign = 1 if hib else -1
        deltas = [sign * (mine[s]["metric"] - old[s]) for s in seeds]
        base = list(seed_finals(runs_root / task / "baseline").values())
        knee = list(seed_finals(runs_root / task / "knee").values())
        metric = "higher better" if hib else "lower better"
        lines.append(
            f"| {task} | {metric} | {','.join(map(str, seeds))} | "
            f"{_mean_std([old[s] for s in seeds])} | "
            f"{_mean_std([mine[s]['metric'] for s in seeds])} | "
            f"{' '.join(f'{d:+.4f}' for d in deltas)} | {_mean_std(base)} | {_mean_std(knee)} |"
        )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
