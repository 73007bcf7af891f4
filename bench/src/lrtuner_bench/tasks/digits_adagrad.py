"""``digits-adagrad``: scikit-learn's 8x8 digits with a ReLU MLP trained by Adagrad, linear
decay, 3000 steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .base import Budget
from .digits_mlp import DigitsData, DigitsMLP

_DECLARED = (
    "declared after 0.12.0's validation, before any of its runs: Adagrad (an optimizer no "
    "other task uses, whose steps shrink as its squared-gradient sums grow) on a ReLU MLP with "
    "linear decay, 3000 steps; no rule was set or looked at on it"
)


class DigitsAdagrad(DigitsMLP):
    """64-128-10 ReLU MLP, Adagrad, no weight decay, batch 16; baseline: linear decay to zero;
    metric: test accuracy."""

    name = "digits-adagrad"
    description = "sklearn digits, MLP 64-128-10, Adagrad, linear decay"
    family = "adam"  # per-coordinate normalised steps (the calibrated LR's family)
    seed_lr = 0.01
    lr_grid = (1e-3, 3.16e-3, 0.01, 0.0316)
    weight_decay = 0.0
    optimizer = torch.optim.Adagrad
    optimizer_options: ClassVar[dict[str, Any]] = {}
    baseline_schedule_name = "linear"
    split = "development"
    split_reason = (
        "development since 0.14.0; validation for 0.13.0, whose results and decision logs "
        "were read before 0.14.0's change was chosen. " + _DECLARED
    )
    long_ms_per_step = 0.6  # median of its grid runs, beside one other process
    budgets: ClassVar[dict[str, Budget]] = {
        "quick": Budget(steps=300, batch_size=16, num_evals=5),
        "standard": Budget(steps=1000, batch_size=16, num_evals=10),
        "long": Budget(steps=3000, batch_size=16, num_evals=20, grid_seeds=None),
        "full": Budget(steps=3000, batch_size=16, num_evals=20, grid_seeds=None),
    }

    def build_model(self, data: DigitsData) -> nn.Module:
        return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
