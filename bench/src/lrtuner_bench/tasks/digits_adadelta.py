"""``digits-adadelta``: scikit-learn's 8x8 digits with a two-hidden-layer LeakyReLU MLP trained
by Adadelta, cosine decay, 3000 steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .base import Budget
from .digits_mlp import DigitsData, DigitsMLP

_DECLARED = (
    "declared after 0.13.0's validation, before any of its runs: Adadelta (an optimizer no "
    "other task uses, whose step is a ratio of two running RMS values, so its LR is a "
    "multiplier near 1) on a two-hidden-layer LeakyReLU MLP with cosine decay, 3000 steps; "
    "no rule was set or looked at on it"
)


class DigitsAdadelta(DigitsMLP):
    """64-256-128-10 LeakyReLU MLP, Adadelta (rho 0.9), no weight decay, batch 32; baseline:
    cosine decay to zero; metric: test accuracy."""

    name = "digits-adadelta"
    description = "sklearn digits, MLP 64-256-128-10 LeakyReLU, Adadelta, cosine"
    family = "adam"  # per-coordinate normalised steps (the calibrated LR's family)
    seed_lr = 1.0
    lr_grid = (0.1, 0.316, 1.0, 3.16)
    weight_decay = 0.0
    optimizer = torch.optim.Adadelta
    optimizer_options: ClassVar[dict[str, Any]] = {}
    baseline_schedule_name = "cosine"
    split = "development"
    split_reason = (
        "development since 0.15.0; validation for 0.14.0, whose results and decision logs "
        "were read before the change of 0.15.0 was chosen. " + _DECLARED
    )
    long_ms_per_step = 0.8  # a planning estimate (two small hidden layers)
    budgets: ClassVar[dict[str, Budget]] = {
        "quick": Budget(steps=300, batch_size=32, num_evals=5),
        "standard": Budget(steps=1000, batch_size=32, num_evals=10),
        "long": Budget(steps=3000, batch_size=32, num_evals=20, grid_seeds=None),
        "full": Budget(steps=3000, batch_size=32, num_evals=20, grid_seeds=None),
    }

    def build_model(self, data: DigitsData) -> nn.Module:
        return nn.Sequential(
            nn.Linear(64, 256),
            nn.LeakyReLU(0.1),
            nn.Linear(256, 128),
            nn.LeakyReLU(0.1),
            nn.Linear(128, 10),
        )
