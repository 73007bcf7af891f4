"""Pure maths of one LR decision: where to probe, how to fit, how to clip.

Everything here works on plain floats / NumPy arrays and has no side effects, so it can be
tested exactly and fuzzed.

Notation (paper, Section 2): the wrapped optimizer moves the parameters
:math:`\\theta_1 = \\theta_0 - \\eta d`. The loss after a step of size :math:`\\eta+\\epsilon`
along the same direction is modelled as

.. math::
    \\hat L(\\epsilon) = L(\\theta_0 - (\\eta + \\epsilon) d)
    \\approx k_0 + k_1 \\epsilon + k_2 \\epsilon^2,

whose minimiser is :math:`\\epsilon_{min} = -k_1 / (2 k_2)` when :math:`k_2 > 0`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .config import DEFAULTS

#: Narrowest clip range (and smallest LR) a fit can resolve: below it ``1/eps**2`` would
#: overflow, so :func:`clip_bounds` returns the empty range (no decision) instead.
MIN_PROBE_SCALE = 1e-150


@dataclass(frozen=True)
class ClipBounds:
    """Allowed perturbations ``lower <= eps <= upper`` (``lower <= 0 <= upper``, both finite).

    ``lower == upper == 0`` is the empty range: no decision possible. Any other range raises
    ``ValueError`` naming the offending bound.
    """

    lower: float
    upper: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lower) and self.lower <= 0.0):
            raise ValueError(f"Invalid lower: {self.lower} (need a finite value <= 0)")
        if not (math.isfinite(self.upper) and self.upper >= 0.0):
            raise ValueError(f"Invalid upper: {self.upper} (need a finite value >= 0)")


@dataclass(frozen=True)
class Proposal:
    """A fitted proposal: the clipped perturbation and why it has that value."""

    eps: float
    reason: str
    clipped: bool
    #: The fit's own one-step minimum (before ``horizon_factor``) lies beyond the upper clip
    #: bound, or the fit is not convex and falls towards larger LRs: the probed range did not
    #: contain the minimum. This, not ``clipped``, is the evidence the trust region grows on.
    one_step_beyond_upper: bool = False


def clip_bounds(
    lr: float,
    loss: float,
    epsilon_threshold: float | None,
    max_lr_factor: float = DEFAULTS.max_lr_factor,
    min_lr_fraction: float = DEFAULTS.min_lr_fraction,
) -> ClipBounds:
    """Range of perturbations a decision may take.

    * Paper rule (``epsilon_threshold = r`` given): :math:`|\\epsilon|^3 < r L`, i.e.
      :math:`|\\epsilon| \\le (r L)^{1/3}` (eq. 3), and :math:`\\eta + \\epsilon \\ge 10^{-3}\\eta`.
    * Automatic rule (``epsilon_threshold=None``): a trust region in log space,
      :math:`\\eta / g \\le \\eta + \\epsilon \\le g \\eta` with :math:`g` = ``max_lr_factor``.
      This is Appendix E's rule of thumb (clip width of the order of the LR) applied at every
      decision with the current LR instead of the seed LR.

    Non-finite or non-positive ``loss`` in the paper rule gives the tightest sensible bound
    (no move): callers treat a zero-width range as "no decision possible".

    Both rules keep :math:`\\eta + \\epsilon \\ge 10^{-3}\\eta` (``min_lr_fraction``) and
    :math:`\\eta + \\epsilon` finite. An ``lr`` or a range width below ``MIN_PROBE_SCALE``
    also gives the empty range. ``ValueError`` (naming the argument) for a non-finite or
    non-positive ``lr``, an ``lr`` so large that ``lr + upper`` overflows, and an invalid
    ``epsilon_threshold`` or ``max_lr_factor``.
    """
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"Invalid lr: {lr}")
    floor = min_lr_fraction * lr - lr  # eta + eps >= min_lr_fraction * eta
    if epsilon_threshold is None:
        if not (math.isfinite(max_lr_factor) and max_lr_factor > 1):
            raise ValueError(f"Invalid max_lr_factor: {max_lr_factor}")
        lower = max(lr / max_lr_factor - lr, floor)
        upper = (max_lr_factor - 1.0) * lr
    else:
        if not (math.isfinite(epsilon_threshold) and epsilon_threshold > 0):
            raise ValueError(f"Invalid epsilon_threshold: {epsilon_threshold}")
        if not (math.isfinite(loss) and loss > 0):
            return ClipBounds(lower=0.0, upper=0.0)
        # r^(1/3) * L^(1/3): the product r * L may overflow, the cube roots cannot
        width = epsilon_threshold ** (1.0 / 3.0) * loss ** (1.0 / 3.0)
        lower = max(-width, floor)
        upper = width
    if not (math.isfinite(upper) and math.isfinite(lr + upper)):
        raise ValueError(f"Invalid lr: {lr} (too large: lr + {upper} overflows)")
    if lr < MIN_PROBE_SCALE or upper < MIN_PROBE_SCALE:
        return ClipBounds(lower=0.0, upper=0.0)
    return ClipBounds(lower=min(lower, 0.0), upper=upper)


def probe_epsilons(
    lr: float, bounds: ClipBounds, num_probes: int, max_span: float | None = None
) -> list[float]:
    """Where to evaluate the loss: ``num_probes`` points including 0, on the scale of the LR.

    The samples span ``[max(lower, -lr/2), min(upper, max_span)]`` with ``max_span`` defaulting
    to the current LR: never far wider than the LR (a fit dominated by far points is what
    stalls a seed LR that is 1000x too small), never outside the clip range. 0 is always a
    sample; the negative side gets ``(n-1)//2`` points, the positive side the rest, evenly
    spaced. A side of zero width (``lower == 0`` or ``upper == 0``) gets no point and the other
    side all of them, so the points are always ``num_probes`` distinct values.

    ``ValueError`` for ``num_probes < 3``, an invalid ``lr`` or ``max_span``, and ``bounds``
    that are empty or too narrow to hold ``num_probes`` distinct floats.
    """
    if isinstance(num_probes, bool) or not isinstance(num_probes, int) or num_probes < 3:
        raise ValueError(f"Invalid num_probes: {num_probes!r} (need an int >= 3)")
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"Invalid lr: {lr}")
    span = lr if max_span is None else max_span
    if not (math.isfinite(span) and span > 0):
        raise ValueError(f"Invalid max_span: {max_span}")
    lo = max(bounds.lower, -0.5 * lr)
    hi = min(bounds.upper, span)
    if not (lo < 0.0 or hi > 0.0):
        raise ValueError(f"Invalid bounds: {bounds} is empty (no probe possible)")
    n_neg = (num_probes - 1) // 2 if lo < 0.0 else 0
    if not hi > 0.0:
        n_neg = num_probes - 1
    n_pos = num_probes - 1 - n_neg
    neg = [lo * (i / n_neg) for i in range(n_neg, 0, -1)]
    pos = [hi * (i / n_pos) for i in range(1, n_pos + 1)]
    eps = [*neg, 0.0, *pos]
    if len(set(eps)) < num_probes:
        raise ValueError(f"Invalid bounds: {bounds} too narrow for {num_probes} distinct probes")
    return eps


def design_matrix(epsilons: np.ndarray) -> np.ndarray:
    """Columns ``[1, eps, eps^2]`` for the least-squares fit."""
    e = np.asarray(epsilons, dtype=np.float64)
    return np.stack([np.ones_like(e), e, e * e], axis=1)


def fit_operator(epsilons: list[float] | np.ndarray) -> np.ndarray:
    """Linear map ``P`` with ``(k0, k1, k2) = P @ losses`` (least squares).

    The fit is done in the scaled variable ``u = eps / s`` (``s = max|eps|``) for conditioning
    and mapped back, so eps of any magnitude (1e-9 or 10) give accurate coefficients.
    Because the map is linear, the fit of the mean loss over batches equals the mean of the
    per-batch fits: that is what lets the superbatch be sized adaptively.

    ``ValueError`` for fewer than 3 distinct finite values, and for eps so small that
    ``1/eps**2`` overflows (the curvature would not be representable). The result is finite.
    """
    e = np.asarray(epsilons, dtype=np.float64)
    if e.ndim != 1 or e.size < 3:
        raise ValueError(f"Invalid epsilons: need >= 3 values, got {e.tolist()}")
    if not np.all(np.isfinite(e)):
        raise ValueError(f"Invalid epsilons: not finite: {e.tolist()}")
    scale = float(np.max(np.abs(e)))
    if scale == 0.0:
        raise ValueError(f"Invalid epsilons: all zero: {e.tolist()}")
    if np.unique(e).size < 3:
        raise ValueError(f"Invalid epsilons: need >= 3 distinct values, got {e.tolist()}")
    inv = 1.0 / scale
    inv2 = inv * inv  # float multiplication: inf on overflow (scale**2 would raise)
    if not (math.isfinite(inv) and math.isfinite(inv2)):
        raise ValueError(f"Invalid epsilons: max |eps| = {scale} is too small (1/eps**2 overflows)")
    with np.errstate(all="ignore"):  # u**2 may underflow for eps far below max|eps|: harmless
        pinv = np.linalg.pinv(design_matrix(e / scale))
        op = np.diag([1.0, inv, inv2]) @ pinv
    if not np.all(np.isfinite(op)):
        raise ValueError(f"Invalid epsilons: the fit is not representable for {e.tolist()}")
    return op


def fit_coefficients(operator: np.ndarray, losses: list[float] | np.ndarray) -> np.ndarray:
    """``(k0, k1, k2)`` of ``losses`` with a :func:`fit_operator`, exact on constant losses.

    Computed as ``P @ (y - y[0]) + (y[0], 0, 0)``: the same linear map as ``P @ y`` (the fit
    reproduces constants), but a loss that does not vary with eps gives exactly
    ``k1 = k2 = 0`` instead of rounding noise that would move the LR. Non-finite or
    overflowing losses give non-finite coefficients, never an exception; ``ValueError`` if
    the number of losses does not match the operator.
    """
    y = np.asarray(losses, dtype=np.float64)
    op = np.asarray(operator, dtype=np.float64)
    if op.ndim != 2 or op.shape[0] != 3 or y.shape != (op.shape[1],):
        raise ValueError(f"Invalid losses: need {op.shape[-1]} values, got shape {y.shape}")
    with np.errstate(all="ignore"):
        k = op @ (y - y[0])
        k[0] += y[0]
    return k


def fit_quadratic(epsilons: list[float] | np.ndarray, losses: list[float] | np.ndarray) -> tuple:
    """Least-squares coefficients ``(k0, k1, k2)`` of ``k0 + k1 eps + k2 eps^2``.

    See :func:`fit_operator` and :func:`fit_coefficients` for the errors and the exactness on
    constant losses.
    """
    k = fit_coefficients(fit_operator(epsilons), losses)
    return float(k[0]), float(k[1]), float(k[2])


def propose_epsilon(
    k1: float, k2: float, bounds: ClipBounds, lr: float = 0.0, horizon_factor: float = 1.0
) -> Proposal:
    """Minimiser of the fitted quadratic inside the clip range.

    * ``k2 > 0``: :math:`\\epsilon_{min} = -k_1/(2k_2)`; with ``horizon_factor`` H the LR
      :math:`H (\\eta + \\epsilon_{min})` (:func:`horizon_eps`, at ``lr``); clipped to the
      range. The clip applies after the factor, so the range keeps its meaning: the most a
      decision may move the LR. ``one_step_beyond_upper`` says whether the one-step minimum
      itself, before the factor, lies above the range.
    * ``k2 <= 0`` (concave or linear along d): the quadratic has no minimum; the loss falls
      fastest towards the boundary on the side of :math:`-k_1`; go there. ``k1 == 0`` too:
      no evidence, no move.
    * non-finite coefficients: no move.
    The result is always finite and inside ``[lower, upper]``.
    """
    if not (math.isfinite(k1) and math.isfinite(k2)):
        return Proposal(0.0, "fit is not finite", False)
    if bounds.upper <= 0.0 and bounds.lower >= 0.0:
        return Proposal(0.0, "clip range is empty", True)
    if k2 > 0:
        raw = -k1 / (2.0 * k2)
        if not math.isfinite(raw):
            raw = math.copysign(math.inf, -k1)
        beyond = raw > bounds.upper
        if math.isfinite(raw):
            raw = horizon_eps(lr, raw, horizon_factor)
        if raw > bounds.upper:
            return Proposal(bounds.upper, "minimum beyond the upper clip bound", True, beyond)
        if raw < bounds.lower:
            return Proposal(bounds.lower, "minimum beyond the lower clip bound", True)
        return Proposal(raw, "minimum of the fitted quadratic", False)
    if k1 < 0:
        return Proposal(
            bounds.upper, "fit is not convex; loss falls towards larger LR", True, True
        )
    if k1 > 0:
        return Proposal(bounds.lower, "fit is not convex; loss falls towards smaller LR", True)
    return Proposal(0.0, "fit is flat", False)


def horizon_eps(lr: float, eps: float, factor: float) -> float:
    """The change that sets the LR to ``factor`` times the fitted one-step optimum:
    :math:`\\epsilon_H = H (\\eta + \\epsilon) - \\eta`. ``factor = 1`` returns ``eps``.

    The quadratic's minimum is the LR that is best for *one* step along ``d``; a run is judged
    after many. From the same state, the LR whose loss is lowest after 300 steps (and a
    short anneal) lies at 1-8 times (geometric mean 2) the one-step optimum on eight
    development tasks (``benchmarks/results/horizon-dev``), because a larger LR keeps paying
    off along low-curvature directions after its extra noise along high-curvature ones has
    been cooled away. ``H`` shifts the fixed point of the fits from the one-step optimum to ``H``
    times it.
    """
    if factor == 1.0:
        return eps
    return factor * (lr + eps) - lr


def spread_from_sums(
    count: float, total: np.ndarray, total_sq: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error of per-batch coefficients from their running sums.

    ``total = sum_b c_b`` and ``total_sq = sum_b c_b**2`` (element-wise), over ``count``
    batches. The standard error is ``inf`` below two batches. Sums, not rows, are kept so
    that ranks can all-reduce them. ``ValueError`` for ``count < 1``; overflowing or non-finite
    sums give non-finite results, never an exception.
    """
    if not (math.isfinite(count) and count >= 1):
        raise ValueError(f"Invalid count: {count} (need >= 1 batch)")
    with np.errstate(all="ignore"):
        mean = np.asarray(total, dtype=np.float64) / count
        if count < 2:
            return mean, np.full_like(mean, np.inf)
        var = np.maximum(np.asarray(total_sq) / count - mean**2, 0.0) * count / (count - 1)
        return mean, np.sqrt(var / count)


def decision_is_resolved(
    mean: np.ndarray,
    stderr: np.ndarray,
    bounds: ClipBounds,
    tolerance: float,
    direction: int = 0,
    z: float = DEFAULTS.resolve_z,
    lr: float = 0.0,
    horizon_factor: float = 1.0,
) -> bool:
    """Is the decision known to within ``tolerance`` (absolute, in LR units)?

    The proposal is recomputed at the four corners ``(k1 ± z se1, k2 ± z se2)``; the decision is
    resolved when every corner lands within ``tolerance`` of the proposal at the mean. Only the
    part of a proposal the phase can accept matters: ``direction=+1`` (explore) compares
    ``max(eps, 0)``, ``-1`` (exploit) ``min(eps, 0)``, ``0`` the raw proposal. This is what
    lets the superbatch stop early: once more batches cannot change the decision by more than
    the tolerance, they are not drawn. With ``horizon_factor`` H the acted part is that of
    :func:`propose_epsilon` with H (at ``lr``), and the tolerance scales with H, so the fit
    itself is resolved to the same precision. ``ValueError`` unless ``mean`` and ``stderr``
    hold 3 coefficients; non-finite values give ``False``.
    """
    mean = np.asarray(mean, dtype=np.float64)
    stderr = np.asarray(stderr, dtype=np.float64)
    if mean.shape != (3,):
        raise ValueError(f"Invalid mean: need 3 coefficients, got shape {mean.shape}")
    if stderr.shape != (3,):
        raise ValueError(f"Invalid stderr: need 3 coefficients, got shape {stderr.shape}")
    if not np.all(np.isfinite(stderr)) or not np.all(np.isfinite(mean)):
        return False

    tolerance = tolerance * horizon_factor

    def acted(k1: float, k2: float) -> float:
        eps = propose_epsilon(k1, k2, bounds, lr, horizon_factor).eps
        if direction > 0:
            return max(eps, 0.0)
        if direction < 0:
            return min(eps, 0.0)
        return eps

    centre = acted(float(mean[1]), float(mean[2]))
    for s1 in (-1.0, 1.0):
        for s2 in (-1.0, 1.0):
            with np.errstate(all="ignore"):
                k1 = float(mean[1] + s1 * z * stderr[1])
                k2 = float(mean[2] + s2 * z * stderr[2])
            if abs(acted(k1, k2) - centre) > tolerance:
                return False
    return True
