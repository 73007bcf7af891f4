"""``fmnist-softmax``: Fashion-MNIST with multinomial logistic regression on the pixels (a
convex problem), plain SGD without momentum, linear decay, 3000 steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .base import Budget, SGDClassificationTask, classification_metrics, predict_in_chunks
from .fmnist_cnn import ImageData
from .fmnist_mlp import load_fmnist_subset

_DECLARED = (
    "declared with 0.9.0, before any of its runs: a convex model (softmax regression on the "
    "784 pixels) with plain SGD (no momentum) and linear decay, 3000 steps; no rule was set "
    "or looked at on it"
)


class FashionMnistSoftmax(SGDClassificationTask):
    """One linear layer 784-10 on 30000 training images, batch 64; SGD without momentum, no
    weight decay; baseline: linear decay to zero; metric: test accuracy on 5000 images."""

    name = "fmnist-softmax"
    description = "Fashion-MNIST, softmax regression on the pixels (convex), plain SGD"
    seed_lr = 0.01
    lr_grid = (0.01, 0.0316, 0.1, 0.316)
    weight_decay = 0.0
    optimizer = torch.optim.SGD
    optimizer_options: ClassVar[dict[str, Any]] = {"momentum": 0.0}
    baseline_schedule_name = "linear"
    split = "development"
    split_reason = (
        "development since 0.10.0; validation for 0.9.0, whose results and decision logs "
        "were read before the change of 0.10.0 was chosen. " + _DECLARED
    )
    long_ms_per_step = 0.9  # median of its grid runs, beside one other process
    budgets: ClassVar[dict[str, Budget]] = {
        "quick": Budget(steps=100, batch_size=64, num_evals=2, train_size=6000, test_size=1000),
        "standard": Budget(steps=600, batch_size=64, num_evals=4, train_size=20000, test_size=2000),
        "long": Budget(
            steps=3000, batch_size=64, num_evals=20, train_size=30000, test_size=5000,
            grid_seeds=None,
        ),
        "full": Budget(steps=5000, batch_size=128, num_evals=20, grid_seeds=None),
    }

    def load(self, budget: Budget, data_dir: str | None = None) -> ImageData:
        return load_fmnist_subset(budget, data_dir, flat=True, width=1)

    def build_model(self, data: ImageData) -> nn.Module:
        return nn.Linear(784, 10)


    def evaluate(self, model: nn.Module, data: ImageData) -> dict[str, float]:
        return classification_metrics(predict_in_chunks(model, data.x_test, 1000), data.y_test, 10)
