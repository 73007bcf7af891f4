"""Retrain stored benchmark runs with their stored config and compare them exactly.

Each run ``TASK/METHOD/SEED`` of a stored profile folder (default
``benchmarks/results/standard``) is trained again by the benchmark's own ``train_one``, with the
budget, seed and peak LR recorded in its ``config`` (the stored config must equal the one the
current code derives, so a changed budget or method constant is reported, not hidden). The
rerun must reproduce, exactly (floats compared by value, JSON as written):

* the final and best metric, the final LR, every eval point of the curves (metrics, training
  loss, LR, forward passes; wall-clock times excluded), the per-step loss and LR traces;
* the forward-pass counts, the tuner's counters;
* for LRTuner, the full decision history, line by line as written to ``.history.jsonl``.

Usage (single-threaded, as ``lrtuner-bench run`` runs by default)::

    PYTHONPATH=src:bench/src python benchmarks/reproduce_runs.py \\
        digits-mlp/lrtuner/0 digits-mlp/knee/0 --out benchmarks/results/reproduce

Writes ``reproduce.json`` (every compared field, per run) and ``README.md`` (the table and the
command) to ``--out``; exits 1 when a run differs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import torch

from lrtuner_bench.runner import (
    _json_default,
    effective_budget,
    move_data,
    resolve_device,
    run_config,
    train_one,
    warm_up,
)
from lrtuner_bench.tasks import get_task

STORED = Path(__file__).parent / "results" / "standard"
#: Result fields that must match exactly (wall-clock and memory are measurements, not results).
EXACT = (
    "status",
    "error",
    "steps_run",
    "nonfinite_losses",
    "extra_train_steps",
    "final",
    "final_metric",
    "best_metric",
    "final_lr",
    "forward_passes",
    "tuner_stats",
    "method_info",
)


def _plain(obj: Any) -> Any:
    """As the benchmark writes it: a JSON round trip."""
    return json.loads(json.dumps(obj, default=_json_default, allow_nan=True))


def _curves(curves: dict[str, Any]) -> dict[str, Any]:
    out = dict(curves)
    out["eval"] = [{k: v for k, v in c.items() if k != "wall_clock_s"} for c in curves["eval"]]
    return out


def reproduce(spec: str, stored_root: Path, device: torch.device) -> dict[str, Any]:
    """Retrain one stored run (``TASK/METHOD/SEED``) and compare it with the stored one."""
    task_name, method, seed_text = spec.split("/")
    seed = int(seed_text)
    path = stored_root / "runs" / task_name / method / f"seed{seed}.json"
    stored = json.loads(path.read_text())
    profile = stored["profile"]
    task = get_task(task_name)
    budget = effective_budget(task, profile, None)
    peak_lr = stored["config"]["method"].get("peak_lr")
    config = _plain(run_config(task, method, budget, profile, seed, peak_lr))
    data = move_data(task.load(budget, None), device)
    start = time.perf_counter()
    result = train_one(task, method, data, budget, seed, profile, peak_lr, None, device)
    seconds = time.perf_counter() - start
    history = result.pop("history", None)
    result = _plain(result)
    checks: dict[str, bool] = {"config": config == stored["config"]}
    for key in EXACT:
        checks[key] = result.get(key) == stored.get(key)
    checks["curves"] = _curves(result["curves"]) == _curves(stored["curves"])
    if history is not None or stored.get("history_file"):
        lines = [json.dumps(r, default=_json_default) for r in history or []]
        stored_lines = path.with_name(stored["history_file"]).read_text().splitlines()
        checks["history"] = lines == stored_lines
        checks["num_decisions"] = len(lines) == stored.get("num_decisions")
    return {
        "run": spec,
        "same": all(checks.values()),
        "checks": checks,
        "final_metric": result["final_metric"],
        "stored_final_metric": stored["final_metric"],
        "final_lr": result["final_lr"],
        "num_decisions": len(history) if history is not None else None,
        "library_version": stored["config"]["method"].get("library_version"),
        "seconds": round(seconds, 1),
    }


def _readme(rows: list[dict[str, Any]], command: str) -> str:
    lines = [
        "# Stored benchmark runs, retrained and compared exactly",
        "",
        "Each run was trained again from its stored config by `benchmarks/reproduce_runs.py` and",
        "compared with the stored result field by field (final and best metric, final LR, every",
        "eval point and the per-step loss/LR traces, forward passes, tuner counters, and for",
        "LRTuner the decision history line by line). Wall-clock and memory are not compared.",
        "",
        "Command:",
        "",
        "```",
        command,
        "```",
        "",
        "| run | identical | final metric | final LR | decisions | fields compared |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        bad = [k for k, ok in r["checks"].items() if not ok]
        lines.append(
            f"| {r['run']} | {'yes' if r['same'] else 'NO: ' + ', '.join(bad)} | "
            f"{r['final_metric']!r} | {r['final_lr']!r} | {r['num_decisions'] or '-'} | "
            f"{len(r['checks'])} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", help="TASK/METHOD/SEED, e.g. digits-mlp/lrtuner/0")
    parser.add_argument("--stored", type=Path, default=STORED, help="stored profile folder")
    parser.add_argument("--out", type=Path, default=None, help="folder for the report")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    device = resolve_device("cpu")
    warm_up()
    rows = []
    for spec in args.runs:
        row = reproduce(spec, args.stored, device)
        rows.append(row)
        bad = [k for k, ok in row["checks"].items() if not ok]
        print(f"{spec}: {'identical' if row['same'] else 'DIFFERS in ' + ', '.join(bad)} "
              f"(final {row['final_metric']!r}, {row['seconds']} s)", flush=True)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        command = "PYTHONPATH=src:bench/src python benchmarks/reproduce_runs.py " + " ".join(
            sys.argv[1:] if argv is None else argv
        )
        (args.out / "reproduce.json").write_text(json.dumps(rows, indent=1) + "\n")
        (args.out / "README.md").write_text(_readme(rows, command))
    return 0 if all(r["same"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
