"""``fmnist-gelumlp``: Fashion-MNIST with a GELU MLP whose hidden layers are LayerNorm'ed,
RAdam, cosine decay, 3000 steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .fmnist_cnn import ImageData
from .fmnist_softmax import FashionMnistSoftmax

_DECLARED = (
    "declared after 0.10.0's first validation, before any of its runs: "
    "a GELU network with LayerNorm after each "
    "hidden layer and RAdam (Adam whose variance rectification replaces warmup, an optimizer "
    "no other task uses), cosine decay, 3000 steps; no rule was set or looked at on it"
)


class FashionMnistGeluMLP(FashionMnistSoftmax):
    """784-256-256-10 MLP, each hidden layer Linear-LayerNorm-GELU, on 30000 training images,
    batch 64; RAdam (0.9, 0.999), no weight decay; baseline: cosine decay to zero; metric:
    test accuracy on 5000 images."""

    name = "fmnist-gelumlp"
    description = "Fashion-MNIST, MLP 784-256-256-10 with LayerNorm and GELU, RAdam"
    family = "adam"
    seed_lr = 1e-3
    lr_grid = (3.16e-4, 1e-3, 3.16e-3, 0.01)
    weight_decay = 0.0
    optimizer = torch.optim.RAdam
    optimizer_options: ClassVar[dict[str, Any]] = {}
    baseline_schedule_name = "cosine"
    split = "development"
    split_reason = (
        "development since 0.11.0; 0.10.0's second validation, whose results (and "
        "digits-noisymlp's decision logs) were read before 0.11.0's seed-search change was "
        "chosen. " + _DECLARED
    )
    long_ms_per_step = 4.4  # median of its grid runs, beside two or three other processes

    def build_model(self, data: ImageData) -> nn.Module:
        def hidden(n_in: int, n_out: int) -> list[nn.Module]:
            return [nn.Linear(n_in, n_out), nn.LayerNorm(n_out), nn.GELU()]

        return nn.Sequential(*hidden(784, 256), *hidden(256, 256), nn.Linear(256, 10))
