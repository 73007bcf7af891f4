"""How far is the tuned LR from the fits' one-step optimum? A diagnostic on stored development
runs (no training).

For every fit of the ``lrtuner@peakS`` runs in ``benchmarks/results/long`` (explore and
exploit, convex fits only), the one-step optimum ``lr - k1 / (2 k2)`` of its quadratic, and
the ratio ``tuned peak / one-step optimum`` per task (median and quartiles over all its fits,
5 seed LRs x 3 seeds, every stored version). Rule 1b's horizon factor assumes that ratio is
about 2 everywhere; a rule that follows the fits can only reach the tuned LR where it is.

    python benchmarks/onestep_ratio_dev.py benchmarks/results/long \\
        > benchmarks/results/onestep-ratio-dev/README.md
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from decision_table import lrtuner_runs

from lrtuner_bench.tasks import DEVELOPMENT


def ratios(root: Path, task: str) -> list[float]:
    out = []
    for run, history in lrtuner_runs(root / "runs" / task):
        peak = run["config"]["method"]["peak_lr"]
        for rec in history:
            coefficients = rec.get("coefficients")
            if not coefficients or rec["phase"] not in ("explore", "exploit"):
                continue
            _, k1, k2 = coefficients
            if k2 > 0:
                one_step = rec["lr_before"] - k1 / (2 * k2)
                if one_step > 0:
                    out.append(peak / one_step)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default="benchmarks/results/long")
    args = parser.parse_args(argv)
    root = Path(args.root)
    rows = []
    for task in DEVELOPMENT:
        values = ratios(root, task)
        if len(values) >= 4:
            q1, median, q3 = statistics.quantiles(values, n=4)
            rows.append((median, task, len(values), q1, q3))
    lines = [
        f"`python benchmarks/onestep_ratio_dev.py {args.root}`",
        "",
        "Development tasks only. Per task: tuned peak LR / the one-step optimum of each convex "
        "fit of the stored LRTuner runs (median and quartiles over the fits).",
        "",
        "| task | fits | tuned peak / one-step optimum: median | lower quartile | upper quartile |",
        "|---|---|---|---|---|",
    ]
    for median, task, n, q1, q3 in sorted(rows):
        lines.append(f"| {task} | {n} | {median:.3g} | {q1:.3g} | {q3:.3g} |")
    medians = [r[0] for r in rows]
    lines += [
        "",
        f"{len(rows)} tasks; median over tasks of the per-task median: "
        f"{statistics.median(medians):.3g}; range {min(medians):.2g}-{max(medians):.2g}.",
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
