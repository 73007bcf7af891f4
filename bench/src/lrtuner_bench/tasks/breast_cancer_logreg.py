"""``breast-cancer-logreg``: scikit-learn's breast cancer features with logistic regression
(convex), SGD-momentum, linear decay, 3000 steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .base import Budget
from .tabular import BreastCancerMLP, TabularData

_DECLARED = (
    "declared after 0.10.0's second validation, before any of its runs: "
    "logistic regression (convex) on the 30 standardised features with SGD-momentum and "
    "linear decay, 3000 steps; no rule was set or looked at on it"
)


class BreastCancerLogReg(BreastCancerMLP):
    """Linear layer 30-2 (two-class softmax) on the standardised features; SGD momentum 0.9,
    weight decay 1e-3, batch 16; baseline: linear decay to zero; metric: test cross-entropy."""

    name = "breast-cancer-logreg"
    description = "sklearn breast cancer (398 train / 171 test), logistic regression, SGD-momentum"
    family = "sgd"
    seed_lr = 0.01
    lr_grid = (3.16e-3, 0.01, 0.0316, 0.1)
    weight_decay = 1e-3
    optimizer = torch.optim.SGD
    optimizer_options: ClassVar[dict[str, Any]] = {"momentum": 0.9}
    baseline_schedule_name = "linear"
    split = "development"
    split_reason = (
        "development since 0.12.0; validation for 0.11.0, whose results (and "
        "digits-tinybatch's decision logs) were read before 0.12.0's seed-search change was "
        "chosen. " + _DECLARED
    )
    long_ms_per_step = 0.8  # median of its grid runs, beside two or three other processes
    budgets: ClassVar[dict[str, Budget]] = {
        "quick": Budget(steps=300, batch_size=16, num_evals=3),
        "standard": Budget(steps=1000, batch_size=16, num_evals=10),
        "long": Budget(steps=3000, batch_size=16, num_evals=20, grid_seeds=None),
        "full": Budget(steps=3000, batch_size=16, num_evals=20, grid_seeds=None),
    }

    def build_model(self, data: TabularData) -> nn.Module:
        return nn.Linear(data.x_train.shape[1], 2)
