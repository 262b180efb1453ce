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
