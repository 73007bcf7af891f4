"""Guards of the step: finite loss and gradients, a probe-able direction, probe failures.

* :class:`GradientCheck`: is every gradient on this rank finite? One fused NaN/inf test per
  device and dtype (:func:`gradcheck.any_nonfinite`), the parameters grouped once.
* :func:`step_fault`: what is wrong with a step before it is taken (a non-finite training
  loss, a step the GradScaler skipped, non-finite gradients), as one :class:`StepFault` that
  the tuner handles in one place: the step is not applied, a pending change is rolled back
  where that is allowed, and the fault is recorded.
* :func:`direction_defect`: why a step direction cannot be probed.
* :func:`run_guarded`: a probe that raised becomes a skipped decision (``probe_errors="warn"``)
  or is re-raised (``"raise"``); the probe session has restored the state already.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import torch

from . import distributed as dist_utils
from .gradcheck import any_nonfinite
from .superbatch import EmptyProbeDataError

_T = TypeVar("_T")


class GradientCheck:
    """The per-step finite-gradient test; the grouping is rebuilt when param groups change."""

    def __init__(self) -> None:
        self._plan: tuple[tuple[int, ...], list[tuple[list[torch.Tensor], bool]]] | None = None

    def local_finite(self, optimizer: torch.optim.Optimizer) -> bool:
        """True if every gradient of ``optimizer``'s parameters on this rank is finite (the
        gradients are left as they are)."""
        for params, sharded in self._groups(optimizer):
            grads = []
            for p in params:
                g = p.grad
                if g is None:
                    continue
                if sharded:
                    g = dist_utils.local_tensor(g)
                grads.append(g.coalesce().values() if g.is_sparse else g)
            if any_nonfinite(grads):
                return False
        return True

    def _groups(self, optimizer: torch.optim.Optimizer) -> list[tuple[list[torch.Tensor], bool]]:
        """Parameters grouped by (device, dtype), each group flagged if it holds DTensors."""
        key = tuple(len(g["params"]) for g in optimizer.param_groups)
        if self._plan is None or self._plan[0] != key:
            groups: dict[tuple[Any, torch.dtype], list[torch.Tensor]] = {}
            for g in optimizer.param_groups:
                for p in g["params"]:
                    groups.setdefault((p.device, p.dtype), []).append(p)
            plan = [(ps, any(dist_utils.is_dtensor(p) for p in ps)) for ps in groups.values()]
            self._plan = (key, plan)
        return self._plan[1]


def loss_value(loss: torch.Tensor | float | None) -> float | None:
    """The training loss as a float (``None`` when the step gave none)."""
    if loss is None:
        return None
    return float(loss.detach()) if isinstance(loss, torch.Tensor) else float(loss)


@dataclass(frozen=True)
class StepFault:
    """Why a step is not applied: the record's reason, and the reason of a rollback when the
    fault may undo a pending change (``None``: it may not)."""

    skip_reason: str
    rollback_reason: str | None


def step_fault(
    loss_value: float | None, scaler_skip: bool, grads_finite: bool
) -> StepFault | None:
    """The fault of a step, checked in this order: the training loss (all-reduced), the
    GradScaler's verdict, the gradients (all ranks agree); ``None`` for a sound step."""
    if loss_value is not None and not math.isfinite(loss_value):
        what = f"training loss is {loss_value}"
        return StepFault(f"{what}; step not applied", f"{what}; change undone")
    if scaler_skip:
        return StepFault("GradScaler found inf/NaN gradients; step not applied, not probed", None)
    if not grads_finite:
        what = "gradients are not finite"
        return StepFault(f"{what}; step not applied", f"{what}; change undone")
    return None


def direction_defect(delta: list[torch.Tensor]) -> str | None:
    """Why a step direction cannot be probed (agreed on by every rank), or ``None``."""
    if not dist_utils.all_true(all(bool(torch.isfinite(d).all()) for d in delta)):
        return "step direction is not finite"
    if not dist_utils.any_true(any(bool(d.any()) for d in delta)):
        return "the wrapped optimizer did not move the parameters (skipped step)"
    return None


def run_guarded(
    run: Callable[[], _T], probe_errors: str, what: str, prefix: str
) -> tuple[_T | None, str | None]:
    """``(run(), None)``, or ``(None, reason)`` for a probe that failed: empty probe data, or
    an exception of ``probe_loss`` (warned; re-raised with ``probe_errors="raise"``)."""
    try:
        return run(), None
    except EmptyProbeDataError as exc:
        return None, f"{prefix}{exc}"
    except Exception as exc:
        if probe_errors == "raise":
            raise
        warnings.warn(f"LRTuner: probe_loss raised {exc!r}; {what} skipped", stacklevel=5)
        return None, f"{prefix}probe raised {exc!r}; state restored"
