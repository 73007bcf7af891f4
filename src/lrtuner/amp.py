"""Mixed precision: learning from a ``torch.amp.GradScaler`` whether this step is skipped.

``GradScaler.step(optimizer)`` does not call ``optimizer.step()`` at all when it finds inf/NaN
gradients, so a tuner driven that way never hears of the skipped step. Instead the training
loop hands the scaler to the tuner::

    scaler.scale(loss).backward()
    tuner.step(loss=loss, grad_scaler=scaler)   # in place of scaler.step(tuner)
    scaler.update()

and :func:`scaler_found_inf` does what ``scaler.step`` would: unscale the gradients (unless the
loop already called ``scaler.unscale_(tuner)``, e.g. for gradient clipping) and read the inf
flag. Under a process group the flag is all-reduced and written back into the scaler, so every
rank skips the same steps and ``scaler.update()`` moves every rank's scale alike.

This reads ``GradScaler``'s per-optimizer bookkeeping (``_per_optimizer_states``), which
``torch.amp.GradScaler`` has kept unchanged since it was introduced.
"""

from __future__ import annotations

from typing import Any

import torch

from . import distributed as dist_utils


def scaler_found_inf(grad_scaler: Any, optimizer: torch.optim.Optimizer) -> bool:
    """Unscale ``optimizer``'s gradients if needed; True if the scaler skips this step.

    ``optimizer`` is the tuner; the loop may have called ``scaler.unscale_`` on it or on the
    optimizer it wraps (both are recognised, so gradients are never unscaled twice). After this
    call the scaler's stage for it is "stepped": a following ``scaler.step(tuner)`` raises, as
    it would after a real ``scaler.step``, and ``scaler.update()`` works as usual.
    """
    from torch.amp.grad_scaler import GradScaler, OptState

    if not isinstance(grad_scaler, GradScaler):
        raise ValueError(
            f"Invalid grad_scaler: {type(grad_scaler).__name__} is not a torch.amp.GradScaler"
        )
    if not grad_scaler.is_enabled():
        return False
    states = grad_scaler._per_optimizer_states
    inner = getattr(optimizer, "optimizer", None)  # the optimizer an LRTuner wraps
    if (
        inner is not None
        and id(inner) in states
        and states[id(inner)]["stage"] is not OptState.READY
    ):
        state = states[id(inner)]  # the loop called scaler.unscale_(wrapped): don't unscale twice
    else:
        state = states[id(optimizer)]
    if state["stage"] is OptState.STEPPED:
        raise ValueError(
            "Invalid grad_scaler: scaler.step() was already called since the last update(); "
            "call tuner.step(loss=..., grad_scaler=scaler) instead of scaler.step(tuner)"
        )
    if state["stage"] is OptState.READY:
        grad_scaler.unscale_(optimizer)
    flags = list(state["found_inf_per_device"].values())
    local = sum(float(f.item()) for f in flags)
    found = dist_utils.any_true(local > 0)
    if found and local == 0 and flags:
        flags[0].fill_(1.0)  # another rank found infs: make this rank's scaler.update() agree
    state["stage"] = OptState.STEPPED
    return found
