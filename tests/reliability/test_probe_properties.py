"""Property-based tests of the pure probe maths on random, degenerate and extreme inputs.

The contract checked everywhere: a function either raises a ``ValueError`` whose message starts
with ``Invalid <argument>`` (documented invalid input), or returns finite values; a full
decision (bounds -> probe points -> fit -> proposal) always yields a finite, positive LR and a
non-empty reason, whatever the losses are (NaN, inf, constant, huge, tiny).

Every test sets ``max_examples`` explicitly (see ``EXAMPLES``) so the number of generated cases
is known: ``pytest tests/reliability --hypothesis-show-statistics`` prints it.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lrtuner.config import DEFAULTS
from lrtuner.probe import (
    ClipBounds,
    clip_bounds,
    decision_is_resolved,
    fit_operator,
    fit_quadratic,
    probe_epsilons,
    propose_epsilon,
    spread_from_sums,
)

#: Generated cases per property test (the total is reported in docs/reliability.md).
EXAMPLES = 300


def _settings(n: int = EXAMPLES) -> settings:
    return settings(
        max_examples=n,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


# ---------------------------------------------------------------- strategies
any_float = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)
extreme = st.sampled_from(
    [0.0, -0.0, 5e-324, 1e-310, 1e-300, 1e-150, 1e-30, 1e-8, 1.0, 1e8, 1e150, 1e300, 1.7e308,
     math.inf, -math.inf, math.nan, -1.0, -1e-300]
)
wild_float = st.one_of(any_float, extreme)
#: A "sane" configuration: what a real run can produce. No exception is allowed there.
sane_lr = st.floats(min_value=1e-10, max_value=1e4)
sane_loss = st.floats(min_value=1e-8, max_value=1e6)
sane_threshold = st.one_of(st.none(), st.floats(min_value=1e-15, max_value=1.0))
sane_factor = st.floats(min_value=1.01, max_value=100.0)
loss_value = st.one_of(
    st.floats(min_value=-1e6, max_value=1e6),
    st.sampled_from([math.nan, math.inf, -math.inf, 0.0, 1e300, -1e300, 1e-300, 1.7e308]),
)


def _invalid(exc: ValueError, *names: str) -> bool:
    """Is ``exc`` a documented ValueError naming one of ``names``?"""
    return re.match(rf"Invalid ({'|'.join(names)})\b", str(exc)) is not None


def _check_bounds(lr: float, b: ClipBounds) -> None:
    assert math.isfinite(b.lower) and math.isfinite(b.upper)
    assert b.lower <= 0.0 <= b.upper
    assert lr + b.lower > 0.0, (lr, b)
    assert math.isfinite(lr + b.upper), (lr, b)


def decide(
    lr: float,
    ref_loss: float,
    threshold: float | None,
    factor: float,
    num_probes: int,
    losses: list[float],
) -> tuple[float, str]:
    """One decision with the pure maths only, as the tuner chains it."""
    bounds = clip_bounds(lr, ref_loss, threshold, factor)
    if bounds.upper <= 0.0 and bounds.lower >= 0.0:
        return lr, "clip range is empty"
    eps = probe_epsilons(lr, bounds, num_probes)
    _k0, k1, k2 = fit_quadratic(eps, losses[: len(eps)])
    proposal = propose_epsilon(k1, k2, bounds)
    return lr + proposal.eps, proposal.reason


# ---------------------------------------------------------------- clip_bounds
@_settings()
@given(lr=wild_float, loss=wild_float, threshold=st.one_of(st.none(), wild_float),
       factor=wild_float)
def test_clip_bounds_is_valid_or_a_documented_error(lr, loss, threshold, factor):
    try:
        b = clip_bounds(lr, loss, threshold, factor)
    except ValueError as exc:
        assert _invalid(exc, "lr", "epsilon_threshold", "max_lr_factor"), exc
        return
    _check_bounds(lr, b)


@_settings()
@given(lr=sane_lr, loss=sane_loss, threshold=sane_threshold, factor=sane_factor)
def test_clip_bounds_never_raises_on_sane_input(lr, loss, threshold, factor):
    b = clip_bounds(lr, loss, threshold, factor)
    _check_bounds(lr, b)
    assert lr + b.lower >= DEFAULTS.min_lr_fraction * lr * (1 - 1e-12)
    assert b.upper > 0.0 and b.lower < 0.0


# ---------------------------------------------------------------- probe_epsilons
@_settings()
@given(lr=wild_float, lower=wild_float, upper=wild_float, n=st.integers(-2, 12))
def test_probe_epsilons_are_distinct_sorted_and_inside_the_range(lr, lower, upper, n):
    try:
        bounds = ClipBounds(lower, upper)
        eps = probe_epsilons(lr, bounds, n)
    except ValueError as exc:
        assert _invalid(exc, "lower", "upper", "lr", "num_probes", "bounds"), exc
        return
    assert len(eps) == n and 0.0 in eps
    assert eps == sorted(eps) and len(set(eps)) == n
    assert all(math.isfinite(e) and bounds.lower <= e <= bounds.upper for e in eps)
    assert all(lr + e > 0 for e in eps)


@_settings()
@given(lr=sane_lr, loss=sane_loss, threshold=sane_threshold, factor=sane_factor,
       n=st.integers(3, 9))
def test_probe_epsilons_never_raise_on_sane_input(lr, loss, threshold, factor, n):
    eps = probe_epsilons(lr, clip_bounds(lr, loss, threshold, factor), n)
    assert len(set(eps)) == n and 0.0 in eps


# ---------------------------------------------------------------- fit
@_settings()
@given(eps=st.lists(wild_float, min_size=0, max_size=7))
def test_fit_operator_is_finite_or_a_documented_error(eps):
    try:
        op = fit_operator(eps)
    except ValueError as exc:
        assert _invalid(exc, "epsilons"), exc
        return
    assert op.shape == (3, len(eps))
    assert np.all(np.isfinite(op))


@pytest.mark.parametrize(
    "eps",
    [
        [0.0, 0.0, 0.0],  # all equal
        [1.0, 1.0, 0.0],  # duplicate: two distinct values, a line, not a parabola
        [0.0, 1.0, 1.0, 0.0],
        [1e-200, 2e-200, 0.0],  # eps**2 underflows
        [math.nan, 0.0, 1.0],
        [math.inf, 0.0, 1.0],
        [0.0, 1.0],
    ],
)
def test_fit_operator_rejects_degenerate_probe_points(eps):
    with pytest.raises(ValueError, match=r"^Invalid epsilons"):
        fit_operator(eps)


@_settings()
@given(
    scale=st.floats(min_value=1e-100, max_value=1e100),
    k=st.tuples(*[st.floats(min_value=-1e3, max_value=1e3)] * 3),
    n=st.integers(3, 7),
)
def test_fit_recovers_an_exact_quadratic_at_any_magnitude(scale, k, n):
    u = np.linspace(-0.5, 1.0, n)
    eps = u * scale
    losses = k[0] + k[1] * u + k[2] * u * u  # k1, k2 in units of the scaled variable
    got = fit_quadratic(eps, losses)
    expect = (k[0], k[1] / scale, k[2] / scale**2)
    big = max(abs(k[0]), abs(k[1]), abs(k[2]), 1.0)
    for g, e, s in zip(got, expect, (1.0, 1.0 / scale, 1.0 / scale**2), strict=True):
        assert math.isfinite(g)
        assert abs(g - e) <= 1e-9 * big * s


@_settings()
@given(c=st.one_of(st.floats(allow_nan=False, allow_infinity=False), extreme),
       lr=sane_lr, n=st.integers(3, 9))
def test_constant_losses_give_an_exactly_flat_fit(c, lr, n):
    """A loss that does not depend on eps must not move the LR on rounding noise."""
    assume(math.isfinite(c))
    eps = probe_epsilons(lr, clip_bounds(lr, 1.0, None), n)
    k0, k1, k2 = fit_quadratic(eps, [c] * n)
    assert (k0, k1, k2) == (c, 0.0, 0.0)
    assert propose_epsilon(k1, k2, clip_bounds(lr, 1.0, None)).eps == 0.0


def test_fit_quadratic_rejects_a_wrong_number_of_losses():
    with pytest.raises(ValueError, match=r"^Invalid losses"):
        fit_quadratic([0.0, 1.0, 2.0], [1.0, 2.0])


# ---------------------------------------------------------------- propose_epsilon
@_settings()
@given(k1=wild_float, k2=wild_float, lr=sane_lr, loss=sane_loss, threshold=sane_threshold)
def test_proposal_is_finite_inside_the_range_with_a_reason(k1, k2, lr, loss, threshold):
    bounds = clip_bounds(lr, loss, threshold)
    p = propose_epsilon(k1, k2, bounds)
    assert math.isfinite(p.eps) and bounds.lower <= p.eps <= bounds.upper
    assert isinstance(p.reason, str) and p.reason
    assert lr + p.eps > 0 and math.isfinite(lr + p.eps)
    if not (math.isfinite(k1) and math.isfinite(k2)):
        assert p.eps == 0.0
    if k2 <= 0 and k1 != 0 and math.isfinite(k1) and math.isfinite(k2):
        assert p.clipped  # concave or linear: a boundary


@pytest.mark.parametrize("lower,upper", [(0.1, 1.0), (-1.0, -0.1), (math.nan, 1.0),
                                         (-1.0, math.inf), (-math.inf, 1.0)])
def test_clip_bounds_reject_an_invalid_range(lower, upper):
    with pytest.raises(ValueError, match=r"^Invalid (lower|upper)"):
        ClipBounds(lower, upper)


# ---------------------------------------------------------------- full decision
@_settings(2 * EXAMPLES)
@given(
    lr=wild_float,
    ref_loss=wild_float,
    threshold=st.one_of(st.none(), wild_float),
    factor=st.one_of(sane_factor, wild_float),
    n=st.integers(3, 7),
    losses=st.lists(loss_value, min_size=7, max_size=7),
)
def test_a_decision_never_gives_a_bad_lr(lr, ref_loss, threshold, factor, n, losses):
    try:
        new_lr, reason = decide(lr, ref_loss, threshold, factor, n, losses)
    except ValueError as exc:
        assert _invalid(exc, "lr", "epsilon_threshold", "max_lr_factor"), exc
        return
    assert math.isfinite(new_lr) and new_lr > 0, (new_lr, reason)
    assert isinstance(reason, str) and reason


@_settings(2 * EXAMPLES)
@given(
    lr=sane_lr,
    ref_loss=sane_loss,
    threshold=sane_threshold,
    factor=sane_factor,
    n=st.integers(3, 7),
    losses=st.lists(loss_value, min_size=7, max_size=7),
)
def test_a_sane_decision_never_raises(lr, ref_loss, threshold, factor, n, losses):
    new_lr, reason = decide(lr, ref_loss, threshold, factor, n, losses)
    assert math.isfinite(new_lr) and new_lr > 0 and reason
    if not all(math.isfinite(x) for x in losses[:n]):
        assert new_lr == lr and reason == "fit is not finite"


# ---------------------------------------------------------------- superbatch statistics
coeff_rows = st.lists(
    st.tuples(*[st.one_of(st.floats(min_value=-1e12, max_value=1e12), extreme)] * 3),
    min_size=0,
    max_size=8,
)


@_settings()
@given(rows=coeff_rows, lr=sane_lr, tol=st.floats(min_value=0.0, max_value=10.0),
       direction=st.sampled_from([-1, 0, 1]))
def test_spread_and_resolution_never_raise(rows, lr, tol, direction):
    arr = np.array(rows, dtype=np.float64).reshape(-1, 3)
    with np.errstate(all="ignore"):
        total, total_sq = arr.sum(0), (arr * arr).sum(0)
    try:
        mean, se = spread_from_sums(len(rows), total, total_sq)
    except ValueError as exc:
        assert not rows and _invalid(exc, "count"), exc
        return
    assert mean.shape == (3,) and se.shape == (3,)
    assert not np.any(se < 0)
    if len(rows) < 2:
        assert np.all(np.isinf(se))
    resolved = decision_is_resolved(mean, se, clip_bounds(lr, 1.0, None), tol * lr, direction)
    assert isinstance(resolved, bool)
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(se))):
        assert resolved is False


def test_resolution_rejects_a_wrong_shape():
    with pytest.raises(ValueError, match=r"^Invalid (mean|stderr)"):
        decision_is_resolved(np.zeros(2), np.zeros(2), ClipBounds(-1.0, 1.0), 0.1)
