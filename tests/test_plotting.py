"""lrtuner.plotting: figures from DecisionRecord dataclasses and from JSONL dicts."""

from __future__ import annotations

import json

import pytest

from lrtuner import DecisionRecord, plotting

pytest.importorskip("matplotlib")


def records():
    return [
        DecisionRecord(
            step=10,
            phase="explore",
            lr_before=0.1,
            lr_after=0.2,
            decision="accepted",
            reason="increase",
            epsilons=[-0.05, 0.0, 0.1],
            losses=[1.3, 1.25, 1.24],
            coefficients=(1.25, -0.3, 1.8),
            proposed_lr=0.2,
            num_batches=4,
            forward_passes=12,
        ),
        DecisionRecord(
            step=20,
            phase="explore",
            lr_before=0.2,
            lr_after=0.2,
            decision="rejected",
            reason="decrease in explore",
        ),
        DecisionRecord(
            step=30,
            phase="exploit",
            lr_before=0.2,
            lr_after=0.1,
            decision="accepted",
            reason="decrease",
        ),
        DecisionRecord(
            step=40,
            phase="exploit",
            lr_before=0.1,
            lr_after=0.2,
            decision="rolled_back",
            reason="loss rose",
        ),
    ]


def test_lr_trace_from_dataclasses_and_jsonl(tmp_path):
    fig = plotting.plot_lr_trace(records())
    assert fig.axes and fig.axes[0].get_xlabel() == "step"
    path = tmp_path / "h.jsonl"
    path.write_text("\n".join(json.dumps(r.to_dict()) for r in records()) + "\n\n")
    dicts = plotting.read_history(path)
    assert len(dicts) == 4
    fig2 = plotting.plot_lr_trace(dicts)
    fig2.savefig(tmp_path / "lr.png")
    assert (tmp_path / "lr.png").stat().st_size > 1000


def test_lr_trace_of_empty_history():
    assert plotting.plot_lr_trace([]).axes


def test_quadratic_fit_figure():
    record = records()[0]
    fig = plotting.plot_quadratic_fit(record)
    ax = fig.axes[0]
    assert "epsilon" in ax.get_xlabel()
    assert plotting.first_fit(records())["step"] == 10
    assert plotting.plot_quadratic_fit(record.to_dict()).axes


def test_record_without_fit_is_rejected():
    with pytest.raises(ValueError, match="record"):
        plotting.plot_quadratic_fit(records()[1])
    with pytest.raises(ValueError, match="record"):
        plotting.as_record_dict(42)


def test_bad_jsonl_names_the_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"step": 1}\nnot json\n')
    with pytest.raises(ValueError, match=r"bad\.jsonl:2"):
        plotting.read_history(path)


def test_matplotlib_is_imported_lazily():
    import subprocess
    import sys

    code = "import sys, lrtuner.plotting; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
