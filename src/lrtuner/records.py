"""What the tuner reports: one record per decision, and counters for benchmarks."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

DECISIONS = ("accepted", "rejected", "rolled_back", "skipped")


@dataclass
class DecisionRecord:
    """One decision of the tuner. ``dataclasses.asdict`` gives a JSON-ready dict.

    ``epsilons``/``losses`` are the probe points and the superbatch mean loss at each,
    ``coefficients`` the fitted ``(k0, k1, k2)``; they are empty when no fit was made.
    ``forward_passes`` counts the probe forward passes of this decision on this rank.
    """

    step: int
    phase: str
    lr_before: float
    lr_after: float
    decision: str
    reason: str
    epsilons: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    coefficients: tuple[float, float, float] | None = None
    proposed_lr: float | None = None
    num_batches: int = 0
    forward_passes: int = 0
    drop_rate: float | None = None
    drop_rate_stderr: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DecisionRecord:
        data = dict(data)
        if data.get("coefficients") is not None:
            data["coefficients"] = tuple(data["coefficients"])
        return cls(**data)


@dataclass(frozen=True)
class SeedSearchReport:
    """What the seed search did (``tuner.seed_search_result``; ``None`` before it ran).

    The search measured the mean loss of ``minibatches`` probe minibatches at
    :math:`\\theta_0 - m\\,\\delta` for each multiplier ``m`` (``loss0`` at ``m = 0``), i.e.
    after one step at the LR ``m * lr_before`` (:attr:`lrs`); ``lr_after`` is the LR it set
    (:attr:`suggested_lr`; ``changed`` is False when it kept the seed LR), ``reason`` why.
    ``forward_passes`` and ``seconds`` are its cost on this rank.
    """

    lr_before: float
    lr_after: float
    changed: bool
    reason: str
    multipliers: list[float]
    losses: list[float]
    loss0: float
    forward_passes: int
    minibatches: int
    seconds: float

    @property
    def lrs(self) -> list[float]:
        """The LR of each grid point: ``m * lr_before``."""
        return [m * self.lr_before for m in self.multipliers]

    @property
    def suggested_lr(self) -> float:
        """The LR the search chose (the seed LR when it kept it)."""
        return self.lr_after

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SeedSearchReport:
        return cls(**data)


@dataclass
class TunerStats:
    """Counters a benchmark needs (per rank)."""

    optimizer_steps: int = 0
    probe_forward_passes: int = 0
    fits: int = 0
    rollbacks: int = 0
    skipped_steps: int = 0
    decisions: int = 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)
