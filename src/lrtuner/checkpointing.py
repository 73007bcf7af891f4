"""The tuner's side of a checkpoint: ``state_dict``/``load_state_dict`` and ``add_param_group``.

:class:`TunerCheckpoint` is a mixin of :class:`~lrtuner.LRTuner`: it assembles the
``"lrtuner"`` entry from the components (policy, schedule, stats, history, probe-data cursor,
rollback snapshot, seed-search report) and restores them, after :mod:`lrtuner.tuner_state`
has checked and decoded a checkpoint without changing anything. The hooks of torch's
``state_dict``/``load_state_dict`` run around these (:class:`~lrtuner.wrapper.OptimizerWrapper`).
"""

from __future__ import annotations

import warnings
from typing import Any

import torch

from . import distributed as dist_utils
from .config import TunerConfig
from .policy import TunerPolicy
from .records import DecisionRecord, SeedSearchReport, TunerStats
from .schedule import DecisionSchedule
from .snapshot import TrainingSnapshot, module_buffers
from .superbatch import BatchCursor
from .tuner_state import STATE_VERSION, check_state_dict, decode_tuner_state
from .wrapper import OptimizerWrapper


class TunerCheckpoint(OptimizerWrapper):
    """``state_dict``/``load_state_dict`` of the tuner (with :class:`OptimizerWrapper`'s hooks);
    the components are built by :class:`~lrtuner.LRTuner`."""

    config: TunerConfig
    policy: TunerPolicy
    schedule: DecisionSchedule
    stats: TunerStats
    history: list[DecisionRecord]
    cursor: BatchCursor
    seed_search_result: SeedSearchReport | None
    modules: list[torch.nn.Module]
    _snapshot: TrainingSnapshot | None
    _sound: TrainingSnapshot | None
    _candidate: TrainingSnapshot | None

    @property
    def pending_snapshot(self) -> TrainingSnapshot | None:
        """The rollback snapshot of an accepted change not judged yet (``None`` if none)."""
        return self._snapshot

    def _buffers(self) -> list[torch.Tensor]:
        """The buffers a probe or a rollback must restore (of ``model=``)."""
        return module_buffers(self.modules)

    def _collect_state(self) -> dict[str, Any]:
        """``state_dict()``: the wrapped optimizer's ``state``/``param_groups`` plus an
        ``"lrtuner"`` entry (state version 2)."""
        base = self.optimizer.state_dict()
        search = self.seed_search_result
        return {
            "state": base["state"],
            "param_groups": base["param_groups"],
            "lrtuner": {
                "version": STATE_VERSION,
                "optimizer_class": type(self.optimizer).__name__,
                "num_param_groups": len(self.optimizer.param_groups),
                "policy": self.policy.state_dict(),
                "schedule": self.schedule.state_dict(),
                "stats": self.stats.to_dict(),
                "history": [r.to_dict() for r in self.history],
                "cursor": self.cursor.state_dict(),
                "snapshot": self._snapshot.to_dict() if self._snapshot is not None else None,
                "seed_search": search.to_dict() if search is not None else None,
            },
        }

    def _restore_state(self, state_dict: dict[str, Any]) -> None:
        """``load_state_dict()``: the wrapped optimizer and the tuner (state version 2, or 1 of
        0.3.0). A plain optimizer state_dict (no ``"lrtuner"`` entry) loads the wrapped
        optimizer, with a warning; its state is the truth, so a held snapshot, the pending
        change and the loss window are dropped. A checkpoint that does not fit (another
        optimizer class, number of param groups or parameter shapes, an unknown version, a
        malformed or edited entry: :mod:`lrtuner.tuner_state`) raises ``ValueError``,
        changing nothing. The loaded dict's ``"lrtuner"`` entry is copied, never changed."""
        tuner_state = check_state_dict(state_dict, self.optimizer)
        restored = None
        if tuner_state is not None:  # validates everything; changes nothing
            restored = decode_tuner_state(
                tuner_state,
                type(self.optimizer).__name__,
                self._params(),
                self._buffers(),
                self.config.snapshot_device,
            )
        self.optimizer.load_state_dict(
            {"state": state_dict["state"], "param_groups": state_dict["param_groups"]}
        )
        self._sound = self._candidate = None  # rule 13's are not checkpointed: taken anew
        if restored is None:
            warnings.warn(
                "LRTuner.load_state_dict: no 'lrtuner' entry (a plain optimizer checkpoint?); "
                "the wrapped optimizer was loaded; a rollback snapshot, a pending change and "
                "the loss window were dropped",
                stacklevel=3,
            )
            self._snapshot = None
            self.policy.release_pending()
            self.policy.state.window_losses = []
            return
        self.policy.load_state(restored.policy)
        self.schedule.load_state_dict(restored.schedule)
        self.stats = restored.stats
        self.history = restored.history
        self.cursor.load_state_dict(restored.cursor)
        self._snapshot = restored.snapshot
        self.seed_search_result = restored.seed_search

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group to the wrapped optimizer; a held rollback snapshot gains the group as
        it is now, so a rollback restores every group consistently."""
        super().add_param_group(param_group)
        self._sound = self._candidate = None  # they lack the group: taken anew
        if self._snapshot is not None:
            added = self.optimizer.param_groups[-1]["params"]
            self._snapshot.add_group(
                [dist_utils.local_tensor(p) for p in added],
                self.optimizer.state_dict()["param_groups"][-1],
                self.config.snapshot_device,
            )
