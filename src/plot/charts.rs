//! The statistical charts: blast-radius box plots, survival curves, the compromised count
//! over time and the marginal value of each control.

use super::lines::{EndLabel, SETTLED, axis_end, draw_end_labels, identical_to, settle_time};
use super::{
    Draw, DrawResult, GRID, INK, MUTED, PlotData, Swatch, draw_legend, font, font_at, hours, label,
    set_color, titled,
};
use crate::stats::{PairedDiff, quantile_sorted};
use crate::summary::{SetSummary, TimeToEvent};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

const WIDTH: u32 = 1200;
const HEIGHT: u32 = 800;

/// A box plot's numbers, from the raw per-trial values (nearest-rank quantiles, so every
/// number is an observed trial; Tukey whiskers to the furthest trial within 1.5 IQR).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct BoxStats {
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    pub whisker_lo: f64,
    pub whisker_hi: f64,
    pub mean: f64,
    /// Distinct values beyond the whiskers.
    pub outliers: Vec<f64>,
}

pub(crate) fn box_stats(values: &[f64]) -> Option<BoxStats> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let q = |p| quantile_sorted(&v, p).unwrap_or(0.0);
    let (q1, median, q3) = (q(0.25), q(0.5), q(0.75));
    let iqr = q3 - q1;
    let (lo_fence, hi_fence) = (q1 - 1.5 * iqr, q3 + 1.5 * iqr);
    let whisker_lo = v.iter().copied().find(|&x| x >= lo_fence).unwrap_or(q1);
    let whisker_hi = v
        .iter()
        .rev()
        .copied()
        .find(|&x| x <= hi_fence)
        .unwrap_or(q3);
    let mut outliers: Vec<f64> = v
        .iter()
        .copied()
        .filter(|&x| x < whisker_lo || x > whisker_hi)
        .collect();
    outliers.dedup();
    Some(BoxStats {
        q1,
        median,
        q3,
        whisker_lo,
        whisker_hi,
        mean: v.iter().sum::<f64>() / v.len() as f64,
        outliers,
    })
}

/// Room for category labels on the left, from the longest label.
fn label_area(labels: &[String], px_per_char: f64) -> u32 {
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(4);
    ((longest as f64 * px_per_char) as u32 + 24).clamp(60, 420)
}

/// Category positions: the first item at the top.
fn row_y(k: usize, n: usize) -> f64 {
    (n - 1 - k) as f64
}

fn pct_label(share: f64) -> String {
    let p = share * 100.0;
    if p > 0.0 && p < 1.0 {
        "<1%".into()
    } else if !(99.0..100.0).contains(&p) {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

type Plot2d<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Category names left of the plotting area, one per row (the first at the top).
fn category_labels<DB: DrawingBackend>(
    chart: &mut Plot2d<'_, DB>,
    x_left: f64,
    labels: &[String],
    size: f64,
) -> DrawResult<DB> {
    let n = labels.len().max(1);
    chart.draw_series(labels.iter().enumerate().map(|(k, l)| {
        EmptyElement::at((x_left, row_y(k, n)))
            + Text::new(
                l.clone(),
                (-10, 0),
                font_at(size, HPos::Right, VPos::Center),
            )
    }))?;
    Ok(())
}

// ------------------------------------------------------------------------------------------
// Blast radius.

pub(crate) struct BlastRadius<'a> {
    data: &'a PlotData,
    sets: Vec<usize>,
}

impl<'a> BlastRadius<'a> {
    pub fn new(data: &'a PlotData) -> Self {
        BlastRadius {
            data,
            sets: data.primary_sets(),
        }
    }
}

impl Draw for BlastRadius<'_> {
    fn name(&self) -> &'static str {
        "blast_radius"
    }
    fn title(&self) -> String {
        "Blast radius per trial".into()
    }
    fn size(&self) -> (u32, u32) {
        (WIDTH, 1000)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let s = &self.data.summary;
        let area = titled(
            root,
            &self.title(),
            &format!(
                "{} trials per control set, horizon {} h: how much of the estate one attack takes",
                s.trials, s.horizon_hours
            ),
        )?;
        let (body, foot) = area.split_vertically(area.dim_in_pixel().1 - 36);
        let panels = body.split_evenly((2, 1));
        let names: Vec<(usize, String)> = self
            .sets
            .iter()
            .map(|&i| (i, label(&s.control_sets[i].name, 34)))
            .collect();
        let trials = &self.data.trials;
        let count: Vec<Option<BoxStats>> = self
            .sets
            .iter()
            .map(|&i| trials.get(i).and_then(|t| box_stats(&t.compromised)))
            .collect();
        let value: Vec<Option<BoxStats>> = self
            .sets
            .iter()
            .map(|&i| trials.get(i).and_then(|t| box_stats(&t.value)))
            .collect();
        box_panel(
            &panels[0],
            "Assets compromised",
            "assets compromised by the end of a trial (count)",
            &names,
            &count,
        )?;
        box_panel(
            &panels[1],
            "Value-weighted",
            "business value compromised by the end of a trial (sum of asset values)",
            &names,
            &value,
        )?;
        foot.draw(&Text::new(
            "Box: 25th–75th percentile of trials · thick line: median · white dot: mean · \
             whiskers: furthest trial within 1.5×IQR · circles: trials beyond"
                .to_string(),
            (WIDTH as i32 / 2, 14),
            font_at(14.0, HPos::Center, VPos::Center).color(&MUTED),
        ))?;
        Ok(())
    }
}

fn box_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    x_desc: &str,
    names: &[(usize, String)],
    stats: &[Option<BoxStats>],
) -> DrawResult<DB> {
    let n = names.len().max(1);
    let x_max = stats
        .iter()
        .flatten()
        .map(|b| {
            b.outliers
                .iter()
                .copied()
                .fold(b.whisker_hi, f64::max)
                .max(b.q3)
        })
        .fold(1.0_f64, f64::max)
        * 1.05;
    let labels: Vec<String> = names.iter().map(|(_, l)| l.clone()).collect();
    let mut chart = ChartBuilder::on(area)
        .caption(caption, font(20.0))
        .margin(12)
        .margin_right(30)
        .x_label_area_size(56)
        .y_label_area_size(label_area(&labels, 9.0))
        .build_cartesian_2d(0.0..x_max, -0.5..n as f64 - 0.5)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_desc(x_desc)
        .axis_desc_style(font(16.0))
        .label_style(font(15.0))
        .y_labels(0)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .draw()?;
    category_labels(&mut chart, 0.0, &labels, 15.0)?;
    for (k, ((i, _), b)) in names.iter().zip(stats).enumerate() {
        let Some(b) = b else { continue };
        let c = set_color(*i);
        let y = row_y(k, n);
        let h = 0.28;
        chart.draw_series([
            PathElement::new(vec![(b.whisker_lo, y), (b.q1, y)], INK.stroke_width(2)),
            PathElement::new(vec![(b.q3, y), (b.whisker_hi, y)], INK.stroke_width(2)),
            PathElement::new(
                vec![(b.whisker_lo, y - h / 2.0), (b.whisker_lo, y + h / 2.0)],
                INK.stroke_width(2),
            ),
            PathElement::new(
                vec![(b.whisker_hi, y - h / 2.0), (b.whisker_hi, y + h / 2.0)],
                INK.stroke_width(2),
            ),
        ])?;
        chart.draw_series([
            Rectangle::new([(b.q1, y - h), (b.q3, y + h)], c.mix(0.45).filled()),
            Rectangle::new([(b.q1, y - h), (b.q3, y + h)], c.stroke_width(2)),
        ])?;
        chart.draw_series([PathElement::new(
            vec![(b.median, y - h), (b.median, y + h)],
            INK.stroke_width(4),
        )])?;
        chart.draw_series(
            b.outliers
                .iter()
                .map(|&x| Circle::new((x, y), 4, c.stroke_width(2))),
        )?;
        chart.draw_series([
            Circle::new((b.mean, y), 6, WHITE.filled()),
            Circle::new((b.mean, y), 6, INK.stroke_width(2)),
        ])?;
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------
// Survival curves.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimeMetric {
    CrownJewel,
    Contain,
    Detect,
}

impl TimeMetric {
    fn of(self, s: &SetSummary) -> &TimeToEvent {
        match self {
            TimeMetric::CrownJewel => &s.time_to_crown_jewel_hours,
            TimeMetric::Contain => &s.time_to_contain_hours,
            TimeMetric::Detect => &s.time_to_detect_hours,
        }
    }
}

pub(crate) struct Survival<'a> {
    data: &'a PlotData,
    metric: TimeMetric,
    sets: Vec<usize>,
    /// Each set's step line, cut at the axis end.
    lines: Vec<Vec<(f64, f64)>>,
    /// Where the time axis ends, and when the curves settled if that is before the horizon.
    x_end: f64,
    settled: Option<f64>,
}

impl<'a> Survival<'a> {
    pub fn new(data: &'a PlotData, metric: TimeMetric) -> Self {
        let sets = data.primary_sets();
        let h = data.summary.horizon_hours.max(1e-9);
        let full: Vec<Vec<(f64, f64)>> = sets
            .iter()
            .map(|&i| steps(&metric.of(&data.summary.control_sets[i]).survival, h))
            .collect();
        let settle = settle_time(full.iter().map(Vec::as_slice), SETTLED * 100.0);
        let (x_end, cut) = axis_end(settle, h);
        Survival {
            data,
            metric,
            sets,
            lines: full.iter().map(|l| clip(l, x_end)).collect(),
            x_end,
            settled: cut.then_some(settle),
        }
    }
}

/// The Kaplan–Meier points as a step line: each level holds until the next event.
fn steps(points: &[[f64; 2]], horizon: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len() * 2 + 1);
    for (k, p) in points.iter().enumerate() {
        let (t, s) = (p[0].min(horizon), p[1] * 100.0);
        if k > 0 {
            let prev = out.last().map_or(100.0, |&(_, y): &(f64, f64)| y);
            out.push((t, prev));
        }
        out.push((t, s));
    }
    if let Some(&(t, s)) = out.last() {
        if t < horizon {
            out.push((horizon, s));
        }
    } else {
        out.extend([(0.0, 100.0), (horizon, 100.0)]);
    }
    out
}

/// A line over time cut at `x_end`: its points before, then its level at `x_end`.
fn clip(line: &[(f64, f64)], x_end: f64) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = line.iter().copied().filter(|p| p.0 < x_end).collect();
    let last = out.last().map(|p| p.1).or(line.first().map(|p| p.1));
    if let Some(y) = last {
        out.push((x_end, y));
    }
    out
}

/// Widest line for the first set, so curves that coincide still show every colour.
fn line_width(k: usize, n: usize) -> u32 {
    if n <= 1 {
        3
    } else {
        2 + ((n - 1 - k) * 3 / (n - 1)) as u32
    }
}

fn legend_rows(n: usize) -> u32 {
    n as u32 * 24 + 16
}

/// Room right of the plot for the labels at the lines' ends.
const END_LABELS_W: u32 = 250;

/// The time axis's description, saying where it was cut when it stops before the horizon.
fn time_axis_desc(settled: Option<f64>, x_end: f64, horizon: f64) -> String {
    match settled {
        Some(_) => {
            format!("hours since the attack began (axis cut at {x_end} h; horizon {horizon} h)")
        }
        None => "hours since the attack began".to_string(),
    }
}

/// The caption's sentence on a time axis cut before the horizon.
fn cut_note(settled: Option<f64>, x_end: f64, horizon: f64, what: &str) -> Option<String> {
    settled.map(|t| {
        format!(
            "The time axis stops at {x_end} h: after {t:.0} h no {what} moves by more than 1% of the axis; \
             the simulation ran to the {horizon} h horizon."
        )
    })
}

/// Draws each set's line (dashed when it is the same as an earlier set's) and collects its
/// end label, "identical to ..." for the repeats.
fn draw_lines<DB: DrawingBackend>(
    chart: &mut Plot2d<'_, DB>,
    data: &PlotData,
    sets: &[usize],
    lines: &[Vec<(f64, f64)>],
) -> std::result::Result<Vec<EndLabel>, DrawingAreaErrorKind<DB::ErrorType>> {
    let names = &data.summary.control_sets;
    let same = identical_to(lines);
    let n = sets.len();
    let mut labels = Vec::new();
    for (k, (&i, pts)) in sets.iter().zip(lines).enumerate() {
        let c = set_color(i);
        let text = match same[k] {
            Some(j) => {
                chart.draw_series(DashedLineSeries::new(
                    pts.iter().copied(),
                    12,
                    8,
                    c.stroke_width(3),
                ))?;
                format!(
                    "{} (identical to {})",
                    label(&names[i].name, 18),
                    label(&names[sets[j]].name, 14)
                )
            }
            None => {
                chart.draw_series(LineSeries::new(
                    pts.iter().copied(),
                    c.stroke_width(line_width(k, n)),
                ))?;
                names[i].name.clone()
            }
        };
        if let Some(&end) = pts.last() {
            labels.push(EndLabel {
                set: i,
                text,
                at: chart.backend_coord(&end),
            });
        }
    }
    Ok(labels)
}

impl Draw for Survival<'_> {
    fn name(&self) -> &'static str {
        match self.metric {
            TimeMetric::CrownJewel => "time_to_crown_jewel",
            TimeMetric::Contain => "time_to_contain",
            TimeMetric::Detect => "time_to_detect",
        }
    }
    fn title(&self) -> String {
        match self.metric {
            TimeMetric::CrownJewel => "Time to crown jewel",
            TimeMetric::Contain => "Time to containment",
            TimeMetric::Detect => "Time to detection",
        }
        .into()
    }
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }
    fn note(&self) -> Option<String> {
        cut_note(
            self.settled,
            self.x_end,
            self.data.summary.horizon_hours,
            "curve",
        )
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let s = &self.data.summary;
        let x_end = self.x_end;
        let area = titled(
            root,
            &self.title(),
            &format!(
                "Kaplan–Meier survival over {} trials per control set; trials without the event are censored at the {} h horizon",
                s.trials, s.horizon_hours
            ),
        )?;
        let n = self.sets.len();
        let (plot, legend) = area.split_vertically(area.dim_in_pixel().1 - legend_rows(n).min(300));
        let y_desc = match self.metric {
            TimeMetric::CrownJewel => "trials with no crown jewel reached yet (%)",
            TimeMetric::Contain => "trials not yet fully contained (%)",
            TimeMetric::Detect => "trials not yet detected (%)",
        };
        let mut chart = ChartBuilder::on(&plot)
            .margin(12)
            .margin_right(END_LABELS_W)
            .x_label_area_size(56)
            .y_label_area_size(90)
            .build_cartesian_2d(0.0..x_end, -2.0..104.0)?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .x_desc(time_axis_desc(self.settled, x_end, s.horizon_hours))
            .y_desc(y_desc)
            .axis_desc_style(font(16.0))
            .label_style(font(15.0))
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_labels(12)
            .y_label_formatter(&|v| {
                if *v < 0.0 || *v > 100.0 {
                    String::new()
                } else {
                    format!("{v:.0}%")
                }
            })
            .draw()?;
        let labels = draw_lines(&mut chart, self.data, &self.sets, &self.lines)?;
        let (top, bottom) = (
            chart.backend_coord(&(0.0, 104.0)).1,
            chart.backend_coord(&(0.0, -2.0)).1,
        );
        draw_end_labels(root, &labels, top, bottom)?;
        let mut entries = Vec::new();
        for &i in &self.sets {
            let set = &s.control_sets[i];
            let t = self.metric.of(set);
            let end = t.survival.last().map_or(1.0, |p| p[1]);
            entries.push((
                Swatch::Line(set_color(i)),
                format!(
                    "{}: median {}, p90 {}; not reached by the {} h horizon: {}",
                    label(&set.name, 40),
                    hours(t.p50),
                    hours(t.p90),
                    s.horizon_hours,
                    pct_label(end)
                ),
            ));
        }
        draw_legend(&legend, &entries, if n > 11 { 2 } else { 1 })
    }
}

// ------------------------------------------------------------------------------------------
// Compromised assets over time.

pub(crate) struct Timeline<'a> {
    data: &'a PlotData,
    sets: Vec<usize>,
    /// Where the time axis ends, and when the means settled if that is before the horizon.
    x_end: f64,
    settled: Option<f64>,
}

impl<'a> Timeline<'a> {
    pub fn new(data: &'a PlotData) -> Self {
        let sets = data.primary_sets();
        let h = data.summary.horizon_hours.max(1e-9);
        let means: Vec<Vec<(f64, f64)>> = sets
            .iter()
            .map(|&i| {
                let tl = &data.summary.control_sets[i].timeline;
                tl.hours
                    .iter()
                    .copied()
                    .zip(tl.mean.iter().copied())
                    .collect()
            })
            .collect();
        let y_max = means.iter().flatten().map(|p| p.1).fold(1.0_f64, f64::max);
        let settle = settle_time(means.iter().map(Vec::as_slice), SETTLED * y_max);
        let (x_end, cut) = axis_end(settle, h);
        Timeline {
            data,
            sets,
            x_end,
            settled: cut.then_some(settle),
        }
    }
}

impl Draw for Timeline<'_> {
    fn name(&self) -> &'static str {
        "compromised_over_time"
    }
    fn title(&self) -> String {
        "Compromised assets over time".into()
    }
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }
    fn note(&self) -> Option<String> {
        cut_note(
            self.settled,
            self.x_end,
            self.data.summary.horizon_hours,
            "mean",
        )
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let s = &self.data.summary;
        let x_end = self.x_end;
        let area = titled(
            root,
            &self.title(),
            &format!(
                "mean over {} trials per control set, with its 95% confidence band",
                s.trials
            ),
        )?;
        let n = self.sets.len();
        let (plot, legend) = area.split_vertically(area.dim_in_pixel().1 - legend_rows(n).min(300));
        let y_max = self
            .sets
            .iter()
            .flat_map(|&i| s.control_sets[i].timeline.ci95_hi.iter().copied())
            .filter(|v| v.is_finite())
            .fold(1.0_f64, f64::max)
            * 1.08;
        let mut chart = ChartBuilder::on(&plot)
            .margin(12)
            .margin_right(END_LABELS_W)
            .x_label_area_size(56)
            .y_label_area_size(90)
            .build_cartesian_2d(0.0..x_end, 0.0..y_max)?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .x_desc(time_axis_desc(self.settled, x_end, s.horizon_hours))
            .y_desc("assets compromised (mean per trial)")
            .axis_desc_style(font(16.0))
            .label_style(font(15.0))
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()?;
        let mut lines = Vec::new();
        for &i in &self.sets {
            let tl = &s.control_sets[i].timeline;
            let c = set_color(i);
            let m = tl.hours.len().min(tl.ci95_lo.len()).min(tl.ci95_hi.len());
            let hi: Vec<(f64, f64)> = (0..m)
                .map(|j| (tl.hours[j], tl.ci95_hi[j].max(0.0)))
                .collect();
            let lo: Vec<(f64, f64)> = (0..m)
                .map(|j| (tl.hours[j], tl.ci95_lo[j].max(0.0)))
                .collect();
            let mut band = clip(&hi, x_end);
            band.extend(clip(&lo, x_end).into_iter().rev());
            if m > 1 {
                chart.draw_series([Polygon::new(band, c.mix(0.25).filled())])?;
            }
            let mean: Vec<(f64, f64)> = tl
                .hours
                .iter()
                .copied()
                .zip(tl.mean.iter().copied())
                .collect();
            lines.push(clip(&mean, x_end));
        }
        let labels = draw_lines(&mut chart, self.data, &self.sets, &lines)?;
        let (top, bottom) = (
            chart.backend_coord(&(0.0, y_max)).1,
            chart.backend_coord(&(0.0, 0.0)).1,
        );
        draw_end_labels(root, &labels, top, bottom)?;
        let mut entries = Vec::new();
        for &i in &self.sets {
            let set = &s.control_sets[i];
            let tl = &set.timeline;
            let last = tl.mean.len().checked_sub(1);
            entries.push((
                Swatch::Line(set_color(i)),
                match last {
                    Some(j) => format!(
                        "{}: {:.1} assets at the {} h horizon [95% CI {:.1}, {:.1}]",
                        label(&set.name, 40),
                        tl.mean[j],
                        s.horizon_hours,
                        tl.ci95_lo.get(j).copied().unwrap_or(f64::NAN),
                        tl.ci95_hi.get(j).copied().unwrap_or(f64::NAN),
                    ),
                    None => format!("{}: no timeline", label(&set.name, 40)),
                },
            ));
        }
        draw_legend(&legend, &entries, if n > 11 { 2 } else { 1 })
    }
}

// ------------------------------------------------------------------------------------------
// Marginal value of each control (ablation).

pub(crate) struct Marginal<'a> {
    data: &'a PlotData,
}

impl<'a> Marginal<'a> {
    pub fn new(data: &'a PlotData) -> Option<Self> {
        data.ablation
            .as_ref()
            .filter(|a| !a.controls.is_empty())
            .map(|_| Marginal { data })
    }
}

/// A signed tick label with as many decimals as the axis span needs (no `-0`).
fn signed(v: f64, span: f64) -> String {
    let d = if span < 4.0 {
        2
    } else if span < 20.0 {
        1
    } else {
        0
    };
    let v = if v.abs() < 0.5 * 10f64.powi(-d) {
        0.0
    } else {
        v
    };
    format!("{v:+.*}", d as usize)
}

fn diff_range(ds: &[&PairedDiff]) -> (f64, f64) {
    let lo = ds.iter().map(|d| d.ci95[0].min(d.mean)).fold(0.0, f64::min);
    let hi = ds.iter().map(|d| d.ci95[1].max(d.mean)).fold(0.0, f64::max);
    let span = (hi - lo).max(1.0);
    (lo - span * 0.06, hi + span * 0.16)
}

fn diff_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    x_desc: &str,
    labels: &[String],
    diffs: &[&PairedDiff],
    color: RGBColor,
) -> DrawResult<DB> {
    let n = labels.len().max(1);
    let (lo, hi) = diff_range(diffs);
    let mut chart = ChartBuilder::on(area)
        .caption(caption, font(18.0))
        .margin(12)
        .margin_right(24)
        .x_label_area_size(56)
        .y_label_area_size(label_area(labels, 8.6))
        .build_cartesian_2d(lo..hi, -0.5..n as f64 - 0.5)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_desc(x_desc)
        .axis_desc_style(font(15.0))
        .label_style(font(14.0))
        .y_labels(0)
        .x_label_formatter(&|v| signed(*v, hi - lo))
        .draw()?;
    category_labels(&mut chart, lo, labels, 14.0)?;
    chart.draw_series([PathElement::new(
        vec![(0.0, -0.5), (0.0, n as f64 - 0.5)],
        INK.stroke_width(1),
    )])?;
    for (k, d) in diffs.iter().enumerate() {
        let y = row_y(k, n);
        let fill = if d.significant {
            color.filled()
        } else {
            RGBColor(0xC8, 0xC8, 0xC8).filled()
        };
        chart.draw_series([Rectangle::new([(0.0, y - 0.3), (d.mean, y + 0.3)], fill)])?;
        chart.draw_series([
            PathElement::new(vec![(d.ci95[0], y), (d.ci95[1], y)], INK.stroke_width(2)),
            PathElement::new(
                vec![(d.ci95[0], y - 0.15), (d.ci95[0], y + 0.15)],
                INK.stroke_width(2),
            ),
            PathElement::new(
                vec![(d.ci95[1], y - 0.15), (d.ci95[1], y + 0.15)],
                INK.stroke_width(2),
            ),
        ])?;
        let text = if d.significant {
            format!("{:+.2}", d.mean)
        } else {
            format!("{:+.2} (n.s.)", d.mean)
        };
        chart.draw_series([EmptyElement::at((d.ci95[1].max(d.mean).max(0.0), y))
            + Text::new(text, (8, 0), font_at(13.0, HPos::Left, VPos::Center))])?;
    }
    Ok(())
}

impl Draw for Marginal<'_> {
    fn name(&self) -> &'static str {
        "control_marginal_value"
    }
    fn title(&self) -> String {
        "Marginal value of each control".into()
    }
    fn size(&self) -> (u32, u32) {
        (1400, 900)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let Some(ab) = &self.data.ablation else {
            return Ok(());
        };
        let preset = label(&ab.preset, 30);
        let base = label(&ab.addition_baseline, 30);
        let area = titled(
            root,
            &format!("{} in {preset}", self.title()),
            &format!(
                "paired differences over {} trials on common random numbers, ranked by what removing the control costs",
                self.data.summary.trials
            ),
        )?;
        let (body, foot) = area.split_vertically(area.dim_in_pixel().1 - 36);
        let (w, _) = body.dim_in_pixel();
        let (left, right) = body.split_horizontally((w as f64 * 0.6) as i32);
        let long: Vec<String> = ab
            .controls
            .iter()
            .map(|c| label(&format!("{} {}", c.id, c.name), 42))
            .collect();
        let short: Vec<String> = ab.controls.iter().map(|c| label(&c.id, 12)).collect();
        let removal: Vec<&PairedDiff> = ab
            .controls
            .iter()
            .map(|c| &c.removal.blast_radius_diff)
            .collect();
        let addition: Vec<&PairedDiff> = ab
            .controls
            .iter()
            .map(|c| &c.addition.blast_radius_diff)
            .collect();
        diff_panel(
            &left,
            &format!("Removing it from {preset}"),
            "Δ assets compromised (preset without it − preset)",
            &long,
            &removal,
            RGBColor(0xE1, 0x57, 0x59),
        )?;
        diff_panel(
            &right,
            &format!("It alone, vs {base}"),
            &format!("Δ assets compromised (it alone − {base})"),
            &short,
            &addition,
            RGBColor(0x59, 0xA1, 0x4F),
        )?;
        foot.draw(&Text::new(
            "Bar: mean paired difference in blast radius (assets) · whiskers: 95% CI · \
             grey bar: CI includes 0 (not significant)"
                .to_string(),
            (700, 14),
            font_at(14.0, HPos::Center, VPos::Center).color(&MUTED),
        ))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_stats_use_observed_values_and_tukey_whiskers() {
        let v: Vec<f64> = (1..=8).map(f64::from).chain([100.0]).collect();
        let b = box_stats(&v).unwrap();
        assert_eq!((b.q1, b.median, b.q3), (3.0, 5.0, 7.0));
        assert_eq!((b.whisker_lo, b.whisker_hi), (1.0, 8.0));
        assert_eq!(b.outliers, vec![100.0]);
        assert!(box_stats(&[]).is_none());
    }

    #[test]
    fn tick_labels_have_the_decimals_the_span_needs() {
        assert_eq!(signed(-0.0001, 10.0), "+0.0");
        assert_eq!(signed(-2.5, 10.0), "-2.5");
        assert_eq!(signed(12.0, 40.0), "+12");
        assert_eq!(signed(0.25, 1.0), "+0.25");
    }

    #[test]
    fn survival_steps_hold_each_level_until_the_next_event() {
        let s = steps(&[[0.0, 1.0], [2.0, 0.5], [10.0, 0.5]], 10.0);
        assert_eq!(
            s,
            vec![
                (0.0, 100.0),
                (2.0, 100.0),
                (2.0, 50.0),
                (10.0, 50.0),
                (10.0, 50.0)
            ]
        );
        assert_eq!(steps(&[], 5.0), vec![(0.0, 100.0), (5.0, 100.0)]);
    }
}
