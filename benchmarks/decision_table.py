"""Where LRTuner's LR went, run by run: a table read from the stored decision histories.

For every task of a results folder and every ``lrtuner@peakS`` run (seed LR = S x the task's
tuned peak), the table gives, as multiples of the tuned peak LR:

- the LR the one-time seed search set (``searched``),
- the LR when explore ended (``explore end``), and the LR at the end of the run (``final``),

and counts: fits (probe sessions that reached a decision), accepted explore increases,
accepted exploit decreases, rollbacks, and decisions skipped because the probe ledger was
spent. The last column gives the tuned baseline's own final LR over its peak (its schedule's
anneal), for comparison with ``final``.

    python benchmarks/decision_table.py benchmarks/results/long \
        > benchmarks/results/long/decisions.md

Rows are summarised per task: the median over runs and, in brackets, the range.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Iterator
from pathlib import Path

SEARCH_PREFIX = "seed search"
BUDGET_PREFIX = "probe budget"


def run_row(history: list[dict], peak: float) -> dict[str, float]:
    """The numbers of one run from its decision history (a list of records)."""
    searched = explore_end = None
    explore_up = exploit_down = rollbacks = skipped_budget = fits = 0
    lr = history[0]["lr_before"] if history else float("nan")
    for rec in history:
        reason = rec.get("reason") or ""
        decision = rec.get("decision")
        if reason.startswith(SEARCH_PREFIX):
            searched = rec["lr_after"]
        elif rec.get("epsilons"):
            fits += 1
        if decision == "skipped" and reason.startswith(BUDGET_PREFIX):
            skipped_budget += 1
        if decision == "rolled_back":
            rollbacks += 1
        if decision == "accepted" and not reason.startswith(SEARCH_PREFIX):
            if rec["phase"] == "explore" and rec["lr_after"] > rec["lr_before"]:
                explore_up += 1
            if rec["phase"] == "exploit" and rec["lr_after"] < rec["lr_before"]:
                exploit_down += 1
        if rec["phase"] == "exploit" and explore_end is None:
            explore_end = rec["lr_before"]
        lr = rec["lr_after"]
    return {
        "searched": (searched / peak) if searched else float("nan"),
        "explore_end": (explore_end if explore_end is not None else lr) / peak,
        "final": lr / peak,
        "fits": fits,
        "explore_up": explore_up,
        "exploit_down": exploit_down,
        "rollbacks": rollbacks,
        "skipped_budget": skipped_budget,
    }


def _fmt(values: list[float], digits: int = 2) -> str:
    values = [v for v in values if v == v]
    if not values:
        return "-"
    med = statistics.median(values)
    if all(float(v).is_integer() for v in values):
        return f"{med:g} [{min(values):g}-{max(values):g}]"
    return f"{med:.{digits}g} [{min(values):.{digits}g}-{max(values):.{digits}g}]"


def lrtuner_runs(
    task_dir: Path, pattern: str = "lrtuner@peak*"
) -> Iterator[tuple[dict, list[dict]]]:
    """The stored LRTuner runs of a task folder (method folders matching ``pattern``) that
    have a decision history: ``(run record, history records)``, in path order. The tuned peak
    a run started from is ``run["config"]["method"]["peak_lr"]``."""
    for run_path in sorted(task_dir.glob(f"{pattern}/seed*.json")):
        run = json.loads(run_path.read_text())
        hist_path = run_path.with_name(run.get("history_file") or "")
        if not run.get("history_file") or not hist_path.is_file():
            continue
        yield run, [json.loads(line) for line in hist_path.read_text().splitlines() if line]


def task_rows(task_dir: Path) -> tuple[list[dict], float | None, str]:
    """Per-run rows of a task, the tuned baseline's final LR over its peak, and its split."""
    rows, split = [], "?"
    for run, history in lrtuner_runs(task_dir):
        rows.append(run_row(history, run["config"]["method"]["peak_lr"]))
    anneal = None
    base = sorted(task_dir.glob("baseline/seed*.json"))
    if base:
        run = json.loads(base[0].read_text())
        peak = run["config"]["method"].get("peak_lr")
        if peak and run.get("final_lr") is not None:
            anneal = run["final_lr"] / peak
    return rows, anneal, split


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        raise SystemExit("usage: python benchmarks/decision_table.py RESULTS_DIR")
    root = Path(args[0])
    try:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench" / "src"))
        from lrtuner_bench.tasks import TASKS, split_of

        splits = {name: split_of(name) for name in TASKS}
    except Exception:  # the table is still useful without the benchmark package
        splits = {}
    lines = [
        f"`python benchmarks/decision_table.py {args[0]}`",
        "",
        "LRs as multiples of the task's tuned peak; median [range] over every `lrtuner@peakS` "
        "run (5 seed LRs x seeds). Counts are per run.",
        "",
        "| task | split | runs | searched | explore end | final | baseline final | fits "
        "| explore increases | exploit decreases | rollbacks | skipped: ledger spent |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for task_dir in sorted(p for p in (root / "runs").iterdir() if p.is_dir()):
        rows, anneal, _ = task_rows(task_dir)
        if not rows:
            continue
        split = splits.get(task_dir.name, "?")
        split = f"**{split}**" if split == "validation" else split

        def col(key: str, rows: list[dict] = rows) -> str:
            return _fmt([r[key] for r in rows])

        lines.append(
            f"| {task_dir.name} | {split} | {len(rows)} | {col('searched')} | "
            f"{col('explore_end')} | {col('final')} | "
            f"{'-' if anneal is None else f'{anneal:.2g}'} | {col('fits')} | "
            f"{col('explore_up')} | {col('exploit_down')} | {col('rollbacks')} | "
            f"{col('skipped_budget')} |"
        )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
