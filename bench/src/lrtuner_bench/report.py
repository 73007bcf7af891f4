"""``lrtuner-bench report DIR``: Markdown tables and figures from stored runs.

Per task, one row per method: the final test metric as mean ± std over seeds, failures, how
many seeds reached the tuned baseline's final metric and after what fraction of the baseline's
steps (range-test steps included) and wall-clock, the overhead (training wall-clock for the
same steps against the baseline's) and the extra forward passes per step (probes, range tests,
BatchNorm recalibration), and the peak memory growth. Figures follow the paper's Figures 5-8
(train loss, test metric and LR against steps, baseline vs LRTuner) and its Figure 1 (probe
losses against the fitted quadratic). matplotlib is imported only to draw figures.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrtuner.extras import require_extra

from . import acceptance, targets

BASELINE_COLOR = "tab:orange"
LRTUNER_COLOR = "tab:blue"
OTHER_COLORS = (
    "tab:green",
    "tab:red",
    "tab:purple",
    "tab:brown",
    "tab:pink",
    "tab:gray",
    "tab:olive",
    "tab:cyan",
    "black",
    "gold",
    "navy",
    "lime",
)


def method_color(method: str, names: Sequence[str]) -> str:
    """Orange for the baseline, blue for LRTuner (as in the paper), distinct colours else."""
    fixed = {"baseline": BASELINE_COLOR, "lrtuner": LRTUNER_COLOR}
    if method in fixed:
        return fixed[method]
    rest = [m for m in names if m not in fixed]
    return OTHER_COLORS[rest.index(method) % len(OTHER_COLORS)] if method in rest else "black"


@dataclass
class TaskResults:
    """All stored runs of one task."""

    name: str
    metric: str
    higher_is_better: bool
    grid: list[dict[str, Any]] = field(default_factory=list)
    calibration_grid: list[dict[str, Any]] = field(default_factory=list)
    methods: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    history_paths: dict[int, Path] = field(default_factory=dict)


def load_results(out_dir: str | Path) -> dict[str, TaskResults]:
    """Read ``OUT/runs/<task>/<method>/seed*.json`` (and the baseline and calibration grids,
    which are kept apart from the methods)."""
    root = Path(out_dir) / "runs"
    if not root.is_dir():
        raise ValueError(
            f"Invalid results folder: {out_dir} has no runs/ (run `lrtuner-bench run`)"
        )
    results: dict[str, TaskResults] = {}
    for path in sorted(root.glob("*/*/*.json")):
        if path.name == "grid.json":
            continue
        run = json.loads(path.read_text())
        if "task" not in run:
            continue
        task = results.setdefault(
            run["task"], TaskResults(run["task"], run["metric"], run["higher_is_better"])
        )
        if path.parent.name == "baseline-grid":
            task.grid.append(run)
            continue
        if path.parent.name == "calibration-grid":
            # inputs of `lrtuner-bench calibrate`, not a method; a grid point the tuned
            # baseline's grid already ran is a copy of that run, named "baseline"
            task.calibration_grid.append(run)
            continue
        task.methods.setdefault(run["method"], []).append(run)
        if run.get("history_file"):
            history = path.with_name(run["history_file"])
            _count_every_search(run, history)
            if run["method"] == "lrtuner":
                task.history_paths[int(run["seed"])] = history
    for task in results.values():
        for runs in task.methods.values():
            runs.sort(key=lambda r: r["seed"])
    return results


def _count_every_search(run: dict, history: Path) -> None:
    """``forward_passes["seed_search"]`` as the forward passes of every seed search in the
    run's decision history. A run stored by 0.16.0's runner or earlier holds the last
    search's only (``seed_search_result``), so a retried search's earlier attempts were
    counted as fits in check (e)."""
    fp = run.get("forward_passes")
    if not fp or not history.exists():
        return
    records = (json.loads(line) for line in history.read_text().splitlines())
    fp["seed_search"] = acceptance.search_forward_passes(records)


def _mean(values: Sequence[float]) -> float:
    return targets.mean_std(values)[0]


def summarize(task: TaskResults) -> list[dict[str, Any]]:
    """One summary row per method (baseline first); the arithmetic of the report tables."""
    baseline = task.methods.get("baseline", [])
    target = targets.target_value(baseline)
    base_ok = [r for r in baseline if targets.is_ok(r)]
    base_steps = _mean([r["config"]["budget"]["steps"] for r in baseline]) if baseline else math.nan
    base_loop = _mean([r["wall_clock"]["loop_s"] for r in base_ok]) if base_ok else math.nan
    scaled = sorted(
        (m for m in task.methods if m.startswith("lrtuner@")),
        key=lambda m: (m.partition("@")[2].startswith("peak"), _scale_of(m)),
    )
    first = ("baseline", "lrtuner", *scaled)
    order = [*first, *sorted(m for m in task.methods if m not in first)]
    rows = []
    for method in [m for m in order if m in task.methods]:
        runs = task.methods[method]
        ok = [r for r in runs if targets.is_ok(r)]
        final_mean, final_std = targets.mean_std([r["final_metric"] for r in ok])
        best_mean, _ = targets.mean_std([r["best_metric"] for r in ok])
        ttt = [targets.time_to_target(r, target, task.higher_is_better) for r in runs]
        reached = [t for t in ttt if t["reached"]]
        finished = [r for r in runs if r.get("status") != "failed" and "wall_clock" in r]
        f1 = [r["final"]["macro_f1"] for r in ok if r.get("final") and "macro_f1" in r["final"]]
        row = {
            "method": method,
            "metric": task.metric,
            "higher_is_better": task.higher_is_better,
            "runs": len(runs),
            "failures": len(runs) - len(ok),
            "statuses": sorted({r["status"] for r in runs if r["status"] != "ok"}),
            "errors": sorted({r["error"] for r in runs if r.get("error")}),
            "final_mean": final_mean,
            "final_std": final_std,
            "best_mean": best_mean,
            "macro_f1_mean": _mean(f1) if f1 else None,
            "target": target,
            "reached": len(reached),
            "steps_to_target_frac": _mean([t["steps"] / base_steps for t in reached])
            if reached
            else None,
            "wall_to_target_s": _mean([t["wall_clock_s"] for t in reached]) if reached else None,
            "overhead": _mean([r["wall_clock"]["loop_s"] for r in finished]) / base_loop
            if finished and base_loop > 0
            else None,
            "setup_s": _mean([r["wall_clock"]["setup_s"] for r in finished]) if finished else None,
            "extra_fwd_per_step": _mean([r["forward_passes"]["extra_per_step"] for r in finished])
            if finished
            else None,
            "peak_mem_delta_mb": _mean(
                [r["memory"]["peak_rss_delta_mb"] for r in finished if "memory" in r]
            )
            if finished
            else None,
            "lr": _describe_lr(method, runs),
        }
        rows.append(row)
    return rows


def _scale_of(method: str) -> float:
    text = method.partition("@")[2].removeprefix("peak")
    try:
        return float(text)
    except ValueError:
        return math.inf


def _describe_lr(method: str, runs: list[dict[str, Any]]) -> str:
    if not runs:
        return ""
    run = runs[0]
    if method == "calibrated":
        lr = run["config"]["method"].get("calibrated_lr")
        return f"calibrated {lr:.3g}" if lr is not None else "not calibrated"
    if method in ("baseline", "knee", "cosine", "constant"):
        peak = run["config"]["method"].get("peak_lr")
        return f"peak {peak:.3g}" if peak is not None else ""
    if method == "lr-range-test":
        lrs = [r["method_info"]["suggested_lr"] for r in runs if r.get("method_info")]
        return f"found {_mean(lrs):.3g}" if lrs else ""
    finals = [r["final_lr"] for r in runs if r.get("final_lr") is not None]
    peaks = [
        max(v for v in r["curves"]["step"]["lr"] if v is not None and math.isfinite(v))
        for r in runs
        if r.get("curves", {}).get("step", {}).get("lr")
    ]
    parts = []
    if peaks:
        parts.append(f"max {_mean(peaks):.3g}")
    if finals:
        parts.append(f"final {_mean(finals):.3g}")
    return ", ".join(parts)


def _fmt(value: float | None, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}"


def _split_of(name: str) -> str:
    from .tasks import split_of

    return split_of(name)


def markdown_table(task: TaskResults, rows: list[dict[str, Any]]) -> str:
    """The Markdown table of one task (validation tasks are marked in the heading)."""
    direction = "higher" if task.higher_is_better else "lower"
    target = rows[0]["target"] if rows else None
    split = _split_of(task.name)
    mark = " (VALIDATION task)" if split == "validation" else f" ({split} task)"
    lines = [
        f"## {task.name}{mark}",
        "",
        f"Metric: `{task.metric}` ({direction} is better). Target = tuned baseline's final "
        f"metric, mean over seeds: {_fmt(target)}.",
        "",
        "| method | final (mean ± std) | best | macro-F1 | failed | reached target | "
        "steps to target (× baseline steps) | wall-clock to target (s) | overhead (× baseline) | "
        "extra fwd/step | peak mem Δ (MB) | LR |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        final = (
            "-" if math.isnan(r["final_mean"]) else f"{r['final_mean']:.4f} ± {r['final_std']:.4f}"
        )
        failed = f"{r['failures']}/{r['runs']}"
        if r["statuses"]:
            failed += f" ({', '.join(r['statuses'])})"
        lines.append(
            f"| {r['method']} | {final} | {_fmt(r['best_mean'])} | {_fmt(r['macro_f1_mean'])} | "
            f"{failed} | {r['reached']}/{r['runs']} | {_fmt(r['steps_to_target_frac'], 2)} | "
            f"{_fmt(r['wall_to_target_s'], 1)} | {_fmt(r['overhead'], 2)} | "
            f"{_fmt(r['extra_fwd_per_step'], 2)} | {_fmt(r['peak_mem_delta_mb'], 0)} | {r['lr']} |"
        )
    errors = sorted({e for r in rows for e in r["errors"]})
    if errors:
        lines += ["", "Errors:", *(f"- `{e[:300]}`" for e in errors)]
    if task.grid:
        best, summary = targets.choose_best_lr(task.grid, task.higher_is_better)
        lines += ["", "Baseline LR grid (final metric; the chosen peak is marked):", ""]
        lines += ["| peak LR | final (mean ± std) | runs | failed |", "|---|---|---|---|"]
        for lr, s in summary.items():
            mark = " **(chosen)**" if lr == best else ""
            lines.append(
                f"| {lr:g}{mark} | {_fmt(s['mean'])} ± {_fmt(s['std'])} | {s['n']} | "
                f"{s['failures']} |"
            )
    return "\n".join(lines)


# --------------------------------------------------------------------------- figures


def _mean_curve(runs: list[dict[str, Any]], key: str) -> tuple[list[float], list[float]]:
    """Mean over seeds of an eval-point quantity, point by point.

    The x value is the mean step of the point, range-test steps included (they differ
    between seeds when a range test stops early); only points every run has are kept.
    """
    curves = [r.get("curves", {}).get("eval", []) for r in runs]
    n = min((len(c) for c in curves), default=0)
    xs, ys = [], []
    for i in range(n):
        finite = [
            c[i][key] for c in curves if c[i].get(key) is not None and math.isfinite(c[i][key])
        ]
        if not finite:
            continue
        extra = [int(r.get("extra_train_steps", 0)) for r in runs]
        xs.append(_mean([int(c[i]["step"]) + e for c, e in zip(curves, extra, strict=True)]))
        ys.append(_mean(finite))
    return xs, ys


def _mean_lr_trace(runs: list[dict[str, Any]]) -> tuple[list[int], list[float]]:
    traces = [r["curves"]["step"] for r in runs if r.get("curves", {}).get("step", {}).get("lr")]
    if not traces:
        return [], []
    n = min(len(t["lr"]) for t in traces)
    every = traces[0]["every"]
    return [i * every for i in range(n)], [_mean([t["lr"][i] for t in traces]) for i in range(n)]


def plot_task_curves(task: TaskResults, methods: Sequence[str] = ("baseline", "lrtuner")) -> Any:
    """Train loss, test metric and LR against steps (mean over seeds), as in the paper's
    Figures 5-8: baseline in orange, LRTuner in blue (other methods, if asked, in grey)."""
    require_extra("matplotlib", "plot", "the benchmark report's figures")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 3.4), layout="constrained")
    axes = fig.subplots(1, 3)
    for method in methods:
        runs = [r for r in task.methods.get(method, []) if r.get("curves")]
        if not runs:
            continue
        lw = 1.6 if method in ("baseline", "lrtuner") else 1
        style = {"color": method_color(method, methods), "label": method, "lw": lw}
        axes[0].plot(*_mean_curve(runs, "train_loss"), marker="o", ms=3, **style)
        axes[1].plot(*_mean_curve(runs, "metric"), marker="o", ms=3, **style)
        axes[2].plot(*_mean_lr_trace(runs), **style)
    axes[0].set_ylabel("train loss")
    axes[1].set_ylabel(f"test {task.metric}")
    axes[2].set_ylabel("learning rate")
    for ax in axes:
        ax.set_xlabel("step")
        ax.legend(fontsize=7)
    fig.suptitle(f"{task.name}: mean over seeds")
    return fig


def plot_all_methods(task: TaskResults) -> Any:
    """Test metric against steps for every method (mean over seeds)."""
    require_extra("matplotlib", "plot", "the benchmark report's figures")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.add_subplot()
    names = sorted(task.methods)
    for method in names:
        runs = [r for r in task.methods[method] if r.get("curves")]
        if runs:
            ax.plot(
                *_mean_curve(runs, "metric"),
                marker="o",
                ms=3,
                label=method,
                color=method_color(method, names),
                lw=2 if method in ("baseline", "lrtuner") else 1,
            )
    target = targets.target_value(task.methods.get("baseline", []))
    if target is not None:
        ax.axhline(target, color="k", ls=":", lw=1, label="target")
    ax.set_xlabel("step (range-test steps included)")
    ax.set_ylabel(f"test {task.metric}")
    ax.set_title(task.name)
    ax.legend(fontsize=7, ncol=2)
    return fig


def write_report(out_dir: str | Path, figures: bool = True) -> Path:
    """Write ``OUT/report.md``, ``OUT/summary.json`` and ``OUT/figures/*.png``; returns the
    report's path."""
    out = Path(out_dir)
    results = load_results(out)
    if not results:
        raise ValueError(f"Invalid results folder: {out_dir} holds no runs")
    profiles = sorted(p.name for p in out.glob("profile-*.json"))
    parts = [
        "# LRTuner benchmark report",
        "",
        f"Results folder: `{out}`. Profile config: {', '.join(f'`{p}`' for p in profiles) or '-'}.",
        "",
        "Steps to target count range-test steps; wall-clock is training time (probes, "
        "rollbacks and range tests included, evaluation excluded). Overhead is the training "
        "wall-clock for the same number of steps divided by the baseline's. Extra forward "
        "passes per step count probes, range-test steps and BatchNorm recalibration. Means "
        "and spreads are over seeds; failed or diverged runs are counted, not averaged.",
        "",
    ]
    parts += [*split_table(sorted(results)), ""]
    summary: dict[str, Any] = {}
    fig_dir = out / "figures"
    for name, task in sorted(results.items()):
        rows = summarize(task)
        summary[name] = rows
        parts += [markdown_table(task, rows), ""]
        if figures:
            parts += _write_figures(task, fig_dir)
    checks = acceptance.acceptance(results, _split_of)
    parts += [acceptance.markdown(checks), ""]
    payload = {
        "split": {name: _split_of(name) for name in sorted(results)},
        "tasks": summary,
        "acceptance": checks,
    }
    (out / "summary.json").write_text(json.dumps(payload, indent=1, default=str))
    path = out / "report.md"
    path.write_text("\n".join(parts) + "\n")
    return path


def split_table(names: Sequence[str]) -> list[str]:
    """The development/validation split of the tasks in a report, with each reason."""
    from .tasks import TASKS

    lines = [
        "## Task split",
        "",
        "Declared in code (`Task.split`) before any result of the long profile existed. Rules "
        "and constants may be set on development tasks; validation tasks are run to report, "
        "never to choose. A rule changed after looking at a validation task turns it into a "
        "development task, and a new validation task replaces it.",
        "",
        "| task | split | reason |",
        "|---|---|---|",
    ]
    for name in names:
        cls = TASKS.get(name)
        split = _split_of(name)
        shown = "**validation**" if split == "validation" else split
        lines.append(f"| {name} | {shown} | {cls.split_reason if cls else ''} |")
    return lines


def _write_figures(task: TaskResults, fig_dir: Path) -> list[str]:
    from lrtuner import plotting

    fig_dir.mkdir(parents=True, exist_ok=True)
    lines = []
    figs = [
        (f"{task.name}-curves.png", "baseline vs LRTuner", plot_task_curves(task)),
        (f"{task.name}-methods.png", "all methods", plot_all_methods(task)),
    ]
    if task.history_paths:
        seed = min(task.history_paths)
        history = plotting.read_history(task.history_paths[seed])
        figs.append(
            (
                f"{task.name}-lr-trace.png",
                f"LRTuner decisions, seed {seed}",
                plotting.plot_lr_trace(history, title=f"{task.name}, seed {seed}"),
            )
        )
        record = plotting.first_fit(history)
        if record is not None:
            figs.append(
                (
                    f"{task.name}-quadratic-fit.png",
                    "probe losses and fitted quadratic",
                    plotting.plot_quadratic_fit(record),
                )
            )
    for filename, caption, fig in figs:
        fig.savefig(fig_dir / filename, dpi=110)
        lines.append(f"![{task.name}: {caption}](figures/{filename})")
    return [*lines, ""]
