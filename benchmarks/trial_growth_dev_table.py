"""The trial's reach, exploratory development table (``benchmarks/results/trial-growth-dev/
PLAN.md``, written before the runs): 0.10.0 from 1/100 of the tuned peak beside the trial with
growth (``explore_trial_growth``) and with twice as many explore decisions
(``explore_chances=8``)::

    python benchmarks/trial_growth_dev_table.py > benchmarks/results/trial-growth-dev/README.md

0.10.0's runs: the ``trial-peak0.01`` runs of ``explore-trial-dev`` and ``trial-criterion-dev``
(the trial arm there is 0.10.0's defaults).
"""

from __future__ import annotations

import statistics
import sys
from collections import defaultdict

from divisor_dev_table import ROOT, _jsonl, arm_table

LABELS = {"0.10.0": "0.10.0", "trialgrow": "trial with growth", "chances8": "8 explore chances"}
HEADER = (
    "Development tasks only, exploratory (0.10.0 ships with `explore_trial_growth=False` and "
    "`explore_chances=4`). LRTuner from 1/100 of the tuned peak, seeds 0-2, long budgets. "
    "Cells: mean final metric over the seeds (per-seed values in brackets; `x`: a run that "
    "diverged or failed); **bold**: at or better than the threshold of check (a) (baseline "
    "mean − 2 std, in the metric's direction)."
)


def _records() -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for path in [
        *sorted((ROOT / "explore-trial-dev").glob("runs-*.jsonl")),
        ROOT / "trial-criterion-dev" / "runs-trial.jsonl",
    ]:
        out["0.10.0"] += [r for r in _jsonl(path) if r["scenario"] == "trial-peak0.01"]
    for arm in ("trialgrow", "chances8"):
        path = ROOT / "trial-growth-dev" / f"runs-{arm}.jsonl"
        out[arm] = _jsonl(path) if path.exists() else []
    return out


def main() -> int:
    records = _records()
    tasks = {r["task"] for arm in ("trialgrow", "chances8") for r in records[arm]}
    runs: dict[str, dict[str, dict[int, float | None]]] = defaultdict(lambda: defaultdict(dict))
    switch: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for arm, rs in records.items():
        for r in rs:
            if r["task"] in tasks:
                runs[r["task"]][arm][r["seed"]] = r["metric"] if r["status"] == "ok" else None
                if r.get("lr_at_switch"):
                    switch[r["task"]][arm].append(r["lr_at_switch"] / r["peak"])
    text, _ = arm_table(
        runs, LABELS, "0.10.0", "`python benchmarks/trial_growth_dev_table.py`", HEADER
    )
    lines = [
        text,
        "",
        "LR at the switch to exploit, median over the seeds, as a multiple of the tuned peak:",
        "",
        "| task | " + " | ".join(LABELS.values()) + " |",
        "|---|" + "---|" * len(LABELS),
    ]
    for task in sorted(switch):
        cells = [
            f"{statistics.median(switch[task][a]):.3g}" if switch[task][a] else "-" for a in LABELS
        ]
        lines.append(f"| {task} | " + " | ".join(cells) + " |")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
