"""Exact copies of the training state: parameters, optimizer state, module buffers.

Used twice: around probes (parameters and buffers must come back bitwise) and for rollback
(the state at the moment an LR change was accepted). A snapshot may live on another device
(``snapshot_device="cpu"``) for users short of accelerator memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch


def clone_tree(obj: Any, device: torch.device | str | None = None) -> Any:
    """Deep copy of nested dicts/lists/tuples with every tensor cloned (optionally moved)."""
    if isinstance(obj, torch.Tensor):
        out = obj.detach()
        return out.to(device, copy=True) if device is not None else out.clone()
    if isinstance(obj, dict):
        return {k: clone_tree(v, device) for k, v in obj.items()}
    if isinstance(obj, list):
        return [clone_tree(v, device) for v in obj]
    if isinstance(obj, tuple):
        return tuple(clone_tree(v, device) for v in obj)
    return obj


def module_buffers(modules: Sequence[torch.nn.Module]) -> list[torch.Tensor]:
    """The buffers of ``modules`` (BatchNorm statistics), each once, in module order."""
    seen: set[int] = set()
    out = []
    for m in modules:
        for b in m.buffers():
            if id(b) not in seen:
                seen.add(id(b))
                out.append(b)
    return out


def copy_into(targets: Sequence[torch.Tensor], sources: Sequence[torch.Tensor]) -> None:
    """``target.copy_(source)`` for each pair, without autograd."""
    with torch.no_grad():
        for t, s in zip(targets, sources, strict=True):
            t.copy_(s)


@dataclass
class TrainingSnapshot:
    """Parameters, wrapped-optimizer state_dict and module buffers at one moment."""

    params: list[torch.Tensor]
    optimizer_state: dict[str, Any]
    buffers: list[torch.Tensor]
    step: int

    @classmethod
    def capture(
        cls,
        params: Sequence[torch.Tensor],
        optimizer: torch.optim.Optimizer,
        buffers: Sequence[torch.Tensor],
        step: int,
        device: torch.device | str | None = None,
    ) -> TrainingSnapshot:
        return cls(
            params=[clone_tree(p, device) for p in params],
            optimizer_state=clone_tree(optimizer.state_dict(), device),
            buffers=[clone_tree(b, device) for b in buffers],
            step=step,
        )

    def restore(
        self,
        params: Sequence[torch.Tensor],
        optimizer: torch.optim.Optimizer,
        buffers: Sequence[torch.Tensor],
    ) -> None:
        copy_into(params, self.params)
        copy_into(buffers, self.buffers)
        optimizer.load_state_dict(clone_tree(self.optimizer_state))

    def add_group(
        self,
        params: Sequence[torch.Tensor],
        group_state: dict[str, Any],
        device: torch.device | str | None = None,
    ) -> None:
        """A param group added after the capture, as it is now (``group_state``: its entry of
        the optimizer's ``state_dict()["param_groups"]``; new parameters have no state yet)."""
        self.params.extend(clone_tree(p, device) for p in params)
        self.optimizer_state["param_groups"].append(clone_tree(group_state, device))

    def to_dict(self) -> dict[str, Any]:
        return {
            "params": self.params,
            "optimizer_state": self.optimizer_state,
            "buffers": self.buffers,
            "step": self.step,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingSnapshot:
        return cls(**data)
