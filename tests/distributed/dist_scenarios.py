"""Multi-process launcher and the training scenarios the distributed tests compare.

``run_distributed`` follows OLMo-core's ``run_distributed_test``: spawn ``world_size``
processes, initialise a gloo process group on a free local port, run a function, and always
destroy the group. Each scenario also runs in one process without any process group: it then
emulates the ranks itself (the global batch is split into per-rank shards whose losses are
averaged, so BatchNorm sees the same per-shard statistics as under DDP), which is what makes
the 1-process and 2-process runs comparable step by step.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

TESTS_DIR = Path(__file__).resolve().parents[1]
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from digits_testbed import (  # noqa: E402
    BNDropoutNet,
    build_tuner,
    load_digits_tensors,
    make_batches,
)

from lrtuner import LRTuner  # noqa: E402

#: Ranks the scenarios split into; a single process emulates them.
SHARDS = 2
GLOBAL_BATCH = 64
PROBE_BATCH = 32
NUM_PROBE_BATCHES = 16
SUPERBATCH = 8
RECOMPUTE_EVERY = 5
EXPLORE_STEPS = 30
TRAIN_STEPS = 60
AMP_STEPS = 24
AMP_INF_CALL = 9  # 0-based call of tuner.step whose gradients get an inf (a decision step)


def find_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _entry(
    rank: int,
    world_size: int,
    port: int,
    backend: str,
    func: Callable[..., Any],
    args: tuple[Any, ...],
    out_dir: str,
) -> None:
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    torch.set_num_threads(1)
    dist.init_process_group(backend, rank=rank, world_size=world_size)
    try:
        result = func(*args)
        torch.save(result, os.path.join(out_dir, f"rank{rank}.pt"))
    except Exception:
        traceback.print_exc()
        raise
    finally:
        dist.destroy_process_group()


def run_distributed(
    func: Callable[..., Any],
    *args: Any,
    world_size: int = 2,
    backend: str = "gloo",
) -> list[Any]:
    """Run ``func(*args)`` on ``world_size`` spawned ranks; return each rank's result."""
    with tempfile.TemporaryDirectory() as out_dir:
        mp.spawn(
            _entry,
            args=(world_size, find_free_port(), backend, func, args, out_dir),
            nprocs=world_size,
            join=True,
        )
        return [
            torch.load(os.path.join(out_dir, f"rank{r}.pt"), weights_only=False)
            for r in range(world_size)
        ]


# ---------------------------------------------------------------------- scenario pieces
def _rank_world() -> tuple[int, int]:
    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _data() -> tuple[list, list]:
    """Global training batches and the global probe batches (real data: sklearn digits)."""
    xtr, ytr, _, _ = load_digits_tensors()
    train = make_batches(xtr, ytr, GLOBAL_BATCH, seed=100)
    probe = make_batches(xtr, ytr, PROBE_BATCH, seed=1)[:NUM_PROBE_BATCHES]
    return train, probe


def _shards(batch: tuple[torch.Tensor, torch.Tensor], rank: int, world: int) -> list:
    """The per-rank pieces of a global batch that this process evaluates."""
    x, y = batch
    size = len(y) // SHARDS
    pieces = [(x[i * size : (i + 1) * size], y[i * size : (i + 1) * size]) for i in range(SHARDS)]
    per_rank = SHARDS // world
    return pieces[rank * per_rank : (rank + 1) * per_rank]


def _wrap(model: torch.nn.Module, mode: str) -> torch.nn.Module:
    if mode == "ddp" and dist.is_initialized():
        from torch.nn.parallel import DistributedDataParallel

        return DistributedDataParallel(model)
    if mode == "fsdp2" and dist.is_initialized():
        from torch.distributed.device_mesh import init_device_mesh
        from torch.distributed.fsdp import fully_shard

        fully_shard(model, mesh=init_device_mesh("cpu", (dist.get_world_size(),)))
    return model


def _full_params(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    out = {}
    for name, p in model.named_parameters():
        full = p.full_tensor() if hasattr(p, "full_tensor") else p
        out[name.removeprefix("module.")] = full.detach().clone()
    return out


def _summary(tuner: LRTuner, model: torch.nn.Module, **extra: Any) -> dict[str, Any]:
    return {
        "history": [r.to_dict() for r in tuner.history],
        "lr": tuner.lr,
        "phase": tuner.phase,
        "stats": tuner.stats.to_dict(),
        "params": _full_params(model),
        **extra,
    }


# ---------------------------------------------------------------------- scenarios
def train_scenario(mode: str = "ddp") -> dict[str, Any]:
    """BatchNorm MLP through explore and exploit, with a forced rollback.

    The rollback is forced by a non-finite training loss on the last rank at the first step
    after the first accepted change of the exploit phase, or, if exploit never accepts one
    in time, after the last accepted change of explore.
    """
    rank, world = _rank_world()
    torch.manual_seed(0)
    model = _wrap(BNDropoutNet(hidden=32, p=0.0), mode)
    train, probe = _data()
    base = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
    missing_model_error = None
    try:  # FSDP2 without model=: the tuner could not reshard, so it must refuse
        build_tuner(None, model, base, probe_data=probe[rank::world], with_model=False)
    except ValueError as exc:
        missing_model_error = str(exc)
    tuner = build_tuner(
        None,
        model,
        base,
        probe_data=probe[rank::world],
        recompute_every=RECOMPUTE_EVERY,
        explore_steps=EXPLORE_STEPS,
        superbatch=SUPERBATCH,
        adaptive_superbatch=False,
        saturation_threshold=1.0,
        # the one-step minimum: this 60-step scenario is laid out to pass through explore,
        # exploit and one rollback with it (the other scenarios run the default factor 2), and
        # with one conclusive search deciding (the others run the median of three directions)
        horizon_factor=1.0,
        search_directions=1,
    )
    injected_at = None
    seen_accepts = 0
    for step in range(TRAIN_STEPS):
        batch = train[step % len(train)]
        tuner.zero_grad()
        losses = []
        for x, y in _shards(batch, rank, world):
            loss = F.cross_entropy(model(x), y) / (SHARDS // world)
            loss.backward()
            losses.append(float(loss.detach()) * (SHARDS // world))
        accepts = sum(r.decision == "accepted" for r in tuner.history)
        if injected_at is None and accepts > seen_accepts and tuner.phase == "exploit":
            injected_at = step
        seen_accepts = accepts
        if injected_at == step:
            losses[-1] = float("nan") if rank == world - 1 else losses[-1]
        tuner.step(loss=sum(losses) / len(losses))
    return _summary(tuner, model, injected_at=injected_at, missing_model_error=missing_model_error)


def amp_scenario() -> dict[str, Any]:
    """bf16 autocast + GradScaler("cpu"); an inf gradient at a decision step (on the last rank)."""
    rank, world = _rank_world()
    torch.manual_seed(0)
    model = _wrap(BNDropoutNet(hidden=32, p=0.0), "ddp")
    train, probe = _data()
    base = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)

    def probe_loss(b: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            logits = model(b[0])
        return F.cross_entropy(logits.float(), b[1])

    tuner = build_tuner(
        None,
        model,
        base,
        probe_loss=probe_loss,
        probe_data=probe[rank::world],
        recompute_every=RECOMPUTE_EVERY,
        explore_steps=100,
        superbatch=SUPERBATCH,
        adaptive_superbatch=True,  # rounds of 4 then 8 batches, stop decided on reduced sums
    )
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10)
    scales = []
    forwards_before = forwards_after = -1
    for call in range(AMP_STEPS):
        batch = train[call % len(train)]
        tuner.zero_grad()
        losses = []
        for x, y in _shards(batch, rank, world):
            with torch.autocast("cpu", dtype=torch.bfloat16):
                loss = F.cross_entropy(model(x), y) / (SHARDS // world)
            scaler.scale(loss).backward()
            losses.append(float(loss.detach()) * (SHARDS // world))
        if call == AMP_INF_CALL and rank == world - 1:
            next(model.parameters()).grad.view(-1)[0] = float("inf")
        if call == AMP_INF_CALL:
            forwards_before = tuner.stats.probe_forward_passes
        tuner.step(loss=sum(losses) / len(losses), grad_scaler=scaler)
        if call == AMP_INF_CALL:
            forwards_after = tuner.stats.probe_forward_passes
        scaler.update()
        scales.append(scaler.get_scale())
    return _summary(
        tuner, model, scales=scales, forwards_before=forwards_before, forwards_after=forwards_after
    )


def errors_scenario() -> dict[str, Any]:
    """A probe that raises on the last rank only, then a loss passed on one rank only."""
    rank, world = _rank_world()
    torch.manual_seed(0)
    model = _wrap(BNDropoutNet(hidden=16, p=0.0), "ddp")
    train, probe = _data()
    calls = {"n": 0}

    def probe_loss(b: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        calls["n"] += 1
        if rank == world - 1 and calls["n"] == 2:
            raise RuntimeError("probe data is corrupt on this rank")
        return F.cross_entropy(model(b[0]), b[1])

    base = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
    tuner = build_tuner(
        None,
        model,
        base,
        probe_loss=probe_loss,
        probe_data=probe[rank::world],
        recompute_every=RECOMPUTE_EVERY,
        explore_steps=100,
        superbatch=SUPERBATCH,
        adaptive_superbatch=False,
    )
    for step in range(2 * RECOMPUTE_EVERY):
        x, y = _shards(train[step], rank, world)[0]
        tuner.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tuner.step(loss=loss)
    loss_error = None
    try:
        tuner.step(loss=loss if rank == 0 else None)
    except ValueError as exc:
        loss_error = str(exc)
    return _summary(tuner, model, loss_error=loss_error)


def all_scenarios(fsdp: bool) -> dict[str, Any]:
    """Every scenario in one launch (process start-up dominates the cost)."""
    out = {"ddp": train_scenario("ddp"), "amp": amp_scenario(), "errors": errors_scenario()}
    if fsdp:
        try:
            out["fsdp2"] = train_scenario("fsdp2")
        except Exception as exc:  # reported, and asserted on, by the test
            out["fsdp2"] = {"error": repr(exc)}
    return out
