//! `Scenario` and `RunResult`: loading, validation and Monte Carlo runs through the same
//! library calls as the CLI (`pipeline::Prepared`), with the GIL released while they work.

use crate::errors::{Diagnostic, UsageError, to_py};
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::path::PathBuf;
use std::sync::Arc;
use ztsim::limits::Limits;
use ztsim::montecarlo::{RunOptions, SetRun};
use ztsim::pipeline::Prepared;
use ztsim::report::{Column, trial_columns};

/// A scenario loaded, validated and compiled (the library's `Prepared`).
#[pyclass(frozen, module = "ztsim._native")]
pub struct Scenario {
    pub prep: Arc<Prepared>,
}

/// Runs `f` with the GIL released, mapping the library's error to a Python exception.
pub fn detached<T: Send>(
    py: Python<'_>,
    f: impl FnOnce() -> ztsim::Result<T> + Send,
) -> PyResult<T> {
    py.detach(f).map_err(|e| to_py(py, e))
}

#[pymethods]
impl Scenario {
    /// Loads a scenario file (YAML or JSON), with controls files and a what-if patch
    /// applied in order, and an attacker profile replacing the scenario's.
    #[staticmethod]
    #[pyo3(signature = (path, controls_files = Vec::new(), patch = None, profile = None))]
    fn load(
        py: Python<'_>,
        path: PathBuf,
        controls_files: Vec<PathBuf>,
        patch: Option<PathBuf>,
        profile: Option<String>,
    ) -> PyResult<Scenario> {
        Scenario::prepare(py, profile, || {
            Prepared::from_files_patched(
                &path,
                &controls_files,
                patch.as_deref(),
                &Limits::default(),
            )
        })
    }

    /// Loads scenario text (YAML or JSON); `origin` names it in diagnostics and outputs.
    #[staticmethod]
    #[pyo3(signature = (text, origin = "<text>".to_string(), profile = None))]
    fn from_text(
        py: Python<'_>,
        text: String,
        origin: String,
        profile: Option<String>,
    ) -> PyResult<Scenario> {
        Scenario::prepare(py, profile, || {
            Prepared::from_str(&text, &origin, &Limits::default())
        })
    }

    /// The scenario's warnings (it has no errors, or it would not have loaded), located.
    fn validate(&self) -> Vec<Diagnostic> {
        let l = &self.prep.loaded;
        l.warnings
            .iter()
            .map(|d| Diagnostic::from_lib(&l.origin, d))
            .collect()
    }

    /// The scenario's `name:`.
    #[getter]
    fn name(&self) -> String {
        self.prep.loaded.scenario.name.clone()
    }

    /// The file (or origin) it was loaded from.
    #[getter]
    fn origin(&self) -> String {
        self.prep.loaded.origin.clone()
    }

    /// Attack edges in the compiled estate.
    #[getter]
    fn attack_edges(&self) -> usize {
        self.prep.estate.edges.len()
    }

    /// Node ids of the compiled estate (segments, assets, virtual nodes), by node index.
    #[getter]
    fn nodes(&self) -> Vec<String> {
        self.prep
            .estate
            .nodes
            .iter()
            .map(|n| n.id.clone())
            .collect()
    }

    /// Simulated hours per trial.
    #[getter]
    fn horizon_hours(&self) -> f64 {
        self.prep.estate.horizon_hours
    }

    /// The control sets run when none is named: `none` and every set the scenario defines.
    #[getter]
    fn default_sets(&self) -> Vec<String> {
        self.prep.default_sets()
    }

    /// The scenario's `simulation.trials` and `simulation.seed`.
    #[getter]
    fn simulation(&self) -> (u32, u64) {
        let s = &self.prep.loaded.scenario.simulation;
        (s.trials, s.seed)
    }

    /// Plays `trials` trials of each control set (default: `none` and the scenario's sets)
    /// on common random numbers, as `ztsim run` does.
    #[pyo3(signature = (controls = None, trials = None, seed = None, threads = 0))]
    fn run(
        &self,
        py: Python<'_>,
        controls: Option<Vec<String>>,
        trials: Option<u32>,
        seed: Option<u64>,
        threads: usize,
    ) -> PyResult<RunResult> {
        let opt = self.options(trials, seed, threads)?;
        let sets = controls.unwrap_or_else(|| self.prep.default_sets());
        if sets.is_empty() {
            return Err(UsageError::new_err(
                "controls: name at least one control set",
            ));
        }
        let prep = self.prep.clone();
        let (summary, runs) = detached(py, || prep.simulate(&sets, &opt))?;
        let summary_json = serde_json::to_string(&summary)
            .map_err(|e| UsageError::new_err(format!("summary: {e}")))?;
        Ok(RunResult { summary_json, runs })
    }
}

impl Scenario {
    /// Loads with `load` and applies `profile`, the GIL released.
    fn prepare(
        py: Python<'_>,
        profile: Option<String>,
        load: impl FnOnce() -> ztsim::Result<Prepared> + Send,
    ) -> PyResult<Scenario> {
        let prep = detached(py, || {
            let mut p = load()?;
            if let Some(name) = &profile {
                p.set_profile(name)?;
            }
            Ok(p)
        })?;
        Ok(Scenario {
            prep: Arc::new(prep),
        })
    }

    /// Run options as the CLI makes them: the scenario's `simulation` fills in the gaps.
    pub fn options(
        &self,
        trials: Option<u32>,
        seed: Option<u64>,
        threads: usize,
    ) -> PyResult<RunOptions> {
        let sim = &self.prep.loaded.scenario.simulation;
        if trials == Some(0) {
            return Err(UsageError::new_err("trials: must be at least 1"));
        }
        Ok(RunOptions {
            trials: trials.unwrap_or(sim.trials),
            seed: seed.unwrap_or(sim.seed),
            threads,
            timeline_points: 48,
            keep_parents: false,
        })
    }
}

/// The outcome of `Scenario.run`: the summary (as summary.json) and the per-trial table.
#[pyclass(frozen, module = "ztsim._native")]
pub struct RunResult {
    summary_json: String,
    runs: Vec<SetRun>,
}

#[pymethods]
impl RunResult {
    /// The summary as JSON text, byte for byte what `summary.json` holds (timing aside).
    fn summary_json(&self) -> String {
        self.summary_json.clone()
    }

    /// The per-trial table as a dict of columns (numpy arrays; text columns as lists), in
    /// `trials.csv`'s order; unobserved times are NaN.
    fn trial_columns<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (name, col) in trial_columns(&self.runs) {
            match col {
                Column::Text(v) => d.set_item(name, PyList::new(py, v)?)?,
                Column::Count(v) => d.set_item(name, PyArray1::from_vec(py, v))?,
                Column::Number(v) => d.set_item(name, PyArray1::from_vec(py, v))?,
                Column::Hours(v) => d.set_item(
                    name,
                    PyArray1::from_vec(py, v.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect()),
                )?,
            }
        }
        Ok(d)
    }
}

/// Every diagnostic (errors and warnings) of scenario text, without raising; `origin`
/// names it.
#[pyfunction]
#[pyo3(signature = (text, origin = "<text>".to_string()))]
pub fn validate_text(py: Python<'_>, text: String, origin: String) -> PyResult<Vec<Diagnostic>> {
    let res = py.detach(|| Prepared::from_str(&text, &origin, &Limits::default()));
    diagnostics_of(py, res)
}

/// Every diagnostic (errors and warnings) of a scenario file, without raising (an
/// unreadable file still raises `OSError`).
#[pyfunction]
pub fn validate_file(py: Python<'_>, path: PathBuf) -> PyResult<Vec<Diagnostic>> {
    let res = py.detach(|| Prepared::from_file(&path, &Limits::default()));
    diagnostics_of(py, res)
}

fn diagnostics_of(py: Python<'_>, res: ztsim::Result<Prepared>) -> PyResult<Vec<Diagnostic>> {
    match res {
        Ok(p) => Ok(p
            .loaded
            .warnings
            .iter()
            .map(|d| Diagnostic::from_lib(&p.loaded.origin, d))
            .collect()),
        Err(ztsim::Error::Invalid(d)) => Ok(d
            .items
            .iter()
            .map(|x| Diagnostic::from_lib(&d.file, x))
            .collect()),
        Err(e) => Err(to_py(py, e)),
    }
}
