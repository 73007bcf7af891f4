"""``fmnist-mixer``: Fashion-MNIST with a small MLP-Mixer (7x7 patches), Adam, linear decay,
2000 steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .base import Budget
from .fmnist_vit import PATCH, FashionMnistViT

_DECLARED = (
    "declared after 0.16.0's validation, before any of its runs: an MLP-Mixer (patches mixed "
    "by an MLP across tokens, not by attention; pre-norm, GELU) with Adam at betas (0.9, "
    "0.98) and linear decay, 2000 steps; no rule was set or looked at on it"
)


class MixerBlock(nn.Module):
    """x + TokenMLP(LayerNorm(x)) across patches, then x + ChannelMLP(LayerNorm(x))."""

    def __init__(self, tokens: int, width: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(width)
        self.tokens = nn.Sequential(nn.Linear(tokens, 2 * tokens), nn.GELU(),
                                    nn.Linear(2 * tokens, tokens))
        self.norm2 = nn.LayerNorm(width)
        self.channels = nn.Sequential(nn.Linear(width, 2 * width), nn.GELU(),
                                      nn.Linear(2 * width, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # b, tokens, width
        x = x + self.tokens(self.norm1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.channels(self.norm2(x))


class TinyMixer(nn.Module):
    """16 patches of 7x7 pixels, linear patch embedding (width 48), 2 mixer blocks, a final
    LayerNorm, mean over patches, linear head."""

    def __init__(self, width: int = 48, layers: int = 2, classes: int = 10) -> None:
        super().__init__()
        tokens = (28 // PATCH) ** 2
        self.embed = nn.Linear(PATCH * PATCH, width)
        self.blocks = nn.Sequential(*(MixerBlock(tokens, width) for _ in range(layers)))
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        b = images.shape[0]
        patches = images.unfold(2, PATCH, PATCH).unfold(3, PATCH, PATCH)  # b,1,4,4,7,7
        h = self.blocks(self.embed(patches.reshape(b, -1, PATCH * PATCH)))
        return self.head(self.norm(h).mean(dim=1))


class FashionMnistMixer(FashionMnistViT):
    """A tiny MLP-Mixer on fmnist-vit's data; Adam (0.9, 0.98), no weight decay; baseline:
    linear decay to zero; metric: test accuracy."""

    name = "fmnist-mixer"
    description = "Fashion-MNIST, MLP-Mixer (7x7 patches, 2 blocks, width 48), Adam, linear decay"
    family = "adam"
    seed_lr = 1e-3
    lr_grid = (3.16e-4, 1e-3, 3.16e-3, 0.01)
    weight_decay = 0.0
    optimizer = torch.optim.Adam
    optimizer_options: ClassVar[dict[str, Any]] = {"betas": (0.9, 0.98)}
    baseline_schedule_name = "linear"
    split = "validation"
    split_reason = _DECLARED
    long_ms_per_step = 6.0  # a planning estimate (smaller than fmnist-vit)
    budgets: ClassVar[dict[str, Budget]] = FashionMnistViT.budgets

    def build_model(self, data: Any) -> nn.Module:
        return TinyMixer()
