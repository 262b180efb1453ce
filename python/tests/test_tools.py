"""generate, import_bloodhound, compare and paths against the CLI."""

from __future__ import annotations

import json
import subprocess

import pytest

import ztsim

CONTAIN = "tests/scenarios/contain.yaml"


def test_generate_equals_cli(ztsim_bin):
    cli = subprocess.run([ztsim_bin, "generate", "--size", "small", "--seed", "4", "--quiet"],
                         check=True, capture_output=True, text=True).stdout
    assert ztsim.generate_yaml("small", seed=4) == cli
    s = ztsim.generate("small", seed=4)
    assert s.attack_edges > 0
    assert s.run(controls="none", trials=20, seed=1).summary["trials"] == 20
    with pytest.raises(ztsim.UsageError, match="size"):
        ztsim.generate("enormous")


def test_compare_equals_cli(in_root, ztsim_bin, tmp_path):
    subprocess.run([ztsim_bin, "compare", CONTAIN, "-c", "none", "-c", "edr", "-n", "200", "-s", "3",
                    "--out", str(tmp_path)], check=True, capture_output=True)
    cli = json.loads((tmp_path / "comparison.json").read_text())
    got = ztsim.Scenario.load(CONTAIN).compare(["none", "edr"], trials=200, seed=3)
    strip = lambda r: {**r, "summary": {k: v for k, v in r["summary"].items() if k != "timing"}}
    assert strip(got) == strip(cli)


def test_paths_equals_cli(in_root, ztsim_bin):
    cli = json.loads(subprocess.run([ztsim_bin, "paths", CONTAIN, "-k", "3", "-n", "100", "--json"],
                                    check=True, capture_output=True, text=True).stdout)
    got = ztsim.Scenario.load(CONTAIN).paths(k=3, trials=100)
    assert got == cli
    with pytest.raises(ztsim.UsageError, match="by"):
        ztsim.Scenario.load(CONTAIN).paths(by="luck")


def test_import_bloodhound_round_trip(in_root, ztsim_bin, tmp_path):
    # A SharpHound zip written by `ztsim export --format sharphound`, imported back.
    z = tmp_path / "collection.zip"
    subprocess.run([ztsim_bin, "export", "scenarios/flat-ad.yaml", "--format", "sharphound", "-o", str(z)],
                   check=True, capture_output=True)
    out = tmp_path / "imported.yaml"
    subprocess.run([ztsim_bin, "import", "bloodhound", str(z), "-o", str(out)], check=True, capture_output=True)
    assert ztsim.import_bloodhound_yaml(z) == out.read_text()
    s = ztsim.import_bloodhound(z)
    assert s.attack_edges > 0
    with pytest.raises(OSError):
        ztsim.import_bloodhound(tmp_path / "missing.zip")


def test_estimate_equals_cli(in_root, ztsim_bin):
    # A four-hop chain: importance sampling to 10% on P(ws-5 falls); all but the clock's
    # numbers equal the CLI's (the same engine, keys and stopping rule).
    chain = "tests/scenarios/estimate/chain-4.yaml"
    cli = json.loads(subprocess.run([ztsim_bin, "estimate", chain, "-c", "none", "--target", "asset:ws-5", "--json"],
                                    check=True, capture_output=True, text=True).stdout)
    got = ztsim.Scenario.load(chain).estimate("none", target="asset:ws-5")
    # Wall-clock numbers differ: the run's seconds, and crude's time at this run's rate.
    def strip(r):
        out = {k: v for k, v in r.items() if k != "seconds"}
        out["crude"] = {k: v for k, v in r["crude"].items() if k != "seconds"}
        return out
    assert strip(got) == strip(cli)
    assert got["stop"] == "precision"
    with pytest.raises(ztsim.UsageError, match="method"):
        ztsim.Scenario.load(chain).estimate(method="luck")
    with pytest.raises(ztsim.UsageError, match="target"):
        ztsim.Scenario.load(chain).estimate(target="everything")


SPEC = "examples/slurm/spec.yaml"


def test_sweep_equals_cli(in_root, ztsim_bin, tmp_path):
    # The same spec through the CLI and the API: the same cells and trials, byte for byte.
    cli, api = tmp_path / "cli", tmp_path / "api"
    subprocess.run([ztsim_bin, "sweep", SPEC, "--out", str(cli), "-q"], check=True, capture_output=True)
    sw = ztsim.sweep(SPEC, api, threads=1)
    for f in ("cells.csv", "trials.csv"):
        assert (api / f).read_bytes() == (cli / f).read_bytes(), f
    assert sw.run["cells_run"] == sw.manifest["cells"] == len(sw.cells) == 12
    assert len(sw.trials) == 12 * 50
    assert {"traditional", "initial", "advanced"} == set(sw.cells["controls"])
    # A directory holding a sweep is refused, and finished with resume=True (nothing to run).
    with pytest.raises(ztsim.UsageError, match="already holds a sweep"):
        ztsim.sweep(SPEC, api)
    assert ztsim.sweep(SPEC, api, resume=True).run["cells_resumed"] == 12
    with pytest.raises(ztsim.ScenarioError):
        ztsim.sweep(CONTAIN, tmp_path / "not-a-spec")


def test_sensitivity_equals_cli(in_root, ztsim_bin, tmp_path):
    args = ["sensitivity", CONTAIN, "--controls", "none", "--trials", "40", "--seed", "2"]
    cli = json.loads(subprocess.run([ztsim_bin, *args, "--json"], check=True, capture_output=True, text=True).stdout)
    sens = ztsim.sensitivity(CONTAIN, "none", trials=40, seed=2, plot=tmp_path)
    # All but the clock's seconds.
    strip = lambda r: {k: v for k, v in r.items() if k != "seconds"}
    assert strip(sens.report) == strip(cli)
    t = sens.table
    assert list(t["parameter"]) == [p["name"] for p in cli["parameters"]]
    assert list(t["rank"]) == list(range(1, len(t) + 1))
    assert open(sens.plots[0], "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ztsim.UsageError):
        ztsim.sensitivity(CONTAIN, "no-such-set", trials=10)
