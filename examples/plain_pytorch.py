"""Plain PyTorch training loop with LRTuner: history to JSONL, TensorBoard, figures.

Runs offline on a CPU in seconds (digits, from scikit-learn) or about a minute
(Fashion-MNIST from the Debian package ``dataset-fashion-mnist``)::

    python examples/plain_pytorch.py --output-dir /tmp/lrtuner-plain
    python examples/plain_pytorch.py --data fashion-mnist --epochs 2 --tensorboard
    lrtuner plot /tmp/lrtuner-plain/history.jsonl -o lr.png

The seed learning rate is 100x too small; the seed search at the first step raises it
(``seed_search.png`` shows its one-step loss curve), explore and exploit then adjust it.
"""

from __future__ import annotations

import argparse
import gzip
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lrtuner import LRTuner
from lrtuner.logging import HistoryWriter

FMNIST_DIR = Path("/usr/share/datasets/fashion-mnist")


def load_digits() -> tuple[torch.Tensor, ...]:
    """scikit-learn's 8x8 digits: 1400 training and 397 test images, flattened, in [0, 1]."""
    from sklearn.datasets import load_digits as sk_digits

    data = sk_digits()
    x = torch.tensor(data.data, dtype=torch.float32) / 16.0
    y = torch.tensor(data.target, dtype=torch.long)
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))
    x, y = x[perm], y[perm]
    return x[:1400], y[:1400], x[1400:], y[1400:]


def _idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as fh:
        raw = fh.read()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_fashion_mnist(folder: Path = FMNIST_DIR) -> tuple[torch.Tensor, ...]:
    """Fashion-MNIST (60k/10k, 28x28 flattened, in [0, 1]) from the Debian package's files."""
    if not (folder / "train-images-idx3-ubyte.gz").exists():
        raise SystemExit(f"no Fashion-MNIST in {folder}: apt-get install dataset-fashion-mnist")
    out = []
    for split in ("train", "t10k"):
        images = _idx(folder / f"{split}-images-idx3-ubyte.gz")
        labels = _idx(folder / f"{split}-labels-idx1-ubyte.gz")
        out.append(torch.tensor(images.reshape(len(images), -1), dtype=torch.float32) / 255.0)
        out.append(torch.tensor(labels, dtype=torch.long))
    return tuple(out)


def batches(x: torch.Tensor, y: torch.Tensor, size: int, seed: int) -> list[tuple[Any, Any]]:
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    return [(x[perm[i : i + size]], y[perm[i : i + size]])
            for i in range(0, len(y) - size + 1, size)]


def run(
    output_dir: str | Path,
    *,
    data: str = "digits",
    epochs: int = 8,
    batch_size: int = 32,
    lr: float = 1e-3,
    tensorboard: bool = False,
    figures: bool = True,
    seed: int = 0,
    tuner_kwargs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train, write ``history.jsonl`` (and TensorBoard, figures); return what was made."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    x_train, y_train, x_test, y_test = (
        load_digits() if data == "digits" else load_fashion_mnist()
    )
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Linear(x_train.shape[1], 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Dropout(0.2),
        nn.Linear(128, 10),
    )
    base = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    steps_per_epoch = len(y_train) // batch_size
    kwargs: dict[str, Any] = {"total_steps": epochs * steps_per_epoch, "seed": seed}
    kwargs.update(tuner_kwargs or {})
    tuner = LRTuner(
        base,
        probe_loss=lambda b: F.cross_entropy(model(b[0]), b[1]),  # forward only
        probe_data=batches(x_train, y_train, 64, seed=1),
        model=model,  # protects the BatchNorm statistics during probes
        **kwargs,
    )
    history_path = out / "history.jsonl"
    with HistoryWriter(history_path, tensorboard=str(out / "tb") if tensorboard else None) as log:
        for epoch in range(epochs):
            model.train()
            for x, y in batches(x_train, y_train, batch_size, seed=100 + epoch):
                tuner.zero_grad()
                loss = F.cross_entropy(model(x), y)
                loss.backward()
                tuner.step(loss=loss)
                log.update(tuner)
            if log.tensorboard is not None:
                log.tensorboard.add_scalar(
                    "train/loss", loss.item(), tuner.stats.optimizer_steps
                )
    model.eval()
    with torch.no_grad():
        accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
    result: dict[str, Any] = {
        "tuner": tuner,
        "accuracy": accuracy,
        "history": history_path,
        "figures": [],
    }
    if figures:
        result["figures"] = save_figures(history_path, out)
    return result


def save_figures(history_path: Path, out: Path) -> list[Path]:
    """``lr_trace.png``, ``quadratic_fit.png`` (an accepted fit) and ``seed_search.png`` (the
    seed search's one-step loss curve) from a JSONL history."""
    try:
        from lrtuner import plotting
    except ImportError:  # pragma: no cover - plotting ships with lrtuner
        return []
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("matplotlib not installed (pip install 'lrtuner[plot]'): no figures")
        return []
    history = plotting.read_history(history_path)
    paths = [out / "lr_trace.png"]
    plotting.plot_lr_trace(history).savefig(paths[0], dpi=100)
    fits = [r for r in history if plotting.has_fit(r)]
    if fits:
        paths.append(out / "quadratic_fit.png")
        plotting.plot_quadratic_fit(_most_telling_fit(fits)).savefig(paths[-1], dpi=100)
    searches = [r for r in history if plotting.is_seed_search(r) and r.get("epsilons")]
    if searches:
        paths.append(out / "seed_search.png")
        plotting.plot_seed_search(searches[0]).savefig(paths[-1], dpi=100)
    return paths


def _most_telling_fit(fits: list[dict[str, Any]]) -> dict[str, Any]:
    """An accepted fit whose minimum lies near its probe points, if any (else the first)."""

    def spread(r: dict[str, Any]) -> float:
        _, k1, k2 = r["coefficients"]
        reach = max(abs(e) for e in r["epsilons"]) or 1.0
        return abs(-k1 / (2 * k2)) / reach if k2 > 0 else float("inf")

    accepted = [r for r in fits if r["decision"] == "accepted"] or fits
    return min(accepted, key=spread)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", default="lrtuner-plain-out")
    parser.add_argument("--data", choices=("digits", "fashion-mnist"), default="digits")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1e-3, help="seed learning rate")
    parser.add_argument("--tensorboard", action="store_true", help="also log to OUTPUT_DIR/tb")
    parser.add_argument("--seed", type=int, default=0)
    ns = parser.parse_args(argv)
    result = run(ns.output_dir, data=ns.data, epochs=ns.epochs, lr=ns.lr,
                 tensorboard=ns.tensorboard, seed=ns.seed)
    tuner = result["tuner"]
    print(f"final lr {tuner.lr:.4g}, test accuracy {result['accuracy']:.3f}, "
          f"{len(tuner.history)} decisions in {result['history']}")
    for path in result["figures"]:
        print(f"figure: {path}")
    return result


if __name__ == "__main__":
    main()
