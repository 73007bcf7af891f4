"""Test helpers: scikit-learn's digits (real data, bundled, offline) and small models."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

torch.set_num_threads(2)


def load_digits_tensors() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits

    data = load_digits()
    x = torch.tensor(data.data, dtype=torch.float32) / 16.0
    y = torch.tensor(data.target, dtype=torch.long)
    gen = torch.Generator().manual_seed(0)
    perm = torch.randperm(len(y), generator=gen)
    x, y = x[perm], y[perm]
    return x[:1400], y[:1400], x[1400:], y[1400:]


def make_batches(x, y, batch_size, seed=0):
    gen = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(y), generator=gen)
    return [
        (x[perm[i : i + batch_size]], y[perm[i : i + batch_size]])
        for i in range(0, len(y) - batch_size + 1, batch_size)
    ]


class BNDropoutNet(nn.Module):
    """MLP with BatchNorm and dropout: the layers probes must not disturb."""

    def __init__(self, hidden: int = 64, p: float = 0.2) -> None:
        super().__init__()
        self.fc1 = nn.Linear(64, hidden)
        self.bn = nn.BatchNorm1d(hidden)
        self.drop = nn.Dropout(p)
        self.fc2 = nn.Linear(hidden, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.drop(F.relu(self.bn(self.fc1(x)))))


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    was = model.training
    model.eval()
    with torch.no_grad():
        acc = (model(x).argmax(1) == y).float().mean().item()
    model.train(was)
    return acc
