"""Train under PyTorch Lightning with a tuned learning rate.

Two pieces:

- :func:`lrtuner_for_module` builds the :class:`~lrtuner.LRTuner` in ``configure_optimizers``.
  Lightning's closure runs ``training_step``, ``zero_grad`` and ``backward``, so it cannot be a
  probe; the probe is the module's own forward-only loss, ``module.probe_loss(batch)``, on
  batches of the training DataLoader (moved to the device like training batches). The closure
  is still what the tuner calls at each step, so its loss feeds the drop-rate tracking.
- :class:`LRTunerCallback` checks the setup (an ``LRTuner`` optimizer, no LR scheduler), logs
  every decision to the Trainer's loggers (and as an ``INFO`` line on the ``"lrtuner.lightning"``
  logger of :mod:`logging`), optionally writes the history as JSONL, and keeps the
  global RNG in the checkpoint so that a resumed fit continues exactly. The tuner's own state
  travels in the checkpoint's ``optimizer_states``. ``LearningRateMonitor`` shows the tuned LR
  under the wrapped optimizer's name (``lr-SGD``, ``lr-AdamW``...): it
  reads ``param_groups``, where the tuner writes.

Example:
    >>> class Net(L.LightningModule):
    ...     def probe_loss(self, batch):
    ...         x, y = batch
    ...         return F.cross_entropy(self(x), y)
    ...     def training_step(self, batch, batch_idx):
    ...         return self.probe_loss(batch)
    ...     def configure_optimizers(self):
    ...         base = torch.optim.SGD(self.parameters(), lr=0.01, momentum=0.9)
    ...         return lrtuner_for_module(self, base, superbatch=20)
    >>> L.Trainer(callbacks=[LRTunerCallback(), LearningRateMonitor()]).fit(Net(), loader)

Resume exactly from checkpoints saved at the end of an epoch (``ModelCheckpoint`` defaults):
Lightning restarts a plain DataLoader's epoch from its first batch when resuming mid-epoch.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import torch

try:
    import lightning.pytorch as pl
    from lightning.pytorch.callbacks import Callback
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "lrtuner.integrations.lightning needs PyTorch Lightning: pip install 'lrtuner[lightning]'"
    ) from exc

from ..logging import (
    HistoryWriter,
    decision_scalars,
    get_logger,
    log_decision,
    write_history_jsonl,
)
from ..tuner import LRTuner
from ._unwrap import find_lrtuner

__all__ = ["LRTunerCallback", "TrainDataloaderProbe", "find_lrtuner", "lrtuner_for_module"]

_logger = get_logger("lightning")


class TrainDataloaderProbe:
    """Re-iterable view of the Trainer's training DataLoader, resolved when probes start.

    ``configure_optimizers`` runs before Lightning builds the DataLoaders, so the tuner gets
    this proxy. Not suitable for ``persistent_workers=True`` (a second ``iter()`` would reset
    the training iterator): pass ``probe_data`` explicitly then.
    """

    def __init__(self, module: pl.LightningModule) -> None:
        self.module = module

    def __iter__(self) -> Iterator[Any]:
        loader = self.module.trainer.train_dataloader
        if loader is None:
            raise RuntimeError("TrainDataloaderProbe: the Trainer has no train_dataloader yet")
        if not isinstance(loader, torch.utils.data.DataLoader):
            raise ValueError(
                f"Invalid probe_data: the Trainer's train_dataloader is a "
                f"{type(loader).__name__}, not one DataLoader; pass probe_data explicitly"
            )
        if getattr(loader, "persistent_workers", False):
            raise ValueError(
                "Invalid probe_data: the training DataLoader has persistent_workers=True; "
                "pass a separate probe_data DataLoader"
            )
        return iter(loader)


def lrtuner_for_module(
    module: pl.LightningModule,
    optimizer: torch.optim.Optimizer,
    *,
    probe_data: Any = None,
    probe_loss: Callable[[Any], torch.Tensor] | None = None,
    **tuner_kwargs: Any,
) -> LRTuner:
    """Wrap ``optimizer`` in an :class:`LRTuner` probing ``module`` (call in configure_optimizers).

    Args:
        module: the LightningModule; its buffers (BatchNorm) are protected during probes.
        optimizer: the base optimizer, built as usual.
        probe_data: re-iterable source of probe batches; default: the Trainer's training
            DataLoader (:class:`TrainDataloaderProbe`).
        probe_loss: ``batch -> loss`` (forward only); default: ``module.probe_loss``.
        **tuner_kwargs: other :class:`LRTuner` arguments. ``total_steps`` defaults to the
            Trainer's ``estimated_stepping_batches`` when that is finite.

    Batches are moved to the module's device with ``trainer.strategy.batch_to_device`` (the
    module's transfer hooks) before ``probe_loss`` sees them.
    """
    if probe_loss is None:
        probe_loss = getattr(module, "probe_loss", None)
        if not callable(probe_loss):
            raise ValueError(
                f"Invalid probe_loss: None, and {type(module).__name__} has no probe_loss(batch) "
                "method (define one returning the forward-only loss of a batch)"
            )
    loss_fn = probe_loss

    def on_device(batch: Any) -> torch.Tensor:
        trainer = module._trainer
        if trainer is not None:
            batch = trainer.strategy.batch_to_device(batch)
        return loss_fn(batch)

    if "total_steps" not in tuner_kwargs and module._trainer is not None:
        try:
            steps = module.trainer.estimated_stepping_batches
        except Exception:  # estimating needs the train DataLoader; not fatal
            steps = float("inf")
        if isinstance(steps, (int, float)) and 0 < steps < float("inf"):
            tuner_kwargs["total_steps"] = int(steps)
    return LRTuner(
        optimizer,
        probe_loss=on_device,
        probe_data=probe_data if probe_data is not None else TrainDataloaderProbe(module),
        model=module,
        **tuner_kwargs,
    )


class LRTunerCallback(Callback):
    """Checks, logs and checkpoints an :class:`LRTuner` returned by ``configure_optimizers``.

    Args:
        history_path: if given, the decision history is written there as JSONL (rank zero),
            kept equal to ``tuner.history`` (rewritten in full after a resume).
        log_decisions: send :func:`~lrtuner.logging.decision_scalars` of every decision to
            the Trainer's loggers (at ``trainer.global_step``, whatever ``log_every_n_steps``).
        restore_rng: store the global torch RNG state (CPU, and CUDA when initialised) in the
            checkpoint and restore it on resume, so dropout and DataLoader shuffling continue
            as in the uninterrupted run. Keep it ``True`` for exact resumes.
        prefix: metric-name prefix.

    Raises:
        ValueError: at fit start, when no optimizer is an :class:`LRTuner` or an LR scheduler
            is configured (it would overwrite the tuned LR).
    """

    def __init__(
        self,
        history_path: str | os.PathLike[str] | None = None,
        *,
        log_decisions: bool = True,
        restore_rng: bool = True,
        prefix: str = "lrtuner",
    ) -> None:
        self.history_path = history_path
        self.log_decisions = log_decisions
        self.restore_rng = restore_rng
        self.prefix = prefix
        self.tuner: LRTuner | None = None
        self.logged = 0
        self.writer: HistoryWriter | None = None

    # ------------------------------------------------------------------ setup checks
    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        tuner = find_lrtuner(trainer.optimizers)
        if tuner is None:
            names = [type(o).__name__ for o in trainer.optimizers]
            raise ValueError(
                f"Invalid optimizers: {names}; LRTunerCallback needs configure_optimizers to "
                "return an LRTuner (see lrtuner.integrations.lightning.lrtuner_for_module)"
            )
        if trainer.lr_scheduler_configs:
            names = [type(c.scheduler).__name__ for c in trainer.lr_scheduler_configs]
            raise ValueError(
                f"Invalid lr_scheduler: {names}; the tuner sets the learning rate and a "
                "scheduler would overwrite it: return only the LRTuner from configure_optimizers"
            )
        self.tuner = tuner

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # After restore_training_state: the history holds the decisions of the resumed run.
        assert self.tuner is not None
        self.logged = len(self.tuner.history)
        if self.history_path is not None and trainer.is_global_zero:
            write_history_jsonl(self.tuner.history, self.history_path)
            self.writer = HistoryWriter(self.history_path, append=True, start=self.logged)

    # ------------------------------------------------------------------ logging
    def on_train_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        tuner = self.tuner
        if tuner is None:
            return
        new = tuner.history[self.logged :]
        self.logged = len(tuner.history)
        for record in new:
            log_decision(record, _logger)
        if new and self.log_decisions:
            for record in new:
                metrics = decision_scalars(record, self.prefix)
                for logger in trainer.loggers:
                    logger.log_metrics(metrics, step=trainer.global_step)
        if self.writer is not None:
            self.writer.update(tuner)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        if not self.restore_rng:
            return {}
        state: dict[str, Any] = {"torch_rng": torch.get_rng_state()}
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state["cuda_rng"] = torch.cuda.get_rng_state_all()
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if not self.restore_rng or "torch_rng" not in state_dict:
            return
        torch.set_rng_state(state_dict["torch_rng"])
        if "cuda_rng" in state_dict and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state_dict["cuda_rng"])
