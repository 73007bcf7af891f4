"""Development runs for rule 7's refinement bracket (0.15.0): the seed search's answer from
every seed LR of the acceptance check, with and without ``search_bracket_on_grid``.

Only the search is run (twelve optimizer steps, explore the first three, of the ``long``
budget's data and model, so that a retried search, rule 7's ``search_attempts``, is seen
too); each line of ``--out`` holds, for one task, training seed and seed LR (x0.001 ... x10
of the tuned peak), the LR the search set, as a multiple of the tuned peak, from the run
with the bracket on grid points (0.15.0) and the LR the same measured points give without
the points the bracket added (0.14.0's walk: the extra points are measured after its walk
ends, so dropping them gives 0.14.0's points and losses exactly). ``--table`` prints the
spread of the searched LR across the five seed LRs per task and training seed.

    python benchmarks/search_bracket_dev.py --out benchmarks/results/search-bracket-dev/runs.jsonl
    python benchmarks/search_bracket_dev.py --table benchmarks/results/search-bracket-dev/runs.jsonl
    python benchmarks/search_bracket_dev.py \\
        --e2e-table benchmarks/results/search-bracket-dev/runs-e2e.jsonl

Only development tasks are accepted (validation tasks are never used to choose a rule).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from divisor_dev_table import _jsonl, baseline
from explore_dev import tuned_peak

SCALES = (0.001, 0.01, 0.1, 1.0, 10.0)


def old_walk_lr(first: dict[str, Any]) -> tuple[float, int]:
    """0.14.0's answer from the measured points of a 0.15.0 search (and how many points the
    bracket added): the points after an upward walk ended, below its first point, dropped."""
    from lrtuner.config import DEFAULTS
    from lrtuner.seed_search import seed_lr_from_search

    lr = first["lr_before"]
    points = [(1 + e / lr, x) for e, x in zip(first["epsilons"], first["losses"], strict=True)]
    loss0 = points[0][1]
    walk = points[1:]  # evaluation order; the first is m = 1
    upward = bool(walk) and walk[0][1] <= loss0  # then the added points lie below m = 1
    kept = [p for p in walk if p[0] >= 1 - 1e-12] if upward else walk
    added = len(walk) - len(kept)
    res = seed_lr_from_search(  # float32 parameters in every benchmark task
        lr, loss0, [m for m, _ in kept], [x for _, x in kept],
        resolution=2.0**-23 * abs(loss0), resolution_steps=DEFAULTS.search_resolution_steps,
    )
    return res.lr, added


def run(args: argparse.Namespace) -> None:
    import torch

    from lrtuner_bench import methods, runner
    from lrtuner_bench.tasks import TASKS, get_task

    torch.set_num_threads(1)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = {(r["task"], r["scale"], r["seed"]) for r in _jsonl(out)}
    names = (
        [n for n, t in TASKS.items() if t.split == "development"]
        if args.tasks == "development" else args.tasks.split(",")
    )
    methods.LRTUNER_OPTIONS["long"] = json.loads(args.options)
    for name in names:
        task = get_task(name)
        if getattr(task, "split", "development") != "development":
            raise ValueError(f"Invalid task: {name} is a validation task")
        long_budget = runner.effective_budget(task, "long", None)
        budget = dataclasses.replace(long_budget, steps=12, num_evals=1)
        data = task.load(long_budget, None)
        peak, _ = tuned_peak(Path(args.grids), task)
        for seed in (int(s) for s in args.seeds.split(",")):
            for scale in (float(x) for x in args.scales.split(",")):
                if (name, scale, seed) in done:
                    continue
                result = runner.train_one(
                    task, f"lrtuner@peak{scale:g}", data, budget, seed, "long", peak, None, "cpu"
                )
                history = result.get("history") or []
                searches = [h for h in history if "seed search" in h["reason"]]
                record: dict[str, Any] = {
                    "task": name, "seed": seed, "scale": scale, "peak": peak,
                    "status": result.get("status"), "searches": len(searches),
                }
                if searches:
                    first = searches[0]
                    old_lr, added = old_walk_lr(first)
                    record.update(
                        lr_new=searches[-1]["lr_after"] / peak,
                        lr_first_new=first["lr_after"] / peak,
                        lr_first_old=old_lr / peak,
                        points_added=added,
                        reason=first["reason"],
                    )
                with out.open("a") as fh:
                    fh.write(json.dumps(record) + "\n")
                print(json.dumps({k: record.get(k) for k in
                                  ("task", "seed", "scale", "lr_first_new", "lr_first_old")}),
                      flush=True)


def spread(values: list[float]) -> float | None:
    finite = [v for v in values if v and v > 0]
    return max(finite) / min(finite) if len(finite) >= 2 else None


def table(path: str) -> str:
    groups: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for r in _jsonl(Path(path)):
        if "lr_first_new" in r:
            groups[(r["task"], r["seed"])].append(r)
    rows = []
    summary: dict[str, list[float]] = {"old": [], "new": []}
    for (task, seed), runs in sorted(groups.items()):
        if len(runs) < len(SCALES):
            continue
        runs.sort(key=lambda r: r["scale"])
        s_old = spread([r["lr_first_old"] for r in runs])
        s_new = spread([r["lr_first_new"] for r in runs])
        if s_old is None or s_new is None:
            continue
        summary["old"].append(s_old)
        summary["new"].append(s_new)
        changed = [f"x{r['scale']:g}" for r in runs if r["points_added"]]
        if abs(s_old - s_new) > 1e-3 or s_new > 1.05:
            rows.append(
                f"| {task} | {seed} | {s_old:.3g} | {s_new:.3g} | {', '.join(changed) or '-'} | "
                + " ".join(f"{r['lr_first_old']:.3g}" for r in runs) + " | "
                + " ".join(f"{r['lr_first_new']:.3g}" for r in runs) + " |"
            )
    lines = [
        f"`python benchmarks/search_bracket_dev.py --table {path}`",
        "",
        "Development tasks only. The seed search's first answer (LR after it, as a multiple of "
        "the tuned peak) from seed LRs x0.001, x0.01, x0.1, x1, x10 of the tuned peak; spread: "
        "the largest over the smallest of the five. 0.14.0: the refinement's lower point may be "
        "theta0; 0.15.0: three grid points (`search_bracket_on_grid`). Rows: task/seed pairs "
        "where the spread changed or stays above 1.05.",
        "",
        "| task | seed | spread 0.14.0 | spread 0.15.0 | seed LRs whose search added a point | "
        "0.14.0 LRs (x0.001 ... x10) | 0.15.0 LRs |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    n = len(summary["old"])
    for arm, label in (("old", "0.14.0"), ("new", "0.15.0")):
        v = summary[arm]
        if v:
            lines.append(
                f"{label}: {n} task/seed pairs; median spread {statistics.median(v):.3f}, "
                f"above 1.1x: {sum(x > 1.1 for x in v)}, above 1.5x: {sum(x > 1.5 for x in v)}, "
                f"largest {max(v):.3g}."
            )
    return "\n".join(lines)


Key = tuple[str, int, float]


def first_search_lrs(path: str) -> dict[Key, tuple[float, float]]:
    """Step 1 of the grid bracket: (0.14.0, 0.15.0) first-search LRs per (task, seed, scale)."""
    return {
        (r["task"], r["seed"], r["scale"]): (r["lr_first_old"], r["lr_first_new"])
        for r in _jsonl(Path(path))
        if "lr_first_new" in r
    }


def last_search_lrs(new: str, old: str) -> dict[Key, tuple[float, float]]:
    """Step 1 of the retries: (control, candidate) LRs after the last search, from two files."""
    before = {(r["task"], r["seed"], r["scale"]): r.get("lr_new") for r in _jsonl(Path(old))}
    lrs = {}
    for r in _jsonl(Path(new)):
        if r.get("lr_new"):
            key = (r["task"], r["seed"], r["scale"])
            lrs[key] = (before.get(key) or float("nan"), r["lr_new"])
    return lrs


def e2e_table(
    path: str,
    lrs: dict[Key, tuple[float, float]],
    prefix: str = "brk0-",
    versions: tuple[str, str] = ("0.14.0", "0.15.0"),
) -> str:
    """Step 2 of a criterion: the candidate (``peakX``) against the control arm
    (``<prefix>peakX``: 0.14.0's search for the grid bracket, 0.15.0's retries for the retry
    from the first weights), final metric per run, the change in the tuned baseline's seed std
    (floored at 0.001 of its mean; positive is better). ``lrs``: step 1's (control, candidate)
    searched LR per run."""
    arms: dict[Key, dict[str, dict[str, Any]]] = defaultdict(dict)
    for r in _jsonl(Path(path)):
        old = r["scenario"].startswith(prefix)
        scale = float(r["scenario"].removeprefix(prefix).removeprefix("peak"))
        arms[(r["task"], r["seed"], scale)]["old" if old else "new"] = r
    rows, changes = [], []
    for (task, seed, scale), pair in arms.items():
        if len(pair) < 2:
            continue
        mean, std, higher = baseline(task)
        s = max(std, 1e-3 * abs(mean))
        m_old, m_new = pair["old"]["metric"], pair["new"]["metric"]
        ok = pair["old"]["status"] == "ok" and pair["new"]["status"] == "ok"
        change = (m_new - m_old) / s * (1 if higher else -1) if ok else None
        if change is not None:
            changes.append(change)
        lr_old, lr_new = lrs.get((task, seed, scale), (float("nan"), float("nan")))
        rows.append(
            f"| {task} | {seed} | x{scale:g} | {lr_old:.3g} / {lr_new:.3g} | "
            f"{mean:.4g} ± {std:.2g} | {m_old:.4g} | {m_new:.4g} | "
            + (f"{change:+.2f}" if change is not None else "not ok") + " |"
        )
    better = sum(c > 1 for c in changes)
    worse = sum(c < -1 for c in changes)
    mean_change = statistics.fmean(changes) if changes else float("nan")
    holds = bool(changes) and mean_change >= -0.25 and worse <= better
    v_old, v_new = versions
    return "\n".join([
        f"`python benchmarks/search_bracket_dev.py --e2e-table {path}`"
        + ("" if prefix == "brk0-" else f" (control arm `{prefix}peakX`)"),
        "",
        "Development tasks only; long budgets, LRTuner at defaults, this machine, both arms "
        "side by side. Every (task, seed, seed LR) whose search answer changed by more "
        f"than 1.1x in step 1. Searched LR: multiples of the tuned peak ({v_old} / {v_new}). "
        f"Change: {v_new} minus {v_old} in the tuned baseline's seed std s (floored at 0.001 "
        "of its mean), positive is better.",
        "",
        f"| task | seed | seed LR / peak | searched LR {v_old} / {v_new} | tuned baseline | "
        f"{v_old} | {v_new} | change (s) |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        f"{len(changes)} runs: mean change {mean_change:+.2f} s; better by more than 1 s: "
        f"{better}, worse by more than 1 s: {worse}. Criterion 2 (mean >= -0.25 s, worse <= "
        f"better): {'holds' if holds else 'fails'}.",
    ])


def retry_table(new: str, old: str) -> str:
    """Rule 7's retries (0.16.0 against 0.15.0): for every task/seed pair with a retried
    search from some seed LR, the LR after the last search (x the tuned peak) per seed LR."""
    arms: dict[str, dict[tuple[str, int], dict[float, dict[str, Any]]]] = {}
    for label, path in (("new", new), ("old", old)):
        runs: dict[tuple[str, int], dict[float, dict[str, Any]]] = defaultdict(dict)
        for r in _jsonl(Path(path)):
            runs[(r["task"], r["seed"])][r["scale"]] = r
        arms[label] = runs
    rows, counts = [], {"old": 0, "new": 0}
    pairs = sorted(set(arms["new"]) & set(arms["old"]))
    for key in pairs:
        n, o = arms["new"][key], arms["old"][key]
        if not any(r.get("searches", 0) > 1 for r in [*n.values(), *o.values()]):
            continue
        if len(n) < len(SCALES) or len(o) < len(SCALES):
            continue
        lr_o = [o[s].get("lr_new") for s in SCALES]
        lr_n = [n[s].get("lr_new") for s in SCALES]
        s_o, s_n = spread(lr_o), spread(lr_n)
        for arm, value in (("old", s_o), ("new", s_n)):
            if value is not None and value > 1.1:
                counts[arm] += 1
        searches = "/".join(str(n[s].get("searches", 0)) for s in SCALES)
        rows.append(
            f"| {key[0]} | {key[1]} | {searches} | "
            + " ".join(f"{v:.3g}" if v else "-" for v in lr_o) + " | "
            + " ".join(f"{v:.3g}" if v else "-" for v in lr_n) + " | "
            + f"{s_o:.3g} | {s_n:.3g} |"
        )
    return "\n".join([
        f"`python benchmarks/search_bracket_dev.py --retry-table {new} {old}`",
        "",
        "Development tasks only. Task/seed pairs whose search was retried (an inconclusive "
        "search, rule 7) from some seed LR: the LR after the last search, as a multiple of the "
        "tuned peak, from seed LRs x0.001 ... x10; spread: the largest over the smallest. "
        "0.15.0 keeps the inconclusive step at the seed LR and searches the next step from "
        "there; 0.16.0 undoes it first (`search_retry_from_start`).",
        "",
        "| task | seed | searches (x0.001 ... x10, 0.16.0) | 0.15.0 LRs | 0.16.0 LRs | "
        "spread 0.15.0 | spread 0.16.0 |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
        f"Pairs with a retry whose LR spreads by more than 1.1x: 0.15.0 {counts['old']}, "
        f"0.16.0 {counts['new']} (of {len(rows)}).",
    ])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tasks", default="development")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--grids", default="benchmarks/results/long/runs")
    p.add_argument("--out", default="benchmarks/results/search-bracket-dev/runs.jsonl")
    p.add_argument("--table", default=None)
    p.add_argument("--options", default="{}", help="LRTuner options (JSON) for every search")
    p.add_argument("--scales", default=",".join(f"{s:g}" for s in SCALES),
                   help="seed LRs as multiples of the tuned peak")
    p.add_argument("--retry-table", nargs=2, default=None, metavar=("NEW", "OLD"),
                   help="two --out files: the LR after the last search, per seed LR")
    p.add_argument("--retry-e2e", nargs=2, default=None, metavar=("NEW", "OLD"),
                   help="with --e2e-table: the retry criterion's step-1 files (rs0- arm)")
    p.add_argument("--e2e-table", default=None, help="step 2's runs (explore_dev.py output)")
    args = p.parse_args(argv)
    if args.retry_table:
        print(retry_table(*args.retry_table))
    elif args.e2e_table and args.retry_e2e:
        lrs = last_search_lrs(*args.retry_e2e)
        print(e2e_table(args.e2e_table, lrs, "rs0-", ("0.15.0", "0.16.0")))
    elif args.e2e_table:
        print(e2e_table(args.e2e_table, first_search_lrs(args.out)))
    elif args.table:
        print(table(args.table))
    else:
        run(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
