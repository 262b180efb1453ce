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

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub trials: u32,
    pub seed: u64,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Timeline samples across the horizon (plus one at time zero).
    pub timeline_points: usize,
    /// Keep, per trial, which edge first compromised each node (attack-path analysis).
    pub keep_parents: bool,
}

pub struct SetRun {
    pub plan: Arc<ControlPlan>,
    pub outcomes: Vec<TrialOutcome>,
    /// Trials in which each node was compromised.
    pub node_hits: Vec<u32>,
    pub seconds: f64,
}

pub fn run_sets(
    est: &Arc<Estate>,
    plans: &[Arc<ControlPlan>],
    opt: &RunOptions,
) -> Result<Vec<SetRun>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opt.threads)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start {} worker threads: {e}", opt.threads)))?;
    Ok(pool.install(|| plans.iter().map(|plan| run_set(est, plan, opt)).collect()))
}

fn run_set(est: &Arc<Estate>, plan: &Arc<ControlPlan>, opt: &RunOptions) -> SetRun {
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
            out
        })
        .collect();
    let mut node_hits = vec![0u32; est.nodes.len()];
    for e in pool.into_inner().unwrap_or_default() {
        for (h, x) in node_hits.iter_mut().zip(&e.node_hits) {
            *h += x;
        }
    }
    SetRun {
        plan: plan.clone(),
        outcomes: parts.into_iter().flatten().collect(),
        node_hits,
        seconds: started.elapsed().as_secs_f64(),
    }
}
