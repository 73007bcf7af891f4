"""``digits-tinybatch``: scikit-learn's 8x8 digits with a small MLP trained by Adam on
minibatches of 2, cosine decay, 5000 steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .base import Budget
from .digits_mlp import DigitsData, DigitsMLP

_DECLARED = (
    "declared after 0.10.0's second validation, before any of its runs: "
    "Adam on minibatches of 2 examples (the noisiest gradients of any task) with cosine "
    "decay, 5000 steps; no rule was set or looked at on it"
)


class DigitsTinyBatch(DigitsMLP):
    """64-64-10 ReLU MLP, Adam, no weight decay, batch 2; baseline: cosine decay to zero;
    metric: test accuracy."""

    name = "digits-tinybatch"
    description = "sklearn digits, MLP 64-64-10, Adam on minibatches of 2"
    family = "adam"
    seed_lr = 1e-3
    lr_grid = (1e-4, 3.16e-4, 1e-3, 3.16e-3)
    weight_decay = 0.0
    optimizer = torch.optim.Adam
    optimizer_options: ClassVar[dict[str, Any]] = {}
    baseline_schedule_name = "cosine"
    split = "development"
    split_reason = (
        "development since 0.12.0; validation for 0.11.0, whose results (and "
        "digits-tinybatch's decision logs) were read before 0.12.0's seed-search change was "
        "chosen. " + _DECLARED
    )
    long_ms_per_step = 1.3  # median of its grid runs, beside two or three other processes
    budgets: ClassVar[dict[str, Budget]] = {
        "quick": Budget(steps=500, batch_size=2, num_evals=5),
        "standard": Budget(steps=2000, batch_size=2, num_evals=10),
        "long": Budget(steps=5000, batch_size=2, num_evals=20, grid_seeds=None),
        "full": Budget(steps=5000, batch_size=2, num_evals=20, grid_seeds=None),
    }

    def build_model(self, data: DigitsData) -> nn.Module:
        return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
