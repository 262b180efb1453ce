//! The lazily built state graph seen through petgraph's graph traits, so that the shortest
//! path searches ([`StateGraph::shortest`]) are petgraph's A* (`petgraph::algo::astar`).
//!
//! The searched graph is the state graph with two virtual nodes: [`ROOT`], the start, joined
//! to each source at its starting cost, and [`SINK`], the one goal, joined at no cost from
//! every state whose node is a target (a target state needs no other move: the search ends
//! at the first one it settles). Banned states and moves, and states the A* bound rules out
//! (no way to a target), are left out. A state's moves are computed, and the states they
//! reach interned, when the search first asks for them.
//!
//! **Ties.** petgraph's A* settles the smallest (f, h, g) first, then in heap order. So that
//! equal costs are settled by lowest state id, as before (deterministic, and the state
//! nearest the target first), a [`Cost`] carries a tag XOR-ed along additions: a move's tag
//! is the XOR of its two ends' tags, so g's tag is the state's own id, and the bound's tag is
//! the state id too, so f = g + h has tag 0. The order is then (f, h, state id). ROOT and
//! SINK have tag 0, so the goal has h = 0 and f = g, as petgraph checks.

use super::graph::{StateGraph, StatePath};
use crate::error::Result;
use crate::estate::NodeId;
use fixedbitset::FixedBitSet;
use petgraph::visit::{
    Data, EdgeRef, GraphBase, GraphRef, IntoEdgeReferences, IntoEdges, IntoNeighbors, Visitable,
};
use std::cell::{Cell, RefCell};
use std::collections::HashSet;

/// The virtual start node, joined to the sources.
const ROOT: u32 = u32::MAX;
/// The virtual goal, joined from the target states.
const SINK: u32 = u32::MAX - 1;
/// The edge id of a move from ROOT or into SINK (not an attack edge).
const VIRTUAL: u32 = u32::MAX;

/// A search cost, with the tag that orders ties by state id (see the module's doc).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Cost {
    c: f64,
    tag: u32,
}

impl PartialOrd for Cost {
    fn partial_cmp(&self, o: &Cost) -> Option<std::cmp::Ordering> {
        match self.c.partial_cmp(&o.c)? {
            std::cmp::Ordering::Equal => Some(self.tag.cmp(&o.tag)),
            x => Some(x),
        }
    }
}

impl std::ops::Add for Cost {
    type Output = Cost;
    fn add(self, o: Cost) -> Cost {
        Cost {
            c: self.c + o.c,
            tag: self.tag ^ o.tag,
        }
    }
}

/// The members of a set, sorted.
fn sorted<T: Ord + Copy>(set: &HashSet<T>) -> Vec<T> {
    let mut v: Vec<T> = set.iter().copied().collect();
    v.sort_unstable();
    v
}

/// The tag of a search node: its state id (0 for the virtual nodes).
fn tag(n: u32) -> u32 {
    if n == ROOT || n == SINK { 0 } else { n }
}

/// One move of the searched graph.
#[derive(Clone, Copy, Debug)]
struct Move {
    from: u32,
    to: u32,
    /// Attack edge index, [`super::graph::FOOTHOLD`], or [`VIRTUAL`].
    edge: u32,
    cost: Cost,
}

impl Move {
    fn new(from: u32, to: u32, edge: u32, c: f64) -> Move {
        Move {
            from,
            to,
            edge,
            cost: Cost {
                c,
                tag: tag(from) ^ tag(to),
            },
        }
    }
}

impl EdgeRef for Move {
    type NodeId = u32;
    type EdgeId = (u32, u32);
    type Weight = Cost;
    fn source(&self) -> u32 {
        self.from
    }
    fn target(&self) -> u32 {
        self.to
    }
    fn weight(&self) -> &Cost {
        &self.cost
    }
    fn id(&self) -> (u32, u32) {
        (self.from, self.edge)
    }
}

/// One search: the state graph (borrowed mutably, to intern states as they are reached)
/// and what the search may not use.
pub(super) struct Search<'s, 'a> {
    graph: RefCell<&'s mut StateGraph<'a>>,
    sources: &'s [(u32, f64)],
    targets: &'s HashSet<NodeId>,
    /// The banned states and moves, sorted (a few: binary search beats hashing).
    banned_states: Vec<u32>,
    banned_moves: Vec<(u32, u32)>,
    /// States already expanded: their cost is final, so moves into them are left out
    /// (petgraph's A* would only find them no better).
    closed: RefCell<FixedBitSet>,
    /// Whether the graph's A* bounds are for these targets.
    aimed: bool,
    /// A target state was expanded: SINK has its best cost, nothing more to expand.
    found: Cell<bool>,
    /// The graph grew past its limit before a target was settled.
    overflow: Cell<bool>,
}

impl<'s, 'a> Search<'s, 'a> {
    /// petgraph's A* from the sources to the first target state settled: the path in states
    /// and moves, with its cost (the source's starting cost plus its moves'), or None.
    pub(super) fn run(
        graph: &'s mut StateGraph<'a>,
        sources: &'s [(u32, f64)],
        targets: &'s HashSet<NodeId>,
        banned_states: &'s HashSet<u32>,
        banned_moves: &'s HashSet<(u32, u32)>,
    ) -> Result<Option<StatePath>> {
        let aimed = graph.aimed_at(targets);
        let search = Search {
            closed: RefCell::new(FixedBitSet::with_capacity(graph.states.len())),
            graph: RefCell::new(graph),
            sources,
            targets,
            banned_states: sorted(banned_states),
            banned_moves: sorted(banned_moves),
            aimed,
            found: Cell::new(false),
            overflow: Cell::new(false),
        };
        let found = petgraph::algo::astar(
            View(&search),
            ROOT,
            |n| n == SINK,
            |m: Move| m.cost,
            |n| search.estimate(n),
        );
        let overflow = search.overflow.get();
        let graph = search.graph.into_inner();
        if overflow {
            return Err(graph.too_big());
        }
        Ok(found
            .map(|(_, nodes)| path_of(graph, &nodes[1..nodes.len() - 1], sources, banned_moves)))
    }

    /// The A* lower bound of a search node, tagged with it.
    fn estimate(&self, n: u32) -> Cost {
        let c = if n == ROOT || n == SINK || !self.aimed {
            0.0
        } else {
            self.graph.borrow().bound_of(n)
        };
        Cost { c, tag: tag(n) }
    }

    /// The moves out of search node `u` (see the module's doc).
    fn moves(&self, u: u32) -> Vec<Move> {
        if self.found.get() || self.overflow.get() || u == SINK {
            return Vec::new();
        }
        let mut g = self.graph.borrow_mut();
        let mut closed = self.closed.borrow_mut();
        let usable = |g: &StateGraph, closed: &FixedBitSet, s: u32| {
            !closed.contains(s as usize)
                && self.banned_states.binary_search(&s).is_err()
                && (!self.aimed || g.bound_of(s).is_finite())
        };
        if u == ROOT {
            return self
                .sources
                .iter()
                .filter(|&&(s, _)| usable(&g, &closed, s))
                .map(|&(s, c)| Move::new(ROOT, s, VIRTUAL, c))
                .collect();
        }
        if self.targets.contains(&g.states[u as usize].node) {
            self.found.set(true);
            return vec![Move::new(u, SINK, VIRTUAL, 0.0)];
        }
        if g.states.len() > g.max_states {
            self.overflow.set(true);
            return Vec::new();
        }
        closed.grow(u as usize + 1);
        closed.insert(u as usize);
        let n = g.successors(u).len();
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let t = g.successors(u)[i];
            if usable(&g, &closed, t.to) && self.banned_moves.binary_search(&(u, t.edge)).is_err() {
                out.push(Move::new(u, t.to, t.edge, t.cost));
            }
        }
        out
    }
}

/// The [`StatePath`] of the states `states` (ROOT and SINK left out) the search found. The
/// move between two states is the first cheapest one allowed, the one the search relaxed.
fn path_of(
    g: &mut StateGraph,
    states: &[u32],
    sources: &[(u32, f64)],
    banned_moves: &HashSet<(u32, u32)>,
) -> StatePath {
    // The cheapest start of the first state, as the search took it.
    let mut cost = sources
        .iter()
        .filter(|(s, _)| *s == states[0])
        .map(|&(_, c)| c)
        .fold(f64::INFINITY, f64::min);
    let mut edges = Vec::with_capacity(states.len().saturating_sub(1));
    for w in states.windows(2) {
        let (u, v) = (w[0], w[1]);
        let mut best: Option<(u32, f64)> = None;
        for t in g.successors(u) {
            if t.to == v
                && !banned_moves.contains(&(u, t.edge))
                && best.is_none_or(|(_, c)| t.cost < c)
            {
                best = Some((t.edge, t.cost));
            }
        }
        let (e, c) = best.expect("a move the search took");
        edges.push(e);
        cost += c;
    }
    StatePath {
        states: states.to_vec(),
        edges,
        cost,
    }
}

/// A copyable handle on a search: what petgraph's traits are implemented for.
#[derive(Clone, Copy)]
struct View<'x, 's, 'a>(&'x Search<'s, 'a>);

impl GraphBase for View<'_, '_, '_> {
    type NodeId = u32;
    /// (state, attack edge) as in banned moves.
    type EdgeId = (u32, u32);
}

impl GraphRef for View<'_, '_, '_> {}

impl Data for View<'_, '_, '_> {
    type NodeWeight = ();
    type EdgeWeight = Cost;
}

impl IntoEdgeReferences for View<'_, '_, '_> {
    type EdgeRef = Move;
    type EdgeReferences = std::iter::Empty<Move>;
    /// Empty: a lazily built graph has no list of all its edges. A* never asks for one.
    fn edge_references(self) -> Self::EdgeReferences {
        std::iter::empty()
    }
}

impl IntoNeighbors for View<'_, '_, '_> {
    type Neighbors = std::vec::IntoIter<u32>;
    fn neighbors(self, a: u32) -> Self::Neighbors {
        let to: Vec<u32> = self.0.moves(a).iter().map(|m| m.to).collect();
        to.into_iter()
    }
}

impl IntoEdges for View<'_, '_, '_> {
    type Edges = std::vec::IntoIter<Move>;
    fn edges(self, a: u32) -> Self::Edges {
        self.0.moves(a).into_iter()
    }
}

impl Visitable for View<'_, '_, '_> {
    /// A* keeps no visit map; a set fits a graph whose size is not known in advance.
    type Map = HashSet<u32>;
    fn visit_map(&self) -> HashSet<u32> {
        HashSet::new()
    }
    fn reset_map(&self, map: &mut HashSet<u32>) {
        map.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_tags_order_ties_by_state_and_cancel_in_f() {
        let g = Cost { c: 1.5, tag: 0 } + Move::new(3, 7, 0, 0.5).cost;
        assert_eq!(g, Cost { c: 2.0, tag: 3 ^ 7 });
        // A path ROOT -> 3 -> 7 ends with g tagged 7; adding the bound of 7 cancels it.
        let g = Move::new(ROOT, 3, VIRTUAL, 1.0).cost + Move::new(3, 7, 0, 1.0).cost;
        assert_eq!(g.tag, 7);
        let f = g + Cost { c: 0.5, tag: 7 };
        assert_eq!(f, Cost { c: 2.5, tag: 0 });
        // Equal costs: the lower state first; a lower cost first whatever the tags.
        assert!(Cost { c: 1.0, tag: 2 } < Cost { c: 1.0, tag: 5 });
        assert!(Cost { c: 0.5, tag: 9 } < Cost { c: 1.0, tag: 0 });
        // Into SINK from 7: SINK's g has tag 0, like its bound (the goal's h is zero).
        assert_eq!((g + Move::new(7, SINK, VIRTUAL, 0.0).cost).tag, 0);
    }
}
