"""TunerConfig: every option and constant visible, validated, documented, and honoured."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import pytest
import torch
from digits_testbed import BNDropoutNet, make_batches

from lrtuner import TunerConfig

DOCS = Path(__file__).resolve().parents[1] / "docs" / "automatic-rules.md"


def test_every_field_is_documented_with_its_default():
    text = DOCS.read_text()
    rows = dict(re.findall(r"^\| `(\w+)` \| ([^|]+) \|", text, flags=re.MULTILINE))
    for f in dataclasses.fields(TunerConfig):
        assert f.name in rows, f"{f.name} is not in docs/automatic-rules.md"
        default = f.default
        shown = rows[f.name]
        if isinstance(default, float) and default == math.sqrt(10.0):
            assert "sqrt(10)" in shown
        elif default is None:
            assert "None" in shown
        elif isinstance(default, (int, float)) and not isinstance(default, bool):
            assert float(shown.split()[0]) == default, (f.name, shown)
        else:
            assert repr(default).strip("'") in shown, (f.name, shown)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("decision_spacing_share", 0.0),
        ("decision_spacing_share", 1.5),
        ("min_recompute_every", 0),
        ("max_backoff", 2.5),
        ("safety_factor", -1.0),
        ("grid_ratio", 1.0),
        ("min_multiplier", 2.0),
        ("rollback", "yes"),
        ("adaptive_superbatch", 1),
        ("search_bracket_on_grid", "no"),
        ("search_retry_from_start", 0),
    ],
)
def test_invalid_constants_name_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        TunerConfig(**{field: value})


def test_resolution_against_total_steps():
    c = TunerConfig(total_steps=1001, superbatch=3).resolve()
    assert c.explore_steps == 250 and c.min_superbatch == 3
    assert TunerConfig(total_steps=1000, explore_steps=7).resolve().explore_steps == 7
    assert TunerConfig().resolve().explore_steps is None
    assert TunerConfig(total_steps=100, explore_share=0.3).resolve().explore_steps == 30


def test_config_and_keyword_overrides(make_tuner, digits):
    model = BNDropoutNet()
    base = torch.optim.SGD(model.parameters(), lr=0.1)
    config = TunerConfig(total_steps=400, superbatch=8, safety_factor=10.0)
    tuner = make_tuner(model, base, config=config, superbatch=6)
    assert tuner.config.superbatch == 6 and tuner.config.safety_factor == 10.0
    assert tuner.config.explore_steps == 100 and tuner.explore_steps == 100
    assert tuner.total_steps == 400  # the fields read as attributes, as in 0.3.0
    with pytest.raises(TypeError, match="superbach"):
        make_tuner(model, base, superbach=6)
    with pytest.raises(ValueError, match="config"):
        make_tuner(model, base, config={"superbatch": 6})
    # a constant changes what the tuner does: the seed search's divisor
    xtr, ytr, _, _ = digits
    lrs = []
    for factor in (20.0, 10.0):
        torch.manual_seed(0)
        model = BNDropoutNet()
        base = torch.optim.SGD(model.parameters(), lr=0.01)
        tuner = make_tuner(model, base, total_steps=100, safety_factor=factor)
        for x, y in make_batches(xtr, ytr, 32)[: tuner.config.search_directions]:
            tuner.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            tuner.step()
        assert f"1/{factor:g}" in tuner.history[-1].reason  # the search's last record
        lrs.append(tuner.lr)
    assert lrs[1] == pytest.approx(2 * lrs[0])
