"""``digits-tanhmlp``: scikit-learn's 8x8 digits with a wide tanh MLP (saturating units, no
normalisation layer), SGD-momentum, step schedule, 5000 steps."""

from __future__ import annotations

from typing import ClassVar

from torch import nn

from .base import Budget
from .digits_mlp import DigitsMLP

_DECLARED = (
    "declared with 0.9.0, before any of its runs: saturating tanh units without "
    "normalisation, SGD-momentum and a step schedule, 5000 steps; no rule was set or looked "
    "at on it"
)


class DigitsTanhMLP(DigitsMLP):
    """64-256-256-10 tanh MLP, SGD momentum 0.9, weight decay 5e-4; baseline: 10x drops at
    50 % and 75 %; metric: test accuracy."""

    name = "digits-tanhmlp"
    description = "sklearn digits, MLP 64-256-256-10 with tanh units, SGD-momentum"
    seed_lr = 0.01
    lr_grid = (0.01, 0.0316, 0.1, 0.316)
    weight_decay = 5e-4
    baseline_schedule_name = "step"
    split = "development"
    split_reason = (
        "development since 0.10.0; validation for 0.9.0, whose results and decision logs "
        "were read before the change of 0.10.0 was chosen. " + _DECLARED
    )
    long_ms_per_step = 1.8  # median of its grid runs, beside one other process
    budgets: ClassVar[dict[str, Budget]] = {
        "quick": Budget(steps=500, batch_size=32, num_evals=5),
        "standard": Budget(steps=1000, batch_size=32, num_evals=10),
        "long": Budget(steps=5000, batch_size=32, num_evals=20, grid_seeds=None),
        "full": Budget(steps=5000, batch_size=32, num_evals=20, grid_seeds=None),
    }

    def build_model(self, data) -> nn.Module:
        return nn.Sequential(
            nn.Linear(64, 256), nn.Tanh(), nn.Linear(256, 256), nn.Tanh(), nn.Linear(256, 10)
        )
