"""Explore/exploit, saturation, the trust region and rollback: the owner of every LR decision.

The policy never touches tensors. It sees the training losses, one float per optimizer step,
and the fits, and answers four questions at each decision boundary:

1. What becomes of the last accepted LR change: rolled back, kept, or left pending until its
   window is long enough to judge? (:meth:`TunerPolicy.pending_verdict`, on
   :meth:`TunerPolicy.should_roll_back`; a rollback also moves the horizon factor, rule 11,
   and ends explore's trial, rule 12)
2. Is a fit due now? (:meth:`TunerPolicy.fit_due`)
3. Where may a fit probe? (:meth:`TunerPolicy.bounds`: the trust region)
4. Given a fit, what is the decision? (:meth:`TunerPolicy.decide` returns a :class:`Decision`:
   the proposal, clipped and capped, judged by the phase; until the first rollback, explore
   proposes its trust region's upper bound instead, rule 12; an accepted one becomes the
   pending change that rollback judges on the next window)

Its constants (``z`` values, patience, minimum change, growth cap, rollback cap, horizon factor)
are fields of :class:`~lrtuner.config.TunerConfig`.

**Loss-drop rate.** Training losses are grouped in windows between decision boundaries. The
drop rate of a window is minus the least-squares slope of loss against step inside it,
:math:`\\rho = -\\hat\\beta`, with its standard error :math:`s_\\rho` from the residuals.

**Saturation** (exploit only; Appendix B). With a relative threshold :math:`T`: the LR is
saturated when :math:`\\rho_{start} / \\rho > T` (``rho <= 0`` counts as saturated), where
:math:`\\rho_{start}` is the drop rate of the first window at the current LR. At the first
crossing the rule switches to an absolute threshold :math:`\\rho < \\rho_{abs}` with
:math:`\\rho_{abs}` the drop rate at that crossing (or :math:`\\rho_{start}/T` when that rate is
not positive, so the threshold is never negative). With ``saturation_threshold=None`` the
threshold is derived from the run: saturated when the loss no longer measurably drops over a
window, :math:`\\rho < z\\, s_\\rho` (``saturation_z``, 1).

**Rollback.** A change is judged on the first full window after it. It is rolled back

* when the loss rose over that window and fell more slowly than before the change, beyond
  noise: :math:`\\rho_{after} < \\min(0, \\rho_{before}) - z\\sqrt{s_{after}^2 + s_{before}^2}`
  (``rollback_z``, 2);
* or when the loss *level* of that window is above the level of the window before the change,
  beyond noise: the rank-sum (Mann-Whitney) statistic of the two windows' losses,
  :math:`z_U = (U - n_b n_a / 2) / \\sigma_U > z` (:func:`rank_shift_z`; ``rollback_z``, 2;
  ``rollback_on_level``). The drop-rate test alone misses a divergence: a loss that jumps by
  orders of magnitude inside the window and then settles inflates that window's own
  :math:`s_{after}` until the slope is "within noise". A rank test is not moved by the size
  of the jump, only by how many losses lie above the earlier ones;
* or at once when the training loss is not finite.

In a converging run the window after a change lies below the one before it, so the level
test fires only when the change undid progress. The paper says "a reduction
in loss drop per iteration"; taken literally that fires after nearly every change, because the
drop rate of a converging run falls on its own, so the rule asks for a loss that went up.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from .config import TunerConfig
from .probe import ClipBounds, Proposal, clip_bounds, propose_epsilon
from .seed_search import SeedSearchResult, seed_lr_from_optima, seed_lr_from_search

if TYPE_CHECKING:
    from .prober import FitResult, LineResult


@dataclass(frozen=True)
class DropRate:
    """Loss-drop rate of one window (per step) with its standard error."""

    rate: float
    stderr: float
    num_steps: int


def window_drop_rate(losses: list[float]) -> DropRate | None:
    """Minus the least-squares slope of ``losses`` against their index, with its standard error.

    Returns ``None`` for fewer than 3 finite points.
    """
    ys = [y for y in losses if math.isfinite(y)]
    n = len(ys)
    if n < 3:
        return None
    xs = range(n)
    x_mean = (n - 1) / 2.0
    y_mean = sum(ys) / n
    sxx = sum((x - x_mean) ** 2 for x in xs)
    sxy = sum((x - x_mean) * (y - y_mean) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    resid = sum((y - y_mean - slope * (x - x_mean)) ** 2 for x, y in zip(xs, ys, strict=True))
    stderr = math.sqrt(resid / (n - 2) / sxx)
    return DropRate(rate=-slope, stderr=stderr, num_steps=n)


@dataclass
class PendingChange:
    """An accepted LR change still waiting for its first full window."""

    step: int
    lr_before: float
    lr_after: float
    rate_before: float | None
    stderr_before: float | None
    #: finite training losses of the window closed at the change (the level test's reference)
    losses_before: list[float] | None = None


def rank_shift_z(before: list[float], after: list[float]) -> float:
    """How far the losses ``after`` lie above ``before``, in standard deviations.

    The Mann-Whitney statistic :math:`U = \\#\\{(i, j): a_j > b_i\\} + \\tfrac12
    \\#\\{a_j = b_i\\}`, computed from mid-ranks of the pooled sample, standardised under the
    hypothesis that both windows come from one distribution:
    :math:`z = (U - n_a n_b / 2) / \\sqrt{\\tfrac{n_a n_b}{12}\\,(n + 1 - \\tfrac{\\sum_t
    (t^3 - t)}{n (n - 1)})}` with :math:`n = n_a + n_b` and :math:`t` the sizes of the groups
    of tied values. ``0.0`` when either list is empty or every value is the same.
    """
    n_b, n_a = len(before), len(after)
    n = n_a + n_b
    if n_a == 0 or n_b == 0:
        return 0.0
    pooled = sorted([(y, 0) for y in before] + [(y, 1) for y in after])
    rank_sum_after = 0.0
    tie_term = 0.0
    i = 0
    while i < n:
        j = i
        while j + 1 < n and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        mid_rank = (i + j) / 2.0 + 1.0
        rank_sum_after += mid_rank * sum(1 for k in range(i, j + 1) if pooled[k][1] == 1)
        t = j - i + 1
        tie_term += t**3 - t
        i = j + 1
    u = rank_sum_after - n_a * (n_a + 1) / 2.0
    variance = n_a * n_b / 12.0 * ((n + 1) - tie_term / (n * (n - 1)))
    if variance <= 0:
        return 0.0
    return (u - n_a * n_b / 2.0) / math.sqrt(variance)


def linear_cooldown(lr: float, start: int, total: int, step: int) -> float:
    """``lr * (total - step) / (total - start)`` for ``start <= step < total``: linear from
    ``lr`` at ``start`` to ``lr / (total - start)`` at the last step, zero just after it. A step
    past ``total`` keeps the last value (the run was longer than announced)."""
    span = max(total - start, 1)
    return lr * max(total - step, 1) / span


@dataclass
class PolicyState:
    """Everything the policy must carry across a checkpoint."""

    phase: str = "explore"
    explore_steps: int | None = None
    relative_threshold: float | None = None
    absolute_threshold: float | None = None
    rate_at_lr_start: float | None = None
    last_rate: float | None = None
    last_stderr: float | None = None
    last_window_mean: float | None = None
    #: finite training losses of the last closed window (the rollback level test's input)
    closed_window: list[float] = field(default_factory=list)
    pending: PendingChange | None = None
    rollback_cap: float | None = None  # max |eps| allowed in the rolled-back direction
    rollback_direction: int = 0  # +1 increase, -1 decrease, 0 none
    decrease_streak: int = 0
    #: fits in a row that proposed the same direction: +n increases, -n decreases, 0 none
    fit_streak: int = 0
    growth: float = 1.0  # explore: multiplier of the trust-region factor after boundary hits
    #: the horizon factor in use (rule 11); ``None``: ``config.horizon_factor``
    horizon: float | None = None
    #: ``explore_by_trial`` (rule 12): a rollback has ended explore's trial
    trial_ended: bool = False
    seed_searched: bool = False  # the seed-LR search has run (or was attempted)
    #: seed searches run so far; an inconclusive one asks for another at the next step
    seed_search_attempts: int = 0
    seed_search_retry: bool = False
    #: the one-step optima (as LRs) of the conclusive searches so far (``search_directions``)
    seed_search_optima: list[float] = field(default_factory=list)
    cooldown_lr: float | None = None  # the LR the cooldown anneals from (rule 9)
    #: the optimizer step the cooldown started at when exploit's first decrease started it
    #: (rule 14); ``None``: ``config.cooldown_start``
    cooldown_from: int | None = None
    window_losses: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PolicyState:
        data = dict(data)
        pending = data.pop("pending", None)
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"Invalid policy state: unknown keys {sorted(unknown)}")
        state = cls(**data)
        state.pending = PendingChange(**pending) if pending is not None else None
        return state


@dataclass(frozen=True)
class Decision:
    """What :meth:`TunerPolicy.decide` made of one fit.

    ``proposed_lr`` is ``None`` when the fit was not finite (no proposal). ``reason`` is the
    record's reason (judgement, then how the proposal was clipped and capped).
    ``explore_ended`` is set when this fit ended an open-ended explore (rule 6);
    ``judged_in`` is the phase that judged it.
    """

    accepted: bool
    reason: str
    lr_before: float
    proposed_lr: float | None
    explore_ended: bool
    judged_in: str


class TunerPolicy:
    """Explore/exploit state machine and the decision it owns (see the module docstring)."""

    def __init__(self, config: TunerConfig) -> None:
        self.config = config
        self.state = PolicyState(
            explore_steps=config.explore_steps,
            relative_threshold=config.saturation_threshold,
        )

    @property
    def rollback_enabled(self) -> bool:
        return self.config.rollback

    def state_dict(self) -> dict[str, Any]:
        return self.state.to_dict()

    def load_state(self, state: PolicyState) -> None:
        self.state = state

    # --- the seed search ---------------------------------------------------------------
    def seed_search_due(self, optimizer_steps: int) -> bool:
        """At the first step taken, in explore (``seed_search=True``); again at the next step
        while the last search asked for another (:meth:`note_seed_search_outcome`)."""
        s = self.state
        if not self.config.seed_search or s.phase != "explore" or s.explore_steps == 0:
            return False
        if not s.seed_searched:
            return optimizer_steps == 0
        return s.seed_search_retry

    def note_seed_search(self) -> None:
        """A seed search runs now (or is attempted); no other unless it turns out
        inconclusive (:meth:`note_seed_search_outcome`)."""
        s = self.state
        s.seed_searched = True
        s.seed_search_attempts += 1
        s.seed_search_retry = False

    def note_seed_search_outcome(self, result: SeedSearchResult) -> bool:
        """Record a search's one-step optimum and whether the next step's direction is
        searched; ``True`` if it is. Another search follows a conclusive one until
        ``search_directions`` were conclusive (0.17.0), and an inconclusive one until
        ``search_attempts`` were inconclusive (0.12.0); a non-finite probe loss ends the
        search."""
        s, c = self.state, self.config
        if result.one_step_lr is not None:
            s.seed_search_optima.append(result.one_step_lr)
            s.seed_search_retry = len(s.seed_search_optima) < c.search_directions
        else:
            conclusive = len(s.seed_search_optima)
            s.seed_search_retry = (
                result.inconclusive
                and s.seed_search_attempts - conclusive < c.search_attempts
                and conclusive < c.search_directions
            )
        return s.seed_search_retry

    def seed_lr_final(self, result: SeedSearchResult, lr: float) -> SeedSearchResult:
        """The LR the search ends on, after its last line's ``result``: that result when at
        most one search was conclusive and it is this one (or none was), else
        ``1/safety_factor`` of the median of the conclusive searches' one-step optima
        (:func:`seed_search.seed_lr_from_optima`)."""
        optima = self.state.seed_search_optima
        if not optima or (len(optima) == 1 and result.one_step_lr is not None):
            return result
        c = self.config
        return seed_lr_from_optima(
            lr, optima, safety_factor=c.safety_factor, min_relative_change=c.min_relative_change
        )

    def seed_lr(self, line: LineResult, lr: float) -> SeedSearchResult:
        """The LR after the seed search's line (:func:`seed_search.seed_lr_from_search`)."""
        c = self.config
        return seed_lr_from_search(
            lr,
            line.loss0,
            line.multipliers,
            line.losses,
            resolution=line.resolution,
            resolution_steps=c.search_resolution_steps,
            safety_factor=c.safety_factor,
            min_relative_change=c.min_relative_change,
        )

    # --- training-loss bookkeeping -------------------------------------------------------
    def record_loss(self, loss: float) -> None:
        self.state.window_losses.append(float(loss))

    def close_window(self) -> DropRate | None:
        """End the current loss window; return its drop rate (``None`` if too short)."""
        finite = [x for x in self.state.window_losses if math.isfinite(x)]
        self.state.closed_window = finite
        if finite:
            self.state.last_window_mean = sum(finite) / len(finite)
        rate = window_drop_rate(self.state.window_losses)
        self.state.window_losses = []
        if rate is not None:
            self.state.last_rate, self.state.last_stderr = rate.rate, rate.stderr
            if self.state.rate_at_lr_start is None:
                self.state.rate_at_lr_start = rate.rate
        return rate

    def loss_rising(self, rate: DropRate | None) -> bool:
        """Is the training loss measurably rising over the window of ``rate``
        (:math:`\\rho < -z\\, s_\\rho`, ``rising_loss_z``)? ``False`` without a rate."""
        return rate is not None and rate.rate < -self.config.rising_loss_z * rate.stderr

    def reopen_window(self) -> None:
        """Put the losses of the window just closed back in front of the open one: a change
        too recent to judge is judged on all the losses since it (``closed_window`` holds the
        finite ones)."""
        s = self.state
        s.window_losses = list(s.closed_window) + s.window_losses

    # --- phase -------------------------------------------------------------------------
    def _end_explore(self) -> None:
        """The one switch to exploit (the schedule resets its back-off on it too)."""
        self.state.phase = "exploit"
        self.state.growth = 1.0

    def update_phase(self, step: int) -> bool:
        """Switch to exploit once ``explore_steps`` have passed. Returns True on the switch."""
        s = self.state
        if s.phase == "explore" and s.explore_steps is not None and step >= s.explore_steps:
            self._end_explore()
            return True
        return False

    def note_fit_direction(self, proposed_eps: float, rate: DropRate | None, step: int) -> bool:
        """Open-ended explore: end it after repeated decrease proposals on a saturated loss."""
        s = self.state
        if s.phase != "explore" or s.explore_steps is not None:
            return False
        s.decrease_streak = s.decrease_streak + 1 if proposed_eps < 0 else 0
        if s.decrease_streak >= self.config.adaptive_explore_patience and self._noise_saturated(
            rate
        ):
            s.explore_steps = step
            self._end_explore()
            return True
        return False

    # --- cooldown (rule 9) -------------------------------------------------------------
    def cooldown_due(self, step: int) -> bool:
        """The cooldown starts at ``config.cooldown_start`` (once)."""
        start = self.config.cooldown_start
        return start is not None and self.state.phase != "cooldown" and step >= start

    def start_cooldown(self, lr: float, step: int | None = None) -> None:
        """Enter the cooldown from ``lr``; a pending change is kept (nothing is judged again).
        ``step``: the optimizer step it starts at when that is before ``config.cooldown_start``
        (rule 14); ``None``: at ``config.cooldown_start``."""
        s = self.state
        s.phase, s.cooldown_lr, s.pending = "cooldown", lr, None
        s.rollback_cap, s.rollback_direction = None, 0
        s.cooldown_from = step

    def cooldown_from_decrease(self, decision: Decision) -> bool:
        """Rule 14: does this accepted decision start the cooldown instead of changing the LR?
        Yes for a decrease accepted by exploit (:meth:`judge`: a saturated loss and
        ``exploit_agreement`` fits in a row asking for it) in a run with a cooldown.

        Why: exploit's decreases say the current LR has stopped paying (the loss drop is
        within noise and consecutive fits ask for less). The paper answers each with one cut
        by the fit's factor (at most ``max_lr_factor``), one per decision, and the probe
        ledger allows few decisions: the 0.13.0 runs of fmnist-widemlp made 2-3 such cuts in
        3000 exploit steps and ended the stable part at 0.17-0.5x the tuned peak while fits
        in between asked to go back up, then annealed over the last 20 %. Every tuned
        schedule of the benchmark instead decays continuously to (near) zero over the run,
        and linear decay to zero is the best of the common shapes (Defazio et al. 2023).
        Once the run itself measures that the LR has stopped paying, the rest of the budget
        anneals linearly from there."""
        c = self.config
        return (
            c.cooldown_on_decrease
            and c.cooldown_start is not None
            and decision.accepted
            and decision.judged_in == "exploit"
            and decision.proposed_lr is not None
            and decision.proposed_lr < decision.lr_before
        )

    def rescale_cooldown(self, factor: float) -> None:
        """Something else scaled the LR in the cooldown by ``factor``: anneal on from there."""
        assert self.state.cooldown_lr is not None
        if math.isfinite(factor) and factor > 0:
            self.state.cooldown_lr *= factor

    def cooldown_lr_at(self, step: int) -> float:
        """The LR of optimizer step ``step`` in the cooldown (:func:`linear_cooldown`)."""
        start = self.state.cooldown_from
        if start is None:
            start = self.config.cooldown_start
        assert self.state.cooldown_lr is not None and start is not None
        total = self.config.total_steps
        assert total is not None
        return linear_cooldown(self.state.cooldown_lr, start, total, step)

    # --- saturation --------------------------------------------------------------------
    def _noise_saturated(self, rate: DropRate | None) -> bool:
        return rate is not None and rate.rate < self.config.saturation_z * rate.stderr

    def is_saturated(self, rate: DropRate | None) -> tuple[bool, str]:
        """Has the current LR served its purpose? Returns (saturated, reason)."""
        s = self.state
        if rate is None:
            return False, "not enough training losses to measure the drop rate"
        if s.relative_threshold is None:
            if self._noise_saturated(rate):
                return True, (f"drop rate {rate.rate:.3g}/step is within noise ({rate.stderr:.3g})")
            return False, f"loss still dropping: {rate.rate:.3g}/step > {rate.stderr:.3g} noise"
        if s.absolute_threshold is not None:
            if rate.rate < s.absolute_threshold:
                return (
                    True,
                    f"drop rate {rate.rate:.3g} < absolute threshold {s.absolute_threshold:.3g}",
                )
            return (
                False,
                f"drop rate {rate.rate:.3g} >= absolute threshold {s.absolute_threshold:.3g}",
            )
        start = s.rate_at_lr_start
        if (
            start is None
            or start <= 0
            or rate.rate <= 0
            or start / rate.rate > s.relative_threshold
        ):
            crossing = (
                rate.rate if rate.rate > 0 else (start / s.relative_threshold if start else 0.0)
            )
            s.absolute_threshold = max(crossing, 0.0)
            return True, (
                f"relative threshold crossed (start rate {start}, now {rate.rate:.3g}); "
                f"absolute threshold set to {s.absolute_threshold:.3g}"
            )
        return False, f"drop ratio {start / rate.rate:.3g} <= {s.relative_threshold:g}"

    def fit_due(self, rate: DropRate | None) -> tuple[bool, str]:
        """Explore: always. Exploit: only once saturated (Appendix D: saves the probes)."""
        if self.state.phase == "explore":
            return True, "explore"
        return self.is_saturated(rate)

    # --- the trust region and the caps -----------------------------------------------
    def reference_loss(self) -> float:
        """Loss scale for the paper's clip bound: the mean training loss of the last window."""
        mean = self.state.last_window_mean
        return float(mean) if mean is not None else 1.0

    def bounds(self, lr: float) -> ClipBounds:
        """Clip range of a fit at ``lr``: the paper's eq. 3 with ``epsilon_threshold``, else the
        log-space trust region, whose upper factor widens in explore after boundary hits
        (:meth:`note_boundary`). ``ValueError`` from :func:`probe.clip_bounds` for an LR so
        large that the range overflows."""
        c = self.config
        factor = c.max_lr_factor
        if c.epsilon_threshold is None:
            factor = 1.0 + (factor - 1.0) * self.state.growth
        bounds = clip_bounds(
            lr, self.reference_loss(), c.epsilon_threshold, factor, c.min_lr_fraction
        )
        if c.epsilon_threshold is None:
            bounds = ClipBounds(lower=lr / c.max_lr_factor - lr, upper=bounds.upper)
        return bounds

    def note_boundary(self, hit_upper: bool) -> None:
        """Explore: an increase that hit the upper clip bound doubles the next trust region.

        Consecutive fits whose one-step minimum lies beyond the upper bound are consistent
        evidence that the LR is far too small (a seed LR, or a seed search that landed low):
        the upper factor of the automatic trust region is ``1 + (g - 1) * growth`` with growth
        1, 2, 4, 8 (x2, x3, x5, x9 per decision for ``g = 2``), so a start 30x too low is
        repaired in three decisions; the first proposal that lands inside the range resets
        the growth, as does a rollback. Rollback (rule 8) is the guard against overshooting.

        The evidence is the fit's own minimum, before ``horizon_factor`` (0.8.0): a proposal
        that only the factor pushes past the bound says that the one-step minimum lies
        inside the probed range, not that the range is too small. In 0.7.0 the factor's
        clipped proposal grew the range too, so every fit asking for more than the current
        LR widened it (x3, x5, x9), and SGD-momentum runs overshot (tweets-textcnn).
        """
        s = self.state
        if s.phase != "explore":
            s.growth = 1.0
            return
        s.growth = min(s.growth * 2.0, self.config.max_explore_growth) if hit_upper else 1.0

    def cap_after_rollback(self, eps: float) -> tuple[float, str | None]:
        """After a rollback, a same-direction move is capped (``rollback_cap_fraction`` of the
        rolled-back one). The cap is used up by the next fit, capped or not."""
        s = self.state
        if s.rollback_cap is None or s.rollback_direction == 0:
            return eps, None
        direction, cap = s.rollback_direction, s.rollback_cap
        s.rollback_cap, s.rollback_direction = None, 0
        if eps * direction > cap:
            share = self.config.rollback_cap_fraction
            share_text = "half" if share == 0.5 else f"{share:g} of"
            return direction * cap, f"capped to {share_text} the change that was rolled back"
        return eps, None

    # --- the decision -----------------------------------------------------------------
    def judge(self, eps: float, lr: float, rate: DropRate | None = None) -> tuple[bool, str]:
        """Explore accepts only increases, exploit only decreases.

        A proposal that moves the LR by less than ``min_relative_change`` (5%) is no change:
        the fit is resolved only to a fraction of the LR (``fit_tolerance``), and a tiny
        accepted change would cost a rollback snapshot and reset the decision interval for
        nothing.

        Exploit, beyond the paper (``exploit_agreement`` N, 2; 0.8.0): it acts on a direction
        once the last N fits (of either phase, rejected ones included) proposed it, and then
        in either direction. A single fit's proposal is noisy: in the 0.7.0 runs, exploit
        fits alternated between the two clip bounds (fmnist-vit, digits-vae), and each one
        that asked for a decrease halved the LR while those that asked for an increase were
        ignored, so the LR only ratcheted down. Requiring agreement filters single-fit noise
        in both directions and lets a cut that consecutive fits call too deep be undone.
        ``exploit_agreement=0`` is the paper's exploit (decreases only, on one fit).

        One exception, beyond the paper: explore also accepts a decrease while the training
        loss is measurably rising (:math:`\\rho < -z\\, s_\\rho`, ``rising_loss_z``, 2). A seed
        LR that is too large would otherwise be locked in for the whole explore phase.
        """
        c = self.config
        if not self._is_change(eps, lr):
            return False, f"change below {c.min_relative_change:.0%} of the LR"
        if self.state.phase == "explore":
            if eps > 0:
                return True, "explore accepts an increase"
            if self.loss_rising(rate):
                return True, "explore accepts a decrease: the training loss is rising"
            return False, "explore rejects a decrease"
        agreement = c.exploit_agreement
        if agreement == 0:
            if eps < 0:
                return True, "exploit accepts a decrease"
            return False, "exploit rejects an increase"
        direction = "an increase" if eps > 0 else "a decrease"
        streak = abs(self.state.fit_streak)
        if streak >= agreement:
            return True, f"exploit accepts {direction}: {streak} fits in a row propose it"
        return False, (
            f"exploit waits: {streak} fit{'s' if streak != 1 else ''} in a row propose "
            f"{direction}, {agreement} needed"
        )

    def decide(self, fit: FitResult, lr: float, rate: DropRate | None, step: int) -> Decision:
        """The decision on one fit made at ``lr`` (optimizer step ``step``).

        The minimiser of the fitted quadratic inside :meth:`bounds`
        (:func:`probe.propose_epsilon`; the LR ``horizon_factor`` times that minimum, clipped),
        capped after a rollback; then :meth:`judge`. An
        accepted change becomes the pending change (rolled back or released at the next
        decision). A fit with non-finite coefficients or losses is rejected and changes no
        state.
        """
        _, k1, k2 = fit.coefficients
        if not all(math.isfinite(k) for k in fit.coefficients) or not all(
            math.isfinite(x) for x in fit.losses
        ):
            phase = self.state.phase
            return Decision(False, "probe loss is not finite", lr, None, False, phase)
        bounds = fit.bounds
        factor = self.horizon
        fitted = propose_epsilon(k1, k2, bounds, lr, factor)
        proposal = self._explore_trial(fitted, bounds)
        if proposal is fitted or self.config.explore_trial_growth != "keep":
            self.note_boundary(proposal.one_step_beyond_upper)
        eps, cap_reason = self.cap_after_rollback(proposal.eps)
        reason = proposal.reason + (f" (x{factor:.3g} for the horizon)" if factor != 1 else "")
        reason += f"; {cap_reason}" if cap_reason else ""
        proposed_lr = lr + eps
        self.note_streak(eps, lr)
        explore_ended = self.note_fit_direction(proposal.eps, rate, step)
        if explore_ended:
            reason += "; explore ended (decreases proposed on a saturated loss)"
        accepted, why = self.judge(eps, lr, rate)
        if accepted:
            self.on_accepted(step, lr, proposed_lr)
        return Decision(
            accepted, f"{why}: {reason}", lr, proposed_lr, explore_ended, self.state.phase
        )

    def _explore_trial(self, proposal: Proposal, bounds: ClipBounds) -> Proposal:
        """Rule 12 (``explore_by_trial``, 0.10.0): until the run's first rollback, explore
        proposes the trust region's upper bound (x2 for ``max_lr_factor = 2``) whatever the fit
        asks; a fit that asks for more still gets its own proposal (and grows the region,
        :meth:`note_boundary`), the trial itself does not. After the first rollback, or
        outside explore, the fit's proposal, unchanged.

        Why: the fits' one-step optimum is a biased guide to the LR a run trains well at, and
        the bias is not a constant: across 25 development tasks the tuned peak lay 0.06-8x
        from it (``benchmarks/results/onestep-ratio-dev``), so no fixed fraction of it finds
        the tuned LR. A rollback, on the other hand, is the run's own window-long measurement
        that an LR was too high: 113 of 114 rolled-back increases of the stored development
        runs had set the LR above 1/1.5 of the tuned peak (``window-signal-dev``). So explore
        climbs until the run itself says "too far", and rule 8 undoes the last doubling.
        The trial's proposals count as increases in exploit's agreement streak (rule 10),
        as they did in the runs it was chosen on.

        ``explore_trial_growth``: a trial step resets the region's growth (``"reset"``,
        0.10.0), leaves it as the fits built it (``"keep"``, experimental), or doubles it as a
        fit beyond the bound does (``"grow"``, experimental: x2, x3, x5, x9, a galloping
        search); :meth:`decide` skips :meth:`note_boundary` for a kept one.
        """
        s = self.state
        if not self.config.explore_by_trial or s.phase != "explore" or s.trial_ended:
            return proposal
        if proposal.eps >= bounds.upper:
            return proposal
        reason = f"explore trial, until a rollback (the fit: {proposal.reason})"
        return Proposal(bounds.upper, reason, True, self.config.explore_trial_growth == "grow")

    def _is_change(self, eps: float, lr: float) -> bool:
        """A proposal moves the LR by at least ``min_relative_change`` of it (else: no change)."""
        return abs(eps) >= self.config.min_relative_change * lr

    def acted_direction(self) -> int:
        """The part of a proposal this phase can act on, for the adaptive superbatch: ``+1``
        increases (explore), ``-1`` decreases (the paper's exploit, ``exploit_agreement=0``),
        ``0`` both (exploit with agreement)."""
        if self.state.phase == "explore":
            return 1
        return -1 if self.config.exploit_agreement == 0 else 0

    def note_streak(self, eps: float, lr: float) -> None:
        """Count the fits in a row that propose the same direction (``fit_streak``); a
        proposal below ``min_relative_change`` of the LR proposes none and breaks the run."""
        s = self.state
        if not self._is_change(eps, lr):
            s.fit_streak = 0
        elif eps > 0:
            s.fit_streak = s.fit_streak + 1 if s.fit_streak > 0 else 1
        else:
            s.fit_streak = s.fit_streak - 1 if s.fit_streak < 0 else -1

    def on_accepted(self, step: int, lr_before: float, lr_after: float) -> None:
        s = self.state
        s.pending = PendingChange(
            step, lr_before, lr_after, s.last_rate, s.last_stderr, list(s.closed_window)
        )
        s.rate_at_lr_start = None  # (an absolute threshold, once set, stays for all of exploit)

    # --- rollback -----------------------------------------------------------------------
    def should_roll_back(self, rate: DropRate | None, loss_finite: bool) -> tuple[bool, str]:
        """Judge the pending change on the window after it (see module docstring)."""
        s = self.state
        p = s.pending
        if p is None or not self.rollback_enabled:
            return False, ""
        if not loss_finite:
            return True, "training loss became non-finite after the change"
        if rate is None:
            return False, "window after the change too short to judge"
        c = self.config
        before = p.rate_before if p.rate_before is not None else 0.0
        se = math.sqrt(rate.stderr**2 + (p.stderr_before or 0.0) ** 2)
        bound = min(0.0, before) - c.rollback_z * se
        if rate.rate < bound:
            return True, (
                f"loss rose after the change: drop rate {rate.rate:.3g} < {bound:.3g} "
                f"(before: {before:.3g})"
            )
        level = ""
        after, reference = s.closed_window, p.losses_before or []
        if c.rollback_on_level and min(len(after), len(reference)) >= c.rank_test_min_losses:
            z = rank_shift_z(reference, after)
            if z > c.rollback_z:
                mean_before, mean_after = statistics.fmean(reference), statistics.fmean(after)
                return True, (
                    f"loss level rose after the change: rank statistic {z:.3g} > "
                    f"{c.rollback_z:g} (window mean {mean_before:.4g} -> {mean_after:.4g})"
                )
            level = f", loss level z {z:.3g} <= {c.rollback_z:g}"
        return False, f"change kept: drop rate {rate.rate:.3g} >= {bound:.3g}{level}"

    @property
    def horizon(self) -> float:
        """The horizon factor in use: ``config.horizon_factor`` until rollbacks move it (rule
        11, :meth:`follow_rollback`)."""
        h = self.state.horizon
        return float(h) if h is not None else self.config.horizon_factor

    def follow_rollback(self, direction: int) -> None:
        """Rule 11: the horizon factor follows the changes the run itself undid.

        The factor ``H`` sets a fit's target to ``H`` times its one-step optimum (rule 1); it
        was measured where that optimum lay below the LR a run trains well at. A rolled-back
        change is the run's own measurement, over a whole window of training steps, that the
        target overshot in that direction: an increase that made the loss worse says that
        ``H`` times the one-step optimum lies above the LR the run trains well at, so ``H``
        halves (a geometric bisection between the floor and the factor that overshot); a
        rolled-back decrease doubles it. The floor is ``1 / safety_factor``: the search's own
        fraction of the one-step optimum (rule 7); the ceiling is ``horizon_factor``.

        Measured on fmnist-lenet (SGD-momentum, tanh; development since 0.9.0): there the
        one-step optimum lies at 3-9x the tuned LR, explore's increases from a searched LR of
        5x were each rolled back, and with ``H = 2`` every exploit fit still asked for an
        increase, so the LR stayed at 5x to the end.
        """
        c = self.config
        if not c.horizon_follows_rollbacks or direction == 0:
            return
        floor = 1.0 / c.safety_factor
        if direction > 0:
            self.state.horizon = max(self.horizon / 2.0, min(floor, c.horizon_factor))
        else:
            self.state.horizon = min(self.horizon * 2.0, c.horizon_factor)

    def pending_verdict(self, rate: DropRate | None, can_undo: bool) -> tuple[str, str]:
        """What a decision does with the pending change: ``"roll_back"`` (its window says it
        made the loss worse, :meth:`should_roll_back`), ``"wait"`` (too few losses after it to
        judge: it stays pending, :meth:`reopen_window`, and is judged at the next decision on
        every loss since it) or ``"release"`` (kept). ``can_undo``: a snapshot from before the
        change is held; without one the change can only be released."""
        roll, why = self.should_roll_back(rate, loss_finite=True)
        if not can_undo:
            return "release", why
        if roll:
            return "roll_back", why
        if rate is None and self.rollback_enabled:
            return "wait", why
        return "release", why

    def on_rolled_back(self) -> PendingChange:
        s = self.state
        p = s.pending
        assert p is not None
        s.pending = None
        s.rollback_direction = 1 if p.lr_after > p.lr_before else -1
        self.follow_rollback(s.rollback_direction)
        s.trial_ended = True
        s.growth = 1.0
        s.fit_streak = 0  # the fits that agreed led to a change that was undone
        s.rollback_cap = self.config.rollback_cap_fraction * abs(p.lr_after - p.lr_before)
        s.rate_at_lr_start = p.rate_before
        return p

    def on_diverged(self, lr_before: float, lr_after: float) -> None:
        """Rule 13: the weights diverged at ``lr_before`` with no change pending and the tuner
        lowered the LR to ``lr_after``: judged as a rolled-back increase from ``lr_after`` to
        ``lr_before`` (explore's trial ends, the horizon factor follows, and a later increase
        is capped to ``rollback_cap_fraction`` of the step down)."""
        s = self.state
        s.pending = None
        s.rollback_direction = 1
        self.follow_rollback(1)
        s.trial_ended = True
        s.growth = 1.0
        s.fit_streak = 0
        s.rollback_cap = self.config.rollback_cap_fraction * abs(lr_before - lr_after)
        if s.phase == "cooldown" and lr_before > 0:
            self.rescale_cooldown(lr_after / lr_before)

    def release_pending(self) -> None:
        self.state.pending = None
