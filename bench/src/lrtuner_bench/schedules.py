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


SCHEDULES: dict[str, Schedule] = {
    "constant": constant,
    "step": step_decay,
    "linear": linear_decay,
    "warmup-inverse-sqrt": warmup_inverse_sqrt,
    "knee": knee,
    "cosine": cosine,
}
