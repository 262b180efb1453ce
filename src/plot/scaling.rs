//! How cost grows with estate size, on log-log axes: one line per measured operation
//! (seconds per operation against the number of assets). Drawn for BENCHMARKS.md from
//! criterion's results by `cargo run --release --example scaling_plot`.

use super::{Draw, DrawResult, GRID, INK, MUTED, font, set_color};
use plotters::coord::Shift;
use plotters::prelude::*;

/// One measured operation: `(assets, seconds per operation)` points.
#[derive(Clone, Debug)]
pub struct ScalingSeries {
    /// Operation name, shown in the legend.
    pub name: String,
    /// Measurements as `(assets, seconds per operation)`.
    pub points: Vec<(f64, f64)>,
}

/// The log-log chart of several [`ScalingSeries`].
pub struct Scaling {
    /// Chart title.
    pub title: String,
    /// Line under the title: what was measured, and how.
    pub subtitle: String,
    /// One line per operation.
    pub series: Vec<ScalingSeries>,
}

/// Powers of ten around `[lo, hi]`, for log axes that start and end on a decade.
fn decades(lo: f64, hi: f64) -> (f64, f64) {
    (
        10f64.powf(lo.log10().floor()),
        10f64.powf(hi.log10().ceil()),
    )
}

/// `1.2 µs`, `35 ms`, `4 s`: seconds in the unit that reads best.
pub fn seconds_label(s: f64) -> String {
    let (v, unit) = if s >= 1.0 {
        (s, "s")
    } else if s >= 1e-3 {
        (s * 1e3, "ms")
    } else if s >= 1e-6 {
        (s * 1e6, "µs")
    } else {
        (s * 1e9, "ns")
    };
    if v >= 10.0 || (v - v.round()).abs() < 1e-9 {
        format!("{v:.0} {unit}")
    } else {
        format!("{v:.1} {unit}")
    }
}

fn assets_label(n: f64) -> String {
    if n >= 1e6 {
        format!("{}M", n / 1e6)
    } else if n >= 1e3 {
        format!("{}k", n / 1e3)
    } else {
        format!("{n}")
    }
}

impl Draw for Scaling {
    fn name(&self) -> &'static str {
        "scaling"
    }

    fn title(&self) -> String {
        self.title.clone()
    }

    fn size(&self) -> (u32, u32) {
        (1200, 760)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let pts = self.series.iter().flat_map(|s| s.points.iter());
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for &(x, y) in pts.filter(|(x, y)| *x > 0.0 && *y > 0.0) {
            (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
        }
        if x0 > x1 {
            (x0, x1, y0, y1) = (1e3, 1e6, 1e-6, 1.0);
        }
        let (x0, x1) = decades(x0, x1);
        let (y0, y1) = decades(y0, y1);
        let (top, rest) = root.split_vertically(70);
        top.draw(&Text::new(self.title.clone(), (30, 12), font(26.0)))?;
        top.draw(&Text::new(
            self.subtitle.clone(),
            (30, 46),
            font(15.0).color(&MUTED),
        ))?;
        let mut chart = ChartBuilder::on(&rest)
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(90)
            .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())?;
        chart
            .configure_mesh()
            .light_line_style(GRID.mix(0.4))
            .bold_line_style(GRID)
            .axis_style(INK)
            .x_desc("assets in the estate (log scale)")
            .y_desc("time per operation (log scale)")
            .label_style(font(14.0))
            .axis_desc_style(font(16.0))
            .x_label_formatter(&|x| assets_label(*x))
            .y_label_formatter(&|y| seconds_label(*y))
            .draw()?;
        for (i, s) in self.series.iter().enumerate() {
            let color = set_color(i);
            let pts: Vec<(f64, f64)> = s
                .points
                .iter()
                .copied()
                .filter(|(x, y)| *x > 0.0 && *y > 0.0)
                .collect();
            chart
                .draw_series(LineSeries::new(pts.clone(), color.stroke_width(3)))?
                .label(s.name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
                });
            chart.draw_series(pts.iter().map(|&p| Circle::new(p, 5, color.filled())))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(GRID)
            .label_font(font(15.0))
            .draw()?;
        Ok(())
    }
}

/// Renders the chart as SVG and PNG.
pub fn render_scaling(chart: &Scaling) -> crate::Result<super::Chart> {
    super::ensure_font()?;
    super::render(chart, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_read_as_people_write_them() {
        assert_eq!(seconds_label(35.0), "35 s");
        assert_eq!(seconds_label(0.0042), "4.2 ms");
        assert_eq!(seconds_label(98e-6), "98 µs");
        assert_eq!(seconds_label(4.7e-9), "4.7 ns");
        assert_eq!(assets_label(1e6), "1M");
        assert_eq!(assets_label(10_000.0), "10k");
        assert_eq!(decades(29.0, 35_000.0), (10.0, 100_000.0));
    }

    #[test]
    fn draws_a_log_log_chart_with_every_series() {
        let chart = Scaling {
            title: "t".into(),
            subtitle: "s".into(),
            series: vec![
                ScalingSeries {
                    name: "load and compile".into(),
                    points: vec![(1e3, 0.03), (1e4, 0.3), (1e5, 3.3)],
                },
                ScalingSeries {
                    name: "trial stuck at entry".into(),
                    points: vec![(1e3, 2e-6), (1e4, 2e-6)],
                },
            ],
        };
        let c = render_scaling(&chart).unwrap();
        assert!(c.svg.contains("load and compile"));
        assert!(c.svg.contains("trial stuck at entry"));
        assert!(c.png.is_some_and(|p| p.starts_with(b"\x89PNG")));
    }
}
