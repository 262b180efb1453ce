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

/// Removes control characters (ANSI escapes included) before text reaches a terminal.
pub fn terminal_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// Prefixes a quote to cells a spreadsheet would read as a formula.
pub fn csv_safe(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralises_untrusted_names() {
        assert_eq!(csv_safe("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(csv_safe("alice"), "alice");
        assert!(!terminal_safe("x\u{1b}[31mred").contains('\u{1b}'));
    }
}
