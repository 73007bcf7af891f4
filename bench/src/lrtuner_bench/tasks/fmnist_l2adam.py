"""``fmnist-l2adam``: Fashion-MNIST with an MLP trained by Adam with coupled L2 weight decay,
warmup + cosine, 3000 steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .base import Budget
from .fmnist_cnn import ImageData
from .fmnist_mlp import MLP_BUDGETS_3000, FashionMnistMLP

_DECLARED = (
    "declared after 0.13.0's validation, before any of its runs: Adam with coupled L2 weight "
    "decay (the penalty's gradient passes through Adam's normalisation; every other Adam "
    "task decouples it or has none) on a SiLU MLP with warmup + cosine, 3000 steps; no rule "
    "was set or looked at on it"
)


class FashionMnistL2Adam(FashionMnistMLP):
    """784-256-128-10 SiLU MLP without dropout on 30000 training images, batch 64; Adam,
    coupled L2 weight decay 1e-4; baseline: warmup 5 % then cosine; metric: test accuracy on
    5000 images."""

    name = "fmnist-l2adam"
    description = "Fashion-MNIST, MLP 784-256-128-10 SiLU, Adam with L2 (coupled), warmup + cosine"
    family = "adam"
    seed_lr = 1e-3
    lr_grid = (1e-4, 3.16e-4, 1e-3, 3.16e-3)
    weight_decay = 1e-4
    optimizer = torch.optim.Adam
    optimizer_options: ClassVar[dict[str, Any]] = {}
    baseline_schedule_name = "warmup-cosine"
    split = "development"
    split_reason = (
        "development since 0.15.0; validation for 0.14.0, whose results and decision logs "
        "were read before the change of 0.15.0 was chosen. " + _DECLARED
    )
    long_ms_per_step = 2.5  # a planning estimate (fmnist-mlp's network)
    budgets: ClassVar[dict[str, Budget]] = MLP_BUDGETS_3000

    def build_model(self, data: ImageData) -> nn.Module:
        return nn.Sequential(
            nn.Linear(784, 256),
            nn.SiLU(),
            nn.Linear(256, 128),
            nn.SiLU(),
            nn.Linear(128, 10),
        )
