"""Train under Hugging Face ``transformers.Trainer`` with a tuned learning rate.

Three entry points, from the least to the most work on your side:

- :class:`LRTunerTrainer`: a drop-in ``Trainer`` subclass (``LRTunerMixin`` + ``Trainer``);
- :class:`LRTunerMixin`: the same behaviour for a ``Trainer`` subclass of your own, as
  ``class MyTrainer(LRTunerMixin, MyTrainerBase)`` (the mixin comes first);
- :class:`LRTunerCallback`: a ``TrainerCallback`` for any ``Trainer`` given an
  :class:`~lrtuner.LRTuner` you built, as ``optimizers=(tuner, TunedLRScheduler(tuner))``.

With the mixin (and so with :class:`LRTunerTrainer`):

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
  its reason as text in ``trainer.state.log_history``) and as one ``INFO`` line on the
  ``"lrtuner.hf"`` logger (see :mod:`lrtuner.logging`);
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
import warnings
from collections.abc import Mapping
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

from ..logging import (
    HistoryWriter,
    decision_scalars,
    get_logger,
    log_decision,
    write_history_jsonl,
)
from ..records import DecisionRecord
from ..tuner import LRTuner
from ._unwrap import find_lrtuner

__all__ = [
    "LRTunerCallback",
    "LRTunerMixin",
    "LRTunerTrainer",
    "TunedLRScheduler",
    "check_training_args",
    "find_lrtuner",
    "unwrap_lrtuner",
]

#: Arguments of :class:`LRTuner` that :class:`LRTunerMixin` fills in itself.
_RESERVED_KWARGS = ("optimizer", "probe_loss", "probe_data", "model")

_logger = get_logger("hf")

#: The old name of :func:`lrtuner.integrations.find_lrtuner`, kept as an alias.
unwrap_lrtuner = find_lrtuner


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


def _model_output_loss(output: Any) -> torch.Tensor | None:
    """The ``loss`` of a model's output (HF ``ModelOutput`` or a dict), if it has one."""
    loss = output.get("loss") if isinstance(output, Mapping) else getattr(output, "loss", None)
    if isinstance(loss, torch.Tensor) and loss.numel() == 1:
        return loss
    return None


class LRTunerCallback(TrainerCallback):
    """Keeps an :class:`~lrtuner.LRTuner` in step with a ``transformers.Trainer``.

    :class:`LRTunerMixin` (and so :class:`LRTunerTrainer`) adds one itself. Add one yourself
    to a Trainer that is given an :class:`LRTuner` you built::

        tuner = LRTuner(torch.optim.AdamW(model.parameters(), lr=1e-5),
                        probe_loss=my_probe_loss, probe_data=probe_loader, model=model)
        trainer = MyTrainer(model=model, args=args, train_dataset=train,
                            optimizers=(tuner, TunedLRScheduler(tuner)))
        trainer.add_callback(LRTunerCallback(trainer, history_path="out/history.jsonl"))

    What it does, at each optimizer step:

    - feeds the training loss to :meth:`LRTuner.observe_loss` (HF calls ``step()`` without
      it). Under the mixin, the loss of ``training_step``; otherwise the ``loss`` of the
      model's own outputs in training mode (a forward hook; a ``compute_loss`` that makes its
      loss outside the model is not seen: then a ``UserWarning`` says so, once);
    - logs each new decision: through ``trainer.log`` when ``trainer`` is given (numbers to
      the reporters, text in ``state.log_history``), and as an ``INFO`` line on the
      ``"lrtuner.hf"`` logger;
    - writes the decision history to ``history_path`` as JSONL (process zero), equal to
      ``tuner.history`` also after a resume.

    Args:
        trainer: the Trainer (needed to log through ``Trainer.log`` and to check its
            scheduler); ``None`` checks the optimizer and scheduler the callback is given.
        history_path: optional JSONL file of the decision history.

    Raises:
        ValueError: at train begin, when the optimizer is not an :class:`LRTuner`, or when the
            LR scheduler is not a :class:`TunedLRScheduler` (it would overwrite the tuned LR).
    """

    def __init__(
        self,
        trainer: Trainer | None = None,
        *,
        history_path: str | os.PathLike[str] | None = None,
    ) -> None:
        if trainer is not None and not isinstance(trainer, Trainer):
            raise ValueError(
                f"Invalid trainer: {type(trainer).__name__} is not a transformers.Trainer"
            )
        self.trainer = trainer
        self.history_path = history_path
        self.tuner: LRTuner | None = None
        self.logged = 0
        self.writer: HistoryWriter | None = None
        self._hook: Any = None
        self._hook_loss: list[torch.Tensor] = []
        self._warned_no_loss = False

    # ------------------------------------------------------------------ setup
    def _find_tuner(self, optimizer: Any) -> LRTuner:
        candidates = [optimizer]
        if self.trainer is not None:
            candidates.insert(0, self.trainer.optimizer)
        for candidate in candidates:
            tuner = find_lrtuner(candidate)
            if tuner is not None:
                return tuner
        names = [type(c).__name__ for c in candidates]
        raise ValueError(
            f"Invalid optimizer: {names} holds no LRTuner; give the Trainer "
            "optimizers=(LRTuner(...), TunedLRScheduler(tuner)), or use LRTunerMixin / "
            "LRTunerTrainer, which wrap the Trainer's optimizer themselves"
        )

    def _check_scheduler(self, lr_scheduler: Any) -> None:
        if self.trainer is not None:
            lr_scheduler = self.trainer.lr_scheduler
        scheduler = getattr(lr_scheduler, "scheduler", lr_scheduler)  # accelerate's wrapper
        if not isinstance(scheduler, TunedLRScheduler):
            name = type(scheduler).__name__
            if scheduler is None:
                name = "None (the Trainer builds its own)"
            raise ValueError(
                f"Invalid lr_scheduler: {name}; a schedule would overwrite the tuned LR at "
                "every step: give the Trainer optimizers=(tuner, TunedLRScheduler(tuner))"
            )

    def _feeds_own_loss(self) -> bool:
        return isinstance(self.trainer, LRTunerMixin)

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        tuner = self._find_tuner(kwargs.get("optimizer"))
        self._check_scheduler(kwargs.get("lr_scheduler"))
        self.tuner = tuner
        # After a resume the tuner's history holds the decisions already logged.
        self.logged = len(tuner.history)
        if not self._feeds_own_loss():
            model = kwargs.get("model")
            if model is None and self.trainer is not None:
                model = self.trainer.model
            if isinstance(model, torch.nn.Module):
                self._hook = model.register_forward_hook(self._capture_loss)
        path = self.history_path
        if path is not None and state.is_world_process_zero:
            write_history_jsonl(tuner.history, path)
            self.writer = HistoryWriter(path, append=True, start=self.logged)

    def _capture_loss(self, module: torch.nn.Module, inputs: Any, output: Any) -> None:
        # Training forwards only: probes and evaluation run without gradients.
        if module.training and torch.is_grad_enabled():
            loss = _model_output_loss(output)
            if loss is not None:
                self._hook_loss.append(loss.detach().float())

    # ------------------------------------------------------------------ each step
    def on_pre_optimizer_step(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._feeds_own_loss():
            self.trainer._feed_step_loss()  # type: ignore[union-attr]
            return
        if self.tuner is None:
            return
        if self._hook_loss:
            loss = torch.stack(self._hook_loss).mean()
            self._hook_loss = []
            self.tuner.observe_loss(loss)
        elif not self._warned_no_loss:
            self._warned_no_loss = True
            warnings.warn(
                "LRTunerCallback: the model's outputs carry no training loss, so the tuner "
                "gets none (exploit never fits, rollback never judges); use LRTunerMixin, or "
                "call tuner.observe_loss(loss) in your training_step",
                stacklevel=2,
            )

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        tuner = self.tuner
        if tuner is None:
            return
        new = tuner.history[self.logged :]
        self.logged = len(tuner.history)
        for record in new:
            log_decision(record, _logger)
        if self.trainer is not None and new:
            # Trainer.log clears control.should_log; keep the Trainer's own logging of this step.
            should_log = control.should_log
            for record in new:
                log_decision_to_trainer(self.trainer, record)
            control.should_log = should_log
        if self.writer is not None:
            self.writer.update(tuner)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        if self._hook is not None:
            self._hook.remove()
            self._hook = None
        self._hook_loss = []


def log_decision_to_trainer(trainer: Trainer, record: DecisionRecord) -> None:
    """Log one decision: numbers through ``trainer.log``, text added to ``log_history``."""
    trainer.log(decision_scalars(record))
    trainer.state.log_history[-1].update(
        {
            "lrtuner/decision": record.decision,
            "lrtuner/phase": record.phase,
            "lrtuner/reason": record.reason,
            "lrtuner/step": record.step,
        }
    )


class LRTunerMixin:
    """Tuned learning rate for a ``transformers.Trainer`` subclass of your own.

    Put it first among the bases: ``class MyTrainer(LRTunerMixin, MyTrainerBase)``. It
    overrides ``create_optimizer`` (wraps the optimizer in an :class:`LRTuner`),
    ``create_scheduler`` (a :class:`TunedLRScheduler`) and ``training_step`` (collects the
    loss; your own ``training_step`` runs inside it through ``super()``), and adds an
    :class:`LRTunerCallback`. Your ``compute_loss`` is the probe loss.

    Args:
        *args, **kwargs: as for your Trainer. ``args.lr_scheduler_type`` must be
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
        TypeError: when the class using the mixin is not a ``transformers.Trainer``.
    """

    # Attributes of transformers.Trainer the mixin uses (for type checkers).
    args: Any
    model: Any
    optimizer: Any
    lr_scheduler: Any
    state: Any
    train_dataset: Any
    data_collator: Any

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
                f"Invalid lrtuner_kwargs: {reserved} are set by {type(self).__name__} itself"
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
                f"{type(self).__name__} sets the learning rate itself: pass "
                "optimizers=(optimizer, None)"
            )
        if not isinstance(self, Trainer):
            raise TypeError(
                f"Invalid class: {type(self).__name__} uses LRTunerMixin but is not a "
                "transformers.Trainer (write class MyTrainer(LRTunerMixin, Trainer))"
            )
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        check_training_args(self.args)
        self.lrtuner_kwargs = lrtuner_kwargs
        self.probe_dataset = probe_dataset
        self.probe_batch_size = probe_batch_size
        self.history_path = history_path
        self._step_loss: torch.Tensor | None = None
        self.lrtuner_callback = LRTunerCallback(self, history_path=history_path)  # type: ignore[arg-type]
        self.add_callback(self.lrtuner_callback)  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ the tuner
    @property
    def lrtuner(self) -> LRTuner:
        """The :class:`LRTuner` (available once training has created the optimizer)."""
        tuner = unwrap_lrtuner(self.optimizer)
        if tuner is None:
            raise RuntimeError(f"{type(self).__name__}: no optimizer yet (call train() first)")
        return tuner

    def create_optimizer(self, model: torch.nn.Module | None = None) -> torch.optim.Optimizer:
        """HF's optimizer (weight-decay param groups kept), wrapped in an :class:`LRTuner`."""
        super().create_optimizer(model)  # type: ignore[misc]
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
            dataset = self._remove_unused_columns(  # type: ignore[attr-defined]
                dataset, description="probe"
            )
        else:
            collator = self._get_collator_with_removed_columns(  # type: ignore[attr-defined]
                collator, description="probe"
            )
        return DataLoader(
            dataset,
            batch_size=self.probe_batch_size or self.args.per_device_train_batch_size,
            shuffle=not isinstance(dataset, torch.utils.data.IterableDataset),
            collate_fn=collator,
            drop_last=self.args.dataloader_drop_last,
        )

    def probe_loss(self, batch: Any) -> torch.Tensor:
        """The Trainer's own ``compute_loss`` on one probe batch (forward only)."""
        inputs = self._prepare_inputs(batch)  # type: ignore[attr-defined]
        with self.compute_loss_context_manager():  # type: ignore[attr-defined]
            loss = self.compute_loss(self.model, inputs)  # type: ignore[attr-defined]
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
        loss = super().training_step(model, inputs, num_items_in_batch)  # type: ignore[misc]
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
        log_decision_to_trainer(self, record)  # type: ignore[arg-type]


class LRTunerTrainer(LRTunerMixin, Trainer):
    """``transformers.Trainer`` whose optimizer is wrapped in an :class:`~lrtuner.LRTuner`.

    ``LRTunerMixin`` + ``Trainer``: see :class:`LRTunerMixin` for the arguments
    (``lrtuner_kwargs``, ``probe_dataset``, ``probe_batch_size``, ``history_path``) and
    what it checks.
    """
