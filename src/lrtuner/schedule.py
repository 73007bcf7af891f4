"""When to decide, and what a fit may cost: decision spacing, back-off and the probe ledger.

A *decision* closes a loss window (free); a *fit* probes (costly). The schedule owns the
interval between decisions and the probe ledger, with their state (:class:`ScheduleState`,
its own ``state_dict``). It never touches tensors; the phase it needs is read from the
policy's state (anything with ``phase`` and ``explore_steps``).

**Spacing** (``recompute_every=None``). After each fit, the interval at which a fit at every
decision would cost ``decision_spacing_share`` (3%) of training, a training step counted as
``forwards_per_step`` (3) forward passes::

    interval = clamp(ceil(forwards / (3 * 0.03)), min_recompute_every, cap * backoff)

with ``cap`` from :meth:`DecisionSchedule.cap`. In explore a decision is landed exactly at the
end of the phase. Each rejected explore fit in a row doubles ``backoff`` (up to
``max_backoff``); an accepted fit or the end of explore resets it. A fixed ``recompute_every``
replaces all of this.

**Ledger** (automatic spacing only). The fits' forward passes, over all ranks, stay within
:meth:`DecisionSchedule.fit_allowance`; a due fit waits while the ledger is spent
(:meth:`DecisionSchedule.fit_affordable`) and draws no more minibatches than it has left
(:meth:`DecisionSchedule.fit_minibatch_limit`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Protocol

from .config import TunerConfig


class PhaseInfo(Protocol):
    """What the schedule reads of the policy's state."""

    phase: str
    explore_steps: int | None


@dataclass
class ScheduleState:
    """Everything the schedule carries across a checkpoint."""

    interval: int  # steps between decisions (``tuner.recompute_every``)
    steps_since_decision: int = 0
    backoff: int = 1  # multiplier of the interval cap after rejected explore fits
    last_fit_forwards: int = 0  # probe forward passes of the last fit (sizes the interval)
    fit_forwards: int = 0  # forward passes of all fits so far, over all ranks (the ledger)
    explore_credits: int = 0  # accepted explore fits: each pays for one more look (ledger)

    @classmethod
    def from_dict(cls, data: Any) -> ScheduleState:
        """``ValueError`` for a malformed entry (unknown keys, missing ``interval``)."""
        if not isinstance(data, dict):
            raise ValueError(f"Invalid schedule state: {type(data).__name__}")
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"Invalid schedule state: unknown keys {unknown}")
        return cls(**{k: int(v) for k, v in data.items()})


class DecisionSchedule:
    """Decision spacing and the probe ledger (see the module docstring)."""

    def __init__(self, config: TunerConfig) -> None:
        self.config = config
        self.state = ScheduleState(interval=0)
        self.state.interval = config.recompute_every or self.cap(
            _Start(config.explore_steps)
        )

    # --- the step counter ----------------------------------------------------------------
    def count_step(self) -> None:
        """One more step taken (or about to be) since the last decision."""
        self.state.steps_since_decision += 1

    def decision_due(self) -> bool:
        return self.state.steps_since_decision >= self.state.interval

    def start_decision(self) -> None:
        self.state.steps_since_decision = 0

    # --- spacing -------------------------------------------------------------------------
    def cap(self, phase: PhaseInfo) -> int:
        """Longest interval between decisions (before back-off).

        Explore: ``explore_steps // explore_chances`` (4 chances to raise the LR), or
        ``open_explore_recompute_cap`` (50) when the explore length is open. Exploit:
        ``total_steps // exploit_chances`` (10 chances to anneal), or
        ``open_exploit_recompute_cap`` (1000) when the run length is unknown. Never below
        ``min_recompute_every``.
        """
        c = self.config
        explore = phase.explore_steps
        if phase.phase == "explore":
            if explore is None:
                return c.open_explore_recompute_cap
            return max(c.min_recompute_every, explore // c.explore_chances)
        if c.total_steps:
            return max(c.min_recompute_every, c.total_steps // c.exploit_chances)
        return c.open_exploit_recompute_cap

    def next_interval(self, forward_passes: int, phase: PhaseInfo, step: int) -> int:
        """The interval after a fit of ``forward_passes`` (this rank), at optimizer step
        ``step``; a fixed ``recompute_every`` always."""
        c = self.config
        if c.recompute_every is not None:
            return c.recompute_every
        cap = self.cap(phase) * self.state.backoff
        wanted = math.ceil(forward_passes / (c.forwards_per_step * c.decision_spacing_share))
        interval = int(min(max(wanted, c.min_recompute_every), cap))
        explore = phase.explore_steps
        if phase.phase == "explore" and explore is not None:
            # the phase switch happens at a decision: land one exactly at the end of explore
            # (a decision sees optimizer_steps = last + interval - 1 before its own step)
            remaining = explore - step + 1
            if remaining >= 1:
                interval = min(interval, remaining)
        return interval

    def respace(self, forward_passes: int, phase: PhaseInfo, step: int) -> None:
        """Set the interval to :meth:`next_interval`."""
        self.state.interval = self.next_interval(forward_passes, phase, step)

    def end_explore(self) -> None:
        """Explore ended: the back-off of explore's rejected fits no longer applies."""
        self.state.backoff = 1

    def after_judgement(self, accepted: bool, judged_in: str) -> None:
        """A rejected explore fit says the LR is as high as it should be: look again later
        (in exploit fits only happen once saturated, so they are already rare); an accepted
        fit resets the back-off."""
        s = self.state
        if accepted:
            s.backoff = 1
            if judged_in == "explore":
                s.explore_credits = min(s.explore_credits + 1, self.config.explore_chances)
        elif judged_in == "explore":
            s.backoff = min(2 * s.backoff, self.config.max_backoff)

    # --- the probe ledger ----------------------------------------------------------------
    @property
    def ledger_on(self) -> bool:
        """The probe ledger applies with automatic spacing only (``recompute_every=None``)."""
        return self.config.recompute_every is None

    def charge_fit(self, num_batches: int, num_points: int, forward_passes: int) -> None:
        """A fit of ``num_batches`` minibatches (over all ranks) at ``num_points`` eps, of
        which this rank did ``forward_passes``."""
        self.state.last_fit_forwards = forward_passes
        self.state.fit_forwards += num_batches * num_points

    def fit_allowance(self, step: int) -> float:
        """Forward passes (over all ranks) the fits may have used by ``step``: the ledger.

        ``probe_budget * forwards_per_step`` per step, but never less than
        ``min_fits_per_run`` fits of ``min_superbatch`` minibatches per run: spread evenly
        over ``total_steps`` when it is known, granted up front otherwise. On top of that,
        every accepted explore fit pays for one more minimum-size fit (``explore_credits``,
        at most ``explore_chances``): the even spread gives a phase of a quarter of the run
        about one fit, too few to repair a start far too low, while a run whose first look
        finds the LR right spends nothing more. The seed search is not charged (it runs
        once, before any fit).
        """
        c = self.config
        rate = c.forwards_per_step * c.probe_budget
        fit = c.min_superbatch * c.num_probes
        floor = c.min_fits_per_run * fit
        credit = self.state.explore_credits * fit
        if c.total_steps:
            return max(rate * c.total_steps, floor) * step / c.total_steps + credit
        return rate * step + floor + credit

    def fit_minibatch_limit(self, step: int) -> int:
        """Most minibatches (over all ranks) a fit at optimizer step ``step`` may draw:
        ``superbatch``, and under the ledger no more than what is left of the allowance (but
        ``min_superbatch``)."""
        c = self.config
        if not self.ledger_on:
            return c.superbatch
        left = self.fit_allowance(step) - self.state.fit_forwards
        affordable = int(left // c.num_probes)
        return min(c.superbatch, max(c.min_superbatch, affordable))

    def fit_affordable(self, step: int) -> tuple[bool, str]:
        """May a due fit run at ``step`` (the step being taken)? Only while the fits so far
        are within the ledger; always with a fixed ``recompute_every``."""
        if not self.ledger_on:
            return True, ""
        spent = self.state.fit_forwards
        allowed = self.fit_allowance(step)
        if spent <= allowed:
            return True, ""
        return False, (
            f"probe budget: fits have used {spent} forward passes, {allowed:.0f} allowed by "
            f"step {step}"
        )

    # --- checkpoints ---------------------------------------------------------------------
    def state_dict(self) -> dict[str, int]:
        return asdict(self.state)

    def load_state_dict(self, state: ScheduleState) -> None:
        self.state = state


@dataclass
class _Start:
    """The phase at construction: explore."""

    explore_steps: int | None
    phase: str = "explore"
