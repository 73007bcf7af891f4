"""Rule 7's divisor, development table: LRTuner at defaults from the tuned peak with the
one-step optimum divided by 20 (0.6.0), 10 and 5, against the tuned baseline's threshold of
acceptance check (a). The decision criterion is ``benchmarks/results/divisor-dev/CRITERION.md``
(written before the runs).

Sources of the runs (seeds 0-2, long budgets):

* divisor 20: the 0.6.0 runs already stored: ``peak1`` of ``benchmarks/results/rollback-dev``
  (the 0.6.0 code), the 0.6.0 ``lrtuner@peak1`` runs of ``benchmarks/results/long`` for the four
  former validation tasks, and ``divisor-dev/runs-div20.jsonl`` for the tasks that had neither;
* divisors 10 and 5: ``divisor-dev/runs-div10.jsonl`` and ``runs-div5.jsonl``.

::

    python benchmarks/divisor_dev_table.py > benchmarks/results/divisor-dev/README.md
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path("benchmarks/results")
#: every arm in the table; the pre-registered comparison is among 20, 10 and "20, H 2"
#: (divisor 5 was stopped: CRITERION.md)
ARMS = ("20", "10", "5", "20, H 2")
FROM_LONG_060 = ("digits-logreg", "digits-autoencoder", "tweets-bow", "shakespeare-charcnn")


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def runs_in(folder: str, pattern: str = "runs-*.jsonl") -> list[dict[str, Any]]:
    """Every record of the JSON-lines files matching ``pattern`` in ``ROOT / folder``, in
    file-name order."""
    return [r for path in sorted((ROOT / folder).glob(pattern)) for r in _jsonl(path)]


def collect() -> dict[str, dict[str, dict[int, float | None]]]:
    """task -> arm -> seed -> final metric (``None``: the run did not end ``ok``)."""
    runs: dict[str, dict[str, dict[int, float | None]]] = defaultdict(lambda: defaultdict(dict))

    def put(task: str, arm: str, seed: int, status: str, metric: float | None) -> None:
        runs[task][arm][seed] = metric if status == "ok" else None

    for path in sorted((ROOT / "rollback-dev").glob("runs-*.jsonl")):
        for r in _jsonl(path):
            if r["scenario"] == "peak1":
                put(r["task"], "20", r["seed"], r["status"], r["metric"])
    for task in FROM_LONG_060:
        for path in sorted((ROOT / "long" / "runs" / task / "lrtuner@peak1").glob("seed*.json")):
            r = json.loads(path.read_text())
            put(task, "20", r["seed"], r["status"], r["final_metric"])
    for arm in ("20", "10", "5"):
        for r in _jsonl(ROOT / "divisor-dev" / f"runs-div{arm}.jsonl"):
            if r["scenario"] in (f"div{arm}", "peak1"):
                put(r["task"], arm, r["seed"], r["status"], r["metric"])
    for r in _jsonl(ROOT / "horizon-dev" / "runs-h2.jsonl"):
        if r["scenario"] == "h2":
            put(r["task"], "20, H 2", r["seed"], r["status"], r["metric"])
    return runs


def baseline(task: str) -> tuple[float, float, bool]:
    """Mean and sample std of the tuned baseline's final metric; higher is better?"""
    values, higher = [], True
    for path in sorted((ROOT / "long" / "runs" / task / "baseline").glob("seed*.json")):
        r = json.loads(path.read_text())
        higher = bool(r["higher_is_better"])
        if r["status"] == "ok":
            values.append(float(r["final_metric"]))
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return statistics.fmean(values), std, higher


HEADER = (
    "Development tasks only. LRTuner at defaults, seed LR = the tuned peak, seeds 0-2, long "
    "budgets; `safety_factor` (rule 7's divisor) 20, 10 or 5, and divisor 20 with "
    "`horizon_factor=2` (rule 1). Cells: mean final metric "
    "over the seeds (per-seed values in brackets; `x`: a run that diverged or failed); "
    "**bold**: at or better than the threshold of check (a) (baseline mean − 2 std, in "
    "the metric's direction)."
)


def table() -> tuple[str, dict[str, int]]:
    return arm_table(
        collect(),
        {a: f"divisor {a}" for a in ARMS},
        "20",
        "`python benchmarks/divisor_dev_table.py`",
        HEADER,
        "divisor-20",
    )


def arm_table(
    runs: dict[str, dict[str, dict[int, float | None]]],
    labels: dict[str, str],
    reference: str,
    command: str,
    header: str,
    reference_name: str | None = None,
) -> tuple[str, dict[str, int]]:
    """The Markdown table of ``runs`` (task -> arm -> seed -> metric) against check (a)'s
    threshold, one column per arm of ``labels`` (arm -> column title), and the count of tasks
    at or better than it per arm; ``reference`` is the arm a divergence is counted against
    (``reference_name``: how the last line names it, its column title by default)."""
    arms = tuple(labels)
    passes = dict.fromkeys(arms, 0)
    gaps: dict[str, list[float]] = defaultdict(list)
    diverged_beyond: dict[str, list[str]] = defaultdict(list)
    lines = [
        command,
        "",
        header,
        "",
        "| task | metric direction | baseline mean ± std | threshold | "
        + " | ".join(labels[a] for a in arms)
        + " |",
        "|---|---|---|---|" + "---|" * len(arms),
    ]
    for task in sorted(runs):
        mean, std, higher = baseline(task)
        threshold = mean - 2 * std if higher else mean + 2 * std
        cells = []
        for arm in arms:
            seeds = runs[task].get(arm, {})
            if len(seeds) < 3:
                cells.append(f"({len(seeds)}/3 runs)")
                continue
            values = [seeds[s] for s in sorted(seeds)]
            per_seed = " ".join("x" if v is None else f"{v:.4g}" for v in values)
            if any(v is None for v in values):
                cells.append(f"diverged [{per_seed}]")
                if all(v is not None for v in runs[task].get(reference, {}).values()):
                    diverged_beyond[arm].append(task)
                continue
            m = statistics.fmean(values)  # type: ignore[arg-type]
            ok = m >= threshold if higher else m <= threshold
            gaps[arm].append((m - mean) / std * (1 if higher else -1) if std else 0.0)
            passes[arm] += ok
            text = f"{m:.4g}"
            cells.append(f"{'**' + text + '**' if ok else text} [{per_seed}]")
        direction = "higher better" if higher else "lower better"
        lines.append(
            f"| {task} | {direction} | {mean:.4g} ± {std:.2g} | {threshold:.4g} | "
            + " | ".join(cells)
            + " |"
        )
    lines += [
        "",
        "Tasks at or better than the threshold: "
        + ", ".join(f"{labels[a]}: {passes[a]}" for a in arms)
        + f" (of {len(runs)}).",
        "Mean normalised gap (final metric minus the baseline mean, in baseline standard "
        "deviations, larger is better; tasks with all three seeds): "
        + ", ".join(
            f"{a}: {statistics.fmean(gaps[a]):.2f} ({len(gaps[a])} tasks)" for a in arms if gaps[a]
        )
        + ".",
        f"Diverged runs on a task where the {reference_name or labels[reference]} arm has none: "
        + (
            ", ".join(f"{labels[a]}: {', '.join(t)}" for a, t in diverged_beyond.items())
            or "none"
        )
        + ".",
    ]
    return "\n".join(lines), passes


def main() -> int:
    text, _ = table()
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
