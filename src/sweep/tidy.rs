//! Tidy tables: `cells.csv` (one row per cell: its definition, then summary statistics with
//! 95 % confidence intervals) and `trials.csv` (one compact row per trial). Rows are
//! formatted once, when a cell finishes, and checkpointed as text, so the final files are
//! the same bytes however the run was split, interrupted or resumed.

use super::cells::Cell;
use super::spec::Spec;
use crate::error::{Error, Result};
use crate::estate::Estate;
use crate::report::csv_safe;
use crate::sim::TrialOutcome;
use crate::stats;
use crate::summary::SetSummary;

/// Definition columns before the parameter axes.
const DEF_HEAD: [&str; 5] = ["cell", "scenario", "scenario_seed", "profile", "controls"];
/// Definition columns after the parameter axes.
const DEF_TAIL: [&str; 2] = ["seed", "trials"];
/// Statistics columns.
const STATS: [&str; 31] = [
    "assets",
    "blast_radius_mean",
    "blast_radius_ci_lo",
    "blast_radius_ci_hi",
    "blast_radius_p50",
    "blast_radius_p90",
    "blast_radius_value_mean",
    "records_exfiltrated_mean",
    "devices_encrypted_mean",
    "p_crown_jewel",
    "p_crown_jewel_ci_lo",
    "p_crown_jewel_ci_hi",
    "time_to_crown_jewel_p50_hours",
    "time_to_crown_jewel_p50_ci_lo",
    "time_to_crown_jewel_p50_ci_hi",
    "p_detected",
    "p_detected_ci_lo",
    "p_detected_ci_hi",
    "time_to_detect_p50_hours",
    "time_to_detect_p50_ci_lo",
    "time_to_detect_p50_ci_hi",
    "p_contained",
    "p_contained_ci_lo",
    "p_contained_ci_hi",
    "time_to_contain_p50_hours",
    "time_to_contain_p50_ci_lo",
    "time_to_contain_p50_ci_hi",
    "breakout_p50_hours",
    "steps_per_trial",
    "end_objective_share",
    "end_contained_share",
];

/// Estimate columns, when the spec asks every cell for a rare-event estimate.
const ESTIMATE: [&str; 9] = [
    "estimate_target",
    "estimate_method",
    "estimate_p",
    "estimate_ci_lo",
    "estimate_ci_hi",
    "estimate_rel_error",
    "estimate_stop",
    "estimate_steps",
    "estimate_crude_steps",
];

/// `trials.csv` columns.
pub const TRIAL_COLUMNS: [&str; 11] = [
    "cell",
    "trial",
    "compromised",
    "value",
    "crown_jewel_hours",
    "detect_hours",
    "contain_hours",
    "records_exfiltrated",
    "steps_attempted",
    "end_hours",
    "end",
];

pub(crate) fn cell_columns(spec: &Spec) -> Vec<String> {
    DEF_HEAD
        .iter()
        .map(|s| s.to_string())
        .chain(spec.axes.iter().map(|a| a.name.clone()))
        .chain(DEF_TAIL.iter().map(|s| s.to_string()))
        .chain(STATS.iter().map(|s| s.to_string()))
        .chain(
            ESTIMATE
                .iter()
                .filter(|_| spec.def.estimate.is_some())
                .map(|s| s.to_string()),
        )
        .collect()
}

/// A name as the estimate's JSON writes it (`precision`, `is`).
fn word<T: serde::Serialize>(x: &T) -> String {
    serde_json::to_value(x)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// The estimate columns of a cell.
fn estimate_fields(e: &crate::estimate::Estimate) -> [String; 9] {
    [
        csv_safe(&e.target),
        word(&e.method),
        num(e.probability),
        num(e.ci95[0]),
        num(e.ci95[1]),
        opt(e.rel_error),
        word(&e.stop),
        e.work.steps.to_string(),
        e.crude.as_ref().map(|c| num(c.steps)).unwrap_or_default(),
    ]
}

pub(crate) fn trial_columns() -> Vec<String> {
    TRIAL_COLUMNS.iter().map(|s| s.to_string()).collect()
}

/// A number as written in the tables: whole numbers without a fraction, others with at
/// most six decimals.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return format!("{}", x as i64);
    }
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

fn opt(x: Option<f64>) -> String {
    x.map(num).unwrap_or_default()
}

fn hours(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.4}")).unwrap_or_default()
}

/// Kaplan–Meier median with a 95 % interval from the Greenwood band: the first times the
/// band's lower and upper survival curves fall to one half (the lower curve falls first).
/// Empty where not reached within the horizon.
fn km_median(obs: &[Option<f64>], horizon: f64) -> [Option<f64>; 3] {
    let s = stats::kaplan_meier(obs, horizon);
    let band = s.band95();
    let first = |f: &dyn Fn(&(f64, f64, f64)) -> bool| band.iter().find(|p| f(p)).map(|p| p.0);
    [
        s.quantile(0.5),
        first(&|p| p.1 <= 0.5 + 1e-12),
        first(&|p| p.2 <= 0.5 + 1e-12),
    ]
}

/// One CSV record as text (with its line end), quoted as the csv crate does.
pub fn record(fields: &[String]) -> Result<String> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(fields)
        .map_err(|e| Error::Usage(format!("csv: {e}")))?;
    let bytes = w
        .into_inner()
        .map_err(|e| Error::Usage(format!("csv: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::Usage(format!("csv: {e}")))
}

/// The `cells.csv` row of a finished cell.
pub fn cell_row(
    spec: &Spec,
    cell: &Cell,
    seed: u64,
    est: &Estate,
    s: &SetSummary,
    o: &[TrialOutcome],
    estimate: Option<&crate::estimate::Estimate>,
) -> Result<String> {
    let sc = &spec.scenarios[cell.scenario];
    let h = est.horizon_hours;
    let n = o.len().max(1) as f64;
    let mut f: Vec<String> = vec![
        cell.index.to_string(),
        csv_safe(&sc.label),
        sc.scenario_seed.map(|x| x.to_string()).unwrap_or_default(),
        csv_safe(&est.profile.name),
        csv_safe(&spec.def.controls[cell.controls]),
    ];
    f.extend(cell.values.iter().map(|v| format!("{v}")));
    f.push(seed.to_string());
    f.push(spec.def.trials.to_string());
    let cj = km_median(
        &o.iter().map(|t| t.crown_jewel_hours).collect::<Vec<_>>(),
        h,
    );
    let det = km_median(&o.iter().map(|t| t.detect_hours).collect::<Vec<_>>(), h);
    let con = km_median(&o.iter().map(|t| t.contain_hours).collect::<Vec<_>>(), h);
    let share = |reason: &str| num(s.end_reasons.get(reason).copied().unwrap_or(0) as f64 / n);
    f.extend([
        est.counted_assets().to_string(),
        num(s.blast_radius.mean),
        num(s.blast_radius.ci95[0]),
        num(s.blast_radius.ci95[1]),
        num(s.blast_radius.p50),
        num(s.blast_radius.p90),
        num(s.blast_radius_value.mean),
        num(s.records_exfiltrated.mean),
        num(s.devices_encrypted.mean),
        num(s.crown_jewel.probability),
        num(s.crown_jewel.ci95[0]),
        num(s.crown_jewel.ci95[1]),
        opt(cj[0]),
        opt(cj[1]),
        opt(cj[2]),
        num(s.detected.probability),
        num(s.detected.ci95[0]),
        num(s.detected.ci95[1]),
        opt(det[0]),
        opt(det[1]),
        opt(det[2]),
        num(s.contained.probability),
        num(s.contained.ci95[0]),
        num(s.contained.ci95[1]),
        opt(con[0]),
        opt(con[1]),
        opt(con[2]),
        opt(s.breakout_hours.p50),
        num(s.work.steps_per_trial),
        share("objective"),
        share("contained"),
    ]);
    if spec.def.estimate.is_some() {
        match estimate {
            Some(e) => f.extend(estimate_fields(e)),
            None => f.extend(std::iter::repeat_n(String::new(), ESTIMATE.len())),
        }
    }
    record(&f)
}

/// The `trials.csv` rows of a finished cell.
pub fn trial_rows(cell: usize, o: &[TrialOutcome]) -> Result<String> {
    let mut out = String::new();
    for t in o {
        out.push_str(&record(&[
            cell.to_string(),
            t.trial.to_string(),
            t.compromised.to_string(),
            format!("{:.4}", t.value),
            hours(t.crown_jewel_hours),
            hours(t.detect_hours),
            hours(t.contain_hours),
            t.records_exfiltrated.to_string(),
            t.steps_attempted.to_string(),
            format!("{:.4}", t.end_hours),
            t.end.name().to_string(),
        ])?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_stable() {
        assert_eq!(num(3.0), "3");
        assert_eq!(num(1.0 / 3.0), "0.333333");
        assert_eq!(num(0.1 + 0.2), "0.3");
        assert_eq!(num(-0.0000001), "0");
        assert_eq!(num(f64::NAN), "");
    }

    #[test]
    fn records_quote_like_csv() {
        assert_eq!(record(&["a,b".into(), "c".into()]).unwrap(), "\"a,b\",c\n");
    }
}
