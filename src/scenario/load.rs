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
    let meta = std::fs::metadata(path).map_err(|cause| Error::Read {
        path: path.to_path_buf(),
        cause,
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
    // The size in the metadata is 0 for devices and pipes (`/dev/zero`, `<(cmd)`): the
    // read itself is bounded too.
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(
            std::fs::File::open(path).map_err(|cause| Error::Read {
                path: path.to_path_buf(),
                cause,
            })?,
            limits.max_file_bytes.saturating_add(1),
        ),
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
    let too_big = if is_json {
        limits.check_json_text(text)
    } else {
        limits.check_text(text)
    };
    if let Some(d) = too_big {
        return Err(d);
    }
    if text.trim().is_empty() {
        let mut d = Diagnostic::error("", "file is empty")
            .with_hint("a scenario needs at least `name:` and `assets:`");
        d.line = 1;
        d.column = 1;
        return Err(d);
    }
    if !is_json && let Some((line, column, msg)) = super::yaml_syntax_error(text) {
        let mut d = Diagnostic::error("", format!("YAML syntax error: {msg}")).with_hint(
            "check the indentation and unclosed brackets or quotes at or above this line",
        );
        d.line = line;
        d.column = column;
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

/// serde_json and serde-saphyr append " at line X column Y" (the diagnostic carries those)
/// and name Rust types; users want neither.
fn strip_position(msg: &str) -> String {
    let msg = msg.trim();
    let msg = match msg.rfind(" at line ") {
        Some(i) => &msg[..i],
        None => msg,
    };
    friendly(msg)
}

pub(crate) fn friendly(msg: &str) -> String {
    let mut m = msg
        .replace(", set DuplicateKeyPolicy in Options if acceptable", "")
        .replace("duplicate mapping key: ", "duplicate key: ");
    for (rust, words) in [
        ("expected u8", "expected a whole number from 0 to 255"),
        (
            "expected u32",
            "expected a whole number from 0 to 4294967295",
        ),
        ("expected u64", "expected a non-negative whole number"),
        ("expected f64", "expected a number"),
        ("expected a string", "expected text"),
    ] {
        m = m.replace(rust, words);
    }
    m
}

fn clean_path(p: &str) -> String {
    // serde-saphyr names a key it could not attribute `?`.
    let p = p.trim_end_matches(".?").trim_end_matches('?');
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
    let mut broken_ids: Vec<String> = Vec::new();
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
                            broken_ids.push(id.to_string());
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
                if broken_ids
                    .iter()
                    .any(|id| d.message.contains(&format!("`{id}`")))
                {
                    continue;
                }
                for (section, origin) in &kept {
                    let head = format!("{section}[");
                    if let Some(rest) = d.path.strip_prefix(&head)
                        && let Some((idx, tail)) = rest.split_once(']')
                        && let Ok(k) = idx.parse::<usize>()
                        && let Some(orig) = origin.get(k)
                    {
                        d.path = format!("{section}[{orig}]{tail}");
                    }
                }
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
