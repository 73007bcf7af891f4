"""A galloping trial (``explore_trial_growth="grow"``) against 0.10.0, from 1/100 of the tuned
peak, by the criterion written before its runs
(``benchmarks/results/trial-gallop-dev/CRITERION.md``)::

    python benchmarks/trial_gallop_dev_table.py > benchmarks/results/trial-gallop-dev/README.md

0.10.0's runs: the ``trial-peak0.01`` runs of ``explore-trial-dev`` and ``trial-criterion-dev``,
the ``peak0.01`` runs of ``issue-families-dev`` and this folder's ``runs-reference-*.jsonl``.
"""

from __future__ import annotations

import sys

from divisor_dev_table import runs_in
from trial_growth_dev_table import part, reference_runs

LABELS = {"0.10.0": "0.10.0", "grow": "galloping trial"}
HEADER = (
    "Development tasks only (0.10.0 ships with `explore_trial_growth=\"reset\"`). LRTuner from "
    "1/100 of the tuned peak, seeds 0-2, long budgets. Cells: mean final metric over the seeds "
    "(per-seed values in brackets; `x`: a run that diverged or failed); **bold**: at or better "
    "than the threshold of check (a) (baseline mean − 2 std, in the metric's direction)."
)


def reference() -> list[dict]:
    """0.10.0 from 1/100 of the tuned peak, on every task of the criterion."""
    families = [r for r in runs_in("issue-families-dev") if r["scenario"] == "peak0.01"]
    return [*reference_runs(), *families, *runs_in("trial-gallop-dev", "runs-reference-*.jsonl")]


def main() -> int:
    records = {"0.10.0": reference(), "grow": runs_in("trial-gallop-dev", "runs-[ab].jsonl")}
    print(part(records, LABELS, "0.10.0", "`python benchmarks/trial_gallop_dev_table.py`", HEADER))
    return 0


if __name__ == "__main__":
    sys.exit(main())
