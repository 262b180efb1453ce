"""Shared fixtures: the repository root, the ztsim binary the CLI comparisons use."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def root() -> pathlib.Path:
    return ROOT


@pytest.fixture(scope="session")
def ztsim_bin() -> str:
    """The CLI to compare with: $ZTSIM, else target/debug/ztsim (built if missing)."""
    path = os.environ.get("ZTSIM") or str(ROOT / "target" / "debug" / "ztsim")
    if not os.access(path, os.X_OK):
        if shutil.which("cargo") is None:
            pytest.fail("the ztsim binary is needed: set ZTSIM or build it with cargo build")
        subprocess.run(["cargo", "build", "--quiet"], cwd=ROOT, check=True)
    return path


@pytest.fixture()
def in_root(monkeypatch) -> pathlib.Path:
    """Runs the test from the repository root, so file names match the CLI's."""
    monkeypatch.chdir(ROOT)
    return ROOT
