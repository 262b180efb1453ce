//! The tornado chart of a sensitivity analysis, as SVG and PNG: one row per parameter (the
//! most influential at the top), a bar from the baseline to the result with the parameter
//! at its low value and one to the result at its high value, with the paired 95 % interval
//! of each difference as a whisker; mean blast radius on the left, P(crown jewel) on the
//! right.
//!
//! Drawn with plotters without system fonts, with the helpers of [`crate::plot`]: its
//! bundled DejaVu Sans ([`crate::plot::ensure_font`]), its text styles and its palette (low
//! and high take the first two colours of [`crate::plot::set_color`]).

use super::sensitivity::{ParamResult, SensitivityReport};
use crate::error::{Error, Result};
use crate::plot::{GRID, INK, MUTED, ensure_font, font, font_at, label, set_color};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use std::path::{Path, PathBuf};

const WIDTH: u32 = 1600;

fn clean(s: &str, max: usize) -> String {
    label(s, max)
}

fn short(x: f64) -> String {
    super::tidy::num((x * 1000.0).round() / 1000.0)
}

/// A rendered chart.
pub struct Tornado {
    /// The chart as an SVG document.
    pub svg: String,
    /// The chart as PNG bytes.
    pub png: Vec<u8>,
}

type DrawResult<DB> =
    std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw_error(e: impl std::fmt::Display) -> Error {
    Error::Write {
        path: PathBuf::from("tornado"),
        cause: std::io::Error::other(format!("drawing the tornado chart failed: {e}")),
    }
}

/// Renders the first `top` parameters (0: all).
pub fn render(r: &SensitivityReport, top: usize) -> Result<Tornado> {
    ensure_font()?;
    let n = if top == 0 {
        r.parameters.len()
    } else {
        top.min(r.parameters.len())
    };
    let rows: Vec<&ParamResult> = r.parameters.iter().take(n).collect();
    let h = 200 + 34 * rows.len().max(1) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, h)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        draw(&root, r, &rows).map_err(draw_error)?;
        root.present().map_err(draw_error)?;
    }
    let mut buf = vec![0u8; WIDTH as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (WIDTH, h)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        draw(&root, r, &rows).map_err(draw_error)?;
        root.present().map_err(draw_error)?;
    }
    let png = encode_png(&buf, WIDTH, h).map_err(draw_error)?;
    Ok(Tornado { svg, png })
}

/// Writes `tornado.svg` and `tornado.png` into `dir`, atomically.
pub fn write(r: &SensitivityReport, top: usize, dir: &Path) -> Result<Vec<PathBuf>> {
    let t = render(r, top)?;
    crate::output::ensure_dir(dir)?;
    let svg = dir.join("tornado.svg");
    let png = dir.join("tornado.png");
    crate::output::write_atomic(&svg, t.svg.as_bytes())?;
    crate::output::write_atomic(&png, &t.png)?;
    Ok(vec![png, svg])
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> std::result::Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Balanced);
        let mut wr = enc.write_header()?;
        wr.write_image_data(rgb)?;
        wr.finish()?;
    }
    Ok(out)
}

/// One panel's numbers per row: (baseline, at low, at high, CI of low diff, CI of high diff).
struct Metric {
    caption: &'static str,
    x_desc: &'static str,
    base: f64,
    rows: Vec<(f64, f64, [f64; 2], [f64; 2])>,
    unit_interval: bool,
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    r: &SensitivityReport,
    rows: &[&ParamResult],
) -> DrawResult<DB> {
    let (w, h) = root.dim_in_pixel();
    root.draw(&Text::new(
        format!(
            "Sensitivity to assumed parameters: {} under `{}`",
            clean(&r.scenario, 50),
            clean(&r.controls, 40)
        ),
        (w as i32 / 2, 14),
        font_at(26.0, HPos::Center, VPos::Top),
    ))?;
    root.draw(&Text::new(
        format!(
            "each parameter moved ±{:.0} % (clamped to its valid range), one at a time, on common random numbers · {} trials per variant · attacker {} · ranked by the swing in mean blast radius",
            r.range * 100.0,
            r.trials,
            clean(&r.profile, 20)
        ),
        (w as i32 / 2, 50),
        font_at(15.0, HPos::Center, VPos::Top).color(&MUTED),
    ))?;
    let body = root.split_vertically(80).1;
    let (body, foot) = body.split_vertically(h - 80 - 50);
    if rows.is_empty() {
        body.draw(&Text::new(
            "no assumed parameter could be varied".to_string(),
            (w as i32 / 2, 40),
            font_at(18.0, HPos::Center, VPos::Center),
        ))?;
        return Ok(());
    }
    let labels: Vec<String> = rows
        .iter()
        .map(|p| {
            let name = if p.label.is_empty() {
                &p.name
            } else {
                &p.label
            };
            format!("{} ({})", clean(name, 64), short(p.base))
        })
        .collect();
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(10);
    let label_w = ((longest as f64 * 8.6) as u32 + 30).clamp(140, 640);
    let plot_w = (w - label_w) / 2;
    let (left, right) = body.split_horizontally(label_w + plot_w);
    let blast = Metric {
        caption: "Mean blast radius",
        x_desc: "assets compromised per trial (mean)",
        base: r.baseline.blast_radius,
        rows: rows
            .iter()
            .map(|p| {
                (
                    p.at_low.blast_radius,
                    p.at_high.blast_radius,
                    p.blast_radius_low_diff.ci95,
                    p.blast_radius_high_diff.ci95,
                )
            })
            .collect(),
        unit_interval: false,
    };
    let cj = Metric {
        caption: "P(crown jewel)",
        x_desc: "share of trials reaching a crown jewel",
        base: r.baseline.p_crown_jewel,
        rows: rows
            .iter()
            .map(|p| {
                (
                    p.at_low.p_crown_jewel,
                    p.at_high.p_crown_jewel,
                    p.p_crown_jewel_low_diff.ci95,
                    p.p_crown_jewel_high_diff.ci95,
                )
            })
            .collect(),
        unit_interval: true,
    };
    panel(&left, &blast, &labels, label_w)?;
    panel(&right, &cj, &[], 20)?;
    // Legend.
    let y = 22;
    let mut x = w as i32 / 2 - 330;
    for (c, text) in [
        (
            set_color(0),
            format!("parameter at −{:.0} % (low)", r.range * 100.0),
        ),
        (
            set_color(1),
            format!("parameter at +{:.0} % (high)", r.range * 100.0),
        ),
    ] {
        foot.draw(&Rectangle::new([(x, y - 8), (x + 26, y + 8)], c.filled()))?;
        foot.draw(&Text::new(
            text,
            (x + 34, y),
            font_at(15.0, HPos::Left, VPos::Center),
        ))?;
        x += 250;
    }
    foot.draw(&PathElement::new(
        vec![(x, y - 10), (x, y + 10)],
        INK.stroke_width(2),
    ))?;
    foot.draw(&Text::new(
        "baseline · whiskers: paired 95 % CI".to_string(),
        (x + 10, y),
        font_at(15.0, HPos::Left, VPos::Center),
    ))?;
    Ok(())
}

fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    m: &Metric,
    labels: &[String],
    label_w: u32,
) -> DrawResult<DB> {
    let n = m.rows.len();
    let mut lo = m.base;
    let mut hi = m.base;
    for (a, b, ca, cb) in &m.rows {
        for v in [
            *a,
            *b,
            m.base + ca[0],
            m.base + ca[1],
            m.base + cb[0],
            m.base + cb[1],
        ] {
            if v.is_finite() {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
    }
    let pad = ((hi - lo) * 0.06).max(if m.unit_interval { 0.01 } else { 0.05 });
    let (mut lo, mut hi) = (lo - pad, hi + pad);
    if m.unit_interval {
        lo = lo.max(0.0);
        hi = hi.min(1.0);
    } else {
        lo = lo.max(0.0);
    }
    if hi <= lo {
        hi = lo + 1.0;
    }
    let caption = format!("{} (baseline {})", m.caption, short(m.base));
    let mut chart = ChartBuilder::on(area)
        .caption(caption, font(20.0))
        .margin(10)
        .margin_right(30)
        .x_label_area_size(56)
        .y_label_area_size(label_w)
        .build_cartesian_2d(lo..hi, -0.5..n as f64 - 0.5)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(GRID)
        .x_desc(m.x_desc)
        .axis_desc_style(font(16.0))
        .label_style(font(14.0))
        .x_label_formatter(&|v| {
            if m.unit_interval {
                format!("{v:.2}")
            } else {
                format!("{v:.1}")
            }
        })
        .draw()?;
    // Row labels, right-aligned against the axis (in the label area).
    chart.draw_series(labels.iter().enumerate().map(|(k, l)| {
        EmptyElement::at((lo, (n - 1 - k) as f64))
            + Text::new(
                l.clone(),
                (-10, 0),
                font_at(14.0, HPos::Right, VPos::Center),
            )
    }))?;
    for (k, (a, b, ca, cb)) in m.rows.iter().enumerate() {
        let y = (n - 1 - k) as f64;
        let t = 0.36;
        chart.draw_series([
            Rectangle::new([(m.base, y + 0.02), (*a, y + t)], set_color(0).filled()),
            Rectangle::new([(m.base, y - t), (*b, y - 0.02)], set_color(1).filled()),
        ])?;
        for (ci, yy) in [(ca, y + t / 2.0), (cb, y - t / 2.0)] {
            let (x0, x1) = (
                (m.base + ci[0]).clamp(lo, hi),
                (m.base + ci[1]).clamp(lo, hi),
            );
            chart.draw_series([
                PathElement::new(vec![(x0, yy), (x1, yy)], INK.stroke_width(1)),
                PathElement::new(vec![(x0, yy - 0.08), (x0, yy + 0.08)], INK.stroke_width(1)),
                PathElement::new(vec![(x1, yy - 0.08), (x1, yy + 0.08)], INK.stroke_width(1)),
            ])?;
        }
    }
    chart.draw_series([PathElement::new(
        vec![(m.base, -0.5), (m.base, n as f64 - 0.5)],
        INK.stroke_width(2),
    )])?;
    Ok(())
}
