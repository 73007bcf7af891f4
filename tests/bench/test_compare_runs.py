"""benchmarks/compare_runs.py on two small synthetic results folders."""

from __future__ import annotations

import json
from pathlib import Path

from bench_scripts import load_script


def _run(path: Path, metric: float | None, version: str = "0.17.0", status: str = "ok") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    config = {"task": "toy", "method": {"library_version": version}}
    path.write_text(json.dumps({"status": status, "final_metric": metric, "config": config}))


def test_equal_runs_differing_runs_and_other_versions_are_told_apart(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for folder, metrics in ((a, (0.90, 0.92, 0.50)), (b, (0.90, 0.95, 0.50))):
        for seed, m in enumerate(metrics):
            _run(folder / "runs" / "toy" / "knee" / f"seed{seed}.json", m)
    _run(a / "runs" / "toy" / "lrtuner" / "seed0.json", 0.8, version="0.4.0")
    _run(b / "runs" / "toy" / "lrtuner" / "seed0.json", 0.9)
    _run(a / "runs" / "toy" / "baseline-grid" / "lr0.1_seed0.json", 0.7)
    _run(b / "runs" / "toy" / "baseline-grid" / "lr0.1_seed0.json", None, status="diverged")
    (a / "runs" / "toy" / "baseline-grid" / "grid.json").write_text(json.dumps({"chosen": 1}))
    _run(b / "runs" / "other" / "knee" / "seed0.json", 0.1)  # only in one folder

    text = load_script("compare_runs").compare(a, b, None)

    assert "| toy | knee | 3 | 0.7733 | 0.7833 | 2 | 0.03 |" in text
    assert "| toy | baseline-grid | 1 | - | - | 0 | - |" in text  # diverged in B: no mean
    assert "| toy | lrtuner |" not in text and "| other |" not in text
    assert "2 of 4 compared runs end at the same final metric; 1 runs present" in text
    only_other = load_script("compare_runs").compare(a, b, {"nope"})
    assert "0 of 0 compared runs" in only_other
