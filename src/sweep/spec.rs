//! The sweep spec: a YAML (or JSON) file naming the axes of a sweep. Parsing mirrors the
//! scenario loader: a strict typed parse whose first problem carries `line:column` and the
//! field path, then semantic checks that collect every problem, each located in the text.
//! See docs/sweeps.md for the format.

use super::overrides::Target;
use crate::controls::{Catalog, ControlSetDef, resolve_set};
use crate::error::{Diagnostic, Diagnostics, Error, Result};
use crate::generate::{GeneratorParams, KNOBS, Size};
use crate::limits::Limits;
use crate::scenario::{
    DocKind, Scenario, is_json, load_scenario_str, parse_strict, read_scenario_text,
};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Most cells one spec may define; a typo in a range should fail fast, not fill a disk.
pub const MAX_CELLS: usize = 10_000_000;
/// Most values one axis may have.
pub const MAX_VALUES: usize = 100_000;

/// The spec file as written.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecDef {
    /// Name of the sweep, recorded in the manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What the sweep is for, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Master seed.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Trials per cell.
    pub trials: u32,
    /// `common`: every cell uses the master seed (common random numbers); `per-cell`: each
    /// cell's seed is derived from the master seed and a hash of its definition.
    #[serde(default)]
    pub seeds: SeedMode,
    /// The scenario axis: files or generator settings.
    pub scenarios: Vec<ScenarioEntry>,
    /// Control-set names, as `--controls` accepts them.
    #[serde(default = "default_controls")]
    pub controls: Vec<String>,
    /// Attacker profiles; empty means each scenario's own attacker.
    #[serde(default)]
    pub profiles: Vec<String>,
    /// Parameter axes, in the order written: `name: values`.
    #[serde(default)]
    pub parameters: ParamList,
    /// A rare-event estimate in every cell besides its trials (`ztsim estimate`'s method,
    /// within a step budget so that cells stay pure functions of the spec).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate: Option<EstimateSpec>,
}

/// `estimate:` in a sweep spec: what every cell estimates and to what precision.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EstimateSpec {
    /// `crown-jewel`, `asset:ID`, `tier-zero` or `blast>=K`.
    pub target: String,
    /// The 95% half-width over the estimate to stop at (0 < r < 1).
    #[serde(default = "default_rel_error")]
    pub rel_error: f64,
    /// `auto`, `crude`, `is` or `splitting`.
    #[serde(default = "default_method")]
    pub method: crate::estimate::Method,
    /// Attack steps a cell's estimate may spend before it stops and says so. A step budget,
    /// not a clock, keeps a cell's result the same on every machine and every resume.
    #[serde(default = "default_max_steps")]
    pub max_steps: u64,
}

fn default_rel_error() -> f64 {
    0.1
}

fn default_method() -> crate::estimate::Method {
    crate::estimate::Method::Auto
}

fn default_max_steps() -> u64 {
    200_000_000
}

fn default_seed() -> u64 {
    1
}

fn default_controls() -> Vec<String> {
    vec!["none".to_string()]
}

/// How cells get their seeds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SeedMode {
    /// Every cell uses the master seed: trial i of every cell sees the same luck (common random
    /// numbers).
    #[default]
    Common,
    /// Each cell's seed is derived from the master seed and a hash of its definition.
    PerCell,
}

impl SeedMode {
    /// The mode as written in specs (`common`, `per-cell`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            SeedMode::Common => "common",
            SeedMode::PerCell => "per-cell",
        }
    }
}

/// A scenario axis entry: a file (a plain string is a file) or generator settings.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioEntryFull {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    generate: Option<GenerateDef>,
}

impl<'de> Deserialize<'de> for ScenarioEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ScenarioEntry;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scenario file, or a mapping with `file` or `generate`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<ScenarioEntry, E> {
                Ok(ScenarioEntry {
                    file: Some(v.to_string()),
                    ..ScenarioEntry::default()
                })
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                map: A,
            ) -> std::result::Result<ScenarioEntry, A::Error> {
                let full =
                    ScenarioEntryFull::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(ScenarioEntry {
                    name: full.name,
                    file: full.file,
                    generate: full.generate,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// One entry of the scenario axis.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ScenarioEntry {
    /// Label in outputs (default: the file as written, or `generated-SIZE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A scenario file, relative to the spec's directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Generator settings, instead of a file: one scenario per generator seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generate: Option<GenerateDef>,
}

/// `ztsim generate` settings; one scenario per seed.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateDef {
    /// Size preset of the generated estate (default `small`).
    #[serde(default = "default_size")]
    pub size: Size,
    /// Target number of assets (default: the size preset's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assets: Option<usize>,
    /// Generator seeds: a list or a range such as `1..5`.
    #[serde(default = "default_gen_seeds")]
    pub seeds: Values,
    /// Generator knobs by name (docs/generator.md), e.g. `mfa_share: 0.9`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub knobs: BTreeMap<String, serde_json::Value>,
}

fn default_size() -> Size {
    Size::Small
}

fn default_gen_seeds() -> Values {
    Values::List(vec![1.0])
}

/// The values of an axis: a number, a list of numbers, or a range `A..B step S`.
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    /// Numbers given one by one.
    List(Vec<f64>),
    /// A range, `A..B` or `A..B step S`, expanded when the spec is checked.
    Text(String),
}

impl Serialize for Values {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Values::List(v) => v.serialize(s),
            Values::Text(t) => s.serialize_str(t),
        }
    }
}

impl<'de> Deserialize<'de> for Values {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Values;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number, a list of numbers, or a range such as `0..1 step 0.1`")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Values, E> {
                Ok(Values::List(vec![v]))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Values, E> {
                Ok(Values::List(vec![v as f64]))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Values, E> {
                Ok(Values::List(vec![v as f64]))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Values, E> {
                Ok(Values::Text(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Values, A::Error> {
                let mut out = Vec::new();
                while let Some(x) = seq.next_element::<f64>()? {
                    out.push(x);
                }
                Ok(Values::List(out))
            }
        }
        d.deserialize_any(V)
    }
}

impl Values {
    /// The values in order. Ranges include both ends when the step lands on the end; values
    /// are rounded to 9 decimals so `0.1 * 3` is written `0.3`.
    pub fn expand(&self) -> std::result::Result<Vec<f64>, String> {
        let out = match self {
            Values::List(v) => v.clone(),
            Values::Text(t) => parse_range(t)?,
        };
        if out.is_empty() {
            return Err("no values: give a number, a non-empty list or a range".into());
        }
        if let Some(x) = out.iter().find(|x| !x.is_finite()) {
            return Err(format!("{x} is not a finite number"));
        }
        if out.len() > MAX_VALUES {
            return Err(format!(
                "{} values, more than the {MAX_VALUES} one axis may have",
                out.len()
            ));
        }
        Ok(out)
    }
}

fn round9(x: f64) -> f64 {
    let r: f64 = format!("{x:.9}").parse().unwrap_or(x);
    if r == 0.0 { 0.0 } else { r }
}

fn parse_range(text: &str) -> std::result::Result<Vec<f64>, String> {
    let t = text.trim();
    if let Ok(x) = t.parse::<f64>() {
        return Ok(vec![x]);
    }
    let bad = || format!("`{text}` is not a number, a list or a range; write e.g. `0..1 step 0.1`");
    let (range, step) = match t.split_once("step") {
        Some((r, s)) => (r.trim(), Some(s.trim())),
        None => (t, None),
    };
    let (a, b) = range.split_once("..").ok_or_else(bad)?;
    let num = |s: &str| -> std::result::Result<f64, String> {
        s.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(bad)
    };
    let (a, b) = (num(a)?, num(b)?);
    let step = match step {
        Some(s) => num(s)?,
        None => 1.0,
    };
    if step <= 0.0 {
        return Err(format!("the step must be positive (got {step})"));
    }
    if b < a {
        return Err(format!("the range ends ({b}) before it starts ({a})"));
    }
    let n = ((b - a) / step * (1.0 + 1e-12) + 1e-9).floor();
    if n + 1.0 > MAX_VALUES as f64 {
        return Err(format!(
            "{} values, more than the {MAX_VALUES} one axis may have",
            n + 1.0
        ));
    }
    Ok((0..=n as usize)
        .map(|k| round9(a + k as f64 * step))
        .collect())
}

/// Parameter axes in the order written.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParamList(pub Vec<(String, Values)>);

impl Serialize for ParamList {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for ParamList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ParamList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping of parameter names to values")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<ParamList, A::Error> {
                let mut out: Vec<(String, Values)> = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Values>()? {
                    if out.iter().any(|(x, _)| *x == k) {
                        return Err(de::Error::custom(format!("duplicate key: {k}")));
                    }
                    out.push((k, v));
                }
                Ok(ParamList(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// One scenario of the scenario axis, loaded.
#[derive(Clone, Debug)]
pub struct ScenarioInstance {
    /// As written in outputs: the file as given in the spec, or the generator's label.
    pub label: String,
    /// The generator seed, for generated scenarios.
    pub scenario_seed: Option<u64>,
    /// The scenario, after its controls files.
    pub scenario: Scenario,
    /// The built-in catalog with the scenario's control definitions applied.
    pub catalog: Catalog,
    /// FNV-1a of the scenario's text (or, for a generated one, of its JSON).
    pub source_hash: u64,
    /// Non-fatal problems found while loading it.
    pub warnings: Vec<Diagnostic>,
    /// Where it came from, for messages.
    pub origin: String,
}

impl ScenarioInstance {
    /// Loads a scenario file and applies `controls_files` in order; `label` names it in the
    /// outputs.
    pub(crate) fn from_file(
        path: &Path,
        label: &str,
        controls_files: &[PathBuf],
        limits: &Limits,
    ) -> Result<ScenarioInstance> {
        let text = read_scenario_text(path, limits)?;
        let origin = path.display().to_string();
        let mut loaded = load_scenario_str(&text, &origin, limits)?;
        crate::scenario::apply_controls_files(&mut loaded, controls_files, limits)?;
        let catalog = Catalog::builtin()?.with_overrides(&loaded.scenario.controls);
        Ok(ScenarioInstance {
            label: label.to_string(),
            scenario_seed: None,
            catalog,
            source_hash: loaded.source_hash,
            warnings: loaded.warnings,
            origin,
            scenario: loaded.scenario,
        })
    }

    fn generated(
        label: &str,
        params: &GeneratorParams,
        limits: &Limits,
    ) -> Result<ScenarioInstance> {
        let scenario = crate::generate::generate(params);
        let errors: Vec<String> = crate::scenario::validate(&scenario, limits)
            .into_iter()
            .filter(Diagnostic::is_error)
            .map(|d| format!("{}: {}", d.path, d.message))
            .collect();
        if !errors.is_empty() {
            return Err(Error::Usage(format!(
                "the generated estate {label} is invalid: {}",
                errors.join("; ")
            )));
        }
        let catalog = Catalog::builtin()?.with_overrides(&scenario.controls);
        Ok(ScenarioInstance {
            label: label.to_string(),
            scenario_seed: Some(params.seed),
            catalog,
            source_hash: crate::rng::fnv1a(&crate::generate::to_json(&scenario)),
            warnings: Vec::new(),
            origin: label.to_string(),
            scenario,
        })
    }

    /// Resolves a control-set name against this scenario's sets and catalog.
    pub fn check_set(&self, name: &str) -> Result<crate::controls::ResolvedSet> {
        resolve_set(name, &self.scenario.control_sets, &self.catalog)
    }

    pub(crate) fn sets(&self) -> &[ControlSetDef] {
        &self.scenario.control_sets
    }
}

/// One parameter axis, checked.
#[derive(Clone, Debug)]
pub struct Axis {
    /// Parameter name, as written (`control.C01.efficacy`).
    pub name: String,
    /// What the name refers to.
    pub target: Target,
    /// The values, expanded and in order.
    pub values: Vec<f64>,
}

/// A loaded, checked spec.
#[derive(Clone, Debug)]
pub struct Spec {
    /// The spec as written.
    pub def: SpecDef,
    /// The spec's text, as read.
    pub text: String,
    /// Where the spec came from (its path), for messages.
    pub origin: String,
    /// The scenario axis, loaded, in order.
    pub scenarios: Vec<ScenarioInstance>,
    /// Profile axis; `None` is the scenario's own attacker.
    pub profiles: Vec<Option<String>>,
    /// The parameter axes, in order.
    pub axes: Vec<Axis>,
    /// Identifies the spec and everything its results depend on (hex FNV-1a).
    pub hash: String,
    /// Non-fatal problems found in the spec or its scenarios.
    pub warnings: Vec<Diagnostic>,
}

/// A path inside the spec document, for locating problems.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

fn key(k: &str) -> Seg {
    Seg::Key(k.to_string())
}

fn display_path(p: &[Seg]) -> String {
    let mut s = String::new();
    for seg in p {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// Problems found so far, each with its path in the document.
struct Problems {
    items: Vec<(Vec<Seg>, Diagnostic)>,
}

impl Problems {
    fn error(&mut self, path: Vec<Seg>, msg: impl Into<String>, hint: Option<String>) {
        let mut d = Diagnostic::error(display_path(&path), msg);
        d.hint = hint;
        self.items.push((path, d));
    }
    fn warning(&mut self, path: Vec<Seg>, msg: impl Into<String>) {
        let d = Diagnostic::warning(display_path(&path), msg);
        self.items.push((path, d));
    }
    fn has_errors(&self) -> bool {
        self.items.iter().any(|(_, d)| d.is_error())
    }
    fn located(self, text: &str) -> Vec<Diagnostic> {
        self.items
            .into_iter()
            .map(|(p, mut d)| {
                let (line, column) = locate(text, &p);
                d.line = line;
                d.column = column;
                d
            })
            .collect()
    }
}

impl Spec {
    /// Reads and checks a spec file; scenario files are relative to its directory.
    pub fn load(path: &Path, limits: &Limits) -> Result<Spec> {
        let text = read_scenario_text(path, limits)?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Spec::from_str(&text, &path.display().to_string(), &dir, limits)
    }

    /// Parses and checks a spec; scenario files are relative to `dir`.
    pub fn from_str(text: &str, origin: &str, dir: &Path, limits: &Limits) -> Result<Spec> {
        let invalid = |items: Vec<Diagnostic>| {
            Error::Invalid(Diagnostics {
                file: origin.to_string(),
                items,
            })
        };
        let kind = DocKind {
            called: "file",
            needs: "a spec needs at least `trials:` and `scenarios:`",
        };
        let def: SpecDef = parse_strict(text, is_json(origin, text), limits, kind)
            .map_err(|d| invalid(vec![d]))?;
        let mut pr = Problems { items: Vec::new() };
        check_shape(&def, &mut pr);
        let axes = check_axes(&def, &mut pr);
        let gens = check_generators(&def, &mut pr);
        if pr.has_errors() {
            return Err(invalid(pr.located(text)));
        }
        // Scenarios: files relative to the spec, generated ones per seed.
        let mut scenarios = Vec::new();
        for (i, e) in def.scenarios.iter().enumerate() {
            if let Some(f) = &e.file {
                let path = dir.join(f);
                if !path.is_file() {
                    pr.error(
                        vec![key("scenarios"), Seg::Index(i), key("file")],
                        format!("cannot read `{f}` (looked for {})", path.display()),
                        Some("scenario files are relative to the spec's directory".into()),
                    );
                    continue;
                }
                let label = e.name.clone().unwrap_or_else(|| f.clone());
                scenarios.push(ScenarioInstance::from_file(&path, &label, &[], limits)?);
            } else if let Some((_, list)) = gens.iter().find(|(k, _)| *k == i) {
                for p in list {
                    let base = e.name.clone().unwrap_or_else(|| match &e.generate {
                        Some(g) => format!("generated-{}", g.size.name()),
                        None => "generated".into(),
                    });
                    scenarios.push(ScenarioInstance::generated(&base, p, limits)?);
                }
            }
        }
        if pr.has_errors() {
            return Err(invalid(pr.located(text)));
        }
        check_against_scenarios(&def, &axes, &scenarios, &mut pr);
        if pr.has_errors() {
            return Err(invalid(pr.located(text)));
        }
        let profiles = if def.profiles.is_empty() {
            vec![None]
        } else {
            def.profiles.iter().cloned().map(Some).collect()
        };
        let hash = spec_hash(text, &scenarios);
        let spec = Spec {
            warnings: pr.located(text),
            def,
            text: text.to_string(),
            origin: origin.to_string(),
            scenarios,
            profiles,
            axes,
            hash,
        };
        if spec.cell_count() > MAX_CELLS {
            return Err(Error::Usage(format!(
                "{origin}: the spec defines {} cells, more than {MAX_CELLS}",
                spec.cell_count()
            )));
        }
        Ok(spec)
    }
}

/// FNV-1a over the format, ztsim's version, the spec text and every scenario's content.
fn spec_hash(text: &str, scenarios: &[ScenarioInstance]) -> String {
    let mut s = format!("ztsim-sweep/1\n{}\n{}\n", env!("CARGO_PKG_VERSION"), text);
    for sc in scenarios {
        s.push_str(&format!(
            "scenario {} {:?} {:016x}\n",
            sc.label, sc.scenario_seed, sc.source_hash
        ));
    }
    format!("{:016x}", crate::rng::fnv1a(s.as_bytes()))
}

fn check_shape(def: &SpecDef, pr: &mut Problems) {
    if def.trials == 0 {
        pr.error(vec![key("trials")], "trials must be at least 1", None);
    }
    if let Some(e) = &def.estimate {
        if let Err(err) = crate::estimate::Target::parse(&e.target) {
            pr.error(vec![key("estimate"), key("target")], err.to_string(), None);
        }
        if !(e.rel_error > 0.0 && e.rel_error < 1.0) {
            pr.error(
                vec![key("estimate"), key("rel_error")],
                format!(
                    "rel_error {} must be between 0 and 1 (exclusive)",
                    e.rel_error
                ),
                None,
            );
        }
        if e.max_steps == 0 {
            pr.error(
                vec![key("estimate"), key("max_steps")],
                "max_steps must be at least 1",
                None,
            );
        }
    }
    if def.scenarios.is_empty() {
        pr.error(
            vec![key("scenarios")],
            "no scenarios",
            Some("list scenario files, e.g. `scenarios: [../scenarios/flat-ad.yaml]`".into()),
        );
    }
    for (i, e) in def.scenarios.iter().enumerate() {
        if e.file.is_some() == e.generate.is_some() {
            pr.error(
                vec![key("scenarios"), Seg::Index(i)],
                "a scenario entry needs exactly one of `file` and `generate`",
                None,
            );
        }
    }
    if def.controls.is_empty() {
        pr.error(
            vec![key("controls")],
            "no control sets",
            Some("leave `controls` out for `none`, or list sets such as `[none, initial]`".into()),
        );
    }
    for (what, list) in [("controls", &def.controls), ("profiles", &def.profiles)] {
        for (i, n) in list.iter().enumerate() {
            if list[..i].contains(n) {
                pr.error(
                    vec![key(what), Seg::Index(i)],
                    format!("`{n}` is listed twice"),
                    None,
                );
            }
        }
    }
    for (i, p) in def.profiles.iter().enumerate() {
        if crate::attacker::Profile::builtin(p).is_none() {
            pr.error(
                vec![key("profiles"), Seg::Index(i)],
                format!("unknown attacker profile `{p}`"),
                Some(format!(
                    "built-in profiles: {}",
                    crate::attacker::Profile::NAMES.join(", ")
                )),
            );
        }
    }
}

fn check_axes(def: &SpecDef, pr: &mut Problems) -> Vec<Axis> {
    let builtin = Catalog::builtin().ok();
    let mut axes = Vec::new();
    for (name, values) in &def.parameters.0 {
        let path = vec![key("parameters"), key(name)];
        let target = match Target::parse(name) {
            Ok(t) => t,
            Err((msg, hint)) => {
                pr.error(path, msg, hint);
                continue;
            }
        };
        let values = match values.expand() {
            Ok(v) => v,
            Err(msg) => {
                pr.error(path, msg, None);
                continue;
            }
        };
        if let Some(cat) = &builtin
            && let Target::Technique { .. } = &target
            && let Err((msg, hint)) = target.check(cat)
        {
            pr.error(path, msg, hint);
            continue;
        }
        axes.push(Axis {
            name: name.clone(),
            target,
            values,
        });
    }
    axes
}

/// Generator parameters per generated entry: (entry index, one per seed).
fn check_generators(def: &SpecDef, pr: &mut Problems) -> Vec<(usize, Vec<GeneratorParams>)> {
    let mut out = Vec::new();
    for (i, e) in def.scenarios.iter().enumerate() {
        let Some(g) = &e.generate else { continue };
        let here = |k: &str| vec![key("scenarios"), Seg::Index(i), key("generate"), key(k)];
        let seeds = match g.seeds.expand() {
            Ok(v) => v,
            Err(msg) => {
                pr.error(here("seeds"), msg, None);
                continue;
            }
        };
        if let Some(s) = seeds
            .iter()
            .find(|s| **s < 0.0 || s.fract() != 0.0 || **s > 2f64.powi(53))
        {
            pr.error(
                here("seeds"),
                format!("generator seeds are whole numbers from 0 (got {s})"),
                None,
            );
            continue;
        }
        let mut list = Vec::new();
        let mut ok = true;
        for seed in seeds {
            let mut p = GeneratorParams::new(g.size, seed as u64);
            if let Some(n) = g.assets {
                p.assets = n;
            }
            let mut v = match serde_json::to_value(&p) {
                Ok(v) => v,
                Err(e) => {
                    pr.error(here("knobs"), e.to_string(), None);
                    ok = false;
                    break;
                }
            };
            for (k, val) in &g.knobs {
                let known = KNOBS.iter().any(|(n, _, _)| n == k);
                if !known {
                    let hint = crate::suggest::did_you_mean_hint(k, KNOBS.iter().map(|n| n.0))
                        .unwrap_or_else(|| "knobs are listed in docs/generator.md".into());
                    let mut path = here("knobs");
                    path.push(key(k));
                    pr.error(path, format!("unknown generator knob `{k}`"), Some(hint));
                    ok = false;
                    continue;
                }
                v[k.as_str()] = val.clone();
            }
            if !ok {
                break;
            }
            match serde_json::from_value::<GeneratorParams>(v) {
                Ok(p) => match p.check() {
                    Ok(()) => list.push(p),
                    Err(msg) => {
                        pr.error(here("knobs"), msg, None);
                        ok = false;
                        break;
                    }
                },
                Err(e) => {
                    pr.error(
                        here("knobs"),
                        crate::scenario::plain_message(&e.to_string()),
                        None,
                    );
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            out.push((i, list));
        }
    }
    out
}

/// Control sets and parameters must make sense for every scenario of the sweep.
fn check_against_scenarios(
    def: &SpecDef,
    axes: &[Axis],
    scenarios: &[ScenarioInstance],
    pr: &mut Problems,
) {
    let mut reported = std::collections::HashSet::new();
    for sc in scenarios {
        for (i, name) in def.controls.iter().enumerate() {
            match sc.check_set(name) {
                Ok(set) => {
                    for ax in axes {
                        let Some(id) = ax.target.control() else {
                            continue;
                        };
                        if !set.controls.iter().any(|c| c.id == id)
                            && reported.insert((ax.name.clone(), name.clone()))
                        {
                            pr.warning(
                                vec![key("parameters"), key(&ax.name)],
                                format!(
                                    "control set `{name}` does not include {id}: {} has no effect in its cells",
                                    ax.name
                                ),
                            );
                        }
                    }
                }
                Err(e) => {
                    if reported.insert((format!("controls[{i}]"), sc.label.clone())) {
                        pr.error(
                            vec![key("controls"), Seg::Index(i)],
                            format!("in scenario {}: {e}", sc.label),
                            None,
                        );
                    }
                }
            }
        }
        for ax in axes {
            if let Err((msg, hint)) = ax.target.check(&sc.catalog) {
                if reported.insert((ax.name.clone(), format!("check {}", sc.label))) {
                    pr.error(vec![key("parameters"), key(&ax.name)], msg, hint);
                }
                continue;
            }
            let (lo, hi) = ax.target.bounds(&sc.catalog);
            if let Some(x) = ax.values.iter().find(|x| **x < lo || **x > hi)
                && reported.insert((ax.name.clone(), "range".into()))
            {
                pr.error(
                    vec![key("parameters"), key(&ax.name)],
                    format!(
                        "{x} is out of range: {} takes values in {}",
                        ax.name,
                        if hi.is_finite() {
                            format!("[{lo}, {hi}]")
                        } else {
                            format!("[{lo}, ∞)")
                        }
                    ),
                    None,
                );
            }
        }
    }
}

/// Line and column (1-based) of the node at `want`, or of its nearest existing ancestor.
/// Keys may contain dots (`coverage.C01`), which a dotted path string could not express.
pub(crate) fn locate(text: &str, want: &[Seg]) -> (usize, usize) {
    use granit_parser::{Event, Parser};
    enum Frame {
        Map { expect_key: bool },
        Seq { index: usize },
    }
    fn done(stack: &mut [Frame], path: &mut Vec<Seg>) {
        match stack.last_mut() {
            Some(Frame::Map { expect_key }) => {
                path.pop();
                *expect_key = true;
            }
            Some(Frame::Seq { index }) => {
                path.pop();
                *index += 1;
            }
            None => {}
        }
    }
    let mut best = (0usize, (1usize, 1usize));
    let mut record = |path: &[Seg], at: (usize, usize)| {
        if path.len() > best.0 && path.len() <= want.len() && want[..path.len()] == *path {
            best = (path.len(), at);
        }
    };
    let mut stack: Vec<Frame> = Vec::new();
    let mut path: Vec<Seg> = Vec::new();
    for item in Parser::new_from_str(text) {
        let Ok((event, span)) = item else { break };
        let at = (span.start.line(), span.start.col() + 1);
        match &event {
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
                done(&mut stack, &mut path);
                continue;
            }
            Event::Scalar(..)
            | Event::MappingStart(..)
            | Event::SequenceStart(..)
            | Event::Alias(..) => {}
            _ => continue,
        }
        if let Some(Frame::Map { expect_key }) = stack.last_mut()
            && *expect_key
        {
            *expect_key = false;
            let k = match &event {
                Event::Scalar(v, ..) => v.to_string(),
                _ => String::from("?"),
            };
            path.push(Seg::Key(k));
            record(&path, at);
            if !matches!(event, Event::Scalar(..) | Event::Alias(..)) {
                // A complex key: skip it as a value of its own.
                stack.push(match event {
                    Event::MappingStart(..) => Frame::Map { expect_key: true },
                    _ => Frame::Seq { index: 0 },
                });
                path.push(Seg::Key("?".into()));
            }
            continue;
        }
        if let Some(Frame::Seq { index }) = stack.last() {
            path.push(Seg::Index(*index));
            record(&path, at);
        }
        match event {
            Event::MappingStart(..) => stack.push(Frame::Map { expect_key: true }),
            Event::SequenceStart(..) => stack.push(Frame::Seq { index: 0 }),
            _ => done(&mut stack, &mut path),
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_expand_with_both_ends() {
        let v = Values::Text("0..1 step 0.1".into()).expand().unwrap();
        assert_eq!(v.len(), 11);
        assert_eq!(v[3], 0.3);
        assert_eq!(v[10], 1.0);
        assert_eq!(
            Values::Text("1..4".into()).expand().unwrap(),
            vec![1.0, 2.0, 3.0, 4.0]
        );
        assert_eq!(Values::Text("0.5".into()).expand().unwrap(), vec![0.5]);
        assert_eq!(
            Values::Text("0..1 step 0.3".into()).expand().unwrap(),
            vec![0.0, 0.3, 0.6, 0.9]
        );
        assert!(Values::Text("0..1 step 0".into()).expand().is_err());
        assert!(Values::Text("1..0".into()).expand().is_err());
        assert!(Values::Text("zero to one".into()).expand().is_err());
        assert!(Values::List(vec![]).expand().is_err());
    }

    #[test]
    fn locates_dotted_keys_and_list_items() {
        let text = "trials: 3\nscenarios:\n  - a.yaml\n  - file: b.yaml\nparameters:\n  coverage.C01: [0, 1]\n  control.C01.efficacy: 0.5\n";
        assert_eq!(
            locate(text, &[key("parameters"), key("control.C01.efficacy")]),
            (7, 3)
        );
        assert_eq!(
            locate(text, &[key("scenarios"), Seg::Index(1), key("file")]),
            (4, 5)
        );
        assert_eq!(locate(text, &[key("trials")]), (1, 1));
        // A missing child resolves to its parent.
        assert_eq!(locate(text, &[key("parameters"), key("nope")]), (5, 1));
    }
}
