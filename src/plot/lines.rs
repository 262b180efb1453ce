//! What the line charts over time share: where the action ends (the time axis stops there,
//! not at a horizon far beyond), which control sets draw the very same line (drawn dashed
//! and labelled "identical to ..."), and labels at the lines' ends, set apart so that close
//! lines keep readable labels.

use super::{DrawResult, font_at, label, set_color};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

/// A curve counts as settled once it stays within this share of the y range of its final
/// value (1%: a percentage point on a 0–100% axis, under a pixel and a half of a chart).
pub(crate) const SETTLED: f64 = 0.01;

/// The first time after which no curve moves by more than `tolerance` from its final value:
/// for each curve of `(t, y)` points in time order, the time of the point that follows its
/// last point further than that from its last value (the curve is still moving until
/// then). 0 when every curve is flat.
pub(crate) fn settle_time<'a>(
    curves: impl IntoIterator<Item = &'a [(f64, f64)]>,
    tolerance: f64,
) -> f64 {
    curves
        .into_iter()
        .filter_map(|c| {
            let end = c.last()?.1;
            let far = c.iter().rposition(|p| (p.1 - end).abs() > tolerance)?;
            c.get(far + 1).or(c.get(far)).map(|p| p.0)
        })
        .fold(0.0, f64::max)
}

/// Where the time axis stops: 10% past the time the curves settle, rounded up to a round
/// number of hours (a multiple of 1, 2 or 5 times a power of ten), and never past the
/// horizon; the whole horizon when nothing ever moves. Returns the axis end and whether it
/// cuts the horizon short.
pub(crate) fn axis_end(settle: f64, horizon: f64) -> (f64, bool) {
    if settle <= 0.0 {
        return (horizon, false);
    }
    let want = settle * 1.1;
    let step = 10f64.powf(want.log10().floor() - 1.0).max(1e-9);
    let nice = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| (want / (m * step)).ceil() * m * step)
        .fold(f64::INFINITY, f64::min);
    if nice < horizon * 0.9 {
        (nice, true)
    } else {
        (horizon, false)
    }
}

/// For each series, the index of an earlier series with exactly the same values, if any.
pub(crate) fn identical_to<T: PartialEq>(series: &[T]) -> Vec<Option<usize>> {
    (0..series.len())
        .map(|k| (0..k).find(|&j| series[j] == series[k]))
        .collect()
}

/// Vertical positions (pixels) for labels wanted at `ys`, at least `gap` apart and inside
/// `[top, bottom]`, each as close to where it is wanted as that allows; same order as `ys`.
pub(crate) fn spread(ys: &[i32], gap: i32, top: i32, bottom: i32) -> Vec<i32> {
    let mut order: Vec<usize> = (0..ys.len()).collect();
    order.sort_by_key(|&k| (ys[k], k));
    let mut placed: Vec<i32> = order.iter().map(|&k| ys[k].clamp(top, bottom)).collect();
    for i in 1..placed.len() {
        placed[i] = placed[i].max(placed[i - 1] + gap);
    }
    // Pushed past the bottom: shift the run back up, keeping the gaps.
    if let Some(&last) = placed.last()
        && last > bottom
    {
        let over = last - bottom;
        for p in &mut placed {
            *p -= over;
        }
        for i in 0..placed.len() {
            let floor = if i == 0 { top } else { placed[i - 1] + gap };
            placed[i] = placed[i].max(floor);
        }
    }
    let mut out = vec![0; ys.len()];
    for (i, &k) in order.iter().enumerate() {
        out[k] = placed[i];
    }
    out
}

/// One label at a line's end: the set's index (its colour), its text, and where the line
/// ends, in pixels of the drawing `root`.
pub(crate) struct EndLabel {
    pub set: usize,
    pub text: String,
    pub at: (i32, i32),
}

/// Draws the labels right of the lines' ends, spread apart, each with a short leader line
/// from the end of its line when it had to move.
pub(crate) fn draw_end_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    labels: &[EndLabel],
    top: i32,
    bottom: i32,
) -> DrawResult<DB> {
    let ys: Vec<i32> = labels.iter().map(|l| l.at.1).collect();
    let placed = spread(&ys, 19, top, bottom);
    for (l, &y) in labels.iter().zip(&placed) {
        let c = set_color(l.set);
        let x = l.at.0 + 14;
        root.draw(&PathElement::new(
            vec![(l.at.0 + 2, l.at.1), (x - 3, y)],
            c.stroke_width(1),
        ))?;
        root.draw(&Text::new(
            label(&l.text, 34),
            (x, y),
            font_at(15.0, HPos::Left, VPos::Center).color(&c),
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curves_settle_when_they_stop_moving() {
        let a = [(0.0, 100.0), (10.0, 50.0), (120.0, 10.0), (700.0, 10.0)];
        let b = [(0.0, 100.0), (100.0, 20.0), (650.0, 20.2)];
        assert_eq!(settle_time([&a[..], &b[..]], 0.5), 120.0);
        assert_eq!(settle_time([&a[..]], 100.0), 0.0);
    }

    #[test]
    fn the_axis_ends_at_a_round_time_after_the_action() {
        assert_eq!(axis_end(180.0, 720.0), (200.0, true));
        assert_eq!(axis_end(700.0, 720.0), (720.0, false));
        assert_eq!(axis_end(0.0, 720.0), (720.0, false));
        assert_eq!(axis_end(33.0, 48.0), (37.0, true));
        assert_eq!(axis_end(45.0, 48.0), (48.0, false));
    }

    #[test]
    fn identical_series_point_to_the_first() {
        assert_eq!(
            identical_to(&[1, 2, 1, 1, 3]),
            vec![None, None, Some(0), Some(0), None]
        );
    }

    #[test]
    fn labels_keep_their_gap_and_stay_inside() {
        assert_eq!(spread(&[100, 100, 100], 20, 0, 500), vec![100, 120, 140]);
        assert_eq!(spread(&[490, 495], 20, 0, 500), vec![480, 500]);
        assert_eq!(spread(&[300, 10], 20, 0, 500), vec![300, 10]);
    }
}
