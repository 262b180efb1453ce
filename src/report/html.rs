//! The HTML report: one self-contained file (inline CSS and SVG, no scripts, no external
//! requests). It opens with a summary for the board ([`super::board`]), then the results
//! tables, every chart, the comparison, the control sets and the assumptions behind the
//! numbers; the run's details (file, hash, seed, attacker profile) close it as an appendix.
//!
//! The page is the askama template `templates/report.html` (with `templates/report.css`),
//! which escapes every value automatically: names from a scenario are untrusted input. This
//! module only turns the run into plain-text rows for it; the one value let through
//! unescaped is each chart's SVG, whose text plotters escapes (and [`crate::plot::label`]
//! cleans of control characters). Tables are at most [`MAX_COLUMNS`] wide, fixed to the
//! page and wrapping, so they fit a 1,400 px window and an A4 or Letter page.

use super::board::{Board, BoardExtras};
use crate::compare::{Comparison, MedianDiff};
use crate::controls::{Catalog, ControlDef, ParamValue};
use crate::plot::{Chart, PlotData, hours};
use crate::stats::PairedDiff;
use crate::summary::SetSummary;
use crate::techniques::TechniqueCatalog;
use askama::Template;
use std::collections::{BTreeMap, BTreeSet};

/// Most columns of any table in the report (the widest: the asset table with its sets).
pub const MAX_COLUMNS: usize = 9;
/// Most control sets shown side by side in the asset table.
const MAX_ASSET_SETS: usize = MAX_COLUMNS - 3;
/// Assets listed in the asset table.
const TOP_ASSETS: usize = 25;

const CSS: &str = include_str!("../../templates/report.css");

/// A number with its interval under it.
struct Num {
    value: String,
    ci: String,
    muted: bool,
}

struct ResultRow {
    name: String,
    color: String,
    blast: Num,
    blast_quantiles: String,
    value_weighted: String,
    crown_jewel: Num,
    time_to_crown_jewel: String,
    records: String,
    detected: String,
    time_to_detect: String,
    time_to_evict: String,
    evicted: String,
    contained: String,
    time_to_contain: String,
    breakout: String,
}

struct PillarRow {
    name: String,
    color: String,
    values: Vec<String>,
}

struct SetHead {
    name: String,
    color: String,
}

struct AssetRow {
    id: String,
    name: String,
    crown_jewel: bool,
    kind: String,
    segment: String,
    unplaced: bool,
    rates: Vec<String>,
}

#[derive(Default)]
struct TopAssets {
    sets: Vec<SetHead>,
    rows: Vec<AssetRow>,
    shown: usize,
    total: usize,
}

struct CellRow {
    name: String,
    cells: Vec<Num>,
}

struct AblationView {
    preset: String,
    baseline: String,
    rows: Vec<CellRow>,
}

struct SetView {
    name: String,
    color: String,
    folded: bool,
    description: String,
    /// id, name, coverage, assets covered.
    controls: Vec<(String, String, String, u64)>,
}

struct ChartView {
    name: &'static str,
    svg: String,
    caption: String,
}

struct ParamRow {
    control: String,
    parameter: String,
    description: String,
    value: String,
    /// `src`, `asm` or `none`: the provenance's CSS class.
    class: &'static str,
    label: &'static str,
    provenance: String,
    /// The control is not in the catalog (`parameter` says so, over three columns).
    missing: bool,
}

#[derive(Default)]
struct Parameters {
    controls: usize,
    sourced: usize,
    assumed: usize,
    bare: usize,
    rows: Vec<ParamRow>,
}

struct TechniqueRow {
    id: String,
    name: String,
    tactic: String,
    p: String,
    mean_hours: String,
    noise: String,
    used: u64,
    source: String,
    /// The published figures an assumed number was fitted to (empty: none).
    calibrated_to: String,
}

struct Techniques {
    sourced: usize,
    rows: Vec<TechniqueRow>,
}

/// The page, as the template reads it.
#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    title: String,
    css: &'static str,
    trials: u32,
    horizon: String,
    version: String,
    board: Board,
    results: Vec<ResultRow>,
    pillars: Vec<String>,
    by_pillar: Vec<PillarRow>,
    top_assets: TopAssets,
    charts: Vec<ChartView>,
    has_comparison: bool,
    comparison_baseline: String,
    comparisons: Vec<CellRow>,
    ablation: Option<AblationView>,
    sets: Vec<SetView>,
    with_scenario: bool,
    parameters: Parameters,
    techniques: Techniques,
    meta: Vec<(String, String)>,
    attacker: Vec<(String, String)>,
}

fn pct(p: f64) -> String {
    format!("{:.1}%", p * 100.0)
}

/// A count rounded to a whole number with thousands separators: `7,028,224`.
fn thousands(x: f64) -> String {
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (k, ch) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if x < -0.5 {
        out.insert(0, '-');
    }
    out
}

fn rgb_hex(i: usize) -> String {
    let c = crate::plot::set_color(i);
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

fn diff_num(d: &PairedDiff, digits: usize, scale: f64) -> Num {
    Num {
        value: format!("{:+.*}", digits, d.mean * scale),
        ci: format!(
            "[{:+.*}, {:+.*}]{}",
            digits,
            d.ci95[0] * scale,
            digits,
            d.ci95[1] * scale,
            if d.significant { "" } else { " n.s." }
        ),
        muted: !d.significant,
    }
}

fn median_num(m: &MedianDiff) -> Num {
    let (value, ci) = match (m.diff, m.ci95) {
        (Some(d), Some(ci)) => (
            format!("{d:+.1} h"),
            format!("[{:+.1}, {:+.1}]", ci[0], ci[1]),
        ),
        (Some(d), None) => (format!("{d:+.1} h"), "CI undefined".into()),
        _ => (
            format!("{} → {}", hours(m.baseline), hours(m.set)),
            String::new(),
        ),
    };
    Num {
        value,
        ci,
        muted: false,
    }
}

/// A JSON value as short text (for the attacker profile, whose fields evolve).
fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "—".into(),
        serde_json::Value::Array(a) if a.is_empty() => "none".into(),
        serde_json::Value::Array(a) => a.iter().map(json_text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// The whole report. `with_scenario` says whether `catalog` is the scenario's own (a run)
/// or the built-in one (a redraw from a results directory, where scenario overrides of
/// control parameters are not known); `extras` holds what the board summary needs beyond
/// the results (see [`BoardExtras::compute`]; the default when there is no scenario).
pub fn html_report(
    data: &PlotData,
    charts: &[Chart],
    catalog: &Catalog,
    with_scenario: bool,
    extras: &BoardExtras,
) -> crate::error::Result<String> {
    let s = &data.summary;
    let (comparisons, ablation) = comparison_rows(data);
    let page = ReportPage {
        title: format!("ztsim report: {}", s.scenario),
        css: CSS,
        trials: s.trials,
        horizon: format!(
            "{} h ({:.1} days) at most",
            s.horizon_hours,
            s.horizon_hours / 24.0
        ),
        version: s.ztsim_version.clone(),
        board: Board::new(data, extras),
        results: s
            .control_sets
            .iter()
            .enumerate()
            .map(|(i, c)| result_row(i, c))
            .collect(),
        pillars: pillars(data),
        by_pillar: pillar_rows(data),
        top_assets: top_assets(data),
        charts: charts
            .iter()
            .map(|c| ChartView {
                name: c.name,
                svg: c.svg.trim().to_string(),
                caption: chart_caption(c),
            })
            .collect(),
        has_comparison: !data.comparisons.is_empty() || data.ablation.is_some(),
        comparison_baseline: data
            .comparisons
            .first()
            .map(|c| c.baseline.clone())
            .unwrap_or_default(),
        comparisons,
        ablation,
        sets: set_views(data),
        with_scenario,
        parameters: control_parameters(s, catalog),
        techniques: technique_rows(s),
        meta: meta_rows(data),
        attacker: attacker_rows(data),
    };
    page.render().map_err(|e| crate::error::Error::Write {
        path: "report.html".into(),
        cause: std::io::Error::other(format!("rendering the report failed: {e}")),
    })
}

fn result_row(i: usize, c: &SetSummary) -> ResultRow {
    ResultRow {
        name: c.name.clone(),
        color: rgb_hex(i),
        blast: Num {
            value: format!("{:.1}", c.blast_radius.mean),
            ci: format!(
                "[{:.1}, {:.1}]",
                c.blast_radius.ci95[0], c.blast_radius.ci95[1]
            ),
            muted: false,
        },
        blast_quantiles: format!(
            "{:.0} / {:.0} / {:.0}",
            c.blast_radius.p50, c.blast_radius.p90, c.blast_radius.max
        ),
        value_weighted: format!("{:.1}", c.blast_radius_value.mean),
        crown_jewel: Num {
            value: pct(c.crown_jewel.probability),
            ci: format!(
                "[{}, {}]",
                pct(c.crown_jewel.ci95[0]),
                pct(c.crown_jewel.ci95[1])
            ),
            muted: false,
        },
        time_to_crown_jewel: format!(
            "{} / {}",
            hours(c.time_to_crown_jewel_hours.p50),
            hours(c.time_to_crown_jewel_hours.p90)
        ),
        records: thousands(c.records_exposed.mean),
        detected: pct(c.detected.probability),
        time_to_detect: hours(c.time_to_detect_hours.p50),
        time_to_evict: hours(c.time_to_evict_hours.as_ref().and_then(|t| t.p50)),
        evicted: c
            .evicted
            .as_ref()
            .map_or("-".into(), |p| pct(p.probability)),
        contained: pct(c.contained.probability),
        time_to_contain: hours(c.time_to_contain_hours.p50),
        breakout: hours(c.breakout_hours.p50),
    }
}

fn pillars(data: &PlotData) -> Vec<String> {
    data.summary
        .control_sets
        .first()
        .map(|c| c.by_pillar.keys().cloned().collect())
        .unwrap_or_default()
}

fn pillar_rows(data: &PlotData) -> Vec<PillarRow> {
    let pillars = pillars(data);
    data.summary
        .control_sets
        .iter()
        .enumerate()
        .map(|(i, c)| PillarRow {
            name: c.name.clone(),
            color: rgb_hex(i),
            values: pillars
                .iter()
                .map(|p| format!("{:.2}", c.by_pillar.get(p).copied().unwrap_or(0.0)))
                .collect(),
        })
        .collect()
}

/// The assets compromised most often (under any of the sets asked for), crown jewels first.
fn top_assets(data: &PlotData) -> TopAssets {
    let s = &data.summary;
    let sets: Vec<usize> = data
        .primary_sets()
        .into_iter()
        .take(MAX_ASSET_SETS)
        .collect();
    let rate = |i: usize, id: &str| {
        s.control_sets[i]
            .asset_compromise_rate
            .get(id)
            .copied()
            .unwrap_or(0.0)
    };
    let mut assets: Vec<(&crate::estate::AssetView, f64)> = data
        .estate
        .assets
        .iter()
        .filter(|a| a.kind != crate::model::AssetKind::Segment)
        .map(|a| (a, sets.iter().map(|&i| rate(i, &a.id)).fold(0.0, f64::max)))
        .filter(|(_, r)| *r > 0.0)
        .collect();
    if assets.is_empty() {
        return TopAssets::default();
    }
    assets.sort_by(|x, y| {
        y.0.crown_jewel
            .cmp(&x.0.crown_jewel)
            .then(y.1.total_cmp(&x.1))
            .then(x.0.id.cmp(&y.0.id))
    });
    let total = assets.len();
    assets.truncate(TOP_ASSETS);
    let seg_names: BTreeMap<&str, &str> = data
        .estate
        .assets
        .iter()
        .filter(|a| a.kind == crate::model::AssetKind::Segment)
        .map(|a| (a.id.as_str(), a.name.as_str()))
        .collect();
    TopAssets {
        sets: sets
            .iter()
            .map(|&i| SetHead {
                name: s.control_sets[i].name.clone(),
                color: rgb_hex(i),
            })
            .collect(),
        rows: assets
            .iter()
            .map(|(a, _)| AssetRow {
                id: a.id.clone(),
                name: a.name.clone(),
                crown_jewel: a.crown_jewel,
                kind: a.kind.name().replace('_', " "),
                segment: placement(&a.segment, &seg_names),
                unplaced: a.segment.is_empty(),
                rates: sets.iter().map(|&i| pct(rate(i, &a.id))).collect(),
            })
            .collect(),
        shown: TOP_ASSETS.min(total),
        total,
    }
}

/// Where an asset sits, in words: its segment's name, the internet (cloud-hosted), or no
/// segment at all.
fn placement(segment: &str, names: &BTreeMap<&str, &str>) -> String {
    match segment {
        "" => "no segment".into(),
        "internet" => "internet (cloud-hosted)".into(),
        id => match names.get(id) {
            Some(n) if !n.is_empty() && *n != id => format!("{id}: {n}"),
            _ => id.to_string(),
        },
    }
}

/// Paired differences against the baseline set, and the ablation's rows.
fn comparison_rows(data: &PlotData) -> (Vec<CellRow>, Option<AblationView>) {
    let row = |name: String, c: &Comparison| CellRow {
        name,
        cells: vec![
            diff_num(&c.blast_radius_diff, 2, 1.0),
            diff_num(&c.blast_radius_value_diff, 1, 1.0),
            diff_num(&c.crown_jewel_diff, 2, 100.0),
            diff_num(&c.records_exposed_diff, 0, 1.0),
            median_num(&c.time_to_crown_jewel_p50),
            median_num(&c.time_to_contain_p50),
        ],
    };
    let rows = data
        .comparisons
        .iter()
        .map(|c| row(c.name.clone(), c))
        .collect();
    let ablation = data.ablation.as_ref().map(|ab| AblationView {
        preset: ab.preset.clone(),
        baseline: ab.addition_baseline.clone(),
        rows: ab
            .controls
            .iter()
            .map(|m| CellRow {
                name: format!("{} {}", m.id, m.name),
                cells: vec![
                    diff_num(&m.removal.blast_radius_diff, 2, 1.0),
                    diff_num(&m.removal.crown_jewel_diff, 2, 100.0),
                    diff_num(&m.removal.blast_radius_value_diff, 1, 1.0),
                    diff_num(&m.addition.blast_radius_diff, 2, 1.0),
                    diff_num(&m.addition.crown_jewel_diff, 2, 100.0),
                ],
            })
            .collect(),
    });
    (rows, ablation)
}

/// Each control set with its description and controls; ablation runs folded away.
fn set_views(data: &PlotData) -> Vec<SetView> {
    let primary = data.primary_sets();
    data.summary
        .control_sets
        .iter()
        .enumerate()
        .map(|(i, c)| SetView {
            name: c.name.clone(),
            color: rgb_hex(i),
            folded: !primary.contains(&i),
            description: c.description.clone(),
            controls: c
                .controls
                .iter()
                .map(|e| {
                    (
                        e.id.clone(),
                        e.name.clone(),
                        pct(e.coverage),
                        e.covered_assets as u64,
                    )
                })
                .collect(),
        })
        .collect()
}

/// The run's details for the appendix: name, file, hash, size, trials, seed, horizon.
fn meta_rows(data: &PlotData) -> Vec<(String, String)> {
    let s = &data.summary;
    vec![
        ("name".into(), s.scenario.clone()),
        ("file".into(), s.scenario_file.clone()),
        ("scenario hash (FNV-1a)".into(), s.scenario_hash.clone()),
        (
            "assets".into(),
            format!(
                "{} counted in the blast radius ({} in the estate view, segments included), {} relations, {} attack edges",
                s.assets,
                data.estate.assets.len(),
                data.estate.relations.len(),
                s.attack_edges
            ),
        ),
        ("trials per control set".into(), s.trials.to_string()),
        ("seed".into(), s.seed.to_string()),
        (
            "horizon".into(),
            format!("{} h ({:.1} days)", s.horizon_hours, s.horizon_hours / 24.0),
        ),
        ("ztsim version".into(), s.ztsim_version.clone()),
    ]
}

/// The attacker profile field by field, name and description first.
fn attacker_rows(data: &PlotData) -> Vec<(String, String)> {
    let Ok(serde_json::Value::Object(m)) = serde_json::to_value(&data.summary.attacker) else {
        return Vec::new();
    };
    let first = ["name", "description"];
    first
        .iter()
        .filter_map(|k| m.get_key_value(*k))
        .chain(m.iter().filter(|(k, _)| !first.contains(&k.as_str())))
        .map(|(k, v)| (k.replace('_', " "), json_text(v)))
        .collect()
}

/// A chart's caption; the survival and timeline charts say where their time axis stops.
fn chart_caption(c: &Chart) -> String {
    let base = match c.name {
        "blast_radius" => {
            "Distribution of the blast radius over trials, by asset count and by business value, from the raw per-trial values."
        }
        "time_to_crown_jewel" => {
            "Share of trials in which no crown jewel has been reached yet, over time (Kaplan–Meier). A curve that ends above 0% is censored: those trials never reached a crown jewel within the horizon."
        }
        "time_to_contain" => {
            "Share of trials not yet fully contained, over time (Kaplan–Meier), censored at the horizon."
        }
        "time_to_detect" => {
            "Share of trials not yet detected, over time (Kaplan–Meier), censored at the horizon."
        }
        "compromised_over_time" => {
            "Mean number of compromised assets over time, with its 95% confidence band."
        }
        "estate_map" => {
            "The estate by segment, each asset coloured by the share of trials in which it was compromised; crown jewels ringed and starred. Assets in no segment (identities, credentials, unplaced assets) have a box of their own."
        }
        "control_marginal_value" => {
            "What each control of the ablated preset is worth: the change in mean blast radius when it is removed, and when it is used alone."
        }
        _ => "",
    };
    match &c.note {
        Some(n) => format!("{base} {n}"),
        None => base.to_string(),
    }
}

/// The parameters of every control used in the run, each with its value and provenance,
/// and how many are sourced, assumed and bare.
fn control_parameters(s: &crate::summary::Summary, catalog: &Catalog) -> Parameters {
    let ids: BTreeSet<&str> = s
        .control_sets
        .iter()
        .flat_map(|c| c.controls.iter().map(|e| e.id.as_str()))
        .collect();
    let mut out = Parameters {
        controls: ids.len(),
        ..Parameters::default()
    };
    for id in &ids {
        match catalog.get(id) {
            Some(def) => control_rows(&mut out, id, def),
            None => out.rows.push(ParamRow {
                control: id.to_string(),
                parameter: "not in the catalog used for this report".into(),
                description: String::new(),
                value: String::new(),
                class: "none",
                label: "",
                provenance: String::new(),
                missing: true,
            }),
        }
    }
    out
}

/// The rows of one control: numbers written straight into its effects (which have no
/// provenance of their own), then its named parameters.
fn control_rows(out: &mut Parameters, id: &str, def: &ControlDef) {
    let control = format!("{id} {}", def.name.clone().unwrap_or_default());
    let literals: Vec<(String, f64)> = def
        .effects
        .iter()
        .flatten()
        .enumerate()
        .flat_map(|(i, e)| {
            [
                ("e", &e.e),
                ("d", &e.d),
                ("fraction", &e.fraction),
                ("delay_hours", &e.delay_hours),
                ("share", &e.share),
            ]
            .into_iter()
            .filter_map(move |(k, v)| match v {
                Some(ParamValue::Number(x)) => Some((format!("effects[{i}].{k}"), *x)),
                _ => None,
            })
        })
        .collect();
    for (k, v) in &literals {
        out.bare += 1;
        out.rows.push(ParamRow {
            control: control.clone(),
            parameter: k.clone(),
            description: "a number written in the effect".into(),
            value: v.to_string(),
            class: "none",
            label: "no provenance given",
            provenance: String::new(),
            missing: false,
        });
    }
    if def.parameters.is_empty() && literals.is_empty() {
        out.rows.push(ParamRow {
            control: control.clone(),
            parameter: "no numeric parameters".into(),
            description: String::new(),
            value: String::new(),
            class: "muted",
            label: "",
            provenance: String::new(),
            missing: true,
        });
    }
    for (k, p) in &def.parameters {
        let (class, label, provenance) = match (&p.source, &p.assumption) {
            (Some(src), _) => {
                out.sourced += 1;
                ("src", "source:", src.clone())
            }
            (None, Some(a)) => {
                out.assumed += 1;
                ("asm", "assumption:", a.clone())
            }
            _ => {
                out.bare += 1;
                ("none", "no provenance given", String::new())
            }
        };
        out.rows.push(ParamRow {
            control: control.clone(),
            parameter: k.clone(),
            description: p.description.clone().unwrap_or_default(),
            value: p.value.to_string(),
            class,
            label,
            provenance,
            missing: false,
        });
    }
}

/// The built-in ATT&CK technique defaults, with how many steps of each succeeded in this
/// run over all sets.
fn technique_rows(s: &crate::summary::Summary) -> Techniques {
    let tc = TechniqueCatalog::builtin();
    let mut used: BTreeMap<&str, u64> = BTreeMap::new();
    for c in &s.control_sets {
        for (id, n) in &c.techniques {
            *used.entry(id.as_str()).or_insert(0) += n;
        }
    }
    Techniques {
        sourced: tc.list.iter().filter(|t| t.source.is_some()).count(),
        rows: tc
            .list
            .iter()
            .map(|t| TechniqueRow {
                id: t.id.clone(),
                name: t.name.clone(),
                tactic: t.tactic.clone(),
                p: format!("{:.2}", t.p),
                mean_hours: t.mean_hours.to_string(),
                noise: format!("{}", t.noise),
                used: used.get(t.id.as_str()).copied().unwrap_or(0),
                source: t.source.clone().unwrap_or_default(),
                calibrated_to: t
                    .calibrated_to
                    .as_ref()
                    .map(|c| c.describe())
                    .unwrap_or_default(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(thousands(7_028_224.4), "7,028,224");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1000.0), "1,000");
        assert_eq!(thousands(-12345.0), "-12,345");
        assert_eq!(thousands(0.2), "0");
    }

    #[test]
    fn placement_names_the_segment_or_says_there_is_none() {
        let names = BTreeMap::from([("lan", "Office LAN")]);
        assert_eq!(placement("", &names), "no segment");
        assert_eq!(placement("internet", &names), "internet (cloud-hosted)");
        assert_eq!(placement("lan", &names), "lan: Office LAN");
        assert_eq!(placement("dmz", &names), "dmz");
    }
}
