"""Misuse and fault cases tried against the current library; the table in docs/reliability.md.

Each case does one thing a user might do (bad input, an edited checkpoint, a scheduler next to
the tuner, pickling, optimizer hooks, an unusual optimizer or dtype...) on a small real model
(scikit-learn's digits), observes what the library does, and compares it with the expected
behaviour written next to the case. The verdict is measured, never typed:

- ``ok``: the expected behaviour (a clear error naming the argument, or correct training);
- ``bug``: state is lost, corrupted or silently wrong;
- ``poor``: it fails late, with a message that does not say what is wrong, or silently
  defeats tuning.

Regenerate the table (and print the counts)::

    PYTHONPATH=src python tests/reliability/misuse_cases.py --write   # rewrites the docs table
    PYTHONPATH=src python tests/reliability/misuse_cases.py           # prints it only
    PYTHONPATH=src python tests/reliability/misuse_cases.py --only pickle,hooks

``--check`` exits 1 when the table in the docs differs from what the library does now.
"""

from __future__ import annotations

import argparse
import copy
import io
import math
import pickle
import re
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # digits_testbed

from digits_testbed import load_digits_tensors, make_batches  # noqa: E402

from lrtuner import LRTuner  # noqa: E402

DOC = HERE.parents[1] / "docs" / "reliability.md"
START, END = "<!-- misuse-table:start -->", "<!-- misuse-table:end -->"
VERDICTS = ("ok", "bug", "poor")

torch.set_num_threads(1)
X, Y, _, _ = load_digits_tensors()
TRAIN = make_batches(X, Y, 32, seed=0)
PROBE = make_batches(X, Y, 64, seed=1)
FAST = {"recompute_every": 5, "superbatch": 4, "min_superbatch": 2, "total_steps": 60}


# ---------------------------------------------------------------------- outcomes
@dataclass(frozen=True)
class Outcome:
    verdict: str
    observed: str


def ok(text: str) -> Outcome:
    return Outcome("ok", text)


def bad(kind: str, text: str) -> Outcome:
    assert kind in ("bug", "poor"), kind
    return Outcome(kind, text)


def describe(exc: BaseException) -> str:
    """``Type: first line of the message``, short, without memory addresses."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    text = re.sub(r" at 0x[0-9a-f]+", "", text)
    text = f"{type(exc).__name__}: {text}"
    return text if len(text) <= 150 else text[:147] + "..."


@dataclass(frozen=True)
class Case:
    area: str
    name: str
    expected: str
    run: Callable[[], Outcome]
    issue: str = ""  # e.g. "bug 3" or "poor 1": an item of issue 14 (fixed in the tuner core)


CASES: list[Case] = []


def case(area: str, name: str, expected: str, issue: str = "") -> Callable:
    def register(fn: Callable[[], Outcome]) -> Callable[[], Outcome]:
        CASES.append(Case(area, name, expected, fn, issue))
        return fn

    return register


# ---------------------------------------------------------------------- a small real setup
class Net(nn.Module):
    def __init__(self, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        self.fc1 = nn.Linear(64, 32, dtype=dtype)
        self.fc2 = nn.Linear(32, 10, dtype=dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.relu(self.fc1(x.to(self.fc1.weight.dtype))))


@dataclass
class Env:
    model: nn.Module
    base: torch.optim.Optimizer
    tuner: LRTuner


def default_loss(model: nn.Module) -> Callable[[Any], torch.Tensor]:
    return lambda b: F.cross_entropy(model(b[0]).float(), b[1])


def make(
    optimizer: Callable[[Any], torch.optim.Optimizer] | None = None,
    *,
    model: nn.Module | None = None,
    probe_loss: Callable[[nn.Module], Callable[[Any], Any]] | None = None,
    probe_data: Any = PROBE,
    **kwargs: Any,
) -> Env:
    torch.manual_seed(0)
    model = model if model is not None else Net()
    factory = optimizer or (lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9))
    base = factory(model.parameters())
    settings = {**FAST, **kwargs}
    loss = (probe_loss or default_loss)(model)
    tuner = LRTuner(base, probe_loss=loss, probe_data=probe_data, model=model, **settings)
    return Env(model, base, tuner)


def train(env: Env, steps: int, *, feed_loss: bool = True, start: int = 0) -> None:
    for i in range(start, start + steps):
        x, y = TRAIN[i % len(TRAIN)]
        env.tuner.zero_grad()
        loss = F.cross_entropy(env.model(x).float(), y)
        loss.backward()
        if feed_loss:
            env.tuner.step(loss=loss)
        else:
            env.tuner.step()


def finite_params(model: nn.Module) -> bool:
    return all(bool(torch.isfinite(p).all()) for p in model.parameters())


def until_snapshot(env: Env, limit: int = 200) -> int:
    """Train until the tuner holds a rollback snapshot (an accepted change being judged)."""
    for i in range(limit):
        train(env, 1, start=i)
        if env.tuner._snapshot is not None:
            return i + 1
    raise RuntimeError("no snapshot was taken")


def snapshot_env(**kwargs: Any) -> Env:
    """A tuner that holds a snapshot: a 100x small seed LR, no seed search, explore raises it."""
    env = make(
        lambda p: torch.optim.SGD(p, lr=1e-4, momentum=0.9),
        seed_search=False,
        total_steps=400,
        explore_steps=200,
        **kwargs,
    )
    until_snapshot(env)
    return env


def recorded(fn: Callable[[], Any]) -> tuple[Any, BaseException | None, list[str]]:
    """``(result, exception, warning messages)`` of ``fn()``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result, error = fn(), None
        except Exception as exc:
            result, error = None, exc
    return result, error, [str(w.message) for w in caught]


def refused(fn: Callable[[], Any], *names: str, kind: str = "poor") -> Outcome:
    """Expect a ``ValueError``/``TypeError`` whose message names each of ``names``."""
    _, error, _ = recorded(fn)
    if error is None:
        return bad(kind, "accepted silently")
    if isinstance(error, (ValueError, TypeError)) and all(n in str(error) for n in names):
        return ok(describe(error))
    return bad(kind, describe(error))


def accepted(fn: Callable[[], Any], kind: str = "poor") -> Outcome:
    """Expect ``fn()`` to run without an exception."""
    _, error, _ = recorded(fn)
    return ok("accepted") if error is None else bad(kind, describe(error))


def trains(build: Callable[[], Env], steps: int = 40, **train_kwargs: Any) -> Outcome:
    """Expect training to run with finite weights and decisions that are not all skipped;
    a clear ``ValueError``/``TypeError`` at construction is accepted as a refusal."""
    env, error, _ = recorded(build)
    if error is not None:
        if isinstance(error, (ValueError, TypeError)):
            return ok(f"refused at construction: {describe(error)}")
        return bad("poor", f"at construction: {describe(error)}")
    _, error, _messages = recorded(lambda: train(env, steps, **train_kwargs))
    done = env.tuner.stats.optimizer_steps
    if error is not None:
        return bad("poor", f"fails after {done} steps: {describe(error)}")
    if not finite_params(env.model):
        return bad("bug", f"weights not finite after {steps} steps")
    history = env.tuner.history
    if history and all(r.decision == "skipped" for r in history):
        return bad("poor", f"every decision skipped: {history[0].reason[:90]}")
    moved = "LR moved" if env.tuner.lr != env.base.defaults.get("lr") else "LR kept"
    fits = env.tuner.stats.fits
    return ok(f"trains: {done} steps, {len(history)} decisions, {fits} fits, {moved}")


# ====================================================================== bad input at construction
@case("construction", "optimizer is a list of parameters", "ValueError naming optimizer")
def _c1() -> Outcome:
    model = Net()
    return refused(
        lambda: LRTuner(list(model.parameters()), probe_loss=len, probe_data=PROBE), "optimizer"
    )


@case("construction", "optimizer is already an LRTuner", "ValueError")
def _c2() -> Outcome:
    env = make()
    return refused(lambda: LRTuner(env.tuner, probe_loss=len, probe_data=PROBE), "LRTuner")


@case("construction", "probe_loss is not callable", "ValueError naming probe_loss")
def _c3() -> Outcome:
    return refused(lambda: make(probe_loss=lambda m: 3.0), "probe_loss")


for _name, _kwargs, _arg in [
    ("total_steps=0", {"total_steps": 0}, "total_steps"),
    ("total_steps=-5", {"total_steps": -5}, "total_steps"),
    ("total_steps=100.0 (a float)", {"total_steps": 100.0}, "total_steps"),
    ("superbatch=0", {"superbatch": 0}, "superbatch"),
    ("min_superbatch=1", {"min_superbatch": 1}, "min_superbatch"),
    ("num_probes=2", {"num_probes": 2}, "num_probes"),
    ("recompute_every=0", {"recompute_every": 0}, "recompute_every"),
    ("explore_steps=-1", {"explore_steps": -1}, "explore_steps"),
    ("probe_budget=0", {"probe_budget": 0.0}, "probe_budget"),
    ("probe_budget=nan", {"probe_budget": float("nan")}, "probe_budget"),
    ("max_lr_factor=1", {"max_lr_factor": 1.0}, "max_lr_factor"),
    ("epsilon_threshold=-1", {"epsilon_threshold": -1.0}, "epsilon_threshold"),
    ("saturation_threshold=inf", {"saturation_threshold": float("inf")}, "saturation_threshold"),
    ("fit_tolerance='0.25' (a str)", {"fit_tolerance": "0.25"}, "fit_tolerance"),
    ("probe_errors='ignore'", {"probe_errors": "ignore"}, "probe_errors"),
    ("seed_search='yes'", {"seed_search": "yes"}, "seed_search"),
    ("seed=1.5", {"seed": 1.5}, "seed"),
]:
    case("construction", _name, f"ValueError naming {_arg}")(
        lambda _kwargs=_kwargs, _arg=_arg: refused(lambda: make(**_kwargs), _arg)
    )


@case("construction", "total_steps=np.int64(100)", "accepted (numbers.Integral)", "poor 7")
def _c_np_total() -> Outcome:
    return accepted(lambda: make(total_steps=np.int64(100)))


@case("construction", "seed=np.int64(3)", "accepted (numbers.Integral)", "poor 7")
def _c_np_seed() -> Outcome:
    return accepted(lambda: make(seed=np.int64(3)))


@case("construction", "snapshot_device='bogus'", "ValueError at construction", "poor 5")
def _c_bogus_device() -> Outcome:
    return refused(lambda: make(snapshot_device="bogus"), "snapshot_device")


@case(
    "construction",
    "snapshot_device='cuda' on a machine without CUDA",
    "ValueError at construction",
    "poor 5",
)
def _c_cuda_device() -> Outcome:
    if torch.cuda.is_available():
        return ok("not applicable: CUDA is available here")
    return refused(lambda: make(snapshot_device="cuda"), "snapshot_device")


@case("construction", "param_groups[0]['lr'] = 0", "ValueError naming the learning rate")
def _c_lr0() -> Outcome:
    return refused(lambda: make(lambda p: torch.optim.SGD(p, lr=0.0)), "learning rate")


@case("construction", "param_groups[0]['lr'] = nan", "ValueError naming the learning rate")
def _c_lrnan() -> Outcome:
    return refused(lambda: make(lambda p: torch.optim.SGD(p, lr=float("nan"))), "learning rate")


@case("construction", "a second param group with lr = -0.1", "ValueError naming the group")
def _c_lrneg() -> Outcome:
    def two_groups(params: Any) -> torch.optim.Optimizer:
        params = list(params)
        opt = torch.optim.SGD(params[:2], lr=0.01)
        opt.add_param_group({"params": params[2:], "lr": 0.01})
        opt.param_groups[1]["lr"] = -0.1
        return opt

    return refused(lambda: make(two_groups), "param_groups[1]")


@case("construction", "model='net' (not a Module)", "ValueError naming model")
def _c_model() -> Outcome:
    model = Net()
    base = torch.optim.SGD(model.parameters(), lr=0.01)
    return refused(
        lambda: LRTuner(base, probe_loss=default_loss(model), probe_data=PROBE, model=["net"]),
        "model",
    )


@case("construction", "probe_data=None", "ValueError naming probe_data at construction")
def _c_probe_none() -> Outcome:
    return refused(lambda: make(probe_data=None), "probe_data")


@case(
    "construction",
    "probe_data is a one-pass generator",
    "ValueError (needs a re-iterable), or probes that keep working",
)
def _c_probe_gen() -> Outcome:
    build = lambda: make(probe_data=(b for b in PROBE))  # noqa: E731
    env, error, _ = recorded(build)
    if error is not None:
        return refused(build, "probe_data")
    _, error, _ = recorded(lambda: train(env, 60))
    if error is not None:
        return bad("poor", f"fails in training: {describe(error)}")
    skipped = [r for r in env.tuner.history if r.decision == "skipped" and "yielded" in r.reason]
    if skipped:
        return bad("poor", f"accepted; later decisions skipped: {skipped[0].reason[:80]}")
    return ok(f"accepted; {env.tuner.stats.fits} fits")


@case("construction", "probe_data=[] (empty)", "decisions recorded as skipped, training goes on")
def _c_probe_empty() -> Outcome:
    env, error, _ = recorded(lambda: make(probe_data=[]))
    if error is not None:
        return ok(f"refused at construction: {describe(error)}")
    _, error, _ = recorded(lambda: train(env, 12))
    if error is not None:
        return bad("poor", describe(error))
    reasons = {r.reason for r in env.tuner.history}
    return ok(f"skipped: {sorted(reasons)[0][:80]}") if reasons else bad("poor", "no record")


# ====================================================================== optimizer varieties
@case("optimizers", "LBFGS", "ValueError at construction", "poor 4")
def _o_lbfgs() -> Outcome:
    env, error, _ = recorded(lambda: make(lambda p: torch.optim.LBFGS(p, lr=0.1)))
    if error is not None:
        return refused(lambda: make(lambda p: torch.optim.LBFGS(p, lr=0.1)), "LBFGS")
    _, error, _ = recorded(lambda: train(env, 2))
    if error is not None:
        return bad("poor", f"accepted; first step: {describe(error)}")
    return ok("accepted and trains")


for _name, _factory in [
    ("SGD foreach=True", lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, foreach=True)),
    ("SGD foreach=False", lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, foreach=False)),
    ("SGD nesterov", lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, nesterov=True)),
    ("Adam fused=True (CPU)", lambda p: torch.optim.Adam(p, lr=1e-3, fused=True)),
    ("AdamW foreach=True", lambda p: torch.optim.AdamW(p, lr=1e-3, foreach=True)),
    ("Adam amsgrad", lambda p: torch.optim.Adam(p, lr=1e-3, amsgrad=True)),
    ("Adagrad", lambda p: torch.optim.Adagrad(p, lr=0.01)),
    ("RMSprop", lambda p: torch.optim.RMSprop(p, lr=1e-3)),
    ("NAdam", lambda p: torch.optim.NAdam(p, lr=1e-3)),
    ("RAdam", lambda p: torch.optim.RAdam(p, lr=1e-3)),
    ("Adamax", lambda p: torch.optim.Adamax(p, lr=1e-3)),
    ("Rprop", lambda p: torch.optim.Rprop(p, lr=1e-3)),
    ("Adam with lr a tensor", lambda p: torch.optim.Adam(p, lr=torch.tensor(1e-3))),
]:
    case("optimizers", _name, "trains, finite weights, decisions made")(
        lambda _factory=_factory: trains(lambda: make(_factory))
    )


class EmbedNet(nn.Module):
    def __init__(self, sparse: bool) -> None:
        super().__init__()
        self.emb = nn.Embedding(17, 8, sparse=sparse)
        self.out = nn.Linear(8 * 64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = (x * 16).round().long().clamp(0, 16)
        return self.out(self.emb(tokens).flatten(1))


@case("optimizers", "SparseAdam on a sparse Embedding", "trains, or a clear refusal")
def _o_sparse_adam() -> Outcome:
    def build() -> Env:
        model = EmbedNet(sparse=True)
        return make(lambda p: torch.optim.SparseAdam(list(model.emb.parameters()), lr=1e-2),
                    model=model)  # fmt: skip

    return trains(build, steps=20)


@case("optimizers", "SGD on sparse Embedding gradients", "trains, or a clear refusal")
def _o_sparse_sgd() -> Outcome:
    return trains(lambda: make(model=EmbedNet(sparse=True)), steps=20)


@case("optimizers", "closure-only: step(closure)", "trains; the closure's loss is used")
def _o_closure() -> Outcome:
    env = make()

    def run() -> None:
        for i in range(40):
            x, y = TRAIN[i]

            def closure(x: torch.Tensor = x, y: torch.Tensor = y) -> torch.Tensor:
                env.tuner.zero_grad()
                loss = F.cross_entropy(env.model(x), y)
                loss.backward()
                return loss

            env.tuner.step(closure)

    _, error, _ = recorded(run)
    if error is not None:
        return bad("poor", describe(error))
    rates = [r.drop_rate for r in env.tuner.history if r.drop_rate is not None]
    if not rates:
        return bad("poor", "trains, but no decision measured a loss-drop rate")
    return ok(f"trains; {len(rates)} decisions measured a drop rate from the closure's loss")


@case("optimizers", "an Optimizer subclass without 'lr'", "ValueError naming lr")
def _o_no_lr() -> Outcome:
    class NoLR(torch.optim.Optimizer):
        def __init__(self, params: Any) -> None:
            super().__init__(params, {"scale": 0.01})

        def step(self, closure: Any = None) -> None:
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.data.add_(p.grad, alpha=-group["scale"])

    return refused(lambda: make(NoLR), "lr")


# ====================================================================== dtypes and loss values
@case("dtypes", "float64 model", "trains")
def _d_f64() -> Outcome:
    return trains(lambda: make(model=Net(torch.float64)))


@case("dtypes", "bfloat16 model", "trains")
def _d_bf16() -> Outcome:
    return trains(lambda: make(model=Net(torch.bfloat16)))


@case("dtypes", "float16 model (CPU)", "trains")
def _d_f16() -> Outcome:
    return trains(lambda: make(model=Net(torch.float16)))


@case("dtypes", "complex parameters (Adam)", "trains, or a clear refusal")
def _d_complex() -> Outcome:
    class ComplexNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.randn(64, 10, dtype=torch.complex64) * 0.1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return (x.to(torch.complex64) @ self.w).abs()

    return trains(lambda: make(lambda p: torch.optim.Adam(p, lr=1e-3), model=ComplexNet()))


@case("dtypes", "probe_loss returns a float64 tensor", "trains")
def _d_probe_f64() -> Outcome:
    return trains(lambda: make(probe_loss=lambda m: lambda b: default_loss(m)(b).double()))


def _probe_returns(convert: Callable[[torch.Tensor], Any]) -> Outcome:
    env = make(probe_loss=lambda m: lambda b: convert(default_loss(m)(b)))
    _, error, _messages = recorded(lambda: train(env, 30))
    if error is not None:
        if "probe_loss" in str(error):
            return ok(f"at the first probe: {describe(error)}")
        return bad("poor", describe(error))
    if env.tuner.stats.fits > 0:
        return ok(f"used: {env.tuner.stats.fits} fits")
    skipped = [r for r in env.tuner.history if r.decision == "skipped"]
    what = skipped[0].reason[:100] if skipped else "no fit"
    return bad("poor", f"every probe skipped: {what}")


@case("loss values", "probe_loss returns a Python float", "a float used, or an error naming "
      "probe_loss at the first probe", "poor 1")  # fmt: skip
def _l_float() -> Outcome:
    return _probe_returns(lambda t: float(t))


@case("loss values", "probe_loss returns None", "error naming probe_loss at the first probe",
      "poor 1")  # fmt: skip
def _l_none() -> Outcome:
    return _probe_returns(lambda t: None)


@case("loss values", "probe_loss returns a numpy float", "used, or an error naming probe_loss",
      "poor 1")  # fmt: skip
def _l_numpy() -> Outcome:
    return _probe_returns(lambda t: np.float32(t.item()))


@case("loss values", "probe_loss returns per-sample losses (reduction='none')",
      "error naming probe_loss and the shape at the first probe", "poor 1")  # fmt: skip
def _l_per_sample() -> Outcome:
    env = make(probe_loss=lambda m: lambda b: F.cross_entropy(m(b[0]), b[1], reduction="none"))
    _, error, _ = recorded(lambda: train(env, 30))
    if error is not None and "probe_loss" in str(error):
        return ok(f"at the first probe: {describe(error)}")
    if error is not None:
        return bad("poor", describe(error))
    skipped = [r for r in env.tuner.history if r.decision == "skipped"]
    if env.tuner.stats.fits == 0 and skipped:
        return bad("poor", f"every probe skipped: {skipped[0].reason[:100]}")
    return bad("poor", f"accepted silently ({env.tuner.stats.fits} fits)")


@case("loss values", "probe_loss raises", "state restored, decision skipped, UserWarning")
def _l_raises() -> Outcome:
    def boom(m: nn.Module) -> Callable[[Any], torch.Tensor]:
        def f(b: Any) -> torch.Tensor:
            raise RuntimeError("out of memory (simulated)")

        return f

    env = make(probe_loss=boom)
    _, error, messages = recorded(lambda: train(env, 12))
    if error is not None:
        return bad("poor", describe(error))
    if any("probe_loss raised" in m for m in messages) and finite_params(env.model):
        return ok(f"skipped with a warning: {env.tuner.history[0].reason[:70]}")
    return bad("poor", "no warning")


@case("loss values", "step(loss=<Python float>)", "used for the drop rate")
def _l_step_float() -> Outcome:
    env = make()

    def run() -> None:
        for i in range(30):
            x, y = TRAIN[i]
            env.tuner.zero_grad()
            loss = F.cross_entropy(env.model(x), y)
            loss.backward()
            env.tuner.step(loss=loss.item())

    _, error, _ = recorded(run)
    if error is not None:
        return bad("poor", describe(error))
    rates = [r.drop_rate for r in env.tuner.history if r.drop_rate is not None]
    return ok(f"used: {len(rates)} drop rates") if rates else bad("poor", "no drop rate")


@case("loss values", "step(loss=<tensor of shape (32,)>)", "ValueError naming loss", "poor 8")
def _l_step_vector() -> Outcome:
    env = make()
    x, y = TRAIN[0]
    env.tuner.zero_grad()
    loss = F.cross_entropy(env.model(x), y, reduction="none")
    loss.mean().backward()
    return refused(lambda: env.tuner.step(loss=loss.detach()), "loss")


@case("loss values", "step(loss='abc')", "ValueError/TypeError naming loss")
def _l_step_str() -> Outcome:
    env = make()
    x, y = TRAIN[0]
    env.tuner.zero_grad()
    F.cross_entropy(env.model(x), y).backward()
    return refused(lambda: env.tuner.step(loss="abc"), "loss")


@case("loss values", "step() without loss= for a whole run",
      "one warning saying what is off and how to fix it", "poor 2")  # fmt: skip
def _l_no_loss() -> Outcome:
    env = make()
    _, error, messages = recorded(lambda: train(env, 40, feed_loss=False))
    if error is not None:
        return bad("poor", describe(error))
    about = [m for m in messages if "loss" in m]
    if len(about) == 1:
        return ok(f"one warning: {about[0][:90]}")
    return bad("poor", f"{len(about)} warnings; {env.tuner.stats.fits} fits, no drop rate")


@case("loss values", "NaN training loss at the very first step",
      "step not applied, recorded as skipped")  # fmt: skip
def _l_nan_first() -> Outcome:
    env = make()
    before = [p.detach().clone() for p in env.model.parameters()]
    x, y = TRAIN[0]
    env.tuner.zero_grad()
    F.cross_entropy(env.model(x), y).backward()
    _, error, _ = recorded(lambda: env.tuner.step(loss=torch.tensor(float("nan"))))
    if error is not None:
        return bad("poor", describe(error))
    same = all(torch.equal(a, p) for a, p in zip(before, env.model.parameters(), strict=True))
    if same and env.tuner.history and env.tuner.history[-1].decision == "skipped":
        return ok("skipped; weights unchanged")
    return bad("bug", "weights changed or no record")


@case("loss values", "inf in one gradient, finite loss", "step not applied, recorded")
def _l_inf_grad() -> Outcome:
    env = make()
    train(env, 3)
    before = [p.detach().clone() for p in env.model.parameters()]
    x, y = TRAIN[3]
    env.tuner.zero_grad()
    loss = F.cross_entropy(env.model(x), y)
    loss.backward()
    env.model.fc1.weight.grad[0, 0] = float("inf")
    _, error, _ = recorded(lambda: env.tuner.step(loss=loss))
    same = all(torch.equal(a, p) for a, p in zip(before, env.model.parameters(), strict=True))
    if error is None and same:
        return ok("skipped; weights unchanged")
    return bad("bug", describe(error) if error else "weights changed")


@case("faults", "Adam eps=0 and a parameter whose gradient is zero",
      "the poisoned step undone and recorded; weights finite", "bug 7")  # fmt: skip
def _f_adam_eps0() -> Outcome:
    class WithUnused(Net):
        def __init__(self) -> None:
            super().__init__()
            self.unused = nn.Parameter(torch.zeros(3))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return super().forward(x) + 0.0 * self.unused.sum()

    env = make(lambda p: torch.optim.Adam(p, lr=1e-3, eps=0.0), model=WithUnused())
    _, error, _ = recorded(lambda: train(env, 20))
    if error is not None:
        return bad("poor", describe(error))
    if finite_params(env.model):
        return ok("weights finite")
    skipped = sum(r.decision == "skipped" for r in env.tuner.history)
    return bad("bug", f"weights NaN after the first step; {skipped} later steps skipped")


@case("faults", "NaN training loss right after an accepted change",
      "rollback to the snapshot, LR before the change")  # fmt: skip
def _f_nan_rollback() -> Outcome:
    env = snapshot_env()
    lr_before = env.tuner.policy.state.pending.lr_before
    x, y = TRAIN[0]
    env.tuner.zero_grad()
    F.cross_entropy(env.model(x), y).backward()
    _, error, _ = recorded(lambda: env.tuner.step(loss=torch.tensor(float("nan"))))
    if error is not None:
        return bad("bug", describe(error))
    last = env.tuner.history[-1]
    if last.decision == "rolled_back" and math.isclose(env.tuner.lr, lr_before):
        return ok("rolled back; LR restored")
    return bad("bug", f"{last.decision}: {last.reason[:80]}")


# ====================================================================== schedulers and the LR
def _scheduler_case(on_tuner: bool) -> Outcome:
    env = make(lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9), total_steps=200)
    target = env.tuner if on_tuner else env.base
    sched = torch.optim.lr_scheduler.StepLR(target, step_size=5, gamma=0.5)

    def run() -> None:
        for i in range(60):
            train(env, 1, start=i)
            sched.step()

    _, error, messages = recorded(run)
    if error is not None:
        return (
            ok(f"refused: {describe(error)}")
            if "sched" in str(error).lower()
            else bad("poor", describe(error))
        )
    told = [m for m in messages if "LR" in m or "learning rate" in m or "sched" in m]
    if told:
        return ok(f"warned: {told[0][:90]}")
    return bad("poor", f"silent; final LR {env.tuner.lr:.3g}")


@case("schedulers", "StepLR on the tuner, plain PyTorch", "warning or error: something else "
      "changes the LR", "poor 3")  # fmt: skip
def _s_on_tuner() -> Outcome:
    return _scheduler_case(True)


@case("schedulers", "StepLR on the wrapped optimizer, plain PyTorch", "warning or error",
      "poor 3")  # fmt: skip
def _s_on_base() -> Outcome:
    return _scheduler_case(False)


@case("schedulers", "the user writes param_groups[0]['lr'] between steps",
      "warning or error: something else changed the LR", "poor 3")  # fmt: skip
def _s_manual_lr() -> Outcome:
    env = make(total_steps=200)

    def run() -> None:
        for i in range(30):
            train(env, 1, start=i)
            env.tuner.param_groups[0]["lr"] = 0.05

    _, error, messages = recorded(run)
    if error is not None:
        return ok(f"refused: {describe(error)}")
    told = [m for m in messages if "LR" in m or "learning rate" in m]
    return ok(f"warned: {told[0][:90]}") if told else bad("poor", "silent")


@case("schedulers", "HF: lr_scheduler_type='linear' with LRTunerTrainer", "ValueError")
def _s_hf() -> Outcome:
    try:
        import transformers

        from lrtuner.integrations.hf import LRTunerTrainer
    except ImportError:
        return ok("not applicable: transformers is not installed")
    import tempfile

    with tempfile.TemporaryDirectory() as out:
        args = transformers.TrainingArguments(out, lr_scheduler_type="linear", use_cpu=True,
                                              report_to=[])  # fmt: skip
        return refused(lambda: LRTunerTrainer(model=Net(), args=args), "lr_scheduler_type")


@case("schedulers", "HF: LRTunerCallback with the Trainer's own constant schedule",
      "ValueError at train begin")  # fmt: skip
def _s_hf_callback() -> Outcome:
    try:
        import transformers

        from lrtuner.integrations.hf import LRTunerCallback
    except ImportError:
        return ok("not applicable: transformers is not installed")
    import tempfile

    class Data(torch.utils.data.Dataset):
        def __len__(self) -> int:
            return 64

        def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
            return {"x": X[i], "labels": Y[i]}

    class HFNet(Net):
        def forward(self, x: torch.Tensor, labels: Any = None) -> dict[str, torch.Tensor]:
            logits = super().forward(x)
            return {"loss": F.cross_entropy(logits, labels), "logits": logits}

    env = make(
        model=HFNet(), probe_loss=lambda m: lambda b: F.cross_entropy(Net.forward(m, b[0]), b[1])
    )
    with tempfile.TemporaryDirectory() as out:
        args = transformers.TrainingArguments(
            out, max_steps=2, use_cpu=True, report_to=[], disable_tqdm=True,
            lr_scheduler_type="constant",
        )  # fmt: skip
        trainer = transformers.Trainer(model=env.model, args=args, train_dataset=Data(),
                                       optimizers=(env.tuner, None),
                                       callbacks=[LRTunerCallback()])  # fmt: skip
        return refused(trainer.train, "lr_scheduler")


@case("param groups", "add_param_group with no snapshot held", "the new group is tuned too")
def _g_add() -> Outcome:
    env = make(total_steps=200)
    train(env, 8)
    extra = nn.Parameter(torch.zeros(4))
    _, error, _ = recorded(lambda: env.tuner.add_param_group({"params": [extra], "lr": 0.01}))
    if error is not None:
        return ok(f"refused: {describe(error)}")
    _, error, _ = recorded(lambda: train(env, 30, start=8))
    if error is not None:
        return bad("poor", describe(error))
    ratio = env.tuner.param_groups[1]["lr"] / env.tuner.param_groups[0]["lr"]
    return ok(f"trains; group 1 keeps its ratio ({ratio:.3g})")


@case("param groups", "add_param_group while a snapshot is held, then a NaN loss",
      "a consistent rollback of every group, or a clear error at add_param_group",
      "bug 1")  # fmt: skip
def _g_add_snapshot() -> Outcome:
    env = snapshot_env()
    extra = nn.Parameter(torch.zeros(4))
    _, error, _ = recorded(lambda: env.tuner.add_param_group({"params": [extra], "lr": 1e-4}))
    if error is not None:
        return ok(f"refused at add_param_group: {describe(error)}")
    x, y = TRAIN[0]
    env.tuner.zero_grad()
    F.cross_entropy(env.model(x), y).backward()
    lr_before = env.tuner.policy.state.pending.lr_before
    _, error, _ = recorded(lambda: env.tuner.step(loss=torch.tensor(float("nan"))))
    if error is not None:
        return bad("bug", f"at the NaN step: {describe(error)}")
    last = env.tuner.history[-1]
    restored = torch.equal(extra.detach(), torch.zeros(4)) and math.isclose(env.tuner.lr,
                                                                            lr_before)
    if last.decision != "rolled_back" or not restored or len(env.tuner.param_groups) != 2:
        return bad("bug", f"{last.decision}; not every group restored")
    _, error, _ = recorded(lambda: env.tuner.step(loss=torch.tensor(float("nan"))))
    if error is not None:
        return bad("bug", f"at the next NaN step: {describe(error)}")
    return ok("every group rolled back (the new one as it was added); the next NaN is skipped")


# ====================================================================== pickling and copies
@case("pickling", "pickle.dumps(tuner) then pickle.loads",
      "a working round trip, or a TypeError pointing to state_dict", "bug 3")  # fmt: skip
def _p_pickle() -> Outcome:
    env = make()
    train(env, 6)
    data, error, _ = recorded(lambda: pickle.dumps(env.tuner))
    if error is not None:
        if isinstance(error, TypeError) and "state_dict" in str(error):
            return ok(describe(error))
        return bad("poor", f"dumps: {describe(error)}")
    back, error, _ = recorded(lambda: pickle.loads(data))
    if error is not None:
        return bad("bug", f"dumps works and drops the tuner state; loads: {describe(error)}")
    if back.history == env.tuner.history:
        return ok("round trip keeps the history")
    return bad("bug", "round trip loses the tuner state")


@case("pickling", "copy.deepcopy(tuner)", "a working copy, or a TypeError pointing to "
      "state_dict", "bug 3")  # fmt: skip
def _p_deepcopy() -> Outcome:
    env = make()
    train(env, 6)
    back, error, _ = recorded(lambda: copy.deepcopy(env.tuner))
    if error is not None:
        if isinstance(error, TypeError) and "state_dict" in str(error):
            return ok(describe(error))
        return bad("bug", describe(error))
    return ok("copied") if back.history == env.tuner.history else bad("bug", "state lost")


@case("pickling", "torch.save(tuner) of the whole object, torch.load(weights_only=False)",
      "a working round trip, or a TypeError pointing to state_dict", "bug 3")  # fmt: skip
def _p_torch_save() -> Outcome:
    env = make()
    train(env, 6)
    buf = io.BytesIO()
    _, error, _ = recorded(lambda: torch.save(env.tuner, buf))
    if error is not None:
        if isinstance(error, TypeError) and "state_dict" in str(error):
            return ok(describe(error))
        return bad("poor", f"save: {describe(error)}")
    buf.seek(0)
    back, error, _ = recorded(lambda: torch.load(buf, weights_only=False))
    if error is not None:
        return bad("bug", f"save works; load: {describe(error)}")
    return ok("round trip") if back.history == env.tuner.history else bad("bug", "state lost")


@case("pickling", "the state_dict through torch.save/torch.load(weights_only=True)",
      "loads, training continues")  # fmt: skip
def _p_weights_only() -> Outcome:
    env = make()
    train(env, 12)
    buf = io.BytesIO()
    torch.save(env.tuner.state_dict(), buf)
    buf.seek(0)
    sd, error, _ = recorded(lambda: torch.load(buf, weights_only=True))
    if error is not None:
        return bad("poor", f"weights_only load: {describe(error)}")
    fresh = make()
    _, error, _ = recorded(lambda: fresh.tuner.load_state_dict(sd))
    if error is not None:
        return bad("bug", describe(error))
    return ok(f"loads; {len(fresh.tuner.history)} decisions restored")


# ====================================================================== hooks
@case("hooks", "register_step_pre_hook / register_step_post_hook on the tuner",
      "each called once per step")  # fmt: skip
def _h_step() -> Outcome:
    env = make()
    calls = {"pre": 0, "post": 0}
    env.tuner.register_step_pre_hook(lambda *a: calls.__setitem__("pre", calls["pre"] + 1))
    env.tuner.register_step_post_hook(lambda *a: calls.__setitem__("post", calls["post"] + 1))
    train(env, 10)
    if calls == {"pre": 10, "post": 10}:
        return ok("called 10 + 10 times in 10 steps")
    return bad("bug", f"called {calls} in 10 steps")


@case("hooks", "register_state_dict_pre_hook / _post_hook on the tuner",
      "called by state_dict()", "bug 5")  # fmt: skip
def _h_state_dict() -> Outcome:
    env = make()
    calls: list[str] = []
    env.tuner.register_state_dict_pre_hook(lambda opt: calls.append("pre"))
    env.tuner.register_state_dict_post_hook(lambda opt, sd: calls.append("post"))
    env.tuner.state_dict()
    return ok("both called") if calls == ["pre", "post"] else bad("bug", f"called: {calls}")


@case("hooks", "register_load_state_dict_pre_hook / _post_hook on the tuner",
      "called by load_state_dict()", "bug 5")  # fmt: skip
def _h_load() -> Outcome:
    env = make()
    sd = env.tuner.state_dict()
    calls: list[str] = []
    env.tuner.register_load_state_dict_pre_hook(lambda opt, sd: calls.append("pre"))
    env.tuner.register_load_state_dict_post_hook(lambda opt: calls.append("post"))
    env.tuner.load_state_dict(sd)
    return ok("both called") if calls == ["pre", "post"] else bad("bug", f"called: {calls}")


# ====================================================================== checkpoints
def _trained_state(steps: int = 12) -> tuple[Env, dict[str, Any]]:
    env = make()
    train(env, steps)
    return env, env.tuner.state_dict()


def _tampered(edit: Callable[[dict[str, Any]], None], *names: str, kind: str = "poor") -> Outcome:
    _, sd = _trained_state()
    sd = copy.deepcopy(sd)
    edit(sd["lrtuner"])
    fresh = make()
    outcome = refused(lambda: fresh.tuner.load_state_dict(sd), *names, kind=kind)
    if outcome.verdict != "ok":
        _, error, _ = recorded(lambda: train(fresh, 12))
        later = f"; then training: {describe(error)}" if error else "; training goes on"
        return bad(kind, outcome.observed + later)
    return outcome


@case("checkpoints", "edited phase='exploitt'", "ValueError at load", "poor 6")
def _k_phase() -> Outcome:
    return _tampered(lambda t: t["policy"].__setitem__("phase", "exploitt"), "phase")


@case("checkpoints", "edited recompute_every=0", "ValueError at load", "poor 6")
def _k_recompute() -> Outcome:
    # state version 2 keeps the interval (``tuner.recompute_every``) in the schedule's state
    return _tampered(lambda t: t["schedule"].__setitem__("interval", 0), "recompute_every")


@case("checkpoints", "an unknown top-level key in the 'lrtuner' entry", "ValueError at load")
def _k_unknown_top() -> Outcome:
    return _tampered(lambda t: t.__setitem__("steps_since_decision", 0), "steps_since_decision")


@case("checkpoints", "edited cursor index=-3", "ValueError at load", "poor 6")
def _k_cursor() -> Outcome:
    return _tampered(lambda t: t["cursor"].__setitem__("index", -3), "cursor")


@case("checkpoints", "edited window_losses='abc'", "ValueError at load", "poor 6")
def _k_window() -> Outcome:
    return _tampered(lambda t: t["policy"].__setitem__("window_losses", "abc"), "window_losses")


@case("checkpoints", "edited stats.optimizer_steps=-1", "ValueError at load")
def _k_stats() -> Outcome:
    return _tampered(lambda t: t["stats"].__setitem__("optimizer_steps", -1), "optimizer_steps")


@case("checkpoints", "edited history record with decision='maybe'", "ValueError at load")
def _k_history() -> Outcome:
    return _tampered(lambda t: t["history"][0].__setitem__("decision", "maybe"), "decision")


@case("checkpoints", "another tuner state version", "ValueError at load")
def _k_version() -> Outcome:
    return _tampered(lambda t: t.__setitem__("version", 999), "version")


@case("checkpoints", "the 'lrtuner' entry lacks 'stats'", "ValueError naming the key")
def _k_missing() -> Outcome:
    return _tampered(lambda t: t.pop("stats"), "stats")


@case("checkpoints", "an unknown policy key", "ValueError at load")
def _k_unknown() -> Outcome:
    return _tampered(lambda t: t["policy"].__setitem__("surprise", 1), "surprise")


@case("checkpoints", "not a dict (a list)", "ValueError at load")
def _k_not_dict() -> Outcome:
    return refused(lambda: make().tuner.load_state_dict([1, 2]), "state_dict")


@case("checkpoints", "another number of param groups", "ValueError at load")
def _k_groups() -> Outcome:
    _, sd = _trained_state()
    sd = copy.deepcopy(sd)
    sd["param_groups"].append(dict(sd["param_groups"][0], params=[]))
    return refused(lambda: make().tuner.load_state_dict(sd), "param groups")


@case("checkpoints", "a tuner checkpoint of an Adam loaded into an SGD tuner",
      "ValueError at load")  # fmt: skip
def _k_class() -> Outcome:
    env = make(lambda p: torch.optim.Adam(p, lr=1e-3))
    train(env, 6)
    return refused(lambda: make().tuner.load_state_dict(env.tuner.state_dict()), "Adam")


@case("checkpoints", "tuner checkpoint from a model with other shapes, no snapshot held",
      "ValueError at load_state_dict, nothing changed", "bug 4")  # fmt: skip
def _k_shapes() -> Outcome:
    class Wider(Net):
        def __init__(self) -> None:
            super().__init__()
            self.fc1 = nn.Linear(64, 48)
            self.fc2 = nn.Linear(48, 10)

    other = make(model=Wider(), rollback=False)  # rollback off: no snapshot is ever held
    train(other, 12)
    sd = other.tuner.state_dict()
    assert sd["lrtuner"]["snapshot"] is None
    env = make()
    _, error, _ = recorded(lambda: env.tuner.load_state_dict(sd))
    if error is not None:
        return ok(describe(error)) if isinstance(error, ValueError) else bad("bug", describe(error))
    _, error, _ = recorded(lambda: train(env, 3))
    return bad("bug", f"loads silently; next step: {describe(error)}" if error else "loads")


@case("checkpoints", "a plain optimizer checkpoint loaded while a snapshot is held",
      "the loaded state is the truth: snapshot and pending change dropped", "bug 2")  # fmt: skip
def _k_plain_snapshot() -> Outcome:
    env = snapshot_env()
    plain = env.base.state_dict()
    _, error, _messages = recorded(lambda: env.tuner.load_state_dict(copy.deepcopy(plain)))
    if error is not None:
        return bad("poor", describe(error))
    held = env.tuner._snapshot is not None or env.tuner.policy.state.pending is not None
    if held:
        return bad("bug", "loads with a warning; the snapshot and the pending change survive")
    return ok("snapshot dropped")


@case("checkpoints", "plain optimizer checkpoint of the same class",
      "loads the wrapped optimizer, UserWarning")  # fmt: skip
def _k_plain() -> Outcome:
    env = make()
    train(env, 6)
    plain = env.base.state_dict()
    fresh = make()
    _, error, messages = recorded(lambda: fresh.tuner.load_state_dict(plain))
    if error is None and any("no 'lrtuner' entry" in m for m in messages):
        return ok("loaded with a warning")
    return bad("poor", describe(error) if error else "no warning")


def _same_tree(a: Any, b: Any) -> bool:
    """Equal nested dicts/lists with tensors compared bitwise."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and torch.equal(a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_tree(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same_tree(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@case("checkpoints", "the loaded dict after load_state_dict and more training",
      "left unchanged", "bug 6")  # fmt: skip
def _k_aliasing() -> Outcome:
    _env, sd = _trained_state(steps=7)
    before = copy.deepcopy(sd["lrtuner"])
    fresh = make()
    fresh.tuner.load_state_dict(sd)
    train(fresh, 10, start=7)
    if _same_tree(sd["lrtuner"], before):
        return ok("unchanged")
    changed = sorted(
        k for k in before["policy"] if before["policy"][k] != sd["lrtuner"]["policy"][k]
    )
    return bad("bug", f"the loaded dict changed: policy {changed}")


# ====================================================================== runner
def run_cases(only: set[str] | None = None) -> list[tuple[Case, Outcome]]:
    results = []
    for c in CASES:
        if only and c.area not in only:
            continue
        outcome = c.run()
        assert outcome.verdict in VERDICTS, (c.name, outcome)
        results.append((c, outcome))
    return results


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def plan(c: Case, outcome: Outcome) -> str:
    if outcome.verdict == "ok":
        return f"fixed (issue 14 {c.issue})" if c.issue else "-"
    if c.issue:
        return f"issue 14 {c.issue}: tuner-core fix planned"
    return "found here: reported for the tuner-core fix"


def counts(results: list[tuple[Case, Outcome]]) -> dict[str, int]:
    return {v: sum(o.verdict == v for _, o in results) for v in VERDICTS}


def table(results: list[tuple[Case, Outcome]]) -> str:
    n = counts(results)
    lines = [
        f"{len(results)} cases: {n['ok']} behave as expected, {n['bug']} bugs, "
        f"{n['poor']} poor or missing errors. Generated by "
        "`PYTHONPATH=src python tests/reliability/misuse_cases.py --write`; do not edit by hand.",
        "",
        "| # | area | case | expected | what happens now | verdict | status |",
        "|---|---|---|---|---|---|---|",
    ]
    for i, (c, o) in enumerate(results, 1):
        verdict = {"ok": "ok", "bug": "**bug**", "poor": "**poor error**"}[o.verdict]
        cells = [str(i), c.area, c.name, c.expected, o.observed, verdict, plan(c, o)]
        lines.append("| " + " | ".join(_cell(x) for x in cells) + " |")
    return "\n".join(lines) + "\n"


def replace_table(doc: str, new_table: str) -> str:
    if START not in doc or END not in doc:
        raise ValueError(f"Invalid doc: no {START} ... {END} markers")
    head, rest = doc.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{new_table}{END}{tail}"


def documented_verdicts(doc: str) -> list[tuple[str, str, str]]:
    """``(area, case, verdict)`` of each row of the generated table in ``doc``."""
    if START not in doc or END not in doc:
        raise ValueError(f"Invalid doc: no {START} ... {END} markers")
    body = doc.split(START, 1)[1].split(END, 1)[0]
    rows = []
    for line in body.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) == 7 and cells[0].isdigit():
            verdict = cells[5].strip("*").replace(" error", "")
            rows.append((cells[1], cells[2].replace("\\|", "|"), verdict))
    return rows


def stale_rows(doc: str, results: list[tuple[Case, Outcome]]) -> list[str]:
    """Differences between the documented verdicts and ``results`` (observed text aside: the
    counts in it may differ across machines, the verdicts may not)."""
    now = [(c.area, c.name, o.verdict) for c, o in results]
    tried = {r[:2] for r in now}
    documented = [r for r in documented_verdicts(doc) if r[:2] in tried]  # all, or --only's
    if [r[:2] for r in now] != [r[:2] for r in documented]:
        return ["the cases differ from the documented ones"]
    return [
        f"{area} / {name}: documented {was}, now {verdict}"
        for (area, name, verdict), (_, _, was) in zip(now, documented, strict=True)
        if verdict != was
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite the table in {DOC.name}")
    parser.add_argument("--check", action="store_true", help="exit 1 if the docs table is stale")
    parser.add_argument("--only", default="", help="comma-separated areas (print only)")
    ns = parser.parse_args(argv)
    only = {a.strip() for a in ns.only.split(",") if a.strip()} or None
    results = run_cases(only)
    text = table(results)
    n = counts(results)
    summary = f"{len(results)} cases: ok {n['ok']}, bug {n['bug']}, poor {n['poor']}"
    if ns.check:
        stale = stale_rows(DOC.read_text(), results)
        for line in stale:
            print(line)
        print(summary + ("; docs table is STALE: rerun with --write" if stale else "; up to date"))
        return 1 if stale else 0
    if ns.write:
        if only:
            parser.error("--write needs every case (no --only)")
        DOC.write_text(replace_table(DOC.read_text(), text))
        print(f"wrote {DOC}")
    else:
        print(text)
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
