"""Exact values of the LR schedules (factors of the peak LR)."""

from __future__ import annotations

import math

import pytest

from lrtuner_bench import schedules


def test_step_decay_drops_tenfold_at_half_and_three_quarters():
    values = [schedules.step_decay(s, 100) for s in (0, 49, 50, 74, 75, 99)]
    assert values == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.01, 0.01])


def test_step_decay_custom_milestones():
    assert schedules.step_decay(30, 90, milestones=(1 / 3, 2 / 3)) == pytest.approx(0.1)
    assert schedules.step_decay(60, 90, milestones=(1 / 3, 2 / 3)) == pytest.approx(0.01)


def test_warmup_inverse_sqrt():
    # warmup of 10 steps in a 100-step run
    assert schedules.warmup_inverse_sqrt(0, 100) == pytest.approx(0.1)
    assert schedules.warmup_inverse_sqrt(4, 100) == pytest.approx(0.5)
    assert schedules.warmup_inverse_sqrt(9, 100) == pytest.approx(1.0)
    assert schedules.warmup_inverse_sqrt(39, 100) == pytest.approx(math.sqrt(10 / 40))
    assert schedules.warmup_inverse_sqrt(99, 100) == pytest.approx(math.sqrt(0.1))


def test_knee_constant_then_linear_to_zero():
    assert schedules.knee(0, 100) == 1.0
    assert schedules.knee(49, 100) == 1.0
    assert schedules.knee(50, 100) == pytest.approx(1.0)
    assert schedules.knee(75, 100) == pytest.approx(0.5)
    assert schedules.knee(99, 100) == pytest.approx(0.02)
    assert schedules.knee(20, 100, explore=0.2) == pytest.approx(1.0)
    assert schedules.knee(60, 100, explore=0.2) == pytest.approx(0.5)


def test_linear_decay_with_and_without_warmup():
    assert [schedules.linear_decay(s, 4) for s in range(4)] == pytest.approx([1, 0.75, 0.5, 0.25])
    # 10 % warmup of 20 steps = 2 steps: 0.5, 1.0, then (20 - s) / 18
    assert schedules.linear_decay(0, 20, warmup=0.1) == pytest.approx(0.5)
    assert schedules.linear_decay(1, 20, warmup=0.1) == pytest.approx(1.0)
    assert schedules.linear_decay(2, 20, warmup=0.1) == pytest.approx(1.0)
    assert schedules.linear_decay(11, 20, warmup=0.1) == pytest.approx(0.5)


def test_cosine_and_constant():
    assert schedules.cosine(0, 100) == pytest.approx(1.0)
    assert schedules.cosine(50, 100) == pytest.approx(0.5)
    assert schedules.cosine(100, 100) == pytest.approx(0.0)
    assert schedules.constant(7, 10) == 1.0


@pytest.mark.parametrize("name", sorted(schedules.SCHEDULES))
def test_bad_arguments_name_the_argument(name):
    fn = schedules.SCHEDULES[name]
    with pytest.raises(ValueError, match="total"):
        fn(0, 0)
    with pytest.raises(ValueError, match="step"):
        fn(-1, 10)
