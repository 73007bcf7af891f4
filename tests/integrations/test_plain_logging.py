"""Plain-PyTorch observability: JSONL history, TensorBoard scalars, figures, import hygiene."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
from example_loader import load_example

from lrtuner import DecisionRecord
from lrtuner.logging import (
    DECISION_CODES,
    HistoryWriter,
    decision_scalars,
    read_history_jsonl,
    write_history_jsonl,
)


def _record(step: int, decision: str = "accepted", **kw) -> DecisionRecord:
    fields = {
        "step": step,
        "phase": "explore",
        "lr_before": 0.1,
        "lr_after": 0.2 if decision == "accepted" else 0.1,
        "decision": decision,
        "reason": "test",
    }
    fields.update(kw)
    return DecisionRecord(**fields)


class _FakeTuner:
    def __init__(self) -> None:
        self.history: list[DecisionRecord] = []


def test_jsonl_round_trip_is_asdict_per_line(tmp_path):
    history = [
        _record(10, epsilons=[-0.05, 0.0, 0.1], losses=[1.0, 0.9, 0.95],
                coefficients=(0.9, -0.1, 2.0), proposed_lr=0.2, num_batches=4,
                forward_passes=12, drop_rate=0.01, drop_rate_stderr=0.002),
        _record(20, "rejected", drop_rate=float("nan")),
        _record(30, "skipped"),
    ]
    path = tmp_path / "h" / "history.jsonl"
    assert write_history_jsonl(history, path) == 3
    lines = path.read_text().splitlines()
    assert len(lines) == 3
    first = json.loads(lines[0])
    assert first["coefficients"] == [0.9, -0.1, 2.0]
    assert set(first) == set(DecisionRecord.__dataclass_fields__)
    back = read_history_jsonl(path)
    assert back[0] == history[0]
    assert isinstance(back[0].coefficients, tuple)
    assert math.isnan(back[1].drop_rate)
    assert back[2] == history[2]
    write_history_jsonl(history[:1], path, append=True)
    assert len(read_history_jsonl(path)) == 4


def test_reader_ignores_unknown_keys_and_names_bad_lines(tmp_path):
    path = tmp_path / "h.jsonl"
    row = {**_record(1).to_dict(), "added_later": 3}
    path.write_text(json.dumps(row) + "\n\n")
    assert read_history_jsonl(path) == [_record(1)]
    path.write_text(json.dumps(row) + "\n{not json\n")
    with pytest.raises(ValueError, match="line 2"):
        read_history_jsonl(path)


def test_history_writer_streams_new_decisions_only(tmp_path):
    tuner = _FakeTuner()
    path = tmp_path / "stream.jsonl"
    with HistoryWriter(path) as writer:
        tuner.history.append(_record(1))
        assert len(writer.update(tuner)) == 1
        assert writer.update(tuner) == []
        tuner.history += [_record(2, "rejected"), _record(3, "skipped")]
        assert [r.step for r in writer.update(tuner)] == [2, 3]
        # a tuner reloaded from an earlier checkpoint: continue from its end
        tuner.history = tuner.history[:1]
        assert writer.update(tuner) == []
        tuner.history.append(_record(4))
        assert [r.step for r in writer.update(tuner)] == [4]
    assert [r.step for r in read_history_jsonl(path)] == [1, 2, 3, 4]


def test_history_writer_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="path=None and tensorboard=None"):
        HistoryWriter(None)
    with pytest.raises(ValueError, match="Invalid start: -1"):
        HistoryWriter(tmp_path / "x.jsonl", start=-1)


def test_decision_scalars_are_numbers():
    scalars = decision_scalars(_record(5, proposed_lr=0.2, drop_rate=0.1, num_batches=3,
                                       forward_passes=9))
    assert scalars["lrtuner/lr"] == 0.2
    assert scalars["lrtuner/decision"] == DECISION_CODES["accepted"]
    assert scalars["lrtuner/accepted"] == 1.0
    assert all(isinstance(v, float) for v in scalars.values())
    assert "lrtuner/proposed_lr" not in decision_scalars(_record(6, "skipped"))


def test_tensorboard_scalars(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    tuner = _FakeTuner()
    with HistoryWriter(None, tensorboard=str(tmp_path / "tb")) as writer:
        tuner.history += [_record(10), _record(20, "rejected", lr_before=0.2, lr_after=0.2)]
        writer.update(tuner)
    acc = EventAccumulator(str(tmp_path / "tb"))
    acc.Reload()
    events = acc.Scalars("lrtuner/lr")
    assert [e.step for e in events] == [10, 20]
    assert [e.value for e in events] == pytest.approx([0.2, 0.2])
    assert [e.value for e in acc.Scalars("lrtuner/accepted")] == [1.0, 0.0]


def test_plain_example_writes_history_and_figures(tmp_path):
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    example = load_example("plain_pytorch")
    result = example.run(
        tmp_path, epochs=1, tensorboard=False,
        tuner_kwargs={"recompute_every": 8, "superbatch": 8, "explore_steps": 30},
    )
    tuner = result["tuner"]
    assert read_history_jsonl(result["history"]) == tuner.history
    assert any(r.decision == "accepted" for r in tuner.history)
    assert tuner.lr != 1e-3
    names = sorted(p.name for p in result["figures"])
    assert names == ["lr_trace.png", "quadratic_fit.png", "seed_search.png"]
    for p in result["figures"]:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the `lrtuner plot` command reads the same file
    from lrtuner.cli import main as cli_main

    out = tmp_path / "cli.png"
    assert cli_main(["plot", str(result["history"]), "-o", str(out)]) == 0
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_import_lrtuner_pulls_no_extras():
    code = (
        "import sys, lrtuner, lrtuner.logging, lrtuner.integrations, lrtuner.plotting\n"
        "bad = [m for m in ('transformers', 'accelerate', 'lightning', 'pytorch_lightning',\n"
        "       'matplotlib', 'tensorboard', 'torch.utils.tensorboard') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------- the stdlib logger
def test_logger_names_follow_the_convention():
    import logging

    from lrtuner.logging import LOGGER_NAME, get_logger

    assert LOGGER_NAME == "lrtuner"
    assert get_logger() is logging.getLogger("lrtuner")
    assert get_logger("seed_search") is logging.getLogger("lrtuner.seed_search")
    assert get_logger("lrtuner.hf") is logging.getLogger("lrtuner.hf")
    assert get_logger("seed_search").parent is get_logger()
    assert any(isinstance(h, logging.NullHandler) for h in get_logger().handlers)
    for bad in ("", ".", 3, b"hf"):
        with pytest.raises(ValueError, match="Invalid name"):
            get_logger(bad)


def test_library_logs_print_nothing_without_a_logging_setup():
    # Without the NullHandler, Python's last-resort handler would print WARNING lines to stderr.
    code = (
        "import lrtuner.logging as L\n"
        "L.get_logger('seed_search').warning('a warning nobody configured')\n"
        "L.get_logger().error('an error nobody configured')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr == "" and out.stdout == ""
    configured = "import logging; logging.basicConfig(level=logging.INFO)\n" + code
    out = subprocess.run(
        [sys.executable, "-c", configured], capture_output=True, text=True, check=True
    )
    assert "WARNING:lrtuner.seed_search:a warning nobody configured" in out.stderr


def test_format_and_log_decision(caplog):
    import logging

    from lrtuner.logging import format_decision, log_decision

    record = _record(7, lr_before=0.1, lr_after=0.25, reason="explore accepts an increase")
    line = format_decision(record)
    assert line == "step 7 explore accepted: lr 0.1 -> 0.25 (explore accepts an increase)"
    with caplog.at_level(logging.DEBUG, logger="lrtuner"):
        log_decision(record)
        log_decision(record, logging.getLogger("lrtuner.hf"), level=logging.DEBUG)
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        ("lrtuner", logging.INFO, line),
        ("lrtuner.hf", logging.DEBUG, line),
    ]
    with pytest.raises(ValueError, match="Invalid record"):
        format_decision({"step": 1})


def test_history_writer_logs_decisions_and_restarts(tmp_path, caplog):
    import logging

    tuner = _FakeTuner()
    tuner.history = [_record(1), _record(2, "rejected")]
    with caplog.at_level(logging.INFO, logger="lrtuner"):
        with HistoryWriter(tmp_path / "h.jsonl", log_level=logging.INFO) as log:
            log.update(tuner)
            tuner.history = tuner.history[:1]  # reloaded from an earlier checkpoint
            log.update(tuner)
        with HistoryWriter(tmp_path / "quiet.jsonl") as quiet:  # no log_level: no decision lines
            tuner.history = [_record(1), _record(2)]
            quiet.update(tuner)
    messages = [r.getMessage() for r in caplog.records]
    assert messages[:2] == ["step 1 explore accepted: lr 0.1 -> 0.2 (test)",
                            "step 2 explore rejected: lr 0.1 -> 0.1 (test)"]  # fmt: skip
    assert "writing restarts at decision 1" in messages[2]
    assert len(messages) == 3
    with pytest.raises(ValueError, match="Invalid log_level"):
        HistoryWriter(tmp_path / "x.jsonl", log_level="INFO")
