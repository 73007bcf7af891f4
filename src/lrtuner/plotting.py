"""Figures of LRTuner's decisions: the LR trace, one quadratic fit, the seed search.

The functions accept :class:`lrtuner.DecisionRecord` objects or the plain dicts of a JSONL
history, and return a ``matplotlib.figure.Figure``. matplotlib is imported only when a function
is called (``pip install 'lrtuner[plot]'``), with the non-interactive Agg canvas, so nothing
opens a window.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .extras import require_extra
from .seed_search import refine_minimum

#: How the seed search's decision record is recognised (``reason`` starts with it).
SEED_SEARCH_PREFIX = "seed search:"

DECISION_STYLES: dict[str, dict[str, str]] = {
    "accepted": {"color": "tab:green", "marker": "o"},
    "rejected": {"color": "tab:gray", "marker": "x"},
    "rolled_back": {"color": "tab:red", "marker": "v"},
    "skipped": {"color": "tab:olive", "marker": "."},
}


def as_record_dict(record: Any) -> dict[str, Any]:
    """A decision record as a dict, from a dataclass, an object with ``to_dict`` or a mapping."""
    if isinstance(record, Mapping):
        return dict(record)
    if hasattr(record, "to_dict"):
        return dict(record.to_dict())
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        return dataclasses.asdict(record)
    raise ValueError(f"Invalid record: {type(record).__name__} is not a decision record")


def read_history(path: str | Path) -> list[dict[str, Any]]:
    """Decision records from a JSONL file (one JSON object per line; blank lines skipped)."""
    records = []
    with open(path) as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"Invalid history: {path}:{number} is not JSON ({exc})") from None
    return records


def _figure(**kwargs: Any) -> Any:
    require_extra("matplotlib", "plot", "lrtuner.plotting")
    from matplotlib.figure import Figure

    fig = Figure(**kwargs)
    return fig


def plot_decision(record: Any, ax: Any = None) -> Any:
    """:func:`plot_seed_search` for the seed search's record, else :func:`plot_quadratic_fit`."""
    if is_seed_search(record):
        return plot_seed_search(record, ax)
    return plot_quadratic_fit(record, ax)


def plot_lr_trace(history: Iterable[Any], ax: Any = None, title: str | None = None) -> Any:
    """The learning rate over steps, one marker per decision coloured by its outcome.

    The line is the LR after each decision (held until the next one); the explore phase is
    shaded. Returns the Figure (the one of ``ax`` when given).
    """
    records = [as_record_dict(r) for r in history]
    if ax is None:
        fig = _figure(figsize=(7, 3.5), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    if not records:
        ax.text(0.5, 0.5, "no decisions", ha="center", va="center", transform=ax.transAxes)
        return fig
    steps = [int(r["step"]) for r in records]
    ax.step(
        [0, *steps],
        [float(records[0]["lr_before"]), *(float(r["lr_after"]) for r in records)],
        where="post",
        color="tab:blue",
        lw=1.5,
        label="LR",
    )
    explore = [s for s, r in zip(steps, records, strict=True) if r.get("phase") == "explore"]
    if explore:
        ax.axvspan(0, max(explore), color="tab:orange", alpha=0.08, label="explore")
    for decision, style in DECISION_STYLES.items():
        pts = [(int(r["step"]), float(r["lr_after"])) for r in records if r["decision"] == decision]
        if pts:
            xs, ys = zip(*pts, strict=True)
            ax.scatter(xs, ys, s=18, zorder=3, label=decision, **style)
    lrs = [float(r["lr_after"]) for r in records] + [float(records[0]["lr_before"])]
    if min(lrs) > 0 and max(lrs) / min(lrs) > 20:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.set_title(title or "LRTuner decisions")
    ax.legend(fontsize=7, loc="best")
    return fig


def is_seed_search(record: Any) -> bool:
    """Whether ``record`` is the seed search's decision (its reason starts "seed search:")."""
    return str(as_record_dict(record).get("reason", "")).startswith(SEED_SEARCH_PREFIX)


@dataclasses.dataclass(frozen=True)
class SeedSearchCurve:
    """The one-step loss curve of the seed search, as in an LR range test.

    ``lrs[i]`` is the LR ``m_i * seed_lr`` of grid point ``i`` (``m_i > 0``; the record stores
    ``epsilons = (m - 1) * seed_lr`` for ``m`` in ``[0, m_1, m_2, ...]``), ``losses[i]`` the mean
    probe loss one step at that LR away from the parameters before the first step
    (``inf`` where it was not finite), ``loss_before`` the loss at ``m = 0`` (no step).
    ``optimum_lr`` is the refined minimiser (:func:`lrtuner.seed_search.refine_minimum`, over
    the grid and ``m = 0``), ``None`` when no point is finite or none lowers the loss;
    ``chosen_lr`` the LR the search set (``lr_after``; the seed LR when it kept it).
    """

    step: int
    seed_lr: float
    lrs: tuple[float, ...]
    losses: tuple[float, ...]
    loss_before: float
    optimum_lr: float | None
    chosen_lr: float
    decision: str
    reason: str


def seed_search_curve(record: Any) -> SeedSearchCurve:
    """The :class:`SeedSearchCurve` of a seed-search record; ``ValueError`` for other records."""
    rec = as_record_dict(record)
    if not is_seed_search(rec):
        raise ValueError(
            f"Invalid record: the decision at step {rec.get('step')} is not the seed search "
            f"(its reason is {rec.get('reason')!r}); use plot_quadratic_fit for a fit"
        )
    eps = [float(e) for e in rec.get("epsilons") or []]
    losses = [float(v) for v in rec.get("losses") or []]
    seed_lr = float(rec["lr_before"])
    if len(eps) < 2 or len(eps) != len(losses) or not seed_lr > 0:
        raise ValueError(
            f"Invalid record: the seed search at step {rec.get('step')} has no loss curve "
            f"({rec.get('decision')}: {rec.get('reason')})"
        )
    multipliers = [1.0 + e / seed_lr for e in eps]
    grid = [
        (m, v if math.isfinite(v) else math.inf)
        for m, v in zip(multipliers[1:], losses[1:], strict=True)
    ]
    grid.sort()
    loss_before = losses[0]
    finite = [v for _, v in grid if math.isfinite(v)]
    optimum = None
    if math.isfinite(loss_before) and finite and min(finite) < loss_before:
        optimum = seed_lr * refine_minimum(
            [0.0] + [m for m, _ in grid], [loss_before] + [v for _, v in grid]
        )
    return SeedSearchCurve(
        step=int(rec.get("step", 0)),
        seed_lr=seed_lr,
        lrs=tuple(seed_lr * m for m, _ in grid),
        losses=tuple(v for _, v in grid),
        loss_before=loss_before,
        optimum_lr=optimum,
        chosen_lr=float(rec.get("lr_after", seed_lr)),
        decision=str(rec.get("decision")),
        reason=str(rec.get("reason")),
    )


def plot_seed_search(record: Any, ax: Any = None) -> Any:
    """The seed search's one-step loss against the LR, on a log LR axis (an LR range test).

    Dots are the grid points (the mean probe loss after one step at that LR from the
    parameters before the first step), the dotted line the loss before the step, the
    triangle-down the one-step optimum, the dashed line the LR chosen (a twentieth of the
    optimum, or the seed LR when the search kept it) and the thin line the seed LR. Points
    whose loss was not finite are drawn as crosses at the top of the axes. ``ValueError``
    for a record that is not the seed search's, or one without a curve (a skipped search).
    """
    curve = seed_search_curve(record)
    if ax is None:
        fig = _figure(figsize=(5.5, 3.8), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    pts = [(lr, v) for lr, v in zip(curve.lrs, curve.losses, strict=True) if math.isfinite(v)]
    bad = [lr for lr, v in zip(curve.lrs, curve.losses, strict=True) if not math.isfinite(v)]
    if pts:
        xs, ys = zip(*pts, strict=True)
        ax.plot(xs, ys, "o-", color="tab:blue", ms=4, lw=1.2, label="one-step loss")
    if math.isfinite(curve.loss_before):
        ax.axhline(curve.loss_before, color="tab:gray", ls=":", lw=1, label="loss before the step")
    if bad:
        ax.scatter(
            bad,
            [1.0] * len(bad),
            transform=ax.get_xaxis_transform(),
            marker="x",
            color="tab:red",
            clip_on=False,
            label="not finite",
        )
    if curve.optimum_lr is not None and curve.optimum_lr > 0:
        at = _interpolate_loss(curve, curve.optimum_lr)
        ax.scatter(
            [curve.optimum_lr],
            [at],
            marker="v",
            s=60,
            color="tab:red",
            zorder=4,
            label=f"one-step optimum {curve.optimum_lr:.3g}",
        )
    ax.axvline(curve.seed_lr, color="tab:gray", lw=0.8, label=f"seed LR {curve.seed_lr:.3g}")
    ax.axvline(
        curve.chosen_lr,
        color="tab:purple",
        ls="--",
        lw=1.2,
        label=f"chosen LR {curve.chosen_lr:.3g}",
    )
    ax.set_xscale("log")
    ax.set_xlabel("learning rate of the first step")
    ax.set_ylabel("probe loss after one step")
    ax.set_title(f"seed search at step {curve.step}: {curve.decision}")
    ax.legend(fontsize=7)
    return fig


def _interpolate_loss(curve: SeedSearchCurve, lr: float) -> float:
    """The curve's loss at ``lr``, linear in log LR between the finite grid points."""
    pts = [
        (math.log(x), v) for x, v in zip(curve.lrs, curve.losses, strict=True) if math.isfinite(v)
    ]
    if not pts:
        return curve.loss_before
    t = math.log(lr)
    if t <= pts[0][0]:
        return pts[0][1]
    for (x0, v0), (x1, v1) in itertools.pairwise(pts):
        if x0 <= t <= x1:
            return v0 + (v1 - v0) * (t - x0) / (x1 - x0) if x1 > x0 else v0
    return pts[-1][1]


def plot_quadratic_fit(record: Any, ax: Any = None) -> Any:
    """Probe losses against the fitted quadratic of one decision (the paper's Figure 1).

    Triangles are the probe points used in the fit (loss of one superbatch at
    ``lr + epsilon``), the line is ``k0 + k1 e + k2 e^2`` and the circle its minimum (when the
    quadratic is convex); the dashed line is the proposed LR. ``ValueError`` if the record has
    no fit; for the seed search's record, a ``ValueError`` that points to
    :func:`plot_seed_search`.
    """
    rec = as_record_dict(record)
    if is_seed_search(rec):
        raise ValueError(
            f"Invalid record: the decision at step {rec.get('step')} is the seed search, which "
            "fits no quadratic; plot its loss curve with plotting.plot_seed_search(record)"
        )
    eps = [float(e) for e in rec.get("epsilons") or []]
    losses = [float(v) for v in rec.get("losses") or []]
    coefs = rec.get("coefficients")
    if not eps or coefs is None or len(eps) != len(losses):
        raise ValueError(f"Invalid record: the decision at step {rec.get('step')} has no fit")
    import numpy as np

    k0, k1, k2 = (float(c) for c in coefs)
    lo, hi = min(eps), max(eps)
    e_min = -k1 / (2 * k2) if k2 > 0 else None
    span_lo, span_hi = lo, hi
    if e_min is not None:
        span_lo, span_hi = min(lo, e_min), max(hi, e_min)
    pad = 0.15 * (span_hi - span_lo or abs(hi) or 1.0)
    grid = np.linspace(span_lo - pad, span_hi + pad, 200)
    if ax is None:
        fig = _figure(figsize=(5, 3.8), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    ax.plot(grid, k0 + k1 * grid + k2 * grid**2, color="tab:blue", label="quadratic fit")
    ax.scatter(eps, losses, marker="^", color="tab:orange", s=40, zorder=3, label="probe losses")
    if e_min is not None:
        ax.scatter(
            [e_min],
            [k0 + k1 * e_min + k2 * e_min**2],
            color="tab:red",
            s=40,
            zorder=4,
            label="fitted minimum",
        )
    proposed = rec.get("proposed_lr")
    lr_before = float(rec.get("lr_before", 0.0))
    if proposed is not None:
        ax.axvline(
            float(proposed) - lr_before, color="tab:purple", ls="--", lw=1, label="proposed LR"
        )
    ax.set_xlabel(f"epsilon (LR perturbation around {lr_before:.3g})")
    ax.set_ylabel("superbatch loss")
    ax.set_title(f"step {rec.get('step')}, {rec.get('phase')}: {rec.get('decision')}")
    ax.legend(fontsize=7)
    return fig


def has_fit(record: Any) -> bool:
    """Whether ``record`` has a quadratic fit :func:`plot_quadratic_fit` can draw."""
    rec = as_record_dict(record)
    return bool(rec.get("coefficients")) and bool(rec.get("epsilons")) and not is_seed_search(rec)


def first_fit(history: Iterable[Any]) -> dict[str, Any] | None:
    """The first decision with a quadratic fit (accepted ones preferred), or ``None``."""
    fitted = [r for r in map(as_record_dict, history) if has_fit(r)]
    accepted = [r for r in fitted if r.get("decision") == "accepted"]
    return (accepted or fitted or [None])[0]
