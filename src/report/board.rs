//! The summary for the board that opens the HTML report: in plain words and with 95%
//! intervals, where the estate stands under the baseline set, which control set cuts the
//! blast radius and P(crown jewel) most (paired differences over the same trials: every
//! set of a run is simulated on common random numbers), the most likely attack path to a
//! crown jewel (the [`crate::paths`] analysis), and which controls to buy next (the
//! [`crate::recommend`] greedy plan, or the ablation when one was run).
//!
//! [`BoardExtras::compute`] runs the analyses that need the scenario (paths and the
//! recommendation); a report redrawn from a results directory has none and says so.
//! Everything here is plain text: the template escapes it.

use crate::controls::resolve_set;
use crate::error::Result;
use crate::paths::{AttackPath, PathOptions, StepKind, graph::Weight};
use crate::pipeline::Prepared;
use crate::plot::PlotData;
use crate::recommend::{RecommendOptions, Recommendation, RiskMetric};
use crate::stats::{PairedDiff, paired_diff};
use std::sync::Arc;

/// Budget of the recommendation in the report, in the catalog's relative cost units
/// (controls cost 1 to 8): room for two or three controls.
pub const REPORT_BUDGET: f64 = 10.0;
/// Most trials per candidate evaluation of the report's recommendation (the run's own
/// count when smaller): the greedy search runs every affordable control at each step.
pub const REPORT_RECOMMEND_TRIALS: u32 = 1000;
/// Below this P(crown jewel) under the best set, the recommendation minimises the blast
/// radius instead of P(crown jewel).
const CROWN_JEWEL_FLOOR: f64 = 0.05;

/// The most likely attack path to a crown jewel under one control set.
#[derive(Clone, Debug)]
pub struct PathFinding {
    /// The control set the path was computed under (the baseline).
    pub set: String,
    /// Display name of the target.
    pub target: String,
    /// The path.
    pub path: AttackPath,
    /// The same target under the best set: that set's name and its best path's
    /// probability with retries (none when the target cannot be reached there).
    pub under_best: Option<(String, Option<f64>)>,
}

/// What the board summary needs beyond a run's results: the analyses that need the
/// scenario, and notes to show under the summary (e.g. how times were calibrated).
#[derive(Clone, Debug, Default)]
pub struct BoardExtras {
    /// The top attack path, when computed.
    pub path: Option<PathFinding>,
    /// The recommendation of what to buy next, when computed.
    pub next: Option<Recommendation>,
    /// Notes shown under the summary, one paragraph each (plain text).
    pub notes: Vec<String>,
}

/// The baseline and best sets of a run (indices into `summary.control_sets`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The comparisons' baseline, else `none` when it ran, else the first set.
    pub baseline: usize,
    /// The set (other than the baseline) with the lowest mean blast radius.
    pub best_blast: Option<usize>,
    /// The set (other than the baseline) with the lowest P(crown jewel).
    pub best_crown_jewel: Option<usize>,
}

impl Choice {
    /// Picks the baseline and the best sets among the sets the user asked for.
    pub fn of(data: &PlotData) -> Choice {
        let sets = &data.summary.control_sets;
        let primary = data.primary_sets();
        let named = |n: &str| primary.iter().copied().find(|&i| sets[i].name == n);
        let baseline = data
            .comparisons
            .first()
            .and_then(|c| named(&c.baseline))
            .or_else(|| named("none"))
            .or_else(|| primary.first().copied())
            .unwrap_or(0);
        let others: Vec<usize> = primary.into_iter().filter(|&i| i != baseline).collect();
        let min_by = |f: &dyn Fn(usize) -> f64| {
            others
                .iter()
                .copied()
                .min_by(|&a, &b| f(a).total_cmp(&f(b)).then(a.cmp(&b)))
        };
        Choice {
            baseline,
            best_blast: min_by(&|i| sets[i].blast_radius.mean),
            best_crown_jewel: min_by(&|i| sets[i].crown_jewel.probability),
        }
    }
}

/// Paired differences (set − baseline) of the blast radius and of P(crown jewel), from the
/// per-trial values; none when the trials are not there.
pub fn paired(data: &PlotData, baseline: usize, set: usize) -> Option<(PairedDiff, PairedDiff)> {
    let (b, s) = (data.trials.get(baseline)?, data.trials.get(set)?);
    if b.compromised.len() < 2 || b.compromised.len() != s.compromised.len() {
        return None;
    }
    if b.crown_jewel.len() != b.compromised.len() || s.crown_jewel.len() != b.crown_jewel.len() {
        return None;
    }
    let cj = paired_diff(&b.crown_jewel, &s.crown_jewel);
    Some((paired_diff(&b.compromised, &s.compromised), cj))
}

impl BoardExtras {
    /// Computes the top attack path (under the baseline, and the same target under the
    /// best set) and the recommendation (from the best set, or the baseline when only one
    /// set ran), with the run's seed.
    pub fn compute(prep: &Prepared, data: &PlotData, threads: usize) -> Result<BoardExtras> {
        let choice = Choice::of(data);
        let sets = &data.summary.control_sets;
        let seed = data.summary.seed;
        let best = choice.best_blast;
        let path = top_path(prep, &sets[choice.baseline].name, seed)?.map(|(target, path)| {
            let under_best = best.map(|b| {
                let name = sets[b].name.clone();
                let p = best_probability(prep, &name, &path, seed).ok().flatten();
                (name, p)
            });
            PathFinding {
                set: sets[choice.baseline].name.clone(),
                target,
                path,
                under_best,
            }
        });
        let from = best.unwrap_or(choice.baseline);
        let metric = if sets[from].crown_jewel.probability >= CROWN_JEWEL_FLOOR {
            RiskMetric::CrownJewel
        } else {
            RiskMetric::Blast
        };
        let next = crate::recommend::recommend(
            &prep.estate,
            &prep.loaded.scenario.control_sets,
            &prep.catalog,
            &RecommendOptions {
                from: sets[from].name.clone(),
                budget: REPORT_BUDGET,
                metric,
                trials: data.summary.trials.min(REPORT_RECOMMEND_TRIALS),
                seed,
                threads,
            },
        )?;
        Ok(BoardExtras {
            path,
            next: Some(next),
            notes: Vec::new(),
        })
    }
}

/// Analytic paths (k = 1, by probability) to every objective under a set.
fn paths_under(prep: &Prepared, set: &str, seed: u64) -> Result<crate::paths::PathsReport> {
    let resolved = resolve_set(set, &prep.loaded.scenario.control_sets, &prep.catalog)?;
    let plan = Arc::new(crate::plan::build(&prep.estate, &resolved, seed));
    crate::paths::analyze(
        &prep.estate,
        &plan,
        &PathOptions {
            k: 1,
            weight: Weight::Probability,
            to: Vec::new(),
            trials: 0,
            seed,
            threads: 1,
        },
    )
}

/// The most likely path to any objective under `set`, with the target's name.
fn top_path(prep: &Prepared, set: &str, seed: u64) -> Result<Option<(String, AttackPath)>> {
    let r = paths_under(prep, set, seed)?;
    Ok(r.targets
        .into_iter()
        .filter_map(|t| t.paths.into_iter().next().map(|p| (t.name, p)))
        .max_by(|a, b| {
            a.1.probability_with_retries
                .total_cmp(&b.1.probability_with_retries)
        }))
}

/// The best path's probability (with retries) to the same target under another set.
fn best_probability(
    prep: &Prepared,
    set: &str,
    path: &AttackPath,
    seed: u64,
) -> Result<Option<f64>> {
    let target = path.steps.last().map(|s| s.to.as_str()).unwrap_or_default();
    let r = paths_under(prep, set, seed)?;
    Ok(r.targets
        .iter()
        .find(|t| t.id == target)
        .and_then(|t| t.paths.first())
        .map(|p| p.probability_with_retries))
}

/// One headline number of the summary.
#[derive(Clone, Debug)]
pub struct Tile {
    /// What the number is.
    pub label: String,
    /// The number, as shown large.
    pub value: String,
    /// Its interval and context.
    pub detail: String,
}

/// One point of the summary: a heading, a paragraph, and an optional list.
#[derive(Clone, Debug)]
pub struct Point {
    /// The question it answers.
    pub heading: String,
    /// The answer in a sentence or two.
    pub text: String,
    /// Items (path steps, controls to buy), in order.
    pub items: Vec<String>,
}

/// The board summary, as plain text for the template.
#[derive(Clone, Debug)]
pub struct Board {
    /// Headline numbers: the baseline and the best set.
    pub tiles: Vec<Tile>,
    /// Where we stand, what cuts the risk most, the top path, what to buy next.
    pub points: Vec<Point>,
    /// Notes under the summary (calibration, small samples, redraws).
    pub notes: Vec<String>,
}

/// A set's (or preset's) name in quotes, so names like `none` read as names.
fn q(name: &str) -> String {
    format!("“{name}”")
}

fn pct(p: f64) -> String {
    format!("{:.1}%", p * 100.0)
}

/// `by 13.2 assets [95% CI 12.8 to 13.6]` from a paired difference (set − baseline) of a
/// "less is better" metric, as a reduction.
fn reduction(d: &PairedDiff, scale: f64, unit: &str) -> String {
    let verb = if d.mean <= 0.0 { "by" } else { "raises it by" };
    let (lo, hi) = (-d.ci95[1] * scale, -d.ci95[0] * scale);
    let sig = if d.significant {
        ""
    } else {
        "; the interval includes 0, so the difference is within the noise"
    };
    format!(
        "{verb} {:.1} {unit} [95% CI {lo:.1} to {hi:.1}]{sig}",
        (-d.mean * scale).abs()
    )
}

impl Board {
    /// The summary of a run, with the extras when they were computed.
    pub fn new(data: &PlotData, extras: &BoardExtras) -> Board {
        let s = &data.summary;
        let choice = Choice::of(data);
        let base = &s.control_sets[choice.baseline];
        let mut tiles = vec![
            Tile {
                label: format!("Blast radius under {}", q(&base.name)),
                value: format!("{:.1} assets", base.blast_radius.mean),
                detail: format!(
                    "mean per attack, 95% CI {:.1} to {:.1}",
                    base.blast_radius.ci95[0], base.blast_radius.ci95[1]
                ),
            },
            Tile {
                label: format!("P(crown jewel) under {}", q(&base.name)),
                value: pct(base.crown_jewel.probability),
                detail: format!(
                    "of attacks reach a crown jewel, 95% CI {} to {}",
                    pct(base.crown_jewel.ci95[0]),
                    pct(base.crown_jewel.ci95[1])
                ),
            },
        ];
        let mut points = vec![Point {
            heading: "Where we stand".into(),
            text: format!(
                "Under {} ({}), one attack by the {} attacker compromises {:.1} assets on average (95% CI {:.1} to {:.1}) \
                 and reaches a crown jewel in {} of {} simulated attacks (95% CI {} to {}).",
                q(&base.name),
                if base.controls.is_empty() {
                    "the estate as it is".to_string()
                } else {
                    format!("{} controls", base.controls.len())
                },
                s.attacker.name,
                base.blast_radius.mean,
                base.blast_radius.ci95[0],
                base.blast_radius.ci95[1],
                pct(base.crown_jewel.probability),
                s.trials,
                pct(base.crown_jewel.ci95[0]),
                pct(base.crown_jewel.ci95[1]),
            ),
            items: Vec::new(),
        }];
        points.push(best_point(data, &choice, &mut tiles));
        points.push(path_point(extras));
        points.push(next_point(data, extras));
        let mut notes = extras.notes.clone();
        notes.extend(super::calibration_note(&s.calibrated_to));
        if s.trials < 30 {
            notes.push(format!(
                "Only {} trials per control set: intervals from fewer than 30 trials are wide and rough. Use 1,000 or more for decisions.",
                s.trials
            ));
        }
        Board {
            tiles,
            points,
            notes,
        }
    }
}

/// Which set cuts the blast radius (and P(crown jewel)) most, with paired differences.
fn best_point(data: &PlotData, choice: &Choice, tiles: &mut Vec<Tile>) -> Point {
    let sets = &data.summary.control_sets;
    let base = &sets[choice.baseline];
    let Some(b) = choice.best_blast else {
        return Point {
            heading: "What cuts the risk most".into(),
            text: "Only one control set was simulated. Run several (ztsim run SCENARIO --controls none --controls SET ...) to see which cuts the risk most.".into(),
            items: Vec::new(),
        };
    };
    let best = &sets[b];
    let mut text = match paired(data, choice.baseline, b) {
        Some((blast, cj)) => {
            let rel = if base.blast_radius.mean > 0.0 {
                format!(" ({:+.0}%)", blast.mean / base.blast_radius.mean * 100.0)
            } else {
                String::new()
            };
            tiles.push(Tile {
                label: format!("With {}", q(&best.name)),
                value: format!("{:.1} assets", best.blast_radius.mean),
                detail: format!(
                    "{:+.1} assets{rel} vs {}, 95% CI {:+.1} to {:+.1}",
                    blast.mean,
                    q(&base.name),
                    blast.ci95[0],
                    blast.ci95[1]
                ),
            });
            tiles.push(Tile {
                label: format!("P(crown jewel) with {}", q(&best.name)),
                value: pct(best.crown_jewel.probability),
                detail: format!(
                    "{:+.1} points vs {}, 95% CI {:+.1} to {:+.1}",
                    cj.mean * 100.0,
                    q(&base.name),
                    cj.ci95[0] * 100.0,
                    cj.ci95[1] * 100.0
                ),
            });
            format!(
                "{} cuts the blast radius most: {}{rel}, and P(crown jewel) {}. These are paired differences over the same {} simulated attacks (every set meets the same attacker's luck), against {}.",
                q(&best.name),
                reduction(&blast, 1.0, "assets"),
                reduction(&cj, 100.0, "percentage points"),
                blast.n,
                q(&base.name)
            )
        }
        None => format!(
            "{} has the lowest mean blast radius: {:.1} assets against {:.1} under {} (per-trial values are not available for paired intervals).",
            q(&best.name),
            best.blast_radius.mean,
            base.blast_radius.mean,
            q(&base.name)
        ),
    };
    if let Some(c) = choice.best_crown_jewel.filter(|&c| c != b)
        && let Some((_, cj)) = paired(data, choice.baseline, c)
        && sets[c].crown_jewel.probability < best.crown_jewel.probability
    {
        text.push_str(&format!(
            " {} cuts P(crown jewel) most: {}.",
            q(&sets[c].name),
            reduction(&cj, 100.0, "percentage points")
        ));
    }
    Point {
        heading: "What cuts the risk most".into(),
        text,
        items: Vec::new(),
    }
}

/// One step of a path in words: `Alice → ws-01: Phishing (T1566)`.
fn step_text(s: &crate::paths::PathStep) -> String {
    let how = match (s.kind, &s.technique, &s.technique_name) {
        (StepKind::Foothold, _, _) => "a foothold in its network segment".to_string(),
        (StepKind::Free, _, _) => "no attack needed (membership or hosting)".to_string(),
        (_, Some(id), Some(name)) => format!("{name} ({id})"),
        (_, Some(id), None) => id.clone(),
        _ => "an attack step".to_string(),
    };
    let p = if matches!(s.kind, StepKind::Foothold | StepKind::Free) {
        String::new()
    } else {
        format!(", {} per try", pct(s.p))
    };
    if s.kind == StepKind::Network {
        format!("{}, reached over the network: {how}{p}", s.to_name)
    } else {
        format!("{} → {}: {how}{p}", s.from_name, s.to_name)
    }
}

/// The most likely attack path to a crown jewel.
fn path_point(extras: &BoardExtras) -> Point {
    let heading = "The most likely attack path".to_string();
    let Some(f) = &extras.path else {
        return Point {
            heading,
            text: "Not computed: this report was drawn without the scenario (ztsim plot). Run ztsim paths SCENARIO for the attack paths.".into(),
            items: Vec::new(),
        };
    };
    let p = &f.path;
    let mut text = format!(
        "Under {}, the likeliest way to {} starts from {} and takes {} steps. It succeeds end to end in {} of attempts \
         with the attacker's retries ({} with one try per step).",
        q(&f.set),
        f.target,
        p.entry_name,
        p.steps.len(),
        pct(p.probability_with_retries),
        pct(p.probability)
    );
    match &f.under_best {
        Some((name, Some(odds))) => text.push_str(&format!(
            " Under {}, the best path to the same target succeeds in {}.",
            q(name),
            pct(*odds)
        )),
        Some((name, None)) => text.push_str(&format!(" Under {}, no path reaches it.", q(name))),
        None => {}
    }
    Point {
        heading,
        text,
        items: p.steps.iter().map(step_text).collect(),
    }
}

/// What to buy next: the recommendation, and the ablation's most valuable control.
fn next_point(data: &PlotData, extras: &BoardExtras) -> Point {
    let heading = "What to buy next".to_string();
    let mut items = Vec::new();
    let mut text = match &extras.next {
        Some(r) => {
            let (metric, scale, unit) = match r.metric {
                RiskMetric::CrownJewel => ("P(crown jewel)", 100.0, "points"),
                RiskMetric::Blast => ("the blast radius", 1.0, "assets"),
            };
            let mut text = format!(
                "Starting from {}, a greedy search added, one at a time, the catalog control that cuts {metric} most per unit \
                 of cost, within a budget of {} relative cost units ({} trials per candidate, on common random numbers).",
                q(&r.from),
                r.budget,
                r.trials
            );
            for st in &r.steps {
                items.push(format!(
                    "{} {} (cost {}{}): cuts {metric} by {:.1} {unit} [95% CI {:.1} to {:.1}]",
                    st.id,
                    st.name,
                    st.cost,
                    if st.cost_assumed { ", assumed" } else { "" },
                    st.gain.mean * scale,
                    st.gain.ci95[0] * scale,
                    st.gain.ci95[1] * scale
                ));
            }
            if r.steps.is_empty() {
                text.push_str(&format!(" Nothing was added: {}.", r.stopped));
            }
            text
        }
        None => "Not computed: this report was drawn without the scenario (ztsim plot). Run ztsim recommend SCENARIO --budget N.".into(),
    };
    if let Some(ab) = &data.ablation
        && let Some(m) = ab.controls.first()
    {
        text.push_str(&format!(
            " In the ablation of {}, {} {} matters most: removing it changes the blast radius by {:+.1} assets [95% CI {:+.1} to {:+.1}].",
            q(&ab.preset),
            m.id,
            m.name,
            m.removal.blast_radius_diff.mean,
            m.removal.blast_radius_diff.ci95[0],
            m.removal.blast_radius_diff.ci95[1]
        ));
    }
    Point {
        heading,
        text,
        items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reductions_read_as_cuts_with_their_interval() {
        let d = PairedDiff {
            mean: -2.0,
            ci95: [-3.0, -1.0],
            significant: true,
            n: 100,
        };
        assert_eq!(
            reduction(&d, 1.0, "assets"),
            "by 2.0 assets [95% CI 1.0 to 3.0]"
        );
        let ns = PairedDiff {
            mean: 0.1,
            ci95: [-0.2, 0.4],
            significant: false,
            n: 100,
        };
        let t = reduction(&ns, 1.0, "assets");
        assert!(
            t.starts_with("raises it by 0.1 assets [95% CI -0.4 to 0.2]"),
            "{t}"
        );
        assert!(t.contains("within the noise"));
    }
}
