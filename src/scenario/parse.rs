//! The one strict parse of a YAML or JSON input file (scenario, controls file, sweep spec,
//! exercise script, import overlay) into typed structs. The first problem becomes a
//! [`Diagnostic`] with the field path, `line:column` and, for an unknown field or variant, a
//! "did you mean" hint; messages name no Rust types.

use super::locate::{locate_all, yaml_syntax_error};
use crate::error::Diagnostic;
use crate::limits::Limits;
use serde::de::DeserializeOwned;

/// What kind of file is read, for the message about an empty one.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DocKind {
    /// What the file is called in messages: "file", "exercise file".
    pub(crate) called: &'static str,
    /// What a file of this kind holds at least, given as the hint.
    pub(crate) needs: &'static str,
}

/// Whether a file is read as JSON: named `.json`, or its text starts with `{`.
pub(crate) fn is_json(origin: &str, text: &str) -> bool {
    origin.ends_with(".json") || text.trim_start().starts_with('{')
}

/// Parses a whole document into `T`, reporting the first problem with its path and location.
/// Size, depth and alias limits are checked on the text first; YAML gets a strict syntax
/// check (serde-saphyr alone forgives some indentation mistakes) and duplicate keys are
/// errors.
pub(crate) fn parse_strict<T: DeserializeOwned>(
    text: &str,
    is_json: bool,
    limits: &Limits,
    kind: DocKind,
) -> std::result::Result<T, Diagnostic> {
    let d = match before_parsing(text, is_json, limits, kind) {
        Some(d) => d,
        None if is_json => match parse_json(text) {
            Ok(v) => return Ok(v),
            Err(d) => d,
        },
        None => match parse_yaml(text, limits) {
            Ok(v) => return Ok(v),
            Err(d) => d,
        },
    };
    let d = with_field_hint(d);
    Err(locate_all(text, vec![d]).remove(0))
}

/// The problems found without a parser: limits, an empty file, YAML syntax.
fn before_parsing(text: &str, is_json: bool, limits: &Limits, kind: DocKind) -> Option<Diagnostic> {
    let too_big = if is_json {
        limits.check_json_text(text)
    } else {
        limits.check_text(text)
    };
    if too_big.is_some() {
        return too_big;
    }
    if text.trim().is_empty() {
        let mut d =
            Diagnostic::error("", format!("{} is empty", kind.called)).with_hint(kind.needs);
        (d.line, d.column) = (1, 1);
        return Some(d);
    }
    if !is_json && let Some((line, column, msg)) = yaml_syntax_error(text) {
        let mut d = Diagnostic::error("", format!("YAML syntax error: {msg}")).with_hint(
            "check the indentation and unclosed brackets or quotes at or above this line",
        );
        (d.line, d.column) = (line, column);
        return Some(d);
    }
    None
}

/// serde_json with the field path; it keeps its recursion limit (128 levels), so deep
/// nesting is an error.
fn parse_json<T: DeserializeOwned>(text: &str) -> std::result::Result<T, Diagnostic> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let mut d = Diagnostic::error(clean_path(&path), plain_message(&inner.to_string()));
        (d.line, d.column) = (inner.line(), inner.column());
        d
    })
}

/// serde-saphyr within the limits' budget, with strict booleans and duplicate keys refused.
fn parse_yaml<T: DeserializeOwned>(
    text: &str,
    limits: &Limits,
) -> std::result::Result<T, Diagnostic> {
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
        let s = e.to_string();
        let first = s.lines().next().unwrap_or(&s);
        let mut d = Diagnostic::error(clean_path(&path_seen), plain_message(first));
        if let Some(loc) = e.location() {
            d.line = loc.line() as usize;
            d.column = loc.column() as usize;
        }
        d
    })
}

/// A parser's message without the " at line X column Y" serde_json and serde-saphyr append
/// (the diagnostic carries those) and without Rust type names: users want neither.
pub(crate) fn plain_message(msg: &str) -> String {
    let msg = msg.trim();
    let msg = match msg.rfind(" at line ") {
        Some(i) => &msg[..i],
        None => msg,
    };
    friendly(msg)
}

/// A parser's message in the user's words: no Rust type names, no parser options.
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
        ("expected usize", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected a string", "expected text"),
    ] {
        m = m.replace(rust, words);
    }
    m
}

/// A field path as serde_path_to_error writes it, without the `?` serde-saphyr gives a key
/// it could not attribute, and empty for the document itself.
pub(crate) fn clean_path(p: &str) -> String {
    let p = p.trim_end_matches(".?").trim_end_matches('?');
    if p == "." {
        String::new()
    } else {
        p.to_string()
    }
}

/// Adds a hint to an unknown-field or unknown-variant message that has none: "did you mean"
/// the closest expected name, else the expected names.
pub(crate) fn with_field_hint(mut d: Diagnostic) -> Diagnostic {
    if d.hint.is_some() {
        return d;
    }
    let msg = &d.message;
    let Some(start) = ["unknown field `", "unknown variant `"]
        .iter()
        .find_map(|p| msg.find(p).map(|i| i + p.len()))
    else {
        return d;
    };
    let Some(got) = msg[start..].split('`').next() else {
        return d;
    };
    let Some(expected) = msg[start..].find("expected").map(|i| start + i) else {
        return d;
    };
    let options = expected_names(&msg[expected + "expected".len()..]);
    d.hint = match crate::suggest::did_you_mean_hint(got, options.iter().copied()) {
        Some(h) => Some(h),
        None if !options.is_empty() => Some(format!("expected one of: {}", options.join(", "))),
        None => None,
    };
    d
}

/// The names after "expected": "one of `a`, `b`" (serde) or "one of a, b" (serde-saphyr).
fn expected_names(list: &str) -> Vec<&str> {
    let list = list.trim_start();
    let list = list.strip_prefix("one of").unwrap_or(list);
    if list.contains('`') {
        return list.split('`').skip(1).step_by(2).collect();
    }
    list.split([',', '\n'])
        .flat_map(|p| p.split(" or "))
        .map(str::trim)
        .filter(|o| !o.is_empty() && !o.contains(' '))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        trials: u32,
        #[serde(default)]
        seed: u64,
    }

    const DOC: DocKind = DocKind {
        called: "file",
        needs: "a doc needs `trials:`",
    };

    fn err(text: &str, json: bool) -> Diagnostic {
        parse_strict::<Doc>(text, json, &Limits::default(), DOC).unwrap_err()
    }

    #[test]
    fn yaml_and_json_problems_are_located_with_a_hint() {
        let d = err("seed: 1\ntrails: 3\n", false);
        assert_eq!((d.line, d.path.as_str()), (2, "trails"));
        assert!(
            d.message.starts_with("unknown field `trails`"),
            "{}",
            d.message
        );
        assert_eq!(d.hint.as_deref(), Some("did you mean `trials`?"));
        let d = err("{\"seed\": 1,\n \"trails\": 3}", true);
        assert_eq!((d.line, d.path.as_str()), (2, "trails"));
        assert_eq!(d.hint.as_deref(), Some("did you mean `trials`?"));
        let d = err("{\"trials\": -1}", true);
        assert!(
            d.message.contains("expected a whole number"),
            "{}",
            d.message
        );
        assert!(!d.message.contains(" at line "), "{}", d.message);
    }

    #[test]
    fn empty_syntax_and_duplicates() {
        let d = err("  \n", false);
        assert_eq!(
            (d.message.as_str(), d.hint.as_deref(), d.line),
            ("file is empty", Some(DOC.needs), 1)
        );
        assert!(
            err("trials: [1\n", false)
                .message
                .starts_with("YAML syntax error")
        );
        let d = err("trials: 1\ntrials: 2\n", false);
        assert_eq!(d.message, "duplicate key: trials");
        assert_eq!(d.line, 2);
    }

    #[test]
    fn expected_names_from_both_parsers() {
        assert_eq!(expected_names(" one of `a`, `b`"), ["a", "b"]);
        assert_eq!(expected_names(" one of a, b"), ["a", "b"]);
        assert_eq!(expected_names(" `a` or `b`"), ["a", "b"]);
        assert!(expected_names(" a whole number").is_empty());
        let d = with_field_hint(Diagnostic::error(
            "x",
            "unknown variant `zzz`, expected one of `apt`, `insider`",
        ));
        assert_eq!(d.hint.as_deref(), Some("expected one of: apt, insider"));
    }
}
