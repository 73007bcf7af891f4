"""``digits-adamaxcnn``: scikit-learn's 8x8 digits as images, a small CNN without
normalisation layers, Adamax, warmup + cosine, 3000 steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from .digits_cnn import DigitsCNN

_DECLARED = (
    "declared after 0.10.0's first validation, before any of its runs: "
    "digits-cnn's network (two convolutions, "
    "dropout, no normalisation layer) with Adamax (Adam under the infinity norm, an optimizer "
    "no other task uses) and warmup + cosine, 3000 steps; no rule was set or looked at on it"
)


class DigitsAdamaxCNN(DigitsCNN):
    """conv3x3(16)-ReLU, conv3x3(32)-ReLU-pool, linear 512-10, dropout 0.25 before the head;
    Adamax (0.9, 0.999), no weight decay; baseline: warmup 5 % then cosine; metric: test
    accuracy."""

    name = "digits-adamaxcnn"
    description = "sklearn digits as 1x8x8 images, 2-conv CNN with dropout, Adamax"
    family = "adam"
    seed_lr = 3.16e-3
    lr_grid = (1e-3, 3.16e-3, 0.01, 0.0316)
    weight_decay = 0.0
    optimizer = torch.optim.Adamax
    optimizer_options: ClassVar[dict[str, Any]] = {}
    baseline_schedule_name = "warmup-cosine"
    split = "development"
    split_reason = (
        "development since 0.11.0; 0.10.0's second validation, whose results (and "
        "digits-noisymlp's decision logs) were read before 0.11.0's seed-search change was "
        "chosen. " + _DECLARED
    )
    long_ms_per_step = 5.1  # median of its grid runs, beside two or three other processes
