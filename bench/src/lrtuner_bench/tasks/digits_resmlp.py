"""``digits-resmlp``: scikit-learn's 8x8 digits with a pre-norm residual MLP trained by
SGD-momentum, cosine decay, 5000 steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .base import Budget
from .digits_mlp import BUDGETS_5000, DigitsData, DigitsMLP

_DECLARED = (
    "declared after 0.15.0's validation, before any of its runs: residual blocks with "
    "LayerNorm (pre-norm) in an MLP trained by SGD-momentum (the other residual and "
    "LayerNorm MLPs use Adam-type optimizers) with cosine decay, 5000 steps; no rule was set "
    "or looked at on it"
)


class PreNormBlock(nn.Module):
    """x + Linear(ReLU(Linear(LayerNorm(x))))."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.inner = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.inner(self.norm(x))


class DigitsResMLP(DigitsMLP):
    """Linear 64-128, three pre-norm residual blocks of width 128, LayerNorm, linear 128-10;
    SGD momentum 0.9, weight decay 5e-4, batch 32; baseline: cosine decay to zero; metric: test
    accuracy."""

    name = "digits-resmlp"
    description = "sklearn digits, residual MLP (3 pre-norm blocks of 128), SGD-momentum, cosine"
    family = "sgd"
    seed_lr = 0.1
    lr_grid = (0.01, 0.0316, 0.1, 0.316)
    weight_decay = 5e-4
    optimizer = torch.optim.SGD
    optimizer_options: ClassVar[dict[str, Any]] = {"momentum": 0.9}
    baseline_schedule_name = "cosine"
    split = "development"
    split_reason = (
        "development since 0.17.0; validation for 0.16.0, whose results and decision logs "
        "were read before the change of 0.17.0 was chosen. " + _DECLARED
    )
    long_ms_per_step = 1.5  # a planning estimate (three blocks of width 128)
    budgets: ClassVar[dict[str, Budget]] = BUDGETS_5000

    def build_model(self, data: DigitsData) -> nn.Module:
        return nn.Sequential(
            nn.Linear(64, 128),
            *(PreNormBlock(128) for _ in range(3)),
            nn.LayerNorm(128),
            nn.Linear(128, 10),
        )
