"""Does the window after an explore increase say whether the LR is still too low?

A diagnostic on stored development runs (no training): for every increase explore accepted
(the seed search excluded) in the ``lrtuner@peakS`` runs of ``benchmarks/results/long``, the
drop rate of the window after it against the window before it, as a z-score
``(rate_after - rate_before) / sqrt(se_after^2 + se_before^2)``, beside the LR the increase
set as a multiple of the task's tuned peak. If "the loss fell faster after the increase"
marked LRs still below the tuned peak, explore could keep raising the LR on window evidence
alone, without the one-step fit (whose optimum lies far below the tuned LR on some tasks).

    python benchmarks/window_signal_dev.py benchmarks/results/long \\
        > benchmarks/results/window-signal-dev/README.md
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
import sys
from pathlib import Path

from decision_table import lrtuner_runs

from lrtuner_bench.tasks import DEVELOPMENT


def increases(root: Path) -> list[tuple[str, float, str, float | None]]:
    """(task, LR after / tuned peak, "kept" or "rolled_back", z of the drop-rate change)."""
    rows = []
    for task in DEVELOPMENT:
        for run, history in lrtuner_runs(root / "runs" / task):
            peak = run["config"]["method"]["peak_lr"]
            for rec, nxt in itertools.pairwise(history):
                if rec["phase"] != "explore" or rec["decision"] != "accepted":
                    continue
                if rec["reason"].startswith("seed search") or rec["lr_after"] <= rec["lr_before"]:
                    continue
                ratio = rec["lr_after"] / peak
                if nxt["decision"] == "rolled_back":
                    rows.append((task, ratio, "rolled_back", None))
                    continue
                before, after = rec["drop_rate"], nxt["drop_rate"]
                se = math.hypot(rec["drop_rate_stderr"] or 0.0, nxt["drop_rate_stderr"] or 0.0)
                z = None if before is None or after is None or not se else (after - before) / se
                rows.append((task, ratio, "kept", z))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default="benchmarks/results/long")
    args = parser.parse_args(argv)
    rows = increases(Path(args.root))
    lines = [
        f"`python benchmarks/window_signal_dev.py {args.root}`",
        "",
        "Development tasks only; every explore increase (seed search excluded) of the stored "
        "LRTuner runs (all versions, 5 seed LRs x 3 seeds per task). z: change of the window "
        "drop rate across the increase in standard errors (positive: the loss fell faster).",
        "",
        "| window after the increase | increases | of them set below 1/1.5 of the tuned peak "
        "| median LR set / tuned peak |",
        "|---|---|---|---|",
    ]
    groups = {
        "loss fell faster (z > 2)": [r for r in rows if r[2] == "kept" and r[3] is not None
                                     and r[3] > 2],
        "no change beyond noise (abs(z) <= 2)": [r for r in rows if r[2] == "kept"
                                              and r[3] is not None and abs(r[3]) <= 2],
        "loss fell slower (z < -2)": [r for r in rows if r[2] == "kept" and r[3] is not None
                                      and r[3] < -2],
        "rolled back": [r for r in rows if r[2] == "rolled_back"],
        "kept, window too short for a rate": [r for r in rows if r[2] == "kept" and r[3] is None],
    }
    for name, sel in groups.items():
        low = sum(r[1] < 1 / 1.5 for r in sel)
        med = f"{statistics.median(r[1] for r in sel):.3g}" if sel else "-"
        lines.append(f"| {name} | {len(sel)} | {low} | {med} |")
    tasks = sorted({r[0] for r in rows})
    lines += ["", f"{len(rows)} increases on {len(tasks)} tasks: {', '.join(tasks)}."]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
