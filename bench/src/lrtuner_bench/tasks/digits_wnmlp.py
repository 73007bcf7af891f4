"""``digits-wnmlp``: scikit-learn's 8x8 digits with a weight-normalised MLP trained by
SGD-momentum, linear decay, 5000 steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

from .base import Budget
from .digits_mlp import BUDGETS_5000, DigitsData, DigitsMLP

_DECLARED = (
    "declared after 0.16.0's validation, before any of its runs: weight normalisation (each "
    "weight row is a learned length times a unit direction, a reparameterisation no other task "
    "uses) in a ReLU MLP trained by SGD-momentum with linear decay, 5000 steps; no rule was set "
    "or looked at on it"
)


class DigitsWNMLP(DigitsMLP):
    """64-128-128-10 ReLU MLP, every linear layer weight-normalised (``weight_norm``); SGD
    momentum 0.9, no weight decay, batch 32; baseline: linear decay to zero; metric: test
    accuracy."""

    name = "digits-wnmlp"
    description = "sklearn digits, weight-normalised MLP 64-128-128-10, SGD-momentum, linear decay"
    family = "sgd"
    seed_lr = 0.1
    lr_grid = (0.01, 0.0316, 0.1, 0.316)
    weight_decay = 0.0
    optimizer = torch.optim.SGD
    optimizer_options: ClassVar[dict[str, Any]] = {"momentum": 0.9}
    baseline_schedule_name = "linear"
    split = "validation"
    split_reason = _DECLARED
    long_ms_per_step = 1.0  # a planning estimate (digits-mlp's size, three parametrisations)
    budgets: ClassVar[dict[str, Budget]] = BUDGETS_5000

    def build_model(self, data: DigitsData) -> nn.Module:
        return nn.Sequential(
            weight_norm(nn.Linear(64, 128)),
            nn.ReLU(),
            weight_norm(nn.Linear(128, 128)),
            nn.ReLU(),
            weight_norm(nn.Linear(128, 10)),
        )
