use super::term;
use super::terminal_safe;
use crate::summary::{SetSummary, Summary};

fn hours(x: Option<f64>) -> String {
    match x {
        Some(h) if h < 1.0 => format!("{:.0} min", h * 60.0),
        Some(h) if h < 48.0 => format!("{h:.1} h"),
        Some(h) => format!("{:.1} d", h / 24.0),
        None => "not reached".into(),
    }
}

fn pct(p: f64) -> String {
    format!("{:.1}%", p * 100.0)
}

/// The human-readable summary: one column per control set.
pub fn summary_table(s: &Summary) -> String {
    type Row = (&'static str, fn(&SetSummary) -> String);
    let rows: Vec<Row> = vec![
        ("blast radius, assets (mean [95% CI])", |c| {
            format!(
                "{:.1} [{:.1}, {:.1}]",
                c.blast_radius.mean, c.blast_radius.ci95[0], c.blast_radius.ci95[1]
            )
        }),
        ("blast radius p50 / p90 / max", |c| {
            format!(
                "{:.0} / {:.0} / {:.0}",
                c.blast_radius.p50, c.blast_radius.p90, c.blast_radius.max
            )
        }),
        ("value-weighted blast radius (mean)", |c| {
            format!("{:.1}", c.blast_radius_value.mean)
        }),
        ("P(crown jewel) [95% CI]", |c| {
            format!(
                "{} [{}, {}]",
                pct(c.crown_jewel.probability),
                pct(c.crown_jewel.ci95[0]),
                pct(c.crown_jewel.ci95[1])
            )
        }),
        ("time to crown jewel p50 / p90", |c| {
            format!(
                "{} / {}",
                hours(c.time_to_crown_jewel_hours.p50),
                hours(c.time_to_crown_jewel_hours.p90)
            )
        }),
        ("records exposed (mean)", |c| {
            term::count(c.records_exposed.mean)
        }),
        ("records exfiltrated (mean)", |c| {
            term::count(c.records_exfiltrated.mean)
        }),
        ("detected (share of trials)", |c| {
            pct(c.detected.probability)
        }),
        ("time to detect p50", |c| hours(c.time_to_detect_hours.p50)),
        ("time to eviction p50", |c| {
            hours(c.time_to_evict_hours.as_ref().and_then(|t| t.p50))
        }),
        ("evicted (share of trials)", |c| {
            c.evicted
                .as_ref()
                .map_or("-".into(), |p| pct(p.probability))
        }),
        ("fully contained (share)", |c| pct(c.contained.probability)),
        ("time to contain p50", |c| {
            hours(c.time_to_contain_hours.p50)
        }),
        ("breakout time p50", |c| hours(c.breakout_hours.p50)),
        ("attack steps per trial", |c| {
            format!("{:.1}", c.work.steps_per_trial)
        }),
        ("hosts held as admin / user only (mean)", |c| {
            c.intrusion.as_ref().map_or("-".into(), |i| {
                format!("{:.1} / {:.1}", i.admin_hosts.mean, i.user_only_hosts.mean)
            })
        }),
        ("known, not compromised (mean)", |c| {
            c.intrusion.as_ref().map_or("-".into(), |i| {
                format!("{:.1}", i.known_not_compromised.mean)
            })
        }),
    ];
    let mut grid: Vec<(String, Vec<String>)> = rows
        .into_iter()
        .map(|(label, f)| (label.to_string(), s.control_sets.iter().map(f).collect()))
        .collect();
    for pillar in crate::model::Pillar::ALL {
        grid.push((
            format!("  {} (mean)", pillar.name()),
            s.control_sets
                .iter()
                .map(|c| {
                    format!(
                        "{:.2}",
                        c.by_pillar.get(pillar.name()).copied().unwrap_or(0.0)
                    )
                })
                .collect(),
        ));
    }
    let sets: Vec<String> = s
        .control_sets
        .iter()
        .map(|c| terminal_safe(&c.name))
        .collect();
    let t = term::grid("metric", &sets, &grid);
    let note = super::calibration_note(&s.calibrated_to)
        .map(|n| term::wrap(&n))
        .unwrap_or_default();
    format!(
        "{}\nscenario: {} ({} assets counted in the blast radius, {} attack edges)\n{} trials per set, seed {}, horizon {} h\n{t}{note}",
        "ztsim: blast radius by control set",
        terminal_safe(&s.scenario),
        s.assets,
        s.attack_edges,
        s.trials,
        s.seed,
        s.horizon_hours
    )
}
