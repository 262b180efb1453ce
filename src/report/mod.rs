//! Reports: the summary table for the terminal, `summary.json` and `trials.csv`. Names from
//! a scenario are untrusted: the table strips terminal control characters and the CSV
//! neutralises spreadsheet formulas.

mod compare_table;
mod html;
mod navigator;
mod table;
mod trials_csv;

pub use compare_table::comparison_table;
pub use html::{html_escape, html_report};
pub use navigator::navigator_layer;
pub use table::summary_table;
pub use trials_csv::trials_csv;
// Untrusted names are made safe where output is written; kept here under their old path.
pub use crate::output::{csv_safe, terminal_safe};
