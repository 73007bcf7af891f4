"""Loading a checkpoint from another configuration: a clear error, or a warned fallback.

Whenever ``load_state_dict`` raises, nothing (parameters, wrapped optimizer, tuner) may have
changed: the check is bitwise on the optimizer state and on the tuner's own state_dict.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from digits_testbed import build_tuner
from reliability_helpers import Run, assert_same_state, build, capture, train_batches, train_step

from lrtuner.snapshot import clone_tree


def _trained(digits, **kwargs: Any) -> Run:
    run = build(digits, lr=0.001, **kwargs)
    for b in train_batches(digits)[:9]:  # two decisions, the last one accepted: a snapshot
        train_step(run, b)
    return run


@pytest.fixture(scope="module")
def saved(digits) -> dict[str, dict[str, Any]]:
    """One trained source run per optimizer (with a rollback snapshot), shared by the tests."""
    out = {}
    for name in ("sgd", "adam"):
        run = _trained(digits, optimizer=name)
        assert run.tuner is not None and run.tuner.pending_snapshot is not None
        out[name] = _tuner_state(run)
    return out


def _target(digits, steps: int = 5, **kwargs: Any) -> Run:
    """A second run with some state of its own (one decision at step 4)."""
    run = build(digits, lr=0.001, seed=1, **kwargs)
    for b in train_batches(digits, 1)[:steps]:
        train_step(run, b)
    return run


def _tuner_state(run: Run) -> dict[str, Any]:
    assert run.tuner is not None
    return clone_tree(run.tuner.state_dict())


def _assert_untouched(run: Run, before: dict[str, Any], tuner_before: dict[str, Any]) -> None:
    assert_same_state(capture(run), before)
    assert_same_state({"t": _tuner_state(run)}, {"t": tuner_before})


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    def edit(sd: dict[str, Any]) -> None:
        del sd["lrtuner"][key]

    return edit


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(sd: dict[str, Any]) -> None:
        sd["lrtuner"][key] = value

    return edit


def _set_policy(sd: dict[str, Any]) -> None:
    sd["lrtuner"]["policy"]["from_the_future"] = 1


def _bad_stats(sd: dict[str, Any]) -> None:
    sd["lrtuner"]["stats"]["unknown_counter"] = 3


def _bad_snapshot(sd: dict[str, Any]) -> None:
    sd["lrtuner"]["snapshot"]["params"] = sd["lrtuner"]["snapshot"]["params"][:-1]


def _bad_param_group(sd: dict[str, Any]) -> None:
    sd["param_groups"][0]["params"] = sd["param_groups"][0]["params"][:-1]


CORRUPTIONS = {
    "missing_key_stats": (_drop("stats"), "lacks"),
    "missing_key_cursor": (_drop("cursor"), "lacks"),
    "missing_key_schedule": (_drop("schedule"), "lacks"),
    "missing_version": (_drop("version"), "version"),
    "newer_version": (_set("version", 99), "version"),
    "unknown_policy_key": (_set_policy, "policy"),
    "unknown_stats_key": (_bad_stats, "malformed"),
    "cursor_not_a_dict": (_set("cursor", 5), "malformed"),
    "snapshot_of_another_model": (_bad_snapshot, "snapshot"),
    "other_optimizer_class_name": (_set("optimizer_class", "Adam"), "Adam"),
    "group_of_another_size": (_bad_param_group, "size|match"),
}


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_bad_checkpoint_raises_before_changing_anything(name, digits, saved):
    sd = clone_tree(saved["sgd"])
    edit, match = CORRUPTIONS[name]
    edit(sd)
    target = _target(digits)
    before, tuner_before = capture(target), _tuner_state(target)
    assert target.tuner is not None
    with pytest.raises(ValueError, match=match):
        target.tuner.load_state_dict(sd)
    _assert_untouched(target, before, tuner_before)
    for b in train_batches(digits, 1)[5:8]:  # and it still trains
        train_step(target, b)


def test_different_number_of_param_groups(digits, saved):
    sd = clone_tree(saved["sgd"])
    target = build(digits, seed=1)
    assert target.tuner is not None
    target.base.param_groups[0]["params"] = target.base.param_groups[0]["params"][:2]
    target.base.add_param_group({"params": list(target.model.parameters())[2:]})
    before, tuner_before = capture(target), _tuner_state(target)
    with pytest.raises(ValueError, match=r"2 param groups|1 param groups"):
        target.tuner.load_state_dict(sd)
    _assert_untouched(target, before, tuner_before)


def test_checkpoint_of_another_wrapped_optimizer_class(digits, saved):
    sd = clone_tree(saved["adam"])
    target = _target(digits)
    assert target.tuner is not None
    before, tuner_before = capture(target), _tuner_state(target)
    with pytest.raises(ValueError, match="saved from a Adam"):
        target.tuner.load_state_dict(sd)
    _assert_untouched(target, before, tuner_before)
    # a plain Adam checkpoint (no tuner entry) into an SGD tuner: refused too
    plain = {"state": sd["state"], "param_groups": sd["param_groups"]}
    with pytest.raises(ValueError, match="another optimizer class"):
        target.tuner.load_state_dict(plain)
    _assert_untouched(target, before, tuner_before)


def test_plain_optimizer_checkpoint_loads_with_a_warning(digits, saved):
    """An older checkpoint without the tuner entry: documented fallback, a fresh tuner."""
    plain = {"state": saved["sgd"]["state"], "param_groups": saved["sgd"]["param_groups"]}
    plain = clone_tree(plain)
    target = build(digits, lr=0.001, seed=1)
    assert target.tuner is not None
    with pytest.warns(UserWarning, match="no 'lrtuner' entry"):
        target.tuner.load_state_dict(plain)
    assert_same_state({"o": target.base.state_dict()}, {"o": plain})
    assert target.tuner.history == [] and target.tuner.pending_snapshot is None
    for b in train_batches(digits)[:5]:
        train_step(target, b)


def test_round_trip_restores_the_snapshot_exactly(digits):
    source = _trained(digits)
    assert source.tuner is not None
    sd = copy.deepcopy(source.tuner.state_dict())
    target = build(digits, lr=0.001, seed=1, snapshot_device="cpu")
    assert target.tuner is not None
    target.tuner.load_state_dict(sd)
    assert target.tuner.pending_snapshot is not None and source.tuner.pending_snapshot is not None
    assert_same_state({"s": target.tuner.pending_snapshot.to_dict()},
                      {"s": source.tuner.pending_snapshot.to_dict()})
    assert target.tuner.history == source.tuner.history


def test_not_an_optimizer_state_dict(digits):
    run = build(digits)
    assert run.tuner is not None
    for bad in ({}, {"param_groups": 3, "state": {}}, {"param_groups": []}, [1, 2]):
        with pytest.raises(ValueError, match="Invalid state_dict"):
            run.tuner.load_state_dict(bad)  # type: ignore[arg-type]


def test_load_into_a_tuner_built_without_the_model(digits, saved):
    """The snapshot holds BatchNorm buffers; a tuner without ``model=`` cannot restore them."""
    sd = clone_tree(saved["sgd"])
    run = build(digits, lr=0.001, seed=1)
    assert run.tuner is not None
    bare = build_tuner(
        digits,
        run.model,
        run.base,
        probe_loss=run.tuner.probe_loss,
        probe_data=train_batches(digits)[:2],
        with_model=False,
        recompute_every=4,
    )
    with pytest.raises(ValueError, match="snapshot"):
        bare.load_state_dict(sd)
