"""Fits with a known minimum, for the policy's exact tests (no tensors)."""

from __future__ import annotations

from lrtuner.probe import ClipBounds
from lrtuner.prober import FitResult


def quadratic(eps_min: float, bounds: ClipBounds) -> FitResult:
    """loss(eps) = 1 - 2 eps_min eps + eps^2: minimum at eps_min, probed at the bounds and 0."""
    eps = [bounds.lower, 0.0, bounds.upper]
    k1, k2 = -2.0 * eps_min, 1.0
    return FitResult(eps, bounds, 4, (1.0, k1, k2), [1.0 + k1 * e + k2 * e * e for e in eps], 12)
