//! The after-action report as one self-contained HTML page (inline CSS and SVG, no
//! scripts, no external requests), from the askama template `templates/aar.html`. It
//! reuses the batch report's style sheet (`templates/report.css`, print CSS for A4 and
//! Letter included) with a few rules of its own (`templates/aar.css`).
//!
//! The template escapes every value: titles, objectives, seat names and timeline text come
//! from the room and are untrusted. The only values let through unescaped are the two SVG
//! figures, whose text [`crate::tabletop::map::xml`] escapes, and the layer's `data:` link,
//! which is base64.

use super::counterfactual::{Counterfactual, Outcome, pct, pct_ci};
use super::layer::{TechniqueUse, technique_uses};
use super::plan::{improvement_plan, state};
use super::{AfterAction, Improvement};
use crate::error::{Error, Result};
use crate::stats::PairedDiff;
use crate::tabletop::command::fmt_time;
use crate::tabletop::{Session, map, narrate, transcript};
use askama::Template;

const CSS: &str = concat!(
    include_str!("../../../templates/report.css"),
    include_str!("../../../templates/aar.css")
);

/// Timeline kinds with a style of their own; any other shows as `other`.
const KINDS: [&str; 9] = [
    "alert",
    "action",
    "effect",
    "inject",
    "message",
    "hint",
    "expectation",
    "attack",
    "clock",
];

struct Tile {
    label: &'static str,
    value: String,
    detail: String,
}

struct TimelineRow {
    time: String,
    kind: String,
    class: &'static str,
    text: String,
}

struct DecisionRow {
    at: String,
    effective: String,
    seat: String,
    role: String,
    action: String,
    points: i32,
    key: bool,
}

struct ExpectationRow {
    id: String,
    title: String,
    role: String,
    due: String,
    met: String,
    state: &'static str,
    earned: i32,
    points: i32,
}

/// A probability with its interval under it.
struct Num {
    value: String,
    ci: String,
    muted: bool,
}

struct CfRow {
    role: String,
    action: String,
    played: String,
    alt: String,
    alert: String,
    earlier: Num,
    as_played: Num,
    never: Num,
    diff: Num,
    blast: String,
}

struct EstateRow {
    asset: String,
    kind: String,
    group: String,
    status: &'static str,
    class: &'static str,
    crown_jewel: bool,
}

struct Skip {
    role: String,
    action: String,
    why: String,
}

struct PlanRow {
    issue: String,
    owner: String,
    priority: String,
    class: &'static str,
}

struct TechniqueRow {
    id: String,
    name: String,
    tactic: String,
    tries: u32,
    successes: u32,
    detected: u32,
    seen: &'static str,
    color: &'static str,
    first: String,
}

/// The page, as the template reads it.
#[derive(Template)]
#[template(path = "aar.html")]
struct AarPage {
    title: String,
    css: &'static str,
    lead: String,
    objectives: Vec<String>,
    tiles: Vec<Tile>,
    timeline: Vec<TimelineRow>,
    chart: String,
    decisions: Vec<DecisionRow>,
    expectations: Vec<ExpectationRow>,
    earned: i32,
    possible: i32,
    cf_rows: Vec<CfRow>,
    cf_sentences: Vec<String>,
    cf_skipped: Vec<Skip>,
    cf_method: String,
    plan: Vec<PlanRow>,
    techniques: Vec<TechniqueRow>,
    layer_href: String,
    map: String,
    estate: Vec<EstateRow>,
    setting: Vec<(String, String)>,
    version: &'static str,
}

/// The after-action report of the exercise `a` played in session `s`, with the
/// counterfactuals `cf` (from [`super::counterfactuals`]; empty: none computed).
pub fn report_html(s: &Session, a: &AfterAction, cf: &[Counterfactual]) -> Result<String> {
    let title = if a.title.trim().is_empty() {
        format!("Tabletop exercise on {}", s.estate().name)
    } else {
        a.title.trim().to_string()
    };
    let (cf_rows, cf_sentences, cf_skipped) = counterfactual_rows(cf);
    let layer = super::layer::layer(s, &title);
    let page = AarPage {
        lead: format!(
            "After-action report of a tabletop exercise on {}: {} decision(s) by the room, played to {}.",
            s.estate().name,
            a.decisions.len(),
            fmt_time(s.now())
        ),
        objectives: a.objectives.clone(),
        tiles: tiles(s, a),
        timeline: a
            .timeline
            .iter()
            .map(|i| TimelineRow {
                time: fmt_time(i.t),
                class: KINDS
                    .iter()
                    .copied()
                    .find(|k| *k == i.kind)
                    .unwrap_or("other"),
                kind: i.kind.clone(),
                text: i.text.clone(),
            })
            .collect(),
        chart: transcript::chart_svg(s).trim().to_string(),
        decisions: a
            .decisions
            .iter()
            .map(|d| DecisionRow {
                at: fmt_time(d.at),
                effective: fmt_time(d.effective_at),
                seat: d.seat.clone(),
                role: d.role.clone(),
                action: d.action.clone(),
                points: d.points,
                key: d.key,
            })
            .collect(),
        expectations: expectation_rows(a, s.now()),
        earned: a.expectations.iter().map(|e| e.earned).sum(),
        possible: a.expectations.iter().map(|e| e.points).sum(),
        cf_method: method(cf),
        cf_rows,
        cf_sentences,
        cf_skipped,
        plan: improvement_plan(a, s.now())
            .into_iter()
            .map(plan_row)
            .collect(),
        techniques: technique_uses(s).iter().map(technique_row).collect(),
        layer_href: format!(
            "data:application/json;base64,{}",
            base64(
                serde_json::to_string_pretty(&layer)
                    .unwrap_or_default()
                    .as_bytes()
            )
        ),
        map: map::svg(s, true).trim().to_string(),
        estate: estate_rows(s),
        setting: setting(s),
        version: env!("CARGO_PKG_VERSION"),
        title,
        css: CSS,
    };
    page.render().map_err(|e| Error::Write {
        path: "report.html".into(),
        cause: std::io::Error::other(format!("rendering the after-action report failed: {e}")),
    })
}

/// The summary tiles: score, blast radius, crown jewels, first alert.
fn tiles(s: &Session, a: &AfterAction) -> Vec<Tile> {
    let est = s.estate();
    let st = s.state();
    let m = &st.m;
    let earned: i32 = a.expectations.iter().map(|e| e.earned).sum();
    let possible: i32 = a.expectations.iter().map(|e| e.points).sum();
    let met = a.expectations.iter().filter(|e| e.met_at.is_some()).count();
    let jewels: Vec<String> = (0..est.nodes.len())
        .filter(|&n| est.nodes[n].crown_jewel && st.ever.contains(n))
        .map(|n| est.nodes[n].id.clone())
        .collect();
    vec![
        Tile {
            label: "Score",
            value: format!("{earned} / {possible}"),
            detail: format!("{met} of {} expectations met", a.expectations.len()),
        },
        Tile {
            label: "Blast radius",
            value: m.compromised.to_string(),
            detail: format!("assets compromised by {}", fmt_time(st.now)),
        },
        Tile {
            label: "Crown jewels reached",
            value: jewels.len().to_string(),
            detail: match m.crown_jewel_at {
                Some(t) => format!("first at {}: {}", fmt_time(t), jewels.join(", ")),
                None => "none fell".into(),
            },
        },
        Tile {
            label: "First alert",
            value: m.first_detect_at.map_or("none".into(), fmt_time),
            detail: format!("{} alert(s) in all", m.detections),
        },
    ]
}

fn expectation_rows(a: &AfterAction, end: f64) -> Vec<ExpectationRow> {
    a.expectations
        .iter()
        .map(|e| ExpectationRow {
            id: e.id.clone(),
            title: e.title.clone(),
            role: e.role.clone(),
            due: fmt_time(e.by),
            met: e.met_at.map_or("—".into(), fmt_time),
            state: state(e, end).word(),
            earned: e.earned,
            points: e.points,
        })
        .collect()
}

fn num(p: &crate::stats::Proportion) -> Num {
    Num {
        value: pct(p.probability),
        ci: format!("[{}, {}]", pct(p.ci95[0]), pct(p.ci95[1])),
        muted: false,
    }
}

/// A paired difference of probabilities in percentage points.
fn points(d: &PairedDiff) -> Num {
    let signed = |x: f64| {
        let p = (x * 100.0).round();
        if p == 0.0 {
            "0".to_string()
        } else {
            format!("{p:+.0}")
        }
    };
    Num {
        value: signed(d.mean),
        ci: format!(
            "[{}, {}]{}",
            signed(d.ci95[0]),
            signed(d.ci95[1]),
            if d.significant { "" } else { " n.s." }
        ),
        muted: !d.significant,
    }
}

/// The counterfactual table's rows, its sentences, and the decisions without futures.
fn counterfactual_rows(cf: &[Counterfactual]) -> (Vec<CfRow>, Vec<String>, Vec<Skip>) {
    let mut rows = Vec::new();
    let mut sentences = Vec::new();
    let mut skipped = Vec::new();
    for c in cf {
        match &c.outcome {
            Outcome::Skipped(why) => skipped.push(Skip {
                role: c.role.clone(),
                action: c.action.clone(),
                why: why.clone(),
            }),
            Outcome::Computed(f) => {
                sentences.push(format!(
                    "{} Without it at all: {}. Mean blast radius: {:.1} assets with the decision at the alert, {:.1} as played, {:.1} without it.",
                    f.sentence,
                    pct_ci(&f.never.crown_jewel),
                    f.earlier.blast_radius.mean,
                    f.as_played.blast_radius.mean,
                    f.never.blast_radius.mean
                ));
                rows.push(CfRow {
                    role: c.role.clone(),
                    action: c.action.clone(),
                    played: fmt_time(c.played_at),
                    alt: fmt_time(f.alt_at),
                    alert: f.alert.clone(),
                    earlier: num(&f.earlier.crown_jewel),
                    as_played: num(&f.as_played.crown_jewel),
                    never: num(&f.never.crown_jewel),
                    diff: points(&f.diff),
                    blast: format!(
                        "{:.1} / {:.1} / {:.1}",
                        f.earlier.blast_radius.mean,
                        f.as_played.blast_radius.mean,
                        f.never.blast_radius.mean
                    ),
                });
            }
        }
    }
    (rows, sentences, skipped)
}

/// How the counterfactuals were computed, in two sentences, with their futures and seed.
fn method(cf: &[Counterfactual]) -> String {
    let Some(f) = cf.iter().find_map(|c| c.futures()) else {
        return String::new();
    };
    let skipped: u64 = cf
        .iter()
        .filter_map(|c| c.futures())
        .map(|f| f.earlier.skipped_entries + f.as_played.skipped_entries + f.never.skipped_entries)
        .sum();
    let mut m = format!(
        "For each key decision, the exercise's log was replayed on a fresh copy of the trial up to the first alert that named the decision's target (for an account, also a device holding its credentials; when none did, the room's first alert), and {} futures were played from that state until the later of the exercise's end and a day after the alert (never past the scenario's horizon: by then an unopposed attacker has usually won whatever the room did), each on its own random stream (seed {}): the decision taken at the alert, the log as played, and the log without the decision. \
         The three futures of one stream share every random draw (common random numbers), so their differences are measured pair by pair: probabilities carry 95% Wilson intervals, differences 95% Student-t intervals over the pairs (n.s.: the interval includes 0).",
        f.branches, f.seed
    );
    if skipped > 0 {
        m.push_str(&format!(
            " {skipped} logged command(s) could not be applied in some future (a time that future had already passed) and were skipped there."
        ));
    }
    m
}

fn plan_row(i: Improvement) -> PlanRow {
    let p = i.priority.trim().to_lowercase();
    PlanRow {
        class: ["high", "medium", "low"]
            .into_iter()
            .find(|c| *c == p)
            .unwrap_or("other"),
        issue: i.issue,
        owner: i.owner,
        priority: i.priority,
    }
}

fn technique_row(u: &TechniqueUse) -> TechniqueRow {
    TechniqueRow {
        id: u.id.clone(),
        name: u.name.clone(),
        tactic: u.tactic.clone(),
        tries: u.tries,
        successes: u.successes,
        detected: u.detected,
        seen: u.seen_words(),
        color: u.color(),
        first: fmt_time(u.first_at),
    }
}

/// Every asset the attacker held or the defenders contained, at the end, by map group.
fn estate_rows(s: &Session) -> Vec<EstateRow> {
    let est = s.estate();
    let marks = map::statuses(s, true);
    // The map's groups, then the directory groups it leaves out.
    let mut groups: Vec<(String, Vec<u32>)> = map::groups(est)
        .into_iter()
        .map(|g| (g.title, g.members))
        .collect();
    groups.push((
        "Directory groups".into(),
        (0..est.nodes.len() as u32)
            .filter(|&n| {
                est.node(n).kind == crate::model::AssetKind::Group
                    && est.node(n).virtual_kind.is_none()
            })
            .collect(),
    ));
    let mut rows = Vec::new();
    for (title, members) in groups {
        for &n in &members {
            let (status, class) = match marks[n as usize] {
                map::Status::Held => ("held by the attacker", "held"),
                map::Status::Lost => ("held earlier, lost since", "lost"),
                map::Status::Contained if s.state().ever.contains(n as usize) => {
                    ("held, then contained", "contained")
                }
                map::Status::Contained => ("contained", "contained"),
                _ => continue,
            };
            let node = est.node(n);
            rows.push(EstateRow {
                asset: narrate::label(est, n),
                kind: node.kind.name().replace('_', " "),
                group: title.clone(),
                status,
                class,
                crown_jewel: node.crown_jewel,
            });
        }
    }
    rows
}

/// The appendix: what the session played.
fn setting(s: &Session) -> Vec<(String, String)> {
    let est = s.estate();
    let st = s.state();
    vec![
        (
            "Scenario".into(),
            format!("{} ({})", est.name, s.cfg.scenario),
        ),
        ("Control set".into(), s.controls_words()),
        (
            "Attacker".into(),
            format!("{}: {}", est.profile.name, est.profile.description),
        ),
        (
            "Seed, trial".into(),
            format!("{}, {}", s.cfg.seed, s.cfg.trial),
        ),
        ("Branch".into(), s.branch().to_string()),
        ("Horizon".into(), fmt_time(est.horizon_hours)),
        (
            "Clock at the end".into(),
            format!(
                "{} ({})",
                fmt_time(st.now),
                st.ended
                    .map_or("attack still under way".to_string(), |r| format!(
                        "attack over: {}",
                        r.name()
                    ))
            ),
        ),
    ]
}

/// Standard base64 (RFC 4648, with padding).
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tabletop::aar::testkit::chain;
    use crate::tabletop::aar::{Decision, ExpectationResult, TimelineItem, counterfactuals};

    #[test]
    fn base64_matches_the_rfc_examples() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (i, o) in cases {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    fn hostile() -> AfterAction {
        let evil = "<script>alert(1)</script>";
        AfterAction {
            title: format!("Night {evil}"),
            objectives: vec![format!("Learn {evil}")],
            decisions: vec![Decision {
                at: 9.0,
                effective_at: 9.0,
                seat: format!("it-1{evil}"),
                role: "IT".into(),
                action: "isolate ws-3".into(),
                log_index: Some(1),
                points: 20,
                key: true,
            }],
            expectations: vec![ExpectationResult {
                id: "isolate".into(),
                title: format!("Isolate ws-3 {evil}"),
                role: "IT".into(),
                by: 4.0,
                points: 20,
                met_at: None,
                earned: 0,
            }],
            timeline: vec![TimelineItem {
                t: 1.5,
                kind: format!("alert\" onclick=\"x{evil}"),
                text: format!("Alert {evil}"),
            }],
            improvements: vec![Improvement {
                issue: format!("Rota {evil}"),
                owner: "CEO".into(),
                priority: "high".into(),
            }],
        }
    }

    #[test]
    fn the_report_is_self_contained_escaped_and_complete() {
        let s = chain(&["run until time 500", "isolate ws-3"]);
        let mut a = hostile();
        a.decisions[0].at = 500.0;
        a.decisions[0].effective_at = 500.0;
        let cf = counterfactuals(&s, &a.decisions, 10, 2).expect("computes");
        let html = report_html(&s, &a, &cf).expect("renders");
        // Untrusted text is escaped everywhere; nothing runs, nothing is fetched.
        assert!(!html.contains("<script"), "unescaped markup");
        assert!(
            !html.contains("\" onclick"),
            "a value escaped its attribute"
        );
        assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
        for fetch in [" src=", "<link", "url(", "@import", "<img"] {
            assert!(!html.contains(fetch), "{fetch}");
        }
        // Every section is there.
        for part in [
            "id=\"timeline\"",
            "id=\"decisions\"",
            "id=\"expectations\"",
            "id=\"counterfactuals\"",
            "id=\"improvements\"",
            "id=\"attack\"",
            "Had IT isolated ws-3 at",
            "instead of T+500:00",
            "10 paired futures",
            "seed 2",
            "Isolate ws-3 &#60;script&#62;alert(1)&#60;/script&#62; was missed (due T+04:00)",
            "download=\"layer.json\" href=\"data:application/json;base64,",
            "T1003.001",
            "<svg",
            "@page { size: auto; margin: 14mm 12mm; }",
        ] {
            assert!(html.contains(part), "missing {part}");
        }
        // The unknown timeline kind is styled as `other`; its text still shows, escaped.
        assert!(html.contains("class=\"kind other\""));
        // The layer behind the link is the session's.
        let b64 = html
            .split("base64,")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("a link");
        assert_eq!(
            b64,
            base64(
                serde_json::to_string_pretty(&super::super::layer::layer(
                    &s,
                    "Night <script>alert(1)</script>"
                ))
                .unwrap()
                .as_bytes()
            )
        );
        // Without counterfactuals the section says so.
        let html = report_html(&s, &a, &[]).expect("renders");
        assert!(html.contains("No counterfactuals were computed"));
    }
}
