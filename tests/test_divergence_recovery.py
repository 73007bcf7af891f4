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


def _until_restore_point(w, tuner, steps: int = 600) -> None:
    """Train until a restore point is held (a healthy window has followed a candidate) and no
    change is pending."""
    for _ in range(steps):
        _step(w, tuner)
        if tuner._sound is not None and tuner.pending_snapshot is None:
            return
    raise AssertionError("no restore point")


def test_diverged_weights_are_restored_and_the_lr_halved():
    w, tuner = _tuner()
    _step(w, tuner)  # step 1: the seed search; its state is the first candidate
    assert tuner._candidate is not None and tuner._sound is None
    _until_restore_point(w, tuner)
    point = tuner._sound
    assert point.step < tuner.stats.optimizer_steps
    lr, restored_w = tuner.lr, point.params[0].clone()
    momentum = point.optimizer_state["state"][0]["momentum_buffer"].clone()
    with torch.no_grad():
        w.fill_(1e200)  # the weights blew up: every loss is inf
    _step(w, tuner, loss=float("nan"))
    last = tuner.history[-1]
    assert last.decision == "rolled_back" and last.reason.startswith("diverged: training loss")
    assert f"the state of step {point.step} restored" in last.reason
    assert tuner.lr == pytest.approx(lr / 2) and last.lr_after == pytest.approx(lr / 2)
    assert torch.equal(w.detach(), restored_w)  # bitwise the restore point's state
    assert torch.equal(tuner.optimizer.state[w]["momentum_buffer"], momentum)
    assert tuner.policy.state.rollback_direction == 1 and tuner.policy.state.trial_ended
    assert tuner._sound is point and tuner._candidate is None  # kept for a second time
    _step(w, tuner)  # training goes on from there
    assert torch.isfinite(w).all()


def test_no_restore_point_before_a_healthy_window_followed_a_candidate():
    w, tuner = _tuner()
    for _ in range(3):
        _step(w, tuner)
    with torch.no_grad():
        w.fill_(1e200)
    _step(w, tuner, loss=float("nan"))  # the search's state is only a candidate: skipped
    assert tuner.history[-1].decision == "skipped" and float(w.detach()) == 1e200


def test_a_bad_batch_at_sound_weights_is_only_skipped():
    w, tuner = _tuner()
    _until_restore_point(w, tuner)
    lr, before = tuner.lr, float(w.detach())
    _step(w, tuner, loss=float("nan"))  # the weights are fine: the probe loss is finite
    last = tuner.history[-1]
    assert last.decision == "skipped" and "step not applied" in last.reason
    assert tuner.lr == lr and float(w.detach()) == before
    assert tuner.stats.probe_forward_passes > 0


def test_without_recovery_the_run_is_left_as_0_12_0_left_it():
    w, tuner = _tuner(recover_divergence=False)
    for _ in range(300):
        _step(w, tuner)
    with torch.no_grad():
        w.fill_(1e200)
    _step(w, tuner, loss=float("nan"))
    assert tuner.history[-1].decision == "skipped" and float(w.detach()) == 1e200
    assert tuner._sound is None and tuner._candidate is None


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
    budget = dataclasses.replace(runner.effective_budget(task, "long", None), num_evals=1)
    monkeypatch.setitem(methods.LRTUNER_OPTIONS, "long", options)
    return runner.train_one(
        task, f"lrtuner@peak{scale:g}", task.load(budget), budget, seed, "long", 0.0316, None,
        "cpu",
    )


def test_real_digits_small_minibatches_recover_from_divergence(monkeypatch):
    """Real data, seed 2 from 1/100 of the tuned peak (0.0316): at 2x the peak the weights blow
    up with nothing pending (the full 5000 steps); 0.12.0 skipped every step after it (the run
    diverged); rule 13 restores the last decision's state at half the LR and trains on."""
    pytest.importorskip("lrtuner_bench")
    old = _run(monkeypatch, 2, 0.01, recover_divergence=False)
    assert old["status"] == "diverged"
    new = _run(monkeypatch, 2, 0.01)
    assert new["status"] == "ok" and new["final_metric"] > 0.9
    recoveries = [h for h in new["history"] if h["reason"].startswith("diverged:")]
    assert recoveries and all(h["lr_after"] < h["lr_before"] for h in recoveries)


def test_a_rollback_leaves_its_snapshot_as_the_restore_point():
    w, tuner = _tuner()
    for _ in range(400):  # until an explore fit accepts a change (its snapshot is held)
        _step(w, tuner)
        if tuner.pending_snapshot is not None:
            break
    snapshot = tuner.pending_snapshot
    assert snapshot is not None and tuner._candidate is None  # the snapshot is the candidate
    _step(w, tuner, loss=float("nan"))  # a change pending: rule 8 rolls it back
    assert tuner.history[-1].decision == "rolled_back"
    assert "change undone" in tuner.history[-1].reason
    assert tuner._candidate is snapshot and tuner.pending_snapshot is None


def test_loss_rising_is_rule_6s_test():
    from lrtuner.policy import DropRate

    policy = TunerPolicy(TunerConfig(total_steps=1000).resolve())
    z = TunerConfig().rising_loss_z
    assert policy.loss_rising(DropRate(rate=-(z + 0.1), stderr=1.0, num_steps=50))
    assert not policy.loss_rising(DropRate(rate=-(z - 0.1), stderr=1.0, num_steps=50))
    assert not policy.loss_rising(None)
