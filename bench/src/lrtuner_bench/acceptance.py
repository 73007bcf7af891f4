"""The acceptance checks of issue 12 (point 4), computed from stored runs.

Every check reads only the stored run dicts of :class:`lrtuner_bench.report.TaskResults`, so
it is tested on hand-written runs. "LRTuner" is the set of its seed-LR variants: the runs
named ``lrtuner@peakS`` (seed LR = S x the task's tuned peak) when there are any, else
``lrtuner`` and ``lrtuner@S``. A failed or diverged run is never dropped: it makes its
variant the worst, ranks its method below every method without failures, and counts as not
reaching the target.

a. ``worst_seed_lr``: the worst variant's mean final metric against the tuned baseline's
   mean minus (plus, when lower is better) 2 sample standard deviations of its seeds.
b. ``mean_ranks``: per task, methods ranked by mean final metric (1 = best; ties share the
   mean rank; LRTuner pooled over its variants); the mean rank over the validation tasks,
   among the methods not tuned per task and among all.
c. ``steps_to_target``: per LRTuner run, the steps to reach the baseline's mean final metric
   over the baseline's steps (unreached = infinity); the task's value is the median run.
d. ``early_lr_spread``: the LR at 10 % of the run, per variant; its max / min over training
   seeds; the task's value is the largest over variants.
e. ``probe_fraction``: the fits' probe forward passes / (3 x training steps), the largest over
   runs (the one-time seed search is left out of the check and reported beside it).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from . import targets
from .methods import PER_TASK_TUNED

LRTUNER = "lrtuner"
#: thresholds of the issue's acceptance criteria.
STEPS_FRACTION_TARGET = 0.8
EARLY_LR_SPREAD_MAX = 3.0
PROBE_FRACTION_MAX = 0.02
PROBE_MIN_STEPS = 2000
EARLY_FRACTION = 0.1


def lrtuner_variants(methods: Sequence[str]) -> list[str]:
    """The LRTuner method names a task's checks use (see the module doc), by seed-LR scale."""
    peak = [m for m in methods if m.startswith(f"{LRTUNER}@peak")]
    chosen = peak or [m for m in methods if m == LRTUNER or m.startswith(f"{LRTUNER}@")]

    def scale(name: str) -> float:
        text = name.partition("@")[2].removeprefix("peak")
        return float(text) if text else 1.0

    return sorted(chosen, key=scale)


def _mean_or_none(runs: Sequence[dict[str, Any]]) -> float | None:
    """Mean final metric when every run is ok, else ``None`` (a failure)."""
    if not runs or not all(targets.is_ok(r) for r in runs):
        return None
    return statistics.fmean(r["final_metric"] for r in runs)


def worst_seed_lr(task: Any) -> dict[str, Any]:
    """Check (a) on one task."""
    hib = task.higher_is_better
    base_ok = [r["final_metric"] for r in task.methods.get("baseline", []) if targets.is_ok(r)]
    base_mean, base_std = targets.mean_std(base_ok)
    threshold = base_mean - 2 * base_std if hib else base_mean + 2 * base_std
    per_variant = {v: _mean_or_none(task.methods[v]) for v in lrtuner_variants(task.methods)}
    worst_name, worst = None, None
    for name, value in per_variant.items():
        if value is None:
            worst_name, worst = name, None
            break
        if worst is None or not targets.better(value, worst, hib):
            worst_name, worst = name, value
    passed = (
        bool(per_variant)
        and worst is not None
        and not math.isnan(threshold)
        and targets.better(worst, threshold, hib)
    )
    return {
        "variants": per_variant,
        "worst_variant": worst_name,
        "worst_mean": worst,
        "baseline_mean": base_mean,
        "baseline_std": base_std,
        "threshold": threshold,
        "pass": passed,
    }


def method_scores(task: Any) -> dict[str, tuple[int, float]]:
    """Per rankable method ``(failures, mean final over ok runs)``; LRTuner pooled over its
    variants; other ``@scale`` variants are left out (they are not at their defaults)."""
    variants = set(lrtuner_variants(task.methods))
    groups: dict[str, list[dict[str, Any]]] = {}
    for name, runs in task.methods.items():
        if name in variants:
            groups.setdefault(LRTUNER, []).extend(runs)
        elif "@" not in name and name != LRTUNER:
            groups[name] = list(runs)
    scores = {}
    for name, runs in groups.items():
        ok = [r["final_metric"] for r in runs if targets.is_ok(r)]
        mean = statistics.fmean(ok) if ok else math.nan
        scores[name] = (len(runs) - len(ok), mean)
    return scores


def rank_methods(scores: Mapping[str, tuple[int, float]], higher_is_better: bool) -> dict:
    """Ranks (1 = best) of ``{method: (failures, mean)}``: methods without failures first,
    by mean; then those with failures, by mean (all failed: last). Ties share the mean rank."""

    def key(name: str) -> tuple[int, float]:
        failures, mean = scores[name]
        if math.isnan(mean):
            return (2, 0.0)
        return (1 if failures else 0, -mean if higher_is_better else mean)

    order = sorted(scores, key=key)
    ranks: dict[str, float] = {}
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and key(order[j + 1]) == key(order[i]):
            j += 1
        for name in order[i : j + 1]:
            ranks[name] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def _position(group: dict[str, Any]) -> str:
    """``"2"``, or ``"1 (tied with a, b)"`` when other methods have the same mean rank."""
    tied = group.get("lrtuner_tied_with") or []
    return f"{group['lrtuner_position']}" + (f" (tied with {', '.join(tied)})" if tied else "")


def mean_ranks(tasks: Sequence[Any]) -> dict[str, Any]:
    """Check (b) over a list of tasks (the validation tasks)."""
    out: dict[str, Any] = {}
    for group in ("not_tuned_per_task", "all"):
        per_task = {}
        for task in tasks:
            scores = method_scores(task)
            if group == "not_tuned_per_task":
                scores = {m: v for m, v in scores.items() if m not in PER_TASK_TUNED}
            per_task[task.name] = rank_methods(scores, task.higher_is_better)
        methods = sorted({m for r in per_task.values() for m in r})
        means = {
            m: statistics.fmean(r[m] for r in per_task.values() if m in r)
            for m in methods
            if all(m in r for r in per_task.values())
        }
        order = sorted(means, key=lambda m: means[m])
        # competition ranking: 1 + the methods strictly ahead; equal mean ranks tie
        position, tied = None, []
        if LRTUNER in means:
            position = 1 + sum(1 for m in means if means[m] < means[LRTUNER])
            tied = sorted(m for m in means if m != LRTUNER and means[m] == means[LRTUNER])
        out[group] = {
            "per_task": per_task,
            "mean_rank": {m: round(means[m], 3) for m in order},
            "lrtuner_position": position,
            "lrtuner_tied_with": tied,
        }
    nt, al = out["not_tuned_per_task"]["lrtuner_position"], out["all"]["lrtuner_position"]
    out["pass"] = nt == 1 and al is not None and al <= 2
    return out


def steps_to_target(task: Any) -> dict[str, Any]:
    """Check (c) on one task."""
    baseline = task.methods.get("baseline", [])
    target = targets.target_value(baseline)
    base_steps = (
        statistics.fmean(r["config"]["budget"]["steps"] for r in baseline) if baseline else math.nan
    )
    fractions = []
    for name in lrtuner_variants(task.methods):
        for run in task.methods[name]:
            ttt = targets.time_to_target(run, target, task.higher_is_better)
            fractions.append(ttt["steps"] / base_steps if ttt["reached"] else math.inf)
    median = statistics.median(fractions) if fractions else None
    return {
        "target": target,
        "fractions": fractions,
        "median_fraction": median,
        "pass": median is not None and median <= STEPS_FRACTION_TARGET,
    }


def lr_at_fraction(run: dict[str, Any], fraction: float = EARLY_FRACTION) -> float | None:
    """The LR of a run at ``fraction`` of its step budget, from its strided per-step trace."""
    trace = run.get("curves", {}).get("step", {})
    lrs, every = trace.get("lr") or [], int(trace.get("every") or 1)
    if not lrs:
        return None
    steps = int(run.get("config", {}).get("budget", {}).get("steps", len(lrs) * every))
    index = min(len(lrs) - 1, int(fraction * steps) // every)
    value = lrs[index]
    return float(value) if value is not None and math.isfinite(value) and value > 0 else None


def early_lr_spread(task: Any) -> dict[str, Any]:
    """Check (d) on one task."""
    per_variant: dict[str, dict[str, Any]] = {}
    for name in lrtuner_variants(task.methods):
        lrs = {int(r["seed"]): lr_at_fraction(r) for r in task.methods[name]}
        finite = [v for v in lrs.values() if v is not None]
        ratio = max(finite) / min(finite) if len(finite) >= 2 and len(finite) == len(lrs) else None
        per_variant[name] = {"lr_by_seed": lrs, "ratio": ratio}
    ratios = [v["ratio"] for v in per_variant.values()]
    worst = None if not ratios or any(r is None for r in ratios) else max(ratios)
    return {
        "per_variant": per_variant,
        "worst_ratio": worst,
        "pass": worst is not None and worst < EARLY_LR_SPREAD_MAX,
    }


def search_forward_passes(history: Iterable[dict[str, Any]]) -> int:
    """Forward passes of every seed search in a run's decision history (a retried search has
    one record per attempt); check (e) is on the rest of the probes, the fits."""
    return sum(
        int(record.get("forward_passes") or 0)
        for record in history
        if str(record.get("reason", "")).startswith("seed search")
    )


def probe_fraction(task: Any) -> dict[str, Any]:
    """Check (e) on one task (applies when the runs have at least 2000 steps)."""
    fractions = []
    all_probes = []
    steps = []
    for name in lrtuner_variants(task.methods):
        for run in task.methods[name]:
            fp = run.get("forward_passes")
            if not fp or not fp.get("train"):
                continue
            # the check is on the fits; the one-time seed search is reported beside it
            fits = fp["probe"] - int(fp.get("seed_search", 0) or 0)
            fractions.append(fits / (3 * fp["train"]))
            all_probes.append(fp["probe"] / (3 * fp["train"]))
            steps.append(int(run["config"]["budget"]["steps"]))
    worst = max(fractions) if fractions else None
    applies = bool(steps) and min(steps) >= PROBE_MIN_STEPS
    return {
        "max_fraction": worst,
        "max_fraction_with_seed_search": max(all_probes) if all_probes else None,
        "applies": applies,
        "pass": worst is not None and worst <= PROBE_FRACTION_MAX,
    }


def acceptance(results: Mapping[str, Any], split_of: Any) -> dict[str, Any]:
    """All five checks: per task (every task, with its split), and the verdicts over the
    validation tasks. ``split_of(name)`` gives a task's split."""
    per_task = {}
    for name, task in sorted(results.items()):
        if not lrtuner_variants(task.methods) or "baseline" not in task.methods:
            continue
        per_task[name] = {
            "split": split_of(name),
            "a_worst_seed_lr": worst_seed_lr(task),
            "c_steps_to_target": steps_to_target(task),
            "d_early_lr_spread": early_lr_spread(task),
            "e_probe_fraction": probe_fraction(task),
        }
    validation = [results[n] for n, v in per_task.items() if v["split"] == "validation"]
    verdict: dict[str, Any] = {"validation_tasks": [t.name for t in validation]}
    if validation:
        rows = [per_task[t.name] for t in validation]
        reached = sum(r["c_steps_to_target"]["pass"] for r in rows)
        applying = [r for r in rows if r["e_probe_fraction"]["applies"]]
        verdict.update(
            a=all(r["a_worst_seed_lr"]["pass"] for r in rows),
            b=mean_ranks(validation),
            c={"tasks_within": reached, "tasks": len(rows), "pass": 2 * reached >= len(rows)},
            d=all(r["d_early_lr_spread"]["pass"] for r in rows),
            e=all(r["e_probe_fraction"]["pass"] for r in applying) if applying else None,
        )
    return {"per_task": per_task, "validation": verdict}


def _f(value: Any, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return "-" if value is None or math.isnan(value) else "never"
    return f"{value:.{digits}g}" if isinstance(value, float) else str(value)


def _ok(flag: bool) -> str:
    return "yes" if flag else "**no**"


def markdown(report: Mapping[str, Any]) -> str:
    """The acceptance section of ``report.md``."""
    lines = [
        "## Acceptance checks (issue 12, point 4)",
        "",
        "LRTuner = its runs from seed LRs at x0.001 ... x10 of the tuned peak "
        "(`lrtuner@peakS`), or its seed-LR variants where those are absent. Failures are kept: "
        "a failed variant is the worst, a method with a failed run ranks below those without.",
        "",
        "| task | split | (a) worst seed-LR mean | baseline mean − 2 std (±) | (a) ok | "
        "(c) median steps to target (× baseline) | (c) ≤ 0.8 | (d) LR at 10 %: max/min over "
        "seeds | (d) < 3 | (e) fits' probe fwd / training fwd (with the seed search) | "
        "(e) ≤ 2 % |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row in report["per_task"].items():
        a, c = row["a_worst_seed_lr"], row["c_steps_to_target"]
        d, e = row["d_early_lr_spread"], row["e_probe_fraction"]
        split = "**validation**" if row["split"] == "validation" else row["split"]
        worst = _f(a["worst_mean"]) if a["worst_mean"] is not None else "failed"
        lines.append(
            f"| {name} | {split} | {worst} ({a['worst_variant']}) | {_f(a['threshold'])} | "
            f"{_ok(a['pass'])} | {_f(c['median_fraction'], 3)} | {_ok(c['pass'])} | "
            f"{_f(d['worst_ratio'], 3)} | {_ok(d['pass'])} | {_f(e['max_fraction'], 3)} "
            f"({_f(e.get('max_fraction_with_seed_search'), 3)}) | "
            f"{_ok(e['pass']) if e['applies'] else 'n/a (< 2000 steps)'} |"
        )
    v = report["validation"]
    lines.append("")
    if not v.get("validation_tasks"):
        lines.append("No validation task has LRTuner and baseline runs in this folder.")
        return "\n".join(lines)
    b = v["b"]
    lines += [
        f"Over the validation tasks ({', '.join(v['validation_tasks'])}):",
        "",
        f"- (a) every worst seed-LR mean within the baseline's 2 std: {_ok(v['a'])}",
        f"- (b) LRTuner's position by mean rank: {_position(b['not_tuned_per_task'])} "
        f"among methods not tuned per task, {_position(b['all'])} among all "
        f"(needs 1 and <= 2): {_ok(b['pass'])}",
        f"- (c) target within 0.8x the baseline's steps on {v['c']['tasks_within']} of "
        f"{v['c']['tasks']} tasks (needs half): {_ok(v['c']['pass'])}",
        f"- (d) LR at 10 % within 3x across seeds on every task: {_ok(v['d'])}",
        "- (e) probes <= 2 % of training forwards (runs of >= 2000 steps): "
        + (_ok(v["e"]) if v["e"] is not None else "n/a (no task of 2000 or more steps)"),
        "",
        "Mean rank over the validation tasks (1 = best):",
        "",
        "| method | among methods not tuned per task | among all |",
        "|---|---|---|",
    ]
    nt, al = b["not_tuned_per_task"]["mean_rank"], b["all"]["mean_rank"]
    for m in sorted(al, key=lambda k: al[k]):
        lines.append(f"| {m} | {_f(nt.get(m), 3)} | {_f(al[m], 3)} |")
    return "\n".join(lines)
