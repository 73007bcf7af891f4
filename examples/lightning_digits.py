"""Train an MLP on scikit-learn's digits with PyTorch Lightning and LRTuner.

Runs offline on a CPU in seconds::

    pip install 'lrtuner[lightning]' scikit-learn
    python examples/lightning_digits.py --output-dir /tmp/lrtuner-lightning

The seed learning rate is 100x too small; the seed search at the first step raises it.
``LearningRateMonitor`` logs the tuned LR as ``lr-SGD`` and :class:`LRTunerCallback` logs
every decision (``lrtuner/*``) to the same CSV (``OUTPUT_DIR/logs/version_0/metrics.csv``)
and the history to ``OUTPUT_DIR/lrtuner_history.jsonl``.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


def load_digits_loaders(batch_size: int = 32) -> tuple[Any, tuple[torch.Tensor, torch.Tensor]]:
    """Shuffled training DataLoader (1400 images) and the held-out tensors (397 images)."""
    from sklearn.datasets import load_digits

    data = load_digits()
    x = torch.tensor(data.data, dtype=torch.float32) / 16.0
    y = torch.tensor(data.target, dtype=torch.long)
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))
    x, y = x[perm], y[perm]
    train = torch.utils.data.TensorDataset(x[:1400], y[:1400])
    loader = torch.utils.data.DataLoader(train, batch_size=batch_size, shuffle=True, drop_last=True)
    return loader, (x[1400:], y[1400:])


def make_module(lr: float = 1e-3, tuner_kwargs: dict[str, Any] | None = None) -> Any:
    import lightning.pytorch as pl

    from lrtuner.integrations.lightning import lrtuner_for_module

    class DigitsMLP(pl.LightningModule):
        """64-128-10 MLP with BatchNorm and dropout; SGD with momentum, tuned LR."""

        def __init__(self) -> None:
            super().__init__()
            self.net = nn.Sequential(
                nn.Linear(64, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Dropout(0.2),
                nn.Linear(128, 10),
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.net(x)

        def probe_loss(self, batch: Any) -> torch.Tensor:
            """Forward-only loss of a batch: what the tuner probes (and training uses)."""
            x, y = batch
            return F.cross_entropy(self(x), y)

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            loss = self.probe_loss(batch)
            self.log("train_loss", loss, on_step=True, prog_bar=True)
            return loss

        def configure_optimizers(self) -> Any:
            base = torch.optim.SGD(self.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
            return lrtuner_for_module(self, base, **(tuner_kwargs or {}))

    return DigitsMLP()


def build(
    output_dir: str,
    *,
    epochs: int = 6,
    batch_size: int = 32,
    lr: float = 1e-3,
    seed: int = 0,
    tuner_kwargs: dict[str, Any] | None = None,
    progress: bool = False,
) -> tuple[Any, Any, Any]:
    """``(trainer, module, train_loader)`` ready for ``trainer.fit(module, train_loader)``."""
    import lightning.pytorch as pl
    from lightning.pytorch.callbacks import LearningRateMonitor, ModelCheckpoint
    from lightning.pytorch.loggers import CSVLogger

    from lrtuner.integrations.lightning import LRTunerCallback

    pl.seed_everything(seed, verbose=False)
    loader, _ = load_digits_loaders(batch_size)
    kwargs = {"recompute_every": 10, "superbatch": 8, "seed": seed}
    kwargs.update(tuner_kwargs or {})
    module = make_module(lr, kwargs)
    trainer = pl.Trainer(
        max_epochs=epochs,
        accelerator="cpu",
        devices=1,
        default_root_dir=output_dir,
        logger=CSVLogger(output_dir, name="logs", version=0),
        log_every_n_steps=1,
        callbacks=[
            LRTunerCallback(history_path=os.path.join(output_dir, "lrtuner_history.jsonl")),
            LearningRateMonitor(logging_interval="step"),
            ModelCheckpoint(dirpath=os.path.join(output_dir, "ckpt"), save_top_k=-1),
        ],
        enable_progress_bar=progress,
        enable_model_summary=False,
        deterministic=True,
    )
    return trainer, module, loader


def accuracy(module: Any, x: torch.Tensor, y: torch.Tensor) -> float:
    module.eval()
    with torch.no_grad():
        return (module(x).argmax(1) == y).float().mean().item()


def main(argv: list[str] | None = None) -> Any:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", default="lrtuner-lightning-out")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--lr", type=float, default=1e-3, help="seed learning rate")
    parser.add_argument("--seed", type=int, default=0)
    ns = parser.parse_args(argv)
    trainer, module, loader = build(ns.output_dir, epochs=ns.epochs, lr=ns.lr, seed=ns.seed)
    trainer.fit(module, loader)
    tuner = trainer.optimizers[0]
    _, (x_test, y_test) = load_digits_loaders()
    for r in tuner.history:
        if r.decision != "skipped":
            print(f"step {r.step:4d} {r.phase:8s} {r.decision:11s} "
                  f"lr {r.lr_before:.3g} -> {r.lr_after:.3g}")
    print(f"final lr {tuner.lr:.4g}; test accuracy {accuracy(module, x_test, y_test):.3f}")
    return trainer, module


if __name__ == "__main__":
    main()
