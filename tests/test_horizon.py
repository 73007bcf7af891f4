"""The short-horizon correction (``horizon_factor``): exact values on quadratics whose
minimum is known, and its effect on what a phase may accept and when a fit is resolved."""

from __future__ import annotations

import numpy as np
import pytest
from quadratic_fits import quadratic

from lrtuner.config import TunerConfig
from lrtuner.policy import TunerPolicy
from lrtuner.probe import ClipBounds, decision_is_resolved, horizon_eps
from lrtuner.prober import FitResult


def test_horizon_eps_is_the_multiple_of_the_one_step_optimum():
    assert horizon_eps(0.1, 0.05, 1.0) == 0.05  # H = 1: the paper's minimum, untouched
    assert horizon_eps(0.1, 0.05, 2.0) == pytest.approx(0.2)  # 2 * 0.15 - 0.1
    assert horizon_eps(0.1, -0.02, 2.0) == pytest.approx(0.06)  # a decrease becomes a rise
    assert horizon_eps(0.1, -0.06, 2.0) == pytest.approx(-0.02)


@pytest.mark.parametrize("factor", [1.0, 2.0, 3.0])
def test_decide_moves_to_factor_times_the_fitted_minimum(factor):
    config = TunerConfig(
        explore_steps=100, horizon_factor=factor, max_lr_factor=4.0, explore_by_trial=False
    )
    p = TunerPolicy(config.resolve())
    bounds = p.bounds(0.1)  # LR range [0.025, 0.4]
    decision = p.decide(quadratic(0.02, bounds), 0.1, None, step=10)  # one-step optimum 0.12
    assert decision.accepted
    assert decision.proposed_lr == pytest.approx(factor * 0.12)
    assert ("for the horizon" in decision.reason) == (factor != 1.0)


def test_the_trust_region_clips_after_the_factor():
    p = TunerPolicy(TunerConfig(explore_steps=100, horizon_factor=3.0).resolve())
    decision = p.decide(quadratic(0.02, p.bounds(0.1)), 0.1, None, step=10)
    assert decision.proposed_lr == pytest.approx(0.2)  # 3 x 0.12, clipped to 2 x the LR
    assert "beyond the upper clip bound" in decision.reason


def test_exploit_accepts_a_decrease_only_below_lr_over_factor():
    def decide(factor: float, eps_min: float):
        config = TunerConfig(explore_steps=0, horizon_factor=factor, exploit_agreement=0)
        p = TunerPolicy(config.resolve())
        p.update_phase(0)
        return p.decide(quadratic(eps_min, p.bounds(0.1)), 0.1, None, step=10)

    # one-step optimum 0.07: a decrease for H = 1, an increase (rejected in exploit) for H = 2
    assert decide(1.0, -0.03).accepted
    assert decide(2.0, -0.03).proposed_lr == pytest.approx(0.14)
    assert not decide(2.0, -0.03).accepted
    # one-step optimum 0.03: a decrease to 2 x 0.03 for H = 2
    low = decide(2.0, -0.07)
    assert low.accepted and low.proposed_lr == pytest.approx(0.06)
    # one-step optimum 0.02: 0.04, clipped to the lower bound lr / 2
    assert decide(2.0, -0.08).proposed_lr == pytest.approx(0.05)


def test_the_trust_region_grows_on_the_one_step_minimum_not_on_the_factor():
    """A proposal that only the factor pushes past the upper bound leaves the range as it is;
    a one-step minimum beyond the bound widens it (x2, x3, x5), as with H = 1."""
    p = TunerPolicy(TunerConfig(explore_steps=100, horizon_factor=2.0).resolve())
    p.note_seed_search()
    for step in (10, 20, 30):  # one-step optimum 0.15 inside [0.05, 0.2]; 2 x 0.15 is clipped
        d = p.decide(quadratic(0.05, p.bounds(0.1)), 0.1, None, step)
        assert d.accepted and d.proposed_lr == pytest.approx(0.2)
        assert "beyond the upper clip bound" in d.reason
        assert p.state.growth == 1.0 and p.bounds(0.1).upper == pytest.approx(0.1)
    uppers = []
    for step in (40, 50, 60):  # one-step optimum 10: beyond the bound itself
        d = p.decide(quadratic(9.9, p.bounds(0.1)), 0.1, None, step)
        uppers.append(d.proposed_lr)
    assert uppers == [pytest.approx(0.2), pytest.approx(0.3), pytest.approx(0.5)]
    # a fit that is not convex and falls towards larger LRs has no minimum in range: it grows
    q = TunerPolicy(TunerConfig(explore_steps=100, horizon_factor=2.0).resolve())
    bounds = q.bounds(0.1)
    concave = FitResult([0.0], bounds, 4, (1.0, -1.0, -1.0), [1.0, 1.0, 1.0], 12)
    q.decide(concave, 0.1, None, 10)
    assert q.state.growth == 2.0


def test_resolution_judges_the_part_the_phase_acts_on_after_the_factor():
    bounds = ClipBounds(lower=-0.05, upper=0.1)
    # minimum near eps = -0.02 (one-step optimum 0.08), uncertain by about +-0.015
    mean = np.array([1.0, 0.04, 1.0])
    stderr = np.array([0.0, 0.03, 0.0])
    tol = 0.25 * 0.1
    # H = 1 in explore: every corner proposes a decrease, which explore ignores: resolved
    assert decision_is_resolved(mean, stderr, bounds, tol, direction=1, lr=0.1)
    # H = 2: the acted increase 2 (0.1 + eps) - 0.1 = 0.06 +- 0.03 depends on the corner;
    # with the tolerance scaled by H, the fit is resolved to the same precision as for H = 1
    assert not decision_is_resolved(
        mean, stderr, bounds, tol / 2, direction=1, lr=0.1, horizon_factor=2.0
    )
    assert decision_is_resolved(
        mean, stderr, bounds, tol, direction=1, lr=0.1, horizon_factor=2.0
    )


def test_horizon_factor_is_validated():
    for bad in (0.0, -1.0, float("nan"), True):
        with pytest.raises(ValueError, match="horizon_factor"):
            TunerConfig(horizon_factor=bad)
