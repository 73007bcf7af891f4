"""Measure each task's cost in the ``long`` profile and plan the whole long benchmark.

    python benchmarks/long_plan.py                 # every task, 200 timed steps each
    python benchmarks/long_plan.py --tasks core    # the profile's default selection
    python benchmarks/long_plan.py --tasks fmnist-mlp,tweets-gru --steps 300

Per task: single-threaded CPU milliseconds per training step (``time.process_time``, so a
busy machine inflates it less than wall-clock), CPU seconds per evaluation, and whether the
baseline learned (mean train loss over the first and last 20 steps, and the test metric
after training) at the middle LR of its long-profile grid. Then the planned number of runs
of the long recipe (``methods.LONG_RECIPE`` on 3 seeds, the baseline grid on 3 seeds, the
calibration grid), its CPU time, and the wall-clock with 2 processes. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import time

import torch

from lrtuner_bench import runner
from lrtuner_bench.methods import LONG_RECIPE
from lrtuner_bench.tasks import get_task, split_of

#: measured cost of a run relative to the baseline's (LRTuner probes, range tests, BatchNorm
#: recalibration, evaluation), a planning allowance.
RUN_OVERHEAD = 1.15


def measure(name: str, steps: int) -> dict:
    task = get_task(name)
    budget = runner.effective_budget(task, "long", steps)
    budget = type(budget)(**{**budget.to_dict(), "num_evals": 2})
    data = task.load(budget)
    grid = sorted(task.grid("long"))
    peak = grid[len(grid) // 2]
    runner.seed_everything(0)
    model = task.build_model(data)
    model.train()
    opt = task.make_optimizer(model.parameters(), peak)
    batches = runner.forever(task.train_batches(data, budget.batch_size, torch.Generator()))
    losses = []
    t0 = time.process_time()
    for _ in range(steps):
        inputs, targets = next(batches)
        loss = task.loss(model(inputs), targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    ms = 1000 * (time.process_time() - t0) / steps
    model.eval()
    t0 = time.process_time()
    with torch.no_grad():
        metric = task.evaluate(model, data)[task.metric]
    eval_s = time.process_time() - t0
    k = max(1, min(20, steps // 5))  # train loss: mean of the first and of the last k steps
    first, last = sum(losses[:k]) / k, sum(losses[-k:]) / k
    return {"ms": ms, "eval_s": eval_s, "loss": (first, last), "metric": metric, "peak": peak}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tasks", default="all", help="names or all | core | development | validation"
    )
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    names = runner.parse_tasks(args.tasks)
    bench = runner.Benchmark(
        names, list(LONG_RECIPE), [0, 1, 2], "long", "/tmp/unused", progress=False
    )
    total = 0.0
    print(
        "| task | split | family | long steps | runs | ms/step | s/eval | loss first→last "
        "| metric | planned CPU min |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for task in bench.tasks:
        m = measure(task.name, args.steps)
        b = bench.budget(task)
        runs = bench.planned_runs(task)
        cpu = runs * (b.steps * m["ms"] / 1000 + b.num_evals * m["eval_s"]) * RUN_OVERHEAD
        total += cpu
        print(
            f"| {task.name} | {split_of(task.name)} | {task.family} | {b.steps} | {runs} | "
            f"{m['ms']:.1f} | {m['eval_s']:.2f} | {m['loss'][0]:.3f}→{m['loss'][1]:.3f} | "
            f"{task.metric} {m['metric']:.4f} | {cpu / 60:.0f} |",
            flush=True,
        )
    print(f"\nTotal: {total / 60:.0f} CPU minutes; with 2 processes about {total / 7200:.2f} h.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
