"""Test helpers: scikit-learn's digits (real data, bundled, offline), small models, and the one
way tests build an :class:`~lrtuner.LRTuner` (:func:`build_tuner`, the ``make_tuner`` fixture)."""

from __future__ import annotations

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
