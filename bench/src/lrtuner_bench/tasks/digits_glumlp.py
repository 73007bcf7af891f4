"""``digits-glumlp``: scikit-learn's 8x8 digits with a gated (GLU) MLP and no normalisation,
Adam with AMSGrad, warmup + cosine, 3000 steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .base import Budget
from .digits_mlp import DigitsData, DigitsMLP

_DECLARED = (
    "declared after 0.11.0's validation, before any of its runs: gated linear units (a "
    "multiplicative nonlinearity no other task uses) without normalisation, trained by Adam "
    "with AMSGrad, warmup + cosine, 3000 steps; no rule was set or looked at on it"
)


class DigitsGluMLP(DigitsMLP):
    """64-(256 GLU 128)-(128 GLU 64)-10 MLP, Adam (``amsgrad=True``), no weight decay, batch
    16; baseline: warmup + cosine; metric: test accuracy."""

    name = "digits-glumlp"
    description = "sklearn digits, two-layer GLU MLP, Adam with AMSGrad, warmup + cosine"
    family = "adam"
    seed_lr = 1e-3
    lr_grid = (1e-4, 3.16e-4, 1e-3, 3.16e-3)
    weight_decay = 0.0
    optimizer = torch.optim.Adam
    optimizer_options: ClassVar[dict[str, Any]] = {"amsgrad": True}
    baseline_schedule_name = "warmup-cosine"
    split = "development"
    split_reason = (
        "development since 0.13.0; validation for 0.12.0, whose results (and "
        "digits-smallbatch's decision logs) were read before 0.13.0's divergence recovery was "
        "chosen. " + _DECLARED
    )
    long_ms_per_step = 1.0  # median of its grid runs, beside one other process
    budgets: ClassVar[dict[str, Budget]] = {
        "quick": Budget(steps=300, batch_size=16, num_evals=5),
        "standard": Budget(steps=1000, batch_size=16, num_evals=10),
        "long": Budget(steps=3000, batch_size=16, num_evals=20, grid_seeds=None),
        "full": Budget(steps=3000, batch_size=16, num_evals=20, grid_seeds=None),
    }

    def build_model(self, data: DigitsData) -> nn.Module:
        return nn.Sequential(
            nn.Linear(64, 256), nn.GLU(), nn.Linear(128, 128), nn.GLU(), nn.Linear(64, 10)
        )
