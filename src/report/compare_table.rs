use super::term;
use super::terminal_safe;
use crate::compare::{CompareReport, Comparison, MedianDiff};
use crate::stats::PairedDiff;
use comfy_table::{Cell, CellAlignment};

fn diff(d: &PairedDiff, scale: f64, unit: &str) -> String {
    let mark = if d.significant { "" } else { " (n.s.)" };
    let p = if (d.mean * scale).abs() >= 100.0 {
        0
    } else {
        2
    };
    format!(
        "{:+.p$}{unit} [{:+.p$}, {:+.p$}]{mark}",
        d.mean * scale,
        d.ci95[0] * scale,
        d.ci95[1] * scale
    )
}

fn median(m: &MedianDiff) -> String {
    match (m.diff, m.ci95) {
        (Some(d), Some([lo, hi])) => format!("{d:+.1} h [{lo:+.1}, {hi:+.1}]"),
        (Some(d), None) => format!("{d:+.1} h"),
        _ => format!(
            "{} -> {}",
            m.baseline
                .map_or("not reached".into(), |x| format!("{x:.1} h")),
            m.set.map_or("not reached".into(), |x| format!("{x:.1} h"))
        ),
    }
}

fn comparison_rows(cs: &[&Comparison]) -> Vec<(String, Vec<String>)> {
    type Row = (&'static str, fn(&Comparison) -> String);
    let rows: [Row; 6] = [
        ("Δ blast radius, assets", |c| {
            diff(&c.blast_radius_diff, 1.0, "")
        }),
        ("Δ value-weighted blast radius", |c| {
            diff(&c.blast_radius_value_diff, 1.0, "")
        }),
        ("Δ P(crown jewel), points", |c| {
            diff(&c.crown_jewel_diff, 100.0, "")
        }),
        ("Δ records exposed", |c| {
            diff(&c.records_exposed_diff, 1.0, "")
        }),
        ("Δ median time to crown jewel", |c| {
            median(&c.time_to_crown_jewel_p50)
        }),
        ("Δ median time to contain", |c| {
            median(&c.time_to_contain_p50)
        }),
    ];
    rows.into_iter()
        .map(|(label, f)| (label.to_string(), cs.iter().map(|c| f(c)).collect()))
        .collect()
}

/// Paired differences against the baseline, one column per set; then the ablation ranking.
pub fn comparison_table(r: &CompareReport) -> String {
    let mut out = String::new();
    if !r.comparisons.is_empty() {
        let base = terminal_safe(&r.comparisons[0].baseline);
        let sets: Vec<String> = r
            .comparisons
            .iter()
            .map(|c| terminal_safe(&c.name))
            .collect();
        let t = term::grid(
            &format!("vs {base} (paired, 95% CI)"),
            &sets,
            &comparison_rows(&r.comparisons.iter().collect::<Vec<_>>()),
        );
        out.push_str(&format!(
            "paired differences (set − {base}); n.s. = CI includes 0\n{t}"
        ));
    }
    if let Some(a) = &r.ablation {
        let mut t = term::table();
        t.set_header(vec![
            "rank",
            "control",
            "removing it from the preset: Δ blast radius",
            "Δ P(crown jewel), points",
            &format!(
                "alone vs {}: Δ blast radius",
                terminal_safe(&a.addition_baseline)
            ),
        ]);
        for (i, m) in a.controls.iter().enumerate() {
            t.add_row(vec![
                Cell::new(i + 1),
                Cell::new(format!("{} {}", m.id, terminal_safe(&m.name))),
                Cell::new(diff(&m.removal.blast_radius_diff, 1.0, ""))
                    .set_alignment(CellAlignment::Right),
                Cell::new(diff(&m.removal.crown_jewel_diff, 100.0, ""))
                    .set_alignment(CellAlignment::Right),
                Cell::new(diff(&m.addition.blast_radius_diff, 1.0, ""))
                    .set_alignment(CellAlignment::Right),
            ]);
        }
        term::keep_words(&mut t);
        out.push_str(&format!(
            "ablation of {}: what each control is worth (a larger increase on removal = it matters more)\n{t}\n",
            terminal_safe(&a.preset)
        ));
    }
    out
}
