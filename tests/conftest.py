"""Shared fixtures; the helpers live in ``digits_testbed`` (importable from any test folder)."""

from __future__ import annotations

import functools

import pytest
from digits_testbed import build_tuner, load_digits_tensors


@pytest.fixture(scope="session")
def digits():
    return load_digits_tensors()


@pytest.fixture
def make_tuner(digits):
    """``make_tuner(model, base, **options)``: the one way tests build an LRTuner on digits
    (:func:`digits_testbed.build_tuner`)."""
    return functools.partial(build_tuner, digits)
