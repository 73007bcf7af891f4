"""Every option and every tuning constant of :class:`~lrtuner.LRTuner`, in one frozen config.

``LRTuner(base, probe_loss, probe_data, model=model, total_steps=N)`` builds a
:class:`TunerConfig` from its keyword arguments; ``LRTuner(..., config=TunerConfig(...))``
passes one whole, and keywords given next to ``config`` override its fields. Any field may be
overridden, the tuning constants too, so a sweep can see and change all of them. Every field
is documented in ``docs/automatic-rules.md`` (default, and the evidence or reason for it).

The fields fall in two groups:

* **options** (the constructor keywords of 0.3.0): what a user is expected to set;
* **tuning constants**: the values behind the automatic rules. They used to be module
  constants and bare literals; they are fields now so that they are visible, validated and
  sweepable. Their defaults are the values every stored result was measured with.

:meth:`TunerConfig.resolve` fills in what follows from ``total_steps`` (the explore length) and
clamps ``min_superbatch`` to ``superbatch``; the tuner keeps the resolved config as
``tuner.config``.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

__all__ = ["DEFAULTS", "TunerConfig"]


def _check_positive(name: str, value: Any, allow_none: bool = True) -> None:
    if value is None and allow_none:
        return
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"Invalid {name}: {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"Invalid {name}: {value}")


def _check_int(name: str, value: Any, minimum: int = 1, allow_none: bool = True) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"Invalid {name}: {value!r} (need an int >= {minimum})")


def _check_fraction(name: str, value: Any) -> None:
    _check_positive(name, value, allow_none=False)
    if value >= 1:
        raise ValueError(f"Invalid {name}: {value} (need 0 < {name} < 1)")


def _check_device(name: str, value: Any) -> None:
    """``None``, or a device that parses and on which a tensor can be made here."""
    if value is None:
        return
    import torch

    try:
        torch.empty(0, device=torch.device(value))
    except (RuntimeError, TypeError, ValueError, AssertionError) as exc:
        raise ValueError(f"Invalid {name}: {value!r} ({exc})".splitlines()[0]) from exc


def _check_bool(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"Invalid {name}: {value!r} (need True or False)")


@dataclass(frozen=True)
class TunerConfig:
    """Options and tuning constants of :class:`~lrtuner.LRTuner` (validated on creation).

    Invalid values raise ``ValueError`` naming the field and the value. See the module
    docstring for the two groups, and ``docs/automatic-rules.md`` for each field's evidence.
    """

    # ------------------------------------------------------------------ options
    #: Planned number of optimizer steps, if known; sets ``explore_steps`` and the exploit cap.
    total_steps: int | None = None
    #: Steps of the explore phase. ``None``: ``explore_share * total_steps``, or open-ended
    #: (explore ends by itself, rule 6) when ``total_steps`` is unknown too.
    explore_steps: int | None = None
    #: Fixed steps between decisions; ``None``: automatic spacing with the probe ledger (rule 5).
    recompute_every: int | None = None
    #: Most minibatches per loss estimate (paper: 100, fixed).
    superbatch: int = 32
    #: Stop drawing minibatches once the decision is resolved (rule 3); ``False``: always
    #: ``superbatch`` minibatches, as the paper does.
    adaptive_superbatch: bool = True
    #: Minibatches per round of the adaptive superbatch, and the least a fit draws (>= 2).
    min_superbatch: int = 4
    #: eps samples per fit, >= 3 (paper: 5; it notes 3 usually suffice).
    num_probes: int = 3
    #: ``r`` of the paper's eq. 3; ``None``: the log-space trust region (rule 1).
    epsilon_threshold: float | None = None
    #: Relative loss-drop-rate threshold of Appendix B; ``None``: saturated when the drop over a
    #: window is within its own noise (rule 4).
    saturation_threshold: float | None = None
    #: Undo a change that made the loss rise (rule 8).
    rollback: bool = True
    #: Rule 13: a non-finite training loss with no change pending, while the probe loss at the
    #: current weights is not finite either (the weights diverged), restores the last state a
    #: whole healthy window of training followed and divides the LR by ``max_lr_factor``.
    #: Needs ``rollback``; holds two snapshots while nothing is pending (0.13.0; ``False`` is
    #: 0.12.0).
    recover_divergence: bool = True
    #: Where the rollback snapshot lives (default: with the parameters).
    snapshot_device: torch.device | str | None = None
    #: The probe ledger: the fits' forward passes stay within this share of training (rule 5).
    probe_budget: float = 0.01
    #: Precision the adaptive superbatch needs, as a fraction of the LR (rule 3).
    fit_tolerance: float = 0.25
    #: Factor ``g`` of the automatic trust region ``lr/g <= lr + eps <= g lr`` (rule 1).
    max_lr_factor: float = 2.0
    #: ``"warn"``: a ``probe_loss`` exception becomes a skipped decision; ``"raise"``: re-raised.
    probe_errors: str = "warn"
    #: One log-grid look along the first step sets the seed LR (rule 7).
    seed_search: bool = True
    #: Seeds the probe-data order and the dropout masks of probes.
    seed: int = 0

    # ------------------------------------------------------------------ tuning: schedule
    #: Share of ``total_steps`` given to explore when ``explore_steps`` is not set (paper: 20-30%).
    explore_share: float = 0.25
    #: Share of ``total_steps`` at the end of the run in which the LR anneals linearly to
    #: zero from its tuned value, with no further decision (rule 9). ``0`` turns it off;
    #: without ``total_steps`` there is no cooldown.
    cooldown_share: float = 0.2
    #: Rule 14 (0.14.0): the first decrease exploit accepts (a saturated loss and agreeing
    #: fits) starts the cooldown there instead of cutting the LR by the fit's factor: the LR
    #: anneals linearly from its current value to zero at ``total_steps``. The cooldown still
    #: starts at ``cooldown_share`` from the end at the latest. Needs a cooldown (``total_steps``
    #: and ``cooldown_share > 0``); ``False`` is 0.13.0's exploit.
    cooldown_on_decrease: bool = True
    #: Cost of one training step in forward passes (forward + backward ~ 3 forwards).
    forwards_per_step: float = 3.0
    #: Automatic spacing: decisions so far apart that a fit at each costs this share of training.
    decision_spacing_share: float = 0.03
    #: Shortest automatic interval between decisions (steps).
    min_recompute_every: int = 10
    #: Decisions guaranteed to explore (interval cap ``explore_steps // explore_chances``).
    explore_chances: int = 4
    #: Decisions guaranteed to exploit (interval cap ``total_steps // exploit_chances``).
    exploit_chances: int = 10
    #: Interval cap in an open-ended explore (no ``explore_steps``).
    open_explore_recompute_cap: int = 50
    #: Interval cap in exploit when ``total_steps`` is unknown.
    open_exploit_recompute_cap: int = 1000
    #: In explore each rejected fit in a row doubles the interval cap, up to this factor.
    max_backoff: int = 8
    #: The probe ledger always allows this many fits of ``min_superbatch`` minibatches per run.
    min_fits_per_run: int = 5

    # ------------------------------------------------------------------ tuning: policy
    #: Automatic saturation: saturated when the drop rate ``rho < saturation_z * s_rho``.
    saturation_z: float = 1.0
    #: Rollback: the loss rose beyond ``rollback_z`` standard errors (drop rate and level).
    rollback_z: float = 2.0
    #: Rollback also when the loss level of the window after a change lies above the window
    #: before it (a rank test, rule 8); ``False``: the drop-rate test alone (0.5.0).
    rollback_on_level: bool = True
    #: The level test needs at least this many finite losses in each of the two windows.
    rank_test_min_losses: int = 8
    #: Explore accepts a decrease when the loss rises: ``rho < -rising_loss_z * s_rho``.
    rising_loss_z: float = 2.0
    #: Open-ended explore ends after this many decrease proposals in a row on a saturated loss.
    adaptive_explore_patience: int = 3
    #: Smallest LR change (relative) a decision acts on.
    min_relative_change: float = 0.05
    #: Cap on explore's trust-region growth multiplier (rule 1: x2, x3, x5, x9 on consecutive
    #: fits whose one-step minimum lies beyond the bound).
    max_explore_growth: float = 8.0
    #: After a rollback, a same-direction move is capped to this share of the undone change.
    rollback_cap_fraction: float = 0.5
    #: A fit's one-step optimum ``lr + eps`` is multiplied by this before it is judged (the
    #: short-horizon correction of rule 1, 0.7.0): the LR a run trains well at lies above the
    #: LR that is best for one step. ``1``: the paper's one-step minimum (0.6.0).
    horizon_factor: float = 2.0
    #: Rule 11 (0.9.0): the horizon factor in use follows the run's rollbacks. A rolled-back
    #: increase halves it (floor ``1 / safety_factor``, the search's own fraction of the
    #: one-step optimum); a rolled-back decrease doubles it (ceiling ``horizon_factor``).
    #: ``False``: ``horizon_factor`` for the whole run (0.8.0).
    horizon_follows_rollbacks: bool = True
    #: Rule 12 (0.10.0): until the run's first rollback, explore raises the LR to its trust
    #: region's upper bound (``max_lr_factor``, x2) at every fit, whatever the fit asks;
    #: rollback (rule 8) is the judge of how far is too far, and the first one ends the trial.
    #: ``False``: explore follows the fits from the start (0.9.0).
    explore_by_trial: bool = True
    #: What a trial step (rule 12) does to explore's trust-region growth (rule 1): ``"reset"``
    #: (0.10.0): back to x2, as a fit whose minimum lies inside the region does; ``"keep"``
    #: (experimental): the growth the fits built stays; ``"grow"`` (experimental): it doubles,
    #: as a fit beyond the bound does (x2, x3, x5, x9: a galloping search). Development runs:
    #: ``benchmarks/results/trial-growth-dev``.
    explore_trial_growth: str = "reset"
    #: Exploit acts on a direction once this many fits in a row propose it, increases too
    #: (0.8.0). ``0``: the paper's exploit, decreases only, each on one fit (0.7.0).
    exploit_agreement: int = 2

    # ------------------------------------------------------------------ tuning: probes
    #: Adaptive superbatch: corners ``(k1 +- z se1, k2 +- z se2)`` must agree, ``z`` this.
    resolve_z: float = 1.0
    #: Lowest LR a decision may move to, as a fraction of the current LR.
    min_lr_fraction: float = 1e-3

    # ------------------------------------------------------------------ tuning: seed search
    #: The LR is set to the one-step optimum divided by this.
    safety_factor: float = 20.0
    #: Minibatches measured at each grid point (the same ones at every point).
    search_minibatches: int = 8
    #: The search's best point must lower the loss below ``theta0``'s by more than this many
    #: rounding steps of the parameters' dtype at the loss's magnitude (``eps * |L0|``), else
    #: the seed LR is kept (0.11.0; 0 is 0.10.0: any lower mean counts).
    search_resolution_steps: float = 2.0
    #: Searches at most, one per step, while each is inconclusive (no grid point lowers the
    #: loss beyond the resolution test): the next step's direction is searched (0.12.0; 1 is
    #: 0.11.0: one search, the seed LR kept when it is inconclusive).
    search_attempts: int = 3
    #: The search's refinement brackets its best grid point by grid points on both sides
    #: (0.15.0): when the upward walk's best point is its first one, the point one grid ratio
    #: below it is measured too, so the answer does not depend on the side of the optimum the
    #: seed LR lies on. ``False``: that point's lower neighbour is ``theta0`` itself (0.14.0).
    search_bracket_on_grid: bool = True
    #: A search that is inconclusive and will be retried takes no step (0.16.0): the step at
    #: the seed LR is undone (parameters and optimizer state back to before it, counted as a
    #: skipped step), so the retry searches from the same weights whatever the seed LR was.
    #: ``False``: that step is kept and the retry searches from where it went (0.15.0).
    search_retry_from_start: bool = True
    #: Conclusive searches whose one-step optima are combined (0.17.0): after a conclusive
    #: search the step is undone (as for an inconclusive one) and the next step's direction is
    #: searched from the same first weights on new probe minibatches, until this many were
    #: conclusive; the LR is ``1/safety_factor`` of their median. 3 is the least count whose
    #: median ignores one outlying direction. 1 is 0.16.0: the first conclusive search decides.
    #: Inconclusive searches still count against ``search_attempts``.
    search_directions: int = 3
    #: Ratio between neighbouring grid points (half a decade).
    grid_ratio: float = math.sqrt(10.0)
    #: The search looks at most this far above the seed LR ...
    max_multiplier: float = 1e6
    #: ... and this far below it.
    min_multiplier: float = 1e-6

    def __post_init__(self) -> None:
        # NumPy (or other Integral) integers are stored as Python ints (checkpoints stay plain)
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, numbers.Integral) and not isinstance(value, (bool, int)):
                object.__setattr__(self, f.name, int(value))
        self.validate()

    def validate(self) -> None:
        """``ValueError`` naming the first invalid field and its value."""
        _check_int("total_steps", self.total_steps)
        _check_int("explore_steps", self.explore_steps, minimum=0)
        _check_int("recompute_every", self.recompute_every)
        _check_int("superbatch", self.superbatch, allow_none=False)
        _check_bool("adaptive_superbatch", self.adaptive_superbatch)
        _check_int("min_superbatch", self.min_superbatch, minimum=2, allow_none=False)
        _check_int("num_probes", self.num_probes, minimum=3, allow_none=False)
        _check_positive("epsilon_threshold", self.epsilon_threshold)
        _check_positive("saturation_threshold", self.saturation_threshold)
        _check_bool("rollback", self.rollback)
        _check_bool("rollback_on_level", self.rollback_on_level)
        _check_bool("horizon_follows_rollbacks", self.horizon_follows_rollbacks)
        _check_bool("explore_by_trial", self.explore_by_trial)
        _check_bool("cooldown_on_decrease", self.cooldown_on_decrease)
        _check_bool("search_bracket_on_grid", self.search_bracket_on_grid)
        _check_bool("search_retry_from_start", self.search_retry_from_start)
        if self.explore_trial_growth not in ("reset", "keep", "grow"):
            raise ValueError(
                f"Invalid explore_trial_growth: {self.explore_trial_growth!r} "
                "(use 'reset', 'keep' or 'grow')"
            )
        _check_device("snapshot_device", self.snapshot_device)
        _check_positive("probe_budget", self.probe_budget, allow_none=False)
        _check_positive("fit_tolerance", self.fit_tolerance, allow_none=False)
        _check_positive("max_lr_factor", self.max_lr_factor, allow_none=False)
        if self.max_lr_factor <= 1:
            raise ValueError(f"Invalid max_lr_factor: {self.max_lr_factor} (need > 1)")
        if self.probe_errors not in ("warn", "raise"):
            raise ValueError(
                f"Invalid probe_errors: {self.probe_errors!r} (use 'warn' or 'raise')"
            )
        _check_bool("seed_search", self.seed_search)
        _check_bool("recover_divergence", self.recover_divergence)
        if isinstance(self.seed, bool) or not isinstance(self.seed, numbers.Integral):
            raise ValueError(f"Invalid seed: {self.seed!r}")
        for name in ("explore_share", "decision_spacing_share", "min_relative_change",
                     "rollback_cap_fraction", "min_lr_fraction"):
            _check_fraction(name, getattr(self, name))
        for name in ("forwards_per_step", "saturation_z", "rollback_z", "rising_loss_z",
                     "resolve_z", "safety_factor", "horizon_factor"):
            _check_positive(name, getattr(self, name), allow_none=False)
        z = self.search_resolution_steps
        if isinstance(z, bool) or not isinstance(z, numbers.Real) or not math.isfinite(z) or z < 0:
            raise ValueError(
                f"Invalid search_resolution_steps: {z!r} (need a finite number >= 0)"
            )
        for name in ("min_recompute_every", "explore_chances",
                     "exploit_chances", "open_explore_recompute_cap",
                     "open_exploit_recompute_cap", "max_backoff", "min_fits_per_run",
                     "adaptive_explore_patience", "search_minibatches", "search_attempts",
                     "search_directions",
                     "rank_test_min_losses"):
            _check_int(name, getattr(self, name), allow_none=False)
        _check_int("exploit_agreement", self.exploit_agreement, minimum=0, allow_none=False)
        for name in ("max_explore_growth", "grid_ratio", "max_multiplier"):
            _check_positive(name, getattr(self, name), allow_none=False)
            if getattr(self, name) <= 1:
                raise ValueError(f"Invalid {name}: {getattr(self, name)} (need > 1)")
        _check_fraction("min_multiplier", self.min_multiplier)
        share = self.cooldown_share
        if isinstance(share, bool) or not isinstance(share, numbers.Real) or not 0 <= share < 1:
            raise ValueError(f"Invalid cooldown_share: {share!r} (need 0 <= cooldown_share < 1)")

    @property
    def cooldown_start(self) -> int | None:
        """The step the cooldown starts at: ``total_steps - floor(cooldown_share *
        total_steps)``, never before the end of explore; ``None`` without a cooldown."""
        if self.total_steps is None or self.cooldown_share == 0:
            return None
        start = self.total_steps - math.floor(self.cooldown_share * self.total_steps)
        return max(start, self.explore_steps or 0)

    def with_options(self, **options: Any) -> TunerConfig:
        """A copy with ``options`` (field names) replaced; ``TypeError`` for an unknown name."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError(f"LRTuner got unexpected keyword arguments {unknown}")
        return dataclasses.replace(self, **options) if options else self

    def resolve(self) -> TunerConfig:
        """What follows from the options: ``explore_steps = floor(explore_share * total_steps)``
        when only ``total_steps`` is given, and ``min_superbatch <= superbatch``."""
        explore = self.explore_steps
        if explore is None and self.total_steps is not None:
            explore = math.floor(self.total_steps * self.explore_share)
        return dataclasses.replace(
            self, explore_steps=explore, min_superbatch=min(self.min_superbatch, self.superbatch)
        )


#: The defaults, for the pure maths modules' keyword defaults (one source for every value).
DEFAULTS = TunerConfig()
