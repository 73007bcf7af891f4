"""Guards of the step: finite loss and gradients, a probe-able direction, probe failures.

* :class:`GradientCheck`: is every gradient on this rank finite? One fused NaN/inf test per
  device and dtype (:func:`gradcheck.any_nonfinite`), the parameters grouped once.
* :func:`step_fault`: what is wrong with a step before it is taken (a non-finite training
  loss, a step the GradScaler skipped, non-finite gradients), as one :class:`StepFault` that
  the tuner handles in one place: the step is not applied, a pending change is rolled back
  where that is allowed, and the fault is recorded.
* :func:`direction_defect`: why a step direction cannot be probed.
* :func:`run_guarded`: a probe that raised becomes a skipped decision (``probe_errors="warn"``)
  or is re-raised (``"raise"``); the probe session has restored the state already. A
  ``probe_loss`` that returns no scalar loss (:func:`probe_loss_value`) is a usage error and is
  always raised, at the first probe.
* :func:`loss_value`: the training loss given to ``step(loss=...)``, a scalar or ``ValueError``
  / ``TypeError`` naming ``loss``; :class:`LossWatch` warns once when a run gives none.
* :class:`WeightGuard`: after each wrapped step, are the parameters still finite? A step that
  made them non-finite from finite gradients (Adam with ``eps=0`` and a zero gradient, an
  update that overflows) is undone from a pre-step copy. Cost: one fused NaN/inf test over the
  parameters per step (the same kernel as the gradient check); a full pre-step copy of the
  parameters and the optimizer state is kept only for the first step and, once a step has had
  to be undone, for every step after it.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import torch

from . import distributed as dist_utils
from .gradcheck import any_nonfinite
from .snapshot import TrainingSnapshot
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

    def params_finite(self, optimizer: torch.optim.Optimizer) -> bool:
        """True if every parameter of ``optimizer`` is finite (all ranks agree when sharded)."""
        finite, sharded_any = True, False
        for params, sharded in self._groups(optimizer):
            sharded_any = sharded_any or sharded
            tensors = [(dist_utils.local_tensor(p) if sharded else p).detach() for p in params]
            finite = finite and not any_nonfinite([t for t in tensors if not t.is_sparse])
        # replicated parameters (DDP) are the same on every rank: no all-reduce needed
        return dist_utils.all_true(finite) if sharded_any else finite

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
    """The training loss as a float (``None`` when the step gave none); ``ValueError`` for a
    tensor of more than one element, ``TypeError`` for what is not a number."""
    if loss is None:
        return None
    if isinstance(loss, torch.Tensor):
        if loss.numel() != 1:
            raise ValueError(
                f"Invalid loss: a tensor of shape {tuple(loss.shape)}; step(loss=...) takes "
                "the mean training loss of the step, a scalar (e.g. loss.mean())"
            )
        return float(loss.detach())
    if isinstance(loss, bool) or not isinstance(loss, numbers.Real):
        raise TypeError(
            f"Invalid loss: {_short(loss)} (need the training loss as a scalar tensor or a number)"
        )
    return float(loss)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class ProbeLossMisuse(Exception):
    """``probe_loss`` returned no scalar loss: raised at the first probe, never skipped."""


class ProbeLossTypeError(ProbeLossMisuse, TypeError):
    pass


class ProbeLossShapeError(ProbeLossMisuse, ValueError):
    pass


def probe_loss_value(out: Any) -> torch.Tensor:
    """What ``probe_loss`` returned, as a float64 scalar tensor: a one-element tensor, or a
    Python/NumPy real number; anything else raises :class:`ProbeLossMisuse` naming it."""
    if isinstance(out, torch.Tensor):
        if out.numel() != 1:
            raise ProbeLossShapeError(
                f"Invalid probe_loss: probe_loss returned a tensor of shape {tuple(out.shape)}; "
                "it must return the mean loss of the batch, a scalar (reduction='mean')"
            )
        if out.dtype in (torch.float16, torch.bfloat16):
            warnings.warn(
                f"LRTuner: probe_loss returned a {out.dtype} loss; compute it in float32 "
                "(e.g. cast the logits) so the fit can resolve small loss differences",
                stacklevel=4,
            )
        return out.detach().to(torch.float64).reshape(())
    if isinstance(out, numbers.Real) and not isinstance(out, bool):
        return torch.tensor(float(out), dtype=torch.float64)
    raise ProbeLossTypeError(
        f"Invalid probe_loss: probe_loss returned {_short(out)}; it must return the loss of "
        "the batch as a scalar tensor (or a float)"
    )


class LossWatch:
    """Warns once when the training loss never reaches the tuner (no ``loss=``, no closure)."""

    def __init__(self) -> None:
        self.seen = False
        self.warned = False

    def note(self, value: float | None) -> None:
        self.seen = self.seen or value is not None

    def at_decision(self, steps: int) -> None:
        """A decision boundary after ``steps`` optimizer steps."""
        if self.seen or self.warned:
            return
        self.warned = True
        warnings.warn(
            f"LRTuner: no training loss in {steps} steps (step() got no loss= and no closure). "
            "Without it the loss-drop rate is not measured: exploit never fits and an LR "
            "change is never judged for rollback. Call tuner.step(loss=loss) (or "
            "tuner.observe_loss(loss) before step())",
            stacklevel=4,
        )


class WeightGuard:
    """Undoes a wrapped step that made the parameters non-finite (see the module docstring).

    :meth:`pre_step` is the copy to undo from (``None`` when none is kept); :meth:`fault`
    records a poisoned step: it warns once, and from then on every step is copied.
    """

    WHAT = "the wrapped optimizer's step made the weights non-finite (the gradients were finite)"

    def __init__(self) -> None:
        self.copy_each_step = True  # the first step
        self.faults = 0

    def pre_step(
        self, params: Sequence[torch.Tensor], optimizer: torch.optim.Optimizer, step: int
    ) -> TrainingSnapshot | None:
        if not self.copy_each_step:
            return None
        return TrainingSnapshot.capture(params, optimizer, [], step)

    def clean(self) -> None:
        """A sound step: without a fault so far, no more copies."""
        if not self.faults:
            self.copy_each_step = False

    def fault(self, step: int) -> None:
        self.faults += 1
        self.copy_each_step = True
        if self.faults == 1:
            warnings.warn(
                f"LRTuner: at step {step} {self.WHAT} (e.g. eps=0 in an Adam-type optimizer "
                "with a zero gradient, or an update that overflows); the step is undone and "
                "recorded, and every later step is copied first so that it can be undone too",
                stacklevel=5,
            )

    def cannot_undo(self, step: int) -> FloatingPointError:
        return FloatingPointError(
            f"LRTuner: at step {step} {self.WHAT}, and no copy of the state before it is held, "
            "so it cannot be undone (causes: eps=0 in an Adam-type optimizer with a zero "
            "gradient, an update that overflows). Fix the optimizer's settings and resume "
            "from the last checkpoint"
        )


@dataclass(frozen=True)
class StepFault:
    """Why a step is not applied: the record's reason, and the reason of a rollback when the
    fault may undo a pending change or signal divergence (``None``: it may not); ``cause``
    says what was wrong."""

    skip_reason: str
    rollback_reason: str | None
    cause: str = ""


def step_fault(
    loss_value: float | None, scaler_skip: bool, grads_finite: bool
) -> StepFault | None:
    """The fault of a step, checked in this order: the training loss (all-reduced), the
    GradScaler's verdict, the gradients (all ranks agree); ``None`` for a sound step."""
    if loss_value is not None and not math.isfinite(loss_value):
        what = f"training loss is {loss_value}"
        return StepFault(f"{what}; step not applied", f"{what}; change undone", what)
    if scaler_skip:
        return StepFault("GradScaler found inf/NaN gradients; step not applied, not probed", None)
    if not grads_finite:
        what = "gradients are not finite"
        return StepFault(f"{what}; step not applied", f"{what}; change undone", what)
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
    except ProbeLossMisuse:
        raise
    except Exception as exc:
        if probe_errors == "raise":
            raise
        warnings.warn(f"LRTuner: probe_loss raised {exc!r}; {what} skipped", stacklevel=5)
        return None, f"{prefix}probe raised {exc!r}; state restored"
