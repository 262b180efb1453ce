//! What the attacker knows of the estate before it looks, and what each discovery step
//! reveals: the public nodes, a segment's assets (a network scan, T1046), a directory's
//! computers (enumeration, T1087.002). The engine keeps the rest of a trial's knowledge.

use super::{Estate, NodeId, VirtualKind};
use crate::model::{AssetKind, Os};
use crate::world::{Device, Domain, EstateWorld};
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
    /// What a discovery step into node n reveals:
    /// `reveals[reveals_start[n]..reveals_start[n + 1]]`.
    pub reveals_start: Vec<u32>,
    /// The revealed nodes, grouped by the node whose discovery reveals them.
    pub reveals: Vec<NodeId>,
}

impl Knowledge {
    /// The nodes a discovery step into `n` reveals.
    pub fn revealed_by(&self, n: NodeId) -> &[NodeId] {
        let n = n as usize;
        match (self.reveals_start.get(n), self.reveals_start.get(n + 1)) {
            (Some(&a), Some(&b)) => &self.reveals[a as usize..b as usize],
            _ => &[],
        }
    }

    /// Whether node `n` counts towards `discovered`: a real asset that counts in the blast
    /// radius and is not an identity.
    pub fn counts(est: &Estate, n: NodeId) -> bool {
        let node = &est.nodes[n as usize];
        node.counts() && !node.kind.is_identity() && node.kind != AssetKind::Segment
    }
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
    directory_reveals(est, w, &mut groups);
    groups.sort_unstable();
    let mut reveals_start = vec![0u32; n + 1];
    for &(k, _) in &groups {
        reveals_start[k as usize + 1] += 1;
    }
    for i in 0..n {
        reveals_start[i + 1] += reveals_start[i];
    }
    Knowledge {
        public,
        public_assets,
        assets,
        reveals_start,
        reveals: groups.into_iter().map(|(_, v)| v).collect(),
    }
}

/// A directory reveals its domain's controllers and the domain-joined computers: managed
/// Windows devices (one domain each when there is one, else every domain).
fn directory_reveals(est: &Estate, w: &EstateWorld, groups: &mut Vec<(NodeId, NodeId)>) {
    let domains: Vec<(&str, NodeId)> = est
        .virtuals
        .domains
        .iter()
        .map(|(k, &(d, _))| (k.as_str(), d))
        .filter(|&(_, d)| est.nodes[d as usize].virtual_kind == Some(VirtualKind::Domain))
        .collect();
    for (i, node) in est.nodes.iter().enumerate() {
        let Some(e) = est.entities.get(i).copied().flatten() else {
            continue;
        };
        let er = w.world.entity(e);
        if node.kind == AssetKind::DomainController {
            let key = er.get::<Domain>().map(|d| d.0.as_str()).unwrap_or("");
            if let Some(&(_, d)) = domains.iter().find(|(k, _)| *k == key) {
                groups.push((d, i as NodeId));
            }
        } else if er
            .get::<Device>()
            .is_some_and(|d| d.managed && d.os == Os::Windows)
        {
            for &(_, d) in &domains {
                groups.push((d, i as NodeId));
            }
        }
    }
}
