//! The terminal table of a what-if.

use super::{Exact, SetWhatIf, TimeToTierZero, WhatIfReport};
use crate::report::terminal_safe;
use crate::stats::{PairedDiff, Proportion};
use comfy_table::{Cell, CellAlignment, Table};

fn exact(e: &Exact) -> [String; 3] {
    let s = |x: &super::Share| format!("{:.1}% ({}/{})", 100.0 * x.share, x.count, x.of);
    [
        s(&e.baseline),
        s(&e.changed),
        format!("{:+.1} points (exact)", 100.0 * e.diff),
    ]
}

/// A share and its interval in percent (`signed`: as a difference, in points).
fn percent(x: f64, ci: [f64; 2], signed: bool) -> String {
    let [x, lo, hi] = [x, ci[0], ci[1]].map(|v| 100.0 * v);
    if signed {
        format!("{x:+.1} points [{lo:+.1}, {hi:+.1}]")
    } else {
        format!("{x:.1}% [{lo:.1}, {hi:.1}]")
    }
}

fn prop(p: &Proportion) -> String {
    percent(p.probability, p.ci95, false)
}

fn paired(d: &PairedDiff) -> String {
    let mark = if d.significant { "" } else { " (n.s.)" };
    format!("{}{mark}", percent(d.mean, d.ci95, true))
}

fn time(t: &TimeToTierZero) -> String {
    let m = t
        .median_hours_reached
        .map_or("not reached".to_string(), |h| format!("{h:.1} h"));
    format!("{m} ({} reached, {} censored)", t.reached, t.censored)
}

fn time_diff(s: &SetWhatIf) -> String {
    let m = &s.time_median_diff;
    match (m.diff, m.ci95) {
        (Some(d), Some([lo, hi])) => format!("{d:+.1} h [{lo:+.1}, {hi:+.1}] (KM medians)"),
        (Some(d), None) => format!("{d:+.1} h (KM medians)"),
        _ => "no median to compare (KM: under half reached)".into(),
    }
}

fn set_table(s: &SetWhatIf) -> Table {
    let mut t = crate::report::term::table();
    t.set_header(vec![
        "metric",
        "as it is",
        "with the change",
        "difference (changed − as is)",
    ]);
    let ex = exact(&s.exposure);
    let im = exact(&s.impact);
    let rows: [[String; 4]; 4] = [
        [
            "exposure: principals with a path to Tier Zero".into(),
            ex[0].clone(),
            ex[1].clone(),
            ex[2].clone(),
        ],
        [
            "impact: assets reachable from `impact from`".into(),
            im[0].clone(),
            im[1].clone(),
            im[2].clone(),
        ],
        [
            "P(Tier Zero) [95% CI]".into(),
            prop(&s.p_tier_zero_baseline),
            prop(&s.p_tier_zero_changed),
            paired(&s.p_tier_zero_diff),
        ],
        [
            "time to Tier Zero, median of those reaching it".into(),
            time(&s.time_baseline),
            time(&s.time_changed),
            time_diff(s),
        ],
    ];
    for r in rows {
        let mut row = vec![Cell::new(&r[0])];
        row.extend(
            r[1..]
                .iter()
                .map(|x| Cell::new(x).set_alignment(CellAlignment::Right)),
        );
        t.add_row(row);
    }
    crate::report::term::keep_words(&mut t);
    t
}

/// The what-if as text: what changed, what Tier Zero is, then one table per control set.
pub fn table(r: &WhatIfReport) -> String {
    let mut out = format!(
        "ztsim: what-if on {}\nchange: {}\n  removes {} of {} attack edges\n",
        terminal_safe(&r.scenario),
        terminal_safe(&r.changes.join("; ")),
        r.attack_edges_removed,
        r.attack_edges
    );
    let source = match r.tier_zero_source {
        super::TierZeroSource::Marked => "marked tier_zero",
        super::TierZeroSource::BuiltIn => "built-in list",
    };
    let shown: Vec<&str> = r.tier_zero.iter().take(8).map(String::as_str).collect();
    let more = r.tier_zero.len().saturating_sub(shown.len());
    out.push_str(&format!(
        "Tier Zero ({source}, {}): {}{}\nimpact from: {}\n{} trials per arm, seed {}, horizon {} h; paired on common random numbers\n",
        r.tier_zero.len(),
        terminal_safe(&shown.join(", ")),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        },
        terminal_safe(&r.impact_from),
        r.trials,
        r.seed,
        r.horizon_hours
    ));
    for s in &r.sets {
        out.push_str(&format!(
            "\ncontrol set: {}\n{}\n",
            terminal_safe(&s.control_set),
            set_table(s)
        ));
    }
    out
}
