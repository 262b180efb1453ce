//! Reading a scenario: YAML or JSON text → typed [`Scenario`], or every problem at once.
//!
//! The fast path deserializes straight into the typed structs. Only when that fails does
//! the tolerant path run: the document is read into a generic tree and each list item is
//! decoded on its own, so one broken asset does not hide the next. Semantic checks
//! ([`super::validate`]) then run on the typed scenario. All diagnostics carry a field path,
//! which [`Locator`] turns into `line:column` at the end.

use super::{Locator, Scenario, validate};
use crate::error::{Diagnostic, Diagnostics, Error, Result};
use crate::limits::Limits;
use serde::de::DeserializeOwned;
use std::path::Path;

/// A scenario that passed validation, with the warnings it raised.
#[derive(Clone, Debug)]
pub struct LoadedScenario {
    pub scenario: Scenario,
    /// The file name as given, for messages and reports.
    pub origin: String,
    pub warnings: Vec<Diagnostic>,
    /// FNV-1a hash of the source text, written into outputs.
    pub source_hash: u64,
}

pub fn load_scenario_file(path: &Path, limits: &Limits) -> Result<LoadedScenario> {
    let text = read_scenario_text(path, limits)?;
    load_scenario_str(&text, &path.display().to_string(), limits)
}

/// Reads a scenario file as UTF-8 text, refusing files over the size limit before reading.
pub fn read_scenario_text(path: &Path, limits: &Limits) -> Result<String> {
    let origin = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.len() > limits.max_file_bytes {
        return Err(Error::Invalid(Diagnostics {
            file: origin,
            items: vec![
                Diagnostic::error(
                    "",
                    format!(
                        "file is {} bytes, over the limit of {} bytes",
                        meta.len(),
                        limits.max_file_bytes
                    ),
                )
                .with_hint("raise the limit with --max-file-bytes if the file is trusted"),
            ],
        }));
    }
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        Error::Invalid(Diagnostics {
            file: origin.clone(),
            items: vec![Diagnostic::error(
                "",
                format!(
                    "file is not UTF-8 text (invalid byte at offset {})",
                    e.utf8_error().valid_up_to()
                ),
            )],
        })
    })?;
    Ok(text)
}

pub fn load_scenario_str(text: &str, origin: &str, limits: &Limits) -> Result<LoadedScenario> {
    let is_json = origin.ends_with(".json") || text.trim_start().starts_with('{');
    let mut diags = match parse_typed::<Scenario>(text, is_json, limits) {
        Ok(scenario) => {
            let diags = validate(&scenario, limits);
            if !diags.iter().any(Diagnostic::is_error) {
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

/// Parses a whole document into `T`, reporting the first problem with its path.
pub(crate) fn parse_typed<T: DeserializeOwned>(
    text: &str,
    is_json: bool,
    limits: &Limits,
) -> std::result::Result<T, Diagnostic> {
    if let Some(d) = limits.check_text(text) {
        return Err(d);
    }
    if is_json {
        // serde_json keeps its recursion limit (128 levels), so deep nesting is an error.
        let mut de = serde_json::Deserializer::from_str(text);
        return serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let mut d = Diagnostic::error(clean_path(&path), strip_position(&inner.to_string()));
            d.line = inner.line();
            d.column = inner.column();
            with_field_hint(d)
        });
    }
    let options = serde_saphyr::options! {
        budget: Some(limits.yaml_budget()),
        strict_booleans: true,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
        with_snippet: false,
    };
    let mut path_seen = String::new();
    let result = serde_saphyr::with_deserializer_from_str_with_options(text, options, |de| {
        serde_path_to_error::deserialize(de).map_err(|e| {
            path_seen = e.path().to_string();
            e.into_inner()
        })
    });
    result.map_err(|e| {
        let mut d = Diagnostic::error(clean_path(&path_seen), yaml_message(&e));
        if let Some(loc) = e.location() {
            d.line = loc.line() as usize;
            d.column = loc.column() as usize;
        }
        with_field_hint(d)
    })
}

fn yaml_message(e: &serde_saphyr::Error) -> String {
    let s = e.to_string();
    strip_position(s.lines().next().unwrap_or(&s))
}

/// serde_json and serde-saphyr append " at line X column Y"; the diagnostic carries those.
fn strip_position(msg: &str) -> String {
    let msg = msg.trim();
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

fn clean_path(p: &str) -> String {
    if p == "." {
        String::new()
    } else {
        p.to_string()
    }
}

/// Adds a "did you mean" hint to unknown-field and unknown-variant messages.
pub(crate) fn with_field_hint(mut d: Diagnostic) -> Diagnostic {
    if d.hint.is_some() {
        return d;
    }
    let msg = d.message.clone();
    let (Some(first), Some(expected)) = (msg.find('`'), msg.find("expected")) else {
        return d;
    };
    let rest = &msg[first + 1..];
    let Some(end) = rest.find('`') else { return d };
    let got = &rest[..end];
    let options: Vec<&str> = msg[expected..].split('`').skip(1).step_by(2).collect();
    if let Some(best) = options
        .iter()
        .map(|o| (strsim::jaro_winkler(got, o), *o))
        .filter(|(s, _)| *s > 0.75)
        .max_by(|a, b| a.0.total_cmp(&b.0))
    {
        d.hint = Some(format!("did you mean `{}`?", best.1));
    } else if !options.is_empty() {
        d.hint = Some(format!("expected one of: {}", options.join(", ")));
    }
    d
}

/// Decodes each section item by item to collect every structural problem. Returns None if
/// the document itself cannot be read as a tree (syntax error): the first error stands.
fn tolerant_decode(text: &str, is_json: bool, limits: &Limits) -> Option<Vec<Diagnostic>> {
    let tree: serde_json::Value = parse_typed(text, is_json, limits).ok()?;
    let serde_json::Value::Object(mut top) = tree else {
        return Some(vec![
            Diagnostic::error("", "a scenario must be a mapping with `name` and `assets`")
                .with_hint("start the file with `name: My estate` and an `assets:` list"),
        ]);
    };
    let mut diags = Vec::new();
    // Decode each list on its own, item by item; then the rest of the document with the
    // lists emptied, so its own problems show too.
    for section in [
        "segments",
        "reachability",
        "assets",
        "relations",
        "techniques",
        "controls",
        "control_sets",
    ] {
        let Some(value) = top.get_mut(section) else {
            continue;
        };
        let serde_json::Value::Array(items) = value else {
            continue;
        };
        let items = std::mem::take(items);
        for (i, item) in items.into_iter().enumerate() {
            let prefix = format!("{section}[{i}]");
            let r = match section {
                "segments" => check_item::<super::SegmentDef>(item),
                "reachability" => check_item::<super::ReachDef>(item),
                "assets" => check_item::<super::AssetDef>(item),
                "relations" => check_item::<super::RelationDef>(item),
                "techniques" => check_item::<super::TechniqueOverride>(item),
                "controls" => check_item::<crate::controls::ControlDef>(item),
                _ => check_item::<crate::controls::ControlSetDef>(item),
            };
            if let Err((path, msg)) = r {
                let full = if path.is_empty() || path == "." {
                    prefix
                } else {
                    format!("{prefix}.{path}")
                };
                diags.push(with_field_hint(Diagnostic::error(full, msg)));
            }
        }
    }
    if let Err((path, msg)) = check_item::<Scenario>(serde_json::Value::Object(top)) {
        diags.push(with_field_hint(Diagnostic::error(clean_path(&path), msg)));
    }
    if diags.is_empty() { None } else { Some(diags) }
}

fn check_item<T: DeserializeOwned>(
    v: serde_json::Value,
) -> std::result::Result<(), (String, String)> {
    serde_path_to_error::deserialize::<_, T>(v)
        .map(|_| ())
        .map_err(|e| (e.path().to_string(), e.into_inner().to_string()))
}

/// Fills in line and column from the field path where the parser did not give them.
pub fn locate_all(text: &str, mut diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let need: Vec<usize> = (0..diags.len()).filter(|&i| diags[i].line == 0).collect();
    if need.is_empty() {
        return diags;
    }
    let paths: Vec<String> = need.iter().map(|&i| diags[i].path.clone()).collect();
    let found = Locator::new(text).locate(&paths);
    for (k, &i) in need.iter().enumerate() {
        let (line, column) = found[k].unwrap_or((1, 1));
        diags[i].line = line;
        diags[i].column = column;
    }
    diags
}
