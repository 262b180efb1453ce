use super::csv_safe;
use crate::error::{Error, Result};
use crate::model::{AssetKind, Pillar};
use crate::montecarlo::SetRun;

fn opt(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.4}")).unwrap_or_default()
}

/// One row per trial per control set.
pub fn trials_csv(runs: &[SetRun]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "control_set",
        "trial",
        "compromised",
        "value",
        "records_exposed",
        "records_exfiltrated",
        "crown_jewel_hours",
        "detect_hours",
        "contain_hours",
        "breakout_hours",
        "steps_attempted",
        "steps_succeeded",
        "end_hours",
        "end",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(Pillar::ALL.iter().map(|p| p.name().to_string()));
    header.extend(
        [
            "admin_hosts",
            "user_only_hosts",
            "discovered",
            "known_not_compromised",
            "cost",
            "score",
            "first_compromise_hours",
            "first_foothold_hours",
            "inside_detect_hours",
            "evict_hours",
            "impact_hours",
            "exfil_hours",
        ]
        .map(String::from),
    );
    let err = |e: csv::Error| Error::Usage(format!("csv: {e}"));
    w.write_record(&header).map_err(err)?;
    for r in runs {
        let name = csv_safe(&r.plan.name);
        for o in &r.outcomes {
            let mut row = vec![
                name.clone(),
                o.trial.to_string(),
                o.compromised.to_string(),
                format!("{:.4}", o.value),
                o.records_exposed.to_string(),
                o.records_exfiltrated.to_string(),
                opt(o.crown_jewel_hours),
                opt(o.detect_hours),
                opt(o.contain_hours),
                opt(o.breakout_hours),
                o.steps_attempted.to_string(),
                o.steps_succeeded.to_string(),
                format!("{:.4}", o.end_hours),
                o.end.name().to_string(),
            ];
            for p in Pillar::ALL {
                let c: u32 = AssetKind::ALL
                    .iter()
                    .filter(|k| k.pillar() == p)
                    .map(|k| o.by_kind[k.index()])
                    .sum();
                row.push(c.to_string());
            }
            row.extend([
                o.admin.to_string(),
                o.user_only.to_string(),
                o.discovered.to_string(),
                o.known_not_compromised.to_string(),
                format!("{:.4}", o.cost),
                format!("{:.4}", o.score),
                opt(o.first_compromise_hours),
                opt(o.first_foothold_hours),
                opt(o.inside_detect_hours),
                opt(o.evict_hours),
                opt(o.impact_hours),
                opt(o.exfil_hours),
            ]);
            w.write_record(&row).map_err(err)?;
        }
    }
    w.into_inner()
        .map_err(|e| Error::Usage(format!("csv: {e}")))
}
