"""Drawing probe minibatches from a re-iterable source without touching the training RNG.

A :class:`BatchCursor` walks ``probe_data`` epoch after epoch. Every ``iter()`` and ``next()``
runs under a forked CPU RNG whose state the cursor owns (seeded from ``seed`` and the epoch),
so a shuffling DataLoader neither consumes nor perturbs the training loop's random stream, and
the order of probe batches is a pure function of ``(seed, epoch, index)``. That is what makes
resume exact: a restored cursor re-creates the epoch's iterator and skips ``index`` batches.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import torch

_EPOCH_SEED_STRIDE = 1_000_003


class EmptyProbeDataError(RuntimeError):
    """``probe_data`` produced no batch in a whole pass."""


def check_probe_data(probe_data: Any) -> None:
    """Raise ``ValueError`` for sources that cannot serve superbatches."""
    if probe_data is None:
        raise ValueError("Invalid probe_data: None (pass a DataLoader or a list of batches)")
    if not isinstance(probe_data, Iterable):
        raise ValueError(f"Invalid probe_data: {type(probe_data).__name__} is not iterable")
    if isinstance(probe_data, Iterator):
        raise ValueError(
            f"Invalid probe_data: {type(probe_data).__name__} is a one-shot iterator; "
            "pass something re-iterable (a DataLoader or a list of batches)"
        )
    try:
        length = len(probe_data)  # type: ignore[arg-type]
    except TypeError:
        return
    if length == 0:
        raise ValueError("Invalid probe_data: it is empty (len 0)")


class BatchCursor:
    """Endless, reproducible walk over a re-iterable ``probe_data``."""

    def __init__(self, probe_data: Iterable[Any], seed: int) -> None:
        check_probe_data(probe_data)
        self.probe_data = probe_data
        self.seed = int(seed)
        self.epoch = 0
        self.index = 0
        self._iterator: Iterator[Any] | None = None
        self._rng_state: torch.Tensor | None = None

    def _epoch_rng_state(self, epoch: int) -> torch.Tensor:
        gen = torch.Generator().manual_seed(self.seed * _EPOCH_SEED_STRIDE + epoch)
        return gen.get_state()

    def _call_isolated(self, fn):
        with torch.random.fork_rng(devices=[]):
            torch.set_rng_state(self._rng_state)
            out = fn()
            self._rng_state = torch.get_rng_state()
        return out

    def _open_epoch(self, skip: int) -> None:
        self._rng_state = self._epoch_rng_state(self.epoch)
        self._iterator = self._call_isolated(lambda: iter(self.probe_data))
        for _ in range(skip):
            self._call_isolated(lambda: next(self._iterator))

    def next_batch(self) -> Any:
        """The next batch; wraps to a new epoch when a pass ends."""
        if self._iterator is None:
            self._open_epoch(self.index)
        for attempt in range(2):
            try:
                batch = self._call_isolated(lambda: next(self._iterator))
            except StopIteration:
                if attempt == 1 or self.index == 0:
                    self._iterator = None  # re-iterate next time: the source may refill
                    raise EmptyProbeDataError(
                        "probe_data yielded no batch in a whole pass"
                    ) from None
                self.epoch += 1
                self.index = 0
                self._open_epoch(0)
                continue
            self.index += 1
            return batch
        raise EmptyProbeDataError("probe_data yielded no batch in a whole pass")

    def state_dict(self) -> dict[str, int]:
        return {"seed": self.seed, "epoch": self.epoch, "index": self.index}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.seed = int(state["seed"])
        self.epoch = int(state["epoch"])
        self.index = int(state["index"])
        self._iterator = None
