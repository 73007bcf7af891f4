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
