//! Rare-event estimation: the probability of an attack outcome (a crown jewel, an asset,
//! Tier Zero, a blast radius) to a requested relative precision, by crude Monte Carlo
//! ([`crude`]), importance sampling with a cross-entropy-tuned tilt ([`importance`]) or
//! adaptive multilevel splitting ([`splitting`]). All three play the one engine
//! ([`crate::sim::Engine`]): a tilted plan and the trial's likelihood ratio for importance
//! sampling, trials paused and resumed on fresh keys for splitting.
//!
//! The estimators stop when the 95% interval's half-width is at most the relative error
//! asked for, or when the caller's `keep_going` says stop (the clock is the caller's: the
//! core reads none). Every random stream is a pure function of (seed, stage, index), so a
//! run that is not cut short by time gives the same answer for any thread count.
//! docs/estimate.md.

#![deny(clippy::disallowed_methods, clippy::disallowed_macros)] // the core does no I/O

pub mod crude;
pub mod importance;
pub mod report;
pub mod splitting;
pub mod target;

pub use report::{Estimate, Stop};
pub use target::{Goal, Target};

use crate::error::{Error, Result};
use crate::estate::Estate;
use crate::plan::ControlPlan;
use crate::rng::TrialKey;
use crate::sim::Engine;
use rayon::prelude::*;
use serde::Serialize;
use std::sync::{Arc, Mutex};

/// How to estimate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Crude Monte Carlo if a pilot run shows it affordable, else importance sampling,
    /// else splitting (docs/estimate.md).
    Auto,
    /// Plain trials: the fraction that hit the target.
    Crude,
    /// Importance sampling: trials on tilted success odds, weighted by their likelihood
    /// ratio; the tilt tuned by the cross-entropy method.
    Is,
    /// Adaptive multilevel splitting on the progress towards the target.
    Splitting,
}

impl Method {
    /// The method's name as the command line writes it.
    pub fn name(self) -> &'static str {
        match self {
            Method::Auto => "auto",
            Method::Crude => "crude",
            Method::Is => "is",
            Method::Splitting => "splitting",
        }
    }
}

/// Settings of an estimate.
#[derive(Clone, Debug)]
pub struct Options {
    /// Stop once the 95% half-width is at most this fraction of the estimate; in (0, 1).
    pub rel_error: f64,
    /// The method.
    pub method: Method,
    /// Master seed.
    pub seed: u64,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Stop, whatever the precision, after this many attack steps (`None`: no bound).
    pub max_steps: Option<u64>,
    /// Trials of the crude pilot run that sizes the problem (and of each cross-entropy
    /// stage).
    pub pilot_trials: u32,
    /// Particles per splitting run.
    pub particles: u32,
}

impl Options {
    /// Defaults for a relative error and a method.
    pub fn new(rel_error: f64, method: Method) -> Options {
        Options {
            rel_error,
            method,
            seed: 1,
            threads: 0,
            max_steps: None,
            pilot_trials: 2000,
            particles: 100,
        }
    }

    /// Checks the settings: a relative error in (0, 1), at least one trial and particle.
    pub fn check(&self) -> Result<()> {
        if !(self.rel_error > 0.0 && self.rel_error < 1.0) {
            return Err(Error::Usage(format!(
                "--rel-error {}: the relative error must be above 0 and below 1 (0.1 asks for a 95% interval within ±10% of the estimate)",
                self.rel_error
            )));
        }
        if self.pilot_trials < 10 || self.particles < 2 {
            return Err(Error::Usage(
                "at least 10 pilot trials and 2 particles are needed".into(),
            ));
        }
        Ok(())
    }
}

/// What one played trial (or particle) gave.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Played {
    /// It reached the target.
    pub hit: bool,
    /// Its progress score ([`Goal::score`]).
    pub score: u32,
    /// Log of its likelihood ratio (0 unless the plan is tilted).
    pub log_lr: f64,
    /// Attack steps started.
    pub steps: u64,
    /// Attack edges examined.
    pub edges: u64,
}

/// The work done so far, and the budget.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Work {
    /// Trials (or particle runs, replays included) played.
    pub trials: u64,
    /// Attack steps started: the work measure compared with crude Monte Carlo's.
    pub steps: u64,
    /// Attack edges examined by the engine.
    pub edges: u64,
}

impl Work {
    pub(crate) fn add(&mut self, p: &Played) {
        self.trials += 1;
        self.steps += p.steps;
        self.edges += p.edges;
    }
}

/// The engines of a run, one per worker, and what they play: the estate, a plan, a goal.
pub(crate) struct Workers<'a> {
    pub est: Arc<Estate>,
    pool: rayon::ThreadPool,
    engines: Mutex<Vec<Engine>>,
    pub goal: &'a Goal,
    pub seed: u64,
}

impl<'a> Workers<'a> {
    pub(crate) fn new(est: Arc<Estate>, goal: &'a Goal, opt: &Options) -> Result<Workers<'a>> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(opt.threads)
            .build()
            .map_err(|e| {
                Error::Usage(format!("cannot start {} worker threads: {e}", opt.threads))
            })?;
        Ok(Workers {
            est,
            pool,
            engines: Mutex::new(Vec::new()),
            goal,
            seed: opt.seed,
        })
    }

    /// `f(engine, i)` for every i in `0..n`, in parallel on engines set to `plan`; the
    /// results in order of i.
    pub(crate) fn map<T: Send>(
        &self,
        plan: &Arc<ControlPlan>,
        n: u64,
        f: impl Fn(&mut Engine, u64) -> T + Sync,
    ) -> Vec<T> {
        let take = || {
            let spare = self.engines.lock().map(|mut p| p.pop()).unwrap_or(None);
            let mut e =
                spare.unwrap_or_else(|| Engine::new(self.est.clone(), plan.clone(), self.seed));
            e.set_plan(plan.clone());
            e
        };
        let chunk = (n / (self.pool.current_num_threads() as u64 * 8)).clamp(1, 64);
        self.pool.install(|| {
            (0..n.div_ceil(chunk))
                .into_par_iter()
                .map(|c| {
                    let mut engine = take();
                    let out: Vec<T> = (c * chunk..((c + 1) * chunk).min(n))
                        .map(|i| f(&mut engine, i))
                        .collect();
                    if let Ok(mut p) = self.engines.lock() {
                        p.push(engine);
                    }
                    out
                })
                .collect::<Vec<_>>()
                .into_iter()
                .flatten()
                .collect()
        })
    }
}

/// Plays one trial on `key` until it hits the target or ends.
pub(crate) fn play_to_hit(engine: &mut Engine, goal: &Goal, index: u64, key: TrialKey) -> Played {
    engine.begin_keyed(index, key);
    let halt = goal.halt_above(&engine.trial().plan, None);
    engine.play(Some(halt));
    played(engine, goal)
}

/// What the engine's current trial gave.
pub(crate) fn played(engine: &Engine, goal: &Goal) -> Played {
    let t = engine.trial();
    Played {
        hit: goal.hit(&t.st),
        score: goal.score(&t.plan, &t.st),
        log_lr: t.st.log_lr,
        steps: t.st.m.steps_attempted as u64,
        edges: t.st.m.edges_examined,
    }
}

/// Estimates the probability of `target` under `plan` on `est` (compiled from
/// `scenario`). `keep_going` is asked between batches of trials: answering false stops
/// the estimate where it stands (the caller's clock; the core reads none).
pub fn estimate(
    scenario: &crate::scenario::Scenario,
    est: &Arc<Estate>,
    plan: &ControlPlan,
    target: &Target,
    opt: &Options,
    keep_going: &(dyn Fn() -> bool + Sync),
) -> Result<Estimate> {
    opt.check()?;
    let goal = target.resolve(scenario, est)?;
    let mut report = Estimate::new(target, plan, opt);
    if let Some(reason) = goal.unreachable_reason(est, plan) {
        report.exact_zero(reason);
        return Ok(report);
    }
    let plan = Arc::new(goal.watching(est, plan));
    let workers = Workers::new(est.clone(), &goal, opt)?;
    let budget = Budget {
        max_steps: opt.max_steps,
        keep_going,
    };
    // The pilot: plain trials that size the problem, and the first crude trials.
    let mut crude_run = crude::Crude::new(&plan);
    crude_run.extend(&workers, opt.pilot_trials as u64);
    report.pilot(&crude_run, opt);
    let method = match opt.method {
        Method::Auto => crude_run.affordable(opt).unwrap_or(Method::Is),
        m => m,
    };
    match method {
        Method::Crude | Method::Auto => crude_run.run(&workers, opt, &budget, &mut report),
        Method::Is => {
            let done = importance::run(&workers, &plan, opt, &budget, &mut report)?;
            if !done && opt.method == Method::Auto {
                report.note(
                    "importance sampling could not tune a tilt that reaches the target; switched to splitting",
                );
                splitting::run(&workers, &plan, opt, &budget, &mut report);
            }
        }
        Method::Splitting => splitting::run(&workers, &plan, opt, &budget, &mut report),
    }
    report.finish(&crude_run);
    Ok(report)
}

/// When to stop whatever the precision: attack steps, or the caller's clock.
pub(crate) struct Budget<'a> {
    max_steps: Option<u64>,
    keep_going: &'a (dyn Fn() -> bool + Sync),
}

impl Budget<'_> {
    /// Why the run must stop now, if it must.
    pub(crate) fn exhausted(&self, work: &Work) -> Option<Stop> {
        if self.max_steps.is_some_and(|m| work.steps >= m) {
            Some(Stop::Budget)
        } else if !(self.keep_going)() {
            Some(Stop::Time)
        } else {
            None
        }
    }
}
