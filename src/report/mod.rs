//! Reports: the summary table for the terminal, `summary.json`, `trials.csv`, and the HTML
//! report with its summary for the board ([`board`]). Names from a scenario are untrusted:
//! the table strips terminal control characters, the CSV neutralises spreadsheet formulas,
//! and the HTML template escapes everything.

pub mod board;
mod compare_table;
pub mod estimate;
mod html;
mod navigator;
mod table;
pub mod term;
mod trials_csv;

pub use board::BoardExtras;
pub use compare_table::comparison_table;
pub use html::{MAX_COLUMNS, html_report};
pub use navigator::navigator_layer;
pub use table::summary_table;
pub use trials_csv::{Column, trial_columns, trials_csv};
// Untrusted names are made safe where output is written; kept here under their old path.
pub use crate::output::{csv_safe, terminal_safe};

/// The note under a run's tables when its numbers rest on calibrated defaults: the figures
/// they were fitted to, and `ztsim calibrate`. `None` when the run rests on none.
pub fn calibration_note(figures: &[String]) -> Option<String> {
    if figures.is_empty() {
        return None;
    }
    let cal = crate::calibrate::file::builtin().ok();
    let names: Vec<String> = figures
        .iter()
        .map(|id| {
            cal.as_ref()
                .and_then(|c| c.file.figures.iter().find(|g| &g.id == id))
                .map_or(id.clone(), |g| g.figure.clone())
        })
        .collect();
    Some(format!(
        "Defaults calibrated to published incident-response figures (the numbers this run uses were fitted to: {}); `ztsim calibrate` checks every figure.",
        names.join(", ")
    ))
}

/// Writes `summary.json`, `trials.csv` and `estate.json` (the estate's assets and
/// relations, for redrawing plots without the scenario) into `dir`, each atomically.
pub fn write_outputs(
    dir: &std::path::Path,
    estate: &crate::estate::Estate,
    summary: &crate::summary::Summary,
    runs: &[crate::montecarlo::SetRun],
) -> crate::error::Result<()> {
    crate::output::ensure_dir(dir)?;
    crate::output::write_json(&dir.join("summary.json"), summary)?;
    crate::output::write_json(&dir.join("estate.json"), &estate.view())?;
    crate::output::write_atomic(&dir.join("trials.csv"), &trials_csv(runs)?)?;
    Ok(())
}
