"""Crash and resume: SIGKILL a training process anywhere; the resumed run is bitwise the same.

Also tests :func:`lrtuner.checkpoint.save_atomic`: a kill or an error while writing never
leaves a corrupt checkpoint.
"""

from __future__ import annotations

import io
import os
import random
import signal
import subprocess
import sys
import textwrap
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import crash_train
import pytest
import torch

from lrtuner import checkpoint
from lrtuner.checkpoint import save_atomic

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "crash_train.py"
STEPS = 50
EVERY = 7


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = "1"
    return env


def _run_to_end(out: Path, digits, resume: bool = False) -> None:
    """The same run in this process (one thread, as the script), to the end."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with redirect_stdout(io.StringIO()):
            crash_train.train(str(out), STEPS, EVERY, resume, digits[0], digits[1])
    finally:
        torch.set_num_threads(threads)


def _run_and_kill(out: Path, data: Path, kill_after: int, resume: bool = False) -> None:
    """Start the script and SIGKILL it once it has printed ``step kill_after``."""
    cmd = [sys.executable, str(SCRIPT), str(out), "--steps", str(STEPS), "--every", str(EVERY),
           "--data", str(data)]
    proc = subprocess.Popen([*cmd, *(["--resume"] if resume else [])], env=_env(),
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            if int(line.split()[1]) >= kill_after:
                proc.send_signal(signal.SIGKILL)
                break
    finally:
        proc.stdout.close()
        proc.wait(timeout=300)
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"


def _same(a: Any, b: Any) -> None:
    if isinstance(a, torch.Tensor):
        assert a.dtype == b.dtype and torch.equal(a, b)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    else:
        assert a == b


def test_sigkill_anywhere_then_resume_reproduces_the_run(tmp_path, digits):
    """Killed twice (the second time after resuming), resumed: bitwise the uninterrupted run.

    The killed runs are subprocesses; the reference and the last resume run in this process
    (same code, one thread), which also shows the checkpoint is portable across processes.
    """
    ref_dir, crash_dir = tmp_path / "ref", tmp_path / "crash"
    ref_dir.mkdir()
    crash_dir.mkdir()
    data = tmp_path / "digits.pt"
    torch.save((digits[0], digits[1]), data)
    _run_to_end(ref_dir, digits)
    rng = random.Random(6)
    first = rng.randrange(EVERY + 1, STEPS // 2)  # after at least one checkpoint
    second = rng.randrange(first + EVERY, STEPS - 2)
    _run_and_kill(crash_dir, data, first)
    _run_and_kill(crash_dir, data, second, resume=True)  # killed again after resuming
    _run_to_end(crash_dir, digits, resume=True)
    ref = torch.load(ref_dir / "final.pt", weights_only=False)
    got = torch.load(crash_dir / "final.pt", weights_only=False)
    assert got["lrs"] == ref["lrs"] and len(ref["lrs"]) == STEPS
    assert len(set(ref["lrs"])) > 1  # the LR did move: the history is not trivial
    _same(got["history"], ref["history"])
    _same(got["params"], ref["params"])
    _same(got["buffers"], ref["buffers"])
    _same(got["optimizer"], ref["optimizer"])


# ------------------------------------------------------------------ save_atomic
def test_save_atomic_round_trip_leaves_no_temp_file(tmp_path):
    path = tmp_path / "ckpt.pt"
    save_atomic({"x": torch.arange(5)}, path)
    save_atomic({"x": torch.arange(7)}, str(path))
    assert torch.equal(torch.load(path)["x"], torch.arange(7))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt"]


def test_save_atomic_error_mid_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    save_atomic({"v": 1}, path)

    def broken_save(obj: Any, f: Any) -> None:
        f.write(b"partial bytes")
        raise OSError("No space left on device (simulated)")

    monkeypatch.setattr(checkpoint.torch, "save", broken_save)
    with pytest.raises(OSError, match="No space"):
        save_atomic({"v": 2}, path)
    monkeypatch.undo()
    assert torch.load(path) == {"v": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt"]


@pytest.mark.parametrize("bad", ["", "missing_dir/ckpt.pt"])
def test_save_atomic_rejects_a_bad_path(tmp_path, bad):
    with pytest.raises(ValueError, match="Invalid path"):
        save_atomic({}, tmp_path / bad if bad else tmp_path)


WRITER = textwrap.dedent(
    """
    import sys, torch
    from lrtuner.checkpoint import save_atomic
    path = sys.argv[1]
    i = 0
    while True:
        i += 1
        save_atomic({"i": i, "w": torch.full((1_000_000,), float(i))}, path)
        print(i, flush=True)
    """
)


@pytest.mark.parametrize("kill_after", [2, 7])
def test_sigkill_during_writes_never_corrupts_the_checkpoint(tmp_path, kill_after):
    """Writes back to back, killed at whatever point it is in: the file is whole."""
    path = tmp_path / "ckpt.pt"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], env=_env(),
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if int(line) >= kill_after:
            proc.send_signal(signal.SIGKILL)  # most likely in the middle of the next write
            break
    proc.stdout.close()
    proc.wait(timeout=60)
    state = torch.load(path)
    assert state["i"] >= kill_after
    assert torch.equal(state["w"], torch.full((1_000_000,), float(state["i"])))
