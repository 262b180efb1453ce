//! The library's other tools as module functions: `generate`, `import_bloodhound`,
//! `compare`, `paths`, `estimate`, `sweep` and `sensitivity`. Reports come back as JSON text (what the CLI's `--json` prints);
//! the Python side parses it.

use crate::errors::UsageError;
use crate::scenario::{Scenario, detached};
use pyo3::prelude::*;
use std::path::PathBuf;
use std::sync::Arc;
use ztsim::limits::Limits;

fn json<T: serde::Serialize>(x: &T) -> PyResult<String> {
    serde_json::to_string(x).map_err(|e| UsageError::new_err(format!("json: {e}")))
}

/// A synthetic estate as scenario YAML: `size` small (about 50 assets), medium (1,000),
/// large (100,000) or huge (1,000,000); `assets` overrides the count.
#[pyfunction]
#[pyo3(signature = (size = "small", seed = 1, assets = None))]
fn generate_yaml(py: Python<'_>, size: &str, seed: u64, assets: Option<usize>) -> PyResult<String> {
    use ztsim::generate::{GeneratorParams, Size};
    let sz: Size =
        serde_json::from_value(serde_json::Value::String(size.to_string())).map_err(|_| {
            UsageError::new_err(format!(
                "size `{size}`: expected small, medium, large or huge"
            ))
        })?;
    let mut p = GeneratorParams::new(sz, seed);
    if let Some(n) = assets {
        p.assets = n;
    }
    Ok(py.detach(|| {
        let s = ztsim::generate::generate(&p);
        ztsim::generate::to_yaml(&s, &ztsim::generate::yaml_header(&p))
    }))
}

/// A SharpHound collection (directory or zip) imported as scenario YAML, with the
/// import report as a comment block on top.
#[pyfunction]
#[pyo3(signature = (path, include_disabled = false))]
fn import_bloodhound_yaml(
    py: Python<'_>,
    path: PathBuf,
    include_disabled: bool,
) -> PyResult<String> {
    use ztsim::import::{self, bloodhound};
    detached(py, || {
        let opts = bloodhound::Options {
            include_disabled,
            ..Default::default()
        };
        let (draft, report, _graph) = bloodhound::import(&path, &opts)?;
        let source = path.display().to_string();
        let done = import::finish(draft, None, report, &source, &Limits::default())?;
        Ok(done.text)
    })
}

/// `ztsim compare` as JSON (comparison.json): paired differences of each set against the
/// baseline on common random numbers, and the ablation of a preset when asked.
#[pyfunction]
#[pyo3(signature = (scenario, controls, baseline = None, ablate = None, trials = None, seed = None, threads = 0))]
#[allow(clippy::too_many_arguments)]
fn compare_json(
    py: Python<'_>,
    scenario: &Scenario,
    controls: Vec<String>,
    baseline: Option<String>,
    ablate: Option<String>,
    trials: Option<u32>,
    seed: Option<u64>,
    threads: usize,
) -> PyResult<String> {
    let opt = scenario.options(trials, seed, threads)?;
    let prep = Arc::clone(&scenario.prep);
    let mut sets = controls;
    if sets.is_empty() && ablate.is_none() {
        sets = prep.default_sets();
    }
    if sets.is_empty() {
        sets.push("none".into());
    }
    let (report, _runs) = detached(py, || {
        ztsim::compare::compare(&prep, &sets, baseline.as_deref(), ablate.as_deref(), &opt)
    })?;
    json(&report)
}

/// `ztsim paths` as JSON: per target, the k most likely (or fastest) attack paths under
/// one control set, with their Monte Carlo frequencies.
#[pyfunction]
#[pyo3(signature = (scenario, controls = "none", k = 5, by = "probability", to = Vec::new(), trials = 1000, seed = None, threads = 0))]
#[allow(clippy::too_many_arguments)]
fn paths_json(
    py: Python<'_>,
    scenario: &Scenario,
    controls: &str,
    k: usize,
    by: &str,
    to: Vec<String>,
    trials: u32,
    seed: Option<u64>,
    threads: usize,
) -> PyResult<String> {
    use ztsim::paths::graph::Weight;
    let weight = match by {
        "probability" => Weight::Probability,
        "time" => Weight::Time,
        other => {
            return Err(UsageError::new_err(format!(
                "by `{other}`: expected probability or time"
            )));
        }
    };
    if k == 0 {
        return Err(UsageError::new_err("k: at least 1 path per target"));
    }
    let prep = Arc::clone(&scenario.prep);
    let seed = seed.unwrap_or(prep.loaded.scenario.simulation.seed);
    let report = detached(py, || {
        let plan = prep.plan_on(&prep.estate, controls, seed)?;
        let opt = ztsim::paths::PathOptions {
            k,
            weight,
            to,
            trials,
            seed,
            threads,
        };
        ztsim::paths::analyze(&prep.estate, &plan, &opt)
    })?;
    json(&report)
}

/// `ztsim estimate` as JSON: the probability of `target` (`crown-jewel`, `asset:ID`,
/// `tier-zero`, `blast>=K`) under one control set, to a relative precision, by crude Monte
/// Carlo, importance sampling or multilevel splitting (`auto` picks after a pilot run).
#[pyfunction]
#[pyo3(signature = (scenario, controls = "none", target = "crown-jewel", rel_error = 0.1, method = "auto", seed = None, threads = 0, max_steps = None, max_seconds = 120.0, pilot_trials = None, particles = None))]
#[allow(clippy::too_many_arguments)]
fn estimate_json(
    py: Python<'_>,
    scenario: &Scenario,
    controls: &str,
    target: &str,
    rel_error: f64,
    method: &str,
    seed: Option<u64>,
    threads: usize,
    max_steps: Option<u64>,
    max_seconds: f64,
    pilot_trials: Option<u32>,
    particles: Option<u32>,
) -> PyResult<String> {
    use ztsim::estimate::{Method, Options, Target};
    let method = match method {
        "auto" => Method::Auto,
        "crude" => Method::Crude,
        "is" => Method::Is,
        "splitting" => Method::Splitting,
        other => {
            return Err(UsageError::new_err(format!(
                "method `{other}`: expected auto, crude, is or splitting"
            )));
        }
    };
    if max_seconds.is_nan() || max_seconds <= 0.0 {
        return Err(UsageError::new_err(format!(
            "max_seconds {max_seconds}: give a positive number of seconds"
        )));
    }
    let prep = Arc::clone(&scenario.prep);
    let target = target.to_string();
    let controls = controls.to_string();
    let report = detached(py, || {
        let target = Target::parse(&target)?;
        let mut opt = Options::new(rel_error, method);
        opt.threads = threads;
        opt.max_steps = max_steps;
        if let Some(n) = pilot_trials {
            opt.pilot_trials = n;
        }
        if let Some(n) = particles {
            opt.particles = n;
        }
        opt.seed = seed.unwrap_or(prep.loaded.scenario.simulation.seed);
        opt.check()?;
        prep.estimate(&controls, &target, &opt, Some(max_seconds))
    })?;
    json(&report)
}

/// `ztsim sweep`: runs (or, with `resume`, finishes) the sweep of spec file `spec` into
/// directory `out` (checkpointed per cell, as the CLI does: an interrupted sweep resumes);
/// `shard` = (index, count) runs one shard. Returns JSON: what the run did and the
/// manifest; the tables are `out`'s cells.csv and trials.csv.
#[pyfunction]
#[pyo3(signature = (spec, out, resume = false, threads = 0, shard = None))]
fn sweep_json(
    py: Python<'_>,
    spec: PathBuf,
    out: PathBuf,
    resume: bool,
    threads: usize,
    shard: Option<(usize, usize)>,
) -> PyResult<String> {
    use ztsim::sweep::{NoProgress, Spec, SweepOptions};
    let r = detached(py, || {
        let limits = Limits::default();
        let parsed = Spec::load(&spec, &limits)?;
        let opts = SweepOptions {
            spec,
            out,
            resume,
            shard,
            threads,
            limits,
        };
        ztsim::sweep::run_sweep(&opts, &parsed, &NoProgress)
    })?;
    json(&serde_json::json!({
        "cells_total": r.cells_total,
        "cells_mine": r.cells_mine,
        "cells_run": r.cells_run,
        "cells_resumed": r.cells_resumed,
        "trials_run": r.trials_run,
        "seconds": r.seconds,
        "threads": r.threads,
        "redone": r.redone,
        "manifest": r.manifest,
    }))
}

/// `ztsim sensitivity`: every assumed parameter of scenario file `scenario` moved down and
/// up by `range`, one at a time, under control set `controls`, on common random numbers.
/// Returns (sensitivity.json's text, sensitivity.csv's text); with `plot`, also writes the
/// tornado chart (tornado.png, tornado.svg of the `top` parameters) into that directory.
#[pyfunction]
#[pyo3(signature = (scenario, controls = "none".to_string(), controls_files = Vec::new(), profile = None, range = 0.5, trials = None, seed = None, threads = 0, plot = None, top = 15))]
#[allow(clippy::too_many_arguments)]
fn sensitivity_json(
    py: Python<'_>,
    scenario: PathBuf,
    controls: String,
    controls_files: Vec<PathBuf>,
    profile: Option<String>,
    range: f64,
    trials: Option<u32>,
    seed: Option<u64>,
    threads: usize,
    plot: Option<PathBuf>,
    top: usize,
) -> PyResult<(String, String)> {
    use ztsim::sweep::sensitivity::{self, SensitivityOptions};
    let r = detached(py, || {
        let opts = SensitivityOptions {
            scenario,
            controls_files,
            controls,
            profile,
            range,
            trials,
            seed,
            threads,
            limits: Limits::default(),
        };
        let r = sensitivity::analyse(&opts, &ztsim::sweep::NoProgress)?;
        if let Some(dir) = &plot {
            ztsim::sweep::tornado::write(&r, top, dir)?;
        }
        let csv = sensitivity::to_csv(&r)?;
        Ok((r, csv))
    })?;
    let csv = String::from_utf8(r.1).map_err(|e| UsageError::new_err(format!("csv: {e}")))?;
    Ok((json(&r.0)?, csv))
}

/// Adds the tools to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(generate_yaml, m)?)?;
    m.add_function(wrap_pyfunction!(import_bloodhound_yaml, m)?)?;
    m.add_function(wrap_pyfunction!(compare_json, m)?)?;
    m.add_function(wrap_pyfunction!(paths_json, m)?)?;
    m.add_function(wrap_pyfunction!(estimate_json, m)?)?;
    m.add_function(wrap_pyfunction!(sweep_json, m)?)?;
    m.add_function(wrap_pyfunction!(sensitivity_json, m)?)?;
    Ok(())
}
