"""Fault injection on a real run (digits, BatchNorm + dropout): the tuner must never corrupt it.

For every fault the parameters, buffers and wrapped-optimizer state after the faulty step are
compared bitwise with what they must be: the plain wrapped step (the fault only costs a
decision), the state before the step (the step is skipped), or the copy taken when the last LR
change was accepted (rollback). Then training goes on.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from digits_testbed import build_tuner
from reliability_helpers import (
    Run,
    all_finite,
    assert_same_state,
    build,
    capture,
    make_optimizer,
    train_batches,
    train_step,
)

from lrtuner.snapshot import clone_tree

STEPS = 16  # four decisions at recompute_every=4


def expected_plain_step(run: Run, optimizer: str) -> dict[str, Any]:
    """State after one plain step of a copy of the wrapped optimizer, with the same gradients."""
    params = [p.detach().clone().requires_grad_(True) for p in run.model.parameters()]
    for p, q in zip(params, run.model.parameters(), strict=True):
        p.grad = None if q.grad is None else q.grad.clone()
    opt = make_optimizer(optimizer, params, run.base.param_groups[0]["lr"])
    opt.load_state_dict(clone_tree(run.base.state_dict()))  # load_state_dict may alias
    opt.step()
    return {
        "params": [p.detach() for p in params],
        "buffers": [b.detach().clone() for b in run.model.buffers()],
        "optimizer": opt.state_dict(),
    }


def trajectory(run: Run, batches: list[Any], seed: int = 1) -> list[dict[str, Any]]:
    """Train on ``batches`` from a fixed dropout seed; the state after every step."""
    torch.manual_seed(seed)
    out = []
    for b in batches:
        train_step(run, b)
        out.append(capture(run))
    return out


def run_until_accepted(run: Run, digits, max_steps: int = 40) -> tuple[dict[str, Any], int]:
    """Train until an LR change is accepted; return the state copied right then and the step."""
    batches = train_batches(digits)
    assert run.tuner is not None
    for i in range(max_steps):
        n = len(run.tuner.history)
        train_step(run, batches[i])
        new = run.tuner.history[n:]
        if new and new[-1].decision == "accepted":
            return capture(run), i + 1
    raise AssertionError("no LR change accepted")


# ------------------------------------------------------------------ probe faults
class Flaky:
    """``probe_loss`` that fails in a chosen way on chosen calls."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.calls = 0
        self.active = True

    def __call__(self, model: torch.nn.Module, batch: Any) -> torch.Tensor:
        self.calls += 1
        loss = F.cross_entropy(model(batch[0]), batch[1])
        if not self.active:
            return loss
        if self.mode == "nan" and self.calls % 2 == 0:
            return loss * float("nan")
        if self.mode == "inf" and self.calls % 3 == 0:
            return loss + float("inf")
        if self.mode == "oom" and self.calls % 3 == 0:  # after the params were perturbed
            raise RuntimeError("CUDA out of memory. Tried to allocate 20.00 GiB (simulated)")
        return loss


class EmptyAfter:
    """Re-iterable (no ``len``) yielding ``batches`` for ``passes`` passes (None: always)."""

    def __init__(self, batches: list[Any], passes: int | None = None) -> None:
        self.batches = batches
        self.passes = passes

    def __iter__(self) -> Iterator[Any]:
        if self.passes is not None:
            if self.passes <= 0:
                return iter([])
            self.passes -= 1
        return iter(list(self.batches))


def _bad_batch_data(digits) -> list[Any]:
    from digits_testbed import make_batches

    good, (x, y) = make_batches(digits[0][:128], digits[1][:128], 64, 1)
    y = y.clone()
    y[0] = 99  # label out of range: cross_entropy raises
    return [good, (x, y)]  # every superbatch (>= 2 batches) meets the bad one


FAULTS = {
    "nan_probe_loss": ("nan", "rejected", "probe loss is not finite"),
    "inf_probe_loss": ("inf", "rejected", "probe loss is not finite"),
    "probe_raises_oom": ("oom", "skipped", "out of memory"),
    "bad_probe_batch": ("bad_batch", "skipped", "out of bounds"),
    "probe_data_empty": ("empty", "skipped", "no batch"),
}


def _faulty_run(digits, fault: str, **kwargs: Any) -> tuple[Run, Any]:
    mode = FAULTS[fault][0]
    if mode == "bad_batch":
        return build(digits, probe_data=_bad_batch_data(digits), **kwargs), None
    if mode == "empty":
        data = EmptyAfter([])
        return build(digits, probe_data=data, **kwargs), data
    flaky = Flaky(mode)
    return build(digits, probe_loss=flaky, **kwargs), flaky


@pytest.mark.parametrize("seed_search", [False, True])
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_probe_fault_costs_only_the_decision(fault, seed_search, digits):
    """With a failing probe the tuned run is bitwise the plain run, and training goes on
    (with ``seed_search``, the failing search at step 1 too leaves the plain step)."""
    run, handle = _faulty_run(digits, fault, seed_search=seed_search)
    twin = build(digits, tuned=False)
    batches = train_batches(digits)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        tuned = trajectory(run, batches[:STEPS])
    for got, want in zip(tuned, trajectory(twin, batches[:STEPS]), strict=True):
        assert_same_state(got, want)
    assert run.tuner is not None and run.tuner.lr == twin.base.param_groups[0]["lr"]
    _, decision, reason = FAULTS[fault]
    decisions = [
        r
        for r in run.tuner.history
        if r.decision != "skipped" or "probe" in r.reason or "batch" in r.reason
    ]
    assert len(decisions) == STEPS // 4 + int(seed_search)
    if seed_search:
        assert decisions[0].step == 1 and decisions[0].reason.startswith("seed search")
    assert all(r.decision == decision and reason in r.reason for r in decisions), [
        (r.decision, r.reason) for r in run.tuner.history
    ]
    # the fault goes away: decisions resume, training is unharmed
    if isinstance(handle, Flaky):
        handle.active = False
    elif isinstance(handle, EmptyAfter):
        handle.batches, handle.passes = _bad_batch_data(digits)[:1], None
    n = len(run.tuner.history)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        for i in range(STEPS, 2 * STEPS):
            train_step(run, batches[i])
    assert all_finite(run)
    if fault != "bad_probe_batch":
        assert any(
            r.decision in ("accepted", "rejected") and r.num_batches > 0
            for r in run.tuner.history[n:]
        )


def test_probe_error_with_raise_restores_the_state_first(digits):
    """``probe_errors="raise"``: the error reaches the caller, the state is the plain step's."""
    flaky = Flaky("oom")
    run = build(digits, probe_loss=flaky, probe_errors="raise", recompute_every=1)
    batch = train_batches(digits)[0]
    run.opt.zero_grad()
    F.cross_entropy(run.model(batch[0]), batch[1]).backward()
    expected = expected_plain_step(run, "sgd")
    with pytest.raises(RuntimeError, match="out of memory"):
        run.opt.step()
    assert_same_state(capture(run), expected)
    flaky.active = False
    for b in train_batches(digits)[1:6]:
        train_step(run, b)
    assert all_finite(run) and run.tuner is not None and run.tuner.stats.fits >= 1


def test_probe_fault_warns(digits):
    run, _ = _faulty_run(digits, "probe_raises_oom", recompute_every=1)
    with pytest.warns(UserWarning, match="out of memory"):
        train_step(run, train_batches(digits)[0])


def test_probe_data_shorter_than_the_superbatch_wraps(digits):
    """Two batches for a superbatch of 6: the cursor wraps epochs, every decision is a fit."""
    from digits_testbed import make_batches

    two = make_batches(digits[0][:128], digits[1][:128], 64, 1)
    run = build(digits, probe_data=two, superbatch=6, adaptive_superbatch=False)
    for b in train_batches(digits)[:STEPS]:
        train_step(run, b)
    assert run.tuner is not None
    fits = [r for r in run.tuner.history if r.num_batches > 0]
    assert len(fits) == STEPS // 4 and all(r.num_batches == 6 for r in fits)
    assert run.tuner.cursor.epoch >= 3


def test_probe_data_that_runs_dry_mid_superbatch_then_recovers(digits):
    """The source empties while a superbatch is being drawn; state is the plain step's."""
    from digits_testbed import make_batches

    # 3 batches, one pass: the first superbatch of 6 runs dry after 3
    data = EmptyAfter(make_batches(digits[0][:192], digits[1][:192], 64, 1), passes=1)
    run = build(digits, probe_data=data, superbatch=6, adaptive_superbatch=False, recompute_every=2)
    batches = train_batches(digits)
    train_step(run, batches[0])
    run.opt.zero_grad()
    loss = F.cross_entropy(run.model(batches[1][0]), batches[1][1])
    loss.backward()
    expected = expected_plain_step(run, "sgd")
    lr = run.base.param_groups[0]["lr"]
    run.opt.step(loss=loss)
    assert run.tuner is not None
    rec = run.tuner.history[-1]
    assert rec.decision == "skipped" and "no batch" in rec.reason
    assert_same_state(capture(run), expected)
    assert run.base.param_groups[0]["lr"] == lr
    # the source comes back: the next decision fits again
    data.passes = None
    dry = len(run.tuner.history)
    for b in batches[2:6]:
        train_step(run, b)
    fits = [r for r in run.tuner.history[dry:] if r.num_batches]
    assert fits and fits[0].num_batches == 6 and all_finite(run)


# ------------------------------------------------------------------ training faults
def _poison_grad(value: float):
    def hook(model: torch.nn.Module) -> None:
        model.fc1.weight.grad[3, 5] = value

    return hook


@pytest.mark.parametrize("where", ["loss", "grad"])
@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_nonfinite_training_step_is_skipped(where, value, digits):
    """No pending change: a NaN/inf loss or gradient leaves every tensor as it was."""
    run = build(digits)
    batches = train_batches(digits)
    for b in batches[:2]:
        train_step(run, b)
    before = capture(run)
    kw: dict[str, Any] = {"loss_hook": lambda x: x * value}
    if where == "grad":
        kw = {"grad_hook": _poison_grad(value)}
    # BN running stats move in the forward of the faulty step itself: the user's forward, not
    # the tuner; compare them to the state after that forward.
    train_step(run, batches[2], **kw)
    after = capture(run)
    before["buffers"] = after["buffers"]
    assert_same_state(after, before)
    assert run.tuner is not None
    assert run.tuner.history[-1].decision == "skipped" and run.tuner.stats.skipped_steps == 1
    for b in batches[3:12]:
        train_step(run, b)
    assert all_finite(run) and run.tuner.stats.fits >= 2


@pytest.mark.parametrize("where", ["loss", "grad"])
def test_nonfinite_step_after_an_accepted_change_rolls_back(where, digits):
    run = build(digits, lr=0.001)
    at_accept, step = run_until_accepted(run, digits)
    assert run.tuner is not None
    accepted = run.tuner.history[-1]
    kw = (
        {"loss_hook": lambda x: x * float("nan")}
        if where == "loss"
        else {"grad_hook": _poison_grad(float("nan"))}
    )
    train_step(run, train_batches(digits)[step], **kw)
    assert run.tuner.history[-1].decision == "rolled_back"
    assert_same_state(capture(run), at_accept, ignore_lr=True)
    assert run.tuner.lr == accepted.lr_before
    for b in train_batches(digits, 1)[:10]:
        train_step(run, b)
    assert all_finite(run)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("snapshot_device", [None, "cpu"])
def test_divergence_after_an_accepted_increase_is_rolled_back_exactly(
    optimizer, snapshot_device, digits
):
    """The loss rises after an increase: the rollback restores the acceptance state bitwise."""
    lr = 0.001 if optimizer == "sgd" else 1e-4
    run = build(digits, lr=lr, optimizer=optimizer, snapshot_device=snapshot_device)
    at_accept, step = run_until_accepted(run, digits)
    assert run.tuner is not None
    accepted = run.tuner.history[-1]
    assert accepted.lr_after > accepted.lr_before
    batches = train_batches(digits)
    growth = iter(range(1, 100))
    for i in range(step, step + 8):
        n = len(run.tuner.history)
        k = next(growth)
        train_step(run, batches[i], loss_hook=lambda x, k=k: x * (1.0 + 2.0 * k))
        if any(r.decision == "rolled_back" for r in run.tuner.history[n:]):
            break
    else:
        raise AssertionError([(r.decision, r.reason) for r in run.tuner.history])
    assert_same_state(capture(run), at_accept, ignore_lr=True)
    assert run.tuner.lr == accepted.lr_before and run.tuner.stats.rollbacks == 1
    for b in train_batches(digits, 1)[:10]:
        train_step(run, b)
    assert all_finite(run)


def _tiny_tuner(params: list[torch.Tensor]) -> Any:
    probe = [torch.zeros(())] * 4
    return build_tuner(
        None,
        None,
        torch.optim.SGD(params, lr=0.1),
        probe_loss=lambda b: sum((p.float() ** 2).sum() for p in params) + b,
        probe_data=probe,
        recompute_every=1000,
        seed_search=False,
    )


def test_float16_gradient_with_a_large_finite_norm_is_applied():
    """A float16 gradient whose L2 norm exceeds 65504 is finite: the step is taken."""
    w = torch.zeros(16, dtype=torch.float16, requires_grad=True)
    tuner = _tiny_tuner([w])
    w.grad = torch.full((16,), 30000.0, dtype=torch.float16)  # norm 120000 > fp16 max
    tuner.step(loss=1.0)
    assert tuner.stats.skipped_steps == 0
    assert torch.all(w.detach() == torch.tensor(-3000.0, dtype=torch.float16))


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_nonfinite_gradient_in_any_dtype_group_or_added_group_is_caught(value):
    """The check covers every (device, dtype) group, and param groups added after steps."""
    a = torch.zeros(3, requires_grad=True)
    b = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    tuner = _tiny_tuner([a, b])
    a.grad, b.grad = torch.ones(3), torch.ones(3, dtype=torch.float64)
    b.grad[1] = value
    tuner.step(loss=1.0)
    assert tuner.stats.skipped_steps == 1 and not a.detach().any() and not b.detach().any()
    b.grad[1] = 1.0
    tuner.step(loss=1.0)
    assert tuner.stats.skipped_steps == 1 and torch.all(a.detach() == -0.1)
    c = torch.zeros(2, requires_grad=True)
    tuner.add_param_group({"params": [c]})
    c.grad = torch.tensor([1.0, value])
    before = [t.detach().clone() for t in (a, b, c)]
    tuner.step(loss=1.0)
    assert tuner.stats.skipped_steps == 2
    assert all(torch.equal(x, y.detach()) for x, y in zip(before, (a, b, c), strict=True))
