"""The decision schedule through its public API: spacing, back-off, the probe ledger, state."""

from __future__ import annotations

import math

import pytest

from lrtuner.config import TunerConfig
from lrtuner.schedule import DecisionSchedule, ScheduleState


class Phase:
    """The three policy-state fields the schedule reads."""

    def __init__(self, phase="explore", explore_steps=None, seed_searched=False):
        self.phase, self.explore_steps, self.seed_searched = phase, explore_steps, seed_searched


def schedule(**options) -> DecisionSchedule:
    return DecisionSchedule(TunerConfig(**options).resolve())


def test_caps_guarantee_chances_to_each_phase():
    s = schedule(total_steps=10_000)  # explore 2500
    assert s.cap(Phase(explore_steps=2500)) == 625  # 4 chances to raise the LR
    assert s.cap(Phase(explore_steps=2500, seed_searched=True)) == 625  # also after a search
    assert s.cap(Phase("exploit", 2500)) == 1000  # 10 chances to anneal
    assert s.cap(Phase(explore_steps=20)) == 10  # never below min_recompute_every
    assert schedule().cap(Phase()) == 50  # open-ended explore
    assert schedule().cap(Phase("exploit")) == 1000  # run length unknown
    # the first interval is the explore cap
    assert s.state.interval == 625 and schedule(recompute_every=7).state.interval == 7


def test_spacing_costs_three_percent_within_its_clamps():
    s = schedule(total_steps=10_000)
    explore = Phase("exploit", 2500)
    # 10 forward passes: 10 / (3 * 0.03) = 111.1 steps
    assert s.next_interval(10, explore, 3000) == 112
    assert s.next_interval(0, explore, 3000) == 10  # floor
    assert s.next_interval(10**6, explore, 3000) == 1000  # cap
    # explore lands a decision exactly at its end; after a search the spacing is the same
    assert s.next_interval(10, Phase(explore_steps=2500), 2495) == 6
    assert s.next_interval(10, Phase(explore_steps=2500, seed_searched=True), 100) == 112
    assert schedule(recompute_every=7).next_interval(10**6, explore, 3000) == 7


def test_rejected_explore_fits_back_off_and_acceptance_resets():
    s = schedule(total_steps=10_000)
    phase = Phase(explore_steps=2500)
    s.after_judgement(accepted=False, judged_in="explore")
    assert s.next_interval(10**6, phase, 0) == 1250  # the cap 625, doubled
    for expected in (4, 8, 8):
        s.after_judgement(accepted=False, judged_in="explore")
        assert s.state.backoff == expected
    assert s.next_interval(10**6, phase, 0) == 2501  # 625 x 8, but explore's end comes first
    s.after_judgement(accepted=False, judged_in="exploit")
    assert s.state.backoff == 8  # exploit does not back off
    s.after_judgement(accepted=True, judged_in="explore")
    assert s.state.backoff == 1
    s.after_judgement(accepted=False, judged_in="explore")
    s.end_explore()
    assert s.state.backoff == 1


def test_probe_ledger_allowance_is_exact():
    spread = schedule(total_steps=10_000)
    assert spread.fit_allowance(5000) == pytest.approx(0.01 * 3 * 5000)  # budget binds
    short = schedule(total_steps=200)
    assert short.fit_allowance(100) == pytest.approx(60 / 2)  # 5 fits x 4 x 3, half-way
    open_ended = schedule(probe_budget=0.02)
    assert open_ended.fit_allowance(1000) == pytest.approx(0.02 * 3 * 1000 + 60)
    # each accepted explore fit pays for one more minimum fit (4 x 3), up to explore_chances
    for _ in range(6):
        short.after_judgement(accepted=True, judged_in="explore")
    short.after_judgement(accepted=True, judged_in="exploit")
    short.after_judgement(accepted=False, judged_in="explore")
    assert short.state.explore_credits == 4
    assert short.fit_allowance(100) == pytest.approx(60 / 2 + 4 * 12)
    fixed = schedule(recompute_every=7, total_steps=200)
    fixed.charge_fit(10**6, 3, 10)  # a fixed cadence is never deferred
    assert fixed.fit_affordable(5) == (True, "") and fixed.fit_minibatch_limit(5) == 32


def test_ledger_defers_and_limits_fits():
    s = schedule(total_steps=200)  # allowance 60 forward passes over the run
    assert s.fit_minibatch_limit(200) == 20  # 60 // 3 minibatches left
    s.charge_fit(num_batches=10, num_points=3, forward_passes=30)
    assert s.state.fit_forwards == 30 and s.state.last_fit_forwards == 30
    assert s.fit_minibatch_limit(100) == 4  # 0 left: still min_superbatch
    assert s.fit_affordable(100) == (True, "")  # 30 <= 30
    ok, why = s.fit_affordable(99)
    assert not ok and why.startswith("probe budget: fits have used 30 forward passes")


def test_decision_counter():
    s = schedule(recompute_every=3)
    due = []
    for _ in range(7):
        s.count_step()
        due.append(s.decision_due())
        if due[-1]:
            s.start_decision()
    assert due == [False, False, True, False, False, True, False]


def test_state_round_trips_and_rejects_unknown_keys():
    s = schedule(total_steps=1000)
    s.count_step()
    s.charge_fit(4, 3, 12)
    s.after_judgement(False, "explore")
    state = s.state_dict()
    other = schedule(total_steps=1000)
    other.load_state_dict(ScheduleState.from_dict(state))
    assert other.state_dict() == state
    with pytest.raises(ValueError, match="unknown keys"):
        ScheduleState.from_dict({**state, "budget": 1})
    with pytest.raises(ValueError, match="schedule state"):
        ScheduleState.from_dict([1, 2])
    assert math.isfinite(other.fit_allowance(10))
