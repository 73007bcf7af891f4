"""Shared fixtures; the helpers live in ``digits_testbed`` (importable from any test folder)."""

from __future__ import annotations

import pytest
from digits_testbed import load_digits_tensors


@pytest.fixture(scope="session")
def digits():
    return load_digits_tensors()
