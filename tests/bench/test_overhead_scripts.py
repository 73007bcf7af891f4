"""benchmarks/overhead.py and benchmarks/overhead_breakdown.py on a short digits run."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_breakdown_parts_add_up_to_the_in_run_ratio(tmp_path):
    breakdown = _load("overhead_breakdown")
    breakdown.main(["--task", "digits-mlp", "--steps", "60", "--out", str(tmp_path)])
    row = json.loads((tmp_path / "breakdown.json").read_text())["row"]
    parts = row["percent_of_training"]
    assert parts["seed search (once)"] > 0  # the search ran at step 1
    assert parts["finite-gradient check (every step)"] > 0
    assert sum(parts.values()) == pytest.approx(100 * (row["in_run_ratio"] - 1), rel=1e-6)
    assert row["stats"]["optimizer_steps"] == 60
    assert "in-run ratio" in (tmp_path / "breakdown.md").read_text()


def test_overhead_counts_search_and_fits_apart(tmp_path):
    overhead = _load("overhead")
    overhead.main(
        [
            "--tasks",
            "digits-mlp",
            "--steps",
            "60",
            "--repeats",
            "1",
            "--configs",
            "defaults",
            "--threads",
            "1",
            "--out",
            str(tmp_path),
        ]
    )
    row = json.loads((tmp_path / "overhead.json").read_text())["rows"][0]
    tuned = row["tuned"][0]
    assert row["seed_search_forwards"] > 0 and row["attributed_ratio"] > 1.0
    total = tuned["probe_forward_passes"]
    assert row["probe_forwards_per_fit"] * tuned["fits"] == pytest.approx(
        total - row["seed_search_forwards"]
    )
    with pytest.raises(ValueError, match="--steps"):
        overhead.main(["--steps", "0", "--out", str(tmp_path)])
