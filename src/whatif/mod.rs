//! What-if in BloodHound's units (`ztsim whatif`): the estate as it is against the estate
//! with relations removed and assets disabled, under each control set.
//!
//! Two numbers are deterministic reachability on the compiled attack graph, as BloodHound
//! counts them: **exposure**, the share of principals with an attack path to Tier Zero, and
//! **impact**, the share of assets reachable from one principal (by default the Domain
//! Users group). Two are Monte Carlo: **P(Tier Zero)**, the share of trials in which the
//! attacker takes any Tier Zero node, and the **time to Tier Zero**.
//!
//! Common random numbers, exactly: the changed arm is not a second compile but the *same*
//! compiled estate under a plan whose removed edges have probability 0
//! ([`crate::plan::without_edges`]); which edges those are is found by compiling the
//! changed scenario once and matching edges by what they say. Edge indices,
//! streams and every draw keyed by them are therefore shared, trial by trial: a change the
//! attacker never meets gives a difference of exactly 0 in every trial.

mod change;
pub mod reach;
mod table;

pub use change::Change;
pub use reach::{ImpactFrom, TierZeroSource, tier_zero};
pub use table::table;

use crate::compare::{MedianDiff, median_diff};
use crate::controls::resolve_set;
use crate::error::{Error, Result};
use crate::montecarlo::{RunOptions, run_sets};
use crate::pipeline::Prepared;
use crate::plan;
use crate::sim::TrialOutcome;
use crate::stats::{self, PairedDiff, Proportion};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A count out of a total, and the share it is.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Share {
    /// How many.
    pub count: usize,
    /// Out of how many.
    pub of: usize,
    /// count / of (0 when `of` is 0).
    pub share: f64,
}

impl Share {
    fn new(count: usize, of: usize) -> Share {
        let share = if of == 0 {
            0.0
        } else {
            count as f64 / of as f64
        };
        Share { count, of, share }
    }
}

/// A deterministic number before and after the change (no interval: nothing is sampled).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Exact {
    /// The estate as it is.
    pub baseline: Share,
    /// The estate with the change.
    pub changed: Share,
    /// changed − baseline, as a share.
    pub diff: f64,
}

impl Exact {
    fn new(baseline: Share, changed: Share) -> Exact {
        Exact {
            baseline,
            changed,
            diff: changed.share - baseline.share,
        }
    }
}

/// Time to Tier Zero in one arm.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimeToTierZero {
    /// Trials that reached Tier Zero by the horizon.
    pub reached: usize,
    /// Trials that did not (censored at the horizon).
    pub censored: usize,
    /// Median hours among the trials that reached it; `None` when none did.
    pub median_hours_reached: Option<f64>,
}

fn time_to(outcomes: &[TrialOutcome]) -> TimeToTierZero {
    let mut t: Vec<f64> = outcomes.iter().filter_map(|o| o.watch_hours).collect();
    t.sort_by(f64::total_cmp);
    let median = match t.len() {
        0 => None,
        n if n % 2 == 1 => Some(t[n / 2]),
        n => Some((t[n / 2 - 1] + t[n / 2]) / 2.0),
    };
    TimeToTierZero {
        reached: t.len(),
        censored: outcomes.len() - t.len(),
        median_hours_reached: median,
    }
}

/// The what-if under one control set.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SetWhatIf {
    /// The control set.
    pub control_set: String,
    /// Principals (not Tier Zero themselves) with an attack path to Tier Zero.
    pub exposure: Exact,
    /// Assets reachable from the impact principal.
    pub impact: Exact,
    /// Share of trials in which the attacker took a Tier Zero node (Wilson interval).
    pub p_tier_zero_baseline: Proportion,
    /// The same with the change.
    pub p_tier_zero_changed: Proportion,
    /// Paired difference changed − baseline of the per-trial 0/1, with a Student-t 95%
    /// interval over the trials.
    pub p_tier_zero_diff: PairedDiff,
    /// Time to Tier Zero as it is.
    pub time_baseline: TimeToTierZero,
    /// Time to Tier Zero with the change.
    pub time_changed: TimeToTierZero,
    /// Kaplan–Meier medians (censoring counted) and their paired-bootstrap difference.
    pub time_median_diff: MedianDiff,
}

/// Everything `ztsim whatif` reports.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WhatIfReport {
    /// The scenario's name.
    pub scenario: String,
    /// The change, one line per flag.
    pub changes: Vec<String>,
    /// Attack edges of the compiled estate the change removes.
    pub attack_edges_removed: usize,
    /// Attack edges of the compiled estate.
    pub attack_edges: usize,
    /// Where the Tier Zero set came from.
    pub tier_zero_source: TierZeroSource,
    /// The Tier Zero nodes, by id.
    pub tier_zero: Vec<String>,
    /// What impact is measured from: an asset id, or the scenario's attacker.
    pub impact_from: String,
    /// Trials per arm.
    pub trials: u32,
    /// Master seed.
    pub seed: u64,
    /// Simulated hours per trial.
    pub horizon_hours: f64,
    /// One entry per control set, in the order asked.
    pub sets: Vec<SetWhatIf>,
}

/// What to measure impact from: `--from ID`, else the Domain Users group, else the
/// scenario's attacker.
fn impact_from(prep: &Prepared, from: Option<&str>) -> Result<(ImpactFrom, String)> {
    let est = &prep.estate;
    match from {
        Some(id) => match est.index.get(id) {
            Some(&n) if est.node(n).kind.is_identity() => Ok((ImpactFrom::Node(n), id.into())),
            Some(_) => Err(Error::Usage(format!(
                "--from `{id}`: not an identity; impact is measured from a principal or group"
            ))),
            None => {
                let ids = prep.loaded.scenario.assets.iter().map(|a| a.id.as_str());
                let hint = crate::suggest::did_you_mean(id, ids);
                Err(Error::Usage(format!(
                    "--from `{id}`: {}",
                    crate::suggest::unknown_message("no asset with this id", hint, None)
                )))
            }
        },
        None => Ok(match reach::domain_users(est) {
            Some(n) => (ImpactFrom::Node(n), est.node(n).id.clone()),
            None => (
                ImpactFrom::Attacker,
                "the scenario's attacker (no Domain Users group)".into(),
            ),
        }),
    }
}

/// Runs the what-if: for each of `sets`, the estate as it is and with `change`, paired.
pub fn whatif(
    prep: &Prepared,
    change: &Change,
    sets: &[String],
    from: Option<&str>,
    opt: &RunOptions,
    limits: &crate::limits::Limits,
) -> Result<WhatIfReport> {
    if change.is_empty() {
        return Err(Error::Usage(
            "nothing to compare: give at least one --remove-edge KIND:FROM:TO or --disable ID"
                .into(),
        ));
    }
    let sc = &prep.loaded.scenario;
    let est = &prep.estate;
    let checked = change.check(sc)?;
    let (from_at, from_name) = impact_from(prep, from)?;
    let removal = change::removal(sc, est, &checked, None, limits)?;
    let (t0, source) = tier_zero(sc, est);
    let principals = reach::principals(est, &t0);
    let counted = est.nodes.iter().filter(|n| n.counts()).count();
    // The reachability searches run on `opt.threads` workers too (results do not depend on it).
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opt.threads)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start {} worker threads: {e}", opt.threads)))?;
    let mut out = Vec::new();
    for name in sets {
        let set = resolve_set(name, &sc.control_sets, &prep.catalog)?;
        let mut base = plan::build(est, &set, opt.seed);
        base.watch = t0.clone();
        let mut changed =
            plan::without_edges(est, plan::build(est, &set, opt.seed), &removal.edges);
        changed.watch = t0.clone();
        changed.name = format!("{} (changed)", set.name);
        // A disabled account is no longer a principal of the changed estate.
        let still: Vec<_> = principals
            .iter()
            .copied()
            .filter(|n| !removal.disabled.contains(n))
            .collect();
        let exposure = |p: &plan::ControlPlan, who: &[crate::estate::NodeId]| {
            let n = reach::exposed(est, p, who).iter().filter(|&&x| x).count();
            Share::new(n, who.len())
        };
        let impact = |p: &plan::ControlPlan| Share::new(reach::impact(est, p, &from_at), counted);
        let (ex, im) = pool.install(|| {
            (
                Exact::new(exposure(&base, &principals), exposure(&changed, &still)),
                Exact::new(impact(&base), impact(&changed)),
            )
        });
        let runs = run_sets(est, &[Arc::new(base), Arc::new(changed)], opt)?;
        let (a, b) = (&runs[0].outcomes, &runs[1].outcomes);
        let hit = |o: &[TrialOutcome]| -> Vec<f64> {
            o.iter()
                .map(|t| f64::from(u8::from(t.watch_hours.is_some())))
                .collect()
        };
        let (ha, hb) = (hit(a), hit(b));
        let k = |h: &[f64]| h.iter().filter(|&&x| x > 0.0).count() as u64;
        let times = |o: &[TrialOutcome]| o.iter().map(|t| t.watch_hours).collect::<Vec<_>>();
        out.push(SetWhatIf {
            control_set: set.name.clone(),
            exposure: ex,
            impact: im,
            p_tier_zero_baseline: stats::wilson(k(&ha), ha.len() as u64),
            p_tier_zero_changed: stats::wilson(k(&hb), hb.len() as u64),
            p_tier_zero_diff: stats::paired_diff(&ha, &hb),
            time_baseline: time_to(a),
            time_changed: time_to(b),
            time_median_diff: median_diff(&times(a), &times(b), est.horizon_hours, opt.seed),
        });
    }
    Ok(WhatIfReport {
        scenario: est.name.clone(),
        changes: checked.described,
        attack_edges_removed: removal.edges.count_ones(..),
        attack_edges: est.edges.len() - est.dead.count_ones(..),
        tier_zero_source: source,
        tier_zero: t0.ones().map(|i| est.nodes[i].id.clone()).collect(),
        impact_from: from_name,
        trials: opt.trials,
        seed: opt.seed,
        horizon_hours: est.horizon_hours,
        sets: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;

    fn opt(trials: u32) -> RunOptions {
        RunOptions {
            trials,
            seed: 11,
            threads: 2,
            timeline_points: 8,
            keep_parents: false,
        }
    }

    /// Both arms of `change` on `file` under `none`, trial by trial.
    fn arms(file: &str, change: &Change, trials: u32) -> (Vec<TrialOutcome>, Vec<TrialOutcome>) {
        let limits = Limits::default();
        let prep = Prepared::from_file(std::path::Path::new(file), &limits).expect("loads");
        let sc = &prep.loaded.scenario;
        let checked = change.check(sc).expect("a valid change");
        let removal = change::removal(sc, &prep.estate, &checked, None, &limits).expect("removal");
        let set = resolve_set("none", &[], &prep.catalog).expect("none");
        let (t0, _) = tier_zero(sc, &prep.estate);
        let mut base = plan::build(&prep.estate, &set, 11);
        base.watch = t0.clone();
        let mut changed = plan::without_edges(
            &prep.estate,
            plan::build(&prep.estate, &set, 11),
            &removal.edges,
        );
        changed.watch = t0;
        let runs = run_sets(
            &prep.estate,
            &[Arc::new(base), Arc::new(changed)],
            &opt(trials),
        )
        .expect("runs");
        let mut it = runs.into_iter().map(|r| r.outcomes);
        (it.next().expect("base"), it.next().expect("changed"))
    }

    #[test]
    fn an_unused_edge_leaves_every_trial_as_it_was() {
        let change = Change {
            remove_edges: vec!["admin_to:carol:ws-d".into()],
            disable: Vec::new(),
        };
        let (a, b) = arms("tests/scenarios/whatif/chokepoint.yaml", &change, 60);
        let times: Vec<Option<f64>> = a.iter().map(|t| t.watch_hours).collect();
        // The times are random draws, different from trial to trial ...
        assert!(times.windows(2).any(|w| w[0] != w[1]));
        // ... and the same draws in both arms, to the bit.
        assert_eq!(times, b.iter().map(|t| t.watch_hours).collect::<Vec<_>>());
        // ws-d, which the removed right opened, falls later or never in the changed arm;
        // Tier Zero is untouched.
        assert!(
            a.iter()
                .zip(&b)
                .all(|(x, y)| y.compromised <= x.compromised)
        );
    }

    #[test]
    fn a_removal_changes_only_what_meets_it() {
        let change = Change {
            remove_edges: vec!["admin_to:helpdesk:dc".into()],
            disable: Vec::new(),
        };
        let (a, b) = arms("tests/scenarios/whatif/chokepoint.yaml", &change, 20);
        assert!(a.iter().all(|t| t.watch_hours.is_some()));
        assert!(b.iter().all(|t| t.watch_hours.is_none()));
    }

    #[test]
    fn the_early_stopping_reused_search_agrees_with_full_reachability() {
        for file in [
            "tests/scenarios/whatif/chokepoint.yaml",
            "scenarios/flat-ad.yaml",
        ] {
            let prep =
                Prepared::from_file(std::path::Path::new(file), &Limits::default()).expect("loads");
            let est = &prep.estate;
            let (t0, _) = tier_zero(&prep.loaded.scenario, est);
            let set = resolve_set("none", &[], &prep.catalog).expect("none");
            let mut p = plan::build(est, &set, 1);
            p.watch = t0.clone();
            // Every identity, groups and Tier Zero included, in one pass of reused states.
            let who: Vec<_> = (0..est.nodes.len() as crate::estate::NodeId)
                .filter(|&n| est.node(n).kind.is_identity() && est.node(n).virtual_kind.is_none())
                .collect();
            let fast = reach::exposed(est, &p, &who);
            for (i, &n) in who.iter().enumerate() {
                let full = crate::sim::engine::reachable_from(est, &p, &reach::foothold(est, n));
                assert_eq!(
                    fast[i],
                    !full.is_disjoint(&t0),
                    "{file}: {}",
                    est.node(n).id
                );
            }
        }
    }

    #[test]
    fn removed_edges_are_found_by_what_they_say() {
        let limits = Limits::default();
        let prep = Prepared::from_file(
            std::path::Path::new("tests/scenarios/whatif/chokepoint.yaml"),
            &limits,
        )
        .expect("loads");
        let sc = &prep.loaded.scenario;
        let change = Change {
            remove_edges: vec![],
            disable: vec!["ws-d".into()],
        };
        let checked = change.check(sc).expect("valid");
        let r = change::removal(sc, &prep.estate, &checked, None, &limits).expect("removal");
        // Every removed edge touches ws-d or dave, whose session on ws-d went with it (the
        // hash an attacker in the segment could catch, for one).
        let (ws_d, dave) = (prep.estate.index["ws-d"], prep.estate.index["dave"]);
        for e in r.edges.ones() {
            let x = &prep.estate.edges[e];
            let ends = [x.src, x.dst, x.at];
            assert!(
                ends.contains(&ws_d) || ends.contains(&dave),
                "edge {e} touches neither: {}",
                crate::estate::incremental::edge_key(&prep.estate, e)
            );
        }
        assert!(r.edges.count_ones(..) > 0);
        assert_eq!(r.disabled, vec![prep.estate.index["ws-d"]]);
    }
}
