"""lrtuner.plotting: figures from DecisionRecord dataclasses and from JSONL dicts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lrtuner import DecisionRecord, plotting
from lrtuner.seed_search import median_in_log

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


# ---------------------------------------------- the seed search, on a real run
DOCS = Path(__file__).resolve().parents[1] / "docs" / "integrations.md"


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """A default LRTuner run on digits (only ``total_steps`` given), its history as JSONL."""
    import torch
    import torch.nn.functional as F
    from digits_testbed import BNDropoutNet, load_digits_tensors, make_batches

    from lrtuner import LRTuner
    from lrtuner.logging import write_history_jsonl

    x, y, _, _ = load_digits_tensors()
    torch.manual_seed(0)
    model = BNDropoutNet()
    base = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    tuner = LRTuner(
        base,
        probe_loss=lambda b: F.cross_entropy(model(b[0]), b[1]),
        probe_data=make_batches(x, y, 64, seed=1),
        model=model,
        total_steps=300,
    )
    for epoch in range(8):
        for xb, yb in make_batches(x, y, 32, seed=epoch):
            if tuner.stats.optimizer_steps >= 300:
                break
            tuner.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            tuner.step(loss=loss)
    out = tmp_path_factory.mktemp("default_run")
    write_history_jsonl(tuner.history, out / "history.jsonl")
    return tuner, out


def _last_search(tuner):
    """The seed search's last record: the one that set the LR."""
    return [r for r in tuner.history if plotting.is_seed_search(r)][-1]


def test_seed_search_record_is_refused_by_the_fit_figure_with_a_pointer(default_run):
    tuner, _ = default_run
    search = _last_search(tuner)
    assert plotting.is_seed_search(search) and search.decision == "accepted"
    with pytest.raises(ValueError, match="plot_seed_search"):
        plotting.plot_quadratic_fit(search)
    assert not plotting.has_fit(search)
    assert plotting.first_fit(tuner.history)["coefficients"]


def test_seed_search_curve_reproduces_the_tuners_choice(default_run):
    tuner, _ = default_run
    safety_factor = tuner.config.safety_factor
    search = _last_search(tuner)
    curve = plotting.seed_search_curve(search)
    seed_lr = search.lr_before
    assert curve.seed_lr == seed_lr
    # grid LRs are lr_before + eps of the record, without the m = 0 point, in increasing order
    expected = sorted(seed_lr + e for e in search.epsilons[1:])
    assert curve.lrs == pytest.approx(tuple(expected), rel=1e-12)
    assert list(curve.lrs) == sorted(curve.lrs) and min(curve.lrs) > 0
    assert curve.loss_before == search.losses[0]
    assert sorted(curve.losses) == sorted(search.losses[1:])
    # the chosen LR is a twentieth of the median of the directions' one-step optima (0.17.0);
    # the figure's optimum is this line's own, one of them
    optima = tuner.policy.state.seed_search_optima
    assert curve.chosen_lr == search.lr_after
    assert curve.chosen_lr == pytest.approx(median_in_log(optima) / safety_factor, rel=1e-9)
    assert any(curve.optimum_lr == pytest.approx(o, rel=1e-9) for o in optima)
    assert min(curve.lrs) <= curve.optimum_lr <= max(curve.lrs)


def test_seed_search_figure_has_a_log_lr_axis_and_the_chosen_lr(default_run, tmp_path):
    tuner, _ = default_run
    search = _last_search(tuner)
    fig = plotting.plot_seed_search(search.to_dict())
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert "learning rate" in ax.get_xlabel()
    xs = {round(float(line.get_xdata()[0]), 12) for line in ax.lines if len(line.get_xdata()) == 2}
    assert round(search.lr_after, 12) in xs  # the chosen-LR line
    assert round(search.lr_before, 12) in xs  # the seed-LR line
    labels = ax.get_legend_handles_labels()[1]
    assert any(label.startswith("one-step optimum") for label in labels)
    fig.savefig(tmp_path / "search.png")
    assert (tmp_path / "search.png").stat().st_size > 1000
    assert plotting.plot_decision(search).axes[0].get_xscale() == "log"
    with pytest.raises(ValueError, match="not the seed search"):
        plotting.plot_seed_search(plotting.first_fit(tuner.history))


def test_seed_search_with_non_finite_points_and_a_skipped_search():
    record = DecisionRecord(
        step=1,
        phase="explore",
        lr_before=0.1,
        lr_after=0.1,
        decision="rejected",
        reason="seed search: no LR on the grid lowers the loss; LR kept",
        epsilons=[-0.1, 0.9, 9.9],
        losses=[1.0, 1.2, float("inf")],
    )
    curve = plotting.seed_search_curve(record)
    assert curve.lrs == pytest.approx((1.0, 10.0)) and curve.losses[1] == float("inf")
    assert curve.optimum_lr is None and curve.chosen_lr == 0.1
    labels = plotting.plot_seed_search(record).axes[0].get_legend_handles_labels()[1]
    assert "not finite" in labels
    skipped = DecisionRecord(
        step=1,
        phase="explore",
        lr_before=0.1,
        lr_after=0.1,
        decision="skipped",
        reason="seed search: probe raised ...",
    )
    with pytest.raises(ValueError, match="no loss curve"):
        plotting.plot_seed_search(skipped)


def _docs_figure_snippet() -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(), flags=re.S)
    matches = [b for b in blocks if "plot_quadratic_fit" in b]
    assert len(matches) == 1, "docs/integrations.md: one figure snippet expected"
    return matches[0]


def test_documented_figure_snippet_runs_on_a_default_run(default_run, monkeypatch, capsys):
    _, out = default_run
    monkeypatch.chdir(out)
    exec(compile(_docs_figure_snippet(), str(DOCS), "exec"), {})
    for name in ("lr_trace.png", "fit.png", "seed_search.png"):
        assert (out / name).stat().st_size > 1000, name
    optimum, chosen = (float(v) for v in capsys.readouterr().out.split())
    assert optimum > chosen > 0


def test_cli_fit_step_draws_the_seed_search_and_a_fit(default_run, tmp_path):
    from lrtuner.cli import main

    tuner, out = default_run
    history = out / "history.jsonl"
    assert main(["plot", str(history), "--fit-step", "1", "-o", str(tmp_path / "s.png")]) == 0
    assert (tmp_path / "s.png").stat().st_size > 1000
    fit_step = plotting.first_fit(tuner.history)["step"]
    assert (
        main(["plot", str(history), "--fit-step", str(fit_step), "-o", str(tmp_path / "f.png")])
        == 0
    )
    assert (tmp_path / "f.png").stat().st_size > 1000
    no_fit = next(r.step for r in tuner.history if r.coefficients is None and r.step > 1)
    with pytest.raises(SystemExit):
        main(["plot", str(history), "--fit-step", str(no_fit), "-o", str(tmp_path / "x.png")])
    assert not (tmp_path / "x.png").exists()
