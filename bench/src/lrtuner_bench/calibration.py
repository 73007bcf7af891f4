"""The calibrated fixed configuration: ONE peak LR per optimizer family, chosen on the
development tasks only, then used unchanged on every task (Kasimbeg et al. 2025).

How the LR is chosen (:func:`choose_lr`), per profile and optimizer family:

1. Every development task of the family is trained with warmup (5 %) + cosine decay at every
   point of the family's absolute half-decade grid (:data:`FAMILY_GRIDS`); the runner stores
   these runs under ``runs/<task>/calibration-grid/`` (a task whose tuned baseline already is
   warmup + cosine lends its baseline-grid runs, so they are not trained twice).
2. Per task, the final metric at an LR is the mean over the seeds that every grid point of
   that task has. It is normalised to ``s = (m - m_worst) / (m_best - m_worst)`` over the
   task's grid (oriented so that the best LR scores 1 and the worst 0, whether higher or lower
   is better); an LR at which any seed failed or diverged scores 0; a task whose finite
   points are all equal scores 1 at each of them.
3. The chosen LR maximises the mean of ``s`` over the family's development tasks (ties go
   to the smaller LR). Only LRs that every such task has are candidates.

``lrtuner-bench calibrate OUT --profile long`` applies this to stored runs and writes the
result into the committed file :data:`CALIBRATION_FILE` (or ``$LRTUNER_BENCH_CALIBRATION``),
which the ``calibrated`` method reads. Validation tasks are never read.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from . import schedules, targets

#: the committed calibration; ``$LRTUNER_BENCH_CALIBRATION`` points elsewhere (tests, trials).
CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
ENV_VAR = "LRTUNER_BENCH_CALIBRATION"
#: absolute half-decade grids of the calibration, per optimizer family.
FAMILY_GRIDS: dict[str, tuple[float, ...]] = {
    "sgd": schedules.half_decade_grid(1e-3, 1.0),
    "adam": schedules.half_decade_grid(3.16e-5, 0.0316),
}
#: seeds of the calibration grid: the first ones of a run's seed list.
CALIBRATION_SEEDS = 1


def calibration_path() -> Path:
    """The calibration file in use: ``$LRTUNER_BENCH_CALIBRATION`` or the committed one."""
    return Path(os.environ.get(ENV_VAR) or CALIBRATION_FILE)


def load_calibration(path: str | Path | None = None) -> dict[str, Any]:
    """The calibration file's content (``{"profiles": {}}`` when it does not exist)."""
    p = Path(path) if path is not None else calibration_path()
    if not p.exists():
        return {"profiles": {}}
    data = json.loads(p.read_text())
    if not isinstance(data, dict) or not isinstance(data.get("profiles"), dict):
        raise ValueError(f"Invalid calibration file: {p} (expected an object with 'profiles')")
    return data


def calibrated_lr(profile: str, family: str, path: str | Path | None = None) -> float:
    """The chosen LR of a family in a profile; :class:`MethodUnavailableError` (a failed run
    whose message says how to calibrate) when there is none."""
    from .methods import MethodUnavailableError

    entry = load_calibration(path)["profiles"].get(profile, {}).get(family)
    if not entry or entry.get("lr") is None:
        raise MethodUnavailableError(
            f"no calibrated LR for family {family!r} in profile {profile!r} in "
            f"{path or calibration_path()}: run the development tasks with the calibrated "
            f"method, then `lrtuner-bench calibrate OUT --profile {profile}`"
        )
    return float(entry["lr"])


def calibrated_lr_or_none(profile: str, family: str) -> float | None:
    """:func:`calibrated_lr`, or ``None`` when there is none (for run configs)."""
    entry = load_calibration()["profiles"].get(profile, {}).get(family) or {}
    lr = entry.get("lr")
    return float(lr) if lr is not None else None


def normalised_scores(
    runs_by_lr: Mapping[float, Iterable[dict[str, Any]]], higher_is_better: bool
) -> dict[float, float]:
    """Per LR, the min-max normalised mean final metric of one task (see the module doc)."""
    groups = {float(lr): list(runs) for lr, runs in runs_by_lr.items()}
    if not groups or any(not runs for runs in groups.values()):
        raise ValueError("Invalid runs_by_lr: every LR needs at least one run")
    means: dict[float, float | None] = {}
    for lr, runs in groups.items():
        ok = all(targets.is_ok(r) for r in runs)
        means[lr] = targets.mean_std([r["final_metric"] for r in runs])[0] if ok else None
    finite = [m for m in means.values() if m is not None]
    if not finite:
        return dict.fromkeys(means, 0.0)
    best = max(finite) if higher_is_better else min(finite)
    worst = min(finite) if higher_is_better else max(finite)
    span = best - worst
    scores = {}
    for lr, m in means.items():
        if m is None:
            scores[lr] = 0.0
        elif span == 0:
            scores[lr] = 1.0
        else:
            scores[lr] = abs(m - worst) / abs(span)
    return scores


def common_seed_runs(runs: Iterable[dict[str, Any]]) -> dict[float, list[dict[str, Any]]]:
    """Grid runs of one task grouped by LR, kept only on the seeds that every LR has."""
    by_lr: dict[float, dict[int, dict[str, Any]]] = {}
    for run in runs:
        by_lr.setdefault(float(run["config"]["method"]["peak_lr"]), {})[int(run["seed"])] = run
    if not by_lr:
        return {}
    seeds = set.intersection(*(set(v) for v in by_lr.values()))
    return {lr: [v[s] for s in sorted(seeds)] for lr, v in sorted(by_lr.items())} if seeds else {}


def choose_lr(
    task_runs: Mapping[str, tuple[bool, Mapping[float, Iterable[dict[str, Any]]]]],
) -> dict[str, Any]:
    """The calibrated LR of one family from its development tasks' grid runs.

    ``task_runs`` maps a task name to ``(higher_is_better, {lr: runs})``. Returns ``{"lr",
    "mean_score": {lr: mean}, "task_scores": {task: {lr: score}}, "tasks", "candidates"}``;
    ``ValueError`` naming ``task_runs`` when no LR is shared by every task.
    """
    if not task_runs:
        raise ValueError("Invalid task_runs: empty")
    task_scores = {
        name: normalised_scores(runs, hib) for name, (hib, runs) in sorted(task_runs.items())
    }
    shared = set.intersection(*(set(s) for s in task_scores.values()))
    if not shared:
        raise ValueError(
            "Invalid task_runs: no LR is on every task's calibration grid "
            f"({ {t: sorted(s) for t, s in task_scores.items()} })"
        )
    mean = {lr: sum(s[lr] for s in task_scores.values()) / len(task_scores) for lr in shared}
    best = min(sorted(mean), key=lambda lr: -mean[lr])
    return {
        "lr": best,
        "mean_score": {f"{lr:g}": round(mean[lr], 4) for lr in sorted(mean)},
        "task_scores": {
            t: {f"{lr:g}": round(v, 4) for lr, v in sorted(s.items())}
            for t, s in task_scores.items()
        },
        "tasks": sorted(task_runs),
        "candidates": sorted(shared),
    }


def read_calibration_runs(
    out_dir: str | Path, profile: str
) -> dict[str, dict[str, tuple[bool, dict[float, list[dict[str, Any]]]]]]:
    """Stored calibration-grid runs of the DEVELOPMENT tasks of a profile, per family:
    ``{family: {task: (higher_is_better, {lr: runs on the common seeds})}}``."""
    from .tasks import TASKS

    root = Path(out_dir) / "runs"
    if not root.is_dir():
        raise ValueError(f"Invalid results folder: {out_dir} has no runs/")
    found: dict[str, dict[str, tuple[bool, dict[float, list[dict[str, Any]]]]]] = {}
    for name, cls in TASKS.items():
        if cls.split != "development":
            continue
        runs = []
        for path in sorted((root / name / "calibration-grid").glob("lr*_seed*.json")):
            run = json.loads(path.read_text())
            if run.get("profile") == profile:
                runs.append(run)
        grouped = common_seed_runs(runs)
        if grouped:
            found.setdefault(cls.family, {})[name] = (cls.higher_is_better, grouped)
    return found


def calibrate(out_dir: str | Path, profile: str, path: str | Path | None = None) -> dict[str, Any]:
    """Choose each family's LR from stored runs and write it into the calibration file
    (other profiles' entries are kept); returns this profile's new entry."""
    found = read_calibration_runs(out_dir, profile)
    if not found:
        raise ValueError(
            f"Invalid results folder: {out_dir} holds no calibration-grid runs of development "
            f"tasks in profile {profile!r} (run them with `--method calibrated`)"
        )
    entry: dict[str, Any] = {}
    for family, task_runs in sorted(found.items()):
        choice = choose_lr(task_runs)
        grid = FAMILY_GRIDS.get(family, ())
        missing = {
            t: [f"{lr:g}" for lr in grid if lr not in runs] for t, (_, runs) in task_runs.items()
        }
        entry[family] = {
            **choice,
            "schedule": "warmup-cosine",
            "warmup": schedules.WARMUP_FRACTION,
            "grid": list(grid),
            "missing": {t: m for t, m in missing.items() if m},
            "seeds": {
                t: sorted({int(r["seed"]) for rs in runs.values() for r in rs})
                for t, (_, runs) in task_runs.items()
            },
        }
    target = Path(path) if path is not None else calibration_path()
    data = load_calibration(target)
    data.setdefault("about", ABOUT)
    data["profiles"][profile] = entry
    target.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    if not all(math.isfinite(e["lr"]) for e in entry.values()):  # pragma: no cover
        raise ValueError("Invalid calibration: non-finite LR")
    return entry


ABOUT = (
    "Calibrated fixed configuration of lrtuner-bench: per profile and optimizer family, ONE "
    "peak LR for warmup (5 %) + cosine decay, chosen on the development tasks by "
    "`lrtuner-bench calibrate` (see lrtuner_bench/calibration.py) and used unchanged on every task."
)
