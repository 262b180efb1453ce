//! The rare-event estimate as a self-contained HTML page (`ztsim estimate --report`): the
//! estimate and its 95% interval on a log-scale axis beside the crude pilot's, the work
//! against what crude Monte Carlo would need, and the run's notes. A linear axis would show a
//! probability of 1e-5 and one of 1e-3 as the same dot at zero; the decades are the point.

use crate::error::{Error, Result};
use crate::estimate::Estimate;
use crate::stats::wilson;
use askama::Template;
use std::fmt::Write;

const CSS: &str = include_str!("../../templates/report.css");

/// One row of the log-scale chart: a label, the estimate, its interval.
struct Row {
    label: String,
    p: f64,
    lo: f64,
    hi: f64,
}

#[derive(Template)]
#[template(path = "estimate.html")]
struct Page<'a> {
    title: String,
    css: &'a str,
    e: &'a Estimate,
    scenario: &'a str,
    chart: String,
    facts: Vec<(String, String)>,
    version: &'static str,
}

/// A method in words.
fn method_words(m: crate::estimate::Method) -> &'static str {
    use crate::estimate::Method;
    match m {
        Method::Auto => "auto",
        Method::Crude => "crude Monte Carlo",
        Method::Is => "importance sampling",
        Method::Splitting => "multilevel splitting",
    }
}

fn sci(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else {
        format!("{x:.3e}")
    }
}

/// The lowest decade the chart shows: one below the smallest positive number drawn.
fn floor_decade(rows: &[Row]) -> i32 {
    rows.iter()
        .flat_map(|r| [r.p, r.lo, r.hi])
        .filter(|&x| x > 0.0)
        .map(|x| x.log10().floor() as i32 - 1)
        .min()
        .unwrap_or(-6)
        .clamp(-15, -1)
}

/// A horizontal log-scale chart of the rows' intervals, as SVG text (escaped labels).
fn log_chart(rows: &[Row]) -> String {
    let lo_dec = floor_decade(rows);
    let (w, l, r, top, row_h) = (760.0, 190.0, 30.0, 30.0, 44.0);
    let h = top + row_h * rows.len() as f64 + 40.0;
    let x = |p: f64| {
        let v = if p > 0.0 { p.log10() } else { lo_dec as f64 };
        l + (w - l - r) * (v - lo_dec as f64) / (-lo_dec as f64)
    };
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="estimates with 95% intervals on a log scale" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">"#
    );
    for d in lo_dec..=0 {
        let xd = x(10f64.powi(d));
        let _ = write!(
            s,
            r##"<line x1="{xd:.1}" y1="{top}" x2="{xd:.1}" y2="{:.1}" stroke="#ddd"/><text x="{xd:.1}" y="{:.1}" text-anchor="middle" fill="#555">1e{d}</text>"##,
            h - 30.0,
            h - 14.0
        );
    }
    for (i, row) in rows.iter().enumerate() {
        let y = top + row_h * (i as f64 + 0.5);
        let (a, b) = (x(row.lo), x(row.hi));
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text><line x1="{a:.1}" y1="{y:.1}" x2="{b:.1}" y2="{y:.1}" stroke="#1f4e79" stroke-width="3"/><line x1="{a:.1}" y1="{:.1}" x2="{a:.1}" y2="{:.1}" stroke="#1f4e79" stroke-width="2"/><line x1="{b:.1}" y1="{:.1}" x2="{b:.1}" y2="{:.1}" stroke="#1f4e79" stroke-width="2"/>"##,
            l - 10.0,
            y + 4.0,
            crate::tabletop::map::xml(&row.label),
            y - 7.0,
            y + 7.0,
            y - 7.0,
            y + 7.0
        );
        if row.p > 0.0 {
            let _ = write!(
                s,
                r##"<circle cx="{:.1}" cy="{y:.1}" r="5" fill="#d62728"/>"##,
                x(row.p)
            );
        }
        if row.lo <= 0.0 {
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{:.1}" fill="#555" font-size="10">0 (below the axis)</text>"##,
                a + 4.0,
                y + 18.0
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// The page for estimate `e` of scenario `scenario`.
pub fn estimate_html(e: &Estimate, scenario: &str) -> Result<String> {
    let pilot = wilson(e.pilot_hits, e.pilot.trials);
    let rows = vec![
        Row {
            label: method_words(e.method).to_string(),
            p: e.probability,
            lo: e.ci95[0],
            hi: e.ci95[1],
        },
        Row {
            label: format!("crude pilot ({} trials)", e.pilot.trials),
            p: pilot.probability,
            lo: pilot.ci95[0],
            hi: pilot.ci95[1],
        },
    ];
    let mut facts = vec![
        ("Estimate".to_string(), sci(e.probability)),
        (
            "95% interval".into(),
            format!("[{}, {}]", sci(e.ci95[0]), sci(e.ci95[1])),
        ),
        (
            "Relative error".into(),
            e.rel_error.map_or("—".into(), |r| {
                format!(
                    "{:.1}% (asked: {:.1}%)",
                    r * 100.0,
                    e.rel_error_requested * 100.0
                )
            }),
        ),
        ("Stopped because".into(), e.stop.describe().to_string()),
        (
            "Method".into(),
            format!(
                "{} (asked: {})",
                method_words(e.method),
                method_words(e.method_requested)
            ),
        ),
        (
            "Samples, hits".into(),
            format!("{} samples, {} hits", e.samples, e.hits),
        ),
        (
            "Effective sample size".into(),
            e.ess.map_or("—".into(), |x| format!("{x:.0}")),
        ),
        (
            "Work".into(),
            format!("{} attack steps, {} trials", e.work.steps, e.work.trials),
        ),
    ];
    if let Some(c) = &e.crude {
        facts.push((
            "Crude Monte Carlo, same precision".into(),
            format!(
                "{:.3e} trials, {:.3e} attack steps: {:.0}x this run's work",
                c.trials, c.steps, c.work_ratio
            ),
        ));
    }
    if let Some(r) = &e.exact_reason {
        facts.push(("Exact 0 because".into(), r.clone()));
    }
    Page {
        title: format!("P({}) under {} — {}", e.target, e.control_set, scenario),
        css: CSS,
        e,
        scenario,
        chart: log_chart(&rows),
        facts,
        version: env!("CARGO_PKG_VERSION"),
    }
    .render()
    .map_err(|err| Error::Usage(format!("rendering the estimate page: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(p: f64, lo: f64, hi: f64) -> Row {
        Row {
            label: "<x>".into(),
            p,
            lo,
            hi,
        }
    }

    #[test]
    fn the_axis_spans_the_decades_drawn_and_labels_are_escaped() {
        let svg = log_chart(&[row(1e-5, 8e-6, 1.2e-5), row(0.0, 0.0, 1.8e-3)]);
        // 8e-6 lies in the 1e-6 decade: the axis starts one below, at 1e-7.
        assert!(svg.contains(">1e-7<") && svg.contains(">1e0<") && !svg.contains(">1e-8<"));
        assert!(svg.contains("&lt;x&gt;") && !svg.contains("<x>"));
        assert!(svg.contains("0 (below the axis)"));
    }
}
