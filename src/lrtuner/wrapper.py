"""A ``torch.optim.Optimizer`` that forwards to a wrapped one, and scales its learning rates.

:class:`OptimizerWrapper` is the part of :class:`~lrtuner.LRTuner` that is an optimizer:
torch's hook bookkeeping (so ``register_step_pre_hook``, LR schedulers and ``GradScaler``
accept it), ``param_groups``/``state``/``defaults`` forwarded (never copied), and the one
learning-rate scale that is tuned: every group's ``lr`` is multiplied by the same factor, so
the ratios the user gave the groups are kept.

It also owns what any ``torch.optim.Optimizer`` promises around checkpoints, and what a
wrapper must refuse:

* ``state_dict``/``load_state_dict`` run the hooks registered with
  ``register_state_dict_pre_hook``/``_post_hook`` and
  ``register_load_state_dict_pre_hook``/``_post_hook``, as torch's do (post hooks of
  ``state_dict`` and pre hooks of ``load_state_dict`` may return a replacement dict);
* pickling and copying (``pickle``, ``copy.deepcopy``, ``torch.save`` of the object) raise
  ``TypeError``: a tuner holds ``probe_loss`` and ``probe_data``, which refer to the live model,
  so a copy would probe the original model. Checkpoint with ``state_dict()``;
* anything else that changes the LR between two steps (an LR scheduler on the tuner or on the
  wrapped optimizer, a direct write to ``param_groups[i]["lr"]``) is warned about once. The
  policy: **the change is kept**, and the tuner tunes from the new LR (it does not fight it
  back); in the cooldown (rule 9) the linear anneal goes on from it, scaled by the same
  factor. Tensor LRs on an accelerator are not watched (reading them would synchronise).
"""

from __future__ import annotations

import math
import warnings
from collections import OrderedDict
from typing import Any, NoReturn

import torch

from . import distributed as dist_utils


class OptimizerWrapper(torch.optim.Optimizer):
    """Forwards to ``optimizer`` (validated: an Optimizer, not a wrapper, not LBFGS, an
    ``lr`` in every group, ``lr > 0``)."""

    def __init__(self, optimizer: torch.optim.Optimizer) -> None:
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise ValueError(
                f"Invalid optimizer: {type(optimizer).__name__} is not a torch.optim.Optimizer"
            )
        if isinstance(optimizer, OptimizerWrapper):
            raise ValueError("Invalid optimizer: it is already an LRTuner")
        if isinstance(optimizer, torch.optim.LBFGS):
            raise ValueError(
                "Invalid optimizer: LBFGS is not supported (its step needs a closure that "
                "re-evaluates the loss many times per step, and its line search sets the step "
                "length itself); use a first-order optimizer such as SGD or Adam"
            )
        for i, group in enumerate(optimizer.param_groups):
            if "lr" not in group:
                raise ValueError(
                    f"Invalid optimizer: param_groups[{i}] has no 'lr' (the hyperparameters "
                    f"of {type(optimizer).__name__} are {sorted(optimizer.defaults)}); "
                    "LRTuner tunes the 'lr' of every param group"
                )
        lr0 = float(optimizer.param_groups[0]["lr"])
        if not (math.isfinite(lr0) and lr0 > 0):
            raise ValueError(f"Invalid learning rate: {lr0} (param_groups[0]['lr'] must be > 0)")
        for i, group in enumerate(optimizer.param_groups):
            lr = float(group["lr"])
            if not (math.isfinite(lr) and lr >= 0):
                raise ValueError(f"Invalid learning rate: {lr} in param_groups[{i}]")
        # torch.optim.Optimizer bookkeeping, without copying the wrapped param_groups.
        self._optimizer_step_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._patch_step_function()
        self._warned_capturable_if_run_uncaptured = True
        self.optimizer = optimizer
        self._lrs_seen: list[float | None] = self._group_lrs()
        self._lr_change_warned = False

    # ------------------------------------------------------------------ copies
    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError(
            f"{type(self).__name__} cannot be pickled or copied: its probe_loss and probe_data "
            "refer to the live model, so a copy would probe the original. Save "
            "tuner.state_dict() (torch.save works on it), build a new tuner around a new "
            "optimizer, and call load_state_dict on it"
        )

    # ------------------------------------------------------------------ checkpoints + hooks
    def state_dict(self) -> dict[str, Any]:  # type: ignore[override]
        """The state to save (:meth:`_collect_state`), with torch's state_dict hooks."""
        for pre in self._optimizer_state_dict_pre_hooks.values():
            pre(self)
        state_dict = self._collect_state()
        for post in self._optimizer_state_dict_post_hooks.values():
            replaced = post(self, state_dict)
            if replaced is not None:
                state_dict = replaced
        return state_dict

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:  # type: ignore[override]
        """Restore (:meth:`_restore_state`), with torch's load_state_dict hooks."""
        for pre in self._optimizer_load_state_dict_pre_hooks.values():
            replaced = pre(self, state_dict)
            if replaced is not None:
                state_dict = replaced
        self._restore_state(state_dict)
        self._note_lrs()
        for post in self._optimizer_load_state_dict_post_hooks.values():
            post(self)

    def _collect_state(self) -> dict[str, Any]:
        return self.optimizer.state_dict()

    def _restore_state(self, state_dict: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state_dict)

    @property
    def param_groups(self) -> list[dict[str, Any]]:  # type: ignore[override]
        return self.optimizer.param_groups

    @param_groups.setter
    def param_groups(self, value: list[dict[str, Any]]) -> None:
        self.optimizer.param_groups = value

    @property
    def state(self) -> Any:  # type: ignore[override]
        return self.optimizer.state

    @state.setter
    def state(self, value: Any) -> None:
        self.optimizer.state = value

    @property
    def defaults(self) -> dict[str, Any]:  # type: ignore[override]
        return self.optimizer.defaults

    @defaults.setter
    def defaults(self, value: dict[str, Any]) -> None:
        self.optimizer.defaults = value

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.optimizer.zero_grad(set_to_none=set_to_none)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        self.optimizer.add_param_group(param_group)
        self._note_lrs()

    def train(self) -> None:
        """Forwarded to wrapped optimizers that have a train/eval mode (Schedule-Free)."""
        if hasattr(self.optimizer, "train"):
            self.optimizer.train()

    def eval(self) -> None:
        if hasattr(self.optimizer, "eval"):
            self.optimizer.eval()

    @property
    def lr(self) -> float:
        """Current learning rate of the first param group."""
        return float(self.optimizer.param_groups[0]["lr"])

    def _params_raw(self) -> list[torch.Tensor]:
        """The wrapped optimizer's parameters, as it holds them."""
        return [p for g in self.optimizer.param_groups for p in g["params"]]

    def _params(self) -> list[torch.Tensor]:
        """Parameters as tensors the tuner may update in place (this rank's shard of a DTensor)."""
        return [dist_utils.local_tensor(p) for p in self._params_raw()]

    def _set_lr(self, new_lr: float) -> None:
        """Scale every group's LR by the same factor (group ratios are kept)."""
        groups = self.optimizer.param_groups
        factor = new_lr / self.lr
        for i, group in enumerate(groups):
            value = new_lr if i == 0 else float(group["lr"]) * factor
            if isinstance(group["lr"], torch.Tensor):
                group["lr"].fill_(value)
            else:
                group["lr"] = value
        self._note_lrs()

    # ------------------------------------------------------------------ LR changed outside
    def _group_lrs(self) -> list[float | None]:
        """Each group's LR as a float; ``None`` for a tensor LR off the CPU (not read)."""
        out: list[float | None] = []
        for group in self.optimizer.param_groups:
            lr = group["lr"]
            on_device = isinstance(lr, torch.Tensor) and lr.device.type != "cpu"
            out.append(None if on_device else float(lr))
        return out

    def _note_lrs(self) -> None:
        """The LRs as the tuner leaves them (after a step, a decision, a load)."""
        self._lrs_seen = self._group_lrs()

    def _check_lrs(self) -> float | None:
        """Warn once if something else changed an LR since :meth:`_note_lrs`; keep it.

        Returns ``new / old`` of the first group's LR when something else changed it (the
        cooldown anneals on from the new value), else ``None``."""
        now = self._group_lrs()
        if now == self._lrs_seen:
            return None
        changed = []
        if len(now) == len(self._lrs_seen):
            changed = [
                (i, was, lr)
                for i, (was, lr) in enumerate(zip(self._lrs_seen, now, strict=True))
                if was is not None and lr is not None and was != lr
            ]
        if changed and not self._lr_change_warned:
            i, was, lr = changed[0]
            self._lr_change_warned = True
            warnings.warn(
                f"LRTuner: something else changed the learning rate between two steps "
                f"(param_groups[{i}]['lr'] {was:.6g} -> {lr:.6g}): an LR scheduler on the "
                "tuner or the wrapped optimizer, or a direct write? The tuner sets the LR "
                "itself and a scheduler fights it; remove the scheduler. The new LR is kept "
                "and tuned from; in the cooldown the anneal goes on from it (warned once)",
                stacklevel=3,
            )
        self._lrs_seen = now
        first = changed[0] if changed else None
        return first[2] / first[1] if first is not None and first[0] == 0 and first[1] else None
