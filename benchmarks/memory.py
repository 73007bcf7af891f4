"""Extra memory of LRTuner against the wrapped optimizer alone.

Counts bytes of tensor storage (each storage once):

* ``optimizer_state``: the wrapped optimizer's own state (momentum, Adam moments, steps).
* ``tuner_held``: tensors reachable from the tuner itself (not through the wrapped optimizer,
  the model or the probe data), measured right after an accepted LR change, while the rollback
  snapshot is held, and again after the snapshot is released.
* ``probe_transient``: tensors alive during a probe forward pass that were not alive just
  before ``tuner.step()``: the post-step parameters and step direction the probes need, the
  buffer copy, the small accumulators (the snapshot is not held during a probe).

Usage::

    python benchmarks/memory.py --out benchmarks/results/memory

writes ``memory.json`` and ``memory.md`` there. CPU only; on an accelerator the same counts
apply per device, and ``snapshot_device="cpu"`` moves ``tuner_held`` to host memory (its
tensors are checked to be on the CPU).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import platform
import sys
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from lrtuner import LRTuner

EXCLUDED_ATTRS = {"optimizer", "modules", "cursor", "probe_loss"}


def _storages(obj: Any, seen_objs: set[int], out: dict[int, tuple[int, str]]) -> None:
    """Collect (data_ptr -> (bytes, device)) of every tensor reachable from ``obj``."""
    if id(obj) in seen_objs:
        return
    seen_objs.add(id(obj))
    if isinstance(obj, torch.Tensor):
        st = obj.untyped_storage()
        out[st.data_ptr()] = (st.nbytes(), str(obj.device))
    elif isinstance(obj, dict):
        for v in obj.values():
            _storages(v, seen_objs, out)
    elif isinstance(obj, (list, tuple, set)):
        for v in obj:
            _storages(v, seen_objs, out)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            _storages(getattr(obj, f.name), seen_objs, out)
    elif type(obj).__module__.startswith("lrtuner"):
        for v in vars(obj).values():
            _storages(v, seen_objs, out)


def tensor_bytes(*objs: Any) -> tuple[int, set[str]]:
    out: dict[int, tuple[int, str]] = {}
    seen: set[int] = set()
    for o in objs:
        _storages(o, seen, out)
    return sum(b for b, _ in out.values()), {d for _, d in out.values()}


def tuner_held_bytes(tuner: LRTuner) -> tuple[int, set[str]]:
    return tensor_bytes(*(v for k, v in vars(tuner).items() if k not in EXCLUDED_ATTRS))


def live_storages() -> dict[int, int]:
    """Every tensor storage alive in the process (via the garbage collector)."""
    out: dict[int, int] = {}
    for o in gc.get_objects():
        try:
            if isinstance(o, torch.Tensor):
                st = o.untyped_storage()
                out[st.data_ptr()] = st.nbytes()
        except Exception:  # objects that refuse inspection are not tensors we hold
            continue
    return out


class MLP(nn.Module):
    def __init__(self, width: int, depth: int) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Linear(64, width), nn.BatchNorm1d(width), nn.ReLU()]
        for _ in range(depth - 1):
            layers += [nn.Linear(width, width), nn.BatchNorm1d(width), nn.ReLU()]
        layers.append(nn.Linear(width, 10))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class CNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(1, 32, 3, padding=1)
        self.bn = nn.BatchNorm2d(32)
        self.c2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc = nn.Linear(64 * 8 * 8, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn(self.c1(x.view(-1, 1, 8, 8))))
        return self.fc(F.relu(self.c2(x)).flatten(1))


MODELS: dict[str, Callable[[], nn.Module]] = {
    "mlp_64x2": lambda: MLP(64, 2),
    "mlp_1024x4": lambda: MLP(1024, 4),
    "cnn_digits": CNN,
}
OPTIMIZERS: dict[str, Callable[[Any], torch.optim.Optimizer]] = {
    "sgd_momentum": lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9),
    "adamw": lambda p: torch.optim.AdamW(p, lr=1e-4),
}


def measure(model_name: str, opt_name: str, snapshot_device: str | None) -> dict[str, Any]:
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(2048, 64, generator=gen)
    y = torch.randint(0, 10, (2048,), generator=gen)
    model = MODELS[model_name]()
    base = OPTIMIZERS[opt_name](model.parameters())
    probe_batches = [(x[i : i + 64], y[i : i + 64]) for i in range(0, 512, 64)]
    transient: list[int] = []
    baseline: dict[str, dict[int, int]] = {}

    def probe_loss(batch: Any) -> torch.Tensor:
        if not transient and "before" in baseline:
            now = live_storages()
            transient.append(sum(b for k, b in now.items() if k not in baseline["before"]))
        return F.cross_entropy(model(batch[0]), batch[1])

    tuner = LRTuner(
        base,
        probe_loss,
        probe_batches,
        model=model,
        recompute_every=5,
        superbatch=4,
        explore_steps=1000,
        snapshot_device=snapshot_device,
    )
    params = sum(p.numel() * p.element_size() for p in model.parameters())
    buffers = sum(b.numel() * b.element_size() for b in model.buffers())
    held_with_snapshot = held_devices = None
    for step in range(60):
        xb, yb = x[(step * 32) % 2048 :][:32], y[(step * 32) % 2048 :][:32]
        tuner.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        decision = (tuner.schedule.state.steps_since_decision + 1) >= tuner.recompute_every
        if decision and not transient:
            gc.collect()
            baseline["before"] = live_storages()
            # .grad tensors have no Python object until read: add them explicitly
            for p in model.parameters():
                if p.grad is not None:
                    baseline["before"][p.grad.untyped_storage().data_ptr()] = 0
        n = len(tuner.history)
        tuner.step(loss=loss)
        if any(r.decision == "accepted" for r in tuner.history[n:]) and held_with_snapshot is None:
            assert tuner._snapshot is not None
            held_with_snapshot, held_devices = tuner_held_bytes(tuner)
        if held_with_snapshot is not None and transient:
            break
    if held_with_snapshot is None:
        raise RuntimeError(f"{model_name}/{opt_name}: no LR change accepted in 60 steps")
    tuner._snapshot = None  # what the tuner does once the change is judged
    tuner.policy.release_pending()
    held_without, _ = tuner_held_bytes(tuner)
    opt_state, _ = tensor_bytes(base.state)
    return {
        "model": model_name,
        "optimizer": opt_name,
        "snapshot_device": snapshot_device or "with the parameters",
        "param_bytes": params,
        "buffer_bytes": buffers,
        "optimizer_state_bytes": opt_state,
        "tuner_held_bytes_with_snapshot": held_with_snapshot,
        "tuner_held_devices": sorted(held_devices or []),
        "tuner_held_bytes_without_snapshot": held_without,
        "probe_transient_bytes": transient[0] if transient else None,
        "ratio_held_to_optimizer_state": held_with_snapshot / opt_state,
        "ratio_held_to_params_plus_state_plus_buffers": held_with_snapshot
        / (params + opt_state + buffers),
        "ratio_probe_transient_to_params": (transient[0] / params) if transient else None,
    }


def to_markdown(rows: list[dict[str, Any]], command: str) -> str:
    def mib(b: int | None) -> str:
        return "n/a" if b is None else f"{b / 2**20:.3f}"

    lines = [
        "# LRTuner memory overhead",
        "",
        f"Command: `{command}`",
        "",
        f"torch {torch.__version__}, Python {platform.python_version()}, CPU.",
        "",
        "MiB of tensor storage. *held* = tensors the tuner itself keeps (the rollback snapshot)"
        " while an accepted change is being judged; it drops to *held after* once the change is"
        " kept. *probe* = extra tensors alive during a probe forward pass (freed after it).",
        "",
        "| model | optimizer | params | opt. state | held (snapshot) | held after |"
        " held / opt. state | held / (params+state+buffers) | probe | probe / params |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['optimizer']} | {mib(r['param_bytes'])} |"
            f" {mib(r['optimizer_state_bytes'])} | {mib(r['tuner_held_bytes_with_snapshot'])} |"
            f" {mib(r['tuner_held_bytes_without_snapshot'])} |"
            f" {r['ratio_held_to_optimizer_state']:.3f} |"
            f" {r['ratio_held_to_params_plus_state_plus_buffers']:.3f} |"
            f" {mib(r['probe_transient_bytes'])} |"
            f" {r['ratio_probe_transient_to_params']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join("benchmarks", "results", "memory"))
    parser.add_argument("--snapshot-device", default=None, choices=[None, "cpu"])
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = [measure(m, o, args.snapshot_device) for m in MODELS for o in OPTIMIZERS]
    command = "python " + " ".join(sys.argv)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "memory.json"), "w") as f:
        json.dump({"command": command, "torch": torch.__version__, "rows": rows}, f, indent=2)
    md = to_markdown(rows, command)
    with open(os.path.join(args.out, "memory.md"), "w") as f:
        f.write(md)
    print(md)


if __name__ == "__main__":
    main()
