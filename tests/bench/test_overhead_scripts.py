"""benchmarks/overhead.py on a short digits run: lockstep timing, breakdown and counts."""

from __future__ import annotations

import json

import pytest
from bench_scripts import load_script


def test_overhead_lockstep_breakdown_and_counts(tmp_path):
    overhead = load_script("overhead")
    overhead.main(
        ["--tasks", "digits-mlp", "--steps", "60", "--seeds", "0,1", "--out", str(tmp_path)]
    )
    row = json.loads((tmp_path / "overhead.json").read_text())["rows"][0]
    assert row["seeds"] == [0, 1] and len(row["runs"]) == 2
    for run in row["runs"]:
        # both sides ran the same number of steps; the tuned one did extra work
        assert run["tuned_seconds"] > 0 and run["plain_seconds"] > 0
        assert run["control_ratio"] == pytest.approx(run["control_seconds"] / run["plain_seconds"])
        reference = (run["plain_seconds"] + run["control_seconds"]) / 2
        assert run["wallclock_ratio"] == pytest.approx(run["tuned_seconds"] / reference)
        assert run["in_run_ratio"] > 1.0 and run["tuner_seconds"] > 0
        parts = run["percent_of_training"]
        assert parts["seed search (once)"] > 0  # the search ran at step 1
        assert parts["finite-gradient check (every step)"] > 0
        assert sum(parts.values()) == pytest.approx(100 * (run["in_run_ratio"] - 1), rel=1e-6)
        assert run["search_forward_passes"] > 0
        assert (
            run["search_forward_passes"] + sum(run["fit_forward_passes"])
            == (run["probe_forward_passes"])
        )
        assert run["fits"] == len(run["fit_forward_passes"]) > 0
    total_fit = sum(sum(r["fit_forward_passes"]) for r in row["runs"])
    assert row["probe_forwards_per_fit"] * row["fits"] * 2 == pytest.approx(total_fit)
    text = (tmp_path / "overhead.md").read_text()
    assert "wall-clock ratio" in text and "finite-gradient check" in text and "A/A" in text
    overhead.main(
        ["--tasks", "digits-mlp", "--steps", "20", "--no-control", "--out", str(tmp_path)]
    )
    row = json.loads((tmp_path / "overhead.json").read_text())["rows"][0]
    assert row["control"] is False and row["runs"][0]["control_ratio"] is None


def test_overhead_rejects_bad_arguments(tmp_path):
    overhead = load_script("overhead")
    with pytest.raises(ValueError, match="--steps"):
        overhead.main(["--steps", "0", "--out", str(tmp_path)])
    with pytest.raises(ValueError, match="--seeds"):
        overhead.main(["--seeds", "a", "--out", str(tmp_path)])
    with pytest.raises(ValueError, match="--configs"):
        overhead.main(["--configs", "fast", "--out", str(tmp_path)])
