"""``fmnist-amsgrad``: Fashion-MNIST with a dropout MLP trained by Adam with AMSGrad, a step
schedule, 3000 steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .base import Budget
from .fmnist_cnn import ImageData
from .fmnist_mlp import MLP_BUDGETS_3000, FashionMnistMLP

_DECLARED = (
    "declared after 0.14.0's validation, before any of its runs: Adam with AMSGrad (its "
    "second moment is a running maximum; of the other tasks only digits-glumlp, on digits "
    "with warmup + cosine, uses it) on a Fashion-MNIST ReLU MLP with dropout and a step "
    "schedule, 3000 steps; no rule was set or looked at on it"
)


class FashionMnistAmsgrad(FashionMnistMLP):
    """784-256-128-10 ReLU MLP with dropout 0.2 on 30000 training images, batch 64; Adam with
    ``amsgrad=True``, no weight decay; baseline: step decay; metric: test accuracy on 5000
    images."""

    name = "fmnist-amsgrad"
    description = "Fashion-MNIST, MLP 784-256-128-10 ReLU + dropout, Adam (AMSGrad), step"
    family = "adam"
    seed_lr = 1e-3
    lr_grid = (1e-4, 3.16e-4, 1e-3, 3.16e-3)
    weight_decay = 0.0
    optimizer = torch.optim.Adam
    optimizer_options: ClassVar[dict[str, Any]] = {"amsgrad": True}
    baseline_schedule_name = "step"
    split = "development"
    split_reason = (
        "development since 0.16.0; validation for 0.15.0, whose results and decision logs "
        "were read before the change of 0.16.0 was chosen. " + _DECLARED
    )
    long_ms_per_step = 2.5  # a planning estimate (fmnist-l2adam's network)
    budgets: ClassVar[dict[str, Budget]] = MLP_BUDGETS_3000

    def build_model(self, data: ImageData) -> nn.Module:
        return nn.Sequential(
            nn.Linear(784, 256),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(256, 128),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(128, 10),
        )
