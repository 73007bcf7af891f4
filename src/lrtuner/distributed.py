"""torch.distributed glue: every rank must reach the same decision from the same numbers.

All helpers are no-ops when no process group is initialised, so single-process code pays
nothing. Reductions are done in float64 on the device the default group's backend needs.

What the tuner relies on (see ``docs/distributed.md``):

* every rank calls :meth:`LRTuner.step` at the same steps, with or without ``loss`` alike;
* the training loss, the probe sums, the "did the step move / is it finite" checks and the
  GradScaler's inf flag are all-reduced, so the fit, the phase switch and a rollback happen at
  the same step on every rank;
* a probe that fails on one rank is reported on every rank (:class:`ProbeFailedOnOtherRankError`)
  instead of leaving the others waiting in a collective;
* parameters that are ``DTensor`` shards (FSDP2 ``fully_shard``) are perturbed through their
  local shard, so probes issue no collective of their own;
* probes run through a ``DistributedDataParallel`` wrapper leave its buffer-broadcast
  bookkeeping as they found it (:func:`ddp_probe_guard`).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence
from types import ModuleType, TracebackType

import torch
import torch.distributed as dist


class ProbeFailedOnOtherRankError(RuntimeError):
    """A probe raised on another rank; this rank abandons the decision with it."""


def is_distributed() -> bool:
    """True when a default process group is initialised."""
    return dist.is_available() and dist.is_initialized()


def world_size() -> int:
    """Number of ranks (1 without a process group)."""
    return dist.get_world_size() if is_distributed() else 1


def rank() -> int:
    """This process's rank (0 without a process group)."""
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


def all_reduce_loss(value: float | None) -> float | None:
    """Mean training loss over ranks; ``None`` when no rank passed one.

    Every rank must take part, whether or not it has a loss (a rank that skipped the call
    would leave the others waiting). Passing a loss on some ranks only is an error, raised on
    every rank alike.
    """
    if not is_distributed():
        return value
    present = value is not None
    buf = torch.tensor([value if present else 0.0, 1.0 if present else 0.0], dtype=torch.float64)
    return _mean_loss(all_reduce_sum(buf))


def all_reduce_step(value: float | None, grads_finite: bool) -> tuple[float | None, bool]:
    """:func:`all_reduce_loss` and :func:`all_true` of the gradient check in one collective.

    Every training step needs both; one all-reduce of three numbers instead of two keeps the
    per-step cost under DDP at one small collective.
    """
    if not is_distributed():
        return value, grads_finite
    present = value is not None
    buf = torch.tensor(
        [value if present else 0.0, 1.0 if present else 0.0, 0.0 if grads_finite else 1.0],
        dtype=torch.float64,
    )
    total = all_reduce_sum(buf)
    return _mean_loss(total), float(total[2]) == 0.0


def _mean_loss(total: torch.Tensor) -> float | None:
    count = round(float(total[1]))
    if count == 0:
        return None
    if count != world_size():
        raise ValueError(
            f"Invalid loss: passed to LRTuner.step on {count} of {world_size()} ranks; "
            "pass the training loss on every rank or on none"
        )
    return float(total[0]) / count


def all_true(flag: bool) -> bool:
    """True only if ``flag`` is true on every rank."""
    if not is_distributed():
        return flag
    total = all_reduce_sum(torch.tensor([0.0 if flag else 1.0]))
    return float(total[0]) == 0.0


def any_true(flag: bool) -> bool:
    """True if ``flag`` is true on at least one rank."""
    if not is_distributed():
        return flag
    total = all_reduce_sum(torch.tensor([1.0 if flag else 0.0]))
    return float(total[0]) > 0.0


def local_tensor(tensor: torch.Tensor) -> torch.Tensor:
    """This rank's shard of a ``DTensor`` (FSDP2), the tensor itself otherwise.

    The shard shares storage with the parameter, so in-place updates of it are updates of the
    parameter. All the tuner's tensor work (step direction, perturbation, restore, snapshot) is
    element-wise, so it is done shard by shard without any collective.
    """
    return tensor.to_local() if is_dtensor(tensor) else tensor


def is_dtensor(tensor: torch.Tensor) -> bool:
    """True for a ``DTensor`` (FSDP2's sharded parameters and their gradients)."""
    return type(tensor).__name__ == "DTensor" and hasattr(tensor, "to_local")


def _loaded_fsdp() -> ModuleType | None:
    """``torch.distributed.fsdp`` if the program imported it (FSDP in use), else ``None``.

    Importing it takes seconds; a model that is sharded has already paid that.
    """
    return sys.modules.get("torch.distributed.fsdp")


def fsdp_modules(modules: Sequence[torch.nn.Module]) -> list[torch.nn.Module]:
    """Every FSDP2 (``fully_shard``) module inside ``modules``."""
    fsdp = _loaded_fsdp()
    if fsdp is None:
        return []
    FSDPModule = fsdp.FSDPModule
    found: list[torch.nn.Module] = []
    for module in modules:
        for sub in module.modules():
            if isinstance(sub, FSDPModule) and sub not in found:
                found.append(sub)
    return found


def reshard(modules: Sequence[torch.nn.Module]) -> None:
    """Free FSDP2's unsharded parameters so the next forward all-gathers the current shards.

    FSDP2 keeps the root module's parameters unsharded after a forward (they would be
    needed for backward). A probe changes the shards in place, so without this the next
    probe forward, and the next training forward after the probes, would run on stale
    unsharded copies.
    """
    for module in modules:
        module.reshard()  # type: ignore[operator]


def check_supported(params: Sequence[torch.Tensor], modules: Sequence[torch.nn.Module]) -> None:
    """Raise ``ValueError`` for sharding set-ups the tuner cannot probe correctly."""
    fsdp = _loaded_fsdp()
    if fsdp is None:
        return
    FullyShardedDataParallel = fsdp.FullyShardedDataParallel
    if any(type(p).__name__ == "FlatParameter" for p in params) or any(
        isinstance(sub, FullyShardedDataParallel) for m in modules for sub in m.modules()
    ):
        raise ValueError(
            "Invalid model: FullyShardedDataParallel (FSDP1) is not supported: its flat "
            "parameters stay unsharded between forwards, so probes would evaluate stale "
            "weights. Use FSDP2 (torch.distributed.fsdp.fully_shard) or DDP."
        )
    if any(is_dtensor(p) for p in params) and not fsdp_modules(modules):
        raise ValueError(
            "Invalid model: the parameters are DTensor shards (FSDP2 fully_shard) but no "
            "fully_shard-ed module was passed as model=; pass the root module so probes can "
            "reshard it (otherwise they would evaluate stale unsharded weights)"
        )


def _ddp_wrappers(modules: Sequence[torch.nn.Module]) -> list[torch.nn.Module]:
    from torch.nn.parallel import DistributedDataParallel

    found: list[torch.nn.Module] = []
    for module in modules:
        for sub in module.modules():
            if isinstance(sub, DistributedDataParallel) and sub not in found:
                found.append(sub)
    return found


@contextlib.contextmanager
def ddp_probe_guard(modules: Sequence[torch.nn.Module]) -> Iterator[None]:
    """Leave DDP's forward bookkeeping as the probes found it.

    A forward through a ``DistributedDataParallel`` wrapper under ``no_grad`` broadcasts the
    buffers once (if the last forward had gradients) and then clears
    ``require_forward_param_sync``, which would make the *next training* forward skip its
    buffer broadcast. The flag is restored here. Probes that call ``ddp_model.module``
    directly (recommended) never touch DDP at all.
    """
    wrappers = _ddp_wrappers(modules)
    saved = [getattr(w, "require_forward_param_sync", None) for w in wrappers]
    try:
        yield
    finally:
        for wrapper, flag in zip(wrappers, saved, strict=True):
            if flag is not None:
                wrapper.require_forward_param_sync = flag


class RankFailure:
    """Catches an exception of the local probe work so every rank can learn about it.

    Usage::

        failure = RankFailure()
        with failure:
            ...  # local work that may raise
        totals += failure.all_reduce_sum(local)  # re-raises on every rank if any failed

    The failure flag travels in the same all-reduce as the probe sums, so a failure costs no
    extra collective and no rank is left waiting for one that gave up.
    """

    def __init__(self) -> None:
        self.error: Exception | None = None

    def __enter__(self) -> RankFailure:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if isinstance(exc, Exception):
            self.error = exc
            return True
        return False

    def all_reduce_sum(self, values: torch.Tensor) -> torch.Tensor:
        """Sum of ``values`` over ranks; raises if the local work failed on any rank."""
        if not is_distributed():
            if self.error is not None:
                raise self.error
            return all_reduce_sum(values)
        flag = torch.tensor([1.0 if self.error is not None else 0.0], dtype=torch.float64)
        reduced = all_reduce_sum(torch.cat([values.detach().to(torch.float64).cpu(), flag]))
        failed = round(float(reduced[-1]))
        if self.error is not None:
            raise self.error
        if failed:
            raise ProbeFailedOnOtherRankError(
                f"probe failed on {failed} other rank(s); decision abandoned on every rank"
            )
        return reduced[:-1]
