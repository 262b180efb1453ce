//! The calibration file (`data/calibration.yaml`, embedded; or `--file`): each published
//! figure with its source, the ztsim run that corresponds to it, the band the run must fall
//! in, and what limits the comparison. Parsed strictly like every input file
//! (`scenario::parse_strict`: unknown fields and metrics are errors with a "did you
//! mean"), then checked: every problem located as `file:line:column` and its field.

use crate::error::{Diagnostic, Diagnostics, Error, Result};
use crate::limits::Limits;
use crate::scenario::{DocKind, TechniqueOverride, is_json, locate_all, parse_strict};
use serde::{Deserialize, Serialize};

/// The embedded calibration file.
pub const EMBEDDED: &str = include_str!("../../data/calibration.yaml");

/// A whole calibration file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalibrationFile {
    /// The figures, in the order they are run and shown.
    pub figures: Vec<Figure>,
}

/// One published figure and the ztsim run compared with it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Figure {
    /// Short stable id (`time-to-ad`), named in `calibrated_to` and by `--figure`.
    pub id: String,
    /// The figure as people quote it: "time to Active Directory".
    pub figure: String,
    /// What is measured, precisely: from when to when, over which incidents.
    pub quantity: String,
    /// The published number.
    pub published: Published,
    /// The ztsim run that corresponds to it, and why it was chosen.
    pub run: RunDef,
    /// When ztsim's value counts as within band.
    pub band: Band,
    /// What limits the comparison (survivorship, definitions, populations).
    pub limits: String,
    /// The verdict expected: `in_band` (the default) fails `ztsim calibrate` when the row is
    /// out of band; `out_of_band` documents a known disagreement and its reason.
    #[serde(default)]
    pub expect: Expect,
    /// Why a row is expected out of band (required with `expect: out_of_band`).
    #[serde(default)]
    pub reason: Option<String>,
}

/// A published value with its spread, population, year and source.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Published {
    /// What statistic the source gives: median, mean, a quantile, a share, a reduction.
    pub statistic: Statistic,
    /// Its value: hours for times, a share in [0, 1] for shares and reductions.
    pub value: f64,
    /// The published spread (quartiles, or the range of the medians over years), in the
    /// value's unit; absent when only the value is published.
    #[serde(default)]
    pub spread: Option<Spread>,
    /// Whose incidents: "661 cases handled by Sophos IR and MDR, Nov 2024 to Oct 2025".
    pub population: String,
    /// The year the figure describes (or was published).
    pub year: u32,
    /// The source, by name: report, edition, and whether a secondary write-up was used.
    pub source: String,
}

/// A published spread.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spread {
    /// Low end.
    pub low: f64,
    /// High end.
    pub high: f64,
    /// What the two ends are: "quartiles", "medians 2023-2026".
    pub what: String,
}

/// The statistic a source publishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Statistic {
    /// A median (of a time).
    Median,
    /// A mean (of a time).
    Mean,
    /// A quantile of a time other than the median (`run.quantile` says which).
    Quantile,
    /// A share of incidents.
    Share,
    /// A relative reduction (1 - after / before).
    Reduction,
}

/// The ztsim run of a figure.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunDef {
    /// Scenario file, relative to the calibration file (the embedded file names the shipped
    /// scenarios, `scenarios/NAME.yaml`).
    pub scenario: String,
    /// Attacker profile replacing the scenario's.
    #[serde(default)]
    pub profile: Option<String>,
    /// Control set (a preset, a scenario set, or catalog ids joined with `+`).
    pub controls: String,
    /// For a reduction: the control set it is relative to.
    #[serde(default)]
    pub baseline: Option<String>,
    /// What is measured in each trial.
    pub metric: Metric,
    /// Where a time is counted from (default `initial_access`; breakout always counts from
    /// the first foothold, detect_to_eviction from the first detection).
    #[serde(default)]
    pub from: Origin,
    /// For times: which quantile over trials (default 0.5, the median).
    #[serde(default)]
    pub quantile: Option<f64>,
    /// Trials (`--trials` replaces it).
    pub trials: u32,
    /// Master seed (default: the scenario's).
    #[serde(default)]
    pub seed: Option<u64>,
    /// Technique overrides applied to the scenario for this run only.
    #[serde(default)]
    pub techniques: Vec<TechniqueOverride>,
    /// Why this run is the one a practitioner would compare with the figure.
    pub why: String,
}

/// Where a time metric starts in each trial.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The first asset that fell: a phished password counts.
    #[default]
    InitialAccess,
    /// The first foothold in the network: code on a host, a VPN session.
    FirstFoothold,
}

/// A per-trial measurement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Hours from the first foothold (code on a host) to the first lateral one.
    Breakout,
    /// Hours from the origin to the first Tier Zero node:
    /// a domain controller, the domain, an identity provider, a tier-0 identity or a member
    /// of a Tier Zero group.
    TimeToTierZero,
    /// Hours from the origin to the first device encrypted or backup destroyed.
    TimeToImpact,
    /// Hours from the origin to the first data exfiltrated.
    TimeToExfiltration,
    /// Hours from initial access to the first detection of a step taken from inside (a
    /// phish or spray seen at the door is not a detection of the intrusion).
    Dwell,
    /// Hours from the first detection to the first eviction.
    DetectToEviction,
    /// Share of the trials with a step detected inside whose intrusion was evicted within
    /// the horizon.
    EvictedShare,
    /// Relative reduction of the share of trials reaching an objective (crown jewel),
    /// `controls` against `baseline`.
    ObjectiveReduction,
}

impl Metric {
    /// Whether the metric is a time (hours) rather than a share.
    pub fn is_time(self) -> bool {
        !matches!(self, Metric::EvictedShare | Metric::ObjectiveReduction)
    }
}

/// When ztsim's value is within band.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// How the band is drawn.
    pub rule: BandRule,
    /// For `factor`: within value / factor and value × factor (at least 1).
    #[serde(default)]
    pub factor: Option<f64>,
    /// For `range`: the band's ends, in the value's unit.
    #[serde(default)]
    pub low: Option<f64>,
    /// For `range`: the band's high end.
    #[serde(default)]
    pub high: Option<f64>,
    /// Why this band.
    pub reason: String,
}

/// How a band is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BandRule {
    /// The published spread.
    Spread,
    /// A factor around the published value (only a value is published).
    Factor,
    /// Explicit ends, with the reason.
    Range,
}

/// The verdict a row expects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// In band; out of band fails the command.
    #[default]
    InBand,
    /// Known to be out of band, for the stated reason.
    OutOfBand,
}

impl Figure {
    /// The band's ends, in the value's unit (checked by [`check`]).
    pub fn band_ends(&self) -> (f64, f64) {
        let v = self.published.value;
        match self.band.rule {
            BandRule::Spread => self
                .published
                .spread
                .as_ref()
                .map_or((v, v), |s| (s.low, s.high)),
            BandRule::Factor => {
                let f = self.band.factor.unwrap_or(1.0);
                (v / f, v * f)
            }
            BandRule::Range => (self.band.low.unwrap_or(v), self.band.high.unwrap_or(v)),
        }
    }

    /// The quantile of a time metric (the median unless the row says otherwise).
    pub fn quantile(&self) -> f64 {
        self.run.quantile.unwrap_or(0.5)
    }
}

/// A calibration file read and checked, with where it came from.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The figures.
    pub file: CalibrationFile,
    /// The file as named (`data/calibration.yaml (embedded)` for the built-in one).
    pub origin: String,
    /// The directory scenario paths are relative to; `None` for the embedded file.
    pub dir: Option<std::path::PathBuf>,
}

/// The embedded calibration file, checked.
pub fn builtin() -> Result<Loaded> {
    Ok(Loaded {
        file: parse(EMBEDDED, "data/calibration.yaml", &Limits::default())?,
        origin: "data/calibration.yaml (embedded)".into(),
        dir: None,
    })
}

/// Reads and checks a calibration file.
pub fn load(path: &std::path::Path, limits: &Limits) -> Result<Loaded> {
    let text = crate::scenario::read_scenario_text(path, limits)?;
    let origin = path.display().to_string();
    Ok(Loaded {
        file: parse(&text, &origin, limits)?,
        origin,
        dir: Some(
            path.parent()
                .map(std::path::Path::to_path_buf)
                .unwrap_or_default(),
        ),
    })
}

/// Parses and checks calibration text; `origin` names it in diagnostics.
pub fn parse(text: &str, origin: &str, limits: &Limits) -> Result<CalibrationFile> {
    let invalid = |items: Vec<Diagnostic>| {
        Error::Invalid(Diagnostics {
            file: origin.to_string(),
            items,
        })
    };
    let kind = DocKind {
        called: "calibration file",
        needs: "a calibration file needs `figures:`, a list of published figures and their runs",
    };
    let file: CalibrationFile =
        parse_strict(text, is_json(origin, text), limits, kind).map_err(|d| invalid(vec![d]))?;
    let problems = check(&file);
    if problems.iter().any(Diagnostic::is_error) {
        return Err(invalid(locate_all(text, problems)));
    }
    Ok(file)
}

/// Problems found so far, each with its field path.
struct Problems(Vec<Diagnostic>);

impl Problems {
    fn err(&mut self, path: String, msg: String, hint: Option<&str>) {
        let mut d = Diagnostic::error(path, msg);
        if let Some(h) = hint {
            d = d.with_hint(h);
        }
        self.0.push(d);
    }
}

/// Every semantic problem of a parsed file, with its field path.
pub fn check(f: &CalibrationFile) -> Vec<Diagnostic> {
    let mut out = Problems(Vec::new());
    if f.figures.is_empty() {
        out.err(
            "figures".into(),
            "no figures".into(),
            Some("list at least one published figure"),
        );
    }
    let mut ids = std::collections::HashMap::new();
    for (i, g) in f.figures.iter().enumerate() {
        let at = |field: &str| format!("figures[{i}].{field}");
        if g.id.trim().is_empty() {
            out.err(at("id"), "empty id".into(), None);
        } else if let Some(j) = ids.insert(g.id.clone(), i) {
            out.err(
                at("id"),
                format!("duplicate id `{}` (also figures[{j}])", g.id),
                None,
            );
        }
        check_texts(g, &at, &mut out);
        check_published(g, &at, &mut out);
        check_run(g, &at, &mut out);
        check_band(g, &at, &mut out);
    }
    out.0
}

/// A figure's numbers: whether they are times, their unit, and the rule for their range.
struct Range {
    time: bool,
    unit: &'static str,
    what: &'static str,
}

impl Range {
    fn of(g: &Figure) -> Range {
        let time = g.run.metric.is_time();
        Range {
            time,
            unit: if time { "time" } else { "share" },
            what: if time {
                "a time cannot be negative"
            } else {
                "a share is between 0 and 1"
            },
        }
    }
    fn bad(&self, x: f64) -> bool {
        !x.is_finite() || x < 0.0 || (!self.time && x > 1.0)
    }
    /// Reports `x` at `path` when it is out of range.
    fn check(&self, x: f64, path: String, out: &mut Problems) {
        if self.bad(x) {
            out.err(
                path,
                format!("{} {x} is out of range", self.unit),
                Some(self.what),
            );
        }
    }
}

/// The words every figure carries: source, population, run reason, band reason, limits.
fn check_texts(g: &Figure, at: &dyn Fn(&str) -> String, out: &mut Problems) {
    for (field, text) in [
        ("figure", &g.figure),
        ("quantity", &g.quantity),
        ("limits", &g.limits),
        ("published.source", &g.published.source),
        ("published.population", &g.published.population),
        ("run.why", &g.run.why),
        ("band.reason", &g.band.reason),
    ] {
        if text.trim().is_empty() {
            out.err(
                at(field),
                format!("`{field}` is empty"),
                Some(
                    "every figure names its source, population, run reason, band reason and limits",
                ),
            );
        }
    }
}

/// The published value and spread: in range, and a statistic that fits the metric.
fn check_published(g: &Figure, at: &dyn Fn(&str) -> String, out: &mut Problems) {
    let p = &g.published;
    let r = Range::of(g);
    r.check(p.value, at("published.value"), out);
    if let Some(s) = &p.spread {
        r.check(s.low, at("published.spread.low"), out);
        r.check(s.high, at("published.spread.high"), out);
        if s.low > s.high {
            out.err(
                at("published.spread"),
                format!("low {} is above high {}", s.low, s.high),
                None,
            );
        }
    }
    let wrong = match (p.statistic, r.time) {
        (Statistic::Share | Statistic::Reduction, true) => {
            Some("is a time; the statistic must be median, mean or quantile")
        }
        (Statistic::Median | Statistic::Mean | Statistic::Quantile, false) => {
            Some("is a share; the statistic must be share or reduction")
        }
        _ => None,
    };
    if let Some(w) = wrong {
        out.err(
            at("published.statistic"),
            format!("metric `{}` {w}", metric_name(g.run.metric)),
            None,
        );
    }
}

/// The run: its quantile, technique overrides, trials and baseline.
fn check_run(g: &Figure, at: &dyn Fn(&str) -> String, out: &mut Problems) {
    if let Some(q) = g.run.quantile
        && !(q > 0.0 && q < 1.0)
    {
        out.err(
            at("run.quantile"),
            format!("quantile {q} is not between 0 and 1"),
            None,
        );
    }
    let tc = crate::techniques::TechniqueCatalog::builtin();
    for (k, t) in g.run.techniques.iter().enumerate() {
        let tat = |f: &str| at(&format!("run.techniques[{k}].{f}"));
        if !tc.list.iter().any(|x| x.id == t.id) {
            let hint =
                crate::suggest::did_you_mean_hint(&t.id, tc.list.iter().map(|x| x.id.as_str()))
                    .unwrap_or_else(|| "`ztsim techniques` lists them".into());
            out.err(
                tat("id"),
                format!("unknown technique `{}`", t.id),
                Some(&hint),
            );
        }
        for (f, v, time) in [
            ("p", t.p, false),
            ("noise", t.noise, false),
            ("mean_hours", t.mean_hours, true),
        ] {
            if let Some(v) = v
                && (!v.is_finite() || v < 0.0 || (!time && v > 1.0))
            {
                let hint = if time {
                    "a time cannot be negative"
                } else {
                    "a probability is between 0 and 1"
                };
                out.err(tat(f), format!("{f} {v} is out of range"), Some(hint));
            }
        }
    }
    if g.run.trials == 0 {
        out.err(at("run.trials"), "at least 1 trial".into(), None);
    }
    if g.run.metric == Metric::ObjectiveReduction && g.run.baseline.is_none() {
        out.err(
            at("run.baseline"),
            "a reduction needs the control set it is relative to".into(),
            Some("add `baseline: none`"),
        );
    }
}

/// The band rule and its numbers, and the reason a row expected out of band gives.
fn check_band(g: &Figure, at: &dyn Fn(&str) -> String, out: &mut Problems) {
    let r = Range::of(g);
    match g.band.rule {
        BandRule::Spread if g.published.spread.is_none() => out.err(
            at("band.rule"),
            "band `spread` but no published spread".into(),
            Some("give `published.spread`, or use `factor` when only a value is published"),
        ),
        BandRule::Factor => match g.band.factor {
            Some(x) if x.is_finite() && x >= 1.0 => {}
            Some(x) => out.err(at("band.factor"), format!("factor {x} is below 1"), None),
            None => out.err(
                at("band"),
                "band `factor` needs `factor`".into(),
                Some("e.g. `factor: 2`"),
            ),
        },
        BandRule::Range => match (g.band.low, g.band.high) {
            (Some(lo), Some(hi)) => {
                r.check(lo, at("band.low"), out);
                r.check(hi, at("band.high"), out);
                if lo > hi {
                    out.err(at("band"), format!("low {lo} is above high {hi}"), None);
                }
            }
            _ => out.err(
                at("band"),
                "band `range` needs `low` and `high`".into(),
                None,
            ),
        },
        _ => {}
    }
    if g.expect == Expect::OutOfBand && g.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        out.err(
            at("reason"),
            "a row expected out of band must say why".into(),
            Some("add `reason:`"),
        );
    }
}

/// The metric's name as written in the file.
pub fn metric_name(m: Metric) -> String {
    serde_json::to_value(m)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}
