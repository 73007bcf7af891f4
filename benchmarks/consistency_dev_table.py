"""Trust-region growth and exploit's agreement, development table: LRTuner at defaults from
1/100 of the tuned peak with the 0.7.0 rules, with the trust region growing on the one-step
minimum only (``grow1``), and with exploit acting on two agreeing fits as well (``agree2``),
against the tuned baseline's threshold of acceptance check (a). The decision criterion is
``benchmarks/results/consistency-dev/CRITERION.md`` (written before the runs).

Sources of the runs (seeds 0-2, long budgets):

* 0.7.0: ``consistency-dev/runs-0.7.0.jsonl`` (scenario ``h2-peak0.01``, run with the 0.7.0
  code), and the stored 0.7.0 ``lrtuner@peak0.01`` runs of ``benchmarks/results/long`` for the
  four former validation tasks of 0.7.0 (same code, seeds and budgets);
* grow1 and agree2: ``consistency-dev/runs-0.8.0.jsonl`` and ``runs-0.8.0-b.jsonl`` (the four
  former validation tasks);
* 0.8.0 as released: agree2 with rule 8's short-window fix, found after the comparison ran
  (``runs-0.8.0-released.jsonl``, scenario ``v080-peak0.01``); a report, not part of the
  choice.

::

    python benchmarks/consistency_dev_table.py > benchmarks/results/consistency-dev/README.md
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

from divisor_dev_table import ROOT, _jsonl, arm_table

LABELS = {
    "0.7.0": "0.7.0",
    "grow1": "grow1",
    "agree2": "agree2",
    "released": "0.8.0 as released (report only)",
}
FROM_LONG_070 = ("tweets-textcnn", "fmnist-vit", "shakespeare-nplm", "digits-vae")
SCENARIOS = {
    "h2-peak0.01": "0.7.0",
    "grow1-peak0.01": "grow1",
    "agree2-peak0.01": "agree2",
    "v080-peak0.01": "released",
}
HEADER = (
    "Development tasks only. LRTuner at defaults, seed LR = 1/100 of the tuned peak, seeds "
    "0-2, long budgets. 0.7.0: the 0.7.0 rules; grow1: explore's trust region grows only when "
    "the fit's one-step minimum itself lies beyond the upper bound; agree2: grow1, and "
    "exploit acts on a direction once two fits in a row propose it, increases included; "
    "0.8.0 as released: agree2 with rollback's short-window fix (run after the choice). "
    "Cells: mean final metric over the seeds (per-seed values in brackets; `x`: a run that "
    "diverged or failed); **bold**: at or better than the threshold of check (a) (baseline "
    "mean − 2 std, in the metric's direction)."
)


def collect() -> dict[str, dict[str, dict[int, float | None]]]:
    """task -> arm -> seed -> final metric (``None``: the run did not end ``ok``)."""
    runs: dict[str, dict[str, dict[int, float | None]]] = defaultdict(lambda: defaultdict(dict))
    folder = ROOT / "consistency-dev"
    for path in sorted(folder.glob("runs-*.jsonl")):
        for r in _jsonl(path):
            arm = SCENARIOS.get(r["scenario"])
            if arm is not None:
                runs[r["task"]][arm][r["seed"]] = r["metric"] if r["status"] == "ok" else None
    for task in FROM_LONG_070:
        for path in sorted((ROOT / "long" / "runs" / task / "lrtuner@peak0.01").glob("seed*.json")):
            r = json.loads(Path(path).read_text())
            if r["config"]["method"].get("library_version") == "0.7.0":
                metric = r["final_metric"] if r["status"] == "ok" else None
                runs[task]["0.7.0"][r["seed"]] = metric
    return runs


def main() -> int:
    text, _ = arm_table(
        collect(), LABELS, "0.7.0", "`python benchmarks/consistency_dev_table.py`", HEADER
    )
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
