"""Rule 14 (the cooldown starts at exploit's first accepted decrease, 0.14.0) against 0.13.0
on development tasks (``benchmarks/results/cooldown-decrease-dev``)::

    python benchmarks/cooldown_decrease_dev_table.py \
        > benchmarks/results/cooldown-decrease-dev/README.md

The 0.14.0 arm: ``explore_dev.py`` scenarios ``peakX`` in ``runs*.jsonl`` there. The 0.13.0
arm, measured on the same machine (``CRITERION.md``, amended: stored runs are not reproduced
bit for bit on every machine): a candidate run without a rule-14 start took 0.13.0's code path
and is its own 0.13.0 run; a run with a start is compared with the ``cd0-peakX`` run
(``cooldown_on_decrease=False``) of the same task, seed LR and seed, which ``--controls`` runs
(only those not in ``runs.jsonl`` yet)::

    python benchmarks/cooldown_decrease_dev_table.py --controls
"""

from __future__ import annotations

import statistics
import sys
from collections import defaultdict

from divisor_dev_table import ROOT, baseline, runs_in

FOLDER = ROOT / "cooldown-decrease-dev"
SCALES = (0.01, 1.0, 10.0)
CHANGED = 0.5  # a task "changes" when its averaged difference exceeds this many s
WORST_LIMIT = 2.0  # criterion 3: the worst seed LR may fall at most this many s


def _arm(prefix: str) -> dict[tuple[str, float], dict[int, dict]]:
    """(task, seed LR / peak) -> seed -> record, for scenarios ``<prefix>peakX``."""
    cells: dict[tuple[str, float], dict[int, dict]] = defaultdict(dict)
    for r in runs_in(FOLDER.name, "runs*.jsonl"):
        if r["scenario"].startswith(prefix + "peak"):
            cells[(r["task"], float(r["scenario"].split("peak")[1]))][r["seed"]] = r
    return cells


def _candidate() -> dict[tuple[str, float], dict[int, dict]]:
    return _arm("")


def _control(new: dict, controls: dict[int, dict], seed: int) -> dict | None:
    """The 0.13.0 run of a candidate run: itself without a rule-14 start, else its cd0 run."""
    if new.get("cooldown_start_step") is None:
        return new
    return controls.get(seed)


def run_controls() -> None:
    """Run the ``cd0-peakX`` control of every candidate run with a rule-14 start."""
    import argparse

    import explore_dev

    controls = _arm("cd0-")
    for (task, scale), runs in _candidate().items():
        done = controls.get((task, scale), {})
        seeds = [
            seed
            for seed, r in sorted(runs.items())
            if r.get("cooldown_start_step") is not None and seed not in done
        ]
        if seeds:
            explore_dev.run(argparse.Namespace(
                label="0.14.0-dev", tasks=task, scenarios=f"cd0-peak{scale:g}",
                seeds=",".join(map(str, seeds)), out=str(FOLDER / "runs.jsonl"),
                grids=str(ROOT / "long" / "runs"),
            ))


def _spread(task: str) -> tuple[float, float, bool]:
    mean, std, higher = baseline(task)
    return mean, max(std, 1e-3 * abs(mean)), higher


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def main() -> int:
    if "--controls" in sys.argv[1:]:
        run_controls()
        return 0
    candidate = _candidate()
    controls = _arm("cd0-")
    tasks = list(dict.fromkeys(t for t, _ in candidate))  # in the order they ran
    lines = [
        "`python benchmarks/cooldown_decrease_dev_table.py`",
        "",
        "Development tasks only; criterion in `CRITERION.md` (written before these runs). "
        "LRTuner at defaults, seeds 0, 1, 2, long budgets. Cells: final metric per seed. Gap: "
        "the seed mean minus the tuned baseline's mean in units of the baseline's seed spread "
        "s (floored at 0.001 of its mean); positive is better. Starts: runs of the three whose "
        "cooldown began at an exploit decrease (0.14.0). The 0.13.0 runs ran on the same "
        "machine: a run without a start is its own 0.13.0 run (same code path), a run with "
        "one has a `cd0` run (`cooldown_on_decrease=False`).",
        "",
        "| task | seed LR / peak | 0.13.0 | 0.14.0 (rule 14) | starts | step of the start | "
        "gap 0.13.0 | gap 0.14.0 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    per_task: dict[str, dict[str, list[float]]] = {}
    complete: list[str] = []
    for task in tasks:
        mean, s, higher = _spread(task)
        sign = 1.0 if higher else -1.0
        gaps: dict[str, list[float]] = {"old": [], "new": []}
        for scale in SCALES:
            new = candidate.get((task, scale), {})
            cd0 = controls.get((task, scale), {})
            old = {seed: _control(r, cd0, seed) for seed, r in new.items()}
            if len(new) < 3 or any(v is None for v in old.values()):
                continue
            new_m = [r["metric"] if r["status"] == "ok" else float("nan") for r in new.values()]
            old_m = [r["metric"] if r["status"] == "ok" else float("nan") for r in old.values()]
            g_old, g_new = (sign * (_mean(m) - mean) / s for m in (old_m, new_m))
            gaps["old"].append(g_old)
            gaps["new"].append(g_new)
            starts = [r for r in new.values() if r.get("cooldown_start_step") is not None]
            steps = " ".join(str(r["cooldown_start_step"]) for r in starts) or "-"
            lines.append(
                f"| {task} | {scale:g} | {' '.join(f'{x:.4f}' for x in old_m)} | "
                f"{' '.join(f'{x:.4f}' for x in new_m)} | {len(starts)} | {steps} | "
                f"{g_old:.2f} | {g_new:.2f} |"
            )
        if len(gaps["new"]) == len(SCALES):
            per_task[task] = gaps
            complete.append(task)
    diffs = {t: _mean(g["new"]) - _mean(g["old"]) for t, g in per_task.items()}
    worst = {t: min(g["new"]) - min(g["old"]) for t, g in per_task.items()}
    better = sorted(t for t, d in diffs.items() if d > CHANGED)
    worse = sorted(t for t, d in diffs.items() if d < -CHANGED)
    c1 = bool(diffs) and _mean(list(diffs.values())) > 0
    c2 = len(better) >= len(worse)
    c3 = all(w >= -WORST_LIMIT for w in worst.values())
    lines += [
        "",
        f"Tasks with all three seed LRs: {len(per_task)} ({', '.join(complete)}).",
        "",
        f"1. Mean over tasks of the gap difference (0.14.0 minus 0.13.0): "
        f"{_mean(list(diffs.values())):+.2f} s: {'holds' if c1 else 'fails'}.",
        f"2. Better by more than {CHANGED} s: {len(better)} ({', '.join(better) or '-'}); worse: "
        f"{len(worse)} ({', '.join(worse) or '-'}): {'holds' if c2 else 'fails'}.",
        "3. Worst seed LR, 0.14.0 minus 0.13.0, per task: "
        + ", ".join(f"{t} {w:+.2f}" for t, w in worst.items())
        + f": {'holds' if c3 else 'fails'} (limit -{WORST_LIMIT:g} s).",
        "",
        f"Criterion: {'met: rule 14 is kept' if c1 and c2 and c3 else 'not met'}.",
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
