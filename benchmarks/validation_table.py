"""The README's validation table: per task, the tuned baseline, Knee, the best method that is not
tuned per task, the calibrated configuration and LRTuner's best and worst seed-LR means.

    python benchmarks/validation_table.py benchmarks/results/long --tasks wine-mlp,digits-cnn

Reads the stored runs (``runs/<task>/<method>/seed*.json``). A method with a failed or
diverged run is marked and never counted as the best; "LRTuner" is its ``lrtuner@peakS``
variants. Means are over seeds; ``±`` is the sample standard deviation.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

PER_TASK_TUNED = ("baseline", "knee")
NOT_METHODS = ("baseline-grid", "calibration-grid")


def _load(folder: Path) -> tuple[list[float], int, bool | None]:
    """Final metrics of the ok runs, the number of failed runs, and higher_is_better."""
    runs = [json.loads(path.read_text()) for path in sorted(folder.glob("seed*.json"))]
    finals = list(seed_finals(folder).values())
    hib = next((r["higher_is_better"] for r in runs if "higher_is_better" in r), None)
    return finals, len(runs) - len(finals), hib


def seed_finals(folder: Path) -> dict[int, float]:
    """``{seed: final metric}`` of the ok runs of one method folder."""
    out = {}
    for path in sorted(folder.glob("seed*.json")):
        run = json.loads(path.read_text())
        if run.get("status") == "ok" and run.get("final_metric") is not None:
            out[int(run["seed"])] = float(run["final_metric"])
    return out


def _cell(finals: list[float], failed: int) -> str:
    if not finals:
        return f"failed ({failed})" if failed else "-"
    std = statistics.stdev(finals) if len(finals) > 1 else 0.0
    text = f"{statistics.fmean(finals):.4f} ± {std:.4f}"
    return text + (f" ({failed} failed)" if failed else "")


def task_row(task_dir: Path) -> str:
    methods = {d.name: _load(d) for d in sorted(task_dir.iterdir()) if d.is_dir()}
    hib = next((h for _, _, h in methods.values() if h is not None), True)

    def key(item):
        finals = item[1][0]
        mean = statistics.fmean(finals)
        return mean if hib else -mean

    def clean(name):
        return name not in NOT_METHODS and methods[name][0] and not methods[name][1]

    free = {
        n: v
        for n, v in methods.items()
        if clean(n) and n not in PER_TASK_TUNED and not n.startswith("lrtuner")
    }
    best = max(free.items(), key=key) if free else None
    tuner = {n: v for n, v in methods.items() if n.startswith("lrtuner@peak") and v[0]}
    tuner_failed = any(v[1] for n, v in methods.items() if n.startswith("lrtuner@peak"))
    if tuner:
        ranked = sorted(tuner.items(), key=key, reverse=True)
        (bn, bv), (wn, wv) = ranked[0], ranked[-1]
        tuner_cell = (
            f"{statistics.fmean(bv[0]):.4f} ({bn.removeprefix('lrtuner@')}) / "
            f"{statistics.fmean(wv[0]):.4f} ({wn.removeprefix('lrtuner@')})"
            + (" (a run failed)" if tuner_failed else "")
        )
    else:
        tuner_cell = "-"
    metric = "higher better" if hib else "lower better"
    return (
        f"| {task_dir.name} | {metric} | {_cell(*methods.get('baseline', ([], 0, None))[:2])} | "
        f"{_cell(*methods.get('knee', ([], 0, None))[:2])} | "
        + (f"{best[0]}: {_cell(*best[1][:2])}" if best else "-")
        + f" | {_cell(*methods.get('calibrated', ([], 0, None))[:2])} | {tuner_cell} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("--tasks", required=True, help="comma-separated task names")
    args = parser.parse_args(argv)
    root = Path(args.results) / "runs"
    for name in args.tasks.split(","):
        print(task_row(root / name))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
