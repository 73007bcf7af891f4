"""``digits-noisymlp``: scikit-learn's 8x8 digits with a ReLU MLP trained by plain SGD on
minibatches of 4 (a regime dominated by gradient noise), step schedule, 5000 steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .base import Budget
from .digits_mlp import DigitsData, DigitsMLP

_DECLARED = (
    "declared after 0.10.0's first validation, before any of its runs: "
    "minibatches of 4 examples with plain SGD "
    "(no momentum), where each step's gradient is mostly noise, and a step schedule, 5000 "
    "steps; no rule was set or looked at on it"
)


class DigitsNoisyMLP(DigitsMLP):
    """64-256-10 ReLU MLP, plain SGD (no momentum), no weight decay, batch 4; baseline: 10x
    drops at 50 % and 75 %; metric: test accuracy."""

    name = "digits-noisymlp"
    description = "sklearn digits, MLP 64-256-10, plain SGD on minibatches of 4"
    family = "sgd"
    seed_lr = 0.01
    lr_grid = (3.16e-3, 0.01, 0.0316, 0.1)
    weight_decay = 0.0
    optimizer = torch.optim.SGD
    optimizer_options: ClassVar[dict[str, Any]] = {"momentum": 0.0}
    baseline_schedule_name = "step"
    split = "development"
    split_reason = (
        "development since 0.11.0; 0.10.0's second validation, whose results (and "
        "digits-noisymlp's decision logs) were read before 0.11.0's seed-search change was "
        "chosen. " + _DECLARED
    )
    long_ms_per_step = 0.7  # median of its grid runs, beside two or three other processes
    budgets: ClassVar[dict[str, Budget]] = {
        "quick": Budget(steps=500, batch_size=4, num_evals=5),
        "standard": Budget(steps=2000, batch_size=4, num_evals=10),
        "long": Budget(steps=5000, batch_size=4, num_evals=20, grid_seeds=None),
        "full": Budget(steps=5000, batch_size=4, num_evals=20, grid_seeds=None),
    }

    def build_model(self, data: DigitsData) -> nn.Module:
        return nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))
