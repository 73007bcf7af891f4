"""``digits-dwcnn``: scikit-learn's 8x8 digits with a depthwise-separable CNN without
normalisation, AdamW, warmup + cosine, 3000 steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .digits_cnn import DigitsCNN
from .digits_mlp import DigitsData

_DECLARED = (
    "declared after 0.15.0's validation, before any of its runs: depthwise-separable "
    "convolutions (no other task uses grouped convolutions) without normalisation, global "
    "average pooling, AdamW with weight decay 0.05 and warmup + cosine, 3000 steps; no rule "
    "was set or looked at on it"
)


class DigitsDWCNN(DigitsCNN):
    """conv3x3(16)-ReLU, [depthwise 3x3, pointwise 1x1]-ReLU to 32, max-pool, [depthwise 3x3,
    pointwise 1x1]-ReLU to 64, global average pool, linear 64-10; AdamW, weight decay 0.05,
    batch 32; baseline: 5 % linear warmup then cosine to zero; metric: test accuracy."""

    name = "digits-dwcnn"
    description = "sklearn digits as 1x8x8 images, depthwise-separable CNN, AdamW, warmup + cosine"
    family = "adam"
    seed_lr = 0.01
    lr_grid = (1e-3, 3.16e-3, 0.01, 0.0316)
    weight_decay = 0.05
    optimizer = torch.optim.AdamW
    optimizer_options: ClassVar[dict[str, Any]] = {}
    baseline_schedule_name = "warmup-cosine"
    split = "development"
    split_reason = (
        "development since 0.17.0; validation for 0.16.0, whose results and decision logs "
        "were read before the change of 0.17.0 was chosen. " + _DECLARED
    )
    long_ms_per_step = 2.0  # a planning estimate (digits-cnn's size)

    def build_model(self, data: DigitsData) -> nn.Module:
        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 16, 3, padding=1, groups=16),
            nn.Conv2d(16, 32, 1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 32, 3, padding=1, groups=32),
            nn.Conv2d(32, 64, 1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(64, 10),
        )
