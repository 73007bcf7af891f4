"""``digits-bncnn``: scikit-learn's 8x8 digits as images, a CNN with BatchNorm trained with
AdamW, warmup + cosine."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .digits_cnn import DigitsCNN
from .digits_mlp import DigitsData

_DECLARED = (
    "declared with 0.8.0, before any of its runs, in place of shakespeare-rnn: BatchNorm "
    "(scale-invariant weights) with AdamW and decoupled weight decay, 3000 steps: BatchNorm "
    "had only SGD; no rule was set or looked at on it"
)


class DigitsBNCNN(DigitsCNN):
    """conv3x3(16)-BatchNorm-ReLU, conv3x3(32)-BatchNorm-ReLU-pool, linear 512-10; AdamW,
    weight decay 0.05; baseline: warmup 5 % then cosine; the digits-cnn budgets."""

    name = "digits-bncnn"
    description = "sklearn digits as 1x8x8 images, 2-conv CNN with BatchNorm, AdamW"
    family = "adam"
    seed_lr = 1e-3
    lr_grid = (3.16e-4, 1e-3, 3.16e-3, 0.01)
    weight_decay = 0.05
    optimizer = torch.optim.AdamW
    optimizer_options: ClassVar[dict[str, Any]] = {}
    baseline_schedule_name = "warmup-cosine"
    split = "development"
    split_reason = (
        "development since 0.9.0; validation for 0.8.0, whose results and decision logs were "
        "read before the change of 0.9.0 was chosen. " + _DECLARED
    )
    long_ms_per_step = 2.0  # digits-cnn's network with two BatchNorm layers

    def build_model(self, data: DigitsData) -> nn.Module:
        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * 16, 10),
        )

