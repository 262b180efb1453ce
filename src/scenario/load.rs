//! Reading a scenario: YAML or JSON text → typed [`Scenario`], or every problem at once.
//!
//! The fast path deserializes straight into the typed structs. Only when that fails does
//! the tolerant path run: the document is read into a generic tree and each list item is
//! decoded on its own, so one broken asset does not hide the next. Semantic checks
//! ([`super::validate`]) then run on the typed scenario. All diagnostics carry a field path,
//! which [`super::locate::Locator`] turns into `line:column` at the end.

use super::locate::locate_all;
use super::parse::{DocKind, clean_path, friendly, is_json, parse_strict, with_field_hint};
use super::{Scenario, validate};
use crate::error::{Diagnostic, Diagnostics, Error, Result};
use crate::limits::Limits;
use serde::de::DeserializeOwned;
use std::path::Path;

/// A scenario that passed validation, with the warnings it raised.
#[derive(Clone, Debug)]
pub struct LoadedScenario {
    /// The scenario, valid.
    pub scenario: Scenario,
    /// The file name as given, for messages and reports.
    pub origin: String,
    /// Problems that do not stop the scenario from loading.
    pub warnings: Vec<Diagnostic>,
    /// FNV-1a hash of the source text, written into outputs.
    pub source_hash: u64,
}

/// Reads, parses and validates a scenario file (YAML, or JSON when named `.json` or
/// starting with `{`).
pub fn load_scenario_file(path: &Path, limits: &Limits) -> Result<LoadedScenario> {
    let text = read_scenario_text(path, limits)?;
    load_scenario_str(&text, &origin_of(path), limits)
}

/// `-` names standard input.
fn is_stdin(path: &Path) -> bool {
    path == Path::new("-")
}

/// How messages name a file: its path, or `<stdin>` for `-`.
pub fn origin_of(path: &Path) -> String {
    if is_stdin(path) {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

/// Reads a scenario file (`-`: standard input) as UTF-8 text, refusing files over the size
/// limit before reading.
pub fn read_scenario_text(path: &Path, limits: &Limits) -> Result<String> {
    let origin = origin_of(path);
    let size = if is_stdin(path) {
        0
    } else {
        std::fs::metadata(path)
            .map_err(|cause| Error::Read {
                path: path.to_path_buf(),
                cause,
            })?
            .len()
    };
    if size > limits.max_file_bytes {
        return Err(Error::Invalid(Diagnostics {
            file: origin,
            items: vec![
                Diagnostic::error(
                    "",
                    format!(
                        "file is {} bytes, over the limit of {} bytes",
                        size, limits.max_file_bytes
                    ),
                )
                .with_hint("raise the limit with --max-file-bytes if the file is trusted"),
            ],
        }));
    }
    // The size in the metadata is 0 for devices and pipes (`/dev/zero`, `<(cmd)`): the
    // read itself is bounded too.
    let mut bytes = Vec::new();
    let source: Box<dyn std::io::Read> = if is_stdin(path) {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(path).map_err(|cause| Error::Read {
            path: path.to_path_buf(),
            cause,
        })?)
    };
    std::io::Read::read_to_end(
        &mut std::io::Read::take(source, limits.max_file_bytes.saturating_add(1)),
        &mut bytes,
    )
    .map_err(|cause| Error::Read {
        path: path.to_path_buf(),
        cause,
    })?;
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(Error::Invalid(Diagnostics {
            file: origin,
            items: vec![
                Diagnostic::error(
                    "",
                    format!("file is over the limit of {} bytes", limits.max_file_bytes),
                )
                .with_hint("raise the limit with --max-file-bytes if the file is trusted"),
            ],
        }));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let before = &e.as_bytes()[..at];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = at
            - before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1)
            + 1;
        let mut d = Diagnostic::error(
            "",
            format!("file is not UTF-8 text (invalid byte at offset {at})"),
        )
        .with_hint("save the file as UTF-8");
        d.line = line;
        d.column = column;
        Error::Invalid(Diagnostics {
            file: origin.clone(),
            items: vec![d],
        })
    })?;
    Ok(text)
}

/// What an empty scenario file lacks.
const SCENARIO: DocKind = DocKind {
    called: "file",
    needs: "a scenario needs at least `name:` and `assets:`",
};

/// Parses and validates scenario text; `origin` names it in diagnostics and decides JSON
/// (a `.json` name) or YAML. Every problem comes back located, in [`Error::Invalid`].
pub fn load_scenario_str(text: &str, origin: &str, limits: &Limits) -> Result<LoadedScenario> {
    // A UTF-8 byte-order mark (as Windows editors write it) is not part of the document.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let is_json = is_json(origin, text);
    let mut diags = match parse_strict::<Scenario>(text, is_json, limits, SCENARIO) {
        Ok(mut scenario) => {
            let mut diags = validate(&scenario, limits);
            if !diags.iter().any(Diagnostic::is_error) {
                diags.extend(dedupe_relations(&mut scenario));
                return Ok(LoadedScenario {
                    scenario,
                    origin: origin.to_string(),
                    warnings: locate_all(text, diags),
                    source_hash: crate::rng::fnv1a(text.as_bytes()),
                });
            }
            diags
        }
        Err(first) => tolerant_decode(text, is_json, limits).unwrap_or_else(|| vec![first]),
    };
    diags = locate_all(text, diags);
    Err(Error::Invalid(Diagnostics {
        file: origin.to_string(),
        items: diags,
    }))
}

/// Decodes each section item by item to collect every structural problem. Returns None if
/// the document itself cannot be read as a tree (syntax error): the first error stands.
fn tolerant_decode(text: &str, is_json: bool, limits: &Limits) -> Option<Vec<Diagnostic>> {
    let tree: serde_json::Value = parse_strict(text, is_json, limits, SCENARIO).ok()?;
    if tree.is_null() {
        let mut d = Diagnostic::error("", "file has no content (only comments or blank lines)")
            .with_hint("a scenario needs at least `name:` and `assets:`");
        (d.line, d.column) = (1, 1);
        return Some(vec![d]);
    }
    let serde_json::Value::Object(mut top) = tree else {
        return Some(vec![
            Diagnostic::error("", "a scenario must be a mapping with `name` and `assets`")
                .with_hint("start the file with `name: My estate` and an `assets:` list"),
        ]);
    };
    let mut diags = Vec::new();
    // Decode each list item by item; keep the good items (and where they came from) so the
    // semantic checks can run on what is left.
    let mut kept: Vec<(&str, Vec<usize>)> = Vec::new();
    let mut broken_ids: std::collections::HashSet<String> = std::collections::HashSet::new();
    for section in [
        "segments",
        "reachability",
        "assets",
        "relations",
        "techniques",
        "controls",
        "control_sets",
    ] {
        let Some(serde_json::Value::Array(items)) = top.get_mut(section) else {
            continue;
        };
        let items = std::mem::take(items);
        let mut good = Vec::new();
        let mut origin = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            let r = match section {
                "segments" => check_item::<super::SegmentDef>(&item),
                "reachability" => check_item::<super::ReachDef>(&item),
                "assets" => check_item::<super::AssetDef>(&item),
                "relations" => check_item::<super::RelationDef>(&item),
                "techniques" => check_item::<super::TechniqueOverride>(&item),
                "controls" => check_item::<crate::controls::ControlDef>(&item),
                _ => check_item::<crate::controls::ControlSetDef>(&item),
            };
            match r {
                Ok(()) => {
                    good.push(item);
                    origin.push(i);
                }
                Err((path, msg)) => {
                    let prefix = format!("{section}[{i}]");
                    let full = if path.is_empty() {
                        prefix
                    } else {
                        format!("{prefix}.{path}")
                    };
                    diags.push(with_field_hint(Diagnostic::error(full, msg)));
                    for key in ["id", "name"] {
                        if let Some(id) = item.get(key).and_then(|v| v.as_str()) {
                            broken_ids.insert(id.to_string());
                        }
                    }
                }
            }
        }
        top.insert(section.to_string(), serde_json::Value::Array(good));
        kept.push((section, origin));
    }
    match serde_path_to_error::deserialize::<_, Scenario>(serde_json::Value::Object(top)) {
        Err(e) => {
            let path = clean_path(&e.path().to_string());
            diags.push(with_field_hint(Diagnostic::error(
                path,
                friendly(&e.into_inner().to_string()),
            )));
        }
        Ok(partial) => {
            // Semantic problems among the items that did decode, with their paths mapped
            // back to the original indices; complaints about ids of broken items would only
            // repeat the structural error, so they are left out.
            for mut d in validate(&partial, limits) {
                // Each quoted name looked up once: linear in the message, not in the ids.
                if d.message
                    .split('`')
                    .skip(1)
                    .step_by(2)
                    .any(|q| broken_ids.contains(q))
                {
                    continue;
                }
                // The path and any place the message names ("first defined at
                // assets[0].id") count among the decoded items: map both back.
                d.path = original_indices(&d.path, &kept);
                d.message = original_indices(&d.message, &kept);
                diags.push(d);
            }
        }
    }
    if diags.iter().any(Diagnostic::is_error) {
        Some(diags)
    } else {
        None
    }
}

/// `text` with every `section[k]` (k an index among the items that decoded) replaced by
/// the item's index in the file, as `kept` records them per section.
fn original_indices(text: &str, kept: &[(&str, Vec<usize>)]) -> String {
    let mut out = text.to_string();
    for (section, origin) in kept {
        let head = format!("{section}[");
        let mut done = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(at) = rest.find(&head) {
            // Only a top-level section: `assets[`, not `sub_assets[` nor the `controls[` of
            // `control_sets[0].controls[1]`.
            let whole = !rest[..at]
                .chars()
                .next_back()
                .or_else(|| done.chars().next_back())
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.');
            let after = &rest[at + head.len()..];
            let digits = after.chars().take_while(char::is_ascii_digit).count();
            done.push_str(&rest[..at + head.len()]);
            match after[..digits]
                .parse::<usize>()
                .ok()
                .and_then(|k| origin.get(k))
            {
                Some(orig) if whole && after[digits..].starts_with(']') => {
                    done.push_str(&orig.to_string())
                }
                _ => done.push_str(&after[..digits]),
            }
            rest = &after[digits..];
        }
        done.push_str(rest);
        out = done;
    }
    out
}

fn check_item<T: DeserializeOwned>(
    v: &serde_json::Value,
) -> std::result::Result<(), (String, String)> {
    serde_path_to_error::deserialize::<_, T>(v)
        .map(|_| ())
        .map_err(|e| {
            (
                clean_path(&e.path().to_string()),
                friendly(&e.into_inner().to_string()),
            )
        })
}

/// Removes relations that repeat an earlier one exactly (same type, ends, role and
/// eligibility), with a warning for each: a copy adds no access, but the engine would
/// otherwise try the same edge once per copy and the results would change with the count.
fn dedupe_relations(s: &mut super::Scenario) -> Vec<Diagnostic> {
    type Key<'a> = (
        crate::model::RelationKind,
        &'a str,
        &'a str,
        Option<std::mem::Discriminant<crate::model::AppRole>>,
        bool,
    );
    let mut first: foldhash::HashMap<Key<'_>, usize> = foldhash::HashMap::default();
    let mut warnings = Vec::new();
    let mut keep = vec![true; s.relations.len()];
    for (i, r) in s.relations.iter().enumerate() {
        let key = (
            r.kind,
            r.from.as_str(),
            r.to.as_str(),
            r.role.as_ref().map(std::mem::discriminant),
            r.eligible,
        );
        if let Some(&j) = first.get(&key) {
            keep[i] = false;
            warnings.push(
                Diagnostic::warning(
                    format!("relations[{i}]"),
                    format!(
                        "duplicate of relations[{j}] ({} from `{}` to `{}`); counted once",
                        r.kind, r.from, r.to
                    ),
                )
                .with_hint("remove the repeated line"),
            );
        } else {
            first.insert(key, i);
        }
    }
    if !warnings.is_empty() {
        let mut k = keep.into_iter();
        s.relations.retain(|_| k.next().unwrap_or(true));
    }
    warnings
}

#[cfg(test)]
mod index_tests {
    use super::original_indices;

    #[test]
    fn indices_in_paths_and_messages_go_back_to_the_file() {
        // assets[0] of the decoded items was assets[1] in the file; relations unchanged.
        let kept = vec![("assets", vec![1, 2]), ("relations", vec![0])];
        assert_eq!(
            original_indices("duplicate id `b` (first defined at assets[0].id)", &kept),
            "duplicate id `b` (first defined at assets[1].id)"
        );
        assert_eq!(original_indices("assets[1].kind", &kept), "assets[2].kind");
        // Not an index of a kept section, or not a whole word: left alone.
        assert_eq!(original_indices("assets[9]", &kept), "assets[9]");
        assert_eq!(original_indices("sub_assets[0]", &kept), "sub_assets[0]");
        let sets = vec![("controls", vec![3])];
        assert_eq!(
            original_indices("control_sets[0].controls[0].id", &sets),
            "control_sets[0].controls[0].id"
        );
        assert_eq!(original_indices("controls[0].id", &sets), "controls[3].id");
        assert_eq!(original_indices("assets[x]", &kept), "assets[x]");
    }
}
