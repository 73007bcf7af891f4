"""Where the seed search's resolution test (``search_resolution_steps``, 0.11.0) acts: the
first step of LRTuner at defaults on every development task, seeds 0-2, seed LRs 1/100, 1 and
10 of the tuned peak, and the search's outcome (``benchmarks/results/search-noise-dev``)::

    python benchmarks/search_noise_dev.py --out benchmarks/results/search-noise-dev/runs.jsonl
    python benchmarks/search_noise_dev.py --table benchmarks/results/search-noise-dev/runs.jsonl

Where the test passes, the search and the run are bitwise those of 0.10.0; where it fires, the
seed LR is kept instead of the search's LR.
The runs are ten optimizer steps long: the search happens at the first.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from pathlib import Path

from explore_dev import tuned_peak

SCALES = (0.01, 1.0, 10.0)
NOISE = "rounding steps"


def run(out: Path, tasks: list[str], grids: Path) -> None:
    import torch

    from lrtuner_bench import runner
    from lrtuner_bench.tasks import DEVELOPMENT, get_task

    torch.set_num_threads(1)
    done = set()
    if out.exists():
        for line in out.read_text().splitlines():
            r = json.loads(line)
            done.add((r["task"], r["scale"], r["seed"]))
    for name in tasks or DEVELOPMENT:
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
                first = (result.get("history") or [{}])[0]
                reason = first.get("reason", "")
                m = re.search(r"at ([0-9.e+-]+) x the seed LR", reason)
                record = {
                    "task": name, "scale": scale, "seed": seed, "peak": peak,
                    "noise_test_fired": NOISE in reason,
                    "search_multiplier": float(m.group(1)) if m else None,
                    "lr_after_over_peak": (first.get("lr_after") or 0) / peak,
                    "reason": reason,
                }
                with out.open("a") as fh:
                    fh.write(json.dumps(record) + "\n")
                print(name, scale, seed, record["noise_test_fired"], reason[:100], flush=True)


def table(path: Path) -> str:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    fired = [r for r in rows if r["noise_test_fired"]]
    tasks = sorted({r["task"] for r in rows})
    lines = [
        "`python benchmarks/search_noise_dev.py --table "
        "benchmarks/results/search-noise-dev/runs.jsonl`",
        "",
        f"Development tasks: {len(tasks)}; searches: {len(rows)} (seeds 0-2, seed LRs 1/100, 1 "
        f"and 10 of the tuned peak). The resolution test fired on {len(fired)}; on every other "
        "search the outcome is 0.10.0's, bit for bit.",
        "",
        "| task | seed LR / peak | seed | the search's reason (0.11.0) |",
        "|---|---|---|---|",
    ]
    for r in sorted(fired, key=lambda r: (r["task"], r["scale"], r["seed"])):
        lines.append(f"| {r['task']} | {r['scale']:g} | {r['seed']} | {r['reason']} |")
    full = path.with_name("runs-full.jsonl")
    if full.exists():
        lines += ["", *full_table(full)]
    return "\n".join(lines)


def full_table(path: Path) -> list[str]:
    """Full long runs, defaults (``peakX``) against 0.10.0's search (``res0-peakX``)."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    cells: dict[tuple[str, float], dict[str, dict[int, float]]] = {}
    for r in rows:
        arm = "0.10.0" if r["scenario"].startswith("res0-") else "0.11.0"
        scale = float(r["scenario"].split("peak")[1])
        cells.setdefault((r["task"], scale), {}).setdefault(arm, {})[r["seed"]] = r["metric"]
    lines = [
        "Full long runs (`explore_dev.py --scenarios peakX,res0-peakX`, `runs-full.jsonl`): "
        "final metric per seed 0, 1, 2 and the mean.",
        "",
        "| task | seed LR / peak | 0.10.0's search | 0.11.0 (resolution test) |",
        "|---|---|---|---|",
    ]
    for (task, scale), arms in sorted(cells.items()):
        old, new = (_cell(arms.get(arm, {})) for arm in ("0.10.0", "0.11.0"))
        lines.append(f"| {task} | {scale:g} | {old} | {new} |")
    return lines


def _cell(per_seed: dict[int, float]) -> str:
    values = [per_seed.get(seed) for seed in (0, 1, 2)]
    shown = " ".join("x" if v is None else f"{v:.4g}" for v in values)
    finite = [v for v in values if v is not None]
    mean = f"{sum(finite) / len(finite):.4g}" if finite else "-"
    return f"{mean} [{shown}]"


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
