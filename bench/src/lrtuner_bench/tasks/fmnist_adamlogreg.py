"""``fmnist-adamlogreg``: Fashion-MNIST with softmax regression on the pixels (convex), Adam,
step schedule, 3000 steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from .fmnist_softmax import FashionMnistSoftmax

_DECLARED = (
    "declared after 0.10.0's second validation, before any of its runs: "
    "a convex model (softmax regression on the 784 pixels) with Adam and a step schedule, "
    "3000 steps; no rule was set or looked at on it"
)


class FashionMnistAdamLogReg(FashionMnistSoftmax):
    """One linear layer 784-10 on 30000 training images, batch 64; Adam, no weight decay;
    baseline: 10x drops at 50 % and 75 %; metric: test accuracy on 5000 images."""

    name = "fmnist-adamlogreg"
    description = "Fashion-MNIST, softmax regression on the pixels (convex), Adam, step schedule"
    family = "adam"
    seed_lr = 1e-3
    lr_grid = (3.16e-4, 1e-3, 3.16e-3, 0.01)
    weight_decay = 0.0
    optimizer = torch.optim.Adam
    optimizer_options: ClassVar[dict[str, Any]] = {}
    baseline_schedule_name = "step"
    split = "development"
    split_reason = (
        "development since 0.12.0; validation for 0.11.0, whose results (and "
        "digits-tinybatch's decision logs) were read before 0.12.0's seed-search change was "
        "chosen. " + _DECLARED
    )
    long_ms_per_step = 1.2  # median of its grid runs, beside two or three other processes
