"""``fmnist-largebatch``: Fashion-MNIST with a ReLU MLP and dropout trained by AdamW on
minibatches of 512, warmup + cosine, 2000 steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .base import Budget
from .fmnist_cnn import ImageData
from .fmnist_softmax import FashionMnistSoftmax

_DECLARED = (
    "declared after 0.11.0's validation, before any of its runs: large minibatches (512, the "
    "least gradient noise of any task, 34 epochs) with AdamW and warmup + cosine, 2000 steps; "
    "no rule was set or looked at on it"
)


class FashionMnistLargeBatch(FashionMnistSoftmax):
    """784-128-10 ReLU MLP with dropout 0.1 on 30000 training images, batch 512; AdamW,
    weight decay 0.01; baseline: warmup + cosine; metric: test accuracy on 5000 images."""

    name = "fmnist-largebatch"
    description = "Fashion-MNIST, MLP 784-128-10 with dropout, AdamW on minibatches of 512"
    family = "adam"
    seed_lr = 1e-3
    lr_grid = (3.16e-4, 1e-3, 3.16e-3, 0.01)
    weight_decay = 0.01
    optimizer = torch.optim.AdamW
    optimizer_options: ClassVar[dict[str, Any]] = {}
    baseline_schedule_name = "warmup-cosine"
    split = "development"
    split_reason = (
        "development since 0.13.0; validation for 0.12.0, whose results (and "
        "digits-smallbatch's decision logs) were read before 0.13.0's divergence recovery was "
        "chosen. " + _DECLARED
    )
    long_ms_per_step = 7.5  # median of its grid runs, beside one other process
    budgets: ClassVar[dict[str, Budget]] = {
        "quick": Budget(steps=100, batch_size=512, num_evals=2, train_size=6000, test_size=1000),
        "standard": Budget(
            steps=500, batch_size=512, num_evals=4, train_size=20000, test_size=2000
        ),
        "long": Budget(
            steps=2000, batch_size=512, num_evals=20, train_size=30000, test_size=5000,
            grid_seeds=None,
        ),
        "full": Budget(steps=2000, batch_size=512, num_evals=20, grid_seeds=None),
    }

    def build_model(self, data: ImageData) -> nn.Module:
        return nn.Sequential(
            nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.1), nn.Linear(128, 10)
        )
