"""Probes leave no trace; checkpoints resume bit for bit; bad input gets a clear error."""

from __future__ import annotations

import copy
import math

import pytest
import torch
import torch.nn.functional as F
from digits_testbed import DIGITS_OPTIMIZERS as OPTIMIZERS
from digits_testbed import BNDropoutNet, build_tuner, make_batches
from digits_testbed import DigitsRun as Run
from digits_testbed import lr_trace as _lr_trace

from lrtuner.policy import Decision


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("at", ["plain", "snapshot_held"])
def test_checkpoint_resumes_bit_for_bit(digits, optimizer, at):
    reference = Run(digits, optimizer)
    total = 160
    reference.train(0, total)
    accepted = [  # changes judged by rollback (the seed search at step 1 holds no snapshot)
        r.step
        for r in reference.tuner.history
        if r.decision == "accepted" and not r.reason.startswith("seed search")
    ]
    assert accepted, "the run made no LR change to test against"
    # resume right after an accepted change (snapshot held) or at an odd step
    stop = accepted[0] + 3 if at == "snapshot_held" else 37
    assert total - stop >= 50

    first = Run(digits, optimizer)
    first.train(0, stop)
    if at == "snapshot_held":
        assert first.tuner.pending_snapshot is not None
    ckpt = first.checkpoint()
    del first
    resumed = Run(digits, optimizer)
    resumed.load(ckpt)
    resumed.train(stop, total)

    assert _lr_trace(resumed.tuner) == _lr_trace(reference.tuner)
    assert resumed.tuner.lr == reference.tuner.lr
    assert resumed.tuner.phase == reference.tuner.phase
    for a, b in zip(
        resumed.model.state_dict().values(), reference.model.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b)
    for sa, sb in zip(resumed.base.state.values(), reference.base.state.values(), strict=True):
        for k in sa:
            assert torch.equal(torch.as_tensor(sa[k]), torch.as_tensor(sb[k]))


def test_probe_leaves_no_trace(digits, monkeypatch, make_tuner):
    """A fit changes nothing but the LR: params, optimizer state, BN buffers, RNG are bitwise
    those of the same step taken without the tuner."""
    xtr, ytr, _, _ = digits
    torch.manual_seed(0)
    model = BNDropoutNet()
    twin = copy.deepcopy(model)
    base = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    twin_opt = torch.optim.SGD(twin.parameters(), lr=0.05, momentum=0.9)
    tuner = make_tuner(
        model,
        base,
        recompute_every=3,
        superbatch=6,
        seed_search=False,  # the seed search redoes step 1 at its LR (tests/test_seed_search.py)
    )
    # keep the LR (every fit rejected), to compare states
    rejected = Decision(False, "test", 0.05, 0.05, False, "explore")
    monkeypatch.setattr(tuner.policy, "decide", lambda *a, **k: rejected)
    batches = make_batches(xtr, ytr, 32)[:9]
    for x, y in batches:
        for m, opt, step in ((model, tuner, True), (twin, twin_opt, False)):
            rng = torch.get_rng_state()
            opt.zero_grad()
            loss = F.cross_entropy(m(x), y)
            loss.backward()
            opt.step(loss=loss) if step else opt.step()
            if step:
                after_tuner = torch.get_rng_state()
                torch.set_rng_state(rng)
        assert torch.equal(torch.get_rng_state(), after_tuner)
    assert tuner.stats.fits == 3 and tuner.stats.probe_forward_passes > 0
    for a, b in zip(model.state_dict().values(), twin.state_dict().values(), strict=True):
        assert torch.equal(a, b)  # parameters and BatchNorm running statistics
    for sa, sb in zip(base.state.values(), twin_opt.state.values(), strict=True):
        assert torch.equal(sa["momentum_buffer"], sb["momentum_buffer"])


def test_dropout_masks_are_shared_across_the_probes_of_one_fit(digits, make_tuner):
    """With eps = 0 probes repeated, identical losses prove the masks are identical."""
    xtr, ytr, _, _ = digits
    torch.manual_seed(0)
    model = BNDropoutNet(p=0.5)
    seen = []

    def probe_loss(b):
        out = F.cross_entropy(model(b[0]), b[1])
        seen.append(float(out))
        return out

    base = torch.optim.SGD(model.parameters(), lr=1e-12)  # eps moves are ~1e-12: no change
    tuner = make_tuner(
        model,
        base,
        probe_loss=probe_loss,
        recompute_every=1,
        superbatch=2,
        adaptive_superbatch=False,
        seed_search=False,
    )
    x, y = make_batches(xtr, ytr, 32)[0]
    tuner.zero_grad()
    F.cross_entropy(model(x), y).backward()
    tuner.step()
    per_batch = [seen[i : i + 3] for i in range(0, len(seen), 3)]
    assert len(per_batch) == 2
    for losses in per_batch:
        assert max(losses) - min(losses) < 1e-6
    assert abs(per_batch[0][0] - per_batch[1][0]) > 1e-4  # different batches, different loss


def _tuner(digits, **kwargs):
    model = BNDropoutNet()
    base = kwargs.pop("base", None) or torch.optim.SGD(model.parameters(), lr=0.1)
    return build_tuner(digits, model, base, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"num_probes": 2}, "num_probes"),
        ({"epsilon_threshold": -1e-3}, "epsilon_threshold"),
        ({"epsilon_threshold": float("nan")}, "epsilon_threshold"),
        ({"saturation_threshold": 0.0}, "saturation_threshold"),
        ({"superbatch": 0}, "superbatch"),
        ({"recompute_every": 0}, "recompute_every"),
        ({"explore_steps": -5}, "explore_steps"),
        ({"total_steps": 0}, "total_steps"),
        ({"probe_data": []}, "probe_data"),
        ({"probe_data": iter([1, 2])}, "probe_data"),
        ({"probe_data": None}, "probe_data"),
        ({"probe_loss": "loss"}, "probe_loss"),
        ({"probe_errors": "ignore"}, "probe_errors"),
        ({"max_lr_factor": 1.0}, "max_lr_factor"),
        ({"base": "SGD"}, "optimizer"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(digits, kwargs, name):
    with pytest.raises(ValueError, match=name):
        _tuner(digits, **kwargs)


def test_non_positive_learning_rate_is_rejected(digits):
    model = BNDropoutNet()
    for lr in (0.0, -0.1, float("inf")):
        base = torch.optim.SGD(model.parameters(), lr=0.1)
        base.param_groups[0]["lr"] = lr
        with pytest.raises(ValueError, match="learning rate"):
            _tuner(digits, base=base)


def test_nan_probe_is_survived_and_recorded(digits, make_tuner):
    xtr, ytr, _, _ = digits
    torch.manual_seed(0)
    model = BNDropoutNet()
    calls = {"n": 0}

    def probe_loss(b):
        calls["n"] += 1
        out = F.cross_entropy(model(b[0]), b[1])
        return out * float("nan") if calls["n"] == 2 else out

    base = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    tuner = make_tuner(model, base, probe_loss=probe_loss, recompute_every=5, superbatch=4)
    for x, y in make_batches(xtr, ytr, 32)[:20]:
        tuner.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        tuner.step(loss=loss)
    first = tuner.history[0]
    assert first.decision == "rejected" and "not finite" in first.reason
    assert first.lr_after == first.lr_before == 0.01
    assert any(r.decision == "accepted" for r in tuner.history[1:])  # training went on
    assert all(bool(torch.isfinite(p).all()) for p in model.parameters())
    assert math.isfinite(tuner.lr)
