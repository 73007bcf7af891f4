"""Training script for the crash/resume test: digits, BN+dropout net, SGD-momentum + LRTuner.

    python crash_train.py OUT_DIR --steps 60 --every 7 [--resume] [--data digits.pt]

Prints ``step <i>`` after every step, writes ``OUT_DIR/ckpt.pt`` (atomically) every ``--every``
steps and ``OUT_DIR/final.pt`` (parameters, per-step LR, decision history) at the end. With
``--resume`` it starts from ``OUT_DIR/ckpt.pt``. ``--data`` names a ``torch.save``-d
``(x, y)`` of the training tensors (saves importing scikit-learn). :func:`train` is the same
run, callable in-process.
"""

from __future__ import annotations

import argparse
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # tests/ for digits_testbed

from digits_testbed import BNDropoutNet, build_tuner, make_batches  # noqa: E402

from lrtuner.checkpoint import save_atomic  # noqa: E402

BATCH = 32


def train(
    out: str, steps: int, every: int, resume: bool, xtr: torch.Tensor, ytr: torch.Tensor
) -> None:
    """The run: ``steps`` steps, a checkpoint every ``every``, ``final.pt`` at the end."""
    torch.manual_seed(0)
    model = BNDropoutNet()
    base = torch.optim.SGD(model.parameters(), lr=0.002, momentum=0.9, weight_decay=5e-4)
    tuner = build_tuner(
        (xtr, ytr),
        model,
        base,
        probe_data=make_batches(xtr[:512], ytr[:512], 64, seed=1),
        recompute_every=5,
        superbatch=6,
        min_superbatch=2,
        explore_steps=30,
        seed_search=False,  # the paper's explore moves the LR at many steps: a richer replay
    )
    per_epoch = len(ytr) // BATCH
    ckpt = os.path.join(out, "ckpt.pt")
    start, lrs = 0, []
    if resume:
        state = torch.load(ckpt, weights_only=False)
        model.load_state_dict(state["model"])
        tuner.load_state_dict(state["tuner"])
        torch.set_rng_state(state["rng"])
        start, lrs = state["step"], state["lrs"]
    if start == 0:
        torch.manual_seed(12345)  # dropout stream of the run
    for step in range(start, steps):
        epoch, i = divmod(step, per_epoch)
        x, y = make_batches(xtr, ytr, BATCH, seed=100 + epoch)[i]
        tuner.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        tuner.step(loss=loss)
        lrs.append(tuner.lr)
        if (step + 1) % every == 0:
            save_atomic(
                {
                    "step": step + 1,
                    "model": model.state_dict(),
                    "tuner": tuner.state_dict(),
                    "rng": torch.get_rng_state(),
                    "lrs": lrs,
                },
                ckpt,
            )
        print(f"step {step + 1}", flush=True)
    torch.save(
        {
            "params": [p.detach() for p in model.parameters()],
            "buffers": [b.detach() for b in model.buffers()],
            "optimizer": base.state_dict(),
            "lrs": lrs,
            "history": [r.to_dict() for r in tuner.history],
        },
        os.path.join(out, "final.pt"),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--every", type=int, default=7)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--data", default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.data is not None:
        xtr, ytr = torch.load(args.data)
    else:
        from digits_testbed import load_digits_tensors

        xtr, ytr, _, _ = load_digits_tensors()
    train(args.out, args.steps, args.every, args.resume, xtr, ytr)


if __name__ == "__main__":
    main()
