"""Seed-LR robustness table from a `lrtuner-bench run` results folder.

Reads the runs of ``lrtuner`` (the task's seed LR) and ``lrtuner@SCALE`` (seed LR x SCALE), and
the baseline's LR grid, and writes ``seed_lr.md`` beside them: for each task, the final metric
(mean ± std over seeds) at every seed LR, the spread of those means across the seed LRs up to
x1 and across all of them, and the spread of the baseline's means across its own LR grid.

    python benchmarks/seed_lr_table.py benchmarks/results/standard
"""

from __future__ import annotations

import json
import math
import statistics
import sys
from pathlib import Path


def _method_scale(name: str, peak: bool = False) -> float | None:
    """The seed-LR scale of an LRTuner run folder: of the task's seed LR (``lrtuner``,
    ``lrtuner@S``), or with ``peak`` of the tuned peak (``lrtuner@peakS`` only)."""
    if peak:
        return float(name[len("lrtuner@peak") :]) if name.startswith("lrtuner@peak") else None
    if name == "lrtuner":
        return 1.0
    if name.startswith("lrtuner@") and not name.startswith("lrtuner@peak"):
        return float(name.split("@", 1)[1])
    return None


def task_rows(task_dir: Path) -> tuple[list[tuple], dict]:
    """Rows ``(scale, seed_lr, mean, std, ok, failed)`` sorted by scale, and the grid info."""
    rows = []
    higher = True
    # a folder with runs relative to the tuned peak (the long profile) is read in those terms
    peak = any(d.name.startswith("lrtuner@peak") for d in task_dir.iterdir())
    for method_dir in sorted(task_dir.iterdir()):
        scale = _method_scale(method_dir.name, peak)
        if scale is None or not method_dir.is_dir():
            continue
        metrics, failures, seed_lr = [], 0, None
        for f in sorted(method_dir.glob("seed*.json")):
            if f.name.endswith(".history.json"):
                continue
            run = json.loads(f.read_text())
            higher = run.get("higher_is_better", True)
            seed_lr = run["method_info"].get("seed_lr", seed_lr)  # already scaled
            if run["status"] != "ok" or run["final_metric"] is None:
                failures += 1
                continue
            metrics.append(float(run["final_metric"]))
        if not metrics and not failures:
            continue
        mean = statistics.mean(metrics) if metrics else float("nan")
        std = statistics.stdev(metrics) if len(metrics) > 1 else 0.0
        rows.append((scale, seed_lr, mean, std, len(metrics), failures))
    grid_file = task_dir / "baseline-grid" / "grid.json"
    grid = json.loads(grid_file.read_text()) if grid_file.exists() else {}
    return sorted(rows), {"grid": grid, "higher": higher}


def _spread(rows: list[tuple]) -> tuple[float, float]:
    """Max minus min of the rows' means (runs that finished), and the decades of seed LR."""
    means = [m for _, _, m, _, ok, _ in rows if ok]
    scales = [s for s, *_ in rows]
    if not means:
        return float("nan"), 0.0
    return max(means) - min(means), round(math.log10(max(scales) / min(scales)), 2)


def to_markdown(out_dir: Path) -> str:
    lines = [
        "| task | seed LR (x task seed; x tuned peak where the folder has lrtuner@peak runs) "
        "| final metric, mean ± std | runs ok / failed |",
        "|---|---|---|---|",
    ]
    summary = [
        "",
        "| task | spread of LRTuner's mean, seed LRs up to x1 (decades) | same, all seed LRs "
        "(decades) | baseline: spread of its mean across its LR grid | up to x1 below the "
        "grid's spread? |",
        "|---|---|---|---|---|",
    ]
    for task_dir in sorted((out_dir / "runs").iterdir()):
        rows, info = task_rows(task_dir)
        if not rows:
            continue
        for scale, seed_lr, mean, std, ok, failed in rows:
            lr = f"{seed_lr:.3g}" if seed_lr else "?"
            cells = [task_dir.name, f"{lr} (x{scale:g})", f"{mean:.4f} ± {std:.4f}"]
            lines.append("| " + " | ".join(cells) + f" | {ok} / {failed} |")
        grid_means = [v["mean"] for v in info["grid"].get("per_lr", {}).values()]
        grid_spread = max(grid_means) - min(grid_means) if grid_means else float("nan")
        low, low_decades = _spread([r for r in rows if r[0] <= 1.0])
        every, all_decades = _spread(rows)
        verdict = "yes" if low < grid_spread else "no"
        summary.append(
            f"| {task_dir.name} | {low:.4f} ({low_decades:g}) | {every:.4f} ({all_decades:g}) "
            f"| {grid_spread:.4f} ({len(grid_means)} LRs) | {verdict} |"
        )
    return "\n".join(lines + summary) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        raise SystemExit("usage: python benchmarks/seed_lr_table.py RESULTS_DIR")
    out_dir = Path(args[0])
    if not (out_dir / "runs").is_dir():
        raise ValueError(f"Invalid RESULTS_DIR: {out_dir} has no runs/ folder")
    text = f"`python benchmarks/seed_lr_table.py {out_dir}`\n\n" + to_markdown(out_dir)
    (out_dir / "seed_lr.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
