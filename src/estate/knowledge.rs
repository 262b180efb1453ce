//! What the attacker knows of the estate before it looks, and what each discovery step
//! reveals: the public nodes, a segment's assets (a network scan, T1046), the directory's
//! computers (enumeration, T1087.002), and what each node points at (its references). The
//! engine keeps a trial's knowledge as what it swept (segments, the directory) plus the
//! nodes it learnt of one by one, so that a sweep costs one bit, not one per asset.

use super::{Estate, NodeId};
use crate::model::{AssetKind, Os};
use crate::world::{Device, EstateWorld};
use fixedbitset::FixedBitSet;

/// The estate's discovery data.
#[derive(Clone, Debug, Default)]
pub struct Knowledge {
    /// Nodes known from the start: public assets, segments, identities (network steps
    /// never target them) and virtual nodes.
    pub public: FixedBitSet,
    /// Public nodes that count in the blast radius and are not identities: the starting
    /// value of a trial's `discovered` count.
    pub public_assets: u32,
    /// All such nodes, public or not: what an attacker that does not discover knows.
    pub assets: u32,
    /// The assets placed in each segment (what a scan of segment n reveals):
    /// `reveals[reveals_start[n]..reveals_start[n + 1]]`.
    pub reveals_start: Vec<u32>,
    /// The revealed nodes, grouped by segment.
    pub reveals: Vec<NodeId>,
    /// What enumerating a directory lists: domain controllers and managed Windows computers.
    pub in_directory: FixedBitSet,
    /// Those nodes, in node order (for counting at the end of a trial).
    pub directory: Vec<NodeId>,
    /// What each node points at, that a network step may need to know:
    /// `refs[refs_start[n]..refs_start[n + 1]]`.
    pub refs_start: Vec<u32>,
    /// The referenced nodes, grouped by the referring node.
    pub refs: Vec<NodeId>,
    /// Nodes whose edges an incremental recompile changed: their references are read from
    /// their edges rather than from `refs`.
    pub stale: FixedBitSet,
    /// Per segment: its assets that count towards `discovered` and are not public (what a
    /// sweep adds), and how many of them the directory lists too.
    pub segment_unknown: Vec<u32>,
    /// The same per segment, for the directory's nodes only.
    pub segment_listed: Vec<u32>,
    /// Per node, its segment (a compact copy of `Node::segment` for the engine's checks).
    pub segment: Vec<u32>,
    /// Nodes that count towards `discovered` ([`Knowledge::counts`]).
    pub countable: FixedBitSet,
}

impl Knowledge {
    /// The assets a scan of segment `n` reveals.
    pub fn revealed_by(&self, n: NodeId) -> &[NodeId] {
        csr(&self.reveals_start, &self.reveals, n)
    }

    /// The nodes that holding `n` reveals (not public ones).
    pub fn references(&self, n: NodeId) -> &[NodeId] {
        csr(&self.refs_start, &self.refs, n)
    }

    /// Whether node `n` counts towards `discovered`: a real asset that counts in the blast
    /// radius and is not an identity.
    pub fn counts(est: &Estate, n: NodeId) -> bool {
        let node = &est.nodes[n as usize];
        node.counts() && !node.kind.is_identity() && node.kind != AssetKind::Segment
    }
}

fn csr<'a>(start: &[u32], items: &'a [NodeId], n: NodeId) -> &'a [NodeId] {
    let n = n as usize;
    match (start.get(n), start.get(n + 1)) {
        (Some(&a), Some(&b)) => &items[a as usize..b as usize],
        _ => &[],
    }
}

/// Groups (key, value) pairs into offsets and values over `n` keys.
fn group(mut pairs: Vec<(NodeId, NodeId)>, n: usize) -> (Vec<u32>, Vec<NodeId>) {
    pairs.sort_unstable();
    pairs.dedup();
    let mut start = vec![0u32; n + 1];
    for &(k, _) in &pairs {
        start[k as usize + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    (start, pairs.into_iter().map(|(_, v)| v).collect())
}

/// Builds the discovery data from the compiled nodes and the World.
pub(crate) fn build(est: &Estate, w: &EstateWorld) -> Knowledge {
    let n = est.nodes.len();
    let mut public = FixedBitSet::with_capacity(n);
    let mut public_assets = 0;
    let mut assets = 0;
    let mut groups: Vec<(NodeId, NodeId)> = Vec::new();
    for (i, node) in est.nodes.iter().enumerate() {
        let real_asset = node.virtual_kind.is_none() && node.kind != AssetKind::Segment;
        if Knowledge::counts(est, i as NodeId) {
            assets += 1;
        }
        if !real_asset || node.public || node.kind.is_identity() {
            public.insert(i);
            if Knowledge::counts(est, i as NodeId) {
                public_assets += 1;
            }
        }
        if real_asset && !node.kind.is_identity() && node.segment != super::INTERNET {
            groups.push((node.segment, i as NodeId));
        }
    }
    let (reveals_start, reveals) = group(groups, n);
    let directory = directory_nodes(est, w);
    let mut in_directory = FixedBitSet::with_capacity(n);
    for &d in &directory {
        in_directory.insert(d as usize);
    }
    let s_us = est.segment_count as usize;
    let (mut segment_unknown, mut segment_listed) = (vec![0u32; s_us], vec![0u32; s_us]);
    let mut countable = FixedBitSet::with_capacity(n);
    for i in 0..n {
        if Knowledge::counts(est, i as NodeId) {
            countable.insert(i);
        }
    }
    for (i, node) in est.nodes.iter().enumerate() {
        if !public.contains(i) && countable.contains(i) {
            segment_unknown[node.segment as usize] += 1;
            if in_directory.contains(i) {
                segment_listed[node.segment as usize] += 1;
            }
        }
    }
    Knowledge {
        public,
        public_assets,
        assets,
        reveals_start,
        reveals,
        in_directory,
        directory,
        refs_start: Vec::new(),
        refs: Vec::new(),
        stale: FixedBitSet::with_capacity(n),
        segment_unknown,
        segment_listed,
        segment: est.nodes.iter().map(|x| x.segment).collect(),
        countable,
    }
}

/// Builds everything, references included (a full compile).
pub(crate) fn build_all(est: &Estate, w: &EstateWorld) -> Knowledge {
    let mut k = build(est, w);
    // References: the node each edge of a real asset needs to reach, if it is not public,
    // by source. Virtual nodes (a domain, "any domain user", the shared local administrator
    // hash) are no place where a reference is found, and neither are groups: where a group
    // grants rights is read from the directory (its listing reveals the computers).
    let refs: Vec<(NodeId, NodeId)> = est
        .edges
        .iter()
        .filter(|e| e.src != super::NO_SOURCE && e.src != super::INTERNET)
        .filter(|e| {
            let src = &est.nodes[e.src as usize];
            src.virtual_kind.is_none() && src.kind != AssetKind::Group
        })
        .filter(|e| !k.public.contains(e.at as usize))
        .map(|e| (e.src, e.at))
        .collect();
    (k.refs_start, k.refs) = group(refs, est.nodes.len());
    k
}

/// After an incremental recompile: the node-level data rebuilt when nodes changed, the
/// references kept, and the sources whose edges changed marked stale.
pub(crate) fn refresh(est: &mut Estate, w: &EstateWorld, nodes_changed: bool, sources: &[NodeId]) {
    if nodes_changed {
        let mut k = build(est, w);
        k.refs_start = std::mem::take(&mut est.knowledge.refs_start);
        k.refs = std::mem::take(&mut est.knowledge.refs);
        k.stale = std::mem::take(&mut est.knowledge.stale);
        est.knowledge = k;
    }
    let k = &mut est.knowledge;
    k.stale.grow(est.nodes.len());
    for &u in sources {
        if (u as usize) < est.nodes.len() {
            k.stale.insert(u as usize);
        }
    }
}

/// What a directory lists: its domain controllers and the domain-joined computers (managed
/// Windows devices). One listing stands for every domain of the estate: trusts let a
/// domain user read the others.
fn directory_nodes(est: &Estate, w: &EstateWorld) -> Vec<NodeId> {
    if est.virtuals.domains.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, node) in est.nodes.iter().enumerate() {
        let Some(e) = est.entities.get(i).copied().flatten() else {
            continue;
        };
        let listed = node.kind == AssetKind::DomainController
            || w.world
                .get::<Device>(e)
                .is_some_and(|d| d.managed && d.os == Os::Windows);
        if listed {
            out.push(i as NodeId);
        }
    }
    out
}
