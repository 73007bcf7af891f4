"""The seed search's median over directions (``search_directions=3``, 0.17.0): a conclusive
search's step is undone and the next step's direction is searched from the same first weights,
until three were conclusive; the LR is ``1/safety_factor`` of the median of their one-step
optima. Exact on least squares, where each minibatch's one-step optimum along its own gradient
is known in closed form, and on real digits, where the answer varies less across training
seeds than one search's."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from digits_testbed import load_digits_tensors

from lrtuner import LRTuner
from lrtuner.config import DEFAULTS, TunerConfig
from lrtuner.policy import TunerPolicy
from lrtuner.seed_search import SeedSearchResult, median_in_log, seed_lr_from_optima

SAFETY_FACTOR = DEFAULTS.safety_factor
DIRECTIONS = DEFAULTS.search_directions


def _searches(tuner: LRTuner) -> list:
    return [h for h in tuner.history if h.reason.startswith("seed search")]


def test_median_in_log():
    assert median_in_log([100.0, 1.0, 10.0]) == 10.0
    assert median_in_log([1.0, 100.0]) == pytest.approx(10.0)  # geometric mean of the middle two
    assert median_in_log([2.5]) == 2.5
    assert median_in_log([1.0, 4.0, 1e9, 2.0]) == pytest.approx(math.sqrt(8.0))
    for bad in ([], [1.0, -1.0], [math.nan], [0.0], [math.inf]):
        with pytest.raises(ValueError, match="values"):
            median_in_log(bad)


def test_lr_is_a_fraction_of_the_median_one_step_optimum():
    res = seed_lr_from_optima(1e-3, [0.4, 4.0, 0.8])
    assert res.changed and res.lr == pytest.approx(0.8 / SAFETY_FACTOR)
    assert res.one_step_lr == 0.8 and "over 3 directions" in res.reason and "raised" in res.reason
    # one outlying direction does not move the answer
    assert seed_lr_from_optima(1e-3, [0.4, 400.0, 0.8]).lr == res.lr
    kept = seed_lr_from_optima(0.04, [0.4, 4.0, 0.8])  # 0.8 / 20 is the seed LR
    assert not kept.changed and kept.lr == 0.04 and "kept" in kept.reason


def _result(one_step_lr: float | None, inconclusive: bool = False) -> SeedSearchResult:
    lr = one_step_lr / SAFETY_FACTOR if one_step_lr else 1e-3
    return SeedSearchResult(lr, one_step_lr is not None, "r", inconclusive, one_step_lr)


def test_policy_searches_until_three_were_conclusive():
    policy = TunerPolicy(TunerConfig(total_steps=1000).resolve())
    steps = []
    outcomes = iter([_result(2.0), _result(None, True), _result(8.0), _result(4.0)])
    for step in range(10):
        if policy.seed_search_due(step):
            policy.note_seed_search()
            steps.append(step)
            last = next(outcomes)
            policy.note_seed_search_outcome(last)
    assert steps == [0, 1, 2, 3] and policy.state.seed_search_optima == [2.0, 8.0, 4.0]
    final = policy.seed_lr_final(last, 1e-3)
    assert final.lr == pytest.approx(4.0 / SAFETY_FACTOR) and final.one_step_lr == 4.0
    # search_attempts still caps the inconclusive ones; the conclusive ones so far decide
    policy = TunerPolicy(TunerConfig(total_steps=1000, search_attempts=2).resolve())
    for outcome in (_result(2.0), _result(None, True), _result(None, True)):
        assert policy.seed_search_due(len(policy.state.seed_search_optima))
        policy.note_seed_search()
        retry = policy.note_seed_search_outcome(outcome)
    assert not retry and policy.seed_lr_final(outcome, 1e-3).lr == pytest.approx(0.1)
    # a non-finite probe loss ends the search
    policy = TunerPolicy(TunerConfig(total_steps=1000).resolve())
    policy.note_seed_search()
    policy.note_seed_search_outcome(_result(2.0))
    policy.note_seed_search()
    assert not policy.note_seed_search_outcome(_result(None))
    # search_directions=1 is 0.16.0: the first conclusive search decides, its result unchanged
    policy = TunerPolicy(TunerConfig(total_steps=1000, search_directions=1).resolve())
    policy.note_seed_search()
    first = _result(2.0)
    assert not policy.note_seed_search_outcome(first)
    assert policy.seed_lr_final(first, 1e-3) is first


def test_search_directions_is_validated():
    for bad in (0, -1, 1.5, True, "3"):
        with pytest.raises(ValueError, match="search_directions"):
            TunerConfig(search_directions=bad).validate()


def _least_squares():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(240, 6, generator=gen, dtype=torch.float64)
    y = x @ torch.randn(6, 1, generator=gen, dtype=torch.float64)
    return x, y + 0.3 * torch.randn(240, 1, generator=gen, dtype=torch.float64)


def _loss(w, x, y):
    return ((x @ w - y) ** 2).sum() / (2 * x.shape[0])


def _least_squares_run(steps: int, **options):
    """Plain SGD on least squares, minibatch k of 40 rows at step k; the probe loss is the
    full-batch loss (one probe batch), so the loss along each step is exactly quadratic."""
    x, y = _least_squares()
    w = torch.nn.Parameter(torch.zeros(6, 1, dtype=torch.float64))
    base = torch.optim.SGD([w], lr=1e-4)
    tuner = LRTuner(base, lambda batch: _loss(w, *batch), [(x, y)], total_steps=1000,
                    rollback=False, **options)  # fmt: skip
    weights = []
    for k in range(steps):
        bx, by = x[40 * k : 40 * (k + 1)], y[40 * k : 40 * (k + 1)]
        base.zero_grad()
        loss = _loss(w, bx, by)
        loss.backward()
        tuner.step(loss=loss)
        weights.append(w.detach().clone())
    return tuner, weights, (x, y)


def _one_step_optimum(x, y, bx, by):
    """The LR minimising the full-batch loss after one SGD step along minibatch ``(bx, by)``'s
    gradient from w = 0: eta* = (g . g_k) / (g_k^T H g_k), H = X^T X / n."""
    w = torch.zeros(6, 1, dtype=torch.float64)
    g = x.T @ (x @ w - y) / x.shape[0]
    g_k = bx.T @ (bx @ w - by) / bx.shape[0]
    return float((g * g_k).sum() / ((x @ g_k) ** 2).sum() * x.shape[0])


def test_the_median_of_three_directions_is_exact_on_least_squares():
    tuner, weights, (x, y) = _least_squares_run(DIRECTIONS)
    optima = [_one_step_optimum(x, y, x[40 * k : 40 * (k + 1)], y[40 * k : 40 * (k + 1)])
              for k in range(DIRECTIONS)]  # fmt: skip
    assert max(optima) / min(optima) > 1.05  # the three directions really differ
    searches = _searches(tuner)
    assert [h.step for h in searches] == [0, 0, 1]  # two steps undone, the third one taken
    assert [h.decision for h in searches] == ["rejected", "rejected", "accepted"]
    assert "direction 1 of 3" in searches[0].reason and "not taken" in searches[1].reason
    for h, optimum in zip(searches[:2], optima, strict=False):
        assert h.proposed_lr == pytest.approx(optimum / SAFETY_FACTOR, rel=1e-9)
    # the two undone steps leave w exactly at 0
    assert all(float(w.abs().max()) == 0.0 for w in weights[:2])
    assert tuner.policy.state.seed_search_optima == pytest.approx(optima, rel=1e-9)
    lr = sorted(optima)[1] / SAFETY_FACTOR
    assert tuner.lr == pytest.approx(lr, rel=1e-9)
    assert tuner.stats.skipped_steps == 2 and tuner.stats.optimizer_steps == 1
    # the step at hand (the third minibatch's) is taken at that LR from w = 0
    bx, by = x[80:120], y[80:120]
    g3 = bx.T @ (bx @ torch.zeros(6, 1, dtype=torch.float64) - by) / 40
    torch.testing.assert_close(weights[2], -lr * g3, rtol=1e-12, atol=1e-15)
    # search_directions=1 is 0.16.0: the first minibatch's direction decides
    old, _, _ = _least_squares_run(1, search_directions=1)
    assert old.lr == pytest.approx(optima[0] / SAFETY_FACTOR, rel=1e-9)
    assert len(_searches(old)) == 1 and old.stats.skipped_steps == 0


def test_the_collected_optima_survive_a_checkpoint():
    tuner, _, _ = _least_squares_run(2)
    state = tuner.state_dict()["lrtuner"]["policy"]
    assert len(state["seed_search_optima"]) == 2 and state["seed_search_retry"] is True
    bad = tuner.state_dict()
    bad["lrtuner"]["policy"]["seed_search_optima"] = [1.0, math.nan]
    with pytest.raises(ValueError, match="seed_search_optima"):
        tuner.load_state_dict(bad)


def _digits_search(seed: int, directions: int) -> LRTuner:
    """The seed search of an SGD-momentum MLP on real digits (batches of 32, seed LR 0.1),
    training seed ``seed`` (initialisation, minibatch order and probe minibatches)."""
    x, y, _, _ = load_digits_tensors()
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    base = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    gen = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(x), generator=gen)
    batches = [(x[order[i : i + 32]], y[order[i : i + 32]]) for i in range(0, 32 * 40, 32)]
    tuner = LRTuner(
        base, lambda b: F.cross_entropy(model(b[0]), b[1]), batches[8:], model=model,
        total_steps=2000, seed=seed, search_directions=directions,
    )  # fmt: skip
    for bx, by in batches[:8]:
        base.zero_grad()
        loss = F.cross_entropy(model(bx), by)
        loss.backward()
        tuner.step(loss=loss)
        if not tuner.policy.state.seed_search_retry:
            break
    return tuner


def test_on_real_digits_the_lr_is_the_median_of_three_directions():
    """The first direction is 0.16.0's whole search; the LR is 1/20 of the median of it and
    the next two minibatches' directions, each searched from the same first weights."""
    for seed in range(2):
        one, three = _digits_search(seed, 1), _digits_search(seed, 3)
        optima = three.policy.state.seed_search_optima
        assert len(optima) == 3 and len(set(optima)) == 3
        assert optima[0] == pytest.approx(one.policy.state.seed_search_optima[0], rel=1e-6)
        assert three.lr == pytest.approx(sorted(optima)[1] / SAFETY_FACTOR, rel=1e-9)
        assert 0.005 < three.lr < 2.0
        assert three.stats.skipped_steps == 2 and three.stats.optimizer_steps == 1
