"""The GPU check's driver: overhead, then every method on both tasks, within a hard deadline.

    python -m lrtuner_bench.gpu check --out DIR            # the GPU profile (needs CUDA)
    python -m lrtuner_bench.gpu check --smoke --out DIR    # the same check, tiny, on the CPU
    python -m lrtuner_bench.gpu prepare --carry .gpu-carry # build the folder that travels

Order of the work (most important first; see :mod:`.plan`):

1. the overhead of LRTuner on each task, alone on the device: plain, tuned and plain-again
   training in lockstep for ``--overhead-steps`` steps (:mod:`.timing`);
2. the quality runs, ``--workers`` at a time on the same device (each a process of its own, so
   their kernel launches overlap): the baseline's grid, LRTuner from the seed LR x1 and x0.01,
   Knee, Schedule-Free, Prodigy, seed 0 and then the other seeds.

Deadline: ``--budget-s`` seconds after the start. A part or run whose estimate passes it is
not started and is recorded as ``skipped``; a run still going at the deadline is stopped and
recorded as ``cut`` with the steps it made. Each run's record is appended to ``results.jsonl``
when it ends, so whatever stops the check keeps what it finished.

The output folder holds at most these files: ``env.json`` (device, versions, command, timing),
``overhead.json``, ``results.jsonl``, ``summary.md`` and ``log.txt``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import torch

from ..runner import _json_default, package_versions, resolve_device, train_one, warm_up
from ..tasks.base import Task
from . import plan as plan_mod
from .carry import DEFAULT_CARRY, prepare_carry
from .summary import write_summary
from .tasks import make_task
from .timing import load_overhead_module, measure_overhead

#: the tasks, the longer first.
TASKS = ("shakespeare-gpt10m", "fmnist-resnet")
#: output files (the device returns at most 8).
OUTPUT_FILES = ("env.json", "overhead.json", "results.jsonl", "summary.md", "log.txt")
#: seconds past the deadline a stopped run may take to end before the workers are killed.
GRACE_S = 20.0
DEFAULTS = {
    # profile: budget s, overhead steps, workers
    "gpu": {"budget_s": 270.0, "overhead_steps": 3000, "workers": 4},
    "smoke": {"budget_s": 150.0, "overhead_steps": 6, "workers": 2},
}


class DeadlineReachedError(RuntimeError):
    """Raised between two steps of a run once the check's deadline has passed."""


class Log:
    """Lines to stdout and to ``log.txt``, each stamped with seconds since the start."""

    def __init__(self, path: Path, start: float) -> None:
        self.path = path
        self.start = start

    def __call__(self, message: str) -> None:
        line = f"[{time.time() - self.start:7.1f} s] {message}"
        print(line, flush=True)
        with open(self.path, "a") as fh:
            fh.write(line + "\n")


# --------------------------------------------------------------------------- workers

_CACHE: dict[str, tuple[Task, Any]] = {}


def _configure(device: torch.device, threads: int) -> None:
    torch.set_num_threads(threads)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.set_float32_matmul_precision("high")


def _task_and_data(name: str, setup: dict[str, Any]) -> tuple[Task, Any]:
    if name not in _CACHE:
        task = make_task(name, setup["device"], setup["data_dir"])
        _CACHE[name] = (task, task.load(task.budget(setup["profile"])))
    return _CACHE[name]


def init_worker(setup: dict[str, Any]) -> None:
    """A worker process: threads, cuDNN autotuning, lazy imports paid, data loaded once."""
    _configure(torch.device(setup["device"]), setup["threads"])
    warm_up()
    for name in setup["tasks"]:
        _task_and_data(name, setup)


def run_one(spec: dict[str, Any], peak_lr: float | None, setup: dict[str, Any]) -> dict[str, Any]:
    """Train one run of the plan (in a worker, or in the driver without workers)."""
    task, data = _task_and_data(spec["task"], setup)
    budget = task.budget(setup["profile"])
    deadline = setup["deadline"]

    def on_step(_n: int) -> None:
        if time.time() > deadline:
            raise DeadlineReachedError("the check's deadline passed")

    started = time.time()
    result = train_one(
        task,
        spec["method"],
        data,
        budget,
        spec["seed"],
        setup["profile"],
        peak_lr=peak_lr,
        on_step=on_step,
        device=task.device,
    )
    if result["status"] == "failed" and DeadlineReachedError.__name__ in (result["error"] or ""):
        result["status"] = "cut"
    result.update(
        key=spec["key"],
        grid=spec["grid"],
        peak_lr=peak_lr,
        started_s=started - setup["start"],
        ended_s=time.time() - setup["start"],
        pid=os.getpid(),
    )
    return result


# --------------------------------------------------------------------------- driver


def environment(device: torch.device, args: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
    """Device, versions and the command, for ``env.json``."""
    env: dict[str, Any] = {
        "command": "python -m lrtuner_bench.gpu check " + " ".join(argv),
        "device": str(device),
        "device_name": platform.processor() or platform.machine(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "profile": args.profile,
        "budget_s": args.budget_s,
        "workers": args.workers,
        "seeds": args.seeds,
        "tasks": args.tasks,
        "packages": package_versions(),
    }
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        env.update(
            device_name=props.name,
            device_memory_gib=round(props.total_memory / 2**30, 1),
            multiprocessors=props.multi_processor_count,
            cudnn=torch.backends.cudnn.version(),
        )
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
        if commit.returncode == 0:
            env["git_commit"] = commit.stdout.strip()
    return env


def _write_json(path: Path, obj: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=1, default=_json_default))
    tmp.replace(path)


def _append(path: Path, record: dict[str, Any]) -> None:
    with open(path, "a") as fh:
        fh.write(json.dumps(record, default=_json_default) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def run_overhead(
    args: argparse.Namespace,
    setup: dict[str, Any],
    out: Path,
    log: Log,
    step_s: dict[str, float],
) -> str | None:
    """The overhead part; returns its markdown tables. Updates ``step_s`` (seconds/step)."""
    module = load_overhead_module()
    rows: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    # the short task first: a slow device still gets one overhead figure
    for name in reversed(args.tasks):
        task, data = _task_and_data(name, setup)
        budget = task.budget(args.profile)
        sides = 3 * len(args.overhead_seeds)

        def fits(seconds_per_step: float, _sides: int = sides) -> bool:
            need = _sides * args.overhead_steps * seconds_per_step * plan_mod.TUNER_FACTOR
            return time.time() + need < setup["deadline"]

        log(f"overhead {name}: {args.overhead_steps} steps x 3 sides, seeds {args.overhead_seeds}")
        row = measure_overhead(
            module, task, data, budget, args.overhead_steps, args.overhead_seeds, fits=fits
        )
        if row.get("status") == "skipped":
            log(f"overhead {name}: skipped ({row['reason']})")
            skipped.append(row)
        else:
            rows.append(row)
            step_s[name] = row["plain_ms_per_step"] / 1000
            log(
                f"overhead {name}: wall-clock ratio {row['wallclock_ratio']:.4f}, A/A "
                f"{row['runs'][0]['control_ratio']:.4f}, plain {row['plain_ms_per_step']:.2f} "
                f"ms/step"
            )
        meta = {"device": setup["device"], "timer": "synchronised", "steps": args.overhead_steps}
        _write_json(out / "overhead.json", {"meta": meta, "rows": rows, "skipped": skipped})
    return module.to_markdown(rows) if rows else None


def run_quality(
    args: argparse.Namespace,
    setup: dict[str, Any],
    out: Path,
    log: Log,
    step_s: dict[str, float],
    pool: Any,
) -> list[dict[str, Any]]:
    """Every run of the plan that fits; returns the records written to ``results.jsonl``."""
    from .. import targets

    tasks = {name: _task_and_data(name, setup)[0] for name in args.tasks}
    grids = {name: t.lr_grid for name, t in tasks.items()}
    plan = plan_mod.build_plan(args.tasks, grids, args.seeds)
    concurrent = max(1, args.workers)
    slowdown = max(1.0, concurrent / plan_mod.ASSUMED_SPEEDUP)
    scheduler = plan_mod.Scheduler(
        plan,
        {n: t.budget(args.profile).steps for n, t in tasks.items()},
        {n: step_s[n] * slowdown for n in args.tasks},
        setup["deadline"],
    )
    results_path = out / "results.jsonl"
    records: list[dict[str, Any]] = []
    in_flight: dict[Any, tuple[plan_mod.RunSpec, float | None]] = {}
    peaks: dict[str, float | None] = {}

    def grid_open() -> set[str]:
        busy = [s for s, _ in in_flight.values()] + scheduler.pending
        return {s.task for s in busy if s.grid}

    def finish(spec: plan_mod.RunSpec, result: dict[str, Any]) -> None:
        records.append(result)
        _append(results_path, result)
        steps_run = result.get("steps_run") or 0
        loop_s = (result.get("wall_clock") or {}).get("loop_s")
        if result["status"] == "ok" and steps_run and loop_s:
            scheduler.observe(spec.task, loop_s / steps_run)
        log(
            f"{spec.key}: {result['status']} {result.get('final_metric')} "
            f"({(result.get('wall_clock') or {}).get('train_s', 0):.1f} s)"
        )
        if spec.grid and spec.task not in grid_open():
            grid = [
                r for r in records if r["task"] == spec.task and r.get("grid") and r.get("config")
            ]
            peaks[spec.task] = None
            if any(targets.is_ok(r) for r in grid):
                best, _ = targets.choose_best_lr(grid, tasks[spec.task].higher_is_better)
                peaks[spec.task] = best
            log(f"{spec.task}: tuned peak LR {peaks[spec.task]}")

    def failed(spec: plan_mod.RunSpec, peak: float | None, error: str) -> dict[str, Any]:
        return {
            **spec.to_dict(), "peak_lr": peak, "status": "failed", "error": error,
            "final_metric": None,
        }  # fmt: skip

    while True:
        for handle, (spec, peak) in list(in_flight.items()):
            if handle.ready():
                del in_flight[handle]
                try:
                    result = handle.get()
                except Exception as exc:  # a worker that broke outside train_one
                    result = failed(spec, peak, f"{type(exc).__name__}: {exc}")
                finish(spec, result)
        while len(in_flight) < concurrent:
            nxt = scheduler.next_run(time.time(), peaks, grid_open())
            if nxt is None:
                break
            spec, peak = nxt
            log(f"start {spec.key} (estimate {scheduler.estimate(spec):.0f} s)")
            if pool is None:
                finish(spec, run_one(spec.to_dict(), peak, setup))
            else:
                in_flight[pool.apply_async(run_one, (spec.to_dict(), peak, setup))] = (spec, peak)
        if not in_flight:
            break  # nothing runs, and nothing pending can start
        if time.time() > setup["deadline"] + GRACE_S:
            for spec, peak in in_flight.values():
                record = failed(spec, peak, "still running at the deadline")
                finish(spec, {**record, "status": "cut"})
            in_flight.clear()
            break
        time.sleep(0.05)
    scheduler.skip_rest("the check ended")
    for spec, reason in scheduler.skipped:
        record = {**spec.to_dict(), "status": "skipped", "error": reason, "final_metric": None}
        records.append(record)
        _append(results_path, record)
        log(f"{spec.key}: skipped ({reason})")
    return records


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m lrtuner_bench.gpu check")
    parser.add_argument("--out", default="bench-results/gpu", help="results folder")
    parser.add_argument("--device", default="auto", help="auto, cuda, cuda:N or cpu")
    parser.add_argument("--smoke", action="store_true", help="tiny models and steps (CPU test)")
    parser.add_argument("--budget-s", type=float, help="hard deadline, seconds after the start")
    parser.add_argument("--workers", type=int, help="concurrent quality runs (0: in this process)")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--overhead-steps", type=int)
    parser.add_argument("--overhead-seeds", default="0")
    parser.add_argument("--no-overhead", action="store_true")
    parser.add_argument("--no-quality", action="store_true")
    parser.add_argument("--data-dir", default=None, help=f"carry folder (default {DEFAULT_CARRY})")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process")
    args = parser.parse_args(argv)
    args.profile = "smoke" if args.smoke else "gpu"
    defaults = DEFAULTS[args.profile]
    args.budget_s = defaults["budget_s"] if args.budget_s is None else args.budget_s
    args.workers = defaults["workers"] if args.workers is None else args.workers
    if args.overhead_steps is None:
        args.overhead_steps = defaults["overhead_steps"]
    for name in ("budget_s", "overhead_steps"):
        if getattr(args, name) <= 0:
            raise ValueError(f"Invalid --{name.replace('_', '-')}: {getattr(args, name)}")
    if args.workers < 0:
        raise ValueError(f"Invalid --workers: {args.workers}")
    try:
        args.seeds = [int(s) for s in args.seeds.split(",")]
        args.overhead_seeds = [int(s) for s in args.overhead_seeds.split(",")]
    except ValueError:
        raise ValueError(f"Invalid --seeds: {args.seeds!r}") from None
    args.tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    for t in args.tasks:
        make_task(t)  # ValueError naming the task
    if args.data_dir is None and DEFAULT_CARRY.exists():
        args.data_dir = str(DEFAULT_CARRY)
    return args


def check(argv: list[str]) -> int:
    start = time.time()
    args = parse_args(argv)
    device = resolve_device(args.device)
    if args.profile == "gpu" and device.type != "cuda":
        raise ValueError(f"Invalid device: {device} (the GPU profile needs CUDA; use --smoke)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in OUTPUT_FILES:
        (out / name).unlink(missing_ok=True)
    log = Log(out / "log.txt", start)
    _configure(device, args.threads)
    setup = {
        "device": str(device),
        "data_dir": args.data_dir,
        "profile": args.profile,
        "tasks": args.tasks,
        "threads": args.threads,
        "start": start,
        "deadline": start + args.budget_s,
    }
    env = environment(device, args, argv)
    _write_json(out / "env.json", env)
    log(f"{env['device_name']} | torch {env['torch']} | {args.profile} | budget {args.budget_s} s")
    pool = None
    if args.workers > 0 and not args.no_quality:
        # spawn: a CUDA context cannot be forked; the workers load while the overhead runs
        ctx = multiprocessing.get_context("spawn")
        pool = ctx.Pool(args.workers, initializer=init_worker, initargs=(setup,))
    try:
        warm_up()
        step_s = {n: plan_mod.DEFAULT_STEP_S.get(n, 0.01) for n in args.tasks}
        overhead_md = None
        if not args.no_overhead:
            overhead_md = run_overhead(args, setup, out, log, step_s)
        records = [] if args.no_quality else run_quality(args, setup, out, log, step_s, pool)
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    env.update(wall_s=time.time() - start, finished=True)
    _write_json(out / "env.json", env)
    summary = write_summary(env, overhead_md, records, args.tasks, plan_mod.METHODS)
    (out / "summary.md").write_text(summary)
    log(f"done in {env['wall_s']:.1f} s: {out}")
    return 0


def prepare(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m lrtuner_bench.gpu prepare")
    parser.add_argument("--carry", default=str(DEFAULT_CARRY))
    parser.add_argument("--no-wheels", action="store_true", help="data only (no pip download)")
    args = parser.parse_args(argv)
    manifest = prepare_carry(Path(args.carry), wheels=not args.no_wheels)
    print(json.dumps(manifest, indent=1))
    print(f"{args.carry}: {manifest['bytes'] / 2**20:.1f} MiB")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("check", "prepare"):
        print("usage: python -m lrtuner_bench.gpu {check,prepare} [options]", file=sys.stderr)
        return 2
    return check(argv[1:]) if argv[0] == "check" else prepare(argv[1:])
