"""The overhead measurement of ``benchmarks/overhead.py`` on a GPU, with synchronised timers.

``benchmarks/overhead.py`` runs plain, tuned (LRTuner at its defaults) and plain-again training
of the same model in lockstep, the order rotated every step, and times each side's steps. On
a GPU the kernels of a step run after the host has returned from it, so a host timer alone
measures launches, not work. Here each side's step is bracketed by
``torch.cuda.synchronize()``: a step's time is all of its work, host and device, and no side
overlaps another. The ratios are those of the script: tuned over the mean of the two plain
sides (wall-clock ratio), plain-again over plain (the A/A control, the noise floor).

The script's own lockstep (``_lockstep``), sides and tables (``to_markdown``) are used as they
are; its sides synchronise the device around each timed step. Its breakdown of the
tuner's parts keeps host timers: on CUDA a part's share is its host time (launches and the
finite-gradient check's read of one flag, which waits for the step's kernels).
"""

from __future__ import annotations

import importlib.util
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from ..tasks.base import Budget, Task

#: ``benchmarks/overhead.py`` of the repository this package lives in.
OVERHEAD_SCRIPT = Path(__file__).resolve().parents[4] / "benchmarks" / "overhead.py"
#: lockstep steps of each of the two warm-ups before the measurement (kernels, autotuning).
WARMUP_STEPS = 20


def load_overhead_module(path: Path = OVERHEAD_SCRIPT) -> ModuleType:
    """``benchmarks/overhead.py``, loaded from its file (its sides synchronise a CUDA device
    around each timed step themselves: ``_Side.synchronize``)."""
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: the GPU check runs from the repository")
    spec = importlib.util.spec_from_file_location("lrtuner_gpu_overhead", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    return module


def measure_overhead(
    module: ModuleType,
    task: Task,
    data: Any,
    budget: Budget,
    steps: int,
    seeds: list[int],
    control: bool = True,
    fits: Callable[[float], bool] | None = None,
) -> dict[str, Any]:
    """One row of the overhead table: lockstep plain/tuned/plain-again on every seed.

    The fields are those of ``benchmarks/overhead.py``'s ``measure`` (so its ``to_markdown``
    prints them), plus ``plain_ms_per_step`` (mean over seeds of the plain side's time per step)
    and ``warmup_s``. ``fits(seconds_per_step)``: asked after two warm-ups with the second's
    plain time per step; when it answers False the measurement is not made and the row is
    ``{"status": "skipped", ...}``.
    """
    if steps <= 0:
        raise ValueError(f"Invalid steps: {steps}")
    if not seeds:
        raise ValueError("Invalid seeds: empty")
    options = module.CONFIGS["defaults"]
    n = min(steps, WARMUP_STEPS)
    t0 = time.perf_counter()
    module._lockstep(task, data, budget, n, 0, options, False)  # first calls, autotuning
    warm = module._lockstep(task, data, budget, n, 0, options, False)  # warm: the estimate
    warmup_s = time.perf_counter() - t0
    per_step = warm["plain_seconds"] / n
    if fits is not None and not fits(per_step):
        return {
            "task": task.name,
            "status": "skipped",
            "reason": f"{per_step * 1000:.1f} ms per plain step: would pass the deadline",
            "warmup_s": warmup_s,
        }
    runs = [module._lockstep(task, data, budget, steps, s, options, control) for s in seeds]
    fits = sum(r["fits"] for r in runs)
    fit_forwards = sum(sum(r["fit_forward_passes"]) for r in runs)
    return {
        "task": task.name,
        "config": "defaults",
        "tuner_options": options,
        "steps": steps,
        "batch_size": budget.batch_size,
        "seeds": seeds,
        "control": control,
        "timer": "torch.cuda.synchronize() around each step, time.perf_counter()",
        "status": "ok",
        "runs": runs,
        "wallclock_ratio": statistics.mean(r["wallclock_ratio"] for r in runs),
        "in_run_ratio": statistics.mean(r["in_run_ratio"] for r in runs),
        "fits": fits / len(runs),
        "probe_forwards_per_fit": fit_forwards / fits if fits else 0.0,
        "seed_search_forwards": statistics.mean(r["search_forward_passes"] for r in runs),
        "probe_forwards_per_step": statistics.mean(r["probe_forward_passes"] for r in runs) / steps,
        "paper_forwards_per_fit": 500,
        "plain_ms_per_step": 1000 * statistics.mean(r["plain_seconds"] for r in runs) / steps,
        "warmup_s": warmup_s,
    }
