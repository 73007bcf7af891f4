"""benchmarks/seed_lr_table.py on a small synthetic results folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench_scripts import load_script


def _run(path: Path, metric: float | None, seed_lr: float, status: str = "ok") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "status": status,
                "final_metric": metric,
                "higher_is_better": True,
                "method_info": {"seed_lr": seed_lr},
            }
        )
    )


def test_spreads_and_verdict(tmp_path):
    task = tmp_path / "runs" / "toy"
    for method, scale, metrics in [
        ("lrtuner", 1.0, [0.90, 0.92]),
        ("lrtuner@0.001", 0.001, [0.88, 0.90]),
        ("lrtuner@10", 10.0, [0.50, 0.52]),
    ]:
        for seed, m in enumerate(metrics):
            _run(task / method / f"seed{seed}.json", m, 0.1 * scale)
    _run(task / "lrtuner@0.01" / "seed0.json", None, 0.001, status="diverged")
    grid = {"chosen_lr": 0.1, "per_lr": {"0.03": {"mean": 0.85}, "0.1": {"mean": 0.9}}}
    (task / "baseline-grid").mkdir()
    (task / "baseline-grid" / "grid.json").write_text(json.dumps(grid))

    text = load_script("seed_lr_table").to_markdown(tmp_path)
    assert "| toy | 0.1 (x1) | 0.9100 ± 0.0141 | 2 / 0 |" in text
    assert "| toy | 0.001 (x0.01) | nan ± 0.0000 | 0 / 1 |" in text  # failures stay in the table
    # up to x1: 0.91 - 0.89 = 0.02 over 3 decades; all: 0.91 - 0.51 = 0.40 over 4
    assert "| toy | 0.0200 (3) | 0.4000 (4) | 0.0500 (2 LRs) | yes |" in text


def test_rejects_a_folder_without_runs(tmp_path):
    with pytest.raises(ValueError, match="RESULTS_DIR"):
        load_script("seed_lr_table").main([str(tmp_path)])
