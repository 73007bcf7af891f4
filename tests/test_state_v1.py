"""Checkpoints written by lrtuner 0.3.0 (tuner state version 1) still load and resume exactly.

``tests/data/tuner_state_v1.pt`` was written by 0.3.0 (``tests/data/make_tuner_state_v1.py``):
a digits run checkpointed in explore and in exploit (a rollback snapshot held), and what
0.3.0 did afterwards. Loading either checkpoint into today's tuner restores 0.3.0's state
exactly (step, LR, decision history), and training on runs 0.3.0's decision schedule (the same
steps, in the same phases) to the end with finite weights.

The resumed decisions themselves are not compared bit for bit: they reproduced 0.3.0 exactly
on the machines the earlier checks ran on, but on another CPU (an AMD EPYC, the same torch
2.13.0 build) the fits' last bits differ, a marginal accept/reject flips and the runs part.
A test of this file cannot tell a changed rule from a changed floating-point path, so it
asserts what does not depend on the arithmetic.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

DATA = Path(__file__).parent / "data"
sys.path.insert(0, str(DATA))

from make_tuner_state_v1 import build, trace, train  # noqa: E402


@pytest.fixture(scope="module")
def saved():
    return torch.load(DATA / "tuner_state_v1.pt", weights_only=False)


@pytest.fixture
def one_thread():
    """The file was written with one CPU thread; reductions depend on the thread count."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("stop", [40, 90])
def test_a_version_1_checkpoint_resumes_as_0_3_0_did(digits, saved, stop, one_thread):
    ckpt = saved["checkpoints"][stop]
    assert ckpt["tuner"]["lrtuner"]["version"] == 1
    # 0.3.0 had no cooldown and moved to the one-step minimum
    model, _, tuner, batches = build(
        digits, cooldown_share=0.0, horizon_factor=1.0, exploit_agreement=0
    )
    model.load_state_dict(ckpt["model"])
    tuner.load_state_dict(ckpt["tuner"])
    torch.set_rng_state(ckpt["rng"])
    assert tuner.stats.optimizer_steps == stop
    expected = saved["expected"]
    restored = trace(tuner)
    assert restored and restored == expected["history"][: len(restored)]  # 0.3.0's, exactly
    assert tuner.lr == restored[-1]["lr_after"]
    train(model, tuner, batches, stop, saved["total"])
    resumed = trace(tuner)
    schedule = [(r["step"], r["phase"]) for r in resumed]
    assert schedule == [(r["step"], r["phase"]) for r in expected["history"]]
    assert tuner.stats.optimizer_steps == expected["stats"]["optimizer_steps"]
    assert all(torch.isfinite(p).all() for p in model.parameters())
