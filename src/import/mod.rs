//! Importers: other tools' data turned into ztsim scenarios.
//!
//! An importer builds a [`Draft`] (assets as JSON objects, relations, which assets are
//! computers to place in segments, which are the default objectives) and a [`Report`] of
//! everything it mapped, skipped or did not understand. [`finish`] then applies an optional
//! [`Overlay`] (segments, placement, reachability, data, relations, control sets: what the
//! source does not know), validates the result with the scenario validator, and renders it
//! as YAML with the report as a comment block on top. Nothing is dropped silently: every
//! item that does not become part of the estate is counted in the report.
//!
//! - [`bloodhound`]: SharpHound v6 collections (a directory of JSON files or the zip).
//! - [`azurehound`]: AzureHound output (Microsoft Entra ID and Azure), alone or joined to a
//!   SharpHound collection (hybrid identities).

pub mod azurehound;
pub mod bloodhound;

use crate::controls::{ControlDef, ControlSetDef};
use crate::error::{Diagnostic, Diagnostics, Error, Result};
use crate::limits::Limits;
use crate::model::{AssetKind, RelationKind};
use crate::scenario::{
    AssetDef, AttackerDef, DefenderDef, ReachDef, RelationDef, Scenario, SegmentDef, SimulationDef,
    TechniqueOverride,
};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// The segment every imported computer lands in when no overlay places it.
pub const DEFAULT_SEGMENT: &str = "corp";

/// What an import did, item by item. Every input item ends up in exactly one of `mapped`,
/// `skipped` (understood, deliberately not imported, with the reason) or `not_understood`.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Input files read: (name, object type, objects).
    pub files: Vec<(String, String, usize)>,
    /// Objects read, by source type.
    pub objects: BTreeMap<String, usize>,
    /// Assets produced, by ztsim kind.
    pub assets: BTreeMap<String, usize>,
    /// Source edges turned into relations: kind → (edges, relations produced).
    pub mapped: BTreeMap<String, (usize, usize)>,
    /// Relations produced, by ztsim relation kind.
    pub relations: BTreeMap<String, usize>,
    /// Understood but not imported, by reason.
    pub skipped: BTreeMap<String, usize>,
    /// Not understood (unknown types, edge kinds, right names, fields, or edges no ztsim
    /// relation can express), by reason.
    pub not_understood: BTreeMap<String, usize>,
    /// Defaults the import assumed, in words.
    pub assumptions: Vec<String>,
    /// Problems worth a line on the terminal (unsafe zip entries, patches matching nothing).
    pub warnings: Vec<String>,
}

impl Report {
    pub(crate) fn skip(&mut self, reason: impl Into<String>) {
        *self.skipped.entry(reason.into()).or_default() += 1;
    }
    pub(crate) fn skip_n(&mut self, reason: impl Into<String>, n: usize) {
        if n > 0 {
            *self.skipped.entry(reason.into()).or_default() += n;
        }
    }
    pub(crate) fn unknown(&mut self, reason: impl Into<String>) {
        *self.not_understood.entry(reason.into()).or_default() += 1;
    }
    pub(crate) fn unknown_n(&mut self, reason: impl Into<String>, n: usize) {
        if n > 0 {
            *self.not_understood.entry(reason.into()).or_default() += n;
        }
    }
    /// The coverage table as CSV: one row per mapped kind, skip reason and not-understood
    /// reason, with columns `outcome` (mapped, skipped, not_understood), `item` (the source
    /// kind, or the reason's subject before its first `: `), `reason`, `count` (source items)
    /// and `relations` (ztsim relations produced; mapped rows only).
    pub fn coverage_csv(&self) -> std::result::Result<Vec<u8>, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["outcome", "item", "reason", "count", "relations"])?;
        for (kind, (items, rels)) in &self.mapped {
            let (items, rels) = (items.to_string(), rels.to_string());
            w.write_record(["mapped", &crate::output::csv_safe(kind), "", &items, &rels])?;
        }
        for (outcome, table) in [
            ("skipped", &self.skipped),
            ("not_understood", &self.not_understood),
        ] {
            for (text, n) in table {
                let (item, reason) = text.split_once(": ").unwrap_or((text.as_str(), ""));
                let (item, reason) = (
                    crate::output::csv_safe(item),
                    crate::output::csv_safe(reason),
                );
                w.write_record([outcome, &item, &reason, &n.to_string(), ""])?;
            }
        }
        w.into_inner().map_err(|e| e.into_error().into())
    }

    pub(crate) fn mapped(&mut self, kind: &str, relations: usize) {
        let e = self.mapped.entry(kind.to_string()).or_default();
        e.0 += 1;
        e.1 += relations;
    }
    /// Items not understood, all reasons together.
    pub fn not_understood_total(&self) -> usize {
        self.not_understood.values().sum()
    }
    pub(crate) fn skipped_total(&self) -> usize {
        self.skipped.values().sum()
    }

    /// The report as lines of text (no comment markers; names are already made safe).
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        let files: Vec<String> = self
            .files
            .iter()
            .map(|(n, t, c)| format!("{} ({t}, {c})", safe_text(n)))
            .collect();
        out.push(format!("Files read: {}", files.join(", ")));
        out.push(format!(
            "Objects read: {}",
            join_counts(&self.objects).unwrap_or_else(|| "none".into())
        ));
        out.push(format!(
            "Assets: {}",
            join_counts(&self.assets).unwrap_or_else(|| "none".into())
        ));
        out.push(format!(
            "Relations: {}",
            join_counts(&self.relations).unwrap_or_else(|| "none".into())
        ));
        if !self.assumptions.is_empty() {
            out.push("Assumptions:".into());
            for a in &self.assumptions {
                out.push(format!("  - {}", safe_text(a)));
            }
        }
        out.push(format!(
            "Mapped ({} source edges):",
            self.mapped.values().map(|v| v.0).sum::<usize>()
        ));
        for (k, (e, r)) in &self.mapped {
            out.push(format!(
                "  {}: {e} edge(s) -> {r} relation(s)",
                safe_text(k)
            ));
        }
        out.push(format!(
            "Skipped, understood but not imported ({}):",
            self.skipped_total()
        ));
        for (k, n) in &self.skipped {
            out.push(format!("  {n} x {}", safe_text(k)));
        }
        out.push(format!(
            "NOT UNDERSTOOD, counted and not imported ({}):",
            self.not_understood_total()
        ));
        if self.not_understood.is_empty() {
            out.push("  nothing".into());
        }
        for (k, n) in &self.not_understood {
            out.push(format!("  {n} x {}", safe_text(k)));
        }
        for w in &self.warnings {
            out.push(format!("Warning: {}", safe_text(w)));
        }
        out
    }
}

fn join_counts(m: &BTreeMap<String, usize>) -> Option<String> {
    if m.is_empty() {
        return None;
    }
    Some(
        m.iter()
            .map(|(k, v)| format!("{v} {}", safe_text(k)))
            .collect::<Vec<_>>()
            .join(", "),
    )
}

/// Text from untrusted input made safe for a one-line comment or a terminal: control
/// characters (including line breaks) become `?`, and very long text is cut.
pub fn safe_text(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i >= 300 {
            out.push('…');
            break;
        }
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

/// An importer's result before the overlay: the estate it read.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    /// Scenario name the importer proposes.
    pub name: String,
    /// Scenario description the importer proposes.
    pub description: String,
    /// Assets as JSON objects in the scenario format (fields of [`AssetDef`]).
    pub assets: Vec<Map<String, Value>>,
    /// Relations as (kind, from id, to id).
    pub relations: Vec<(RelationKind, String, String)>,
    /// Further fields of some relations, by index into `relations` (`role: admin`,
    /// `eligible: true`), as in the scenario format.
    pub relation_fields: BTreeMap<usize, Map<String, Value>>,
    /// Assets that need a segment (computers, domain controllers).
    pub placeable: Vec<usize>,
    /// Assets marked `crown_jewel` unless the overlay names its own objectives.
    pub default_objectives: Vec<usize>,
}

/// Everything SharpHound does not know, added on top of an import. See docs/bloodhound.md.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overlay {
    /// Replaces the generated scenario name.
    #[serde(default)]
    pub name: Option<String>,
    /// Replaces the generated description.
    #[serde(default)]
    pub description: Option<String>,
    /// Segments to declare (imported computers land in `corp` unless placed).
    #[serde(default)]
    pub segments: Vec<SegmentDef>,
    /// Reachability between the segments.
    #[serde(default)]
    pub reachability: Vec<ReachDef>,
    /// Puts imported computers into segments; the first matching rule wins.
    #[serde(default)]
    pub placement: Vec<Placement>,
    /// Segment of the computers no placement rule matches (default `corp`).
    #[serde(default)]
    pub default_segment: Option<String>,
    /// New assets (data, applications, ...). Place them with `segment` or `hosted_on`.
    #[serde(default)]
    pub assets: Vec<AssetDef>,
    /// Field changes on imported assets (e.g. `weak_password: true`, `edr: true`).
    #[serde(default)]
    pub patch: Vec<Patch>,
    /// New relations; `from` and `to` may name an imported asset by id or by name.
    #[serde(default)]
    pub relations: Vec<RelationDef>,
    /// The attacker; `None` keeps the scenario default.
    #[serde(default)]
    pub attacker: Option<AttackerDef>,
    /// Technique overrides for the scenario.
    #[serde(default)]
    pub techniques: Vec<TechniqueOverride>,
    /// Control definitions for the scenario.
    #[serde(default)]
    pub controls: Vec<ControlDef>,
    /// Control sets for the scenario.
    #[serde(default)]
    pub control_sets: Vec<ControlSetDef>,
    /// Defender settings; `None` keeps the default.
    #[serde(default)]
    pub defender: Option<DefenderDef>,
    /// Simulation settings; `None` keeps the default.
    #[serde(default)]
    pub simulation: Option<SimulationDef>,
    /// Mark the domain controllers as crown jewels. Default: yes, unless the overlay gives
    /// crown jewels or objectives of its own.
    #[serde(default)]
    pub dc_crown_jewels: Option<bool>,
}

/// One placement rule: imported computers whose id or name matches one of `match` (glob
/// patterns with `*` and `?`, case-insensitive) and whose kind is in `kinds` (if given) go
/// into `segment`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Placement {
    /// Segment the matching computers go into.
    pub segment: String,
    /// Glob patterns (`*`, `?`, case-insensitive) matched against id and name; empty matches every
    /// computer of `kinds`.
    #[serde(default, rename = "match")]
    pub patterns: Vec<String>,
    /// Asset kinds the rule applies to; empty means any.
    #[serde(default)]
    pub kinds: Vec<AssetKind>,
}

/// Field changes for imported assets matched by id or name (glob) and optionally kind.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    /// Glob patterns (`*`, `?`, case-insensitive) matched against id and name; empty matches every
    /// asset of `kinds`.
    #[serde(default, rename = "match")]
    pub patterns: Vec<String>,
    /// Asset kinds the patch applies to; empty means any.
    #[serde(default)]
    pub kinds: Vec<AssetKind>,
    /// Fields to set, as in the scenario format (`weak_password: true`).
    pub set: Map<String, Value>,
}

impl Overlay {
    /// Reads an overlay file (YAML or JSON); problems come with `file:line:column`.
    pub fn from_file(path: &Path, limits: &Limits) -> Result<Overlay> {
        let text = crate::scenario::read_scenario_text(path, limits)?;
        Overlay::from_str(&text, &path.display().to_string(), limits)
    }

    /// Parses overlay text (YAML or JSON); `origin` names it in diagnostics. Empty text is an empty
    /// overlay.
    pub fn from_str(text: &str, origin: &str, limits: &Limits) -> Result<Overlay> {
        let invalid = |d: Diagnostic| {
            Error::Invalid(Diagnostics {
                file: origin.to_string(),
                items: crate::scenario::locate_all(text, vec![d]),
            })
        };
        if text.trim().is_empty() {
            return Ok(Overlay::default());
        }
        // An empty overlay changes nothing, so `kind` never reports one.
        let kind = crate::scenario::DocKind {
            called: "overlay",
            needs: "an overlay adds segments, placement, assets, patches or relations",
        };
        crate::scenario::parse_strict(text, crate::scenario::is_json(origin, text), limits, kind)
            .map_err(invalid)
    }

    fn names_objectives(&self) -> bool {
        self.assets.iter().any(|a| a.crown_jewel)
            || self
                .patch
                .iter()
                .any(|p| p.set.get("crown_jewel") == Some(&Value::Bool(true)))
            || self
                .attacker
                .as_ref()
                .is_some_and(|a| !a.objectives.is_empty())
    }
}

/// Case-insensitive glob match with `*` (any run) and `?` (one character).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

fn asset_str<'a>(a: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    a.get(key).and_then(Value::as_str)
}

fn asset_kind(a: &Map<String, Value>) -> Option<AssetKind> {
    a.get("kind")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}

fn matches_rule(a: &Map<String, Value>, patterns: &[String], kinds: &[AssetKind]) -> bool {
    if !kinds.is_empty() && !asset_kind(a).is_some_and(|k| kinds.contains(&k)) {
        return false;
    }
    if patterns.is_empty() {
        return !kinds.is_empty();
    }
    let id = asset_str(a, "id").unwrap_or("");
    let name = asset_str(a, "name").unwrap_or("");
    patterns
        .iter()
        .any(|p| glob_match(p, id) || (!name.is_empty() && glob_match(p, name)))
}

/// The finished import: the scenario, its YAML text and the report.
#[derive(Debug)]
pub struct Finished {
    /// The scenario, validated.
    pub scenario: Scenario,
    /// The scenario as YAML, with the report as a comment block on top.
    pub text: String,
    /// What the import mapped, skipped or did not understand.
    pub report: Report,
}

/// Applies the overlay, validates, and renders the scenario with the report on top.
/// `source` names the input in the header.
pub fn finish(
    mut draft: Draft,
    overlay: Option<&Overlay>,
    mut report: Report,
    source: &str,
    limits: &Limits,
) -> Result<Finished> {
    let empty = Overlay::default();
    let ov = overlay.unwrap_or(&empty);
    check_placement(ov)?;
    let segments = place_computers(&mut draft, ov, overlay.is_some(), &mut report)?;
    // Names are resolved as imported, before any patch renames an asset.
    let names = Names::new(&draft, ov);
    apply_patches(&mut draft, ov, &mut report)?;
    mark_objectives(&mut draft, ov, &mut report);
    let imported_relations = draft.relations.len();
    let mut doc = assemble(draft, ov, segments, &names);
    let scenario = validate_dropping_rejected(&mut doc, imported_relations, &mut report, limits)?;
    recount(&scenario, &mut report);
    let text = render(source, &report, &doc);
    Ok(Finished {
        scenario,
        text,
        report,
    })
}

/// Every placement rule names a declared segment (or `internet`) and matches on something.
fn check_placement(ov: &Overlay) -> Result<()> {
    let declared: HashSet<&str> = ov.segments.iter().map(|s| s.id.as_str()).collect();
    for (i, p) in ov.placement.iter().enumerate() {
        if !declared.contains(p.segment.as_str()) && p.segment != "internet" {
            return Err(Error::Usage(format!(
                "overlay placement[{i}].segment: unknown segment `{}`; declare it under `segments:`",
                safe_text(&p.segment)
            )));
        }
        if p.patterns.is_empty() && p.kinds.is_empty() {
            return Err(Error::Usage(format!(
                "overlay placement[{i}]: give `match` patterns or `kinds`"
            )));
        }
    }
    Ok(())
}

/// Puts every placeable asset into the segment of the first placement rule it matches, or
/// the default segment; returns the scenario's segments (the overlay's, plus the assumed flat
/// `corp` when computers land there undeclared). Rules that match nothing are warned about;
/// the flat segment is reported as an assumption.
fn place_computers(
    draft: &mut Draft,
    ov: &Overlay,
    has_overlay: bool,
    report: &mut Report,
) -> Result<Vec<Value>> {
    let mut segments: Vec<Value> = ov
        .segments
        .iter()
        .map(|s| serde_json::to_value(s).unwrap_or(Value::Null))
        .collect();
    let declared: HashSet<&str> = ov.segments.iter().map(|s| s.id.as_str()).collect();
    let default_segment = ov
        .default_segment
        .clone()
        .unwrap_or_else(|| DEFAULT_SEGMENT.to_string());
    let mut placed = vec![0usize; ov.placement.len()];
    let mut defaulted = 0usize;
    for &i in &draft.placeable {
        let a = &draft.assets[i];
        let seg = match ov
            .placement
            .iter()
            .position(|p| matches_rule(a, &p.patterns, &p.kinds))
        {
            Some(r) => {
                placed[r] += 1;
                ov.placement[r].segment.clone()
            }
            None => {
                defaulted += 1;
                default_segment.clone()
            }
        };
        draft.assets[i].insert("segment".into(), Value::String(seg));
    }
    for (i, n) in placed.iter().enumerate() {
        if *n == 0 {
            report.warnings.push(format!(
                "overlay placement[{i}] (segment `{}`) matched no imported computer",
                ov.placement[i].segment
            ));
        }
    }
    if defaulted > 0 && !declared.contains(default_segment.as_str()) {
        if default_segment != DEFAULT_SEGMENT && ov.default_segment.is_some() {
            return Err(Error::Usage(format!(
                "overlay default_segment: unknown segment `{}`; declare it under `segments:`",
                safe_text(&default_segment)
            )));
        }
        segments.push(serde_json::json!({
            "id": DEFAULT_SEGMENT,
            "name": "Corporate network (assumed: one flat segment for every imported computer)",
        }));
    }
    if !has_overlay {
        report.assumptions.push(format!(
            "one flat segment `{DEFAULT_SEGMENT}` holds every computer; all protocols inside it, no reachability to or from other segments (add an overlay with segments, placement and reachability)"
        ));
    } else if defaulted > 0 {
        report.assumptions.push(format!(
            "{defaulted} computer(s) matched no placement rule and were put in `{}`",
            safe_text(&default_segment)
        ));
    }
    Ok(segments)
}

/// Name resolution for overlay references: an imported asset's name works as its id when
/// exactly one imported asset has it (case-insensitive).
struct Names {
    ids: HashSet<String>,
    by_name: HashMap<String, Vec<String>>,
}

impl Names {
    fn new(draft: &Draft, ov: &Overlay) -> Names {
        let mut ids: HashSet<String> = draft
            .assets
            .iter()
            .filter_map(|a| asset_str(a, "id").map(str::to_string))
            .collect();
        for a in &ov.assets {
            ids.insert(a.id.clone());
        }
        for s in &ov.segments {
            ids.insert(s.id.clone());
        }
        let mut by_name: HashMap<String, Vec<String>> = HashMap::new();
        for a in &draft.assets {
            if let (Some(id), Some(name)) = (asset_str(a, "id"), asset_str(a, "name")) {
                by_name
                    .entry(name.to_lowercase())
                    .or_default()
                    .push(id.to_string());
            }
        }
        Names { ids, by_name }
    }

    /// The id a reference means: itself if it is an id, else the one asset of that name,
    /// else itself (for the validator to report).
    fn resolve(&self, r: &str) -> String {
        if self.ids.contains(r) {
            return r.to_string();
        }
        match self.by_name.get(&r.to_lowercase()) {
            Some(ids) if ids.len() == 1 => ids[0].clone(),
            _ => r.to_string(),
        }
    }
}

/// Applies the overlay's patches to the imported assets they match; each patched asset must
/// still be a valid asset. Patches that match nothing are warned about.
fn apply_patches(draft: &mut Draft, ov: &Overlay, report: &mut Report) -> Result<()> {
    for (i, p) in ov.patch.iter().enumerate() {
        if p.set.contains_key("id") {
            return Err(Error::Usage(format!(
                "overlay patch[{i}].set: `id` cannot be changed"
            )));
        }
        let mut hits = 0usize;
        for a in draft.assets.iter_mut() {
            if matches_rule(a, &p.patterns, &p.kinds) {
                for (k, v) in &p.set {
                    a.insert(k.clone(), v.clone());
                }
                hits += 1;
                if let Err(e) = serde_json::from_value::<AssetDef>(Value::Object(a.clone())) {
                    return Err(Error::Usage(format!(
                        "overlay patch[{i}].set: {e} (on asset `{}`)",
                        safe_text(asset_str(a, "id").unwrap_or(""))
                    )));
                }
            }
        }
        if hits == 0 {
            report
                .warnings
                .push(format!("overlay patch[{i}] matched no imported asset"));
        }
    }
    Ok(())
}

/// Marks the default objectives (the domain controllers) as crown jewels unless the overlay
/// names its own, and reports the objective and attacker assumptions.
fn mark_objectives(draft: &mut Draft, ov: &Overlay, report: &mut Report) {
    let dc_jewels = ov.dc_crown_jewels.unwrap_or(!ov.names_objectives());
    if dc_jewels {
        for &i in &draft.default_objectives {
            draft.assets[i].insert("crown_jewel".into(), Value::Bool(true));
        }
        if !draft.default_objectives.is_empty() && !ov.names_objectives() {
            let tenants = draft
                .default_objectives
                .iter()
                .filter(|&&i| asset_kind(&draft.assets[i]) == Some(AssetKind::IdentityProvider))
                .count();
            let dcs = draft.default_objectives.len() - tenants;
            report.assumptions.push(match (dcs, tenants) {
                (_, 0) => format!(
                    "objectives: the {dcs} domain controller(s) of the collected domain(s) are marked crown_jewel, so P(crown jewel) reads as P(domain dominance)"
                ),
                (0, _) => format!(
                    "objectives: the {tenants} Entra tenant(s) (their identity_provider assets) are marked crown_jewel, so P(crown jewel) reads as P(tenant takeover)"
                ),
                _ => format!(
                    "objectives: the {dcs} domain controller(s) of the collected domain(s) and the {tenants} Entra tenant(s) are marked crown_jewel, so P(crown jewel) reads as P(domain or tenant dominance)"
                ),
            });
        }
    }
    if draft.default_objectives.is_empty() && !ov.names_objectives() {
        report.assumptions.push(
            "no domain controller or Entra tenant was found and the overlay names no objective: the scenario has no crown jewel".into(),
        );
    }
    if ov.attacker.is_none() {
        report.assumptions.push(
            "attacker: ztsim's default attacker (every entry vector); the collected data says nothing about the internet edge".into(),
        );
    }
}

/// The scenario document: the imported estate, then the overlay's assets and relations
/// (references resolved by name) and its other sections; defaults pruned.
fn assemble(draft: Draft, ov: &Overlay, segments: Vec<Value>, names: &Names) -> Value {
    let mut relations: Vec<Value> = draft
        .relations
        .iter()
        .enumerate()
        .map(|(i, (k, f, t))| {
            let mut r = serde_json::json!({"type": k.name(), "from": f, "to": t});
            if let (Some(extra), Value::Object(m)) = (draft.relation_fields.get(&i), &mut r) {
                m.extend(extra.clone());
            }
            r
        })
        .collect();
    for r in &ov.relations {
        let mut r = r.clone();
        r.from = names.resolve(&r.from);
        r.to = names.resolve(&r.to);
        relations.push(serde_json::to_value(&r).unwrap_or(Value::Null));
    }
    let mut assets: Vec<Value> = draft.assets.into_iter().map(Value::Object).collect();
    for a in &ov.assets {
        assets.push(serde_json::to_value(a).unwrap_or(Value::Null));
    }
    let mut doc = Map::new();
    doc.insert(
        "name".into(),
        Value::String(ov.name.clone().unwrap_or(draft.name)),
    );
    doc.insert(
        "description".into(),
        Value::String(ov.description.clone().unwrap_or(draft.description)),
    );
    doc.insert("segments".into(), Value::Array(segments));
    doc.insert(
        "reachability".into(),
        serde_json::to_value(&ov.reachability).unwrap_or(Value::Null),
    );
    doc.insert("assets".into(), Value::Array(assets));
    doc.insert("relations".into(), Value::Array(relations));
    if let Some(a) = &ov.attacker {
        let mut a = a.clone();
        a.start = a.start.iter().map(|s| names.resolve(s)).collect();
        a.objectives = a.objectives.iter().map(|s| names.resolve(s)).collect();
        doc.insert(
            "attacker".into(),
            serde_json::to_value(&a).unwrap_or(Value::Null),
        );
    }
    let rest: [(&str, Value); 5] = [
        (
            "techniques",
            serde_json::to_value(&ov.techniques).unwrap_or(Value::Null),
        ),
        (
            "controls",
            serde_json::to_value(&ov.controls).unwrap_or(Value::Null),
        ),
        (
            "control_sets",
            serde_json::to_value(&ov.control_sets).unwrap_or(Value::Null),
        ),
        (
            "defender",
            serde_json::to_value(&ov.defender).unwrap_or(Value::Null),
        ),
        (
            "simulation",
            serde_json::to_value(&ov.simulation).unwrap_or(Value::Null),
        ),
    ];
    for (k, v) in rest {
        doc.insert(k.into(), v);
    }
    prune(Value::Object(doc))
}

/// Validates the document: imported relations the validator rejects are dropped from `doc`
/// (and counted as not understood), then it is checked again; any error left fails.
fn validate_dropping_rejected(
    doc: &mut Value,
    imported_relations: usize,
    report: &mut Report,
    limits: &Limits,
) -> Result<Scenario> {
    let parse = |doc: &Value| -> Result<Scenario> {
        serde_json::from_value(doc.clone()).map_err(|e| {
            Error::Usage(format!(
                "the imported scenario does not fit the format: {e}"
            ))
        })
    };
    let mut scenario = parse(doc)?;
    let diags = crate::scenario::validate(&scenario, limits);
    let mut drop: Vec<usize> = Vec::new();
    for d in diags.iter().filter(|d| d.is_error()) {
        if let Some(i) = relation_index(&d.path)
            && i < imported_relations
        {
            drop.push(i);
            report.unknown(format!(
                "relation rejected by ztsim validation: {}",
                d.message
            ));
        }
    }
    if !drop.is_empty() {
        drop.sort_unstable();
        drop.dedup();
        if let Some(Value::Array(rels)) = doc.get_mut("relations") {
            for &i in drop.iter().rev() {
                rels.remove(i);
            }
        }
        scenario = parse(doc)?;
    }
    let errors: Vec<Diagnostic> = crate::scenario::validate(&scenario, limits)
        .into_iter()
        .filter(Diagnostic::is_error)
        .collect();
    if !errors.is_empty() {
        return Err(Error::Invalid(Diagnostics {
            file: "(imported scenario with overlay)".into(),
            items: errors,
        }));
    }
    Ok(scenario)
}

/// The report's asset and relation counts, from the final scenario.
fn recount(scenario: &Scenario, report: &mut Report) {
    report.assets.clear();
    for a in &scenario.assets {
        *report.assets.entry(a.kind.name().to_string()).or_default() += 1;
    }
    report.relations.clear();
    for r in &scenario.relations {
        *report
            .relations
            .entry(r.kind.name().to_string())
            .or_default() += 1;
    }
}

/// The YAML file: a header naming the source, the report as comments, the scenario.
fn render(source: &str, report: &Report, doc: &Value) -> String {
    let mut text = String::new();
    text.push_str(&format!(
        "# Imported by `ztsim import` from {}.\n",
        safe_text(source)
    ));
    text.push_str("# Regenerate rather than edit: put changes in an overlay (--overlay).\n#\n");
    for l in report.lines() {
        text.push_str("# ");
        text.push_str(&l);
        text.push('\n');
    }
    text.push('\n');
    text.push_str(&to_yaml(doc));
    text
}

fn relation_index(path: &str) -> Option<usize> {
    let rest = path.strip_prefix("relations[")?;
    let end = rest.find(']')?;
    rest[..end].parse().ok()
}

/// Removes what equals the default, so the YAML stays readable: nulls everywhere; empty
/// lists, `false` flags and empty sections where absence means the same thing.
fn prune(v: Value) -> Value {
    fn strip_nulls(v: Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.into_iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k, strip_nulls(v)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.into_iter().map(strip_nulls).collect()),
            x => x,
        }
    }
    let Value::Object(m) = strip_nulls(v) else {
        unreachable!()
    };
    let mut out = Map::new();
    for (k, v) in m {
        let v = match (k.as_str(), v) {
            ("assets" | "relations" | "segments" | "reachability", Value::Array(items)) => {
                Value::Array(
                    items
                        .into_iter()
                        .map(|it| match it {
                            Value::Object(o) => Value::Object(
                                o.into_iter()
                                    .filter(|(k, v)| match (k.as_str(), v) {
                                        ("tags" | "exposed", Value::Array(a)) => !a.is_empty(),
                                        (
                                            "crown_jewel" | "eligible" | "bidirectional",
                                            Value::Bool(b),
                                        ) => *b,
                                        _ => true,
                                    })
                                    .collect(),
                            ),
                            x => x,
                        })
                        .collect(),
                )
            }
            (_, v) => v,
        };
        let empty = match &v {
            Value::Array(a) => a.is_empty() && k != "assets",
            Value::Object(o) => o.is_empty(),
            Value::String(s) => s.is_empty() && k == "description",
            _ => false,
        };
        if !empty {
            out.insert(k, v);
        }
    }
    Value::Object(out)
}

/// YAML text of a scenario document: top-level keys in block style, each list item on one
/// line in flow style. Strings are double-quoted with escapes (JSON string syntax, which
/// is YAML), except plain lower-case words such as kind names.
pub fn to_yaml(doc: &Value) -> String {
    let mut s = String::new();
    let Value::Object(m) = doc else {
        return flow(doc);
    };
    for (k, v) in ordered(m, TOP_ORDER) {
        s.push_str(&key(k));
        match v {
            Value::Array(items) if !items.is_empty() => {
                s.push_str(":\n");
                for it in items {
                    s.push_str("  - ");
                    s.push_str(&flow(it));
                    s.push('\n');
                }
            }
            _ => {
                s.push_str(": ");
                s.push_str(&flow(v));
                s.push('\n');
            }
        }
    }
    s
}

const TOP_ORDER: &[&str] = &[
    "name",
    "description",
    "segments",
    "reachability",
    "assets",
    "relations",
    "attacker",
    "techniques",
    "controls",
    "control_sets",
    "defender",
    "simulation",
];

const ITEM_ORDER: &[&str] = &[
    "id", "type", "kind", "name", "from", "to", "role", "eligible", "segment", "domain", "tier",
];

/// Map entries in a readable order (serde_json's map is sorted): `first` in that order,
/// then the rest alphabetically.
fn ordered<'a>(m: &'a Map<String, Value>, first: &[&str]) -> Vec<(&'a String, &'a Value)> {
    let mut v: Vec<(&String, &Value)> = m.iter().collect();
    v.sort_by_key(|(k, _)| {
        (
            first.iter().position(|f| f == k).unwrap_or(first.len()),
            k.as_str(),
        )
    });
    v
}

fn key(k: &str) -> String {
    let plain = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && k.starts_with(|c: char| c.is_ascii_lowercase());
    if plain { k.to_string() } else { quote(k) }
}

fn flow(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar(s),
        Value::Array(a) => format!("[{}]", a.iter().map(flow).collect::<Vec<_>>().join(", ")),
        Value::Object(m) => format!(
            "{{{}}}",
            ordered(m, ITEM_ORDER)
                .into_iter()
                .map(|(k, v)| format!("{}: {}", key(k), flow(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn scalar(s: &str) -> String {
    const RESERVED: [&str; 12] = [
        "true", "false", "null", "yes", "no", "on", "off", "y", "n", "nan", "inf", "none",
    ];
    let plain = !s.is_empty()
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !RESERVED.contains(&s);
    if plain { s.to_string() } else { quote(s) }
}

/// A YAML double-quoted scalar: `"` and `\` escaped, every character YAML does not allow
/// unescaped (controls, C1, line and paragraph separators, BOM, non-characters) as `\uXXXX`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20
                || (0x7f..=0x9f).contains(&(c as u32))
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                ) =>
            {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Writes `bytes` atomically with [`crate::output::write_atomic_mode`] and makes the file
/// readable by its owner only (mode 0600 on unix, whatever the umask). The temporary file
/// renamed into place is created 0600; the mode is set again on the final file so the
/// guarantee does not rest on that alone. A device or pipe target is written in place and
/// keeps its mode.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::output::write_atomic_mode(path, bytes, 0o600)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(
                |cause| Error::Write {
                    path: path.to_path_buf(),
                    cause,
                },
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob() {
        assert!(glob_match("*srv*", "FILESRV01.CORP.LOCAL"));
        assert!(glob_match("S-1-5-21-*-1104", "S-1-5-21-1-2-3-1104"));
        assert!(glob_match("ws??", "WS01"));
        assert!(!glob_match("ws?", "WS01"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("a*b", "acbd"));
    }

    #[test]
    fn quoting_is_valid_yaml() {
        let nasty = "a\"b\\c\nd\u{0}e\u{85}f\u{2028}g ïtestïngï: #x";
        let doc = serde_json::json!({"name": nasty, "assets": [{"id": nasty, "kind": "user"}]});
        let text = to_yaml(&doc);
        let back: Value = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(back["name"], Value::String(nasty.into()));
        assert_eq!(back["assets"][0]["id"], Value::String(nasty.into()));
        assert_eq!(back["assets"][0]["kind"], Value::String("user".into()));
        for word in ["true", "no", "null", "on"] {
            assert_eq!(scalar(word), format!("\"{word}\""));
        }
    }

    #[test]
    fn safe_text_removes_line_breaks() {
        assert_eq!(safe_text("a\nb\rc\u{2028}"), "a?b?c?");
    }
}
