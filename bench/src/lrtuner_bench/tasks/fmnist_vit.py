"""``fmnist-vit``: Fashion-MNIST with a small vision transformer (7x7 patches, pre-norm
encoder), AdamW, warmup + cosine."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .base import Budget, SGDClassificationTask
from .fmnist_cnn import ImageData
from .fmnist_mlp import FashionMnistMLP, load_fmnist_subset

_DECLARED = (
    "declared with 0.7.0, before any of its runs: attention over image patches (a vision "
    "transformer: pre-norm, GELU, mean pooling) with AdamW, 2000 steps; no rule was set or "
    "looked at on it"
)
PATCH = 7


class TinyViT(nn.Module):
    """16 patches of 7x7 pixels, linear patch embedding (width 32) plus learned positions, 2
    pre-norm encoder layers (4 heads, feed-forward 64, GELU, no dropout), a final LayerNorm,
    mean over patches, linear head."""

    def __init__(self, width: int = 32, layers: int = 2, heads: int = 4, classes: int = 10):
        super().__init__()
        tokens = (28 // PATCH) ** 2
        self.embed = nn.Linear(PATCH * PATCH, width)
        self.pos = nn.Parameter(torch.zeros(1, tokens, width))
        nn.init.normal_(self.pos, std=0.02)
        layer = nn.TransformerEncoderLayer(
            width, heads, 2 * width, dropout=0.0, activation="gelu", batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        b = images.shape[0]
        patches = images.unfold(2, PATCH, PATCH).unfold(3, PATCH, PATCH)  # b,1,4,4,7,7
        patches = patches.reshape(b, -1, PATCH * PATCH)
        h = self.encoder(self.embed(patches) + self.pos)
        return self.head(self.norm(h).mean(dim=1))


class FashionMnistViT(SGDClassificationTask):
    """A tiny ViT; AdamW (0.9, 0.999), weight decay 0.05; baseline: warmup 5 % then cosine."""

    name = "fmnist-vit"
    description = "Fashion-MNIST, vision transformer (7x7 patches, 2 layers, width 32), AdamW"
    family = "adam"
    seed_lr = 1e-3
    lr_grid = (3.16e-4, 1e-3, 3.16e-3, 0.01)
    weight_decay = 0.05
    optimizer = torch.optim.AdamW
    optimizer_options: ClassVar[dict[str, Any]] = {}
    baseline_schedule_name = "warmup-cosine"
    split = "development"
    split_reason = (
        "development since 0.8.0; validation for 0.7.0, whose decision logs were read before "
        "the trust-region growth and exploit's agreement were changed. " + _DECLARED
    )
    long_ms_per_step = 10.5  # half of 300 steps timed with two processes per core
    budgets: ClassVar[dict[str, Budget]] = {
        "quick": Budget(steps=100, batch_size=64, num_evals=2, train_size=6000, test_size=1000),
        "standard": Budget(steps=600, batch_size=64, num_evals=4, train_size=20000, test_size=2000),
        "long": Budget(
            steps=2000, batch_size=32, num_evals=20, train_size=30000, test_size=5000,
            grid_seeds=None,
        ),
        "full": Budget(steps=5000, batch_size=128, num_evals=20, grid_seeds=None),
    }

    def load(self, budget: Budget, data_dir: str | None = None) -> ImageData:
        return load_fmnist_subset(budget, data_dir, flat=False, width=0)

    def build_model(self, data: ImageData) -> nn.Module:
        return TinyViT()


    evaluate = FashionMnistMLP.evaluate
