"""The criterion for adopting explore by trial (``benchmarks/results/trial-criterion-dev/
CRITERION.md``, written before its runs): the trial arm against 0.9.0 on six development tasks
the trial never ran on, from 1/100 of the tuned peak, from it, and the worse of the two per
task and arm (the clauses are read off the last table)::

    python benchmarks/trial_criterion_dev_table.py \
        > benchmarks/results/trial-criterion-dev/README.md

0.9.0's runs are the stored ``lrtuner@peak0.01`` and ``lrtuner@peak1`` runs of
``benchmarks/results/long`` (library 0.9.0); the trial's are ``runs-trial.jsonl``.
"""

from __future__ import annotations

import statistics
import sys
from collections import defaultdict

from decision_table import lrtuner_runs
from divisor_dev_table import ROOT, _jsonl, arm_table

TASKS = (
    "fmnist-softmax", "tweets-embmlp", "digits-tanhmlp", "digits-gru", "digits-deepmlp",
    "shakespeare-rnn",
)
SCALES = ("0.01", "1")
LABELS = {"0.9.0": "0.9.0", "trial": "explore by trial"}
HEADER = (
    "Development tasks the trial never ran on. LRTuner 0.9.0 at defaults and with explore "
    "climbing x2 per fit until the first rollback (trial), seeds 0-2, long budgets. Cells: "
    "mean final metric over the seeds (per-seed values in brackets; `x`: a run that diverged "
    "or failed); **bold**: at or better than the threshold of check (a) (baseline mean − 2 "
    "std, in the metric's direction)."
)

Runs = dict[str, dict[str, dict[int, float | None]]]


def collect(scale: str) -> Runs:
    runs: Runs = defaultdict(lambda: defaultdict(dict))
    for task in TASKS:
        for r, _ in lrtuner_runs(ROOT / "long" / "runs" / task, f"lrtuner@peak{scale}"):
            version = r["config"]["method"].get("library_version")
            if version != "0.9.0":
                raise ValueError(f"Invalid run: {task} {r['method']} seed {r['seed']} is of "
                                 f"library {version}, not 0.9.0")
            runs[task]["0.9.0"][r["seed"]] = r["final_metric"] if r["status"] == "ok" else None
    trial_runs = ROOT / "trial-criterion-dev" / "runs-trial.jsonl"
    for r in _jsonl(trial_runs) if trial_runs.exists() else []:
        if r["scenario"] == f"trial-peak{scale}":
            runs[r["task"]]["trial"][r["seed"]] = r["metric"] if r["status"] == "ok" else None
    return runs


def _badness(seeds: dict[int, float | None], higher: bool) -> float:
    """Larger is worse: a diverged run is worst, else minus the mean in the metric's direction."""
    if any(v is None for v in seeds.values()):
        return float("inf")
    m = statistics.fmean(seeds.values())  # type: ignore[arg-type]
    return -m if higher else m


def worst_of(per_scale: dict[str, Runs]) -> Runs:
    """Per task and arm, the seed LR whose mean final metric is worse (check (a)'s reading)."""
    from divisor_dev_table import baseline

    worst: Runs = defaultdict(dict)
    for task in TASKS:
        higher = baseline(task)[2]
        for arm in LABELS:
            options = [per_scale[s][task][arm] for s in SCALES if len(per_scale[s][task][arm]) == 3]
            if len(options) == len(SCALES):
                worst[task][arm] = max(options, key=lambda seeds: _badness(seeds, higher))
    return worst


def main() -> int:
    per_scale = {s: collect(s) for s in SCALES}
    parts = []
    for scale in SCALES:
        text, _ = arm_table(
            per_scale[scale], LABELS, "0.9.0",
            f"`python benchmarks/trial_criterion_dev_table.py` — seed LR x{scale} of the peak",
            HEADER,
        )
        parts.append(text)
    text, _ = arm_table(
        worst_of(per_scale), LABELS, "0.9.0",
        "The criterion's table: per task and arm, the worse of the two seed LRs",
        HEADER,
    )
    parts.append(text)
    print("\n\n".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
