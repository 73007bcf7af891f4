"""A ``torch.optim.Optimizer`` that forwards to a wrapped one, and scales its learning rates.

:class:`OptimizerWrapper` is the part of :class:`~lrtuner.LRTuner` that is an optimizer:
torch's hook bookkeeping (so ``register_step_pre_hook``, LR schedulers and ``GradScaler``
accept it), ``param_groups``/``state``/``defaults`` forwarded (never copied), and the one
learning-rate scale that is tuned: every group's ``lr`` is multiplied by the same factor, so
the ratios the user gave the groups are kept.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

import torch

from . import distributed as dist_utils


class OptimizerWrapper(torch.optim.Optimizer):
    """Forwards to ``optimizer`` (validated: an Optimizer, not a wrapper, ``lr > 0``)."""

    def __init__(self, optimizer: torch.optim.Optimizer) -> None:
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise ValueError(
                f"Invalid optimizer: {type(optimizer).__name__} is not a torch.optim.Optimizer"
            )
        if isinstance(optimizer, OptimizerWrapper):
            raise ValueError("Invalid optimizer: it is already an LRTuner")
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
