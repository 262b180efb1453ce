//! Tables for the terminal that fit its width. A metric-by-set table whose sets do not fit
//! is split into panels of sets that do, each repeating the metric column (as R and pandas
//! print wide frames). The width is the terminal's, else `COLUMNS`, else 100 (the CLI sets
//! it once); `--plain` prints tab-separated rows for `cut` and `grep` instead of boxes.

use comfy_table::{Cell, CellAlignment, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};

/// Width assumed when the terminal reports none and `COLUMNS` is unset (CI, pipes, `script`).
pub const FALLBACK_WIDTH: u16 = 100;

static PLAIN: AtomicBool = AtomicBool::new(false);
static WIDTH: AtomicU16 = AtomicU16::new(0);

/// Tables are printed as tab-separated rows instead of boxes (the CLI's `--plain`).
pub fn set_plain(plain: bool) {
    PLAIN.store(plain, Ordering::Relaxed);
}

/// Whether tables are printed as tab-separated rows.
pub fn plain() -> bool {
    PLAIN.load(Ordering::Relaxed)
}

/// Fixes the width tables fit (the CLI passes the terminal's, `COLUMNS` or the fallback;
/// 0 restores the default, [`FALLBACK_WIDTH`]).
pub fn set_width(columns: u16) {
    WIDTH.store(columns, Ordering::Relaxed);
}

/// The width tables fit: what [`set_width`] fixed, else [`FALLBACK_WIDTH`].
pub fn width() -> u16 {
    match WIDTH.load(Ordering::Relaxed) {
        0 => FALLBACK_WIDTH,
        w => w,
    }
}

/// A boxed table that wraps its cells to fit [`width`].
/// In plain mode: no borders and no wrapping.
pub fn table() -> Table {
    if plain() {
        let mut t = Table::new();
        t.load_preset(comfy_table::presets::NOTHING);
        return t;
    }
    table_at(width())
}

fn table_at(width: u16) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    t
}

/// A table with a label column (`corner` heads it) and one column per name in `columns`,
/// with `rows` of (label, one cell per column). Fits [`width`]: columns that do not fit
/// go to further panels, each repeating the label column. Plain mode: tab-separated rows.
pub fn grid(corner: &str, columns: &[String], rows: &[(String, Vec<String>)]) -> String {
    if plain() {
        return plain_rows(corner, columns, rows);
    }
    boxed_grid(width(), corner, columns, rows)
}

fn boxed_grid(
    width: u16,
    corner: &str,
    columns: &[String],
    rows: &[(String, Vec<String>)],
) -> String {
    let label_w = rows
        .iter()
        .map(|(l, _)| text_width(l))
        .chain([text_width(corner)])
        .max()
        .unwrap_or(0);
    // Long text wraps within its cell, so it asks for at most WRAP_AT columns.
    let col_w: Vec<usize> = (0..columns.len())
        .map(|j| {
            rows.iter()
                .map(|(_, cells)| cells.get(j).map_or(0, |c| text_width(c)))
                .chain([text_width(&columns[j])])
                .max()
                .unwrap_or(0)
                .min(WRAP_AT)
        })
        .collect();
    let mut out = String::new();
    for (k, panel) in panels(label_w, &col_w, width as usize).iter().enumerate() {
        if k > 0 {
            out.push('\n');
        }
        let mut t = table_at(width);
        let mut header = vec![Cell::new(corner)];
        header.extend(panel.clone().map(|j| Cell::new(&columns[j])));
        t.set_header(header);
        for (label, cells) in rows {
            let mut row = vec![Cell::new(label)];
            row.extend(panel.clone().map(|j| {
                let text = cells.get(j).map_or("", |c| c.as_str());
                Cell::new(text).set_alignment(align(text))
            }));
            t.add_row(row);
        }
        keep_words(&mut t);
        out.push_str(&t.to_string());
        out.push('\n');
    }
    out
}

/// Splits columns into consecutive ranges whose boxed width (with the label column) fits
/// `width`; every range holds at least one column.
fn panels(label_w: usize, col_w: &[usize], width: usize) -> Vec<std::ops::Range<usize>> {
    // A cell costs its text plus a space either side and one border.
    let cost = |w: usize| w + 3;
    let mut out = Vec::new();
    let mut start = 0;
    let mut used = 1 + cost(label_w);
    for (j, &w) in col_w.iter().enumerate() {
        if j > start && used + cost(w) > width {
            out.push(start..j);
            start = j;
            used = 1 + cost(label_w);
        }
        used += cost(w);
    }
    if start < col_w.len() || out.is_empty() {
        out.push(start..col_w.len());
    }
    out
}

/// Keeps words whole when a table wraps to the width: each column is at least as wide as
/// its longest word (up to 28 characters), so identifiers such as `initial.exploit-public` wrap
/// between words, never inside one; a table whose words cannot fit side by side is drawn
/// wider than the width rather than broken. Call after the rows are in.
pub fn keep_words(t: &mut Table) {
    let n = t.column_count();
    let mut longest = vec![0usize; n];
    let rows = t.header().into_iter().chain(t.row_iter());
    for row in rows {
        for (j, cell) in row.cell_iter().enumerate().take(n) {
            let w = cell
                .content()
                .split_whitespace()
                .map(|w| w.chars().count())
                .max()
                .unwrap_or(0);
            longest[j] = longest[j].max(w.min(WRAP_AT));
        }
    }
    // Words that cannot fit the width side by side widen the table rather than break.
    let needed = longest.iter().map(|w| w + 3).sum::<usize>() + 1;
    if t.width().is_some_and(|w| (w as usize) < needed) {
        t.set_width(needed.min(u16::MAX as usize) as u16);
    }
    for (j, w) in longest.into_iter().enumerate() {
        if let Some(c) = t.column_mut(j) {
            // comfy-table's widths include the padding, a space either side.
            c.set_constraint(comfy_table::ColumnConstraint::LowerBoundary(
                comfy_table::Width::Fixed(w as u16 + 2),
            ));
        }
    }
}

/// Widest a grid column asks to be before its text wraps.
const WRAP_AT: usize = 28;

/// Numbers (and text with numbers, such as "3.5 d / 10.6 d") right, words left.
fn align(text: &str) -> CellAlignment {
    if text.chars().any(|c| c.is_ascii_digit()) {
        CellAlignment::Right
    } else {
        CellAlignment::Left
    }
}

fn plain_rows(corner: &str, columns: &[String], rows: &[(String, Vec<String>)]) -> String {
    let clean = |s: &str| s.replace(['\t', '\n'], " ");
    let mut out = clean(corner);
    for c in columns {
        out.push('\t');
        out.push_str(&clean(c));
    }
    out.push('\n');
    for (label, cells) in rows {
        out.push_str(&clean(label));
        for c in cells {
            out.push('\t');
            out.push_str(&clean(c));
        }
        out.push('\n');
    }
    out
}

fn text_width(s: &str) -> usize {
    s.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

/// Text broken between words into lines of at most [`width`] characters (a longer word
/// keeps a line of its own), each ending in a newline; for notes printed under tables.
pub fn wrap(text: &str) -> String {
    let limit = width() as usize;
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > limit {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// A count with thousands separators (7015453 → "7,015,453"), for tables.
pub fn count(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if x.round() < 0.0 {
        out.insert(0, '-');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(count(7_015_453.0), "7,015,453");
        assert_eq!(count(999.4), "999");
        assert_eq!(count(1000.0), "1,000");
        assert_eq!(count(-12345.0), "-12,345");
        assert_eq!(count(0.0), "0");
    }

    #[test]
    fn panels_fit_the_width_and_keep_every_column() {
        // Label 10 wide (13 with padding and border), columns 20 wide (23 each).
        let p = panels(10, &[20; 7], 80);
        // 1 + 13 + 23 * 2 = 60 fits, a third makes 83 > 80.
        assert_eq!(p, vec![0..2, 2..4, 4..6, 6..7]);
        // A column wider than the width still gets a panel of its own.
        assert_eq!(panels(10, &[200, 5], 80), vec![0..1, 1..2]);
        assert_eq!(panels(10, &[], 80), vec![0..0]);
    }

    #[test]
    fn wide_grids_split_into_panels_within_the_width() {
        let cols: Vec<String> = (0..6).map(|i| format!("set-{i}")).collect();
        let rows = vec![(
            "blast radius".to_string(),
            (0..6).map(|i| format!("{i}.0 [1.0, 2.0]")).collect(),
        )];
        let s = boxed_grid(60, "metric", &cols, &rows);
        assert!(s.lines().all(|l| l.chars().count() <= 60), "{s}");
        for c in &cols {
            assert_eq!(s.matches(c.as_str()).count(), 1, "{c} once:\n{s}");
        }
        assert!(
            s.matches("blast radius").count() >= 2,
            "label repeated:\n{s}"
        );
    }

    #[test]
    fn notes_wrap_between_words_within_the_width() {
        let text = "word ".repeat(60);
        let w = wrap(&text);
        assert!(
            w.lines().all(|l| l.chars().count() <= width() as usize),
            "{w}"
        );
        assert_eq!(w.split_whitespace().count(), 60);
    }

    #[test]
    fn plain_rows_are_tab_separated() {
        let s = plain_rows(
            "metric",
            &["a".into(), "b".into()],
            &[("x\ty".into(), vec!["1".into(), "2".into()])],
        );
        assert_eq!(s, "metric\ta\tb\nx y\t1\t2\n");
    }
}
