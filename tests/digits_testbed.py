"""Test helpers: scikit-learn's digits (real data, bundled, offline), small models, and the one
way tests build an :class:`~lrtuner.LRTuner` (:func:`build_tuner`, the ``make_tuner`` fixture)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

torch.set_num_threads(2)


def load_digits_tensors() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits

    data = load_digits()
    x = torch.tensor(data.data, dtype=torch.float32) / 16.0
    y = torch.tensor(data.target, dtype=torch.long)
    gen = torch.Generator().manual_seed(0)
    perm = torch.randperm(len(y), generator=gen)
    x, y = x[perm], y[perm]
    return x[:1400], y[:1400], x[1400:], y[1400:]


def make_batches(x, y, batch_size, seed=0):
    gen = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(y), generator=gen)
    return [
        (x[perm[i : i + batch_size]], y[perm[i : i + batch_size]])
        for i in range(0, len(y) - batch_size + 1, batch_size)
    ]


class BNDropoutNet(nn.Module):
    """MLP with BatchNorm and dropout: the layers probes must not disturb."""

    def __init__(self, hidden: int = 64, p: float = 0.2) -> None:
        super().__init__()
        self.fc1 = nn.Linear(64, hidden)
        self.bn = nn.BatchNorm1d(hidden)
        self.drop = nn.Dropout(p)
        self.fc2 = nn.Linear(hidden, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.drop(F.relu(self.bn(self.fc1(x)))))


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    was = model.training
    model.eval()
    with torch.no_grad():
        acc = (model(x).argmax(1) == y).float().mean().item()
    model.train(was)
    return acc


#: ``build_tuner``'s default probe data: minibatches of 64 digits (``None`` is passed through).
DIGITS_BATCHES = object()


def build_tuner(
    digits,
    model: nn.Module | None,
    base: torch.optim.Optimizer,
    *,
    probe_data: Iterable[Any] | object | None = DIGITS_BATCHES,
    probe_loss: Callable[[Any], torch.Tensor] | None = None,
    with_model: bool = True,
    **options: Any,
):
    """An LRTuner around ``base`` probing ``model`` on digits.

    Defaults: the cross-entropy of ``model`` as the probe loss, minibatches of 64 training
    examples (order seed 0) as the probe data, ``model`` protected (``with_model=False`` or
    ``model=None``: not passed); ``options`` are :class:`~lrtuner.config.TunerConfig` fields.
    """
    from lrtuner import LRTuner

    if probe_data is DIGITS_BATCHES:
        probe_data = make_batches(digits[0], digits[1], 64)
    if probe_loss is None:
        assert model is not None, "without a model, pass probe_loss"

        def probe_loss(b: Any) -> torch.Tensor:
            return F.cross_entropy(model(b[0]), b[1])

    if with_model and model is not None:
        options["model"] = model
    return LRTuner(base, probe_loss, probe_data, **options)


def sgd_mlp_tuner(digits, total_steps: int, **options: Any):
    """The cooldown tests' run: a 64-64-10 ReLU MLP (init seed 0), SGD-momentum from 0.05,
    wrapped with ``total_steps``, no seed search and, unless told otherwise, no rollback (a
    rollback drops a step, which would shift a loop's index against the tuner's steps).
    Returns ``(model, tuner)``."""
    options.setdefault("rollback", False)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    base = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    tuner = build_tuner(
        digits, model, base, total_steps=total_steps, seed_search=False, **options
    )
    return model, tuner


def train_recording_lrs(digits, model: nn.Module, tuner, steps: int) -> list[float]:
    """``steps`` steps on minibatches of 32 digits (order seed 4, cycled); the tuner's LR
    after each."""
    xtr, ytr, _, _ = digits
    batches = make_batches(xtr, ytr, 32, seed=4)
    lrs = []
    for step in range(steps):
        x, y = batches[step % len(batches)]
        tuner.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        tuner.step(loss=loss)
        lrs.append(tuner.lr)
    return lrs


#: the wrapped optimizers the checkpoint and probe-trace tests run on digits.
DIGITS_OPTIMIZERS: dict[str, Callable[[Any], torch.optim.Optimizer]] = {
    "sgd_momentum": lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, weight_decay=5e-4),
    "adamw": lambda p: torch.optim.AdamW(p, lr=3e-4, weight_decay=0.01),
}


class DigitsRun:
    """A :class:`BNDropoutNet` on ``device``, its optimizer wrapped in an LRTuner, and four
    epochs of training batches of digits: train a slice, checkpoint, load, compare traces.

    ``data`` is the ``(x_train, y_train, x_test, y_test)`` tuple, already on ``device``. The
    checkpoint holds the model, the tuner and the RNG states (the CUDA one on a CUDA device).
    """

    def __init__(
        self,
        data,
        optimizer: str = "sgd_momentum",
        device: str | torch.device = "cpu",
        **tuner_kwargs,
    ) -> None:
        xtr, ytr, _, _ = data
        self.device = torch.device(device)
        torch.manual_seed(0)
        self.model = BNDropoutNet().to(self.device)
        self.base = DIGITS_OPTIMIZERS[optimizer](self.model.parameters())
        kwargs = {"recompute_every": 8, "explore_steps": 60, "seed": 3, "superbatch": 12}
        kwargs.update(tuner_kwargs)
        self.tuner = build_tuner(
            data, self.model, self.base, probe_data=make_batches(xtr, ytr, 64, seed=1), **kwargs
        )
        self.batches = [b for ep in range(4) for b in make_batches(xtr, ytr, 32, seed=10 + ep)]

    def train(self, start: int, stop: int) -> None:
        for x, y in self.batches[start:stop]:
            self.tuner.zero_grad()
            loss = F.cross_entropy(self.model(x), y)
            loss.backward()
            self.tuner.step(loss=loss)

    def _on_cuda(self) -> bool:
        return self.device.type == "cuda"

    def checkpoint(self) -> dict:
        state = {
            "model": self.model.state_dict(),
            "tuner": self.tuner.state_dict(),
            "rng": torch.get_rng_state(),
        }
        if self._on_cuda():
            state["cuda_rng"] = torch.cuda.get_rng_state(self.device)
        return copy.deepcopy(state)

    def load(self, ckpt: dict) -> None:
        self.model.load_state_dict(ckpt["model"])
        self.tuner.load_state_dict(ckpt["tuner"])
        torch.set_rng_state(ckpt["rng"])
        if self._on_cuda():
            torch.cuda.set_rng_state(ckpt["cuda_rng"], self.device)


def lr_trace(tuner) -> list[tuple]:
    """The tuner's decisions as ``(step, decision, lr_before, lr_after)`` tuples."""
    return [(r.step, r.decision, r.lr_before, r.lr_after) for r in tuner.history]
