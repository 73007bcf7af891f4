"""``summary.md`` of the check: the overhead table, the quality table (losses included), the
baseline grid and what was skipped, from the records in ``results.jsonl``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .. import targets


def _fmt(x: float | None, digits: int = 4) -> str:
    if x is None or not isinstance(x, (int, float)) or not math.isfinite(x):
        return "-"
    return f"{x:.{digits}f}"


def _mean_std(values: Sequence[float]) -> str:
    if not values:
        return "-"
    mean, std = targets.mean_std(list(values))
    return f"{mean:.4f} ± {std:.4f}" if len(values) > 1 else f"{mean:.4f}"


def _test_loss(run: dict[str, Any]) -> float | None:
    final = run.get("final") or {}
    return final.get("test_loss", final.get("val_loss"))


def _train_loss(run: dict[str, Any]) -> float | None:
    curves = (run.get("curves") or {}).get("eval") or []
    return curves[-1].get("train_loss") if curves else None


def baseline_runs(runs: list[dict[str, Any]], task: str) -> list[dict[str, Any]]:
    """The baseline's runs of a task: the best grid LR's runs and the later seeds' runs."""
    grid = [r for r in runs if r["task"] == task and r.get("grid") and r.get("config")]
    rest = [
        r for r in runs if r["task"] == task and r["method"] == "baseline" and not r.get("grid")
    ]
    if not grid:
        return rest
    best, _ = targets.choose_best_lr(grid, grid[0]["higher_is_better"])
    chosen = [r for r in grid if float(r["config"]["method"]["peak_lr"]) == best]
    return chosen + rest


def quality_table(runs: list[dict[str, Any]], tasks: Sequence[str], methods: Sequence[str]) -> str:
    lines = [
        "| task | method | runs ok / planned | final metric, mean ± sd | final train loss "
        "| final test/val loss | wall-clock s / run | statuses |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for task in tasks:
        task_runs = [r for r in runs if r["task"] == task]
        if not task_runs:
            continue
        metric = next((r.get("metric") for r in task_runs if r.get("metric")), "metric")
        for method in ("baseline", *methods):
            if method == "baseline":
                rs = baseline_runs(runs, task)
            else:
                rs = [r for r in task_runs if r["method"] == method and not r.get("grid")]
            ok = [r for r in rs if targets.is_ok(r)]
            statuses: dict[str, int] = {}
            for r in rs:
                statuses[r["status"]] = statuses.get(r["status"], 0) + 1
            walls = [r["wall_clock"]["train_s"] for r in ok if r.get("wall_clock")]
            lines.append(
                f"| {task} | {method} | {len(ok)} / {len(rs)} "
                f"| {metric} {_mean_std([r['final_metric'] for r in ok])} "
                f"| {_mean_std([x for r in ok if (x := _train_loss(r)) is not None])} "
                f"| {_mean_std([x for r in ok if (x := _test_loss(r)) is not None])} "
                f"| {_fmt(sum(walls) / len(walls) if walls else None, 1)} "
                f"| {', '.join(f'{k} {v}' for k, v in sorted(statuses.items())) or '-'} |"
            )
    return "\n".join(lines) + "\n"


def grid_table(runs: list[dict[str, Any]], tasks: Sequence[str]) -> str:
    lines = [
        "| task | peak LR | status | final metric | final test/val loss |",
        "|---|---|---|---|---|",
    ]
    for task in tasks:
        for r in (r for r in runs if r["task"] == task and r.get("grid")):
            lr = r.get("peak_lr")
            lines.append(
                f"| {task} | {lr:g} | {r['status']} | {_fmt(r.get('final_metric'))} "
                f"| {_fmt(_test_loss(r))} |"
            )
    return "\n".join(lines) + "\n"


def write_summary(
    env: dict[str, Any],
    overhead_md: str | None,
    runs: list[dict[str, Any]],
    tasks: Sequence[str],
    methods: Sequence[str],
) -> str:
    """The whole ``summary.md``."""
    skipped = [r for r in runs if r.get("status") == "skipped"]
    parts = [
        "# LRTuner on an accelerator: the GPU check\n",
        f"- device: {env.get('device_name')} ({env.get('device')})",
        f"- torch {env.get('torch')}, CUDA {env.get('cuda')}, Python {env.get('python')}",
        f"- command: `{env.get('command')}`",
        f"- profile: {env.get('profile')}; budget {env.get('budget_s')} s, "
        f"used {_fmt(env.get('wall_s'), 1)} s; {env.get('workers')} concurrent run(s)",
        "",
        "## Overhead (plain, tuned, plain again in lockstep; synchronised timers)\n",
        overhead_md or "not measured\n",
        "## Quality\n",
        "Final metric at the last step (accuracy: higher is better; val_loss: lower is better). "
        "Baseline: the task's hand schedule at the best grid LR. Wall-clock per run is measured "
        "with the other concurrent runs on the same GPU: compare it within this table only.\n",
        quality_table(runs, tasks, methods),
        "## Baseline grid (seed 0)\n",
        grid_table(runs, tasks),
    ]
    if skipped:
        parts += ["## Skipped\n"]
        parts += [f"- {r['key']}: {r.get('error')}" for r in skipped]
        parts += [""]
    return "\n".join(parts) + "\n"
