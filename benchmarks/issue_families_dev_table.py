"""0.10.0 and 0.16.0 at defaults on development tasks of the issue's own families (the
BatchNorm CNN, the AdamW MLP, the character transformer, MiniLM fine-tuning) and three more
that no version after 0.7.0 had run on, from 1/100 of the tuned peak and from it::

    python benchmarks/issue_families_dev_table.py > benchmarks/results/issue-families-dev/README.md
"""

from __future__ import annotations

import sys

from divisor_dev_table import runs_in
from trial_growth_dev_table import part

LABELS = {
    "0.10.0/peak0.01": "0.10.0 from 1/100 of the peak",
    "0.10.0/peak1": "0.10.0 from the peak",
    "0.16.0/peak0.01": "0.16.0 from 1/100 of the peak",
    "0.16.0/peak1": "0.16.0 from the peak",
}
HEADER = (
    "Development tasks only, a report (no rule was chosen on it). LRTuner 0.10.0 and 0.16.0 at "
    "defaults, "
    "seeds 0-2, long budgets. Cells: mean final metric over the seeds (per-seed values in "
    "brackets; `x`: a run that diverged or failed); **bold**: at or better than the threshold "
    "of check (a) (baseline mean − 2 std, in the metric's direction)."
)


def main() -> int:
    runs = runs_in("issue-families-dev")
    records = {
        arm: [r for r in runs if f"{r['label']}/{r['scenario']}" == arm] for arm in LABELS
    }
    print(part(records, LABELS, "0.10.0/peak0.01",
               "`python benchmarks/issue_families_dev_table.py`", HEADER))
    return 0


if __name__ == "__main__":
    sys.exit(main())
