//! Plays many cells at once. Cells and, inside each cell, chunks of trials are rayon tasks
//! on one pool, so a sweep of many small cells and one of a few large cells both keep every
//! core busy. Each cell is a pure function of its [`Job`]: its estate (compiled once per
//! scenario, profile and technique overrides, and shared), its plan, its seed; outcomes are
//! collected in trial order and summarised sequentially, as `ztsim run` does.

use super::cells::Job;
use super::overrides::{apply_to_controls, apply_to_scenario};
use super::progress::Progress;
use super::spec::ScenarioInstance;
use crate::controls::resolve_set;
use crate::error::{Error, Result};
use crate::estate::{self, Estate};
use crate::montecarlo::SetRun;
use crate::plan;
use crate::sim::{Engine, TrialOutcome};
use crate::summary::{SetSummary, summarize};
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

/// Timeline samples per trial, as `ztsim run` takes them.
const TIMELINE_POINTS: usize = 48;

/// A finished cell, handed to the caller's callback.
pub struct Finished<'a> {
    /// The cell's job (scenario, profile, set, overrides, seed).
    pub job: &'a Job,
    /// The compiled estate the cell ran on.
    pub estate: &'a Estate,
    /// Statistics of the cell's trials.
    pub summary: SetSummary,
    /// In trial order.
    pub outcomes: Vec<TrialOutcome>,
    /// The cell's rare-event estimate, when the job asked for one.
    pub estimate: Option<crate::estimate::Estimate>,
}

/// What a batch of jobs cost.
#[derive(Clone, Debug, Default)]
pub struct RunStats {
    /// Cells played.
    pub cells: usize,
    /// Trials played, all cells.
    pub trials: u64,
    /// Wall time, in seconds.
    pub seconds: f64,
    /// Worker threads the pool had.
    pub threads: usize,
}

fn estate_key(job: &Job) -> String {
    let mut k = format!("{}|{:?}", job.scenario, job.profile);
    for (t, v) in job.overrides.iter().filter(|(t, _)| t.shapes_estate()) {
        k.push_str(&format!("|{}={:016x}", t.name(), v.to_bits()));
    }
    k
}

/// Runs every job on a pool of `threads` workers (0: one per core) and calls `on_done` for
/// each finished cell, from the worker that finished it, in no particular order.
pub fn run_jobs(
    scenarios: &[ScenarioInstance],
    jobs: &[Job],
    threads: usize,
    progress: &dyn Progress,
    on_done: &(dyn Fn(Finished) -> Result<()> + Sync),
) -> Result<RunStats> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start {threads} worker threads: {e}")))?;
    let threads = pool.current_num_threads();
    let estates: HashMap<String, OnceLock<Arc<Estate>>> = jobs
        .iter()
        .map(|j| (estate_key(j), OnceLock::new()))
        .collect();
    let trials: u64 = jobs.iter().map(|j| j.trials as u64).sum();
    progress.start(jobs.len(), trials);
    let started = Instant::now();
    pool.install(|| {
        jobs.par_iter().try_for_each(|job| {
            let sc = &scenarios[job.scenario];
            let est = estates[&estate_key(job)]
                .get_or_init(|| {
                    let s = apply_to_scenario(&sc.scenario, &job.overrides);
                    Arc::new(estate::compile_with(&s, job.profile.as_deref()))
                })
                .clone();
            let scenario = &sc.scenario;
            let (catalog, sets) = apply_to_controls(&sc.catalog, sc.sets(), &job.overrides);
            let set = resolve_set(&job.controls, &sets, &catalog)?;
            let plan = Arc::new(plan::build(&est, &set, job.seed));
            let (outcomes, (node_hits, known_hits)) = play(&est, &plan, job, threads, progress);
            let run = SetRun {
                plan,
                outcomes,
                node_hits,
                known_hits,
                relation_hits: Default::default(),
                seconds: 0.0,
            };
            let summary = summarize(
                &est,
                std::slice::from_ref(&run),
                &sc.origin,
                sc.source_hash,
                job.seed,
                threads,
            )
            .control_sets
            .pop()
            .ok_or_else(|| Error::Usage("internal: a cell produced no summary".into()))?;
            let estimate = match &job.estimate {
                Some(e) => Some(cell_estimate(scenario, &est, &run.plan, job, e)?),
                None => None,
            };
            on_done(Finished {
                job,
                estate: &est,
                summary,
                outcomes: run.outcomes,
                estimate,
            })?;
            progress.cell_done();
            Ok::<(), Error>(())
        })
    })?;
    progress.finish();
    Ok(RunStats {
        cells: jobs.len(),
        trials,
        seconds: started.elapsed().as_secs_f64(),
        threads,
    })
}

/// A cell's rare-event estimate: `ztsim estimate` on the cell's estate and plan, from the
/// cell's seed, on one thread (the cells run in parallel), within the spec's step budget.
fn cell_estimate(
    scenario: &crate::scenario::Scenario,
    est: &Arc<Estate>,
    plan: &plan::ControlPlan,
    job: &Job,
    e: &super::spec::EstimateSpec,
) -> Result<crate::estimate::Estimate> {
    let target = crate::estimate::Target::parse(&e.target)?;
    let mut opt = crate::estimate::Options::new(e.rel_error, e.method);
    opt.seed = job.seed;
    opt.threads = 1;
    opt.max_steps = Some(e.max_steps);
    let mut r = crate::estimate::estimate(scenario, est, plan, &target, &opt, &|| true)?;
    r.control_set = job.controls.clone();
    Ok(r)
}

/// The trials of one cell, in chunks on the pool; outcomes in trial order.
fn play(
    est: &Arc<Estate>,
    plan: &Arc<plan::ControlPlan>,
    job: &Job,
    threads: usize,
    progress: &dyn Progress,
) -> (Vec<TrialOutcome>, (Vec<u32>, Vec<u32>)) {
    let n = job.trials as u64;
    let chunk = (n / (threads as u64 * 4).max(1)).clamp(16, 256);
    let chunks = n.div_ceil(chunk);
    let engines: Mutex<Vec<Engine>> = Mutex::new(Vec::new());
    let parts: Vec<Vec<TrialOutcome>> = (0..chunks)
        .into_par_iter()
        .map(|c| {
            let spare = engines.lock().map(|mut p| p.pop()).unwrap_or(None);
            let mut engine =
                spare.unwrap_or_else(|| Engine::new(est.clone(), plan.clone(), job.seed));
            let range = c * chunk..((c + 1) * chunk).min(n);
            let len = range.end - range.start;
            let out: Vec<TrialOutcome> = range
                .map(|i| engine.run_trial(i, TIMELINE_POINTS))
                .collect();
            if let Ok(mut p) = engines.lock() {
                p.push(engine);
            }
            progress.advance(len);
            out
        })
        .collect();
    let engines = engines.into_inner().unwrap_or_default();
    let hits = crate::sim::pooled_hits(&engines, est.nodes.len());
    (parts.into_iter().flatten().collect(), hits)
}
