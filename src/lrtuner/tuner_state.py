"""Checking and decoding the ``"lrtuner"`` entry of a checkpoint, before anything is changed.

Pure functions: they read a saved state and the live model's shapes, and either return the
decoded state or raise ``ValueError``. :meth:`LRTuner.load_state_dict` calls them first, so a
bad checkpoint never leaves a half-loaded optimizer or tuner behind.

Versions: 2 (since the component refactor) stores the policy's and the schedule's state
separately (``"policy"``, ``"schedule"``); 1 (lrtuner 0.3.0) kept the schedule's fields in the
policy state and at the top level (``"recompute_every"``, ``"steps_since_decision"``). Both
load; a checkpoint is always written in the current version.

What is checked before anything changes: the number of param groups and of parameters in each,
the shape of every saved per-parameter optimizer state tensor against its live parameter
(:func:`check_state_shapes`: a tensor with as many dimensions as the parameter must match it,
or be 1, in each dimension, so factored states such as Adafactor's pass), the keys of the
``"lrtuner"`` entry (unknown ones too), and the type and range of every value it holds
(:func:`check_values`: phase, window losses, counters, cursor, history records...). The decoded
state is a copy: the loaded dict is never changed by later training.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import torch

from .policy import PolicyState
from .records import DECISIONS, DecisionRecord, SeedSearchReport, TunerStats
from .schedule import ScheduleState
from .snapshot import TrainingSnapshot, clone_tree

STATE_VERSION = 2
#: The keys an ``"lrtuner"`` entry must have, by state version.
TUNER_KEYS = {
    1: (
        "version",
        "optimizer_class",
        "policy",
        "stats",
        "history",
        "cursor",
        "recompute_every",
        "steps_since_decision",
    ),
    2: ("version", "optimizer_class", "policy", "schedule", "stats", "history", "cursor"),
}
#: Keys an ``"lrtuner"`` entry may have besides :data:`TUNER_KEYS`.
OPTIONAL_KEYS = ("num_param_groups", "snapshot", "seed_search")
PHASES = ("explore", "exploit", "cooldown")
#: Version 1 kept these schedule fields in the policy state.
_V1_SCHEDULE_IN_POLICY = ("backoff", "last_fit_forwards", "fit_forwards")


@dataclass
class RestoredTunerState:
    """A decoded and checked ``"lrtuner"`` entry."""

    policy: PolicyState
    schedule: ScheduleState
    stats: TunerStats
    history: list[DecisionRecord]
    cursor: dict[str, int]
    snapshot: TrainingSnapshot | None
    seed_search: SeedSearchReport | None = None


def _split_v1(tuner_state: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Version 1: the policy state and the schedule state, separated."""
    policy = dict(tuner_state["policy"])
    schedule = {k: policy.pop(k) for k in _V1_SCHEDULE_IN_POLICY}
    schedule["interval"] = tuner_state["recompute_every"]
    schedule["steps_since_decision"] = tuner_state["steps_since_decision"]
    return policy, schedule


def check_state_dict(state_dict: Any, optimizer: torch.optim.Optimizer) -> Any:
    """An optimizer state_dict with as many param groups as ``optimizer``; returns its
    ``"lrtuner"`` entry, or ``None`` for a plain checkpoint of ``optimizer``'s class
    (:func:`check_plain_param_groups`). ``ValueError`` otherwise."""
    num_param_groups = len(optimizer.param_groups)
    if (
        not isinstance(state_dict, dict)
        or not isinstance(state_dict.get("param_groups"), list)
        or "state" not in state_dict
    ):
        raise ValueError("Invalid state_dict: not an optimizer state_dict")
    n_groups = len(state_dict["param_groups"])
    if n_groups != num_param_groups:
        raise ValueError(
            f"Invalid state_dict: it has {n_groups} param groups, "
            f"the optimizer has {num_param_groups}"
        )
    check_state_shapes(state_dict, optimizer)
    tuner_state = state_dict.get("lrtuner")
    if tuner_state is None:
        check_plain_param_groups(state_dict["param_groups"], optimizer)
    return tuner_state


def check_state_shapes(state_dict: dict[str, Any], optimizer: torch.optim.Optimizer) -> None:
    """Each saved group holds as many parameters as the live one, and each saved state tensor
    with as many dimensions as its parameter matches it in every dimension (or is 1 there)."""
    saved_state = state_dict["state"]
    if not isinstance(saved_state, dict):
        raise ValueError("Invalid state_dict: 'state' is not a dict")
    for g, (saved, live) in enumerate(
        zip(state_dict["param_groups"], optimizer.param_groups, strict=True)
    ):
        ids = saved.get("params") if isinstance(saved, dict) else None
        if not isinstance(ids, list) or len(ids) != len(live["params"]):
            n = len(ids) if isinstance(ids, list) else ids
            raise ValueError(
                f"Invalid state_dict: param_groups[{g}] has {n} parameters, which does not "
                f"match the size of the optimizer's group ({len(live['params'])}; saved from "
                "another model?)"
            )
        for pid, param in zip(ids, live["params"], strict=True):
            entry = saved_state.get(pid)
            for key, value in (entry.items() if isinstance(entry, dict) else ()):
                if not isinstance(value, torch.Tensor) or value.dim() != param.dim():
                    continue
                if any(a != b and a != 1 for a, b in zip(value.shape, param.shape, strict=True)):
                    raise ValueError(
                        f"Invalid state_dict: the saved optimizer state {key!r} of parameter "
                        f"{pid} has shape {tuple(value.shape)}, the parameter has shape "
                        f"{tuple(param.shape)} (saved from a model with other shapes?)"
                    )


def decode_tuner_state(
    tuner_state: Any,
    optimizer_class: str,
    params: Sequence[torch.Tensor],
    buffers: Sequence[torch.Tensor],
    snapshot_device: torch.device | str | None = None,
) -> RestoredTunerState:
    """Check and decode an ``"lrtuner"`` entry without changing anything."""
    if not isinstance(tuner_state, dict):
        raise ValueError(f"Invalid state_dict: 'lrtuner' entry is a {type(tuner_state)}")
    cls_name = tuner_state.get("optimizer_class")
    if cls_name != optimizer_class:
        raise ValueError(
            f"Invalid state_dict: saved from a {cls_name}, this tuner wraps a {optimizer_class}"
        )
    version = tuner_state.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version not in TUNER_KEYS:
        raise ValueError(f"Invalid state_dict: tuner state version {version!r}")
    missing = [k for k in TUNER_KEYS[version] if k not in tuner_state]
    if missing:
        raise ValueError(
            f"Invalid state_dict: the 'lrtuner' entry lacks {missing} "
            "(saved by another version of lrtuner?)"
        )
    unknown = sorted(set(tuner_state) - set(TUNER_KEYS[version]) - set(OPTIONAL_KEYS))
    if unknown:
        raise ValueError(
            f"Invalid state_dict: the 'lrtuner' entry has keys {unknown} that version "
            f"{version} does not have (edited?)"
        )
    snap = tuner_state.get("snapshot")
    # a copy of everything but the snapshot (cloned below): the loaded dict stays unchanged
    tuner_state = clone_tree({k: v for k, v in tuner_state.items() if k != "snapshot"})
    try:
        if version == 1:
            policy, schedule = _split_v1(tuner_state)
        else:
            policy, schedule = tuner_state["policy"], tuner_state["schedule"]
        restored = RestoredTunerState(
            policy=PolicyState.from_dict(policy),
            schedule=ScheduleState.from_dict(schedule),
            stats=TunerStats(**tuner_state["stats"]),
            history=[DecisionRecord.from_dict(r) for r in tuner_state["history"]],
            cursor={k: tuner_state["cursor"][k] for k in ("seed", "epoch", "index")},
            snapshot=None,
        )
        search = tuner_state.get("seed_search")
        if search is not None:
            restored.seed_search = SeedSearchReport.from_dict(search)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"Invalid state_dict: malformed 'lrtuner' entry ({exc!r})") from exc
    check_values(restored)
    restored.cursor = {k: int(v) for k, v in restored.cursor.items()}
    if snap is not None:
        check_snapshot(snap, params, buffers)
        restored.snapshot = TrainingSnapshot.from_dict(clone_tree(snap, snapshot_device))
    return restored


def check_snapshot(
    snap: Any, params: Sequence[torch.Tensor], buffers: Sequence[torch.Tensor]
) -> None:
    """The saved rollback snapshot must match this model's parameters and buffers."""
    keys = {"params", "optimizer_state", "buffers", "step"}
    ok = isinstance(snap, dict) and keys <= set(snap)
    if ok:
        for saved, live in ((snap["params"], params), (snap["buffers"], buffers)):
            ok = ok and isinstance(saved, (list, tuple)) and len(saved) == len(live)
            ok = ok and all(
                isinstance(a, torch.Tensor) and a.shape == b.shape
                for a, b in zip(saved, live, strict=False)
            )
    if not ok:
        raise ValueError(
            "Invalid state_dict: the rollback snapshot does not match this model's "
            "parameters and buffers (another model, or a tuner built without model=?)"
        )


def check_plain_param_groups(groups: list[Any], optimizer: torch.optim.Optimizer) -> None:
    """A plain optimizer checkpoint must not come from another optimizer class."""
    known = set(optimizer.defaults) | {k for g in optimizer.param_groups for k in g}
    for i, group in enumerate(groups):
        if not isinstance(group, dict):
            raise ValueError(f"Invalid state_dict: param_groups[{i}] is not a dict")
        unknown = sorted(set(group) - known - {"params"})
        if unknown:
            raise ValueError(
                f"Invalid state_dict: param_groups[{i}] has hyperparameters {unknown} that "
                f"{type(optimizer).__name__} does not have (saved from another "
                "optimizer class?)"
            )


# ---------------------------------------------------------------------- values
def _fail(where: str, value: Any, need: str) -> None:
    raise ValueError(f"Invalid state_dict: 'lrtuner' {where} is {value!r} (need {need})")


def _int(where: str, value: Any, minimum: int | None = 0) -> None:
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not ok or (minimum is not None and value < minimum):
        _fail(where, value, "an int" + (f" >= {minimum}" if minimum is not None else ""))


def _real(where: str, value: Any, optional: bool = True, finite: bool = False) -> None:
    if value is None and optional:
        return
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not ok or (finite and not math.isfinite(value)):
        _fail(where, value, "a finite number" if finite else "a number" + " or None" * optional)


def _reals(where: str, value: Any, finite: bool = False, optional: bool = False) -> None:
    """A list of numbers (finite ones with ``finite``; ``None`` too with ``optional``)."""
    if value is None and optional:
        return
    if not isinstance(value, list):
        _fail(where, value, "a list of numbers" + " or None" * optional)
    for x in value:
        _real(where, x, optional=False, finite=finite)


def check_values(state: RestoredTunerState) -> None:
    """The type and range of every decoded value (``ValueError`` naming the first bad one)."""
    p = state.policy
    if p.phase not in PHASES:
        _fail("policy.phase", p.phase, "'explore', 'exploit' or 'cooldown'")
    if p.explore_steps is not None:
        _int("policy.explore_steps", p.explore_steps)
    for name in ("relative_threshold", "absolute_threshold", "rate_at_lr_start", "last_rate",
                 "last_stderr", "last_window_mean", "rollback_cap"):  # fmt: skip
        _real(f"policy.{name}", getattr(p, name))
    if p.rollback_direction not in (-1, 0, 1) or isinstance(p.rollback_direction, bool):
        _fail("policy.rollback_direction", p.rollback_direction, "-1, 0 or 1")
    _int("policy.decrease_streak", p.decrease_streak)
    _real("policy.growth", p.growth, optional=False, finite=True)
    for name in ("seed_searched", "seed_search_retry"):
        if not isinstance(getattr(p, name), bool):
            _fail(f"policy.{name}", getattr(p, name), "True or False")
    _int("policy.seed_search_attempts", p.seed_search_attempts)
    _reals("policy.seed_search_optima", p.seed_search_optima, finite=True)
    _real("policy.cooldown_lr", p.cooldown_lr, finite=True)
    if p.cooldown_from is not None:
        _int("policy.cooldown_from", p.cooldown_from)
    if p.phase == "cooldown" and not (p.cooldown_lr is not None and p.cooldown_lr > 0):
        _fail("policy.cooldown_lr", p.cooldown_lr, "a positive LR in the cooldown phase")
    _reals("policy.window_losses", p.window_losses)
    _reals("policy.closed_window", p.closed_window, finite=True)
    if p.pending is not None:
        _int("policy.pending.step", p.pending.step)
        _real("policy.pending.lr_before", p.pending.lr_before, optional=False, finite=True)
        _real("policy.pending.lr_after", p.pending.lr_after, optional=False, finite=True)
        _real("policy.pending.rate_before", p.pending.rate_before)
        _real("policy.pending.stderr_before", p.pending.stderr_before)
        _reals("policy.pending.losses_before", p.pending.losses_before, finite=True, optional=True)
    s = state.schedule
    _int("schedule.interval (recompute_every)", s.interval, minimum=1)
    _int("schedule.backoff", s.backoff, minimum=1)
    for name in ("steps_since_decision", "last_fit_forwards", "fit_forwards"):
        _int(f"schedule.{name}", getattr(s, name))
    for f in fields(state.stats):
        _int(f"stats.{f.name}", getattr(state.stats, f.name))
    _int("cursor.seed", state.cursor["seed"], minimum=None)
    _int("cursor.epoch", state.cursor["epoch"])
    _int("cursor.index", state.cursor["index"])
    for i, r in enumerate(state.history):
        if r.decision not in DECISIONS:
            _fail(f"history[{i}].decision", r.decision, f"one of {list(DECISIONS)}")
        if r.phase not in PHASES:
            _fail(f"history[{i}].phase", r.phase, "'explore', 'exploit' or 'cooldown'")
        _int(f"history[{i}].step", r.step)
        _real(f"history[{i}].lr_before", r.lr_before, optional=False)
        _real(f"history[{i}].lr_after", r.lr_after, optional=False)
        if not isinstance(r.reason, str):
            _fail(f"history[{i}].reason", r.reason, "a str")
