"""``digits-hingemlp``: scikit-learn's 8x8 digits with an MLP trained on the multi-class hinge
loss (piecewise linear: no curvature for the quadratic fit to measure but at its kinks),
Adam, linear decay, 5000 steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F

from .base import Budget
from .digits_mlp import DigitsMLP

_DECLARED = (
    "declared with 0.8.0, before any of its runs, in place of digits-deepmlp: a "
    "piecewise-linear objective (the multi-class hinge loss of an MLP) with Adam and linear "
    "decay, 5000 steps; no rule was set or looked at on it"
)


class DigitsHingeMLP(DigitsMLP):
    """64-128-128-10 ReLU MLP; loss: the multi-class hinge (margin 1, Weston-Watkins as in
    ``torch.nn.MultiMarginLoss``); Adam (0.9, 0.999), no weight decay; baseline: linear decay
    to zero; metric: test accuracy."""

    name = "digits-hingemlp"
    description = "sklearn digits, MLP 64-128-128-10 on the multi-class hinge loss, Adam"
    family = "adam"
    seed_lr = 1e-3
    lr_grid = (3.16e-4, 1e-3, 3.16e-3, 0.01)
    weight_decay = 0.0
    optimizer = torch.optim.Adam
    optimizer_options: ClassVar[dict[str, Any]] = {}
    baseline_schedule_name = "linear"
    split = "development"
    split_reason = (
        "development since 0.9.0; validation for 0.8.0, whose results and decision logs were "
        "read before the change of 0.9.0 was chosen. " + _DECLARED
    )
    long_ms_per_step = 1.0  # as digits-mlp: the same network
    budgets: ClassVar[dict[str, Budget]] = {
        "quick": Budget(steps=500, batch_size=32, num_evals=5),
        "standard": Budget(steps=1000, batch_size=32, num_evals=10),
        "long": Budget(steps=5000, batch_size=32, num_evals=20, grid_seeds=None),
        "full": Budget(steps=5000, batch_size=32, num_evals=20, grid_seeds=None),
    }


    def loss(self, output: Any, targets: torch.Tensor) -> torch.Tensor:
        return F.multi_margin_loss(output, targets)
