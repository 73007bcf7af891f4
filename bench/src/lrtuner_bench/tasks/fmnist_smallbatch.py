"""``fmnist-smallbatch``: Fashion-MNIST with a narrow ReLU MLP trained by AdamW on minibatches
of 8, cosine decay, 5000 steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .base import Budget
from .fmnist_cnn import ImageData
from .fmnist_softmax import FashionMnistSoftmax

_DECLARED = (
    "declared after 0.12.0's validation, before any of its runs: AdamW on minibatches of 8 "
    "(an adaptive optimizer in the noisy regime, on images) with cosine decay, 5000 steps; no "
    "rule was set or looked at on it"
)


class FashionMnistSmallBatch(FashionMnistSoftmax):
    """784-64-10 ReLU MLP on 30000 training images, batch 8; AdamW, weight decay 0.01;
    baseline: cosine decay to zero; metric: test accuracy on 5000 images."""

    name = "fmnist-smallbatch"
    description = "Fashion-MNIST, MLP 784-64-10, AdamW on minibatches of 8"
    family = "adam"
    seed_lr = 1e-3
    lr_grid = (1e-4, 3.16e-4, 1e-3, 3.16e-3)
    weight_decay = 0.01
    optimizer = torch.optim.AdamW
    optimizer_options: ClassVar[dict[str, Any]] = {}
    baseline_schedule_name = "cosine"
    split = "development"
    split_reason = (
        "development since 0.14.0; validation for 0.13.0, whose results and decision logs "
        "were read before 0.14.0's change was chosen. " + _DECLARED
    )
    long_ms_per_step = 0.7  # median of its grid runs, beside one other process
    budgets: ClassVar[dict[str, Budget]] = {
        "quick": Budget(steps=300, batch_size=8, num_evals=2, train_size=6000, test_size=1000),
        "standard": Budget(
            steps=2000, batch_size=8, num_evals=4, train_size=20000, test_size=2000
        ),
        "long": Budget(
            steps=5000, batch_size=8, num_evals=20, train_size=30000, test_size=5000,
            grid_seeds=None,
        ),
        "full": Budget(steps=5000, batch_size=8, num_evals=20, grid_seeds=None),
    }

    def build_model(self, data: ImageData) -> nn.Module:
        return nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
