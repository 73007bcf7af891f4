"""A new user without the optional packages: each command names the extra to install.

Each case runs the real command in a fresh interpreter in which the package is hidden by a
``sitecustomize`` module that sets ``sys.modules[name] = None`` (what an uninstalled package
looks like to ``import``): no traceback, a one-line error naming ``lrtuner[<extra>]``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(tmp_path: Path, hidden: tuple[str, ...], *argv: str) -> subprocess.CompletedProcess:
    block = tmp_path / "hide"
    block.mkdir(exist_ok=True)
    (block / "sitecustomize.py").write_text(
        "import sys\n" + "".join(f"sys.modules[{name!r}] = None\n" for name in hidden)
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(block), str(ROOT / "src"), str(ROOT / "bench" / "src")]
    )
    return subprocess.run(
        [sys.executable, *argv], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300
    )


def _history(tmp_path: Path) -> Path:
    path = tmp_path / "history.jsonl"
    record = {
        "step": 1, "phase": "explore", "lr_before": 0.1, "lr_after": 0.2, "decision": "accepted",
        "reason": "increase", "epsilons": [-0.05, 0.0, 0.1], "losses": [1.3, 1.25, 1.24],
        "coefficients": [1.25, -0.3, 1.8], "proposed_lr": 0.2,
    }  # fmt: skip
    path.write_text(json.dumps(record) + "\n")
    return path


def _assert_names_extra(proc: subprocess.CompletedProcess, extra: str, status: int) -> None:
    assert proc.returncode == status, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert f"pip install 'lrtuner[{extra}]'" in proc.stderr, proc.stderr


def test_sitecustomize_really_hides_the_package(tmp_path):
    proc = _run(tmp_path, ("matplotlib",), "-c", "import matplotlib")
    assert proc.returncode == 1 and "ModuleNotFoundError" in proc.stderr


def test_python_m_lrtuner_is_the_command(tmp_path):
    proc = _run(tmp_path, (), "-m", "lrtuner", "--help")
    assert proc.returncode == 0 and "usage: lrtuner" in proc.stdout and "plot" in proc.stdout


@pytest.mark.parametrize("extra_args", [(), ("--fit-step", "1")])
def test_lrtuner_plot_without_matplotlib(tmp_path, extra_args):
    history = _history(tmp_path)
    proc = _run(tmp_path, ("matplotlib",), "-m", "lrtuner", "plot", str(history), "-o", "a.png",
                *extra_args)  # fmt: skip
    _assert_names_extra(proc, "plot", 1)
    assert not (tmp_path / "a.png").exists()


def test_plotting_functions_without_matplotlib(tmp_path):
    code = (
        "from lrtuner import plotting\n"
        "try:\n"
        "    plotting.plot_lr_trace([])\n"
        "except ImportError as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    proc = _run(tmp_path, ("matplotlib",), "-c", code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("MissingExtraError lrtuner.plotting needs the 'matplotlib'")
    assert "lrtuner[plot]" in proc.stdout


def test_tensorboard_writer_without_tensorboard(tmp_path):
    code = (
        "from lrtuner.logging import HistoryWriter\n"
        "try:\n"
        "    HistoryWriter(None, tensorboard='tb')\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    proc = _run(tmp_path, ("tensorboard", "torch.utils.tensorboard"), "-c", code)
    assert proc.returncode == 0, proc.stderr
    assert "needs the 'tensorboard' package" in proc.stdout
    assert "lrtuner[tensorboard]" in proc.stdout


@pytest.mark.slow
def test_benchmark_commands_without_tqdm_and_matplotlib(tmp_path):
    pytest.importorskip("sklearn")
    out = str(tmp_path / "results")
    run = ("-m", "lrtuner_bench", "run", "--task", "digits-mlp", "--method", "baseline",
           "--seeds", "0", "--steps", "2", "--out", out)  # fmt: skip
    _assert_names_extra(_run(tmp_path, ("tqdm",), *run), "bench", 1)
    # without the progress bar and the report the run needs neither package
    proc = _run(tmp_path, ("tqdm", "matplotlib"), *run, "--no-progress", "--no-report")
    assert proc.returncode == 0, proc.stderr
    report = ("-m", "lrtuner_bench", "report", out)
    _assert_names_extra(_run(tmp_path, ("matplotlib",), *report), "plot", 1)
    _assert_names_extra(_run(tmp_path, ("matplotlib",), "-m", "lrtuner", "bench", "report", out),
                        "plot", 1)  # fmt: skip
    proc = _run(tmp_path, ("matplotlib",), *report, "--no-figures")
    assert proc.returncode == 0 and "report:" in proc.stdout, proc.stderr
