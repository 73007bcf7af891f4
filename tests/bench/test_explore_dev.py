"""benchmarks/explore_dev.py: the summary of a run's explore phase, the table, and the rule
that validation tasks are never used."""

from __future__ import annotations

import json

import pytest
from bench_scripts import load_script

from lrtuner_bench.tasks import VALIDATION


def _record(step, phase, decision, before, after, reason="fit"):
    return {"step": step, "phase": phase, "decision": decision, "lr_before": before,
            "lr_after": after, "reason": reason}  # fmt: skip


def test_explore_summary_counts_increases_but_not_the_search():
    history = [
        _record(1, "explore", "accepted", 1.0, 0.05, "seed search: ..."),
        _record(10, "explore", "accepted", 0.05, 0.1),
        _record(20, "explore", "rejected", 0.1, 0.1),
        _record(30, "explore", "rolled_back", 0.2, 0.1),
        _record(40, "exploit", "accepted", 0.1, 0.05),
        _record(50, "exploit", "rolled_back", 0.05, 0.1, "loss level rose after the change"),
        _record(60, "exploit", "accepted", 0.1, 0.2),
        _record(70, "exploit", "accepted", 0.2, 0.2, "...; starts the cooldown: ..."),
    ]
    summary = load_script("explore_dev").explore_summary(history)
    assert summary == {
        "lr_at_switch": 0.1,
        "explore_increases": 1,
        "rollbacks": 2,
        "level_rollbacks": 1,
        "final_lr": 0.2,
        "cooldown_start_step": 70,  # rule 14's start (the LR is not cut there)
        "exploit_increases": 1,
        "exploit_decreases": 1,
    }


def test_table_pairs_labels_per_task_and_scenario(tmp_path):
    rows = [
        {
            "label": lab,
            "task": "t",
            "scenario": "search",
            "seed": seed,
            "peak": 0.1,
            "reference": "tuned peak",
            "metric": metric,
            "lr_at_switch": 0.05,
        }
        for lab, seed, metric in (("new", 0, 0.9), ("new", 1, 0.8), ("old", 0, 0.7))
    ]
    path = tmp_path / "runs.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    text = load_script("explore_dev").table(str(path))
    assert "| t | search | 0.8500 (n=2) | 0.5 0.5 | 0.7000 (n=1) | 0.5 |" in text
    assert "- t: peak 0.1 = tuned peak" in text


def test_validation_tasks_are_refused(tmp_path):
    pytest.importorskip("sklearn")
    with pytest.raises(ValueError, match="validation task"):
        explore_dev = load_script("explore_dev")
        held_out = VALIDATION[0]
        explore_dev.main(["--tasks", held_out, "--out", str(tmp_path / "x.jsonl")])
