//! The engine driven by an external policy: instead of the profile's strategy picking the
//! next attack step, a caller (a reinforcement-learning agent through the Python package)
//! picks among the steps on offer, one decision at a time.
//!
//! It is the same engine, not a second one: an [`Episode`] owns an [`Engine`], begins
//! trials with [`Engine::begin`], takes what is on offer from the engine's own frontier
//! (`engine::next_edge` and the checks [`engine::dispatch`] makes, `engine::usable`),
//! starts the chosen step with `engine::start_step` and resolves events with
//! `engine::resolve_next`. The only difference from batch play is who chooses: where
//! [`engine::dispatch`] starts the frontier's first usable item, an episode keeps every
//! usable item on offer and starts the one the caller names. A caller that picks uniformly
//! among the offers plays the random strategy's distribution (its competing exponential
//! clocks pick uniformly among everything on offer).
//!
//! Time advances between decisions: after a step is started, events are resolved in time
//! order until the attacker has a free hand (the profile's parallelism) and something is on
//! offer, or the trial ends (objective, containment, nothing left, or the horizon). A
//! defender may act too ([`Episode::defend`]): its actions take effect after a delay, at
//! their time among the events.

use super::engine::{self, Inject, NO_EDGE};
use super::state::{EndReason, Happening, TrialState};
use super::{Engine, Trial, TrialOutcome};
use crate::estate::{Estate, INTERNET, NO_SOURCE, NodeId};
use crate::plan::ControlPlan;
use fixedbitset::FixedBitSet;
use std::sync::Arc;

/// Why a chosen step was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    /// The index is not an attack edge of the estate.
    #[error("action {action} is out of range: the estate has {edges} attack edges (0..{edges})")]
    OutOfRange {
        /// The index given.
        action: u64,
        /// Attack edges in the estate.
        edges: usize,
    },
    /// The edge exists but is not on offer now (masked).
    #[error("action {action} is not on offer now (masked); choose an action whose mask is 1")]
    Masked {
        /// The index given.
        action: u64,
    },
    /// The episode has ended; begin a new one first.
    #[error("the episode has ended ({0}); reset it first")]
    Ended(&'static str),
}

/// A defender's action.
#[derive(Clone, Copy, Debug)]
enum Defence {
    /// Containment, a credential reset, a token revocation, a segment cut off.
    Inject(Inject),
    /// Detection raised on the steps into a segment.
    Monitor { segment: NodeId, boost: f32 },
}

/// A defender action waiting for its delay to pass.
#[derive(Clone, Copy, Debug)]
struct Pending {
    at: f64,
    seq: u64,
    what: Defence,
}

/// The attack edges on offer, in the order they were taken from the frontier, and their
/// membership by edge.
struct Offer {
    edges: Vec<u32>,
    member: FixedBitSet,
}

impl Offer {
    fn clear(&mut self) {
        for &e in &self.edges {
            self.member.set(e as usize, false);
        }
        self.edges.clear();
    }

    fn remove(&mut self, e: u32) {
        self.member.set(e as usize, false);
        if let Some(i) = self.edges.iter().position(|&x| x == e) {
            self.edges.swap_remove(i);
        }
    }
}

/// One trial played step by step, the attacker's choices made by the caller.
///
/// The trial lives in the engine's World as a resource; each public call looks it up
/// once and hands it to the helpers below (a lookup per helper call cost a sixth of a
/// decision's time).
pub struct Episode {
    engine: Engine,
    /// The plan episodes begin with (a defender's monitoring changes the engine's).
    base_plan: Arc<ControlPlan>,
    /// Attack edges on offer now.
    offer: Offer,
    /// Defender actions not yet in effect.
    pending: Vec<Pending>,
    seq: u64,
    /// Nodes a detection pointed at since the last [`Episode::take_alerts`].
    alerts: Vec<NodeId>,
}

impl Episode {
    /// An episode on `est` under `plan`; trials are keyed by `seed` and their index.
    /// Call [`Episode::begin`] before stepping.
    pub fn new(est: Arc<Estate>, plan: Arc<ControlPlan>, seed: u64) -> Episode {
        let edges = est.edges.len();
        Episode {
            engine: Engine::new(est, plan.clone(), seed),
            base_plan: plan,
            offer: Offer {
                edges: Vec::new(),
                member: FixedBitSet::with_capacity(edges),
            },
            pending: Vec::new(),
            seq: 0,
            alerts: Vec::new(),
        }
    }

    /// Begins trial `index` of master seed `seed` (the same trial key as trial `index` of a
    /// batch run with that seed) and advances to the attacker's first decision.
    pub fn begin(&mut self, seed: u64, index: u64) {
        {
            let t = self.engine.trial_mut().into_inner();
            t.seed = seed;
            if !Arc::ptr_eq(&t.plan, &self.base_plan) {
                t.plan = self.base_plan.clone();
            }
        }
        self.offer.clear();
        self.pending.clear();
        self.alerts.clear();
        // The journal records detections for the defender's view.
        self.engine.begin(index, true);
        let t = self.engine.trial_mut().into_inner();
        settle(t, &mut self.offer, &mut self.pending);
    }

    /// The trial's estate, plan, key and state.
    pub fn trial(&self) -> &Trial {
        self.engine.trial()
    }

    /// The trial's dynamic state.
    pub fn state(&self) -> &TrialState {
        &self.engine.trial().st
    }

    /// The attack edges on offer now (empty once the episode ended).
    pub fn offered(&self) -> &[u32] {
        &self.offer.edges
    }

    /// Whether attack edge `e` is on offer now.
    pub fn is_offered(&self, e: usize) -> bool {
        self.offer.member.contains(e)
    }

    /// Why the episode ended, or `None` while it goes on.
    pub fn ended(&self) -> Option<EndReason> {
        self.state().ended
    }

    /// Whether the attacker knows node `n` (it is public, was learnt of, or swept).
    pub fn knows(&self, n: NodeId) -> bool {
        self.trial().knows(n)
    }

    /// Value gained minus the cost of the tries so far: the return of the episode.
    pub fn score(&self) -> f64 {
        score(self.state())
    }

    /// The outcome so far, as a batch trial reports it (without discovery counts or
    /// timeline).
    pub fn outcome(&self) -> TrialOutcome {
        let st = self.state();
        super::outcome(st, st.trial as u32)
    }

    /// Starts attack step `action` (an edge on offer) and advances to the next decision.
    /// Returns the reward: value gained minus the step's cost.
    pub fn step(&mut self, action: u64) -> Result<f64, StepError> {
        let t = self.engine.trial_mut().into_inner();
        if let Some(r) = t.st.ended {
            return Err(StepError::Ended(r.name()));
        }
        let edges = t.est.edges.len();
        if action >= edges as u64 {
            return Err(StepError::OutOfRange { action, edges });
        }
        let e = action as u32;
        if !self.offer.member.contains(e as usize) {
            return Err(StepError::Masked { action });
        }
        let before = score(&t.st);
        self.offer.remove(e);
        {
            let (cx, st) = t.parts();
            engine::start_step(&cx, st, e);
        }
        settle(t, &mut self.offer, &mut self.pending);
        Ok(score(&t.st) - before)
    }

    /// A defender's action, in effect `delay_hours` from now (at once when 0). Containment
    /// follows the engine's own: an isolated device stops being a foothold, reset
    /// credentials must be stolen anew.
    pub fn defend(&mut self, what: Inject, delay_hours: f64) {
        self.schedule_defence(Defence::Inject(what), delay_hours);
    }

    /// Raises detection on the steps into the nodes of segment `segment` (a defender
    /// raising monitoring there), `delay_hours` from now: each such step is then seen with
    /// probability 1 − (1 − d)(1 − `boost`) instead of d. The attack graph and what is on
    /// offer do not change.
    pub fn raise_monitoring(&mut self, segment: NodeId, boost: f32, delay_hours: f64) {
        self.schedule_defence(Defence::Monitor { segment, boost }, delay_hours);
    }

    fn schedule_defence(&mut self, what: Defence, delay_hours: f64) {
        let t = self.engine.trial_mut().into_inner();
        if delay_hours <= 0.0 {
            apply(t, what);
        } else {
            self.seq += 1;
            self.pending.push(Pending {
                at: t.st.now + delay_hours,
                seq: self.seq,
                what,
            });
        }
    }

    /// Nodes pointed at by detections since the last call (what a defender sees), in
    /// order, repeats kept.
    pub fn take_alerts(&mut self) -> Vec<NodeId> {
        self.collect_alerts();
        std::mem::take(&mut self.alerts)
    }

    fn collect_alerts(&mut self) {
        let t = self.engine.trial_mut().into_inner();
        let est = &t.est;
        for j in t.st.journal.drain(..) {
            if let Happening::Finished {
                edge,
                detected: true,
                ..
            } = j.what
            {
                let e = &est.edges[edge as usize];
                for n in [e.src, e.dst] {
                    if n != NO_SOURCE && n != INTERNET && est.node(n).virtual_kind.is_none() {
                        self.alerts.push(n);
                    }
                }
            }
        }
    }
}

fn score(st: &TrialState) -> f64 {
    st.m.value - st.m.cost
}

/// Applies a defender action now, then the FREE edges it enables.
fn apply(t: &mut Trial, what: Defence) {
    let what = match what {
        Defence::Inject(i) => i,
        Defence::Monitor { segment, boost } => return monitor(t, segment, boost),
    };
    let (cx, st) = t.parts();
    match what {
        Inject::Isolate(n) | Inject::Disable(n) => engine::contain(&cx, st, n),
        Inject::ResetCredentials(n) => engine::reset_credentials(&cx, st, n),
        Inject::RevokeTokens(n) => engine::revoke(&cx, st, n),
        Inject::BlockSegment(n) => engine::block_segment(&cx, st, n),
        // Attacker-side injects (phish, exploit...) go through the engine's own inject.
        other => engine::inject(&cx, st, other),
    }
    engine::drain_free(&cx, st);
}

/// Raises detection on the steps into segment `segment`'s nodes, in a copy of the plan.
fn monitor(t: &mut Trial, segment: NodeId, boost: f32) {
    let mut plan = (*t.plan).clone();
    let boost = boost.clamp(0.0, 1.0);
    for (e, edge) in t.est.edges.iter().enumerate() {
        if edge.dst == segment || t.est.node(edge.dst).segment == segment {
            let d = plan.detect[e];
            plan.detect[e] = 1.0 - (1.0 - d) * (1.0 - boost);
        }
    }
    t.plan = Arc::new(plan);
}

/// Resolves the earliest of the next event and the next pending defender action.
/// Returns false when there is nothing left to resolve before the horizon (the episode
/// then ends).
fn resolve_one(t: &mut Trial, pending: &mut Vec<Pending>) -> bool {
    let next_event = t.st.events.peek().map(|ev| ev.t);
    let next_defence = pending
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.at.total_cmp(&b.1.at).then(a.1.seq.cmp(&b.1.seq)))
        .map(|(i, p)| (i, p.at));
    let at = match (next_event, next_defence) {
        (None, None) => {
            let st = &mut t.st;
            st.ended = Some(if st.live_owned == 0 && st.m.contained_at.is_some() {
                EndReason::Contained
            } else {
                EndReason::Exhausted
            });
            return false;
        }
        (Some(a), None) => a,
        (None, Some((_, b))) => b,
        (Some(a), Some((_, b))) => a.min(b),
    };
    if at > t.est.horizon_hours {
        let st = &mut t.st;
        st.now = st.now.max(t.est.horizon_hours);
        st.ended = Some(EndReason::Horizon);
        return false;
    }
    match next_defence {
        // Ties go to the defender: its action was decided first.
        Some((i, at)) if next_event.is_none_or(|a| at <= a) => {
            let p = pending.swap_remove(i);
            t.st.now = t.st.now.max(p.at);
            apply(t, p.what);
        }
        _ => {
            let (cx, st) = t.parts();
            engine::resolve_next(&cx, st);
            engine::objective_end(&cx, st);
        }
    }
    true
}

/// Refreshes the offers and resolves events until the attacker has a free hand and
/// something on offer, or the episode ends.
fn settle(t: &mut Trial, offer: &mut Offer, pending: &mut Vec<Pending>) {
    loop {
        if t.st.ended.is_some() {
            break;
        }
        if refill(t, offer) {
            return;
        }
        if !resolve_one(t, pending) {
            break;
        }
    }
    offer.clear();
}

/// Brings the offers up to date when the attacker has a free hand: drops what is no
/// longer usable, takes everything usable from the engine's frontier. Returns whether
/// a decision is due (a free hand and something on offer).
fn refill(t: &mut Trial, offer: &mut Offer) -> bool {
    let (cx, st) = t.parts();
    let par = cx.est.profile.parallelism;
    if (par != 0 && st.in_flight >= par) || engine::out_of_time(&cx, st) {
        return false;
    }
    let member = &mut offer.member;
    offer.edges.retain(|&e| {
        let ok = engine::usable(&cx, st, e);
        if !ok {
            member.set(e as usize, false);
        }
        ok
    });
    let max_tries = cx.est.profile.max_tries.min(255) as u8;
    while let Some(e) = engine::next_edge(&cx, st, max_tries) {
        if e != NO_EDGE && !member.contains(e as usize) && engine::usable(&cx, st, e) {
            member.insert(e as usize);
            offer.edges.push(e);
        }
    }
    !offer.edges.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::Prepared;
    use rand::{RngExt, SeedableRng};

    const SCENARIO: &str = include_str!("../../tests/scenarios/env-random.yaml");

    fn episode() -> (Prepared, Episode) {
        let prep = Prepared::from_str(
            SCENARIO,
            "env-random.yaml",
            &crate::limits::Limits::default(),
        )
        .expect("scenario loads");
        let plan = prep.plans(&["none".into()], 5).expect("plan").remove(0);
        let ep = Episode::new(prep.estate.clone(), plan, 5);
        (prep, ep)
    }

    /// Plays trial `index` choosing uniformly among the offers with `rng`; returns the
    /// rewards and the outcome.
    fn play(ep: &mut Episode, index: u64, rng: &mut rand_chacha::ChaCha8Rng) -> (Vec<f64>, u32) {
        ep.begin(5, index);
        let mut rewards = Vec::new();
        while ep.ended().is_none() {
            let offers = ep.offered();
            let a = offers[rng.random_range(0..offers.len())];
            rewards.push(ep.step(a as u64).expect("an offered step is accepted"));
        }
        (rewards, ep.outcome().compromised)
    }

    #[test]
    fn same_seed_same_choices_same_episode() {
        let (_p, mut ep) = episode();
        let mut r1 = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let mut r2 = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for i in 0..20 {
            assert_eq!(play(&mut ep, i, &mut r1), play(&mut ep, i, &mut r2));
        }
    }

    #[test]
    fn refuses_masked_out_of_range_and_ended() {
        let (p, mut ep) = episode();
        ep.begin(5, 0);
        let edges = p.estate.edges.len();
        assert!(matches!(
            ep.step(edges as u64),
            Err(StepError::OutOfRange { .. })
        ));
        let masked = (0..edges)
            .find(|&e| !ep.is_offered(e))
            .expect("a masked edge");
        assert_eq!(
            ep.step(masked as u64),
            Err(StepError::Masked {
                action: masked as u64
            })
        );
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        play(&mut ep, 0, &mut rng);
        assert!(matches!(ep.step(0), Err(StepError::Ended(_))));
        assert!(ep.offered().is_empty());
    }

    #[test]
    fn defender_isolation_contains_and_monitoring_alerts() {
        let (p, mut ep) = episode();
        let ws1 = p.estate.index["ws-1"];
        let lan = p.estate.index["lan"];
        ep.begin(5, 0);
        ep.raise_monitoring(lan, 1.0, 0.0);
        // Every step into the segment is now seen: the defender sees where it happened.
        let into_lan = |ep: &Episode| {
            ep.offered()
                .iter()
                .copied()
                .find(|&e| p.estate.node(p.estate.edges[e as usize].dst).segment == lan)
        };
        while into_lan(&ep).is_none() && ep.ended().is_none() {
            ep.step(ep.offered()[0] as u64).expect("offered");
        }
        ep.take_alerts();
        let e = into_lan(&ep).expect("a step into the LAN");
        ep.step(e as u64).expect("offered");
        let dst = p.estate.edges[e as usize].dst;
        assert!(ep.take_alerts().contains(&dst));
        assert!(ep.take_alerts().is_empty(), "alerts are taken once");
        // Isolating every host the attacker holds, after a delay, contains it.
        let held: Vec<u32> = (0..p.estate.nodes.len() as u32)
            .filter(|&n| ep.state().bits[n as usize] != 0 && p.estate.node(n).foothold != 0)
            .collect();
        for n in held {
            ep.defend(Inject::Isolate(n), 0.5);
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
        while ep.ended().is_none() {
            let offers = ep.offered();
            let a = offers[rng.random_range(0..offers.len())];
            ep.step(a as u64).expect("offered");
        }
        assert!(ep.state().contained.contains(ws1 as usize));
    }

    #[test]
    fn uniform_choices_play_the_random_strategy() {
        // The random strategy picks uniformly among what is on offer, so a caller choosing
        // uniformly must see the same distribution of blast radius and ending.
        let (p, mut ep) = episode();
        let n = 3000u64;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let env: Vec<f64> = (0..n)
            .map(|i| play(&mut ep, i, &mut rng).1 as f64)
            .collect();
        let opt = crate::montecarlo::RunOptions {
            trials: n as u32,
            seed: 5,
            threads: 1,
            timeline_points: 4,
            keep_parents: false,
        };
        let (_, runs) = p.simulate(&["none".into()], &opt).expect("runs");
        let batch: Vec<f64> = runs[0]
            .outcomes
            .iter()
            .map(|o| o.compromised as f64)
            .collect();
        let (a, b) = (crate::stats::mean_ci(&env), crate::stats::mean_ci(&batch));
        let se = (a.sd * a.sd / a.n as f64 + b.sd * b.sd / b.n as f64).sqrt();
        assert!(
            (a.mean - b.mean).abs() < 4.0 * se,
            "env mean {} vs batch mean {} (se {se})",
            a.mean,
            b.mean
        );
        // The whole distribution: every count's share within 4 standard errors.
        for k in 0..=10 {
            let share = |v: &[f64]| v.iter().filter(|&&x| x == k as f64).count() as f64 / n as f64;
            let (x, y) = (share(&env), share(&batch));
            let se = ((x * (1.0 - x) + y * (1.0 - y)) / n as f64)
                .sqrt()
                .max(1e-3);
            assert!(
                (x - y).abs() < 4.0 * se,
                "P(blast = {k}): env {x} vs batch {y}"
            );
        }
    }
}
