"""Rule 12, ``explore_by_trial`` (on by default since 0.10.0): explore raises the LR to its
trust region's upper bound at every fit until the first rollback. Exact on quadratics."""

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
    assert p.state.fit_streak == 1  # it counts as an increase in exploit's agreement streak
    p.on_rolled_back()
    assert p.state.trial_ended
    after = p.decide(quadratic(-0.02, p.bounds(0.1)), 0.1, None, step=20)
    assert not after.accepted and "explore rejects a decrease" in after.reason


def test_on_by_default_off_on_request_and_never_in_exploit():
    assert policy().config.explore_by_trial
    p = policy(explore_by_trial=False)  # 0.9.0: explore follows the fits from the start
    d = p.decide(quadratic(-0.02, p.bounds(0.1)), 0.1, None, step=10)
    assert not d.accepted
    q = policy(explore_by_trial=True, explore_steps=0, exploit_agreement=0)
    q.update_phase(1)
    d = q.decide(quadratic(0.02, q.bounds(0.1)), 0.1, None, step=10)  # exploit: an increase
    assert not d.accepted and "trial" not in d.reason


def _train_digits(digits, **options):
    """A ReLU MLP on real digits, SGD-momentum from 0.003 (a tenth of the LR this MLP trains
    well at), no seed search: explore's 300 steps hold ten decisions."""
    import torch
    import torch.nn.functional as F
    from digits_testbed import build_tuner, make_batches
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    base = torch.optim.SGD(model.parameters(), lr=0.003, momentum=0.9)
    tuner = build_tuner(
        digits, model, base, total_steps=1200, explore_steps=300, recompute_every=30,
        seed_search=False, cooldown_share=0.0, **options,
    )
    batches = make_batches(digits[0], digits[1], 32, seed=4)
    for step in range(300):
        x, y = batches[step % len(batches)]
        tuner.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        tuner.step(loss=loss)
    return tuner


def test_on_real_data_explore_climbs_where_the_fit_asks_less_until_a_rollback(digits):
    trial, off = _train_digits(digits), _train_digits(digits, explore_by_trial=False)
    # the same run up to the first fit that asks for less than the trust region's bound ...
    same = 0
    while trial.history[same].reason == off.history[same].reason:
        assert trial.history[same].lr_after == pytest.approx(off.history[same].lr_after)
        same += 1
    assert same >= 1
    first, without = trial.history[same], off.history[same]
    # ... where 0.9.0 rejects the fit's decrease and the trial takes the bound instead
    assert without.decision == "rejected" and "explore rejects a decrease" in without.reason
    assert first.decision == "accepted" and "explore trial, until a rollback" in first.reason
    assert first.proposed_lr >= 2 * first.lr_before
    # the next decision undoes it (the run's own measurement: too far), which ends the trial
    rollback = trial.history[same + 1]
    assert rollback.decision == "rolled_back" and rollback.lr_after == first.lr_before
    assert trial.policy.state.trial_ended
    assert not any("explore trial" in r.reason for r in trial.history[same + 1 :])
    assert not any("explore trial" in r.reason for r in off.history)


def test_open_ended_explore_ends_by_rule_6_only_after_the_trial():
    from lrtuner.policy import DropRate

    p = TunerPolicy(TunerConfig(seed_search=False, horizon_factor=1.0).resolve())
    assert p.state.explore_steps is None  # no total_steps: explore ends by itself (rule 6)
    flat = DropRate(rate=0.0, stderr=1.0, num_steps=10)
    for step in (10, 20, 30, 40):  # the fits ask for less on a saturated loss: the trial climbs
        d = p.decide(quadratic(-0.3, p.bounds(1.0)), 1.0, flat, step)
        assert d.accepted and not d.explore_ended and "explore trial" in d.reason
        p.release_pending()
    p.on_accepted(40, 1.0, 2.0)
    p.on_rolled_back()  # the first rollback ends the trial; rule 6 then counts the fits
    ended = [p.decide(quadratic(-0.3, p.bounds(1.0)), 1.0, flat, s).explore_ended
             for s in (50, 60, 70)]
    assert ended == [False, False, True] and p.state.phase == "exploit"


def _climb(p: TunerPolicy, fits_beyond: list[bool]) -> list[float]:
    """The LR factors of explore decisions whose fits lie beyond the bound (True) or ask for
    less (False: the trial steps to the bound)."""
    lr, factors = 0.1, []
    for step, beyond in enumerate(fits_beyond, start=1):
        first_order = 10.0 * lr if beyond else -0.02 * lr / 0.1  # slope: minimum far above / below
        d = p.decide(quadratic(first_order, p.bounds(lr)), lr, None, step=10 * step)
        assert d.accepted
        factors.append(d.proposed_lr / lr)
        lr = d.proposed_lr
        p.release_pending()
    return factors


@pytest.mark.parametrize(
    ("growth", "expected"),
    [
        ("reset", [2.0, 3.0, 2.0, 3.0, 5.0]),  # 0.10.0: a trial step resets the growth
        ("keep", [2.0, 3.0, 3.0, 5.0, 9.0]),  # the fits' growth survives a trial step
        ("grow", [2.0, 3.0, 5.0, 9.0, 9.0]),  # every step widens the next (capped at x9)
    ],
)
def test_what_a_trial_step_does_to_the_growth(growth, expected):
    p = policy(explore_by_trial=True, explore_trial_growth=growth)
    assert _climb(p, [True, False, True, True, False]) == pytest.approx(expected)


def test_trial_growth_values_are_checked():
    assert policy().config.explore_trial_growth == "reset"
    with pytest.raises(ValueError, match="explore_trial_growth"):
        policy(explore_trial_growth=True)
