"""Rule 14 (``cooldown_on_decrease``, 0.14.0): the first decrease exploit accepts starts the
cooldown at that step; the LR anneals linearly from its current value to zero at
``total_steps`` (real data: digits)."""

from __future__ import annotations

import pytest
from digits_testbed import sgd_mlp_tuner, train_recording_lrs

from lrtuner.config import TunerConfig
from lrtuner.policy import Decision, TunerPolicy

STEPS = 800  # SGD-momentum from 0.05 on digits: exploit accepts its first decrease at 441


def _decision(accepted=True, phase="exploit", before=1.0, after=0.5) -> Decision:
    return Decision(accepted, "", before, after, False, phase)


def test_which_decisions_start_the_cooldown():
    policy = TunerPolicy(TunerConfig(total_steps=1000).resolve())
    assert policy.cooldown_from_decrease(_decision())
    assert not policy.cooldown_from_decrease(_decision(accepted=False))
    assert not policy.cooldown_from_decrease(_decision(phase="explore"))  # a rising loss's cut
    assert not policy.cooldown_from_decrease(_decision(after=2.0))  # an exploit increase
    assert not policy.cooldown_from_decrease(_decision(after=None))
    for options in ({"cooldown_on_decrease": False}, {"cooldown_share": 0.0}, {}):
        total = None if not options else 1000
        off = TunerPolicy(TunerConfig(total_steps=total, **options).resolve())
        assert not off.cooldown_from_decrease(_decision()), options  # no cooldown to start
    with pytest.raises(ValueError, match="cooldown_on_decrease"):
        TunerConfig(cooldown_on_decrease=1)


def test_an_early_cooldown_anneals_from_its_own_start_exactly():
    policy = TunerPolicy(TunerConfig(total_steps=1000).resolve())  # rule 9 would start at 800
    policy.start_cooldown(0.3, 400)
    assert policy.state.phase == "cooldown" and policy.state.cooldown_from == 400
    assert policy.cooldown_lr_at(400) == pytest.approx(0.3)
    assert policy.cooldown_lr_at(700) == pytest.approx(0.15)  # halfway to 1000
    assert policy.cooldown_lr_at(999) == pytest.approx(0.3 / 600)
    assert not policy.cooldown_due(800)  # rule 9's start does not restart it
    late = TunerPolicy(TunerConfig(total_steps=1000).resolve())
    late.start_cooldown(0.3)
    assert late.state.cooldown_from is None and late.cooldown_lr_at(900) == pytest.approx(0.15)


def _train(digits, **options):
    """SGD-momentum on digits from 0.05 for ``STEPS`` steps (``sgd_mlp_tuner``: no seed
    search, no rollback)."""
    model, tuner = sgd_mlp_tuner(digits, STEPS, **options)
    return tuner, train_recording_lrs(digits, model, tuner, STEPS)


def test_exploits_first_decrease_starts_a_linear_anneal_to_zero(digits):
    tuner, lrs = _train(digits)
    starts = [r for r in tuner.history if "starts the cooldown" in r.reason]
    assert len(starts) == 1
    start = starts[0]
    assert start.phase == "exploit" and start.decision == "accepted"
    assert start.proposed_lr < start.lr_before == start.lr_after  # the fit asked for less
    s, lr0 = start.step, start.lr_before
    assert s < TunerConfig(total_steps=STEPS).resolve().cooldown_start  # before rule 9's 640
    # loop index t (0-based) takes the tuner's step t + 1: the LR of t >= s is
    # lr0 * (STEPS - t) / (STEPS - s), linear to lr0 / (STEPS - s) at the last step
    for t in range(s, STEPS):
        assert lrs[t] == pytest.approx(lr0 * (STEPS - t) / (STEPS - s), rel=1e-12)
    assert all(not r.epsilons for r in tuner.history if r.step > s)  # no fit after it
    assert tuner.phase == "cooldown"

    # 0.13.0's exploit makes the same run up to that fit, then cuts the LR and goes on fitting
    old, old_lrs = _train(digits, cooldown_on_decrease=False)
    assert old_lrs[: s - 1] == lrs[: s - 1]
    cut = next(r for r in old.history if r.step == s)
    assert cut.decision == "accepted" and cut.lr_after == pytest.approx(start.proposed_lr)
    assert any(r.epsilons for r in old.history if r.step > s)


def test_an_early_cooldown_and_its_start_survive_a_checkpoint(digits):
    reference, ref_lrs = _train(digits)
    s = next(r.step for r in reference.history if "starts the cooldown" in r.reason)
    state = reference.state_dict()["lrtuner"]["policy"]
    assert state["cooldown_from"] == s
    # the state round-trips through the validated loader with its start step
    _, fresh = sgd_mlp_tuner(digits, STEPS)
    fresh.load_state_dict(reference.state_dict())
    assert fresh.policy.state.cooldown_from == s
    assert fresh.policy.cooldown_lr_at(STEPS - 1) == pytest.approx(ref_lrs[-1], rel=1e-12)
    bad = reference.state_dict()
    bad["lrtuner"]["policy"]["cooldown_from"] = -3
    with pytest.raises(ValueError, match="cooldown_from"):
        fresh.load_state_dict(bad)
