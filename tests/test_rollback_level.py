"""Rule 8's level test: the rank statistic (exact values), the policy's judgement of a window
whose loss level rose, and, on real data, a divergence the drop-rate test alone lets through."""

from __future__ import annotations

import math

import pytest

from lrtuner.config import TunerConfig
from lrtuner.policy import DropRate, TunerPolicy, rank_shift_z


def policy(**options) -> TunerPolicy:
    return TunerPolicy(TunerConfig(explore_steps=1000, seed_search=False, **options).resolve())


def test_rank_shift_z_exact_values():
    # every later loss above every earlier one: U = 9, mean 4.5, variance 9 / 12 * 7
    assert rank_shift_z([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]) == pytest.approx(4.5 / math.sqrt(5.25))
    assert rank_shift_z([4.0, 5.0, 6.0], [1.0, 2.0, 3.0]) == pytest.approx(-4.5 / math.sqrt(5.25))
    # one tied pair (2.0): U = 1 (2 > 1) + 0.5 (2 = 2) + 2 (3 > 1, 2) = 3.5 of 4; ties 2^3 - 2
    z = rank_shift_z([1.0, 2.0], [2.0, 3.0])
    assert z == pytest.approx((3.5 - 2.0) / math.sqrt(4 / 12 * (5 - 6 / 12)))
    assert rank_shift_z([1.0, 1.0], [1.0, 1.0]) == 0.0  # no spread: no evidence
    assert rank_shift_z([], [1.0]) == 0.0


def test_rank_shift_z_matches_scipy():
    stats = pytest.importorskip("scipy.stats")
    before = [0.3, 0.1, 0.2, 0.2, 0.5, 0.4, 0.1, 0.3]
    after = [0.4, 0.2, 0.6, 0.5, 0.2, 0.7, 0.3, 0.9, 0.5]
    p = stats.mannwhitneyu(
        after, before, alternative="greater", use_continuity=False, method="asymptotic"
    ).pvalue
    assert rank_shift_z(before, after) == pytest.approx(stats.norm.isf(p), rel=1e-9)


def _window(p: TunerPolicy, losses: list[float]):
    for x in losses:
        p.record_loss(x)
    return p.close_window()


#: converged near 1e-3; after the change the loss jumps by five orders and settles at chance
#: (ln 3): the wine-mlp divergence of 0.5.0 in shape.
BEFORE = [0.0012 + 0.0002 * math.sin(i) for i in range(60)]
AFTER = BEFORE[:20] + [160.0, 90.0, 40.0, 12.0, 4.0] + [1.1 + 0.01 * math.cos(i) for i in range(35)]


@pytest.mark.parametrize("level", [True, False])
def test_a_divergence_that_settles_is_rolled_back_by_the_level_test(level):
    p = policy(rollback_on_level=level)
    _window(p, BEFORE)
    p.on_accepted(60, 0.2, 1.0)
    rate = _window(p, AFTER)
    roll, why = p.should_roll_back(rate, loss_finite=True)
    # the spike inflates the window's own standard error: the drop-rate test alone keeps it
    assert roll is level
    if level:
        assert why.startswith("loss level rose after the change") and "0.0012" in why
    else:
        assert why.startswith("change kept: drop rate")


def test_a_converging_window_and_a_noisy_plateau_are_kept():
    p = policy()
    _window(p, [1.0 - 0.002 * i for i in range(60)])
    p.on_accepted(60, 0.1, 0.2)
    roll, why = p.should_roll_back(_window(p, [0.88 - 0.002 * i for i in range(60)]), True)
    assert not roll and "loss level z" in why
    # a plateau: the same noise before and after (a permutation), no level shift
    noise = [0.5 + 0.05 * math.sin(7.3 * i) for i in range(60)]
    p = policy()
    _window(p, noise)
    p.on_accepted(60, 0.1, 0.2)
    assert not p.should_roll_back(_window(p, noise[::-1]), True)[0]


def test_short_windows_are_judged_by_the_drop_rate_alone():
    p = policy(rank_test_min_losses=8)
    _window(p, BEFORE[:7])
    p.on_accepted(7, 0.2, 1.0)
    roll, why = p.should_roll_back(_window(p, [5.0] * 3 + [4.9] * 4), True)
    assert not roll and "loss level" not in why


def test_level_test_options_are_validated():
    with pytest.raises(ValueError, match="rollback_on_level"):
        TunerConfig(rollback_on_level=1)
    with pytest.raises(ValueError, match="rank_test_min_losses"):
        TunerConfig(rank_test_min_losses=0)


def test_the_wine_divergence_of_0_5_0_is_rolled_back_on_real_data(monkeypatch):
    """wine-mlp, seed 1, from the tuned peak (long profile): explore's widening trust region
    moved the LR 0.21 -> 1.05 and the training loss went from 0.001 to 160, then settled at
    chance. With the level test the change is undone and the run ends near the tuned baseline."""
    pytest.importorskip("sklearn")
    from lrtuner_bench import methods, runner
    from lrtuner_bench.tasks import get_task

    task = get_task("wine-mlp")
    budget = runner.effective_budget(task, "long", None)
    data = task.load(budget)
    finals = {}
    for level in (True, False):
        monkeypatch.setitem(methods.LRTUNER_OPTIONS, "long", {"rollback_on_level": level})
        result = runner.train_one(task, "lrtuner@peak1", data, budget, 1, "long", 0.00316)
        history = result["history"]
        level_rollbacks = [
            h for h in history
            if h["decision"] == "rolled_back" and h["reason"].startswith("loss level rose")
        ]
        assert bool(level_rollbacks) is level
        finals[level] = result["final_metric"]
    assert finals[False] > 1.0  # diverged: test cross-entropy at chance (ln 3 = 1.10)
    assert finals[True] < 0.2  # the tuned baseline: 0.044


def test_a_checkpoint_of_0_5_0_without_the_level_state_loads(digits):
    """0.5.0 checkpoints have no ``closed_window`` and no ``pending.losses_before``: they load,
    and the first judgement after the load falls back to the drop-rate test."""
    from digits_testbed import DigitsRun

    run = DigitsRun(digits)
    run.train(0, 30)
    state = run.tuner.state_dict()
    policy_state = state["lrtuner"]["policy"]
    assert policy_state["closed_window"]  # 0.6.0 stores the last window's losses
    del policy_state["closed_window"]
    if policy_state["pending"] is not None:
        del policy_state["pending"]["losses_before"]
    fresh = DigitsRun(digits)
    fresh.tuner.load_state_dict(state)
    assert fresh.tuner.policy.state.closed_window == []
    fresh.train(30, 60)  # resumes and keeps deciding
    stats = fresh.tuner.stats
    assert stats.optimizer_steps + stats.skipped_steps == 60 and stats.decisions > 4
    policy_state["closed_window"] = [1.0, float("nan")]
    with pytest.raises(ValueError, match="closed_window"):
        DigitsRun(digits).tuner.load_state_dict(state)


def _short_window_run(digits, rise_after_change: bool, **options):
    """Digits MLP, SGD-momentum from a low LR, a decision every 2 steps (every window is too
    short for a drop rate); optionally the losses reported after the first accepted change
    rise by 1 per step, as a blow-up would make them."""
    import torch
    import torch.nn.functional as F
    from digits_testbed import build_tuner, make_batches
    from torch import nn

    xtr, ytr, _, _ = digits
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    base = torch.optim.SGD(model.parameters(), lr=0.003, momentum=0.9)
    tuner = build_tuner(
        digits, model, base, seed_search=False, recompute_every=2, explore_steps=1000, **options
    )
    batches = make_batches(xtr, ytr, 32, seed=4)
    since_change = 0
    for step in range(16):
        x, y = batches[step % len(batches)]
        tuner.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        if rise_after_change and any(r.decision == "accepted" for r in tuner.history):
            since_change += 1
        tuner.step(loss=loss + since_change)
    return tuner


@pytest.mark.parametrize("inflate", [False, True])
def test_a_change_with_too_few_losses_after_it_is_judged_on_all_of_them(inflate, digits):
    """A change is never released unjudged: when the next decision has fewer than 3 losses
    since it, it stays pending (no fit) and the decision after judges the losses of both
    windows; a rise in them rolls it back."""
    tuner = _short_window_run(digits, inflate)
    history = tuner.history
    first = next(i for i, r in enumerate(history) if r.decision == "accepted")
    wait, judged = history[first + 1], history[first + 2]
    assert wait.decision == "skipped" and "too few losses after it" in wait.reason
    assert f"the change at step {history[first].step} " in wait.reason
    assert not wait.epsilons  # no fit while the change waits
    if inflate:
        assert judged.decision == "rolled_back", judged.reason
        assert f"(change at step {history[first].step}:" in judged.reason
        assert judged.lr_after == pytest.approx(history[first].lr_before)
    else:
        assert judged.decision != "rolled_back" and judged.epsilons  # kept: fits again


def test_the_pending_verdict_is_three_way():
    """Roll back, wait (too few losses to judge) or release; nothing but release without a
    snapshot to undo the change with."""
    p = policy()
    p.on_accepted(10, 1.0, 2.0)
    rising = DropRate(rate=-0.5, stderr=0.1, num_steps=10)
    assert p.pending_verdict(rising, can_undo=True)[0] == "roll_back"
    assert p.pending_verdict(rising, can_undo=False)[0] == "release"
    verdict, why = p.pending_verdict(None, can_undo=True)
    assert verdict == "wait" and "too short" in why
    assert p.pending_verdict(DropRate(rate=0.1, stderr=0.1, num_steps=10), True)[0] == "release"
    assert policy(rollback=False).pending_verdict(None, True)[0] == "release"
