"""The GPU check's script on the CPU (smoke mode): every method, the overhead part, the output
files, the deadline, the concurrent workers and the carry folder, on real data."""

from __future__ import annotations

import json
import math
import os
import statistics
import time

import numpy as np
import pytest
import torch

from lrtuner_bench.data import load_shakespeare, shakespeare_text
from lrtuner_bench.gpu import check, plan
from lrtuner_bench.gpu.carry import MAX_CARRY_BYTES, folder_bytes, prepare_carry
from lrtuner_bench.gpu.tasks import corpus_from_text, make_task

TASKS = ("shakespeare-gpt10m", "fmnist-resnet")


#: the functional tests run on a shared CPU: a deadline that never binds there (the deadline
#: has its own tests below), so a busy machine cannot skip a run and fail them.
NO_DEADLINE = ["--budget-s", "86400"]


def _records(out):
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def test_smoke_check_runs_every_method_and_the_overhead(tmp_path):
    out = tmp_path / "gpu"
    argv = ["check", "--smoke", "--device", "cpu", "--workers", "0", "--seeds", "0", *NO_DEADLINE]
    assert check.main([*argv, "--out", str(out)]) == 0

    files = sorted(p.name for p in out.iterdir())
    assert files == sorted(check.OUTPUT_FILES) and len(files) <= 8
    records = _records(out)
    expected = plan.build_plan(list(TASKS), {t: make_task(t).lr_grid for t in TASKS}, [0])
    assert [r["key"] for r in records] == [s.key for s in expected]  # one line per run, in order
    for r in records:
        assert r["status"] == "ok", (r["key"], r.get("error"))
        assert math.isfinite(r["final_metric"])
        assert r["steps_run"] == make_task(r["task"]).budget("smoke").steps
    for task in TASKS:
        runs = {r["method"]: r for r in records if r["task"] == task and not r["grid"]}
        assert set(runs) == set(plan.METHODS)
        grid = [r for r in records if r["task"] == task and r["grid"]]
        assert sorted(r["peak_lr"] for r in grid) == sorted(make_task(task).lr_grid)
        best = min if task == "shakespeare-gpt10m" else max  # val_loss vs accuracy
        chosen = best(grid, key=lambda r: r["final_metric"])["peak_lr"]
        assert runs["knee"]["peak_lr"] == chosen
        for name in ("lrtuner", "lrtuner@0.01"):
            stats = runs[name]["tuner_stats"]
            assert stats["probe_forward_passes"] > 0  # the seed search ran
        seed_lrs = [runs[n]["config"]["method"]["seed_lr"] for n in ("lrtuner", "lrtuner@0.01")]
        assert seed_lrs[1] == pytest.approx(seed_lrs[0] * 0.01)

    overhead = json.loads((out / "overhead.json").read_text())
    assert sorted(r["task"] for r in overhead["rows"]) == sorted(TASKS)
    for row in overhead["rows"]:
        (run,) = row["runs"]
        reference = statistics.mean([run["plain_seconds"], run["control_seconds"]])
        assert run["wallclock_ratio"] == pytest.approx(run["tuned_seconds"] / reference)
        assert run["tuned_seconds"] > 0 and run["search_forward_passes"] > 0
        assert row["plain_ms_per_step"] > 0

    env = json.loads((out / "env.json").read_text())
    assert env["finished"] is True and env["device"] == "cpu" and env["torch"] == torch.__version__
    summary = (out / "summary.md").read_text()
    for word in ("wall-clock ratio", "val_loss", "accuracy", "final train loss", *plan.METHODS):
        assert word in summary
    log = (out / "log.txt").read_text()
    assert "overhead fmnist-resnet: wall-clock ratio" in log and "done in" in log


def test_worker_processes_run_the_plan(tmp_path):
    out = tmp_path / "gpu"
    argv = ["check", "--smoke", "--device", "cpu", "--workers", "2", "--no-overhead", *NO_DEADLINE]
    argv += ["--tasks", "shakespeare-gpt10m", "--seeds", "0,1", "--out", str(out)]
    assert check.main(argv) == 0
    records = _records(out)
    assert len(records) == 3 + 2 * len(plan.METHODS) + 1  # grid, methods x 2 seeds, baseline@1
    assert all(r["status"] == "ok" for r in records), [r.get("error") for r in records]
    pids = {r["pid"] for r in records}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2
    (baseline,) = [r for r in records if r["method"] == "baseline" and not r["grid"]]
    grid = [r for r in records if r["grid"]]
    assert baseline["seed"] == 1
    assert baseline["peak_lr"] == min(grid, key=lambda r: r["final_metric"])["peak_lr"]
    assert not (out / "overhead.json").exists()


def test_a_run_past_the_deadline_is_cut():
    setup = {
        "device": "cpu", "data_dir": None, "profile": "smoke", "tasks": ["fmnist-resnet"],
        "threads": 1, "start": time.time(), "deadline": time.time() - 1.0,
    }  # fmt: skip
    spec = plan.RunSpec("fmnist-resnet", "lrtuner", 0).to_dict()
    result = check.run_one(spec, None, setup)
    assert result["status"] == "cut" and "deadline" in result["error"]


def _scheduler(deadline: float, step_s: float = 0.01) -> plan.Scheduler:
    specs = plan.build_plan(["a", "b"], {"a": [0.1, 1.0], "b": [0.1]}, [0, 1])
    return plan.Scheduler(specs, {"a": 1000, "b": 100}, {"a": step_s, "b": step_s}, deadline)


def test_scheduler_orders_by_importance_and_waits_for_the_grid():
    s = _scheduler(deadline=1e9)
    got = []
    while (nxt := s.next_run(0.0, {}, {"a", "b"})) is not None:
        got.append(nxt[0].key)
    # the grids first, then the methods that need no peak; knee and baseline wait
    assert got[:3] == ["a/baseline-grid/lr0.1/seed0", "a/baseline-grid/lr1/seed0",
                       "b/baseline-grid/lr0.1/seed0"]  # fmt: skip
    assert "a/knee/seed0" not in got and all("knee" in p.key or "baseline" in p.key
                                             for p in s.pending)  # fmt: skip
    spec, peak = s.next_run(0.0, {"a": 0.1, "b": None}, set())
    assert spec.key == "a/knee/seed0" and peak == 0.1
    spec, peak = s.next_run(0.0, {"a": 0.1, "b": None}, set())
    assert spec.key == "a/baseline/seed1" and peak == 0.1  # b's knee had no peak to run at
    assert any("no tuned peak" in why for sp, why in s.skipped if sp.key == "b/knee/seed0")


def test_scheduler_skips_what_cannot_end_before_the_deadline():
    # task a: 1000 steps x 0.01 s = 10 s per run (+2); task b: 100 steps = 1 s (+2)
    s = _scheduler(deadline=5.0)
    spec, _ = s.next_run(0.0, {}, {"a", "b"})
    assert spec.key == "b/baseline-grid/lr0.1/seed0"  # the a-runs do not fit, b's does
    assert {sp.key for sp, _ in s.skipped} == {
        "a/baseline-grid/lr0.1/seed0", "a/baseline-grid/lr1/seed0"
    }  # fmt: skip
    assert all("deadline" in why for _, why in s.skipped)
    s.observe("b", 0.5)  # measured: b is much slower than assumed
    assert s.next_run(0.0, {}, {"b"}) is None  # 100 x 0.5 s passes the deadline
    s.skip_rest("the check ended")
    assert not s.pending


def test_plan_and_scheduler_reject_bad_input():
    with pytest.raises(ValueError, match="Invalid seeds"):
        plan.build_plan(["a"], {"a": [0.1]}, [])
    with pytest.raises(ValueError, match="Invalid grids"):
        plan.build_plan(["a"], {}, [0])
    with pytest.raises(ValueError, match="Invalid plan"):
        plan.Scheduler([plan.RunSpec("a", "knee", 0)], {}, {}, 1.0)
    with pytest.raises(ValueError, match="Invalid --workers"):
        check.parse_args(["--smoke", "--workers", "-1"])
    with pytest.raises(ValueError, match="Invalid task"):
        check.parse_args(["--tasks", "cifar"])
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="Invalid device"):
            check.check(["--device", "cpu", "--out", "unused"])


def test_corpus_from_text_is_load_shakespeare():
    mine, theirs = corpus_from_text(shakespeare_text()), load_shakespeare()
    assert mine.vocab == theirs.vocab
    assert np.array_equal(mine.train, theirs.train) and np.array_equal(mine.val, theirs.val)


def test_carry_folder_holds_the_data_the_tasks_load(tmp_path):
    manifest = prepare_carry(tmp_path / "carry", wheels=False)
    assert 30 * 2**20 < manifest["bytes"] <= folder_bytes(tmp_path / "carry") < MAX_CARRY_BYTES
    assert len(manifest["fashion_mnist"]) == 4 and manifest["shakespeare_chars"] > 4_000_000
    for name in TASKS:
        carried = make_task(name, data_dir=tmp_path / "carry")
        installed = make_task(name)
        budget = installed.budget("smoke")
        a, b = carried.load(budget), installed.load(budget)
        for field in ("x_train", "y_test") if name == "fmnist-resnet" else ("train", "val_inputs"):
            assert torch.equal(getattr(a, field), getattr(b, field))
