"""Runner pieces, method helpers and failure handling, on the digits task (seconds)."""

from __future__ import annotations

import sys

import pytest

from lrtuner_bench import methods, runner
from lrtuner_bench.tasks import get_task

pytest.importorskip("sklearn")


@pytest.fixture(scope="module")
def digits():
    task = get_task("digits-mlp")
    budget = runner.effective_budget(task, "quick", 30)
    return task, budget, task.load(budget)


def test_eval_steps_are_even_and_end_at_total():
    assert runner.eval_steps(100, 4) == [25, 50, 75, 100]
    assert runner.eval_steps(3, 10) == [1, 2, 3]


def test_parsers_name_the_bad_argument():
    assert runner.parse_seeds("0, 2,2") == [0, 2]
    with pytest.raises(ValueError, match="seeds"):
        runner.parse_seeds("a,b")
    with pytest.raises(ValueError, match="seeds"):
        runner.parse_seeds("")
    with pytest.raises(ValueError, match="task"):
        runner.parse_tasks("nope")
    assert runner.parse_tasks("all")[0] == "digits-mlp" and len(runner.parse_tasks("all")) >= 10
    assert set(runner.parse_tasks("development,validation")) == set(runner.parse_tasks("all"))
    with pytest.raises(ValueError, match="method"):
        methods.parse_methods("baseline,nope")
    assert methods.parse_methods("all") == list(methods.METHODS)


def test_all_leaves_out_calibrated_until_the_profile_is_calibrated(tmp_path, monkeypatch):
    from lrtuner_bench import calibration

    path = tmp_path / "calibration.json"
    path.write_text('{"profiles": {"long": {"sgd": {"lr": 0.1}}}}')
    monkeypatch.setenv(calibration.ENV_VAR, str(path))
    assert "calibrated" not in methods.parse_methods("all", profile="quick")
    assert "calibrated" in methods.parse_methods("all", profile="long")
    assert "calibrated" in methods.parse_methods("knee,calibrated", profile="quick")
    with pytest.raises(ValueError, match="profile"):
        get_task("digits-mlp").budget("huge")


def test_steepest_descent_ignores_the_part_after_the_minimum():
    lrs = [10.0 ** (-5 + i / 4) for i in range(24)]
    losses = [2.3] * 8 + [2.2, 2.0, 1.6, 1.2, 1.0, 0.9, 1.5, 5.0, 9.0, 8.0, 6.0, 3.0, 2.9] + [9] * 3
    lr = methods.steepest_descent_lr(lrs, losses)
    assert lr in lrs[9:13]
    assert methods.range_test_iterations(40) == 20 and methods.range_test_iterations(10_000) == 100


def test_one_run_record(digits):
    task, budget, data = digits
    result = runner.train_one(task, "knee", data, budget, seed=0, profile="quick", peak_lr=0.1)
    assert result["status"] == "ok", result.get("error")
    assert result["steps_run"] == 30
    assert [p["step"] for p in result["curves"]["eval"]] == runner.eval_steps(30, budget.num_evals)
    assert 0.0 <= result["final_metric"] <= 1.0
    assert result["forward_passes"]["total"] == 30
    assert result["memory"]["peak_rss_mb"] > 0
    assert len(result["curves"]["step"]["lr"]) == 30
    assert result["curves"]["step"]["lr"][0] == pytest.approx(0.1)


def test_missing_peer_package_is_a_failure_result(digits, monkeypatch):
    task, budget, data = digits
    monkeypatch.setitem(sys.modules, "prodigyopt", None)  # import raises ImportError
    result = runner.train_one(task, "prodigy", data, budget, seed=0, profile="quick")
    assert result["status"] == "failed"
    assert "pip install prodigyopt" in result["error"]
    assert result["final_metric"] is None


def test_divergence_is_a_result(digits):
    task, budget, data = digits
    result = runner.train_one(task, "constant", data, budget, seed=0, profile="quick", peak_lr=1e6)
    assert result["status"] == "diverged"
    assert result["final_metric"] is None


@pytest.mark.parametrize("method", ["dadapt", "schedulefree", "dog", "lr-range-test"])
def test_peers_run_a_few_steps(digits, method):
    task, budget, data = digits
    pkg = {
        "dadapt": "dadaptation",
        "schedulefree": "schedulefree",
        "dog": "dog",
        "lr-range-test": "torch_lr_finder",
    }[method]
    pytest.importorskip(pkg)
    result = runner.train_one(task, method, data, budget, seed=0, profile="quick")
    assert result["status"] in ("ok", "diverged"), result.get("error")
    if method == "lr-range-test":
        assert result["extra_train_steps"] == result["method_info"]["range_test_steps"] > 0


def test_device_resolution_and_data_moves():
    import torch

    assert runner.resolve_device("cpu").type == "cpu"
    assert runner.resolve_device("auto").type in ("cpu", "cuda")
    with pytest.raises(ValueError, match="device"):
        runner.resolve_device("not-a-device")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device"):
            runner.resolve_device("cuda")
    task = get_task("digits-mlp")
    data = task.load(task.budget("quick"))
    assert runner.move_data(data, torch.device("cpu")) is data


def test_seed_lr_scale_suffix():
    entry, scale = methods.resolve_method("lrtuner@0.01")
    assert entry.name == "lrtuner" and scale == 0.01
    assert methods.parse_methods("baseline,lrtuner@10,all")[:2] == ["baseline", "lrtuner@10"]
    for bad in ("knee@0.1", "lrtuner@-1", "lrtuner@x", "lrtuner@"):
        with pytest.raises(ValueError, match="method"):
            methods.resolve_method(bad)


def test_scaled_seed_lr_reaches_the_optimizer(digits):
    task, budget, data = digits
    pytest.importorskip("schedulefree")
    result = runner.train_one(task, "schedulefree@0.1", data, budget, seed=0, profile="quick")
    assert result["status"] == "ok", result.get("error")
    assert result["config"]["method"]["seed_lr"] == pytest.approx(task.seed_lr * 0.1)
    assert result["final_lr"] == pytest.approx(task.seed_lr * 0.1)


def test_profile_record_keeps_the_tasks_of_earlier_runs(tmp_path):
    """A run of some tasks writes the profile file without dropping the tasks (and methods)
    an earlier run into the same folder recorded."""
    import json

    first = runner.Benchmark(["digits-mlp"], ["knee"], [0], "quick", tmp_path)
    (tmp_path / "profile-quick.json").write_text(json.dumps(first.merged_profile_record()))
    second = runner.Benchmark(["wine-mlp"], ["dog"], [0], "quick", tmp_path)
    record = second.merged_profile_record()
    assert set(record["tasks"]) == {"digits-mlp", "wine-mlp"}
    assert {"knee", "dog", "baseline"} <= set(record["methods"])
