"""ztsim: a Zero Trust digital-estate simulator, from Python.

The API mirrors the Rust library (not the CLI)::

    import ztsim
    s = ztsim.Scenario.load("scenarios/hybrid-cloud.yaml")
    r = s.run(controls=["none", "initial"], trials=1000, seed=1)
    r.summary            # the same dict as summary.json
    r.trials             # pandas DataFrame, one row per trial (trials.csv's columns)
    r.trials_arrow()     # the same as a pyarrow Table
    sw = ztsim.sweep("notebooks/spec.yaml", "out/sweep")
    sw.cells             # cells.csv as a DataFrame (sw.trials: trials.csv)
    sens = ztsim.sensitivity("scenarios/hybrid-cloud.yaml", controls="initial")
    sens.table           # sensitivity.csv as a DataFrame (sens.report: sensitivity.json)

Errors arrive as exceptions: :class:`ScenarioError` (a ``ValueError``) carries ``file``,
``line``, ``column``, ``field`` and every ``diagnostics`` entry; :class:`UsageError` (a
``ValueError``) an unknown control set or profile; ``OSError`` an unreadable file. Runs
release the GIL. The Gymnasium and PettingZoo environments live in :mod:`ztsim.envs`.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from typing import Any, Iterable, Mapping, Sequence

from . import _native
from ._native import Diagnostic, ScenarioError, UsageError, ZtsimError

__all__ = [
    "Diagnostic",
    "Result",
    "Scenario",
    "ScenarioError",
    "Sensitivity",
    "Sweep",
    "UsageError",
    "ZtsimError",
    "generate",
    "generate_yaml",
    "import_bloodhound",
    "import_bloodhound_yaml",
    "sensitivity",
    "sweep",
    "validate",
    "__version__",
]
__version__: str = _native.__version__


class Result:
    """What :meth:`Scenario.run` returns: ``summary`` (summary.json's dict) and the
    per-trial table (``trials``, ``trials_arrow()``, ``trial_columns()``)."""

    def __init__(self, native: _native.RunResult) -> None:
        self._native = native
        self._summary: dict[str, Any] | None = None

    @property
    def summary(self) -> dict[str, Any]:
        """The run's statistics: the same dict as ``ztsim run --out``'s summary.json
        (``timing`` aside, which is wall-clock time)."""
        if self._summary is None:
            self._summary = json.loads(self._native.summary_json())
        return self._summary

    def trial_columns(self) -> dict[str, Any]:
        """The per-trial table as a dict of columns (numpy arrays; ``control_set`` and
        ``end`` as lists of str), in trials.csv's order. Unobserved times are NaN."""
        return self._native.trial_columns()

    @property
    def trials(self):  # -> pandas.DataFrame
        """The per-trial table as a pandas DataFrame (trials.csv's columns, full
        precision; unobserved times are NaN)."""
        import pandas as pd

        cols = self.trial_columns()
        df = pd.DataFrame(cols)
        df["control_set"] = df["control_set"].astype("category")
        df["end"] = df["end"].astype("category")
        return df

    def trials_arrow(self):  # -> pyarrow.Table
        """The per-trial table as a pyarrow Table; unobserved times are nulls."""
        import pyarrow as pa

        cols = self.trial_columns()
        arrays = {}
        for name, col in cols.items():
            if isinstance(col, list):
                arrays[name] = pa.array(col).dictionary_encode()
            else:
                arrays[name] = pa.array(col, from_pandas=name.endswith("_hours") and name != "end_hours")
        return pa.table(arrays)

    def __repr__(self) -> str:
        s = self.summary
        sets = ", ".join(c["name"] for c in s["control_sets"])
        return f"<ztsim.Result {s['scenario']!r}: {s['trials']} trials x [{sets}], seed {s['seed']}>"


class Scenario:
    """A scenario loaded, validated and compiled into its attack graph."""

    def __init__(self, native: _native.Scenario) -> None:
        self._native = native

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        *,
        controls_files: Sequence[str | os.PathLike[str]] = (),
        patch: str | os.PathLike[str] | None = None,
        profile: str | None = None,
    ) -> "Scenario":
        """Loads a scenario file (YAML or JSON), with controls files and a what-if patch
        applied, and optionally an attacker profile replacing the scenario's. Raises
        :class:`ScenarioError` (with file, line, column, field) if it is invalid."""
        return cls(
            _native.Scenario.load(
                os.fspath(path), [os.fspath(p) for p in controls_files],
                None if patch is None else os.fspath(patch), profile,
            )
        )

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, origin: str = "<dict>", profile: str | None = None) -> "Scenario":
        """A scenario from a dict shaped like the scenario file (docs/scenario-format.md).
        Diagnostics locate problems in the dict's JSON rendering (indent 2, keys in the
        dict's order)."""
        return cls.from_text(json.dumps(d, indent=2), origin=origin, profile=profile)

    @classmethod
    def from_text(cls, text: str, *, origin: str = "<text>", profile: str | None = None) -> "Scenario":
        """A scenario from YAML or JSON text; ``origin`` names it in messages and outputs."""
        return cls(_native.Scenario.from_text(text, origin, profile))

    def validate(self) -> list[Diagnostic]:
        """The scenario's warnings, located (a scenario with errors does not load: see
        :func:`ztsim.validate`)."""
        return self._native.validate()

    @property
    def name(self) -> str:
        return self._native.name

    @property
    def origin(self) -> str:
        """The file (or origin) the scenario came from, as summary.json names it."""
        return self._native.origin

    @property
    def nodes(self) -> list[str]:
        """Node ids of the compiled estate, by node index (the environments' rows)."""
        return self._native.nodes

    @property
    def attack_edges(self) -> int:
        return self._native.attack_edges

    @property
    def horizon_hours(self) -> float:
        return self._native.horizon_hours

    @property
    def default_sets(self) -> list[str]:
        """``none`` and every control set the scenario defines."""
        return self._native.default_sets

    def run(
        self,
        controls: Iterable[str] | str | None = None,
        *,
        trials: int | None = None,
        seed: int | None = None,
        threads: int = 0,
    ) -> Result:
        """Plays ``trials`` trials of each control set (default: ``none`` and the
        scenario's sets) on common random numbers, as ``ztsim run`` does; ``threads=0``
        uses every core (results do not depend on it). The GIL is released meanwhile."""
        if isinstance(controls, str):
            controls = [controls]
        sets = None if controls is None else list(controls)
        return Result(self._native.run(sets, trials, seed, threads))

    def compare(
        self,
        controls: Iterable[str] | str | None = None,
        *,
        baseline: str | None = None,
        ablate: str | None = None,
        trials: int | None = None,
        seed: int | None = None,
        threads: int = 0,
    ) -> dict[str, Any]:
        """``ztsim compare``: paired differences of each set against ``baseline`` (default:
        the first) on common random numbers, and with ``ablate`` each control of that
        preset removed and alone. Returns comparison.json's dict."""
        if isinstance(controls, str):
            controls = [controls]
        sets = [] if controls is None else list(controls)
        return json.loads(_native.compare_json(self._native, sets, baseline, ablate, trials, seed, threads))

    def paths(
        self,
        controls: str = "none",
        *,
        k: int = 5,
        by: str = "probability",
        to: Sequence[str] = (),
        trials: int = 1000,
        seed: int | None = None,
        threads: int = 0,
    ) -> dict[str, Any]:
        """``ztsim paths``: per target (default: the objectives), the ``k`` most likely
        (``by="probability"``) or fastest (``by="time"``) attack paths under one control
        set, each step with its rule, and their frequencies in ``trials`` Monte Carlo
        trials. Returns ``ztsim paths --json``'s dict."""
        return json.loads(_native.paths_json(self._native, controls, k, by, list(to), trials, seed, threads))

    def estimate(
        self,
        controls: str = "none",
        *,
        target: str = "crown-jewel",
        rel_error: float = 0.1,
        method: str = "auto",
        seed: int | None = None,
        threads: int = 0,
        max_steps: int | None = None,
        max_seconds: float = 120.0,
        pilot_trials: int | None = None,
        particles: int | None = None,
    ) -> dict[str, Any]:
        """``ztsim estimate``: the probability of ``target`` (``crown-jewel``, ``asset:ID``,
        ``tier-zero``, ``blast>=K``) under one control set, to ``rel_error`` (the 95%
        interval's half-width over the estimate), by crude Monte Carlo, importance sampling
        (``is``) or multilevel splitting; ``auto`` picks after a pilot run. Stops at
        ``max_steps`` attack steps or ``max_seconds``, saying so. Returns ``ztsim estimate
        --json``'s dict (docs/estimate.md). The GIL is released meanwhile."""
        return json.loads(
            _native.estimate_json(
                self._native, controls, target, rel_error, method, seed, threads,
                max_steps, max_seconds, pilot_trials, particles,
            )
        )

    def __repr__(self) -> str:
        return f"<ztsim.Scenario {self.name!r} from {self.origin!r}: {self.attack_edges} attack edges>"


def generate_yaml(size: str = "small", seed: int = 1, assets: int | None = None) -> str:
    """A synthetic enterprise estate as scenario YAML (``ztsim generate``): ``size`` small
    (about 50 assets), medium (1,000), large (100,000) or huge (1,000,000)."""
    return _native.generate_yaml(size, seed, assets)


def generate(size: str = "small", seed: int = 1, assets: int | None = None) -> Scenario:
    """A synthetic enterprise estate, loaded (see :func:`generate_yaml`)."""
    text = generate_yaml(size, seed, assets)
    return Scenario.from_text(text, origin=f"generated:{size}:seed-{seed}")


def import_bloodhound(path: str | os.PathLike[str], *, include_disabled: bool = False) -> Scenario:
    """A SharpHound collection (directory or zip) imported as a scenario (``ztsim import
    bloodhound``); :func:`import_bloodhound_yaml` gives the YAML to save, with its import
    report on top."""
    text = import_bloodhound_yaml(path, include_disabled=include_disabled)
    return Scenario.from_text(text, origin=os.fspath(path))


def import_bloodhound_yaml(path: str | os.PathLike[str], *, include_disabled: bool = False) -> str:
    """The scenario YAML ``ztsim import bloodhound`` writes, the import report on top."""
    return _native.import_bloodhound_yaml(os.fspath(path), include_disabled)


class Sweep:
    """What :func:`sweep` returns: the sweep's directory (``dir``), its manifest
    (``manifest``, manifest.json's dict), what this call did (``run``: cells run and
    resumed, trials, seconds, threads), and its tables as pandas DataFrames (``cells``,
    ``trials``: the directory's cells.csv and trials.csv, the sweep's durable results)."""

    def __init__(self, out: str, run: dict[str, Any]) -> None:
        self.dir = out
        self.manifest: dict[str, Any] = run.pop("manifest")
        self.run = run
        self._cells = None
        self._trials = None

    @property
    def cells(self):  # -> pandas.DataFrame
        """One row per cell: its definition (scenario, profile, controls, parameter values),
        then statistics with 95 % intervals (cells.csv)."""
        if self._cells is None:
            import pandas as pd

            self._cells = pd.read_csv(os.path.join(self.dir, "cells.csv"))
        return self._cells

    @property
    def trials(self):  # -> pandas.DataFrame
        """One row per trial of every cell (trials.csv)."""
        if self._trials is None:
            import pandas as pd

            self._trials = pd.read_csv(os.path.join(self.dir, "trials.csv"))
        return self._trials

    def __repr__(self) -> str:
        m = self.manifest
        return f"<ztsim.Sweep {m['name']!r}: {m['cells']} cells x {m['trials_per_cell']} trials in {self.dir!r}>"


def sweep(
    spec: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    resume: bool = False,
    threads: int = 0,
    shard: tuple[int, int] | None = None,
) -> Sweep:
    """``ztsim sweep``: plays every cell of a sweep spec (docs/sweeps.md) into directory
    ``out`` (a new temporary directory when None), checkpointing each cell as it finishes,
    exactly as the CLI does; ``resume=True`` finishes an interrupted sweep in ``out``;
    ``shard=(index, count)`` plays one shard (merge them with ``ztsim merge``). A directory
    that already holds a sweep is refused unless ``resume``. The GIL is released meanwhile."""
    where = tempfile.mkdtemp(prefix="ztsim-sweep-") if out is None else os.fspath(out)
    run = json.loads(_native.sweep_json(os.fspath(spec), where, resume, threads, shard))
    return Sweep(where, run)


class Sensitivity:
    """What :func:`sensitivity` returns: ``report`` (sensitivity.json's dict: the baseline,
    every varied parameter ranked, the skipped ones with reasons), ``table`` (sensitivity.csv
    as a pandas DataFrame, one row per parameter, ranked) and ``plots`` (the tornado chart's
    files, when ``plot`` was given)."""

    def __init__(self, report: dict[str, Any], csv: str, plots: list[str]) -> None:
        self.report = report
        self._csv = csv
        self.plots = plots

    @property
    def table(self):  # -> pandas.DataFrame
        import pandas as pd

        return pd.read_csv(io.StringIO(self._csv))

    def __repr__(self) -> str:
        r = self.report
        return f"<ztsim.Sensitivity {r['scenario']!r} under {r['controls']!r}: {len(r['parameters'])} parameters, {r['trials']} trials each>"


def sensitivity(
    scenario: str | os.PathLike[str],
    controls: str = "none",
    *,
    controls_files: Sequence[str | os.PathLike[str]] = (),
    profile: str | None = None,
    range: float = 0.5,
    trials: int | None = None,
    seed: int | None = None,
    threads: int = 0,
    plot: str | os.PathLike[str] | None = None,
    top: int = 15,
) -> Sensitivity:
    """``ztsim sensitivity``: every parameter the scenario assumes (unsourced control and
    technique values) moved down and up by ``range`` (0.5: ±50 %, clamped to its valid
    range), one at a time, under ``controls``, every variant on the baseline's trial keys.
    With ``plot`` (a directory), also draws the tornado chart of the ``top`` parameters
    there (tornado.png and tornado.svg). The GIL is released meanwhile."""
    plot_dir = None if plot is None else os.fspath(plot)
    text, csv = _native.sensitivity_json(
        os.fspath(scenario), controls, [os.fspath(p) for p in controls_files], profile,
        range, trials, seed, threads, plot_dir, top,
    )
    plots = [] if plot_dir is None else [os.path.join(plot_dir, f) for f in ("tornado.png", "tornado.svg")]
    return Sensitivity(json.loads(text), csv, plots)


def validate(source: str | os.PathLike[str] | Mapping[str, Any]) -> list[Diagnostic]:
    """Every diagnostic (errors and warnings) of a scenario file or dict, without raising."""
    if isinstance(source, Mapping):
        return _native.validate_text(json.dumps(source, indent=2), "<dict>")
    return _native.validate_file(os.fspath(source))
