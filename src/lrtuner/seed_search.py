r"""Seed-LR search: one look along the first step direction, on a log grid of learning rates.

A seed LR orders of magnitude too small cannot be repaired by the explore phase alone (each
fit may raise the LR by a bounded factor, and a short run has few fits), and one too large
can wreck the first steps before any fit. So at the first
optimizer step the tuner takes the wrapped optimizer's step at the seed LR :math:`\eta`,
which gives :math:`\delta = \theta_0 - \theta_1 = \eta d`, and measures the loss of a few
probe minibatches at

.. math::
    \theta_0 - m\,\delta, \qquad m \in \{1, \sqrt{10}, 10, \dots\}
    \ \text{(up; if the step at } \eta \text{ already makes the loss worse: }
    \{1, 10^{-1/2}, 10^{-1}, \dots\}\text{, down)}

until the minimum along the line has been passed. With :math:`m^*` the minimiser (refined by a
parabola through the grid points around it), the LR becomes

.. math::
    \eta \leftarrow \eta\, m^* / 20 .

For SGD (with or without momentum) and Adam-type optimizers the first step is proportional to
the LR along a direction that does not depend on it, so :math:`m^*\eta` and the LR after the
search do not depend on the seed LR either (up to the grid and noise): the search replaces the
seed rather than nudging it.

Why a fraction of the one-step optimum: :math:`m^*\eta` is the greedy LR that minimises the
loss after one update along :math:`d`; as a training LR it overshoots (momentum multiplies the
step by up to :math:`1/(1-\beta)`, and curvature grows in the first steps). The LR range test
uses "a tenth of the LR at the loss minimum" for the same reason. On the four benchmark tasks
(SGD-momentum and Adam/AdamW, from scratch and fine-tuning) the tuned LR is 1/10 to 1/20 of the
one-step optimum at initialisation; 20 is used because the errors are not symmetric: explore
can raise a low LR, but lowers a high one only once the training loss visibly rises.

The search is a safe start, not the answer: on tasks outside the four above the tuned LR
ranges from 1/20 to 2x the one-step optimum, so the explore phase that follows is free to
raise the LR as far as its fits keep asking (with a trust region that grows on consistent
requests, rule 1), guarded by rollback.

An *inconclusive* search, one where no grid point lowers the probe loss measurably (the
resolution test of :func:`seed_lr_from_search`), says nothing about the LR: the step's
direction was not a descent direction for the probe minibatches. With minibatches of 2-4
examples this happens at initialisation on one training seed in three (digits-tinybatch and
digits-noisymlp, seed 1). Since 0.12.0 the tuner then searches again at the next step, along
that step's direction and on new probe minibatches, up to ``search_attempts`` (3) searches in
all; the seed LR is kept only when all of them are inconclusive. 0.11.0 kept it after the
first, and a seed 10x too high then stayed (both runs ended at chance, 0.100); the second
step's search was conclusive on all six development searches where the first was not, and
those runs ended at 0.978-0.980 (``benchmarks/results/search-retry-dev``). Where the first
search is conclusive nothing changes.

When it fails: a first step whose direction is dominated by noise (tiny probe set, huge
label noise) gives a noisy :math:`m^*`; an architecture whose good LR is a much smaller
fraction of its one-step optimum at initialisation (one that needs a long warmup) gets too
large an LR, which explore does not lower unless the training loss visibly rises (then
rollback and explore's "loss is rising" rule act).

Everything here is pure: the tuner evaluates the losses, these functions pick the next grid
point and the resulting LR. Their constants (grid ratio and range, safety factor, minibatches)
are fields of :class:`~lrtuner.config.TunerConfig`; the keyword defaults are its defaults.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .config import DEFAULTS


@dataclass(frozen=True)
class SeedSearchResult:
    """Outcome of a search: the LR to use, whether it differs from the seed, and why.

    ``inconclusive``: no point on the grid lowered the loss measurably (beyond the resolution
    test), so the line says nothing about the LR; the tuner then searches the next step's
    direction (``search_attempts``)."""

    lr: float
    changed: bool
    reason: str
    inconclusive: bool = False
    #: the line's one-step optimum as an LR, :math:`\eta m^*` (``None`` when the line located
    #: none: an inconclusive search or a non-finite probe loss)
    one_step_lr: float | None = None


def next_multiplier(
    multipliers: Sequence[float],
    losses: Sequence[float],
    loss0: float,
    *,
    grid_ratio: float = DEFAULTS.grid_ratio,
    max_multiplier: float = DEFAULTS.max_multiplier,
    min_multiplier: float = DEFAULTS.min_multiplier,
    bracket_on_grid: bool = DEFAULTS.search_bracket_on_grid,
) -> float | None:
    """The next grid point to evaluate, or ``None`` when the search is done.

    ``multipliers``/``losses`` are the points evaluated so far, in evaluation order (the first
    is always 1); ``loss0`` is the loss at :math:`\\theta_0` (multiplier 0). Upward when the step
    at the seed LR does not make the loss worse, until the loss exceeds ``loss0`` (the line
    minimum has been passed); downward otherwise, until the loss rises again below a point
    that improves on ``loss0``. Neighbouring points are ``grid_ratio`` apart, and the walk
    stays within ``[min_multiplier, max_multiplier]``.

    ``bracket_on_grid`` (0.15.0): when the upward walk has ended and its best point is its
    first, :math:`m = 1`, the walk goes on downward (as the downward walk does) until the best
    point has a measured grid point below it, so that :func:`refine_minimum` fits its parabola
    through three grid points. Without it the parabola's lower point is :math:`m = 0`, a
    whole line away: a seed LR just below the one-step optimum then refines it differently
    from a seed far below it (shakespeare-gpt, seed 0: 10.5x the tuned peak from a seed 10x
    the peak, 6.97x from the peak; one grid ratio apart is 3.2x).
    """
    if not multipliers:
        return 1.0
    if not math.isfinite(loss0):
        return None
    upward = math.isfinite(losses[0]) and losses[0] <= loss0
    last_m, last_loss = multipliers[-1], losses[-1]
    if upward:
        extending = len(multipliers) >= 2 and last_m < multipliers[-2]
        if extending or not math.isfinite(last_loss) or last_loss > loss0:
            if not bracket_on_grid:
                return None
            return _lower_bracket(multipliers, losses, grid_ratio, min_multiplier)
        nxt = last_m * grid_ratio
        return nxt if nxt <= max_multiplier * (1 + 1e-9) else None
    if len(multipliers) >= 2:
        prev_loss = losses[-2]
        if (
            math.isfinite(prev_loss)
            and prev_loss < loss0
            and math.isfinite(last_loss)
            and last_loss >= prev_loss
        ):
            return None
    nxt = last_m / grid_ratio
    return nxt if nxt >= min_multiplier * (1 - 1e-9) else None


def _lower_bracket(
    multipliers: Sequence[float], losses: Sequence[float], grid_ratio: float,
    min_multiplier: float,
) -> float | None:
    """After an upward walk: the grid point below the lowest one measured while the best
    finite point is that lowest one (its lower neighbour would be :math:`m = 0`), else ``None``."""
    finite = [(m, x) for m, x in zip(multipliers, losses, strict=True) if math.isfinite(x)]
    if not finite:
        return None
    lowest = min(m for m, _ in finite)
    best = min(finite, key=lambda p: p[1])[0]
    if best != lowest:
        return None
    nxt = lowest / grid_ratio
    return nxt if nxt >= min_multiplier * (1 - 1e-9) else None


def refine_minimum(multipliers: Sequence[float], losses: Sequence[float]) -> float:
    """Minimiser of the losses over the grid, refined by a parabola in :math:`m`.

    The parabola passes through the best grid point and its two neighbours (in :math:`m`, so a
    loss exactly quadratic along :math:`d` gives its exact minimiser); its vertex is kept only
    when it is convex, and clipped to the neighbours. Non-finite points are left out; at the
    edge of the grid the best grid point itself is returned.
    """
    pairs = zip(multipliers, losses, strict=True)
    points = sorted((m, loss) for m, loss in pairs if math.isfinite(loss))
    if not points:
        raise ValueError("Invalid losses: none is finite")
    best = min(range(len(points)), key=lambda i: points[i][1])
    m1, l1 = points[best]
    if best == 0 or best == len(points) - 1:
        return m1
    (m0, l0), (m2, l2) = points[best - 1], points[best + 1]
    # divided differences of the parabola through the three points
    s01 = (l1 - l0) / (m1 - m0)
    s12 = (l2 - l1) / (m2 - m1)
    curvature = (s12 - s01) / (m2 - m0)
    if not curvature > 0:
        return m1
    slope_at_m1 = s01 + curvature * (m1 - m0)
    vertex = m1 - slope_at_m1 / (2 * curvature)
    return min(max(vertex, m0), m2)


def seed_lr_from_search(
    lr: float,
    loss0: float,
    multipliers: Sequence[float],
    losses: Sequence[float],
    *,
    resolution: float = 0.0,
    resolution_steps: float = DEFAULTS.search_resolution_steps,
    safety_factor: float = DEFAULTS.safety_factor,
    min_relative_change: float = DEFAULTS.min_relative_change,
) -> SeedSearchResult:
    """The LR after the search: ``1/safety_factor`` of the one-step optimum.

    The point :math:`m = 0` (loss ``loss0``) takes part in the refinement, so an optimum
    between 0 and the first grid point is located too. A change below
    ``min_relative_change`` of the LR keeps the seed LR as it is.

    The resolution test (0.11.0): the best point must lower the mean loss by more than
    ``resolution_steps`` (2) rounding steps of the arithmetic at the loss's magnitude,
    :math:`L_0 - \\bar L(m_{best}) > 2 r` with ``resolution`` :math:`r = \\epsilon |L_0|`;
    otherwise no LR on the grid lowers the loss measurably, and the seed LR is kept, as when
    none lowers it at all. A difference of one rounding step can come from rounding either
    loss; two is the least beyond it.

    Why: with minibatches of 4 (digits-noisymlp, development since 0.11.0) the first step's
    direction raised the probe loss at every multiplier down to :math:`10^{-4}`, in
    proportion to it (an ascent direction for the probe minibatches, within their noise), and
    the downward walk ended on a "minimum" at :math:`3 \\cdot 10^{-5}` of the seed LR that
    lowered the loss by :math:`9 \\cdot 10^{-8}`, a third of one float32 rounding step at a
    loss of 2.3; the LR was set 40 million times below the tuned one, and that run ended at
    22% accuracy.
    """
    if not math.isfinite(loss0) or not any(math.isfinite(x) for x in losses):
        return SeedSearchResult(lr, False, "seed search: probe loss is not finite; LR kept")
    best_loss = min(x for x in losses if math.isfinite(x))
    if best_loss >= loss0:
        return SeedSearchResult(
            lr, False, "seed search: no LR on the grid lowers the loss; LR kept", True
        )
    margin = resolution_steps * resolution
    if not loss0 - best_loss > margin:
        return SeedSearchResult(
            lr,
            False,
            f"seed search: no LR on the grid lowers the loss by more than {resolution_steps:g} "
            f"rounding steps ({loss0 - best_loss:.3g} <= {margin:.3g}); LR kept",
            True,
        )
    m_star = refine_minimum([0.0, *multipliers], [loss0, *losses])
    where = f"one-step loss minimal at {m_star:.3g} x the seed LR"
    return _fraction_of(lr, lr * m_star, where, "it", safety_factor, min_relative_change)


def _fraction_of(
    lr: float, one_step_lr: float, where: str, of: str, safety_factor: float,
    min_relative_change: float,
) -> SeedSearchResult:
    """``1/safety_factor`` of ``one_step_lr``, or the seed LR ``lr`` when that is within
    ``min_relative_change`` of it."""
    proposed = one_step_lr / safety_factor
    if abs(proposed - lr) < min_relative_change * lr:
        return SeedSearchResult(lr, False, f"seed search: {where}; seed LR kept",
                                one_step_lr=one_step_lr)  # fmt: skip
    verb = "raised" if proposed > lr else "lowered"
    return SeedSearchResult(
        proposed, True, f"seed search: {where}; LR {verb} to 1/{safety_factor:g} of {of}",
        one_step_lr=one_step_lr,
    )


def median_in_log(values: Sequence[float]) -> float:
    """The median of positive ``values`` on a log scale: the middle value, or the geometric
    mean of the middle two for an even count."""
    if not values or not all(math.isfinite(v) and v > 0 for v in values):
        raise ValueError(f"Invalid values: {list(values)!r} (need one or more finite numbers > 0)")
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return math.sqrt(ordered[mid - 1] * ordered[mid])


def seed_lr_from_optima(
    lr: float,
    one_step_lrs: Sequence[float],
    *,
    safety_factor: float = DEFAULTS.safety_factor,
    min_relative_change: float = DEFAULTS.min_relative_change,
) -> SeedSearchResult:
    r"""The LR after several conclusive searches (``search_directions``, 0.17.0):
    ``1/safety_factor`` of the median (:func:`median_in_log`) of their one-step optima
    :math:`\eta m^*_k`, each found along another step's direction from the same first weights
    on other probe minibatches.

    Why: with one direction the answer is one draw of a noisy estimate. On digits-cnn
    (development), from one initialisation, the searched LR spread 2-8x over three choices of
    the first minibatch and the probe minibatches, and 5.2x over three training seeds; the
    one-step optimum of one minibatch's direction can sit 5x below the others'. The median of
    three ignores one such direction, and its spread shrinks with the count of directions."""
    optimum = median_in_log(one_step_lrs)
    if len(one_step_lrs) == 1:
        where = f"one-step optimum {optimum:.3g}"
    else:
        listed = ", ".join(f"{v:.3g}" for v in one_step_lrs)
        where = (
            f"one-step optima over {len(one_step_lrs)} directions {listed}, "
            f"median {optimum:.3g}"
        )
    return _fraction_of(lr, optimum, where, "the median" if len(one_step_lrs) > 1 else "it",
                        safety_factor, min_relative_change)  # fmt: skip
