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


PART2 = {"off300": "0.10.0 from 1/300", "trialgrow-off300": "galloping trial from 1/300"}
HEADER2 = (
    "Second part (PLAN.md): the seed search off and the seed LR 1/300 of the tuned peak, 0.10.0's "
    "trial against the galloping one; development tasks only, exploratory, seeds 0-2."
)


def reference_runs() -> list[dict]:
    """0.10.0 from 1/100 of the tuned peak: the ``trial-peak0.01`` runs of ``explore-trial-dev``
    and ``trial-criterion-dev`` (the trial arm there is 0.10.0's defaults)."""
    paths = [
        *sorted((ROOT / "explore-trial-dev").glob("runs-*.jsonl")),
        ROOT / "trial-criterion-dev" / "runs-trial.jsonl",
    ]
    return [r for path in paths for r in _jsonl(path) if r["scenario"] == "trial-peak0.01"]


def _records() -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {"0.10.0": reference_runs()}
    for arm in ("trialgrow", "chances8", *PART2):
        path = ROOT / "trial-growth-dev" / f"runs-{arm}.jsonl"
        out[arm] = _jsonl(path) if path.exists() else []
    return out


def part(records: dict[str, list[dict]], labels: dict[str, str], reference: str, command: str,
         header: str) -> str:
    """One part's table against check (a)'s threshold, and the LR at the switch."""
    arms = [a for a in labels if a != reference]
    tasks = {r["task"] for arm in arms for r in records[arm]}
    runs: dict[str, dict[str, dict[int, float | None]]] = defaultdict(lambda: defaultdict(dict))
    switch: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for arm in labels:
        for r in records[arm]:
            if r["task"] in tasks:
                runs[r["task"]][arm][r["seed"]] = r["metric"] if r["status"] == "ok" else None
                if r.get("lr_at_switch"):
                    switch[r["task"]][arm].append(r["lr_at_switch"] / r["peak"])
    text, _ = arm_table(runs, labels, reference, command, header)
    lines = [
        text,
        "",
        "LR at the switch to exploit, median over the seeds, as a multiple of the tuned peak:",
        "",
        "| task | " + " | ".join(labels.values()) + " |",
        "|---|" + "---|" * len(labels),
    ]
    for task in sorted(switch):
        cells = [
            f"{statistics.median(switch[task][a]):.3g}" if switch[task][a] else "-" for a in labels
        ]
        lines.append(f"| {task} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    records = _records()
    command = "`python benchmarks/trial_growth_dev_table.py`"
    parts = [part(records, LABELS, "0.10.0", command, HEADER)]
    if records["off300"] or records["trialgrow-off300"]:
        parts.append(part(records, PART2, "off300", command + " — second part", HEADER2))
    print("\n\n".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
