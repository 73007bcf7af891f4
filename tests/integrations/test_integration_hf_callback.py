"""The public HF entry points besides LRTunerTrainer: LRTunerMixin on a Trainer subclass of
your own, and LRTunerCallback on any Trainer given an LRTuner you built. Real data: digits."""

from __future__ import annotations

import logging
import warnings

import pytest
import torch
import torch.nn.functional as F

transformers = pytest.importorskip("transformers")
pytest.importorskip("accelerate")
pytest.importorskip("sklearn")

import example_loader  # noqa: E402,F401  (puts Hugging Face offline)
from digits_testbed import load_digits_tensors, make_batches  # noqa: E402

from lrtuner import LRTuner  # noqa: E402
from lrtuner.integrations import find_lrtuner  # noqa: E402
from lrtuner.integrations.hf import (  # noqa: E402
    LRTunerCallback,
    LRTunerMixin,
    LRTunerTrainer,
    TunedLRScheduler,
    unwrap_lrtuner,
)

MAX_STEPS = 12
TUNER_KWARGS = {"recompute_every": 4, "superbatch": 4, "min_superbatch": 2, "explore_steps": 8}


class DigitsDataset(torch.utils.data.Dataset):
    def __init__(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"x": self.x[i], "labels": self.y[i]}


class DigitsNet(torch.nn.Module):
    """An MLP that returns HF-style outputs: ``{"loss", "logits"}`` when given labels."""

    def __init__(self, with_loss: bool = True) -> None:
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10)
        )
        self.with_loss = with_loss

    def forward(self, x, labels=None):
        logits = self.net(x)
        if labels is None or not self.with_loss:
            return {"logits": logits}
        return {"loss": F.cross_entropy(logits, labels), "logits": logits}


@pytest.fixture(scope="module")
def digits_data():
    x, y, _, _ = load_digits_tensors()
    return DigitsDataset(x, y)


def _args(tmp_path, **kw):
    settings = {
        "per_device_train_batch_size": 32,
        "max_steps": MAX_STEPS,
        "learning_rate": 1e-3,
        "lr_scheduler_type": "constant",
        "logging_steps": 1,
        "save_strategy": "no",
        "report_to": [],
        "use_cpu": True,
        "disable_tqdm": True,
        "seed": 0,
    }
    return transformers.TrainingArguments(output_dir=str(tmp_path), **{**settings, **kw})


@pytest.fixture
def observed(monkeypatch):
    """Every loss handed to LRTuner.observe_loss, as floats."""
    values: list[float] = []
    original = LRTuner.observe_loss

    def spy(self, loss):
        values.append(float(loss))
        return original(self, loss)

    monkeypatch.setattr(LRTuner, "observe_loss", spy)
    return values


def _logged_losses(trainer) -> list[float]:
    return [e["loss"] for e in trainer.state.log_history if "loss" in e and "train_loss" not in e]


class CountingTrainer(transformers.Trainer):
    """A user's own Trainer subclass: a compute_loss override that counts its calls."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.calls = {"train": 0, "probe": 0}

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        self.calls["train" if torch.is_grad_enabled() else "probe"] += 1
        return super().compute_loss(
            model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch
        )


class MyTrainer(LRTunerMixin, CountingTrainer):
    pass


def test_mixin_tunes_a_trainer_subclass_of_your_own(tmp_path, digits_data, observed, caplog):
    torch.manual_seed(0)
    trainer = MyTrainer(
        model=DigitsNet(),
        args=_args(tmp_path),
        train_dataset=digits_data,
        data_collator=transformers.default_data_collator,
        lrtuner_kwargs=TUNER_KWARGS,
        history_path=tmp_path / "history.jsonl",
    )
    with caplog.at_level(logging.INFO, logger="lrtuner"):
        trainer.train()
    tuner = trainer.lrtuner
    assert isinstance(tuner.optimizer, torch.optim.AdamW)
    assert tuner.history[0].reason.startswith("seed search")
    assert tuner.lr != 1e-3
    # the user's compute_loss is the probe loss: one call per probe forward pass
    assert trainer.calls["train"] == MAX_STEPS
    assert trainer.calls["probe"] == sum(r.forward_passes for r in tuner.history) > 0
    # every step's training loss reached the tuner (HF logs it rounded to 4 digits)
    assert observed == pytest.approx(_logged_losses(trainer), abs=1e-4)
    assert len(observed) == MAX_STEPS
    # decisions: through Trainer.log, and one INFO line each on the "lrtuner.hf" logger
    assert len([e for e in trainer.state.log_history if "lrtuner/decision" in e]) == len(
        tuner.history
    )
    lines = [r for r in caplog.records if r.name == "lrtuner.hf"]
    assert len(lines) == len(tuner.history)
    assert all(r.levelno == logging.INFO for r in lines)
    searches = [r.getMessage() for r in lines if "seed search:" in r.getMessage()]
    assert len(searches) == tuner.config.search_directions  # one per direction (0.17.0)
    assert searches[0].startswith("step 0 explore rejected: lr 0.001 -> 0.001")
    assert " explore accepted: lr 0.001 -> " in searches[-1]
    assert isinstance(trainer.lrtuner_callback, LRTunerCallback)


def test_mixin_without_a_trainer_is_refused():
    class NotATrainer(LRTunerMixin):
        pass

    with pytest.raises(TypeError, match=r"not a transformers\.Trainer"):
        NotATrainer()


def _user_tuner(model, data):
    base = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x, y = data.x, data.y

    def probe_loss(batch):
        return F.cross_entropy(model(batch[0])["logits"], batch[1])

    return LRTuner(
        base, probe_loss=probe_loss, probe_data=make_batches(x, y, 32, seed=1), model=model,
        total_steps=MAX_STEPS, **TUNER_KWARGS,
    )  # fmt: skip


def test_callback_on_a_plain_trainer_with_a_tuner_you_built(
    tmp_path, digits_data, observed, caplog
):
    from lrtuner.logging import read_history_jsonl

    torch.manual_seed(0)
    model = DigitsNet()
    tuner = _user_tuner(model, digits_data)
    trainer = transformers.Trainer(
        model=model,
        args=_args(tmp_path),
        train_dataset=digits_data,
        data_collator=transformers.default_data_collator,
        optimizers=(tuner, TunedLRScheduler(tuner)),
    )
    callback = LRTunerCallback(trainer, history_path=tmp_path / "history.jsonl")
    trainer.add_callback(callback)
    with caplog.at_level(logging.INFO, logger="lrtuner"):
        trainer.train()
    assert find_lrtuner(trainer.optimizer) is tuner
    # the seed search's undone steps (one per extra direction) are skipped steps
    assert tuner.stats.optimizer_steps + tuner.stats.skipped_steps == MAX_STEPS
    assert tuner.history[0].reason.startswith("seed search") and tuner.lr != 1e-3
    # the LR HF logs is the tuned one: the constant schedule did not overwrite it
    lrs = [e["learning_rate"] for e in trainer.state.log_history if "learning_rate" in e]
    assert lrs[-1] == pytest.approx(tuner.lr)
    # the model outputs' loss, captured by the callback's forward hook (training forwards only)
    assert observed == pytest.approx(_logged_losses(trainer), abs=1e-4)
    assert len(observed) == MAX_STEPS
    assert callback._hook is None  # removed at train end
    assert read_history_jsonl(tmp_path / "history.jsonl") == tuner.history
    decisions = [e for e in trainer.state.log_history if "lrtuner/decision" in e]
    assert [e["lrtuner/step"] for e in decisions] == [r.step for r in tuner.history]
    assert len([r for r in caplog.records if r.name == "lrtuner.hf"]) == len(tuner.history)


def test_callback_warns_once_when_the_model_gives_no_loss(tmp_path, digits_data):
    class OutsideLoss(transformers.Trainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            out = model(inputs["x"])
            return F.cross_entropy(out["logits"], inputs["labels"])

    torch.manual_seed(0)
    model = DigitsNet(with_loss=False)
    tuner = _user_tuner(model, digits_data)
    trainer = OutsideLoss(
        model=model,
        args=_args(tmp_path, max_steps=3),
        train_dataset=digits_data,
        data_collator=transformers.default_data_collator,
        optimizers=(tuner, TunedLRScheduler(tuner)),
        callbacks=[LRTunerCallback()],
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer.train()
    ours = [w for w in caught if "carry no training loss" in str(w.message)]
    assert len(ours) == 1 and "observe_loss" in str(ours[0].message)


def test_callback_refuses_a_plain_optimizer_and_a_schedule(tmp_path, digits_data):
    model = DigitsNet()
    sgd = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = transformers.Trainer(
        model=model,
        args=_args(tmp_path, max_steps=2),
        train_dataset=digits_data,
        data_collator=transformers.default_data_collator,
        optimizers=(sgd, TunedLRScheduler(sgd)),
        callbacks=[LRTunerCallback()],
    )
    with pytest.raises(ValueError, match="holds no LRTuner"):
        trainer.train()
    model = DigitsNet()
    tuner = _user_tuner(model, digits_data)
    trainer = transformers.Trainer(
        model=model,
        args=_args(tmp_path, max_steps=2),
        train_dataset=digits_data,
        data_collator=transformers.default_data_collator,
        optimizers=(tuner, None),  # the Trainer builds its constant LambdaLR: it would fight
    )
    trainer.add_callback(LRTunerCallback(trainer))
    with pytest.raises(ValueError, match="Invalid lr_scheduler: LambdaLR"):
        trainer.train()
    assert tuner.stats.optimizer_steps == 0
    with pytest.raises(ValueError, match="Invalid trainer"):
        LRTunerCallback(trainer=object())


def test_one_unwrap_function_for_every_wrapper():
    from lrtuner.integrations import _unwrap

    p = torch.nn.Parameter(torch.zeros(2))
    tuner = LRTuner(torch.optim.SGD([p], lr=0.1), probe_loss=lambda b: p.sum(), probe_data=[0])

    class Wrapper:
        def __init__(self, inner, attr="optimizer"):
            setattr(self, attr, inner)

    assert unwrap_lrtuner is find_lrtuner
    assert find_lrtuner(tuner) is tuner
    assert find_lrtuner(Wrapper(Wrapper(tuner, "_optimizer"))) is tuner
    assert find_lrtuner([torch.optim.SGD([p], lr=0.1), Wrapper(tuner)]) is tuner
    assert find_lrtuner(tuner.optimizer) is None  # the wrapped optimizer does not point up
    assert find_lrtuner(None) is None and find_lrtuner([]) is None
    cycle = Wrapper(None)
    cycle.optimizer = cycle
    assert find_lrtuner(cycle) is None
    deep = tuner
    for _ in range(_unwrap.MAX_DEPTH):
        deep = Wrapper(deep)
    assert find_lrtuner(deep) is None  # past the depth limit
    assert LRTunerTrainer.__mro__[1] is LRTunerMixin
