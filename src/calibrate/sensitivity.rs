//! `ztsim calibrate --sensitivity`: which assumptions each calibrated figure depends on
//! most. The same one-at-a-time variation as `ztsim sensitivity` (every assumed control
//! parameter of the row's set and every unsourced default of a technique its estate uses,
//! moved down and up by a relative range, on the row's own trial keys), measured on the
//! row's own metric instead of the blast radius.

use super::{Base, CalibrateOptions, Figure, Loaded, base, play};
use crate::error::Result;
use crate::limits::Limits;
use crate::sweep::sensitivity::{Skipped, assumed_parameters};
use crate::sweep::spec::ScenarioInstance;
use serde::{Deserialize, Serialize};

/// How far one assumption moves a figure.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Influence {
    /// Parameter name (`technique.T1003.001.mean_hours`, `control.C14.detection`).
    pub name: String,
    /// Where its value comes from (an assumption, a technique default, the scenario).
    pub provenance: String,
    /// The value the figure's run uses.
    pub base: f64,
    /// The value moved down.
    pub low: f64,
    /// The value moved up.
    pub high: f64,
    /// The figure's value with the parameter at `low` (`None`: beyond the horizon).
    pub at_low: Option<f64>,
    /// The figure's value with the parameter at `high`.
    pub at_high: Option<f64>,
    /// The swing: for a time, |ln(at_high / at_low)| (a value beyond the horizon counts at
    /// the horizon); for a share, |at_high - at_low|.
    pub swing: f64,
}

/// The assumptions one figure depends on most.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FigureSensitivity {
    /// The figure's id.
    pub id: String,
    /// The figure.
    pub figure: String,
    /// ztsim's value at the base values.
    pub value: Option<f64>,
    /// Relative move applied.
    pub range: f64,
    /// Trials per variant.
    pub trials: u32,
    /// The parameters, most influential first (at most `top`).
    pub parameters: Vec<Influence>,
    /// Parameters varied in all.
    pub varied: usize,
    /// Parameters left out (sourced, unused, cannot move).
    pub skipped: Vec<Skipped>,
}

/// Varies the assumptions behind one figure's run and ranks them by how far they move it.
pub fn figure_sensitivity(
    g: &Figure,
    cal: &Loaded,
    opt: &CalibrateOptions,
    limits: &Limits,
    range: f64,
    top: usize,
) -> Result<FigureSensitivity> {
    if !(range.is_finite() && range > 0.0) {
        return Err(crate::Error::Usage(format!(
            "--range must be a positive number (got {range})"
        )));
    }
    let b: Base = base(g, cal, opt, limits)?;
    let inst = ScenarioInstance {
        label: b.origin.clone(),
        scenario_seed: None,
        scenario: b.scenario.clone(),
        catalog: b.catalog.clone(),
        source_hash: b.source_hash,
        warnings: Vec::new(),
        origin: b.origin.clone(),
    };
    let set = crate::controls::resolve_set(&g.run.controls, &b.scenario.control_sets, &b.catalog)?;
    let est = crate::estate::compile_with(&b.scenario, g.run.profile.as_deref());
    let (cands, skipped) = assumed_parameters(&inst, &set, &est, range);
    let trials = opt.trials.unwrap_or(g.run.trials).max(1);
    let (m0, horizon) = play(g, &b, &[], trials, opt.threads)?;
    let time = g.run.metric.is_time();
    let mut out = Vec::new();
    for c in &cands {
        let (lo, _) = play(g, &b, &[(c.target.clone(), c.low)], trials, opt.threads)?;
        let (hi, _) = play(g, &b, &[(c.target.clone(), c.high)], trials, opt.threads)?;
        let swing = if time {
            let at = |m: &super::Measured| m.value.unwrap_or(horizon).max(1e-6);
            (at(&hi) / at(&lo)).ln().abs()
        } else {
            match (lo.value, hi.value) {
                (Some(a), Some(b)) => (b - a).abs(),
                _ => 0.0,
            }
        };
        out.push(Influence {
            name: c.target.name(),
            provenance: c.provenance.clone(),
            base: c.base,
            low: c.low,
            high: c.high,
            at_low: lo.value,
            at_high: hi.value,
            swing,
        });
    }
    out.sort_by(|a, b| b.swing.total_cmp(&a.swing).then(a.name.cmp(&b.name)));
    let varied = out.len();
    if top > 0 {
        out.truncate(top);
    }
    Ok(FigureSensitivity {
        id: g.id.clone(),
        figure: g.figure.clone(),
        value: m0.value,
        range,
        trials,
        parameters: out,
        varied,
        skipped,
    })
}

/// The sensitivity of each figure as text: the top parameters with the figure's value at
/// their low and high ends.
pub fn table(list: &[FigureSensitivity], metric_of: &dyn Fn(&str) -> super::Metric) -> String {
    use comfy_table::{
        Cell, CellAlignment, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED,
    };
    let mut out = String::new();
    for fs in list {
        let m = metric_of(&fs.id);
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(vec![
                "parameter",
                "base",
                "low -> value",
                "high -> value",
                "swing",
                "provenance",
            ]);
        for p in &fs.parameters {
            t.add_row(vec![
                Cell::new(&p.name),
                Cell::new(format!("{}", p.base)).set_alignment(CellAlignment::Right),
                Cell::new(format!("{:.3} -> {}", p.low, super::fmt_value(m, p.at_low))),
                Cell::new(format!(
                    "{:.3} -> {}",
                    p.high,
                    super::fmt_value(m, p.at_high)
                )),
                Cell::new(format!("{:.2}", p.swing)).set_alignment(CellAlignment::Right),
                Cell::new(&p.provenance),
            ]);
        }
        out.push_str(&format!(
            "\n{} [{}]: ztsim {}; the {} assumptions it depends on most (of {} varied by ±{:.0} %, {} trials each; swing {}):\n{t}\n",
            fs.figure,
            fs.id,
            super::fmt_value(m, fs.value),
            fs.parameters.len(),
            fs.varied,
            fs.range * 100.0,
            fs.trials,
            if m.is_time() {
                "|ln(high/low)|"
            } else {
                "|high - low|"
            }
        ));
    }
    out
}
