"""Where the seed search's retries (``search_attempts``, 0.12.0) act: the first ten steps of
LRTuner at defaults, seeds 0-2, seed LRs 1/100, 1 and 10 of the tuned peak, and every seed
search in them (``benchmarks/results/search-retry-dev``)::

    T=breast-cancer-logreg,diabetes-huber,digits-tinybatch,fmnist-adamlogreg,digits-noisymlp
    python benchmarks/search_retry_dev.py --tasks $T \\
        --out benchmarks/results/search-retry-dev/runs.jsonl
    python benchmarks/search_retry_dev.py --table benchmarks/results/search-retry-dev/runs.jsonl

A search is *inconclusive* when no grid point lowers the probe loss beyond the resolution test;
0.11.0 then keeps the seed LR, 0.12.0 searches the next step's direction (at most three
searches). Where the first search is conclusive, the run is 0.11.0's bit for bit.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from divisor_dev_table import baseline
from explore_dev import tuned_peak
from search_noise_dev import _cell

SCALES = (0.01, 1.0, 10.0)
SEARCH = "seed search"
INCONCLUSIVE = ("no LR on the grid lowers the loss", "rounding steps")


def run(out: Path, tasks: list[str], grids: Path) -> None:
    import torch

    from lrtuner_bench import runner
    from lrtuner_bench.tasks import get_task

    torch.set_num_threads(1)
    done = set()
    if out.exists():
        for line in out.read_text().splitlines():
            r = json.loads(line)
            done.add((r["task"], r["scale"], r["seed"]))
    for name in tasks:
        task = get_task(name)
        if task.split != "development":
            raise ValueError(f"Invalid task: {name} is a validation task")
        budget = dataclasses.replace(runner.effective_budget(task, "long", None), steps=10,
                                     num_evals=1)
        data = task.load(budget, None)
        peak, _ = tuned_peak(grids, task)
        for scale in SCALES:
            for seed in (0, 1, 2):
                if (name, scale, seed) in done:
                    continue
                result = runner.train_one(
                    task, f"lrtuner@peak{scale:g}", data, budget, seed, "long", peak, None, "cpu"
                )
                searches = [
                    {
                        "step": h.get("step"),
                        "inconclusive": any(s in h.get("reason", "") for s in INCONCLUSIVE),
                        "lr_after_over_peak": (h.get("lr_after") or 0) / peak,
                        "forward_passes": h.get("forward_passes"),
                        "reason": h.get("reason", ""),
                    }
                    for h in result.get("history") or []
                    if h.get("reason", "").startswith(SEARCH)
                ]
                record = {"task": name, "scale": scale, "seed": seed, "peak": peak,
                          "searches": searches}
                with out.open("a") as fh:
                    fh.write(json.dumps(record) + "\n")
                print(name, scale, seed, [s["reason"][:70] for s in searches], flush=True)


def table(path: Path) -> str:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    fired = [r for r in rows if r["searches"] and r["searches"][0]["inconclusive"]]
    tasks = sorted({r["task"] for r in rows})
    lines = [
        "`python benchmarks/search_retry_dev.py --table "
        "benchmarks/results/search-retry-dev/runs.jsonl`",
        "",
        f"Development tasks: {len(tasks)} ({', '.join(tasks)}); first ten steps of {len(rows)} "
        "runs (seeds 0-2, seed LRs 1/100, 1 and 10 of the tuned peak). The first search was "
        f"inconclusive on {len(fired)}; on every other run no retry happens and the run is "
        "0.11.0's, bit for bit.",
        "",
        "| task | seed LR / peak | seed | searches (step: LR after / peak, forward passes) | "
        "the last search's reason |",
        "|---|---|---|---|---|",
    ]
    for r in sorted(fired, key=lambda r: (r["task"], r["scale"], r["seed"])):
        steps = "; ".join(
            f"{s['step']}: {s['lr_after_over_peak']:.3g}, {s['forward_passes']}"
            for s in r["searches"]
        )
        last = r["searches"][-1]["reason"]
        lines.append(f"| {r['task']} | {r['scale']:g} | {r['seed']} | {steps} | {last} |")
    full = path.with_name("runs-full.jsonl")
    if full.exists():
        lines += ["", *full_table(full)]
    return "\n".join(lines)


def full_table(path: Path) -> list[str]:
    """Full long runs, defaults (``peakX``) against 0.11.0's single search (``att1-peakX``)."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    cells: dict[tuple[str, float], dict[str, dict[int, float]]] = {}
    for r in rows:
        arm = "0.11.0" if r["scenario"].startswith("att1-") else "0.12.0"
        scale = float(r["scenario"].split("peak")[1])
        cells.setdefault((r["task"], scale), {}).setdefault(arm, {})[r["seed"]] = r["metric"]
    lines = [
        "Full long runs (`explore_dev.py --scenarios peakX,att1-peakX`, `runs-full.jsonl`): "
        "final metric per seed 0, 1, 2 and the mean.",
        "",
        "| task | seed LR / peak | 0.11.0 (one search) | 0.12.0 (up to three) |",
        "|---|---|---|---|",
    ]
    gaps: dict[str, list[float]] = {"0.11.0": [], "0.12.0": []}
    failed = {"0.11.0": 0, "0.12.0": 0}
    for (task, scale), arms in sorted(cells.items()):
        old, new = (_cell(arms.get(arm, {})) for arm in ("0.11.0", "0.12.0"))
        lines.append(f"| {task} | {scale:g} | {old} | {new} |")
        mean, std, higher = baseline(task)
        for arm in gaps:
            values = list(arms.get(arm, {}).values())
            failed[arm] += sum(v is None for v in values)
            finite = [v for v in values if v is not None]
            if finite and std:
                gap = (sum(finite) / len(finite) - mean) / std * (1 if higher else -1)
                gaps[arm].append(gap)
    diverged = [r for r in rows if r.get("status") != "ok"]
    lines += [
        "",
        "Mean normalised gap over the (task, seed LR) pairs (the seed-mean final metric minus "
        "the tuned baseline's mean, in baseline standard deviations; larger is better): "
        + ", ".join(
            f"{arm} {sum(g) / len(g):.2f} ({len(g)} pairs)" for arm, g in gaps.items() if g
        )
        + f". Runs not ok: {len(diverged)}"
        + (f" ({', '.join(r['task'] + ' ' + r['scenario'] for r in diverged)})" if diverged else "")
        + ".",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--table", type=Path)
    parser.add_argument("--tasks", default="")
    parser.add_argument("--grids", type=Path, default=Path("benchmarks/results/long/runs"))
    args = parser.parse_args(argv)
    if args.table:
        print(table(args.table))
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    run(args.out, [t for t in args.tasks.split(",") if t], args.grids)
    return 0


if __name__ == "__main__":
    sys.exit(main())
