"""``fmnist-mlp``: Fashion-MNIST with an MLP with dropout, AdamW, warmup + cosine baseline."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from ..data import load_fashion_mnist, subsample
from .base import Budget, SGDClassificationTask, classification_metrics, predict_in_chunks
from .fmnist_cnn import FMNIST_MEAN, FMNIST_STD, ImageData

#: Budgets of the Fashion-MNIST MLPs that train 3000 steps on minibatches of 64 in ``long``.
MLP_BUDGETS_3000: dict[str, Budget] = {
    "quick": Budget(steps=100, batch_size=64, num_evals=2, train_size=6000, test_size=1000),
    "standard": Budget(steps=600, batch_size=64, num_evals=4, train_size=20000, test_size=2000),
    "long": Budget(
        steps=3000, batch_size=64, num_evals=20, train_size=30000, test_size=5000,
        grid_seeds=None,
    ),
    "full": Budget(steps=3000, batch_size=64, num_evals=20, grid_seeds=None),
}


def fmnist_images(x, flat: bool) -> torch.Tensor:
    """uint8 images to normalised float tensors, ``(N, 784)`` or ``(N, 1, 28, 28)``."""
    t = torch.from_numpy(x).float().div_(255.0).sub_(FMNIST_MEAN).div_(FMNIST_STD)
    return t.reshape(len(t), -1).contiguous() if flat else t.unsqueeze(1).contiguous()


def load_fmnist_subset(budget: Budget, data_dir: str | None, flat: bool, width: int) -> ImageData:
    """Fixed stratified train/test subsets of Fashion-MNIST for a budget."""
    split = load_fashion_mnist(data_dir)
    tr = subsample(len(split.y_train), budget.train_size, seed=0, labels=split.y_train)
    te = subsample(len(split.y_test), budget.test_size, seed=0, labels=split.y_test)
    return ImageData(
        fmnist_images(split.x_train[tr], flat),
        torch.from_numpy(split.y_train[tr]),
        fmnist_images(split.x_test[te], flat),
        torch.from_numpy(split.y_test[te]),
        width,
    )


class FashionMnistMLP(SGDClassificationTask):
    """784-256-128-10 ReLU MLP, dropout 0.2 after each hidden layer; AdamW, weight decay 0.01."""

    name = "fmnist-mlp"
    description = "Fashion-MNIST, MLP 784-256-128-10 with dropout 0.2, AdamW"
    family = "adam"
    seed_lr = 1e-3
    lr_grid = (3.16e-4, 1e-3, 3.16e-3, 1e-2)
    weight_decay = 0.01
    optimizer = torch.optim.AdamW
    optimizer_options: ClassVar[dict[str, Any]] = {}
    baseline_schedule_name = "warmup-cosine"
    split = "development"
    split_reason = (
        "the MLP + AdamW case of issue 12, whose failures are already known: rules will be "
        "designed against it"
    )
    long_ms_per_step = 3.0
    budgets: ClassVar[dict[str, Budget]] = {
        "quick": Budget(steps=100, batch_size=64, num_evals=2, train_size=6000, test_size=1000),
        "standard": Budget(steps=600, batch_size=64, num_evals=4, train_size=20000, test_size=2000),
        "long": Budget(
            steps=5000,
            batch_size=64,
            num_evals=20,
            train_size=30000,
            test_size=5000,
            grid_seeds=None,
            lr_grid=(1e-4, 3.16e-4, 1e-3, 3.16e-3),
        ),
        "full": Budget(steps=5616, batch_size=128, num_evals=20, grid_seeds=None),
    }

    def load(self, budget: Budget, data_dir: str | None = None) -> ImageData:
        return load_fmnist_subset(budget, data_dir, flat=True, width=0)

    def build_model(self, data: ImageData) -> nn.Module:
        return nn.Sequential(
            nn.Linear(784, 256),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(256, 128),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(128, 10),
        )


    def evaluate(self, model: nn.Module, data: ImageData) -> dict[str, float]:
        return classification_metrics(predict_in_chunks(model, data.x_test, 1000), data.y_test, 10)
