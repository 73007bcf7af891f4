"""torch.distributed glue: every rank must reach the same decision from the same numbers.

All helpers are no-ops when no process group is initialised, so single-process code pays
nothing. Reductions are done in float64 on the CPU-side device the backend needs.
"""

from __future__ import annotations

import torch
import torch.distributed as dist


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


def world_size() -> int:
    return dist.get_world_size() if is_distributed() else 1


def rank() -> int:
    return dist.get_rank() if is_distributed() else 0


def _backend_device() -> torch.device:
    """Device a reduction tensor must live on for the default group's backend."""
    backend = dist.get_backend()
    if backend == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def all_reduce_sum(values: torch.Tensor) -> torch.Tensor:
    """Sum of ``values`` over all ranks (float64, returned on the CPU)."""
    values = values.detach().to(torch.float64)
    if not is_distributed():
        return values.cpu()
    buf = values.to(_backend_device())
    dist.all_reduce(buf, op=dist.ReduceOp.SUM)
    return buf.cpu()


def all_reduce_mean_scalar(value: float) -> float:
    """Mean of one float over all ranks (NaN anywhere gives NaN everywhere)."""
    if not is_distributed():
        return value
    total = all_reduce_sum(torch.tensor([value], dtype=torch.float64))
    return float(total[0]) / world_size()


def all_true(flag: bool) -> bool:
    """True only if ``flag`` is true on every rank."""
    if not is_distributed():
        return flag
    total = all_reduce_sum(torch.tensor([0.0 if flag else 1.0]))
    return float(total[0]) == 0.0
