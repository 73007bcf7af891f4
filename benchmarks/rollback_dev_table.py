"""Rule 8's level test, development table: LRTuner at defaults against the same runs with the
drop-rate test alone (``rollback_on_level=False``), from each seed LR of the acceptance check.

Reads the runs written by ``benchmarks/explore_dev.py`` with the scenarios ``peakX`` and
``nolevel-peakX`` (one JSON line per run; several files may be given) and prints, per task,
over every (seed LR, seed) pair that both arms ran::

    python benchmarks/rollback_dev_table.py benchmarks/results/rollback-dev/runs-*.jsonl \\
        > benchmarks/results/rollback-dev/README.md
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any


def _arms(rows: list[dict[str, Any]]) -> dict[str, dict[tuple[str, int], dict[str, dict]]]:
    """task -> (seed-LR scale, seed) -> {"level": run, "nolevel": run}."""
    out: dict[str, dict[tuple[str, int], dict[str, dict]]] = defaultdict(lambda: defaultdict(dict))
    for r in rows:
        scenario = r["scenario"]
        if not scenario.startswith(("peak", "nolevel-peak")):
            continue
        arm = "nolevel" if scenario.startswith("nolevel-") else "level"
        scale = scenario.removeprefix("nolevel-").removeprefix("peak")
        out[r["task"]][(scale, r["seed"])][arm] = r
    return out


def _worst_scale_mean(pairs: dict, arm: str, higher: bool) -> float:
    by_scale: dict[str, list[float]] = defaultdict(list)
    for (scale, _), runs in pairs.items():
        by_scale[scale].append(runs[arm]["metric"])
    means = [statistics.fmean(v) for v in by_scale.values()]
    return min(means) if higher else max(means)


def table(rows: list[dict[str, Any]], sources: list[str]) -> str:
    lines = [
        "`python benchmarks/rollback_dev_table.py " + " ".join(sources) + "`",
        "",
        "Development tasks only. LRTuner at defaults from 0.001, 0.01, 0.1, 1 and 10 times the "
        "tuned peak, seeds 0-2, long budgets; each run beside the same run with the drop-rate "
        "test alone (0.5.0's rule 8). Runs are identical until the level test first fires. "
        "Metric: mean ± std over every pair; worst seed LR: the worst of the five seed-LR "
        "means (acceptance check (a)); Δ signed so that > 0 is better with the level test.",
        "",
        "| task | metric | pairs | runs where the level test fired | runs changed | "
        "drop-rate test alone | with the level test | worst seed LR: alone → with | "
        "Δ of the changed runs |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for task, pairs in sorted(_arms(rows).items()):
        pairs = {k: v for k, v in pairs.items() if "level" in v and "nolevel" in v}
        if not pairs:
            continue
        higher = next(iter(pairs.values()))["level"]["higher_is_better"]
        sign = 1.0 if higher else -1.0
        level = [p["level"]["metric"] for p in pairs.values()]
        alone = [p["nolevel"]["metric"] for p in pairs.values()]
        fired = sum(1 for p in pairs.values() if p["level"]["level_rollbacks"] > 0)
        deltas = [
            sign * (p["level"]["metric"] - p["nolevel"]["metric"])
            for p in pairs.values()
            if p["level"]["metric"] != p["nolevel"]["metric"]
        ]

        def mean_std(values: list[float]) -> str:
            std = statistics.stdev(values) if len(values) > 1 else 0.0
            return f"{statistics.fmean(values):.4f} ± {std:.4f}"

        worst = (
            f"{_worst_scale_mean(pairs, 'nolevel', higher):.4f} → "
            f"{_worst_scale_mean(pairs, 'level', higher):.4f}"
        )
        changed = " ".join(f"{d:+.3f}" for d in sorted(deltas)) or "-"
        lines.append(
            f"| {task} | {'higher' if higher else 'lower'} better | {len(pairs)} | {fired} | "
            f"{len(deltas)} | {mean_std(alone)} | {mean_std(level)} | {worst} | {changed} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    paths = sys.argv[1:] if argv is None else argv
    if not paths:
        raise SystemExit("usage: python benchmarks/rollback_dev_table.py RUNS.jsonl [...]")
    rows = [
        json.loads(line)
        for p in paths
        for line in Path(p).read_text().splitlines()
        if line.strip()
    ]
    print(table(rows, paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
