//! A controls file: control overrides, new controls, control sets and technique overrides
//! kept apart from the scenario (`--controls-file FILE`), so one estate can be run under
//! several sets of assumptions without editing it.
//!
//! The file's entries are appended to the scenario's own (`controls:` overrides merge in
//! order, so the file wins; a control set with the name of one of the scenario's replaces
//! it), and the merged scenario is validated as a whole. Problems found in the file's
//! entries are reported against the file, with its line, column and field path.

use super::{Scenario, TechniqueOverride, locate_all, validate};
use crate::controls::{ControlDef, ControlSetDef};
use crate::error::{Diagnostic, Diagnostics, Error, Result};
use crate::limits::Limits;
use serde::{Deserialize, Serialize};

/// The document a controls file holds.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlsFile {
    /// Overrides of catalog controls by id, or new controls.
    #[serde(default)]
    pub controls: Vec<ControlDef>,
    /// Named control sets.
    #[serde(default)]
    pub control_sets: Vec<ControlSetDef>,
    /// Technique parameter overrides by ATT&CK id.
    #[serde(default)]
    pub techniques: Vec<TechniqueOverride>,
}

/// Parses `text` (the controls file `origin`), merges it into `scenario` and validates the
/// result. On error the scenario is unchanged and every problem in the file is reported.
pub fn apply_controls_file(
    scenario: &mut Scenario,
    text: &str,
    origin: &str,
    limits: &Limits,
) -> Result<()> {
    let invalid = |items: Vec<Diagnostic>| {
        Error::Invalid(Diagnostics {
            file: origin.to_string(),
            items: locate_all(text, items),
        })
    };
    let kind = super::DocKind {
        called: "controls file",
        needs: "it holds `controls:`, `control_sets:` and/or `techniques:`",
    };
    let file: ControlsFile = super::parse_strict(text, super::is_json(origin, text), limits, kind)
        .map_err(|d| invalid(vec![d]))?;

    let (nc, nt) = (scenario.controls.len(), scenario.techniques.len());
    let mut merged = scenario.clone();
    merged.controls.extend(file.controls.iter().cloned());
    merged.techniques.extend(file.techniques.iter().cloned());
    merged
        .control_sets
        .retain(|s| !file.control_sets.iter().any(|f| f.name == s.name));
    let ns = merged.control_sets.len();
    merged
        .control_sets
        .extend(file.control_sets.iter().cloned());

    // Keep what concerns the file's entries, re-indexed into the file.
    let mine: Vec<Diagnostic> = validate(&merged, limits)
        .into_iter()
        .filter_map(|mut d| {
            d.path = reindex(
                &d.path,
                &[("controls", nc), ("techniques", nt), ("control_sets", ns)],
            )?;
            Some(d)
        })
        .collect();
    if mine.iter().any(Diagnostic::is_error) {
        return Err(invalid(mine));
    }
    *scenario = merged;
    Ok(())
}

/// Reads and applies each controls file in order. The loaded scenario's source hash then
/// covers the controls files too, as the results depend on them.
pub fn apply_controls_files<P: AsRef<std::path::Path>>(
    loaded: &mut super::LoadedScenario,
    files: &[P],
    limits: &Limits,
) -> Result<()> {
    for file in files {
        let file = file.as_ref();
        let text = super::read_scenario_text(file, limits)?;
        apply_controls_file(
            &mut loaded.scenario,
            &text,
            &file.display().to_string(),
            limits,
        )?;
        let mut bytes = loaded.source_hash.to_le_bytes().to_vec();
        bytes.extend_from_slice(text.as_bytes());
        loaded.source_hash = crate::rng::fnv1a(&bytes);
    }
    Ok(())
}

/// `controls[7].x` with `("controls", 5)` → `controls[2].x`; `None` for paths outside the
/// file's entries (those belong to the scenario, which was validated on its own).
fn reindex(path: &str, lists: &[(&str, usize)]) -> Option<String> {
    lists.iter().find_map(|&(name, offset)| {
        let rest = path.strip_prefix(name)?.strip_prefix('[')?;
        let (index, tail) = rest.split_once(']')?;
        let index: usize = index.parse().ok()?;
        (index >= offset).then(|| format!("{name}[{}]{tail}", index - offset))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reindex_keeps_only_the_files_entries() {
        let lists = [("controls", 2), ("control_sets", 1)];
        assert_eq!(
            reindex("controls[3].coverage", &lists).as_deref(),
            Some("controls[1].coverage")
        );
        assert_eq!(reindex("controls[1].coverage", &lists), None);
        assert_eq!(
            reindex("control_sets[1].controls[0].id", &lists).as_deref(),
            Some("control_sets[0].controls[0].id")
        );
        assert_eq!(reindex("assets[4].id", &lists), None);
    }
}
