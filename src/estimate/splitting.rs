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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::{Goal, Target};
    use crate::pipeline::Prepared;

    fn chain(k: usize) -> (Prepared, Arc<ControlPlan>, Goal) {
        let text = match k {
            2 => include_str!("../../tests/scenarios/estimate/chain-2.yaml"),
            _ => include_str!("../../tests/scenarios/estimate/chain-4.yaml"),
        };
        let prep = Prepared::from_str(text, "chain.yaml", &Default::default()).unwrap();
        let target = Target::parse(&format!("asset:ws-{}", k + 1)).unwrap();
        let goal = target.resolve(&prep.loaded.scenario, &prep.estate).unwrap();
        let plan = prep.plans(&["none".into()], 1).unwrap().pop().unwrap();
        let plan = Arc::new(goal.watching(&prep.estate, &plan));
        (prep, plan, goal)
    }

    #[test]
    fn a_paused_trial_resumed_on_its_own_key_plays_as_if_never_paused() {
        let (prep, plan, goal) = chain(4);
        let top = goal.max_score(&plan);
        let mut engine = Engine::new(prep.estate.clone(), plan.clone(), 1);
        let mut paused_at_least_once = false;
        for i in 0..300 {
            let key = TrialKey::derived(5, 9, i);
            engine.begin_keyed(i, key);
            engine.play(None);
            let whole = (played(&engine, &goal), engine.trial().st.m.compromised);
            engine.begin_keyed(i, key);
            for z in 0..top {
                let halted = engine.play(Some(goal.halt_above(&plan, Some(z))));
                paused_at_least_once |= halted && z > 0;
            }
            engine.play(None);
            let resumed = (played(&engine, &goal), engine.trial().st.m.compromised);
            assert_eq!(whole.0.hit, resumed.0.hit, "trial {i}");
            assert_eq!(whole.0.score, resumed.0.score, "trial {i}");
            assert_eq!(whole.0.steps, resumed.0.steps, "trial {i}");
            assert_eq!(whole.1, resumed.1, "trial {i}");
        }
        assert!(paused_at_least_once);
    }

    #[test]
    fn progress_scores_count_steps_left_and_top_only_on_a_hit() {
        let (prep, plan, goal) = chain(4);
        // ws-1 (start) .. ws-5 (target): four lateral steps and the dumps between them.
        let d = |id: &str| plan.watch_dist[prep.estate.index[id] as usize];
        assert_eq!(d("ws-5"), 0);
        assert!(d("u-4") < d("ws-4") && d("ws-4") < d("u-3") && d("u-1") < d("ws-1"));
        let mut engine = Engine::new(prep.estate.clone(), plan.clone(), 1);
        let top = goal.max_score(&plan);
        for i in 0..200 {
            engine.begin_keyed(i, TrialKey::derived(1, 1, i));
            engine.play(None);
            let p = played(&engine, &goal);
            assert_eq!(p.hit, p.score == top, "trial {i}");
        }
    }

    #[test]
    fn a_splitting_run_on_two_steps_averages_to_the_exact_answer() {
        let (prep, plan, goal) = chain(2);
        let opt = crate::estimate::Options::new(0.1, crate::estimate::Method::Splitting);
        let w = Workers::new(prep.estate.clone(), &goal, &opt).unwrap();
        let mut engine = Engine::new(prep.estate.clone(), plan.clone(), 1);
        let runs = 2000;
        let ests: Vec<f64> = (0..runs)
            .map(|r| one_run(&mut engine, &w, &plan, r, 20).0)
            .collect();
        let m = crate::stats::mean_ci(&ests);
        assert!(m.ci95[0] <= 0.01 && 0.01 <= m.ci95[1], "{m:?}");
        // Each run's estimate is a product of survival fractions times a share of N.
        assert!(ests.iter().all(|&e| (0.0..=1.0).contains(&e)));
    }
}
