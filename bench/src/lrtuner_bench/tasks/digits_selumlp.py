"""``digits-selumlp``: scikit-learn's 8x8 digits with a self-normalising SELU MLP (no
normalisation layer), Adam, cosine decay, 3000 steps."""

from __future__ import annotations

import itertools
import math
from typing import Any, ClassVar

import torch
from torch import nn

from .base import Budget
from .digits_mlp import DigitsData, DigitsMLP

_DECLARED = (
    "declared with 0.10.0, before any of its runs: a four-layer SELU network with LeCun-normal "
    "initialisation (self-normalising, no normalisation layer), Adam and cosine decay, 3000 "
    "steps; no rule was set or looked at on it"
)


def selu_mlp(widths: tuple[int, ...]) -> nn.Sequential:
    """Linear layers of ``widths`` with SELU between them, weights LeCun-normal
    (``N(0, 1 / fan_in)``) and biases zero, as self-normalising networks prescribe."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(widths)):
        linear = nn.Linear(n_in, n_out)
        nn.init.normal_(linear.weight, std=1.0 / math.sqrt(n_in))
        nn.init.zeros_(linear.bias)
        layers.append(linear)
        if i < len(widths) - 2:
            layers.append(nn.SELU())
    return nn.Sequential(*layers)


class DigitsSeluMLP(DigitsMLP):
    """64-128-128-128-10 SELU MLP, Adam, no weight decay; baseline: cosine decay to zero;
    metric: test accuracy."""

    name = "digits-selumlp"
    description = "sklearn digits, SELU MLP 64-128-128-128-10 (self-normalising), Adam"
    family = "adam"
    seed_lr = 1e-3
    lr_grid = (3.16e-4, 1e-3, 3.16e-3, 0.01)
    weight_decay = 0.0
    optimizer = torch.optim.Adam
    optimizer_options: ClassVar[dict[str, Any]] = {}
    baseline_schedule_name = "cosine"
    split = "development"
    split_reason = (
        "development since 0.10.0's second validation; validation for 0.10.0 first, whose "
        "results and decision logs suggested a candidate that was then measured "
        "(benchmarks/results/trial-gallop-dev). " + _DECLARED
    )
    long_ms_per_step = 2.1  # median of its grid runs, beside one other process
    budgets: ClassVar[dict[str, Budget]] = {
        "quick": Budget(steps=500, batch_size=32, num_evals=5),
        "standard": Budget(steps=1000, batch_size=32, num_evals=10),
        "long": Budget(steps=3000, batch_size=32, num_evals=20, grid_seeds=None),
        "full": Budget(steps=3000, batch_size=32, num_evals=20, grid_seeds=None),
    }

    def build_model(self, data: DigitsData) -> nn.Module:
        return selu_mlp((64, 128, 128, 128, 10))

