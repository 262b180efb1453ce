//! The attack graph seen as a graph of attacker *states*, for analytic paths.
//!
//! A state is (node, the bits the path holds on it, what the path's footholds reach over the
//! network, whether one of those footholds is a compliant device). Moves between states
//! follow the engine's rules (`sim::engine`), with the path's own footholds standing in for
//! everything the attacker holds:
//!
//! - an attack edge leaves a state whose bits meet one of its `requires`; its network
//!   condition (if any) must hold from the path's footholds (and the internet) under the
//!   plan's reachability, inbound blocks and exposure;
//! - it grants its bits on the target (a `COPY` edge: the bits used); on a self-loop the bits
//!   add up, on another node the path holds just what the step granted;
//! - network-only edges (exploits) leave any state whose footholds reach the target;
//! - a device (or other foothold-giving asset) the path runs code on puts a foothold in its
//!   segment: the path may step, at no cost, onto the segment node itself (for adversary in
//!   the middle);
//! - a step's probability is the plan's p for its edge (`p_compliant` once the path holds a
//!   compliant device); FREE edges have p = 1 and cost nothing.
//!
//! Costs are additive and non-negative: −ln p (most likely paths) or the expected hours
//! `speed × mean_hours / p` (fastest paths). The graph is built lazily: only states a
//! search reaches are interned.

use crate::error::{Error, Result};
use crate::estate::{Estate, INTERNET, NodeId, bits, flags};
use crate::plan::ControlPlan;
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::{HashMap, HashSet};

/// The transition onto a segment a foothold gives (not an attack edge).
pub const FOOTHOLD: u32 = u32::MAX - 1;

/// What a path's cost adds up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weight {
    /// −ln p per step: the shortest path is the most likely one.
    Probability,
    /// Expected hours per step, `speed × mean_hours / p` (geometric tries).
    Time,
}

/// An attacker state: a node, what the path holds on it, and what its footholds give.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StateKey {
    /// The node the path stands on.
    pub node: NodeId,
    /// The [`bits`] the path holds on that node.
    pub bits: u8,
    /// Whether one of the path's footholds is a managed, compliant device (requests may
    /// meet the plan's `p_compliant`).
    pub compliant: bool,
    /// Index into the interned foothold masks.
    pub mask: u32,
}

/// A move out of a state.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Transition {
    /// Attack edge index, or [`FOOTHOLD`].
    pub edge: u32,
    /// The state reached (an index into [`StateGraph::states`]).
    pub to: u32,
    /// Success probability of one try in [0, 1] (1 for FREE edges and footholds).
    pub p: f64,
    /// Non-negative cost of the move under the graph's [`Weight`]: −ln p, or expected hours.
    pub cost: f64,
}

/// An entry point: a state the attacker may start a path from, with the probability that
/// it holds it (1, or 1/N for one of N possible insiders).
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    /// The entry state (an index into [`StateGraph::states`]).
    pub state: u32,
    /// Probability the attacker holds it, in (0, 1].
    pub p: f64,
    /// Starting cost of a path from it: −ln p by probability, 0 by time.
    pub cost: f64,
}

struct Mask {
    /// Protocols into each segment from any foothold of the mask.
    reach_now: Vec<u8>,
    /// The same from allow-listed footholds only (they pass inbound blocks).
    reach_allowed: Vec<u8>,
}

/// A path in the state graph: `states[0]` an entry, `edges[i]` leads from `states[i]` to
/// `states[i + 1]`.
#[derive(Clone, Debug)]
pub struct StatePath {
    /// The states visited, entry first (indices into [`StateGraph::states`]).
    pub states: Vec<u32>,
    /// The moves: attack edge indices or [`FOOTHOLD`], one fewer than `states`.
    pub edges: Vec<u32>,
    /// Total cost: the entry's cost plus every move's.
    pub cost: f64,
}

impl StatePath {
    /// The same moves from the same entry (costs may differ in the last bits).
    pub fn same(&self, o: &StatePath) -> bool {
        self.states[0] == o.states[0] && self.edges == o.edges
    }
}

/// The state graph of one estate under one plan, built lazily as searches reach states.
pub struct StateGraph<'a> {
    /// The estate searched.
    pub est: &'a Estate,
    /// The control plan whose probabilities and reachability the moves use.
    pub plan: &'a ControlPlan,
    weight: Weight,
    /// Every state interned so far, indexed by state id.
    pub states: Vec<StateKey>,
    index: HashMap<StateKey, u32, Fx>,
    masks: Vec<Mask>,
    mask_index: HashMap<Vec<u8>, u32>,
    mask_step: HashMap<(u32, u32), u32, Fx>,
    succ: Vec<Option<Box<[Transition]>>>,
    /// Other edges making the same move as the kept one, by (state, kept edge).
    alternatives: HashMap<(u32, u32), Vec<u32>, Fx>,
    net_by_mask: HashMap<u32, std::rc::Rc<[u32]>>,
    /// Reversed node-level graph with relaxed costs, for [`StateGraph::aim_at`]; its last
    /// node is a virtual one for searches from several targets (empty until first used).
    reverse: DiGraph<(), f64>,
    /// A* lower bound per node towards `bound_for` (empty: none).
    bound: Vec<f64>,
    bound_for: HashSet<NodeId>,
    /// Where paths may start.
    pub entries: Vec<Entry>,
    /// Largest number of states interned before a search gives up.
    pub max_states: usize,
}

/// A fast hash for small integer keys (the multiply-rotate of rustc's FxHasher); the keys
/// are the graph's own state and mask ids, never attacker-chosen strings.
#[derive(Clone, Copy, Default)]
struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    fn write_u8(&mut self, x: u8) {
        self.write_u64(x as u64);
    }
    fn write_u32(&mut self, x: u32) {
        self.write_u64(x as u64);
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type Fx = std::hash::BuildHasherDefault<FxHasher>;

fn gives_foothold(est: &Estate, n: NodeId) -> bool {
    let node = est.node(n);
    n != INTERNET && node.foothold != 0
}

/// Whether holding bits `b` on `n` makes it a network foothold (code on a host, control of
/// an application server).
fn foothold_held(est: &Estate, n: NodeId, b: u8) -> bool {
    n != INTERNET && est.node(n).foothold & b != 0
}

impl<'a> StateGraph<'a> {
    /// The state graph with the estate's entries: the internet (when the attacker has a way
    /// in from it), the start assets, and (for
    /// an insider without named start) each possible insider with probability 1/N.
    pub fn new(est: &'a Estate, plan: &'a ControlPlan, weight: Weight) -> StateGraph<'a> {
        let mut g = StateGraph {
            est,
            plan,
            weight,
            states: Vec::new(),
            index: HashMap::default(),
            masks: Vec::new(),
            mask_index: HashMap::new(),
            mask_step: HashMap::default(),
            succ: Vec::new(),
            alternatives: HashMap::default(),
            net_by_mask: HashMap::new(),
            reverse: DiGraph::default(),
            bound: Vec::new(),
            bound_for: HashSet::new(),
            entries: Vec::new(),
            max_states: 4_000_000,
        };
        // Everything held at time zero contributes footholds to every path.
        let words = (est.positions as usize).div_ceil(64).max(1);
        let mut base = vec![0u64; words];
        base[0] |= 1;
        let mut compliant = false;
        for &(n, b) in &est.start {
            if foothold_held(est, n, b) {
                let s = est.node(n).net as usize;
                base[s / 64] |= 1 << (s % 64);
                compliant |= est.node(n).compliant;
            }
        }
        let base_mask = g.intern_mask(base.clone());
        let add = |g: &mut StateGraph, n: NodeId, b: u8, mask: u32, c: bool, p: f64| {
            let state = g.intern(StateKey {
                node: n,
                bits: b,
                compliant: c,
                mask,
            });
            if !g.entries.iter().any(|e| e.state == state) {
                g.entries.push(Entry {
                    state,
                    p,
                    cost: g.entry_cost(p),
                });
            }
        };
        // The internet is a way in only by its own steps (phishing, spraying) or exploits.
        if est.out_edges(INTERNET).next().is_some() || est.exploit_from_internet {
            add(&mut g, INTERNET, bits::ACCESS, base_mask, compliant, 1.0);
        }
        for &(n, b) in &est.start {
            add(&mut g, n, b, base_mask, compliant, 1.0);
        }
        let pool = &est.insider_pool;
        for (ident, devices) in pool {
            let p = 1.0 / pool.len() as f64;
            let mut m = base.clone();
            let mut c = compliant;
            for &d in devices {
                if gives_foothold(est, d) {
                    let s = est.node(d).net as usize;
                    m[s / 64] |= 1 << (s % 64);
                    c |= est.node(d).compliant;
                }
            }
            let mask = g.intern_mask(m);
            add(&mut g, *ident, bits::PASSWORD | bits::SIGNED_IN, mask, c, p);
            for &d in devices {
                add(&mut g, d, bits::ACCESS, mask, c, p);
            }
        }
        g
    }

    /// Replaces the entries with `from` (nodes held with the given bits, as start assets)
    /// and the internet.
    pub fn with_entries(mut self, from: &[(NodeId, u8)]) -> StateGraph<'a> {
        let words = (self.est.positions as usize).div_ceil(64).max(1);
        let mut base = vec![0u64; words];
        base[0] |= 1;
        let mut compliant = false;
        for &(n, b) in from {
            if foothold_held(self.est, n, b) {
                let s = self.est.node(n).net as usize;
                base[s / 64] |= 1 << (s % 64);
                compliant |= self.est.node(n).compliant;
            }
        }
        let mask = self.intern_mask(base);
        self.entries.clear();
        for &(n, b) in std::iter::once(&(INTERNET, bits::ACCESS)).chain(from) {
            let state = self.intern(StateKey {
                node: n,
                bits: b,
                compliant,
                mask,
            });
            if !self.entries.iter().any(|e| e.state == state) {
                self.entries.push(Entry {
                    state,
                    p: 1.0,
                    cost: 0.0,
                });
            }
        }
        self
    }

    fn entry_cost(&self, p: f64) -> f64 {
        match self.weight {
            Weight::Probability => -p.ln(),
            // An insider is there from the start: no time to add.
            Weight::Time => 0.0,
        }
    }

    /// What the graph's costs add up.
    pub fn weight(&self) -> Weight {
        self.weight
    }

    /// Interns the footholds in the segments of `words` (and the internet). Two sets of
    /// footholds that reach the same segments on the same protocols are one mask: the
    /// network test is all a mask is used for.
    fn intern_mask(&mut self, words: Vec<u64>) -> u32 {
        let s = self.est.positions as usize;
        let mut key = vec![0u8; 2 * s];
        for from in 0..s {
            if words[from / 64] & (1 << (from % 64)) != 0 {
                self.or_row(&mut key, from);
            }
        }
        self.intern_mask_key(key)
    }

    /// ORs segment `from`'s reach into a mask key (reach_now, then reach_allowed).
    fn or_row(&self, key: &mut [u8], from: usize) {
        let s = self.est.positions as usize;
        let allow = self.plan.allow_segments.contains(from);
        for t in 0..s {
            let r = self.plan.reach[from * s + t];
            key[t] |= r;
            if allow {
                key[s + t] |= r;
            }
        }
    }

    fn intern_mask_key(&mut self, key: Vec<u8>) -> u32 {
        if let Some(&m) = self.mask_index.get(&key) {
            return m;
        }
        let s = self.est.positions as usize;
        let id = self.masks.len() as u32;
        self.masks.push(Mask {
            reach_now: key[..s].to_vec(),
            reach_allowed: key[s..].to_vec(),
        });
        self.mask_index.insert(key, id);
        id
    }

    fn mask_plus(&mut self, mask: u32, seg: u32) -> u32 {
        if let Some(&m) = self.mask_step.get(&(mask, seg)) {
            return m;
        }
        let m = &self.masks[mask as usize];
        let mut key = m.reach_now.clone();
        key.extend_from_slice(&m.reach_allowed);
        self.or_row(&mut key, seg as usize);
        let id = self.intern_mask_key(key);
        self.mask_step.insert((mask, seg), id);
        id
    }

    fn intern(&mut self, k: StateKey) -> u32 {
        if let Some(&s) = self.index.get(&k) {
            return s;
        }
        let s = self.states.len() as u32;
        self.states.push(k);
        self.succ.push(None);
        self.index.insert(k, s);
        s
    }

    /// The engine's network test ([`crate::plan::step_reaches`]) with the mask's footholds.
    fn reachable(&self, mask: u32, edge: &crate::estate::AttackEdge) -> bool {
        let m = &self.masks[mask as usize];
        crate::plan::step_reaches(self.est, self.plan, edge, &m.reach_now, &m.reach_allowed)
    }

    fn step_cost(&self, e: usize, p: f64) -> f64 {
        match self.weight {
            Weight::Probability => {
                if p >= 1.0 {
                    0.0
                } else {
                    -p.ln()
                }
            }
            Weight::Time => {
                let edge = &self.est.edges[e];
                (edge.mean_hours as f64 * self.est.profile.speed).max(0.0) / p
            }
        }
    }

    /// The state reached from `k` when edge `e` grants `g` on `dst`, or None if it adds
    /// nothing.
    fn arrive(&mut self, k: StateKey, dst: NodeId, g: u8) -> Option<u32> {
        let old = if dst == k.node { k.bits } else { 0 };
        let new = old | g;
        if new == old {
            return None;
        }
        let f = self.est.node(dst).foothold;
        let gains_run = gives_foothold(self.est, dst) && old & f == 0 && new & f != 0;
        let (mask, compliant) = if gains_run {
            let node = self.est.node(dst);
            (
                self.mask_plus(k.mask, node.net),
                k.compliant || node.compliant,
            )
        } else {
            (k.mask, k.compliant)
        };
        Some(self.intern(StateKey {
            node: dst,
            bits: new,
            compliant,
            mask,
        }))
    }

    fn expand(&mut self, s: u32) -> Box<[Transition]> {
        let est = self.est;
        let k = self.states[s as usize];
        let mut out = Vec::new();
        for e in est.out_edges(k.node) {
            let edge = &est.edges[e];
            let have = k.bits & edge.requires;
            if have == 0 {
                continue;
            }
            let p = if k.compliant {
                self.plan.p_compliant[e]
            } else {
                self.plan.p[e]
            } as f64;
            if p <= 0.0 {
                continue;
            }
            if edge.proto != 0 && !self.reachable(k.mask, edge) {
                continue;
            }
            let g = if edge.has(flags::COPY) {
                have
            } else {
                edge.grants
            };
            if let Some(to) = self.arrive(k, edge.dst, g) {
                out.push(Transition {
                    edge: e as u32,
                    to,
                    p,
                    cost: self.step_cost(e, p),
                });
            }
        }
        let net = self.net_edges_for(k.mask);
        for &e in net.iter() {
            let e = e as usize;
            let edge = &est.edges[e];
            let p = if k.compliant {
                self.plan.p_compliant[e]
            } else {
                self.plan.p[e]
            } as f64;
            if p <= 0.0 {
                continue;
            }
            if let Some(to) = self.arrive(k, edge.dst, edge.grants) {
                out.push(Transition {
                    edge: e as u32,
                    to,
                    p,
                    cost: self.step_cost(e, p),
                });
            }
        }
        // Several edges onto the same state (SMB, WinRM and RDP with one credential; an app
        // that reads and writes a database) are one move: keep the cheapest edge and
        // remember the others as alternatives.
        let mut kept: Vec<Transition> = Vec::with_capacity(out.len());
        let mut alts: Vec<Vec<u32>> = Vec::new();
        let mut slot: HashMap<u32, usize, Fx> = HashMap::default();
        for t in out {
            match slot.get(&t.to).copied() {
                Some(i) => {
                    if t.cost < kept[i].cost {
                        alts[i].push(kept[i].edge);
                        kept[i] = t;
                    } else {
                        alts[i].push(t.edge);
                    }
                }
                None => {
                    slot.insert(t.to, kept.len());
                    kept.push(t);
                    alts.push(Vec::new());
                }
            }
        }
        for (t, a) in kept.iter().zip(alts) {
            if !a.is_empty() {
                self.alternatives.insert((s, t.edge), a);
            }
        }
        let mut out = kept;
        let seg = est.node(k.node).segment;
        if foothold_held(est, k.node, k.bits) && seg != INTERNET {
            let to = self.intern(StateKey {
                node: seg,
                bits: bits::ACCESS,
                compliant: k.compliant,
                mask: k.mask,
            });
            out.push(Transition {
                edge: FOOTHOLD,
                to,
                p: 1.0,
                cost: 0.0,
            });
        }
        out.into_boxed_slice()
    }

    /// Network-only edges whose target the mask's footholds reach (p not checked).
    fn net_edges_for(&mut self, mask: u32) -> std::rc::Rc<[u32]> {
        if let Some(v) = self.net_by_mask.get(&mask) {
            return v.clone();
        }
        let est = self.est;
        let v: std::rc::Rc<[u32]> = est
            .net_edges
            .iter()
            .copied()
            .filter(|&e| {
                let edge = &est.edges[e as usize];
                self.reachable(mask, edge)
            })
            .collect();
        self.net_by_mask.insert(mask, v.clone());
        v
    }

    /// The cheapest a step along edge `e` can be in any state (for lower bounds).
    fn relaxed_cost(&self, e: usize) -> Option<f64> {
        let p = self.plan.p[e].max(self.plan.p_compliant[e]) as f64;
        (p > 0.0).then(|| self.step_cost(e, p))
    }

    /// Sets the A* lower bounds for searches towards `targets`: the cheapest cost from each
    /// node to a target on the node-level graph (every edge at its cheapest, bits and
    /// network conditions ignored, footholds free, a network edge usable from anywhere).
    /// It never overestimates, and it is consistent, so searches stay exact.
    pub fn aim_at(&mut self, targets: &HashSet<NodeId>) {
        let est = self.est;
        let n = est.nodes.len();
        if self.reverse.node_count() == 0 {
            self.reverse = self.relaxed_reverse();
        }
        // Sorted: the distances do not depend on the order, but the work is then the same
        // from run to run.
        let mut from: Vec<NodeId> = targets.iter().copied().collect();
        from.sort_unstable();
        let mut h = super::algo::distances_from_many(
            &mut self.reverse,
            NodeIndex::new(n),
            &from,
            f64::INFINITY,
        );
        h.truncate(n);
        let net_best = est
            .net_edges
            .iter()
            .filter_map(|&e| {
                let c = self.relaxed_cost(e as usize)?;
                Some(c + h[est.edges[e as usize].dst as usize])
            })
            .fold(f64::INFINITY, f64::min);
        for x in &mut h {
            *x = x.min(net_best);
        }
        self.bound = h;
        self.bound_for = targets.clone();
    }

    /// The node-level graph reversed, each edge at its cheapest ([`StateGraph::aim_at`]),
    /// plus a virtual node (the last) with no edges.
    fn relaxed_reverse(&self) -> DiGraph<(), f64> {
        let est = self.est;
        let n = est.nodes.len();
        let mut rev = DiGraph::with_capacity(n + 1, est.edges.len());
        for _ in 0..=n {
            rev.add_node(());
        }
        let node = |x: NodeId| NodeIndex::new(x as usize);
        for (i, e) in est.edges.iter().enumerate() {
            if e.src == crate::estate::NO_SOURCE || e.src == e.dst {
                continue;
            }
            if let Some(c) = self.relaxed_cost(i) {
                rev.add_edge(node(e.dst), node(e.src), c);
            }
        }
        for d in 0..n as NodeId {
            let seg = est.node(d).segment;
            if gives_foothold(est, d) && seg != INTERNET {
                rev.add_edge(node(seg), node(d), 0.0);
            }
        }
        rev
    }

    /// Whether the A* bounds are set for `targets`.
    pub(super) fn aimed_at(&self, targets: &HashSet<NodeId>) -> bool {
        self.bound_for == *targets
    }

    /// The A* lower bound of state `s` (0 where none is set).
    pub(super) fn bound_of(&self, s: u32) -> f64 {
        self.bound
            .get(self.states[s as usize].node as usize)
            .copied()
            .unwrap_or(0.0)
    }

    /// The moves out of state `s` (computed once, then cached).
    pub fn successors(&mut self, s: u32) -> &[Transition] {
        if self.succ[s as usize].is_none() {
            let t = self.expand(s);
            self.succ[s as usize] = Some(t);
        }
        self.succ[s as usize].as_deref().unwrap_or(&[])
    }

    /// Edges other than `e` that make the same move out of `s`.
    pub fn alternatives(&mut self, s: u32, e: u32) -> &[u32] {
        self.successors(s);
        self.alternatives.get(&(s, e)).map_or(&[], |v| v.as_slice())
    }

    /// The move from `s` by edge `e` (which must be one of its successors).
    pub fn transition(&mut self, s: u32, e: u32) -> Option<Transition> {
        self.successors(s).iter().copied().find(|t| t.edge == e)
    }

    pub(super) fn too_big(&self) -> Error {
        Error::Usage(format!(
            "the attack graph has more than {} attacker states to search; narrow the search with --to or --from",
            self.max_states
        ))
    }

    /// The cheapest path from `sources` (state, starting cost) to the first state whose node
    /// is in `targets`, never entering `banned_states` nor taking a banned (state, edge)
    /// move: petgraph's A* (plain Dijkstra unless [`StateGraph::aim_at`] set bounds for
    /// `targets`) on the graph built as it searches (`paths::search`). Equal costs are
    /// settled nearest the target first, then by state id, so results are deterministic.
    pub fn shortest(
        &mut self,
        sources: &[(u32, f64)],
        targets: &HashSet<NodeId>,
        banned_states: &HashSet<u32>,
        banned_moves: &HashSet<(u32, u32)>,
    ) -> Result<Option<StatePath>> {
        super::search::Search::run(self, sources, targets, banned_states, banned_moves)
    }

    fn cost_of(&mut self, start_cost: f64, states: &[u32], edges: &[u32]) -> f64 {
        let mut c = start_cost;
        for (i, &e) in edges.iter().enumerate() {
            c += self
                .transition(states[i], e)
                .map_or(f64::INFINITY, |t| t.cost);
        }
        c
    }

    /// Whether the path still reaches its target when the steps between two visits of the
    /// same node are left out: a step that stays on a node (privilege escalation, sign-in)
    /// whose bits the rest never uses, or a loop out and back (exploit an app, take its host,
    /// come back to the app as admin). Such a path is a detour of a shorter one.
    pub fn redundant(&mut self, p: &StatePath) -> bool {
        let len = p.edges.len();
        for i in 0..len {
            let node = self.states[p.states[i] as usize].node;
            for j in i + 1..=len {
                if self.states[p.states[j] as usize].node != node {
                    continue;
                }
                // A foothold step cannot be left out on its own (it changes the node).
                if j == i + 1 && p.edges[i] == FOOTHOLD {
                    continue;
                }
                if self.replays(p.states[i], &p.edges[j..], &p.states[j + 1..]) {
                    return true;
                }
            }
        }
        false
    }

    /// Whether `edges` (or alternatives to them) can be taken one after another from `from`,
    /// arriving at the nodes of `want`.
    fn replays(&mut self, from: u32, edges: &[u32], want: &[u32]) -> bool {
        let mut cur = from;
        for (&e, &w) in edges.iter().zip(want) {
            let node = self.states[w as usize].node;
            let n = self.successors(cur).len();
            let mut next = None;
            for i in 0..n {
                let t = self.succ[cur as usize].as_deref().unwrap_or(&[])[i];
                if self.states[t.to as usize].node == node
                    && (t.edge == e || self.alternatives(cur, t.edge).contains(&e))
                {
                    next = Some(t.to);
                    break;
                }
            }
            match next {
                Some(x) => cur = x,
                None => return false,
            }
        }
        true
    }

    /// Yen's algorithm: the `k` cheapest loopless paths (in states) from the entries to a
    /// state whose node is in `targets`, cheapest first; ties in the order found. Paths
    /// with a detour (see [`StateGraph::redundant`]) are searched through but not returned.
    ///
    /// Hand-written: petgraph has no k shortest *loopless* paths (its `k_shortest_path`
    /// gives the length of the k-th shortest walk to each node, loops allowed, and no
    /// path). Each spur search is petgraph's A* ([`StateGraph::shortest`]).
    pub fn k_shortest(&mut self, targets: &HashSet<NodeId>, k: usize) -> Result<Vec<StatePath>> {
        self.aim_at(targets);
        let sources: Vec<(u32, f64)> = self.entries.iter().map(|e| (e.state, e.cost)).collect();
        let entry_cost: HashMap<u32, f64> = sources.iter().copied().collect();
        let mut found: Vec<StatePath> = Vec::new();
        if k == 0 {
            return Ok(found);
        }
        let none_s = HashSet::new();
        let none_m = HashSet::new();
        let Some(first) = self.shortest(&sources, targets, &none_s, &none_m)? else {
            return Ok(found);
        };
        let mut reported: Vec<StatePath> = Vec::new();
        if !self.redundant(&first) {
            reported.push(first.clone());
        }
        found.push(first);
        // Detours can outnumber real paths; give up searching after this many.
        let limit = k.saturating_mul(20).saturating_add(50);
        // Candidates, with the order they were found in as the tie-breaker.
        let mut cands: Vec<(StatePath, usize)> = Vec::new();
        let mut seq = 0usize;
        while reported.len() < k && found.len() < limit {
            let last = found.last().cloned().expect("one path found");
            // Spur at the virtual source before the entries: paths from entries no path
            // found so far starts from.
            let unused: Vec<(u32, f64)> = sources
                .iter()
                .copied()
                .filter(|(s, _)| !found.iter().any(|p| p.states[0] == *s))
                .collect();
            if !unused.is_empty()
                && let Some(path) = self.shortest(&unused, targets, &none_s, &none_m)?
                && !found.iter().any(|f| f.same(&path))
                && !cands.iter().any(|(c, _)| c.same(&path))
            {
                cands.push((path, seq));
                seq += 1;
            }
            for i in 0..last.edges.len() {
                let spur = last.states[i];
                let root_states = &last.states[..=i];
                let root_edges = &last.edges[..i];
                let mut banned_moves = HashSet::new();
                for p in &found {
                    if p.states.len() > i + 1
                        && &p.states[..=i] == root_states
                        && &p.edges[..i] == root_edges
                    {
                        banned_moves.insert((spur, p.edges[i]));
                    }
                }
                let banned_states: HashSet<u32> = root_states[..i].iter().copied().collect();
                let start = entry_cost.get(&root_states[0]).copied().unwrap_or(0.0);
                let root_cost = self.cost_of(start, root_states, root_edges);
                let Some(sp) =
                    self.shortest(&[(spur, 0.0)], targets, &banned_states, &banned_moves)?
                else {
                    continue;
                };
                let mut states = root_states.to_vec();
                states.extend_from_slice(&sp.states[1..]);
                let mut edges = root_edges.to_vec();
                edges.extend_from_slice(&sp.edges);
                let path = StatePath {
                    states,
                    edges,
                    cost: root_cost + sp.cost,
                };
                if !found.iter().any(|f| f.same(&path)) && !cands.iter().any(|(c, _)| c.same(&path))
                {
                    cands.push((path, seq));
                    seq += 1;
                }
            }
            let Some(best) = (0..cands.len()).min_by(|&a, &b| {
                cands[a]
                    .0
                    .cost
                    .total_cmp(&cands[b].0.cost)
                    .then(cands[a].1.cmp(&cands[b].1))
            }) else {
                break;
            };
            let next = cands.swap_remove(best).0;
            if !self.redundant(&next) {
                reported.push(next.clone());
            }
            found.push(next);
        }
        Ok(reported)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foothold_constant_is_not_an_edge_index() {
        assert_ne!(FOOTHOLD, crate::sim::engine::NO_EDGE);
    }

    fn chain() -> crate::pipeline::Prepared {
        crate::pipeline::Prepared::from_str(
            include_str!("../../tests/scenarios/paths/chain.yaml"),
            "chain.yaml",
            &crate::limits::Limits::default(),
        )
        .unwrap()
    }

    #[test]
    fn yen_on_a_chain_finds_one_path_and_no_detours() {
        let prep = chain();
        let est = &prep.estate;
        let set = crate::controls::resolve_set("none", &[], &prep.catalog).unwrap();
        let plan = crate::plan::build(est, &set, 0);
        let mut g = StateGraph::new(est, &plan, Weight::Probability);
        let target: HashSet<NodeId> = [est.index["ws-3"]].into_iter().collect();
        let paths = g.k_shortest(&target, 5).unwrap();
        assert_eq!(paths.len(), 1);
        let p = &paths[0];
        let want = -(0.8f32 as f64).ln() * 2.0 - (0.7f32 as f64).ln() * 2.0;
        assert!((p.cost - want).abs() < 1e-9, "{} vs {want}", p.cost);
        assert!(!g.redundant(p));
        // Every step of the path is a move of the graph.
        for (i, &e) in p.edges.iter().enumerate() {
            let t = g.transition(p.states[i], e).unwrap();
            assert_eq!(t.to, p.states[i + 1]);
        }
        // A path with a detour: from the start, a useless second privilege escalation is
        // impossible (bits already held), so the shortest path is its own best.
        let (none_s, none_m) = (HashSet::new(), HashSet::new());
        let again = g
            .shortest(&[(p.states[0], 0.0)], &target, &none_s, &none_m)
            .unwrap()
            .unwrap();
        assert!(again.same(p));
    }

    fn prepared(yaml: &str) -> crate::pipeline::Prepared {
        crate::pipeline::Prepared::from_str(yaml, "test.yaml", &crate::limits::Limits::default())
            .unwrap()
    }

    /// -ln p of a technique's p as the plan stores it (f32).
    fn nl(p: f32) -> f64 {
        -(p as f64).ln()
    }

    #[test]
    fn bounds_are_petgraph_distances_on_the_relaxed_graph() {
        let prep = prepared(include_str!("../../tests/scenarios/paths/diamond.yaml"));
        let est = &prep.estate;
        let set = crate::controls::resolve_set("none", &[], &prep.catalog).unwrap();
        let plan = crate::plan::build(est, &set, 0);
        let mut g = StateGraph::new(est, &plan, Weight::Probability);
        let id = |x: &str| est.index[x];
        let target: HashSet<NodeId> = [id("bkt")].into_iter().collect();
        g.aim_at(&target);
        assert!(g.aimed_at(&target));
        let h = |x: &str| g.bound[id(x) as usize];
        // bkt itself; saas-b by T1005 (p 1, free of cost); saas-a by T1530 (0.9); u by
        // T1078.004 then T1530 (0.9 x 0.9 beats 0.5 x 1).
        assert_eq!(h("bkt"), 0.0);
        assert_eq!(h("saas-b"), 0.0);
        assert_eq!(h("saas-a"), nl(0.9));
        assert_eq!(h("u"), nl(0.9) + nl(0.9));
        // The virtual node's edges are gone again: the same bounds a second time.
        let before = g.bound.clone();
        g.aim_at(&target);
        assert_eq!(g.bound, before);
    }

    #[test]
    fn astar_on_the_diamond_is_exact() {
        let prep = prepared(include_str!("../../tests/scenarios/paths/diamond.yaml"));
        let est = &prep.estate;
        let set = crate::controls::resolve_set("none", &[], &prep.catalog).unwrap();
        let plan = crate::plan::build(est, &set, 0);
        for aimed in [false, true] {
            let mut g = StateGraph::new(est, &plan, Weight::Probability);
            let target: HashSet<NodeId> = [est.index["bkt"]].into_iter().collect();
            if aimed {
                g.aim_at(&target);
            }
            let sources: Vec<(u32, f64)> = g.entries.iter().map(|e| (e.state, e.cost)).collect();
            let (none_s, none_m) = (HashSet::new(), HashSet::new());
            let nodes = |g: &StateGraph, p: &StatePath| -> Vec<String> {
                p.states
                    .iter()
                    .map(|&s| est.node(g.states[s as usize].node).id.clone())
                    .collect()
            };
            let a = g
                .shortest(&sources, &target, &none_s, &none_m)
                .unwrap()
                .unwrap();
            assert_eq!(nodes(&g, &a), ["u", "saas-a", "bkt"]);
            assert_eq!(a.cost, 0.0 + nl(0.9) + nl(0.9));
            // Without route A's first move: route B, 0.5 then a certain step.
            let banned: HashSet<(u32, u32)> = [(a.states[0], a.edges[0])].into_iter().collect();
            let b = g
                .shortest(&sources, &target, &none_s, &banned)
                .unwrap()
                .unwrap();
            assert_eq!(nodes(&g, &b), ["u", "saas-b", "bkt"]);
            assert_eq!(b.cost, 0.0 + nl(0.5) + 0.0);
            // Without both apps' states: no path.
            let banned_s: HashSet<u32> = [a.states[1], b.states[1]].into_iter().collect();
            assert!(
                g.shortest(&sources, &target, &banned_s, &none_m)
                    .unwrap()
                    .is_none()
            );
            // Starting on the target: the empty path, at the starting cost.
            let at = g
                .shortest(&[(a.states[2], 0.25)], &target, &none_s, &none_m)
                .unwrap()
                .unwrap();
            assert_eq!((at.states.len(), at.edges.len(), at.cost), (1, 0, 0.25));
        }
    }

    #[test]
    fn a_search_past_the_state_limit_is_an_error() {
        let prep = chain();
        let est = &prep.estate;
        let set = crate::controls::resolve_set("none", &[], &prep.catalog).unwrap();
        let plan = crate::plan::build(est, &set, 0);
        let mut g = StateGraph::new(est, &plan, Weight::Probability);
        g.max_states = 0;
        let sources: Vec<(u32, f64)> = g.entries.iter().map(|e| (e.state, e.cost)).collect();
        let (none_s, none_m) = (HashSet::new(), HashSet::new());
        let far: HashSet<NodeId> = [est.index["ws-3"]].into_iter().collect();
        let err = g.shortest(&sources, &far, &none_s, &none_m).unwrap_err();
        assert!(err.to_string().contains("attacker states"), "{err}");
        // A target settled before anything is expanded is still found.
        let here: HashSet<NodeId> = [g.states[sources[0].0 as usize].node].into_iter().collect();
        let p = g
            .shortest(&sources, &here, &none_s, &none_m)
            .unwrap()
            .unwrap();
        assert!(p.edges.is_empty());
    }

    #[test]
    fn equal_costs_go_to_the_lower_state_first() {
        // The diamond with two identical routes: both 0.9 x 0.9.
        let yaml = include_str!("../../tests/scenarios/paths/diamond.yaml")
            .replace(
                "{id: saas-b, kind: saas, name: \"SaaS B\", segment: dmz, internet_facing: true, sso: false}",
                "{id: saas-b, kind: saas, name: \"SaaS B\", internet_facing: true, sso: true}",
            )
            .replace(
                "{type: hosted_on, from: bkt, to: saas-b}",
                "{type: reads, from: saas-b, to: bkt}",
            );
        let prep = prepared(&yaml);
        let est = &prep.estate;
        let set = crate::controls::resolve_set("none", &[], &prep.catalog).unwrap();
        let plan = crate::plan::build(est, &set, 0);
        let mut g = StateGraph::new(est, &plan, Weight::Probability);
        let target: HashSet<NodeId> = [est.index["bkt"]].into_iter().collect();
        let paths = g.k_shortest(&target, 5).unwrap();
        assert_eq!(paths.len(), 2);
        assert_eq!(paths[0].cost, paths[1].cost);
        // The first found (and listed) goes through the app state interned first.
        assert!(paths[0].states[1] < paths[1].states[1], "{paths:?}");
        let again = StateGraph::new(est, &plan, Weight::Probability).k_shortest(&target, 5);
        let again = again.unwrap();
        assert!(paths.iter().zip(&again).all(|(a, b)| a.same(b)));
    }

    #[test]
    fn banned_moves_and_states_are_avoided() {
        let prep = chain();
        let est = &prep.estate;
        let set = crate::controls::resolve_set("none", &[], &prep.catalog).unwrap();
        let plan = crate::plan::build(est, &set, 0);
        let mut g = StateGraph::new(est, &plan, Weight::Time);
        let target: HashSet<NodeId> = [est.index["ws-3"]].into_iter().collect();
        let (none_s, none_m) = (HashSet::new(), HashSet::new());
        let sources: Vec<(u32, f64)> = g.entries.iter().map(|e| (e.state, e.cost)).collect();
        let p = g
            .shortest(&sources, &target, &none_s, &none_m)
            .unwrap()
            .unwrap();
        let banned: HashSet<(u32, u32)> = [(p.states[1], p.edges[1])].into_iter().collect();
        assert!(
            g.shortest(&sources, &target, &none_s, &banned)
                .unwrap()
                .is_none()
        );
        let banned_s: HashSet<u32> = [p.states[2]].into_iter().collect();
        assert!(
            g.shortest(&sources, &target, &banned_s, &none_m)
                .unwrap()
                .is_none()
        );
    }
}
