"""The methods a benchmark run can use, each with ONE configuration for every task.

A method turns a task, a fresh model and a budget into a :class:`MethodRun`: the optimizer the
training loop steps, the LR it sets before each step, how the model is evaluated (Schedule-Free
evaluates at its averaged point, DoG through its weight averager) and the extra work it does
(probe forward passes, range-test steps, BatchNorm recalibration), so the runner can count it.

Configurations (the same for every task; fractions are of the run's step budget):

- ``baseline``: the task's hand schedule at a peak LR tuned over the task's LR grid.
- ``lrtuner``: ``LRTuner`` with its defaults, seeded with the task's seed LR, ``total_steps``
  = budget (explore 25 %); every other option at the library default.
- ``knee``: constant tuned peak LR for 50 % of the steps, then linear decay to 0.
- ``cosine`` / ``constant``: cosine decay from / constant at the tuned peak LR.
- ``prodigy``: ``Prodigy(lr=1.0, d0=1e-6)`` with cosine decay (its README's usage).
- ``dadapt``: ``DAdaptSGD(lr=1.0, momentum=0.9)`` or ``DAdaptAdam(lr=1.0)``, with cosine decay.
- ``schedulefree``: ``SGDScheduleFree`` / ``AdamWScheduleFree`` at the task's seed LR, 5 %
  warmup; ``opt.eval()`` around evaluation, BatchNorm statistics recomputed at the evaluated
  weights from 20 training batches.
- ``dog``: ``DoG(reps_rel=1e-6)`` with ``PolynomialDecayAverager(gamma=8)``; the averaged model is
  evaluated.
- ``prodigy-sf``: ``ProdigyPlusScheduleFree(lr=1.0)`` from ``prodigy-plus-schedule-free`` at
  every published default, constant schedule, ``opt.train()`` / ``opt.eval()`` as for
  Schedule-Free (BatchNorm statistics recomputed at the evaluated weights).
- ``mechanic``: ``mechanize(<task's optimizer class>)(params, lr=1.0)`` from
  ``mechanic-pytorch`` (its README's usage: every Mechanic option at its default, the base
  optimizer's other hyperparameters as the task sets them) with cosine decay.
- ``calibrated``: the task's optimizer with warmup (5 %) + cosine decay from ONE peak LR per
  optimizer family and profile, chosen once on the development tasks
  (:mod:`lrtuner_bench.calibration`) and read from its committed file.
- ``lr-range-test``: torch-lr-finder's exponential range test from 1e-7 to 10 over
  ``clip(steps/4, 20, 100)`` steps, its steepest-descent suggestion (before the loss minimum),
  weights and optimizer restored, then cosine decay from the suggested LR. Range-test steps
  count as spent.

Every method uses the task's weight decay and its optimizer family (``task.family``).
``lrtuner@0.01`` (or ``schedulefree@10``) starts from the seed LR times the scale, to measure
robustness to the seed LR across orders of magnitude; ``lrtuner@peak0.01`` starts from the
task's TUNED peak LR (the baseline grid's choice) times the scale.
"""

from __future__ import annotations

import contextlib
import math
from abc import ABC
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from . import schedules
from .tasks.base import Batch, Budget, Task, forever

BN_RECALIBRATION_BATCHES = 20
SCHEDULEFREE_WARMUP = 0.05
KNEE_EXPLORE = 0.5
RANGE_TEST_START_LR = 1e-7
RANGE_TEST_END_LR = 10.0
#: LRTuner runs with the library defaults in every profile (no per-task or per-profile tuning).
LRTUNER_OPTIONS: dict[str, dict[str, Any]] = {"quick": {}, "standard": {}, "long": {}, "full": {}}
#: prefix of a seed-LR scale relative to the tuned peak: ``lrtuner@peak0.01``.
PEAK_PREFIX = "peak"


class MethodUnavailableError(RuntimeError):
    """A method's package is missing or cannot be imported; the run records a failure."""


@dataclass
class MethodContext:
    """Everything a method needs to set itself up for one run."""

    task: Task
    model: nn.Module
    data: Any
    budget: Budget
    seed: int
    #: peak LR of the tuned baseline (or the grid value for a grid run); ``None`` if unknown.
    peak_lr: float | None = None
    profile: str = "quick"
    #: multiplies the task's seed LR (``lrtuner@0.01``: robustness to a bad seed LR).
    seed_lr_scale: float = 1.0
    #: ``"seed"``: the scale multiplies the task's seed LR; ``"peak"``: the tuned peak LR.
    seed_lr_base: str = "seed"

    @property
    def seed_lr(self) -> float:
        if self.seed_lr_base == "peak":
            if self.peak_lr is None:
                raise ValueError("Invalid peak_lr: None (a @peak scale needs the tuned peak)")
            return self.peak_lr * self.seed_lr_scale
        return self.task.seed_lr * self.seed_lr_scale

    @property
    def total_steps(self) -> int:
        return self.budget.steps

    def batches(self, generator: torch.Generator | None) -> Iterable[Batch]:
        return self.task.train_batches(self.data, self.budget.batch_size, generator)

    def loss_of(self, batch: Batch) -> torch.Tensor:
        inputs, targets = batch
        return self.task.loss(self.model(inputs), targets)


@dataclass
class MethodRun(ABC):
    """The optimizer of one run and the hooks the training loop calls around it."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    info: dict[str, Any] = field(default_factory=dict)
    #: forward passes outside the training steps (range test, BatchNorm recalibration).
    extra_forward_passes: int = 0
    #: optimizer steps spent before training proper (range test); count towards time-to-target.
    extra_train_steps: int = 0
    #: the method handles a non-finite training loss itself (LRTuner skips and rolls back).
    handles_nonfinite: bool = False

    def before_step(self, step: int) -> None:  # noqa: B027 - optional hook
        """Set the LR for 0-based ``step`` (default: leave it to the optimizer)."""

    def step(self, loss: torch.Tensor) -> None:
        self.optimizer.step()

    def current_lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    @contextlib.contextmanager
    def evaluation(self) -> Iterator[nn.Module]:
        """The model to evaluate, in eval mode; training mode is restored afterwards."""
        self.model.eval()
        try:
            yield self.model
        finally:
            self.model.train()

    def probe_forward_passes(self) -> int:
        return 0

    def history(self) -> list[dict[str, Any]] | None:
        return None

    def stats(self) -> dict[str, Any] | None:
        return None


class ScheduledRun(MethodRun):
    """An optimizer whose group LRs follow ``peak * factor(step, total)`` (ratios kept)."""

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        peak: float,
        factor: Callable[[int, int], float],
        total: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(model, optimizer, **kwargs)
        self.peak = peak
        self.factor = factor
        self.total = total
        lr0 = float(optimizer.param_groups[0]["lr"]) or 1.0
        self.ratios = [float(g["lr"]) / lr0 for g in optimizer.param_groups]

    def before_step(self, step: int) -> None:
        lr = self.peak * self.factor(step, self.total)
        for group, ratio in zip(self.optimizer.param_groups, self.ratios, strict=True):
            group["lr"] = lr * ratio


class AdaptiveScheduledRun(ScheduledRun):
    """D-Adaptation / Prodigy: the effective LR is ``d * lr`` of group 0."""

    def current_lr(self) -> float:
        group = self.optimizer.param_groups[0]
        return float(group.get("d", 1.0)) * float(group["lr"])


# --------------------------------------------------------------------------- scheduled methods


def _scheduled(ctx: MethodContext, factor: Callable[[int, int], float]) -> MethodRun:
    if ctx.peak_lr is None:
        raise ValueError("Invalid peak_lr: None (this method needs the tuned baseline's peak)")
    opt = ctx.task.make_optimizer(ctx.model.parameters(), ctx.peak_lr)
    return ScheduledRun(ctx.model, opt, ctx.peak_lr, factor, ctx.total_steps)


def make_baseline(ctx: MethodContext) -> MethodRun:
    return _scheduled(ctx, ctx.task.baseline_factor)


def make_knee(ctx: MethodContext) -> MethodRun:
    return _scheduled(ctx, lambda s, t: schedules.knee(s, t, explore=KNEE_EXPLORE))


def make_cosine(ctx: MethodContext) -> MethodRun:
    return _scheduled(ctx, schedules.cosine)


def make_constant(ctx: MethodContext) -> MethodRun:
    return _scheduled(ctx, schedules.constant)


# --------------------------------------------------------------------------- LRTuner


class TunerRun(MethodRun):
    """The task's base optimizer at its seed LR, wrapped in :class:`lrtuner.LRTuner`."""

    def step(self, loss: torch.Tensor) -> None:
        self.optimizer.step(loss=loss)  # type: ignore[call-arg]

    def current_lr(self) -> float:
        return float(self.optimizer.lr)  # type: ignore[attr-defined]

    def probe_forward_passes(self) -> int:
        return int(self.optimizer.stats.probe_forward_passes)  # type: ignore[attr-defined]

    def history(self) -> list[dict[str, Any]]:
        return [_record_dict(r) for r in self.optimizer.history]  # type: ignore[attr-defined]

    def stats(self) -> dict[str, Any]:
        return _record_dict(self.optimizer.stats)  # type: ignore[attr-defined]


def _record_dict(record: Any) -> dict[str, Any]:
    if hasattr(record, "to_dict"):
        return dict(record.to_dict())
    import dataclasses

    return dataclasses.asdict(record)


def make_lrtuner(ctx: MethodContext) -> MethodRun:
    try:
        from lrtuner import LRTuner
    except ImportError as exc:
        raise MethodUnavailableError(f"lrtuner.LRTuner cannot be imported: {exc}") from exc
    base = ctx.task.make_optimizer(ctx.model.parameters(), ctx.seed_lr)
    options = LRTUNER_OPTIONS.get(ctx.profile, {})
    tuner = LRTuner(
        base,
        probe_loss=ctx.loss_of,
        probe_data=ctx.batches(None),
        model=ctx.model,
        total_steps=ctx.total_steps,
        seed=ctx.seed,
        **options,
    )
    info = {"seed_lr": ctx.seed_lr, "options": options}
    return TunerRun(ctx.model, tuner, info=info, handles_nonfinite=True)


# --------------------------------------------------------------------------- peers


def trainable(model: nn.Module) -> list[nn.Parameter]:
    """Parameters that require gradients (frozen ones are never handed to an optimizer)."""
    return [p for p in model.parameters() if p.requires_grad]


def _import(module: str, pip_name: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except Exception as exc:  # ImportError, or a broken install raising anything else
        raise MethodUnavailableError(
            f"{module} cannot be imported ({type(exc).__name__}: {exc}); "
            f"install it with `pip install {pip_name}`"
        ) from exc


def make_prodigy(ctx: MethodContext) -> MethodRun:
    prodigyopt = _import("prodigyopt", "prodigyopt")
    opt = prodigyopt.Prodigy(trainable(ctx.model), lr=1.0, weight_decay=ctx.task.weight_decay)
    return AdaptiveScheduledRun(ctx.model, opt, 1.0, schedules.cosine, ctx.total_steps)


def make_dadapt(ctx: MethodContext) -> MethodRun:
    dadaptation = _import("dadaptation", "dadaptation")
    params, wd = trainable(ctx.model), ctx.task.weight_decay
    if ctx.task.family == "sgd":
        opt = dadaptation.DAdaptSGD(params, lr=1.0, momentum=0.9, weight_decay=wd)
    else:
        opt = dadaptation.DAdaptAdam(params, lr=1.0, weight_decay=wd, decouple=True)
    return AdaptiveScheduledRun(ctx.model, opt, 1.0, schedules.cosine, ctx.total_steps)


def _batchnorm_layers(model: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def make_mechanic(ctx: MethodContext) -> MethodRun:
    mechanic = _import("mechanic_pytorch", "mechanic-pytorch")
    base = ctx.task.make_optimizer(trainable(ctx.model), 1.0)
    cls = type(base)
    defaults = {k: v for k, v in base.defaults.items() if k in _init_arguments(cls)}
    opt = mechanic.mechanize(cls)(trainable(ctx.model), **{**defaults, "lr": 1.0})
    return MechanicRun(ctx.model, opt, 1.0, schedules.cosine, ctx.total_steps)


def _init_arguments(cls: type) -> set[str]:
    import inspect

    return set(inspect.signature(cls.__init__).parameters) - {"self", "params"}


class MechanicRun(ScheduledRun):
    """Mechanic: the effective LR is its learned scale ``sum(s)`` times the scheduled lr."""

    def current_lr(self) -> float:
        state = self.optimizer.state.get("_mechanic")
        scale = float(state["s"].sum()) if state is not None else 0.0
        return scale * float(self.optimizer.param_groups[0]["lr"])


def make_calibrated(ctx: MethodContext) -> MethodRun:
    from . import calibration

    lr = calibration.calibrated_lr(ctx.profile, ctx.task.family)
    opt = ctx.task.make_optimizer(ctx.model.parameters(), lr)
    return ScheduledRun(
        ctx.model, opt, lr, schedules.warmup_cosine, ctx.total_steps, info={"calibrated_lr": lr}
    )


class ScheduleFreeRun(MethodRun):
    """Schedule-Free: ``opt.train()`` while training, ``opt.eval()`` (averaged x) to evaluate.

    BatchNorm running statistics were accumulated at the training point y, not at x; before an
    evaluation they are recomputed at x from a few training batches (the package's advice).
    """

    def __init__(self, model: nn.Module, optimizer: Any, recal_batches: Iterable[Batch]) -> None:
        super().__init__(model, optimizer)
        self.bn_layers = _batchnorm_layers(model)
        self.recal = forever(recal_batches)
        optimizer.train()

    def current_lr(self) -> float:
        group = self.optimizer.param_groups[0]
        if "effective_lr" in group and "d" in group:  # Prodigy + Schedule-Free: d * lr
            return float(group["d"]) * float(group["lr"])
        return float(group.get("scheduled_lr", group["lr"]))

    @contextlib.contextmanager
    def evaluation(self) -> Iterator[nn.Module]:
        self.optimizer.eval()  # type: ignore[attr-defined]
        try:
            if self.bn_layers:
                self._recalibrate_batchnorm()
            self.model.eval()
            yield self.model
        finally:
            self.model.train()
            self.optimizer.train()  # type: ignore[attr-defined]

    @torch.no_grad()
    def _recalibrate_batchnorm(self) -> None:
        momenta = [bn.momentum for bn in self.bn_layers]
        for bn in self.bn_layers:
            bn.reset_running_stats()
            bn.momentum = None  # cumulative average over the recalibration batches
        self.model.train()
        for _ in range(BN_RECALIBRATION_BATCHES):
            inputs, _targets = next(self.recal)
            self.model(inputs)
        self.extra_forward_passes += BN_RECALIBRATION_BATCHES
        for bn, m in zip(self.bn_layers, momenta, strict=True):
            bn.momentum = m


def make_schedulefree(ctx: MethodContext) -> MethodRun:
    sf = _import("schedulefree", "schedulefree")
    warmup = round(SCHEDULEFREE_WARMUP * ctx.total_steps)
    params, wd, lr = trainable(ctx.model), ctx.task.weight_decay, ctx.seed_lr
    if ctx.task.family == "sgd":
        opt = sf.SGDScheduleFree(params, lr=lr, momentum=0.9, weight_decay=wd, warmup_steps=warmup)
    else:
        opt = sf.AdamWScheduleFree(params, lr=lr, weight_decay=wd, warmup_steps=warmup)
    gen = torch.Generator().manual_seed(10_000 + ctx.seed)
    return ScheduleFreeRun(ctx.model, opt, ctx.batches(gen))


def make_prodigy_sf(ctx: MethodContext) -> MethodRun:
    prodigyplus = _import("prodigyplus", "prodigy-plus-schedule-free")
    opt = prodigyplus.ProdigyPlusScheduleFree(
        trainable(ctx.model), lr=1.0, weight_decay=ctx.task.weight_decay
    )
    gen = torch.Generator().manual_seed(10_000 + ctx.seed)
    return ScheduleFreeRun(ctx.model, opt, ctx.batches(gen))


class DoGRun(MethodRun):
    """DoG steps the model; a polynomial-decay averager keeps the weights that are evaluated."""

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer, averager: Any) -> None:
        super().__init__(model, optimizer)
        self.averager = averager

    def step(self, loss: torch.Tensor) -> None:
        self.optimizer.step()
        self.averager.step()

    def current_lr(self) -> float:
        eta = self.optimizer.param_groups[0].get("eta")
        if not eta:
            return 0.0
        return float(eta[0])

    @contextlib.contextmanager
    def evaluation(self) -> Iterator[nn.Module]:
        averaged = self.averager.averaged_model
        averaged.eval()
        yield averaged


def make_dog(ctx: MethodContext) -> MethodRun:
    dog = _import("dog", "dog-optimizer")
    opt = dog.DoG(trainable(ctx.model), reps_rel=1e-6, lr=1.0, weight_decay=ctx.task.weight_decay)
    return DoGRun(ctx.model, opt, dog.PolynomialDecayAverager(ctx.model, gamma=8.0))


def range_test_iterations(total_steps: int) -> int:
    """Range-test length: a quarter of the budget, between 20 and 100 steps."""
    return int(min(100, max(20, total_steps // 4)))


def steepest_descent_lr(lrs: list[float], losses: list[float]) -> float:
    """torch-lr-finder's suggestion: the LR where the (smoothed) loss falls fastest.

    The package trims 10 points at the start and 5 at the end; here the trims are 10 % and 5 %
    of the curve so that short range tests still leave points to choose from, and only points
    up to the loss minimum are candidates.
    """
    if len(lrs) != len(losses) or len(lrs) < 3:
        raise ValueError(f"Invalid range-test history: {len(lrs)} points")
    start, end = len(lrs) // 10, len(lrs) - max(1, len(lrs) // 20)
    lr_arr, loss_arr = np.asarray(lrs[start:end]), np.asarray(losses[start:end])
    finite = np.isfinite(loss_arr)
    if finite.sum() < 2:
        raise ValueError("Invalid range-test history: fewer than 2 finite losses")
    lr_arr, loss_arr = lr_arr[finite], loss_arr[finite]
    # Only the part before the loss minimum: past it the loss is diverging, and its recovery
    # from a spike would otherwise look like the steepest descent.
    stop = max(2, int(loss_arr.argmin()) + 1)
    lr_arr, loss_arr = lr_arr[:stop], loss_arr[:stop]
    return float(lr_arr[int(np.gradient(loss_arr).argmin())])


def make_lr_range_test(ctx: MethodContext) -> MethodRun:
    lr_finder = _import("torch_lr_finder.lr_finder", "torch-lr-finder")
    num_iter = range_test_iterations(ctx.total_steps)
    probe_opt = ctx.task.make_optimizer(ctx.model.parameters(), RANGE_TEST_START_LR)
    finder = lr_finder.LRFinder(ctx.model, probe_opt, ctx.task.loss)
    gen = torch.Generator().manual_seed(20_000 + ctx.seed)
    loader = lr_finder.TrainDataLoaderIter(ctx.batches(gen))
    quiet = _quiet_tqdm(lr_finder)
    try:
        finder.range_test(loader, end_lr=RANGE_TEST_END_LR, num_iter=num_iter, step_mode="exp")
    finally:
        lr_finder.tqdm = quiet
    finder.reset()  # weights, BatchNorm statistics and optimizer state back to the start
    ctx.model.train()
    lrs, losses = finder.history["lr"], finder.history["loss"]
    spent = len(lrs)
    chosen = steepest_descent_lr(lrs, losses)
    if not (math.isfinite(chosen) and chosen > 0):
        raise ValueError(f"Invalid suggested LR: {chosen}")
    opt = ctx.task.make_optimizer(ctx.model.parameters(), chosen)
    return ScheduledRun(
        ctx.model,
        opt,
        chosen,
        schedules.cosine,
        ctx.total_steps,
        info={
            "suggested_lr": chosen,
            "range_test_steps": spent,
            "range_test": {"lr": list(map(float, lrs)), "loss": list(map(float, losses))},
        },
        extra_forward_passes=spent,
        extra_train_steps=spent,
    )


def _quiet_tqdm(module: Any) -> Any:
    """Silence the range test's own progress bar; returns what to put back."""
    original = getattr(module, "tqdm", None)
    if original is not None:
        module.tqdm = lambda *a, **k: original(*a, **{**k, "disable": True})
    return original


@dataclass(frozen=True)
class Method:
    """A registry entry: how to build the run, and whether it needs the tuned peak LR."""

    name: str
    factory: Callable[[MethodContext], MethodRun]
    needs_peak: bool
    description: str


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("baseline", make_baseline, True, "task's hand schedule, peak LR tuned on a grid"),
        Method("lrtuner", make_lrtuner, False, "LRTuner (defaults) from the task's seed LR"),
        Method("knee", make_knee, True, "tuned peak for 50 % of steps, linear decay to 0"),
        Method("cosine", make_cosine, True, "cosine decay from the tuned peak LR"),
        Method("constant", make_constant, True, "constant tuned peak LR"),
        Method("prodigy", make_prodigy, False, "Prodigy lr=1 + cosine"),
        Method("dadapt", make_dadapt, False, "D-Adaptation (SGD/Adam) lr=1 + cosine"),
        Method("schedulefree", make_schedulefree, False, "Schedule-Free at the seed LR"),
        Method("dog", make_dog, False, "DoG + polynomial-decay averaging"),
        Method("lr-range-test", make_lr_range_test, False, "range test, then cosine"),
        Method("prodigy-sf", make_prodigy_sf, False, "Prodigy + Schedule-Free, defaults"),
        Method("mechanic", make_mechanic, False, "Mechanic on the task's optimizer + cosine"),
        Method(
            "calibrated",
            make_calibrated,
            False,
            "warmup + cosine at ONE LR per optimizer family, chosen on development tasks",
        ),
    )
}

#: the methods of the ``long`` benchmark (benchmarks/run_long.sh): Knee, the calibrated
#: configuration, every learning-rate-free peer at its defaults, and LRTuner at defaults from
#: x0.001 ... x10 of the task's tuned peak (the tuned baseline always runs).
LONG_RECIPE: tuple[str, ...] = (
    "knee",
    "calibrated",
    "prodigy",
    "dadapt",
    "schedulefree",
    "dog",
    "lr-range-test",
    "prodigy-sf",
    "mechanic",
    "lrtuner@peak0.001",
    "lrtuner@peak0.01",
    "lrtuner@peak0.1",
    "lrtuner@peak1",
    "lrtuner@peak10",
)

#: methods whose configuration is chosen per task (they read the tuned peak LR).
PER_TASK_TUNED = ("baseline", "knee", "cosine", "constant")


#: methods that start from the task's seed LR, and so accept a ``@scale`` suffix.
SEED_LR_METHODS = ("lrtuner", "schedulefree")


def resolve_method(spec: str) -> tuple[Method, float]:
    """``"lrtuner"`` -> (entry, 1.0); ``"lrtuner@0.01"`` -> (entry, 0.01): seed LR x 0.01;
    ``"lrtuner@peak0.01"`` -> (entry, 0.01), relative to the tuned peak (see
    :func:`seed_lr_base`).

    ``ValueError`` naming ``method`` for unknown names, a bad scale, or a scale on a method
    that does not start from the seed LR.
    """
    name, at, scale_text = spec.partition("@")
    if name not in METHODS:
        raise ValueError(f"Invalid method: {spec!r} (choose from all, {', '.join(METHODS)})")
    if not at:
        return METHODS[name], 1.0
    if scale_text.startswith(PEAK_PREFIX):
        scale_text = scale_text[len(PEAK_PREFIX) :]
    if name not in SEED_LR_METHODS:
        raise ValueError(
            f"Invalid method: {spec!r} (a @scale of the seed LR applies to "
            f"{', '.join(SEED_LR_METHODS)} only)"
        )
    try:
        scale = float(scale_text)
    except ValueError:
        scale = math.nan
    if not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"Invalid method: {spec!r} (the seed-LR scale must be a positive number)")
    return METHODS[name], scale


def seed_lr_base(spec: str) -> str:
    """``"peak"`` for ``name@peakSCALE`` (the scale multiplies the tuned peak LR), else
    ``"seed"`` (it multiplies the task's seed LR)."""
    return "peak" if spec.partition("@")[2].startswith(PEAK_PREFIX) else "seed"


def needs_peak(spec: str) -> bool:
    """Whether a run of this method spec needs the tuned baseline's peak LR."""
    return resolve_method(spec)[0].needs_peak or seed_lr_base(spec) == "peak"


def _calibrated_in(profile: str | None) -> bool:
    """Has ``profile`` a calibrated configuration (always true when no profile is named)?"""
    if profile is None:
        return True
    from .calibration import load_calibration

    return bool(load_calibration()["profiles"].get(profile))


def parse_methods(spec: str, profile: str | None = None) -> list[str]:
    """``"all"`` or a comma list of method specs (``name`` or ``name@scale``).

    With ``profile`` given, ``"all"`` leaves out ``calibrated`` while that profile has not been
    calibrated (``lrtuner-bench calibrate``): it has no LR to run with yet. Named explicitly,
    it is kept (and records a failure that says how to calibrate). ``ValueError`` naming
    ``method`` otherwise.
    """
    names = [s.strip() for s in spec.split(",") if s.strip()]
    if not names:
        raise ValueError(f"Invalid method: {spec!r} (choose from all, {', '.join(METHODS)})")
    out: list[str] = []
    for name in names:
        if name == "all":
            out.extend(m for m in METHODS if m != "calibrated" or _calibrated_in(profile))
        else:
            resolve_method(name)
            out.append(name)
    return list(dict.fromkeys(out))
