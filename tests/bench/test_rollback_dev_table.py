"""benchmarks/rollback_dev_table.py: pairs each level-test run with its drop-rate-only twin."""

from __future__ import annotations

import json

from bench_scripts import load_script


def _run(scenario, seed, metric, level_rollbacks=0):
    return {"task": "t", "scenario": scenario, "seed": seed, "metric": metric,
            "higher_is_better": False, "level_rollbacks": level_rollbacks}  # fmt: skip


def test_table_pairs_the_arms_and_reports_the_worst_seed_lr(tmp_path):
    rows = [
        _run("peak1", 0, 0.10, level_rollbacks=1),
        _run("nolevel-peak1", 0, 1.10),  # diverged without the level test
        _run("peak1", 1, 0.20),
        _run("nolevel-peak1", 1, 0.20),
        _run("peak0.01", 0, 0.30),
        _run("nolevel-peak0.01", 0, 0.30),
        _run("peak0.01", 1, 0.50),  # its twin is missing: not counted
        _run("search", 0, 9.0),  # another scenario: ignored
    ]
    path = tmp_path / "runs.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    decoded = [json.loads(line) for line in path.read_text().splitlines()]
    text = load_script("rollback_dev_table").table(decoded, [str(path)])
    # 3 pairs, 1 fired, 1 changed; alone: 1.10, 0.20, 0.30; with: 0.10, 0.20, 0.30
    # worst seed LR (lower is better): alone max(0.65, 0.30) -> with max(0.15, 0.30); Δ +1.0
    assert (
        "| t | lower better | 3 | 1 | 1 | 0.5333 ± 0.4933 | 0.2000 ± 0.1000 | "
        "0.6500 → 0.3000 | +1.000 |" in text
    )
