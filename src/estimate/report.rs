//! The result of an estimate ([`Estimate`], the JSON output) and its text rendering.

use super::{Method, Options, Target, Work};
use crate::plan::ControlPlan;
use serde::Serialize;

/// Why an estimate stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// The 95% half-width reached the requested relative error.
    Precision,
    /// The time given ran out first.
    Time,
    /// The step budget ran out first.
    Budget,
    /// The answer is exact: the target cannot be reached at all.
    Exact,
    /// The estimator gave up (importance sampling found no tilt; see the notes).
    Failed,
}

impl Stop {
    /// What the stop means, in words.
    pub fn describe(self) -> &'static str {
        match self {
            Stop::Precision => "reached the requested precision",
            Stop::Time => "time ran out before the requested precision",
            Stop::Budget => "the step budget ran out before the requested precision",
            Stop::Exact => "exact: the target cannot be reached",
            Stop::Failed => "the estimator failed (see the notes)",
        }
    }
}

/// What crude Monte Carlo would need for the same precision, from its measured cost per
/// trial and the estimate.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CrudeNeed {
    /// Trials: 1.96² (1 − p) / (p r²).
    pub trials: f64,
    /// Attack steps: those trials times crude's mean steps per trial.
    pub steps: f64,
    /// Crude's measured mean attack steps per trial.
    pub steps_per_trial: f64,
    /// Crude's steps over this estimate's: how much work the method saved.
    pub work_ratio: f64,
    /// Estimated seconds, at this run's rate of attack steps per second (filled in by the
    /// caller, which owns the clock).
    pub seconds: Option<f64>,
}

/// A rare-event estimate and how it was reached.
#[derive(Clone, Debug, Serialize)]
pub struct Estimate {
    /// The target, as written (`crown-jewel`, `asset:ID`, `tier-zero`, `blast>=K`).
    pub target: String,
    /// The control set.
    pub control_set: String,
    /// The method asked for.
    pub method_requested: Method,
    /// The method that produced the estimate.
    pub method: Method,
    /// The estimated probability.
    pub probability: f64,
    /// Its 95% interval (Wilson for crude Monte Carlo, Student-t over independent
    /// estimates or weighted trials otherwise).
    pub ci95: [f64; 2],
    /// The interval's half-width over the estimate (`None` when the estimate is 0).
    pub rel_error: Option<f64>,
    /// The relative error asked for.
    pub rel_error_requested: f64,
    /// Why it stopped.
    pub stop: Stop,
    /// Why the answer is an exact 0, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exact_reason: Option<String>,
    /// Samples behind the estimate: trials (crude, importance sampling) or independent
    /// splitting runs.
    pub samples: u64,
    /// Of those, the ones that reached the target (crude, importance sampling) or gave a
    /// non-zero estimate (splitting).
    pub hits: u64,
    /// Effective sample size: (Σ w)² / Σ w² over the samples' contributions (crude: the
    /// hits; importance sampling: the weighted hits; splitting: the runs).
    pub ess: Option<f64>,
    /// All the work done, pilot and tuning included.
    pub work: Work,
    /// The crude pilot run: trials, hits, steps.
    pub pilot: Work,
    /// Hits of the pilot run.
    pub pilot_hits: u64,
    /// What crude Monte Carlo would need for the same precision (`None` when the
    /// estimate is 0).
    pub crude: Option<CrudeNeed>,
    /// Wall-clock seconds (filled in by the caller).
    pub seconds: Option<f64>,
    /// The seed.
    pub seed: u64,
    /// Notes and warnings on the run (weight degeneracy, method switches).
    pub notes: Vec<String>,
}

impl Estimate {
    pub(crate) fn new(target: &Target, plan: &ControlPlan, opt: &Options) -> Estimate {
        Estimate {
            target: target.label(),
            control_set: plan.name.clone(),
            method_requested: opt.method,
            method: opt.method,
            probability: 0.0,
            ci95: [0.0, 1.0],
            rel_error: None,
            rel_error_requested: opt.rel_error,
            stop: Stop::Failed,
            exact_reason: None,
            samples: 0,
            hits: 0,
            ess: None,
            work: Work::default(),
            pilot: Work::default(),
            pilot_hits: 0,
            crude: None,
            seconds: None,
            seed: opt.seed,
            notes: Vec::new(),
        }
    }

    pub(crate) fn exact_zero(&mut self, reason: String) {
        self.probability = 0.0;
        self.ci95 = [0.0, 0.0];
        self.stop = Stop::Exact;
        self.exact_reason = Some(reason);
        if self.method == Method::Auto {
            self.method = Method::Crude;
        }
    }

    pub(crate) fn note(&mut self, s: impl Into<String>) {
        self.notes.push(s.into());
    }

    /// Records an estimate and its interval; the relative error follows.
    pub(crate) fn set(&mut self, method: Method, probability: f64, ci95: [f64; 2]) {
        self.method = method;
        self.probability = probability;
        self.ci95 = [ci95[0].max(0.0), ci95[1].min(1.0)];
        self.rel_error = (probability > 0.0).then(|| (ci95[1] - ci95[0]) / 2.0 / probability);
    }

    /// Whether the recorded interval meets the requested precision.
    pub(crate) fn precise(&self) -> bool {
        self.rel_error
            .is_some_and(|r| r <= self.rel_error_requested)
    }

    pub(crate) fn pilot(&mut self, crude: &super::crude::Crude, _opt: &Options) {
        self.pilot = crude.work;
        self.pilot_hits = crude.hits;
        self.work = crude.work;
    }

    /// Fills in crude Monte Carlo's need from its measured cost per trial.
    pub(crate) fn finish(&mut self, crude: &super::crude::Crude) {
        let p = self.probability;
        if p <= 0.0 || crude.work.trials == 0 || self.stop == Stop::Exact {
            return;
        }
        let r = self.rel_error_requested;
        let trials = 1.96f64.powi(2) * (1.0 - p) / (p * r * r);
        let per = crude.work.steps as f64 / crude.work.trials as f64;
        let steps = trials * per;
        self.crude = Some(CrudeNeed {
            trials,
            steps,
            steps_per_trial: per,
            work_ratio: steps / self.work.steps.max(1) as f64,
            seconds: None,
        });
    }

    /// Fills in the times, from the wall-clock seconds the caller measured.
    pub fn timed(&mut self, seconds: f64) {
        self.seconds = Some(seconds);
        let rate = self.work.steps as f64 / seconds.max(1e-9);
        if let Some(c) = &mut self.crude {
            c.seconds = (rate > 0.0).then(|| c.steps / rate);
        }
    }

    /// The estimate as a few lines of text.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let sci = |x: f64| format!("{x:.3e}");
        s.push_str(&format!(
            "P({}) under `{}`, by {}{}\n",
            self.target,
            self.control_set,
            self.method.name(),
            if self.method_requested == Method::Auto {
                " (chosen by auto)"
            } else {
                ""
            }
        ));
        if let Some(why) = &self.exact_reason {
            s.push_str(&format!(
                "  estimate       0 (exact)\n  why            {why}\n"
            ));
            return s;
        }
        s.push_str(&format!(
            "  estimate       {}   95% CI [{}, {}]\n",
            sci(self.probability),
            sci(self.ci95[0]),
            sci(self.ci95[1])
        ));
        s.push_str(&format!(
            "  rel. error     {} (asked {:.3})\n",
            self.rel_error
                .map_or("n/a (no hit yet)".to_string(), |r| format!("{r:.3}")),
            self.rel_error_requested
        ));
        s.push_str(&format!("  stopped        {}\n", self.stop.describe()));
        s.push_str(&format!(
            "  samples        {} ({} hit{})\n",
            self.samples,
            self.hits,
            self.ess
                .map_or(String::new(), |e| format!(", effective sample size {e:.1}"))
        ));
        s.push_str(&format!(
            "  work           {} attack steps in {} trials (pilot: {} trials, {} hits)\n",
            self.work.steps, self.work.trials, self.pilot.trials, self.pilot_hits
        ));
        if let Some(secs) = self.seconds {
            s.push_str(&format!("  time           {secs:.1} s\n"));
        }
        if let Some(c) = &self.crude {
            s.push_str(&format!(
                "  crude MC needs {:.3e} trials, {:.3e} attack steps ({:.1}x this run's){}\n",
                c.trials,
                c.steps,
                c.work_ratio,
                c.seconds
                    .map_or(String::new(), |t| format!(", about {}", human_seconds(t)))
            ));
        }
        for n in &self.notes {
            s.push_str(&format!("  note: {n}\n"));
        }
        s
    }
}

/// Seconds in the largest unit that keeps the number readable.
fn human_seconds(t: f64) -> String {
    if t < 120.0 {
        format!("{t:.1} s")
    } else if t < 7200.0 {
        format!("{:.1} min", t / 60.0)
    } else if t < 172_800.0 {
        format!("{:.1} h", t / 3600.0)
    } else {
        format!("{:.1} days", t / 86_400.0)
    }
}
