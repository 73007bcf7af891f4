"""Rule 13, divergence recovery (``recover_divergence``, 0.13.0): a non-finite training loss with
no change pending, while the probe loss at the current weights is not finite either, restores
the state of the last decision and divides the LR by ``max_lr_factor``; a bad training batch
at sound weights is only skipped. Exact on a quadratic, and on real digits with SGD-momentum on
minibatches of 4, where 0.12.0's runs diverged."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from lrtuner import LRTuner
from lrtuner.config import TunerConfig
from lrtuner.policy import TunerPolicy

SEED_LR = 1e-3


def _tuner(**options):
    w = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([w], lr=SEED_LR, momentum=0.9)
    tuner = LRTuner(opt, lambda _: ((w - 1.0) ** 2).sum(), [0] * 8, total_steps=1000, **options)
    return w, tuner


def _step(w, tuner, loss=None):
    w.grad = -2.0 * (1.0 - w.detach())
    value = float(((w.detach() - 1.0) ** 2).sum()) if loss is None else loss
    tuner.step(loss=value)


def test_diverged_weights_are_restored_and_the_lr_halved():
    w, tuner = _tuner()
    _step(w, tuner)  # step 1: the seed search; its end is the restore point
    after_search = float(w.detach())
    momentum = tuner.optimizer.state[w]["momentum_buffer"].clone()
    for _ in range(2):
        _step(w, tuner)
    lr = tuner.lr
    assert tuner._sound is not None and tuner._sound.step == 1
    with torch.no_grad():
        w.fill_(1e200)  # the weights blew up: every loss is inf
    _step(w, tuner, loss=float("nan"))
    last = tuner.history[-1]
    assert last.decision == "rolled_back" and last.reason.startswith("diverged: training loss")
    assert "the state of step 1 restored" in last.reason
    assert tuner.lr == pytest.approx(lr / 2) and last.lr_after == pytest.approx(lr / 2)
    assert float(w.detach()) == after_search  # bitwise the state after step 1
    assert torch.equal(tuner.optimizer.state[w]["momentum_buffer"], momentum)
    assert tuner.policy.state.rollback_direction == 1 and tuner.policy.state.trial_ended
    assert tuner._sound is not None  # kept: a second divergence restores it again
    _step(w, tuner)  # training goes on from there
    assert torch.isfinite(w).all()


def test_a_bad_batch_at_sound_weights_is_only_skipped():
    w, tuner = _tuner()
    for _ in range(3):
        _step(w, tuner)
    lr, before = tuner.lr, float(w.detach())
    _step(w, tuner, loss=float("nan"))  # the weights are fine: the probe loss is finite
    last = tuner.history[-1]
    assert last.decision == "skipped" and "step not applied" in last.reason
    assert tuner.lr == lr and float(w.detach()) == before
    assert tuner.stats.probe_forward_passes > 0


def test_without_recovery_the_run_is_left_as_0_12_0_left_it():
    w, tuner = _tuner(recover_divergence=False)
    for _ in range(3):
        _step(w, tuner)
    with torch.no_grad():
        w.fill_(1e200)
    _step(w, tuner, loss=float("nan"))
    assert tuner.history[-1].decision == "skipped" and float(w.detach()) == 1e200
    assert tuner._sound is None


def test_no_restore_point_while_a_change_is_pending():
    w, tuner = _tuner()
    for _ in range(3):
        _step(w, tuner)
    tuner._snapshot = tuner._sound  # as if a change were pending: its snapshot serves
    tuner._refresh_sound()
    assert tuner._sound is None


def test_on_diverged_caps_the_next_increase():
    policy = TunerPolicy(TunerConfig(total_steps=1000).resolve())
    policy.on_diverged(0.1, 0.05)
    s = policy.state
    assert s.rollback_direction == 1 and s.trial_ended and s.fit_streak == 0
    assert s.rollback_cap == pytest.approx(TunerConfig().rollback_cap_fraction * 0.05)


def test_recover_divergence_is_validated():
    with pytest.raises(ValueError, match="recover_divergence"):
        TunerConfig(recover_divergence=1).validate()


def _run(monkeypatch, seed: int, scale: float, **options):
    from lrtuner_bench import methods, runner
    from lrtuner_bench.tasks import get_task

    task = get_task("digits-smallbatch")  # SGD-momentum 0.9 on minibatches of 4
    budget = dataclasses.replace(runner.effective_budget(task, "long", None), steps=1500,
                                 num_evals=1)
    monkeypatch.setitem(methods.LRTUNER_OPTIONS, "long", options)
    return runner.train_one(
        task, f"lrtuner@peak{scale:g}", task.load(budget), budget, seed, "long", 0.0316, None,
        "cpu",
    )


def test_real_digits_small_minibatches_recover_from_divergence(monkeypatch):
    """Real data, seed 2 from 1/100 of the tuned peak (0.0316): at 2x the peak the weights blow
    up about step 690 with nothing pending; 0.12.0 skipped every step after it (the run
    diverged); rule 13 restores the last decision's state at half the LR and trains on."""
    pytest.importorskip("lrtuner_bench")
    old = _run(monkeypatch, 2, 0.01, recover_divergence=False)
    assert old["status"] == "diverged"
    new = _run(monkeypatch, 2, 0.01)
    assert new["status"] == "ok" and new["final_metric"] > 0.9
    recoveries = [h for h in new["history"] if h["reason"].startswith("diverged:")]
    assert recoveries and all(h["lr_after"] < h["lr_before"] for h in recoveries)
