"""LRTuner under torch.distributed (2 gloo ranks on the CPU) and under mixed precision.

One launch runs every scenario of :mod:`dist_scenarios` on 2 ranks; the same scenarios run
again in this process without a process group (the ranks emulated by splitting each global
batch into the same per-rank shards). The comparisons:

* every rank ends with the same decision history, LR, phase and parameters;
* the 2-rank LR trajectory equals the 1-process one (see ``LR_RTOL`` for the tolerance);
* probe forward passes per rank halve from 1 to 2 ranks;
* a step GradScaler skips for an inf gradient is recorded and not probed, on every rank.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.distributed as dist
from dist_scenarios import (
    AMP_INF_CALL,
    AMP_STEPS,
    SUPERBATCH,
    all_scenarios,
    amp_scenario,
    run_distributed,
    train_scenario,
)

from lrtuner.amp import scaler_found_inf
from lrtuner.config import DEFAULTS
from lrtuner.distributed import RankFailure, all_reduce_loss, any_true, local_tensor

pytestmark = pytest.mark.skipif(
    not dist.is_available() or not dist.is_gloo_available(), reason="needs torch.distributed gloo"
)

#: The 2-rank run adds the same float64 probe losses and float32 gradients as the 1-process
#: run, only grouped differently (per-rank partial sums, then the all-reduce). With 2 ranks
#: each cross-rank sum has two terms, and the runs were measured identical (LR and parameters
#: bitwise); the tolerances allow for other reduction orders (more ranks, another backend):
#: 1e-9 relative is far above float64 rounding of a few products and far below any real LR
#: move, and decisions themselves are compared exactly.
LR_RTOL = 1e-9
#: A few float32 ulps per step of gradient summation, over 60 steps.
PARAM_ATOL = 1e-4


@pytest.fixture(scope="module")
def ranks() -> list[dict]:
    return run_distributed(all_scenarios, True, world_size=2)


@pytest.fixture(scope="module")
def single() -> dict:
    assert not dist.is_initialized()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # like each spawned rank; tiny models gain nothing from more
    try:
        return {"ddp": train_scenario("ddp"), "amp": amp_scenario()}
    finally:
        torch.set_num_threads(threads)


def _trajectory(result: dict) -> list[tuple]:
    return [
        (r["step"], r["phase"], r["decision"], r["lr_before"], r["lr_after"])
        for r in result["history"]
    ]


def _assert_ranks_identical(results: list[dict], same_stats: bool = True) -> None:
    first = results[0]
    for other in results[1:]:
        assert _trajectory(other) == _trajectory(first)
        assert other["lr"] == first["lr"]
        assert other["phase"] == first["phase"]
        if same_stats:  # per-rank counters; a failed probe stops early on its rank
            assert other["stats"] == first["stats"]
        assert first["params"].keys() == other["params"].keys()
        for name, value in first["params"].items():
            assert torch.equal(value, other["params"][name]), name


def test_ranks_decide_identically_through_explore_exploit_and_rollback(ranks):
    results = [r["ddp"] for r in ranks]
    _assert_ranks_identical(results)
    history = results[0]["history"]
    decisions = [(r["phase"], r["decision"]) for r in history]
    assert decisions.count(("explore", "accepted")) >= 1  # the seed search, at least
    assert sum(p == "explore" and d in ("accepted", "rejected") for p, d in decisions) >= 3
    assert sum(p == "exploit" and d in ("accepted", "rejected") for p, d in decisions) >= 3
    # The NaN loss was passed on rank 1 only; the all-reduced loss rolled back on both ranks.
    assert results[0]["injected_at"] is not None
    rolled = [r for r in history if r["decision"] == "rolled_back"]
    assert len(rolled) == 1 and "training loss is nan" in rolled[0]["reason"]
    assert results[0]["stats"]["rollbacks"] == 1
    assert results[0]["phase"] == "exploit"


def test_two_ranks_follow_the_single_process_lr_trajectory(ranks, single):
    dist_run, one = ranks[0]["ddp"], single["ddp"]
    a, b = _trajectory(dist_run), _trajectory(one)
    assert [t[:3] for t in a] == [t[:3] for t in b]
    for (*_, before_a, after_a), (*_, before_b, after_b) in zip(a, b, strict=True):
        assert math.isclose(before_a, before_b, rel_tol=LR_RTOL)
        assert math.isclose(after_a, after_b, rel_tol=LR_RTOL)
    assert math.isclose(dist_run["lr"], one["lr"], rel_tol=LR_RTOL)
    for name, value in one["params"].items():
        torch.testing.assert_close(dist_run["params"][name], value, atol=PARAM_ATOL, rtol=0)


def test_probe_forward_passes_per_rank_halve(ranks, single):
    one, two = single["ddp"], ranks[0]["ddp"]
    # the seed search at step 1: the same 8 minibatches in all, 4 per rank, at every LR
    search_one, search_two = one["history"][0], two["history"][0]
    assert search_one["reason"].startswith("seed search")
    batches = DEFAULTS.search_minibatches
    assert search_one["num_batches"] == search_two["num_batches"] == batches == 8
    assert search_one["losses"] == pytest.approx(search_two["losses"], rel=1e-6)
    assert search_two["forward_passes"] * 2 == search_one["forward_passes"] > 0
    fits = [r for r in one["history"][1:] if r["forward_passes"]]
    fits_one = [r["forward_passes"] for r in fits]
    fits_two = [r["forward_passes"] for r in two["history"][1:] if r["forward_passes"]]
    num_probes = 3
    assert fits_one == [SUPERBATCH * num_probes] * len(fits_one)
    assert fits_two == [f // 2 for f in fits_one]
    assert two["stats"]["probe_forward_passes"] * 2 == one["stats"]["probe_forward_passes"]
    # Every rank evaluated the full superbatch between them.
    nums = [r["num_batches"] for r in two["history"][1:] if r["forward_passes"]]
    assert nums == [SUPERBATCH] * len(nums)


@pytest.mark.parametrize("where", ["two_ranks", "one_process"])
def test_gradscaler_skipped_step_is_recorded_and_not_probed(ranks, single, where):
    results = [r["amp"] for r in ranks] if where == "two_ranks" else [single["amp"]]
    _assert_ranks_identical(results)
    for res in results:
        skipped = [r for r in res["history"] if "GradScaler" in r["reason"]]
        assert len(skipped) == 1
        assert skipped[0]["decision"] == "skipped" and skipped[0]["forward_passes"] == 0
        # optimizer steps taken before it: the seed search undid one per extra direction
        searches = [r for r in res["history"] if r["reason"].startswith("seed search")]
        undone = len(searches) - 1  # every search but the last undid its step
        assert undone >= DEFAULTS.search_directions - 1
        assert skipped[0]["step"] == AMP_INF_CALL - undone
        assert res["forwards_before"] == res["forwards_after"]  # no probe at that call
        # Training went on: every other call stepped, and decisions kept coming.
        rollbacks = res["stats"]["rollbacks"]  # a rollback drops its step's gradients
        assert res["stats"]["skipped_steps"] == 1 + undone + rollbacks
        assert res["stats"]["optimizer_steps"] == AMP_STEPS - res["stats"]["skipped_steps"]
        assert any(
            r["step"] > AMP_INF_CALL
            and r["decision"] in ("accepted", "rejected")
            and r["num_batches"] > 0
            for r in res["history"]
        )
        assert res["scales"][AMP_INF_CALL] == res["scales"][AMP_INF_CALL - 1] / 2
        assert all(torch.isfinite(p).all() for p in res["params"].values())
    if where == "two_ranks":  # the inf was injected on rank 1 only
        assert ranks[0]["amp"]["scales"] == ranks[1]["amp"]["scales"]


def test_failures_on_one_rank_reach_every_rank(ranks):
    results = [r["errors"] for r in ranks]
    _assert_ranks_identical(results, same_stats=False)
    first = results[0]["history"][0]
    assert first["decision"] == "skipped"
    assert "corrupt" in results[1]["history"][0]["reason"]
    assert "other rank" in results[0]["history"][0]["reason"]
    for res in results:
        assert "on 1 of 2 ranks" in res["loss_error"]


def test_fsdp2_fully_shard_matches_ddp(ranks):
    fsdp = [r["fsdp2"] for r in ranks]
    assert "error" not in fsdp[0], fsdp[0].get("error")
    assert "pass the root module" in fsdp[0]["missing_model_error"]
    assert ranks[0]["ddp"]["missing_model_error"] is None  # DDP needs no model=
    _assert_ranks_identical(fsdp)
    ddp = ranks[0]["ddp"]
    assert [t[:3] for t in _trajectory(fsdp[0])] == [t[:3] for t in _trajectory(ddp)]
    for a, b in zip(_trajectory(fsdp[0]), _trajectory(ddp), strict=True):
        assert math.isclose(a[4], b[4], rel_tol=LR_RTOL)
    for name, value in ddp["params"].items():
        torch.testing.assert_close(fsdp[0]["params"][name], value, atol=PARAM_ATOL, rtol=0)


# ------------------------------------------------------------------ single-process units
def test_helpers_without_a_process_group():
    assert all_reduce_loss(None) is None
    assert all_reduce_loss(1.5) == 1.5
    assert any_true(True) and not any_true(False)
    t = torch.ones(3)
    assert local_tensor(t) is t
    failure = RankFailure()
    with failure:
        raise KeyError("boom")
    with pytest.raises(KeyError):
        failure.all_reduce_sum(torch.zeros(2))


def test_grad_scaler_misuse_is_a_clear_error(make_tuner):
    model = torch.nn.Linear(4, 2)
    base = torch.optim.SGD(model.parameters(), lr=0.1)
    tuner = make_tuner(None, base, probe_loss=lambda b: b, probe_data=[1, 2])
    with pytest.raises(ValueError, match=r"not a torch\.amp\.GradScaler"):
        tuner.step(loss=1.0, grad_scaler=object())
    scaler = torch.amp.GradScaler("cpu")
    scaler.scale(model(torch.ones(1, 4)).sum()).backward()
    scaler.step(tuner)
    with pytest.raises(ValueError, match="already called"):
        scaler_found_inf(scaler, tuner)


@pytest.mark.parametrize("unscaled_first", [None, "tuner", "wrapped"])
def test_grad_scaler_unscales_exactly_once(unscaled_first, make_tuner):
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 2)
    x = torch.randn(8, 4)
    model(x).pow(2).mean().backward()
    expected = [p.detach() - 0.1 * p.grad for p in model.parameters()]
    model.zero_grad()
    base = torch.optim.SGD(model.parameters(), lr=0.1)
    # the probe loss is a constant: a seed search would be inconclusive and (0.16.0) undo the
    # step before its retry; this test is about the scaler, so the search is off
    tuner = make_tuner(None, base, probe_loss=lambda b: b, probe_data=[1, 2], recompute_every=100,
                       seed_search=False)
    scaler = torch.amp.GradScaler("cpu", init_scale=64.0)
    loss = model(x).pow(2).mean()
    scaler.scale(loss).backward()
    if unscaled_first is not None:
        scaler.unscale_(tuner if unscaled_first == "tuner" else base)
    tuner.step(loss=loss, grad_scaler=scaler)
    scaler.update()
    for p, e in zip(model.parameters(), expected, strict=True):
        torch.testing.assert_close(p.detach(), e)
    assert tuner.stats.optimizer_steps == 1 and tuner.stats.skipped_steps == 0
