//! `ztsim calibrate`: ztsim's defaults against published incident-response figures. Each
//! figure of the calibration file ([`mod@file`]) names a run (scenario, profile, control set,
//! metric); the run goes through the same pipeline and engine as `ztsim run`, and its
//! statistic, with a 95% interval, is compared with the published value's band.
//!
//! A verdict is honest about the interval: `in band` when ztsim's value lies in the band,
//! `out of band` when the whole interval lies outside it, and `undecided` when the value is
//! outside but the interval still reaches the band (more trials would tell). Only `out of
//! band` on a row expected in band fails the command.

pub mod file;
pub mod measure;
pub mod sensitivity;

pub use file::{CalibrationFile, Figure, Loaded, Metric};
pub use measure::Measured;

use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::montecarlo::{RunOptions, run_sets};
use crate::pipeline::DEMO_SCENARIO;
use crate::scenario::{apply_controls_file, load_scenario_str};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The figures of data/calibration.yaml a run's defaults were calibrated to: those recorded
/// (`calibrated_to`) on the techniques the estate uses whose numbers are still the catalog's
/// (not a scenario's or a link's own), and `evicted-share` when the defender's eviction
/// keeps its default scoping. Sorted, deduplicated; empty when the run rests on none.
pub fn calibrated_figures(est: &crate::estate::Estate) -> Vec<String> {
    let tc = crate::techniques::TechniqueCatalog::builtin();
    let mut out: Vec<String> = Vec::new();
    let mut seen = vec![false; tc.list.len()];
    for e in &est.edges {
        let i = e.tech as usize;
        if seen.get(i).copied().unwrap_or(true) {
            continue;
        }
        let t = &tc.list[i];
        let Some(c) = &t.calibrated_to else { continue };
        let default = (c.was.noise.is_none() || e.noise == t.noise as f32)
            && (c.was.mean_hours.is_none() || e.mean_hours == t.mean_hours as f32)
            && (c.was.p.is_none() || e.p == t.p as f32);
        if default {
            seen[i] = true;
            out.extend(c.figures.iter().cloned());
        }
    }
    if est
        .eviction
        .is_some_and(|ev| ev.scoping == crate::estate::Eviction::DEFAULT_SCOPING)
    {
        out.push("evicted-share".into());
    }
    out.sort();
    out.dedup();
    out
}

/// The shipped scenarios, embedded, for the embedded calibration file (and any file that
/// names `scenarios/NAME.yaml` it does not sit next to).
const SHIPPED: [(&str, &str); 4] = [
    ("scenarios/hybrid-cloud.yaml", DEMO_SCENARIO),
    (
        "scenarios/flat-ad.yaml",
        include_str!("../../scenarios/flat-ad.yaml"),
    ),
    (
        "scenarios/cloud-native.yaml",
        include_str!("../../scenarios/cloud-native.yaml"),
    ),
    (
        "scenarios/calibration/account-takeover.yaml",
        include_str!("../../scenarios/calibration/account-takeover.yaml"),
    ),
];

/// How to run a calibration.
#[derive(Clone, Debug, Default)]
pub struct CalibrateOptions {
    /// Trials per figure, replacing each row's `trials`.
    pub trials: Option<u32>,
    /// Worker threads (0: one per core); results do not depend on it.
    pub threads: usize,
    /// Controls files applied on top of every row's scenario (technique overrides, control
    /// sets), after the row's own overrides.
    pub controls_files: Vec<PathBuf>,
    /// Run only these figures (by id); empty: all.
    pub only: Vec<String>,
}

/// A verdict on one row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// ztsim's value lies in the band.
    InBand,
    /// Outside the band, but the 95% interval still reaches it: more trials would tell.
    Undecided,
    /// The whole 95% interval lies outside the band.
    OutOfBand,
}

impl Verdict {
    /// The verdict in words.
    pub fn words(self) -> &'static str {
        match self {
            Verdict::InBand => "within band",
            Verdict::Undecided => "undecided",
            Verdict::OutOfBand => "out of band",
        }
    }
}

/// One row of the calibration: the figure, ztsim's value, the ratio and the verdict.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Row {
    /// The figure as written in the file (source, band, run, limits).
    pub figure: Figure,
    /// The band's ends, in the value's unit.
    pub band: [f64; 2],
    /// ztsim's value, with its interval.
    pub ztsim: Measured,
    /// ztsim's value over the published one; `None` when ztsim's is unobserved.
    pub ratio: Option<f64>,
    /// The verdict.
    pub verdict: Verdict,
    /// Whether the verdict is what the row expects (an out-of-band row with its reason is).
    pub as_expected: bool,
    /// Trials run.
    pub trials: u32,
    /// Seed used.
    pub seed: u64,
    /// Horizon of the scenario, hours.
    pub horizon_hours: f64,
}

/// A whole calibration run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    /// ztsim's version.
    pub ztsim_version: String,
    /// The calibration file, as named.
    pub file: String,
    /// Controls files applied on top of every row.
    pub controls_files: Vec<String>,
    /// The rows, in file order.
    pub rows: Vec<Row>,
    /// Rows expected in band that are out of band.
    pub failures: usize,
}

impl Report {
    /// Whether every row is as expected (nothing expected in band is out of band).
    pub fn passed(&self) -> bool {
        self.failures == 0
    }
}

/// The verdict of `m` against the band `[lo, hi]`.
pub fn verdict(m: &Measured, lo: f64, hi: f64, observable: f64) -> Verdict {
    // An unobserved value lies beyond what the trials can see; its interval's low end is
    // known (or is itself beyond).
    let value = m.value.unwrap_or(f64::INFINITY);
    if value >= lo && value <= hi {
        return Verdict::InBand;
    }
    let ci_lo = m.ci95[0].unwrap_or(observable.max(hi) + 1.0);
    let ci_hi = m.ci95[1].unwrap_or(f64::INFINITY);
    if ci_hi < lo || ci_lo > hi {
        Verdict::OutOfBand
    } else {
        Verdict::Undecided
    }
}

/// The scenario text a row names: next to the calibration file, or a shipped scenario.
fn scenario_text(
    run_scenario: &str,
    dir: Option<&Path>,
    limits: &Limits,
) -> Result<(String, String)> {
    if let Some(d) = dir {
        let p = d.join(run_scenario);
        if p.is_file() {
            return Ok((
                crate::scenario::read_scenario_text(&p, limits)?,
                p.display().to_string(),
            ));
        }
    }
    SHIPPED
        .iter()
        .find(|(name, _)| *name == run_scenario)
        .map(|(name, text)| (text.to_string(), name.to_string()))
        .ok_or_else(|| {
            Error::Usage(format!(
                "calibration scenario `{run_scenario}` not found (relative to the calibration file; shipped: {})",
                SHIPPED.map(|s| s.0).join(", ")
            ))
        })
}

/// A figure's scenario with the row's and the options' overrides, ready to run variants of.
pub(crate) struct Base {
    /// The scenario (row techniques, then controls files, applied).
    pub(crate) scenario: crate::scenario::Scenario,
    /// The control catalog with the scenario's definitions.
    pub(crate) catalog: crate::controls::Catalog,
    /// Where the scenario came from.
    pub(crate) origin: String,
    /// FNV-1a of its text.
    pub(crate) source_hash: u64,
    /// Master seed of the row.
    pub(crate) seed: u64,
}

/// Loads one row's scenario and applies the row's technique overrides, then the options'
/// controls files.
pub(crate) fn base(
    g: &Figure,
    cal: &Loaded,
    opt: &CalibrateOptions,
    limits: &Limits,
) -> Result<Base> {
    let (text, origin) = scenario_text(&g.run.scenario, cal.dir.as_deref(), limits)?;
    let mut loaded = load_scenario_str(&text, &origin, limits)?;
    loaded
        .scenario
        .techniques
        .extend(g.run.techniques.iter().cloned());
    for f in &opt.controls_files {
        let t = crate::scenario::read_scenario_text(f, limits)?;
        apply_controls_file(&mut loaded.scenario, &t, &f.display().to_string(), limits)?;
    }
    let seed = g.run.seed.unwrap_or(loaded.scenario.simulation.seed);
    if let Some(p) = &g.run.profile
        && crate::attacker::Profile::builtin(p).is_none()
    {
        return Err(Error::Usage(format!(
            "figure `{}`: unknown attacker profile `{p}`; built-in profiles: {}",
            g.id,
            crate::attacker::Profile::NAMES.join(", ")
        )));
    }
    let catalog = crate::controls::Catalog::builtin()?.with_overrides(&loaded.scenario.controls);
    Ok(Base {
        scenario: loaded.scenario,
        catalog,
        origin,
        source_hash: loaded.source_hash,
        seed,
    })
}

/// Plays `trials` trials of the row's run on `b` with parameter `overrides` (as `ztsim
/// sweep` applies them) and measures the row's metric. Returns the measurement and the
/// horizon.
pub(crate) fn play(
    g: &Figure,
    b: &Base,
    overrides: &[(crate::sweep::overrides::Target, f64)],
    trials: u32,
    threads: usize,
) -> Result<(Measured, f64)> {
    use crate::sweep::overrides::{apply_to_controls, apply_to_scenario};
    let scenario = apply_to_scenario(&b.scenario, overrides);
    let (catalog, sets) = apply_to_controls(&b.catalog, &scenario.control_sets, overrides);
    let est = Arc::new(crate::estate::compile_with(
        &scenario,
        g.run.profile.as_deref(),
    ));
    let mut names = vec![g.run.controls.clone()];
    names.extend(g.run.baseline.iter().cloned());
    let mut plans = Vec::new();
    for name in &names {
        let set = crate::controls::resolve_set(name, &sets, &catalog)?;
        let mut plan = crate::plan::build(&est, &set, b.seed);
        if g.run.metric == Metric::TimeToTierZero {
            plan.watch = crate::whatif::reach::tier_zero(&scenario, &est).0;
        }
        plans.push(Arc::new(plan));
    }
    let ro = RunOptions {
        trials,
        seed: b.seed,
        threads,
        timeline_points: 1,
        keep_parents: false,
    };
    let runs = run_sets(&est, &plans, &ro)?;
    let horizon = est.horizon_hours;
    let m = measure::measure(
        &runs[0].outcomes,
        runs.get(1).map(|r| r.outcomes.as_slice()),
        g.run.metric,
        g.run.from,
        g.quantile(),
        horizon,
    );
    Ok((m, horizon))
}

/// The verdict and whether it is as the row expects.
fn judge(g: &Figure, m: &Measured, horizon: f64) -> (Verdict, bool) {
    let (lo, hi) = g.band_ends();
    let v = verdict(m, lo, hi, m.observable_hours.unwrap_or(horizon));
    let expected = match g.expect {
        file::Expect::InBand => v != Verdict::OutOfBand,
        file::Expect::OutOfBand => true,
    };
    (v, expected)
}

/// Runs one figure.
pub fn run_figure(
    g: &Figure,
    cal: &Loaded,
    opt: &CalibrateOptions,
    limits: &Limits,
) -> Result<Row> {
    let b = base(g, cal, opt, limits)?;
    let trials = opt.trials.unwrap_or(g.run.trials).max(1);
    let (m, horizon) = play(g, &b, &[], trials, opt.threads)?;
    let (v, expected) = judge(g, &m, horizon);
    let ratio = m
        .value
        .filter(|_| g.published.value > 0.0)
        .map(|x| x / g.published.value);
    let (lo, hi) = g.band_ends();
    Ok(Row {
        figure: g.clone(),
        band: [lo, hi],
        ztsim: m,
        ratio,
        verdict: v,
        as_expected: expected,
        trials,
        seed: b.seed,
        horizon_hours: horizon,
    })
}

/// Runs every figure of `cal` (or those `opt.only` names).
pub fn calibrate(cal: &Loaded, opt: &CalibrateOptions, limits: &Limits) -> Result<Report> {
    for id in &opt.only {
        if !cal.file.figures.iter().any(|g| &g.id == id) {
            let ids: Vec<&str> = cal.file.figures.iter().map(|g| g.id.as_str()).collect();
            return Err(Error::Usage(format!(
                "no figure `{id}` in {}; figures: {}",
                cal.origin,
                ids.join(", ")
            )));
        }
    }
    let mut rows = Vec::new();
    for g in &cal.file.figures {
        if opt.only.is_empty() || opt.only.contains(&g.id) {
            rows.push(run_figure(g, cal, opt, limits)?);
        }
    }
    let failures = rows.iter().filter(|r| !r.as_expected).count();
    Ok(Report {
        ztsim_version: env!("CARGO_PKG_VERSION").to_string(),
        file: cal.origin.clone(),
        controls_files: opt
            .controls_files
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        rows,
        failures,
    })
}

/// A value in the row's unit, as people write it.
pub fn fmt_value(metric: Metric, x: Option<f64>) -> String {
    match x {
        None if metric.is_time() => "beyond horizon".into(),
        None => "-".into(),
        Some(v) if metric.is_time() => crate::plot::hours(Some(v)),
        Some(v) => format!("{:.1}%", v * 100.0),
    }
}

/// The published value with its statistic and spread: "3.4 h (median; 1.7 h-16.0 h: ...)".
pub fn fmt_published(g: &Figure) -> String {
    let m = g.run.metric;
    let stat = match g.published.statistic {
        file::Statistic::Median => "median".to_string(),
        file::Statistic::Mean => "mean".to_string(),
        file::Statistic::Quantile => format!("p{:.0}", g.quantile() * 100.0),
        file::Statistic::Share => "share".to_string(),
        file::Statistic::Reduction => "reduction".to_string(),
    };
    format!("{} ({stat})", fmt_value(m, Some(g.published.value)))
}

/// How a row's run is written: "hybrid-cloud, ransomware, traditional, from the first
/// foothold, 1000 trials, seed 42".
pub fn fmt_run(row: &Row) -> String {
    let g = &row.figure;
    let profile = g
        .run
        .profile
        .as_deref()
        .unwrap_or("the scenario's attacker");
    let set = match &g.run.baseline {
        Some(b) => format!("{} against {b}", g.run.controls),
        None => g.run.controls.clone(),
    };
    let from = match (g.run.metric, g.run.from) {
        (Metric::Breakout, _) => ", from the first foothold",
        (Metric::DetectToEviction, _) => ", from the first detection",
        (m, _) if !m.is_time() => "",
        (_, file::Origin::InitialAccess) => ", from initial access",
        (_, file::Origin::FirstFoothold) => ", from the first foothold",
    };
    format!(
        "{}, {profile}, {set}, {}{from}, {} trials, seed {}",
        g.run.scenario,
        file::metric_name(g.run.metric),
        row.trials,
        row.seed
    )
}

/// The terminal table (figure, published, ztsim with CI, ratio, band, verdict), then each
/// figure's source, run and limits.
pub fn table(r: &Report) -> String {
    use comfy_table::{
        Cell, CellAlignment, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED,
    };
    let safe = crate::report::terminal_safe;
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(vec![
            "figure",
            "published",
            "ztsim [95% CI]",
            "ratio",
            "band",
            "verdict",
        ]);
    for row in &r.rows {
        let g = &row.figure;
        let m = g.run.metric;
        let ci = format!(
            "{} [{}, {}]",
            fmt_value(m, row.ztsim.value),
            fmt_value(m, row.ztsim.ci95[0]),
            fmt_value(m, row.ztsim.ci95[1])
        );
        let verdict = match (row.verdict, g.expect) {
            (Verdict::InBand, _) => "within band".to_string(),
            (v, file::Expect::OutOfBand) => format!("{} (documented)", v.words()),
            (Verdict::Undecided, _) => "undecided: CI reaches band".to_string(),
            (Verdict::OutOfBand, _) => "OUT OF BAND".to_string(),
        };
        t.add_row(vec![
            Cell::new(safe(&format!("{} [{}]", g.figure, g.id))),
            Cell::new(fmt_published(g)).set_alignment(CellAlignment::Right),
            Cell::new(ci).set_alignment(CellAlignment::Right),
            Cell::new(row.ratio.map_or("-".into(), |x| format!("{x:.2}")))
                .set_alignment(CellAlignment::Right),
            Cell::new(format!(
                "{} - {}",
                fmt_value(m, Some(row.band[0])),
                fmt_value(m, Some(row.band[1]))
            )),
            Cell::new(verdict),
        ]);
    }
    let mut out = format!(
        "ztsim calibrate: defaults against published figures ({})\n{t}\n",
        safe(&r.file)
    );
    if !r.controls_files.is_empty() {
        out.push_str(&format!(
            "With controls files applied to every run: {}\n",
            safe(&r.controls_files.join(", "))
        ));
    }
    for row in &r.rows {
        let g = &row.figure;
        out.push_str(&format!(
            "\n[{}] {}\n  source: {} ({}, {})\n  run:    {}\n  band:   {}\n  limits: {}\n",
            g.id,
            safe(g.quantity.trim()),
            safe(g.published.source.trim()),
            g.published.year,
            safe(g.published.population.trim()),
            safe(&fmt_run(row)),
            safe(g.band.reason.trim()),
            safe(g.limits.trim())
        ));
        if let (file::Expect::OutOfBand, Some(reason)) = (g.expect, &g.reason) {
            out.push_str(&format!(
                "  out of band by design: {}\n",
                safe(reason.trim())
            ));
        }
    }
    let n = r.rows.len();
    let inb = r
        .rows
        .iter()
        .filter(|x| x.verdict == Verdict::InBand)
        .count();
    out.push_str(&format!(
        "\n{inb} of {n} figures within band; {} out of band against expectation.\n",
        r.failures
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_file_is_valid() {
        let cal = file::builtin().expect("data/calibration.yaml is valid");
        assert!(cal.file.figures.len() >= 6);
        for g in &cal.file.figures {
            assert!(scenario_text(&g.run.scenario, None, &Limits::default()).is_ok());
        }
    }

    #[test]
    fn verdicts_are_honest_about_the_interval() {
        let m = |v: f64, lo: f64, hi: f64| Measured {
            value: Some(v),
            ci95: [Some(lo), Some(hi)],
            n: 10,
            events: 10,
            observable_hours: None,
        };
        assert_eq!(
            verdict(&m(5.0, 4.0, 6.0), 3.0, 10.0, 700.0),
            Verdict::InBand
        );
        assert_eq!(
            verdict(&m(2.0, 1.0, 4.0), 3.0, 10.0, 700.0),
            Verdict::Undecided
        );
        assert_eq!(
            verdict(&m(2.0, 1.0, 2.5), 3.0, 10.0, 700.0),
            Verdict::OutOfBand
        );
        assert_eq!(
            verdict(&m(20.0, 11.0, 30.0), 3.0, 10.0, 700.0),
            Verdict::OutOfBand
        );
        // Beyond the horizon with an interval that starts beyond the band: out.
        let beyond = Measured {
            value: None,
            ci95: [Some(400.0), None],
            n: 10,
            events: 2,
            observable_hours: Some(700.0),
        };
        assert_eq!(verdict(&beyond, 3.0, 10.0, 700.0), Verdict::OutOfBand);
    }
}
