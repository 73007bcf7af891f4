"""Extra memory of LRTuner against the wrapped optimizer alone.

Counts bytes of tensor storage (each storage once):

* ``optimizer_state``: the wrapped optimizer's own state (momentum, Adam moments, steps).
* ``tuner_held``: tensors reachable from the tuner itself (not through the wrapped optimizer,
  the model or the probe data), after every step of a short run: the most with an accepted
  change pending (its rollback snapshot) and the most with none (since 0.13.0 rule 13's
  restore point and candidate are held then).
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
#: steps measured: with ``recompute_every=5``, a dozen decisions or more, so that rule 13's
#: restore point and candidate are held as in a long run
STEPS = 120


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


def tuner_held_bytes(tuner: LRTuner, owned: Any = ()) -> tuple[int, set[str]]:
    """Bytes of the storages reachable from the tuner's own attributes, less those of
    ``owned`` (the model, the wrapped optimizer's state, the probe data: memory the training
    holds anyway, which the tuner only references)."""
    out: dict[int, tuple[int, str]] = {}
    _storages([v for k, v in vars(tuner).items() if k not in EXCLUDED_ATTRS], set(), out)
    theirs: dict[int, tuple[int, str]] = {}
    _storages(owned, set(), theirs)
    mine = {k: v for k, v in out.items() if k not in theirs}
    return sum(b for b, _ in mine.values()), {d for _, d in mine.values()}


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
            # rule 13's candidate, taken at this decision, is held, not transient
            held: dict[int, tuple[int, str]] = {}
            _storages([tuner._sound, tuner._candidate, tuner._snapshot], set(), held)
            transient.append(
                sum(b for k, b in now.items() if k not in baseline["before"] and k not in held)
            )
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
    owned = [list(model.parameters()), list(model.buffers()), base.state, probe_batches]
    held_with_snapshot = held_devices = None
    most_pending = most_idle = 0  # the most held at any step, with / without a change pending
    for step in range(STEPS):
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
        held, devices = tuner_held_bytes(tuner, owned)
        if tuner.pending_snapshot is not None:
            most_pending = max(most_pending, held)
        else:
            most_idle = max(most_idle, held)
        accepted = any(r.decision == "accepted" for r in tuner.history[n:])
        if accepted and tuner.pending_snapshot is not None and held_with_snapshot is None:
            held_with_snapshot, held_devices = held, devices
        held_devices = (held_devices or set()) | devices
    if held_with_snapshot is None:
        raise RuntimeError(f"{model_name}/{opt_name}: no LR change accepted in {STEPS} steps")
    tuner._snapshot = None  # what the tuner does once the change is judged
    tuner.policy.release_pending()
    held_without, _ = tuner_held_bytes(tuner, owned)
    most = max(most_pending, most_idle)
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
        "tuner_held_bytes_most_pending": most_pending,
        "tuner_held_bytes_most_idle": most_idle,
        "tuner_held_bytes_most": most,
        "probe_transient_bytes": transient[0] if transient else None,
        "ratio_held_to_optimizer_state": most / opt_state,
        "ratio_held_to_params_plus_state_plus_buffers": most / (params + opt_state + buffers),
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
        "MiB of tensor storage. *held* = tensors the tuner itself keeps: the most at any of "
        f"{STEPS} steps (`recompute_every=5`), with an accepted change pending (its rollback "
        "snapshot, beside rule 13's restore point) and with none pending (rule 13's restore "
        "point and candidate, 0.13.0). *probe* = extra tensors alive during a probe forward pass"
        " (freed after it). Ratios use the most held.",
        "",
        "| model | optimizer | params | opt. state | held, change pending | held, none pending |"
        " held / opt. state | held / (params+state+buffers) | probe | probe / params |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['optimizer']} | {mib(r['param_bytes'])} |"
            f" {mib(r['optimizer_state_bytes'])} | {mib(r['tuner_held_bytes_most_pending'])} |"
            f" {mib(r['tuner_held_bytes_most_idle'])} |"
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
