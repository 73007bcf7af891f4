"""Writes ``tuner_state_v1.pt``: a checkpoint in the tuner state format of lrtuner 0.3.0.

The file was produced by lrtuner 0.3.0 (tuner state version 1) and is kept as it is, so that
``tests/test_state_v1.py`` proves such checkpoints still load and resume exactly. It holds:

* ``checkpoints``: one digits run (SGD with momentum, automatic spacing, the seed search,
  ``total_steps=240``) checkpointed (``model``, ``tuner``, ``rng``) at each step of ``STOPS``:
  in explore after the seed search, and in exploit with a rollback snapshot held;
* ``expected``: what 0.3.0 did until ``TOTAL`` (the same from either checkpoint): the
  decision history (step, phase, decision, reason, LRs, forward passes), the final LR, the
  counters and a bitwise copy of the final parameters.

Rerun only with lrtuner 0.3.0 (``git show <0.3.0 commit>``): a later version writes its own
format. ``PYTHONPATH=src:tests python tests/data/make_tuner_state_v1.py``.
"""

from __future__ import annotations

import copy
from pathlib import Path

import torch
import torch.nn.functional as F
from digits_testbed import BNDropoutNet, load_digits_tensors, make_batches

from lrtuner import LRTuner

STOPS, TOTAL = (40, 90), 240


def build(digits, **options):
    """The 0.3.0 run; ``options`` are passed to today's tuner (``cooldown_share=0``: the rules
    of 0.3.0 and 0.4.0, which had no cooldown)."""
    xtr, ytr, _, _ = digits
    torch.manual_seed(0)
    model = BNDropoutNet()
    base = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    tuner = LRTuner(
        base,
        lambda b: F.cross_entropy(model(b[0]), b[1]),
        make_batches(xtr, ytr, 64, seed=1),
        model=model,
        total_steps=TOTAL,
        seed=5,
        **options,
    )
    batches = [b for ep in range(6) for b in make_batches(xtr, ytr, 32, seed=10 + ep)]
    return model, base, tuner, batches


def train(model, tuner, batches, start, stop):
    for x, y in batches[start:stop]:
        tuner.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        tuner.step(loss=loss)


def trace(tuner):
    return [
        {
            "step": r.step,
            "phase": r.phase,
            "decision": r.decision,
            "reason": r.reason,
            "lr_before": r.lr_before,
            "lr_after": r.lr_after,
            "proposed_lr": r.proposed_lr,
            "forward_passes": r.forward_passes,
            "num_batches": r.num_batches,
        }
        for r in tuner.history
    ]


def main() -> None:
    torch.set_num_threads(1)
    digits = load_digits_tensors()
    model, _, tuner, batches = build(digits)
    checkpoints = {}
    done = 0
    for stop in STOPS:
        train(model, tuner, batches, done, stop)
        done = stop
        checkpoints[stop] = copy.deepcopy(
            {"model": model.state_dict(), "tuner": tuner.state_dict(), "rng": torch.get_rng_state()}
        )
        assert checkpoints[stop]["tuner"]["lrtuner"]["version"] == 1
    train(model, tuner, batches, done, TOTAL)
    ckpt = {"checkpoints": checkpoints, "total": TOTAL}
    ckpt["expected"] = {
        "history": trace(tuner),
        "lr": tuner.lr,
        "params": [p.detach().clone() for p in model.parameters()],
        "stats": tuner.stats.to_dict(),
    }
    out = Path(__file__).with_name("tuner_state_v1.pt")
    torch.save(ckpt, out)
    print(out, out.stat().st_size, "bytes;", len(ckpt["expected"]["history"]), "decisions")
    for r in ckpt["expected"]["history"]:
        print(r["step"], r["phase"], r["decision"], f"{r['lr_before']:.4g}->{r['lr_after']:.4g}",
              r["reason"][:70])
    for stop, c in checkpoints.items():
        state = c["tuner"]["lrtuner"]
        print(stop, state["policy"]["phase"], "snapshot held:", state["snapshot"] is not None)


if __name__ == "__main__":
    main()
