"""Probe sessions: loss measurements along the step direction that leave no trace.

A probe moves the parameters to ``theta1 + alpha * delta`` (``delta = theta0 - theta1``, the
step just taken), evaluates ``probe_loss`` on probe minibatches, and on exit (also on error)
restores the parameters and module buffers bitwise; the RNG is forked, so dropout masks of
probes (seeded per minibatch, the same at every eps) do not touch the training stream, and
DDP's forward hooks are off (:func:`distributed.ddp_probe_guard`).

Two measurements are made with it:

* :meth:`Prober.fit`: the superbatch loop of one LR decision. Minibatches are drawn in rounds
  of ``min_superbatch`` (split over ranks); each gives the losses at the probe points and their
  quadratic fit; the sums (:class:`ProbeSums`) are all-reduced after each round, and the loop
  stops once the decision is resolved (:func:`probe.decision_is_resolved`) or the minibatch
  limit is reached. Returns a :class:`FitResult`.
* :meth:`Prober.line`: the seed search's losses on a log grid of step multipliers
  (:mod:`lrtuner.seed_search`). Returns a :class:`LineResult`.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from . import distributed as dist_utils
from .config import TunerConfig
from .guards import probe_loss_value
from .probe import (
    ClipBounds,
    decision_is_resolved,
    fit_coefficients,
    fit_operator,
    probe_epsilons,
    spread_from_sums,
)
from .records import TunerStats
from .seed_search import next_multiplier
from .snapshot import copy_into, module_buffers
from .superbatch import BatchCursor, EmptyProbeDataError

#: Streams of probe dropout seeds: fits, the seed search, the divergence check.
FIT_STREAM, SEED_SEARCH_STREAM, DIVERGENCE_STREAM = 0, 1, 2


def probe_seed(seed: int, decision: int, stream: int, batch: int) -> int:
    """Dropout seed of one probe batch: the same for every eps of that batch."""
    return int(np.random.SeedSequence([seed, decision, stream, batch]).generate_state(1)[0])


def rng_devices() -> list[int]:
    """CUDA devices whose RNG a probe must fork (none unless CUDA is already initialised)."""
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        return list(range(torch.cuda.device_count()))
    return []


@dataclass(frozen=True)
class FitResult:
    """One fit: the probe points, the clip range, and the superbatch means.

    ``coefficients`` are the mean ``(k0, k1, k2)`` over ``num_batches`` minibatches (all
    ranks), ``losses`` the mean loss at each of ``epsilons``; ``forwards`` counts this rank's
    forward passes.
    """

    epsilons: list[float]
    bounds: ClipBounds
    num_batches: int
    coefficients: tuple[float, float, float]
    losses: list[float]
    forwards: int


@dataclass(frozen=True)
class LineResult:
    """The seed search's line: mean loss at ``theta0 - m * delta`` for each multiplier, and
    the arithmetic's resolution at the loss's magnitude, ``eps * |loss0|`` (``eps``: the
    machine epsilon of the parameters' least precise floating dtype; 0 if none)."""

    multipliers: list[float]
    losses: list[float]
    loss0: float
    num_batches: int
    forwards: int
    resolution: float = 0.0


class ProbeSums:
    """Running sums of a fit over minibatches: count, coefficients, squared coefficients and
    losses at each eps, held as one flat float64 tensor so that ranks all-reduce them in one
    call (layout ``[count, k(3), k^2(3), losses(n)]``, named by the properties)."""

    def __init__(self, num_points: int, flat: torch.Tensor | None = None) -> None:
        self.num_points = num_points
        self.flat = flat if flat is not None else torch.zeros(7 + num_points, dtype=torch.float64)

    def add_batch(self, coefficients: np.ndarray, losses: np.ndarray) -> None:
        """One minibatch's per-eps losses and their fitted coefficients."""
        self.flat[0] += 1
        self.flat[1:4] += torch.from_numpy(coefficients)
        self.flat[4:7] += torch.from_numpy(coefficients * coefficients)
        self.flat[7:] += torch.from_numpy(losses)

    def add(self, other: ProbeSums) -> None:
        self.flat += other.flat

    def all_reduced(self, failure: dist_utils.RankFailure) -> ProbeSums:
        """The sums over all ranks (raises on every rank if one failed in the round)."""
        return ProbeSums(self.num_points, failure.all_reduce_sum(self.flat))

    @property
    def count(self) -> float:
        return float(self.flat[0])

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(count, sum k, sum k^2, sum losses)`` as NumPy views (count as a 0-d array)."""
        stats = self.flat.numpy()
        return stats[0], stats[1:4], stats[4:7], stats[7:]


@dataclass
class ProbeSession:
    """The parameters of one probe, moved along ``delta`` from the post-step ``theta1``."""

    params: list[torch.Tensor]
    theta1: list[torch.Tensor]
    delta: list[torch.Tensor]
    fsdp: list[torch.nn.Module]
    forwards: int = 0

    def move(self, alpha: float) -> None:
        """Parameters to ``theta1 + alpha * delta`` (resharded for FSDP2)."""
        copy_into(self.params, self.theta1)
        if alpha != 0.0:
            torch._foreach_add_(self.params, self.delta, alpha=alpha)
        dist_utils.reshard(self.fsdp)


@dataclass
class Prober:
    """Runs probes of ``probe_loss`` on minibatches of ``cursor`` (see the module docstring)."""

    probe_loss: Callable[[Any], torch.Tensor]
    cursor: BatchCursor
    modules: list[torch.nn.Module]
    config: TunerConfig
    seed: int = field(init=False)

    def __post_init__(self) -> None:
        self.seed = self.config.seed

    @contextlib.contextmanager
    def session(
        self, params: list[torch.Tensor], delta: list[torch.Tensor], stats: TunerStats
    ) -> Iterator[ProbeSession]:
        """Probes may move the parameters along ``delta`` inside; the RNG is forked, DDP's
        forward hooks are off, and on exit (also on error) the parameters and buffers are
        restored bitwise and the forward passes counted in ``stats``."""
        buffers = module_buffers(self.modules)
        buffer_copy = [b.clone() for b in buffers]
        session = ProbeSession(
            params,
            [p.detach().clone() for p in params],
            delta,
            dist_utils.fsdp_modules(self.modules),
        )
        try:
            with (
                torch.random.fork_rng(devices=rng_devices()),
                dist_utils.ddp_probe_guard(self.modules),
            ):
                yield session
        finally:
            copy_into(params, session.theta1)
            copy_into(buffers, buffer_copy)
            dist_utils.reshard(session.fsdp)
            stats.probe_forward_passes += session.forwards

    def forward(self, batch: Any, seed: int) -> torch.Tensor:
        """``probe_loss(batch)`` with dropout seeded by ``seed``, as a float64 scalar
        (:func:`guards.probe_loss_value`: a usage error if it is not a scalar loss)."""
        torch.manual_seed(seed)
        return probe_loss_value(self.probe_loss(batch)).detach()

    def weights_diverged(self, params: Sequence[torch.Tensor], stats: TunerStats) -> bool:
        """Is the probe loss of one minibatch per rank at the current weights non-finite (on
        any rank)? Then the weights, not the training minibatch, make the loss non-finite.
        Parameters and buffers are restored bitwise afterwards."""
        local = torch.zeros(1, dtype=torch.float64)
        failure = dist_utils.RankFailure()
        with self.session(list(params), [], stats) as session:
            with failure:
                batch = self.cursor.next_batch()
                seed = probe_seed(self.seed, stats.probe_forward_passes, DIVERGENCE_STREAM,
                                  dist_utils.rank())
                local += self.forward(batch, seed).cpu()
                session.forwards += 1
            total = float(failure.all_reduce_sum(local)[0])
        return not math.isfinite(total)

    def fit(
        self,
        params: list[torch.Tensor],
        delta: list[torch.Tensor],
        lr: float,
        bounds: ClipBounds,
        *,
        decision_index: int,
        direction: int,
        max_minibatches: int,
        stats: TunerStats,
        horizon_factor: float,
    ) -> FitResult:
        """Superbatch loop of one decision at ``lr`` (``delta = lr * d``) within ``bounds``.

        ``direction`` (+1 explore, -1 exploit) says which part of a proposal the phase can
        act on (for the adaptive stop); ``max_minibatches`` is the
        most minibatches over all ranks (the ledger's limit); ``decision_index`` seeds the
        dropout masks; ``horizon_factor`` is the factor in use (the policy's, rule 11).
        ``EmptyProbeDataError`` for an empty clip range.
        """
        c = self.config
        if bounds.upper <= 0 and bounds.lower >= 0:
            raise EmptyProbeDataError("clip range is empty (loss not positive)")
        epsilons = probe_epsilons(lr, bounds, c.num_probes, max_span=max(lr, bounds.upper))
        operator = fit_operator(epsilons)
        world = dist_utils.world_size()
        per_round = max(1, math.ceil(c.min_superbatch / world))
        max_local = max(1, math.ceil(max_minibatches / world))
        totals = ProbeSums(len(epsilons))
        drawn = 0
        with self.session(params, delta, stats) as session:
            while True:
                # rounds of min_superbatch minibatches: 4, 8, 12, ... drawn in all
                take = min(per_round, max_local - drawn)
                local = ProbeSums(len(epsilons))
                # A failure on one rank is raised on all, after the round's all-reduce.
                failure = dist_utils.RankFailure()
                with failure:
                    for _ in range(take):
                        batch = self.cursor.next_batch()
                        # Global batch index: rank r holds batches r, r + W, r + 2W, ...
                        index = dist_utils.rank() + world * drawn
                        seed = probe_seed(self.seed, decision_index, FIT_STREAM, index)
                        losses = []
                        for eps in epsilons:
                            session.move(-eps / lr)
                            losses.append(self.forward(batch, seed))
                            session.forwards += 1
                        ell = torch.stack(losses).cpu().numpy()
                        local.add_batch(fit_coefficients(operator, ell), ell)
                        drawn += 1
                totals.add(local.all_reduced(failure))
                count, k_sum, k_sq, _ = totals.arrays()
                if not np.all(np.isfinite(totals.flat.numpy())):
                    break
                mean, stderr = spread_from_sums(count, k_sum, k_sq)
                if drawn >= max_local:
                    break
                if c.adaptive_superbatch and decision_is_resolved(
                    mean,
                    stderr,
                    bounds,
                    c.fit_tolerance * lr,
                    direction,
                    z=c.resolve_z,
                    lr=lr,
                    horizon_factor=horizon_factor,
                ):
                    break
        _, k_sum, _, loss_sum = totals.arrays()
        n = totals.count
        coefficients = k_sum / n
        return FitResult(
            epsilons=epsilons,
            bounds=bounds,
            num_batches=int(n),
            coefficients=(float(coefficients[0]), float(coefficients[1]), float(coefficients[2])),
            losses=(loss_sum / n).tolist(),
            forwards=session.forwards,
        )

    def line(
        self, params: Sequence[torch.Tensor], delta: list[torch.Tensor], stats: TunerStats
    ) -> LineResult:
        """Probe-batch mean loss at ``theta0 - m * delta`` on the seed-search grid.

        The same ``search_minibatches`` minibatches (at most ``superbatch``, split over ranks,
        all-reduced) and dropout masks serve every point; parameters and buffers are restored
        bitwise afterwards.
        """
        c = self.config
        world = dist_utils.world_size()
        batches: list[Any] = []
        failure = dist_utils.RankFailure()
        with failure:
            for _ in range(max(1, math.ceil(min(c.search_minibatches, c.superbatch) / world))):
                batches.append(self.cursor.next_batch())
        counted = failure.all_reduce_sum(torch.tensor([float(len(batches))]))
        num_batches = int(counted[0])
        seeds = [
            probe_seed(self.seed, 0, SEED_SEARCH_STREAM, dist_utils.rank() + world * i)
            for i in range(len(batches))
        ]
        multipliers: list[float] = []
        losses: list[float] = []
        with self.session(list(params), delta, stats) as session:

            def mean_loss(multiplier: float) -> float:
                session.move(1.0 - multiplier)  # theta0 - m * delta
                local = torch.zeros(1, dtype=torch.float64)
                fail = dist_utils.RankFailure()
                with fail:
                    for batch, seed in zip(batches, seeds, strict=True):
                        local += self.forward(batch, seed).cpu()
                        session.forwards += 1
                total = float(fail.all_reduce_sum(local)[0]) / num_batches
                return total if math.isfinite(total) else math.inf

            loss0 = mean_loss(0.0)
            grid = {"grid_ratio": c.grid_ratio, "max_multiplier": c.max_multiplier,
                    "min_multiplier": c.min_multiplier,
                    "bracket_on_grid": c.search_bracket_on_grid}
            while (m := next_multiplier(multipliers, losses, loss0, **grid)) is not None:
                multipliers.append(m)
                losses.append(mean_loss(m))
        eps = max((torch.finfo(p.dtype).eps for p in params if p.is_floating_point()),
                  default=0.0)
        resolution = eps * abs(loss0) if math.isfinite(loss0) else 0.0
        return LineResult(multipliers, losses, loss0, num_batches, session.forwards, resolution)
