"""Overhead of LRTuner: wall-clock of tuned vs plain training, side by side in one run.

For each task and seed, trainings of the same model (same initial weights, same batch order,
same constant LR) run in lockstep in one process: step ``i`` of the plain optimizer, step ``i``
of the same optimizer wrapped in :class:`lrtuner.LRTuner` (library defaults with
``total_steps``, or the paper's fixed 100 x 5 superbatch without the seed search with
``--configs paper``) and step ``i`` of a second plain training (the A/A control), the order
rotated every step. Each side's steps are timed (zero_grad, forward, backward, step); the
**wall-clock ratio** is the tuned total over the mean of the two plain totals, and the **A/A
ratio** (second plain over first) is what the same measurement reads for zero overhead: its
distance from 1 is the noise floor. Machine noise (other jobs, frequency changes) hits every
side within milliseconds, so it cancels in the ratios, unlike separate runs minutes apart.

Inside the tuned side, the tuner's parts are timed too (the **breakdown**, as a percentage of
the tuned side's training work, i.e. its time minus the tuner's): the seed search, the fits
(probes and decision), the per-step finite-gradient check, and the rest of ``LRTuner.step``.
Their sum gives the in-run ratio ``time / (time - tuner time)``, a second, independent figure.
Probe forward passes are counted (per fit, and the seed search's apart).

    python benchmarks/overhead.py --tasks fmnist-cnn --steps 1500 --seeds 0,1 \\
        --out benchmarks/results/overhead/fmnist-cnn

writes ``overhead.json`` (config + every timing) and ``overhead.md`` (the tables) to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch

from lrtuner import LRTuner
from lrtuner_bench.tasks import get_task
from lrtuner_bench.tasks.base import forever

CONFIGS: dict[str, dict[str, Any]] = {
    "defaults": {},
    # the paper's recipe: 100 minibatches x 5 probes at every fit, no seed search, and no
    # probe ledger (the paper has none: a budget this large never defers a fit)
    "paper": {
        "superbatch": 100,
        "num_probes": 5,
        "adaptive_superbatch": False,
        "seed_search": False,
        "probe_budget": 100.0,
    },
}

#: LRTuner methods timed inside the run, and how the breakdown names them.
PARTS = {
    "_seed_search_step": "seed search (once)",
    "_fit_and_decide": "fits (probes + decision)",
    "_local_grads_finite": "finite-gradient check (every step)",
}
OTHER = "rest of LRTuner.step (every step)"


class _Side:
    """One of the two trainings: model, optimizer, batches and its accumulated step time."""

    def __init__(self, task, data, budget, steps: int, seed: int, options: dict | None) -> None:
        torch.manual_seed(seed)
        self.task = task
        self.model = task.build_model(data)
        self.model.train()
        self.device = next(self.model.parameters()).device
        self.base = task.make_optimizer(self.model.parameters(), task.seed_lr)
        self.batches = forever(
            task.train_batches(data, budget.batch_size, torch.Generator().manual_seed(seed))
        )
        self.seconds = 0.0
        self.parts: dict[str, float] = {}
        self.tuner: LRTuner | None = None
        if options is not None:
            model = self.model
            self.tuner = LRTuner(
                self.base,
                probe_loss=lambda b: task.loss(model(b[0]), b[1]),
                probe_data=task.train_batches(data, budget.batch_size, None),
                model=model,
                total_steps=steps,
                seed=seed,
                **options,
            )
            for name in PARTS:
                self._time(self.tuner, name)
            self._time(self.tuner, "step")
            self._time(self.base, "step", "wrapped step")

    def _time(self, obj: Any, name: str, key: str | None = None) -> None:
        inner = getattr(obj, name)
        key = key or name

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.parts[key] = self.parts.get(key, 0.0) + time.perf_counter() - t0

        setattr(obj, name, timed)

    def synchronize(self) -> None:
        """Wait for the model's device: on a GPU a step's kernels run after the host returns,
        so its timer is read between two synchronisations (nothing to wait for on the CPU)."""
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def train_step(self) -> None:
        x, y = next(self.batches)
        self.synchronize()
        t0 = time.perf_counter()
        opt = self.tuner if self.tuner is not None else self.base
        opt.zero_grad()
        loss = self.task.loss(self.model(x), y)
        loss.backward()
        if self.tuner is not None:
            self.tuner.step(loss=loss)
        else:
            self.base.step()
        self.synchronize()
        self.seconds += time.perf_counter() - t0

    def breakdown(self) -> dict[str, Any]:
        """The tuner's parts as % of this side's training work (time minus tuner time)."""
        # the wrapped optimizer's steps, also those inside fits, are training work
        tuner_seconds = self.parts.get("step", 0.0) - self.parts.get("wrapped step", 0.0)
        training = self.seconds - tuner_seconds
        parts = {label: self.parts.get(name, 0.0) for name, label in PARTS.items()}
        parts[OTHER] = tuner_seconds - sum(parts.values())
        return {
            "tuner_seconds": tuner_seconds,
            "in_run_ratio": self.seconds / training,
            "percent_of_training": {k: 100 * v / training for k, v in parts.items()},
        }


def _lockstep(
    task, data, budget, steps: int, seed: int, options: dict, control: bool
) -> dict[str, Any]:
    plain = _Side(task, data, budget, steps, seed, None)
    tuned = _Side(task, data, budget, steps, seed, options)
    sides = [plain, tuned]
    if control:  # a second plain training: the A/A ratio shows the noise of the measurement
        sides.append(_Side(task, data, budget, steps, seed, None))
    for i in range(steps):
        k = i % len(sides)  # rotate the order every step
        for side in sides[k:] + sides[:k]:
            side.train_step()
    reference = statistics.mean(s.seconds for s in sides if s.tuner is None)
    tuner = tuned.tuner
    assert tuner is not None
    search = [r for r in tuner.history if r.reason.startswith("seed search")]
    fits = [r for r in tuner.history if r.forward_passes > 0 and r not in search]
    return {
        "seed": seed,
        "plain_seconds": plain.seconds,
        "control_seconds": sides[2].seconds if control else None,
        "tuned_seconds": tuned.seconds,
        "wallclock_ratio": tuned.seconds / reference,
        "control_ratio": sides[2].seconds / plain.seconds if control else None,
        **tuned.breakdown(),
        "search_forward_passes": sum(r.forward_passes for r in search),
        "fit_forward_passes": [r.forward_passes for r in fits],
        "probe_forward_passes": tuner.stats.probe_forward_passes,
        "fits": len(fits),
        "final_lr": tuner.lr,
    }


def measure(
    task_name: str, steps: int, seeds: list[int], config: str, profile: str, control: bool
) -> dict:
    task = get_task(task_name)
    budget = task.budget(profile)
    data = task.load(budget)
    options = CONFIGS[config]
    _lockstep(task, data, budget, min(steps, 20), 0, options, False)  # warm-up
    runs = [_lockstep(task, data, budget, steps, s, options, control) for s in seeds]
    fits = sum(r["fits"] for r in runs)
    fit_forwards = sum(sum(r["fit_forward_passes"]) for r in runs)
    return {
        "task": task_name,
        "config": config,
        "tuner_options": options,
        "steps": steps,
        "batch_size": budget.batch_size,
        "seeds": seeds,
        "control": control,
        "runs": runs,
        "wallclock_ratio": statistics.mean(r["wallclock_ratio"] for r in runs),
        "in_run_ratio": statistics.mean(r["in_run_ratio"] for r in runs),
        "fits": fits / len(runs),
        "probe_forwards_per_fit": fit_forwards / fits if fits else 0.0,
        "seed_search_forwards": statistics.mean(r["search_forward_passes"] for r in runs),
        "probe_forwards_per_step": statistics.mean(r["probe_forward_passes"] for r in runs) / steps,
        "paper_forwards_per_fit": 500,
    }


def _spread(values: list[float]) -> str:
    if len(values) < 2:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ({min(values):.3f}-{max(values):.3f})"


def to_markdown(rows: list[dict]) -> str:
    lines = [
        "| task | config | steps | seeds | plain s | tuned s | wall-clock ratio, mean (range) "
        "| A/A control ratio | in-run ratio | fits | probe fwd / fit | seed search fwd (once) "
        "| probe fwd / step (all) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        runs = r["runs"]
        control = _spread([x["control_ratio"] for x in runs]) if r.get("control") else "not run"
        lines.append(
            f"| {r['task']} | {r['config']} | {r['steps']} "
            f"| {','.join(str(s) for s in r['seeds'])} "
            f"| {statistics.mean(x['plain_seconds'] for x in runs):.1f} "
            f"| {statistics.mean(x['tuned_seconds'] for x in runs):.1f} "
            f"| {_spread([x['wallclock_ratio'] for x in runs])} | {control} "
            f"| {_spread([x['in_run_ratio'] for x in runs])} "
            f"| {r['fits']:.1f} | {r['probe_forwards_per_fit']:.1f} "
            f"| {r['seed_search_forwards']:.0f} | {r['probe_forwards_per_step']:.3f} |"
        )
    lines += ["", "Breakdown of the tuner's work, % of training time (mean over seeds):", ""]
    labels = [*PARTS.values(), OTHER]
    lines += [
        "| task | config | steps | " + " | ".join(labels) + " |",
        "|---|---|---|" + "---|" * len(labels),
    ]
    for r in rows:
        pct = [
            statistics.mean(x["percent_of_training"][label] for x in r["runs"]) for label in labels
        ]
        lines.append(
            f"| {r['task']} | {r['config']} | {r['steps']} | "
            + " | ".join(f"{p:.2f}" for p in pct)
            + " |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="fmnist-cnn")
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--configs", default="defaults")
    parser.add_argument("--profile", default="standard", help="task budget (batch size, data)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--no-control", action="store_true", help="skip the second plain training (A/A check)"
    )
    parser.add_argument("--out", default="benchmarks/results/overhead")
    args = parser.parse_args(argv)
    if args.steps <= 0:
        raise ValueError(f"Invalid --steps: {args.steps}")
    try:
        seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        raise ValueError(f"Invalid --seeds: {args.seeds!r} (need integers, e.g. 0,1)") from None
    configs = args.configs.split(",")
    for c in configs:
        if c not in CONFIGS:
            raise ValueError(f"Invalid --configs: {c!r} (choose from {', '.join(CONFIGS)})")
    torch.set_num_threads(args.threads)
    rows = []
    for task in args.tasks.split(","):
        for config in configs:
            row = measure(task, args.steps, seeds, config, args.profile, not args.no_control)
            print(
                f"{task} [{config}]: wall-clock ratio {row['wallclock_ratio']:.3f}, "
                f"in-run {row['in_run_ratio']:.3f}, "
                f"{row['probe_forwards_per_fit']:.1f} probe fwd/fit, "
                f"{row['probe_forwards_per_step']:.3f} probe fwd/step",
                flush=True,
            )
            rows.append(row)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {
        "command": "python benchmarks/overhead.py " + " ".join(argv or sys.argv[1:]),
        "torch": torch.__version__,
        "threads": args.threads,
        "machine": platform.machine(),
        "python": platform.python_version(),
    }
    (out / "overhead.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    (out / "overhead.md").write_text(f"`{meta['command']}`\n\n" + to_markdown(rows))
    print(to_markdown(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
