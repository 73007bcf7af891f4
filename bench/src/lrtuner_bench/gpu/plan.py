"""The check's runs in order of importance, their time estimates, and the deadline.

The plan (per task, seeds in order; seed 0 first):

1. the baseline's LR grid (its task's ``lr_grid``, 3 points; seed 0 only, as the harness's
   ``grid_seeds=1``); the best grid LR is the tuned peak of ``baseline`` and ``knee``;
2. ``lrtuner`` (library defaults) from the seed LR, then from the seed LR x 0.01;
3. ``knee`` at the tuned peak; ``schedulefree`` at the seed LR; ``prodigy``;
4. the other seeds: ``baseline`` at the tuned peak, then the methods above.

Within one rank the GPT task comes first (longer runs first pack the workers best). A run
whose estimated end passes the deadline is not started: it is recorded as ``skipped`` and the
next, maybe shorter, run is considered. A run needing the tuned peak waits for the grid;
when no grid run of its task finished, it is skipped.

Estimate of a run: ``steps x seconds per step x factor + evaluation``, where seconds per step is
the latest measured for the task (the overhead measurement's plain side at first, multiplied by
the number of concurrent workers divided by :data:`ASSUMED_SPEEDUP`, then each finished run's
own time per step), and the factor is 1 except for LRTuner (:data:`TUNER_FACTOR`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

#: the methods of the check, after the grid, in order of importance.
METHODS = ("lrtuner", "lrtuner@0.01", "knee", "schedulefree", "prodigy")
#: methods that use the tuned peak LR (the best grid point).
NEEDS_PEAK = ("baseline", "knee")
#: LRTuner's time per step over plain training, for the estimate (seed search, probes, check).
TUNER_FACTOR = 1.15
#: concurrent runs on one GPU are assumed to go this much faster together than one alone.
ASSUMED_SPEEDUP = 2.0
#: seconds a run spends outside its steps (build, evaluations), for the estimate.
RUN_FIXED_S = 2.0
#: conservative seconds per step on one H100/H200-class GPU, before anything is measured.
DEFAULT_STEP_S = {"fmnist-resnet": 0.0045, "shakespeare-gpt10m": 0.013}


@dataclass(frozen=True)
class RunSpec:
    """One training run of the check.

    ``peak_lr``: the grid LR of a grid run, ``None`` for methods that take no peak; the
    methods in :data:`NEEDS_PEAK` get the tuned peak when they are started.
    """

    task: str
    method: str
    seed: int
    grid: bool = False
    peak_lr: float | None = None

    @property
    def key(self) -> str:
        if self.grid:
            return f"{self.task}/baseline-grid/lr{self.peak_lr:g}/seed{self.seed}"
        return f"{self.task}/{self.method}/seed{self.seed}"

    @property
    def needs_peak(self) -> bool:
        return not self.grid and self.method in NEEDS_PEAK

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "key": self.key}


def build_plan(
    tasks: Sequence[str], grids: dict[str, Sequence[float]], seeds: Sequence[int]
) -> list[RunSpec]:
    """Every run of the check in order of importance (see the module docstring).

    Tasks are listed in the order given (the first is run first within each rank).
    """
    if not tasks:
        raise ValueError("Invalid tasks: empty")
    if not seeds:
        raise ValueError("Invalid seeds: empty")
    for t in tasks:
        if len(grids.get(t, ())) < 1:
            raise ValueError(f"Invalid grids: no LR grid for task {t!r}")
    plan: list[RunSpec] = []
    first, rest = seeds[0], seeds[1:]
    for t in tasks:
        plan += [RunSpec(t, "baseline", first, grid=True, peak_lr=lr) for lr in grids[t]]
    for method in METHODS:
        plan += [RunSpec(t, method, first) for t in tasks]
    for seed in rest:
        for method in ("baseline", *METHODS):
            plan += [RunSpec(t, method, seed) for t in tasks]
    return plan


def estimate_s(spec: RunSpec, steps: int, step_s: float) -> float:
    """Estimated wall-clock seconds of one run (see the module docstring)."""
    factor = TUNER_FACTOR if spec.method.startswith("lrtuner") else 1.0
    return steps * step_s * factor + RUN_FIXED_S


class Scheduler:
    """Hands out the plan's runs in order while they fit before the deadline.

    ``next_run(now, peaks)`` returns the first run that can start now (its tuned peak known,
    if it needs one) and that is estimated to end before the deadline, together with its
    peak LR; runs that cannot fit are moved to :attr:`skipped` with the reason, runs that wait
    for a grid stay. ``None``: nothing can start now (see :attr:`pending`).
    """

    def __init__(
        self,
        plan: Iterable[RunSpec],
        steps: dict[str, int],
        step_s: dict[str, float],
        deadline: float,
    ) -> None:
        self.pending: list[RunSpec] = list(plan)
        self.steps = dict(steps)
        self.step_s = dict(step_s)
        self.deadline = deadline
        self.skipped: list[tuple[RunSpec, str]] = []
        for spec in self.pending:
            if spec.task not in self.steps or spec.task not in self.step_s:
                raise ValueError(f"Invalid plan: no steps or step time for task {spec.task!r}")

    def observe(self, task: str, seconds_per_step: float) -> None:
        """A finished run's time per step: the estimate for its task's next runs."""
        if math.isfinite(seconds_per_step) and seconds_per_step > 0:
            self.step_s[task] = seconds_per_step

    def estimate(self, spec: RunSpec) -> float:
        return estimate_s(spec, self.steps[spec.task], self.step_s[spec.task])

    def next_run(
        self, now: float, peaks: dict[str, float | None], grid_open: set[str]
    ) -> tuple[RunSpec, float | None] | None:
        """The next run to start, with its peak LR.

        ``peaks``: tuned peak per task once its grid is over (``None``: every grid run failed);
        ``grid_open``: tasks whose grid still has runs pending or running.
        """
        for spec in list(self.pending):
            peak = spec.peak_lr
            if spec.needs_peak:
                if spec.task in grid_open:
                    continue  # waits for the grid
                peak = peaks.get(spec.task)
                if peak is None:
                    self._skip(spec, "no grid run finished: no tuned peak LR")
                    continue
            if now + self.estimate(spec) > self.deadline:
                self._skip(
                    spec,
                    f"estimated {self.estimate(spec):.0f} s would pass the deadline "
                    f"({max(0.0, self.deadline - now):.0f} s left)",
                )
                continue
            self.pending.remove(spec)
            return spec, peak
        return None

    def _skip(self, spec: RunSpec, reason: str) -> None:
        self.pending.remove(spec)
        self.skipped.append((spec, reason))

    def skip_rest(self, reason: str) -> None:
        """Skip everything still pending (the deadline has passed)."""
        for spec in list(self.pending):
            self._skip(spec, reason)
