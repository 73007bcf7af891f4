"""The ``lrtuner`` logger, and the decision history on disk (JSONL) and as TensorBoard scalars.

Logger convention (stdlib :mod:`logging`): everything in the library logs through
``logging.getLogger("lrtuner")`` or a child of it (``"lrtuner.hf"``, ``"lrtuner.lightning"``,
``"lrtuner.seed_search"``...), obtained with :func:`get_logger`. The library adds only a
:class:`logging.NullHandler` to ``"lrtuner"``: nothing is printed unless the application
configures logging (``logging.basicConfig(level=logging.INFO)``, or a handler on
``"lrtuner"``; HF and Lightning configure only their own loggers). Levels:

- ``INFO``: one line per event a user wants to see in a training log: each decision taken
  under the HF and Lightning integrations (:func:`format_decision`), the start and the result
  of the seed search, a history writer restarting after a reload;
- ``DEBUG``: per-point detail (each probe or seed-search point, superbatch sizes);
- ``WARNING``: faults the library handled but the user should know of.

Misuse (an argument or a setup that defeats tuning) is reported with :func:`warnings.warn` or
an exception, not through the logger, so that it is seen even without a logging setup.

Decision history
----------------

One JSON object per line, one line per :class:`~lrtuner.records.DecisionRecord`: exactly
``dataclasses.asdict(record)`` (``coefficients`` becomes a list; non-finite floats are written
as ``NaN``/``Infinity``, which :func:`json.loads` reads back). :mod:`lrtuner.plotting` and the
``lrtuner plot`` command read this format.

Example:
    >>> with HistoryWriter("history.jsonl", tensorboard="runs/exp1") as log:
    ...     for x, y in loader:
    ...         ...
    ...         tuner.step(loss=loss)
    ...         log.update(tuner)  # writes the decisions made since the last call
    >>> records = read_history_jsonl("history.jsonl")

TensorBoard is optional: :mod:`torch.utils.tensorboard` (and the ``tensorboard`` package) is
imported only when a log directory is given.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from types import TracebackType
from typing import Any

from .extras import require_extra
from .records import DECISIONS, DecisionRecord

__all__ = [
    "LOGGER_NAME",
    "HistoryWriter",
    "decision_scalars",
    "format_decision",
    "get_logger",
    "log_decision",
    "read_history_jsonl",
    "record_to_json",
    "write_history_jsonl",
]

#: Numeric code of each decision, for loggers that only take numbers.
DECISION_CODES = {name: float(i) for i, name in enumerate(DECISIONS)}

#: Name of the library's logger; children are ``f"{LOGGER_NAME}.{part}"``.
LOGGER_NAME = "lrtuner"

logging.getLogger(LOGGER_NAME).addHandler(logging.NullHandler())


def get_logger(name: str | None = None) -> logging.Logger:
    """``logging.getLogger("lrtuner")``, or its child ``"lrtuner.<name>"``.

    ``name`` may also be given in full (``"lrtuner.hf"``). Raises ``ValueError`` for a name
    outside the ``lrtuner`` hierarchy or that is not a non-empty string.
    """
    if name is None:
        return logging.getLogger(LOGGER_NAME)
    if not isinstance(name, str) or not name.strip("."):
        raise ValueError(f"Invalid name: {name!r} (need a non-empty str, e.g. 'seed_search')")
    if name == LOGGER_NAME or name.startswith(LOGGER_NAME + "."):
        return logging.getLogger(name)
    return logging.getLogger(f"{LOGGER_NAME}.{name}")


def format_decision(record: DecisionRecord) -> str:
    """One log line for a decision: step, phase, outcome, LR before -> after, reason."""
    if not isinstance(record, DecisionRecord):
        raise ValueError(f"Invalid record: {type(record).__name__} is not a DecisionRecord")
    return (
        f"step {record.step} {record.phase} {record.decision}: "
        f"lr {record.lr_before:.4g} -> {record.lr_after:.4g} ({record.reason})"
    )


def log_decision(
    record: DecisionRecord, logger: logging.Logger | None = None, level: int = logging.INFO
) -> None:
    """Log :func:`format_decision` of ``record`` (default logger: ``"lrtuner"``)."""
    (logger or get_logger()).log(level, "%s", format_decision(record))


def record_to_json(record: DecisionRecord) -> str:
    """One JSONL line (without the newline) for ``record``."""
    if not isinstance(record, DecisionRecord):
        raise ValueError(f"Invalid record: {type(record).__name__} is not a DecisionRecord")
    return json.dumps(asdict(record), sort_keys=False)


def write_history_jsonl(
    history: Iterable[DecisionRecord], path: str | os.PathLike[str], *, append: bool = False
) -> int:
    """Write ``history`` (e.g. ``tuner.history``) to ``path``, one decision per line.

    Returns the number of lines written. ``append=True`` adds to an existing file.
    """
    lines = [record_to_json(r) for r in history]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a" if append else "w", encoding="utf-8") as fh:
        for line in lines:
            fh.write(line + "\n")
    return len(lines)


def read_history_jsonl(path: str | os.PathLike[str]) -> list[DecisionRecord]:
    """Read a file written by :func:`write_history_jsonl` or :class:`HistoryWriter`.

    Blank lines are skipped; keys unknown to this version of :class:`DecisionRecord` are ignored
    (so newer files still load). A malformed line raises ``ValueError`` naming its number.
    """
    known = set(DecisionRecord.__dataclass_fields__)
    records = []
    with Path(path).open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                records.append(
                    DecisionRecord.from_dict({k: v for k, v in data.items() if k in known})
                )
            except (json.JSONDecodeError, TypeError, AttributeError) as exc:
                raise ValueError(f"Invalid history file {path}: line {number}: {exc}") from exc
    return records


def decision_scalars(record: DecisionRecord, prefix: str = "lrtuner") -> dict[str, float]:
    """The numeric fields of a decision, keyed ``f"{prefix}/{name}"``, for scalar loggers.

    Always ``lr`` (the LR after the decision), ``lr_before``, ``decision`` (code in
    :data:`DECISION_CODES`), ``accepted`` and ``explore`` (0/1); plus ``proposed_lr``,
    ``drop_rate``, ``num_batches`` and ``forward_passes`` when the record has them.
    """
    out = {
        f"{prefix}/lr": float(record.lr_after),
        f"{prefix}/lr_before": float(record.lr_before),
        f"{prefix}/decision": DECISION_CODES.get(record.decision, -1.0),
        f"{prefix}/accepted": 1.0 if record.decision == "accepted" else 0.0,
        f"{prefix}/explore": 1.0 if record.phase == "explore" else 0.0,
    }
    if record.proposed_lr is not None:
        out[f"{prefix}/proposed_lr"] = float(record.proposed_lr)
    if record.drop_rate is not None:
        out[f"{prefix}/drop_rate"] = float(record.drop_rate)
    if record.num_batches:
        out[f"{prefix}/num_batches"] = float(record.num_batches)
        out[f"{prefix}/forward_passes"] = float(record.forward_passes)
    return out


class HistoryWriter:
    """Streams new decisions of a tuner to a JSONL file and, optionally, to TensorBoard.

    Args:
        path: JSONL file (created with its folder); ``None`` to write TensorBoard only.
        tensorboard: a ``torch.utils.tensorboard.SummaryWriter``, or a log directory for which
            one is created (and closed by :meth:`close`); ``None`` for no TensorBoard.
        append: add to an existing ``path`` instead of truncating it (use when resuming, with
            ``start`` set to the number of decisions already written).
        start: number of decisions of ``tuner.history`` already written; :meth:`update` writes
            from there.
        prefix: tag prefix of the TensorBoard scalars.
        log_level: if given (e.g. ``logging.INFO``), each decision written is also logged
            through the ``"lrtuner"`` logger (:func:`log_decision`).

    Scalars go to TensorBoard at ``global_step = record.step`` (the optimizer step).
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None,
        *,
        tensorboard: Any = None,
        append: bool = False,
        start: int = 0,
        prefix: str = "lrtuner",
        log_level: int | None = None,
    ) -> None:
        if path is None and tensorboard is None:
            raise ValueError("Invalid HistoryWriter: path=None and tensorboard=None write nothing")
        if isinstance(start, bool) or not isinstance(start, int) or start < 0:
            raise ValueError(f"Invalid start: {start!r} (need an int >= 0)")
        if log_level is not None and (
            isinstance(log_level, bool) or not isinstance(log_level, int)
        ):
            raise ValueError(f"Invalid log_level: {log_level!r} (need an int such as logging.INFO)")
        self.log_level = log_level
        self.path = Path(path) if path is not None else None
        self.prefix = prefix
        self.written = start
        self._fh = None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("a" if append else "w", encoding="utf-8")
        self._owns_tb = isinstance(tensorboard, (str, os.PathLike))
        if self._owns_tb:
            writer_module = require_extra(
                "torch.utils.tensorboard",
                "tensorboard",
                "HistoryWriter(tensorboard=<log dir>)",
                package="tensorboard",
            )
            tensorboard = writer_module.SummaryWriter(log_dir=os.fspath(tensorboard))
        self.tensorboard = tensorboard

    def write(self, records: Sequence[DecisionRecord]) -> None:
        """Write ``records`` (does not move :attr:`written`)."""
        for record in records:
            if self.log_level is not None:
                log_decision(record, level=self.log_level)
            if self._fh is not None:
                self._fh.write(record_to_json(record) + "\n")
            if self.tensorboard is not None:
                for tag, value in decision_scalars(record, self.prefix).items():
                    self.tensorboard.add_scalar(tag, value, global_step=record.step)
        if self._fh is not None:
            self._fh.flush()

    def update(self, tuner: Any) -> list[DecisionRecord]:
        """Write the decisions in ``tuner.history`` not written yet; returns them.

        If the history is shorter than what was written (the tuner was reloaded from an
        earlier checkpoint), writing restarts at the end of the reloaded history.
        """
        history = tuner.history
        if len(history) < self.written:
            get_logger().info(
                "HistoryWriter: the tuner's history has %d decisions, %d were written "
                "(reloaded from an earlier checkpoint?); writing restarts at decision %d",
                len(history),
                self.written,
                len(history),
            )
            self.written = len(history)
        new = list(history[self.written :])
        self.write(new)
        self.written = len(history)
        return new

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        if self.tensorboard is not None:
            self.tensorboard.flush()
            if self._owns_tb:
                self.tensorboard.close()

    def __enter__(self) -> HistoryWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
