"""Rule 11 (the horizon factor follows rollbacks), development table: the candidate against
0.8.0 on every development run of 0.8.0 that rolled a change back (a run without a rollback
is unchanged by construction; two such controls reproduced 0.8.0 exactly). The decision
criterion is ``benchmarks/results/horizon-rollback-dev/CRITERION.md`` (written before the
runs).

Sources (long budgets, same task, seed LR and training seed in both arms):

* 0.8.0: the stored 0.8.0 ``lrtuner@peakX`` runs of ``benchmarks/results/long`` for the four
  former validation tasks of 0.8.0, and ``consistency-dev/runs-0.8.0-released.jsonl`` (seed LR
  1/100 of the tuned peak) for the others;
* the candidate: ``horizon-rollback-dev/runs-0.9.0-dev.jsonl`` (``benchmarks/explore_dev.py``,
  label ``0.9.0-dev``).

::

    python benchmarks/horizon_rollback_dev_table.py \
        > benchmarks/results/horizon-rollback-dev/README.md
"""

from __future__ import annotations

import statistics
import sys
from collections import defaultdict

from decision_table import lrtuner_runs
from divisor_dev_table import ROOT, _jsonl, baseline

FROM_LONG = ("fmnist-lenet", "fmnist-denoise", "digits-hingemlp", "digits-bncnn")
SCALES = ("0.001", "0.01", "0.1", "1", "10")


def reference_runs() -> dict[tuple[str, str, int], dict]:
    """(task, scenario, seed) -> the 0.8.0 run: metric, status, rollbacks."""
    runs: dict[tuple[str, str, int], dict] = {}
    for task in FROM_LONG:
        for scale in SCALES:
            for r, history in lrtuner_runs(ROOT / "long" / "runs" / task, f"lrtuner@peak{scale}"):
                if r["config"]["method"].get("library_version") != "0.8.0":
                    continue
                runs[(task, f"peak{scale}", r["seed"])] = {
                    "metric": r["final_metric"] if r["status"] == "ok" else None,
                    "rollbacks": sum(h["decision"] == "rolled_back" for h in history),
                }
    for r in _jsonl(ROOT / "consistency-dev" / "runs-0.8.0-released.jsonl"):
        runs[(r["task"], "peak0.01", r["seed"])] = {
            "metric": r["metric"] if r["status"] == "ok" else None,
            "rollbacks": r["rollbacks"],
        }
    return runs


def candidate_runs() -> dict[tuple[str, str, int], dict]:
    path = ROOT / "horizon-rollback-dev" / "runs-0.9.0-dev.jsonl"
    return {
        (r["task"], r["scenario"], r["seed"]): {
            "metric": r["metric"] if r["status"] == "ok" else None,
            "rollbacks": r["rollbacks"],
            "final_lr": (r["final_lr"] or 0) / r["peak"],
        }
        for r in _jsonl(path)
    }


def gap(task: str, value: float | None) -> float | None:
    mean, std, higher = baseline(task)
    if value is None or not std:
        return None
    return (value - mean) / std * (1 if higher else -1)


def main() -> int:
    ref, cand = reference_runs(), candidate_runs()
    lines = [
        "`python benchmarks/horizon_rollback_dev_table.py`",
        "",
        "Development tasks only. Every 0.8.0 run with a rollback, rerun with rule 11 "
        "(`horizon_follows_rollbacks=True`); the rest are unchanged. Gap: final metric minus "
        "the tuned baseline's mean, in baseline standard deviations, larger is better.",
        "",
        "| task | seed LR / peak | seed | 0.8.0 rollbacks | 0.8.0 | 0.9.0 | 0.9.0 rollbacks "
        "| 0.9.0 final LR / peak | gap 0.8.0 | gap 0.9.0 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    per_task: dict[str, list[tuple[float, float]]] = defaultdict(list)
    controls = []
    for key in sorted(cand):
        task, scenario, seed = key
        r, c = ref.get(key), cand[key]
        if r is None:
            continue
        if r["rollbacks"] == 0:
            controls.append((key, r["metric"], c["metric"]))
            continue
        g0, g1 = gap(task, r["metric"]), gap(task, c["metric"])
        if g0 is not None and g1 is not None:
            per_task[task].append((g0, g1))

        def fmt(v: float | None) -> str:
            return "x" if v is None else f"{v:.4g}"

        lines.append(
            f"| {task} | {scenario[4:]} | {seed} | {r['rollbacks']} | {fmt(r['metric'])} | "
            f"{fmt(c['metric'])} | {c['rollbacks']} | {c['final_lr']:.3g} | "
            f"{fmt(g0)} | {fmt(g1)} |"
        )
    lines += ["", "| task | affected runs | mean gap 0.8.0 | mean gap 0.9.0 |", "|---|---|---|---|"]
    means0, means1 = [], []
    for task in sorted(per_task):
        pairs = per_task[task]
        m0 = statistics.fmean(p[0] for p in pairs)
        m1 = statistics.fmean(p[1] for p in pairs)
        means0.append(m0)
        means1.append(m1)
        lines.append(f"| {task} | {len(pairs)} | {m0:.2f} | {m1:.2f} |")
    lenet: dict[str, dict[str, list[float]]] = {
        "0.8.0": defaultdict(list),
        "0.9.0": defaultdict(list),
    }
    for (task, scenario, seed), r in sorted(ref.items()):
        if task != "fmnist-lenet" or r["metric"] is None:
            continue
        lenet["0.8.0"][scenario].append(r["metric"])
        c = cand.get((task, scenario, seed))
        lenet["0.9.0"][scenario].append(c["metric"] if c and r["rollbacks"] else r["metric"])
    worst = {
        arm: min(statistics.fmean(v) for v in by.values()) for arm, by in lenet.items() if by
    }
    lines += [
        "",
        "fmnist-lenet, mean over seeds 0-2 per seed LR (every run; unchanged runs as in 0.8.0): "
        + "; ".join(
            f"{arm}: "
            + ", ".join(f"x{s[4:]} {statistics.fmean(v):.4f}" for s, v in sorted(by.items()))
            for arm, by in lenet.items()
        )
        + ".",
        "Worst seed-LR mean: " + ", ".join(f"{a} {w:.4f}" for a, w in worst.items()) + ".",
        f"Mean over tasks of the per-task gap: 0.8.0 {statistics.fmean(means0):.2f}, "
        f"0.9.0 {statistics.fmean(means1):.2f} ({len(means0)} tasks).",
        "Controls (no rollback in 0.8.0; must reproduce it): "
        + ", ".join(f"{k[0]} {k[1]} seed {k[2]}: {a} -> {b}" for k, a, b in controls)
        + ".",
    ]
    adopted = worst.get("0.9.0", -1) > worst.get("0.8.0", 0) and statistics.fmean(
        means1
    ) >= statistics.fmean(means0)
    lines.append(
        f"Criterion (CRITERION.md): {'adopted' if adopted else 'not adopted'}."
    )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
