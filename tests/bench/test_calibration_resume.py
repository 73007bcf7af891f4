"""Calibration choice on made-up runs, the new peers, seed LRs relative to the tuned peak,
grid extension, and resuming (failed runs rerun unless kept), on digits (seconds)."""

from __future__ import annotations

import json
import sys

import pytest

from lrtuner_bench import calibration, methods, runner, schedules
from lrtuner_bench.tasks import VALIDATION, get_task

pytest.importorskip("sklearn")


def grid_run(lr, seed, final, status="ok", task="t", profile="long"):
    return {
        "task": task,
        "seed": seed,
        "profile": profile,
        "status": status,
        "final_metric": final if status == "ok" else None,
        "config": {"method": {"peak_lr": lr}},
    }


def test_normalised_scores_orient_and_fail_to_zero():
    runs = {0.1: [grid_run(0.1, 0, 0.9)], 0.3: [grid_run(0.3, 0, 0.7)], 1.0: [grid_run(1, 0, 0.8)]}
    assert calibration.normalised_scores(runs, True) == pytest.approx({0.1: 1, 0.3: 0, 1.0: 0.5})
    assert calibration.normalised_scores(runs, False) == pytest.approx({0.1: 0, 0.3: 1, 1.0: 0.5})
    runs[1.0].append(grid_run(1.0, 1, None, status="diverged"))
    assert calibration.normalised_scores(runs, True)[1.0] == 0.0
    with pytest.raises(ValueError, match="runs_by_lr"):
        calibration.normalised_scores({0.1: []}, True)


def test_choose_lr_maximises_the_mean_score_over_tasks():
    # task a likes 0.01, task b likes 0.1; 0.0316 is second best on both and wins on the mean
    a = {
        0.01: [grid_run(0.01, 0, 0.90)],
        0.0316: [grid_run(0.0316, 0, 0.89)],
        0.1: [grid_run(0.1, 0, 0.50)],
    }
    b = {
        0.01: [grid_run(0.01, 0, 2.0)],
        0.0316: [grid_run(0.0316, 0, 1.2)],
        0.1: [grid_run(0.1, 0, 1.1)],
    }
    choice = calibration.choose_lr({"a": (True, a), "b": (False, b)})
    assert choice["lr"] == 0.0316
    assert choice["task_scores"]["a"]["0.01"] == 1.0 and choice["task_scores"]["b"]["0.1"] == 1.0
    with pytest.raises(ValueError, match="task_runs"):
        calibration.choose_lr({"a": (True, {0.01: a[0.01]}), "b": (False, {0.1: b[0.1]})})


def test_common_seed_runs_keep_the_seeds_every_lr_has():
    runs = [grid_run(0.1, 0, 0.9), grid_run(0.1, 1, 0.8), grid_run(0.3, 0, 0.7)]
    grouped = calibration.common_seed_runs(runs)
    assert {lr: [r["seed"] for r in rs] for lr, rs in grouped.items()} == {0.1: [0], 0.3: [0]}


def test_calibrate_reads_development_runs_and_writes_the_file(tmp_path, monkeypatch):
    out = tmp_path / "res"
    for task, finals in (("digits-mlp", (0.5, 0.9, 0.8)), ("fmnist-cnn", (0.6, 0.7, 0.9))):
        for lr, final in zip((0.01, 0.0316, 0.1), finals, strict=True):
            path = out / "runs" / task / "calibration-grid" / f"lr{lr:g}_seed0.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(grid_run(lr, 0, final, task=task)))
    # a validation task's runs are never read
    held_out = next(n for n in VALIDATION if get_task(n).family == "sgd")
    bad = out / "runs" / held_out / "calibration-grid" / "lr0.01_seed0.json"
    bad.parent.mkdir(parents=True)
    bad.write_text(json.dumps(grid_run(0.01, 0, 0.0, task=held_out)))
    target = tmp_path / "cal.json"
    entry = calibration.calibrate(out, "long", target)
    assert entry["sgd"]["lr"] == 0.1  # mean scores: 0.01 -> 0, 0.0316 -> 0.75, 0.1 -> 0.875
    assert entry["sgd"]["tasks"] == ["digits-mlp", "fmnist-cnn"]
    monkeypatch.setenv(calibration.ENV_VAR, str(target))
    assert calibration.calibrated_lr("long", "sgd") == 0.1
    with pytest.raises(methods.MethodUnavailableError, match="calibrate"):
        calibration.calibrated_lr("long", "adam")
    with pytest.raises(ValueError, match="calibration-grid"):
        calibration.calibrate(tmp_path / "res", "quick", target)


def test_schedules_and_grids():
    assert schedules.warmup_cosine(0, 100) == pytest.approx(0.2)
    assert schedules.warmup_cosine(4, 100) == pytest.approx(1.0)
    assert schedules.warmup_cosine(52, 100) == pytest.approx(0.5, abs=0.02)
    assert schedules.half_decade_grid(1e-3, 1e-1) == (0.001, 0.00316, 0.01, 0.0316, 0.1)
    assert runner.extended_grid_point((0.01, 0.0316, 0.1), "low") == 0.00316
    assert runner.extended_grid_point((0.03, 0.1, 0.3), "high") == 0.9
    assert runner.edge_of_best((0.1, 0.3, 1.0), 1.0) == "high"
    assert runner.edge_of_best((0.1, 0.3, 1.0), 0.3) is None


def test_peak_relative_seed_lr():
    entry, scale = methods.resolve_method("lrtuner@peak0.01")
    assert entry.name == "lrtuner" and scale == 0.01
    assert methods.seed_lr_base("lrtuner@peak0.01") == "peak" and methods.needs_peak(
        "lrtuner@peak1"
    )
    assert not methods.needs_peak("lrtuner@0.01")
    with pytest.raises(ValueError, match="method"):
        methods.resolve_method("lrtuner@peakx")
    with pytest.raises(ValueError, match="method"):
        methods.resolve_method("knee@peak0.1")
    task = get_task("digits-mlp")
    config = runner.run_config(task, "lrtuner@peak0.1", task.budget("quick"), "quick", 0, 0.3)
    assert config["method"]["seed_lr"] == pytest.approx(0.03)
    assert config["method"]["peak_lr"] == 0.3 and config["method"]["seed_lr_base"] == "peak"


@pytest.fixture(scope="module")
def digits():
    task = get_task("digits-mlp")
    budget = runner.effective_budget(task, "quick", 30)
    return task, budget, task.load(budget)


@pytest.mark.parametrize(
    ("method", "module"), [("prodigy-sf", "prodigyplus"), ("mechanic", "mechanic_pytorch")]
)
def test_new_peers_train_or_name_their_package(digits, method, module, monkeypatch):
    task, _, data = digits
    budget = runner.effective_budget(task, "quick", 150)  # Prodigy's d grows from 1e-6 first
    try:
        __import__(module)
    except ImportError:
        result = runner.train_one(task, method, data, budget, seed=0, profile="quick")
        assert result["status"] == "failed"
        assert {"prodigyplus": "prodigy-plus-schedule-free"}.get(module, "mechanic-pytorch") in (
            result["error"]
        )
        return
    result = runner.train_one(task, method, data, budget, seed=0, profile="quick")
    assert result["status"] == "ok", result.get("error")
    assert result["final_metric"] > 0.5 and result["final_lr"] > 0
    monkeypatch.setitem(sys.modules, module, None)  # as if not installed
    failed = runner.train_one(task, method, data, budget, seed=0, profile="quick")
    assert failed["status"] == "failed" and "pip install" in failed["error"]


def test_calibrated_method_uses_the_file(digits, tmp_path, monkeypatch):
    task, budget, data = digits
    monkeypatch.setenv(calibration.ENV_VAR, str(tmp_path / "none.json"))
    missing = runner.train_one(task, "calibrated", data, budget, seed=0, profile="quick")
    assert missing["status"] == "failed" and "calibrate" in missing["error"]
    cal = tmp_path / "cal.json"
    cal.write_text(json.dumps({"profiles": {"quick": {"sgd": {"lr": 0.0316}}}}))
    monkeypatch.setenv(calibration.ENV_VAR, str(cal))
    result = runner.train_one(task, "calibrated", data, budget, seed=0, profile="quick")
    assert result["status"] == "ok" and result["config"]["method"]["calibrated_lr"] == 0.0316
    lrs = result["curves"]["step"]["lr"]
    assert max(lrs) == pytest.approx(0.0316) and lrs[0] < lrs[5] and lrs[-1] < 0.01 * 0.0316 * 10


def _bench(out, **kwargs):
    return runner.Benchmark(
        ["digits-mlp"], ["knee"], [0], "quick", out, steps=25, progress=False, **kwargs
    )


def test_resume_reruns_failed_runs_unless_kept(tmp_path):
    out = tmp_path / "res"
    _bench(out).run()
    path = out / "runs" / "digits-mlp" / "knee" / "seed0.json"
    run = json.loads(path.read_text())
    assert run["status"] == "ok"
    grid = sorted((out / "runs" / "digits-mlp" / "baseline-grid").glob("lr*_seed0.json"))
    stamp = {p: p.stat().st_mtime_ns for p in grid}
    run.update(status="failed", error="boom", final_metric=None)
    path.write_text(json.dumps(run))
    _bench(out, keep_failed=True).run()
    assert json.loads(path.read_text())["status"] == "failed"  # kept as stored
    _bench(out).run()
    assert json.loads(path.read_text())["status"] == "ok"  # trained again
    # grid runs whose config matches are not trained again
    assert all(
        json.loads(p.read_text())["wall_clock"] == json.loads(p.read_text())["wall_clock"]
        and p.stat().st_mtime_ns == stamp[p]
        for p in grid
    )


def test_jobs_share_tasks_between_processes(tmp_path):
    out = tmp_path / "par"
    bench = runner.Benchmark(
        ["digits-mlp", "diabetes-mlp"],
        ["knee"],
        [0],
        "quick",
        out,
        steps=20,
        progress=False,
        jobs=2,
    )
    assert bench.planned_runs(get_task("diabetes-mlp")) == 4 + 1
    bench.run()
    for task in ("digits-mlp", "diabetes-mlp"):
        run = json.loads((out / "runs" / task / "knee" / "seed0.json").read_text())
        assert run["status"] == "ok" and run["tuned_peak_lr"] is not None
