//! What to deploy next: a greedy sequence of control additions under a budget, and the
//! cost-versus-risk frontier it traces.
//!
//! From a starting set (a preset or a scenario set), each step evaluates adding every
//! catalog control not yet in the set (default scope, coverage and parameters) that the
//! remaining budget affords, on common random numbers (the same seed and trial keys for
//! every candidate, so the differences are paired), and adds the one with the largest
//! reduction of the chosen metric per unit of cost. It stops when the budget is spent, or
//! when no affordable control reduces the metric at all. Costs are the catalog's relative
//! `cost` (an assumption, overridable in a scenario's `controls:`); a control without one
//! counts 1. Greedy selection is a heuristic: controls that only pay off together (say,
//! detection and response) can be passed over.

use crate::controls::{Catalog, ResolvedSet, resolve_set};
use crate::error::{Error, Result};
use crate::estate::Estate;
use crate::montecarlo::{RunOptions, run_sets};
use crate::plan::{self, ControlPlan};
use crate::sim::TrialOutcome;
use crate::stats::{MeanCi, PairedDiff, mean_ci, paired_diff};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What the recommendation minimises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RiskMetric {
    /// Mean number of assets compromised per trial.
    Blast,
    /// Share of trials in which a crown jewel is reached.
    CrownJewel,
}

impl RiskMetric {
    /// The metric in words, for table headers.
    pub fn describe(self) -> &'static str {
        match self {
            RiskMetric::Blast => "mean assets compromised",
            RiskMetric::CrownJewel => "P(crown jewel reached)",
        }
    }

    fn of(self, t: &TrialOutcome) -> f64 {
        match self {
            RiskMetric::Blast => t.compromised as f64,
            RiskMetric::CrownJewel => {
                if t.crown_jewel_hours.is_some() {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }
}

/// What `ztsim recommend` computes.
#[derive(Clone, Debug)]
pub struct RecommendOptions {
    /// The starting control set: a preset or one of the scenario's sets.
    pub from: String,
    /// Total cost that may be added, in the catalog's relative cost units (non-negative).
    pub budget: f64,
    /// What to minimise.
    pub metric: RiskMetric,
    /// Trials per evaluation (at least 2 are run).
    pub trials: u32,
    /// Seed shared by every evaluation (common random numbers).
    pub seed: u64,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
}

/// One candidate's evaluation at a step.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CandidateGain {
    /// The candidate control's catalog id.
    pub id: String,
    /// Its cost (1 when the catalog gives none).
    pub cost: f64,
    /// Metric with the candidate added.
    pub after: f64,
    /// Reduction (before − after, paired), positive is better.
    pub gain: PairedDiff,
    /// Mean gain divided by cost: what the greedy choice ranks by.
    pub gain_per_cost: f64,
}

/// One control the greedy sequence adds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RecStep {
    /// 1-based position in the sequence.
    pub step: usize,
    /// The control's catalog id.
    pub id: String,
    /// Its display name (the id when the catalog gives none).
    pub name: String,
    /// Its cost.
    pub cost: f64,
    /// The control has no `cost`; 1 was assumed.
    pub cost_assumed: bool,
    /// Cost of every control added so far, this one included.
    pub cumulative_cost: f64,
    /// The metric before this step, with its 95% interval.
    pub before: MeanCi,
    /// The metric with this control added, with its 95% interval.
    pub after: MeanCi,
    /// Reduction of the metric (before − after, paired per trial) with its 95% interval.
    pub gain: PairedDiff,
    /// Mean gain divided by cost.
    pub gain_per_cost: f64,
    /// The next best candidates at this step, by gain per cost.
    pub runners_up: Vec<CandidateGain>,
    /// Every candidate evaluated at this step.
    pub candidates: Vec<CandidateGain>,
}

/// The result of `ztsim recommend`: the greedy sequence of additions and why it stopped.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Recommendation {
    /// The scenario's name.
    pub scenario: String,
    /// The starting control set.
    pub from: String,
    /// The budget given.
    pub budget: f64,
    /// The metric minimised.
    pub metric: RiskMetric,
    /// Trials per evaluation.
    pub trials: u32,
    /// Seed of every evaluation.
    pub seed: u64,
    /// The metric under the starting set.
    pub start: MeanCi,
    /// The additions, in order; empty when nothing affordable helps.
    pub steps: Vec<RecStep>,
    /// Total cost of the additions (at most the budget).
    pub spent: f64,
    /// The resulting control set, as a name `ztsim run --controls` accepts.
    pub final_set: String,
    /// Why the sequence stopped, in words.
    pub stopped: String,
}

fn cost_of(catalog: &Catalog, id: &str) -> (f64, bool) {
    match catalog.get(id).and_then(|c| c.cost) {
        Some(c) => (c.max(0.0), false),
        None => (1.0, true),
    }
}

/// Mean with a 95% interval: Wilson's for a share (it stays inside [0, 1]).
fn metric_ci(metric: RiskMetric, xs: &[f64]) -> MeanCi {
    let mut m = mean_ci(xs);
    if metric == RiskMetric::CrownJewel {
        let k = xs.iter().filter(|&&x| x > 0.0).count() as u64;
        m.ci95 = crate::stats::wilson(k, xs.len() as u64).ci95;
    }
    m
}

fn values(metric: RiskMetric, outcomes: &[TrialOutcome]) -> Vec<f64> {
    outcomes.iter().map(|t| metric.of(t)).collect()
}

/// Runs the greedy recommendation. `sets` are the scenario's control sets (for `from`).
pub fn recommend(
    est: &Arc<Estate>,
    sets: &[crate::controls::ControlSetDef],
    catalog: &Catalog,
    opt: &RecommendOptions,
) -> Result<Recommendation> {
    if !(opt.budget.is_finite() && opt.budget >= 0.0) {
        return Err(Error::Usage(format!(
            "--budget must be a non-negative number, not {}",
            opt.budget
        )));
    }
    let run_opt = RunOptions {
        trials: opt.trials.max(2),
        seed: opt.seed,
        threads: opt.threads,
        timeline_points: 1,
        keep_parents: false,
    };
    let mut current: ResolvedSet = resolve_set(&opt.from, sets, catalog)?;
    let base_plan = Arc::new(plan::build(est, &current, opt.seed));
    let mut base = values(
        opt.metric,
        &run_sets(est, &[base_plan], &run_opt)?[0].outcomes,
    );
    let start = metric_ci(opt.metric, &base);
    let mut steps: Vec<RecStep> = Vec::new();
    let mut spent = 0.0;
    let mut name = opt.from.clone();
    let stopped = loop {
        let remaining = opt.budget - spent;
        let cands: Vec<(String, f64, bool)> = catalog
            .controls
            .iter()
            .filter(|c| !current.controls.iter().any(|x| x.id == c.id))
            .map(|c| {
                let (cost, assumed) = cost_of(catalog, &c.id);
                (c.id.clone(), cost, assumed)
            })
            .filter(|(_, cost, _)| *cost <= remaining + 1e-9)
            .collect();
        if cands.is_empty() {
            break if steps.is_empty() {
                "no control not yet in the set fits the budget".to_string()
            } else {
                "budget spent: no remaining control fits".to_string()
            };
        }
        let mut trial_sets: Vec<ResolvedSet> = Vec::with_capacity(cands.len());
        for (id, _, _) in &cands {
            let one = resolve_set(id, &[], catalog)?;
            let mut s = current.clone();
            s.name = format!("{name}+{id}");
            s.controls.extend(one.controls);
            trial_sets.push(s);
        }
        let plans: Vec<Arc<ControlPlan>> = trial_sets
            .iter()
            .map(|s| Arc::new(plan::build(est, s, opt.seed)))
            .collect();
        let runs = run_sets(est, &plans, &run_opt)?;
        let evals: Vec<(CandidateGain, Vec<f64>)> = cands
            .iter()
            .zip(&runs)
            .map(|((id, cost, _), run)| {
                let v = values(opt.metric, &run.outcomes);
                // paired_diff(a, b) is b − a: before − after.
                let gain = paired_diff(&v, &base);
                let after = v.iter().sum::<f64>() / v.len().max(1) as f64;
                (
                    CandidateGain {
                        id: id.clone(),
                        cost: *cost,
                        after,
                        gain,
                        gain_per_cost: gain.mean / cost.max(1e-9),
                    },
                    v,
                )
            })
            .collect();
        let mut order: Vec<usize> = (0..evals.len()).collect();
        order.sort_by(|&a, &b| {
            let (x, y) = (&evals[a].0, &evals[b].0);
            y.gain_per_cost
                .total_cmp(&x.gain_per_cost)
                .then(x.cost.total_cmp(&y.cost))
                .then(x.id.cmp(&y.id))
        });
        let best = order[0];
        if evals[best].0.gain.mean <= 0.0 {
            break "no affordable control reduces the metric further".to_string();
        }
        let (id, cost, assumed) = cands[best].clone();
        let after_v = evals[best].1.clone();
        spent += cost;
        let before = metric_ci(opt.metric, &base);
        let after = metric_ci(opt.metric, &after_v);
        let g = evals[best].0.clone();
        let runners_up = order[1..]
            .iter()
            .take(3)
            .map(|&i| evals[i].0.clone())
            .collect();
        steps.push(RecStep {
            step: steps.len() + 1,
            name: catalog
                .get(&id)
                .and_then(|c| c.name.clone())
                .unwrap_or_else(|| id.clone()),
            id: id.clone(),
            cost,
            cost_assumed: assumed,
            cumulative_cost: spent,
            before,
            after,
            gain: g.gain,
            gain_per_cost: g.gain_per_cost,
            runners_up,
            candidates: order.iter().map(|&i| evals[i].0.clone()).collect(),
        });
        current = trial_sets.swap_remove(best);
        name = format!("{name}+{id}");
        base = after_v;
    };
    Ok(Recommendation {
        scenario: est.name.clone(),
        from: opt.from.clone(),
        budget: opt.budget,
        metric: opt.metric,
        trials: run_opt.trials,
        seed: opt.seed,
        start,
        steps,
        spent,
        final_set: name,
        stopped,
    })
}

fn fmt_metric(m: RiskMetric, x: f64) -> String {
    match m {
        RiskMetric::Blast => format!("{x:.2}"),
        RiskMetric::CrownJewel => format!("{:.1}%", x * 100.0),
    }
}

fn fmt_delta(m: RiskMetric, x: f64) -> String {
    match m {
        RiskMetric::Blast => format!("{x:+.2}"),
        RiskMetric::CrownJewel => format!("{:+.1} pp", x * 100.0),
    }
}

/// The recommendation as a terminal table.
pub fn render_table(r: &Recommendation) -> String {
    use crate::report::terminal_safe as safe;
    let m = r.metric;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Recommended additions to `{}` in {} (budget {}; metric: {}; {} trials per evaluation, paired on common random numbers)",
        safe(&r.from),
        safe(&r.scenario),
        r.budget,
        m.describe(),
        r.trials
    );
    let _ = writeln!(
        s,
        "Start: {} [{}, {}]",
        fmt_metric(m, r.start.mean),
        fmt_metric(m, r.start.ci95[0]),
        fmt_metric(m, r.start.ci95[1])
    );
    let mut tb = crate::report::term::table();
    tb.set_header(vec![
        "#",
        "add",
        "cost",
        "total cost",
        "metric after",
        "reduction (95% CI)",
        "per unit cost",
        "runner-up",
    ]);
    for st in &r.steps {
        tb.add_row(vec![
            st.step.to_string(),
            format!("{} {}", safe(&st.id), safe(&st.name)),
            format!(
                "{}{}",
                st.cost,
                if st.cost_assumed { " (assumed)" } else { "" }
            ),
            format!("{}", st.cumulative_cost),
            fmt_metric(m, st.after.mean),
            format!(
                "{} [{}, {}]{}",
                fmt_delta(m, st.gain.mean),
                fmt_delta(m, st.gain.ci95[0]),
                fmt_delta(m, st.gain.ci95[1]),
                if st.gain.significant { " *" } else { "" }
            ),
            match m {
                RiskMetric::Blast => format!("{:.3}", st.gain_per_cost),
                RiskMetric::CrownJewel => format!("{:.2} pp", st.gain_per_cost * 100.0),
            },
            st.runners_up
                .first()
                .map(|c| {
                    format!(
                        "{} ({}, cost {})",
                        safe(&c.id),
                        fmt_delta(m, c.gain.mean),
                        c.cost
                    )
                })
                .unwrap_or_default(),
        ]);
    }
    crate::report::term::keep_words(&mut tb);
    let _ = writeln!(s, "{tb}");
    let _ = writeln!(
        s,
        "Spent {} of {}; stopped: {}. Resulting set: {}",
        r.spent,
        r.budget,
        r.stopped,
        safe(&r.final_set)
    );
    let _ = writeln!(
        s,
        "* the reduction's interval excludes 0. Costs are relative assumptions (data/controls.yaml `cost`)."
    );
    s
}

// ------------------------------------------------------------------------------------------
// The frontier chart.

mod chart {
    use super::{Recommendation, RiskMetric};
    use crate::plot::{FAMILY, label as clean, set_color};
    use plotters::coord::Shift;
    use plotters::prelude::*;
    use plotters::style::text_anchor::{HPos, Pos, VPos};

    const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
    const MUTED: RGBColor = RGBColor(0x66, 0x66, 0x66);
    const ALT: RGBColor = RGBColor(0xBA, 0xB0, 0xAC);
    const BUDGET: RGBColor = RGBColor(0xE1, 0x57, 0x59);
    pub const SIZE: (u32, u32) = (1200, 760);

    /// Text in the bundled font (registered by `crate::plot::ensure_font`).
    fn font(size: f64) -> TextStyle<'static> {
        TextStyle::from((FAMILY, size).into_font()).color(&INK)
    }

    type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

    pub fn draw<DB: DrawingBackend>(
        root: &DrawingArea<DB, Shift>,
        r: &Recommendation,
    ) -> DrawResult<DB> {
        let (w, _) = root.dim_in_pixel();
        let line = set_color(0);
        let m = r.metric;
        let scale = if m == RiskMetric::CrownJewel {
            100.0
        } else {
            1.0
        };
        root.draw(&Text::new(
            format!(
                "Cost versus risk: greedy additions to {}",
                clean(&r.from, 40)
            ),
            (w as i32 / 2, 14),
            font(26.0).pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
        root.draw(&Text::new(
            format!(
                "{} · {} trials per evaluation · bars: 95% CI of the mean · grey: alternatives evaluated at each step · red: budget {}",
                clean(&r.scenario, 40),
                r.trials,
                r.budget
            ),
            (w as i32 / 2, 48),
            font(15.0)
                .color(&MUTED)
                .pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
        let area = root.split_vertically(80).1;
        // Points: (cost, mean, lo, hi, label).
        let mut pts = vec![(
            0.0,
            r.start.mean * scale,
            r.start.ci95[0] * scale,
            r.start.ci95[1] * scale,
            clean(&r.from, 24),
        )];
        let mut alts: Vec<(f64, f64)> = Vec::new();
        let mut prev_cost = 0.0;
        for st in &r.steps {
            for c in &st.candidates {
                if c.id != st.id {
                    alts.push((prev_cost + c.cost, c.after * scale));
                }
            }
            pts.push((
                st.cumulative_cost,
                st.after.mean * scale,
                st.after.ci95[0] * scale,
                st.after.ci95[1] * scale,
                format!("+ {} ({})", clean(&st.name, 30), clean(&st.id, 12)),
            ));
            prev_cost = st.cumulative_cost;
        }
        let x_max = pts
            .iter()
            .map(|p| p.0)
            .chain(alts.iter().map(|a| a.0))
            .fold(r.budget, f64::max)
            .max(1.0)
            * 1.08;
        let y_hi = pts
            .iter()
            .map(|p| p.3)
            .chain(alts.iter().map(|a| a.1))
            .fold(0.0, f64::max);
        let y_max = if m == RiskMetric::CrownJewel {
            (y_hi * 1.1).clamp(1.0, 100.0)
        } else {
            (y_hi * 1.1).max(1.0)
        };
        let y_desc = match m {
            RiskMetric::Blast => "mean assets compromised per trial",
            RiskMetric::CrownJewel => "P(crown jewel reached), %",
        };
        let mut chart = ChartBuilder::on(&area)
            .margin(24)
            .x_label_area_size(56)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
        chart
            .configure_mesh()
            .x_desc("cumulative cost of the controls added (relative units)")
            .y_desc(y_desc)
            .axis_desc_style(font(17.0))
            .label_style(font(14.0))
            .light_line_style(RGBColor(0xEE, 0xEE, 0xEE))
            .bold_line_style(RGBColor(0xDD, 0xDD, 0xDD))
            .draw()?;
        chart.draw_series(DashedLineSeries::new(
            vec![(r.budget, 0.0), (r.budget, y_max)],
            8,
            6,
            BUDGET.stroke_width(2),
        ))?;
        chart.draw_series(
            alts.iter()
                .map(|&(x, y)| Circle::new((x, y), 4, ALT.mix(0.8).filled())),
        )?;
        chart.draw_series(
            pts.iter()
                .map(|p| ErrorBar::new_vertical(p.0, p.2, p.1, p.3, line.stroke_width(2), 10)),
        )?;
        chart.draw_series(LineSeries::new(
            pts.iter().map(|p| (p.0, p.1)),
            line.stroke_width(3),
        ))?;
        chart.draw_series(
            pts.iter()
                .map(|p| Circle::new((p.0, p.1), 6, line.filled())),
        )?;
        // Labels right of their point in the left half, left of it in the right half, so
        // the names stay inside the plot.
        chart.draw_series(pts.iter().enumerate().map(|(i, p)| {
            let dy = if i % 2 == 0 { -16 } else { 16 };
            let (dx, h) = if p.0 > x_max / 2.0 {
                (-8, HPos::Right)
            } else {
                (8, HPos::Left)
            };
            EmptyElement::at((p.0, p.1))
                + Text::new(
                    p.4.clone(),
                    (dx, dy),
                    font(15.0).pos(Pos::new(h, VPos::Center)),
                )
        }))?;
        Ok(())
    }
}

fn draw_error(e: impl std::fmt::Display) -> Error {
    Error::Write {
        path: PathBuf::from("frontier"),
        cause: std::io::Error::other(format!("drawing the chart failed: {e}")),
    }
}

/// The frontier chart as SVG text and PNG bytes.
pub fn render_frontier(r: &Recommendation) -> Result<(String, Vec<u8>)> {
    use plotters::prelude::*;
    crate::plot::ensure_font()?;
    let (w, h) = chart::SIZE;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        chart::draw(&root, r).map_err(draw_error)?;
        root.present().map_err(draw_error)?;
    }
    let mut buf = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        chart::draw(&root, r).map_err(draw_error)?;
        root.present().map_err(draw_error)?;
    }
    let mut png = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut png, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().map_err(draw_error)?;
        wr.write_image_data(&buf).map_err(draw_error)?;
        wr.finish().map_err(draw_error)?;
    }
    Ok((svg, png))
}

/// Writes `frontier.png`, `frontier.svg` and `recommendation.json` into `dir`.
pub fn write_frontier(r: &Recommendation, dir: &Path) -> Result<Vec<PathBuf>> {
    let (svg, png) = render_frontier(r)?;
    crate::output::ensure_dir(dir)?;
    let files = vec![
        dir.join("frontier.png"),
        dir.join("frontier.svg"),
        dir.join("recommendation.json"),
    ];
    crate::output::write_atomic(&files[0], &png)?;
    crate::output::write_atomic(&files[1], svg.as_bytes())?;
    crate::output::write_json(&files[2], r)?;
    Ok(files)
}
