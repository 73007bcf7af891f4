"""Data-parallel training with LRTuner under ``torchrun`` (DDP, optionally FSDP2 and AMP).

Runs offline on CPUs (gloo) or GPUs (nccl). One machine, two processes::

    torchrun --standalone --nproc-per-node=2 examples/torchrun_ddp.py

Two machines, two processes each (run on both; HOST is machine 0's address)::

    torchrun --nnodes=2 --nproc-per-node=2 --rdzv-backend=c10d \\
        --rdzv-endpoint=HOST:29500 --rdzv-id=digits examples/torchrun_ddp.py

Options: ``--amp`` (autocast, bf16 on CPU / fp16 on GPU, with a GradScaler),
``--fsdp2`` (``fully_shard`` instead of DDP), ``--epochs``, ``--lr``, ``--history FILE``.

Each rank trains on its DistributedSampler shard and probes its own shard of the probe data,
so a superbatch of ``--superbatch`` minibatches costs each rank ``superbatch / world_size``
of them. Probe losses, the training loss and every check are all-reduced, so every rank
takes the same decisions; rank 0 prints them. See docs/distributed.md.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

from lrtuner import LRTuner


class Net(nn.Module):
    """Small MLP with BatchNorm for the 8x8 digits."""

    def __init__(self, hidden: int = 128) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(64, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, 10)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


def load_digits() -> tuple[TensorDataset, TensorDataset]:
    """1400 training and 397 held-out images of scikit-learn's digits (bundled, offline)."""
    from sklearn.datasets import load_digits as sk_load_digits

    data = sk_load_digits()
    x = torch.tensor(data.data, dtype=torch.float32) / 16.0
    y = torch.tensor(data.target, dtype=torch.long)
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))
    x, y = x[perm], y[perm]
    return TensorDataset(x[:1400], y[:1400]), TensorDataset(x[1400:], y[1400:])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=1e-3, help="seed LR (deliberately small)")
    parser.add_argument("--batch-size", type=int, default=32, help="per rank")
    parser.add_argument("--superbatch", type=int, default=16, help="minibatches, all ranks")
    parser.add_argument("--amp", action="store_true", help="autocast + GradScaler")
    parser.add_argument("--fsdp2", action="store_true", help="fully_shard instead of DDP")
    parser.add_argument("--history", default=None, help="rank 0 writes the decisions here")
    args = parser.parse_args(argv)

    use_cuda = torch.cuda.is_available()
    dist.init_process_group("nccl" if use_cuda else "gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0))) if use_cuda else None
    if device is not None:
        torch.cuda.set_device(device)
    device = device or torch.device("cpu")
    try:
        torch.manual_seed(0)  # the same initial weights on every rank
        train_set, test_set = load_digits()
        sampler = DistributedSampler(train_set, shuffle=True, seed=0, drop_last=True)
        train = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler, drop_last=True)
        # Probe data: every rank its own shard, all shards the same length.
        probe_sampler = DistributedSampler(train_set, shuffle=True, seed=1, drop_last=True)
        probe = DataLoader(
            train_set, batch_size=args.batch_size, sampler=probe_sampler, drop_last=True
        )

        net = Net().to(device)
        if args.fsdp2:
            from torch.distributed.fsdp import fully_shard

            model: nn.Module = fully_shard(net)  # type: ignore[assignment]
            inner = net
        else:
            model = nn.parallel.DistributedDataParallel(
                net, device_ids=[device.index] if use_cuda else None
            )
            inner = net  # probes call the module itself: no DDP hooks, no collectives
        amp_dtype = torch.bfloat16 if device.type == "cpu" else torch.float16
        scaler = torch.amp.GradScaler(device.type) if args.amp else None

        def probe_loss(batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
            x, y = (t.to(device) for t in batch)
            with torch.autocast(device.type, dtype=amp_dtype, enabled=args.amp):
                logits = (model if args.fsdp2 else inner)(x)
            return F.cross_entropy(logits.float(), y)  # a float32 loss for the fit

        steps = args.epochs * len(train)
        base = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
        tuner = LRTuner(
            base, probe_loss, probe, model=model, total_steps=steps, superbatch=args.superbatch
        )
        for epoch in range(args.epochs):
            sampler.set_epoch(epoch)
            for x, y in train:
                x, y = x.to(device), y.to(device)
                tuner.zero_grad()
                with torch.autocast(device.type, dtype=amp_dtype, enabled=args.amp):
                    loss = F.cross_entropy(model(x), y)
                if scaler is not None:
                    scaler.scale(loss).backward()
                    tuner.step(loss=loss, grad_scaler=scaler)  # not scaler.step(tuner)
                    scaler.update()
                else:
                    loss.backward()
                    tuner.step(loss=loss)

        model.eval()
        with torch.no_grad():
            x, y = (t.to(device) for t in test_set.tensors)
            accuracy = (model(x).argmax(1) == y).float().mean().item()
        result = {
            "world_size": world,
            "accuracy": accuracy,
            "lr": tuner.lr,
            "stats": tuner.stats.to_dict(),
            "history": [r.to_dict() for r in tuner.history],
        }
        if rank == 0:
            for r in tuner.history:
                print(
                    f"step {r.step:5d} {r.phase:8s} {r.lr_before:.4g} -> {r.lr_after:.4g} "
                    f"{r.decision:11s} {r.reason}"
                )
            print(
                f"world {world}: accuracy {accuracy:.3f}, final lr {tuner.lr:.4g}, "
                f"probe forward passes per rank {tuner.stats.probe_forward_passes}"
            )
            if args.history:
                with open(args.history, "w") as fh:
                    json.dump(result, fh, indent=1)
        return result
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
