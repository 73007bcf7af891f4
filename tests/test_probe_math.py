"""Exact tests of the probe maths, on a loss whose optimal LR is known analytically."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lrtuner.probe import (
    ClipBounds,
    clip_bounds,
    decision_is_resolved,
    fit_quadratic,
    probe_epsilons,
    propose_epsilon,
    spread_from_sums,
)


def test_fit_recovers_exact_quadratic_at_any_scale():
    for scale in (1e-9, 1e-3, 1.0, 1e3):
        eps = np.array([-0.5, -0.25, 0.0, 0.5, 1.0]) * scale
        k = (2.0, -3.0 / scale, 5.0 / scale**2)
        losses = k[0] + k[1] * eps + k[2] * eps**2
        got = fit_quadratic(eps, losses)
        np.testing.assert_allclose(got, k, rtol=1e-9)


def test_propose_epsilon_cases():
    b = ClipBounds(lower=-0.5, upper=1.0)
    assert propose_epsilon(-1.0, 2.0, b).eps == pytest.approx(0.25)
    assert propose_epsilon(-10.0, 2.0, b).eps == 1.0  # clipped above
    assert propose_epsilon(10.0, 2.0, b).eps == -0.5  # clipped below
    assert propose_epsilon(-1.0, -1.0, b).eps == 1.0  # concave: towards descent
    assert propose_epsilon(1.0, 0.0, b).eps == -0.5  # linear: towards descent
    assert propose_epsilon(0.0, 0.0, b).eps == 0.0  # flat: stay
    assert propose_epsilon(float("nan"), 1.0, b).eps == 0.0


def test_clip_bounds_paper_rule_and_auto_rule():
    b = clip_bounds(lr=0.1, loss=2.0, epsilon_threshold=1e-3)
    assert b.upper == pytest.approx((1e-3 * 2.0) ** (1 / 3))
    assert b.lower == pytest.approx(max(-b.upper, -0.1 * (1 - 1e-3)))
    assert 0.1 + b.lower > 0
    auto = clip_bounds(lr=0.1, loss=2.0, epsilon_threshold=None, max_lr_factor=2.0)
    assert auto.upper == pytest.approx(0.1) and auto.lower == pytest.approx(-0.05)
    with pytest.raises(ValueError, match="lr"):
        clip_bounds(lr=0.0, loss=1.0, epsilon_threshold=None)


def test_probe_epsilons_include_zero_and_stay_on_lr_scale():
    lr = 1e-4
    eps = probe_epsilons(lr, clip_bounds(lr, 1.0, 1e-3), 5)
    assert 0.0 in eps and len(eps) == 5
    assert max(eps) <= lr and min(eps) >= -0.5 * lr
    assert eps == sorted(eps)


def test_spread_and_resolution():
    rows = np.array([[1.0, -1.0, 1.0], [1.0, -1.2, 1.1], [1.0, -0.8, 0.9]])
    mean, se = spread_from_sums(3, rows.sum(0), (rows**2).sum(0))
    np.testing.assert_allclose(mean, rows.mean(0))
    np.testing.assert_allclose(se, rows.std(0, ddof=1) / math.sqrt(3))
    bounds = ClipBounds(-0.05, 0.1)
    # the minimum is far beyond the upper bound for every plausible coefficient: resolved
    assert decision_is_resolved(np.array([1, -1.0, 0.1]), np.array([0, 0.01, 0.01]), bounds, 0.01)
    # sign of k1 unknown: not resolved
    assert not decision_is_resolved(np.array([1, 0.0, 1.0]), np.array([0, 1.0, 0.1]), bounds, 0.01)


def _least_squares_problem(seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(256, 8, generator=gen, dtype=torch.float64)
    w_true = torch.randn(8, 1, generator=gen, dtype=torch.float64)
    y = x @ w_true + 0.1 * torch.randn(256, 1, generator=gen, dtype=torch.float64)
    return x, y


def _analytic(x, y, w0, lr):
    """k0, k1, k2 of L(w1 - eps d) for L(w) = ||xw - y||^2 / (2n), with SGD's d = grad(w0)."""
    n = x.shape[0]

    def loss(w):
        return float(((x @ w - y) ** 2).sum() / (2 * n))

    d = x.T @ (x @ w0 - y) / n
    w1 = w0 - lr * d
    g1 = x.T @ (x @ w1 - y) / n
    k0 = loss(w1)
    k1 = -float((d * g1).sum())
    k2 = 0.5 * float(((x @ d) ** 2).sum() / n)
    return k0, k1, k2


@pytest.mark.parametrize("threshold", [None, 1e-7])
def test_tuner_fit_matches_analytic_quadratic(threshold, make_tuner):
    """Full-batch linear least squares is exactly quadratic along d: the fit must be exact."""
    x, y = _least_squares_problem()
    w = torch.nn.Parameter(torch.zeros(8, 1, dtype=torch.float64))
    lr = 0.05
    base = torch.optim.SGD([w], lr=lr)

    def probe_loss(batch):
        bx, by = batch
        return ((bx @ w - by) ** 2).sum() / (2 * bx.shape[0])

    tuner = make_tuner(
        None,
        base,
        probe_loss=probe_loss,
        probe_data=[(x, y)],
        recompute_every=1,
        explore_steps=100,
        num_probes=5,
        epsilon_threshold=threshold,
        rollback=False,
        seed_search=False,  # the first step is a fit, as in the paper
    )
    w0 = w.detach().clone()
    base.zero_grad()
    loss = probe_loss((x, y))
    loss.backward()
    tuner.step(loss=loss)
    rec = tuner.history[-1]
    k_expected = _analytic(x, y, w0, lr)
    np.testing.assert_allclose(rec.coefficients, k_expected, rtol=1e-6)
    eps_min = -k_expected[1] / (2 * k_expected[2])
    assert eps_min > 0  # far from the optimum, a larger LR is better
    if threshold is None:
        bound = lr  # trust region: at most doubling
        expected_eps = min(eps_min, bound)
    else:
        bound = (threshold * tuner.policy.reference_loss()) ** (1 / 3)
        assert bound < eps_min  # the clip binds
        expected_eps = bound
    assert rec.proposed_lr == pytest.approx(lr + expected_eps, rel=1e-6)
    assert rec.decision == "accepted"
    assert tuner.lr == pytest.approx(lr + expected_eps, rel=1e-6)
