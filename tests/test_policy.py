"""The policy through its public API: saturation, the trust region, judgement, the caps,
rollback and the decision it returns for a fit (no tensors: plain floats)."""

from __future__ import annotations

import math

import pytest

from lrtuner.config import TunerConfig
from lrtuner.policy import DropRate, TunerPolicy
from lrtuner.probe import ClipBounds
from lrtuner.prober import FitResult


def policy(**options) -> TunerPolicy:
    """A policy on the paper's one-step minimum (``horizon_factor=1``) and the paper's exploit
    (``exploit_agreement=0``) unless told otherwise; both have their own tests
    (``test_horizon.py``, ``test_exploit_agreement.py``)."""
    options.setdefault("horizon_factor", 1.0)
    options.setdefault("exploit_agreement", 0)
    return TunerPolicy(TunerConfig(**options).resolve())


def fit_with(k1: float, k2: float, bounds: ClipBounds, k0: float = 1.0) -> FitResult:
    """A fit whose mean coefficients are ``(k0, k1, k2)``."""
    eps = [bounds.lower / 2, 0.0, bounds.upper / 2]
    return FitResult(eps, bounds, 4, (k0, k1, k2), [k0 + k1 * e + k2 * e * e for e in eps], 12)


def quadratic_with_minimum_at(eps_min: float, bounds: ClipBounds) -> FitResult:
    return fit_with(-2.0 * eps_min, 1.0, bounds)  # -k1 / (2 k2) = eps_min


def test_relative_saturation_switches_to_absolute_threshold():
    p = policy(explore_steps=0, saturation_threshold=10.0)
    p.update_phase(0)
    for i in range(20):
        p.record_loss(10.0 - 0.5 * i)  # start rate 0.5 / step
    rate = p.close_window()
    assert rate.rate == pytest.approx(0.5)
    assert not p.fit_due(rate)[0]
    for i in range(20):
        p.record_loss(1.0 - 0.01 * i)  # 50x slower: ratio 50 > 10
    rate = p.close_window()
    due, reason = p.fit_due(rate)
    assert due and "absolute threshold" in reason
    assert p.state.absolute_threshold == pytest.approx(0.01)
    for i in range(20):
        p.record_loss(0.5 - 0.02 * i)  # faster than the absolute threshold
    assert not p.fit_due(p.close_window())[0]


def test_automatic_saturation_is_a_drop_within_noise():
    p = policy(explore_steps=0)
    assert p.update_phase(0) and p.state.phase == "exploit"
    assert p.fit_due(DropRate(rate=0.5, stderr=1.0, num_steps=10))[0]
    due, why = p.fit_due(DropRate(rate=2.0, stderr=1.0, num_steps=10))
    assert not due and why.startswith("loss still dropping")
    assert not p.fit_due(None)[0]


def test_the_one_switch_to_exploit():
    p = policy(explore_steps=100, seed_search=False)
    b = p.bounds(1.0)
    p.decide(fit_with(-1.0, 0.0, b), 1.0, None, 10)  # an increase at the upper bound: growth
    assert p.state.growth == 2.0
    assert not p.update_phase(99)
    assert p.update_phase(100) and p.state.phase == "exploit"
    assert p.state.growth == 1.0 and p.state.explore_steps == 100
    assert not p.update_phase(101)  # once


def test_trust_region_grows_after_upper_hits_without_a_seed_search():
    p = policy(explore_steps=1000, seed_search=False)
    uppers = []
    for _ in range(5):
        b = p.bounds(1.0)
        uppers.append(b.upper)
        assert b.lower == pytest.approx(-0.5)  # never more than /2 down
        d = p.decide(fit_with(-1.0, 0.0, b), 1.0, None, 10)  # linear: to the upper bound
        assert d.accepted and d.proposed_lr == pytest.approx(1.0 + b.upper)
    assert uppers == pytest.approx([1.0, 2.0, 4.0, 8.0, 8.0])  # x2, x3, x5, x9, x9
    d = p.decide(quadratic_with_minimum_at(0.5, p.bounds(1.0)), 1.0, None, 10)
    assert d.accepted and p.state.growth == 1.0  # inside the range: reset


def test_paper_clip_bound_from_the_loss():
    p = policy(explore_steps=10, epsilon_threshold=1e-3)
    p.record_loss(8.0)
    p.close_window()
    assert p.reference_loss() == 8.0
    b = p.bounds(0.1)
    assert b.upper == pytest.approx((1e-3 * 8.0) ** (1 / 3))
    assert b.lower == pytest.approx(1e-3 * 0.1 - 0.1)  # eta + eps >= eta / 1000


def test_judge_by_phase():
    p = policy(explore_steps=100)
    assert p.judge(0.5, 1.0) == (True, "explore accepts an increase")
    assert p.judge(-0.5, 1.0) == (False, "explore rejects a decrease")
    rising = DropRate(rate=-3.0, stderr=1.0, num_steps=10)  # rho < -2 s
    assert p.judge(-0.5, 1.0, rising)[0]
    assert not p.judge(-0.5, 1.0, DropRate(rate=-1.0, stderr=1.0, num_steps=10))[0]
    assert p.judge(0.04, 1.0) == (False, "change below 5% of the LR")
    p.update_phase(100)
    assert p.judge(-0.5, 1.0) == (True, "exploit accepts a decrease")
    assert p.judge(0.5, 1.0) == (False, "exploit rejects an increase")


def test_decide_accepts_the_fitted_minimum_and_holds_it_pending():
    p = policy(explore_steps=100, seed_search=False, explore_by_trial=False)
    p.record_loss(2.0)
    p.record_loss(1.9)
    p.record_loss(1.8)
    rate = p.close_window()
    d = p.decide(quadratic_with_minimum_at(0.3, p.bounds(1.0)), 1.0, rate, 7)
    assert d.accepted and d.proposed_lr == pytest.approx(1.3) and d.judged_in == "explore"
    assert d.reason == "explore accepts an increase: minimum of the fitted quadratic"
    pending = p.state.pending
    assert (pending.step, pending.lr_before, pending.lr_after) == (7, 1.0, d.proposed_lr)
    assert pending.rate_before == pytest.approx(rate.rate)


def test_a_fit_that_is_not_finite_changes_nothing():
    p = policy(explore_steps=100, seed_search=False)
    before = p.state_dict()
    d = p.decide(fit_with(math.nan, 1.0, p.bounds(1.0)), 1.0, None, 3)
    assert not d.accepted and d.proposed_lr is None and d.reason == "probe loss is not finite"
    assert p.state_dict() == before


def test_after_a_seed_search_explore_follows_the_fit_and_grows_on_consistent_requests():
    """No cap below the fitted optimum: an explore fit whose minimum lies beyond the upper
    bound moves the LR to the bound, and consecutive such fits widen the bound (x2, x3, x5),
    with or without a seed search (rule 12 off: the fits' own proposals)."""
    p = policy(explore_steps=100, explore_by_trial=False)
    p.note_seed_search()
    # fitted one-step optimum 1 + 0.9 = 1.9: accepted as fitted
    d = p.decide(quadratic_with_minimum_at(0.9, p.bounds(1.0)), 1.0, None, 5)
    assert d.accepted and d.proposed_lr == pytest.approx(1.9) and "capped" not in d.reason
    factors = []
    for step in (10, 20, 30):
        d = p.decide(quadratic_with_minimum_at(100.0, p.bounds(1.0)), 1.0, None, step)
        assert d.accepted
        factors.append(d.proposed_lr)
    assert factors == [pytest.approx(2.0), pytest.approx(3.0), pytest.approx(5.0)]
    # a proposal inside the range resets the growth
    p.decide(quadratic_with_minimum_at(0.5, p.bounds(1.0)), 1.0, None, 40)
    assert p.bounds(1.0).upper == pytest.approx(1.0)


def test_rollback_judges_the_window_after_a_change_and_caps_the_next_move():
    p = policy(explore_steps=100, seed_search=False)
    p.on_accepted(10, 1.0, 2.0)
    roll, why = p.should_roll_back(DropRate(rate=-0.5, stderr=0.1, num_steps=10), True)
    assert roll and why.startswith("loss rose after the change")
    assert not p.should_roll_back(DropRate(rate=-0.1, stderr=0.1, num_steps=10), True)[0]
    undone = p.on_rolled_back()
    assert (undone.lr_before, undone.lr_after) == (1.0, 2.0) and p.state.pending is None
    d = p.decide(fit_with(-1.0, 0.0, p.bounds(1.0)), 1.0, None, 20)  # wants +1.0
    assert d.accepted and d.proposed_lr == pytest.approx(1.5)
    assert "capped to half the change that was rolled back" in d.reason
    # the cap is used up; the boundary hit above has widened the trust region (x3)
    d = p.decide(fit_with(-1.0, 0.0, p.bounds(1.0)), 1.0, None, 30)
    assert d.proposed_lr == pytest.approx(3.0) and "capped" not in d.reason
    assert not policy(rollback=False).should_roll_back(None, False)[0]


def test_open_ended_explore_ends_after_decreases_on_a_saturated_loss():
    p = policy(seed_search=False, explore_by_trial=False)
    flat = DropRate(rate=0.0, stderr=1.0, num_steps=10)
    ended = []
    for step in (10, 20, 30):
        d = p.decide(quadratic_with_minimum_at(-0.3, p.bounds(1.0)), 1.0, flat, step)
        ended.append(d.explore_ended)
    assert ended == [False, False, True]
    assert p.state.phase == "exploit" and p.state.explore_steps == 30
    assert d.accepted and d.judged_in == "exploit" and "explore ended" in d.reason


def test_constants_are_config_fields():
    p = policy(explore_steps=100, min_relative_change=0.5, rollback_cap_fraction=0.25)
    assert not p.judge(0.4, 1.0)[0]
    p.on_accepted(1, 1.0, 2.0)
    p.on_rolled_back()
    assert p.state.rollback_cap == pytest.approx(0.25)
