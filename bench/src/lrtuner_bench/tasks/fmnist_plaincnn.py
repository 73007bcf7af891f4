"""``fmnist-plaincnn``: Fashion-MNIST with a small CNN without normalisation layers, SGD."""

from __future__ import annotations

from typing import ClassVar

from torch import nn

from .base import Budget, SGDClassificationTask, classification_metrics, predict_in_chunks
from .fmnist_cnn import ImageData
from .fmnist_mlp import load_fmnist_subset


class FashionMnistPlainCNN(SGDClassificationTask):
    """conv5x5(8)-ReLU-pool, conv5x5(16)-ReLU-pool, linear 784-64-10; no BatchNorm, no
    dropout. SGD momentum 0.9, weight decay 5e-4, warmup + cosine baseline."""

    name = "fmnist-plaincnn"
    description = "Fashion-MNIST, 2-conv CNN without normalisation layers, SGD-momentum"
    seed_lr = 0.01
    lr_grid = (3.16e-3, 0.01, 0.0316, 0.1)
    weight_decay = 5e-4
    baseline_schedule_name = "warmup-cosine"
    split = "development"
    split_reason = (
        "development since 0.5.0; validation for 0.4.0, whose result here was looked at "
        "before rule 9 was chosen. "
        "SGD on a network with no normalisation layer: the sharpness and LR range differ "
        "from the BatchNorm CNN the SGD rules were set on"
    )
    long_ms_per_step = 6.8
    budgets: ClassVar[dict[str, Budget]] = {
        "quick": Budget(steps=60, batch_size=32, num_evals=2, train_size=6000, test_size=1000),
        "standard": Budget(steps=400, batch_size=32, num_evals=4, train_size=12800, test_size=2000),
        "long": Budget(
            steps=3000,
            batch_size=32,
            num_evals=20,
            train_size=20000,
            test_size=2000,
            grid_seeds=None,
        ),
        "full": Budget(steps=9400, batch_size=128, num_evals=20, grid_seeds=None),
    }

    def load(self, budget: Budget, data_dir: str | None = None) -> ImageData:
        return load_fmnist_subset(budget, data_dir, flat=False, width=8)

    def build_model(self, data: ImageData) -> nn.Module:
        w = data.width
        return nn.Sequential(
            nn.Conv2d(1, w, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(w, 2 * w, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(2 * w * 49, 64),
            nn.ReLU(),
            nn.Linear(64, 10),
        )

    def evaluate(self, model: nn.Module, data: ImageData) -> dict[str, float]:
        return classification_metrics(predict_in_chunks(model, data.x_test, 1000), data.y_test, 10)
