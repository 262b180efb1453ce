//! Crude Monte Carlo: plain trials (trial i on the key of (seed, i), as `ztsim run`
//! plays it), each stopped once it hits the target; the estimate is the fraction that hit,
//! with a Wilson interval. Also the pilot run every method starts with, which measures
//! what a plain trial costs.

use super::{Budget, Estimate, Method, Options, Played, Stop, Work, Workers, play_to_hit};
use crate::plan::ControlPlan;
use crate::rng::TrialKey;
use std::sync::Arc;

/// Crude is chosen by `auto` when the pilot's estimate says the requested precision
/// takes at most this many times the pilot's trials.
pub const AFFORDABLE_PILOTS: f64 = 100.0;

/// A crude Monte Carlo run so far.
pub struct Crude {
    plan: Arc<ControlPlan>,
    /// Trials played, hits and steps.
    pub work: Work,
    /// Trials that hit the target.
    pub hits: u64,
}

impl Crude {
    /// No trials yet, on the (watching) plan.
    pub fn new(plan: &Arc<ControlPlan>) -> Crude {
        Crude {
            plan: plan.clone(),
            work: Work::default(),
            hits: 0,
        }
    }

    /// Plays the next `n` trials.
    pub(crate) fn extend(&mut self, w: &Workers, n: u64) {
        let first = self.work.trials;
        let goal = w.goal;
        let seed = w.seed;
        let out: Vec<Played> = w.map(&self.plan, n, |engine, i| {
            let index = first + i;
            play_to_hit(engine, goal, index, TrialKey::derived(seed, 0, index))
        });
        for p in &out {
            self.work.add(p);
            self.hits += p.hit as u64;
        }
    }

    /// The trials crude Monte Carlo needs for relative error `r` if the probability is
    /// `p`: 1.96² (1 − p) / (p r²).
    pub fn trials_needed(p: f64, r: f64) -> f64 {
        1.96f64.powi(2) * (1.0 - p) / (p * r * r)
    }

    /// `Some(Method::Crude)` when the pilot says crude reaches the precision within
    /// [`AFFORDABLE_PILOTS`] pilots.
    pub(crate) fn affordable(&self, opt: &Options) -> Option<Method> {
        if self.hits == 0 {
            return None;
        }
        let p = self.hits as f64 / self.work.trials as f64;
        (Crude::trials_needed(p, opt.rel_error) <= AFFORDABLE_PILOTS * self.work.trials as f64)
            .then_some(Method::Crude)
    }

    /// Records the current estimate in `report`.
    fn record(&self, report: &mut Estimate, pilot: Work) {
        let w = crate::stats::wilson(self.hits, self.work.trials);
        report.set(Method::Crude, w.probability, w.ci95);
        report.samples = self.work.trials;
        report.hits = self.hits;
        report.ess = Some(self.hits as f64);
        report.work = self.work;
        report.pilot = pilot;
    }

    /// Plays more trials, in growing batches, until the precision is reached or the
    /// budget runs out.
    pub(crate) fn run(
        &mut self,
        w: &Workers,
        opt: &Options,
        budget: &Budget,
        report: &mut Estimate,
    ) {
        let pilot = report.pilot;
        loop {
            self.record(report, pilot);
            if report.precise() {
                report.stop = Stop::Precision;
                return;
            }
            if let Some(stop) = budget.exhausted(&self.work) {
                report.stop = stop;
                return;
            }
            let batch = (self.work.trials / 2).max(opt.pilot_trials as u64);
            self.extend(w, batch);
        }
    }
}
