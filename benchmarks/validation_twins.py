"""Report-only twins on the validation tasks: the stored LRTuner runs beside the same runs with
one option changed (by default ``horizon_factor=1``, the rule 1b of 0.6.0).

Run *after* a version's validation results are final, to attribute them, never to choose: a
rule changed after reading these twins turns the tasks into development tasks, as any reading
of their results does. Each run appends one JSON line to ``--out`` (resumable)::

    python benchmarks/validation_twins.py --tasks tweets-textcnn,fmnist-vit \\
        --out benchmarks/results/validation-twins/runs-0.7.0.jsonl
    python benchmarks/validation_twins.py \\
        --table benchmarks/results/validation-twins/runs-0.7.0.jsonl
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

SCALES = (0.001, 0.01, 0.1, 1.0, 10.0)


def run(args: argparse.Namespace) -> None:
    import torch

    from lrtuner_bench import methods, runner
    from lrtuner_bench.tasks import get_task

    torch.set_num_threads(1)
    options = json.loads(args.options)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = set()
    if out.exists():
        for line in out.read_text().splitlines():
            r = json.loads(line)
            done.add((r["task"], r["scale"], r["seed"]))
    runs = Path(args.runs)
    methods.LRTUNER_OPTIONS["long"] = options
    for name in args.tasks.split(","):
        task = get_task(name)
        budget = runner.effective_budget(task, "long", None)
        data = task.load(budget, None)
        grid = json.loads((runs / name / "baseline-grid" / "grid.json").read_text())
        peak = float(grid["chosen_lr"])
        for scale in SCALES:
            for seed in (0, 1, 2):
                if (name, scale, seed) in done:
                    continue
                start = time.time()
                method = f"lrtuner@peak{scale:g}"
                twin = runner.train_one(task, method, data, budget, seed, "long", peak, None, "cpu")
                stored = json.loads((runs / name / method / f"seed{seed}.json").read_text())
                record = {
                    "task": name,
                    "scale": scale,
                    "seed": seed,
                    "options": options,
                    "higher_is_better": task.higher_is_better,
                    "stored": stored["final_metric"] if stored["status"] == "ok" else None,
                    "twin": twin["final_metric"] if twin.get("status") == "ok" else None,
                    "seconds": time.time() - start,
                }
                with out.open("a") as fh:
                    fh.write(json.dumps(record) + "\n")


def table(path: str) -> str:
    rows = [json.loads(x) for x in Path(path).read_text().splitlines() if x.strip()]
    by_task: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_task[r["task"]].append(r)
    options = rows[0]["options"] if rows else {}
    lines = [
        f"`python benchmarks/validation_twins.py --table {path}`",
        "",
        "Validation tasks, report only. Each stored LRTuner run (library defaults) beside the "
        f"same run with {options}; 5 seed LRs x 3 seeds. Worst seed LR: the worst of the five "
        "seed-LR means (check (a)); wins: runs where the stored defaults beat the twin.",
        "",
        "| task | runs | defaults: mean | twin: mean | defaults: worst seed LR | "
        "twin: worst seed LR | defaults better / worse / equal |",
        "|---|---|---|---|---|---|---|",
    ]
    for task, rs in sorted(by_task.items()):
        higher = rs[0]["higher_is_better"]
        ok = [r for r in rs if r["stored"] is not None and r["twin"] is not None]

        def worst(key: str, rs=ok, higher=higher) -> float:
            per: dict[float, list[float]] = defaultdict(list)
            for r in rs:
                per[r["scale"]].append(r[key])
            means = [statistics.fmean(v) for v in per.values()]
            return min(means) if higher else max(means)

        sign = 1 if higher else -1
        better = sum(sign * (r["stored"] - r["twin"]) > 0 for r in ok)
        worse = sum(sign * (r["stored"] - r["twin"]) < 0 for r in ok)
        lines.append(
            f"| {task} | {len(rs)} | {statistics.fmean(r['stored'] for r in ok):.4g} | "
            f"{statistics.fmean(r['twin'] for r in ok):.4g} | {worst('stored'):.4g} | "
            f"{worst('twin'):.4g} | {better} / {worse} / {len(ok) - better - worse} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", default=None)
    parser.add_argument("--tasks", default="tweets-textcnn,fmnist-vit,shakespeare-nplm,digits-vae")
    parser.add_argument("--options", default='{"horizon_factor": 1.0}')
    parser.add_argument("--runs", default="benchmarks/results/long/runs")
    parser.add_argument("--out", default="benchmarks/results/validation-twins/runs-0.7.0.jsonl")
    args = parser.parse_args(argv)
    if args.table:
        print(table(args.table))
        return 0
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
