//! One-at-a-time sensitivity analysis of the assumed parameters: every control parameter of
//! the chosen set that carries an `assumption`, and every default of a technique the estate
//! uses that carries no `source` (or that the scenario sets itself), is moved down and up by
//! a relative `range` (±50 % by default, clamped to its valid range), all else fixed. Every
//! variant runs on the baseline's trial keys (common random numbers), so a difference is a
//! paired difference whose interval carries only the noise that does not cancel. Parameters
//! are ranked by how far their range moves the mean blast radius (then P(crown jewel)): the
//! data behind a tornado chart.

use super::cells::Job;
use super::overrides::{Target, TechField, param_is_used};
use super::progress::Progress;
use super::run::{Finished, run_jobs};
use super::spec::ScenarioInstance;
use super::tidy::{num, record};
use crate::controls::ResolvedSet;
use crate::error::{Error, Result};
use crate::estate::Estate;
use crate::limits::Limits;
use crate::stats::{self, PairedDiff};
use crate::techniques::TechniqueCatalog;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

/// What `ztsim sensitivity` does.
#[derive(Clone, Debug)]
pub struct SensitivityOptions {
    /// Scenario file to analyse.
    pub scenario: PathBuf,
    /// Controls files applied on top of the scenario, in order.
    pub controls_files: Vec<PathBuf>,
    /// Control set held fixed while parameters move (a name `--controls` accepts).
    pub controls: String,
    /// Attacker profile; `None` keeps the scenario's attacker.
    pub profile: Option<String>,
    /// Relative move of each parameter, e.g. 0.5 for ±50 % (clamped to the valid range).
    pub range: f64,
    /// Trials per variant; `None` takes the scenario's `simulation.trials`.
    pub trials: Option<u32>,
    /// Master seed; `None` takes the scenario's `simulation.seed`.
    pub seed: Option<u64>,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Bounds on the input files.
    pub limits: Limits,
}

/// Mean blast radius and P(crown jewel) of one variant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Mean assets compromised per trial.
    pub blast_radius: f64,
    /// 95% interval of the mean blast radius.
    pub blast_radius_ci95: [f64; 2],
    /// Share of trials reaching a crown jewel.
    pub p_crown_jewel: f64,
    /// 95% Wilson interval of P(crown jewel).
    pub p_crown_jewel_ci95: [f64; 2],
}

/// One parameter's effect: the metrics at its low and high values, and the paired differences from
/// the baseline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParamResult {
    /// Rank by blast-radius swing (1 = moves it most).
    pub rank: usize,
    /// Rank by P(crown jewel) swing.
    pub p_crown_jewel_rank: usize,
    /// Parameter name (`control.C01.efficacy`, `technique.T1566.002.p`).
    pub name: String,
    /// The parameter in words, for charts (`Spearphishing Link (T1566.002): success
    /// probability`); empty in files written before it existed.
    #[serde(default)]
    pub label: String,
    /// `control` or `technique`.
    pub kind: String,
    /// The stated assumption, or why the value counts as one.
    pub provenance: String,
    /// The value the baseline uses.
    pub base: f64,
    /// The value moved down by the range (clamped).
    pub low: f64,
    /// The value moved up by the range (clamped).
    pub high: f64,
    /// Metrics with the parameter at `low`.
    pub at_low: Point,
    /// Metrics with the parameter at `high`.
    pub at_high: Point,
    /// |blast radius at high − at low|.
    pub blast_radius_swing: f64,
    /// |P(crown jewel) at high − at low|.
    pub p_crown_jewel_swing: f64,
    /// Paired differences (variant − baseline), per trial.
    pub blast_radius_low_diff: PairedDiff,
    /// Blast radius at `high` − baseline.
    pub blast_radius_high_diff: PairedDiff,
    /// P(crown jewel) at `low` − baseline.
    pub p_crown_jewel_low_diff: PairedDiff,
    /// P(crown jewel) at `high` − baseline.
    pub p_crown_jewel_high_diff: PairedDiff,
}

/// A parameter left out of the analysis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    /// Parameter name.
    pub name: String,
    /// Why it was left out (sourced, unused, cannot move).
    pub reason: String,
}

/// The result of `ztsim sensitivity` (`sensitivity.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SensitivityReport {
    /// Version of ztsim that produced the report.
    pub ztsim_version: String,
    /// Scenario name.
    pub scenario: String,
    /// Scenario file, as given.
    pub scenario_file: String,
    /// FNV-1a of the scenario text, hex.
    pub scenario_hash: String,
    /// The control set held fixed.
    pub controls: String,
    /// Attacker profile name.
    pub profile: String,
    /// Relative move applied to each parameter.
    pub range: f64,
    /// Trials per variant.
    pub trials: u32,
    /// Master seed (every variant uses the same trial keys).
    pub seed: u64,
    /// Metrics of the unmodified scenario.
    pub baseline: Point,
    /// Ranked: the parameter that moves the mean blast radius most first.
    pub parameters: Vec<ParamResult>,
    /// Parameters left out, with the reason.
    pub skipped: Vec<Skipped>,
    /// Wall time of the analysis, in seconds.
    pub seconds: f64,
}

/// An assumed parameter to vary, and the values it is moved to.
pub(crate) struct Candidate {
    pub(crate) target: Target,
    pub(crate) kind: &'static str,
    pub(crate) provenance: String,
    pub(crate) base: f64,
    pub(crate) low: f64,
    pub(crate) high: f64,
}

/// The assumed parameters of `set` and of the techniques `est` uses, each moved down and up
/// by `range` (clamped), and those left out with the reason: what `ztsim sensitivity` varies
/// (and `ztsim calibrate --sensitivity` too).
pub(crate) fn assumed_parameters(
    inst: &ScenarioInstance,
    set: &ResolvedSet,
    est: &Estate,
    range: f64,
) -> (Vec<Candidate>, Vec<Skipped>) {
    let mut found = Candidates {
        range,
        catalog: &inst.catalog,
        list: Vec::new(),
        skipped: Vec::new(),
    };
    found.control_parameters(set, inst);
    found.technique_defaults(inst, est);
    (found.list, found.skipped)
}

/// Per-trial blast radius and crown-jewel indicator of one variant.
type Series = (Vec<f64>, Vec<f64>);

fn point(s: &Series) -> Point {
    let b = stats::mean_ci(&s.0);
    let k = s.1.iter().filter(|x| **x > 0.0).count() as u64;
    let p = stats::wilson(k, s.1.len() as u64);
    Point {
        blast_radius: b.mean,
        blast_radius_ci95: b.ci95,
        p_crown_jewel: p.probability,
        p_crown_jewel_ci95: p.ci95,
    }
}

/// Varies every assumed parameter of the set and the techniques the estate uses, one at a
/// time, and ranks them by how far they move the mean blast radius.
pub fn analyse(o: &SensitivityOptions, progress: &dyn Progress) -> Result<SensitivityReport> {
    let t0 = Instant::now();
    check_options(o)?;
    let label = o.scenario.display().to_string();
    let inst = ScenarioInstance::from_file(&o.scenario, &label, &o.controls_files, &o.limits)?;
    let set = inst.check_set(&o.controls)?;
    let est0 = crate::estate::compile_with(&inst.scenario, o.profile.as_deref());
    let trials = o.trials.unwrap_or(inst.scenario.simulation.trials).max(1);
    let seed = o.seed.unwrap_or(inst.scenario.simulation.seed);
    let (cands, skipped) = assumed_parameters(&inst, &set, &est0, o.range);
    let results = run_variants(o, &inst, &cands, seed, trials, progress)?;
    let base = &results[0];
    let params = ranked(param_results(&cands, &results, &inst.catalog));
    Ok(SensitivityReport {
        ztsim_version: env!("CARGO_PKG_VERSION").into(),
        scenario: est0.name.clone(),
        scenario_file: label,
        scenario_hash: format!("{:016x}", inst.source_hash),
        controls: o.controls.clone(),
        profile: est0.profile.name.clone(),
        range: o.range,
        trials,
        seed,
        baseline: point(base),
        parameters: params,
        skipped,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// Refuses a range that is not a positive number and an unknown attacker profile.
fn check_options(o: &SensitivityOptions) -> Result<()> {
    if !(o.range.is_finite() && o.range > 0.0) {
        return Err(Error::Usage(format!(
            "--range must be a positive number (got {})",
            o.range
        )));
    }
    if let Some(p) = &o.profile
        && crate::attacker::Profile::builtin(p).is_none()
    {
        return Err(Error::Usage(format!(
            "unknown attacker profile `{p}`; built-in profiles: {}",
            crate::attacker::Profile::NAMES.join(", ")
        )));
    }
    Ok(())
}

/// The parameters to vary, and those left out with the reason.
struct Candidates<'a> {
    range: f64,
    catalog: &'a crate::controls::Catalog,
    list: Vec<Candidate>,
    skipped: Vec<Skipped>,
}

impl Candidates<'_> {
    /// Takes `target` at `base` if its range moves it within its valid range.
    fn offer(&mut self, target: Target, kind: &'static str, provenance: String, base: f64) {
        let low = target.clamp(self.catalog, base * (1.0 - self.range));
        let high = target.clamp(self.catalog, base * (1.0 + self.range));
        if low == high {
            self.skipped.push(Skipped {
                name: target.name(),
                reason: format!("{base} cannot move within its valid range"),
            });
        } else {
            self.list.push(Candidate {
                target,
                kind,
                provenance,
                base,
                low,
                high,
            });
        }
    }

    /// Control parameters marked as assumptions, for the controls of the set.
    fn control_parameters(&mut self, set: &ResolvedSet, inst: &ScenarioInstance) {
        for c in &set.controls {
            let Some(def) = inst.catalog.get(&c.id) else {
                continue;
            };
            for (k, pd) in &def.parameters {
                let target = Target::Control {
                    control: c.id.clone(),
                    param: k.clone(),
                };
                let Some(a) = &pd.assumption else {
                    continue;
                };
                if !param_is_used(def, k) {
                    self.skipped.push(Skipped {
                        name: target.name(),
                        reason: "no effect of the control uses it".into(),
                    });
                    continue;
                }
                let base = c.params.get(k).copied().unwrap_or(pd.value);
                self.offer(target, "control", format!("assumption: {a}"), base);
            }
        }
    }

    /// Technique defaults the estate uses: assumptions unless sourced.
    fn technique_defaults(&mut self, inst: &ScenarioInstance, est: &Estate) {
        let tc = TechniqueCatalog::builtin();
        let mut used: Vec<u16> = est.edges.iter().map(|e| e.tech).collect();
        used.sort_unstable();
        used.dedup();
        for tid in used {
            let t = tc.get(tid);
            for field in TechField::ALL {
                let target = Target::Technique {
                    id: t.id.clone(),
                    field,
                };
                let scenario_value = inst
                    .scenario
                    .techniques
                    .iter()
                    .rev()
                    .filter(|x| x.id == t.id)
                    .find_map(|x| match field {
                        TechField::P => x.p,
                        TechField::MeanHours => x.mean_hours,
                        TechField::Noise => x.noise,
                    });
                let (base, provenance) = match scenario_value {
                    Some(v) => (v, "set by the scenario".to_string()),
                    None => {
                        if let Some(s) = &t.source {
                            self.skipped.push(Skipped {
                                name: target.name(),
                                reason: format!("sourced: {s}"),
                            });
                            continue;
                        }
                        let v = match field {
                            TechField::P => t.p,
                            TechField::MeanHours => t.mean_hours,
                            TechField::Noise => t.noise,
                        };
                        (v, "technique default [A]".to_string())
                    }
                };
                self.offer(target, "technique", provenance, base);
            }
        }
    }
}

/// Runs the baseline and every candidate at its low and high value on the same trial keys.
/// Job 0 is the baseline; candidate k is jobs 2k+1 (low) and 2k+2 (high).
fn run_variants(
    o: &SensitivityOptions,
    inst: &ScenarioInstance,
    cands: &[Candidate],
    seed: u64,
    trials: u32,
    progress: &dyn Progress,
) -> Result<Vec<Series>> {
    let job = |index: usize, overrides: Vec<(Target, f64)>| Job {
        index,
        scenario: 0,
        profile: o.profile.clone(),
        controls: o.controls.clone(),
        overrides,
        seed,
        trials,
        estimate: None,
    };
    let mut jobs = vec![job(0, Vec::new())];
    for (k, c) in cands.iter().enumerate() {
        jobs.push(job(2 * k + 1, vec![(c.target.clone(), c.low)]));
        jobs.push(job(2 * k + 2, vec![(c.target.clone(), c.high)]));
    }
    let results: Mutex<Vec<Option<Series>>> = Mutex::new(vec![None; jobs.len()]);
    let on_done = |f: Finished| -> Result<()> {
        let blast = f.outcomes.iter().map(|t| t.compromised as f64).collect();
        let cj = f
            .outcomes
            .iter()
            .map(|t| f64::from(u8::from(t.crown_jewel_hours.is_some())))
            .collect();
        if let Ok(mut r) = results.lock() {
            r[f.job.index] = Some((blast, cj));
        }
        Ok(())
    };
    let scenarios = [inst.clone()];
    run_jobs(&scenarios, &jobs, o.threads, progress, &on_done)?;
    let results = results
        .into_inner()
        .map_err(|_| Error::Usage("internal: a worker panicked".into()))?;
    results
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.ok_or_else(|| Error::Usage(format!("internal: variant {i} did not run"))))
        .collect()
}

/// Each candidate's points and paired differences against the baseline (`results[0]`),
/// unranked.
fn param_results(
    cands: &[Candidate],
    results: &[Series],
    catalog: &crate::controls::Catalog,
) -> Vec<ParamResult> {
    let base = &results[0];
    let mut params = Vec::new();
    for (k, c) in cands.iter().enumerate() {
        let (lo, hi) = (&results[2 * k + 1], &results[2 * k + 2]);
        let (pl, ph) = (point(lo), point(hi));
        params.push(ParamResult {
            rank: 0,
            p_crown_jewel_rank: 0,
            name: c.target.name(),
            label: c.target.describe(catalog),
            kind: c.kind.into(),
            provenance: c.provenance.clone(),
            base: c.base,
            low: c.low,
            high: c.high,
            blast_radius_swing: (ph.blast_radius - pl.blast_radius).abs(),
            p_crown_jewel_swing: (ph.p_crown_jewel - pl.p_crown_jewel).abs(),
            blast_radius_low_diff: stats::paired_diff(&base.0, &lo.0),
            blast_radius_high_diff: stats::paired_diff(&base.0, &hi.0),
            p_crown_jewel_low_diff: stats::paired_diff(&base.1, &lo.1),
            p_crown_jewel_high_diff: stats::paired_diff(&base.1, &hi.1),
            at_low: pl,
            at_high: ph,
        });
    }
    params
}

/// Ranks by P(crown jewel) swing, then orders and ranks by blast-radius swing (ties by the
/// other swing, then by name).
fn ranked(mut params: Vec<ParamResult>) -> Vec<ParamResult> {
    params.sort_by(|a, b| {
        b.p_crown_jewel_swing
            .total_cmp(&a.p_crown_jewel_swing)
            .then(a.name.cmp(&b.name))
    });
    for (i, p) in params.iter_mut().enumerate() {
        p.p_crown_jewel_rank = i + 1;
    }
    params.sort_by(|a, b| {
        b.blast_radius_swing
            .total_cmp(&a.blast_radius_swing)
            .then(b.p_crown_jewel_swing.total_cmp(&a.p_crown_jewel_swing))
            .then(a.name.cmp(&b.name))
    });
    for (i, p) in params.iter_mut().enumerate() {
        p.rank = i + 1;
    }
    params
}

pub(crate) const CSV_COLUMNS: [&str; 25] = [
    "rank",
    "parameter",
    "kind",
    "base",
    "low",
    "high",
    "blast_radius_base",
    "blast_radius_low",
    "blast_radius_high",
    "blast_radius_swing",
    "blast_radius_low_diff",
    "blast_radius_low_diff_ci_lo",
    "blast_radius_low_diff_ci_hi",
    "blast_radius_high_diff",
    "blast_radius_high_diff_ci_lo",
    "blast_radius_high_diff_ci_hi",
    "p_crown_jewel_base",
    "p_crown_jewel_low",
    "p_crown_jewel_high",
    "p_crown_jewel_swing",
    "p_crown_jewel_rank",
    "p_crown_jewel_low_diff",
    "p_crown_jewel_high_diff",
    "trials",
    "provenance",
];

/// The ranked parameters as CSV (no timings: the same inputs give the same bytes).
pub fn to_csv(r: &SensitivityReport) -> Result<Vec<u8>> {
    let head: Vec<String> = CSV_COLUMNS.iter().map(|s| s.to_string()).collect();
    let mut out = record(&head)?;
    for p in &r.parameters {
        out.push_str(&record(&[
            p.rank.to_string(),
            p.name.clone(),
            p.kind.clone(),
            num(p.base),
            num(p.low),
            num(p.high),
            num(r.baseline.blast_radius),
            num(p.at_low.blast_radius),
            num(p.at_high.blast_radius),
            num(p.blast_radius_swing),
            num(p.blast_radius_low_diff.mean),
            num(p.blast_radius_low_diff.ci95[0]),
            num(p.blast_radius_low_diff.ci95[1]),
            num(p.blast_radius_high_diff.mean),
            num(p.blast_radius_high_diff.ci95[0]),
            num(p.blast_radius_high_diff.ci95[1]),
            num(r.baseline.p_crown_jewel),
            num(p.at_low.p_crown_jewel),
            num(p.at_high.p_crown_jewel),
            num(p.p_crown_jewel_swing),
            p.p_crown_jewel_rank.to_string(),
            num(p.p_crown_jewel_low_diff.mean),
            num(p.p_crown_jewel_high_diff.mean),
            r.trials.to_string(),
            crate::report::csv_safe(&p.provenance),
        ])?);
    }
    Ok(out.into_bytes())
}

/// The ranked parameters as a terminal table (the first `top`; 0 for all).
pub fn table(r: &SensitivityReport, top: usize) -> String {
    let mut t = crate::report::term::table();
    t.set_header(vec![
        "#",
        "parameter",
        "base",
        "low → high",
        "blast radius at low / high",
        "swing",
        "P(crown jewel) at low / high",
        "swing",
        "provenance",
    ]);
    let n = if top == 0 { r.parameters.len() } else { top };
    for p in r.parameters.iter().take(n) {
        let mut prov = p.provenance.clone();
        if prov.chars().count() > 48 {
            prov = prov.chars().take(47).collect::<String>() + "…";
        }
        t.add_row(vec![
            p.rank.to_string(),
            p.name.clone(),
            num(p.base),
            format!("{} → {}", num(p.low), num(p.high)),
            format!(
                "{:.2} / {:.2}",
                p.at_low.blast_radius, p.at_high.blast_radius
            ),
            format!("{:.2}", p.blast_radius_swing),
            format!(
                "{:.3} / {:.3}",
                p.at_low.p_crown_jewel, p.at_high.p_crown_jewel
            ),
            format!("{:.3}", p.p_crown_jewel_swing),
            crate::report::terminal_safe(&prov),
        ]);
    }
    crate::report::term::keep_words(&mut t);
    format!(
        "Sensitivity of {} under `{}` ({}), ±{:.0} % on each assumed parameter, {} trials per variant, seed {}\nbaseline: blast radius {:.2} [{:.2}, {:.2}], P(crown jewel) {:.3} [{:.3}, {:.3}]\n{t}\n{} parameters varied{}; {} skipped (see the JSON).\n",
        crate::report::terminal_safe(&r.scenario),
        crate::report::terminal_safe(&r.controls),
        r.profile,
        r.range * 100.0,
        r.trials,
        r.seed,
        r.baseline.blast_radius,
        r.baseline.blast_radius_ci95[0],
        r.baseline.blast_radius_ci95[1],
        r.baseline.p_crown_jewel,
        r.baseline.p_crown_jewel_ci95[0],
        r.baseline.p_crown_jewel_ci95[1],
        r.parameters.len(),
        if n < r.parameters.len() {
            format!(" (the {n} most influential shown)")
        } else {
            String::new()
        },
        r.skipped.len()
    )
}
