"""Find the :class:`~lrtuner.LRTuner` inside the wrappers frameworks put around optimizers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..tuner import LRTuner

#: Attributes through which wrappers expose what they wrap: accelerate's
#: ``AcceleratedOptimizer.optimizer``, Lightning's ``LightningOptimizer._optimizer``.
WRAPPER_ATTRIBUTES = ("optimizer", "_optimizer")

#: Most wrappers followed from one object (a cycle of wrappers ends the search).
MAX_DEPTH = 8


def _unwrap_one(obj: Any) -> LRTuner | None:
    seen: set[int] = set()
    for _ in range(MAX_DEPTH):
        if obj is None or id(obj) in seen:
            return None
        if isinstance(obj, LRTuner):
            return obj
        seen.add(id(obj))
        obj = next(
            (getattr(obj, a) for a in WRAPPER_ATTRIBUTES if getattr(obj, a, None) is not None),
            None,
        )
    return None


def find_lrtuner(optimizers: Any) -> LRTuner | None:
    """The :class:`LRTuner` in ``optimizers``, or ``None``.

    ``optimizers`` is one optimizer or an iterable of them (Lightning's
    ``trainer.optimizers``); each is unwrapped through ``.optimizer`` / ``._optimizer``
    (accelerate's ``AcceleratedOptimizer``, Lightning's ``LightningOptimizer``), at most
    :data:`MAX_DEPTH` levels. The first tuner found is returned.
    """
    if optimizers is None:
        return None
    candidates: Iterable[Any] = (
        optimizers if isinstance(optimizers, (list, tuple)) else [optimizers]
    )
    for candidate in candidates:
        tuner = _unwrap_one(candidate)
        if tuner is not None:
            return tuner
    return None
