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

use crate::attacker::Profile;
use crate::controls::Credential;
use crate::model::{AssetKind, MfaStrength, RelationKind};
use crate::rules::Origin;
use crate::techniques::{TechId, TimeDist};
use bevy_ecs::entity::Entity;
use petgraph::stable_graph::StableGraph;

pub type NodeId = u32;
/// Marks a network edge: it has no source node, only a reachability condition.
pub const NO_SOURCE: NodeId = u32::MAX;
/// The internet segment, where the attacker starts.
pub const INTERNET: NodeId = 0;

/// State bits an attacker holds on a node.
pub mod bits {
    /// Code execution or use (user level on a device, a role on an app, read on data).
    pub const ACCESS: u8 = 1;
    /// Administrator or SYSTEM.
    pub const ADMIN: u8 = 2;
    pub const PASSWORD: u8 = 4;
    pub const HASH: u8 = 8;
    pub const TOKEN: u8 = 16;
    /// Signed in at the identity provider (passed its policy).
    pub const SIGNED_IN: u8 = 32;
    /// Data copied out.
    pub const EXFIL: u8 = 64;
    /// Encrypted (devices, T1486) or destroyed (backups, T1490).
    pub const IMPACT: u8 = 128;
    pub const CRED: u8 = PASSWORD | HASH | TOKEN | SIGNED_IN;
}

pub mod flags {
    /// Zero-time, certain, silent step (group membership, code running on its host).
    pub const FREE: u8 = 1;
    /// Grants the bits its source holds (group membership) instead of fixed bits.
    pub const COPY: u8 = 2;
    /// Uses a privileged right (admin_to, tier 0/1 identity).
    pub const PRIVILEGED: u8 = 4;
    /// The right is eligible (just in time), not standing.
    pub const ELIGIBLE: u8 = 8;
    /// Pass-the-hash with the shared local administrator password.
    pub const SHARED_LOCAL_ADMIN: u8 = 16;
    /// Passes a policy enforcement point.
    pub const PEP: u8 = 32;
    /// Left behind by an incremental recompile: in no block, never tried.
    pub const DEAD: u8 = 64;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VirtualKind {
    /// An Active Directory domain: DCSync on its DC yields every member's hash.
    Domain,
    /// An asset an edit removed: kept as a tombstone so that node ids stay stable.
    Removed,
    /// "Any authenticated domain user": the foothold for Kerberoasting.
    DomainUser,
    /// The local administrator password shared by devices without LAPS.
    SharedLocalAdmin,
}

#[derive(Clone, Debug)]
pub struct Node {
    pub id: String,
    pub name: String,
    pub kind: AssetKind,
    pub virtual_kind: Option<VirtualKind>,
    /// Segment index (== the segment's NodeId); 0 is the internet.
    pub segment: u32,
    pub value: f64,
    pub records: u64,
    pub crown_jewel: bool,
    pub tier: u8,
    pub tags: Vec<String>,
    pub mfa: MfaStrength,
    /// Protocols reachable from the internet on this node alone.
    pub exposed: u8,
    pub edr: bool,
    /// A managed, compliant device (a policy signal when the attacker signs in from it).
    pub compliant: bool,
    /// Index into the scenario's assets, for real assets.
    pub asset: Option<usize>,
}

impl Node {
    pub fn counts(&self) -> bool {
        self.virtual_kind.is_none() && self.kind.counts_in_blast_radius() && self.id != "internet"
    }
}

#[derive(Clone, Copy, Debug)]
pub struct AttackEdge {
    pub src: NodeId,
    pub dst: NodeId,
    pub tech: TechId,
    /// Any of these bits on the source enables the edge.
    pub requires: u8,
    pub grants: u8,
    /// The target must be reachable on one of these protocols; 0 means no network check.
    pub proto: u8,
    pub cred: Option<Credential>,
    pub relation: Option<RelationKind>,
    pub flags: u8,
    /// Base success probability, before controls.
    pub p: f32,
    pub mean_hours: f32,
    pub noise: f32,
    pub dist: TimeDist,
    pub sigma: f32,
}

impl AttackEdge {
    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

#[derive(Clone)]
pub struct Estate {
    pub name: String,
    pub nodes: Vec<Node>,
    /// Asset and segment ids to nodes (foldhash: seeded per process, several times faster
    /// than SipHash on a million ids).
    pub index: foldhash::HashMap<String, NodeId>,
    pub segment_count: u32,
    /// reach[from * S + to]: protocol mask allowed from segment `from` into `to`.
    pub reach: Vec<u8>,
    pub edges: Vec<AttackEdge>,
    /// Per node, where its out-edges (source edges only) and its streams are: node n's
    /// out-edges are `edges[blocks[n].start..blocks[n].end]`. A fresh compile lays the
    /// blocks out in node order; an incremental recompile moves a changed node's block to
    /// the end ([`incremental`]), so blocks are ranges rather than prefix offsets.
    pub blocks: Vec<Block>,
    /// Network edges (no source) grouped by their target's segment.
    pub net_start: Vec<u32>,
    pub net_edges: Vec<u32>,
    /// Nodes the attacker holds at time zero, with the bits held.
    pub start: Vec<(NodeId, u8)>,
    pub objectives: Vec<NodeId>,
    pub profile: Profile,
    /// The scenario's relations as a graph (authoring view).
    pub relations: StableGraph<NodeId, RelationKind>,
    pub horizon_hours: f64,
    pub manual_response_hours: Option<f64>,
    /// Mean hours an alert waits for triage before any response starts.
    pub triage_hours: Option<f64>,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EdgeTarget {
    pub dst: NodeId,
    pub grants: u8,
}

/// A contiguous run of one node's attack steps that all require the same bits. A step is
/// usable once its source holds any of them, and holding more changes nothing (only FREE
/// edges copy what the source holds), so a stream is offered once, when its source first
/// holds one of its bits, and never needs restarting when the source gains more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stream {
    pub src: NodeId,
    pub requires: u8,
    /// Edges `start..end` of [`Estate::edges`].
    pub start: u32,
    pub end: u32,
}

impl Stream {
    pub fn len(&self) -> u32 {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

impl Estate {
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
    pub fn net_edges_into(&self, seg: u32) -> &[u32] {
        &self.net_edges
            [self.net_start[seg as usize] as usize..self.net_start[seg as usize + 1] as usize]
    }
    pub fn reach(&self, from: u32, to: u32) -> u8 {
        self.reach[(from * self.segment_count + to) as usize]
    }
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
            Some(s) if s.src == u && s.requires == edge.requires && s.end == e => s.end = e + 1,
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
    pub name: String,
    pub assets: Vec<AssetView>,
    pub relations: Vec<RelationView>,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct AssetView {
    pub id: String,
    pub name: String,
    pub kind: AssetKind,
    pub pillar: crate::model::Pillar,
    /// The segment's id (`internet` for cloud-hosted assets).
    pub segment: String,
    pub crown_jewel: bool,
    pub value: f64,
    pub tier: u8,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct RelationView {
    pub from: String,
    pub to: String,
    #[serde(rename = "type")]
    pub kind: RelationKind,
}

impl Estate {
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
                segment: self.nodes[n.segment as usize].id.clone(),
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

    fn edge(src: NodeId, dst: NodeId, requires: u8, fl: u8) -> AttackEdge {
        AttackEdge {
            src,
            dst,
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
