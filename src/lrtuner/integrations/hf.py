"""Train under Hugging Face ``transformers.Trainer`` with a tuned learning rate.

:class:`LRTunerTrainer` is a drop-in ``Trainer`` subclass:

- the optimizer HF builds (AdamW with its weight-decay / no-decay param groups, or the one
  passed as ``optimizers=(optimizer, None)``) is wrapped in an :class:`~lrtuner.LRTuner`;
- the probe loss is the Trainer's own :meth:`~transformers.Trainer.compute_loss` on real
  training batches (a separate, non-distributed DataLoader over ``train_dataset`` or
  ``probe_dataset``, with the Trainer's collator);
- the training loss of each optimizer step feeds the tuner's drop-rate tracking
  (:meth:`LRTuner.observe_loss`), because HF calls ``optimizer.step()`` without a closure;
- the LR scheduler is a :class:`TunedLRScheduler` that never writes the LR. Any other
  schedule would overwrite the tuned LR at every step, so ``lr_scheduler_type`` must be
  ``"constant"`` with no warmup, and a scheduler passed in ``optimizers`` is refused;
- the tuned LR appears as HF's usual ``learning_rate`` log entry, and every decision is logged
  through :meth:`~transformers.Trainer.log` (numbers to the reporters, plus the decision and
  its reason as text in ``trainer.state.log_history``);
- the tuner's whole state travels inside ``optimizer.pt``, so ``resume_from_checkpoint``
  continues exactly like the uninterrupted run.

Example:
    >>> args = TrainingArguments("out", learning_rate=5e-5, lr_scheduler_type="constant")
    >>> trainer = LRTunerTrainer(model=model, args=args, train_dataset=train,
    ...                          data_collator=collator,
    ...                          lrtuner_kwargs={"superbatch": 20})
    >>> trainer.train()
    >>> trainer.lrtuner.history  # DecisionRecords
"""

from __future__ import annotations

import os
from typing import Any

import torch
from torch.utils.data import DataLoader

try:
    import transformers
    from transformers import Trainer, TrainerCallback
    from transformers.trainer_utils import SchedulerType
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "lrtuner.integrations.hf needs Hugging Face transformers and accelerate: "
        "pip install 'lrtuner[hf]'"
    ) from exc

from ..logging import HistoryWriter, decision_scalars, write_history_jsonl
from ..records import DecisionRecord
from ..tuner import LRTuner

__all__ = ["LRTunerTrainer", "TunedLRScheduler", "check_training_args", "unwrap_lrtuner"]

#: Arguments of :class:`LRTuner` that :class:`LRTunerTrainer` fills in itself.
_RESERVED_KWARGS = ("optimizer", "probe_loss", "probe_data", "model")


def unwrap_lrtuner(optimizer: Any) -> LRTuner | None:
    """The :class:`LRTuner` inside ``optimizer`` (e.g. an accelerate ``AcceleratedOptimizer``)."""
    seen = 0
    while optimizer is not None and seen < 8:
        if isinstance(optimizer, LRTuner):
            return optimizer
        optimizer = getattr(optimizer, "optimizer", None)
        seen += 1
    return None


def check_training_args(args: transformers.TrainingArguments) -> None:
    """Raise ``ValueError`` if ``args`` ask for an LR schedule, which would fight the tuner."""
    kind = SchedulerType(args.lr_scheduler_type)
    if kind != SchedulerType.CONSTANT:
        raise ValueError(
            f"Invalid lr_scheduler_type: {kind.value!r}. LRTunerTrainer sets the learning rate "
            "itself and a schedule would overwrite it at every step; use "
            "TrainingArguments(lr_scheduler_type='constant')"
        )
    for name in ("warmup_steps", "warmup_ratio"):
        value = getattr(args, name, 0) or 0
        if value > 0:
            raise ValueError(
                f"Invalid {name}: {value}. Warmup is an LR schedule and would fight the tuner; "
                f"set {name}=0"
            )


class TunedLRScheduler(torch.optim.lr_scheduler.LRScheduler):
    """A scheduler that never changes the LR: it only reports the tuner's current value.

    ``get_last_lr()`` reads the param groups directly, so the value HF logs as
    ``learning_rate`` is the tuned LR of the step just taken.
    """

    def get_lr(self) -> list[float]:  # type: ignore[override]
        return [float(group["lr"]) for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:  # type: ignore[override]
        return self.get_lr()


class _LRTunerTrainerCallback(TrainerCallback):
    """Feeds the step loss to the tuner and logs its decisions through the Trainer."""

    def __init__(self, trainer: LRTunerTrainer) -> None:
        self.trainer = trainer
        self.logged = 0
        self.writer: HistoryWriter | None = None

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        tuner = self.trainer.lrtuner
        # After a resume the tuner's history holds the decisions already logged.
        self.logged = len(tuner.history)
        path = self.trainer.history_path
        if path is not None and state.is_world_process_zero:
            write_history_jsonl(tuner.history, path)
            self.writer = HistoryWriter(path, append=True, start=self.logged)

    def on_pre_optimizer_step(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.trainer._feed_step_loss()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        tuner = self.trainer.lrtuner
        new = tuner.history[self.logged :]
        self.logged = len(tuner.history)
        # Trainer.log clears control.should_log; keep the Trainer's own logging of this step.
        should_log = control.should_log
        for record in new:
            self.trainer.log_decision(record)
        control.should_log = should_log
        if self.writer is not None:
            self.writer.update(tuner)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


class LRTunerTrainer(Trainer):
    """``transformers.Trainer`` whose optimizer is wrapped in an :class:`~lrtuner.LRTuner`.

    Args:
        *args, **kwargs: as for ``transformers.Trainer``. ``args.lr_scheduler_type`` must be
            ``"constant"`` with no warmup, and ``optimizers`` may hold an optimizer (plain, or
            an :class:`LRTuner` you built) but no scheduler.
        lrtuner_kwargs: keyword arguments of :class:`LRTuner` (``superbatch``,
            ``recompute_every``, ``explore_steps``, ``seed``...). ``total_steps`` defaults to
            the Trainer's ``max_steps``.
        probe_dataset: dataset the probe batches are drawn from (default: ``train_dataset``).
        probe_batch_size: probe minibatch size (default: ``per_device_train_batch_size``).
        history_path: if given, the decision history is also written there as JSONL
            (see :mod:`lrtuner.logging`), kept equal to ``trainer.lrtuner.history``.

    Raises:
        ValueError: for an LR schedule in ``args`` or ``optimizers``, or ``lrtuner_kwargs``
            that name ``optimizer``, ``probe_loss``, ``probe_data`` or ``model``.
    """

    def __init__(
        self,
        *args: Any,
        lrtuner_kwargs: dict[str, Any] | None = None,
        probe_dataset: Any = None,
        probe_batch_size: int | None = None,
        history_path: str | os.PathLike[str] | None = None,
        **kwargs: Any,
    ) -> None:
        lrtuner_kwargs = dict(lrtuner_kwargs or {})
        reserved = sorted(set(lrtuner_kwargs) & set(_RESERVED_KWARGS))
        if reserved:
            raise ValueError(
                f"Invalid lrtuner_kwargs: {reserved} are set by LRTunerTrainer itself"
            )
        if probe_batch_size is not None and (
            isinstance(probe_batch_size, bool)
            or not isinstance(probe_batch_size, int)
            or probe_batch_size < 1
        ):
            raise ValueError(f"Invalid probe_batch_size: {probe_batch_size!r}")
        optimizers = kwargs.get("optimizers")
        if optimizers is not None and len(optimizers) > 1 and optimizers[1] is not None:
            raise ValueError(
                f"Invalid optimizers: a scheduler ({type(optimizers[1]).__name__}) was given; "
                "LRTunerTrainer sets the learning rate itself: pass optimizers=(optimizer, None)"
            )
        super().__init__(*args, **kwargs)
        check_training_args(self.args)
        self.lrtuner_kwargs = lrtuner_kwargs
        self.probe_dataset = probe_dataset
        self.probe_batch_size = probe_batch_size
        self.history_path = history_path
        self._step_loss: torch.Tensor | None = None
        self.add_callback(_LRTunerTrainerCallback(self))

    # ------------------------------------------------------------------ the tuner
    @property
    def lrtuner(self) -> LRTuner:
        """The :class:`LRTuner` (available once training has created the optimizer)."""
        tuner = unwrap_lrtuner(self.optimizer)
        if tuner is None:
            raise RuntimeError("LRTunerTrainer: no optimizer yet (call train() first)")
        return tuner

    def create_optimizer(self, model: torch.nn.Module | None = None) -> torch.optim.Optimizer:
        """HF's optimizer (weight-decay param groups kept), wrapped in an :class:`LRTuner`."""
        super().create_optimizer(model)
        if unwrap_lrtuner(self.optimizer) is None:
            kwargs = dict(self.lrtuner_kwargs)
            max_steps = getattr(self.state, "max_steps", 0) or 0
            if max_steps > 0:
                kwargs.setdefault("total_steps", int(max_steps))
            self.optimizer = LRTuner(
                self.optimizer,
                probe_loss=self.probe_loss,
                probe_data=self.get_probe_dataloader(),
                model=self.model if model is None else model,
                **kwargs,
            )
        return self.optimizer

    def create_scheduler(
        self, num_training_steps: int, optimizer: torch.optim.Optimizer | None = None
    ) -> torch.optim.lr_scheduler.LRScheduler:
        """A :class:`TunedLRScheduler`: HF steps it, it leaves the tuned LR alone."""
        if self.lr_scheduler is None:
            check_training_args(self.args)
            self.lr_scheduler = TunedLRScheduler(
                optimizer if optimizer is not None else self.optimizer
            )
            self._created_lr_scheduler = True
        return self.lr_scheduler

    def get_probe_dataloader(self) -> DataLoader:
        """Plain shuffled DataLoader of probe batches, with the Trainer's collator.

        Not prepared by accelerate: probes must not register with its gradient state. The
        shuffling runs under the tuner's own RNG, so it neither consumes nor depends on the
        training RNG.
        """
        dataset = self.probe_dataset if self.probe_dataset is not None else self.train_dataset
        if dataset is None:
            raise ValueError("Invalid probe_dataset: None, and the Trainer has no train_dataset")
        collator = self.data_collator
        try:
            import datasets

            is_hf_dataset = isinstance(dataset, datasets.Dataset)
        except ImportError:
            is_hf_dataset = False
        if is_hf_dataset:
            dataset = self._remove_unused_columns(dataset, description="probe")
        else:
            collator = self._get_collator_with_removed_columns(collator, description="probe")
        return DataLoader(
            dataset,
            batch_size=self.probe_batch_size or self.args.per_device_train_batch_size,
            shuffle=not isinstance(dataset, torch.utils.data.IterableDataset),
            collate_fn=collator,
            drop_last=self.args.dataloader_drop_last,
        )

    def probe_loss(self, batch: Any) -> torch.Tensor:
        """The Trainer's own ``compute_loss`` on one probe batch (forward only)."""
        inputs = self._prepare_inputs(batch)
        with self.compute_loss_context_manager():
            loss = self.compute_loss(self.model, inputs)
        if isinstance(loss, tuple):
            loss = loss[0]
        return loss.mean() if loss.dim() > 0 else loss

    # ------------------------------------------------------------------ loss and logging
    def training_step(
        self,
        model: torch.nn.Module,
        inputs: dict[str, Any],
        num_items_in_batch: torch.Tensor | int | None = None,
    ) -> torch.Tensor:
        """HF's training step; its (accumulation-scaled) loss is summed for the tuner."""
        loss = super().training_step(model, inputs, num_items_in_batch)
        detached = loss.detach().float()
        self._step_loss = detached if self._step_loss is None else self._step_loss + detached
        return loss

    def _feed_step_loss(self) -> None:
        """Give the loss of the micro-batches of this optimizer step to the tuner."""
        if self._step_loss is not None:
            self.lrtuner.observe_loss(self._step_loss)
        self._step_loss = None

    def log_decision(self, record: DecisionRecord) -> None:
        """Log one decision: numbers through :meth:`log`, text added to ``log_history``."""
        self.log(decision_scalars(record))
        self.state.log_history[-1].update(
            {
                "lrtuner/decision": record.decision,
                "lrtuner/phase": record.phase,
                "lrtuner/reason": record.reason,
                "lrtuner/step": record.step,
            }
        )
