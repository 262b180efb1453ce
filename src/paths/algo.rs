//! The textbook graph algorithms of paths and choke points, taken from petgraph: Dijkstra
//! from several sources (`petgraph::algo::dijkstra`), minimum cuts by maximum flow
//! (`petgraph::algo::dinics`) and must-pass nodes by dominators
//! (`petgraph::algo::dominators::simple_fast`).
//!
//! What petgraph lacks stays hand-written elsewhere: Yen's k shortest loopless paths
//! ([`super::graph::StateGraph::k_shortest`]) and the attacker's closure
//! ([`super::chokepoints::Closure`]), a fixpoint over bits and footholds rather than a
//! graph search. Strongly connected components (`petgraph::algo::tarjan_scc`,
//! `condensation`) are not used: no analysis here needs a DAG (Dijkstra, A*, max flow and
//! dominators all take cycles as they come).

use crate::estate::NodeId;
use petgraph::Direction;
use petgraph::algo::{Measure, dijkstra, dinics, dominators};
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;
use std::collections::VecDeque;

/// Shortest distances from the nearest of `sources` to every node of `g` (`unreached` where
/// none leads), by petgraph's Dijkstra from `root`: a node of `g` with no edges of its own,
/// joined to the sources at no cost for the search only. The result is indexed by node
/// (`root` included, at 0).
pub(crate) fn distances_from_many<K>(
    g: &mut DiGraph<(), K>,
    root: NodeIndex,
    sources: &[NodeId],
    unreached: K,
) -> Vec<K>
where
    K: Measure + Copy,
{
    let added: Vec<EdgeIndex> = sources
        .iter()
        .map(|&s| g.add_edge(root, NodeIndex::new(s as usize), K::default()))
        .collect();
    let scores = dijkstra(&*g, root, None, |e| *e.weight());
    // Last first: removing the last edge moves no other edge index.
    for e in added.into_iter().rev() {
        g.remove_edge(e);
    }
    // Each node has its own slot: the map's order does not matter.
    let mut d = vec![unreached; g.node_count()];
    for (v, c) in scores {
        d[v.index()] = c;
    }
    d
}

/// A capacity standing for "cannot be cut" (larger than any finite cut).
pub(crate) const INF: u64 = 1 << 40;

/// A flow network with integer capacities; the flow is petgraph's Dinic.
pub(crate) struct Flow {
    net: DiGraph<(), u64>,
    /// Flow per arc, from the last [`Flow::max_flow`].
    flow: Vec<u64>,
}

impl Flow {
    /// A network of `n` vertices and no arcs.
    pub(crate) fn new(n: usize) -> Flow {
        let mut net = DiGraph::with_capacity(n, 0);
        for _ in 0..n {
            net.add_node(());
        }
        Flow {
            net,
            flow: Vec::new(),
        }
    }

    /// Adds the arc u → v with capacity `c`.
    pub(crate) fn arc(&mut self, u: usize, v: usize, c: u64) -> EdgeIndex {
        self.net.add_edge(NodeIndex::new(u), NodeIndex::new(v), c)
    }

    /// The maximum flow from `s` to `t` (at least [`INF`] when no finite cut exists).
    pub(crate) fn max_flow(&mut self, s: usize, t: usize) -> u64 {
        let (total, flow) = dinics(&self.net, NodeIndex::new(s), NodeIndex::new(t));
        self.flow = flow;
        total
    }

    /// Capacity left on arc `a` by the last flow (0: saturated).
    pub(crate) fn residual(&self, a: EdgeIndex) -> u64 {
        self.net[a] - self.flow.get(a.index()).copied().unwrap_or(0)
    }

    /// The vertices arc `a` joins.
    pub(crate) fn ends(&self, a: EdgeIndex) -> (usize, usize) {
        let (u, v) = self.net.edge_endpoints(a).expect("an arc of the network");
        (u.index(), v.index())
    }

    /// Vertices that can still reach `t` in the residual graph of the last flow: the sink
    /// side of the minimum cut nearest the sink (the same for every maximum flow).
    pub(crate) fn sink_side(&self, t: usize) -> Vec<bool> {
        let mut side = vec![false; self.net.node_count()];
        side[t] = true;
        let mut q = VecDeque::from([NodeIndex::new(t)]);
        while let Some(v) = q.pop_front() {
            // u → v has room when the arc u → v is not full, or an arc v → u carries flow.
            let into = self
                .net
                .edges_directed(v, Direction::Incoming)
                .filter(|e| self.residual(e.id()) > 0)
                .map(|e| e.source());
            let back = self
                .net
                .edges_directed(v, Direction::Outgoing)
                .filter(|e| self.flow.get(e.id().index()).is_some_and(|&f| f > 0))
                .map(|e| e.target());
            let next: Vec<NodeIndex> = into.chain(back).collect();
            for u in next {
                if !side[u.index()] {
                    side[u.index()] = true;
                    q.push_back(u);
                }
            }
        }
        side
    }
}

/// For each of `targets`, the nodes on every path from `root` to it (neither `root` nor
/// the target itself), nearest the root first, by petgraph's dominators (Cooper, Harvey
/// and Kennedy's simple fast algorithm); None where `root` does not reach the target.
pub(crate) fn must_pass(
    g: &DiGraph<(), ()>,
    root: usize,
    targets: &[usize],
) -> Vec<Option<Vec<usize>>> {
    let dom = dominators::simple_fast(g, NodeIndex::new(root));
    targets
        .iter()
        .map(|&t| {
            let mut on_every: Vec<usize> = dom
                .strict_dominators(NodeIndex::new(t))?
                .map(|n| n.index())
                .filter(|&n| n != root)
                .collect();
            on_every.reverse();
            Some(on_every)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 0 → 1 (1), 0 → 2 (4), 1 → 2 (2), 2 → 3 (1); node 4 is alone, node 5 the root.
    fn weighted() -> DiGraph<(), f64> {
        let mut g = DiGraph::new();
        for _ in 0..6 {
            g.add_node(());
        }
        for (u, v, c) in [(0, 1, 1.0), (0, 2, 4.0), (1, 2, 2.0), (2, 3, 1.0)] {
            g.add_edge(NodeIndex::new(u), NodeIndex::new(v), c);
        }
        g
    }

    #[test]
    fn distances_from_one_and_from_many_sources() {
        let mut g = weighted();
        let root = NodeIndex::new(5);
        let inf = f64::INFINITY;
        let d = distances_from_many(&mut g, root, &[0], inf);
        assert_eq!(d, [0.0, 1.0, 3.0, 4.0, inf, 0.0]);
        // From 0 or 2: 2 and 3 are nearer 2.
        let d = distances_from_many(&mut g, root, &[0, 2], inf);
        assert_eq!(d, [0.0, 1.0, 0.0, 1.0, inf, 0.0]);
        // The virtual edges are gone: the graph is as it was.
        assert_eq!(g.edge_count(), 4);
        assert_eq!(g.edges(root).count(), 0);
        assert_eq!(distances_from_many(&mut g, root, &[], inf)[..5], [inf; 5]);
    }

    #[test]
    fn max_flow_and_the_cut_nearest_the_sink() {
        // s -> a -> t and s -> b -> t, unit arcs into t, wide arcs from s; plus a -> b.
        let mut f = Flow::new(4);
        let (s, a, b, t) = (0, 1, 2, 3);
        f.arc(s, a, INF);
        f.arc(s, b, INF);
        f.arc(a, b, 1);
        let at = f.arc(a, t, 1);
        let bt = f.arc(b, t, 1);
        assert_eq!(f.max_flow(s, t), 2);
        let side = f.sink_side(t);
        assert!(side[t] && !side[a] && !side[b] && !side[s]);
        assert_eq!((f.residual(at), f.residual(bt)), (0, 0));
        assert_eq!(f.ends(at), (a, t));
    }

    #[test]
    fn the_sink_side_follows_flow_backwards() {
        // s -> v -> u -> t (the shortest route, which the flow takes) and a longer
        // v -> y -> z -> t left empty. Only s -> v limits the flow, so the cut nearest t is
        // that arc: v, y, z reach t by the empty route, and u reaches v back along the
        // flow on v -> u.
        let mut f = Flow::new(6);
        let (s, v, u, y, z, t) = (0, 1, 2, 3, 4, 5);
        let sv = f.arc(s, v, 1);
        f.arc(v, u, 1);
        let ut = f.arc(u, t, 1);
        f.arc(v, y, 1);
        f.arc(y, z, 1);
        f.arc(z, t, 1);
        assert_eq!(f.max_flow(s, t), 1);
        assert_eq!((f.residual(sv), f.residual(ut)), (0, 0));
        assert_eq!(f.sink_side(t), [false, true, true, true, true, true]);
    }

    #[test]
    fn no_finite_cut_when_an_infinite_path_exists() {
        let mut f = Flow::new(3);
        f.arc(0, 1, INF);
        f.arc(1, 2, INF);
        assert!(f.max_flow(0, 2) >= INF);
    }

    #[test]
    fn must_pass_nodes_are_the_dominators() {
        // r -> a -> b -> d, a -> c -> d, d -> e; x is unreachable.
        //   every path to e passes a and d (b and c are alternatives).
        let mut g = DiGraph::<(), ()>::new();
        let [r, a, b, c, d, e, x] = [0, 1, 2, 3, 4, 5, 6];
        for _ in 0..7 {
            g.add_node(());
        }
        for (u, v) in [(r, a), (a, b), (a, c), (b, d), (c, d), (d, e), (e, a)] {
            g.add_edge(NodeIndex::new(u), NodeIndex::new(v), ());
        }
        let m = must_pass(&g, r, &[e, d, b, a, r, x]);
        assert_eq!(m[0], Some(vec![a, d]));
        assert_eq!(m[1], Some(vec![a]));
        assert_eq!(m[2], Some(vec![a]));
        assert_eq!(m[3], Some(vec![]));
        assert_eq!(m[4], Some(vec![]));
        assert_eq!(m[5], None);
    }
}
