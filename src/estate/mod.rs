//! The compiled estate: a validated scenario turned into
//! - a node table (assets, segments and a few virtual nodes) indexed by [`NodeId`],
//! - a petgraph graph of the scenario's relations (for paths, export and display),
//! - the attack graph, frozen into offset arrays (CSR) for the engine's hot loop, and
//! - the segment reachability matrix per protocol.
//!
//! It is compiled from the estate's World ([`crate::world`]) by the attack rules
//! ([`crate::rules`]) in [`compile`]: each edge records the rule and the asset or relation
//! that produced it ([`Estate::origins`]). Controls never change this structure;
//! [`crate::plan`] only weights and masks it.

#![deny(clippy::disallowed_methods, clippy::disallowed_macros)] // the core does no I/O

mod compile;
pub mod incremental;
pub mod knowledge;
mod network;

use crate::attacker::Profile;
use crate::model::{AssetKind, RelationKind};
use crate::rules::Origin;
use bevy_ecs::entity::Entity;
use petgraph::stable_graph::StableGraph;

pub use crate::edge::{AttackEdge, INTERNET, NO_SOURCE, Node, NodeId, VirtualKind, bits, flags};

/// How a SOC evicts an intrusion it responded to ([`crate::sim::evict`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Eviction {
    /// Mean hours from the first response until the eviction.
    pub investigation_hours: f64,
    /// Share of the attacker's hosts the investigation finds, each drawn on its own.
    pub scoping: f64,
}

impl Eviction {
    /// Default mean investigation time, hours (an assumption).
    pub const DEFAULT_HOURS: f64 = 24.0;
    /// Default share of the attacker's hosts an investigation finds [assumption, calibrated
    /// to the `evicted-share` figure of data/calibration.yaml: 0.9 left most detected
    /// intrusions with a host missed and never evicted within 30 days].
    pub const DEFAULT_SCOPING: f64 = 0.98;

    /// The eviction a defender section gives: on by default when a SOC responds by hand
    /// (`manual_response_hours`) or investigation hours are given, off when `scoping` is 0.
    pub fn of(d: &crate::scenario::DefenderDef) -> Option<Eviction> {
        let scoping = d.scoping.unwrap_or(Eviction::DEFAULT_SCOPING);
        if scoping <= 0.0 || (d.manual_response_hours.is_none() && d.investigation_hours.is_none())
        {
            return None;
        }
        Some(Eviction {
            investigation_hours: d.investigation_hours.unwrap_or(Eviction::DEFAULT_HOURS),
            scoping: scoping.min(1.0),
        })
    }
}

/// A compiled estate: the node table, the attack graph in CSR form, segment reachability
/// and the attacker. Immutable while trials run; control sets weight it through a
/// [`crate::plan::ControlPlan`].
#[derive(Clone)]
pub struct Estate {
    /// The scenario's name.
    pub name: String,
    /// Every node, indexed by [`NodeId`]: segments (the internet first), assets in scenario
    /// order, then virtual nodes.
    pub nodes: Vec<Node>,
    /// Asset and segment ids to nodes (foldhash: seeded per process, several times faster
    /// than SipHash on a million ids).
    pub index: foldhash::HashMap<String, NodeId>,
    /// Number of segments, the internet included: nodes `0..segment_count` are segments.
    pub segment_count: u32,
    /// Network positions: the segments (`0..segment_count`), then one per host with
    /// firewall rules of its own, whose reach its rules filter.
    pub positions: u32,
    /// Per position, the segment it lies in.
    pub position_segment: Vec<u32>,
    /// reach[from * P + to]: protocol mask allowed from position `from` into `to` (P =
    /// [`Estate::positions`]).
    pub reach: Vec<u8>,
    /// The attack graph's edges, indexed by edge id: each node's out-edges are contiguous
    /// ([`Estate::blocks`]); network edges ([`NO_SOURCE`]) are in no node's block.
    pub edges: Vec<AttackEdge>,
    /// Per node, where its out-edges (source edges only) and its streams are: node n's
    /// out-edges are `edges[blocks[n].start..blocks[n].end]`. A fresh compile lays the
    /// blocks out in node order; an incremental recompile moves a changed node's block to
    /// the end ([`incremental`]), so blocks are ranges rather than prefix offsets.
    pub blocks: Vec<Block>,
    /// Network edges (no source) grouped by their target's segment: segment s's are
    /// `net_edges[net_start[s]..net_start[s + 1]]` (`segment_count + 1` offsets).
    pub net_start: Vec<u32>,
    /// Edge ids of the network edges, in the order `net_start` indexes.
    pub net_edges: Vec<u32>,
    /// Nodes the attacker holds at time zero, with the bits held.
    pub start: Vec<(NodeId, u8)>,
    /// The attacker's objectives: the scenario's, or every crown jewel if it names none.
    pub objectives: Vec<NodeId>,
    /// The attacker profile, resolved (strategy, speed, entry vectors, avoided techniques).
    pub profile: Profile,
    /// The scenario's relations as a graph (authoring view).
    pub relations: StableGraph<NodeId, RelationKind>,
    /// Simulated hours after which a trial ends (later events are censored).
    pub horizon_hours: f64,
    /// Mean hours from a detection to manual containment; `None` means alerts are not acted
    /// on unless a control brings a response.
    pub manual_response_hours: Option<f64>,
    /// Mean hours an alert waits for triage before any response starts.
    pub triage_hours: Option<f64>,
    /// The SOC's investigation and eviction after a responded detection; `None`: none.
    pub eviction: Option<Eviction>,
    /// Number of techniques in the catalog: the length of per-technique metrics.
    pub tech_count: usize,
    /// For an insider without explicit start assets: (identity, its devices) to start from,
    /// one chosen per trial.
    pub insider_pool: Vec<(NodeId, Vec<NodeId>)>,
    /// Objectives as a bitset, for the hot loop.
    pub objective_mask: fixedbitset::FixedBitSet,
    /// Network edges whose target is exposed to the internet: tried from the start (empty
    /// unless the attacker exploits from outside).
    pub exposed_net_edges: Vec<u32>,
    /// Whether the attacker exploits internet-facing assets from outside (entry vector
    /// `exploit_public`): only then does a network step (no source) count a target's
    /// internet exposure as a path to it.
    pub exploit_from_internet: bool,
    /// Each node's attack steps (its out-edges that are not FREE), one [`Stream`] per
    /// distinct `requires`, at `streams[blocks[n].streams..blocks[n].streams_end]`.
    pub streams: Vec<Stream>,
    /// Per edge, its target and the bits it grants, packed: the stream's skip loop reads
    /// these alone, and an 8-byte record misses the cache far less than an [`AttackEdge`].
    pub targets: Vec<EdgeTarget>,
    /// Per edge, the rule and the asset or relation entity it was derived from.
    pub origins: Vec<Origin>,
    /// Per node, the World entity it stands for (`None` for virtual nodes).
    pub entities: Vec<Option<Entity>>,
    /// Per World entity index, its node (`u32::MAX` for none).
    pub node_of: Vec<NodeId>,
    /// The virtual nodes the rules point at.
    pub virtuals: crate::rules::Virtuals,
    /// Identity provider nodes, in node order.
    pub idps: Vec<NodeId>,
    /// The edges each asset or relation entity produced (for incremental recompiles).
    pub anchors: incremental::AnchorIndex,
    /// Edges left behind by incremental recompiles: in no node's block, never tried.
    pub dead: fixedbitset::FixedBitSet,
    /// What the attacker knows from the start and what discovery steps reveal.
    pub knowledge: knowledge::Knowledge,
    /// Per technique, what one try costs the attacker (score units).
    pub tech_cost: Vec<f32>,
    /// Per relation entity: its source and target nodes and kind (names an attack edge's
    /// relation, from its [`Estate::origins`] anchor, in per-relation results).
    pub relation_ends: foldhash::HashMap<Entity, (NodeId, NodeId, RelationKind)>,
}

/// Two ranges of indices, one after the other: a node's block and its extension.
pub type EdgeRanges = std::iter::Chain<std::ops::Range<usize>, std::ops::Range<usize>>;

/// Where one node's out-edges and streams are in the estate's arrays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Block {
    /// Its first out-edge.
    pub start: u32,
    /// Where its FREE out-edges begin, after its attack steps, so that a node gaining bits
    /// looks at those alone and not at all its out-edges (a domain-wide group has thousands).
    pub free: u32,
    /// One past its last out-edge.
    pub end: u32,
    /// Its first stream.
    pub streams: u32,
    /// One past its last stream.
    pub streams_end: u32,
    /// The union of `requires` over its streams: whether new bits can enable an attack step
    /// from it.
    pub requires: u8,
    /// Out-edges an incremental recompile added ([`incremental`]): attack steps at
    /// `ext_start..ext_free`, FREE edges at `ext_free..ext_end`, with their streams at
    /// `ext_streams..ext_streams_end`. Empty after a full compile.
    pub ext_start: u32,
    /// Where the extension's FREE edges begin.
    pub ext_free: u32,
    /// One past the extension's last edge.
    pub ext_end: u32,
    /// The extension's first stream.
    pub ext_streams: u32,
    /// One past the extension's last stream.
    pub ext_streams_end: u32,
}

/// An edge's target and the bits it grants, packed in 8 bytes ([`Estate::targets`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EdgeTarget {
    /// The edge's target node.
    pub dst: NodeId,
    /// The bits it grants on success ([`AttackEdge::grants`]).
    pub grants: u8,
}

/// A contiguous run of one node's attack steps that all require the same bits. A step is
/// usable once its source holds any of them, and holding more changes nothing (only FREE
/// edges copy what the source holds), so a stream is offered once, when its source first
/// holds one of its bits, and never needs restarting when the source gains more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stream {
    /// The node whose attack steps these are.
    pub src: NodeId,
    /// The bits (any of them) every step in the stream requires on `src`.
    pub requires: u8,
    /// Edges `start..end` of [`Estate::edges`].
    pub start: u32,
    /// One past the stream's last edge.
    pub end: u32,
}

impl Stream {
    /// Number of edges in the stream.
    pub fn len(&self) -> u32 {
        self.end - self.start
    }
    /// Whether the stream has no edge.
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

impl Estate {
    /// Node `id`; panics if out of range.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }
    /// Node n's out-edges: its block, then what incremental recompiles added.
    pub fn out_edges(&self, n: NodeId) -> EdgeRanges {
        let b = &self.blocks[n as usize];
        (b.start as usize..b.end as usize).chain(b.ext_start as usize..b.ext_end as usize)
    }
    /// Node n's FREE out-edges.
    pub fn free_out_edges(&self, n: NodeId) -> EdgeRanges {
        let b = &self.blocks[n as usize];
        (b.free as usize..b.end as usize).chain(b.ext_free as usize..b.ext_end as usize)
    }
    /// Indices into [`Estate::streams`] of node n's attack-step streams.
    pub fn node_streams(&self, n: NodeId) -> EdgeRanges {
        let b = &self.blocks[n as usize];
        (b.streams as usize..b.streams_end as usize)
            .chain(b.ext_streams as usize..b.ext_streams_end as usize)
    }
    /// Edge ids of the network edges whose target sits at position `seg`.
    pub fn net_edges_into(&self, seg: u32) -> &[u32] {
        &self.net_edges
            [self.net_start[seg as usize] as usize..self.net_start[seg as usize + 1] as usize]
    }
    /// Protocol mask allowed from position `from` into position `to`, before controls.
    pub fn reach(&self, from: u32, to: u32) -> u8 {
        self.reach[(from * self.positions + to) as usize]
    }
    /// Number of nodes that count in the blast radius ([`Node::counts`]).
    pub fn counted_assets(&self) -> usize {
        self.nodes.iter().filter(|n| n.counts()).count()
    }
    /// Attack edges that are live (not left behind by an incremental recompile).
    pub fn live_edge_count(&self) -> usize {
        self.edges.len() - self.dead.count_ones(..)
    }
}

pub use crate::rules::privilege::privesc_probability;
pub use crate::world::{default_internet_facing, default_os};
pub use compile::{compile, compile_with, compile_world};

/// Lays out node `u`'s block over `edges[start..end]` (sorted: attack steps grouped by what
/// they require, then FREE edges), appending its streams to `streams`.
pub(crate) fn block_of(
    edges: &[AttackEdge],
    u: NodeId,
    start: u32,
    end: u32,
    streams: &mut Vec<Stream>,
) -> Block {
    let mut b = Block {
        start,
        free: end,
        end,
        streams: streams.len() as u32,
        ..Block::default()
    };
    for e in start..end {
        let edge = &edges[e as usize];
        if edge.has(flags::FREE) {
            b.free = e;
            break;
        }
        debug_assert!(!edge.has(flags::COPY), "only FREE edges copy bits");
        b.requires |= edge.requires;
        match streams.last_mut() {
            // A discovery step gets a stream of its own, so that the attacker can run it
            // first (see `engine::edge_key`).
            Some(s)
                if s.src == u
                    && s.requires == edge.requires
                    && s.end == e
                    && edges[s.start as usize].has(flags::SCAN) == edge.has(flags::SCAN) =>
            {
                s.end = e + 1
            }
            _ => streams.push(Stream {
                src: u,
                requires: edge.requires,
                start: e,
                end: e + 1,
            }),
        }
    }
    b.streams_end = streams.len() as u32;
    b
}

/// A plain, serializable picture of the estate for reports, plots and exports: its assets
/// (with segment and pillar) and the scenario's relations.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct EstateView {
    /// The scenario's name.
    pub name: String,
    /// The real assets and segments, in node order (no virtual nodes).
    pub assets: Vec<AssetView>,
    /// The scenario's relations.
    pub relations: Vec<RelationView>,
}

/// One asset or segment of an [`EstateView`].
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct AssetView {
    /// The scenario id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Asset kind (`segment` for segments).
    pub kind: AssetKind,
    /// The Zero Trust pillar of its kind.
    pub pillar: crate::model::Pillar,
    /// The segment's id: `internet` for cloud-hosted assets (and mailboxes) placed in no
    /// segment, empty for other assets placed in none (identities, credentials, and
    /// on-prem assets the scenario left unplaced). A segment's own id for a segment.
    pub segment: String,
    /// Whether it is a crown jewel.
    pub crown_jewel: bool,
    /// Business value ([`Node::value`]).
    pub value: f64,
    /// Privilege tier ([`Node::tier`]).
    pub tier: u8,
}

/// One scenario relation of an [`EstateView`], between asset ids.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct RelationView {
    /// Id of the asset the relation goes from.
    pub from: String,
    /// Id of the asset it goes to.
    pub to: String,
    /// The relation's kind (`type` in the serialized form).
    #[serde(rename = "type")]
    pub kind: RelationKind,
}

impl Estate {
    /// Where [`AssetView::segment`] says a node sits: its segment, `internet` for what the
    /// internet hosts (cloud-hosted kinds, mailboxes), or empty for a node in no segment.
    fn placement(&self, n: &Node) -> String {
        let on_internet = n.segment == INTERNET && n.kind != AssetKind::Segment;
        if on_internet && !(n.kind.cloud_hosted() || n.kind == AssetKind::Mailbox) {
            String::new()
        } else {
            self.nodes[n.segment as usize].id.clone()
        }
    }

    /// The estate as a plain [`EstateView`]: real assets and segments, and the relations.
    pub fn view(&self) -> EstateView {
        let assets = self
            .nodes
            .iter()
            .filter(|n| n.virtual_kind.is_none())
            .map(|n| AssetView {
                id: n.id.clone(),
                name: n.name.clone(),
                kind: n.kind,
                pillar: n.kind.pillar(),
                segment: self.placement(n),
                crown_jewel: n.crown_jewel,
                value: n.value,
                tier: n.tier,
            })
            .collect();
        let relations = self
            .relations
            .edge_indices()
            .filter_map(|e| {
                let (a, b) = self.relations.edge_endpoints(e)?;
                Some(RelationView {
                    from: self.nodes[self.relations[a] as usize].id.clone(),
                    to: self.nodes[self.relations[b] as usize].id.clone(),
                    kind: self.relations[e],
                })
            })
            .collect();
        EstateView {
            name: self.name.clone(),
            assets,
            relations,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::techniques::TimeDist;

    fn edge(src: NodeId, dst: NodeId, requires: u8, fl: u8) -> AttackEdge {
        AttackEdge {
            src,
            dst,
            at: dst,
            tech: 0,
            requires,
            grants: bits::ACCESS,
            proto: 0,
            cred: None,
            relation: None,
            flags: fl,
            p: 1.0,
            mean_hours: 1.0,
            noise: 0.0,
            dist: TimeDist::Exponential,
            sigma: 0.0,
        }
    }

    #[test]
    fn streams_group_steps_by_what_they_require_and_leave_free_edges_out() {
        let mut edges = vec![
            edge(0, 1, bits::CRED, flags::FREE | flags::COPY),
            edge(0, 2, bits::ADMIN, 0),
            edge(0, 3, bits::ACCESS, 0),
            edge(0, 4, bits::ADMIN, 0),
            edge(2, 0, bits::PASSWORD, 0),
        ];
        edges.sort_by_key(|e| (e.src, e.has(flags::FREE), e.requires));
        let mut streams = Vec::new();
        let b0 = block_of(&edges, 0, 0, 4, &mut streams);
        let b1 = block_of(&edges, 1, 4, 4, &mut streams);
        let b2 = block_of(&edges, 2, 4, 5, &mut streams);
        // Node 0: one ACCESS step, two ADMIN steps (derivation order kept), then its FREE edge.
        assert_eq!((b0.streams, b0.streams_end), (0, 2));
        assert_eq!(
            (streams[0].requires, streams[0].start, streams[0].end),
            (bits::ACCESS, 0, 1)
        );
        assert_eq!(
            (streams[1].requires, streams[1].start, streams[1].end),
            (bits::ADMIN, 1, 3)
        );
        assert_eq!((edges[1].dst, edges[2].dst), (2, 4));
        assert_eq!(b0.free, 3);
        assert!(edges[3].has(flags::FREE));
        assert_eq!(b0.requires, bits::ACCESS | bits::ADMIN);
        // Node 2 has one step and no FREE edge; node 1 has nothing.
        assert_eq!((streams[2].src, streams[2].start, b2.free), (2, 4, 5));
        assert_eq!((b1.requires, b1.streams, b1.streams_end), (0, 2, 2));
    }
}
