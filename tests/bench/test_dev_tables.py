"""The 0.7.0 analysis scripts: the divisor/horizon development table's arithmetic and the
report-only validation twins' table, on synthetic runs whose answers are known."""

from __future__ import annotations

import json

from bench_scripts import load_script


def _twin(task, scale, seed, stored, twin, higher=True):
    return {"task": task, "scale": scale, "seed": seed, "options": {"horizon_factor": 1.0},
            "higher_is_better": higher, "stored": stored, "twin": twin}  # fmt: skip


def test_validation_twins_table_counts_wins_and_the_worst_seed_lr(tmp_path):
    rows = [
        _twin("t", 0.01, 0, 0.9, 0.8),
        _twin("t", 0.01, 1, 0.7, 0.8),  # seed-LR 0.01 means: defaults 0.8, twin 0.8
        _twin("t", 1.0, 0, 0.5, 0.9),
        _twin("t", 1.0, 1, 0.5, 0.5),  # seed-LR 1 means: defaults 0.5, twin 0.7
        _twin("m", 1.0, 0, 2.0, 3.0, higher=False),
    ]
    path = tmp_path / "twins.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    text = load_script("validation_twins").table(str(path))
    assert "| t | 4 | 0.65 | 0.75 | 0.5 | 0.7 | 1 / 2 / 1 |" in text
    assert "| m | 1 | 2 | 3 | 2 | 3 | 1 / 0 / 0 |" in text  # lower is better: 2 beats 3


def test_horizon_table_ratio_of_long_to_one_step_optimum(tmp_path):
    module = load_script("horizon_dev")
    rows = []
    for c, one_step, long_annealed in ((0.5, 3.0, 3.0), (1.0, 2.0, 2.5), (2.0, 2.5, 1.0)):
        for k in module.HORIZONS:
            plain = one_step if k == 1 else 5.0
            annealed = long_annealed if k == max(module.HORIZONS) else 5.0
            rows.append({"task": "t", "seed": 0, "peak": 4.0, "eta_search": 1.0, "multiple": c,
                         "horizon": k, "plain": plain, "annealed": annealed})  # fmt: skip
    path = tmp_path / "h.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    text = module.table(str(path))
    # best after one step: x1 (plain 2.0); after 300 annealed: x2 (1.0): ratio 2
    assert "| t | 0 | 4 | 1, " in text and text.splitlines()[2].endswith("| 2 |")
    assert "Geometric mean of the long-horizon optimum over the one-step optimum: 2 " in text
