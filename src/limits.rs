//! Resource limits on untrusted input: file size, counts, nesting, string length, YAML
//! alias expansion. Defaults are generous enough for a 1,000,000-asset estate; every limit
//! can be raised from the command line.
//!
//! | limit | default | flag | checked by |
//! |---|---|---|---|
//! | file size | 1 GiB | `--max-file-bytes` | before reading ([`Limits::check_text`], the loaders) |
//! | assets | 5,000,000 | `--max-assets` | validation |
//! | relations | 50,000,000 | `--max-relations` | validation |
//! | id and name length | 4,096 bytes | `--max-string-len` | validation, the importer |
//! | nesting depth | 64 levels | `--max-depth` | [`Limits::check_text`], before any parser builds a tree |
//! | YAML alias references | 10,000 | `--max-aliases` | [`Limits::check_text`] and the YAML budget |
//! | nodes produced by expanding YAML aliases | 500,000 | `--max-alias-nodes` | [`Limits::check_text`] |
//! | scalar bytes produced by expanding YAML aliases | 16 MiB | `--max-alias-bytes` | [`Limits::check_text`] |
//!
//! [`Limits::check_text`] runs first in every loader of untrusted text (scenarios, overlays,
//! sweep specs, exercise scripts). It measures nesting and alias expansion on the raw event
//! stream, without building anything, so a "billion laughs" document or a 10,000-level
//! nested one is refused in time proportional to its size, with a message that names the
//! limit and its flag, before a parser that expands aliases or recurses sees it.

use crate::error::Diagnostic;

/// Bounds on untrusted input; see the module docs for defaults and flags.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest input file, in bytes.
    pub max_file_bytes: u64,
    /// Most assets a scenario may declare.
    pub max_assets: usize,
    /// Most relations a scenario may declare.
    pub max_relations: usize,
    /// Longest id or name, in bytes.
    pub max_string_len: usize,
    /// Deepest nesting of mappings and sequences (JSON objects and arrays).
    pub max_depth: usize,
    /// Most alias references (`*name`) in a YAML document.
    pub max_aliases: usize,
    /// Most nodes that expanding YAML aliases may produce, over the whole document.
    pub max_alias_nodes: usize,
    /// Most bytes of scalar text that expanding YAML aliases may produce, over the whole
    /// document (one large anchored scalar aliased many times).
    pub max_alias_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 1 << 30,
            max_assets: 5_000_000,
            max_relations: 50_000_000,
            max_string_len: 4096,
            max_depth: 64,
            max_aliases: 10_000,
            max_alias_nodes: 500_000,
            max_alias_bytes: 16 << 20,
        }
    }
}

impl Limits {
    /// The YAML parser's budget: bounds events, nodes, depth and aliases so that a "billion
    /// laughs" document fails fast instead of expanding. [`Limits::check_text`] refuses such
    /// documents first, with clearer messages; the budget is the second line.
    pub fn yaml_budget(&self) -> serde_saphyr::Budget {
        let scale = (self.max_file_bytes as usize).max(1 << 20);
        let mut b = serde_saphyr::Budget::default();
        b.max_events = scale;
        b.max_nodes = scale;
        b.max_total_scalar_bytes = scale;
        b.max_depth = self.max_depth;
        b.max_aliases = self.max_aliases;
        b.max_anchors = self.max_aliases;
        b.max_reader_input_bytes = Some(scale);
        b
    }

    /// Cheap checks on the raw text before any parser sees it: size, nesting depth and YAML
    /// alias expansion.
    pub fn check_text(&self, text: &str) -> Option<Diagnostic> {
        self.check_size(text).or_else(|| self.check_structure(text))
    }

    /// [`Limits::check_text`] for text that goes to the JSON parser: JSON has no aliases,
    /// and every bracket outside a string nests, so one exact byte scan finds the depth. (The
    /// YAML check would read JSON as flow YAML, whose parser buffers far more than the
    /// document: several GB for a 250 MB estate written with spaces after `:` and `,`.)
    pub fn check_json_text(&self, text: &str) -> Option<Diagnostic> {
        self.check_size(text).or_else(|| {
            json_too_deep(text, self.max_depth).map(|at| located(self.too_deep(self.max_depth), at))
        })
    }

    fn check_size(&self, text: &str) -> Option<Diagnostic> {
        if text.len() as u64 > self.max_file_bytes {
            return Some(
                Diagnostic::error(
                    "",
                    format!(
                        "input is {} bytes, over the limit of {}",
                        text.len(),
                        self.max_file_bytes
                    ),
                )
                .with_hint("raise the limit with --max-file-bytes if the file is trusted"),
            );
        }
        None
    }

    /// Nesting depth and alias expansion. A byte scan decides whether the exact check (one
    /// pass of the YAML event parser, which builds nothing) is needed: it is only when the
    /// text may hold an anchor or may nest deeper than the limit, so an ordinary scenario
    /// pays for one scan of its bytes.
    fn check_structure(&self, text: &str) -> Option<Diagnostic> {
        let scan = prescan(text, self.max_depth);
        if !scan.maybe_anchor && scan.depth_bound <= self.max_depth {
            return None;
        }
        self.check_events(text)
    }

    /// The exact check on the YAML event stream (JSON is YAML flow syntax, so this covers
    /// both). Syntax errors end the check without a diagnostic: the parsers report them.
    fn check_events(&self, text: &str) -> Option<Diagnostic> {
        use granit_parser::{Event, Parser};
        // Size of each anchored node, by anchor id (ids are dense, from 1).
        let mut anchored: Vec<Size> = Vec::new();
        // Open collections: (anchor id, size inside so far, the collection itself included).
        let mut open: Vec<(usize, Size)> = Vec::new();
        let mut aliases = 0usize;
        let mut expanded = Size::default();
        let set_anchor = |v: &mut Vec<Size>, id: usize, n: Size| {
            if id > 0 {
                if v.len() <= id {
                    v.resize(id + 1, Size::default());
                }
                v[id] = n;
            }
        };
        for item in Parser::new_from_str(text) {
            let (event, span) = match item {
                Ok(x) => x,
                // The scanner reads ahead through flow openers and stops at 255 levels.
                Err(e) if e.info().contains("recursion limit") => {
                    let m = e.marker();
                    return Some(located(
                        self.too_deep(self.max_depth.min(255)),
                        (m.line(), m.col() + 1),
                    ));
                }
                // Other syntax errors are the parsers' to report.
                Err(_) => return None,
            };
            let at = (span.start.line(), span.start.col() + 1);
            let add = |open: &mut Vec<(usize, Size)>, n: Size| {
                if let Some(top) = open.last_mut() {
                    top.1 = top.1.plus(n);
                }
            };
            match event {
                Event::Alias(id) => {
                    aliases += 1;
                    let n = anchored.get(id).copied().unwrap_or(Size::ONE);
                    expanded = expanded.plus(n);
                    if let Some(d) = self.alias_budget(aliases, expanded) {
                        return Some(located(d, at));
                    }
                    add(&mut open, n);
                }
                Event::Scalar(value, _, anchor, _) => {
                    let n = Size {
                        nodes: 1,
                        bytes: value.len() as u64,
                    };
                    set_anchor(&mut anchored, anchor, n);
                    add(&mut open, n);
                }
                Event::SequenceStart(_, anchor, _) | Event::MappingStart(_, anchor, _) => {
                    open.push((anchor, Size::ONE));
                    if open.len() > self.max_depth {
                        return Some(located(self.too_deep(self.max_depth), at));
                    }
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    if let Some((anchor, n)) = open.pop() {
                        set_anchor(&mut anchored, anchor, n);
                        add(&mut open, n);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// The diagnostic for a document whose aliases go over a limit: too many references,
    /// or an expansion of too many nodes or too many bytes. Each names its flag.
    fn alias_budget(&self, aliases: usize, expanded: Size) -> Option<Diagnostic> {
        let (message, flag) = if aliases > self.max_aliases {
            (
                format!(
                    "more than {} YAML aliases (`*name` references)",
                    self.max_aliases
                ),
                "--max-aliases",
            )
        } else if expanded.nodes > self.max_alias_nodes as u64 {
            (
                format!(
                    "YAML aliases expand to more than {} nodes (a \"billion laughs\" document?)",
                    self.max_alias_nodes
                ),
                "--max-alias-nodes",
            )
        } else if expanded.bytes > self.max_alias_bytes {
            (
                format!(
                    "YAML aliases expand to more than {} bytes of text (a large anchored value repeated by `*name`)",
                    self.max_alias_bytes
                ),
                "--max-alias-bytes",
            )
        } else {
            return None;
        };
        Some(Diagnostic::error("", message).with_hint(format!(
            "raise the limit with {flag} if the file is trusted"
        )))
    }
}

/// What a YAML node holds once its aliases are expanded: nodes, and bytes of scalar text.
#[derive(Clone, Copy, Debug, Default)]
struct Size {
    nodes: u64,
    bytes: u64,
}

impl Size {
    const ONE: Size = Size { nodes: 1, bytes: 0 };

    fn plus(self, o: Size) -> Size {
        Size {
            nodes: self.nodes.saturating_add(o.nodes),
            bytes: self.bytes.saturating_add(o.bytes),
        }
    }
}

impl Limits {
    fn too_deep(&self, levels: usize) -> Diagnostic {
        let hint = if levels < self.max_depth {
            "flow collections ([ ] and { }) cannot nest deeper than 255 levels".to_string()
        } else {
            "raise the limit with --max-depth if the file is trusted".to_string()
        };
        Diagnostic::error(
            "",
            format!("nesting deeper than {levels} levels of mappings and lists"),
        )
        .with_hint(hint)
    }
}

fn located(mut d: Diagnostic, (line, column): (usize, usize)) -> Diagnostic {
    (d.line, d.column) = (line.max(1), column.max(1));
    d
}

/// Where JSON text first nests deeper than `max` levels (1-based line and column), if it
/// does. Text that is not JSON is scanned the same way; its parser reports it.
fn json_too_deep(text: &str, max: usize) -> Option<(usize, usize)> {
    let (mut depth, mut in_str, mut escape) = (0usize, false, false);
    let (mut line, mut line_start) = (1usize, 0usize);
    for (i, &c) in text.as_bytes().iter().enumerate() {
        if in_str {
            if escape {
                escape = false;
            } else if c == b'\\' {
                escape = true;
            } else if c == b'"' {
                in_str = false;
            }
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    let column = text[line_start..i].chars().count() + 1;
                    return Some((line, column));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'\n' => (line, line_start) = (line + 1, i + 1),
            _ => {}
        }
    }
    None
}

struct Prescan {
    /// The text may define a YAML anchor (`&name`).
    maybe_anchor: bool,
    /// An upper bound on the nesting depth of the document.
    depth_bound: usize,
}

/// One pass over the bytes, stopped as soon as the exact check is known to be needed. An
/// anchor may be any `&` not preceded by a letter or digit and followed by a non-blank,
/// quoted or not: a superset of the places YAML starts a token (after a space, tab, line
/// break of any kind (LF, CR), flow indicator or byte-order mark), so no anchor is missed
/// and `R&D` costs nothing. The depth bound holds for JSON
/// and YAML alike: every flow opener (`[`, `{`) outside double quotes counts (a bracket
/// inside a plain or single-quoted scalar only makes the bound looser), and block nesting
/// is bounded per line by twice its indentation plus two per `- ` and `: ` indicator on the
/// line (a block collection is indented past its parent, except a sequence under a mapping
/// key, which may share the key's column once). Where a stray quote misleads the bound, the
/// parsers' own depth limits still hold; only the message is less precise.
fn prescan(text: &str, max_depth: usize) -> Prescan {
    let b = text.as_bytes();
    let mut maybe_anchor = false;
    let mut flow: usize = 0;
    let mut in_dq = false;
    let mut escape = false;
    let mut depth_bound = 0usize;
    let mut line_start = true;
    let mut indent = 0usize;
    let mut indicators = 0usize;
    let mut prev = b'\n';
    for (i, &c) in b.iter().enumerate() {
        // Anchors are looked for everywhere, quoted text included: a quote inside a plain
        // scalar (`O"Brien`) would otherwise hide every anchor after it. A false alarm only
        // costs the exact pass.
        if c == b'&'
            && !prev.is_ascii_alphanumeric()
            && !matches!(b.get(i + 1), None | Some(b' ' | b'\t' | b'\n' | b'\r'))
        {
            maybe_anchor = true;
            break;
        }
        if in_dq {
            if escape {
                escape = false;
            } else if c == b'\\' {
                escape = true;
            } else if c == b'"' {
                in_dq = false;
            }
            if matches!(c, b'\n' | b'\r') {
                line_start = true;
                indent = 0;
                indicators = 0;
            }
            prev = c;
            continue;
        }
        if line_start {
            if c == b' ' {
                indent += 1;
                prev = c;
                continue;
            }
            line_start = false;
        }
        let next = b.get(i + 1).copied().unwrap_or(b'\n');
        let next_is_space = matches!(next, b' ' | b'\t' | b'\n' | b'\r');
        match c {
            b'"' => in_dq = true,
            b'[' | b'{' => flow += 1,
            b']' | b'}' => flow = flow.saturating_sub(1),
            b'-' | b':' | b'?' if next_is_space => indicators += 1,
            // YAML breaks lines at LF, CRLF and a bare CR alike.
            b'\n' | b'\r' => {
                line_start = true;
                indent = 0;
                indicators = 0;
            }
            _ => {}
        }
        let here = 2 * indent + 2 * indicators + flow + 2;
        depth_bound = depth_bound.max(here);
        prev = c;
        if depth_bound > max_depth {
            // The exact pass is needed anyway, and it reads the whole text itself.
            break;
        }
    }
    Prescan {
        maybe_anchor,
        depth_bound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn billion_laughs(levels: usize) -> String {
        let mut s = String::from(
            "name: x\nassets: []\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let mut prev = "a".to_string();
        for k in 0..levels {
            let name = format!("l{k}");
            let refs = vec![format!("*{prev}"); 10].join(",");
            s.push_str(&format!("{name}: &{name} [{refs}]\n"));
            prev = name;
        }
        s
    }

    #[test]
    fn refuses_billion_laughs_without_expanding() {
        let t = std::time::Instant::now();
        let d = Limits::default()
            .check_text(&billion_laughs(9))
            .expect("refused");
        assert!(d.message.contains("aliases expand"), "{}", d.message);
        assert!(d.hint.unwrap().contains("--max-alias-nodes"));
        assert!(t.elapsed().as_secs_f64() < 1.0);
    }

    #[test]
    fn json_depth_is_exact_and_ignores_brackets_in_strings() {
        let limits = Limits {
            max_depth: 3,
            ..Limits::default()
        };
        assert!(
            limits
                .check_json_text(r#"{"a": [{"b": "[[[[{{{{"}]}"#)
                .is_none()
        );
        let d = limits
            .check_json_text("{\"a\": [\n  {\"b\": [1]}]}")
            .expect("four levels");
        assert_eq!((d.line, d.column), (2, 9));
        assert!(d.message.contains("deeper than 3"), "{}", d.message);
        // An escaped quote does not end the string.
        assert!(
            limits
                .check_json_text(r#"{"a": "\"[[[[", "b": 1}"#)
                .is_none()
        );
    }

    #[test]
    fn allows_modest_aliases() {
        let text = "name: x\nassets: []\nd: &d {kind: user, tags: [a, b]}\ne: [*d, *d, *d]\n";
        assert!(Limits::default().check_text(text).is_none());
    }

    #[test]
    fn counts_alias_references() {
        let l = Limits {
            max_aliases: 3,
            ..Limits::default()
        };
        let text = "a: &a 1\nb: [*a, *a, *a, *a]\n";
        let d = l.check_text(text).expect("refused");
        assert!(d.hint.unwrap().contains("--max-aliases"));
    }

    #[test]
    fn refuses_deep_nesting_in_both_syntaxes() {
        let n = 10_000;
        let json = format!("{}{}", "[".repeat(n), "]".repeat(n));
        let flow = format!("name: x\nassets: {}{}\n", "[".repeat(n), "]".repeat(n));
        let mut block = String::from("name: x\nz:\n");
        for i in 1..200 {
            block.push_str(&" ".repeat(i));
            block.push_str("a:\n");
        }
        for text in [json, flow, block] {
            let d = Limits::default().check_text(&text).expect("refused");
            assert!(
                d.message.contains("nesting deeper than 64"),
                "{}",
                d.message
            );
            assert!(d.hint.unwrap().contains("--max-depth"));
            assert!(d.line >= 1);
        }
    }

    #[test]
    fn ordinary_documents_skip_the_event_pass() {
        for text in [
            include_str!("../scenarios/hybrid-cloud.yaml"),
            include_str!("../scenarios/flat-ad.yaml"),
            "{\"name\": \"R&D [x]\", \"assets\": [{\"id\": \"a\", \"kind\": \"user\"}]}",
        ] {
            let s = prescan(text, 64);
            assert!(s.depth_bound <= 64, "bound {}", s.depth_bound);
            assert!(Limits::default().check_text(text).is_none());
        }
    }

    #[test]
    fn a_stray_quote_does_not_hide_anchors() {
        let text = billion_laughs(9).replace("name: x", "name: O\"Brien");
        let d = Limits::default().check_text(&text).expect("refused");
        assert!(d.message.contains("aliases expand"), "{}", d.message);
    }

    #[test]
    fn brackets_in_strings_do_not_refuse() {
        let text = format!("name: '{}'\nassets: []\n", "[".repeat(100));
        assert!(Limits::default().check_text(&text).is_none());
    }

    #[test]
    fn bare_cr_line_breaks_do_not_hide_anchors() {
        let text = billion_laughs(9).replace('\n', "\r");
        let s = prescan(&text, 64);
        assert!(s.maybe_anchor);
        let d = Limits::default().check_text(&text).expect("refused");
        assert!(d.message.contains("aliases expand"), "{}", d.message);
        let mut flow = String::from("{name: x,\rassets: [],\rbomb: [\r&l0 [lol, lol, lol],");
        for k in 1..=12 {
            let refs = vec![format!("*l{}", k - 1); 10].join(", ");
            flow.push_str(&format!("\r&l{k} [{refs}],"));
        }
        flow.push_str("\r*l12]}\r");
        assert!(prescan(&flow, 64).maybe_anchor);
        let d = Limits::default().check_text(&flow).expect("refused");
        assert!(d.message.contains("aliases expand"), "{}", d.message);
    }
}
