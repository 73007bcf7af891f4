"""One compact table across tasks from a report's ``summary.json`` (the README's results table).

    python benchmarks/summary_table.py benchmarks/results/standard \
        > benchmarks/results/standard/summary.md

Rows are methods, columns tasks; each cell is the final metric, mean ± std over seeds, with
the number of seeds that reached the tuned baseline's final metric and, for those, the steps
they needed as a fraction of the baseline's budget. Failed runs are counted, never averaged.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

METHOD_ORDER = (
    "baseline",
    "lrtuner",
    "knee",
    "cosine",
    "constant",
    "prodigy",
    "dadapt",
    "schedulefree",
    "dog",
    "lr-range-test",
    "prodigy-sf",
    "mechanic",
    "calibrated",
)


def cell(row: dict) -> str:
    if row["runs"] == 0:
        return "-"
    text = f"{row['final_mean']:.4f} ± {row['final_std']:.4f}"
    reached = f"{row['reached']}/{row['runs']} reach"
    if row.get("steps_to_target_frac") is not None:
        reached += f" @ {row['steps_to_target_frac']:.2f}"
    if row["failures"]:
        reached += f", {row['failures']} failed"
    return f"{text} ({reached})"


def to_markdown(payload: dict) -> str:
    """The table; ``payload`` is a ``summary.json`` (``{"split", "tasks", "acceptance"}``, or
    the older form that maps task names to rows). Validation tasks are marked."""
    summary = payload.get("tasks", payload) if "tasks" in payload else payload
    split = payload.get("split", {})
    tasks = list(summary)

    def head_of(task: str) -> str:
        rows = summary[task]
        hib = next((r.get("higher_is_better") for r in rows if "higher_is_better" in r), None)
        arrow = {True: " ↑", False: " ↓"}.get(hib, "")
        mark = ", VALIDATION" if split.get(task) == "validation" else ""
        return f"{task} ({rows[0].get('metric', '') if rows else ''}{arrow}{mark})"

    present = {r["method"] for rows in summary.values() for r in rows}
    methods = [m for m in METHOD_ORDER if m in present] + sorted(present - set(METHOD_ORDER))
    head = "| method | " + " | ".join(head_of(t) for t in tasks) + " |"
    lines = [head, "|---" * (len(tasks) + 1) + "|"]
    by_task = {t: {r["method"]: r for r in rows} for t, rows in summary.items()}
    for method in methods:
        cells = [cell(by_task[t][method]) if method in by_task[t] else "-" for t in tasks]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    overhead = [
        f"{by_task[t]['lrtuner']['overhead']:.2f}x, "
        f"{by_task[t]['lrtuner']['extra_fwd_per_step']:.2f} fwd/step"
        if by_task[t].get("lrtuner", {}).get("overhead") is not None
        else "-"
        for t in tasks
    ]
    lines.append("| lrtuner overhead | " + " | ".join(overhead) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        raise SystemExit("usage: python benchmarks/summary_table.py RESULTS_DIR")
    path = Path(args[0]) / "summary.json"
    if not path.exists():
        raise ValueError(f"Invalid RESULTS_DIR: {path} missing (run `lrtuner-bench report`)")
    print(to_markdown(json.loads(path.read_text())), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
