"""The seed-LR search: exact on a loss that is quadratic along the step, and on real data the
LR after it does not depend on the seed LR."""

from __future__ import annotations

import copy
import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from digits_testbed import BNDropoutNet, build_tuner, load_digits_tensors, make_batches

from lrtuner.config import DEFAULTS
from lrtuner.seed_search import (
    next_multiplier,
    refine_minimum,
    seed_lr_from_search,
)

GRID_RATIO = DEFAULTS.grid_ratio
MAX_MULTIPLIER = DEFAULTS.max_multiplier
MIN_MULTIPLIER = DEFAULTS.min_multiplier
SAFETY_FACTOR = DEFAULTS.safety_factor
#: steps the search takes at defaults: one per conclusive direction (0.17.0)
DIRECTIONS = DEFAULTS.search_directions


def _searches(tuner) -> list:
    return [h for h in tuner.history if h.reason.startswith("seed search")]


def _walk(loss_at, loss0):
    """Run the search's grid walk on a loss function of the multiplier."""
    ms, losses = [], []
    while (m := next_multiplier(ms, losses, loss0)) is not None:
        ms.append(m)
        losses.append(loss_at(m))
    return ms, losses


def _quadratic(m_star, loss0=1.0, a=1.0):
    """L(m) = L0 - a m + a m^2 / (2 m*): minimum at m*, back to L0 at 2 m*."""
    return lambda m: loss0 - a * m + a * m * m / (2 * m_star)


def test_walk_goes_up_until_the_loss_exceeds_loss0():
    ms, losses = _walk(_quadratic(500.0), 1.0)
    assert ms[0] == 1.0
    np.testing.assert_allclose(np.diff(np.log(ms)), math.log(GRID_RATIO))
    assert losses[-1] > 1.0 and all(x <= 1.0 for x in losses[:-1])
    assert ms[-1] > 2 * 500.0 > ms[-2]


def test_walk_goes_down_when_the_first_step_raises_the_loss():
    ms, losses = _walk(_quadratic(0.02), 1.0)
    assert ms[0] == 1.0 and losses[0] > 1.0
    assert all(b < a for a, b in itertools.pairwise(ms))  # strictly downward
    best = int(np.argmin(losses))
    assert 0 < best < len(ms) - 1  # the minimum is bracketed on both sides
    assert losses[-1] >= losses[-2]


def test_walk_stops_at_the_grid_edge():
    ms, _ = _walk(lambda m: 1.0 - 1e-3 * m, 1.0)  # falls forever
    assert ms[-1] == pytest.approx(MAX_MULTIPLIER)
    ms, _ = _walk(lambda m: math.nan, 1.0)  # a NaN first step walks down to the lower edge
    assert ms[-1] == pytest.approx(MIN_MULTIPLIER)


@pytest.mark.parametrize("m_star", [0.02, 0.37, 3.0, 47.0, 5000.0])
def test_refinement_is_exact_for_a_quadratic(m_star):
    loss = _quadratic(m_star)
    ms, losses = _walk(loss, 1.0)
    assert refine_minimum([0.0, *ms], [1.0, *losses]) == pytest.approx(m_star, rel=1e-9)


def test_refinement_edge_cases():
    with pytest.raises(ValueError, match="losses"):
        refine_minimum([1.0, 2.0], [math.nan, math.inf])
    assert refine_minimum([0.0, 1.0, 2.0], [3.0, 2.0, 1.0]) == 2.0  # best at the edge
    # parabola through (0, 1), (1, 0), (2, 0.5): vertex at 7/6
    assert refine_minimum([0.0, 1.0, 2.0], [1.0, 0.0, 0.5]) == pytest.approx(7 / 6)
    # a vertex outside the neighbours is clipped to them; non-finite points are ignored
    assert refine_minimum([0.0, 1.0, 2.0, 4.0], [1.0, 0.0, 0.01, math.nan]) <= 2.0


def test_lr_is_a_fraction_of_the_one_step_optimum():
    lr = 1e-3
    loss = _quadratic(400.0)
    ms, losses = _walk(loss, 1.0)
    res = seed_lr_from_search(lr, 1.0, ms, losses)
    assert res.changed and res.lr == pytest.approx(lr * 400.0 / SAFETY_FACTOR, rel=1e-9)
    assert "raised" in res.reason
    # the optimum at 20x the seed: nothing to change
    ms, losses = _walk(_quadratic(SAFETY_FACTOR), 1.0)
    res = seed_lr_from_search(lr, 1.0, ms, losses)
    assert not res.changed and res.lr == lr
    # too large a seed: lowered
    ms, losses = _walk(_quadratic(0.05), 1.0)
    res = seed_lr_from_search(lr, 1.0, ms, losses)
    assert (
        res.changed
        and res.lr == pytest.approx(lr * 0.05 / SAFETY_FACTOR)
        and "lowered" in res.reason
    )
    # nothing lowers the loss, or nothing is finite: the seed is kept
    assert not seed_lr_from_search(lr, 1.0, [1.0, 3.0], [1.5, 2.0]).changed
    assert not seed_lr_from_search(lr, math.nan, [1.0], [0.5]).changed
    assert not seed_lr_from_search(lr, 1.0, [1.0], [math.inf]).changed


def _least_squares(seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(256, 8, generator=gen, dtype=torch.float64)
    y = x @ torch.randn(8, 1, generator=gen, dtype=torch.float64)
    y = y + 0.1 * torch.randn(256, 1, generator=gen, dtype=torch.float64)
    return x, y


@pytest.mark.parametrize("seed_scale", [1e-5, 1e-2, 30.0])
def test_search_on_least_squares_matches_the_analytic_optimum(seed_scale, make_tuner):
    """Full-batch least squares is exactly quadratic along d: the search must find
    eta* = |g|^2 / (g^T H g) and redo the first step at eta*/SAFETY_FACTOR."""
    x, y = _least_squares()
    n = x.shape[0]
    w = torch.nn.Parameter(torch.zeros(8, 1, dtype=torch.float64))
    g = x.T @ (x @ w.detach() - y) / n
    eta_star = float((g * g).sum() / ((x @ g) ** 2).sum() * n)
    lr = eta_star * seed_scale
    base = torch.optim.SGD([w], lr=lr)

    def probe_loss(batch):
        bx, by = batch
        return ((bx @ w - by) ** 2).sum() / (2 * bx.shape[0])

    tuner = make_tuner(
        None, base, probe_loss=probe_loss, probe_data=[(x, y)], total_steps=100, rollback=False
    )
    w0 = w.detach().clone()
    for _ in range(DIRECTIONS):  # full batch: every direction is the same one, from w0
        base.zero_grad()
        loss = probe_loss((x, y))
        loss.backward()
        tuner.step(loss=loss)
    searches = _searches(tuner)
    rec = searches[-1]
    assert len(searches) == DIRECTIONS and rec.decision == "accepted"
    assert tuner.lr == pytest.approx(eta_star / SAFETY_FACTOR, rel=1e-9)
    # the first step was redone at the new LR
    torch.testing.assert_close(w.detach(), w0 - tuner.lr * g, rtol=1e-12, atol=1e-15)
    for r in searches:  # same batches at every m
        assert r.forward_passes == r.num_batches * len(r.losses)
    assert tuner.policy.state.seed_searched


def _digits_tuner(lr, seed_search=True, steps=DIRECTIONS, **options):
    xtr, ytr, _, _ = load_digits_tensors()
    torch.manual_seed(0)
    model = BNDropoutNet()
    base = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    probe = make_batches(xtr, ytr, 64, seed=1)
    tuner = build_tuner(
        (xtr, ytr), model, base, probe_data=probe, total_steps=400, seed_search=seed_search,
        **options,
    )
    batches = make_batches(xtr, ytr, 64, seed=2)
    for i in range(steps):
        bx, by = batches[i % len(batches)]
        tuner.zero_grad()
        loss = F.cross_entropy(model(bx), by)
        loss.backward()
        tuner.step(loss=loss)
    return tuner, model


def test_lr_after_the_search_does_not_depend_on_the_seed():
    """Real data (digits, BatchNorm + dropout MLP, SGD-momentum): seeds spanning 10^5 end
    within a grid step of each other, in the range where SGD-momentum trains this MLP well."""
    lrs = {}
    for seed_lr in (1e-5, 1e-3, 1e-1, 1.0):
        tuner, _ = _digits_tuner(seed_lr)
        rec = _searches(tuner)[-1]
        assert rec.decision == "accepted" and tuner.stats.optimizer_steps == 1
        assert rec.forward_passes > 0 and len(rec.losses) == len(rec.epsilons)
        lrs[seed_lr] = tuner.lr
    values = np.array(list(lrs.values()))
    assert values.max() / values.min() < GRID_RATIO, lrs
    assert values.min() > 0.01 and values.max() < 0.5, lrs


def _asymmetric(m_opt: float, loss0: float = 1.0):
    """A line loss that is not a parabola: a gentle quadratic fall to its minimum at ``m_opt``,
    then a steep rise (a parabola through ``theta0`` locates it badly)."""

    def loss(m: float) -> float:
        if m <= m_opt:
            return loss0 - m + m * m / (2 * m_opt)
        return loss0 - m_opt / 2 + 4 * (m - m_opt) ** 2 / m_opt

    return loss


@pytest.mark.parametrize("bracket", [True, False])
def test_bracket_on_grid_makes_the_answer_independent_of_the_seed_side(bracket):
    """Seeds a decade apart share the grid lattice. From far below and from just below the
    optimum (the walk's best point is its first), the grid bracket gives the same refined
    optimum; 0.14.0's bracket through theta0 gives another from just below."""
    curve = _asymmetric(7.0)
    answers = {}
    for seed in (0.05, 0.5, 5.0):  # in units of the line; 5 lies just below the optimum 7
        ms, losses = [], []
        while (m := next_multiplier(ms, losses, 1.0, bracket_on_grid=bracket)) is not None:
            ms.append(m)
            losses.append(curve(m * seed))
        answers[seed] = seed * refine_minimum([0.0, *ms], [1.0, *losses])
        if seed == 5.0:
            # upward (m=1 improves), passed at m=sqrt(10); with the bracket one point below
            assert ms[:2] == [1.0, pytest.approx(GRID_RATIO)]
            assert ms[2:] == ([pytest.approx(1 / GRID_RATIO)] if bracket else [])
    assert answers[0.05] == pytest.approx(answers[0.5], rel=1e-12)
    if bracket:
        assert answers[5.0] == pytest.approx(answers[0.5], rel=1e-12)
    else:
        assert abs(answers[5.0] / answers[0.5] - 1) > 0.1


def test_bracket_walks_down_while_the_lowest_point_is_the_best():
    """The optimum (0.6) lies below the first point, which still improves on theta0: after
    the upward walk has passed it, the walk goes down until the loss rises again, so the best
    point (m = 10^-1/2) has a measured grid neighbour on each side."""
    ms, losses = _walk(_quadratic(0.6), 1.0)
    assert ms == pytest.approx([1.0, GRID_RATIO, 1 / GRID_RATIO, 0.1])
    assert losses[0] <= 1.0 < losses[1] and losses[2] < losses[0] and losses[3] > losses[2]
    assert refine_minimum([0.0, *ms], [1.0, *losses]) == pytest.approx(0.6, rel=1e-9)


def test_bracket_on_grid_real_data_decade_seeds_agree():
    """Digits, BatchNorm + dropout MLP, SGD-momentum: the one-step optimum is 1.45x the seed
    LR 1.0 (just above it). Seeds 1e-5 ... 10, a decade apart, give the same LR to 1e-3 with
    the grid bracket; 0.14.0's bracket through theta0 sets 7% more from the seed 1.0."""
    # one line, the first minibatch's (the bracket is a property of one search)
    one = {"search_directions": 1, "steps": 1}
    new = [_digits_tuner(lr, **one)[0].lr for lr in (1e-5, 1e-3, 1e-1, 1.0, 10.0)]
    assert max(new) / min(new) < 1.001, new
    old = _digits_tuner(1.0, search_bracket_on_grid=False, **one)[0].lr
    assert old / new[3] > 1.05, (old, new)


def test_search_state_survives_a_checkpoint():
    tuner, _ = _digits_tuner(1e-4)
    state = tuner.state_dict()
    assert state["lrtuner"]["policy"]["seed_searched"] is True
    # resume: a fresh tuner loaded from the state does not search again
    tuner2, _ = _digits_tuner(1e-4, steps=0)
    tuner2.load_state_dict(state)
    assert tuner2.policy.state.seed_searched
    assert not tuner2.policy.seed_search_due(tuner2.stats.optimizer_steps)


def test_seed_search_off_and_bad_value():
    tuner, _ = _digits_tuner(1e-3, seed_search=False, steps=3)
    assert not any(r.reason.startswith("seed search") for r in tuner.history)
    assert tuner.lr == 1e-3
    with pytest.raises(ValueError, match="seed_search"):
        _digits_tuner(1e-3, seed_search="yes")  # type: ignore[arg-type]


def test_search_leaves_the_step_at_the_new_lr_and_nothing_else(make_tuner):
    """After the search, parameters, BatchNorm statistics, momentum buffers and the global RNG
    are bitwise those of one plain step at the new LR on the last search's minibatch, after
    the user's forward passes of the steps it undid (they ran, in training mode)."""
    xtr, ytr, _, _ = load_digits_tensors()
    torch.manual_seed(0)
    model = BNDropoutNet()
    twin = copy.deepcopy(model)
    base = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    tuner = make_tuner(model, base, probe_data=make_batches(xtr, ytr, 64, seed=1), total_steps=400)
    batches = make_batches(xtr, ytr, 32, seed=2)[:DIRECTIONS]
    for k, (x, y) in enumerate(batches):
        torch.manual_seed(5 + k)
        tuner.zero_grad()
        F.cross_entropy(model(x), y).backward()
        tuner.step()
    rng_after = torch.get_rng_state()
    assert tuner.lr > 1e-2  # 1e-4 is far too small for this net
    assert tuner.stats.optimizer_steps == 1 and tuner.stats.skipped_steps == DIRECTIONS - 1

    twin_opt = torch.optim.SGD(twin.parameters(), lr=tuner.lr, momentum=0.9)
    for k, (x, _) in enumerate(batches[:-1]):
        torch.manual_seed(5 + k)
        twin(x)  # the undone steps' forward passes
    torch.manual_seed(5 + DIRECTIONS - 1)
    x, y = batches[-1]
    twin_opt.zero_grad()
    F.cross_entropy(twin(x), y).backward()
    twin_opt.step()
    assert torch.equal(rng_after, torch.get_rng_state())
    for a, b in zip(model.parameters(), twin.parameters(), strict=True):
        assert torch.equal(a, b)
    for a, b in zip(model.buffers(), twin.buffers(), strict=True):
        assert torch.equal(a, b)
    for sa, sb in zip(base.state.values(), twin_opt.state.values(), strict=True):
        assert torch.equal(sa["momentum_buffer"], sb["momentum_buffer"])
