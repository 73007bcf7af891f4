"""``fmnist-smallmlp``: Fashion-MNIST with a one-hidden-layer ReLU MLP, SGD with Nesterov
momentum, step schedule, 3000 steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .fmnist_cnn import ImageData
from .fmnist_softmax import FashionMnistSoftmax

_DECLARED = (
    "declared with 0.10.0, before any of its runs: a one-hidden-layer ReLU network on the "
    "pixels with SGD-Nesterov, weight decay and a step schedule, 3000 steps; no rule was set "
    "or looked at on it"
)


class FashionMnistSmallMLP(FashionMnistSoftmax):
    """784-128-10 ReLU MLP on 30000 training images, batch 64; SGD with Nesterov momentum 0.9,
    weight decay 5e-4; baseline: 10x drops at 50 % and 75 %; metric: test accuracy on 5000
    images."""

    name = "fmnist-smallmlp"
    description = "Fashion-MNIST, MLP 784-128-10, SGD-Nesterov, step schedule"
    seed_lr = 0.01
    lr_grid = (3.16e-3, 0.01, 0.0316, 0.1)
    weight_decay = 5e-4
    optimizer = torch.optim.SGD
    optimizer_options: ClassVar[dict[str, Any]] = {"momentum": 0.9, "nesterov": True}
    baseline_schedule_name = "step"
    split = "development"
    split_reason = (
        "development since 0.10.0's second validation; validation for 0.10.0 first, whose "
        "results and decision logs suggested a candidate that was then measured "
        "(benchmarks/results/trial-gallop-dev). " + _DECLARED
    )
    long_ms_per_step = 1.7  # median of its grid runs, beside one other process

    def build_model(self, data: ImageData) -> nn.Module:
        return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))

