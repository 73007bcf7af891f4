"""The :class:`LRTuner` optimizer wrapper."""

from __future__ import annotations

import contextlib
import functools
import math
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import torch

from . import amp as amp_utils
from . import distributed as dist_utils
from .gradcheck import any_nonfinite
from .policy import DropRate, TunerPolicy
from .probe import (
    ClipBounds,
    clip_bounds,
    decision_is_resolved,
    fit_coefficients,
    fit_operator,
    probe_epsilons,
    propose_epsilon,
    spread_from_sums,
)
from .records import DecisionRecord, TunerStats
from .seed_search import (
    SAFETY_FACTOR,
    SEARCH_MINIBATCHES,
    explore_increase_cap,
    next_multiplier,
    seed_lr_from_search,
)
from .snapshot import TrainingSnapshot, copy_into
from .superbatch import BatchCursor, EmptyProbeDataError
from .tuner_state import (
    STATE_VERSION,
    check_plain_param_groups,
    decode_tuner_state,
)

#: Assumed cost of one training step in forward passes (forward + backward ~ 3 forwards).
FORWARDS_PER_STEP = 3.0
MIN_RECOMPUTE_EVERY = 10
DEFAULT_RECOMPUTE_CAP = 1000
EXPLORE_RECOMPUTE_CAP = 50
#: Decisions guaranteed to the explore phase after a seed search, and to the exploit phase.
EXPLORE_CHANCES_AFTER_SEARCH = 2
EXPLOIT_CHANCES = 10
#: Spacing of decisions: probes at every decision would cost this share of training.
DECISION_SPACING_SHARE = 0.03
#: The probe ledger always allows this many fits of ``min_superbatch`` minibatches per run.
MIN_FITS_PER_RUN = 5
#: After consecutive rejected fits the interval cap doubles, up to this factor.
MAX_BACKOFF = 8


def _positive(name: str, value: float | None, allow_none: bool = True) -> None:
    if value is None and allow_none:
        return
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"Invalid {name}: {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"Invalid {name}: {value}")


def _positive_int(name: str, value: int | None, minimum: int = 1, allow_none: bool = True) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"Invalid {name}: {value!r} (need an int >= {minimum})")


#: Streams of probe dropout seeds: fits, and the seed search.
FIT_STREAM, SEED_SEARCH_STREAM = 0, 1


def _probe_seed(seed: int, decision: int, stream: int, batch: int) -> int:
    """Dropout seed of one probe batch: the same for every eps of that batch."""
    return int(np.random.SeedSequence([seed, decision, stream, batch]).generate_state(1)[0])


def _loss_value(loss: torch.Tensor | float | None) -> float | None:
    if loss is None:
        return None
    return float(loss.detach()) if isinstance(loss, torch.Tensor) else float(loss)


def _rng_devices() -> list[int]:
    """CUDA devices whose RNG a probe must fork (none unless CUDA is already initialised)."""
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        return list(range(torch.cuda.device_count()))
    return []


_T = TypeVar("_T")


@dataclass
class _ProbeSession:
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


class LRTuner(torch.optim.Optimizer):
    r"""Tunes the learning rate of any wrapped ``torch.optim.Optimizer`` while it trains.

    At a decision step the wrapped optimizer takes its own step at the current LR
    :math:`\eta`, which defines the direction :math:`d = (\theta_0 - \theta_1)/\eta`. The loss of
    one fixed superbatch is measured at :math:`\theta_0 - (\eta+\epsilon) d` for a few
    :math:`\epsilon`, fitted by :math:`k_0 + k_1\epsilon + k_2\epsilon^2`, and the LR moves to the
    clipped minimiser when the phase allows it:

    .. math::
        \begin{aligned}
        &\textbf{input}: \eta_0 \text{ (seed LR, from the wrapped optimizer)}, T_{explore},
            n \text{ probes}, B \text{ superbatch}, r, \text{saturation threshold } S \\
        &\textbf{for}\ t = 1, 2, \dots \\
        &\quad \theta_t \leftarrow \text{wrapped.step}() \quad (\text{every step, LR } \eta) \\
        &\quad \textbf{if}\ t \text{ is a decision step}: \\
        &\quad\quad \textbf{if}\ \text{the last change made the loss rise: roll back} \\
        &\quad\quad \textbf{if}\ t < T_{explore} \text{ or the drop rate saturated w.r.t. } S: \\
        &\quad\quad\quad d \leftarrow (\theta_{t-1} - \theta_t)/\eta \\
        &\quad\quad\quad \ell_i \leftarrow \tfrac1B \textstyle\sum_{b}
             L_b(\theta_{t-1} - (\eta+\epsilon_i) d), \ i = 1..n \\
        &\quad\quad\quad (k_0,k_1,k_2) \leftarrow \text{least squares}, \quad
             \epsilon^* \leftarrow \operatorname{clip}(-k_1/2k_2) \\
        &\quad\quad\quad \textbf{if}\ (\epsilon^* > 0 \text{ in explore}) \text{ or }
             (\epsilon^* < 0 \text{ in exploit}): \eta \leftarrow \eta + \epsilon^*
        \end{aligned}

    Before all this, at step 1 (``seed_search=True``), the LR is set to a twentieth of the LR
    that minimises the one-step loss along the first step (:mod:`lrtuner.seed_search`), so a
    seed LR orders of magnitude off does not matter.

    Clip range: with ``epsilon_threshold=r`` the paper's :math:`|\epsilon|^3 < rL` (eq. 3);
    with ``None`` (default) the trust region :math:`\eta/2 \le \eta+\epsilon \le 2\eta`.
    All param groups keep the ratios the user gave them: one scale is tuned and every
    group's ``lr`` is multiplied by the same factor.

    Args:
        optimizer: the wrapped optimizer; its ``param_groups``, ``state`` and ``defaults`` are
            exposed as this object's own (forwarded, never copied).
        probe_loss: ``batch -> scalar loss tensor``, forward only (it runs under
            ``torch.no_grad()``).
        probe_data: re-iterable source of batches (a DataLoader, a list).
        model: optional module(s) whose buffers (BatchNorm statistics) probes must leave
            untouched. Without it, buffers are not protected.
        total_steps: planned number of optimizer steps, if known; sets the defaults below.
        explore_steps: steps of the explore phase. Default: ``total_steps // 4`` (paper: 20-30%
            of the budget); with neither given, explore ends by itself once three fits in a row
            propose a decrease while the loss has stopped dropping measurably.
        recompute_every: steps between decisions. Default (``None``): after each fit, the
            interval at which probes at every decision would cost 3% of training (a step
            counted as 3 forward passes), between 10 and a cap that guarantees at least 4
            decisions in explore (``explore_steps // 4``; 2 after a seed search, which looks
            only at the cap) and 10 over the run (``total_steps // 10``); in explore, each
            rejected fit in a row doubles the cap (up to 8x), an accepted one resets it. A
            decision measures the loss-drop rate (free) and fits only when due; with the
            default, a due fit also waits for the probe ledger (``probe_budget``).
        superbatch: most minibatches per loss estimate (paper: 100, fixed). With the adaptive
            superbatch most fits stop after 4-12; a fit still unresolved after 32 is a
            marginal decision, and more minibatches would only refine a small change.
        adaptive_superbatch: stop drawing minibatches once more of them cannot move the
            decision by more than ``fit_tolerance * lr`` (see :func:`probe.decision_is_resolved`).
            ``False`` always uses ``superbatch`` minibatches, as the paper does.
        min_superbatch: minibatches drawn before the adaptive stop may fire.
        num_probes: :math:`\epsilon` samples per fit, >= 3 (paper: 5; it notes 3 usually suffice).
        epsilon_threshold: ``r`` of eq. 3 (paper: 1e-3 for images, 1e-8 to 1e-12 for NLP);
            ``None`` uses the log-space trust region with factor ``max_lr_factor``.
        saturation_threshold: relative loss-drop-rate threshold of Appendix B (paper: 2 to 500);
            ``None`` derives it from the run: saturated when the drop over a window is within
            its own noise.
        rollback: undo a change that made the loss rise (see :mod:`lrtuner.policy`).
        snapshot_device: where the rollback snapshot lives (default: with the parameters).
        probe_budget: the probe ledger, for ``recompute_every=None``: the fits' forward passes
            (over all ranks) stay within ``probe_budget`` of training, a step counted as 3
            forward passes, but at least 5 fits of ``min_superbatch`` minibatches per run;
            spread evenly over ``total_steps`` when known, else granted up front. A due fit
            waits while the ledger is spent, and draws no more minibatches than it has left
            (but ``min_superbatch``). The seed search (20-60 forward passes, once) is apart.
        fit_tolerance: precision the adaptive superbatch needs, as a fraction of the LR.
        max_lr_factor: the automatic trust region's factor (default 2).
        probe_errors: ``"warn"`` (default) records an exception raised by ``probe_loss`` as a
            skipped decision and warns; ``"raise"`` re-raises it. Either way the parameters,
            buffers and optimizer state are first restored to the post-step state.
        seed_search: at the first step, look along its direction on a log grid of LRs
            (x10^(k/2), up to 10^6 away) and set the LR to 1/20 of the one-step optimum, then
            redo the step at it; afterwards explore raises the LR to at most 1/20 of each fit's
            one-step optimum (see :mod:`lrtuner.seed_search`). 8 minibatches at 6-15 grid
            points, once. ``False``: the paper's behaviour (the explore phase alone raises the
            LR, with a trust region that widens after boundary hits).
        seed: seeds the probe-data order and the dropout masks of probes.

    Example:
        >>> base = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> tuner = LRTuner(base, probe_loss=lambda b: F.cross_entropy(model(b[0]), b[1]),
        ...                 probe_data=train_loader, model=model, total_steps=10_000)
        >>> for x, y in train_loader:
        ...     tuner.zero_grad()
        ...     loss = F.cross_entropy(model(x), y)
        ...     loss.backward()
        ...     tuner.step(loss=loss)
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        probe_loss: Callable[[Any], torch.Tensor],
        probe_data: Iterable[Any],
        model: torch.nn.Module | Sequence[torch.nn.Module] | None = None,
        *,
        total_steps: int | None = None,
        explore_steps: int | None = None,
        recompute_every: int | None = None,
        superbatch: int = 32,
        adaptive_superbatch: bool = True,
        min_superbatch: int = 4,
        num_probes: int = 3,
        epsilon_threshold: float | None = None,
        saturation_threshold: float | None = None,
        rollback: bool = True,
        snapshot_device: torch.device | str | None = None,
        probe_budget: float = 0.01,
        fit_tolerance: float = 0.25,
        max_lr_factor: float = 2.0,
        probe_errors: str = "warn",
        seed_search: bool = True,
        seed: int = 0,
    ) -> None:
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise ValueError(
                f"Invalid optimizer: {type(optimizer).__name__} is not a torch.optim.Optimizer"
            )
        if isinstance(optimizer, LRTuner):
            raise ValueError("Invalid optimizer: it is already an LRTuner")
        if not callable(probe_loss):
            raise ValueError(f"Invalid probe_loss: {probe_loss!r} is not callable")
        _positive_int("total_steps", total_steps)
        _positive_int("explore_steps", explore_steps, minimum=0)
        _positive_int("recompute_every", recompute_every)
        _positive_int("superbatch", superbatch, allow_none=False)
        _positive_int("min_superbatch", min_superbatch, minimum=2, allow_none=False)
        _positive_int("num_probes", num_probes, minimum=3, allow_none=False)
        _positive("epsilon_threshold", epsilon_threshold)
        _positive("saturation_threshold", saturation_threshold)
        _positive("probe_budget", probe_budget, allow_none=False)
        _positive("fit_tolerance", fit_tolerance, allow_none=False)
        _positive("max_lr_factor", max_lr_factor, allow_none=False)
        if max_lr_factor <= 1:
            raise ValueError(f"Invalid max_lr_factor: {max_lr_factor} (need > 1)")
        if probe_errors not in ("warn", "raise"):
            raise ValueError(f"Invalid probe_errors: {probe_errors!r} (use 'warn' or 'raise')")
        if not isinstance(seed_search, bool):
            raise ValueError(f"Invalid seed_search: {seed_search!r} (need True or False)")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"Invalid seed: {seed!r}")
        lr0 = float(optimizer.param_groups[0]["lr"])
        if not (math.isfinite(lr0) and lr0 > 0):
            raise ValueError(f"Invalid learning rate: {lr0} (param_groups[0]['lr'] must be > 0)")
        for i, group in enumerate(optimizer.param_groups):
            lr = float(group["lr"])
            if not (math.isfinite(lr) and lr >= 0):
                raise ValueError(f"Invalid learning rate: {lr} in param_groups[{i}]")

        # torch.optim.Optimizer bookkeeping, without copying the wrapped param_groups.
        self._optimizer_step_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._patch_step_function()
        self._warned_capturable_if_run_uncaptured = True

        self.optimizer = optimizer
        self.probe_loss = probe_loss
        self.cursor = BatchCursor(probe_data, seed)
        if model is None:
            self.modules: list[torch.nn.Module] = []
        elif isinstance(model, torch.nn.Module):
            self.modules = [model]
        else:
            self.modules = list(model)
            if not all(isinstance(m, torch.nn.Module) for m in self.modules):
                raise ValueError(f"Invalid model: {model!r} (need a Module or a list of Modules)")

        if explore_steps is None and total_steps is not None:
            explore_steps = total_steps // 4
        self.total_steps = total_steps
        self.fixed_recompute_every = recompute_every
        self.superbatch = superbatch
        self.adaptive_superbatch = adaptive_superbatch
        self.min_superbatch = min(min_superbatch, superbatch)
        self.num_probes = num_probes
        self.epsilon_threshold = epsilon_threshold
        self.snapshot_device = snapshot_device
        self.probe_budget = probe_budget
        self.fit_tolerance = fit_tolerance
        self.max_lr_factor = max_lr_factor
        self.probe_errors = probe_errors
        self.seed_search = seed_search
        self.seed = seed

        self.policy = TunerPolicy(explore_steps, saturation_threshold, rollback)
        self.history: list[DecisionRecord] = []
        self.stats = TunerStats()
        self.recompute_every = recompute_every or self._recompute_cap()  # phase is explore
        self._steps_since_decision = 0
        self._snapshot: TrainingSnapshot | None = None
        self._grad_plan_cache: tuple[tuple[int, ...], list] | None = None
        dist_utils.check_supported(self._params_raw(), self.modules)

    # ------------------------------------------------------------------ forwarding
    @property
    def param_groups(self) -> list[dict[str, Any]]:  # type: ignore[override]
        return self.optimizer.param_groups

    @param_groups.setter
    def param_groups(self, value: list[dict[str, Any]]) -> None:
        self.optimizer.param_groups = value

    @property
    def state(self) -> Any:  # type: ignore[override]
        return self.optimizer.state

    @state.setter
    def state(self, value: Any) -> None:
        self.optimizer.state = value

    @property
    def defaults(self) -> dict[str, Any]:  # type: ignore[override]
        return self.optimizer.defaults

    @defaults.setter
    def defaults(self, value: dict[str, Any]) -> None:
        self.optimizer.defaults = value

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.optimizer.zero_grad(set_to_none=set_to_none)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        self.optimizer.add_param_group(param_group)

    def train(self) -> None:
        """Forwarded to wrapped optimizers that have a train/eval mode (Schedule-Free)."""
        if hasattr(self.optimizer, "train"):
            self.optimizer.train()

    def eval(self) -> None:
        if hasattr(self.optimizer, "eval"):
            self.optimizer.eval()

    def __repr__(self) -> str:
        return f"LRTuner({self.optimizer!r}, lr={self.lr:.6g}, phase={self.phase!r})"

    # ------------------------------------------------------------------ public views
    @property
    def lr(self) -> float:
        """Current learning rate of the first param group."""
        return float(self.optimizer.param_groups[0]["lr"])

    @property
    def phase(self) -> str:
        return self.policy.state.phase

    @property
    def explore_steps(self) -> int | None:
        return self.policy.state.explore_steps

    def _params_raw(self) -> list[torch.Tensor]:
        """The wrapped optimizer's parameters, as it holds them."""
        return [p for g in self.optimizer.param_groups for p in g["params"]]

    def _params(self) -> list[torch.Tensor]:
        """Parameters as tensors the tuner may update in place (this rank's shard of a DTensor)."""
        return [dist_utils.local_tensor(p) for p in self._params_raw()]

    def _buffers(self) -> list[torch.Tensor]:
        seen: set[int] = set()
        out = []
        for m in self.modules:
            for b in m.buffers():
                if id(b) not in seen:
                    seen.add(id(b))
                    out.append(b)
        return out

    def _set_lr(self, new_lr: float) -> None:
        """Scale every group's LR by the same factor (group ratios are kept)."""
        groups = self.optimizer.param_groups
        factor = new_lr / self.lr
        for i, group in enumerate(groups):
            value = new_lr if i == 0 else float(group["lr"]) * factor
            if isinstance(group["lr"], torch.Tensor):
                group["lr"].fill_(value)
            else:
                group["lr"] = value

    def _recompute_cap(self) -> int:
        """Longest interval between decisions.

        Explore: ``explore_steps // 4`` (at least 4 chances to raise the LR), ``// 2`` after a
        seed search (which has made the large move already), or 50 when the explore length is
        open. Exploit: ``total_steps // 10`` (at least 10 chances to anneal), or 1000 when the
        run length is unknown.
        """
        explore = self.policy.state.explore_steps
        if self.phase == "explore":
            if explore is None:
                return EXPLORE_RECOMPUTE_CAP
            chances = EXPLORE_CHANCES_AFTER_SEARCH if self.policy.state.seed_searched else 4
            return max(MIN_RECOMPUTE_EVERY, explore // chances)
        if self.total_steps:
            return max(MIN_RECOMPUTE_EVERY, self.total_steps // EXPLOIT_CHANCES)
        return DEFAULT_RECOMPUTE_CAP

    def _next_interval(self, forward_passes: int) -> int:
        if self.fixed_recompute_every is not None:
            return self.fixed_recompute_every
        cap = self._recompute_cap() * self.policy.state.backoff
        if self._explore_after_search():
            interval = cap  # the search made the large move: explore only looks at the cap
        else:
            wanted = math.ceil(forward_passes / (FORWARDS_PER_STEP * DECISION_SPACING_SHARE))
            interval = int(min(max(wanted, MIN_RECOMPUTE_EVERY), cap))
        explore = self.policy.state.explore_steps
        if self.phase == "explore" and explore is not None:
            # the phase switch happens at a decision: land one exactly at the end of explore
            # (a decision sees optimizer_steps = last + interval - 1 before its own step)
            remaining = explore - self.stats.optimizer_steps + 1
            if remaining >= 1:
                interval = min(interval, remaining)
        return interval

    # ------------------------------------------------------------------ history
    def _record(self, **fields: Any) -> DecisionRecord:
        fields.setdefault("phase", self.phase)
        fields.setdefault("step", self.stats.optimizer_steps)
        fields.setdefault("lr_before", self.lr)
        fields.setdefault("lr_after", self.lr)
        rec = DecisionRecord(**fields)
        self.history.append(rec)
        self.stats.decisions += 1
        return rec

    def observe_loss(self, loss: torch.Tensor | float | None) -> float | None:
        """Feed one training loss to the drop-rate tracking (all-reduced across ranks)."""
        value = dist_utils.all_reduce_loss(_loss_value(loss))
        self._note_loss(value)
        return value

    def _note_loss(self, value: float | None) -> None:
        if value is not None and math.isfinite(value):
            self.policy.record_loss(value)

    # ------------------------------------------------------------------ step
    @torch.no_grad()
    def step(  # type: ignore[override]
        self,
        closure: Callable[[], torch.Tensor] | None = None,
        *,
        loss: torch.Tensor | float | None = None,
        grad_scaler: torch.amp.GradScaler | None = None,
    ) -> torch.Tensor | float | None:
        """One optimizer step; every ``recompute_every`` steps, also one LR decision.

        ``loss`` (or the value ``closure`` returns) is the training loss of this step; it feeds
        the loss-drop-rate tracking. A non-finite loss skips the wrapped step (the gradients
        would corrupt the parameters), rolls back a pending change, and is recorded. So do
        non-finite gradients (NaN/inf in any ``.grad``), checked with one fused test per
        device and dtype before the wrapped step (skipped when an enabled ``grad_scaler``
        has checked them). Under ``torch.distributed`` the loss and the check share one
        all-reduce per step.

        ``grad_scaler``: call ``tuner.step(loss=loss, grad_scaler=scaler)`` in place of
        ``scaler.step(tuner)``; a step the scaler skips for inf/NaN gradients is then neither
        applied nor probed, and is recorded (see :mod:`lrtuner.amp`).
        """
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        scaler_skip = grad_scaler is not None and amp_utils.scaler_found_inf(grad_scaler, self)
        # An enabled GradScaler has checked the gradients already.
        scaler_checked = grad_scaler is not None and grad_scaler.is_enabled()
        loss_value, grads_finite = dist_utils.all_reduce_step(
            _loss_value(loss), scaler_checked or self._local_grads_finite()
        )
        self._note_loss(loss_value)
        if loss_value is not None and not math.isfinite(loss_value):
            self._on_nonfinite_loss(loss_value)
            return loss
        if scaler_skip:
            self.stats.skipped_steps += 1
            self._record(
                decision="skipped",
                reason="GradScaler found inf/NaN gradients; step not applied, not probed",
            )
            return loss
        if not grads_finite:
            self._on_nonfinite_grads()
            return loss

        self._steps_since_decision += 1
        if self._seed_search_due():
            self._seed_search_step()
            return loss
        if self._steps_since_decision < self.recompute_every:
            self._plain_step()
            return loss
        self._steps_since_decision = 0
        self._decision_step()
        return loss

    def _plain_step(self) -> None:
        self.optimizer.step()
        self.stats.optimizer_steps += 1

    def _on_nonfinite_loss(self, value: float) -> None:
        self.stats.skipped_steps += 1
        if self._snapshot is not None and self.policy.rollback_enabled:
            self._roll_back(f"training loss is {value}; change undone")
            return
        self._record(decision="skipped", reason=f"training loss is {value}; step not applied")

    def _local_grads_finite(self) -> bool:
        """True if every gradient on this rank is finite.

        One fused NaN/inf test per device and dtype (:func:`gradcheck.any_nonfinite`), the
        gradients left as they are. The parameters are grouped once, not every step; the
        grouping is rebuilt when the param groups change size.
        """
        for params, sharded in self._grad_plan():
            grads = []
            for p in params:
                g = p.grad
                if g is None:
                    continue
                if sharded:
                    g = dist_utils.local_tensor(g)
                grads.append(g.coalesce().values() if g.is_sparse else g)
            if any_nonfinite(grads):
                return False
        return True

    def _grad_plan(self) -> list[tuple[list[torch.Tensor], bool]]:
        """Parameters grouped by (device, dtype), each group flagged if it holds DTensors."""
        key = tuple(len(g["params"]) for g in self.optimizer.param_groups)
        if self._grad_plan_cache is None or self._grad_plan_cache[0] != key:
            groups: dict[tuple[Any, torch.dtype], list[torch.Tensor]] = {}
            for p in self._params_raw():
                groups.setdefault((p.device, p.dtype), []).append(p)
            plan = [(ps, any(dist_utils.is_dtensor(p) for p in ps)) for ps in groups.values()]
            self._grad_plan_cache = (key, plan)
        return self._grad_plan_cache[1]

    def _on_nonfinite_grads(self) -> None:
        self.stats.skipped_steps += 1
        if self._snapshot is not None and self.policy.rollback_enabled:
            self._roll_back("gradients are not finite; change undone")
            return
        self._record(decision="skipped", reason="gradients are not finite; step not applied")

    def _roll_back(self, reason: str) -> None:
        assert self._snapshot is not None
        pending = self.policy.on_rolled_back()
        lr_before = self.lr
        self._snapshot.restore(self._params(), self.optimizer, self._buffers())
        self._snapshot = None
        self.stats.rollbacks += 1
        self._record(
            decision="rolled_back",
            reason=f"{reason} (change at step {pending.step}: "
            f"{pending.lr_before:.6g} -> {pending.lr_after:.6g})",
            lr_before=lr_before,
            lr_after=self.lr,
        )

    def _decision_step(self) -> None:
        rate = self.policy.close_window()
        rate_fields = {
            "drop_rate": rate.rate if rate else None,
            "drop_rate_stderr": rate.stderr if rate else None,
        }
        if self.policy.state.pending is not None:
            roll, why = self.policy.should_roll_back(rate, loss_finite=True)
            if roll and self._snapshot is not None:
                # The gradients of this step belong to the discarded parameters: not applied.
                self._roll_back(why)
                self.stats.skipped_steps += 1
                return
            self.policy.release_pending()
            self._snapshot = None

        if self.policy.update_phase(self.stats.optimizer_steps):
            self.recompute_every = self._next_interval(self.policy.state.last_fit_forwards)
            self._record(decision="skipped", reason="explore phase ended", **rate_fields)
        due, why = self.policy.fit_due(rate)
        if due:
            due, why = self._fit_affordable()
        if not due:
            self._plain_step()
            self._record(decision="skipped", reason=why, **rate_fields)
            return
        self._fit_and_decide(rate, rate_fields)

    def _explore_after_search(self) -> bool:
        return self.phase == "explore" and self.policy.state.seed_searched

    def _increase_cap(self, lr: float) -> Callable[[float, float], float] | None:
        """After a seed search, the most an explore fit with coefficients ``(k1, k2)`` may
        raise the LR (:func:`seed_search.explore_increase_cap`); ``None`` otherwise. The
        adaptive superbatch and the decision use the same cap."""
        return functools.partial(explore_increase_cap, lr) if self._explore_after_search() else None

    def _ledger_on(self) -> bool:
        """The probe ledger applies with automatic spacing only (``recompute_every=None``)."""
        return self.fixed_recompute_every is None

    def _fit_allowance(self, step: int) -> float:
        """Forward passes (over all ranks) the fits may have used by ``step``: the probe ledger.

        ``probe_budget * 3`` per step (a training step counted as 3 forward passes), but never
        less than ``MIN_FITS_PER_RUN`` fits of ``min_superbatch`` minibatches per run: spread
        evenly over ``total_steps`` when it is known, granted up front otherwise. The seed
        search is not charged (it runs once, before any fit).
        """
        rate = FORWARDS_PER_STEP * self.probe_budget
        floor = MIN_FITS_PER_RUN * self.min_superbatch * self.num_probes
        if self.total_steps:
            return max(rate * self.total_steps, floor) * step / self.total_steps
        return rate * step + floor

    def _fit_minibatch_limit(self) -> int:
        """Most minibatches (over all ranks) this fit may draw: ``superbatch``, and under the
        probe ledger no more than what is left of the allowance (but ``min_superbatch``)."""
        if not self._ledger_on():
            return self.superbatch
        left = self._fit_allowance(self.stats.optimizer_steps) - self.policy.state.fit_forwards
        affordable = int(left // self.num_probes)
        return min(self.superbatch, max(self.min_superbatch, affordable))

    def _fit_affordable(self) -> tuple[bool, str]:
        """A due fit runs only while the fits so far are within the ledger (automatic spacing
        only: with a fixed ``recompute_every`` every due fit runs)."""
        if not self._ledger_on():
            return True, ""
        spent = self.policy.state.fit_forwards
        step = self.stats.optimizer_steps + 1
        allowed = self._fit_allowance(step)
        if spent <= allowed:
            return True, ""
        return False, (
            f"probe budget: fits have used {spent} forward passes, {allowed:.0f} allowed by "
            f"step {step}"
        )

    # ------------------------------------------------------------------ seed search
    def _seed_search_due(self) -> bool:
        s = self.policy.state
        return (
            self.seed_search
            and not s.seed_searched
            and self.stats.optimizer_steps == 0
            and s.phase == "explore"
            and s.explore_steps != 0
        )

    def _seed_search_step(self) -> None:
        """First step: take it, look along its direction on a log grid of LRs (see
        :mod:`lrtuner.seed_search`); if the LR changes, the step is taken again at the new LR
        from the state before it, so the result is bitwise a plain first step at that LR."""
        self.policy.state.seed_searched = True
        params = self._params()
        lr = self.lr
        before = TrainingSnapshot.capture(params, self.optimizer, [], 0)
        self._plain_step()
        delta = [t.clone() for t in before.params]
        torch._foreach_sub_(delta, [p.detach() for p in params])  # delta = theta0 - theta1
        defect = self._direction_defect(delta)
        if defect is not None:
            self._record(decision="skipped", reason=f"seed search: {defect}")
            return
        line = self._guarded_probe(
            functools.partial(self._line_losses, params, delta, lr), "seed search", "seed search: "
        )
        if line is None:
            return
        multipliers, losses, loss0, num_batches, forwards = line
        # from now on explore looks only at its cap after a search (explore_steps // 2); the
        # search itself is not charged to the probe ledger
        self.recompute_every = self._next_interval(forwards)
        result = seed_lr_from_search(lr, loss0, multipliers, losses)
        del delta
        if result.changed:
            before.restore(params, self.optimizer, [])
            self._set_lr(result.lr)
            self.optimizer.step()  # the same gradients, at the new LR
        self._record(
            decision="accepted" if result.changed else "rejected",
            reason=result.reason,
            lr_before=lr,
            lr_after=self.lr,
            epsilons=[(m - 1.0) * lr for m in [0.0, *multipliers]],
            losses=[loss0, *losses],
            proposed_lr=result.lr,
            num_batches=num_batches,
            forward_passes=forwards,
        )

    def _line_losses(
        self, params: list[torch.Tensor], delta: list[torch.Tensor], lr: float
    ) -> tuple[list[float], list[float], float, int, int]:
        """Probe-batch mean loss at ``theta0 - m * delta`` on the seed-search grid.

        The same ``min_superbatch`` minibatches (split over ranks, all-reduced) and dropout
        masks serve every point; parameters and buffers are restored bitwise afterwards.
        Returns the multipliers, their losses, the loss at theta0, the number of
        minibatches and this rank's forward passes.
        """
        world = dist_utils.world_size()
        batches: list[Any] = []
        failure = dist_utils.RankFailure()
        with failure:
            for _ in range(max(1, math.ceil(min(SEARCH_MINIBATCHES, self.superbatch) / world))):
                batches.append(self.cursor.next_batch())
        counted = failure.all_reduce_sum(torch.tensor([float(len(batches))]))
        num_batches = int(counted[0])
        seeds = [
            _probe_seed(self.seed, 0, SEED_SEARCH_STREAM, dist_utils.rank() + world * i)
            for i in range(len(batches))
        ]
        multipliers: list[float] = []
        losses: list[float] = []
        with self._probing(params, delta) as session:

            def mean_loss(multiplier: float) -> float:
                session.move(1.0 - multiplier)  # theta0 - m * delta
                local = torch.zeros(1, dtype=torch.float64)
                fail = dist_utils.RankFailure()
                with fail:
                    for batch, seed in zip(batches, seeds, strict=True):
                        local += self._probe_forward(batch, seed).cpu()
                        session.forwards += 1
                total = float(fail.all_reduce_sum(local)[0]) / num_batches
                return total if math.isfinite(total) else math.inf

            loss0 = mean_loss(0.0)
            while (m := next_multiplier(multipliers, losses, loss0)) is not None:
                multipliers.append(m)
                losses.append(mean_loss(m))
        return multipliers, losses, loss0, num_batches, session.forwards

    # ------------------------------------------------------------------ the fit
    def _fit_and_decide(self, rate: DropRate | None, rate_fields: dict[str, Any]) -> None:
        params = self._params()
        lr = self.lr
        theta0 = [p.detach().clone() for p in params]
        self._plain_step()
        step = self.stats.optimizer_steps
        # delta = theta0 - theta1 = lr * d (built in place in the theta0 buffers)
        delta = theta0
        torch._foreach_sub_(delta, [p.detach() for p in params])
        defect = self._direction_defect(delta)
        if defect is not None:
            self._record(decision="skipped", reason=defect, **rate_fields)
            return
        fit = self._guarded_probe(
            functools.partial(self._probe, params, delta, lr), "decision", "", **rate_fields
        )
        del delta, theta0
        if fit is None:
            return
        self.stats.fits += 1
        self._decide(fit, lr, step, rate, rate_fields)

    def _probe(self, params: list[torch.Tensor], delta: list[torch.Tensor], lr: float) -> dict:
        """Evaluate the superbatch at each eps; restore everything bitwise afterwards."""
        ref_loss = self._reference_loss()
        bounds = self._bounds(lr, ref_loss)
        if bounds.upper <= 0 and bounds.lower >= 0:
            raise EmptyProbeDataError("clip range is empty (loss not positive)")
        epsilons = probe_epsilons(lr, bounds, self.num_probes, max_span=max(lr, bounds.upper))
        operator = fit_operator(epsilons)
        world = dist_utils.world_size()
        decision_index = self.stats.fits
        per_round = max(1, math.ceil(self.min_superbatch / world))
        direction = 1 if self.phase == "explore" else -1
        max_increase = self._increase_cap(lr)
        max_local = max(1, math.ceil(self._fit_minibatch_limit() / world))
        totals = torch.zeros(1 + 3 + 3 + len(epsilons), dtype=torch.float64)
        drawn = 0
        with self._probing(params, delta) as session:
            while True:
                # rounds of min_superbatch minibatches: 4, 8, 12, ... drawn in all
                take = min(per_round, max_local - drawn)
                local = torch.zeros_like(totals)
                # A failure on one rank is raised on all, after the round's all-reduce.
                failure = dist_utils.RankFailure()
                with failure:
                    for _ in range(take):
                        batch = self.cursor.next_batch()
                        # Global batch index: rank r holds batches r, r + W, r + 2W, ...
                        index = dist_utils.rank() + world * drawn
                        seed = _probe_seed(self.seed, decision_index, FIT_STREAM, index)
                        losses = []
                        for eps in epsilons:
                            session.move(-eps / lr)
                            losses.append(self._probe_forward(batch, seed))
                            session.forwards += 1
                        ell = torch.stack(losses).cpu().numpy()
                        coeffs = fit_coefficients(operator, ell)
                        local[0] += 1
                        local[1:4] += torch.from_numpy(coeffs)
                        local[4:7] += torch.from_numpy(coeffs * coeffs)
                        local[7:] += torch.from_numpy(ell)
                        drawn += 1
                totals += failure.all_reduce_sum(local)
                stats = totals.numpy()
                if not np.all(np.isfinite(stats)):
                    break
                mean, stderr = spread_from_sums(stats[0], stats[1:4], stats[4:7])
                if drawn >= max_local:
                    break
                if self.adaptive_superbatch and decision_is_resolved(
                    mean,
                    stderr,
                    bounds,
                    self.fit_tolerance * lr,
                    direction,
                    max_increase=max_increase,
                ):
                    break
        stats = totals.numpy()
        n = float(stats[0])
        return {
            "epsilons": epsilons,
            "bounds": bounds,
            "n": n,
            "coefficients": stats[1:4] / n,
            "losses": (stats[7:] / n).tolist(),
            "forwards": session.forwards,
        }

    @contextlib.contextmanager
    def _probing(
        self, params: list[torch.Tensor], delta: list[torch.Tensor]
    ) -> Iterator[_ProbeSession]:
        """Probes may move the parameters along ``delta`` inside; the RNG is forked, DDP's
        forward hooks are off, and on exit (also on error) the parameters and buffers are
        restored bitwise and the forward passes counted."""
        buffers = self._buffers()
        buffer_copy = [b.clone() for b in buffers]
        session = _ProbeSession(
            params,
            [p.detach().clone() for p in params],
            delta,
            dist_utils.fsdp_modules(self.modules),
        )
        try:
            with (
                torch.random.fork_rng(devices=_rng_devices()),
                dist_utils.ddp_probe_guard(self.modules),
            ):
                yield session
        finally:
            copy_into(params, session.theta1)
            copy_into(buffers, buffer_copy)
            dist_utils.reshard(session.fsdp)
            self.stats.probe_forward_passes += session.forwards

    @staticmethod
    def _direction_defect(delta: list[torch.Tensor]) -> str | None:
        """Why a step direction cannot be probed (agreed on by every rank), or ``None``."""
        if not dist_utils.all_true(all(bool(torch.isfinite(d).all()) for d in delta)):
            return "step direction is not finite"
        if not dist_utils.any_true(any(bool(d.any()) for d in delta)):
            return "the wrapped optimizer did not move the parameters (skipped step)"
        return None

    def _guarded_probe(
        self, run: Callable[[], _T], what: str, prefix: str, **fields: Any
    ) -> _T | None:
        """``run()``; on a probe failure (state already restored by :meth:`_probing`) record a
        skipped decision and return ``None``, or re-raise with ``probe_errors="raise"``."""
        try:
            return run()
        except EmptyProbeDataError as exc:
            self._record(decision="skipped", reason=f"{prefix}{exc}", **fields)
        except Exception as exc:
            if self.probe_errors == "raise":
                raise
            warnings.warn(f"LRTuner: probe_loss raised {exc!r}; {what} skipped", stacklevel=4)
            self._record(
                decision="skipped", reason=f"{prefix}probe raised {exc!r}; state restored", **fields
            )
        return None

    def _probe_forward(self, batch: Any, seed: int) -> torch.Tensor:
        """``probe_loss(batch)`` with dropout seeded by ``seed``, as a float64 scalar."""
        torch.manual_seed(seed)
        out = self.probe_loss(batch)
        if out.dtype in (torch.float16, torch.bfloat16):
            warnings.warn(
                f"LRTuner: probe_loss returned a {out.dtype} loss; compute it in float32 "
                "(e.g. cast the logits) so the fit can resolve small loss differences",
                stacklevel=3,
            )
        return out.detach().to(torch.float64).reshape(())

    def _bounds(self, lr: float, ref_loss: float) -> ClipBounds:
        """Clip range; in explore the automatic trust region widens after boundary hits."""
        factor = self.max_lr_factor
        if self.epsilon_threshold is None:
            factor = 1.0 + (factor - 1.0) * self.policy.state.growth
        bounds = clip_bounds(lr, ref_loss, self.epsilon_threshold, factor)
        if self.epsilon_threshold is None:
            bounds = ClipBounds(lower=lr / self.max_lr_factor - lr, upper=bounds.upper)
        return bounds

    def _reference_loss(self) -> float:
        """Loss scale for the paper's clip bound: the mean training loss of the last window."""
        mean = self.policy.state.last_window_mean
        return float(mean) if mean is not None else 1.0

    def _decide(
        self,
        fit: dict,
        lr: float,
        step: int,
        rate: DropRate | None,
        rate_fields: dict[str, Any],
    ) -> None:
        coeffs = fit["coefficients"]
        common = {
            "epsilons": [float(e) for e in fit["epsilons"]],
            "losses": [float(x) for x in fit["losses"]],
            "coefficients": tuple(float(c) for c in coeffs),
            "num_batches": int(fit["n"]),
            "forward_passes": int(fit["forwards"]),
            "step": step,
            "lr_before": lr,
            **rate_fields,
        }
        self.policy.state.last_fit_forwards = int(fit["forwards"])
        self.policy.state.fit_forwards += int(fit["n"]) * len(fit["epsilons"])
        self.recompute_every = self._next_interval(fit["forwards"])
        if not np.all(np.isfinite(coeffs)) or not all(math.isfinite(x) for x in fit["losses"]):
            self._record(decision="rejected", reason="probe loss is not finite", **common)
            return
        bounds: ClipBounds = fit["bounds"]
        proposal = propose_epsilon(float(coeffs[1]), float(coeffs[2]), bounds)
        self.policy.note_boundary(
            proposal.clipped and proposal.eps > 0 and proposal.eps == bounds.upper
        )
        eps, cap_reason = self.policy.cap_after_rollback(proposal.eps)
        reason = proposal.reason + (f"; {cap_reason}" if cap_reason else "")
        increase_cap = self._increase_cap(lr)
        if increase_cap is not None and eps > 0:
            cap = increase_cap(float(coeffs[1]), float(coeffs[2]))
            if eps > cap:
                eps = cap
                reason += f"; increase capped at 1/{SAFETY_FACTOR:g} of the fitted one-step optimum"
        proposed_lr = lr + eps
        if self.policy.note_fit_direction(proposal.eps, rate, step):
            reason += "; explore ended (decreases proposed on a saturated loss)"
        accepted, why = self.policy.judge(eps, lr, rate)
        common["proposed_lr"] = proposed_lr
        if not accepted:
            # A rejected explore fit says the LR is as high as it should be: look again later.
            # (In exploit, fits only happen once saturated, so they are already rare.)
            if self.phase == "explore":
                self.policy.state.backoff = min(2 * self.policy.state.backoff, MAX_BACKOFF)
            self.recompute_every = self._next_interval(fit["forwards"])
            self._record(decision="rejected", reason=f"{why}: {reason}", **common)
            return
        self.policy.state.backoff = 1
        if self.policy.rollback_enabled:
            self._snapshot = TrainingSnapshot.capture(
                self._params(),
                self.optimizer,
                self._buffers(),
                step,
                device=self.snapshot_device,
            )
        self._set_lr(proposed_lr)
        self.policy.on_accepted(step, lr, proposed_lr)
        self._record(decision="accepted", reason=f"{why}: {reason}", lr_after=self.lr, **common)

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:  # type: ignore[override]
        """The wrapped optimizer's ``state``/``param_groups`` plus an ``"lrtuner"`` entry."""
        base = self.optimizer.state_dict()
        return {
            "state": base["state"],
            "param_groups": base["param_groups"],
            "lrtuner": {
                "version": STATE_VERSION,
                "optimizer_class": type(self.optimizer).__name__,
                "num_param_groups": len(self.optimizer.param_groups),
                "policy": self.policy.state.to_dict(),
                "stats": self.stats.to_dict(),
                "history": [r.to_dict() for r in self.history],
                "cursor": self.cursor.state_dict(),
                "recompute_every": self.recompute_every,
                "steps_since_decision": self._steps_since_decision,
                "snapshot": self._snapshot.to_dict() if self._snapshot is not None else None,
            },
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:  # type: ignore[override]
        """Restore the wrapped optimizer and the tuner.

        A plain optimizer state_dict (no ``"lrtuner"`` entry) loads the wrapped optimizer and
        keeps a fresh tuner, with a warning. A checkpoint of another optimizer class (for a
        plain one: param groups with hyperparameters this optimizer does not have), another
        number of param groups, another tuner state version, an ``"lrtuner"`` entry missing a
        key or malformed, or a rollback snapshot that does not match this model's parameters
        and buffers raises ``ValueError`` before anything is changed.
        """
        if (
            not isinstance(state_dict, dict)
            or not isinstance(state_dict.get("param_groups"), list)
            or "state" not in state_dict
        ):
            raise ValueError("Invalid state_dict: not an optimizer state_dict")
        tuner_state = state_dict.get("lrtuner")
        n_groups = len(state_dict["param_groups"])
        if n_groups != len(self.optimizer.param_groups):
            raise ValueError(
                f"Invalid state_dict: it has {n_groups} param groups, "
                f"the optimizer has {len(self.optimizer.param_groups)}"
            )
        if tuner_state is None:
            check_plain_param_groups(state_dict["param_groups"], self.optimizer)
            restored = None
        else:  # validates everything; changes nothing
            restored = decode_tuner_state(
                tuner_state,
                type(self.optimizer).__name__,
                self._params(),
                self._buffers(),
                self.snapshot_device,
            )
        self.optimizer.load_state_dict(
            {"state": state_dict["state"], "param_groups": state_dict["param_groups"]}
        )
        if restored is None:
            warnings.warn(
                "LRTuner.load_state_dict: no 'lrtuner' entry (a plain optimizer checkpoint?); "
                "the wrapped optimizer was loaded, the tuner starts afresh",
                stacklevel=2,
            )
            return
        self.policy.state = restored.policy
        self.stats = restored.stats
        self.history = restored.history
        self.cursor.load_state_dict(restored.cursor)
        self.recompute_every = restored.recompute_every
        self._steps_since_decision = restored.steps_since_decision
        self._snapshot = restored.snapshot
