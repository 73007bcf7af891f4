"""End to end: the quick profile on digits (a couple of methods, short) through the CLI,
then the report: tables, figures and the LR-trace plot command."""

from __future__ import annotations

import json

import pytest

from lrtuner.cli import main
from lrtuner_bench.cli import main as bench_main

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("quick")
    argv = [
        "run",
        "--task",
        "digits-mlp",
        "--method",
        "lrtuner,knee",
        "--seeds",
        "0,1",
        "--profile",
        "quick",
        "--steps",
        "100",
        "--out",
        str(out),
        "--no-progress",
    ]
    assert bench_main(argv) == 0
    return out


def test_runs_and_profile_are_stored(results):
    profile = json.loads((results / "profile-quick.json").read_text())
    assert profile["tasks"]["digits-mlp"]["budget"]["steps"] == 100
    assert set(profile["methods"]) == {"baseline", "lrtuner", "knee"}
    runs = results / "runs" / "digits-mlp"
    assert len(list((runs / "baseline-grid").glob("lr*_seed0.json"))) >= 3
    for method in ("baseline", "lrtuner", "knee"):
        for seed in (0, 1):
            run = json.loads((runs / method / f"seed{seed}.json").read_text())
            assert run["status"] == "ok", run.get("error")
            assert run["config"]["seed"] == seed
            assert "reached" in run["target"]
    tuned = json.loads((runs / "lrtuner" / "seed0.json").read_text())
    assert tuned["forward_passes"]["probe"] == tuned["tuner_stats"]["probe_forward_passes"]
    assert (runs / "lrtuner" / tuned["history_file"]).exists()


def test_report_tables_and_figures(results):
    # `lrtuner bench ...` forwards to `lrtuner-bench ...`
    assert main(["bench", "report", str(results)]) == 0
    text = (results / "report.md").read_text()
    assert "## digits-mlp" in text
    for method in ("baseline", "lrtuner", "knee"):
        assert f"| {method} |" in text
    assert "Baseline LR grid" in text
    figures = {p.name for p in (results / "figures").glob("*.png")}
    assert {"digits-mlp-curves.png", "digits-mlp-methods.png", "digits-mlp-lr-trace.png"} <= figures
    summary = json.loads((results / "summary.json").read_text())
    assert [r["method"] for r in summary["tasks"]["digits-mlp"]][:2] == ["baseline", "lrtuner"]
    assert summary["split"]["digits-mlp"] == "development"
    assert "## Task split" in text and "## Acceptance checks" in text


def test_plot_command(results, tmp_path):
    history = results / "runs" / "digits-mlp" / "lrtuner" / "seed0.history.jsonl"
    out = tmp_path / "lr.png"
    assert main(["plot", str(history), "-o", str(out)]) == 0
    assert out.stat().st_size > 1000


def test_rerun_reuses_stored_runs(results):
    before = (results / "runs" / "digits-mlp" / "knee" / "seed0.json").read_text()
    argv = [
        "run",
        "--task",
        "digits-mlp",
        "--method",
        "knee",
        "--seeds",
        "0",
        "--profile",
        "quick",
        "--steps",
        "100",
        "--out",
        str(results),
        "--no-progress",
        "--no-report",
    ]
    assert bench_main(argv) == 0
    after = json.loads((results / "runs" / "digits-mlp" / "knee" / "seed0.json").read_text())
    assert after["wall_clock"] == json.loads(before)["wall_clock"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--seeds", "x"], "seeds"),
        (["run", "--task", "nope"], "task"),
        (["run", "--method", "nope"], "method"),
        (["run", "--profile", "huge"], "profile"),
        (["run", "--steps", "0"], "steps"),
    ],
)
def test_bad_cli_input_names_the_argument(argv, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        bench_main([*argv, "--out", str(tmp_path)])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err
