//! Maps field paths (`assets[3].kind`) back to `line:column` in the source text. Only run on
//! the error path: loading itself goes straight into typed structs, and a path is all a
//! check needs to name a field. Works for YAML and JSON (JSON is YAML flow syntax).

use crate::error::Diagnostic;
use granit_parser::{Event, Parser};
use std::collections::HashMap;

/// Locates field paths in one document's text.
pub(crate) struct Locator<'a> {
    text: &'a str,
}

enum Frame {
    Map {
        key: Option<String>,
        expecting_key: bool,
    },
    Seq {
        index: usize,
    },
}

impl<'a> Locator<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Locator { text }
    }

    /// Line and column (1-based) of the node at each path, when found. A path that names a
    /// missing child resolves to its nearest existing ancestor.
    pub fn locate(&self, paths: &[String]) -> Vec<Option<(usize, usize)>> {
        let mut wanted: HashMap<&str, Option<(usize, usize)>> = HashMap::new();
        for p in paths {
            let mut cur = p.as_str();
            loop {
                wanted.entry(cur).or_insert(None);
                match parent(cur) {
                    Some(par) => cur = par,
                    None => break,
                }
            }
        }
        let mut stack: Vec<Frame> = Vec::new();
        let mut path_parts: Vec<String> = Vec::new();
        for item in Parser::new_from_str(self.text) {
            let Ok((event, span)) = item else { break };
            let at = (span.start.line(), span.start.col() + 1);
            let is_node = matches!(
                event,
                Event::Scalar(..)
                    | Event::MappingStart(..)
                    | Event::SequenceStart(..)
                    | Event::Alias(..)
            );
            if !is_node {
                if matches!(event, Event::MappingEnd | Event::SequenceEnd) {
                    stack.pop();
                    path_parts.pop();
                    bump_after_value(&mut stack, &mut path_parts);
                }
                continue;
            }
            // A scalar in key position names the next value; it is not a node of its own.
            if let Some(Frame::Map { key, expecting_key }) = stack.last_mut()
                && *expecting_key
            {
                if let Event::Scalar(v, ..) = &event {
                    *key = Some(v.to_string());
                    *expecting_key = false;
                    // A field is located at its key: that is where a misspelt or misplaced
                    // field is, and it is on the value's line for scalar values.
                    let p = join(&path_parts, Some(v));
                    if let Some(slot) = wanted.get_mut(p.as_str())
                        && slot.is_none()
                    {
                        *slot = Some(at);
                    }
                }
                continue;
            }
            let here = match stack.last() {
                Some(Frame::Map { key, .. }) => join(&path_parts, key.as_deref()),
                Some(Frame::Seq { index }) => format!("{}[{index}]", join(&path_parts, None)),
                None => String::new(),
            };
            if let Some(slot) = wanted.get_mut(here.as_str())
                && slot.is_none()
            {
                *slot = Some(at);
            }
            match event {
                Event::MappingStart(..) => {
                    stack.push(Frame::Map {
                        key: None,
                        expecting_key: true,
                    });
                    path_parts.push(here);
                }
                Event::SequenceStart(..) => {
                    stack.push(Frame::Seq { index: 0 });
                    path_parts.push(here);
                }
                _ => bump_after_value(&mut stack, &mut path_parts),
            }
        }
        paths
            .iter()
            .map(|p| {
                let mut cur = p.as_str();
                loop {
                    if let Some(Some(at)) = wanted.get(cur) {
                        return Some(*at);
                    }
                    cur = parent(cur)?;
                }
            })
            .collect()
    }
}

fn bump_after_value(stack: &mut [Frame], _parts: &mut [String]) {
    match stack.last_mut() {
        Some(Frame::Map { expecting_key, .. }) => *expecting_key = true,
        Some(Frame::Seq { index }) => *index += 1,
        None => {}
    }
}

fn join(parts: &[String], key: Option<&str>) -> String {
    let base = parts.last().map(String::as_str).unwrap_or("");
    match key {
        Some(k) if base.is_empty() => k.to_string(),
        Some(k) => format!("{base}.{k}"),
        None => base.to_string(),
    }
}

fn parent(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    let cut = path.rfind(['.', '[']).unwrap_or(0);
    Some(&path[..cut])
}

/// A strict syntax check of YAML text: the first error, with its 1-based line and column.
/// serde-saphyr's own parser recovers from some indentation mistakes (a mis-indented key is
/// dropped or folded into a neighbouring value); a scenario must never be read that way.
pub fn yaml_syntax_error(text: &str) -> Option<(usize, usize, String)> {
    for item in Parser::new_from_str(text) {
        if let Err(e) = item {
            let m = e.marker();
            return Some((m.line(), m.col() + 1, e.info().to_string()));
        }
    }
    None
}

/// Fills in line and column from the field path where the parser did not give them.
pub fn locate_all(text: &str, mut diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let need: Vec<usize> = (0..diags.len()).filter(|&i| diags[i].line == 0).collect();
    let related: Vec<usize> = (0..diags.len())
        .filter(|&i| diags[i].related.as_ref().is_some_and(|r| r.1 == 0))
        .collect();
    if need.is_empty() && related.is_empty() {
        return diags;
    }
    let mut paths: Vec<String> = need.iter().map(|&i| diags[i].path.clone()).collect();
    paths.extend(
        related
            .iter()
            .filter_map(|&i| diags[i].related.as_ref().map(|r| r.0.clone())),
    );
    let found = Locator::new(text).locate(&paths);
    for (k, &i) in need.iter().enumerate() {
        let (line, column) = found[k].unwrap_or((1, 1));
        diags[i].line = line;
        diags[i].column = column;
    }
    for (k, &i) in related.iter().enumerate() {
        let (line, column) = found[need.len() + k].unwrap_or((1, 1));
        if let Some(r) = diags[i].related.as_deref_mut() {
            (r.1, r.2) = (line, column);
        }
    }
    diags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_fields_in_yaml_and_json() {
        let y = "name: x\nassets:\n  - id: a\n    kind: user\n  - id: b\n    kind: laptop\n";
        let l = Locator::new(y);
        let got = l.locate(&[
            "assets[1].kind".into(),
            "name".into(),
            "assets[1].nope".into(),
        ]);
        assert_eq!(got, vec![Some((6, 5)), Some((1, 1)), Some((5, 5))]);
        let j =
            "{\n \"name\": \"x\",\n \"assets\": [\n  {\"id\": \"a\", \"kind\": \"user\"}\n ]\n}";
        let got = Locator::new(j).locate(&["assets[0].kind".into()]);
        assert_eq!(got, vec![Some((4, 15))]);
    }
}
