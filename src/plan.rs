//! Controls applied: a resolved control set turned into per-edge numbers on a compiled
//! estate. The attack graph itself never changes; a plan is a mask and a set of weights
//! (success probability, detection, response) plus an edited reachability matrix.

#![deny(clippy::disallowed_methods, clippy::disallowed_macros)] // the core does no I/O

use crate::attacker::Strategy;
use crate::controls::{
    BlockReach, EffectEnd, EffectKind, Requirement, ResolvedSet, ResponseAction, ScopeDef,
};
use crate::estate::{AttackEdge, Estate, NO_SOURCE, NodeId, flags};
use crate::model::AssetKind;
use crate::policy::{Policy, Signals, decide};
use crate::techniques::TechniqueCatalog;
use fixedbitset::FixedBitSet;
use std::collections::HashMap;

/// Standing fraction of an eligible (JIT) right when no control says otherwise \[assumption\].
pub const ELIGIBLE_STANDING: f64 = 0.1;
/// Detection probability of an EDR agent on a device with no EDR control \[assumption\].
pub const AGENT_DETECTION: f64 = 0.5;

/// What the defender does after detecting an attempt on an edge.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Response {
    /// Mean hours from the detection (after triage) to the action, exponentially drawn.
    pub mean_hours: f32,
    /// What is done to the step's source and target.
    pub action: ResponseAction,
}

/// A control set applied to one estate: per-edge success, detection and response, the
/// identity policies, and the reachability after blocks. Built by [`build`].
#[derive(Clone)]
pub struct ControlPlan {
    /// The control set's name.
    pub name: String,
    /// The resolved control set the plan applies.
    pub set: ResolvedSet,
    /// Effective success probability per edge (0 when removed), for requests from the
    /// attacker's own devices.
    pub p: Vec<f32>,
    /// The same when the attacker holds a compliant device to make requests from.
    pub p_compliant: Vec<f32>,
    /// The policy each identity meets at enforcement points.
    pub policies: Vec<Policy>,
    /// Per edge: probability in [0, 1] that one attempt is detected (0 for dead edges).
    pub detect: Vec<f32>,
    /// Per edge: the response a detection of it triggers; `None` means none.
    pub respond: Vec<Option<Response>>,
    /// Segment reachability after block effects.
    pub reach: Vec<u8>,
    /// Per node: protocols blocked inbound unless from an allow-listed segment.
    pub blocked_in: Vec<u8>,
    /// Per node: protocols no longer reachable from the internet despite exposure.
    pub unexposed: Vec<u8>,
    /// Per segment: allow-listed by a block effect (`allow_from`), so footholds there pass
    /// the inbound blocks of `blocked_in`.
    pub allow_segments: FixedBitSet,
    /// Edges that pass a policy enforcement point under this plan.
    pub pep: FixedBitSet,
    /// Expected hours from each node to the nearest objective (shortest-time strategy).
    pub dist_to_objective: Vec<f32>,
    /// Which nodes each control covers, in set order.
    pub covered: Vec<FixedBitSet>,
    /// For strategies that rank steps (not the plain random one): each node's out-edges,
    /// within its CSR range, in the order the attacker prefers them.
    pub order: Vec<u32>,
    /// Nodes whose first compromise a trial times ([`crate::sim::TrialOutcome::watch_hours`]):
    /// Tier Zero for `ztsim whatif`; empty (nothing timed) unless set.
    pub watch: FixedBitSet,
}

impl ControlPlan {
    /// Number of nodes control number `control` (in set order) covers.
    pub fn covered_count(&self, control: usize) -> usize {
        self.covered[control].count_ones(..)
    }
}

/// Deterministic coverage draw for (seed, control, node): the same node is covered by the
/// same control in every set of a run, so comparisons stay paired.
fn coverage_draw(seed: u64, control: &str, node: &str) -> f64 {
    let mut h = crate::rng::fnv1a(control.as_bytes()) ^ seed.rotate_left(17);
    h ^= crate::rng::fnv1a(node.as_bytes()).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (crate::rng::mix64(h) >> 11) as f64 / (1u64 << 53) as f64
}

/// A name for the right an edge stands for: its relation between two assets, or its
/// technique where it comes from attributes rather than a relation.
fn right_key(est: &Estate, e: &AttackEdge) -> String {
    let src = if e.src == NO_SOURCE {
        "-"
    } else {
        est.node(e.src).id.as_str()
    };
    let what = match e.relation {
        Some(r) => r.name().to_string(),
        None => format!("t{}", e.tech),
    };
    format!("{src}>{}:{what}", est.node(e.dst).id)
}

fn in_scope(est: &Estate, n: NodeId, sc: &ScopeDef, cj_hosts: &FixedBitSet) -> bool {
    let node = est.node(n);
    if node.virtual_kind.is_some() || n == crate::estate::INTERNET {
        return false;
    }
    (sc.kinds.is_empty() || sc.kinds.contains(&node.kind))
        && (sc.pillars.is_empty() || sc.pillars.contains(&node.kind.pillar()))
        && (sc.tags.is_empty() || sc.tags.iter().any(|t| node.tags.contains(t)))
        && (sc.segments.is_empty()
            || sc.segments.iter().any(|s| {
                est.index
                    .get(s)
                    .is_some_and(|&sn| sn == node.segment || sn == n)
            }))
        && (sc.tiers.is_empty() || node.kind.is_identity() && sc.tiers.contains(&node.tier))
        && (sc.ids.is_empty() || sc.ids.contains(&node.id))
        && (!sc.crown_jewels || cj_hosts.contains(n as usize))
}

/// Crown jewels, the assets they are hosted on, and the segments both sit in.
fn crown_jewel_zone(est: &Estate) -> FixedBitSet {
    let mut z = FixedBitSet::with_capacity(est.nodes.len());
    for (i, n) in est.nodes.iter().enumerate() {
        if n.crown_jewel {
            z.insert(i);
            z.insert(n.segment as usize);
        }
    }
    for e in &est.edges {
        if e.relation == Some(crate::model::RelationKind::HostedOn)
            && !e.has(flags::DEAD)
            && e.src != NO_SOURCE
            && z.contains(e.dst as usize)
        {
            z.insert(e.src as usize);
            z.insert(est.node(e.src).segment as usize);
        }
    }
    z.set(crate::estate::INTERNET as usize, false);
    z
}

fn edge_matches(
    tc: &TechniqueCatalog,
    e: &AttackEdge,
    pep: bool,
    fx: &crate::controls::ResolvedEffect,
) -> bool {
    if e.has(flags::FREE) {
        return false;
    }
    (fx.techniques.is_empty() || fx.techniques.iter().any(|t| tc.matches(t, e.tech)))
        && (fx.relations.is_empty() || e.relation.is_some_and(|r| fx.relations.contains(&r)))
        && (fx.credentials.is_empty() || e.cred.is_some_and(|c| fx.credentials.contains(&c)))
        && fx.at_pep.is_none_or(|want| pep == want)
        && (!fx.privileged_only || e.has(flags::PRIVILEGED))
        && (!fx.shared_local_admin || e.has(flags::SHARED_LOCAL_ADMIN))
}

fn end_covered(e: &AttackEdge, on: EffectEnd, cov: &FixedBitSet) -> bool {
    let src = e.src != NO_SOURCE && cov.contains(e.src as usize);
    let dst = cov.contains(e.dst as usize);
    match on {
        EffectEnd::Source => src,
        EffectEnd::Target => dst,
        EffectEnd::Either => src || dst,
    }
}

/// Applies control set `set` to `est`. `seed` drives the coverage draws (which nodes a
/// partial-coverage control covers, which rights a partial removal takes), so that the same
/// seed covers the same nodes in every set.
pub fn build(est: &Estate, set: &ResolvedSet, seed: u64) -> ControlPlan {
    let tc = TechniqueCatalog::builtin();
    let covered = coverage(est, set, seed);
    let pep = enforcement_points(tc, est, set, &covered);
    let mut fx = EdgeEffects::baselines(est);
    let mut net = NetworkEffects::of(est);
    for (ci, c) in set.controls.iter().enumerate() {
        for effect in &c.effects {
            match effect.kind {
                EffectKind::Block => net.block(est, effect, &covered[ci]),
                EffectKind::Enforce | EffectKind::Require => {}
                _ => fx.apply(tc, est, &pep, c, effect, &covered[ci], seed),
            }
        }
    }
    fx.fold_stacks();
    let policies = policies(est, set, &covered);
    let (mut p, mut p_compliant) = probabilities(est, &fx, &pep, &policies);
    let mut detect: Vec<f32> = fx.detect_miss.iter().map(|m| (1.0 - m) as f32).collect();
    // Edges an incremental recompile left behind are never tried, and never seen.
    for i in est.dead.ones() {
        p[i] = 0.0;
        p_compliant[i] = 0.0;
        detect[i] = 0.0;
    }
    // A decoy is fake: nothing done from it succeeds (its rights, memberships and
    // credentials are bait).
    for (i, e) in est.edges.iter().enumerate() {
        if e.src != NO_SOURCE && est.node(e.src).decoy > 0.0 {
            p[i] = 0.0;
            p_compliant[i] = 0.0;
        }
    }
    let dist_to_objective = if est.profile.strategy == Strategy::ShortestTime {
        distances_to_objectives(est, &p)
    } else {
        Vec::new()
    };
    let mut plan = ControlPlan {
        name: set.name.clone(),
        set: set.clone(),
        p,
        p_compliant,
        policies,
        detect,
        respond: fx.respond,
        reach: net.reach,
        blocked_in: net.blocked_in,
        unexposed: net.unexposed,
        allow_segments: net.allow_segments,
        pep,
        dist_to_objective,
        covered,
        order: Vec::new(),
        watch: FixedBitSet::new(),
    };
    plan.order = preference_order(est, &plan);
    plan
}

/// The plan with the attack edges in `removed` taken out (probability 0, never tried, never
/// seen), and the attacker's preferences recomputed: the estate without them, on the same
/// edge indices, so trials under both plans draw the same numbers for every other edge.
pub fn without_edges(est: &Estate, mut plan: ControlPlan, removed: &FixedBitSet) -> ControlPlan {
    for i in removed.ones() {
        plan.p[i] = 0.0;
        plan.p_compliant[i] = 0.0;
        plan.detect[i] = 0.0;
    }
    if est.profile.strategy == Strategy::ShortestTime {
        plan.dist_to_objective = distances_to_objectives(est, &plan.p);
    }
    plan.order = preference_order(est, &plan);
    plan
}

/// Which nodes each control of the set covers: in its scope, and under its coverage
/// fraction by the deterministic draw per (seed, control, node id).
pub fn coverage(est: &Estate, set: &ResolvedSet, seed: u64) -> Vec<FixedBitSet> {
    let cj = crown_jewel_zone(est);
    let n_nodes = est.nodes.len();
    set.controls
        .iter()
        .map(|c| {
            let mut bs = FixedBitSet::with_capacity(n_nodes);
            for n in 0..n_nodes as NodeId {
                if in_scope(est, n, &c.scope, &cj)
                    && (c.coverage >= 1.0
                        || coverage_draw(seed, &c.id, &est.node(n).id) < c.coverage)
                {
                    bs.insert(n as usize);
                }
            }
            bs
        })
        .collect()
}

/// The edges that pass a policy enforcement point: those compiled as such, and those an
/// `enforce` effect puts behind one (enforcement first: it decides which steps the identity
/// checks apply to).
fn enforcement_points(
    tc: &TechniqueCatalog,
    est: &Estate,
    set: &ResolvedSet,
    covered: &[FixedBitSet],
) -> FixedBitSet {
    let mut pep = FixedBitSet::with_capacity(est.edges.len());
    for (i, e) in est.edges.iter().enumerate() {
        if e.has(flags::PEP) {
            pep.insert(i);
        }
    }
    for (ci, c) in set.controls.iter().enumerate() {
        for fx in c.effects.iter().filter(|f| f.kind == EffectKind::Enforce) {
            for (i, e) in est.edges.iter().enumerate() {
                if edge_matches(tc, e, pep.contains(i), fx) && end_covered(e, fx.on, &covered[ci]) {
                    pep.insert(i);
                }
            }
        }
    }
    pep
}

/// What the controls do to each edge, accumulated effect by effect.
struct EdgeEffects<'a> {
    /// Probability factor from hardening (stacks folded in at the end).
    factor: Vec<f64>,
    /// Per (edge, stack): the strongest hardening of that stack.
    stacks: HashMap<(usize, &'a str), f64>,
    /// Probability that a try goes unseen.
    detect_miss: Vec<f64>,
    respond: Vec<Option<Response>>,
    /// The standing fraction of an eligible right.
    standing: Vec<Option<f64>>,
    removed: FixedBitSet,
}

impl<'a> EdgeEffects<'a> {
    /// Baselines that come from the estate, not from controls: EDR agents and the manual
    /// SOC response. (An identity's own enrolled factor is a signal of the policy engine.)
    fn baselines(est: &Estate) -> EdgeEffects<'a> {
        let n = est.edges.len();
        let mut detect_miss: Vec<f64> = est.edges.iter().map(|e| 1.0 - e.noise as f64).collect();
        let mut respond = vec![None; n];
        for (i, e) in est.edges.iter().enumerate() {
            if !e.has(flags::FREE) {
                let agent = |n: NodeId| n != NO_SOURCE && est.node(n).edr;
                if agent(e.src) || agent(e.dst) {
                    detect_miss[i] *= 1.0 - AGENT_DETECTION;
                }
                // Touching a decoy (a honeypot, a canary file, a honeytoken's account)
                // raises a high-confidence alert.
                detect_miss[i] *= 1.0 - est.node(e.dst).decoy as f64;
                if let Some(h) = est.manual_response_hours {
                    respond[i] = Some(Response {
                        mean_hours: h as f32,
                        action: ResponseAction::Contain,
                    });
                }
            }
        }
        EdgeEffects {
            factor: vec![1.0; n],
            stacks: HashMap::new(),
            detect_miss,
            respond,
            standing: vec![None; n],
            removed: FixedBitSet::with_capacity(n),
        }
    }

    /// Applies one effect of control `c` to every edge it matches.
    #[allow(clippy::too_many_arguments)]
    fn apply(
        &mut self,
        tc: &TechniqueCatalog,
        est: &Estate,
        pep: &FixedBitSet,
        c: &crate::controls::ResolvedControl,
        fx: &'a crate::controls::ResolvedEffect,
        cov: &FixedBitSet,
        seed: u64,
    ) {
        // Technique filter first, per technique not per edge: most effects name a few.
        let tech_ok: Vec<bool> = (0..tc.list.len())
            .map(|t| {
                fx.techniques.is_empty() || fx.techniques.iter().any(|p| tc.matches(p, t as u16))
            })
            .collect();
        for (i, e) in est.edges.iter().enumerate() {
            if !tech_ok[e.tech as usize]
                || !edge_matches(tc, e, pep.contains(i), fx)
                || !end_covered(e, fx.on, cov)
            {
                continue;
            }
            match fx.kind {
                EffectKind::Remove => {
                    // Drawn per right (source, target, relation), so that all the steps one
                    // right gives go together.
                    if fx.share >= 1.0 || coverage_draw(seed, &c.id, &right_key(est, e)) < fx.share
                    {
                        self.removed.insert(i);
                    }
                }
                EffectKind::Harden => match &fx.stack {
                    Some(st) => {
                        let slot = self.stacks.entry((i, st.as_str())).or_insert(0.0);
                        *slot = slot.max(fx.value);
                    }
                    None => self.factor[i] *= 1.0 - fx.value,
                },
                EffectKind::Detect => self.detect_miss[i] *= 1.0 - fx.value,
                EffectKind::Respond => {
                    let r = Response {
                        mean_hours: fx.value as f32,
                        action: fx.action,
                    };
                    self.respond[i] = Some(match self.respond[i] {
                        Some(old)
                            if old.mean_hours <= r.mean_hours
                                && old.action == ResponseAction::Contain =>
                        {
                            old
                        }
                        _ => r,
                    });
                }
                EffectKind::Standing => {
                    self.standing[i] = Some(self.standing[i].map_or(fx.value, |s| s.min(fx.value)));
                }
                EffectKind::Block | EffectKind::Enforce | EffectKind::Require => {}
            }
        }
    }

    /// Stacked hardening keeps the strongest effect per stack; stacks multiply.
    fn fold_stacks(&mut self) {
        for ((i, _), e) in &self.stacks {
            self.factor[*i] *= 1.0 - e;
        }
    }
}

/// What `block` effects do to the network: segment reachability, per-asset inbound blocks,
/// internet exposure withdrawn, and the segments a block lets through.
struct NetworkEffects {
    reach: Vec<u8>,
    blocked_in: Vec<u8>,
    unexposed: Vec<u8>,
    allow_segments: FixedBitSet,
}

impl NetworkEffects {
    fn of(est: &Estate) -> NetworkEffects {
        NetworkEffects {
            reach: est.reach.clone(),
            blocked_in: vec![0; est.nodes.len()],
            unexposed: vec![0; est.nodes.len()],
            allow_segments: FixedBitSet::with_capacity(est.positions as usize),
        }
    }

    /// Applies one `block` effect on the nodes it covers.
    fn block(&mut self, est: &Estate, fx: &crate::controls::ResolvedEffect, cov: &FixedBitSet) {
        let p_us = est.positions as usize;
        let seg_of = &est.position_segment;
        let allowed_from = |pos: usize| {
            fx.allow_from
                .iter()
                .any(|a| est.index.get(a.as_str()) == Some(&seg_of[pos]))
        };
        for pos in 0..p_us {
            if allowed_from(pos) {
                self.allow_segments.insert(pos);
            }
        }
        for n in cov.ones() {
            let node = &est.nodes[n];
            // A segment's positions: the segment and the walled hosts in it.
            let inside = |pos: usize| seg_of[pos] as usize == n;
            let s_us = est.segment_count as usize;
            let tos: Vec<usize> = std::iter::once(n)
                .chain((s_us..p_us).filter(|&t| inside(t)))
                .collect();
            if fx.outbound {
                self.block_out(est, fx, n, &tos);
            } else if fx.reach == BlockReach::Internet {
                if node.kind == AssetKind::Segment {
                    for &to in &tos {
                        self.reach[to] &= !fx.protocols;
                    }
                } else {
                    self.unexposed[n] |= fx.protocols;
                }
            } else if node.kind == AssetKind::Segment {
                for &to in &tos {
                    for from in 0..p_us {
                        let same = inside(from);
                        if (!same || fx.reach == BlockReach::All) && !allowed_from(from) {
                            self.reach[from * p_us + to] &= !fx.protocols;
                        }
                    }
                }
            } else {
                self.blocked_in[n] |= fx.protocols;
            }
        }
    }
}

impl NetworkEffects {
    /// An outbound block on covered node `n`: flows out of its positions (`tos` for a
    /// segment; a walled host's own position) to other segments (and inside with
    /// `reach: all`), except into `allow_from` segments. A host without a position of its
    /// own shares its segment's and is not filtered alone.
    fn block_out(
        &mut self,
        est: &Estate,
        fx: &crate::controls::ResolvedEffect,
        n: usize,
        tos: &[usize],
    ) {
        let p_us = est.positions as usize;
        let seg_of = &est.position_segment;
        let node = &est.nodes[n];
        let froms: Vec<usize> = if node.kind == AssetKind::Segment {
            tos.to_vec()
        } else if node.net as usize >= est.segment_count as usize {
            vec![node.net as usize]
        } else {
            Vec::new()
        };
        let home = node.segment;
        for &from in &froms {
            for (to, &to_seg) in seg_of.iter().enumerate() {
                let same = to_seg == home;
                let allowed = fx
                    .allow_from
                    .iter()
                    .any(|a| est.index.get(a.as_str()) == Some(&to_seg));
                if (!same || fx.reach == BlockReach::All) && !allowed {
                    self.reach[from * p_us + to] &= !fx.protocols;
                }
            }
        }
    }
}

/// The policy each identity's requests meet at an enforcement point.
fn policies(est: &Estate, set: &ResolvedSet, covered: &[FixedBitSet]) -> Vec<Policy> {
    let mut policies: Vec<Policy> = vec![Policy::default(); est.nodes.len()];
    for (ci, c) in set.controls.iter().enumerate() {
        for fx in c.effects.iter().filter(|f| f.kind == EffectKind::Require) {
            let Some(req) = fx.require else { continue };
            for n in covered[ci].ones() {
                let slot = match req {
                    Requirement::Mfa => &mut policies[n].mfa,
                    Requirement::PhishingResistantMfa => &mut policies[n].phishing_resistant,
                    Requirement::CompliantDevice => &mut policies[n].compliant_device,
                    Requirement::TokenBinding => &mut policies[n].token_binding,
                    Requirement::RiskStepUp => &mut policies[n].risk_step_up,
                };
                *slot = Some(slot.unwrap_or(0.0).max(fx.value));
            }
        }
    }
    policies
}

/// Each edge's success probability, from the attacker's own devices and from a compliant
/// one: base odds, hardening, the standing fraction, and at an enforcement point the policy
/// engine's decision.
fn probabilities(
    est: &Estate,
    fx: &EdgeEffects,
    pep: &FixedBitSet,
    policies: &[Policy],
) -> (Vec<f32>, Vec<f32>) {
    let n_edges = est.edges.len();
    let mut p = Vec::with_capacity(n_edges);
    let mut p_compliant = Vec::with_capacity(n_edges);
    for (i, e) in est.edges.iter().enumerate() {
        if fx.removed.contains(i) {
            p.push(0.0);
            p_compliant.push(0.0);
            continue;
        }
        let st = fx.standing[i].unwrap_or(if e.has(flags::ELIGIBLE) {
            ELIGIBLE_STANDING
        } else {
            1.0
        });
        let base = e.p as f64 * fx.factor[i] * st;
        let (pass, pass_c) = match e.cred {
            Some(cred)
                if pep.contains(i) && e.src != NO_SOURCE && est.node(e.src).kind.is_identity() =>
            {
                let pol = &policies[e.src as usize];
                let mut sig = Signals {
                    credential: cred,
                    enrolled: est.node(e.src).mfa,
                    from_compliant_device: false,
                };
                let a = decide(pol, &sig).pass_probability();
                sig.from_compliant_device = true;
                (a, decide(pol, &sig).pass_probability())
            }
            _ => (1.0, 1.0),
        };
        p.push((base * pass) as f32);
        p_compliant.push((base * pass_c) as f32);
    }
    (p, p_compliant)
}

/// Dijkstra from the objectives over reversed edges, weighted by expected hours per
/// success (mean time / p). Ignores preconditions: a heuristic for the attacker's choice.
fn distances_to_objectives(est: &Estate, p: &[f32]) -> Vec<f32> {
    use std::cmp::Reverse;
    let n = est.nodes.len();
    let mut rev: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n];
    for (i, e) in est.edges.iter().enumerate() {
        if e.src != NO_SOURCE && p[i] > 0.0 && e.src != e.dst {
            rev[e.dst as usize].push((e.src, (e.mean_hours.max(0.01) / p[i]).max(1e-3)));
        }
    }
    let mut dist = vec![f32::INFINITY; n];
    let mut heap = std::collections::BinaryHeap::new();
    for &o in &est.objectives {
        dist[o as usize] = 0.0;
        heap.push(Reverse((0u32, o)));
    }
    while let Some(Reverse((d_bits, u))) = heap.pop() {
        let d = f32::from_bits(d_bits);
        if d > dist[u as usize] {
            continue;
        }
        for &(v, w) in &rev[u as usize] {
            let nd = d + w;
            if nd < dist[v as usize] {
                dist[v as usize] = nd;
                heap.push(Reverse((nd.to_bits(), v)));
            }
        }
    }
    dist
}

/// Hours of expected delay an attacker with noise aversion 1 would accept to avoid a
/// certain detection \[assumption\]; scales the noise term of an attacker's preference.
pub const NOISE_WEIGHT_HOURS: f64 = 48.0;

/// The score of a discovery step for a ranking attacker: below any other step's.
const DISCOVERY_FIRST: f64 = -1e30;

/// How much the attacker dislikes step `e` (lower is preferred), before tie-breaking: by
/// its strategy (value of the target, or expected hours to an objective) plus its noise
/// aversion times the step's detection risk.
pub fn static_score(est: &Estate, plan: &ControlPlan, e: usize) -> f64 {
    let edge = &est.edges[e];
    let dst = edge.dst as usize;
    let prof = &est.profile;
    if edge.has(crate::edge::flags::SCAN) && prof.strategy != Strategy::Random {
        // An attacker that ranks its steps looks before it moves: discovery is cheap and
        // every later choice depends on it, so it goes before any other step.
        return DISCOVERY_FIRST;
    }
    let score = match prof.strategy {
        Strategy::Random => 0.0,
        Strategy::GreedyValue => -est.nodes[dst].value,
        Strategy::ShortestTime => {
            let d = plan
                .dist_to_objective
                .get(dst)
                .copied()
                .unwrap_or(f32::INFINITY) as f64;
            d + edge.mean_hours as f64 / plan.p[e].max(1e-6) as f64
        }
    };
    score + prof.noise_aversion * NOISE_WEIGHT_HOURS * plan.detect[e] as f64
}

/// Each stream's edges in preference order (stable: ties keep derivation order), for
/// the strategies that rank; empty for the plain random strategy, which permutes per trial.
fn preference_order(est: &Estate, plan: &ControlPlan) -> Vec<u32> {
    if est.profile.strategy == Strategy::Random && est.profile.noise_aversion == 0.0 {
        return Vec::new();
    }
    let mut order: Vec<u32> = (0..est.edges.len() as u32).collect();
    let scores: Vec<f64> = (0..order.len())
        .map(|e| static_score(est, plan, e))
        .collect();
    for s in &est.streams {
        order[s.start as usize..s.end as usize]
            .sort_by(|&a, &b| scores[a as usize].total_cmp(&scores[b as usize]));
    }
    order
}

/// The network test every analysis shares (the engine, attack paths, choke points): can a
/// step over `edge` reach its target, given what the attacker's footholds reach per segment
/// (`reach_now`; `reach_allowed`: through flows a control blocks but lets those footholds
/// use)? Internet exposure counts for a step from a source (a stolen password used from
/// outside) and, for a network step (an exploit), only when the attacker exploits from
/// outside.
pub fn step_reaches(
    est: &Estate,
    plan: &ControlPlan,
    edge: &AttackEdge,
    reach_now: &[u8],
    reach_allowed: &[u8],
) -> bool {
    let dst = edge.at as usize;
    let seg = est.nodes[dst].net as usize;
    let (reach_now, reach_allowed) = (reach_now[seg], reach_allowed[seg]);
    let blocked = plan.blocked_in[dst];
    let (open, closed) = (edge.proto & !blocked, edge.proto & blocked);
    let exposed = if edge.src == NO_SOURCE && !est.exploit_from_internet {
        0
    } else {
        est.nodes[dst].exposed & !plan.unexposed[dst]
    };
    exposed & open != 0 || reach_now & open != 0 || reach_allowed & closed != 0
}
