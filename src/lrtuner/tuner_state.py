"""Checking and decoding the ``"lrtuner"`` entry of a checkpoint, before anything is changed.

Pure functions: they read a saved state and the live model's shapes, and either return the
decoded state or raise ``ValueError``. :meth:`LRTuner.load_state_dict` calls them first, so a
bad checkpoint never leaves a half-loaded optimizer or tuner behind.

Versions: 2 (since the component refactor) stores the policy's and the schedule's state
separately (``"policy"``, ``"schedule"``); 1 (lrtuner 0.3.0) kept the schedule's fields in the
policy state and at the top level (``"recompute_every"``, ``"steps_since_decision"``). Both
load; a checkpoint is always written in the current version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from .policy import PolicyState
from .records import DecisionRecord, TunerStats
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
    tuner_state = state_dict.get("lrtuner")
    if tuner_state is None:
        check_plain_param_groups(state_dict["param_groups"], optimizer)
    return tuner_state


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
            cursor={k: int(tuner_state["cursor"][k]) for k in ("seed", "epoch", "index")},
            snapshot=None,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"Invalid state_dict: malformed 'lrtuner' entry ({exc!r})") from exc
    snap = tuner_state.get("snapshot")
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
