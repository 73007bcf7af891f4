"""Pure functions over stored runs: picking the tuned baseline, its target, time to target.

A run is the JSON dict the runner writes (see :mod:`lrtuner_bench.runner`); only the fields
named here are read, so these functions are easy to test on hand-written dicts.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from typing import Any


def is_ok(run: dict[str, Any]) -> bool:
    """A run that finished with a finite final metric."""
    value = run.get("final_metric")
    return run.get("status") == "ok" and value is not None and math.isfinite(value)


def better(a: float, b: float, higher_is_better: bool) -> bool:
    """``a`` is at least as good as ``b``."""
    return a >= b if higher_is_better else a <= b


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for one value); NaNs for none."""
    if not values:
        return math.nan, math.nan
    if len(values) == 1:
        return float(values[0]), 0.0
    return statistics.fmean(values), statistics.stdev(values)


def choose_best_lr(
    grid_runs: Iterable[dict[str, Any]], higher_is_better: bool
) -> tuple[float, dict[float, dict[str, Any]]]:
    """The grid LR with the best mean final metric; failed runs count as the worst.

    Returns the chosen LR and, per LR, ``{"mean", "std", "n", "failures"}``. Ties go to the
    smaller LR.
    """
    by_lr: dict[float, list[dict[str, Any]]] = {}
    for run in grid_runs:
        by_lr.setdefault(float(run["config"]["method"]["peak_lr"]), []).append(run)
    if not by_lr:
        raise ValueError("Invalid grid_runs: empty")
    summary: dict[float, dict[str, Any]] = {}
    for lr, runs in sorted(by_lr.items()):
        ok = [r["final_metric"] for r in runs if is_ok(r)]
        mean, std = mean_std(ok)
        summary[lr] = {"mean": mean, "std": std, "n": len(runs), "failures": len(runs) - len(ok)}

    def key(lr: float) -> tuple[int, float]:
        s = summary[lr]
        if s["failures"] or math.isnan(s["mean"]):
            return (1, 0.0)
        return (0, -s["mean"] if higher_is_better else s["mean"])

    best = min(sorted(summary), key=key)
    return best, summary


def target_value(baseline_runs: Iterable[dict[str, Any]]) -> float | None:
    """The tuned baseline's final metric: mean over its successful seeds."""
    values = [r["final_metric"] for r in baseline_runs if is_ok(r)]
    return statistics.fmean(values) if values else None


def time_to_target(run: dict[str, Any], target: float | None, higher_is_better: bool) -> dict:
    """First evaluation point at which ``run`` reaches ``target``.

    Steps include steps spent before training (a range test); wall-clock is training time
    (probes, rollbacks and setup included, evaluation excluded). Returns ``{"value",
    "reached", "steps", "wall_clock_s"}`` with ``None`` for steps and time when not reached.
    """
    result: dict[str, Any] = {
        "value": target,
        "reached": False,
        "steps": None,
        "wall_clock_s": None,
    }
    if target is None or run.get("status") == "failed":
        return result
    extra = int(run.get("extra_train_steps", 0))
    for point in run.get("curves", {}).get("eval", []):
        value = point.get("metric")
        if value is not None and math.isfinite(value) and better(value, target, higher_is_better):
            result.update(
                reached=True,
                steps=int(point["step"]) + extra,
                wall_clock_s=float(point["wall_clock_s"]),
            )
            break
    return result
