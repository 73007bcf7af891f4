"""The acceptance checks of issue 12 on made-up runs: worst seed LR vs the baseline's spread,
mean ranks with failures kept, steps to target, early-LR spread and probe fraction."""

from __future__ import annotations

import math

import pytest

from lrtuner_bench import acceptance
from lrtuner_bench.report import TaskResults


def run(method, seed, final, *, status="ok", steps=2000, curve=None, lrs=None, probe=0):
    curve = curve if curve is not None else [(steps, final)]
    lrs = lrs if lrs is not None else [0.01] * 100
    return {
        "method": method,
        "seed": seed,
        "status": status,
        "final_metric": final if status == "ok" else None,
        "config": {"budget": {"steps": steps}, "method": {}},
        "curves": {
            "eval": [{"step": s, "metric": v, "wall_clock_s": s / 100} for s, v in curve],
            "step": {"every": steps // len(lrs), "lr": lrs},
        },
        "forward_passes": {"train": steps, "probe": probe},
        "extra_train_steps": 0,
    }


def three(method, finals, **kw):
    return [run(method, s, f, **kw) for s, f in enumerate(finals)]


def test_variants_prefer_peak_relative_runs():
    names = ["lrtuner", "lrtuner@0.01", "lrtuner@peak10", "lrtuner@peak0.001", "knee"]
    assert acceptance.lrtuner_variants(names) == ["lrtuner@peak0.001", "lrtuner@peak10"]
    assert acceptance.lrtuner_variants(["lrtuner@0.1", "lrtuner"]) == ["lrtuner@0.1", "lrtuner"]


def test_worst_seed_lr_against_two_baseline_std():
    t = TaskResults("t", "accuracy", True)
    t.methods = {
        "baseline": three("baseline", [0.90, 0.92, 0.94]),  # mean 0.92, std 0.02
        "lrtuner@peak0.01": three("lrtuner@peak0.01", [0.89, 0.89, 0.89]),
        "lrtuner@peak1": three("lrtuner@peak1", [0.93, 0.93, 0.93]),
    }
    a = acceptance.worst_seed_lr(t)
    assert a["threshold"] == pytest.approx(0.88) and a["worst_variant"] == "lrtuner@peak0.01"
    assert a["pass"]
    t.methods["lrtuner@peak10"] = [
        *three("lrtuner@peak10", [0.95, 0.95]),
        run("lrtuner@peak10", 2, None, status="diverged"),
    ]
    a = acceptance.worst_seed_lr(t)
    assert a["worst_variant"] == "lrtuner@peak10" and a["worst_mean"] is None and not a["pass"]
    low = TaskResults("l", "val_loss", False)
    low.methods = {
        "baseline": three("baseline", [1.0, 1.0, 1.0]),
        "lrtuner@peak1": three("lrtuner@peak1", [1.01, 1.01, 1.01]),
    }
    assert not acceptance.worst_seed_lr(low)["pass"]  # std 0: no slack for a worse loss


def test_ranks_put_failures_last_and_share_ties():
    ranks = acceptance.rank_methods(
        {"a": (0, 0.9), "b": (0, 0.9), "c": (1, 0.99), "d": (3, math.nan), "e": (0, 0.5)}, True
    )
    assert ranks == {"a": 1.5, "b": 1.5, "e": 3, "c": 4, "d": 5}
    assert acceptance.rank_methods({"a": (0, 1.2), "b": (0, 1.1)}, False) == {"b": 1, "a": 2}


def test_mean_ranks_pool_lrtuner_and_separate_per_task_tuned_methods():
    def one(name, tuner, peer, base):
        t = TaskResults(name, "accuracy", True)
        t.methods = {
            "baseline": three("baseline", [base] * 3),
            "knee": three("knee", [base + 0.01] * 3),
            "prodigy": three("prodigy", [peer] * 3),
            "lrtuner@peak0.1": three("lrtuner@peak0.1", [tuner] * 3),
            "lrtuner@peak1": three("lrtuner@peak1", [tuner + 0.02] * 3),
            "schedulefree@10": three("schedulefree@10", [0.99] * 3),  # not at its defaults
        }
        return t

    b = acceptance.mean_ranks([one("x", 0.90, 0.85, 0.92), one("y", 0.80, 0.70, 0.75)])
    nt, al = b["not_tuned_per_task"], b["all"]
    assert set(nt["mean_rank"]) == {"lrtuner", "prodigy"} and nt["lrtuner_position"] == 1
    assert al["per_task"]["x"] == {"knee": 1, "baseline": 2, "lrtuner": 3, "prodigy": 4}
    # knee 1.5 is ahead; lrtuner 2.0; baseline 2.5; prodigy 4
    assert al["mean_rank"]["lrtuner"] == 2.0 and al["lrtuner_position"] == 2
    assert al["lrtuner_tied_with"] == [] and b["pass"]


def test_mean_rank_ties_share_the_position():
    def one(name, tuner, peer):
        t = TaskResults(name, "accuracy", True)
        t.methods = {
            "baseline": three("baseline", [0.5] * 3),
            "prodigy": three("prodigy", [peer] * 3),
            "lrtuner@peak1": three("lrtuner@peak1", [tuner] * 3),
        }
        return t

    # lrtuner first on x, prodigy first on y: both mean rank 1.5 among the untuned
    b = acceptance.mean_ranks([one("x", 0.9, 0.8), one("y", 0.8, 0.9)])
    nt = b["not_tuned_per_task"]
    assert nt["lrtuner_position"] == 1 and nt["lrtuner_tied_with"] == ["prodigy"]
    assert acceptance._position(nt) == "1 (tied with prodigy)"


def test_steps_to_target_median_counts_unreached_runs():
    t = TaskResults("t", "accuracy", True)
    t.methods = {
        "baseline": three("baseline", [0.9, 0.9, 0.9], curve=[(1000, 0.8), (2000, 0.9)]),
        "lrtuner@peak1": [
            run("lrtuner@peak1", 0, 0.91, curve=[(1000, 0.85), (1500, 0.9), (2000, 0.91)]),
            run("lrtuner@peak1", 1, 0.92, curve=[(1000, 0.9), (2000, 0.92)]),
            run("lrtuner@peak1", 2, 0.85, curve=[(2000, 0.85)]),
        ],
    }
    c = acceptance.steps_to_target(t)
    assert c["fractions"] == [0.75, 0.5, math.inf]
    assert c["median_fraction"] == 0.75 and c["pass"]


def test_early_lr_spread_and_probe_fraction():
    t = TaskResults("t", "accuracy", True)
    lrs = lambda early: [1.0] * 10 + [early] * 10 + [0.1] * 80  # noqa: E731 - 100 points
    t.methods = {
        "lrtuner@peak1": [
            run("lrtuner@peak1", 0, 0.9, lrs=lrs(0.01), probe=30),
            run("lrtuner@peak1", 1, 0.9, lrs=lrs(0.02), probe=60),
        ]
    }
    assert acceptance.lr_at_fraction(t.methods["lrtuner@peak1"][0]) == 0.01  # step 200 of 2000
    d = acceptance.early_lr_spread(t)
    assert d["worst_ratio"] == pytest.approx(2.0) and d["pass"]
    t.methods["lrtuner@peak1"].append(run("lrtuner@peak1", 2, 0.9, lrs=lrs(0.05), probe=150))
    assert not acceptance.early_lr_spread(t)["pass"]
    e = acceptance.probe_fraction(t)
    assert e["max_fraction"] == pytest.approx(150 / 6000) and e["applies"] and not e["pass"]
    # the check is on the fits: a seed search's forward passes are reported beside it
    t.methods["lrtuner@peak1"][2]["forward_passes"]["seed_search"] = 100
    e = acceptance.probe_fraction(t)
    assert e["max_fraction"] == pytest.approx(60 / 6000) and e["pass"]
    assert e["max_fraction_with_seed_search"] == pytest.approx(150 / 6000)


def test_acceptance_verdicts_and_markdown_keep_failures():
    val = TaskResults("v", "accuracy", True)
    val.methods = {
        "baseline": three("baseline", [0.9, 0.9, 0.9]),
        "prodigy": three("prodigy", [0.8, 0.8, 0.8]),
        "lrtuner@peak1": [run("lrtuner@peak1", 0, None, status="failed")] * 3,
    }
    dev = TaskResults("d", "accuracy", True)
    dev.methods = {"baseline": three("baseline", [0.9] * 3), "lrtuner@peak1": three("x", [0.9] * 3)}
    checks = acceptance.acceptance({"v": val, "d": dev}, {"v": "validation"}.get)
    assert checks["validation"]["validation_tasks"] == ["v"]
    assert checks["validation"]["a"] is False and checks["validation"]["b"]["pass"] is False
    text = acceptance.markdown(checks)
    assert "| v | **validation** | failed (lrtuner@peak1)" in text
    assert "| d |" in text


def test_every_retried_search_counts_as_search_not_as_fits(tmp_path):
    """A run whose first two searches were inconclusive holds three search records; a stored
    run counted only the last (``seed_search_result``) in ``forward_passes["seed_search"]``, so
    check (e) took the other two for fits. The report counts every search record."""
    import json

    from lrtuner_bench.report import load_results

    folder = tmp_path / "runs" / "t" / "lrtuner@peak1"
    folder.mkdir(parents=True)
    inconclusive = "seed search: no LR on the grid lowers the loss; ..."
    history = [
        {"step": 0, "reason": inconclusive, "forward_passes": 80},
        {"step": 0, "reason": inconclusive, "forward_passes": 72},
        {"step": 1, "reason": "seed search: one-step loss minimal at ...", "forward_passes": 64},
        {"step": 125, "reason": "explore accepts an increase", "forward_passes": 30},
    ]
    (folder / "seed0.history.jsonl").write_text("".join(json.dumps(h) + "\n" for h in history))
    record = run("lrtuner@peak1", 0, 0.9, steps=2000, probe=80 + 72 + 64 + 30)
    record.update(task="t", metric="accuracy", higher_is_better=True,
                  history_file="seed0.history.jsonl")
    record["forward_passes"]["seed_search"] = 64  # the last search only, as stored
    (folder / "seed0.json").write_text(json.dumps(record))
    t = load_results(tmp_path)["t"]
    stored = t.methods["lrtuner@peak1"][0]
    assert stored["forward_passes"]["seed_search"] == 80 + 72 + 64
    e = acceptance.probe_fraction(t)
    assert e["max_fraction"] == pytest.approx(30 / 6000)
    assert e["max_fraction_with_seed_search"] == pytest.approx(246 / 6000)
