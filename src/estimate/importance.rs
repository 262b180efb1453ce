//! Importance sampling. Trials play a *tilted* plan, whose per-edge success
//! probabilities q lean towards the target; the engine weighs every success draw by p/q
//! and every failure by (1 − p)/(1 − q), so a trial's likelihood ratio W is exact and
//! W · 1{hit} is an unbiased estimate of P(hit). Only success odds are tilted: durations,
//! detections and the attacker's preferences stay as the plan has them.
//!
//! The tilt is tuned by the multilevel cross-entropy method (Rubinstein and Kroese, *The
//! Cross-Entropy Method*, 2004; de Boer, Kroese, Mannor, Rubinstein, "A tutorial on the
//! cross-entropy method", 2005): play a stage of trials, keep the elite (the best ρ by
//! progress score, [`super::Goal::score`]), set each edge's q to its W-weighted success
//! frequency among the elite's draws, smoothed; repeat until the elite is the trials that
//! hit. A stage that makes no progress leans the edges that lead closer to the target
//! (by the graph distance of [`super::target::distances_to`]). The tuned plan then plays
//! the production trials, a Student-t interval over W · 1{hit}; the effective sample size
//! of the hits' weights, (Σ W)² / Σ W², warns of weight degeneracy.

use super::{Budget, Estimate, Method, Options, Played, Stop, Work, Workers};
use crate::error::Result;
use crate::estate::{Estate, NO_SOURCE};
use crate::plan::{ControlPlan, Nominal};
use crate::rng::TrialKey;
use std::sync::Arc;

/// Fraction of a stage kept as the elite.
const RHO: f64 = 0.1;
/// Weight of the new frequencies against the old tilt.
const SMOOTHING: f64 = 0.7;
/// Stages of tuning before giving up.
const MAX_STAGES: u64 = 30;
/// Highest tilted probability of an uncertain step (keeps failures possible, so every
/// weight stays finite).
const Q_MAX: f64 = 0.99;
/// Stages of tuning on the hits alone once the elite is made of hits: the weights of the
/// hits then pull each tilt back from near certainty towards the odds the hits had.
const REFINE_STAGES: u32 = 2;
/// Elite trials that must have tried a step before its odds are tuned.
const MIN_ELITE_DRAWS: u32 = 5;
/// Hits needed before the interval is trusted.
const MIN_HITS: u64 = 30;
/// Key families: tuning stage s is `TAG_STAGE + s`, production `TAG_PRODUCTION`.
const TAG_STAGE: u64 = 0x1_0000_0000;
const TAG_PRODUCTION: u64 = 0x2_0000_0000;

/// One trial's draws: (edge, tries, successes).
type Draws = Vec<(u32, u8, u8)>;

/// The plan with success probabilities `q` (odds on the compliant path scaled alike),
/// remembering the untilted ones.
pub fn tilt(plan: &ControlPlan, q: &[f64]) -> ControlPlan {
    let mut t = plan.clone();
    let odds = |p: f64| p / (1.0 - p);
    for (e, &qe) in q.iter().enumerate() {
        let p = plan.p[e] as f64;
        if p <= 0.0 || p >= 1.0 || qe == p {
            continue;
        }
        t.p[e] = qe as f32;
        let pc = plan.p_compliant[e] as f64;
        if qe <= 0.0 || qe >= 1.0 {
            t.p_compliant[e] = if pc > 0.0 { qe as f32 } else { 0.0 };
        } else if pc > 0.0 && pc < 1.0 {
            let o = odds(pc) * odds(qe) / odds(p);
            t.p_compliant[e] = (o / (1.0 + o)) as f32;
        }
    }
    t.nominal = Some(Arc::new(Nominal {
        p: plan.p.clone(),
        p_compliant: plan.p_compliant.clone(),
    }));
    t
}

/// The range a tuned probability may take for an edge of probability `p`: certain and
/// impossible steps stay so; others stay within [p/2, 0.99] (never below half the odds of
/// the plan, which keeps the weights of trials that avoid a step bounded).
fn clip(p: f64, q: f64) -> f64 {
    if p <= 0.0 || p >= Q_MAX {
        p
    } else {
        q.clamp(p / 2.0, Q_MAX)
    }
}

/// Plays trial `index` of key family `tag` on the engine's (tilted) plan; with its draws.
fn play_recording(
    engine: &mut crate::sim::Engine,
    w: &Workers,
    tag: u64,
    index: u64,
) -> (Played, Draws) {
    let p = super::play_to_hit(engine, w.goal, index, TrialKey::derived(w.seed, tag, index));
    let st = &engine.trial().st;
    let mut draws: Draws = st
        .touched_edges
        .iter()
        .map(|&e| (e, st.tries[e as usize], 0u8))
        .collect();
    draws.sort_unstable_by_key(|d| d.0);
    for &e in &st.won {
        if let Ok(i) = draws.binary_search_by_key(&e, |d| d.0) {
            draws[i].2 = draws[i].2.saturating_add(1);
        }
    }
    (p, draws)
}

/// Tunes a tilt, then estimates. `Ok(false)` when no tilt reaching the target was found
/// (nothing recorded but the work); `Ok(true)` otherwise, the report filled in.
pub(crate) fn run(
    w: &Workers,
    plan: &Arc<ControlPlan>,
    opt: &Options,
    budget: &Budget,
    report: &mut Estimate,
) -> Result<bool> {
    let mut work = report.work;
    let Some(tuned) = tune(w, plan, opt, budget, &mut work, report) else {
        report.work = work;
        return Ok(report.stop == Stop::Time || report.stop == Stop::Budget);
    };
    let tilted = Arc::new(tilt(plan, &tuned));
    let mut ys: Vec<f64> = Vec::new();
    let mut hits = 0u64;
    loop {
        let batch = (ys.len() as u64 / 2).max(opt.pilot_trials as u64);
        let first = ys.len() as u64;
        let out: Vec<Played> = w.map(&tilted, batch, |engine, i| {
            let index = first + i;
            super::play_to_hit(
                engine,
                w.goal,
                index,
                TrialKey::derived(w.seed, TAG_PRODUCTION, index),
            )
        });
        for p in &out {
            work.add(p);
            hits += p.hit as u64;
            ys.push(if p.hit { p.log_lr.exp() } else { 0.0 });
        }
        record(report, &ys, hits, work);
        if hits >= MIN_HITS && report.precise() {
            report.stop = Stop::Precision;
            break;
        }
        if let Some(stop) = budget.exhausted(&work) {
            report.stop = stop;
            break;
        }
    }
    if let Some(ess) = report.ess
        && hits > 0
        && (ess < 10.0 || ess < 0.05 * hits as f64)
    {
        report.note(format!(
            "weight degeneracy: the effective sample size is {ess:.1} for {hits} hits; a few trials carry the estimate and its interval may be too narrow (try --method splitting)"
        ));
    }
    Ok(true)
}

/// Records the production trials' estimate: mean of W · 1{hit} with a Student-t interval.
fn record(report: &mut Estimate, ys: &[f64], hits: u64, work: Work) {
    let m = crate::stats::mean_ci(ys);
    report.set(Method::Is, m.mean, m.ci95);
    report.samples = ys.len() as u64;
    report.hits = hits;
    let (s, s2) = ys.iter().fold((0.0, 0.0), |(a, b), y| (a + y, b + y * y));
    report.ess = (s2 > 0.0).then(|| s * s / s2);
    report.work = work;
}

/// The multilevel cross-entropy tuning: the tilted probabilities, or `None` (with the
/// report's stop set if the budget ran out).
fn tune(
    w: &Workers,
    plan: &Arc<ControlPlan>,
    opt: &Options,
    budget: &Budget,
    work: &mut Work,
    report: &mut Estimate,
) -> Option<Vec<f64>> {
    let top = w.goal.max_score(plan);
    let mut q: Vec<f64> = plan.p.iter().map(|&p| p as f64).collect();
    let m = opt.pilot_trials as u64;
    let mut best_level = 0;
    let mut refinements = 0;
    for stage in 0..MAX_STAGES {
        let tilted = Arc::new(tilt(plan, &q));
        let out: Vec<(Played, Draws)> = w.map(&tilted, m, |engine, i| {
            play_recording(engine, w, TAG_STAGE + stage, i)
        });
        out.iter().for_each(|(p, _)| work.add(p));
        let mut scores: Vec<u32> = out.iter().map(|(p, _)| p.score).collect();
        scores.sort_unstable_by(|a, b| b.cmp(a));
        let elite_n = ((RHO * m as f64).ceil() as usize).clamp(1, scores.len());
        let mut gamma = scores[elite_n - 1].min(top);
        if gamma == *scores.last().unwrap_or(&0) && scores[0] > gamma {
            // Ties would make everyone elite: take the next level up.
            gamma = scores
                .iter()
                .copied()
                .filter(|&s| s > gamma)
                .min()
                .unwrap_or(gamma);
        }
        let reached = out.iter().filter(|(p, _)| p.score >= top).count();
        let converged = reached as f64 >= RHO * m as f64 || gamma >= top;
        if gamma <= best_level && !converged {
            lean_towards(&w.est, plan, &mut q);
        } else {
            best_level = gamma;
            update(&w.est, plan, &mut q, &out, gamma.min(top));
        }
        if converged {
            refinements += 1;
            if refinements > REFINE_STAGES {
                return Some(q);
            }
        }
        if let Some(stop) = budget.exhausted(work) {
            report.stop = stop;
            report.note("time or budget ran out while tuning the importance-sampling tilt");
            return None;
        }
    }
    report.stop = Stop::Failed;
    None
}

/// The cross-entropy update from the trials scoring at least `gamma`, for the steps that
/// lead closer to the target ([`leads_closer`]) and that at least [`MIN_ELITE_DRAWS`]
/// elite trials tried: every other step keeps its odds, so the weights multiply only over
/// the few steps that matter (a tilt of every step the elite happened to try makes the
/// weights degenerate on a large estate).
fn update(est: &Estate, plan: &ControlPlan, q: &mut [f64], out: &[(Played, Draws)], gamma: u32) {
    let elite: Vec<&(Played, Draws)> = out.iter().filter(|(p, _)| p.score >= gamma).collect();
    let max_lr = elite
        .iter()
        .map(|(p, _)| p.log_lr)
        .fold(f64::NEG_INFINITY, f64::max);
    let mut num = std::collections::HashMap::new();
    for (p, draws) in &elite {
        let wgt = (p.log_lr - max_lr).exp();
        for &(e, tries, succ) in draws {
            if !leads_closer(est, plan, e as usize) {
                continue;
            }
            let x = num.entry(e).or_insert((0.0, 0.0, 0u32));
            x.0 += wgt * succ as f64;
            x.1 += wgt * tries as f64;
            x.2 += 1;
        }
    }
    let mut edges: Vec<_> = num.into_iter().collect();
    edges.sort_unstable_by_key(|(e, _)| *e);
    for (e, (s, t, trials)) in edges {
        let ei = e as usize;
        if t > 0.0 && trials >= MIN_ELITE_DRAWS {
            let p = plan.p[ei] as f64;
            q[ei] = clip(p, SMOOTHING * (s / t) + (1.0 - SMOOTHING) * q[ei]);
        }
    }
}

/// Whether step `e` leads closer to the target by the graph distance (a network step:
/// whenever its target is closer than the farthest node).
fn leads_closer(est: &Estate, plan: &ControlPlan, e: usize) -> bool {
    let d = &plan.watch_dist;
    let edge = &est.edges[e];
    if d.is_empty() {
        return true;
    }
    let to = d[edge.dst as usize];
    to != u32::MAX && (edge.src == NO_SOURCE || to < d[edge.src as usize])
}

/// No progress in a stage: triple the odds of every step that leads closer to the target.
fn lean_towards(est: &Estate, plan: &ControlPlan, q: &mut [f64]) {
    for (e, qe) in q.iter_mut().enumerate() {
        if plan.p[e] > 0.0 && leads_closer(est, plan, e) {
            let o = 3.0 * *qe / (1.0 - *qe).max(1e-9);
            *qe = clip(plan.p[e] as f64, o / (1.0 + o));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::Target;
    use crate::pipeline::Prepared;
    use crate::sim::Engine;

    #[test]
    fn a_trial_under_a_tilted_plan_carries_its_exact_likelihood_ratio() {
        let text = include_str!("../../tests/scenarios/estimate/chain-2.yaml");
        let prep = Prepared::from_str(text, "chain-2.yaml", &Default::default()).unwrap();
        let goal = Target::parse("asset:ws-3")
            .unwrap()
            .resolve(&prep.loaded.scenario, &prep.estate)
            .unwrap();
        let plan = prep.plans(&["none".into()], 1).unwrap().pop().unwrap();
        let plan = goal.watching(&prep.estate, &plan);
        // Every uncertain step made certain: each trial hits through both p = 0.1 steps,
        // and its weight is exactly 0.1 x 0.1.
        let q: Vec<f64> = plan
            .p
            .iter()
            .map(|&p| if p > 0.0 { 1.0 } else { 0.0 })
            .collect();
        let tilted = Arc::new(tilt(&plan, &q));
        let mut engine = Engine::new(prep.estate.clone(), tilted, 1);
        for i in 0..50 {
            let p = crate::estimate::play_to_hit(&mut engine, &goal, i, TrialKey::derived(1, 7, i));
            assert!(p.hit);
            assert!((p.log_lr - 0.01f64.ln()).abs() < 1e-6, "{}", p.log_lr);
        }
        // An untilted plan (q = p) weighs nothing.
        let same: Vec<f64> = plan.p.iter().map(|&p| p as f64).collect();
        let mut engine = Engine::new(prep.estate.clone(), Arc::new(tilt(&plan, &same)), 1);
        for i in 0..50 {
            let p = crate::estimate::play_to_hit(&mut engine, &goal, i, TrialKey::derived(1, 7, i));
            assert_eq!(p.log_lr, 0.0);
        }
    }

    #[test]
    fn tuned_odds_stay_within_half_the_plan_and_0_99() {
        assert_eq!(clip(0.1, 0.001), 0.05);
        assert_eq!(clip(0.1, 1.0), Q_MAX);
        assert_eq!(clip(1.0, 0.5), 1.0);
        assert_eq!(clip(0.0, 0.5), 0.0);
    }
}
