"""``digits-smallbatch``: scikit-learn's 8x8 digits with a LeakyReLU MLP trained by
SGD-momentum on minibatches of 4, cosine decay, 5000 steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .base import Budget
from .digits_mlp import DigitsData, DigitsMLP

_DECLARED = (
    "declared after 0.11.0's validation, before any of its runs: SGD with momentum 0.9 on "
    "minibatches of 4 examples (momentum in the noise-dominated regime) with cosine decay, "
    "5000 steps; no rule was set or looked at on it"
)


class DigitsSmallBatch(DigitsMLP):
    """64-128-128-10 LeakyReLU MLP, SGD momentum 0.9, no weight decay, batch 4; baseline:
    cosine decay to zero; metric: test accuracy."""

    name = "digits-smallbatch"
    description = "sklearn digits, LeakyReLU MLP 64-128-128-10, SGD-momentum on minibatches of 4"
    family = "sgd"
    seed_lr = 0.01
    lr_grid = (3.16e-4, 1e-3, 3.16e-3, 0.01)
    weight_decay = 0.0
    optimizer = torch.optim.SGD
    optimizer_options: ClassVar[dict[str, Any]] = {"momentum": 0.9}
    baseline_schedule_name = "cosine"
    split = "development"
    split_reason = (
        "development since 0.13.0; validation for 0.12.0, whose results (and "
        "digits-smallbatch's decision logs) were read before 0.13.0's divergence recovery was "
        "chosen. " + _DECLARED
    )
    long_ms_per_step = 0.7  # median of its grid runs, beside one other process
    budgets: ClassVar[dict[str, Budget]] = {
        "quick": Budget(steps=500, batch_size=4, num_evals=5),
        "standard": Budget(steps=2000, batch_size=4, num_evals=10),
        "long": Budget(steps=5000, batch_size=4, num_evals=20, grid_seeds=None),
        "full": Budget(steps=5000, batch_size=4, num_evals=20, grid_seeds=None),
    }

    def build_model(self, data: DigitsData) -> nn.Module:
        return nn.Sequential(
            nn.Linear(64, 128), nn.LeakyReLU(0.1), nn.Linear(128, 128), nn.LeakyReLU(0.1),
            nn.Linear(128, 10),
        )
