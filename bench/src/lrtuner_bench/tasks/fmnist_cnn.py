"""``fmnist-cnn``: Fashion-MNIST with a small ResNet-style CNN (BatchNorm), SGD-momentum."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ..data import load_fashion_mnist, subsample
from .base import Budget, SGDClassificationTask, classification_metrics, predict_in_chunks

FMNIST_MEAN = 0.2860
FMNIST_STD = 0.3530


@dataclass
class ImageData:
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    width: int


#: Base channel width per budget scale.
WIDTHS = {"tiny": 8, "small": 16, "large": 32}


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers with an identity (or 1x1 conv) shortcut, as in ResNet."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class SmallResNet(nn.Module):
    """Stem conv at 28x28, three residual stages (width, 2x, 4x; each stride 2), pooling, linear."""

    def __init__(self, width: int = 16, num_classes: int = 10) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU()
        )
        self.stages = nn.Sequential(
            BasicBlock(width, width, stride=2),
            BasicBlock(width, 2 * width, stride=2),
            BasicBlock(2 * width, 4 * width, stride=2),
        )
        self.head = nn.Linear(4 * width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.stages(self.stem(x))
        return self.head(F.adaptive_avg_pool2d(out, 1).flatten(1))


class FashionMnistCNN(SGDClassificationTask):
    """Small ResNet on Fashion-MNIST; SGD momentum 0.9, weight decay 5e-4, step schedule."""

    name = "fmnist-cnn"
    description = "Fashion-MNIST, ResNet-style CNN (3 stages, BatchNorm), SGD-momentum"
    seed_lr = 0.1
    lr_grid = (0.03, 0.1, 0.3)
    weight_decay = 5e-4
    baseline_schedule_name = "step"
    split = "development"
    split_reason = "one of the four tasks the current rules were fitted on"
    long_ms_per_step = 12.8
    budgets: ClassVar[dict[str, Budget]] = {
        "quick": Budget(steps=60, batch_size=64, num_evals=3, train_size=6000, test_size=1000),
        "standard": Budget(steps=200, batch_size=64, num_evals=4, train_size=12800, test_size=2000),
        "long": Budget(
            steps=2000,
            batch_size=32,
            num_evals=20,
            train_size=20000,
            test_size=2000,
            grid_seeds=None,
            model_scale="tiny",
            lr_grid=(0.01, 0.0316, 0.1, 0.316),
        ),
        "full": Budget(
            steps=9400, batch_size=128, num_evals=20, grid_seeds=None, model_scale="large"
        ),
    }

    def config(self) -> dict:
        return {**super().config(), "widths": WIDTHS}

    def load(self, budget: Budget, data_dir: str | None = None) -> ImageData:
        split = load_fashion_mnist(data_dir)
        tr = subsample(len(split.y_train), budget.train_size, seed=0, labels=split.y_train)
        te = subsample(len(split.y_test), budget.test_size, seed=0, labels=split.y_test)

        def images(x):
            t = torch.from_numpy(x).float().div_(255.0).sub_(FMNIST_MEAN).div_(FMNIST_STD)
            return t.unsqueeze(1).contiguous()

        return ImageData(
            images(split.x_train[tr]),
            torch.from_numpy(split.y_train[tr]),
            images(split.x_test[te]),
            torch.from_numpy(split.y_test[te]),
            WIDTHS[budget.model_scale],
        )

    def build_model(self, data: ImageData) -> nn.Module:
        return SmallResNet(data.width)

    def evaluate(self, model: nn.Module, data: ImageData) -> dict[str, float]:
        logits = predict_in_chunks(model, data.x_test, chunk=1000)
        return classification_metrics(logits, data.y_test, 10)
