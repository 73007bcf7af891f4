"""Bench tests run single-threaded (as ``lrtuner-bench run`` does by default): on a shared
2-core machine a second intra-op thread costs far more than it gains."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
