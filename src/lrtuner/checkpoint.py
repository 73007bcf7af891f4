"""Crash-safe checkpoint files.

A process killed while ``torch.save`` writes to the checkpoint path leaves a truncated file,
and the run can no longer resume. :func:`save_atomic` writes to a temporary file in the same
directory, flushes it to disk, and renames it over the target: the path always holds either
the previous complete checkpoint or the new complete one.

Example::

    from lrtuner.checkpoint import save_atomic

    if step % 1000 == 0:
        save_atomic({"model": model.state_dict(), "optimizer": tuner.state_dict(),
                     "rng": torch.get_rng_state(), "step": step}, "ckpt.pt")
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import Any

import torch

TMP_SUFFIX = ".tmp"


def _fsync_directory(directory: str) -> None:
    """Make a rename in ``directory`` durable (POSIX; a no-op where directories can't be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save_atomic(obj: Any, path: str | os.PathLike[str]) -> None:
    """``torch.save(obj, path)`` that never leaves a partial file at ``path``.

    The object is written to a temporary file next to ``path`` (same filesystem, so the
    rename is atomic), flushed and ``fsync``-ed, then ``os.replace``-d onto ``path``, and the
    directory is ``fsync``-ed. If writing fails the temporary file is removed and ``path`` is
    untouched; if the process is killed, at worst a stray ``.<name>.*.tmp`` file remains next
    to an intact ``path``.

    Raises ``ValueError`` if ``path`` names a directory or a missing directory.
    """
    target = os.path.abspath(os.fspath(path))
    directory, name = os.path.split(target)
    if not name or os.path.isdir(target):
        raise ValueError(f"Invalid path: {os.fspath(path)!r} is a directory")
    if not os.path.isdir(directory):
        raise ValueError(f"Invalid path: {os.fspath(path)!r} (directory {directory!r} missing)")
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=TMP_SUFFIX, dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)
