"""``explore_by_trial`` (experimental, off by default): explore raises the LR to its trust
region's upper bound at every fit until the first rollback. Exact on quadratics."""

from __future__ import annotations

import pytest
from quadratic_fits import quadratic

from lrtuner.config import TunerConfig
from lrtuner.policy import TunerPolicy


def policy(**options) -> TunerPolicy:
    options.setdefault("explore_steps", 1000)
    options.setdefault("horizon_factor", 1.0)
    return TunerPolicy(TunerConfig(**options).resolve())


def test_explore_climbs_by_the_trust_region_until_a_rollback():
    p = policy(explore_by_trial=True)
    asks_less = quadratic(-0.02, p.bounds(0.1))  # one-step optimum 0.08: a decrease
    first = p.decide(asks_less, 0.1, None, step=10)
    assert first.accepted and first.proposed_lr == pytest.approx(0.2)  # x2, not 0.08
    assert "explore trial, until a rollback" in first.reason
    assert p.state.growth == 1.0  # the trial does not widen the trust region
    p.on_rolled_back()
    assert p.state.trial_ended
    after = p.decide(quadratic(-0.02, p.bounds(0.1)), 0.1, None, step=20)
    assert not after.accepted and "explore rejects a decrease" in after.reason


def test_off_by_default_and_never_in_exploit():
    p = policy()
    assert not p.config.explore_by_trial
    d = p.decide(quadratic(-0.02, p.bounds(0.1)), 0.1, None, step=10)
    assert not d.accepted
    q = policy(explore_by_trial=True, explore_steps=0, exploit_agreement=0)
    q.update_phase(1)
    d = q.decide(quadratic(0.02, q.bounds(0.1)), 0.1, None, step=10)  # exploit: an increase
    assert not d.accepted and "trial" not in d.reason
