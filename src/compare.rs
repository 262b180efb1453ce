//! Paired comparison of control sets, and ablation of a preset. Every set runs on common
//! random numbers (same trial keys), so a difference is computed trial by trial and its
//! confidence interval carries only the noise that does not cancel.

use crate::controls::{ResolvedSet, resolve_set};
use crate::error::Result;
use crate::montecarlo::{RunOptions, SetRun};
use crate::pipeline::Prepared;
use crate::plan;
use crate::sim::TrialOutcome;
use crate::stats::{self, PairedDiff};
use crate::summary::{Summary, summarize};
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A difference in a median time between two sets, with a paired bootstrap interval.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MedianDiff {
    /// Median under the baseline, in hours; `None` when not reached by the horizon.
    pub baseline: Option<f64>,
    /// Median under the compared set, in hours; `None` when not reached by the horizon.
    pub set: Option<f64>,
    /// set − baseline, when both medians are reached.
    pub diff: Option<f64>,
    /// 95% paired-bootstrap interval of the difference; null when fewer than 95% of the
    /// resamples have both medians (the difference is then not well defined).
    pub ci95: Option<[f64; 2]>,
}

/// How one control set differs from the baseline, trial by trial on common random numbers. Each
/// `*_diff` is set − baseline: negative means the set does better.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Comparison {
    /// The compared set.
    pub name: String,
    /// The baseline set.
    pub baseline: String,
    /// Assets compromised: set − baseline, per trial.
    pub blast_radius_diff: PairedDiff,
    /// Business value compromised: set − baseline, per trial.
    pub blast_radius_value_diff: PairedDiff,
    /// Crown jewel reached (0/1): set − baseline, i.e. the change in P(crown jewel).
    pub crown_jewel_diff: PairedDiff,
    /// Records exposed: set − baseline, per trial.
    pub records_exposed_diff: PairedDiff,
    /// Median hours to the first crown jewel.
    pub time_to_crown_jewel_p50: MedianDiff,
    /// Median hours to containment.
    pub time_to_contain_p50: MedianDiff,
}

/// One control of an ablated preset: what removing it costs and what it buys alone.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Marginal {
    /// Control id.
    pub id: String,
    /// Control name.
    pub name: String,
    /// Preset without this control − full preset: how much worse things get without it.
    pub removal: Comparison,
    /// This control alone − the baseline: what it buys on its own.
    pub addition: Comparison,
}

/// Leave-one-out and add-one comparisons of every control of a preset.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Ablation {
    /// The preset ablated.
    pub preset: String,
    /// The set each control alone is compared with.
    pub addition_baseline: String,
    /// Ranked by marginal reduction of blast radius on removal (largest first).
    pub controls: Vec<Marginal>,
}

/// Everything `ztsim compare` reports.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CompareReport {
    /// The statistics of every set run (ablation variants included).
    pub summary: Summary,
    /// Each requested set against the baseline, in the order asked.
    pub comparisons: Vec<Comparison>,
    /// The ablation, when one was asked for.
    pub ablation: Option<Ablation>,
}

fn metric(runs: &[TrialOutcome], f: impl Fn(&TrialOutcome) -> f64) -> Vec<f64> {
    runs.iter().map(f).collect()
}

/// Paired bootstrap of the difference in Kaplan–Meier medians.
pub(crate) fn median_diff(
    a: &[Option<f64>],
    b: &[Option<f64>],
    horizon: f64,
    seed: u64,
) -> MedianDiff {
    let med = |x: &[Option<f64>]| stats::kaplan_meier(x, horizon).quantile(0.5);
    let (ma, mb) = (med(a), med(b));
    let n = a.len().min(b.len());
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0xB007);
    const B: usize = 400;
    let mut diffs = Vec::with_capacity(B);
    let (mut ra, mut rb) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..B {
        ra.clear();
        rb.clear();
        for _ in 0..n {
            let i = rng.random_range(0..n);
            ra.push(a[i]);
            rb.push(b[i]);
        }
        if let (Some(x), Some(y)) = (med(&ra), med(&rb)) {
            diffs.push(y - x);
        }
    }
    diffs.sort_by(f64::total_cmp);
    let ci95 = if n > 1 && diffs.len() * 100 >= B * 95 {
        Some([
            stats::quantile_sorted(&diffs, 0.025).unwrap_or(0.0),
            stats::quantile_sorted(&diffs, 0.975).unwrap_or(0.0),
        ])
    } else {
        None
    };
    MedianDiff {
        baseline: ma,
        set: mb,
        diff: ma.zip(mb).map(|(x, y)| y - x),
        ci95,
    }
}

pub(crate) fn compare_runs(base: &SetRun, other: &SetRun, horizon: f64, seed: u64) -> Comparison {
    let (a, b) = (&base.outcomes, &other.outcomes);
    let pd = |f: &dyn Fn(&TrialOutcome) -> f64| stats::paired_diff(&metric(a, f), &metric(b, f));
    Comparison {
        name: other.plan.name.clone(),
        baseline: base.plan.name.clone(),
        blast_radius_diff: pd(&|t| t.compromised as f64),
        blast_radius_value_diff: pd(&|t| t.value),
        crown_jewel_diff: pd(&|t| {
            if t.crown_jewel_hours.is_some() {
                1.0
            } else {
                0.0
            }
        }),
        records_exposed_diff: pd(&|t| t.records_exposed as f64),
        time_to_crown_jewel_p50: median_diff(
            &a.iter().map(|t| t.crown_jewel_hours).collect::<Vec<_>>(),
            &b.iter().map(|t| t.crown_jewel_hours).collect::<Vec<_>>(),
            horizon,
            seed,
        ),
        time_to_contain_p50: median_diff(
            &a.iter().map(|t| t.contain_hours).collect::<Vec<_>>(),
            &b.iter().map(|t| t.contain_hours).collect::<Vec<_>>(),
            horizon,
            seed.wrapping_add(1),
        ),
    }
}

fn without(set: &ResolvedSet, id: &str) -> ResolvedSet {
    ResolvedSet {
        name: format!("{} - {id}", set.name),
        description: format!("{} without {id}", set.name),
        controls: set
            .controls
            .iter()
            .filter(|c| c.id != id)
            .cloned()
            .collect(),
    }
}

fn only(set: &ResolvedSet, id: &str) -> ResolvedSet {
    ResolvedSet {
        name: format!("+{id}"),
        description: format!("{id} alone, as configured in {}", set.name),
        controls: set
            .controls
            .iter()
            .filter(|c| c.id == id)
            .cloned()
            .collect(),
    }
}

/// Runs the named sets (and, with `ablate`, a preset's leave-one-out and add-one sets) and
/// compares each against the baseline (default: the first set).
pub fn compare(
    prep: &Prepared,
    names: &[String],
    baseline: Option<&str>,
    ablate: Option<&str>,
    opt: &RunOptions,
) -> Result<(CompareReport, Vec<SetRun>)> {
    compare_observed(
        prep,
        names,
        baseline,
        ablate,
        opt,
        &crate::montecarlo::Unobserved,
    )
}

/// [`compare`], with the trials watched by `obs` (a progress bar).
pub fn compare_observed(
    prep: &Prepared,
    names: &[String],
    baseline: Option<&str>,
    ablate: Option<&str>,
    opt: &RunOptions,
    obs: &dyn crate::montecarlo::Observer,
) -> Result<(CompareReport, Vec<SetRun>)> {
    let sc = &prep.loaded.scenario;
    let mut sets: Vec<ResolvedSet> = Vec::new();
    fn push(sets: &mut Vec<ResolvedSet>, s: ResolvedSet) {
        if !sets.iter().any(|x| x.name == s.name) {
            sets.push(s);
        }
    }
    for n in names {
        push(&mut sets, resolve_set(n, &sc.control_sets, &prep.catalog)?);
    }
    let base_name = baseline
        .map(str::to_string)
        .unwrap_or_else(|| sets.first().map_or("none".into(), |s| s.name.clone()));
    if !sets.iter().any(|s| s.name == base_name) {
        push(
            &mut sets,
            resolve_set(&base_name, &sc.control_sets, &prep.catalog)?,
        );
    }
    let preset = match ablate {
        Some(p) => {
            let full = resolve_set(p, &sc.control_sets, &prep.catalog)?;
            push(&mut sets, full.clone());
            for c in &full.controls {
                push(&mut sets, without(&full, &c.id));
                push(&mut sets, only(&full, &c.id));
            }
            Some(full)
        }
        None => None,
    };
    let plans: Vec<Arc<plan::ControlPlan>> = sets
        .iter()
        .map(|s| Arc::new(plan::build(&prep.estate, s, opt.seed)))
        .collect();
    let runs = crate::montecarlo::run_sets_observed(&prep.estate, &plans, opt, obs)?;
    let threads = if opt.threads == 0 {
        rayon::current_num_threads()
    } else {
        opt.threads
    };
    let summary = summarize(
        &prep.estate,
        &runs,
        &prep.loaded.origin,
        prep.loaded.source_hash,
        opt.seed,
        threads,
    );
    let h = prep.estate.horizon_hours;
    let by_name = |n: &str| {
        runs.iter()
            .find(|r| r.plan.name == n)
            .expect("every set was run")
    };
    let base = by_name(&base_name);
    let comparisons = names
        .iter()
        .filter_map(|n| sets.iter().find(|s| &s.name == n))
        .filter(|s| s.name != base_name)
        .map(|s| compare_runs(base, by_name(&s.name), h, opt.seed))
        .collect();
    let ablation = preset.map(|full| {
        let full_run = by_name(&full.name);
        let mut controls: Vec<Marginal> = full
            .controls
            .iter()
            .map(|c| Marginal {
                id: c.id.clone(),
                name: c.name.clone(),
                removal: compare_runs(full_run, by_name(&without(&full, &c.id).name), h, opt.seed),
                addition: compare_runs(base, by_name(&only(&full, &c.id).name), h, opt.seed),
            })
            .collect();
        controls.sort_by(|x, y| {
            y.removal
                .blast_radius_diff
                .mean
                .total_cmp(&x.removal.blast_radius_diff.mean)
                .then(x.id.cmp(&y.id))
        });
        Ablation {
            preset: full.name.clone(),
            addition_baseline: base_name.clone(),
            controls,
        }
    });
    Ok((
        CompareReport {
            summary,
            comparisons,
            ablation,
        },
        runs,
    ))
}
