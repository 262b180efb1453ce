//! Choke points: the assets and relations whose removal cuts the most probability of
//! reaching the targets.
//!
//! **Minimum cuts.** On the node-level attack graph (one arc per pair of nodes some usable
//! attack edge joins; a device to its segment where it gives a foothold; the entries from a
//! source, the targets into a sink), a max-flow with unit capacities (petgraph's Dinic,
//! `algo::Flow`) gives the smallest set
//! of assets (node cut, by node splitting) and of relations (edge cut: all attack edges
//! between two nodes go together) that separates every entry from every target. An edge is
//! usable when, with everything the attacker could ever hold under the plan (the engine's
//! certain closure), one of its required bits is held on its source and its network
//! condition holds; bits and footholds are pooled, so the graph over-approximates what one
//! path can do, and a cut of it is a cut of the engine's moves. Entries and targets are
//! never cut. Of the minimum cuts, the one nearest the targets is reported.
//!
//! **Must-pass assets.** In the same graph, with a root before the entries, the dominators
//! of each target (petgraph's `simple_fast`) are the assets on every route to it: each one
//! alone cuts the target off. Entries are left out.
//!
//! **Monte Carlo impact.** Candidates are the cut members and the assets and relations most
//! often on the trials' routes to a target (the chain of first compromises from the target
//! back to an entry). Each is removed in turn (p = 0 on every attack edge into or out of
//! the asset, or on every edge of the relation) and the plan re-run on common random
//! numbers (same seed, same trial keys): ΔP(target reached) is a paired difference of 0/1
//! per trial with its 95% interval. The whole node cut and the whole edge cut are run too,
//! as a check of the cut.

use super::algo::{self, Flow, INF};
use super::{UNSEEN, clear_parents, fill_parents, targets};
use crate::controls::ResolvedSet;
use crate::error::Result;
use crate::estate::{Estate, INTERNET, NO_SOURCE, NodeId, bits, flags};
use crate::montecarlo::{RunOptions, run_sets};
use crate::plan::{self, ControlPlan};
use crate::scenario::Strategy;
use crate::sim::TrialOutcome;
use crate::sim::engine::NO_EDGE;
use crate::stats::{PairedDiff, Proportion, paired_diff, wilson};
use fixedbitset::FixedBitSet;
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::sync::Arc;

/// What `ztsim chokepoints` computes.
#[derive(Clone, Debug)]
pub struct ChokeOptions {
    /// Target node ids; empty: the scenario's objectives.
    pub to: Vec<String>,
    /// Single assets and relations to test by Monte Carlo (besides the whole cuts).
    pub candidates: usize,
    /// Monte Carlo trials per removal tested (at least 1 is run).
    pub trials: u32,
    /// Seed of the trials and of the plan's coverage draws.
    pub seed: u64,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
}

/// An asset in a cut or on every route.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CutNode {
    /// The asset's id.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Its asset kind (`snake_case`).
    pub kind: String,
}

/// A pair of nodes in the edge cut: every attack edge from one to the other, cut together.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CutRelation {
    /// `network` for network-only steps (exploits) into `to`.
    pub from: String,
    /// Display name of `from`.
    pub from_name: String,
    /// Id of the node the edges lead to.
    pub to: String,
    /// Display name of `to`.
    pub to_name: String,
    /// The relations and techniques of the attack edges between the two.
    pub relations: Vec<String>,
    /// ATT&CK ids of the techniques of those edges.
    pub techniques: Vec<String>,
}

/// What a removal tested by Monte Carlo takes out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemovalKind {
    /// One asset (every attack edge into and out of it).
    Node,
    /// One relation (every attack edge between two assets).
    Relation,
    /// The whole minimum node cut.
    NodeCut,
    /// The whole minimum edge cut.
    RelationCut,
}

/// The Monte Carlo effect of one removal (an asset, a relation, or a whole cut).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChokeImpact {
    /// 1-based place in its list (the ranking: largest reduction first).
    pub rank: usize,
    /// What is removed.
    pub kind: RemovalKind,
    /// What is removed, for display: an asset id, `from → to (relations)`, or the cut's size.
    pub label: String,
    /// Asset ids removed (node kinds) or `from>to` pairs (relation kinds).
    pub items: Vec<String>,
    /// Attack edges set to p = 0.
    pub edges_removed: usize,
    /// Whether it belongs to the minimum node or edge cut.
    pub in_min_cut: bool,
    /// Share of trials in [0, 1] in which a target's chain of first compromises ran
    /// through it.
    pub on_routes: f64,
    /// P(target reached) without it.
    pub p_without: f64,
    /// Without − with: negative is a reduction.
    pub delta: PairedDiff,
    /// The same per target (when there are several; empty for one target).
    pub delta_by_target: Vec<TargetDelta>,
}

/// A removal's effect on one target.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TargetDelta {
    /// The target's id.
    pub target: String,
    /// Change in P(this target reached), without − with: negative is a reduction.
    pub delta: PairedDiff,
}

/// The assets every route to one target runs through (dominators of the target in the
/// node-level attack graph, from the entries), entries left out.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MustPass {
    /// The target's id.
    pub target: String,
    /// Whether any route reaches the target (if not, `assets` is empty).
    pub reachable: bool,
    /// Nearest the entries first; empty when routes share no asset.
    pub assets: Vec<CutNode>,
}

/// The result of `ztsim chokepoints`: minimum cuts, must-pass assets, and the Monte Carlo
/// effect of removing the likeliest choke points.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChokeReport {
    /// The scenario's name.
    pub scenario: String,
    /// The control set the plan applies.
    pub control_set: String,
    /// Ids of the targets analysed.
    pub targets: Vec<String>,
    /// Monte Carlo trials per run.
    pub trials: u32,
    /// Seed of the runs.
    pub seed: u64,
    /// None when no finite cut exists (a target is an entry, or reachable by steps that
    /// cannot be cut).
    pub min_node_cut: Option<Vec<CutNode>>,
    /// The minimum set of node pairs whose attack edges, cut, separate the entries from the
    /// targets; `None` when no finite cut exists.
    pub min_edge_cut: Option<Vec<CutRelation>>,
    /// Per target, the assets on every route to it (each a one-asset cut), nearest the
    /// entries first.
    #[serde(default)]
    pub must_pass: Vec<MustPass>,
    /// P(any target reached) under the plan as given.
    pub baseline: Proportion,
    /// Single assets and relations, largest reduction first.
    pub ranking: Vec<ChokeImpact>,
    /// The whole minimum cuts removed: P(target reached) should drop to 0.
    pub cut_checks: Vec<ChokeImpact>,
}

fn gives_foothold(est: &Estate, n: NodeId) -> bool {
    let node = est.node(n);
    n != INTERNET && node.foothold != 0
}

/// Whether holding bits `b` on `n` makes it a network foothold (code on a host, control of
/// an application server).
fn foothold_held(est: &Estate, n: NodeId, b: u8) -> bool {
    n != INTERNET && est.node(n).foothold & b != 0
}

/// Everything the attacker could ever hold under the plan, every step succeeding: bits per
/// node and the segments with a foothold (the engine's certain run, pooled).
pub(crate) struct Closure {
    /// Per node, every bit the attacker could come to hold on it.
    pub(crate) bits: Vec<u8>,
    /// Per segment, whether the attacker could get a foothold in it.
    pub(crate) footholds: FixedBitSet,
    reach_now: Vec<u8>,
    reach_allowed: Vec<u8>,
}

impl Closure {
    fn add_foothold(&mut self, est: &Estate, plan: &ControlPlan, seg: u32) {
        if self.footholds.put(seg as usize) {
            return;
        }
        let s = est.positions as usize;
        let allow = plan.allow_segments.contains(seg as usize);
        for t in 0..s {
            let r = plan.reach[seg as usize * s + t];
            self.reach_now[t] |= r;
            if allow {
                self.reach_allowed[t] |= r;
            }
        }
    }

    fn reachable(&self, est: &Estate, plan: &ControlPlan, e: &crate::estate::AttackEdge) -> bool {
        crate::plan::step_reaches(est, plan, e, &self.reach_now, &self.reach_allowed)
    }

    fn grant(&mut self, est: &Estate, plan: &ControlPlan, n: NodeId, g: u8) -> bool {
        let old = self.bits[n as usize];
        let new = old | g;
        if new == old {
            return false;
        }
        self.bits[n as usize] = new;
        let f = est.node(n).foothold;
        if gives_foothold(est, n) && old & f == 0 && new & f != 0 {
            let seg = est.node(n).segment;
            self.add_foothold(est, plan, est.node(n).net);
            if seg != INTERNET {
                self.grant(est, plan, seg, bits::ACCESS);
            }
        }
        true
    }

    /// The closure of `est` under `plan`, from the internet, the start assets and every
    /// possible insider.
    pub(crate) fn of(est: &Estate, plan: &ControlPlan) -> Closure {
        let s = est.positions as usize;
        let mut c = Closure {
            bits: vec![0; est.nodes.len()],
            footholds: FixedBitSet::with_capacity(s),
            reach_now: vec![0; s],
            reach_allowed: vec![0; s],
        };
        c.add_foothold(est, plan, INTERNET);
        c.grant(est, plan, INTERNET, bits::ACCESS);
        for &(n, b) in &est.start {
            c.grant(est, plan, n, b);
        }
        for (ident, devices) in &est.insider_pool {
            c.grant(est, plan, *ident, bits::PASSWORD | bits::SIGNED_IN);
            for &d in devices {
                c.grant(est, plan, d, bits::ACCESS);
            }
        }
        loop {
            let mut changed = false;
            for i in 0..est.edges.len() {
                if let Some(g) = c.usable(est, plan, i) {
                    changed |= c.grant(est, plan, est.edges[i].dst, g);
                }
            }
            if !changed {
                break;
            }
        }
        c
    }

    /// The bits edge `i` grants when usable under the closure.
    fn usable(&self, est: &Estate, plan: &ControlPlan, i: usize) -> Option<u8> {
        let e = &est.edges[i];
        if plan.p[i].max(plan.p_compliant[i]) <= 0.0 {
            return None;
        }
        let have = if e.src == NO_SOURCE {
            e.requires
        } else {
            self.bits[e.src as usize] & e.requires
        };
        if have == 0 || e.proto != 0 && !self.reachable(est, plan, e) {
            return None;
        }
        Some(if e.has(flags::COPY) { have } else { e.grants })
    }
}

/// The node-level graph of usable attack edges, as (src or NO_SOURCE, dst) pairs with
/// their edges, plus foothold arcs device → segment.
struct NodeGraph {
    pairs: BTreeMap<(NodeId, NodeId), Vec<u32>>,
    footholds: Vec<(NodeId, NodeId)>,
}

fn node_graph(est: &Estate, plan: &ControlPlan) -> NodeGraph {
    let c = Closure::of(est, plan);
    let mut pairs: BTreeMap<(NodeId, NodeId), Vec<u32>> = BTreeMap::new();
    for i in 0..est.edges.len() {
        let e = &est.edges[i];
        if e.src == e.dst || c.usable(est, plan, i).is_none() {
            continue;
        }
        pairs.entry((e.src, e.dst)).or_default().push(i as u32);
    }
    let footholds = (0..est.nodes.len() as NodeId)
        .filter(|&n| foothold_held(est, n, c.bits[n as usize]) && est.node(n).segment != INTERNET)
        .map(|n| (n, est.node(n).segment))
        .collect();
    NodeGraph { pairs, footholds }
}

fn entries(est: &Estate) -> Vec<NodeId> {
    let mut v = vec![INTERNET];
    v.extend(est.start.iter().map(|s| s.0));
    for (i, d) in &est.insider_pool {
        v.push(*i);
        v.extend(d);
    }
    v.sort_unstable();
    v.dedup();
    v
}

/// Minimum node cut and minimum relation cut between the entries and `targets`.
#[allow(clippy::type_complexity)]
pub fn min_cuts(
    est: &Estate,
    plan: &ControlPlan,
    targets: &[NodeId],
) -> (Option<Vec<NodeId>>, Option<Vec<(NodeId, NodeId)>>) {
    let g = node_graph(est, plan);
    (node_cut(est, &g, targets), relation_cut(est, &g, targets))
}

/// The flow network of the node graph: vertex 2v is v's way in and 2v + 1 its way out
/// (the split arc 2v → 2v + 1, capacity 1 in a node cut unless v is an entry or target),
/// 2n the source (to the entries and network-only steps), 2n + 1 the sink (from the
/// targets). Returns the network, the split arcs and the arc of each pair of nodes.
#[allow(clippy::type_complexity)]
fn network(
    est: &Estate,
    g: &NodeGraph,
    targets: &[NodeId],
    node_cut: bool,
) -> (Flow, Vec<EdgeIndex>, Vec<((NodeId, NodeId), EdgeIndex)>) {
    let n = est.nodes.len();
    let (s, t) = (2 * n, 2 * n + 1);
    let ent = entries(est);
    let fixed: HashSet<NodeId> = ent.iter().chain(targets).copied().collect();
    let mut f = Flow::new(2 * n + 2);
    let split: Vec<EdgeIndex> = (0..n)
        .map(|v| {
            let c = if node_cut && !fixed.contains(&(v as NodeId)) {
                1
            } else {
                INF
            };
            f.arc(2 * v, 2 * v + 1, c)
        })
        .collect();
    let mut pair_arcs = Vec::new();
    for &(a, b) in g.pairs.keys() {
        let c = if node_cut { INF } else { 1 };
        let from = if a == NO_SOURCE {
            s
        } else {
            2 * a as usize + 1
        };
        pair_arcs.push(((a, b), f.arc(from, 2 * b as usize, c)));
    }
    for &(d, seg) in &g.footholds {
        f.arc(2 * d as usize + 1, 2 * seg as usize, INF);
    }
    for &e in &ent {
        f.arc(s, 2 * e as usize, INF);
    }
    for &x in targets {
        f.arc(2 * x as usize + 1, t, INF);
    }
    (f, split, pair_arcs)
}

/// The minimum node cut nearest the targets (entries and targets never cut), or None when
/// no finite cut exists.
fn node_cut(est: &Estate, g: &NodeGraph, targets: &[NodeId]) -> Option<Vec<NodeId>> {
    let n = est.nodes.len();
    let (mut f, split, _) = network(est, g, targets, true);
    if f.max_flow(2 * n, 2 * n + 1) >= INF {
        return None;
    }
    let side = f.sink_side(2 * n + 1);
    let fixed: HashSet<NodeId> = entries(est)
        .into_iter()
        .chain(targets.iter().copied())
        .collect();
    Some(
        (0..n)
            .filter(|&v| f.residual(split[v]) == 0 && !side[2 * v] && side[2 * v + 1])
            .filter(|&v| !fixed.contains(&(v as NodeId)))
            .map(|v| v as NodeId)
            .collect(),
    )
}

/// The minimum relation cut nearest the targets, or None when no finite cut exists.
fn relation_cut(est: &Estate, g: &NodeGraph, targets: &[NodeId]) -> Option<Vec<(NodeId, NodeId)>> {
    let n = est.nodes.len();
    let (mut f, _, pair_arcs) = network(est, g, targets, false);
    if f.max_flow(2 * n, 2 * n + 1) >= INF {
        return None;
    }
    let side = f.sink_side(2 * n + 1);
    Some(
        pair_arcs
            .iter()
            .filter(|&&(_, a)| {
                let (u, v) = f.ends(a);
                f.residual(a) == 0 && !side[u] && side[v]
            })
            .map(|&(p, _)| p)
            .collect(),
    )
}

/// For each target, the assets on every route to it from the entries in the node graph
/// (entries left out), nearest the entries first; None where no route reaches it. Each is
/// a choke point on its own: with it removed the target cannot be reached. The node graph
/// over-approximates the attacker's moves, so these are on every route the engine can take.
pub fn must_pass(est: &Estate, plan: &ControlPlan, targets: &[NodeId]) -> Vec<Option<Vec<NodeId>>> {
    must_pass_in(est, &node_graph(est, plan), targets)
}

fn must_pass_in(est: &Estate, g: &NodeGraph, targets: &[NodeId]) -> Vec<Option<Vec<NodeId>>> {
    let n = est.nodes.len();
    // Node n is a root before the entries (and where network-only steps come from).
    let mut dg = DiGraph::<(), ()>::with_capacity(n + 1, g.pairs.len() + g.footholds.len());
    for _ in 0..=n {
        dg.add_node(());
    }
    let ix = |x: NodeId| NodeIndex::new(if x == NO_SOURCE { n } else { x as usize });
    let ent = entries(est);
    for &e in &ent {
        dg.add_edge(ix(NO_SOURCE), ix(e), ());
    }
    for &(a, b) in g.pairs.keys().chain(&g.footholds) {
        dg.add_edge(ix(a), ix(b), ());
    }
    let ts: Vec<usize> = targets.iter().map(|&t| t as usize).collect();
    algo::must_pass(&dg, n, &ts)
        .into_iter()
        .map(|m| {
            m.map(|on| {
                on.into_iter()
                    .map(|v| v as NodeId)
                    .filter(|v| ent.binary_search(v).is_err())
                    .collect()
            })
        })
        .collect()
}

/// A copy of `plan::distances_to_objectives` for a plan whose p changed (the shortest-time
/// attacker steers by it): petgraph's Dijkstra from the objectives over reversed edges.
fn refresh_distances(est: &Estate, plan: &mut ControlPlan) {
    if est.profile.strategy != Strategy::ShortestTime {
        return;
    }
    let n = est.nodes.len();
    let mut rev = DiGraph::<(), f32>::with_capacity(n + 1, est.edges.len());
    for _ in 0..=n {
        rev.add_node(());
    }
    for (i, e) in est.edges.iter().enumerate() {
        let p = plan.p[i];
        if e.src != NO_SOURCE && p > 0.0 && e.src != e.dst {
            let w = (e.mean_hours.max(0.01) / p).max(1e-3);
            rev.add_edge(
                NodeIndex::new(e.dst as usize),
                NodeIndex::new(e.src as usize),
                w,
            );
        }
    }
    let mut dist =
        algo::distances_from_many(&mut rev, NodeIndex::new(n), &est.objectives, f32::INFINITY);
    dist.truncate(n);
    plan.dist_to_objective = dist;
}

/// The plan with p = 0 on `edges`.
pub fn plan_without(
    est: &Estate,
    set: &ResolvedSet,
    seed: u64,
    edges: &[u32],
    name: String,
) -> ControlPlan {
    let mut p = plan::build(est, set, seed);
    for &e in edges {
        p.p[e as usize] = 0.0;
        p.p_compliant[e as usize] = 0.0;
    }
    p.name = name;
    refresh_distances(est, &mut p);
    p
}

/// Attack edges into or out of `n`.
pub fn edges_of_node(est: &Estate, n: NodeId) -> Vec<u32> {
    (0..est.edges.len() as u32)
        .filter(|&i| {
            let e = &est.edges[i as usize];
            e.src == n || e.dst == n
        })
        .collect()
}

/// Attack edges from `a` (NO_SOURCE: network-only) to `b`.
pub fn edges_of_pair(est: &Estate, a: NodeId, b: NodeId) -> Vec<u32> {
    (0..est.edges.len() as u32)
        .filter(|&i| {
            let e = &est.edges[i as usize];
            e.src == a && e.dst == b
        })
        .collect()
}

/// Nodes and relations on the chain of first compromises from `target` back to an entry.
fn chain(
    est: &Estate,
    parent: &[u32],
    target: NodeId,
    nodes: &mut HashSet<NodeId>,
    pairs: &mut HashSet<(NodeId, NodeId)>,
) {
    let mut n = target;
    for _ in 0..est.nodes.len() {
        let e = parent[n as usize];
        if e == NO_EDGE || e == UNSEEN {
            return;
        }
        let edge = &est.edges[e as usize];
        let pred = if edge.dst != n {
            // A segment, entered by a foothold on edge.dst.
            edge.dst
        } else {
            pairs.insert((edge.src, n));
            if edge.src == NO_SOURCE {
                return;
            }
            edge.src
        };
        nodes.insert(pred);
        n = pred;
    }
}

/// 1 per trial in which any of `targets` was compromised, else 0.
fn indicator(parent: &mut [u32], ts: &[TrialOutcome], targets: &[NodeId]) -> Vec<f64> {
    ts.iter()
        .map(|t| {
            fill_parents(parent, t);
            let r = targets.iter().any(|&x| parent[x as usize] != UNSEEN);
            clear_parents(parent, t);
            if r { 1.0 } else { 0.0 }
        })
        .collect()
}

fn node_label(est: &Estate, n: NodeId) -> String {
    if n == NO_SOURCE {
        return "network".into();
    }
    est.node(n).id.clone()
}

fn pair_id(est: &Estate, (a, b): (NodeId, NodeId)) -> String {
    let from = if a == NO_SOURCE {
        "network"
    } else {
        est.node(a).id.as_str()
    };
    format!("{from}>{}", est.node(b).id)
}

fn relation_view(est: &Estate, (a, b): (NodeId, NodeId)) -> CutRelation {
    let tc = crate::techniques::TechniqueCatalog::builtin();
    let mut relations: Vec<String> = Vec::new();
    let mut techniques: Vec<String> = Vec::new();
    for e in edges_of_pair(est, a, b) {
        let e = &est.edges[e as usize];
        let r = e.relation.map_or("-", |r| r.name()).to_string();
        if !relations.contains(&r) {
            relations.push(r);
        }
        let t = if e.has(flags::FREE) {
            "free".to_string()
        } else {
            tc.get(e.tech).id.clone()
        };
        if !techniques.contains(&t) {
            techniques.push(t);
        }
    }
    let (from, from_name) = if a == NO_SOURCE {
        ("network".to_string(), "network".to_string())
    } else {
        (est.node(a).id.clone(), est.node(a).name.clone())
    };
    CutRelation {
        from,
        from_name,
        to: est.node(b).id.clone(),
        to_name: est.node(b).name.clone(),
        relations,
        techniques,
    }
}

/// One removal to run: an asset, a relation, or a whole cut.
struct Removal {
    kind: RemovalKind,
    label: String,
    items: Vec<String>,
    edges: Vec<u32>,
    in_min_cut: bool,
    on_routes: u64,
}

/// Minimum cuts, must-pass assets and the Monte Carlo impact of removing the top candidates.
pub fn analyze(est: &Arc<Estate>, set: &ResolvedSet, opt: &ChokeOptions) -> Result<ChokeReport> {
    let targets = targets(est, &opt.to)?;
    let base = Arc::new(plan::build(est, set, opt.seed));
    let g = node_graph(est, &base);
    let node_cut = node_cut(est, &g, &targets);
    let edge_cut = relation_cut(est, &g, &targets);
    let must = must_pass_in(est, &g, &targets);
    let run_opt = RunOptions {
        trials: opt.trials.max(1),
        seed: opt.seed,
        threads: opt.threads,
        timeline_points: 1,
        keep_parents: true,
    };
    let base_run = run_sets(est, std::slice::from_ref(&base), &run_opt)?;
    let outcomes = &base_run[0].outcomes;
    let hits = route_hits(est, outcomes, &targets);
    let mut removals = single_removals(est, &targets, &hits, &node_cut, &edge_cut);
    removals.truncate(opt.candidates);
    removals.extend(cut_removals(est, &node_cut, &edge_cut));
    let base_ind = indicator(&mut vec![UNSEEN; est.nodes.len()], outcomes, &targets);
    let (ranking, cut_checks) =
        impacts(est, set, &run_opt, &targets, outcomes, &base_ind, removals)?;
    let n = outcomes.len() as u64;
    let base_hits = base_ind.iter().filter(|&&x| x > 0.0).count() as u64;
    Ok(ChokeReport {
        scenario: est.name.clone(),
        control_set: set.name.clone(),
        targets: targets.iter().map(|&t| est.node(t).id.clone()).collect(),
        trials: run_opt.trials,
        seed: opt.seed,
        min_node_cut: node_cut.map(|c| c.iter().map(|&n| cut_node(est, n)).collect()),
        min_edge_cut: edge_cut.map(|c| c.iter().map(|&p| relation_view(est, p)).collect()),
        must_pass: targets
            .iter()
            .zip(must)
            .map(|(&t, m)| MustPass {
                target: est.node(t).id.clone(),
                reachable: m.is_some(),
                assets: m.iter().flatten().map(|&n| cut_node(est, n)).collect(),
            })
            .collect(),
        baseline: wilson(base_hits, n),
        ranking,
        cut_checks,
    })
}

fn cut_node(est: &Estate, n: NodeId) -> CutNode {
    let x = est.node(n);
    CutNode {
        id: x.id.clone(),
        name: x.name.clone(),
        kind: x.kind.name().to_string(),
    }
}

/// How many trials' routes to a target (chains of first compromises) ran through each node
/// and each relation.
struct RouteHits {
    nodes: Vec<u64>,
    pairs: BTreeMap<(NodeId, NodeId), u64>,
}

fn route_hits(est: &Estate, outcomes: &[TrialOutcome], targets: &[NodeId]) -> RouteHits {
    let mut hits = RouteHits {
        nodes: vec![0u64; est.nodes.len()],
        pairs: BTreeMap::new(),
    };
    let mut parent = vec![UNSEEN; est.nodes.len()];
    for t in outcomes {
        fill_parents(&mut parent, t);
        let (mut nodes, mut pairs) = (HashSet::new(), HashSet::new());
        for &x in targets {
            chain(est, &parent, x, &mut nodes, &mut pairs);
        }
        for n in nodes {
            hits.nodes[n as usize] += 1;
        }
        for p in pairs {
            *hits.pairs.entry(p).or_default() += 1;
        }
        clear_parents(&mut parent, t);
    }
    hits
}

/// Single assets and relations to test: those on some trial's route, and the cut members;
/// most used first, cut members before others on a tie.
fn single_removals(
    est: &Estate,
    targets: &[NodeId],
    hits: &RouteHits,
    node_cut: &Option<Vec<NodeId>>,
    edge_cut: &Option<Vec<(NodeId, NodeId)>>,
) -> Vec<Removal> {
    let fixed: HashSet<NodeId> = entries(est)
        .into_iter()
        .chain(targets.iter().copied())
        .collect();
    let node_cut_set: HashSet<NodeId> = node_cut.iter().flatten().copied().collect();
    let edge_cut_set: HashSet<(NodeId, NodeId)> = edge_cut.iter().flatten().copied().collect();
    let mut singles: Vec<Removal> = Vec::new();
    let mut node_cands: Vec<NodeId> = (0..est.nodes.len() as NodeId)
        .filter(|n| !fixed.contains(n) && (hits.nodes[*n as usize] > 0 || node_cut_set.contains(n)))
        .collect();
    node_cands.sort_by_key(|&n| (std::cmp::Reverse(hits.nodes[n as usize]), n));
    for n in node_cands {
        singles.push(Removal {
            kind: RemovalKind::Node,
            label: node_label(est, n),
            items: vec![est.node(n).id.clone()],
            edges: edges_of_node(est, n),
            in_min_cut: node_cut_set.contains(&n),
            on_routes: hits.nodes[n as usize],
        });
    }
    let mut pair_cands: Vec<(NodeId, NodeId)> = hits
        .pairs
        .keys()
        .copied()
        .chain(edge_cut_set.iter().copied())
        .collect();
    pair_cands.sort_unstable();
    pair_cands.dedup();
    for p in pair_cands {
        let r = relation_view(est, p);
        singles.push(Removal {
            kind: RemovalKind::Relation,
            label: format!(
                "{} → {} ({})",
                node_label(est, p.0),
                node_label(est, p.1),
                if r.relations.iter().all(|x| x == "-") {
                    r.techniques.join(", ")
                } else {
                    r.relations.join(", ")
                }
            ),
            items: vec![pair_id(est, p)],
            edges: edges_of_pair(est, p.0, p.1),
            in_min_cut: edge_cut_set.contains(&p),
            on_routes: hits.pairs.get(&p).copied().unwrap_or(0),
        });
    }
    singles.sort_by(|a, b| {
        b.on_routes
            .cmp(&a.on_routes)
            .then(b.in_min_cut.cmp(&a.in_min_cut))
            .then(a.label.cmp(&b.label))
    });
    singles
}

/// The whole minimum cuts, as removals (checks that P(target reached) drops to 0).
fn cut_removals(
    est: &Estate,
    node_cut: &Option<Vec<NodeId>>,
    edge_cut: &Option<Vec<(NodeId, NodeId)>>,
) -> Vec<Removal> {
    let mut out = Vec::new();
    if let Some(cut) = node_cut
        && !cut.is_empty()
    {
        let mut edges: Vec<u32> = cut.iter().flat_map(|&n| edges_of_node(est, n)).collect();
        edges.sort_unstable();
        edges.dedup();
        out.push(Removal {
            kind: RemovalKind::NodeCut,
            label: format!("whole minimum node cut ({} assets)", cut.len()),
            items: cut.iter().map(|&n| est.node(n).id.clone()).collect(),
            edges,
            in_min_cut: true,
            on_routes: 0,
        });
    }
    if let Some(cut) = edge_cut
        && !cut.is_empty()
    {
        let edges: Vec<u32> = cut
            .iter()
            .flat_map(|&(a, b)| edges_of_pair(est, a, b))
            .collect();
        out.push(Removal {
            kind: RemovalKind::RelationCut,
            label: format!("whole minimum relation cut ({} relations)", cut.len()),
            items: cut.iter().map(|&p| pair_id(est, p)).collect(),
            edges,
            in_min_cut: true,
            on_routes: 0,
        });
    }
    out
}

/// Runs every removal on common random numbers with the base run (`outcomes`, and
/// `base_ind`, 1 where it reached a target) and returns the single removals ranked by ΔP
/// (largest reduction first), and the whole-cut checks.
fn impacts(
    est: &Arc<Estate>,
    set: &ResolvedSet,
    run_opt: &RunOptions,
    targets: &[NodeId],
    outcomes: &[TrialOutcome],
    base_ind: &[f64],
    removals: Vec<Removal>,
) -> Result<(Vec<ChokeImpact>, Vec<ChokeImpact>)> {
    let plans: Vec<Arc<ControlPlan>> = removals
        .iter()
        .map(|r| {
            Arc::new(plan_without(
                est,
                set,
                run_opt.seed,
                &r.edges,
                format!("{} - {}", set.name, r.items.join("+")),
            ))
        })
        .collect();
    let runs = if plans.is_empty() {
        Vec::new()
    } else {
        run_sets(est, &plans, run_opt)?
    };
    let mut parent = vec![UNSEEN; est.nodes.len()];
    let per_target = |parent: &mut Vec<u32>, ts: &[TrialOutcome]| -> Vec<Vec<f64>> {
        targets
            .iter()
            .map(|&t| indicator(parent, ts, &[t]))
            .collect()
    };
    let base_per = if targets.len() > 1 {
        per_target(&mut parent, outcomes)
    } else {
        Vec::new()
    };
    let n = outcomes.len() as u64;
    let (mut ranking, mut cut_checks): (Vec<ChokeImpact>, Vec<ChokeImpact>) = removals
        .into_iter()
        .zip(&runs)
        .map(|(r, run)| {
            let ind = indicator(&mut parent, &run.outcomes, targets);
            let p_without = ind.iter().sum::<f64>() / ind.len().max(1) as f64;
            let delta_by_target = if base_per.is_empty() {
                Vec::new()
            } else {
                per_target(&mut parent, &run.outcomes)
                    .iter()
                    .zip(&base_per)
                    .zip(targets)
                    .map(|((x, b), &t)| TargetDelta {
                        target: est.node(t).id.clone(),
                        delta: paired_diff(b, x),
                    })
                    .collect()
            };
            ChokeImpact {
                rank: 0,
                kind: r.kind,
                label: r.label,
                items: r.items,
                edges_removed: r.edges.len(),
                in_min_cut: r.in_min_cut,
                on_routes: r.on_routes as f64 / n.max(1) as f64,
                p_without,
                delta: paired_diff(base_ind, &ind),
                delta_by_target,
            }
        })
        .partition(|x| matches!(x.kind, RemovalKind::Node | RemovalKind::Relation));
    ranking.sort_by(|a, b| {
        a.delta
            .mean
            .total_cmp(&b.delta.mean)
            .then(b.on_routes.total_cmp(&a.on_routes))
            .then(a.label.cmp(&b.label))
    });
    for (i, r) in ranking.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    for (i, r) in cut_checks.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    Ok((ranking, cut_checks))
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn signed_pct(x: f64) -> String {
    format!("{:+.1}", x * 100.0)
}

/// The report as terminal text. Names from the scenario are made safe.
pub fn render_table(r: &ChokeReport) -> String {
    use crate::report::terminal_safe as safe;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Choke points in {} under `{}`: targets {}",
        safe(&r.scenario),
        safe(&r.control_set),
        safe(&r.targets.join(", "))
    );
    write_cuts(&mut s, r);
    write_must_pass(&mut s, r);
    let _ = writeln!(
        s,
        "P(target reached) = {} [{}, {}] over {} trials; removing each (p = 0 on its attack edges), same seed:",
        pct(r.baseline.probability),
        pct(r.baseline.ci95[0]),
        pct(r.baseline.ci95[1]),
        r.trials
    );
    let _ = writeln!(s, "{}", ranking_table(r));
    for c in &r.cut_checks {
        let _ = writeln!(
            s,
            "Check: {} removed: P(target reached) = {} (ΔP {} pp)",
            safe(&c.label),
            pct(c.p_without),
            signed_pct(c.delta.mean)
        );
    }
    let _ = writeln!(
        s,
        "on routes: share of trials whose chain of first compromises to a target ran through it; * the interval excludes 0"
    );
    s
}

/// The minimum node and relation cuts.
fn write_cuts(s: &mut String, r: &ChokeReport) {
    use crate::report::terminal_safe as safe;
    match &r.min_node_cut {
        None => {
            let _ = writeln!(
                s,
                "Minimum node cut: none finite (a target is an entry or joined to one directly)"
            );
        }
        Some(c) => {
            let items: Vec<String> = c
                .iter()
                .map(|n| format!("{} [{}]", safe(&n.id), n.kind))
                .collect();
            let _ = writeln!(
                s,
                "Minimum node cut ({} assets): {}",
                c.len(),
                items.join(", ")
            );
        }
    }
    match &r.min_edge_cut {
        None => {
            let _ = writeln!(s, "Minimum relation cut: none finite");
        }
        Some(c) => {
            let _ = writeln!(s, "Minimum relation cut ({} relations):", c.len());
            for e in c {
                let _ = writeln!(
                    s,
                    "  {} → {} ({}: {})",
                    safe(&e.from),
                    safe(&e.to),
                    e.relations.join(", "),
                    e.techniques.join(", ")
                );
            }
        }
    }
}

/// One line per target: the assets every route to it runs through.
fn write_must_pass(s: &mut String, r: &ChokeReport) {
    use crate::report::terminal_safe as safe;
    for m in &r.must_pass {
        let what = if !m.reachable {
            "no route".to_string()
        } else if m.assets.is_empty() {
            "none (no asset is on every route)".to_string()
        } else {
            let items: Vec<String> = m
                .assets
                .iter()
                .map(|n| format!("{} [{}]", safe(&n.id), n.kind))
                .collect();
            items.join(" → ")
        };
        let _ = writeln!(s, "Must pass to reach {}: {what}", safe(&m.target));
    }
}

/// The ranking of single removals.
fn ranking_table(r: &ChokeReport) -> comfy_table::Table {
    use crate::report::terminal_safe as safe;
    let many = r.targets.len() > 1;
    let mut tb = crate::report::term::table();
    let mut header = vec![
        "#",
        "removed",
        "kind",
        "min cut",
        "on routes",
        "P without",
        "ΔP (pp)",
        "95% CI (pp)",
    ];
    if many {
        header.push("ΔP per target (pp)");
    }
    tb.set_header(header);
    for x in &r.ranking {
        let mut row = vec![
            x.rank.to_string(),
            safe(&x.label),
            match x.kind {
                RemovalKind::Node => "asset",
                RemovalKind::Relation => "relation",
                RemovalKind::NodeCut => "node cut",
                RemovalKind::RelationCut => "relation cut",
            }
            .to_string(),
            if x.in_min_cut { "yes" } else { "" }.to_string(),
            pct(x.on_routes),
            pct(x.p_without),
            signed_pct(x.delta.mean),
            format!(
                "[{}, {}]{}",
                signed_pct(x.delta.ci95[0]),
                signed_pct(x.delta.ci95[1]),
                if x.delta.significant { " *" } else { "" }
            ),
        ];
        if many {
            row.push(
                x.delta_by_target
                    .iter()
                    .map(|t| {
                        format!(
                            "{} {}{}",
                            safe(&t.target),
                            signed_pct(t.delta.mean),
                            if t.delta.significant { "*" } else { "" }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        }
        tb.add_row(row);
    }
    crate::report::term::keep_words(&mut tb);
    tb
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diamond_cuts_and_closure() {
        let prep = crate::pipeline::Prepared::from_str(
            include_str!("../../tests/scenarios/paths/diamond.yaml"),
            "diamond.yaml",
            &crate::limits::Limits::default(),
        )
        .unwrap();
        let est = &prep.estate;
        let set = crate::controls::resolve_set("none", &[], &prep.catalog).unwrap();
        let plan = plan::build(est, &set, 0);
        let c = Closure::of(est, &plan);
        let bkt = est.index["bkt"];
        assert_ne!(c.bits[bkt as usize] & bits::ACCESS, 0);
        let (nodes, pairs) = min_cuts(est, &plan, &[bkt]);
        let mut nodes: Vec<&str> = nodes
            .unwrap()
            .iter()
            .map(|&n| est.node(n).id.as_str())
            .collect();
        nodes.sort_unstable();
        assert_eq!(nodes, ["saas-a", "saas-b"]);
        // Nearest the target: the two steps into the bucket.
        let mut pairs: Vec<String> = pairs.unwrap().iter().map(|&p| pair_id(est, p)).collect();
        pairs.sort_unstable();
        assert_eq!(pairs, ["saas-a>bkt", "saas-b>bkt"]);
        // The user is an entry: it is never cut, and a target that is an entry has no cut.
        let u = est.index["u"];
        assert_eq!(min_cuts(est, &plan, &[u]), (None, None));
        // Two routes share no asset: nothing is must-pass on the way to the bucket; saas-b,
        // reached only from the user (an entry), has none either.
        let (sb, a) = (est.index["saas-b"], est.index["saas-a"]);
        assert_eq!(
            must_pass(est, &plan, &[bkt, sb, u]),
            [Some(vec![]), Some(vec![]), Some(vec![])]
        );
        // Without route A's way in (no p on u -> saas-a), the bucket must be reached through
        // saas-b, and saas-a not at all.
        let closed = plan_without(est, &set, 0, &edges_of_pair(est, u, a), "no A".into());
        assert_eq!(must_pass(est, &closed, &[bkt, a]), [Some(vec![sb]), None]);
    }

    #[test]
    fn every_hop_of_a_chain_is_must_pass() {
        let prep = crate::pipeline::Prepared::from_str(
            include_str!("../../tests/scenarios/paths/chain.yaml"),
            "chain.yaml",
            &crate::limits::Limits::default(),
        )
        .unwrap();
        let est = &prep.estate;
        let set = crate::controls::resolve_set("none", &[], &prep.catalog).unwrap();
        let plan = plan::build(est, &set, 0);
        let ids = |v: &Option<Vec<NodeId>>| -> Option<Vec<String>> {
            v.as_ref()
                .map(|v| v.iter().map(|&n| est.node(n).id.clone()).collect())
        };
        let m = must_pass(est, &plan, &[est.index["ws-3"], est.index["u-1"]]);
        // ws-1 is where the attacker starts (an entry): not listed.
        assert_eq!(
            ids(&m[0]),
            Some(["u-1", "ws-2", "u-2"].map(String::from).to_vec())
        );
        assert_eq!(ids(&m[1]), Some(vec![]));
    }
}
