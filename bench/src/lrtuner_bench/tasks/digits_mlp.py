"""``digits-mlp``: scikit-learn's 8x8 digits with a small MLP and SGD-momentum (smoke tests)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from ..data import load_digits_split
from .base import Budget, SGDClassificationTask, classification_metrics, predict_in_chunks


@dataclass
class DigitsData:
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


#: Budgets of the digits tasks that train 5000 steps on minibatches of 32 in ``long``.
BUDGETS_5000: dict[str, Budget] = {
    "quick": Budget(steps=300, batch_size=32, num_evals=5),
    "standard": Budget(steps=1000, batch_size=32, num_evals=10),
    "long": Budget(steps=5000, batch_size=32, num_evals=20, grid_seeds=None),
    "full": Budget(steps=5000, batch_size=32, num_evals=20, grid_seeds=None),
}


class DigitsMLP(SGDClassificationTask):
    """64-128-128-10 ReLU MLP, SGD momentum 0.9, step schedule (10x drops at 50 % and 75 %)."""

    name = "digits-mlp"
    description = "sklearn digits (1258 train / 539 test), MLP 64-128-128-10, SGD-momentum"
    seed_lr = 0.1
    lr_grid = (0.03, 0.1, 0.3)
    weight_decay = 5e-4
    baseline_schedule_name = "step"
    split = "development"
    split_reason = "one of the four tasks the current rules were fitted on"
    long_ms_per_step = 0.7
    budgets: ClassVar[dict[str, Budget]] = {
        "quick": Budget(steps=500, batch_size=32, num_evals=10),
        "standard": Budget(steps=1000, batch_size=32, num_evals=10),
        "long": Budget(
            steps=5000,
            batch_size=32,
            num_evals=20,
            grid_seeds=None,
            lr_grid=(0.01, 0.0316, 0.1, 0.316),
        ),
        "full": Budget(steps=4000, batch_size=32, num_evals=20, grid_seeds=None),
    }

    def load(self, budget: Budget, data_dir: str | None = None) -> DigitsData:
        split = load_digits_split()
        return DigitsData(
            torch.from_numpy(split.x_train),
            torch.from_numpy(split.y_train),
            torch.from_numpy(split.x_test),
            torch.from_numpy(split.y_test),
        )

    def build_model(self, data: DigitsData) -> nn.Module:
        return nn.Sequential(
            nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10)
        )

    def evaluate(self, model: nn.Module, data: DigitsData) -> dict[str, float]:
        return classification_metrics(predict_in_chunks(model, data.x_test), data.y_test, 10)
