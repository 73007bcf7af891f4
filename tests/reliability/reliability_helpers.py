"""Shared helpers of the reliability tests: a small real run on digits and bitwise state checks."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from digits_testbed import BNDropoutNet, build_tuner, make_batches

from lrtuner import LRTuner
from lrtuner.snapshot import clone_tree

BATCH = 32


@dataclass
class Run:
    """A model, its wrapped optimizer and (optionally) the tuner around it."""

    model: BNDropoutNet
    base: torch.optim.Optimizer
    tuner: LRTuner | None

    @property
    def opt(self) -> torch.optim.Optimizer:
        return self.tuner if self.tuner is not None else self.base


def make_optimizer(name: str, params: Iterable[torch.nn.Parameter], lr: float):
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=5e-4)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    raise ValueError(f"Invalid name: {name!r}")


def build(
    digits,
    *,
    tuned: bool = True,
    lr: float = 0.01,
    optimizer: str = "sgd",
    seed: int = 0,
    probe_data: Iterable[Any] | None = None,
    probe_loss: Callable[[BNDropoutNet, Any], torch.Tensor] | None = None,
    **tuner_kwargs: Any,
) -> Run:
    """Same initial weights for every ``seed``; ``tuned=False`` gives the plain twin."""
    xtr, ytr = digits[0], digits[1]
    torch.manual_seed(seed)
    model = BNDropoutNet()
    base = make_optimizer(optimizer, model.parameters(), lr)
    if not tuned:
        return Run(model, base, None)
    data = probe_data if probe_data is not None else make_batches(xtr[:512], ytr[:512], 64, 1)
    fn = probe_loss or (lambda m, b: F.cross_entropy(m(b[0]), b[1]))
    kwargs: dict[str, Any] = {
        "recompute_every": 4,
        "superbatch": 6,
        "min_superbatch": 2,
        "explore_steps": 10_000,
        # faults in the seed search are injected by passing seed_search=True explicitly
        "seed_search": False,
    }
    kwargs.update(tuner_kwargs)
    tuner = build_tuner(
        digits, model, base, probe_data=data, probe_loss=lambda b: fn(model, b), **kwargs
    )
    return Run(model, base, tuner)


def train_batches(digits, epoch: int = 0) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return make_batches(digits[0], digits[1], BATCH, seed=100 + epoch)


def train_step(
    run: Run,
    batch: tuple[torch.Tensor, torch.Tensor],
    *,
    loss_hook: Callable[[torch.Tensor], torch.Tensor] | None = None,
    grad_hook: Callable[[BNDropoutNet], None] | None = None,
    skip: bool = False,
) -> float:
    """Forward/backward/step. ``skip`` leaves out the step (what a twin does for a skipped one)."""
    run.opt.zero_grad()
    loss = F.cross_entropy(run.model(batch[0]), batch[1])
    if loss_hook is not None:
        loss = loss_hook(loss)
    loss.backward()
    if grad_hook is not None:
        grad_hook(run.model)
    if not skip:
        if run.tuner is not None:
            run.tuner.step(loss=loss)
        else:
            run.base.step()
    return float(loss.detach())


def capture(run: Run) -> dict[str, Any]:
    """Bitwise copy of everything a fault could corrupt: params, buffers, optimizer state."""
    return {
        "params": [p.detach().clone() for p in run.model.parameters()],
        "buffers": [b.detach().clone() for b in run.model.buffers()],
        "optimizer": clone_tree(run.base.state_dict()),
    }


def _assert_tree_equal(a: Any, b: Any, path: str, ignore_lr: bool) -> None:
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor), path
        assert a.dtype == b.dtype and a.shape == b.shape, path
        assert torch.equal(a, b), f"{path} differs"
    elif isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), f"{path}: keys {set(a) ^ set(b)}"
        for k in a:
            if ignore_lr and k == "lr":
                continue
            _assert_tree_equal(a[k], b[k], f"{path}.{k}", ignore_lr)
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_tree_equal(x, y, f"{path}[{i}]", ignore_lr)
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def assert_same_state(a: dict[str, Any], b: dict[str, Any], ignore_lr: bool = False) -> None:
    """Bitwise equality of two :func:`capture` results."""
    _assert_tree_equal(a, b, "state", ignore_lr)


def all_finite(run: Run) -> bool:
    return all(bool(torch.isfinite(p).all()) for p in run.model.parameters())
