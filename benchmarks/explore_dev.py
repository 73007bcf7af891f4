"""Development runs for explore's rules: LRTuner at defaults from a good start and from starts
30x too low, on the development tasks of the ``long`` profile.

Scenarios (seed LRs relative to the task's tuned peak, read from a ``long`` results folder's
``baseline-grid/grid.json``; the task's own ``seed_lr`` where that grid has not run yet):

* ``search``: defaults, from the tuned peak;
* ``off30``: ``seed_search=False``, from 1/30 of the tuned peak;
* ``search30``: ``safety_factor=600``: the search lands 30x lower than the default would.
* ``cooldown``: defaults from the tuned peak, with a cooldown over the last 20% (rule 9);
* ``cooldown100``: the same from 1/100 of the tuned peak;
* ``peakX`` / ``nolevel-peakX``: defaults from X times the tuned peak, with and without
  rule 8's level test (``rollback_on_level``);
* ``div5`` / ``div10``: defaults from the tuned peak with rule 7's divisor 5 or 10 for 20;
* ``h2`` / ``h2-peak0.01``: ``horizon_factor=2`` from the tuned peak or 1/100 of it;
* ``grow1-peak0.01`` / ``agree2-peak0.01`` / ``v080-peak0.01``: the 0.8.0 changes from 1/100 of
  the tuned peak (``benchmarks/results/consistency-dev``).
* ``trial-peak0.01`` / ``trial-peak1``: ``explore_by_trial`` from 1/100 of the tuned peak and
  from it (``benchmarks/results/explore-trial-dev``, exploratory, and
  ``benchmarks/results/trial-criterion-dev``, the criterion that made it rule 12 of 0.10.0).

* ``trialgrow-peak0.01`` / ``chances8-peak0.01``, ``off300`` / ``trialgrow-off300``: the
  trial's reach, exploratory (``benchmarks/results/trial-growth-dev``).
* ``keep-peak0.01``: a trial step keeps the growth the fits built, against a criterion written
  before its runs (``benchmarks/results/trial-keep-dev``).

Scenarios without options (``search``, ``peakX``, ...) run the library's *current* defaults:
a stored run is labelled (``--label``) with the version it was made with.

Only development tasks are accepted (validation tasks are never used to choose a rule).
Each run appends one JSON line to ``--out`` (runs already there are skipped), so the script
resumes. ``--table`` prints the Markdown table of a results file instead::

    python benchmarks/explore_dev.py --label 0.4.0 --tasks digits-mlp,fmnist-mlp \\
        --out benchmarks/results/explore-dev/runs.jsonl
    python benchmarks/explore_dev.py --table benchmarks/results/explore-dev/runs.jsonl
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

SCENARIOS: dict[str, tuple[float, dict[str, Any]]] = {
    "search": (1.0, {}),
    "off30": (1 / 30, {"seed_search": False}),
    "search30": (1.0, {"safety_factor": 600.0}),
    "cooldown": (1.0, {"cooldown_share": 0.2}),
    "cooldown100": (0.01, {"cooldown_share": 0.2}),
}
#: from each seed LR of the acceptance check (x0.001 ... x10 of the peak): defaults
#: (``peakX``), against rule 8's drop-rate test alone (``nolevel-peakX``) and against the seed
#: search without its resolution test (``res0-peakX``: 0.10.0's search,
#: ``benchmarks/results/search-noise-dev``) or without its retries (``att1-peakX``: 0.11.0's
#: single search, ``benchmarks/results/search-retry-dev``), and without rule 13's divergence
#: recovery (``rec0-peakX``: 0.12.0, ``benchmarks/results/divergence-dev``), and without rule 14's
#: cooldown from exploit's first decrease (``cd0-peakX``: 0.13.0,
#: ``benchmarks/results/cooldown-decrease-dev``), and without rule 7's grid bracket
#: (``brk0-peakX``: 0.14.0's search, ``benchmarks/results/search-bracket-dev``), and with the
#: inconclusive step kept before a retry (``rs0-peakX``: 0.15.0,
#: ``benchmarks/results/search-retry-start-dev``), and with one conclusive search deciding
#: (``dir1-peakX``: 0.16.0, ``benchmarks/results/search-directions-dev``).
for _scale in (0.001, 0.01, 0.1, 1.0, 10.0):
    SCENARIOS[f"peak{_scale:g}"] = (_scale, {})
    SCENARIOS[f"nolevel-peak{_scale:g}"] = (_scale, {"rollback_on_level": False})
    SCENARIOS[f"res0-peak{_scale:g}"] = (_scale, {"search_resolution_steps": 0.0})
    SCENARIOS[f"att1-peak{_scale:g}"] = (_scale, {"search_attempts": 1})
    SCENARIOS[f"rec0-peak{_scale:g}"] = (_scale, {"recover_divergence": False})
    SCENARIOS[f"cd0-peak{_scale:g}"] = (_scale, {"cooldown_on_decrease": False})
    SCENARIOS[f"brk0-peak{_scale:g}"] = (_scale, {"search_bracket_on_grid": False})
    SCENARIOS[f"rs0-peak{_scale:g}"] = (_scale, {"search_retry_from_start": False})
    SCENARIOS[f"dir1-peak{_scale:g}"] = (_scale, {"search_directions": 1})
#: rule 7's divisor: defaults from the tuned peak with the one-step optimum divided by D
#: (``divD``) instead of 20 (``peak1`` is the 20 arm).
for _divisor in (5, 10):
    SCENARIOS[f"div{_divisor}"] = (1.0, {"safety_factor": float(_divisor)})
#: rule 1's short-horizon correction: defaults from the tuned peak (``h2``) or 1/100 of it
#: (``h2-peak0.01``) with the fits' one-step optimum doubled (``horizon_factor=2``).
SCENARIOS["h2"] = (1.0, {"horizon_factor": 2.0})
SCENARIOS["h2-peak0.01"] = (0.01, {"horizon_factor": 2.0})
#: 0.8.0, from 1/100 of the tuned peak: the trust region grows on the one-step minimum only
#: with the paper's exploit (``grow1-peak0.01``), and with exploit acting on two agreeing
#: fits in a row in either direction (``agree2-peak0.01``, the 0.8.0 defaults).
SCENARIOS["grow1-peak0.01"] = (0.01, {"exploit_agreement": 0})
SCENARIOS["agree2-peak0.01"] = (0.01, {})
#: 0.8.0 as released (with rule 8's short-window fix), from 1/100 of the tuned peak: the same
#: options as ``agree2-peak0.01``; a separate name so its runs are told apart (report only).
SCENARIOS["v080-peak0.01"] = (0.01, {})
#: exploratory (0.9.0, not adopted): explore raises the LR by the trust region's x2 at every
#: fit until the first rollback (``explore_by_trial``), from 1/100 of the tuned peak and from it
SCENARIOS["trial-peak0.01"] = (0.01, {"explore_by_trial": True})
SCENARIOS["trial-peak1"] = (1.0, {"explore_by_trial": True})
#: the trial's reach (exploratory, ``benchmarks/results/trial-growth-dev``): from 1/100 of the
#: tuned peak, consecutive trials widening the region (``trialgrow``), or twice as many
#: explore decisions (``chances8``)
SCENARIOS["trialgrow-peak0.01"] = (0.01, {"explore_trial_growth": "grow"})
SCENARIOS["chances8-peak0.01"] = (0.01, {"explore_chances": 8})
#: a start 300x below the tuned peak, the search off (tweets-fasttext's searched LR in 0.10.0's
#: validation): 0.10.0's trial (``off300``) and the galloping one (``trialgrow-off300``)
SCENARIOS["off300"] = (1 / 300, {"seed_search": False})
#: a trial step keeps the growth the fits built (``benchmarks/results/trial-keep-dev``)
SCENARIOS["keep-peak0.01"] = (0.01, {"explore_trial_growth": "keep"})
SCENARIOS["trialgrow-off300"] = (
    1 / 300, {"seed_search": False, "explore_trial_growth": "grow"}
)


def tuned_peak(grids: Path, task: Any) -> tuple[float, str]:
    path = grids / task.name / "baseline-grid" / "grid.json"
    if path.exists():
        return float(json.loads(path.read_text())["chosen_lr"]), "tuned peak"
    return float(task.seed_lr), "task seed LR (grid not run yet)"


def explore_summary(history: list[dict[str, Any]]) -> dict[str, Any]:
    explore = [h for h in history if h["phase"] == "explore"]
    return {
        "lr_at_switch": explore[-1]["lr_after"] if explore else None,
        "explore_increases": sum(
            1
            for h in explore
            if h["decision"] == "accepted"
            and h["lr_after"] > h["lr_before"]
            and not h["reason"].startswith("seed search")
        ),
        "rollbacks": sum(1 for h in history if h["decision"] == "rolled_back"),
        "level_rollbacks": sum(
            1
            for h in history
            if h["decision"] == "rolled_back" and h["reason"].startswith("loss level rose")
        ),
        "final_lr": history[-1]["lr_after"] if history else None,
        "cooldown_start_step": next(
            (h["step"] for h in history if "starts the cooldown" in h["reason"]), None
        ),
        "exploit_increases": sum(
            1
            for h in history
            if h["phase"] == "exploit"
            and h["decision"] == "accepted"
            and h["lr_after"] > h["lr_before"]
        ),
        "exploit_decreases": sum(
            1
            for h in history
            if h["phase"] == "exploit"
            and h["decision"] == "accepted"
            and h["lr_after"] < h["lr_before"]
        ),
    }


def run(args: argparse.Namespace) -> None:
    import torch

    from lrtuner_bench import methods, runner
    from lrtuner_bench.acceptance import lr_at_fraction
    from lrtuner_bench.tasks import get_task

    torch.set_num_threads(1)
    out = Path(args.out)
    done = set()
    if out.exists():
        for line in out.read_text().splitlines():
            r = json.loads(line)
            done.add((r["label"], r["task"], r["scenario"], r["seed"]))
    for name in args.tasks.split(","):
        task = get_task(name)
        if getattr(task, "split", "development") != "development":
            raise ValueError(f"Invalid task: {name} is a validation task")
        budget = runner.effective_budget(task, "long", None)
        data = task.load(budget, None)
        peak, reference = tuned_peak(Path(args.grids), task)
        for scenario in args.scenarios.split(","):
            scale, options = SCENARIOS[scenario]
            methods.LRTUNER_OPTIONS["long"] = options
            for seed in (int(s) for s in args.seeds.split(",")):
                if (args.label, name, scenario, seed) in done:
                    continue
                start = time.time()
                result = runner.train_one(
                    task, f"lrtuner@peak{scale:g}", data, budget, seed, "long", peak, None, "cpu"
                )
                fp = result.get("forward_passes") or {}
                record = {
                    "label": args.label,
                    "task": name,
                    "scenario": scenario,
                    "seed": seed,
                    "peak": peak,
                    "reference": reference,
                    "metric": result.get("final_metric"),
                    "higher_is_better": task.higher_is_better,
                    "status": result.get("status"),
                    "probe_fraction": fp["probe"] / (3 * fp["train"]) if fp.get("train") else None,
                    "seconds": time.time() - start,
                    "lr_at_10pct": lr_at_fraction(result),
                    **explore_summary(result.get("history") or []),
                }
                with out.open("a") as fh:
                    fh.write(json.dumps(record) + "\n")
                print(
                    json.dumps(
                        {k: record[k] for k in ("label", "task", "scenario", "seed", "metric")}
                    ),
                    flush=True,
                )


def table(path: str) -> str:
    rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    groups: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = defaultdict(dict)
    labels: list[str] = []
    for r in rows:
        groups[(r["task"], r["scenario"])].setdefault(r["label"], []).append(r)
        if r["label"] not in labels:
            labels.append(r["label"])
    head = "| task | scenario | " + " | ".join(
        f"{lab}: metric | {lab}: LR at switch / peak" for lab in labels
    )
    lines = [head + " |", "|" + "---|" * (2 + 2 * len(labels))]
    for (task, scenario), by_label in sorted(groups.items()):
        cells = []
        for lab in labels:
            runs = sorted(by_label.get(lab, []), key=lambda r: r["seed"])
            metrics = [r["metric"] for r in runs if r["metric"] is not None]
            if not runs:
                cells += ["-", "-"]
                continue
            mean = statistics.mean(metrics) if metrics else float("nan")
            cells.append(f"{mean:.4f} (n={len(metrics)})")
            cells.append(" ".join(f"{(r['lr_at_switch'] or 0) / r['peak']:.2g}" for r in runs))
        lines.append(f"| {task} | {scenario} | " + " | ".join(cells) + " |")
    refs = sorted({(r["task"], r["reference"], r["peak"]) for r in rows})
    lines.append("")
    lines += [f"- {t}: peak {p:g} = {ref}" for t, ref, p in refs]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", default=None, help="print the table of a results file")
    parser.add_argument("--label", default="current")
    parser.add_argument("--tasks", default="digits-mlp,fmnist-mlp,shakespeare-lstm")
    parser.add_argument("--scenarios", default="search,off30,search30")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--grids", default="benchmarks/results/long/runs")
    parser.add_argument("--out", default="benchmarks/results/explore-dev/runs.jsonl")
    args = parser.parse_args(argv)
    if args.table:
        print(table(args.table))
        return 0
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
