//! Per-trial results as a table: one row per trial per control set. [`trial_columns`] builds
//! the columns (what the Python package turns into a DataFrame without a CSV round trip);
//! [`trials_csv`] writes the same columns as `trials.csv`.

use super::csv_safe;
use crate::error::{Error, Result};
use crate::model::{AssetKind, Pillar};
use crate::montecarlo::SetRun;
use crate::sim::TrialOutcome;

/// One column of the per-trial table.
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    /// Text (control set names, end reasons).
    Text(Vec<String>),
    /// Counts.
    Count(Vec<u64>),
    /// Numbers (written with four decimals in the CSV).
    Number(Vec<f64>),
    /// Times that may be unobserved (`None`: an empty CSV field, a null in a DataFrame).
    Hours(Vec<Option<f64>>),
}

impl Column {
    fn cell(&self, i: usize) -> String {
        match self {
            Column::Text(v) => v[i].clone(),
            Column::Count(v) => v[i].to_string(),
            Column::Number(v) => format!("{:.4}", v[i]),
            Column::Hours(v) => v[i].map(|x| format!("{x:.4}")).unwrap_or_default(),
        }
    }
}

type Getter = fn(&TrialOutcome) -> u64;

/// The per-trial table of `runs` as named columns, in `trials.csv`'s order.
pub fn trial_columns(runs: &[SetRun]) -> Vec<(String, Column)> {
    let all = || runs.iter().flat_map(|r| r.outcomes.iter());
    let count = |f: Getter| Column::Count(all().map(f).collect());
    let number = |f: fn(&TrialOutcome) -> f64| Column::Number(all().map(f).collect());
    let hours = |f: fn(&TrialOutcome) -> Option<f64>| Column::Hours(all().map(f).collect());
    let mut cols: Vec<(&str, Column)> = vec![
        (
            "control_set",
            Column::Text(
                runs.iter()
                    .flat_map(|r| r.outcomes.iter().map(|_| r.plan.name.clone()))
                    .collect(),
            ),
        ),
        ("trial", count(|o| o.trial as u64)),
        ("compromised", count(|o| o.compromised as u64)),
        ("value", number(|o| o.value)),
        ("records_exposed", count(|o| o.records_exposed)),
        ("records_exfiltrated", count(|o| o.records_exfiltrated)),
        ("crown_jewel_hours", hours(|o| o.crown_jewel_hours)),
        ("detect_hours", hours(|o| o.detect_hours)),
        ("contain_hours", hours(|o| o.contain_hours)),
        ("breakout_hours", hours(|o| o.breakout_hours)),
        ("steps_attempted", count(|o| o.steps_attempted as u64)),
        ("steps_succeeded", count(|o| o.steps_succeeded as u64)),
        ("end_hours", number(|o| o.end_hours)),
        (
            "end",
            Column::Text(all().map(|o| o.end.name().to_string()).collect()),
        ),
    ];
    for p in Pillar::ALL {
        let per_pillar = all()
            .map(|o| {
                AssetKind::ALL
                    .iter()
                    .filter(|k| k.pillar() == p)
                    .map(|k| o.by_kind[k.index()] as u64)
                    .sum()
            })
            .collect();
        cols.push((p.name(), Column::Count(per_pillar)));
    }
    cols.extend([
        ("admin_hosts", count(|o| o.admin as u64)),
        ("user_only_hosts", count(|o| o.user_only as u64)),
        ("discovered", count(|o| o.discovered as u64)),
        (
            "known_not_compromised",
            count(|o| o.known_not_compromised as u64),
        ),
        ("cost", number(|o| o.cost)),
        ("score", number(|o| o.score)),
        (
            "first_compromise_hours",
            hours(|o| o.first_compromise_hours),
        ),
        ("first_foothold_hours", hours(|o| o.first_foothold_hours)),
        ("inside_detect_hours", hours(|o| o.inside_detect_hours)),
        ("evict_hours", hours(|o| o.evict_hours)),
        ("impact_hours", hours(|o| o.impact_hours)),
        ("exfil_hours", hours(|o| o.exfil_hours)),
    ]);
    cols.into_iter().map(|(n, c)| (n.to_string(), c)).collect()
}

/// One row per trial per control set.
pub fn trials_csv(runs: &[SetRun]) -> Result<Vec<u8>> {
    let cols = trial_columns(runs);
    let rows: usize = runs.iter().map(|r| r.outcomes.len()).sum();
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| Error::Usage(format!("csv: {e}"));
    w.write_record(cols.iter().map(|(n, _)| n)).map_err(err)?;
    for i in 0..rows {
        let row = cols.iter().map(|(name, c)| {
            let cell = c.cell(i);
            if name == "control_set" {
                csv_safe(&cell)
            } else {
                cell
            }
        });
        w.write_record(row).map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| Error::Usage(format!("csv: {e}")))
}
