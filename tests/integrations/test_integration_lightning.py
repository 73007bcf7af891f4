"""LRTuner under a real ``lightning.Trainer.fit`` on scikit-learn's digits."""

from __future__ import annotations

import csv
import logging
import math

import pytest
import torch

pl = pytest.importorskip("lightning.pytorch")
pytest.importorskip("sklearn")

from example_loader import load_example  # noqa: E402

from lrtuner import LRTuner  # noqa: E402
from lrtuner.integrations.lightning import LRTunerCallback, lrtuner_for_module  # noqa: E402
from lrtuner.logging import read_history_jsonl  # noqa: E402

SEED_LR = 1e-3
# explore raises a low seed LR step by step (no seed search): several LRs for the monitor to log
SMALL = {"epochs": 2, "lr": SEED_LR, "tuner_kwargs": {"explore_steps": 60, "seed_search": False}}


@pytest.fixture(scope="module")
def example():
    return load_example("lightning_digits")


@pytest.fixture(scope="module")
def full_run(example, tmp_path_factory):
    out = tmp_path_factory.mktemp("pl_full")
    trainer, module, loader = example.build(str(out), **SMALL)
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = records.append  # type: ignore[method-assign]
    lrtuner_logger = logging.getLogger("lrtuner")
    level = lrtuner_logger.level
    lrtuner_logger.addHandler(handler)
    lrtuner_logger.setLevel(logging.INFO)
    try:
        trainer.fit(module, loader)
    finally:
        lrtuner_logger.removeHandler(handler)
        lrtuner_logger.setLevel(level)
    trainer.lrtuner_log_records = records  # what the "lrtuner" logger emitted during fit
    return trainer, module, out


def _metrics(out):
    with open(out / "logs" / "version_0" / "metrics.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_lr_changes_and_monitor_logs_it(full_run):
    trainer, _, out = full_run
    tuner = trainer.optimizers[0]
    assert isinstance(tuner, LRTuner)
    assert any(r.decision == "accepted" for r in tuner.history)
    assert tuner.lr != SEED_LR
    rows = _metrics(out)
    monitored = [float(r["lr-SGD"]) for r in rows if r.get("lr-SGD")]
    assert monitored[0] == pytest.approx(SEED_LR)
    assert len(set(monitored)) > 2
    # every accepted LR shows up in LearningRateMonitor's column
    for r in tuner.history:
        if r.decision == "accepted" and r.step < trainer.global_step:
            assert any(math.isclose(v, r.lr_after, rel_tol=1e-6) for v in monitored)
    # the callback logged each decision to the same logger
    decisions = [r for r in rows if r.get("lrtuner/decision")]
    assert len(decisions) >= 1
    logged_lrs = {float(r["lrtuner/lr"]) for r in decisions}
    assert {round(r.lr_after, 12) for r in tuner.history} >= {round(v, 12) for v in logged_lrs}
    assert read_history_jsonl(out / "lrtuner_history.jsonl") == tuner.history


def test_each_decision_is_one_info_line_on_the_lrtuner_logger(full_run):
    from lrtuner.logging import format_decision

    trainer, _, _ = full_run
    tuner = trainer.optimizers[0]
    lines = [r for r in trainer.lrtuner_log_records if r.name == "lrtuner.lightning"]
    assert [r.getMessage() for r in lines] == [format_decision(r) for r in tuner.history]
    assert {r.levelno for r in lines} == {logging.INFO}


def test_resume_from_checkpoint_continues_exactly(example, full_run, tmp_path):
    full_trainer, full_module, out = full_run
    ckpts = sorted((out / "ckpt").glob("epoch=0-*.ckpt"))
    assert ckpts, list((out / "ckpt").iterdir())
    trainer, module, loader = example.build(str(tmp_path), **SMALL)
    trainer.fit(module, loader, ckpt_path=str(ckpts[0]))
    a, b = full_trainer.optimizers[0], trainer.optimizers[0]
    assert [r.to_dict() for r in b.history] == [r.to_dict() for r in a.history]
    assert b.stats == a.stats
    assert b.lr == a.lr
    for (name, pa), pb in zip(full_module.state_dict().items(), module.state_dict().values(),
                              strict=True):
        torch.testing.assert_close(pb, pa, rtol=1e-6, atol=1e-7, msg=name)
    assert read_history_jsonl(tmp_path / "lrtuner_history.jsonl") == a.history


class _Plain(pl.LightningModule):
    def __init__(self, with_scheduler: bool = False, wrap: bool = True) -> None:
        super().__init__()
        self.lin = torch.nn.Linear(4, 2)
        self.with_scheduler = with_scheduler
        self.wrap = wrap

    def probe_loss(self, batch):
        x, y = batch
        return torch.nn.functional.cross_entropy(self.lin(x), y)

    def training_step(self, batch, batch_idx):
        return self.probe_loss(batch)

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=0.1)
        if self.wrap:
            opt = lrtuner_for_module(
                self, opt, recompute_every=2, superbatch=2, explore_steps=10
            )
        if self.with_scheduler:
            return [opt], [torch.optim.lr_scheduler.StepLR(opt, 1)]
        return opt


def _loader():
    g = torch.Generator().manual_seed(0)
    ds = torch.utils.data.TensorDataset(torch.randn(16, 4, generator=g), torch.arange(16) % 2)
    return torch.utils.data.DataLoader(ds, batch_size=4)


def _trainer(tmp_path):
    return pl.Trainer(max_steps=4, accelerator="cpu", logger=False, enable_checkpointing=False,
                      enable_progress_bar=False, enable_model_summary=False,
                      default_root_dir=str(tmp_path), callbacks=[LRTunerCallback()])


def test_refuses_a_scheduler(tmp_path):
    with pytest.raises(ValueError, match="Invalid lr_scheduler: \\['StepLR'\\]"):
        _trainer(tmp_path).fit(_Plain(with_scheduler=True), _loader())


def test_refuses_a_plain_optimizer(tmp_path):
    with pytest.raises(ValueError, match="Invalid optimizers: \\['SGD'\\]"):
        _trainer(tmp_path).fit(_Plain(wrap=False), _loader())


def test_module_without_probe_loss_is_refused():
    module = torch.nn.Linear(2, 2)
    with pytest.raises(ValueError, match="probe_loss"):
        lrtuner_for_module(module, torch.optim.SGD(module.parameters(), lr=0.1))


def test_default_probe_data_is_the_training_loader(tmp_path):
    trainer = _trainer(tmp_path)
    module = _Plain()
    trainer.fit(module, _loader())
    tuner = trainer.optimizers[0]
    assert tuner.stats.probe_forward_passes > 0
    assert trainer.global_step == 4
