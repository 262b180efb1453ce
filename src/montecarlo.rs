//! Monte Carlo: N trials per control set, in parallel with rayon. Trial i of every set uses
//! the same trial key (common random numbers). Results are collected in trial order, so
//! everything computed from them is identical for any thread count.

#![deny(clippy::disallowed_methods, clippy::disallowed_macros)] // the core does no I/O

use crate::error::{Error, Result};
use crate::estate::Estate;
use crate::plan::ControlPlan;
use crate::sim::{Engine, TrialOutcome};
use rayon::prelude::*;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Settings of a Monte Carlo run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Trials per control set.
    pub trials: u32,
    /// Master seed: trial i of every set uses the key derived from it and i.
    pub seed: u64,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Timeline samples across the horizon (plus one at time zero).
    pub timeline_points: usize,
    /// Keep, per trial, which edge first compromised each node (attack-path analysis).
    pub keep_parents: bool,
}

/// The trials of one control set.
pub struct SetRun {
    /// The plan the trials ran against (its name is the set's).
    pub plan: Arc<ControlPlan>,
    /// One outcome per trial, in trial order.
    pub outcomes: Vec<TrialOutcome>,
    /// Trials in which each node was compromised.
    pub node_hits: Vec<u32>,
    /// Trials in which each node (not public) was discovered.
    pub known_hits: Vec<u32>,
    /// Trials in which an attack step derived from each relation entity succeeded (empty
    /// when not recorded).
    pub relation_hits: foldhash::HashMap<bevy_ecs::entity::Entity, u32>,
    /// Wall time spent on the set, in seconds.
    pub seconds: f64,
}

/// Watches a run's trials as they finish (a progress bar in the CLI). Called from worker
/// threads; what it does with the counts is its own business, not the simulation's.
pub trait Observer: Sync {
    /// The run will play `trials` trials in all.
    fn start(&self, _trials: u64) {}
    /// `trials` more trials finished.
    fn done(&self, _trials: u64) {}
}

/// Watches nothing.
pub struct Unobserved;
impl Observer for Unobserved {}

/// Plays `opt.trials` trials against each plan on a pool of `opt.threads` workers, trial i
/// of every plan on the same trial key. Fails only if the thread pool cannot start.
pub fn run_sets(
    est: &Arc<Estate>,
    plans: &[Arc<ControlPlan>],
    opt: &RunOptions,
) -> Result<Vec<SetRun>> {
    run_sets_observed(est, plans, opt, &Unobserved)
}

/// [`run_sets`], telling `obs` how many trials there are and as they finish.
pub fn run_sets_observed(
    est: &Arc<Estate>,
    plans: &[Arc<ControlPlan>],
    opt: &RunOptions,
    obs: &dyn Observer,
) -> Result<Vec<SetRun>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opt.threads)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start {} worker threads: {e}", opt.threads)))?;
    obs.start(opt.trials as u64 * plans.len() as u64);
    Ok(pool.install(|| {
        plans
            .iter()
            .map(|plan| run_set(est, plan, opt, obs))
            .collect()
    }))
}

fn run_set(
    est: &Arc<Estate>,
    plan: &Arc<ControlPlan>,
    opt: &RunOptions,
    obs: &dyn Observer,
) -> SetRun {
    // The one clock read in the core: `timing` in the summary, outside every trial.
    #[allow(clippy::disallowed_methods)]
    let started = Instant::now();
    let n = opt.trials as u64;
    let threads = rayon::current_num_threads() as u64;
    // Chunks big enough to amortise taking an engine, small enough to balance load.
    let chunk = (n / (threads * 16)).clamp(1, 256);
    let chunks = n.div_ceil(chunk);
    let pool: Mutex<Vec<Engine>> = Mutex::new(Vec::new());
    let take = || {
        let spare = pool.lock().map(|mut p| p.pop()).unwrap_or(None);
        spare.unwrap_or_else(|| {
            let mut e = Engine::new(est.clone(), plan.clone(), opt.seed);
            e.keep_parents = opt.keep_parents;
            e
        })
    };
    let parts: Vec<Vec<TrialOutcome>> = (0..chunks)
        .into_par_iter()
        .map(|c| {
            let mut engine = take();
            let out: Vec<TrialOutcome> = (c * chunk..((c + 1) * chunk).min(n))
                .map(|i| engine.run_trial(i, opt.timeline_points))
                .collect();
            if let Ok(mut p) = pool.lock() {
                p.push(engine);
            }
            obs.done(out.len() as u64);
            out
        })
        .collect();
    let engines = pool.into_inner().unwrap_or_default();
    let (node_hits, known_hits) = crate::sim::pooled_hits(&engines, est.nodes.len());
    let relation_hits = crate::sim::pooled_relation_hits(&engines);
    SetRun {
        plan: plan.clone(),
        outcomes: parts.into_iter().flatten().collect(),
        node_hits,
        known_hits,
        relation_hits,
        seconds: started.elapsed().as_secs_f64(),
    }
}
