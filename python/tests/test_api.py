"""Scenario.load / from_dict / validate / run against the real CLI, and bad input."""

from __future__ import annotations

import json
import math
import subprocess

import numpy as np
import pandas as pd
import pytest

import ztsim

CONTAIN = "tests/scenarios/contain.yaml"


def _cli(ztsim_bin, *args, out):
    subprocess.run([ztsim_bin, *args, "--out", str(out)], check=True, capture_output=True)
    return json.loads((out / "summary.json").read_text())


def _strip(summary):
    return {k: v for k, v in summary.items() if k != "timing"}


def test_summary_equals_cli_summary_json(in_root, ztsim_bin, tmp_path):
    cli = _cli(ztsim_bin, "run", CONTAIN, "-n", "300", "-s", "42", "-c", "none", "-c", "edr", out=tmp_path)
    res = ztsim.Scenario.load(CONTAIN).run(controls=["none", "edr"], trials=300, seed=42)
    assert _strip(res.summary) == _strip(cli)
    assert set(res.summary["timing"]) == set(cli["timing"])


def test_summary_defaults_equal_cli(in_root, ztsim_bin, tmp_path):
    # No controls, trials or seed: the scenario's simulation block and sets, as the CLI.
    cli = _cli(ztsim_bin, "run", "tests/scenarios/env-random.yaml", out=tmp_path)
    res = ztsim.Scenario.load("tests/scenarios/env-random.yaml").run(threads=1)
    assert _strip(res.summary) == _strip(cli)


def test_trials_table_equals_trials_csv(in_root, ztsim_bin, tmp_path):
    _cli(ztsim_bin, "run", CONTAIN, "-n", "200", "-s", "9", "-c", "none", "-c", "edr", out=tmp_path)
    csv = pd.read_csv(tmp_path / "trials.csv")
    df = ztsim.Scenario.load(CONTAIN).run(controls=["none", "edr"], trials=200, seed=9).trials
    assert list(df.columns) == list(csv.columns)
    assert len(df) == len(csv) == 400
    for col in csv.columns:
        a, b = df[col], csv[col]
        if col in ("control_set", "end"):
            assert list(a.astype(str)) == list(b.astype(str)), col
        else:
            # The CSV rounds to four decimals; the table keeps full precision.
            np.testing.assert_allclose(a.to_numpy(float), b.to_numpy(float), atol=5e-5, equal_nan=True, err_msg=col)


def test_trials_arrow_has_nulls_for_unobserved_times(in_root):
    pa = pytest.importorskip("pyarrow")
    t = ztsim.Scenario.load(CONTAIN).run(controls="none", trials=50, seed=1).trials_arrow()
    assert isinstance(t, pa.Table)
    assert t.num_rows == 50
    assert t.column("contain_hours").null_count == sum(
        1 for x in t.column("contain_hours").to_pylist() if x is None
    )
    assert t.column("trial").to_pylist() == list(range(50))


def test_from_text_runs_like_the_file(in_root):
    text = open(CONTAIN).read()
    a = ztsim.Scenario.load(CONTAIN).run(controls="none", trials=100, seed=2).summary
    b = ztsim.Scenario.from_text(text, origin=CONTAIN).run(controls="none", trials=100, seed=2).summary
    assert _strip(a) == _strip(b)


def test_from_dict_builds_and_runs():
    d = {
        "name": "two-hosts",
        "segments": [{"id": "lan", "name": "LAN"}],
        "assets": [
            {"id": "ws-1", "kind": "workstation", "segment": "lan", "os": "windows"},
            {"id": "ws-2", "kind": "workstation", "segment": "lan", "os": "windows"},
            {"id": "u-1", "kind": "user", "domain": "t.local"},
        ],
        "relations": [
            {"type": "has_session", "from": "ws-1", "to": "u-1"},
            {"type": "admin_to", "from": "u-1", "to": "ws-2"},
        ],
        "attacker": {"entry": [], "start": ["ws-1"]},
        "simulation": {"trials": 20, "horizon_hours": 500, "seed": 1},
    }
    s = ztsim.Scenario.from_dict(d)
    r = s.run()
    assert r.summary["scenario"] == "two-hosts"
    assert r.summary["scenario_file"] == "<dict>"
    assert r.summary["trials"] == 20
    assert len(r.trials) == 20
    assert (r.trials["compromised"] >= 1).all()


def test_validate_lists_located_warnings(in_root):
    s = ztsim.Scenario.load(CONTAIN)
    assert isinstance(s.validate(), list)
    assert s.name == "contain"
    assert s.origin == CONTAIN
    assert s.default_sets == ["none", "edr"]


def test_scenario_error_carries_location(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\nsegments:\n  - {id: lan, name: LAN}\nassets:\n"
        "  - {id: ws-1, kind: workstaton, segment: lan}\n"
    )
    with pytest.raises(ztsim.ScenarioError) as ei:
        ztsim.Scenario.load(bad)
    e = ei.value
    assert isinstance(e, ValueError)
    assert e.file == str(bad)
    assert e.line == 5 and e.column > 0
    assert e.field.startswith("assets[0]")
    assert any(d.severity == "error" and d.line == 5 for d in e.diagnostics)
    diags = ztsim.validate(bad)
    assert [d.line for d in diags if d.severity == "error"] == [5]


def test_from_dict_error_is_located_in_the_dict_rendering():
    d = {"name": "x", "segments": [{"id": "lan", "name": "LAN"}], "assets": [{"id": "a", "kind": "nope", "segment": "lan"}]}
    with pytest.raises(ztsim.ScenarioError) as ei:
        ztsim.Scenario.from_dict(d)
    assert ei.value.file == "<dict>"
    assert ei.value.line > 0 and "assets[0]" in ei.value.field


def test_unknown_control_set_and_profile_are_usage_errors(in_root):
    s = ztsim.Scenario.load(CONTAIN)
    with pytest.raises(ztsim.UsageError, match="unknown control set"):
        s.run(controls=["no-such-set"], trials=5)
    with pytest.raises(ztsim.UsageError, match="unknown attacker profile"):
        ztsim.Scenario.load(CONTAIN, profile="wizard")
    with pytest.raises(ztsim.UsageError):
        s.run(trials=0)


def test_missing_file_is_oserror(tmp_path):
    with pytest.raises(OSError):
        ztsim.Scenario.load(tmp_path / "missing.yaml")


def test_results_do_not_depend_on_threads(in_root):
    s = ztsim.Scenario.load(CONTAIN)
    a = s.run(controls="none", trials=200, seed=3, threads=1).summary
    b = s.run(controls="none", trials=200, seed=3, threads=2).summary
    assert _strip(a) == _strip(b)
    assert not math.isnan(a["control_sets"][0]["blast_radius"]["mean"])
