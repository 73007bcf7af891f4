"""Where LRTuner's time goes: one tuned run with the tuner's parts timed inside it.

Trains a task for ``--steps`` steps with ``LRTuner`` (library defaults, ``total_steps`` given)
and times, inside the run, every call of: the seed search, the fits (probes and decision), the
per-step finite-gradient check, the training-loss bookkeeping, and the wrapped optimizer's
own steps. "other per-step work" is the rest of ``LRTuner.step`` (the Python around them).
Each part is reported as a percentage of the training work (run time minus tuner time).

    python benchmarks/overhead_breakdown.py --task shakespeare-gpt --steps 2000 \
        --out benchmarks/results/overhead/breakdown-shakespeare-gpt

writes ``breakdown.json`` and ``breakdown.md`` to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import torch

from lrtuner import LRTuner
from lrtuner.bench.tasks import get_task
from lrtuner.bench.tasks.base import forever

PARTS = {
    "_seed_search_step": "seed search (once)",
    "_fit_and_decide": "fits (probes + decision, incl. the step taken inside)",
    "_grads_finite": "finite-gradient check (every step)",
    "observe_loss": "training-loss bookkeeping (every step)",
}


def _timed(obj: Any, name: str, totals: dict[str, float]) -> None:
    inner = getattr(obj, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            totals[name] = totals.get(name, 0.0) + time.perf_counter() - t0

    setattr(obj, name, wrapper)


def measure(task_name: str, steps: int, profile: str) -> dict[str, Any]:
    task = get_task(task_name)
    budget = task.budget(profile)
    data = task.load(budget)
    torch.manual_seed(0)
    model = task.build_model(data)
    model.train()
    base = task.make_optimizer(model.parameters(), task.seed_lr)
    tuner = LRTuner(
        base,
        probe_loss=lambda b: task.loss(model(b[0]), b[1]),
        probe_data=task.train_batches(data, budget.batch_size, None),
        model=model,
        total_steps=steps,
    )
    totals: dict[str, float] = {}
    for name in PARTS:
        _timed(tuner, name, totals)
    _timed(base, "step", totals)
    gen = torch.Generator().manual_seed(0)
    batches = task.train_batches(data, budget.batch_size, gen)
    it = forever(batches)
    in_step = 0.0
    start = time.perf_counter()
    for _ in range(steps):
        x, y = next(it)
        tuner.zero_grad()
        loss = task.loss(model(x), y)
        loss.backward()
        t0 = time.perf_counter()
        tuner.step(loss=loss)
        in_step += time.perf_counter() - t0
    seconds = time.perf_counter() - start
    # the wrapped optimizer's steps inside fits count as training work, not tuner work
    tuner_seconds = in_step - totals.get("step", 0.0)
    training = seconds - tuner_seconds
    parts = {label: totals.get(name, 0.0) for name, label in PARTS.items()}
    fits_total = parts[PARTS["_fit_and_decide"]]
    parts["other per-step work"] = tuner_seconds - sum(parts.values())
    return {
        "task": task_name,
        "steps": steps,
        "seconds": seconds,
        "tuner_seconds": tuner_seconds,
        "in_run_ratio": seconds / training,
        "percent_of_training": {k: 100 * v / training for k, v in parts.items()},
        "fits_seconds": fits_total,
        "stats": tuner.stats.to_dict(),
    }


def to_markdown(row: dict[str, Any]) -> str:
    lines = [
        f"{row['task']}, {row['steps']} steps: in-run ratio {row['in_run_ratio']:.3f} "
        f"({row['stats']['fits']} fits, {row['stats']['probe_forward_passes']} probe forward "
        "passes)",
        "",
        "| part of the tuner's work | % of training time |",
        "|---|---|",
    ]
    for label, pct in row["percent_of_training"].items():
        lines.append(f"| {label} | {pct:.2f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="shakespeare-gpt")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--profile", default="standard")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default="benchmarks/results/overhead/breakdown")
    args = parser.parse_args(argv)
    if args.steps <= 0:
        raise ValueError(f"Invalid --steps: {args.steps}")
    torch.set_num_threads(args.threads)
    row = measure(args.task, args.steps, args.profile)
    command = "python benchmarks/overhead_breakdown.py " + " ".join(argv or sys.argv[1:])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "breakdown.json").write_text(
        json.dumps({"command": command, "torch": torch.__version__, "row": row}, indent=1)
    )
    text = f"`{command}`\n\n" + to_markdown(row)
    (out / "breakdown.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
