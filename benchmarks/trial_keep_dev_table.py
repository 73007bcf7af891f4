"""A trial step that keeps the growth (``explore_trial_growth="keep"``) against 0.10.0, from
1/100 of the tuned peak, by the criterion written before the runs
(``benchmarks/results/trial-keep-dev/CRITERION.md``)::

    python benchmarks/trial_keep_dev_table.py > benchmarks/results/trial-keep-dev/README.md

0.10.0's runs: the ``trial-peak0.01`` runs of ``explore-trial-dev`` and ``trial-criterion-dev``.
"""

from __future__ import annotations

import sys

from divisor_dev_table import runs_in
from trial_growth_dev_table import part, reference_runs

LABELS = {"0.10.0": "0.10.0", "keep": "trial keeps the growth"}
HEADER = (
    "Development tasks only (0.10.0 ships with `explore_trial_growth=\"reset\"`). LRTuner from "
    "1/100 of the tuned peak, seeds 0-2, long budgets. Cells: mean final metric over the seeds "
    "(per-seed values in brackets; `x`: a run that diverged or failed); **bold**: at or better "
    "than the threshold of check (a) (baseline mean − 2 std, in the metric's direction)."
)


def main() -> int:
    records = {"0.10.0": reference_runs(), "keep": runs_in("trial-keep-dev")}
    print(part(records, LABELS, "0.10.0", "`python benchmarks/trial_keep_dev_table.py`", HEADER))
    return 0


if __name__ == "__main__":
    sys.exit(main())
