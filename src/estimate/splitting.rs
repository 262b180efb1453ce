//! Adaptive multilevel splitting (Cérou and Guyader, "Adaptive multilevel splitting for
//! rare event analysis", 2007), in the generalised form whose estimator stays unbiased when
//! the score takes discrete values (Bréhier, Gazeau, Goudenège, Lelièvre and Rousset,
//! "Unbiasedness of some generalized adaptive multilevel splitting algorithms", Annals of
//! Applied Probability, 2016).
//!
//! A run plays N particles (trials) to their end and scores each by the progress it made
//! towards the target ([`super::Goal::score`]: a graph distance, or the blast radius). At
//! each iteration the level z is the lowest score; *every* particle at z is killed (ties
//! included, the correction for discrete scores), K of them, and each is replaced by a
//! copy of a survivor, chosen uniformly, taken at the first moment its score exceeded z
//! and continued on a fresh random stream. The run ends when every particle hit the target
//! (or none survives a level: the estimate is 0). Its estimate is
//! Π (1 − K_q / N) × (hits / N), unbiased. Independent runs give a Student-t interval.
//!
//! A particle is its chain of keys: the root trial's key, then for each split the key the
//! copy continued on, each with the score it ran until. Its state at any level is
//! re-derived by replaying the chain on the one engine (a trial is a pure function of its
//! keys), so memory stays at one trial state per worker; replays count as work.

use super::{Budget, Estimate, Method, Options, Played, Stop, Work, Workers, played};
use crate::plan::ControlPlan;
use crate::rng::TrialKey;
use crate::sim::Engine;
use std::sync::Arc;

/// Key families: run r's root particles are `TAG_ROOT + r`; its copies `TAG_COPY + r`,
/// stream (level << 32 | copy index).
const TAG_ROOT: u64 = 0x3_0000_0000;
const TAG_COPY: u64 = 0x4_0000_0000_0000;
/// Independent runs before the interval is trusted.
const MIN_RUNS: u64 = 10;

/// A particle: its chain of (key, score it plays until; `None`: to the end).
#[derive(Clone)]
struct Particle {
    chain: Vec<(TrialKey, Option<u32>)>,
    score: u32,
    hit: bool,
}

/// Replays a particle's chain on `engine` (to the target or the trial's end).
fn play_chain(
    engine: &mut Engine,
    w: &Workers,
    run: u64,
    chain: &[(TrialKey, Option<u32>)],
) -> Played {
    engine.begin_keyed(run, chain[0].0);
    for (i, &(key, until)) in chain.iter().enumerate() {
        if i > 0 {
            engine.rekey(key);
        }
        let halt = w.goal.halt_above(&engine.trial().plan, until);
        engine.play(Some(halt));
    }
    played(engine, w.goal)
}

/// One splitting run of `n` particles: its estimate, and the work it took.
fn one_run(engine: &mut Engine, w: &Workers, plan: &ControlPlan, run: u64, n: u32) -> (f64, Work) {
    let top = w.goal.max_score(plan);
    let mut work = Work::default();
    let mut ps: Vec<Particle> = (0..n as u64)
        .map(|i| {
            let chain = vec![(TrialKey::derived(w.seed, TAG_ROOT + run, i), None)];
            let p = play_chain(engine, w, run, &chain);
            work.add(&p);
            Particle {
                chain,
                score: p.score,
                hit: p.hit,
            }
        })
        .collect();
    let mut factor = 1.0;
    for level in 0u64.. {
        let z = ps.iter().map(|p| p.score).min().unwrap_or(top);
        if z >= top {
            break;
        }
        let (killed, survivors): (Vec<usize>, Vec<usize>) =
            (0..ps.len()).partition(|&i| ps[i].score <= z);
        if survivors.is_empty() {
            return (0.0, work);
        }
        factor *= (ps.len() - killed.len()) as f64 / ps.len() as f64;
        let parents: Vec<Particle> = survivors.iter().map(|&i| ps[i].clone()).collect();
        for (j, &i) in killed.iter().enumerate() {
            let key = TrialKey::derived(w.seed, TAG_COPY + run, (level << 32) | j as u64);
            let pick = (key.bits(u64::MAX, 1, 0) % parents.len() as u64) as usize;
            let mut chain = parents[pick].chain.clone();
            if let Some(last) = chain.last_mut() {
                last.1 = Some(z);
            }
            chain.push((key, None));
            let p = play_chain(engine, w, run, &chain);
            work.add(&p);
            ps[i] = Particle {
                chain,
                score: p.score,
                hit: p.hit,
            };
        }
    }
    let hits = ps.iter().filter(|p| p.hit).count();
    (factor * hits as f64 / ps.len() as f64, work)
}

/// Runs batches of independent splitting runs until the precision is reached or the
/// budget runs out, recording the estimate in `report`.
pub(crate) fn run(
    w: &Workers,
    plan: &Arc<ControlPlan>,
    opt: &Options,
    budget: &Budget,
    report: &mut Estimate,
) {
    let mut work = report.work;
    let mut ests: Vec<f64> = Vec::new();
    loop {
        let batch = (ests.len() as u64 / 2).max(MIN_RUNS);
        let first = ests.len() as u64;
        let out = w.map(plan, batch, |engine, i| {
            one_run(engine, w, plan, first + i, opt.particles)
        });
        for (e, wk) in out {
            ests.push(e);
            work.trials += wk.trials;
            work.steps += wk.steps;
            work.edges += wk.edges;
        }
        let m = crate::stats::mean_ci(&ests);
        report.set(Method::Splitting, m.mean, m.ci95);
        report.samples = ests.len() as u64;
        report.hits = ests.iter().filter(|&&e| e > 0.0).count() as u64;
        let (s, s2) = ests.iter().fold((0.0, 0.0), |(a, b), y| (a + y, b + y * y));
        report.ess = (s2 > 0.0).then(|| s * s / s2);
        report.work = work;
        if report.precise() {
            report.stop = Stop::Precision;
            return;
        }
        if let Some(stop) = budget.exhausted(&work) {
            report.stop = stop;
            return;
        }
    }
}
