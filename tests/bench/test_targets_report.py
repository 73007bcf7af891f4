"""Choosing the tuned baseline, time to target and the report's aggregation, on made-up runs."""

from __future__ import annotations

import math

import pytest

from lrtuner_bench import report, targets


def make_run(
    method,
    seed,
    final,
    curve,
    *,
    status="ok",
    peak=0.1,
    loop_s=10.0,
    extra=0,
    probe=0,
    steps=100,
    mem=5.0,
):
    return {
        "task": "toy",
        "method": method,
        "seed": seed,
        "metric": "accuracy",
        "higher_is_better": True,
        "status": status,
        "error": None if status == "ok" else "boom",
        "config": {"budget": {"steps": steps}, "method": {"peak_lr": peak}},
        "final_metric": final if status == "ok" else None,
        "best_metric": max(v for _, v in curve) if curve else None,
        "final": {"accuracy": final, "macro_f1": final - 0.01} if status == "ok" else None,
        "final_lr": 0.01,
        "extra_train_steps": extra,
        "curves": {
            "eval": [
                {"step": s, "metric": v, "train_loss": 1.0 / s, "wall_clock_s": s / 10}
                for s, v in curve
            ],
            "step": {"every": 1, "loss": [1.0] * steps, "lr": [peak] * steps},
        },
        "wall_clock": {"loop_s": loop_s, "setup_s": 0.0, "train_s": loop_s, "eval_s": 1.0},
        "forward_passes": {"extra_per_step": (probe + extra) / steps},
        "memory": {"peak_rss_delta_mb": mem},
    }


def test_choose_best_lr_counts_failures_as_worst():
    grid = [
        make_run("baseline", 0, 0.90, [], peak=0.03),
        make_run("baseline", 1, 0.92, [], peak=0.03),
        make_run("baseline", 0, 0.95, [], peak=0.1),
        make_run("baseline", 1, 0.93, [], peak=0.1),
        make_run("baseline", 0, 0.99, [], peak=0.3),
        make_run("baseline", 1, 0.0, [], peak=0.3, status="diverged"),
    ]
    best, summary = targets.choose_best_lr(grid, higher_is_better=True)
    assert best == 0.1
    assert summary[0.1]["mean"] == pytest.approx(0.94)
    assert summary[0.3]["failures"] == 1
    best_low, _ = targets.choose_best_lr(grid[:4], higher_is_better=False)
    assert best_low == 0.03


def test_target_and_time_to_target():
    base = [
        make_run("baseline", 0, 0.90, [(50, 0.8), (100, 0.90)]),
        make_run("baseline", 1, 0.94, [(50, 0.85), (100, 0.94)]),
    ]
    target = targets.target_value(base)
    assert target == pytest.approx(0.92)
    fast = make_run("x", 0, 0.95, [(25, 0.5), (50, 0.93), (100, 0.95)], extra=10)
    t = targets.time_to_target(fast, target, higher_is_better=True)
    assert t == {"value": target, "reached": True, "steps": 60, "wall_clock_s": 5.0}
    slow = make_run("x", 1, 0.91, [(50, 0.8), (100, 0.91)])
    assert targets.time_to_target(slow, target, True)["reached"] is False
    # lower-is-better metrics (validation loss)
    loss_run = make_run("x", 0, 1.5, [(50, 2.0), (100, 1.5)])
    assert targets.time_to_target(loss_run, 1.8, higher_is_better=False)["steps"] == 100


def test_summarize_rows():
    task = report.TaskResults("toy", "accuracy", True)
    task.methods["baseline"] = [
        make_run("baseline", 0, 0.90, [(50, 0.8), (100, 0.90)], loop_s=10.0),
        make_run("baseline", 1, 0.94, [(50, 0.85), (100, 0.94)], loop_s=10.0),
    ]
    task.methods["lrtuner"] = [
        make_run("lrtuner", 0, 0.95, [(50, 0.93), (100, 0.95)], loop_s=11.0, probe=5),
        make_run("lrtuner", 1, 0.93, [(50, 0.90), (100, 0.93)], loop_s=12.0, probe=7),
    ]
    task.methods["dog"] = [
        make_run("dog", 0, 0.5, [(50, 0.5)], status="diverged"),
        make_run("dog", 1, 0.80, [(50, 0.7), (100, 0.80)]),
    ]
    rows = {r["method"]: r for r in report.summarize(task)}
    assert [r["method"] for r in report.summarize(task)] == ["baseline", "lrtuner", "dog"]
    lt = rows["lrtuner"]
    assert lt["final_mean"] == pytest.approx(0.94)
    assert lt["final_std"] == pytest.approx(math.sqrt(2) * 0.01)
    assert lt["reached"] == 2
    assert lt["steps_to_target_frac"] == pytest.approx(0.75)  # steps 50 and 100 of 100
    assert lt["overhead"] == pytest.approx(1.15)
    assert lt["extra_fwd_per_step"] == pytest.approx(0.06)
    assert lt["macro_f1_mean"] == pytest.approx(0.93)
    assert rows["baseline"]["overhead"] == pytest.approx(1.0)
    assert rows["dog"]["failures"] == 1 and rows["dog"]["statuses"] == ["diverged"]
    assert rows["dog"]["final_mean"] == pytest.approx(0.80) and rows["dog"]["reached"] == 0
    table = report.markdown_table(task, report.summarize(task))
    assert "| lrtuner | 0.9400 ± 0.0141 |" in table
    assert "1/2 (diverged)" in table


def test_mean_curve_aligns_points_when_range_tests_differ():
    a = make_run("lr-range-test", 0, 0.9, [(50, 0.5), (100, 0.9)], extra=20)
    b = make_run("lr-range-test", 1, 0.7, [(50, 0.3), (100, 0.7)], extra=40)
    xs, ys = report._mean_curve([a, b], "metric")
    assert xs == pytest.approx([80.0, 130.0])
    assert ys == pytest.approx([0.4, 0.8])
    assert report.method_color("baseline", ["baseline"]) == report.BASELINE_COLOR
    assert report.method_color("dog", ["dog", "knee"]) != report.method_color(
        "knee", ["dog", "knee"]
    )


def test_load_results_keeps_grids_apart_from_methods(tmp_path):
    """A calibration-grid point that copies a baseline-grid run (its method is "baseline")
    must not join the tuned baseline's seeds."""
    import json

    def store(folder, name, run):
        path = tmp_path / "runs" / "toy" / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(run))

    for seed, final in enumerate((0.90, 0.92)):
        store("baseline", f"seed{seed}.json", make_run("baseline", seed, final, [(100, final)]))
        store("baseline-grid", f"lr0.1_seed{seed}.json", make_run("baseline", seed, final, []))
    store("calibration-grid", "lr0.1_seed0.json", make_run("baseline", 0, 0.90, []))
    store("calibration-grid", "lr1_seed0.json", make_run("calibration-grid", 0, 0.10, []))
    task = report.load_results(tmp_path)["toy"]
    assert sorted(task.methods) == ["baseline"]
    assert [r["final_metric"] for r in task.methods["baseline"]] == [0.90, 0.92]
    assert len(task.grid) == 2 and len(task.calibration_grid) == 2
