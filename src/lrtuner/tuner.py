"""The :class:`LRTuner` optimizer wrapper: a facade over the components that decide.

:meth:`LRTuner.step` orchestrates one decision: :mod:`~lrtuner.guards` (is the step sound?)
-> :mod:`~lrtuner.schedule` (is a decision due, may a fit run?) -> :mod:`~lrtuner.policy`
(rollback, phase, saturation, trust region) -> :mod:`~lrtuner.prober` (the fit) ->
:meth:`TunerPolicy.decide <lrtuner.policy.TunerPolicy.decide>` -> the facade applies the
:class:`~lrtuner.policy.Decision` (snapshot, LR, history). The walk-through, step by step, is
"How one decision flows" in ``docs/automatic-rules.md``; every option and constant is a field
of :class:`~lrtuner.config.TunerConfig`.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch

from . import amp as amp_utils
from . import distributed as dist_utils
from .checkpointing import TunerCheckpoint
from .config import TunerConfig
from .guards import (
    GradientCheck,
    LossWatch,
    StepFault,
    WeightGuard,
    direction_defect,
    run_guarded,
    step_fault,
)
from .guards import loss_value as as_float
from .logging import get_logger
from .policy import Decision, DropRate, TunerPolicy
from .prober import FitResult, LineResult, Prober
from .records import DecisionRecord, SeedSearchReport, TunerStats
from .schedule import DecisionSchedule
from .snapshot import TrainingSnapshot
from .superbatch import BatchCursor

_SEARCH_LOG = get_logger("seed_search")


class LRTuner(TunerCheckpoint):
    r"""Tunes the learning rate of any wrapped ``torch.optim.Optimizer`` while it trains.

    At a decision step the wrapped optimizer steps at the current LR :math:`\eta`, giving the
    direction :math:`d = (\theta_0 - \theta_1)/\eta`; the superbatch loss at
    :math:`\theta_0 - (\eta+\epsilon) d`, fitted by :math:`k_0 + k_1\epsilon + k_2\epsilon^2`,
    moves the LR to the clipped minimiser when the phase allows it (explore: increases;
    exploit, once the loss-drop rate saturates: decreases); a change that made the loss rise is
    rolled back. At step 1 a seed search sets the LR to 1/20 of the one-step optimum. One
    scale is tuned for all param groups. See ``docs/automatic-rules.md``.

    Args:
        optimizer: the wrapped optimizer; its ``param_groups``, ``state`` and ``defaults`` are
            exposed as this object's own (forwarded, never copied).
        probe_loss: ``batch -> scalar loss tensor``, forward only (runs under ``no_grad``).
        probe_data: re-iterable source of batches (a DataLoader, a list).
        model: optional module(s) whose buffers (BatchNorm statistics) probes must leave
            untouched. Without it, buffers are not protected.
        config: a :class:`~lrtuner.config.TunerConfig`; default ``TunerConfig()``.
        **options: fields of :class:`~lrtuner.config.TunerConfig` overriding ``config``: the
            options of 0.3.0 (``total_steps``, ``recompute_every``, ``superbatch``, ...) and
            every tuning constant. An unknown name raises ``TypeError``, an invalid value
            ``ValueError`` naming it.

    Example:
        >>> tuner = LRTuner(torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
        ...                 probe_loss=lambda b: F.cross_entropy(model(b[0]), b[1]),
        ...                 probe_data=train_loader, model=model, total_steps=10_000)
        >>> for x, y in train_loader:
        ...     tuner.zero_grad(); loss = F.cross_entropy(model(x), y); loss.backward()
        ...     tuner.step(loss=loss)
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        probe_loss: Callable[[Any], torch.Tensor],
        probe_data: Iterable[Any],
        model: torch.nn.Module | Sequence[torch.nn.Module] | None = None,
        *,
        config: TunerConfig | None = None,
        **options: Any,
    ) -> None:
        super().__init__(optimizer)
        if not callable(probe_loss):
            raise ValueError(f"Invalid probe_loss: {probe_loss!r} is not callable")
        if config is not None and not isinstance(config, TunerConfig):
            raise ValueError(f"Invalid config: {config!r} (need a TunerConfig)")
        self.config = (config or TunerConfig()).with_options(**options).resolve()
        self.probe_loss = probe_loss
        self.cursor = BatchCursor(probe_data, self.config.seed)
        if model is None:
            self.modules: list[torch.nn.Module] = []
        elif isinstance(model, torch.nn.Module):
            self.modules = [model]
        else:
            self.modules = list(model)
            if not all(isinstance(m, torch.nn.Module) for m in self.modules):
                raise ValueError(f"Invalid model: {model!r} (need a Module or a list of Modules)")

        self.policy = TunerPolicy(self.config)
        self.schedule = DecisionSchedule(self.config)
        self.prober = Prober(probe_loss, self.cursor, self.modules, self.config)
        self.history: list[DecisionRecord] = []
        self.stats = TunerStats()
        self._snapshot: TrainingSnapshot | None = None
        #: rule 13: the restore point (a state a whole healthy window of training followed)
        #: and the candidate (the state at the last healthy decision, not yet followed by one)
        self._sound: TrainingSnapshot | None = None
        self._candidate: TrainingSnapshot | None = None
        self._grad_check = GradientCheck()
        self._weights = WeightGuard()
        self._loss_watch = LossWatch()
        #: What the seed search did (:class:`~lrtuner.records.SeedSearchReport`), or ``None``.
        self.seed_search_result: SeedSearchReport | None = None
        dist_utils.check_supported(self._params_raw(), self.modules)

    # ------------------------------------------------------------------ views
    def __repr__(self) -> str:
        return f"LRTuner({self.optimizer!r}, lr={self.lr:.6g}, phase={self.phase!r})"

    def __getattr__(self, name: str) -> Any:
        """The config's fields read as attributes, as in 0.3.0 (``tuner.total_steps``)."""
        config = self.__dict__.get("config")
        if config is not None and name in TunerConfig.__dataclass_fields__:
            return getattr(config, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def phase(self) -> str:
        return self.policy.state.phase

    @property
    def explore_steps(self) -> int | None:
        return self.policy.state.explore_steps

    @property
    def recompute_every(self) -> int:
        """Current interval between decisions (the schedule's)."""
        return self.schedule.state.interval

    # ------------------------------------------------------------------ history
    def _record(self, **fields: Any) -> DecisionRecord:
        now = {"phase": self.phase, "step": self.stats.optimizer_steps}
        rec = DecisionRecord(**{**now, "lr_before": self.lr, "lr_after": self.lr, **fields})
        self.history.append(rec)
        self.stats.decisions += 1
        return rec

    def observe_loss(self, loss: torch.Tensor | float | None) -> float | None:
        """Feed one training loss to the drop-rate tracking (all-reduced across ranks)."""
        value = dist_utils.all_reduce_loss(as_float(loss))
        self._note_loss(value)
        return value

    def _note_loss(self, value: float | None) -> None:
        self._loss_watch.note(value)
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

        ``loss`` (or what ``closure`` returns) is this step's training loss, for the drop-rate
        tracking. A non-finite loss or gradients skip the wrapped step, roll back a pending
        change, and are recorded (:mod:`lrtuner.guards`). ``grad_scaler``: call
        ``tuner.step(loss=loss, grad_scaler=scaler)`` in place of ``scaler.step(tuner)``; a step
        the scaler skips is neither applied nor probed (see :mod:`lrtuner.amp`).
        """
        changed = self._check_lrs()
        if changed is not None and self.phase == "cooldown":
            self.policy.rescale_cooldown(changed)
        try:
            return self._step(closure, loss, grad_scaler)
        finally:
            self._note_lrs()

    def _step(
        self,
        closure: Callable[[], torch.Tensor] | None,
        loss: torch.Tensor | float | None,
        grad_scaler: torch.amp.GradScaler | None,
    ) -> torch.Tensor | float | None:
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        scaler_skip = grad_scaler is not None and amp_utils.scaler_found_inf(grad_scaler, self)
        # An enabled GradScaler has checked the gradients already.
        scaler_checked = grad_scaler is not None and grad_scaler.is_enabled()
        loss_value, grads_finite = dist_utils.all_reduce_step(
            as_float(loss), scaler_checked or self._local_grads_finite()
        )
        self._note_loss(loss_value)
        fault = step_fault(loss_value, scaler_skip, grads_finite)
        if fault is not None:
            self._on_fault(fault)
            return loss

        self.schedule.count_step()
        if self.policy.cooldown_due(self.stats.optimizer_steps):
            self._start_cooldown()
        if self.phase == "cooldown":
            self._set_lr(self.policy.cooldown_lr_at(self.stats.optimizer_steps))
            self._plain_step()
        elif self.policy.seed_search_due(self.stats.optimizer_steps):
            self._seed_search_step()
        elif not self.schedule.decision_due():
            self._plain_step()
        else:
            self.schedule.start_decision()
            self._decision_step()
        return loss

    def _start_cooldown(self) -> None:
        """Rule 9: from here to ``total_steps`` the LR anneals linearly to zero; no more fits.
        A change still pending is kept (its snapshot is released)."""
        self._snapshot = None
        self.policy.start_cooldown(self.lr)
        self._record(
            decision="skipped", reason=f"cooldown: {self._anneal_span(self.config.cooldown_start)}"
        )

    def _anneal_span(self, start: int | None) -> str:
        """How the cooldown started at optimizer step ``start`` anneals (rules 9 and 14)."""
        return f"the LR anneals linearly to 0 over steps {start}..{self.config.total_steps}"

    def _local_grads_finite(self) -> bool:
        return self._grad_check.local_finite(self.optimizer)

    def _plain_step(self, pre: TrainingSnapshot | None = None) -> bool:
        """The wrapped step; ``False`` if it made the weights non-finite and was undone (from
        ``pre``, a copy the guard keeps, or the rollback snapshot; see :mod:`lrtuner.guards`)."""
        step = self.stats.optimizer_steps
        pre = pre or self._weights.pre_step(self._params(), self.optimizer, step)
        self.optimizer.step()
        self.stats.optimizer_steps += 1
        if self._grad_check.params_finite(self.optimizer):
            self._weights.clean()
            return True
        self.stats.optimizer_steps -= 1
        self._weights.fault(step + 1)
        if pre is not None:
            pre.restore(self._params(), self.optimizer, [])
            self.stats.skipped_steps += 1
            self._record(decision="skipped", reason=f"{WeightGuard.WHAT}; step undone")
        elif self._snapshot is not None:
            self.stats.skipped_steps += 1
            self._roll_back(f"{WeightGuard.WHAT}; change undone")
        else:
            raise self._weights.cannot_undo(step + 1)
        return False

    def _on_fault(self, fault: StepFault) -> None:
        """The one handler of a step not applied: roll back where the fault allows, recover
        from divergence (rule 13), else record."""
        self.stats.skipped_steps += 1
        undo = fault.rollback_reason is not None and self.policy.rollback_enabled
        if undo and self._snapshot is not None:
            self._roll_back(fault.rollback_reason)
            return
        if undo and self._sound is not None and self._weights_diverged():
            self._recover(fault.cause)
            return
        self._record(decision="skipped", reason=fault.skip_reason)

    # ------------------------------------------------------------------ rule 13
    @property
    def _recovers(self) -> bool:
        """Rule 13 is on (it needs rollback's snapshots)."""
        return self.config.recover_divergence and self.policy.rollback_enabled

    def _capture(self) -> TrainingSnapshot:
        return TrainingSnapshot.capture(
            self._params(),
            self.optimizer,
            self._buffers(),
            self.stats.optimizer_steps,
            device=self.config.snapshot_device,
        )

    def _advance_restore_points(
        self, healthy: bool, released: TrainingSnapshot | None = None
    ) -> None:
        """At a decision with nothing pending: after a healthy window (every loss finite, and
        the loss not measurably rising: rule 6's test) the candidate, or the snapshot of the
        change just judged (``released``), becomes the restore point, and the state now the
        new candidate; after an unhealthy one the candidate is dropped. So a restore point has
        always had a whole healthy window of training after it: a state taken at the end of a
        window that was about to diverge is never restored."""
        if not self._recovers:
            return
        if not healthy:
            self._candidate = None
            return
        proven = released if released is not None else self._candidate
        if proven is not None:
            self._sound = proven
        self._candidate = self._capture()

    def _weights_diverged(self) -> bool:
        """One probe minibatch at the current weights: is its loss non-finite too? A probe
        that fails says no (the step is only skipped)."""
        check = functools.partial(self.prober.weights_diverged, self._params(), self.stats)
        diverged, _ = run_guarded(check, self.config.probe_errors, "divergence check", "")
        return bool(diverged)

    def _recover(self, cause: str) -> None:
        """Rule 13: restore the restore point and divide the LR by
        ``max_lr_factor``; the restore point is kept (a second divergence restores it again,
        at a lower LR still)."""
        assert self._sound is not None
        lr_before = self.lr
        sound = self._sound
        sound.restore(self._params(), self.optimizer, self._buffers())
        self._candidate = None  # taken after the restore point: on the way here
        lr_after = lr_before / self.config.max_lr_factor
        self.policy.on_diverged(lr_before, lr_after)
        self._set_lr(lr_after)
        self.stats.rollbacks += 1
        self._record(
            decision="rolled_back",
            reason=f"diverged: {cause} with no change pending, and the probe loss at the "
            f"current weights is not finite; the state of step {sound.step} restored, LR "
            f"divided by {self.config.max_lr_factor:g}",
            lr_before=lr_before,
            lr_after=self.lr,
        )

    def _roll_back(self, reason: str) -> None:
        assert self._snapshot is not None
        horizon_before = self.policy.horizon
        pending = self.policy.on_rolled_back()
        horizon = self.policy.horizon
        followed = (
            f"; horizon factor {horizon_before:.3g} -> {horizon:.3g}"
            if horizon != horizon_before
            else ""
        )
        lr_before = self.lr
        self._snapshot.restore(self._params(), self.optimizer, self._buffers())
        if self._recovers:
            self._candidate = self._snapshot  # the state now: rule 13's candidate (no copy)
        self._snapshot = None
        self.stats.rollbacks += 1
        self._record(
            decision="rolled_back",
            reason=f"{reason} (change at step {pending.step}: "
            f"{pending.lr_before:.6g} -> {pending.lr_after:.6g}){followed}",
            lr_before=lr_before,
            lr_after=self.lr,
        )

    def _decision_step(self) -> None:
        self._loss_watch.at_decision(self.stats.optimizer_steps + 1)
        window_finite = all(math.isfinite(x) for x in self.policy.state.window_losses)
        rate = self.policy.close_window()
        healthy = window_finite and not self.policy.loss_rising(rate)
        rate_fields = {
            "drop_rate": rate.rate if rate else None,
            "drop_rate_stderr": rate.stderr if rate else None,
        }
        unjudged = None
        if self.policy.state.pending is not None:
            verdict, why = self.policy.pending_verdict(rate, self._snapshot is not None)
            if verdict == "roll_back":
                # The gradients of this step belong to the discarded parameters: not applied.
                self._roll_back(why)
                self.stats.skipped_steps += 1
                return
            if verdict == "wait":
                # Too few losses since the change (a decision right after it, as at the switch
                # to exploit): no fit meanwhile, so the snapshot still undoes it.
                unjudged = self.policy.state.pending
                self.policy.reopen_window()
            else:
                self.policy.release_pending()
                released, self._snapshot = self._snapshot, None
                self._advance_restore_points(healthy, released)
        else:
            self._advance_restore_points(healthy)

        step = self.stats.optimizer_steps
        if self.policy.update_phase(step):
            self.schedule.end_explore()
            self.schedule.respace(self.schedule.state.last_fit_forwards, self.policy.state, step)
            self._record(decision="skipped", reason="explore phase ended", **rate_fields)
        if unjudged is not None:
            if self._plain_step():
                self._record(
                    decision="skipped",
                    reason=f"the change at step {unjudged.step} has too few losses after it to "
                    "be judged; it is judged at the next decision, on every loss since it",
                    **rate_fields,
                )
            return
        due, why = self.policy.fit_due(rate)
        if due:
            due, why = self.schedule.fit_affordable(step + 1)
        if not due:
            if self._plain_step():
                self._record(decision="skipped", reason=why, **rate_fields)
            return
        self._fit_and_decide(rate, rate_fields)

    # ------------------------------------------------------------------ the fit
    def _fit_and_decide(self, rate: DropRate | None, rate_fields: dict[str, Any]) -> None:
        params = self._params()
        lr = self.lr
        theta0 = [p.detach().clone() for p in params]
        if not self._plain_step():
            return
        step = self.stats.optimizer_steps
        # delta = theta0 - theta1 = lr * d (built in place in the theta0 buffers)
        delta = theta0
        torch._foreach_sub_(delta, [p.detach() for p in params])
        defect = direction_defect(delta)
        if defect is not None:
            self._record(decision="skipped", reason=defect, **rate_fields)
            return
        probe = functools.partial(self._probe_fit, params, delta, lr)
        fit, failure = run_guarded(probe, self.config.probe_errors, "decision", "")
        del delta, theta0
        if fit is None:
            self._record(decision="skipped", reason=failure, **rate_fields)
            return
        self.stats.fits += 1
        self.schedule.charge_fit(fit.num_batches, len(fit.epsilons), fit.forwards)
        self.schedule.respace(fit.forwards, self.policy.state, step)
        self._apply(self.policy.decide(fit, lr, rate, step), fit, step, rate_fields)

    def _probe_fit(
        self, params: list[torch.Tensor], delta: list[torch.Tensor], lr: float
    ) -> FitResult:
        """The prober's fit inside the policy's trust region and the schedule's ledger."""
        return self.prober.fit(
            params,
            delta,
            lr,
            self.policy.bounds(lr),
            decision_index=self.stats.fits,
            direction=self.policy.acted_direction(),
            max_minibatches=self.schedule.fit_minibatch_limit(self.stats.optimizer_steps),
            stats=self.stats,
            horizon_factor=self.policy.horizon,
        )

    def _apply(
        self, decision: Decision, fit: FitResult, step: int, rate_fields: dict[str, Any]
    ) -> None:
        """Record a decision; on acceptance snapshot the state (for rollback), then set the LR."""
        record = {
            "epsilons": [float(e) for e in fit.epsilons],
            "losses": [float(x) for x in fit.losses],
            "coefficients": tuple(float(c) for c in fit.coefficients),
            "num_batches": fit.num_batches,
            "forward_passes": fit.forwards,
            "step": step,
            "lr_before": decision.lr_before,
            "proposed_lr": decision.proposed_lr,
            "reason": decision.reason,
            **rate_fields,
        }
        if decision.explore_ended:
            self.schedule.end_explore()
        if decision.proposed_lr is None:  # the fit was not finite: no proposal
            self._record(decision="rejected", **record)
            return
        self.schedule.after_judgement(decision.accepted, decision.judged_in)
        if not decision.accepted:
            self.schedule.respace(fit.forwards, self.policy.state, step)
            self._record(decision="rejected", **record)
            return
        if self.policy.cooldown_from_decrease(decision):
            # Rule 14: the decrease starts the cooldown here, from the current LR.
            self.policy.start_cooldown(self.lr, step)
            record["reason"] += f"; starts the cooldown: {self._anneal_span(step)}"
            self._record(
                decision="accepted", phase=decision.judged_in, lr_after=self.lr, **record
            )
            return
        if self.policy.rollback_enabled:
            self._snapshot = self._capture()  # at optimizer step ``step``
            self._candidate = None  # the rollback snapshot is the candidate now
        self._set_lr(decision.proposed_lr)
        self._record(decision="accepted", lr_after=self.lr, **record)

    # ------------------------------------------------------------------ seed search
    def _seed_search_step(self) -> None:
        """First step: take it, look along its direction on a log grid of LRs (see
        :mod:`lrtuner.seed_search`); if the LR changes, the step is taken again at the new LR
        from the state before it, so the result is bitwise a plain step at that LR. An
        inconclusive search (no grid point lowers the loss measurably) is repeated on the next
        step's direction, up to ``search_attempts`` searches in all; the inconclusive step is
        undone first (``search_retry_from_start``), so each search starts from the weights the
        run started with. A conclusive search's step is undone too while fewer than
        ``search_directions`` searches were conclusive (0.17.0); the LR is then set from the
        median of their one-step optima, at the last search's step.
        The outcome is :attr:`seed_search_result` (the last search's), logged on
        ``"lrtuner.seed_search"``."""
        self.policy.note_seed_search()
        params = self._params()
        lr = self.lr
        started = time.perf_counter()
        c = self.config
        _SEARCH_LOG.info(
            "seed search: seed LR %.4g; grid ratio %.3g, multipliers %.3g..%.3g of it",
            lr, c.grid_ratio, c.min_multiplier, c.max_multiplier,
        )  # fmt: skip
        step = self.stats.optimizer_steps
        before = TrainingSnapshot.capture(params, self.optimizer, [], step)
        if not self._plain_step(pre=before):
            return
        delta = [t.clone() for t in before.params]
        torch._foreach_sub_(delta, [p.detach() for p in params])  # delta = theta0 - theta1
        defect = direction_defect(delta)
        if defect is not None:
            self._record(decision="skipped", reason=f"seed search: {defect}")
            return
        probe = functools.partial(self.prober.line, params, delta, self.stats)
        line, failure = run_guarded(probe, self.config.probe_errors, "seed search", "seed search: ")
        if line is None:
            self._record(decision="skipped", reason=failure)
            return
        # from now on explore looks only at its cap after a search (explore_steps // 2); the
        # search itself is not charged to the probe ledger
        self.schedule.respace(line.forwards, self.policy.state, self.stats.optimizer_steps)
        result = self.policy.seed_lr(line, lr)
        reason = result.reason
        if self.policy.note_seed_search_outcome(result):
            c, state = self.config, self.policy.state
            attempt = state.seed_search_attempts
            if result.inconclusive:
                reason += (
                    f"; the next step's direction is searched (attempt {attempt + 1} of "
                    f"{c.search_attempts})"
                )
            else:
                # 0.17.0: one direction's optimum is one draw; the next is measured too
                reason = (
                    f"seed search: direction {len(state.seed_search_optima)} of "
                    f"{c.search_directions}: {result.reason.removeprefix('seed search: ')}"
                    "; the next step's direction is searched"
                )
            if c.search_retry_from_start or not result.inconclusive:
                # no LR is decided for this step: undo it, so the next search starts from the
                # same weights whatever the seed LR (0.16.0, 0.17.0)
                self._take_back(before)
                self.stats.skipped_steps += 1
                reason += ", from the weights before this step (the step is not taken)"
            proposal = result.lr
            result = dataclasses.replace(result, lr=lr, changed=False)
        else:
            result = self.policy.seed_lr_final(result, lr)
            reason, proposal = result.reason, result.lr
        del delta
        if result.changed:
            self._take_back(before)  # the step, taken again at the new LR
            self._set_lr(result.lr)
            again = TrainingSnapshot.capture(params, self.optimizer, [], step)
            if not self._plain_step(pre=again):
                return
        self._report_seed_search(line, lr, result.changed, reason, started)
        if self._recovers:
            self._candidate = self._capture()
        self._record(
            decision="accepted" if result.changed else "rejected",
            reason=reason,
            lr_before=lr,
            lr_after=self.lr,
            epsilons=[(m - 1.0) * lr for m in [0.0, *line.multipliers]],
            losses=[line.loss0, *line.losses],
            proposed_lr=proposal,
            num_batches=line.num_batches,
            forward_passes=line.forwards,
        )

    def _take_back(self, before: TrainingSnapshot) -> None:
        """Undo the step just taken: parameters and optimizer state back to ``before``."""
        before.restore(self._params(), self.optimizer, [])
        self.stats.optimizer_steps -= 1

    def _report_seed_search(
        self, line: LineResult, lr: float, changed: bool, reason: str, started: float
    ) -> None:
        self.seed_search_result = report = SeedSearchReport(
            lr_before=lr, lr_after=self.lr, changed=changed, reason=reason,
            multipliers=list(line.multipliers), losses=list(line.losses), loss0=line.loss0,
            forward_passes=line.forwards, minibatches=line.num_batches,
            seconds=time.perf_counter() - started,
        )  # fmt: skip
        _SEARCH_LOG.info(
            "seed search: LR %.4g -> %.4g (%s); %d forward passes, %.2f s",
            lr, report.lr_after, reason, report.forward_passes, report.seconds,
        )  # fmt: skip
