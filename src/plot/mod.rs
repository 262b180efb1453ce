//! Charts of a run, as PNG and SVG: blast-radius distributions, survival curves of the
//! time to crown jewel, containment and detection, the compromised count over time, a map
//! of the estate coloured by how often each asset fell, and (after an ablation) each
//! control's marginal value.
//!
//! Text is drawn with DejaVu Sans, bundled in `assets/fonts/` and registered with plotters
//! at first use, so nothing depends on system font libraries. Every name from a scenario
//! is untrusted: labels are stripped of control characters here and the SVG backend
//! escapes markup. A control set keeps one colour in every chart: [`set_color`] of its
//! position in `summary.control_sets`.
//!
//! ```no_run
//! # fn main() -> ztsim::Result<()> {
//! let data = ztsim::plot::PlotData::load(std::path::Path::new("results"))?;
//! let files = ztsim::plot::plot_all(&data, std::path::Path::new("plots"))?;
//! # Ok(()) }
//! ```

mod calibration;
mod charts;
mod data;
mod estate_map;
mod lines;
mod scaling;

pub use calibration::render_calibration;
pub use data::{PlotData, SetTrials};
pub use estate_map::AGGREGATE_ABOVE;
pub use scaling::{Scaling, ScalingSeries, render_scaling, seconds_label};

use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// DejaVu Sans (Bitstream Vera licence, `assets/fonts/DejaVuSans-LICENSE.txt`), the one
/// embedded copy: other charts in the crate can use it through [`ensure_font`].
pub const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
/// The family name text is drawn and written (in SVG) with; [`ensure_font`] registers
/// [`FONT`] under it.
pub const FAMILY: &str = "sans-serif";

/// One rendered chart.
#[derive(Clone, Debug)]
pub struct Chart {
    /// File stem: `blast_radius`, `time_to_crown_jewel`, ...
    pub name: &'static str,
    /// The chart's title, as drawn.
    pub title: String,
    /// The chart as an SVG document.
    pub svg: String,
    /// PNG bytes, when asked for.
    pub png: Option<Vec<u8>>,
    /// A sentence for the caption about how this drawing was made (e.g. where a time axis
    /// was cut), when there is one.
    pub note: Option<String>,
}

/// Registers the bundled font with plotters under [`FAMILY`], once. Without a registered
/// font plotters cannot lay out text (and the bitmap backend silently draws none).
pub fn ensure_font() -> Result<()> {
    static OK: OnceLock<bool> = OnceLock::new();
    let ok =
        *OK.get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    if ok {
        Ok(())
    } else {
        Err(Error::Catalog(
            "bundled font DejaVuSans.ttf is not a valid font".into(),
        ))
    }
}

/// Every chart, in the order they are drawn and shown.
pub const CHART_NAMES: [&str; 7] = [
    "blast_radius",
    "time_to_crown_jewel",
    "time_to_contain",
    "time_to_detect",
    "compromised_over_time",
    "estate_map",
    "control_marginal_value",
];

/// Draws one chart by name, as SVG and (with `png`) PNG; `None` when the data has nothing
/// for it (`control_marginal_value` without an ablation) or the name is unknown.
pub fn render_chart(data: &PlotData, name: &str, png: bool) -> Result<Option<Chart>> {
    ensure_font()?;
    let survival = |m| render(&charts::Survival::new(data, m), png).map(Some);
    match name {
        "blast_radius" => render(&charts::BlastRadius::new(data), png).map(Some),
        "time_to_crown_jewel" => survival(charts::TimeMetric::CrownJewel),
        "time_to_contain" => survival(charts::TimeMetric::Contain),
        "time_to_detect" => survival(charts::TimeMetric::Detect),
        "compromised_over_time" => render(&charts::Timeline::new(data), png).map(Some),
        "estate_map" => render(&estate_map::EstateMap::new(data), png).map(Some),
        "control_marginal_value" => match charts::Marginal::new(data) {
            Some(m) => render(&m, png).map(Some),
            None => Ok(None),
        },
        _ => Ok(None),
    }
}

/// Draws every chart the data allows (see [`CHART_NAMES`]), as SVG and (with `png`) PNG.
pub fn render_charts(data: &PlotData, png: bool) -> Result<Vec<Chart>> {
    let mut out = Vec::new();
    for name in CHART_NAMES {
        out.extend(render_chart(data, name, png)?);
    }
    Ok(out)
}

/// Writes charts as `NAME.svg` (and `NAME.png` when rendered) into `dir`, atomically.
pub fn write_charts(charts: &[Chart], dir: &Path) -> Result<Vec<PathBuf>> {
    crate::output::ensure_dir(dir)?;
    let mut files = Vec::new();
    for c in charts {
        let p = dir.join(format!("{}.svg", c.name));
        crate::output::write_atomic(&p, c.svg.as_bytes())?;
        files.push(p);
        if let Some(png) = &c.png {
            let p = dir.join(format!("{}.png", c.name));
            crate::output::write_atomic(&p, png)?;
            files.push(p);
        }
    }
    Ok(files)
}

/// Renders every chart and writes each as PNG and SVG into `dir`; returns the files.
pub fn plot_all(data: &PlotData, dir: &Path) -> Result<Vec<PathBuf>> {
    write_charts(&render_charts(data, true)?, dir)
}

// ------------------------------------------------------------------------------------------
// Rendering on both backends.

pub(crate) type DrawResult<DB> =
    std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A chart that can draw itself on any backend.
pub(crate) trait Draw {
    fn name(&self) -> &'static str;
    fn title(&self) -> String;
    fn size(&self) -> (u32, u32);
    /// A sentence for the caption about this drawing ([`Chart::note`]).
    fn note(&self) -> Option<String> {
        None
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB>;
}

fn draw_error(name: &str, e: impl std::fmt::Display) -> Error {
    Error::Write {
        path: PathBuf::from(name),
        cause: std::io::Error::other(format!("drawing the chart failed: {e}")),
    }
}

fn render<C: Draw>(chart: &C, png: bool) -> Result<Chart> {
    let (w, h) = chart.size();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| draw_error(chart.name(), e))?;
        chart.draw(&root).map_err(|e| draw_error(chart.name(), e))?;
        root.present().map_err(|e| draw_error(chart.name(), e))?;
    }
    let png = if png {
        let mut buf = vec![0u8; w as usize * h as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
            root.fill(&WHITE).map_err(|e| draw_error(chart.name(), e))?;
            chart.draw(&root).map_err(|e| draw_error(chart.name(), e))?;
            root.present().map_err(|e| draw_error(chart.name(), e))?;
        }
        Some(encode_png(&buf, w, h).map_err(|e| draw_error(chart.name(), e))?)
    } else {
        None
    };
    Ok(Chart {
        name: chart.name(),
        title: chart.title(),
        svg,
        png,
        note: chart.note(),
    })
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> std::result::Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        // Flat colours on white: a fixed filter and fdeflate compress well enough, and the
        // adaptive filter search would dominate the time to draw in debug builds (x3).
        enc.set_compression(png::Compression::Fast);
        enc.set_filter(png::Filter::Sub);
        let mut wr = enc.write_header()?;
        wr.write_image_data(rgb)?;
        wr.finish()?;
    }
    Ok(out)
}

// ------------------------------------------------------------------------------------------
// Shared style.

/// Tableau 10, then the same ten darker: distinct on white, and for colour-blind readers
/// the first few differ in lightness too.
const PALETTE: [(u8, u8, u8); 10] = [
    (0x4E, 0x79, 0xA7),
    (0xF2, 0x8E, 0x2B),
    (0xE1, 0x57, 0x59),
    (0x76, 0xB7, 0xB2),
    (0x59, 0xA1, 0x4F),
    (0xED, 0xC9, 0x48),
    (0xB0, 0x7A, 0xA1),
    (0xFF, 0x9D, 0xA7),
    (0x9C, 0x75, 0x5F),
    (0xBA, 0xB0, 0xAC),
];

/// The colour of the control set at `index` in `summary.control_sets`, the same in every
/// chart.
pub fn set_color(index: usize) -> RGBColor {
    let (r, g, b) = PALETTE[index % PALETTE.len()];
    if (index / PALETTE.len()).is_multiple_of(2) {
        RGBColor(r, g, b)
    } else {
        let d = |c: u8| (c as f64 * 0.6) as u8;
        RGBColor(d(r), d(g), d(b))
    }
}

pub(crate) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub(crate) const MUTED: RGBColor = RGBColor(0x66, 0x66, 0x66);
pub(crate) const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);

pub(crate) fn font(size: f64) -> TextStyle<'static> {
    TextStyle::from((FAMILY, size).into_font()).color(&INK)
}

pub(crate) fn font_at(size: f64, h: HPos, v: VPos) -> TextStyle<'static> {
    font(size).pos(Pos::new(h, v))
}

/// A name from a scenario made safe and short enough for a chart label: control characters
/// become U+FFFD (they are not valid in SVG), and long names are cut with an ellipsis.
/// Markup is escaped by the SVG backend.
pub fn label(s: &str, max_chars: usize) -> String {
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect();
    if clean.chars().count() <= max_chars {
        clean
    } else {
        let mut t: String = clean.chars().take(max_chars.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Hours as a short duration: `45 min`, `34.4 h`, `8.2 d`.
pub fn hours(x: Option<f64>) -> String {
    match x {
        Some(h) if h < 1.0 => format!("{:.0} min", h * 60.0),
        Some(h) if h < 48.0 => format!("{h:.1} h"),
        Some(h) => format!("{:.1} d", h / 24.0),
        None => "not reached".into(),
    }
}

/// A legend entry: a line in a set's colour, and its text.
pub(crate) enum Swatch {
    Line(RGBColor),
}

/// Draws a legend in its own area (never over data), in `cols` columns.
pub(crate) fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(Swatch, String)],
    cols: usize,
) -> DrawResult<DB> {
    let (w, _) = area.dim_in_pixel();
    let cols = cols.max(1);
    let col_w = (w as i32 - 20) / cols as i32;
    for (i, (sw, text)) in entries.iter().enumerate() {
        let x = 20 + (i % cols) as i32 * col_w;
        let y = 12 + (i / cols) as i32 * 24;
        let Swatch::Line(c) = sw;
        area.draw(&PathElement::new(
            vec![(x, y), (x + 28, y)],
            c.stroke_width(4),
        ))?;
        area.draw(&Text::new(
            text.clone(),
            (x + 36, y),
            font_at(15.0, HPos::Left, VPos::Center),
        ))?;
    }
    Ok(())
}

/// Draws a title (and an optional subtitle) at the top of `area`; returns the rest.
pub(crate) fn titled<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
) -> std::result::Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    let (w, _) = area.dim_in_pixel();
    area.draw(&Text::new(
        title.to_string(),
        (w as i32 / 2, 14),
        font_at(26.0, HPos::Center, VPos::Top),
    ))?;
    if !subtitle.is_empty() {
        area.draw(&Text::new(
            subtitle.to_string(),
            (w as i32 / 2, 48),
            font_at(15.0, HPos::Center, VPos::Top).color(&MUTED),
        ))?;
    }
    Ok(area
        .split_vertically(if subtitle.is_empty() { 50 } else { 76 })
        .1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_clean_and_short() {
        assert_eq!(label("a\u{1b}[31mb", 20), "a\u{FFFD}[31mb");
        assert_eq!(label("abcdefghij", 5), "abcd…");
        assert_eq!(label("<b>", 5), "<b>");
    }

    #[test]
    fn palette_is_stable_and_distinct() {
        assert_eq!(set_color(0), RGBColor(0x4E, 0x79, 0xA7));
        assert_ne!(set_color(0), set_color(10));
        assert_eq!(set_color(3), set_color(3));
    }
}
