"""``fmnist-nadam``: Fashion-MNIST with a Hardswish MLP trained by NAdam, cosine decay, 3000
steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .base import Budget
from .fmnist_cnn import ImageData
from .fmnist_mlp import MLP_BUDGETS_3000, FashionMnistMLP

_DECLARED = (
    "declared after 0.15.0's validation, before any of its runs: NAdam (so far only on a "
    "character GRU) on an image MLP with Hardswish and dropout, cosine decay, 3000 steps; no "
    "rule was set or looked at on it"
)


class FashionMnistNAdam(FashionMnistMLP):
    """784-256-256-10 Hardswish MLP with dropout 0.1 on 30000 training images, batch 64; NAdam
    (0.9, 0.999), no weight decay; baseline: cosine decay to zero; metric: test accuracy on
    5000 images."""

    name = "fmnist-nadam"
    description = "Fashion-MNIST, MLP 784-256-256-10 Hardswish + dropout, NAdam, cosine"
    family = "adam"
    seed_lr = 1e-3
    lr_grid = (1e-4, 3.16e-4, 1e-3, 3.16e-3)
    weight_decay = 0.0
    optimizer = torch.optim.NAdam
    optimizer_options: ClassVar[dict[str, Any]] = {}
    baseline_schedule_name = "cosine"
    split = "development"
    split_reason = (
        "development since 0.17.0; validation for 0.16.0, whose results and decision logs "
        "were read before the change of 0.17.0 was chosen. " + _DECLARED
    )
    long_ms_per_step = 3.0  # a planning estimate (fmnist-mlp's size)
    budgets: ClassVar[dict[str, Budget]] = MLP_BUDGETS_3000

    def build_model(self, data: ImageData) -> nn.Module:
        return nn.Sequential(
            nn.Linear(784, 256),
            nn.Hardswish(),
            nn.Dropout(0.1),
            nn.Linear(256, 256),
            nn.Hardswish(),
            nn.Dropout(0.1),
            nn.Linear(256, 10),
        )
