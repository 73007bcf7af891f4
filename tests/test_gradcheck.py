"""The per-step finite-gradient check: every element tested, values untouched, both paths."""

from __future__ import annotations

import pytest
import torch

from lrtuner import gradcheck

DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16]


@pytest.fixture(params=["fused", "norm"])
def path(request, monkeypatch):
    """Run each test through the fused kernel and through the norm fallback."""
    if request.param == "norm":
        monkeypatch.setattr(gradcheck, "_fused_nonfinite", lambda grads: None)
    else:
        monkeypatch.setattr(gradcheck, "_norm_nonfinite", lambda grads: pytest.fail("fallback"))
    return request.param


def _grads(dtype: torch.dtype) -> list[torch.Tensor]:
    big = 30000.0 if dtype == torch.float16 else 1e30
    return [
        torch.tensor([1.0, -0.0, 2.5, -3.0], dtype=dtype),
        torch.full((16,), big, dtype=dtype),  # finite; its L2 norm overflows float16
        torch.tensor([[torch.finfo(dtype).tiny / 4]], dtype=dtype),  # subnormal
    ]


@pytest.mark.parametrize("dtype", DTYPES)
def test_finite_gradients_pass_and_keep_their_bits(path, dtype):
    grads = _grads(dtype)
    before = [g.clone() for g in grads]
    assert gradcheck.any_nonfinite(grads) is False
    for g, b in zip(grads, before, strict=True):
        assert torch.equal(g, b) and torch.equal(g.signbit(), b.signbit())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
@pytest.mark.parametrize("where", [0, 1, 2])
def test_any_nan_or_inf_anywhere_is_found(path, dtype, bad, where):
    grads = _grads(dtype)
    grads[where].view(-1)[-1] = bad
    assert gradcheck.any_nonfinite(grads) is True


def test_empty_list_is_finite(path):
    assert gradcheck.any_nonfinite([]) is False


def test_a_gradient_the_kernel_cannot_write_falls_back_for_that_call_only():
    expanded = torch.ones(1).expand(4)  # in-place writes to it are refused
    assert gradcheck.any_nonfinite([expanded]) is False
    assert gradcheck.any_nonfinite([torch.tensor([1.0, float("nan")]).expand(2, 2)]) is True
    assert ("cpu", torch.float32) not in gradcheck._FUSED_UNAVAILABLE
    assert gradcheck._fused_nonfinite([torch.tensor([1.0, float("inf")])]) is True
