"""Runs a benchmark: for each task the baseline's LR grid, then every method on every seed.

Layout of an output folder::

    OUT/profile-<profile>.json             the profile: budgets, method configs, versions
    OUT/runs/<task>/baseline-grid/lr<LR>_seed<S>.json
    OUT/runs/<task>/calibration-grid/lr<LR>_seed<S>.json   development tasks, warmup + cosine
    OUT/runs/<task>/<method>/seed<S>.json
    OUT/runs/<task>/lrtuner/seed<S>.history.jsonl   LRTuner's decisions, one JSON per line

A run JSON holds its config, the curves (per evaluation point and a strided per-step trace),
the final and best metric, forward passes (probes and range tests included), wall-clock, peak
memory, the status (``ok``, ``diverged``, ``failed`` with the error) and the time to reach
the tuned baseline's final metric.

Resuming: a stored run whose config matches is not trained again, so a stopped benchmark
picks up where it stopped; a stored ``failed`` run is trained again unless ``keep_failed``
(a ``diverged`` run is a result and is kept). Each run is written as soon as it finishes.
With ``jobs > 1`` the tasks are shared out to that many worker processes (the most expensive
first), each task's runs staying in one process.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import math
import os
import platform
import random
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lrtuner import __version__ as LIBRARY_VERSION
from lrtuner.extras import require_extra

from . import acceptance, calibration, schedules, targets
from .methods import (
    LRTUNER_OPTIONS,
    Method,
    MethodContext,
    MethodRun,
    MethodUnavailableError,
    ScheduledRun,
    needs_peak,
    parse_methods,
    resolve_method,
    seed_lr_base,
)
from .tasks import Task, get_task
from .tasks.base import Budget, forever

SCHEMA_VERSION = 1
#: consecutive non-finite training losses after which a run is declared diverged.
DIVERGENCE_STREAK = 10
#: most points kept in the per-step loss/LR trace of a run.
MAX_TRACE_POINTS = 1000
#: how many times the baseline grid is extended by one point beyond an edge that is best.
MAX_GRID_EXTENSIONS = 3
CALIBRATION_GRID = "calibration-grid"
_VERSIONED = (
    "torch",
    "numpy",
    "lrtuner",
    "prodigyopt",
    "dadaptation",
    "schedulefree",
    "dog-optimizer",
    "torch-lr-finder",
    "prodigy-plus-schedule-free",
    "mechanic-pytorch",
    "transformers",
    "scikit-learn",
)


# --------------------------------------------------------------------------- memory


class PeakMemory:
    """Peak resident memory of this process while the context is open.

    A background thread samples ``/proc/self/statm`` every 20 ms (torch's CPU allocations are
    invisible to ``tracemalloc``); where that file does not exist, ``resource``'s lifetime
    ``ru_maxrss`` is used instead. ``delta_mb`` is the peak minus the RSS at entry.
    """

    def __init__(self, interval_s: float = 0.02) -> None:
        self.interval_s = interval_s
        self.start_mb = 0.0
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @staticmethod
    def rss_mb() -> float:
        try:
            with open("/proc/self/statm") as fh:
                pages = int(fh.read().split()[1])
            return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
        except (OSError, ValueError, IndexError):
            import resource

            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def _sample(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.peak_mb = max(self.peak_mb, self.rss_mb())

    def __enter__(self) -> PeakMemory:
        self.start_mb = self.peak_mb = self.rss_mb()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.peak_mb = max(self.peak_mb, self.rss_mb())

    @property
    def delta_mb(self) -> float:
        return self.peak_mb - self.start_mb


def _tensor_mb(obj: Any) -> float:
    """Megabytes of all tensors inside nested containers."""
    if isinstance(obj, torch.Tensor):
        return obj.numel() * obj.element_size() / 2**20
    if isinstance(obj, dict):
        return sum(_tensor_mb(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(_tensor_mb(v) for v in obj)
    return 0.0


# --------------------------------------------------------------------------- one run


def warm_up() -> None:
    """Pay torch's one-off lazy imports (optimizers, autograd) before any run is timed."""
    p = torch.nn.Parameter(torch.zeros(2))
    for cls in (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW):
        opt = cls([p], lr=1e-3)
        p.sum().backward()
        opt.step()
        opt.zero_grad()


def resolve_device(spec: str) -> torch.device:
    """``"auto"`` (CUDA when available, else CPU), ``"cpu"``, ``"cuda"`` or ``"cuda:N"``."""
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(spec)
    except RuntimeError:
        raise ValueError(f"Invalid device: {spec!r}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"Invalid device: {spec!r} (CUDA is not available)")
    return device


def move_data(data: Any, device: torch.device) -> Any:
    """A task's data dataclass with every tensor (also inside dicts) moved to ``device``."""
    if device.type == "cpu" or not dataclasses.is_dataclass(data):
        return data
    changes = {}
    for f in dataclasses.fields(data):
        value = getattr(data, f.name)
        if isinstance(value, torch.Tensor):
            changes[f.name] = value.to(device)
        elif isinstance(value, dict) and all(isinstance(v, torch.Tensor) for v in value.values()):
            changes[f.name] = {k: v.to(device) for k, v in value.items()}
    return dataclasses.replace(data, **changes)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def eval_steps(total: int, num_evals: int) -> list[int]:
    """1-based step counts after which to evaluate: evenly spaced, the last one is ``total``."""
    n = max(1, min(num_evals, total))
    return sorted({round(total * (i + 1) / n) for i in range(n)})


def _make_calibration_grid_run(ctx: MethodContext) -> MethodRun:
    """One calibration-grid run: the task's optimizer, warmup + cosine from the grid LR."""
    if ctx.peak_lr is None:
        raise ValueError("Invalid peak_lr: None (a calibration-grid run needs its grid LR)")
    opt = ctx.task.make_optimizer(ctx.model.parameters(), ctx.peak_lr)
    return ScheduledRun(ctx.model, opt, ctx.peak_lr, schedules.warmup_cosine, ctx.total_steps)


#: run kinds the runner makes itself (not user-facing methods).
_INTERNAL = {
    CALIBRATION_GRID: Method(
        CALIBRATION_GRID, _make_calibration_grid_run, True, "warmup + cosine at a grid LR"
    )
}


def _resolve(method: str) -> tuple[Method, float]:
    if method in _INTERNAL:
        return _INTERNAL[method], 1.0
    return resolve_method(method)


def run_config(
    task: Task, method: str, budget: Budget, profile: str, seed: int, peak_lr: float | None
) -> dict[str, Any]:
    """The config stored with a run; a stored run is reused only when this matches."""
    entry, scale = _resolve(method)
    peak_relative = method not in _INTERNAL and seed_lr_base(method) == "peak"
    uses_peak = entry.needs_peak or peak_relative
    if peak_relative:
        seed_lr = peak_lr * scale if peak_lr is not None else None
    else:
        seed_lr = task.seed_lr * scale
    return {
        "task": task.config(),
        "budget": budget.to_dict(),
        "profile": profile,
        "seed": seed,
        "method": {
            "name": method,
            "description": entry.description,
            "peak_lr": peak_lr if uses_peak else None,
            "seed_lr": seed_lr,
            "seed_lr_scale": scale,
            "seed_lr_base": "peak" if peak_relative else "seed",
            **(
                {"calibrated_lr": calibration.calibrated_lr_or_none(profile, task.family)}
                if entry.name == "calibrated"
                else {}
            ),
            "options": LRTUNER_OPTIONS.get(profile, {}) if entry.name == "lrtuner" else {},
            # a stored LRTuner run is reused only if it was made by this version of the library
            **({"library_version": LIBRARY_VERSION} if entry.name == "lrtuner" else {}),
        },
    }


def train_one(
    task: Task,
    method: str,
    data: Any,
    budget: Budget,
    seed: int,
    profile: str,
    peak_lr: float | None = None,
    on_step: Callable[[int], None] | None = None,
    device: torch.device | str = "cpu",
) -> dict[str, Any]:
    """Train one model with one method for ``budget.steps`` steps and return its run record.

    Failures never escape: a missing package or an exception gives ``status="failed"`` with
    the error; ``DIVERGENCE_STREAK`` non-finite losses in a row or a non-finite metric give
    ``status="diverged"``. Both are results.
    """
    device = torch.device(device)
    result: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "device": str(device),
        "task": task.name,
        "method": method,
        "seed": seed,
        "profile": profile,
        "config": run_config(task, method, budget, profile, seed, peak_lr),
        "metric": task.metric,
        "higher_is_better": task.higher_is_better,
        "status": "ok",
        "error": None,
    }
    try:
        with PeakMemory() as mem:
            _train(task, method, data, budget, seed, profile, peak_lr, result, on_step, device)
    except MethodUnavailableError as exc:
        result.update(status="failed", error=str(exc))
    except Exception as exc:
        result.update(
            status="failed",
            error=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(limit=8),
        )
    else:
        result["memory"] = {
            "peak_rss_mb": round(mem.peak_mb, 1),
            "peak_rss_delta_mb": round(mem.delta_mb, 1),
            **result.get("memory", {}),
        }
    result.setdefault("final_metric", None)
    result.setdefault("best_metric", None)
    return result


def _train(
    task: Task,
    method: str,
    data: Any,
    budget: Budget,
    seed: int,
    profile: str,
    peak_lr: float | None,
    result: dict[str, Any],
    on_step: Callable[[int], None] | None,
    device: torch.device,
) -> None:
    seed_everything(seed)
    model = task.build_model(data).to(device)
    model.train()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    entry, scale = _resolve(method)
    base = "seed" if method in _INTERNAL else seed_lr_base(method)
    ctx = MethodContext(task, model, data, budget, seed, peak_lr, profile, scale, base)
    t_setup = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # peers print banners and range-test news
        run: MethodRun = entry.factory(ctx)
    setup_s = time.perf_counter() - t_setup

    total = budget.steps
    evals = set(eval_steps(total, budget.num_evals))
    stride = max(1, math.ceil(total / MAX_TRACE_POINTS))
    batches = forever(
        task.train_batches(data, budget.batch_size, torch.Generator().manual_seed(seed))
    )
    curves: list[dict[str, Any]] = []
    loss_trace: list[float | None] = []
    lr_trace: list[float] = []
    window: list[float] = []
    loop_s = eval_s = 0.0
    streak = nonfinite = steps_run = 0
    status = "ok"
    for step in range(total):
        t0 = time.perf_counter()
        inputs, targets_ = next(batches)
        run.before_step(step)
        lr = run.current_lr()
        loss = task.loss(model(inputs), targets_)
        value = float(loss.detach())
        finite = math.isfinite(value)
        if finite or run.handles_nonfinite:
            run.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            run.step(loss)
        loop_s += time.perf_counter() - t0
        steps_run += 1
        if on_step is not None:
            on_step(1)
        if step % stride == 0:
            loss_trace.append(value if finite else None)
            lr_trace.append(lr)
        if finite:
            streak = 0
            window.append(value)
        else:
            streak += 1
            nonfinite += 1
            if streak >= DIVERGENCE_STREAK:
                status = "diverged"
                break
        if step + 1 in evals:
            t0 = time.perf_counter()
            with run.evaluation() as eval_model:
                metrics = task.evaluate(eval_model, data)
            eval_s += time.perf_counter() - t0
            metric = metrics[task.metric]
            curves.append(
                {
                    "step": step + 1,
                    "metric": metric,
                    "metrics": metrics,
                    "train_loss": float(np.mean(window)) if window else None,
                    "lr": run.current_lr(),
                    "wall_clock_s": setup_s + loop_s,
                    "forward_passes": steps_run
                    + run.probe_forward_passes()
                    + run.extra_forward_passes,
                }
            )
            window = []
            if not math.isfinite(metric):
                status = "diverged"
                break
    if on_step is not None and steps_run < total:
        on_step(total - steps_run)

    probe = run.probe_forward_passes()
    extra = run.extra_forward_passes
    finals = [c["metric"] for c in curves if math.isfinite(c["metric"])]
    best = None
    if finals:
        best = max(finals) if task.higher_is_better else min(finals)
    result.update(
        status=status,
        steps_run=steps_run,
        nonfinite_losses=nonfinite,
        extra_train_steps=run.extra_train_steps,
        final=curves[-1]["metrics"] if curves and status == "ok" else None,
        final_metric=curves[-1]["metric"] if curves and status == "ok" else None,
        best_metric=best,
        final_lr=run.current_lr(),
        curves={"eval": curves, "step": {"every": stride, "loss": loss_trace, "lr": lr_trace}},
        forward_passes={
            "train": steps_run,
            "probe": probe,
            # the seed searches' share of "probe", every attempt (LRTuner only; 0 without)
            "seed_search": acceptance.search_forward_passes(run.history() or []),
            "extra": extra,
            "total": steps_run + probe + extra,
            "extra_per_step": (probe + extra) / max(1, steps_run),
        },
        wall_clock={
            "setup_s": setup_s,
            "loop_s": loop_s,
            "train_s": setup_s + loop_s,
            "eval_s": eval_s,
        },
        memory={
            "optimizer_state_mb": round(_tensor_mb(run.optimizer.state_dict()["state"]), 2),
            **(
                {"cuda_peak_mb": round(torch.cuda.max_memory_allocated(device) / 2**20, 1)}
                if device.type == "cuda"
                else {}
            ),
        },
        method_info=run.info,
        tuner_stats=run.stats(),
    )
    history = run.history()
    if history is not None:
        result["history"] = history


# --------------------------------------------------------------------------- files


def _json_default(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    if isinstance(obj, torch.Tensor):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    return repr(obj)


def write_json(path: Path, obj: Any) -> None:
    """Write JSON atomically (a killed run never leaves half a file).

    The temporary name carries the process id, so several ``bench run`` processes sharing one
    output folder (one per task, say) never rename each other's file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f"{path.suffix}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(obj, indent=1, default=_json_default, allow_nan=True))
    tmp.replace(path)


def save_run(path: Path, result: dict[str, Any]) -> None:
    """Store a run; LRTuner's decision history also goes to ``<seed>.history.jsonl``."""
    history = result.pop("history", None)
    if history is not None:
        hist_path = path.with_name(path.stem + ".history.jsonl")
        hist_path.parent.mkdir(parents=True, exist_ok=True)
        with open(hist_path, "w") as fh:
            for record in history:
                fh.write(json.dumps(record, default=_json_default) + "\n")
        result["history_file"] = hist_path.name
        result["num_decisions"] = len(history)
    write_json(path, result)


def load_run(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


# --------------------------------------------------------------------------- orchestration


def parse_seeds(spec: str) -> list[int]:
    """``"0,1,2"`` -> ``[0, 1, 2]``; ``ValueError`` naming ``seeds`` on bad input."""
    try:
        seeds = [int(s) for s in spec.split(",") if s.strip()]
    except ValueError:
        raise ValueError(f"Invalid seeds: {spec!r} (expected comma-separated integers)") from None
    if not seeds or any(s < 0 for s in seeds):
        raise ValueError(f"Invalid seeds: {spec!r} (expected non-negative integers)")
    return list(dict.fromkeys(seeds))


def parse_tasks(spec: str) -> list[str]:
    """A comma list of task names or groups (``all``, ``core``, ``development``,
    ``validation``); ``ValueError`` naming ``task`` otherwise."""
    from .tasks import CORE, DEVELOPMENT, TASKS, VALIDATION

    names = [s.strip() for s in spec.split(",") if s.strip()]
    if not names:
        raise ValueError(f"Invalid task: {spec!r}")
    groups = {
        "all": tuple(TASKS),
        "core": CORE,
        "development": DEVELOPMENT,
        "validation": VALIDATION,
    }
    out: list[str] = []
    for name in names:
        if name in groups:
            out.extend(groups[name])
        else:
            get_task(name)  # raises ValueError naming the task
            out.append(name)
    return list(dict.fromkeys(out))


def effective_budget(task: Task, profile: str, steps: int | None) -> Budget:
    budget = task.budget(profile)
    if steps is not None:
        if steps <= 0:
            raise ValueError(f"Invalid steps: {steps} (must be positive)")
        budget = dataclasses.replace(budget, steps=steps, num_evals=min(budget.num_evals, steps))
    return budget


def extended_grid_point(grid: Sequence[float], side: str) -> float:
    """The next LR beyond the ``"low"`` or ``"high"`` edge of a sorted grid, at the spacing of
    the two outermost points on that side (3 significant digits): ``(0.01, 0.0316)`` extends
    low to 0.00316, ``(0.03, 0.1, 0.3)`` high to 1."""
    pts = sorted(grid)
    if len(pts) < 2:
        raise ValueError(f"Invalid grid: {grid} (needs at least 2 points to extend)")
    if side == "low":
        return float(f"{pts[0] * pts[0] / pts[1]:.3g}")
    if side == "high":
        return float(f"{pts[-1] * pts[-1] / pts[-2]:.3g}")
    raise ValueError(f"Invalid side: {side!r} (low or high)")


def edge_of_best(grid: Sequence[float], best: float) -> str | None:
    """``"low"``/``"high"`` when ``best`` is the smallest/largest grid point, else ``None``."""
    pts = sorted(grid)
    if best == pts[0]:
        return "low"
    if best == pts[-1]:
        return "high"
    return None


class Benchmark:
    """One ``lrtuner-bench run``: tasks x methods x seeds in a profile, into ``out``."""

    def __init__(
        self,
        tasks: Sequence[str],
        methods: Sequence[str],
        seeds: Sequence[int],
        profile: str,
        out: str | Path,
        data_dir: str | None = None,
        steps: int | None = None,
        progress: bool = True,
        threads: int = 1,
        device: str = "cpu",
        jobs: int = 1,
        keep_failed: bool = False,
        log: bool = False,
    ) -> None:
        if threads <= 0:
            raise ValueError(f"Invalid threads: {threads}")
        if jobs <= 0:
            raise ValueError(f"Invalid jobs: {jobs} (must be positive)")
        self.tasks = [get_task(t) for t in tasks]
        self.methods = [m for m in parse_methods(",".join(methods)) if m != "baseline"]
        self.seeds = list(seeds)
        if not self.seeds:
            raise ValueError("Invalid seeds: empty")
        self.profile = profile
        for task in self.tasks:
            task.budget(profile)  # ValueError naming the profile
        self.out = Path(out)
        self.data_dir = data_dir
        self.steps = steps
        self.progress = progress
        self.threads = threads
        self.device_spec = device
        self.device = resolve_device(device)
        self.jobs = jobs
        self.keep_failed = keep_failed
        self.log = log
        self._bar: Any = None

    # -- planning
    def budget(self, task: Task) -> Budget:
        return effective_budget(task, self.profile, self.steps)

    def grid_seeds(self, task: Task) -> list[int]:
        n = self.budget(task).grid_seeds
        return self.seeds if n is None else self.seeds[:n]

    def calibrates(self, task: Task) -> bool:
        """Whether this run trains the task's calibration grid (development tasks, when the
        calibrated method is asked for)."""
        return "calibrated" in self.methods and task.split == "development"

    def calibration_points(self, task: Task) -> list[tuple[float, int]]:
        """``(lr, seed)`` of the task's calibration grid."""
        if not self.calibrates(task):
            return []
        grid = calibration.FAMILY_GRIDS.get(task.family, ())
        return [(lr, s) for lr in grid for s in self.seeds[: calibration.CALIBRATION_SEEDS]]

    def planned_runs(self, task: Task) -> int:
        """Runs of one task before any grid extension (reused grid runs not counted twice)."""
        grid_seeds = self.grid_seeds(task)
        grid = task.grid(self.profile)
        n = len(grid) * len(grid_seeds) + len(self.seeds) - len(grid_seeds)
        n += len(self.methods) * len(self.seeds)
        reused = task.baseline_schedule_name == "warmup-cosine"
        n += sum(
            1
            for lr, s in self.calibration_points(task)
            if not (reused and any(math.isclose(lr, g) for g in grid) and s in grid_seeds)
        )
        return n

    def planned_steps(self) -> int:
        return sum(self.planned_runs(t) * self.budget(t).steps for t in self.tasks)

    def planned_cpu_s(self, task: Task) -> float:
        """Planned single-thread CPU seconds of a task from its measured ms per step."""
        return self.planned_runs(task) * self.budget(task).steps * task.long_ms_per_step / 1e3

    def profile_record(self) -> dict[str, Any]:
        from . import methods as methods_module
        from .tasks import split_of

        return {
            "profile": self.profile,
            "seeds": self.seeds,
            "steps_override": self.steps,
            "threads": self.threads,
            "device": str(self.device),
            "tasks": {
                t.name: {
                    **t.config(),
                    "split": split_of(t.name),
                    "split_reason": t.split_reason,
                    "budget": self.budget(t).to_dict(),
                }
                for t in self.tasks
            },
            "methods": {
                name: {
                    "description": resolve_method(name)[0].description,
                    "needs_tuned_peak": needs_peak(name),
                    "seed_lr_scale": resolve_method(name)[1],
                    "seed_lr_base": seed_lr_base(name),
                }
                for name in ["baseline", *self.methods]
            },
            "method_constants": {
                "lrtuner_options": methods_module.LRTUNER_OPTIONS.get(self.profile, {}),
                "knee_explore": methods_module.KNEE_EXPLORE,
                "schedulefree_warmup": methods_module.SCHEDULEFREE_WARMUP,
                "bn_recalibration_batches": methods_module.BN_RECALIBRATION_BATCHES,
                "range_test": [
                    methods_module.RANGE_TEST_START_LR,
                    methods_module.RANGE_TEST_END_LR,
                ],
                "max_grid_extensions": MAX_GRID_EXTENSIONS,
                "calibration_grids": {k: list(v) for k, v in calibration.FAMILY_GRIDS.items()},
                "calibration_seeds": calibration.CALIBRATION_SEEDS,
                "calibration": calibration.load_calibration()["profiles"].get(self.profile, {}),
            },
            "versions": package_versions(),
            "host": {"machine": platform.machine(), "cpus": os.cpu_count()},
        }

    def merged_profile_record(self) -> dict[str, Any]:
        """:meth:`profile_record`, keeping the tasks and methods an earlier run of the same
        profile recorded in the folder (a run of some tasks must not drop the others')."""
        record = self.profile_record()
        path = self.out / f"profile-{self.profile}.json"
        if path.exists():
            earlier = json.loads(path.read_text())
            for key in ("tasks", "methods"):
                record[key] = {**earlier.get(key, {}), **record[key]}
        return record

    # -- running
    def _reusable(self, stored: dict[str, Any] | None, config: dict[str, Any]) -> bool:
        if stored is None or stored.get("config") != config:
            return False
        return self.keep_failed or stored.get("status") != "failed"

    def _run(
        self, path: Path, task: Task, method: str, data: Any, seed: int, peak_lr: float | None
    ) -> dict[str, Any]:
        budget = self.budget(task)
        stored = load_run(path) if path.exists() else None
        config = json.loads(
            json.dumps(
                run_config(task, method, budget, self.profile, seed, peak_lr), default=_json_default
            )
        )
        if self._reusable(stored, config):
            if self._bar is not None:
                self._bar.update(budget.steps)
            return stored  # type: ignore[return-value]
        if self._bar is not None:
            self._bar.set_description(f"{task.name} {method} s{seed}")
        on_step = self._bar.update if self._bar is not None else None
        result = train_one(
            task, method, data, budget, seed, self.profile, peak_lr, on_step, self.device
        )
        save_run(path, result)
        if self.log:
            self._log_run(path, result)
        return result

    def _log_run(self, path: Path, result: dict[str, Any]) -> None:
        wall = result.get("wall_clock", {}).get("train_s")
        metric = result.get("final_metric")
        print(
            f"{time.strftime('%H:%M:%S')} {result['task']} {path.parent.name}/{path.stem} "
            f"{result['status']} {result['metric']}="
            f"{'-' if metric is None else f'{metric:.4f}'} "
            f"{'' if wall is None else f'{wall:.1f}s'}"
            f"{'' if not result.get('error') else ' ' + str(result['error'])[:200]}",
            flush=True,
        )

    def run(self) -> Path:
        """Run everything; returns the output folder."""
        torch.set_num_threads(self.threads)
        self.out.mkdir(parents=True, exist_ok=True)
        write_json(self.out / f"profile-{self.profile}.json", self.merged_profile_record())
        if self.jobs > 1 and len(self.tasks) > 1:
            self._run_parallel()
            return self.out
        warm_up()
        if self.progress:
            require_extra("tqdm", "bench", "the benchmark's progress bar (or --no-progress)")
            from tqdm.auto import tqdm

            self._bar = tqdm(total=self.planned_steps(), unit="step", dynamic_ncols=True)
        try:
            for task in self.tasks:
                self._run_task(task)
        finally:
            if self._bar is not None:
                self._bar.close()
                self._bar = None
        return self.out

    def worker_kwargs(self, task: str) -> dict[str, Any]:
        """Arguments of the one-task benchmark a worker process runs."""
        return {
            "tasks": [task],
            "methods": self.methods,
            "seeds": self.seeds,
            "profile": self.profile,
            "out": str(self.out),
            "data_dir": self.data_dir,
            "steps": self.steps,
            "progress": False,
            "threads": self.threads,
            "device": self.device_spec,
            "jobs": 1,
            "keep_failed": self.keep_failed,
            "log": True,
        }

    def _run_parallel(self) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        order = sorted(self.tasks, key=self.planned_cpu_s, reverse=True)
        context = multiprocessing.get_context("spawn")  # no forked torch thread pools
        with ProcessPoolExecutor(max_workers=self.jobs, mp_context=context) as pool:
            futures = {pool.submit(_run_worker, self.worker_kwargs(t.name)): t.name for t in order}
            for future in as_completed(futures):
                future.result()
                print(f"{time.strftime('%H:%M:%S')} task {futures[future]} done", flush=True)

    def _grid(self, task: Task, data: Any, root: Path) -> dict[tuple[float, int], dict]:
        """The baseline's grid runs, extended beyond an edge while that edge is best."""
        grid = sorted(task.grid(self.profile))
        runs: dict[tuple[float, int], dict] = {}
        for _ in range(MAX_GRID_EXTENSIONS + 1):
            for lr in grid:
                for seed in self.grid_seeds(task):
                    if (lr, seed) not in runs:
                        runs[(lr, seed)] = self._run(
                            root / "baseline-grid" / f"lr{lr:g}_seed{seed}.json",
                            task,
                            "baseline",
                            data,
                            seed,
                            lr,
                        )
            best, _ = targets.choose_best_lr(runs.values(), task.higher_is_better)
            side = edge_of_best(grid, best)
            if side is None:
                break
            grid = sorted([*grid, extended_grid_point(grid, side)])
        return runs

    def _calibration_grid(
        self, task: Task, data: Any, root: Path, grid: dict[tuple[float, int], dict]
    ) -> None:
        reuse = task.baseline_schedule_name == "warmup-cosine"
        for lr, seed in self.calibration_points(task):
            path = root / CALIBRATION_GRID / f"lr{lr:g}_seed{seed}.json"
            match = next(
                (r for (g, s), r in grid.items() if s == seed and math.isclose(g, lr)), None
            )
            if reuse and match is not None:  # the baseline grid already trained this run
                save_run(path, dict(match))
            else:
                self._run(path, task, CALIBRATION_GRID, data, seed, lr)

    def _run_task(self, task: Task) -> None:
        budget = self.budget(task)
        data = move_data(task.load(budget, self.data_dir), self.device)
        root = self.out / "runs" / task.name
        grid = self._grid(task, data, root)
        best_lr, summary = targets.choose_best_lr(grid.values(), task.higher_is_better)
        write_json(
            root / "baseline-grid" / "grid.json",
            {"chosen_lr": best_lr, "per_lr": {f"{k:g}": v for k, v in summary.items()}},
        )
        self._calibration_grid(task, data, root, grid)
        runs: dict[tuple[str, int], tuple[Path, dict[str, Any]]] = {}
        for seed in self.seeds:
            path = root / "baseline" / f"seed{seed}.json"
            if (best_lr, seed) in grid:  # the grid already trained this exact run
                result = dict(grid[(best_lr, seed)])
                save_run(path, result)
            else:
                result = self._run(path, task, "baseline", data, seed, best_lr)
            runs[("baseline", seed)] = (path, result)
        target = targets.target_value(r for (m, _), (_, r) in runs.items() if m == "baseline")
        for method in self.methods:
            for seed in self.seeds:
                path = root / method / f"seed{seed}.json"
                peak = best_lr if needs_peak(method) else None
                runs[(method, seed)] = (path, self._run(path, task, method, data, seed, peak))
        for path, result in runs.values():
            result["target"] = targets.time_to_target(result, target, task.higher_is_better)
            result["tuned_peak_lr"] = best_lr
            write_json(path, result)


def _run_worker(kwargs: dict[str, Any]) -> str:
    """Entry point of a ``--jobs`` worker process: one task's benchmark."""
    bench = Benchmark(**kwargs)
    torch.set_num_threads(bench.threads)
    warm_up()
    bench.out.mkdir(parents=True, exist_ok=True)
    for task in bench.tasks:
        bench._run_task(task)
    return kwargs["tasks"][0]
