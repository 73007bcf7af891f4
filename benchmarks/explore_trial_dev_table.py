"""Explore by trial (``explore_by_trial``, exploratory, not adopted), development table: the
trial arm against 0.9.0 on the same runs, from 1/100 of the tuned peak and from it. The plan
is ``benchmarks/results/explore-trial-dev/PLAN.md`` (written before the runs).

0.9.0's runs: 0.8.0's stored runs where 0.9.0 is identical by construction (no rollback), the
0.9.0 reruns of ``horizon-rollback-dev`` where it is not (see ``horizon_rollback_dev_table.py``),
and, for the five tasks with no stored 0.8.0 run there, 0.9.0 run beside the trial arm
(label ``0.9.0`` in ``runs-c.jsonl``)::

    python benchmarks/explore_trial_dev_table.py > benchmarks/results/explore-trial-dev/README.md
"""

from __future__ import annotations

import sys
from collections import defaultdict

from divisor_dev_table import ROOT, _jsonl, arm_table
from horizon_rollback_dev_table import candidate_runs, reference_runs

SCENARIOS = {"peak0.01": "trial-peak0.01", "peak1": "trial-peak1"}
HEADER = (
    "Development tasks only, exploratory (0.9.0 ships with `explore_by_trial=False`). LRTuner "
    "at defaults (0.9.0) and with explore climbing x2 per fit until the first rollback "
    "(trial), seeds 0-2, long budgets. Cells: mean final metric over the seeds (per-seed "
    "values in brackets; `x`: a run that diverged or failed); **bold**: at or better than "
    "the threshold of check (a) (baseline mean − 2 std, in the metric's direction)."
)


def collect(scale: str) -> dict[str, dict[str, dict[int, float | None]]]:
    runs: dict[str, dict[str, dict[int, float | None]]] = defaultdict(lambda: defaultdict(dict))
    ref, cand = reference_runs(), candidate_runs()
    trial = [
        r
        for path in sorted((ROOT / "explore-trial-dev").glob("runs-*.jsonl"))
        for r in _jsonl(path)
        if r["scenario"] == SCENARIOS[scale]
    ]
    tasks = {r["task"] for r in trial}
    for (task, scenario, seed), r in ref.items():
        if task in tasks and scenario == scale:
            c = cand.get((task, scenario, seed))
            runs[task]["0.9.0"][seed] = c["metric"] if (c and r["rollbacks"]) else r["metric"]
    # tasks without a stored 0.8.0 run there: 0.9.0 itself, run beside the trial arm
    for path in sorted((ROOT / "explore-trial-dev").glob("runs-*.jsonl")):
        for r in _jsonl(path):
            if r["label"] == "0.9.0" and r["scenario"] == scale:
                runs[r["task"]]["0.9.0"][r["seed"]] = r["metric"] if r["status"] == "ok" else None
    for r in trial:
        runs[r["task"]]["trial"][r["seed"]] = r["metric"] if r["status"] == "ok" else None
    return runs


def main() -> int:
    parts = []
    for scale in SCENARIOS:
        runs = collect(scale)
        if not runs:
            continue
        text, _ = arm_table(
            runs,
            {"0.9.0": "0.9.0", "trial": "explore by trial"},
            "0.9.0",
            f"`python benchmarks/explore_trial_dev_table.py` — seed LR x{scale[4:]} of the peak",
            HEADER,
        )
        parts.append(text)
    print("\n\n".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
