"""``digits-lstm``: scikit-learn's 8x8 digits read row by row by an LSTM, SGD with Nesterov
momentum, linear decay, 5000 steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .base import Budget
from .digits_mlp import BUDGETS_5000, DigitsMLP

_DECLARED = (
    "declared after 0.14.0's validation, before any of its runs: a recurrent classifier (an "
    "LSTM reading the image's 8 rows) trained by SGD with Nesterov momentum (every other "
    "recurrent task uses an Adam-type optimizer) and linear decay, 5000 steps; no rule was "
    "set or looked at on it"
)


class RowLSTM(nn.Module):
    """LSTM (8 inputs, 64 hidden) over the 8 rows of a flattened 8x8 image; linear head on the
    last hidden state."""

    def __init__(self, hidden: int = 64, classes: int = 10) -> None:
        super().__init__()
        self.lstm = nn.LSTM(8, hidden, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, (h, _) = self.lstm(x.reshape(len(x), 8, 8))
        return self.head(h[-1])


class DigitsLSTM(DigitsMLP):
    """The digits of ``digits-mlp`` as sequences of rows; an LSTM; SGD, Nesterov momentum 0.9,
    weight decay 1e-4, batch 32; baseline: linear decay to zero; metric: test accuracy."""

    name = "digits-lstm"
    description = "sklearn digits as 8 rows of 8 pixels, LSTM 64 + linear head, SGD-Nesterov"
    family = "sgd"
    seed_lr = 0.1
    lr_grid = (0.01, 0.0316, 0.1, 0.316, 1.0)
    weight_decay = 1e-4
    optimizer = torch.optim.SGD
    optimizer_options: ClassVar[dict[str, Any]] = {"momentum": 0.9, "nesterov": True}
    baseline_schedule_name = "linear"
    split = "development"
    split_reason = (
        "development since 0.16.0; validation for 0.15.0, whose results and decision logs "
        "were read before the change of 0.16.0 was chosen. " + _DECLARED
    )
    long_ms_per_step = 3.0  # a planning estimate (digits-gru's size, a cheaper optimizer)
    budgets: ClassVar[dict[str, Budget]] = BUDGETS_5000

    def build_model(self, data) -> nn.Module:
        return RowLSTM()
