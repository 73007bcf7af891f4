"""Rule 11: the horizon factor in use follows the run's rollbacks. Exact on quadratics whose
one-step minimum is known; the rollback record on real data (digits)."""

from __future__ import annotations

import pytest
from quadratic_fits import quadratic

from lrtuner.config import TunerConfig
from lrtuner.policy import PolicyState, TunerPolicy


def policy(**options) -> TunerPolicy:
    options.setdefault("explore_steps", 1000)
    options.setdefault("max_lr_factor", 4.0)
    return TunerPolicy(TunerConfig(**options).resolve())


def roll_back(p: TunerPolicy, lr_before: float, lr_after: float) -> None:
    p.on_accepted(10, lr_before, lr_after)
    p.on_rolled_back()


def test_a_rolled_back_increase_halves_the_factor_and_the_next_fit_uses_it():
    p = policy(explore_by_trial=False)  # the fits' own proposals (rule 12 off)
    assert p.horizon == 2.0  # config.horizon_factor until a rollback
    first = p.decide(quadratic(0.02, p.bounds(0.1)), 0.1, None, step=5)  # one-step optimum 0.12
    assert first.proposed_lr == pytest.approx(0.24) and "(x2 for the horizon)" in first.reason
    roll_back(p, 0.1, 0.24)
    assert p.horizon == 1.0
    second = p.decide(quadratic(0.02, p.bounds(0.1)), 0.1, None, step=20)
    assert second.proposed_lr == pytest.approx(0.12)  # the one-step optimum itself
    assert "for the horizon" not in second.reason
    roll_back(p, 0.1, 0.12)
    assert p.horizon == 0.5
    # now a fit whose one-step optimum lies above the LR proposes a decrease: 0.5 x 0.12
    third = p.decide(quadratic(0.02, p.bounds(0.1)), 0.1, None, step=30)
    assert third.proposed_lr == pytest.approx(0.06) and "(x0.5 for the horizon)" in third.reason


def test_the_factor_stays_between_one_over_the_search_divisor_and_its_configured_value():
    p = policy(safety_factor=10.0)
    for _ in range(8):
        roll_back(p, 0.1, 0.2)
    assert p.horizon == pytest.approx(0.1)  # floor 1 / safety_factor
    roll_back(p, 0.1, 0.05)  # a rolled-back decrease doubles it
    assert p.horizon == pytest.approx(0.2)
    for _ in range(8):
        roll_back(p, 0.1, 0.05)
    assert p.horizon == 2.0  # ceiling: horizon_factor
    q = policy(horizon_factor=0.05)  # a configured factor below the floor is never raised
    roll_back(q, 0.1, 0.2)
    assert q.horizon == pytest.approx(0.05)


def test_switched_off_the_factor_is_fixed_as_in_0_8_0():
    p = policy(horizon_follows_rollbacks=False)
    roll_back(p, 0.1, 0.2)
    roll_back(p, 0.1, 0.05)
    assert p.horizon == 2.0 and p.state.horizon is None


def test_the_factor_is_part_of_the_checkpointed_state():
    p = policy()
    roll_back(p, 0.1, 0.2)
    restored = PolicyState.from_dict(p.state.to_dict())
    assert restored.horizon == 1.0
    old = p.state.to_dict()
    del old["horizon"]  # a checkpoint of 0.8.0
    q = TunerPolicy(p.config)
    q.state = PolicyState.from_dict(old)
    assert q.horizon == 2.0


@pytest.mark.parametrize("bad", [1, "yes", None])
def test_the_switch_is_validated(bad):
    with pytest.raises(ValueError, match="horizon_follows_rollbacks"):
        TunerConfig(horizon_follows_rollbacks=bad)


@pytest.mark.parametrize("follow", [True, False])
def test_the_rollback_record_names_the_new_factor_on_real_data(follow, digits):
    """Digits MLP from a low LR: explore's first increase is followed by rising losses and
    rolled back; the record says how the factor moved, and the policy uses the new one."""
    from test_rollback_level import _short_window_run

    tuner = _short_window_run(digits, True, horizon_follows_rollbacks=follow)
    undone = next(r for r in tuner.history if r.decision == "rolled_back")
    assert undone.lr_after < undone.lr_before  # the undone change was an increase
    assert ("horizon factor 2 -> 1" in undone.reason) is follow
    assert tuner.policy.horizon == (1.0 if follow else 2.0)
