"""``digits-bnmlp``: scikit-learn's 8x8 digits with an MLP with BatchNorm after each hidden
layer, SGD-Nesterov with weight decay, a step schedule, 5000 steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .base import Budget
from .digits_mlp import BUDGETS_5000, DigitsData, DigitsMLP

_DECLARED = (
    "declared after 0.13.0's validation, before any of its runs: BatchNorm in a fully "
    "connected network (scale-invariant hidden weights under weight decay; BatchNorm had only "
    "CNNs) with SGD-Nesterov and a step schedule, 5000 steps; no rule was set or looked at on it"
)


class DigitsBNMLP(DigitsMLP):
    """64-256-256-10 MLP, Linear-BatchNorm1d-ReLU twice; SGD, Nesterov momentum 0.9, weight
    decay 5e-4, batch 32; baseline: step decay x0.1 at 50 % and 75 %; metric: test accuracy."""

    name = "digits-bnmlp"
    description = "sklearn digits, MLP 64-256-256-10 with BatchNorm, SGD-Nesterov, step"
    family = "sgd"
    seed_lr = 0.1
    lr_grid = (0.01, 0.0316, 0.1, 0.316)
    weight_decay = 5e-4
    optimizer = torch.optim.SGD
    optimizer_options: ClassVar[dict[str, Any]] = {"momentum": 0.9, "nesterov": True}
    baseline_schedule_name = "step"
    split = "development"
    split_reason = (
        "development since 0.15.0; validation for 0.14.0, whose results and decision logs "
        "were read before the change of 0.15.0 was chosen. " + _DECLARED
    )
    long_ms_per_step = 1.2  # a planning estimate (two BatchNorm layers)
    budgets: ClassVar[dict[str, Budget]] = BUDGETS_5000

    def build_model(self, data: DigitsData) -> nn.Module:
        return nn.Sequential(
            nn.Linear(64, 256),
            nn.BatchNorm1d(256),
            nn.ReLU(),
            nn.Linear(256, 256),
            nn.BatchNorm1d(256),
            nn.ReLU(),
            nn.Linear(256, 10),
        )
