"""Figures of LRTuner's decisions: the LR trace and one quadratic fit.

Both functions accept :class:`lrtuner.DecisionRecord` objects or the plain dicts of a JSONL
history, and return a ``matplotlib.figure.Figure``. matplotlib is imported only when a function
is called (``pip install 'lrtuner[plot]'``), with the non-interactive Agg canvas, so nothing
opens a window.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .extras import require_extra

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


def plot_quadratic_fit(record: Any, ax: Any = None) -> Any:
    """Probe losses against the fitted quadratic of one decision (the paper's Figure 1).

    Triangles are the probe points used in the fit (loss of one superbatch at
    ``lr + epsilon``), the line is ``k0 + k1 e + k2 e^2`` and the circle its minimum (when the
    quadratic is convex); the dashed line is the proposed LR. ``ValueError`` if the record has
    no fit.
    """
    rec = as_record_dict(record)
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


def first_fit(history: Iterable[Any]) -> dict[str, Any] | None:
    """The first decision with a quadratic fit (accepted ones preferred), or ``None``."""
    fitted = [
        r for r in map(as_record_dict, history) if r.get("coefficients") and r.get("epsilons")
    ]
    accepted = [r for r in fitted if r.get("decision") == "accepted"]
    return (accepted or fitted or [None])[0]
