"""``digits-gru``: scikit-learn's 8x8 digits read row by row by a GRU (a sequence of 8 rows of
8 pixels), Adam, warmup + cosine, 3000 steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .base import Budget
from .digits_mlp import DigitsMLP

_DECLARED = (
    "declared with 0.9.0, before any of its runs: a recurrent classifier (a GRU reading the "
    "image's 8 rows as a sequence) with Adam and warmup + cosine, 3000 steps; no rule was "
    "set or looked at on it"
)


class RowGRU(nn.Module):
    """GRU (8 inputs, 64 hidden) over the 8 rows of a flattened 8x8 image; linear head on the
    last hidden state."""

    def __init__(self, hidden: int = 64, classes: int = 10) -> None:
        super().__init__()
        self.gru = nn.GRU(8, hidden, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, h = self.gru(x.reshape(len(x), 8, 8))
        return self.head(h[-1])


class DigitsGRU(DigitsMLP):
    """The digits of ``digits-mlp`` as sequences of rows; a GRU; Adam (0.9, 0.999), no weight
    decay; baseline: 5 % linear warmup then cosine to zero; metric: test accuracy."""

    name = "digits-gru"
    description = "sklearn digits as 8 rows of 8 pixels, GRU 64 + linear head, Adam"
    family = "adam"
    seed_lr = 1e-3
    lr_grid = (1e-3, 3.16e-3, 0.01, 0.0316)
    weight_decay = 0.0
    optimizer = torch.optim.Adam
    optimizer_options: ClassVar[dict[str, Any]] = {}
    baseline_schedule_name = "warmup-cosine"
    split = "development"
    split_reason = (
        "development since 0.10.0; validation for 0.9.0, whose results and decision logs "
        "were read before the change of 0.10.0 was chosen. " + _DECLARED
    )
    long_ms_per_step = 6.4  # median of its grid runs, beside one other process
    budgets: ClassVar[dict[str, Budget]] = {
        "quick": Budget(steps=300, batch_size=32, num_evals=5),
        "standard": Budget(steps=1000, batch_size=32, num_evals=10),
        "long": Budget(steps=3000, batch_size=32, num_evals=20, grid_seeds=None),
        "full": Budget(steps=3000, batch_size=32, num_evals=20, grid_seeds=None),
    }

    def build_model(self, data) -> nn.Module:
        return RowGRU()

