"""``digits-deepmlp``: scikit-learn's 8x8 digits with a deep, narrow MLP (8 hidden layers, no
normalisation, no skip connection) and plain SGD (no momentum), linear decay."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .base import Budget
from .digits_mlp import DigitsData, DigitsMLP

_DECLARED = (
    "declared with 0.8.0, before any of its runs: a deep narrow plain network (8 hidden "
    "SiLU layers of 64, He init, no normalisation, no skip connection) with SGD without momentum "
    "and linear decay, 5000 steps; no rule was set or looked at on it"
)
DEPTH = 8
WIDTH = 64


class DigitsDeepMLP(DigitsMLP):
    """64-(64 SiLU) x 8-10, He-normal initialisation of the hidden layers (PyTorch's default
    one shrinks the signal through 8 layers until plain SGD cannot start); SGD without
    momentum, weight decay 1e-4; baseline: linear decay to zero; metric: test accuracy."""

    name = "digits-deepmlp"
    description = "sklearn digits, deep MLP (8 x 64 SiLU, no normalisation), plain SGD"
    seed_lr = 0.1
    lr_grid = (0.01, 0.0316, 0.1, 0.316)
    weight_decay = 1e-4
    optimizer = torch.optim.SGD
    optimizer_options: ClassVar[dict[str, Any]] = {"momentum": 0.0}
    baseline_schedule_name = "linear"
    split = "development"
    split_reason = (
        "development since 0.8.0, before it reported anything: 15 LRTuner runs of a "
        "pre-release were seen before rollback's short-window fix "
        "(benchmarks/results/pre-release-0.8.0); digits-hingemlp took its place. " + _DECLARED
    )
    long_ms_per_step = 2.2  # 150 steps timed with three processes on two cores
    budgets: ClassVar[dict[str, Budget]] = {
        "quick": Budget(steps=500, batch_size=32, num_evals=5),
        "standard": Budget(steps=1000, batch_size=32, num_evals=10),
        "long": Budget(steps=5000, batch_size=32, num_evals=20, grid_seeds=None),
        "full": Budget(steps=5000, batch_size=32, num_evals=20, grid_seeds=None),
    }

    def build_model(self, data: DigitsData) -> nn.Module:
        layers: list[nn.Module] = []
        width_in = 64
        for _ in range(DEPTH):
            linear = nn.Linear(width_in, WIDTH)
            nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
            nn.init.zeros_(linear.bias)
            layers += [linear, nn.SiLU()]
            width_in = WIDTH
        return nn.Sequential(*layers, nn.Linear(WIDTH, 10))

