"""Misuse and faults the tuner core must handle: issue 14's bugs and poor errors, each on digits.

Every test here failed before its fix (the table in docs/reliability.md lists the cases).
"""

from __future__ import annotations

import copy
import io
import logging
import math
import pickle
import warnings
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from digits_testbed import make_batches
from torch import nn

from lrtuner.snapshot import clone_tree

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self, hidden: int = 32) -> None:
        super().__init__()
        self.fc1 = nn.Linear(64, hidden)
        self.fc2 = nn.Linear(hidden, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.relu(self.fc1(x)))


FAST = {"recompute_every": 5, "superbatch": 4, "min_superbatch": 2, "total_steps": 60}


def build(make_tuner, base_factory=None, model=None, **options: Any):
    torch.manual_seed(0)
    model = model if model is not None else Net()
    factory = base_factory or (lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9))
    tuner = make_tuner(model, factory(model.parameters()), **{**FAST, **options})
    return model, tuner


def step(model, tuner, batch, loss_override=None, feed_loss: bool = True) -> torch.Tensor:
    x, y = batch
    tuner.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    if loss_override is not None:
        tuner.step(loss=loss_override)
    elif feed_loss:
        tuner.step(loss=loss)
    else:
        tuner.step()
    return loss


@pytest.fixture
def batches(digits):
    return make_batches(digits[0], digits[1], 32)


def with_snapshot(make_tuner, batches):
    """A tuner holding a rollback snapshot: a seed LR 100x too small, explore raises it."""
    model, tuner = build(
        make_tuner,
        lambda p: torch.optim.SGD(p, lr=1e-4, momentum=0.9),
        seed_search=False,
        total_steps=400,
        explore_steps=200,
    )
    for i in range(200):
        step(model, tuner, batches[i % len(batches)])
        if tuner.pending_snapshot is not None:
            return model, tuner
    raise AssertionError("no snapshot taken")


NAN = torch.tensor(float("nan"))


# ---------------------------------------------------------------- bug 1: add_param_group
def test_add_param_group_while_a_snapshot_is_held_then_nan_rolls_back_every_group(
    make_tuner, batches
):
    model, tuner = with_snapshot(make_tuner, batches)
    snap = clone_tree(tuner.pending_snapshot.to_dict())
    lr_before = tuner.policy.state.pending.lr_before
    extra = nn.Parameter(torch.full((4,), 0.5))
    tuner.add_param_group({"params": [extra], "lr": 1e-3})
    # the extra group trains for two steps, then a NaN loss rolls everything back
    for i in range(2):
        model.zero_grad()
        extra.grad = torch.ones(4)
        x, y = batches[i]
        F.cross_entropy(model(x), y).backward()
        tuner.step(loss=torch.tensor(1.0))
    assert not torch.equal(extra.detach(), torch.full((4,), 0.5))
    step(model, tuner, batches[3], loss_override=NAN)
    assert tuner.history[-1].decision == "rolled_back"
    for p, saved in zip(model.parameters(), snap["params"], strict=True):
        assert torch.equal(p.detach(), saved)
    assert torch.equal(extra.detach(), torch.full((4,), 0.5))  # as when its group was added
    assert len(tuner.param_groups) == 2
    assert tuner.lr == pytest.approx(lr_before)
    assert tuner.param_groups[1]["lr"] == pytest.approx(1e-3)
    for i, p in enumerate(model.parameters()):
        saved = snap["optimizer_state"]["state"][i]["momentum_buffer"]
        assert torch.equal(tuner.state[p]["momentum_buffer"], saved)
    assert extra not in tuner.state or "momentum_buffer" not in tuner.state[extra]
    step(model, tuner, batches[4], loss_override=NAN)  # no snapshot now: a plain skip
    assert tuner.history[-1].decision == "skipped"


def test_a_state_dict_saved_after_add_param_group_with_a_snapshot_loads(make_tuner, batches):
    model, tuner = with_snapshot(make_tuner, batches)
    extra = nn.Parameter(torch.zeros(4))
    tuner.add_param_group({"params": [extra], "lr": 1e-3})
    sd = clone_tree(tuner.state_dict())
    _model2, fresh = build(make_tuner, lambda p: torch.optim.SGD(p, lr=1e-4, momentum=0.9),
                           seed_search=False, total_steps=400, explore_steps=200)  # fmt: skip
    fresh.add_param_group({"params": [nn.Parameter(torch.zeros(4))], "lr": 1e-3})
    fresh.load_state_dict(sd)
    assert fresh.pending_snapshot is not None
    assert len(fresh.pending_snapshot.params) == len(list(model.parameters())) + 1


# ---------------------------------------------------------------- bug 2: plain checkpoint
def test_a_plain_checkpoint_drops_the_snapshot_pending_change_and_window(make_tuner, batches):
    model, tuner = with_snapshot(make_tuner, batches)
    assert tuner.policy.state.pending is not None
    step(model, tuner, batches[0])
    plain = copy.deepcopy(tuner.optimizer.state_dict())
    with pytest.warns(UserWarning, match="no 'lrtuner' entry"):
        tuner.load_state_dict(plain)
    assert tuner.pending_snapshot is None
    assert tuner.policy.state.pending is None
    assert tuner.policy.state.window_losses == []
    loaded = [p.detach().clone() for p in model.parameters()]
    step(model, tuner, batches[1], loss_override=NAN)  # nothing to roll back to
    assert tuner.history[-1].decision == "skipped"
    assert all(torch.equal(a, p) for a, p in zip(loaded, model.parameters(), strict=True))


# ---------------------------------------------------------------- bug 3: pickling
@pytest.mark.parametrize(
    "how",
    [
        lambda t: pickle.dumps(t),
        lambda t: copy.deepcopy(t),
        lambda t: copy.copy(t),
        lambda t: torch.save(t, io.BytesIO()),
    ],
    ids=["pickle", "deepcopy", "copy", "torch.save"],
)
def test_pickling_or_copying_the_tuner_is_refused_with_a_pointer_to_state_dict(
    make_tuner, batches, how
):
    model, tuner = build(make_tuner)
    step(model, tuner, batches[0])
    with pytest.raises(TypeError, match="state_dict"):
        how(tuner)


# ---------------------------------------------------------------- bug 4: other shapes
def test_checkpoint_from_other_parameter_shapes_raises_before_anything_changes(
    make_tuner, batches
):
    other_model, other = build(make_tuner, model=Net(hidden=48))
    for b in batches[:3]:
        step(other_model, other, b)
    sd = other.state_dict()
    assert sd["lrtuner"]["snapshot"] is None
    model, tuner = build(make_tuner)
    for b in batches[:3]:
        step(model, tuner, b)
    before = clone_tree(tuner.state_dict())
    with pytest.raises(ValueError, match="shape"):
        tuner.load_state_dict(sd)
    after = tuner.state_dict()
    assert after["lrtuner"]["history"] == before["lrtuner"]["history"]
    for i, s in before["state"].items():
        assert torch.equal(after["state"][i]["momentum_buffer"], s["momentum_buffer"])


# ---------------------------------------------------------------- bug 5: hooks
def test_state_dict_and_load_state_dict_hooks_run_as_on_any_optimizer(make_tuner, batches):
    model, tuner = build(make_tuner)
    step(model, tuner, batches[0])
    calls: list[str] = []
    tuner.register_state_dict_pre_hook(lambda opt: calls.append("pre"))

    def post(opt, sd):
        calls.append("post")
        return {**sd, "extra": 1}

    tuner.register_state_dict_post_hook(post)
    sd = tuner.state_dict()
    assert calls == ["pre", "post"] and sd["extra"] == 1 and "lrtuner" in sd

    def load_pre(opt, sd):
        calls.append("load_pre")
        out = dict(sd)
        out.pop("extra")
        return out

    tuner.register_load_state_dict_pre_hook(load_pre)
    tuner.register_load_state_dict_post_hook(lambda opt: calls.append("load_post"))
    tuner.load_state_dict(sd)
    assert calls == ["pre", "post", "load_pre", "load_post"]


# ---------------------------------------------------------------- bug 6: the loaded dict
def test_the_loaded_dict_is_left_unchanged(make_tuner, batches):
    model, tuner = build(make_tuner)
    for b in batches[:7]:
        step(model, tuner, b)
    sd = tuner.state_dict()
    before = copy.deepcopy(sd["lrtuner"])
    model2, fresh = build(make_tuner)
    fresh.load_state_dict(sd)
    for b in batches[7:17]:
        step(model2, fresh, b)
    snap, snap_before = sd["lrtuner"].pop("snapshot"), before.pop("snapshot")
    assert sd["lrtuner"] == before
    if snap_before is not None:
        for a, b in zip(snap["params"], snap_before["params"], strict=True):
            assert torch.equal(a, b)


# ---------------------------------------------------------------- bug 7: poisoned step
class WithUnused(Net):
    def __init__(self) -> None:
        super().__init__()
        self.unused = nn.Parameter(torch.zeros(3))


@pytest.mark.parametrize("seed_search", [True, False])
def test_a_step_that_makes_the_weights_nonfinite_is_undone_and_recorded(
    make_tuner, batches, seed_search
):
    model, tuner = build(
        make_tuner, lambda p: torch.optim.Adam(p, lr=1e-3, eps=0.0), model=WithUnused(),
        seed_search=seed_search,
    )  # fmt: skip
    initial = [p.detach().clone() for p in model.parameters()]
    with pytest.warns(UserWarning, match="non-finite") as caught:
        for b in batches[:20]:
            step(model, tuner, b)
    assert sum("non-finite" in str(w.message) for w in caught) == 1
    assert all(bool(torch.isfinite(p).all()) for p in model.parameters())
    # Adam with eps=0 divides 0 by 0 for the unused parameter at every step: all undone
    assert all(torch.equal(a, p) for a, p in zip(initial, model.parameters(), strict=True))
    undone = [r for r in tuner.history if "non-finite" in r.reason]
    assert len(undone) == 20 and all(r.decision == "skipped" for r in undone)
    assert tuner.stats.optimizer_steps == 0 and tuner.stats.skipped_steps == 20


class PoisonOnce(torch.optim.SGD):
    """SGD whose step at ``at`` writes a NaN into the first parameter (finite gradients)."""

    def __init__(self, params, at: int, **kw) -> None:
        super().__init__(params, **kw)
        self.calls, self.at = 0, at

    @torch.no_grad()
    def step(self, closure=None):
        super().step(closure)
        self.calls += 1
        if self.calls == self.at:
            self.param_groups[0]["params"][0].view(-1)[0] = float("nan")


def test_a_poisoned_step_with_no_copy_held_is_a_clear_error(make_tuner, batches):
    model, tuner = build(make_tuner, lambda p: PoisonOnce(p, at=3, lr=0.01), seed_search=False,
                         recompute_every=50)  # fmt: skip
    step(model, tuner, batches[0])
    step(model, tuner, batches[1])
    with pytest.raises(FloatingPointError, match="non-finite"):
        step(model, tuner, batches[2])


def test_a_poisoned_step_after_an_accepted_change_rolls_back(make_tuner, batches):
    model, tuner = with_snapshot(make_tuner, batches)
    snap = clone_tree(tuner.pending_snapshot.params)
    base = tuner.optimizer
    base.step = _poisoning(base.step)
    step(model, tuner, batches[0])
    assert tuner.history[-1].decision == "rolled_back"
    assert "non-finite" in tuner.history[-1].reason
    assert all(torch.equal(a, p) for a, p in zip(snap, model.parameters(), strict=True))


def _poisoning(original):
    def poisoned(closure=None):
        out = original(closure)
        for group in poisoned.optimizer_groups():
            group["params"][0].detach().view(-1)[0] = float("inf")
        return out

    poisoned.optimizer_groups = lambda: original.__self__.param_groups
    return poisoned


# ---------------------------------------------------------------- poor 1: probe_loss values
@pytest.mark.parametrize(
    ("convert", "match"),
    [
        (lambda t: None, "probe_loss returned None"),
        (lambda t: "abc", "probe_loss returned 'abc'"),
        (lambda t: t.repeat(5), r"probe_loss returned a tensor of shape \(5,\)"),
    ],
    ids=["None", "str", "per-sample"],
)
def test_a_bad_probe_loss_value_is_an_error_at_the_first_probe(
    make_tuner, batches, convert, match
):
    torch.manual_seed(0)
    model = Net()

    def probe_loss(b):
        return convert(F.cross_entropy(model(b[0]), b[1]))

    tuner = make_tuner(model, torch.optim.SGD(model.parameters(), lr=0.01), probe_loss=probe_loss,
                       **FAST)  # fmt: skip
    with pytest.raises((TypeError, ValueError), match=match):
        step(model, tuner, batches[0])
    assert tuner.stats.probe_forward_passes <= 1


@pytest.mark.parametrize("convert", [float, lambda t: np.float32(t.item())], ids=["float", "np"])
def test_a_python_or_numpy_float_probe_loss_is_used(make_tuner, batches, convert):
    torch.manual_seed(0)
    model = Net()
    tuner = make_tuner(
        model, torch.optim.SGD(model.parameters(), lr=0.01),
        probe_loss=lambda b: convert(F.cross_entropy(model(b[0]), b[1])), **FAST,
    )  # fmt: skip
    for b in batches[:12]:
        step(model, tuner, b)
    assert "one-step loss minimal" in tuner.history[0].reason  # the first direction's search
    assert tuner.stats.fits >= 1


# ---------------------------------------------------------------- poor 2: no loss=
def test_step_without_loss_for_a_whole_run_warns_once(make_tuner, batches):
    model, tuner = build(make_tuner)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for b in batches[:30]:
            step(model, tuner, b, feed_loss=False)
    about = [str(w.message) for w in caught if "loss=" in str(w.message)]
    assert len(about) == 1, about
    assert "tuner.step(loss=loss)" in about[0]


def test_no_warning_when_the_loss_is_given(make_tuner, batches):
    model, tuner = build(make_tuner)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for b in batches[:12]:
            step(model, tuner, b)


# ---------------------------------------------------------------- poor 3: LR changed outside
@pytest.mark.parametrize("on_tuner", [True, False])
def test_a_scheduler_changing_the_lr_warns_once_and_its_lr_is_kept(
    make_tuner, batches, on_tuner
):
    model, tuner = build(make_tuner, total_steps=200)
    sched = torch.optim.lr_scheduler.StepLR(tuner if on_tuner else tuner.optimizer, 3, 0.5)
    after_step, after_sched = [], []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for b in batches[:4]:  # the seed search at step 1, then plain steps (no decision)
            step(model, tuner, b)
            after_step.append(tuner.lr)
            sched.step()
            after_sched.append(tuner.lr)
    told = [str(w.message) for w in caught if "changed the learning rate" in str(w.message)]
    assert len(told) == 1, [str(w.message) for w in caught]
    assert "scheduler" in told[0]
    assert after_sched[2] == pytest.approx(after_step[2] * 0.5)  # StepLR halved it at epoch 3
    assert after_step[3] == after_sched[2]  # the documented policy: the change is kept


def test_the_tuners_own_lr_changes_do_not_warn(make_tuner, batches):
    model, tuner = with_snapshot(make_tuner, batches)  # accepted changes, no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        step(model, tuner, batches[0], loss_override=NAN)  # a rollback sets the LR too
        step(model, tuner, batches[1])


# ---------------------------------------------------------------- construction
def test_lbfgs_is_refused_at_construction(make_tuner):
    model = Net()
    with pytest.raises(ValueError, match="LBFGS"):
        make_tuner(model, torch.optim.LBFGS(model.parameters(), lr=0.1))


def test_an_optimizer_without_lr_is_refused_naming_lr(make_tuner):
    class NoLR(torch.optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {"scale": 0.01})

    model = Net()
    with pytest.raises(ValueError, match="'lr'"):
        make_tuner(model, NoLR(model.parameters()))


@pytest.mark.parametrize(
    "device", ["bogus", pytest.param("cuda", marks=pytest.mark.skipif(
        torch.cuda.is_available(), reason="CUDA is available"))]
)  # fmt: skip
def test_an_unusable_snapshot_device_is_refused_at_construction(make_tuner, device):
    model = Net()
    with pytest.raises(ValueError, match="snapshot_device"):
        make_tuner(model, torch.optim.SGD(model.parameters(), lr=0.1), snapshot_device=device)


def test_numpy_integers_are_accepted_as_integers(make_tuner, batches):
    model, tuner = build(make_tuner, total_steps=np.int64(100), seed=np.int64(3),
                         recompute_every=np.int32(5))  # fmt: skip
    assert type(tuner.config.total_steps) is int and tuner.config.total_steps == 100
    assert type(tuner.config.seed) is int and type(tuner.config.recompute_every) is int
    for b in batches[:6]:
        step(model, tuner, b)
    buf = io.BytesIO()
    torch.save(tuner.state_dict(), buf)
    buf.seek(0)
    torch.load(buf, weights_only=True)


# ---------------------------------------------------------------- poor 8: step(loss=...)
@pytest.mark.parametrize(
    ("bad", "match"),
    [(torch.ones(32), r"loss.*shape \(32,\)"), ("abc", "loss"), (object(), "loss")],
    ids=["vector", "str", "object"],
)
def test_a_bad_training_loss_is_refused_naming_loss(make_tuner, batches, bad, match):
    model, tuner = build(make_tuner)
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises((TypeError, ValueError), match=match):
        step(model, tuner, batches[0], loss_override=bad)
    assert all(torch.equal(a, p) for a, p in zip(before, model.parameters(), strict=True))
    with pytest.raises((TypeError, ValueError), match=match):
        tuner.observe_loss(bad)


# ---------------------------------------------------------------- poor 6: edited checkpoints
def _edit_phase(t):
    t["policy"]["phase"] = "exploitt"


def _edit_interval(t):
    t["schedule"]["interval"] = 0


def _edit_cursor(t):
    t["cursor"]["index"] = -3


def _edit_window(t):
    t["policy"]["window_losses"] = "abc"


def _edit_steps(t):
    t["stats"]["optimizer_steps"] = -1


def _edit_decision(t):
    t["history"][0]["decision"] = "maybe"


def _edit_unknown_key(t):
    t["recompute_every"] = 0


def _edit_growth(t):
    t["policy"]["growth"] = "x"


def _edit_history_lr(t):
    t["history"][0]["lr_after"] = None


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (_edit_phase, "phase"),
        (_edit_interval, "recompute_every"),
        (_edit_cursor, "cursor"),
        (_edit_window, "window_losses"),
        (_edit_steps, "optimizer_steps"),
        (_edit_decision, "decision"),
        (_edit_unknown_key, "recompute_every"),
        (_edit_growth, "growth"),
        (_edit_history_lr, "lr_after"),
    ],
)
def test_an_edited_tuner_entry_is_refused_at_load(make_tuner, batches, edit, match):
    model, tuner = build(make_tuner)
    for b in batches[:7]:
        step(model, tuner, b)
    sd = copy.deepcopy(tuner.state_dict())
    edit(sd["lrtuner"])
    _model2, fresh = build(make_tuner)
    before = clone_tree(fresh.state_dict())
    with pytest.raises(ValueError, match=match):
        fresh.load_state_dict(sd)
    assert fresh.state_dict()["lrtuner"] == before["lrtuner"]


# ---------------------------------------------------------------- the seed search in public
def test_the_seed_search_result_is_public_and_logged(make_tuner, batches, caplog):
    model, tuner = build(make_tuner)
    assert tuner.seed_search_result is None
    with caplog.at_level(logging.INFO, logger="lrtuner.seed_search"):
        step(model, tuner, batches[0])
    result = tuner.seed_search_result
    record = tuner.history[0]
    assert result.lr_before == record.lr_before and result.lr_after == record.lr_after
    assert result.changed == (record.decision == "accepted")
    assert len(result.multipliers) == len(result.losses) == len(result.lrs)
    assert result.lrs == [m * result.lr_before for m in result.multipliers]
    assert [result.loss0, *result.losses] == record.losses
    assert result.forward_passes == record.forward_passes > 0
    assert result.minibatches == record.num_batches > 0
    assert result.seconds > 0 and math.isfinite(result.suggested_lr)
    lines = [r.getMessage() for r in caplog.records if r.name == "lrtuner.seed_search"]
    assert len(lines) == 2
    assert "seed LR" in lines[0] and "grid" in lines[0]
    assert f"{result.forward_passes} forward passes" in lines[1]
    # it survives a checkpoint
    _model2, fresh = build(make_tuner)
    fresh.load_state_dict(tuner.state_dict())
    assert fresh.seed_search_result == result


def test_no_seed_search_result_without_a_search(make_tuner, batches):
    model, tuner = build(make_tuner, seed_search=False)
    step(model, tuner, batches[0])
    assert tuner.seed_search_result is None
