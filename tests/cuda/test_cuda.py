"""LRTuner on a CUDA device: what only a GPU can show. Skipped without one.

- probes leave the CUDA RNG stream (dropout) and the BatchNorm buffers bitwise as they were;
- a checkpoint resumes bit for bit on CUDA (the CUDA RNG state saved with it);
- ``snapshot_device="cpu"``: a rollback from a host-side snapshot gives exactly what a device
  snapshot gives, step for step;
- the fused finite-gradient check on CUDA tensors of every floating dtype a gradient can have;
- bf16 autocast with a GradScaler and an injected inf: the step is skipped, nothing moves;
- ``torch.compile`` of the model with the tuner.

Data: scikit-learn's digits (offline), moved to the device.
"""

from __future__ import annotations

import copy
import functools
import math
import os

import pytest
import torch
import torch.nn.functional as F
from digits_testbed import DIGITS_OPTIMIZERS as OPTIMIZERS
from digits_testbed import BNDropoutNet, DigitsRun, make_batches
from digits_testbed import lr_trace as _trace

from lrtuner import LRTuner
from lrtuner.gradcheck import any_nonfinite

# cuBLAS is deterministic run to run only with a fixed workspace (set before its first use)
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
DEV = torch.device("cuda")
#: the shared digits harness, on the CUDA device.
Run = functools.partial(DigitsRun, device=DEV)


@pytest.fixture(scope="module")
def cuda_digits(digits):
    return tuple(t.to(DEV) for t in digits)


@pytest.fixture(autouse=True)
def _deterministic():
    before = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True, warn_only=True)
    yield
    torch.use_deterministic_algorithms(before)


def _buffers(model: torch.nn.Module) -> list[torch.Tensor]:
    return [b.detach().clone() for b in model.buffers()]


def _params_equal(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return all(torch.equal(sa[k], sb[k]) for k in sa)


def _accepted_change(tuner: LRTuner) -> int:
    steps = [
        r.step
        for r in tuner.history
        if r.decision == "accepted" and not r.reason.startswith("seed search")
    ]
    assert steps, "the run made no LR change to test against"
    return steps[0]


def test_probes_leave_the_cuda_rng_and_batchnorm_buffers_untouched(cuda_digits):
    run = Run(cuda_digits, recompute_every=3, superbatch=6, seed_search=False)
    probed = 0
    for x, y in run.batches[:30]:
        run.tuner.zero_grad()
        loss = F.cross_entropy(run.model(x), y)  # dropout draws from the CUDA RNG here
        loss.backward()
        rng, cpu_rng = torch.cuda.get_rng_state(DEV), torch.get_rng_state()
        buffers = _buffers(run.model)
        forwards = run.tuner.stats.probe_forward_passes
        run.tuner.step(loss=loss)
        probed += run.tuner.stats.probe_forward_passes > forwards
        assert torch.equal(torch.cuda.get_rng_state(DEV), rng)
        assert torch.equal(torch.get_rng_state(), cpu_rng)
        for before, after in zip(buffers, run.model.buffers(), strict=True):
            assert torch.equal(before, after)  # running mean/var and num_batches_tracked
    assert probed >= 5 and run.tuner.stats.fits >= 5


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("at", ["plain", "after_change"])
def test_checkpoint_resumes_bit_for_bit_on_cuda(cuda_digits, optimizer, at):
    reference = Run(cuda_digits, optimizer)
    total = 160
    reference.train(0, total)
    stop = _accepted_change(reference.tuner) + 3 if at == "after_change" else 37
    assert total - stop >= 50

    first = Run(cuda_digits, optimizer)
    first.train(0, stop)
    ckpt = first.checkpoint()
    del first
    resumed = Run(cuda_digits, optimizer)
    resumed.load(ckpt)
    resumed.train(stop, total)

    assert _trace(resumed.tuner) == _trace(reference.tuner)
    assert resumed.tuner.lr == reference.tuner.lr
    assert _params_equal(resumed.model, reference.model)
    for sa, sb in zip(resumed.base.state.values(), reference.base.state.values(), strict=True):
        for k in sa:
            assert torch.equal(torch.as_tensor(sa[k]), torch.as_tensor(sb[k]))


def test_snapshot_on_the_host_rolls_back_exactly_as_on_the_device(cuda_digits):
    probe = Run(cuda_digits)
    probe.train(0, 120)
    inject = _accepted_change(probe.tuner) + 2  # the change is not judged yet: snapshot held
    device_run, host_run = Run(cuda_digits), Run(cuda_digits, snapshot_device="cpu")
    nan = torch.tensor(math.nan, device=DEV)
    for i in range(120):
        for run in (device_run, host_run):
            if i == inject:
                before = copy.deepcopy(run.model.state_dict())
                run.tuner.zero_grad()
                run.tuner.step(loss=nan)  # a non-finite loss: the pending change is undone
                assert not all(torch.equal(before[k], v) for k, v in run.model.state_dict().items())
            run.train(i, i + 1)
        assert _params_equal(device_run.model, host_run.model), f"step {i}"
    assert _trace(device_run.tuner) == _trace(host_run.tuner)
    assert any(r.decision == "rolled_back" for r in host_run.tuner.history)
    assert host_run.tuner.stats.rollbacks == device_run.tuner.stats.rollbacks >= 1


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_fused_finite_check_on_cuda_dtypes(dtype):
    gen = torch.Generator(device=DEV).manual_seed(0)
    shapes = [(1000,), (3, 77), (2**20 + 3,)]  # the last spans many chunks of the fused kernel
    grads = [torch.randn(s, generator=gen, device=DEV).to(dtype) for s in shapes]
    grads.append(torch.randn(64, 32, generator=gen, device=DEV).to(dtype).t())  # non-contiguous
    bits = [g.clone() for g in grads]
    assert any_nonfinite(grads) is False
    big = torch.finfo(dtype).max
    assert any_nonfinite([torch.full((4096,), big, dtype=dtype, device=DEV)]) is False
    assert any_nonfinite([]) is False
    for value in (math.inf, -math.inf, math.nan):
        for which, index in ((0, 0), (2, 2**20 + 2), (3, (31, 63))):
            bad = [g.clone() for g in grads]
            bad[which][index] = value
            assert any_nonfinite(bad) is True, (value, which)
    for a, b in zip(grads, bits, strict=True):
        assert torch.equal(a, b)  # the check leaves the values as they are


def test_bf16_autocast_with_a_grad_scaler_skips_the_step_with_an_inf(cuda_digits):
    xtr, ytr, xte, yte = cuda_digits
    torch.manual_seed(0)
    model = BNDropoutNet().to(DEV)
    base = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

    def loss_of(batch):
        with torch.autocast("cuda", dtype=torch.bfloat16):
            return F.cross_entropy(model(batch[0]).float(), batch[1])

    tuner = LRTuner(base, loss_of, make_batches(xtr, ytr, 64, seed=1), model=model, total_steps=80)
    scaler = torch.amp.GradScaler("cuda", init_scale=2.0**12)
    batches = [b for ep in range(2) for b in make_batches(xtr, ytr, 32, seed=ep)][:80]
    first = None
    for i, batch in enumerate(batches):
        tuner.zero_grad()
        loss = loss_of(batch)
        first = float(loss) if first is None else first
        scaler.scale(loss).backward()
        if i == 40:
            next(model.parameters()).grad.view(-1)[5] = math.inf
            params, scale = copy.deepcopy(model.state_dict()), scaler.get_scale()
            skipped = tuner.stats.skipped_steps
        tuner.step(loss=loss, grad_scaler=scaler)
        scaler.update()
        if i == 40:
            moved = [
                k
                for k, v in model.state_dict().items()
                if not k.startswith("bn.") and not torch.equal(params[k], v)
            ]
            assert not moved  # weights as they were (BatchNorm statistics move in forward)
            assert scaler.get_scale() == scale / 2
            assert tuner.stats.skipped_steps == skipped + 1
            assert "GradScaler" in tuner.history[-1].reason
    assert math.isfinite(tuner.lr) and tuner.lr > 0
    model.eval()
    with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16):
        accuracy = (model(xte).argmax(1) == yte).float().mean().item()
    assert accuracy > 0.8 and float(loss) < first


def test_torch_compile_of_the_model_with_the_tuner(cuda_digits):
    xtr, ytr, xte, yte = cuda_digits
    torch.manual_seed(0)
    model = BNDropoutNet().to(DEV)
    compiled = torch.compile(model)
    base = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    tuner = LRTuner(
        base,
        lambda b: F.cross_entropy(compiled(b[0]), b[1]),
        make_batches(xtr, ytr, 64, seed=1),
        model=compiled,
        total_steps=120,
        recompute_every=10,
        superbatch=8,
    )
    batches = [b for ep in range(3) for b in make_batches(xtr, ytr, 32, seed=ep)][:120]
    losses = []
    for x, y in batches:
        tuner.zero_grad()
        loss = F.cross_entropy(compiled(x), y)
        loss.backward()
        buffers, fits = _buffers(model), tuner.stats.fits
        tuner.step(loss=loss)
        losses.append(float(loss))
        if tuner.stats.fits > fits:  # a fit's probes ran through the compiled model
            for before, after in zip(buffers, model.buffers(), strict=True):
                assert torch.equal(before, after)
    assert tuner.stats.fits >= 3 and tuner.stats.probe_forward_passes > 0
    assert math.isfinite(tuner.lr) and tuner.lr > 0
    assert sum(losses[-10:]) < sum(losses[:10])
    compiled.eval()
    with torch.no_grad():
        accuracy = (compiled(xte).argmax(1) == yte).float().mean().item()
    assert accuracy > 0.8
