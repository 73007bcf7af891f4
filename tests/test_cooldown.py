"""Rule 9, the cooldown: over the last ``cooldown_share`` of ``total_steps`` the LR anneals
linearly to zero from its tuned value, and no fit is made (real data: digits)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from digits_testbed import DigitsRun, lr_trace, make_batches, sgd_mlp_tuner, train_recording_lrs

from lrtuner.config import TunerConfig
from lrtuner.policy import linear_cooldown


def test_linear_cooldown_exact():
    assert linear_cooldown(0.4, 80, 100, 80) == pytest.approx(0.4)
    assert linear_cooldown(0.4, 80, 100, 90) == pytest.approx(0.2)
    assert linear_cooldown(0.4, 80, 100, 99) == pytest.approx(0.02)  # the last step: lr / 20
    assert linear_cooldown(0.4, 80, 100, 150) == pytest.approx(0.02)  # past total: held


def test_cooldown_start_and_validation():
    assert TunerConfig(total_steps=1000).resolve().cooldown_start == 800  # the default: 20%
    assert TunerConfig(total_steps=1000, cooldown_share=0).resolve().cooldown_start is None
    assert TunerConfig(cooldown_share=0.2).resolve().cooldown_start is None  # no budget
    # never before explore has ended
    cfg = TunerConfig(total_steps=100, explore_steps=90, cooldown_share=0.5).resolve()
    assert cfg.cooldown_start == 90
    for bad in (-0.1, 1.0, "0.2", True):
        with pytest.raises(ValueError, match="cooldown_share"):
            TunerConfig(cooldown_share=bad)


def _train(digits, steps: int, **options):
    """``steps`` steps of SGD-momentum on digits (``sgd_mlp_tuner``: no rollback unless told
    otherwise; rollback has its own tests). Rule 14 off: these tests are about rule 9's own
    start (an exploit decrease starting it earlier has its own tests,
    test_cooldown_on_decrease.py)."""
    options.setdefault("cooldown_on_decrease", False)
    model, tuner = sgd_mlp_tuner(digits, steps, **options)
    return tuner, train_recording_lrs(digits, model, tuner, steps)


def test_cooldown_anneals_linearly_with_no_fit(digits):
    steps, share = 240, 0.25
    tuner, lrs = _train(digits, steps, cooldown_share=share)
    start = steps - int(share * steps)
    lr0 = lrs[start - 1]  # the tuned LR the cooldown starts from
    # the LR the step was taken at = lr0 * (total - step) / (total - start)
    for step in range(start, steps):
        assert lrs[step] == pytest.approx(lr0 * (steps - step) / (steps - start), rel=1e-12)
    assert lrs[-1] == pytest.approx(lr0 / (steps - start))
    cooling = [r for r in tuner.history if r.step >= start]
    assert cooling and cooling[0].reason.startswith("cooldown")
    assert all(r.phase == "cooldown" and not r.epsilons for r in cooling)
    # before the cooldown the run is the same as without one
    plain, plain_lrs = _train(digits, steps, cooldown_share=0.0)
    assert plain_lrs[:start] == lrs[:start]
    assert any(r.epsilons for r in plain.history if r.step >= start)  # it would have fitted


def test_checkpoint_in_cooldown_resumes_bit_for_bit(digits):
    opts = {"total_steps": 120, "cooldown_share": 0.5}
    reference = DigitsRun(digits, **opts)
    reference.train(0, 120)
    first = DigitsRun(digits, **opts)
    first.train(0, 80)  # inside the cooldown (it starts at step 60)
    assert first.tuner.phase == "cooldown"
    ckpt = first.checkpoint()
    resumed = DigitsRun(digits, **opts)
    resumed.load(ckpt)
    resumed.train(80, 120)
    assert lr_trace(resumed.tuner) == lr_trace(reference.tuner)
    assert resumed.tuner.lr == reference.tuner.lr
    for a, b in zip(resumed.model.parameters(), reference.model.parameters(), strict=True):
        assert torch.equal(a, b)


def test_a_cooldown_state_without_its_lr_is_refused(digits):
    run = DigitsRun(digits, total_steps=40, cooldown_share=0.5, explore_steps=10)
    run.train(0, 25)
    state = run.tuner.state_dict()
    assert state["lrtuner"]["policy"]["phase"] == "cooldown"
    state["lrtuner"]["policy"]["cooldown_lr"] = None
    fresh = DigitsRun(digits, total_steps=40, cooldown_share=0.5, explore_steps=10)
    with pytest.raises(ValueError, match="cooldown_lr"):
        fresh.tuner.load_state_dict(state)


def test_an_lr_set_from_outside_in_the_cooldown_is_annealed_from(digits):
    xtr, ytr, _, _ = digits
    steps, start, cut = 240, 192, 210  # the default share 0.2: the cooldown starts at 192
    # no rollback (it would drop a step): the loop's index is the tuner's step; rule 9's start
    # (rule 14 off)
    model, tuner = sgd_mlp_tuner(digits, steps, cooldown_on_decrease=False)
    batches = make_batches(xtr, ytr, 32, seed=4)
    lrs = []
    for step in range(steps):
        if step == cut:
            tuner.param_groups[0]["lr"] = tuner.lr * 0.5  # e.g. a user's manual cut
        x, y = batches[step % len(batches)]
        tuner.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        if step == cut:
            with pytest.warns(UserWarning, match="in the cooldown the anneal goes on from it"):
                tuner.step(loss=loss)
        else:
            tuner.step(loss=loss)
        lrs.append(tuner.lr)
    lr0 = lrs[start - 1]
    for step in range(start, steps):
        planned = lr0 * (steps - step) / (steps - start)
        assert lrs[step] == pytest.approx(planned * (0.5 if step >= cut else 1.0), rel=1e-9)
