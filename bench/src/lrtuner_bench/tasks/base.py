"""What a benchmark task provides, and the batch iterables shared by the tasks.

A batch is always a tuple ``(inputs, targets)``; ``inputs`` is a tensor or a dict of tensors,
``task.loss(model(inputs), targets)`` is the training loss. That single shape lets the same
training loop, the LRTuner probes and torch-lr-finder's range test drive every task.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from .. import schedules

Batch = tuple[Any, torch.Tensor]
PROFILES = ("quick", "standard", "long", "full")
#: the two halves of the task set: rules and constants may be set on ``development`` tasks;
#: ``validation`` tasks are run to report and never to choose anything.
SPLITS = ("development", "validation")


@dataclass(frozen=True)
class Budget:
    """How much one run of a task costs in a profile.

    Attributes:
        steps: optimizer steps per run (every method gets the same number).
        batch_size: minibatch size.
        num_evals: evaluation points per run, evenly spaced, the last at the final step.
        train_size: training examples kept (a fixed subset), ``None`` for all.
        test_size: test examples kept (a fixed subset), ``None`` for all.
        grid_seeds: seeds on which the baseline's LR grid is run (the first ones of the run's
            seed list); ``None`` runs the grid on every seed.
    """

    steps: int
    batch_size: int
    num_evals: int = 8
    train_size: int | None = None
    test_size: int | None = None
    grid_seeds: int | None = 1
    #: ``"small"`` for CPU-sized models, ``"large"`` for the GPU-sized ``full`` profile; a task
    #: may define more (``"tiny"``: the CPU-sized model of the ``long`` profile).
    model_scale: str = "small"
    #: peak LRs of the baseline grid in this profile; ``None`` uses the task's ``lr_grid``.
    lr_grid: tuple[float, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Task(ABC):
    """A model, a data set, an optimizer family and a hand-tuned baseline schedule."""

    name: ClassVar[str]
    description: ClassVar[str]
    #: ``"sgd"`` (SGD with momentum) or ``"adam"`` (Adam/AdamW): picks the peers' variants.
    family: ClassVar[str]
    #: primary metric name, and whether higher is better.
    metric: ClassVar[str]
    higher_is_better: ClassVar[bool] = True
    #: the LR that LRTuner and the learning-rate-free peers start from (paper: the baseline's).
    seed_lr: ClassVar[float]
    #: peak LRs tried by the baseline grid.
    lr_grid: ClassVar[tuple[float, ...]]
    weight_decay: ClassVar[float] = 0.0
    #: the base optimizer's class, and its options beside ``lr`` and ``weight_decay``
    #: (:meth:`make_optimizer`).
    optimizer: ClassVar[type[torch.optim.Optimizer]]
    optimizer_options: ClassVar[dict[str, Any]] = {}
    #: name of the baseline schedule in :data:`lrtuner_bench.schedules.SCHEDULES`.
    baseline_schedule_name: ClassVar[str]
    budgets: ClassVar[dict[str, Budget]]

    #: ``"development"`` or ``"validation"`` (see :data:`SPLITS`), declared before any result.
    split: ClassVar[str] = "development"
    #: one line: why the task is in its split.
    split_reason: ClassVar[str] = ""
    #: single-threaded CPU milliseconds per training step in the ``long`` profile, measured
    #: once (docs/benchmark.md); orders the tasks of a ``--jobs`` run and plans its time.
    long_ms_per_step: ClassVar[float] = 10.0

    def grid(self, profile: str) -> tuple[float, ...]:
        """The baseline's peak-LR grid in ``profile`` (before any extension at an edge)."""
        return self.budget(profile).lr_grid or self.lr_grid

    def budget(self, profile: str) -> Budget:
        if profile not in self.budgets:
            raise ValueError(f"Invalid profile: {profile!r} (choose from {', '.join(PROFILES)})")
        return self.budgets[profile]

    def baseline_factor(self, step: int, total: int) -> float:
        """The hand schedule as a factor of the peak LR."""
        return schedules.SCHEDULES[self.baseline_schedule_name](step, total)

    def config(self) -> dict[str, Any]:
        """Everything that defines the task, for the stored run config."""
        return {
            "name": self.name,
            "description": self.description,
            "family": self.family,
            "metric": self.metric,
            "higher_is_better": self.higher_is_better,
            "seed_lr": self.seed_lr,
            "lr_grid": list(self.lr_grid),
            "weight_decay": self.weight_decay,
            "baseline_schedule": self.baseline_schedule_name,
            "budgets": {k: v.to_dict() for k, v in self.budgets.items()},
        }

    @abstractmethod
    def load(self, budget: Budget, data_dir: str | None = None) -> Any:
        """Load (and tensorize) the data for a budget; the runner caches the result."""

    @abstractmethod
    def build_model(self, data: Any) -> nn.Module:
        """A fresh model; the caller seeds the RNG first."""

    def make_optimizer(
        self, params: Iterable[torch.nn.Parameter], lr: float
    ) -> torch.optim.Optimizer:
        """The task's base optimizer at learning rate ``lr``: ``optimizer(params, lr=lr,
        weight_decay=weight_decay, **optimizer_options)``."""
        return self.optimizer(
            params, lr=lr, weight_decay=self.weight_decay, **self.optimizer_options
        )

    @abstractmethod
    def loss(self, output: Any, targets: torch.Tensor) -> torch.Tensor:
        """Training loss of a model output."""

    @abstractmethod
    def train_batches(
        self, data: Any, batch_size: int, generator: torch.Generator | None
    ) -> Iterable[Batch]:
        """A re-iterable source of training batches (each ``iter()`` is one epoch)."""

    @abstractmethod
    def evaluate(self, model: nn.Module, data: Any) -> dict[str, float]:
        """Test metrics; must include :attr:`metric`. Called with the model in eval mode."""


class SGDClassificationTask(Task):
    """Shared parts of the image/tabular classification tasks: SGD-momentum 0.9 with the
    task's weight decay, cross-entropy, shuffled minibatches of ``data.x_train/y_train``."""

    family = "sgd"
    optimizer = torch.optim.SGD
    optimizer_options: ClassVar[dict[str, Any]] = {"momentum": 0.9}
    metric = "accuracy"
    higher_is_better = True

    def loss(self, output: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(output, targets)

    def train_batches(
        self, data: Any, batch_size: int, generator: torch.Generator | None
    ) -> Iterable[Batch]:
        return ShuffledBatches(data.x_train, data.y_train, batch_size, generator)


class ShuffledBatches:
    """Re-iterable minibatches over aligned tensors: each ``iter()`` is one shuffled epoch.

    With ``generator=None`` the permutation is drawn from the global torch RNG at ``iter()``
    time, which lets a consumer that forks the RNG (LRTuner's probe cursor) own the order.
    Incomplete final batches are dropped.
    """

    def __init__(
        self,
        inputs: torch.Tensor | dict[str, torch.Tensor],
        targets: torch.Tensor,
        batch_size: int,
        generator: torch.Generator | None = None,
    ) -> None:
        if batch_size <= 0:
            raise ValueError(f"Invalid batch_size: {batch_size}")
        if len(targets) < batch_size:
            raise ValueError(f"Invalid batch_size: {batch_size} > {len(targets)} examples")
        self.inputs = inputs
        self.targets = targets
        self.batch_size = batch_size
        self.generator = generator

    def __len__(self) -> int:
        return len(self.targets) // self.batch_size

    def __iter__(self) -> Iterator[Batch]:
        perm = torch.randperm(len(self.targets), generator=self.generator)
        for i in range(len(self)):
            idx = perm[i * self.batch_size : (i + 1) * self.batch_size]
            if isinstance(self.inputs, dict):
                x: Any = {k: v[idx] for k, v in self.inputs.items()}
            else:
                x = self.inputs[idx]
            yield x, self.targets[idx]


class RandomWindows:
    """Re-iterable language-model batches: random windows of ``context + 1`` tokens.

    One "epoch" is ``batches_per_epoch`` batches; inputs are ``tokens[i:i+context]`` and targets
    the same shifted by one. ``generator=None`` draws from the global RNG (see
    :class:`ShuffledBatches`).
    """

    def __init__(
        self,
        tokens: torch.Tensor,
        context: int,
        batch_size: int,
        batches_per_epoch: int,
        generator: torch.Generator | None = None,
    ) -> None:
        if len(tokens) <= context + 1:
            raise ValueError(f"Invalid context: {context} for {len(tokens)} tokens")
        self.tokens = tokens
        self.context = context
        self.batch_size = batch_size
        self.batches_per_epoch = batches_per_epoch
        self.generator = generator

    def __len__(self) -> int:
        return self.batches_per_epoch

    def __iter__(self) -> Iterator[Batch]:
        offsets = torch.arange(self.context + 1)
        for _ in range(self.batches_per_epoch):
            starts = torch.randint(
                0, len(self.tokens) - self.context - 1, (self.batch_size,), generator=self.generator
            )
            window = self.tokens[starts[:, None] + offsets]
            yield window[:, :-1], window[:, 1:]


def forever(batches: Iterable[Batch]) -> Iterator[Batch]:
    """Cycle a re-iterable source epoch after epoch."""
    while True:
        empty = True
        for batch in batches:
            empty = False
            yield batch
        if empty:
            raise ValueError("Invalid batches: the source produced no batch")


def classification_metrics(
    logits: torch.Tensor, targets: torch.Tensor, num_classes: int
) -> dict[str, float]:
    """Accuracy, macro-F1 and mean cross-entropy of logits against integer targets."""
    pred = logits.argmax(dim=1)
    acc = (pred == targets).float().mean().item()
    f1s = []
    for c in range(num_classes):
        tp = ((pred == c) & (targets == c)).sum().item()
        fp = ((pred == c) & (targets != c)).sum().item()
        fn = ((pred != c) & (targets == c)).sum().item()
        denom = 2 * tp + fp + fn
        f1s.append(2 * tp / denom if denom else 0.0)
    loss = torch.nn.functional.cross_entropy(logits.float(), targets).item()
    return {"accuracy": acc, "macro_f1": sum(f1s) / num_classes, "test_loss": loss}


@torch.no_grad()
def predict_in_chunks(model: nn.Module, inputs: Any, chunk: int = 512) -> torch.Tensor:
    """Concatenated model outputs over ``inputs`` (tensor or dict of tensors) in chunks."""
    n = len(next(iter(inputs.values()))) if isinstance(inputs, dict) else len(inputs)
    outs = []
    for i in range(0, n, chunk):
        if isinstance(inputs, dict):
            outs.append(model({k: v[i : i + chunk] for k, v in inputs.items()}))
        else:
            outs.append(model(inputs[i : i + chunk]))
    return torch.cat(outs)
