"""How far ahead must a fit look? The best LR multiple after k steps, on development tasks.

A diagnostic of short-horizon bias, for explore's rules. From the LR the seed search set on
the task (read from a stored ``long`` LRTuner run, seed LR = tuned peak), the model trains at
that LR ``eta_s`` for a quarter of the explore phase (where explore's first fit looks), the
state is saved, and from it the model trains on at ``c * eta_s`` for each multiple ``c``, all
on the same minibatches. At horizons ``k`` the mean training loss on fixed probe minibatches is
measured twice: as it stands (``plain``), and after a further ``k / 2`` steps in which the LR
falls linearly to zero (``annealed``: what the LR has bought once its noise is cooled away,
as a run with a cooldown sees it). The table gives, per task and horizon, the multiple with
the lowest loss, next to the tuned peak as a multiple of ``eta_s``. Development tasks only::

    python benchmarks/horizon_dev.py --tasks tweets-gru,shakespeare-lstm \\
        --out benchmarks/results/horizon-dev/runs.jsonl
    python benchmarks/horizon_dev.py --table benchmarks/results/horizon-dev/runs.jsonl
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import statistics
import sys
from pathlib import Path
from typing import Any

MULTIPLES = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
HORIZONS = (1, 10, 30, 100, 300)
PROBE_MINIBATCHES = 16


def searched_lr(runs: Path, task: str, seed: int) -> tuple[float, float]:
    """(LR after the seed search, tuned peak) from the stored ``lrtuner@peak1`` run."""
    base = runs / task / "lrtuner@peak1"
    first = json.loads((base / f"seed{seed}.history.jsonl").read_text().splitlines()[0])
    if not first["reason"].startswith("seed search"):
        raise ValueError(f"Invalid run: {task} seed {seed} has no seed search first")
    peak = json.loads((runs / task / "baseline-grid" / "grid.json").read_text())["chosen_lr"]
    return float(first["lr_after"]), float(peak)


def probe_loss(task: Any, model: Any, probes: list[Any]) -> float:
    import torch

    was_training = model.training
    model.eval()
    with torch.no_grad():
        total = sum(float(task.loss(model(x), y)) for x, y in probes)
    model.train(was_training)
    return total / len(probes)


def train_steps(task: Any, model: Any, opt: Any, batches: list[Any], lrs: list[float]) -> None:
    for (x, y), lr in zip(batches, lrs, strict=True):
        for group in opt.param_groups:
            group["lr"] = lr
        loss = task.loss(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()


def run_task(name: str, seed: int, runs: Path) -> list[dict[str, Any]]:
    import torch

    from lrtuner_bench import runner
    from lrtuner_bench.tasks import get_task
    from lrtuner_bench.tasks.base import forever

    task = get_task(name)
    if task.split != "development":
        raise ValueError(f"Invalid task: {name} is a validation task")
    budget = runner.effective_budget(task, "long", None)
    data = task.load(budget, None)
    eta, peak = searched_lr(runs, name, seed)
    warm = max(10, budget.steps // 16)  # a quarter of the explore phase (a quarter of the run)
    runner.seed_everything(seed)
    model = task.build_model(data)
    model.train()
    opt = task.make_optimizer(model.parameters(), eta)
    stream = forever(
        task.train_batches(data, budget.batch_size, torch.Generator().manual_seed(seed))
    )
    train_steps(task, model, opt, [next(stream) for _ in range(warm)], [eta] * warm)
    probe_stream = forever(
        task.train_batches(data, budget.batch_size, torch.Generator().manual_seed(10_000 + seed))
    )
    probes = [next(probe_stream) for _ in range(PROBE_MINIBATCHES)]
    longest = max(HORIZONS)
    ahead = [next(stream) for _ in range(longest + longest // 2)]
    saved_model, saved_opt = copy.deepcopy(model.state_dict()), copy.deepcopy(opt.state_dict())
    out = []
    for c in MULTIPLES:
        model.load_state_dict(saved_model)
        opt.load_state_dict(saved_opt)
        done = 0
        for k in HORIZONS:
            train_steps(task, model, opt, ahead[done:k], [c * eta] * (k - done))
            done = k
            plain = probe_loss(task, model, probes)
            keep_m, keep_o = copy.deepcopy(model.state_dict()), copy.deepcopy(opt.state_dict())
            n = max(1, k // 2)
            decay = [c * eta * (n - i) / (n + 1) for i in range(n)]
            train_steps(task, model, opt, ahead[k : k + n], decay)
            annealed = probe_loss(task, model, probes)
            model.load_state_dict(keep_m)
            opt.load_state_dict(keep_o)
            out.append(
                {"task": name, "seed": seed, "warm_steps": warm, "eta_search": eta,
                 "peak": peak, "multiple": c, "horizon": k, "plain": plain,
                 "annealed": annealed}
            )
    return out


def table(*paths: str) -> str:
    rows = [
        json.loads(line)
        for path in paths
        for line in Path(path).read_text().splitlines()
        if line.strip()
    ]
    keys = sorted({(r["task"], r["seed"]) for r in rows})
    head = "| task | seed | tuned peak / searched LR | " + " | ".join(
        f"k={k}: plain, annealed" for k in HORIZONS
    )
    head += f" | k={max(HORIZONS)} annealed / k=1 plain"
    lines = [head + " |", "|" + "---|" * (4 + len(HORIZONS))]
    ratios = []
    for task, seed in keys:
        mine = [r for r in rows if r["task"] == task and r["seed"] == seed]
        ratio = mine[0]["peak"] / mine[0]["eta_search"]
        cells = []
        for k in HORIZONS:
            at = [r for r in mine if r["horizon"] == k]
            if not at:
                cells.append("-")
                continue
            best_plain = min(at, key=lambda r: r["plain"])["multiple"]
            best_annealed = min(at, key=lambda r: r["annealed"])["multiple"]
            cells.append(f"{best_plain:g}, {best_annealed:g}")
            if k == 1:
                one_step = best_plain
            if k == max(HORIZONS):
                ratios.append(best_annealed / one_step)
                cells.append(f"{ratios[-1]:g}")
        lines.append(f"| {task} | {seed} | {ratio:.2g} | " + " | ".join(cells) + " |")
    if ratios:
        geo = math.exp(statistics.fmean(math.log(r) for r in ratios))
        lines.append("")
        lines.append(
            f"Geometric mean of the long-horizon optimum over the one-step optimum: {geo:.3g} "
            f"over {len(ratios)} runs (range {min(ratios):g}-{max(ratios):g})."
        )
    lines.append("")
    lines.append(
        f"Best multiple of the searched LR among {', '.join(f'{c:g}' for c in MULTIPLES)} "
        f"after k steps from the state after a quarter of explore, by the mean training loss "
        f"on {PROBE_MINIBATCHES} fixed probe minibatches (plain), and after k/2 more steps "
        "decaying linearly to zero (annealed)."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", nargs="+", default=None, help="print the table of these files")
    parser.add_argument("--tasks", default="tweets-gru,shakespeare-lstm")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--runs", default="benchmarks/results/long/runs")
    parser.add_argument("--out", default="benchmarks/results/horizon-dev/runs.jsonl")
    args = parser.parse_args(argv)
    if args.table:
        print(table(*args.table))
        return 0
    import torch

    torch.set_num_threads(1)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = set()
    if out.exists():
        rows = [json.loads(x) for x in out.read_text().splitlines()]
        done = {(r["task"], r["seed"]) for r in rows}
    for name in args.tasks.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            if (name, seed) in done:
                continue
            rows = run_task(name, seed, Path(args.runs))
            with out.open("a") as fh:
                fh.writelines(json.dumps(r) + "\n" for r in rows)
            print(table(str(out)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
