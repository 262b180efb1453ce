//! What the charts are drawn from: a run's summary, its per-trial values, the estate and,
//! after `compare`, the paired comparisons and the ablation. Built either from the live
//! objects of a run or from a results directory written by `--out`, with the same numbers
//! either way (trial values are taken at the precision `trials.csv` stores them), so a
//! redraw from disk gives the same charts as the run.

use crate::compare::{Ablation, CompareReport, Comparison};
use crate::error::{Diagnostic, Diagnostics, Error, Result};
use crate::estate::EstateView;
use crate::montecarlo::SetRun;
use crate::summary::Summary;
use std::path::Path;

/// Raw per-trial values of one control set, in trial order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SetTrials {
    /// Assets compromised by the end of each trial.
    pub compromised: Vec<f64>,
    /// Value-weighted blast radius of each trial.
    pub value: Vec<f64>,
    /// 1 when the trial reached a crown jewel, else 0 (for paired differences of
    /// P(crown jewel)).
    pub crown_jewel: Vec<f64>,
}

/// Everything the charts and the HTML report need.
#[derive(Clone, Debug)]
pub struct PlotData {
    /// The run's statistics.
    pub summary: Summary,
    /// Paired comparisons, when the data comes from `ztsim compare`.
    pub comparisons: Vec<Comparison>,
    /// Ablation of a preset, when one was run.
    pub ablation: Option<Ablation>,
    /// The estate's assets and relations, for the estate map.
    pub estate: EstateView,
    /// Aligned with `summary.control_sets`.
    pub trials: Vec<SetTrials>,
}

/// The value as `trials.csv` writes it (`{:.4}`), so live and reloaded data agree exactly.
fn as_stored(v: f64) -> f64 {
    format!("{v:.4}").parse().unwrap_or(v)
}

fn trials_of(summary: &Summary, runs: &[SetRun]) -> Vec<SetTrials> {
    summary
        .control_sets
        .iter()
        .map(|s| {
            runs.iter()
                .find(|r| r.plan.name == s.name)
                .map(|r| SetTrials {
                    compromised: r.outcomes.iter().map(|o| o.compromised as f64).collect(),
                    value: r.outcomes.iter().map(|o| as_stored(o.value)).collect(),
                    crown_jewel: r
                        .outcomes
                        .iter()
                        .map(|o| f64::from(u8::from(o.crown_jewel_hours.is_some())))
                        .collect(),
                })
                .unwrap_or_default()
        })
        .collect()
}

fn invalid(path: &Path, message: String) -> Error {
    Error::Invalid(Diagnostics {
        file: path.display().to_string(),
        items: vec![Diagnostic::error("", message)],
    })
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|cause| Error::Read {
        path: path.to_path_buf(),
        cause,
    })
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    serde_json::from_slice(&read(path)?)
        .map_err(|e| invalid(path, format!("not a ztsim file: {e}")))
}

impl PlotData {
    /// From a `run`: the summary, the estate (`Estate::view()`) and the runs behind them.
    pub fn from_run(summary: Summary, estate: EstateView, runs: &[SetRun]) -> PlotData {
        let trials = trials_of(&summary, runs);
        PlotData {
            summary,
            comparisons: Vec::new(),
            ablation: None,
            estate,
            trials,
        }
    }

    /// From a `compare`: the report (its summary, comparisons and ablation) and its runs.
    pub fn from_compare(report: &CompareReport, estate: EstateView, runs: &[SetRun]) -> PlotData {
        PlotData {
            comparisons: report.comparisons.clone(),
            ablation: report.ablation.clone(),
            ..PlotData::from_run(report.summary.clone(), estate, runs)
        }
    }

    /// From a results directory written by `--out`: `summary.json`, `estate.json`,
    /// `trials.csv`, and `comparison.json` when it belongs to the same run (a stale one left
    /// by an earlier `compare` into the same directory is ignored).
    pub fn load(dir: &Path) -> Result<PlotData> {
        let summary: Summary = read_json(&dir.join("summary.json"))?;
        let estate: EstateView = read_json(&dir.join("estate.json"))?;
        let trials = load_trials(&dir.join("trials.csv"), &summary)?;
        let cmp_path = dir.join("comparison.json");
        let (comparisons, ablation) = if cmp_path.exists() {
            let report: CompareReport = read_json(&cmp_path)?;
            let same = report.summary.scenario_hash == summary.scenario_hash
                && report.summary.seed == summary.seed
                && report.summary.trials == summary.trials
                && report.summary.control_sets.len() == summary.control_sets.len()
                && report
                    .summary
                    .control_sets
                    .iter()
                    .zip(&summary.control_sets)
                    .all(|(a, b)| a.name == b.name);
            if same {
                (report.comparisons, report.ablation)
            } else {
                (Vec::new(), None)
            }
        } else {
            (Vec::new(), None)
        };
        Ok(PlotData {
            summary,
            comparisons,
            ablation,
            estate,
            trials,
        })
    }

    /// Indices (into `summary.control_sets`) of the sets the user asked for: every set but
    /// the leave-one-out and add-one runs of an ablation, which the marginal-value chart
    /// shows instead. Never empty when there is at least one set.
    pub fn primary_sets(&self) -> Vec<usize> {
        let sets = &self.summary.control_sets;
        let Some(ab) = &self.ablation else {
            return (0..sets.len()).collect();
        };
        let asked: Vec<&str> = self
            .comparisons
            .iter()
            .map(|c| c.name.as_str())
            .chain(self.comparisons.first().map(|c| c.baseline.as_str()))
            .chain([ab.preset.as_str(), ab.addition_baseline.as_str()])
            .collect();
        let variant = |name: &str| {
            ab.controls.iter().any(|c| {
                name == format!("{} - {}", ab.preset, c.id) || name == format!("+{}", c.id)
            })
        };
        let v: Vec<usize> = (0..sets.len())
            .filter(|&i| asked.contains(&sets[i].name.as_str()) || !variant(&sets[i].name))
            .collect();
        if v.is_empty() {
            (0..sets.len()).collect()
        } else {
            v
        }
    }
}

/// Reads the `compromised` and `value` columns of `trials.csv`. Rows come in blocks, one per
/// control set in summary order; a block's name is the set's name as the CSV writes it
/// (`csv_safe`), which is checked.
fn load_trials(path: &Path, summary: &Summary) -> Result<Vec<SetTrials>> {
    let bytes = read(path)?;
    let mut r = csv::Reader::from_reader(bytes.as_slice());
    let bad = |m: String| invalid(path, m);
    let headers = r.headers().map_err(|e| bad(format!("csv: {e}")))?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| bad(format!("missing column `{name}`")))
    };
    let (c_set, c_comp, c_val) = (col("control_set")?, col("compromised")?, col("value")?);
    let c_cj = col("crown_jewel_hours")?;
    let mut out: Vec<SetTrials> = Vec::new();
    let mut current: Option<String> = None;
    for (line, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| bad(format!("csv: {e}")))?;
        let name = rec.get(c_set).unwrap_or_default();
        if current.as_deref() != Some(name) {
            let k = out.len();
            let expected = summary.control_sets.get(k).ok_or_else(|| {
                bad(format!(
                    "row {}: more control sets than summary.json lists",
                    line + 2
                ))
            })?;
            if crate::output::csv_safe(&expected.name) != name {
                return Err(bad(format!(
                    "row {}: control set {k} should be `{}` as in summary.json",
                    line + 2,
                    expected.name
                )));
            }
            out.push(SetTrials::default());
            current = Some(name.to_string());
        }
        let num = |c: usize| -> Result<f64> {
            rec.get(c)
                .and_then(|s| s.parse::<f64>().ok())
                .filter(|v| v.is_finite())
                .ok_or_else(|| bad(format!("row {}: column {c} is not a number", line + 2)))
        };
        let t = out.last_mut().expect("pushed above");
        t.compromised.push(num(c_comp)?);
        t.value.push(num(c_val)?);
        // An empty time: the trial never reached a crown jewel.
        let reached = !rec.get(c_cj).unwrap_or_default().is_empty();
        t.crown_jewel.push(f64::from(u8::from(reached)));
    }
    if out.len() != summary.control_sets.len() {
        return Err(bad(format!(
            "{} control sets in trials.csv, {} in summary.json",
            out.len(),
            summary.control_sets.len()
        )));
    }
    Ok(out)
}
