//! The HTML report: one self-contained file (inline CSS and SVG, no scripts, no external
//! requests) with the scenario, the control sets, the summary and comparison tables, every
//! chart, and the assumptions behind the numbers. Every name from a scenario is escaped:
//! a scenario is untrusted input.

use crate::compare::{Comparison, MedianDiff};
use crate::controls::{Catalog, ControlDef, ParamValue};
use crate::plot::{Chart, PlotData, hours};
use crate::stats::PairedDiff;
use crate::summary::{SetSummary, Summary};
use crate::techniques::TechniqueCatalog;
use std::collections::BTreeSet;
use std::fmt::Write;

/// Escapes text for HTML element content and quoted attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

use html_escape as esc;

const CSS: &str = r#"
:root { --ink: #222; --muted: #666; --line: #d8dde3; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; color: var(--ink); margin: 0;
  line-height: 1.45; font-size: 15px; }
main { max-width: 1280px; margin: 0 auto; padding: 24px 32px 64px; }
h1 { font-size: 28px; margin: 8px 0 4px; }
h2 { font-size: 22px; margin: 40px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 17px; margin: 24px 0 8px; }
p.lead { color: var(--muted); margin-top: 0; }
nav { background: var(--bg); border: 1px solid var(--line); padding: 8px 14px; margin: 16px 0; }
nav a { margin-right: 16px; color: #1f5a96; text-decoration: none; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13.5px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.scroll { overflow-x: auto; }
.swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px; vertical-align: -1px;
  border: 1px solid rgba(0,0,0,.3); }
.ns { color: var(--muted); }
.src { color: #1c6b2a; } .asm { color: #9a5b00; } .none { color: #b00020; }
figure { margin: 18px 0 30px; }
figure svg { max-width: 100%; height: auto; border: 1px solid var(--line); background: #fff; }
figcaption { color: var(--muted); font-size: 13.5px; margin-top: 4px; }
details { margin: 6px 0; } summary { cursor: pointer; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; margin: 8px 0; }
dl.meta dt { color: var(--muted); } dl.meta dd { margin: 0; }
footer { color: var(--muted); font-size: 12.5px; margin-top: 48px; }
"#;

fn pct(p: f64) -> String {
    format!("{:.1}%", p * 100.0)
}

fn rgb_hex(i: usize) -> String {
    let c = crate::plot::set_color(i);
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

fn set_name(i: usize, s: &SetSummary) -> String {
    format!(
        "<span class=\"swatch\" style=\"background:{}\"></span>{}",
        rgb_hex(i),
        esc(&s.name)
    )
}

fn diff_cell(d: &PairedDiff, digits: usize, scale: f64) -> String {
    let class = if d.significant { "num" } else { "num ns" };
    format!(
        "<td class=\"{class}\">{:+.*} [{:+.*}, {:+.*}]{}</td>",
        digits,
        d.mean * scale,
        digits,
        d.ci95[0] * scale,
        digits,
        d.ci95[1] * scale,
        if d.significant { "" } else { " (n.s.)" }
    )
}

fn median_cell(m: &MedianDiff) -> String {
    match (m.diff, m.ci95) {
        (Some(d), Some(ci)) => format!(
            "<td class=\"num\">{d:+.1} h [{:+.1}, {:+.1}]</td>",
            ci[0], ci[1]
        ),
        (Some(d), None) => format!("<td class=\"num\">{d:+.1} h (CI undefined)</td>"),
        _ => format!(
            "<td class=\"num\">{} → {}</td>",
            hours(m.baseline),
            hours(m.set)
        ),
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
/// control parameters are not known).
pub fn html_report(
    data: &PlotData,
    charts: &[Chart],
    catalog: &Catalog,
    with_scenario: bool,
) -> String {
    let s = &data.summary;
    let mut h =
        String::with_capacity(64 * 1024 + charts.iter().map(|c| c.svg.len()).sum::<usize>());
    head_and_nav(&mut h, data);
    scenario_section(&mut h, data);
    results_section(&mut h, data);
    top_assets(&mut h, data);
    charts_section(&mut h, charts);
    comparison_section(&mut h, data);
    control_sets_section(&mut h, data);
    assumptions(&mut h, data, catalog, with_scenario);
    let _ = write!(
        h,
        "<footer>Generated by ztsim {} from {} trials per control set. MITRE ATT&amp;CK ids and names © The MITRE Corporation; \
         ATT&amp;CK is a trademark of MITRE. Charts set in DejaVu Sans.</footer>\n</main>\n</body>\n</html>\n",
        esc(&s.ztsim_version),
        s.trials
    );
    h
}

/// The document head (inline CSS, a content security policy that forbids scripts and
/// requests), the title and lead, and the navigation bar.
fn head_and_nav(h: &mut String, data: &PlotData) {
    let s = &data.summary;
    let title = format!("ztsim report: {}", s.scenario);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n",
        esc(&title)
    );
    let _ = write!(
        h,
        "<h1>{}</h1>\n<p class=\"lead\">Monte Carlo simulation of an attacker moving through the estate under each control set. \
         {} trials per control set.</p>\n",
        esc(&title),
        s.trials
    );
    h.push_str(
        "<nav><a href=\"#scenario\">Scenario</a><a href=\"#results\">Results</a>\
         <a href=\"#charts\">Charts</a>",
    );
    if !data.comparisons.is_empty() || data.ablation.is_some() {
        h.push_str("<a href=\"#comparison\">Comparison</a>");
    }
    h.push_str(
        "<a href=\"#sets\">Control sets</a><a href=\"#assumptions\">Assumptions</a></nav>\n",
    );
}

/// The scenario: name, file, hash, size, trials, seed, horizon, version, and the attacker
/// profile field by field.
fn scenario_section(h: &mut String, data: &PlotData) {
    let s = &data.summary;
    h.push_str("<h2 id=\"scenario\">Scenario</h2>\n<dl class=\"meta\">\n");
    let mut meta = |k: &str, v: String| {
        let _ = writeln!(h, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(&v));
    };
    meta("name", s.scenario.clone());
    meta("file", s.scenario_file.clone());
    meta("scenario hash (FNV-1a)", s.scenario_hash.clone());
    meta(
        "assets",
        format!(
            "{} counted in the blast radius ({} in the estate view), {} relations, {} attack edges",
            s.assets,
            data.estate.assets.len(),
            data.estate.relations.len(),
            s.attack_edges
        ),
    );
    meta("trials per control set", s.trials.to_string());
    meta("seed", s.seed.to_string());
    meta(
        "horizon",
        format!("{} h ({:.1} days)", s.horizon_hours, s.horizon_hours / 24.0),
    );
    meta("ztsim version", s.ztsim_version.clone());
    h.push_str("</dl>\n<h3>Attacker profile</h3>\n<dl class=\"meta\">\n");
    if let Ok(serde_json::Value::Object(m)) = serde_json::to_value(&s.attacker) {
        let first = ["name", "description"];
        let fields = first
            .iter()
            .filter_map(|k| m.get_key_value(*k))
            .chain(m.iter().filter(|(k, _)| !first.contains(&k.as_str())));
        for (k, v) in fields {
            let _ = writeln!(
                h,
                "<dt>{}</dt><dd>{}</dd>",
                esc(&k.replace('_', " ")),
                esc(&json_text(v))
            );
        }
    }
    h.push_str("</dl>\n");
}

/// The results table (one row per control set) and the mean assets compromised by pillar.
fn results_section(h: &mut String, data: &PlotData) {
    let s = &data.summary;
    h.push_str("<h2 id=\"results\">Results by control set</h2>\n<div class=\"scroll\"><table>\n<tr>\
        <th>control set</th><th>blast radius, assets: mean [95% CI]</th><th>p50 / p90 / max</th>\
        <th>value-weighted mean</th><th>P(crown jewel) [95% CI]</th><th>time to crown jewel p50 / p90</th>\
        <th>records exposed (mean)</th><th>detected</th><th>time to detect p50</th>\
        <th>time to eviction p50</th><th>evicted</th><th>contained</th>\
        <th>time to contain p50</th><th>breakout p50</th></tr>\n");
    for (i, c) in s.control_sets.iter().enumerate() {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"num\">{:.1} [{:.1}, {:.1}]</td><td class=\"num\">{:.0} / {:.0} / {:.0}</td>\
             <td class=\"num\">{:.1}</td><td class=\"num\">{} [{}, {}]</td><td class=\"num\">{} / {}</td>\
             <td class=\"num\">{:.0}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            set_name(i, c),
            c.blast_radius.mean,
            c.blast_radius.ci95[0],
            c.blast_radius.ci95[1],
            c.blast_radius.p50,
            c.blast_radius.p90,
            c.blast_radius.max,
            c.blast_radius_value.mean,
            pct(c.crown_jewel.probability),
            pct(c.crown_jewel.ci95[0]),
            pct(c.crown_jewel.ci95[1]),
            hours(c.time_to_crown_jewel_hours.p50),
            hours(c.time_to_crown_jewel_hours.p90),
            c.records_exposed.mean,
            pct(c.detected.probability),
            hours(c.time_to_detect_hours.p50),
            hours(c.time_to_evict_hours.as_ref().and_then(|t| t.p50)),
            c.evicted
                .as_ref()
                .map_or("-".into(), |p| pct(p.probability)),
            pct(c.contained.probability),
            hours(c.time_to_contain_hours.p50),
            hours(c.breakout_hours.p50),
        );
    }
    h.push_str("</table></div>\n");
    if let Some(n) = super::calibration_note(&s.calibrated_to) {
        let _ = writeln!(h, "<p class=\"lead\">{}</p>", esc(&n));
    }
    h.push_str("<h3>Mean assets compromised by pillar</h3>\n<div class=\"scroll\"><table>\n<tr><th>control set</th>");
    let pillars: Vec<&String> = s
        .control_sets
        .first()
        .map(|c| c.by_pillar.keys().collect())
        .unwrap_or_default();
    for p in &pillars {
        let _ = write!(h, "<th>{}</th>", esc(p));
    }
    h.push_str("</tr>\n");
    for (i, c) in s.control_sets.iter().enumerate() {
        let _ = write!(h, "<tr><td>{}</td>", set_name(i, c));
        for p in &pillars {
            let _ = write!(
                h,
                "<td class=\"num\">{:.2}</td>",
                c.by_pillar.get(*p).copied().unwrap_or(0.0)
            );
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table></div>\n");
}

/// Every chart as inline SVG with its caption.
fn charts_section(h: &mut String, charts: &[Chart]) {
    h.push_str("<h2 id=\"charts\">Charts</h2>\n");
    for c in charts {
        let _ = write!(
            h,
            "<figure id=\"chart-{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
            c.name,
            c.svg.trim(),
            esc(&chart_caption(c.name))
        );
    }
}

/// Paired differences against the baseline set, and the ablation table when there is one
/// (nothing when neither was run).
fn comparison_section(h: &mut String, data: &PlotData) {
    if !data.comparisons.is_empty() || data.ablation.is_some() {
        h.push_str("<h2 id=\"comparison\">Comparison</h2>\n");
    }
    if !data.comparisons.is_empty() {
        let _ = writeln!(
            h,
            "<p>Paired differences (set − {}) over the same trials (common random numbers), with 95% confidence intervals; \
             <span class=\"ns\">grey: the interval includes 0 (not significant)</span>.</p>",
            esc(&data.comparisons[0].baseline)
        );
        comparison_table(h, &data.comparisons, |c| esc(&c.name));
    }
    if let Some(ab) = &data.ablation {
        let _ = writeln!(
            h,
            "<h3>Ablation of {}: what each control is worth</h3>\n<p>Removal: the preset without the control − the full preset \
             (a larger increase means the control matters more). Alone: the control on its own − {}.</p>\n<div class=\"scroll\"><table>\n\
             <tr><th>rank</th><th>control</th><th>removal: Δ blast radius</th><th>removal: Δ P(crown jewel), points</th>\
             <th>removal: Δ value-weighted</th><th>alone: Δ blast radius</th><th>alone: Δ P(crown jewel), points</th></tr>",
            esc(&ab.preset),
            esc(&ab.addition_baseline)
        );
        for (k, m) in ab.controls.iter().enumerate() {
            let _ = writeln!(
                h,
                "<tr><td class=\"num\">{}</td><td>{} {}</td>{}{}{}{}{}</tr>",
                k + 1,
                esc(&m.id),
                esc(&m.name),
                diff_cell(&m.removal.blast_radius_diff, 2, 1.0),
                diff_cell(&m.removal.crown_jewel_diff, 2, 100.0),
                diff_cell(&m.removal.blast_radius_value_diff, 1, 1.0),
                diff_cell(&m.addition.blast_radius_diff, 2, 1.0),
                diff_cell(&m.addition.crown_jewel_diff, 2, 100.0),
            );
        }
        h.push_str("</table></div>\n");
    }
}

/// Each control set with its description and controls (coverage, assets covered); the
/// ablation runs folded away.
fn control_sets_section(h: &mut String, data: &PlotData) {
    let s = &data.summary;
    h.push_str("<h2 id=\"sets\">Control sets</h2>\n");
    let primary = data.primary_sets();
    for (i, c) in s.control_sets.iter().enumerate() {
        let folded = !primary.contains(&i);
        if folded {
            h.push_str("<details>\n<summary>");
        } else {
            h.push_str("<h3>");
        }
        let _ = write!(h, "{}", set_name(i, c));
        if folded {
            let n = c.controls.len();
            let _ = writeln!(
                h,
                " <span class=\"ns\">(ablation run, {n} control{})</span></summary>",
                if n == 1 { "" } else { "s" }
            );
        } else {
            h.push_str("</h3>\n");
        }
        if !c.description.is_empty() {
            let _ = writeln!(h, "<p>{}</p>", esc(&c.description));
        }
        if c.controls.is_empty() {
            h.push_str("<p class=\"ns\">No controls: the estate as it is.</p>\n");
        } else {
            h.push_str("<table><tr><th>id</th><th>name</th><th>coverage</th><th>assets covered</th></tr>\n");
            for e in &c.controls {
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                    esc(&e.id),
                    esc(&e.name),
                    pct(e.coverage),
                    e.covered_assets
                );
            }
            h.push_str("</table>\n");
        }
        if folded {
            h.push_str("</details>\n");
        }
    }
}

/// The assets compromised most often (under any of the sets asked for), with their names.
fn top_assets(h: &mut String, data: &PlotData) {
    const TOP: usize = 25;
    const MAX_SETS: usize = 6;
    let s = &data.summary;
    let sets: Vec<usize> = data.primary_sets().into_iter().take(MAX_SETS).collect();
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
        return;
    }
    assets.sort_by(|x, y| {
        y.0.crown_jewel
            .cmp(&x.0.crown_jewel)
            .then(y.1.total_cmp(&x.1))
            .then(x.0.id.cmp(&y.0.id))
    });
    let total = assets.len();
    assets.truncate(TOP);
    let _ = write!(
        h,
        "<h3>Assets compromised most often</h3>\n<p>Share of trials in which each asset was compromised: crown jewels \
         first, then the {} most exposed of {total} assets ever compromised.</p>\n<div class=\"scroll\"><table>\n\
         <tr><th>asset</th><th>name</th><th>kind</th><th>segment</th>",
        TOP.min(total)
    );
    for &i in &sets {
        let _ = write!(h, "<th>{}</th>", set_name(i, &s.control_sets[i]));
    }
    h.push_str("</tr>\n");
    for (a, _) in &assets {
        let _ = write!(
            h,
            "<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td>",
            esc(&a.id),
            if a.crown_jewel {
                " ★ crown jewel"
            } else {
                ""
            },
            esc(&a.name),
            esc(a.kind.name()),
            esc(&a.segment)
        );
        for &i in &sets {
            let _ = write!(h, "<td class=\"num\">{}</td>", pct(rate(i, &a.id)));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table></div>\n");
}

fn chart_caption(name: &str) -> String {
    match name {
        "blast_radius" => "Distribution of the blast radius over trials, by asset count and by business value, from the raw per-trial values.",
        "time_to_crown_jewel" => "Share of trials in which no crown jewel has been reached yet, over time (Kaplan–Meier). A curve that ends above 0% at the horizon is censored there: those trials never reached a crown jewel.",
        "time_to_contain" => "Share of trials not yet fully contained, over time (Kaplan–Meier), censored at the horizon.",
        "time_to_detect" => "Share of trials not yet detected, over time (Kaplan–Meier), censored at the horizon.",
        "compromised_over_time" => "Mean number of compromised assets over time, with its 95% confidence band.",
        "estate_map" => "The estate by segment, each asset coloured by the share of trials in which it was compromised; crown jewels ringed and starred.",
        "control_marginal_value" => "What each control of the ablated preset is worth: the change in mean blast radius when it is removed, and when it is used alone.",
        _ => "",
    }
    .to_string()
}

fn comparison_table(h: &mut String, cs: &[Comparison], name: impl Fn(&Comparison) -> String) {
    h.push_str(
        "<div class=\"scroll\"><table>\n<tr><th>set</th><th>Δ blast radius, assets</th><th>Δ value-weighted</th>\
         <th>Δ P(crown jewel), points</th><th>Δ records exposed</th><th>Δ median time to crown jewel</th>\
         <th>Δ median time to contain</th></tr>\n",
    );
    for c in cs {
        let _ = writeln!(
            h,
            "<tr><td>{}</td>{}{}{}{}{}{}</tr>",
            name(c),
            diff_cell(&c.blast_radius_diff, 2, 1.0),
            diff_cell(&c.blast_radius_value_diff, 1, 1.0),
            diff_cell(&c.crown_jewel_diff, 2, 100.0),
            diff_cell(&c.records_exposed_diff, 0, 1.0),
            median_cell(&c.time_to_crown_jewel_p50),
            median_cell(&c.time_to_contain_p50),
        );
    }
    h.push_str("</table></div>\n");
}

/// The assumptions section: how to read the inputs, the control parameters with their
/// provenance, the technique defaults, and the other modelling assumptions.
fn assumptions(h: &mut String, data: &PlotData, catalog: &Catalog, with_scenario: bool) {
    let s = &data.summary;
    h.push_str("<h2 id=\"assumptions\">Assumptions behind the numbers</h2>\n");
    h.push_str(
        "<p>Every number the simulation uses is either <span class=\"src\">sourced</span> (a published figure, cited) \
         or an <span class=\"asm\">assumption</span> (ztsim's stated default, to be replaced by your own data where you \
         have it). Results are only as good as these inputs: read the blast radius as a comparison between control sets \
         on the same estate, not as a forecast.</p>\n",
    );
    if !with_scenario {
        h.push_str(
            "<p class=\"ns\">This report was redrawn from a results directory: the parameters below are the built-in \
             catalog's. A scenario that overrides control parameters or technique defaults is not reflected here.</p>\n",
        );
    }
    control_parameters(h, s, catalog);
    technique_defaults(h, s, with_scenario);
    h.push_str(
        "<h3>Other modelling assumptions</h3>\n<ul>\n\
         <li>Business value of an asset: the scenario's <code>value</code>, else a default per asset kind (an assumption); \
         crown jewels count at least 100.</li>\n\
         <li>Control coverage is drawn per asset from the seed, so an asset is covered alike in every control set.</li>\n\
         <li>Every control set is run on the same trial keys (common random numbers): differences between sets are \
         paired, and their intervals carry only the noise that does not cancel.</li>\n\
         <li>Times are censored at the horizon: a trial in which an event did not happen by then counts as \
         \"not reached\", never as a long time.</li>\n</ul>\n",
    );
}

/// How many control parameters are sourced, assumed, or given without provenance.
#[derive(Default)]
struct Provenance {
    sourced: usize,
    assumed: usize,
    bare: usize,
}

/// The parameters of every control used in the run, each with its value and provenance,
/// under a count of how many are sourced, assumed and bare.
fn control_parameters(h: &mut String, s: &Summary, catalog: &Catalog) {
    let ids: BTreeSet<&str> = s
        .control_sets
        .iter()
        .flat_map(|c| c.controls.iter().map(|e| e.id.as_str()))
        .collect();
    let mut tally = Provenance::default();
    let mut rows = String::new();
    for id in &ids {
        match catalog.get(id) {
            Some(def) => control_rows(&mut rows, id, def, &mut tally),
            None => {
                let _ = writeln!(
                    rows,
                    "<tr><td>{}</td><td colspan=\"3\" class=\"none\">not in the catalog used for this report</td></tr>",
                    esc(id)
                );
            }
        }
    }
    let Provenance {
        sourced,
        assumed,
        bare,
    } = tally;
    let _ = writeln!(
        h,
        "<h3>Control parameters ({} controls in this run)</h3>\n<p>{sourced} sourced, {assumed} assumed{}.</p>",
        ids.len(),
        if bare > 0 {
            format!(", {bare} without provenance")
        } else {
            String::new()
        }
    );
    if !ids.is_empty() {
        h.push_str("<div class=\"scroll\"><table>\n<tr><th>control</th><th>parameter</th><th>value</th><th>provenance</th></tr>\n");
        h.push_str(&rows);
        h.push_str("</table></div>\n");
    }
}

/// The table rows of one control: numbers written straight into its effects (which have
/// no provenance of their own), then its named parameters.
fn control_rows(rows: &mut String, id: &str, def: &ControlDef, tally: &mut Provenance) {
    let name = def.name.clone().unwrap_or_default();
    // Numbers written straight into an effect have no provenance of their own.
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
        tally.bare += 1;
        let _ = writeln!(
            rows,
            "<tr><td>{} {}</td><td>{}<br><span class=\"ns\">a number written in the effect</span></td>\
             <td class=\"num\">{v}</td><td><span class=\"none\">no provenance given</span></td></tr>",
            esc(id),
            esc(&name),
            esc(k)
        );
    }
    if def.parameters.is_empty() && literals.is_empty() {
        let _ = writeln!(
            rows,
            "<tr><td>{} {}</td><td colspan=\"3\" class=\"ns\">no numeric parameters</td></tr>",
            esc(id),
            esc(&name)
        );
    }
    for (k, p) in &def.parameters {
        let prov = match (&p.source, &p.assumption) {
            (Some(src), _) => {
                tally.sourced += 1;
                format!("<span class=\"src\">source:</span> {}", esc(src))
            }
            (None, Some(a)) => {
                tally.assumed += 1;
                format!("<span class=\"asm\">assumption:</span> {}", esc(a))
            }
            _ => {
                tally.bare += 1;
                "<span class=\"none\">no provenance given</span>".to_string()
            }
        };
        let _ = writeln!(
            rows,
            "<tr><td>{} {}</td><td>{}{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            esc(id),
            esc(&name),
            esc(k),
            match &p.description {
                Some(d) if !d.is_empty() => format!("<br><span class=\"ns\">{}</span>", esc(d)),
                _ => String::new(),
            },
            p.value,
            prov
        );
    }
}

/// The built-in ATT&CK technique defaults (p, mean hours, noise, provenance), with how
/// many steps of each succeeded in this run over all sets.
fn technique_defaults(h: &mut String, s: &Summary, with_scenario: bool) {
    let tc = TechniqueCatalog::builtin();
    let used: std::collections::BTreeMap<&str, u64> = {
        let mut m = std::collections::BTreeMap::new();
        for c in &s.control_sets {
            for (id, n) in &c.techniques {
                *m.entry(id.as_str()).or_insert(0) += n;
            }
        }
        m
    };
    let sourced_t = tc.list.iter().filter(|t| t.source.is_some()).count();
    let _ = writeln!(
        h,
        "<h3>Attack technique defaults</h3>\n<p>Per ATT&amp;CK technique: the success probability of one attempt, the mean \
         hours it takes and its noise (the chance an attempt is detected with no control in place). These are ztsim \
         assumptions unless a source is given: {sourced_t} of {} techniques cite one. A scenario may override them{}.</p>",
        tc.list.len(),
        if with_scenario {
            "; such overrides are not listed here"
        } else {
            ""
        }
    );
    h.push_str("<div class=\"scroll\"><table>\n<tr><th>ATT&amp;CK id</th><th>name</th><th>tactic</th><th>p</th><th>mean h</th><th>noise</th><th>successful steps in this run (all sets)</th><th>provenance</th></tr>\n");
    for t in &tc.list {
        let prov = match &t.source {
            Some(src) => format!("<span class=\"src\">source:</span> {}", esc(src)),
            None => match &t.calibrated_to {
                Some(c) => format!(
                    "<span class=\"asm\">assumption</span>, calibrated to {} (see <code>ztsim calibrate</code>)",
                    esc(&c.describe())
                ),
                None => "<span class=\"asm\">assumption</span>".to_string(),
            },
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{:.2}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            esc(&t.id),
            esc(&t.name),
            esc(&t.tactic),
            t.p,
            t.mean_hours,
            t.noise,
            used.get(t.id.as_str()).copied().unwrap_or(0),
            prov
        );
    }
    h.push_str("</table></div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            html_escape("<script>alert(1)</script>\"'&"),
            "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"
        );
        assert_eq!(html_escape("a\u{1b}b"), "a\u{FFFD}b");
    }
}
