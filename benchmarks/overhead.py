"""Probe overhead of LRTuner: wall-clock of tuned vs plain training for the same steps.

For each task, the same model/optimizer/batches are trained for ``--steps`` steps twice per
repeat, once with the plain wrapped optimizer and once wrapped in :class:`lrtuner.LRTuner`
(library defaults, or the paper's fixed 100 x 5 superbatch without the seed search with
``--config paper``). Runs
alternate (plain, tuned, plain, tuned, ...) so that machine noise hits both alike; the
wall-clock ratio is median(tuned) / median(plain). Machine noise between runs on a shared
2-core CPU is several percent, larger than the effect measured at long budgets, so each tuned
run also times the tuner's own work inside the run: the time spent in ``LRTuner.step`` minus
the wrapped optimizer's steps within it (probes, seed search, bookkeeping). The in-run ratio
is ``run time / (run time - tuner time)``, the median over repeats. Probe forward passes are
counted.

    python benchmarks/overhead.py --tasks digits-mlp,fmnist-cnn --steps 400 --repeats 3 \
        --out benchmarks/results/overhead

writes ``overhead.json`` (config + every timing) and ``overhead.md`` (the table) to ``--out``.
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
from lrtuner.bench.tasks import get_task
from lrtuner.bench.tasks.base import forever

CONFIGS: dict[str, dict[str, Any]] = {
    "defaults": {},
    # the paper's recipe: 100 minibatches x 5 probes, about two decisions per epoch
    "paper": {
        "superbatch": 100,
        "num_probes": 5,
        "adaptive_superbatch": False,
        "seed_search": False,
    },
}


def _run(task, data, budget, steps: int, seed: int, tuner_options: dict | None) -> dict:
    torch.manual_seed(seed)
    model = task.build_model(data)
    model.train()
    base = task.make_optimizer(model.parameters(), task.seed_lr)
    gen = torch.Generator().manual_seed(seed)
    batches = task.train_batches(data, budget.batch_size, gen)
    opt: Any = base
    if tuner_options is not None:
        probe = task.train_batches(data, budget.batch_size, None)
        opt = LRTuner(
            base,
            probe_loss=lambda b: task.loss(model(b[0]), b[1]),
            probe_data=probe,
            model=model,
            total_steps=steps,
            seed=seed,
            **tuner_options,
        )
    # Time inside the tuner's step minus the wrapped optimizer's own steps = the tuner's work
    # (probes, seed search, bookkeeping), measured inside the run itself.
    inner = [0.0]
    if tuner_options is not None:
        wrapped_step = base.step

        def timed_step(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return wrapped_step(*args, **kwargs)
            finally:
                inner[0] += time.perf_counter() - t0

        base.step = timed_step  # type: ignore[method-assign]
    outer = 0.0
    it = forever(batches)
    start = time.perf_counter()
    for _ in range(steps):
        x, y = next(it)
        opt.zero_grad()
        loss = task.loss(model(x), y)
        loss.backward()
        if tuner_options is not None:
            t0 = time.perf_counter()
            opt.step(loss=loss)
            outer += time.perf_counter() - t0
        else:
            opt.step()
    seconds = time.perf_counter() - start
    out: dict[str, Any] = {"seconds": seconds}
    if tuner_options is not None:
        tuner_seconds = outer - inner[0]
        out.update(
            tuner_seconds=tuner_seconds,
            attributed_ratio=seconds / (seconds - tuner_seconds),
        )
    if tuner_options is not None:
        search = [r for r in opt.history if r.reason.startswith("seed search")]
        fits = [r for r in opt.history if r.forward_passes > 0 and r not in search]
        out.update(
            search_forward_passes=sum(r.forward_passes for r in search),
            probe_forward_passes=opt.stats.probe_forward_passes,
            fits=len(fits),
            decisions=opt.stats.decisions,
            final_lr=opt.lr,
        )
    return out


def measure(task_name: str, steps: int, repeats: int, config: str, profile: str) -> dict:
    task = get_task(task_name)
    budget = task.budget(profile)
    data = task.load(budget)
    options = CONFIGS[config]
    _run(task, data, budget, min(steps, 20), 0, None)  # warm-up (allocator, kernels)
    plain, tuned = [], []
    for r in range(repeats):
        plain.append(_run(task, data, budget, steps, r, None))
        tuned.append(_run(task, data, budget, steps, r, options))
    p = statistics.median(x["seconds"] for x in plain)
    t = statistics.median(x["seconds"] for x in tuned)
    attributed = statistics.median(x["attributed_ratio"] for x in tuned)
    forwards = statistics.mean(x["probe_forward_passes"] for x in tuned)
    search = statistics.mean(x["search_forward_passes"] for x in tuned)
    fits = statistics.mean(x["fits"] for x in tuned)
    return {
        "task": task_name,
        "config": config,
        "tuner_options": options,
        "steps": steps,
        "batch_size": budget.batch_size,
        "repeats": repeats,
        "plain_seconds": [x["seconds"] for x in plain],
        "tuned_seconds": [x["seconds"] for x in tuned],
        "tuned": tuned,
        "wallclock_ratio": t / p,
        "attributed_ratio": attributed,
        "probe_forwards_per_step": forwards / steps,
        "probe_forwards_per_fit": (forwards - search) / fits if fits else 0.0,
        "seed_search_forwards": search,
        "fits": fits,
        "paper_forwards_per_fit": 500,
    }


def to_markdown(rows: list[dict]) -> str:
    lines = [
        "| task | config | steps | plain s (median) | tuned s (median) | wall-clock ratio "
        "| in-run ratio | fits | probe fwd / fit | seed search fwd (once) "
        "| probe fwd / step (all) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['task']} | {r['config']} | {r['steps']} "
            f"| {statistics.median(r['plain_seconds']):.2f} "
            f"| {statistics.median(r['tuned_seconds']):.2f} | {r['wallclock_ratio']:.3f} "
            f"| {r.get('attributed_ratio', float('nan')):.3f} "
            f"| {r['fits']:.1f} | {r['probe_forwards_per_fit']:.1f} "
            f"| {r.get('seed_search_forwards', 0):.0f} | {r['probe_forwards_per_step']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="digits-mlp,fmnist-cnn")
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--configs", default="defaults,paper")
    parser.add_argument("--profile", default="standard", help="task budget (batch size, data)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/results/overhead")
    args = parser.parse_args(argv)
    if args.steps <= 0:
        raise ValueError(f"Invalid --steps: {args.steps}")
    configs = args.configs.split(",")
    for c in configs:
        if c not in CONFIGS:
            raise ValueError(f"Invalid --configs: {c!r} (choose from {', '.join(CONFIGS)})")
    torch.set_num_threads(args.threads)
    rows = []
    for task in args.tasks.split(","):
        for config in configs:
            row = measure(task, args.steps, args.repeats, config, args.profile)
            print(
                f"{task} [{config}]: ratio {row['wallclock_ratio']:.3f}, "
                f"in-run {row['attributed_ratio']:.3f}, "
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
