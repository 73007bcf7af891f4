"""``diabetes-linear``: scikit-learn's diabetes regression with a linear model (least squares,
convex), plain SGD, linear decay, 5000 steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .tabular import DiabetesMLP, TabularData

_DECLARED = (
    "declared with 0.10.0, before any of its runs: convex least squares (one linear layer on "
    "the ten standardised features) with plain SGD and linear decay, 5000 steps; no rule was "
    "set or looked at on it"
)


class DiabetesLinear(DiabetesMLP):
    """Linear regression 10-1 on the standardised diabetes features and target (MSE); SGD
    without momentum, no weight decay; baseline: linear decay to zero; metric: test MSE."""

    name = "diabetes-linear"
    description = "sklearn diabetes (309 train / 133 test), linear regression (convex), plain SGD"
    seed_lr = 0.01
    lr_grid = (3.16e-3, 0.01, 0.0316, 0.1)
    weight_decay = 0.0
    optimizer = torch.optim.SGD
    optimizer_options: ClassVar[dict[str, Any]] = {"momentum": 0.0}
    baseline_schedule_name = "linear"
    split = "development"
    split_reason = (
        "development since 0.10.0's second validation; validation for 0.10.0 first, whose "
        "results and decision logs suggested a candidate that was then measured "
        "(benchmarks/results/trial-gallop-dev). " + _DECLARED
    )
    long_ms_per_step = 0.5  # median of its grid runs, beside one other process

    def build_model(self, data: TabularData) -> nn.Module:
        return nn.Linear(data.x_train.shape[1], 1)

