"""``digits-rmsprop``: scikit-learn's 8x8 digits with an ELU MLP trained by RMSprop, linear
decay, 3000 steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .base import Budget
from .digits_mlp import DigitsData, DigitsMLP

_DECLARED = (
    "declared after 0.11.0's validation, before any of its runs: RMSprop (an optimizer no "
    "other task uses) on an ELU MLP with linear decay, 3000 steps; no rule was set or looked "
    "at on it"
)


class DigitsRMSprop(DigitsMLP):
    """64-128-10 ELU MLP, RMSprop (alpha 0.99, no momentum), no weight decay, batch 32;
    baseline: linear decay to zero; metric: test accuracy."""

    name = "digits-rmsprop"
    description = "sklearn digits, ELU MLP 64-128-10, RMSprop, linear decay"
    family = "adam"  # per-coordinate normalised steps, as Adam's (the calibrated LR's family)
    seed_lr = 1e-3
    lr_grid = (1e-4, 3.16e-4, 1e-3, 3.16e-3)
    weight_decay = 0.0
    optimizer = torch.optim.RMSprop
    optimizer_options: ClassVar[dict[str, Any]] = {"alpha": 0.99}
    baseline_schedule_name = "linear"
    split = "development"
    split_reason = (
        "development since 0.13.0; validation for 0.12.0, whose results (and "
        "digits-smallbatch's decision logs) were read before 0.13.0's divergence recovery was "
        "chosen. " + _DECLARED
    )
    long_ms_per_step = 0.6  # median of its grid runs, beside one other process
    budgets: ClassVar[dict[str, Budget]] = {
        "quick": Budget(steps=300, batch_size=32, num_evals=5),
        "standard": Budget(steps=1000, batch_size=32, num_evals=10),
        "long": Budget(steps=3000, batch_size=32, num_evals=20, grid_seeds=None),
        "full": Budget(steps=3000, batch_size=32, num_evals=20, grid_seeds=None),
    }

    def build_model(self, data: DigitsData) -> nn.Module:
        return nn.Sequential(nn.Linear(64, 128), nn.ELU(), nn.Linear(128, 10))
