"""Development runs for rule 7's median over directions (``search_directions=3``, 0.17.0):
how far the seed search's answer spreads across training seeds, with one conclusive search
deciding (0.16.0, ``search_directions=1``) and with the median of three; then full long runs of
the tasks the criterion names (``benchmarks/results/search-directions-dev/CRITERION.md``).

    O=benchmarks/results/search-directions-dev
    python benchmarks/search_directions_dev.py --seed-table \\
        $O/runs-search.jsonl $O/runs-search-dir1.jsonl
    python benchmarks/search_directions_dev.py --e2e-runs $O/runs-search-dir1.jsonl \\
        > $O/e2e-runs.txt
    python benchmarks/search_directions_dev.py --e2e-table $O/runs-e2e.jsonl

The search runs come from ``search_bracket_dev.py --scales 0.01,1`` (every development task,
training seeds 0-2); the long runs from ``explore_dev.py --scenarios peak1,dir1-peak1``.
Development tasks only.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from divisor_dev_table import _jsonl, baseline
from search_bracket_dev import spread

#: check (d)'s bound on the spread across training seeds
SPREAD_BOUND = 3.0
#: step 2's tasks whose control spread is within the bound (no-harm controls)
CONTROLS = 6


def seed_spreads(path: str) -> dict[tuple[str, float], float | None]:
    """Per (task, seed LR / peak): max / min over training seeds of the LR after the search."""
    lrs: dict[tuple[str, float], list[float]] = defaultdict(list)
    for r in _jsonl(Path(path)):
        if r.get("lr_new"):
            lrs[(r["task"], r["scale"])].append(r["lr_new"])
    return {key: spread(v) for key, v in lrs.items() if len(v) >= 3}


def seed_table(new: str, old: str) -> str:
    s_new, s_old = seed_spreads(new), seed_spreads(old)
    keys = sorted(set(s_new) & set(s_old))
    lines = [
        f"`python benchmarks/search_directions_dev.py --seed-table {new} {old}`",
        "",
        "Development tasks only. The LR after the seed search (x the tuned peak), from seed LRs "
        "1/100 and 1 of the tuned peak, training seeds 0-2; spread: the largest over the "
        "smallest of the three seeds. 0.16.0: the first conclusive search decides "
        "(`search_directions=1`); candidate: the median of three conclusive searches.",
        "",
        "| task | seed LR / peak | spread 0.16.0 | spread candidate |",
        "|---|---|---|---|",
    ]
    summary: dict[float, dict[str, list[float]]] = defaultdict(lambda: {"old": [], "new": []})
    for task, scale in keys:
        o, n = s_old[(task, scale)], s_new[(task, scale)]
        lines.append(f"| {task} | {scale:g} | {o:.3g} | {n:.3g} |")
        if o is not None and n is not None:
            summary[scale]["old"].append(o)
            summary[scale]["new"].append(n)
    lines.append("")
    for scale in sorted(summary):
        v = summary[scale]
        parts = []
        for arm, label in (("old", "0.16.0"), ("new", "candidate")):
            x = v[arm]
            parts.append(
                f"{label}: median {statistics.median(x):.3g}, above {SPREAD_BOUND:g}x "
                f"{sum(s > SPREAD_BOUND for s in x)}, largest {max(x):.3g}"
            )
        lines.append(f"- seed LR {scale:g} x peak, {len(v['old'])} tasks: " + "; ".join(parts))
    at_peak = summary.get(1.0)
    if at_peak:
        above_old = sum(s > SPREAD_BOUND for s in at_peak["old"])
        above_new = sum(s > SPREAD_BOUND for s in at_peak["new"])
        fewer = above_new <= above_old - above_old / 3
        lower = statistics.median(at_peak["new"]) < statistics.median(at_peak["old"])
        lines.append(
            f"\nStep 1 (at the peak: tasks above {SPREAD_BOUND:g}x fall by a third, median "
            f"falls): {above_old} -> {above_new}, "
            f"{'passes' if fewer and lower else 'fails'}."
        )
    return "\n".join(lines)


def e2e_runs(old: str) -> str:
    """Step 2's tasks, registry order: control spread above the bound, then ``CONTROLS`` more."""
    from lrtuner_bench.tasks import TASKS

    spreads = seed_spreads(old)
    wide = [n for n in TASKS if (spreads.get((n, 1.0)) or 0) > SPREAD_BOUND]
    calm = [n for n in TASKS if (n, 1.0) in spreads and n not in wide][:CONTROLS]
    return "\n".join(f"0 {task} {seed} 1 -" for task in wide + calm for seed in (0, 1, 2))


def e2e_table(path: str) -> str:
    arms: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for r in _jsonl(Path(path)):
        arm = "old" if r["scenario"].startswith("dir1-") else "new"
        arms[r["task"]][arm].append(r)
    lines = [
        f"`python benchmarks/search_directions_dev.py --e2e-table {path}`",
        "",
        "Development tasks only; long budgets, LRTuner at defaults from the tuned peak, seeds "
        "0-2, both arms on this machine. Gap: the seed-mean final metric minus the tuned "
        "baseline's mean, in its seed std (floored at 0.001 of its mean; larger is better). "
        "LR at 10 %: max / min over the seeds (check (d)).",
        "",
        "| task | tuned baseline | 0.16.0 mean | candidate mean | gap 0.16.0 | gap candidate | "
        "LR at 10 % spread 0.16.0 | candidate | not ok 0.16.0 / candidate |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    gaps: dict[str, list[float]] = {"old": [], "new": []}
    under: dict[str, int] = {"old": 0, "new": 0}
    failed: dict[str, int] = {"old": 0, "new": 0}
    for task, pair in sorted(arms.items()):
        if len(pair["old"]) < 3 or len(pair["new"]) < 3:
            continue
        mean, std, higher = baseline(task)
        s = max(std, 1e-3 * abs(mean))
        cells = {}
        for arm in ("old", "new"):
            runs = pair[arm]
            ok = [r["metric"] for r in runs if r["status"] == "ok" and r["metric"] is not None]
            failed[arm] += len(runs) - len(ok)
            m = statistics.fmean(ok) if ok else float("nan")
            gap = (m - mean) / s * (1 if higher else -1)
            gaps[arm].append(gap)
            lr_spread = spread([r.get("lr_at_10pct") for r in runs])
            under[arm] += lr_spread is not None and lr_spread < SPREAD_BOUND
            cells[arm] = (m, gap, lr_spread, len(runs) - len(ok))
        (mo, go, so, fo), (mn, gn, sn, fn) = cells["old"], cells["new"]
        lines.append(
            f"| {task} | {mean:.4g} ± {std:.2g} | {mo:.4g} | {mn:.4g} | {go:+.2f} | {gn:+.2f} | "
            f"{so:.3g} | {sn:.3g} | {fo} / {fn} |"
        )
    n = len(gaps["old"])
    g_old, g_new = (statistics.fmean(gaps[a]) if gaps[a] else float("nan") for a in ("old", "new"))
    c1 = under["new"] > under["old"]
    c2 = g_new >= g_old - 0.25
    c3 = failed["new"] <= failed["old"]
    lines += [
        "",
        f"{n} tasks. (1) LR at 10 % under {SPREAD_BOUND:g}x: 0.16.0 {under['old']}, candidate "
        f"{under['new']}: {'holds' if c1 else 'fails'}. (2) mean gap 0.16.0 {g_old:+.2f}, "
        f"candidate {g_new:+.2f}: {'holds' if c2 else 'fails'}. (3) runs not ok 0.16.0 "
        f"{failed['old']}, candidate {failed['new']}: {'holds' if c3 else 'fails'}. "
        f"Adopted: {'yes' if c1 and c2 and c3 else 'no'}.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seed-table", nargs=2, metavar=("NEW", "OLD"))
    p.add_argument("--e2e-runs", metavar="OLD")
    p.add_argument("--e2e-table")
    args = p.parse_args(argv)
    if args.seed_table:
        print(seed_table(*args.seed_table))
    elif args.e2e_runs:
        print(e2e_runs(args.e2e_runs))
    elif args.e2e_table:
        print(e2e_table(args.e2e_table))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
