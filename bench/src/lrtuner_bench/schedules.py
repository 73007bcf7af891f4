"""Learning-rate schedules as pure functions of ``(step, total)``.

Each function returns the *factor* applied to a peak learning rate at 0-based ``step`` of a run
of ``total`` steps, so ``lr = peak * factor``. The same factors drive optimizers whose nominal
LR is 1.0 (D-Adaptation, Prodigy). Fractions (milestones, warmup, explore) are of ``total``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

Schedule = Callable[[int, int], float]


def _check(step: int, total: int) -> None:
    if total <= 0:
        raise ValueError(f"Invalid total: {total} (must be positive)")
    if step < 0:
        raise ValueError(f"Invalid step: {step} (must be >= 0)")


def constant(step: int, total: int) -> float:
    """Always 1."""
    _check(step, total)
    return 1.0


def step_decay(
    step: int, total: int, milestones: Sequence[float] = (0.5, 0.75), gamma: float = 0.1
) -> float:
    """Staircase: multiply by ``gamma`` at each milestone (fractions of ``total``).

    The default is the paper's CIFAR-10 baseline shape: 0.1, 0.01, 0.001 for 50/25/25 % of
    the budget.
    """
    _check(step, total)
    drops = sum(1 for m in milestones if step >= round(m * total))
    return gamma**drops


def linear_decay(step: int, total: int, warmup: float = 0.0) -> float:
    """Optional linear warmup over ``warmup * total`` steps, then linear decay to 0 at ``total``.

    Without warmup the factor is ``1 - step / total``.
    """
    _check(step, total)
    w = round(warmup * total)
    if step < w:
        return (step + 1) / w
    return max(0.0, (total - step) / (total - w))


def warmup_inverse_sqrt(step: int, total: int, warmup: float = 0.1) -> float:
    """Transformer schedule: linear warmup to 1 over ``w = warmup * total`` steps, then
    ``sqrt(w / (step + 1))`` (inverse square-root decay), as in Vaswani et al. (2017)."""
    _check(step, total)
    w = max(1, round(warmup * total))
    s = step + 1
    return s / w if s <= w else math.sqrt(w / s)


def knee(step: int, total: int, explore: float = 0.5) -> float:
    """Explore-exploit "Knee" schedule (Iyer et al., 2020): 1 for the first
    ``explore * total`` steps, then linear decay reaching 0 at ``total``."""
    _check(step, total)
    e = round(explore * total)
    if step < e:
        return 1.0
    return max(0.0, (total - step) / (total - e))


def cosine(step: int, total: int) -> float:
    """Cosine decay from 1 at step 0 to 0 at ``total``: ``(1 + cos(pi * step / total)) / 2``."""
    _check(step, total)
    return 0.5 * (1.0 + math.cos(math.pi * min(step, total) / total))


#: warmup fraction of the warmup + cosine schedule (the calibrated configuration and the
#: tuned baseline of the tasks added for the long profile).
WARMUP_FRACTION = 0.05


def warmup_cosine(step: int, total: int, warmup: float = WARMUP_FRACTION) -> float:
    """Linear warmup to 1 over ``w = round(warmup * total)`` steps (factor ``(step + 1) / w``),
    then cosine decay to 0 at ``total``: ``(1 + cos(pi * (step - w) / (total - w))) / 2``."""
    _check(step, total)
    w = round(warmup * total)
    if step < w:
        return (step + 1) / w
    span = max(1, total - w)
    return 0.5 * (1.0 + math.cos(math.pi * min(step - w, span) / span))


def half_decade(k: int) -> float:
    """Point ``k`` of the absolute half-decade LR grid: ``10 ** (k / 2)``, rounded to 3
    significant digits (..., 0.01, 0.0316, 0.1, 0.316, 1, ...)."""
    return float(f"{10.0 ** (k / 2):.3g}")


def half_decade_index(lr: float) -> int:
    """The ``k`` with ``half_decade(k) == lr`` (nearest point); ``ValueError`` for ``lr <= 0``."""
    if not (lr > 0 and math.isfinite(lr)):
        raise ValueError(f"Invalid lr: {lr} (must be a positive number)")
    return round(2 * math.log10(lr))


def half_decade_grid(low: float, high: float) -> tuple[float, ...]:
    """The half-decade points from ``low`` to ``high`` inclusive (both must be grid points)."""
    lo, hi = half_decade_index(low), half_decade_index(high)
    if hi < lo:
        raise ValueError(f"Invalid grid: high {high} < low {low}")
    return tuple(half_decade(k) for k in range(lo, hi + 1))


SCHEDULES: dict[str, Schedule] = {
    "warmup-cosine": warmup_cosine,
    "constant": constant,
    "step": step_decay,
    "linear": linear_decay,
    "warmup-inverse-sqrt": warmup_inverse_sqrt,
    "knee": knee,
    "cosine": cosine,
}
