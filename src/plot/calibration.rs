//! `ztsim calibrate --plot`: published figures against ztsim's values. Times on a log axis
//! (one row per figure: the band shaded, the published value a black diamond, ztsim's value
//! a dot with its 95% interval, coloured by verdict); shares and reductions in a panel of
//! their own on a 0-100 % axis.

use super::{Draw, DrawResult, GRID, INK, MUTED, font, font_at, label};
use crate::calibrate::{Report, Row, Verdict};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

const IN_BAND: RGBColor = RGBColor(0x2E, 0x8B, 0x57);
const UNDECIDED: RGBColor = RGBColor(0xE0, 0x8E, 0x0B);
const OUT: RGBColor = RGBColor(0xC0, 0x39, 0x2B);
const BAND: RGBColor = RGBColor(0xCF, 0xE3, 0xF3);
const DOCUMENTED: RGBColor = RGBColor(0x88, 0x88, 0x88);

/// The calibration chart of a report.
pub struct CalibrationChart<'a> {
    report: &'a Report,
}

fn color(v: Verdict) -> RGBColor {
    match v {
        Verdict::InBand => IN_BAND,
        Verdict::Undecided => UNDECIDED,
        Verdict::OutOfBand => OUT,
    }
}

fn time_label(h: f64) -> String {
    if h < 1.0 {
        format!("{:.0} min", h * 60.0)
    } else if h < 24.0 {
        format!("{h:.0} h")
    } else if !(168.0..=600.0).contains(&h) {
        format!("{:.0} d", h / 24.0)
    } else {
        format!("{:.0} wk", h / 168.0)
    }
}

fn row_label(r: &Row) -> String {
    let q = r.figure.quantile();
    let stat = if r.figure.run.metric.is_time() && (q - 0.5).abs() > 1e-9 {
        format!(" (p{:.0})", q * 100.0)
    } else {
        String::new()
    };
    label(&format!("{}{stat}", r.figure.figure), 46)
}

impl CalibrationChart<'_> {
    fn times(&self) -> Vec<&Row> {
        self.report
            .rows
            .iter()
            .filter(|r| r.figure.run.metric.is_time())
            .collect()
    }
    fn shares(&self) -> Vec<&Row> {
        self.report
            .rows
            .iter()
            .filter(|r| !r.figure.run.metric.is_time())
            .collect()
    }
}

/// Draws rows on an x axis (log for times); `x` maps a value to the axis.
fn panel<DB: DrawingBackend, X>(
    area: &DrawingArea<DB, Shift>,
    rows: &[&Row],
    x_range: X,
    x_desc: &str,
    fmt: &dyn Fn(&f64) -> String,
    clamp: (f64, f64),
) -> DrawResult<DB>
where
    X: plotters::coord::ranged1d::AsRangedCoord<Value = f64>,
    X::CoordDescType: plotters::coord::ranged1d::ValueFormatter<f64>,
{
    let n = rows.len();
    let labels: Vec<String> = rows.iter().map(|r| row_label(r)).collect();
    let mut chart = ChartBuilder::on(area)
        .margin_left(10)
        .margin_right(30)
        .margin_top(10)
        .x_label_area_size(48)
        .y_label_area_size(360)
        .build_cartesian_2d(x_range, -0.5f64..(n as f64 - 0.5))?;
    chart
        .configure_mesh()
        .light_line_style(GRID.mix(0.4))
        .bold_line_style(GRID)
        .axis_style(INK)
        .x_desc(x_desc)
        .label_style(font(14.0))
        .axis_desc_style(font(15.0))
        .x_label_formatter(fmt)
        .y_labels(n.max(1) * 2 + 1)
        .y_label_formatter(&|y| {
            let i = y.round();
            if (y - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
                labels[n - 1 - i as usize].clone()
            } else {
                String::new()
            }
        })
        .disable_y_mesh()
        .draw()?;
    let c = |v: f64| v.clamp(clamp.0, clamp.1);
    for (k, r) in rows.iter().enumerate() {
        let y = (n - 1 - k) as f64;
        let [lo, hi] = r.band;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(c(lo), y - 0.32), (c(hi), y + 0.32)],
            BAND.filled(),
        )))?;
        let col = if r.figure.expect == crate::calibrate::file::Expect::OutOfBand {
            DOCUMENTED
        } else {
            color(r.verdict)
        };
        let m = &r.ztsim;
        let v = m.value.unwrap_or(clamp.1);
        let ci_lo = m.ci95[0].unwrap_or(v);
        let ci_hi = m.ci95[1].unwrap_or(clamp.1);
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(c(ci_lo), y - 0.12), (c(ci_hi), y - 0.12)],
            col.stroke_width(3),
        )))?;
        for e in [ci_lo, ci_hi] {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(c(e), y - 0.22), (c(e), y - 0.02)],
                col.stroke_width(2),
            )))?;
        }
        chart.draw_series(std::iter::once(Circle::new(
            (c(v), y - 0.12),
            7,
            col.filled(),
        )))?;
        let p = r.figure.published.value;
        chart.draw_series(std::iter::once(
            EmptyElement::at((c(p), y + 0.14))
                + Polygon::new(vec![(0, -8), (8, 0), (0, 8), (-8, 0)], INK.filled()),
        ))?;
    }
    Ok(())
}

impl Draw for CalibrationChart<'_> {
    fn name(&self) -> &'static str {
        "calibration"
    }

    fn title(&self) -> String {
        "ztsim calibrated against published incident-response figures".into()
    }

    fn size(&self) -> (u32, u32) {
        let rows = self.report.rows.len() as u32;
        (1200, 190 + rows * 62 + 120)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let (w, _) = root.dim_in_pixel();
        let (top, rest) = root.split_vertically(96);
        top.draw(&Text::new(self.title(), (30, 12), font(26.0)))?;
        let sub = format!(
            "band shaded; \u{25c6} published; \u{25cf} ztsim with 95% CI: green within band, orange undecided, red out of band, grey out by design; {}",
            label(&self.report.file, 40)
        );
        top.draw(&Text::new(sub, (30, 48), font(14.0).color(&MUTED)))?;
        let trials: Vec<u32> = self.report.rows.iter().map(|r| r.trials).collect();
        let (tmin, tmax) = (
            trials.iter().min().copied().unwrap_or(0),
            trials.iter().max().copied().unwrap_or(0),
        );
        top.draw(&Text::new(
            format!(
                "{} figures, {} trials each; ztsim {}",
                self.report.rows.len(),
                if tmin == tmax {
                    tmin.to_string()
                } else {
                    format!("{tmin}-{tmax}")
                },
                self.report.ztsim_version
            ),
            (30, 70),
            font(14.0).color(&MUTED),
        ))?;
        let times = self.times();
        let shares = self.shares();
        let (h, _) = (rest.dim_in_pixel().1, w);
        let share_h = if shares.is_empty() {
            0
        } else {
            70 + shares.len() as u32 * 62
        };
        let (ta, sa) = rest.split_vertically(h.saturating_sub(share_h));
        if !times.is_empty() {
            let mut lo = f64::MAX;
            let mut hi = f64::MIN;
            for r in &times {
                for x in [
                    Some(r.band[0]),
                    Some(r.band[1]),
                    Some(r.figure.published.value),
                    r.ztsim.value,
                    r.ztsim.ci95[0],
                    r.ztsim.ci95[1],
                ]
                .into_iter()
                .flatten()
                .filter(|x| *x > 0.0)
                {
                    lo = lo.min(x);
                    hi = hi.max(x);
                }
            }
            let horizon = times.iter().map(|r| r.horizon_hours).fold(0.0, f64::max);
            let lo = (lo / 2.0).max(1.0 / 60.0);
            let hi = (hi * 1.5).max(horizon.min(hi * 1.5)).max(lo * 10.0);
            let ticks: Vec<f64> = [
                1.0 / 6.0,
                0.5,
                1.0,
                4.0,
                12.0,
                24.0,
                72.0,
                168.0,
                336.0,
                720.0,
            ]
            .into_iter()
            .filter(|t| *t >= lo && *t <= hi)
            .collect();
            panel(
                &ta,
                &times,
                (lo..hi).log_scale().with_key_points(ticks),
                "time after the intrusion began (log scale; each figure's origin is in its row of ztsim calibrate)",
                &|x| time_label(*x),
                (lo, hi),
            )?;
        }
        if !shares.is_empty() {
            panel(
                &sa,
                &shares,
                0.0f64..1.0,
                "share",
                &|x| format!("{:.0}%", x * 100.0),
                (0.0, 1.0),
            )?;
        }
        if times.is_empty() && shares.is_empty() {
            rest.draw(&Text::new(
                "no figures".to_string(),
                (w as i32 / 2, 40),
                font_at(16.0, HPos::Center, VPos::Top),
            ))?;
        }
        Ok(())
    }
}

/// Renders the calibration chart as SVG and PNG.
pub fn render_calibration(report: &Report) -> crate::Result<super::Chart> {
    super::ensure_font()?;
    super::render(&CalibrationChart { report }, true)
}
