//! Tier Zero, and the two deterministic numbers of a what-if: exposure (the share of
//! principals with an attack path to Tier Zero) and impact (the share of assets reachable
//! from one principal). Both are certain reachability on the compiled attack graph under a
//! plan ([`crate::sim::engine::reachable_from`]): every step that could succeed does.

use super::change::is_principal;
use crate::estate::{Estate, NodeId, VirtualKind, bits};
use crate::model::{AssetKind, RelationKind};
use crate::plan::ControlPlan;
use crate::scenario::Scenario;
use crate::sim::TrialState;
use crate::sim::engine::{reachable_from, reachable_set, reaches_watch};
use fixedbitset::FixedBitSet;
use petgraph::Direction;
use petgraph::stable_graph::NodeIndex;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Where the Tier Zero set came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TierZeroSource {
    /// The assets the scenario marks `tier_zero: true`.
    Marked,
    /// The built-in list (no asset is marked).
    BuiltIn,
}

/// BloodHound's Tier Zero groups by well-known RID or SID suffix: Domain Admins (512),
/// Domain Controllers (516), Schema Admins (518), Enterprise Admins (519) and the built-in
/// Administrators (S-1-5-32-544).
const TIER_ZERO_RIDS: [&str; 5] = ["-512", "-516", "-518", "-519", "-544"];

/// The same groups by name (the part before `@`, case-insensitive).
const TIER_ZERO_NAMES: [&str; 5] = [
    "domain admins",
    "domain controllers",
    "schema admins",
    "enterprise admins",
    "administrators",
];

/// Whether `id` is one of BloodHound's well-known Tier Zero SIDs (RIDs 512, 516, 518, 519, 544),
/// domain-prefixed or not (`S-1-5-21-...-512`, `CORP.LOCAL-S-1-5-32-544`).
pub fn is_tier_zero_sid(id: &str) -> bool {
    id.to_uppercase().contains("S-1-5-") && TIER_ZERO_RIDS.iter().any(|r| id.ends_with(r))
}

fn is_tier_zero_group(id: &str, name: &str) -> bool {
    let short = |s: &str| s.split('@').next().unwrap_or("").trim().to_lowercase();
    is_tier_zero_sid(id)
        || TIER_ZERO_NAMES.contains(&short(name).as_str())
        || TIER_ZERO_NAMES.contains(&short(&id.replace(['-', '_'], " ")).as_str())
}

/// The nodes that lead to `roots` through `member_of` (members, nested), roots included.
fn with_members(est: &Estate, roots: &[NodeId]) -> Vec<NodeId> {
    let mut seen = FixedBitSet::with_capacity(est.nodes.len());
    let mut stack: Vec<NodeId> = roots.to_vec();
    let mut out = Vec::new();
    while let Some(n) = stack.pop() {
        if seen.put(n as usize) {
            continue;
        }
        out.push(n);
        for e in est
            .relations
            .edges_directed(NodeIndex::new(n as usize), Direction::Incoming)
        {
            if *e.weight() == RelationKind::MemberOf {
                let src = petgraph::visit::EdgeRef::source(&e);
                stack.push(est.relations[src]);
            }
        }
    }
    out
}

/// The Tier Zero nodes of `est` (compiled from `s`): the assets marked `tier_zero: true`
/// when any is, with the members (direct or nested) of those that are groups; otherwise the built-in list: domain controllers, identity providers, the
/// domain itself (what DCSync yields), identities of `tier: 0`, and BloodHound's Tier Zero
/// groups (Domain Admins, Domain Controllers, Schema Admins, Enterprise Admins,
/// Administrators, by SID suffix or name) with every member, directly or nested.
pub fn tier_zero(s: &Scenario, est: &Estate) -> (FixedBitSet, TierZeroSource) {
    let mut set = FixedBitSet::with_capacity(est.nodes.len());
    let marked: Vec<NodeId> = s
        .assets
        .iter()
        .filter(|a| a.tier_zero)
        .filter_map(|a| est.index.get(&a.id).copied())
        .collect();
    if !marked.is_empty() {
        // A member of a Tier Zero group holds its rights: it is Tier Zero too.
        with_members(est, &marked)
            .iter()
            .for_each(|&n| set.insert(n as usize));
        return (set, TierZeroSource::Marked);
    }
    let mut groups = Vec::new();
    for (i, n) in est.nodes.iter().enumerate() {
        let builtin = match n.virtual_kind {
            Some(v) => v == VirtualKind::Domain,
            None => {
                matches!(
                    n.kind,
                    AssetKind::DomainController | AssetKind::IdentityProvider
                ) || n.kind.is_identity() && n.kind != AssetKind::Group && n.tier == 0
            }
        };
        if builtin {
            set.insert(i);
        }
        if n.virtual_kind.is_none()
            && n.kind == AssetKind::Group
            && is_tier_zero_group(&n.id, &n.name)
        {
            groups.push(i as NodeId);
        }
    }
    for n in with_members(est, &groups) {
        set.insert(n as usize);
    }
    (set, TierZeroSource::BuiltIn)
}

/// A principal's foothold: its credentials (as an insider's: password, signed in), and
/// access to every device holding a session of it or, for a group, of one of its members.
pub fn foothold(est: &Estate, p: NodeId) -> Vec<(NodeId, u8)> {
    let mut seeds = vec![(p, bits::PASSWORD | bits::SIGNED_IN)];
    for who in with_members(est, &[p]) {
        for e in est
            .relations
            .edges_directed(NodeIndex::new(who as usize), Direction::Incoming)
        {
            if *e.weight() == RelationKind::HasSession {
                let dev = est.relations[petgraph::visit::EdgeRef::source(&e)];
                if est.node(dev).kind.is_device() {
                    seeds.push((dev, bits::ACCESS));
                }
            }
        }
    }
    seeds.sort_unstable();
    seeds.dedup();
    seeds
}

/// The principals exposure is about: users, admins, service accounts and guests that are
/// not Tier Zero themselves.
pub fn principals(est: &Estate, t0: &FixedBitSet) -> Vec<NodeId> {
    (0..est.nodes.len() as NodeId)
        .filter(|&n| {
            let node = est.node(n);
            node.virtual_kind.is_none()
                && is_principal(node.kind)
                && node.decoy == 0.0
                && !t0.contains(n as usize)
        })
        .collect()
}

/// Which of `principals` reach a node of `plan.watch` (Tier Zero) from their foothold
/// under `plan`; each search stops at the first.
pub fn exposed(est: &Estate, plan: &ControlPlan, principals: &[NodeId]) -> Vec<bool> {
    principals
        .par_iter()
        .map_init(
            || TrialState::new(est),
            |st, &p| reaches_watch(est, plan, &foothold(est, p), st),
        )
        .collect()
}

/// Where impact is measured from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImpactFrom {
    /// A principal or group, from its [`foothold`].
    Node(NodeId),
    /// The scenario's own attacker: its entry vectors and start assets (what a trial
    /// starts from).
    Attacker,
}

/// The Domain Users group, if the estate has one: SID suffix -513, or "domain users" in
/// its name or id (`-` and `_` read as spaces).
pub fn domain_users(est: &Estate) -> Option<NodeId> {
    let words = |s: &str| s.to_lowercase().replace(['-', '_'], " ");
    (0..est.nodes.len() as NodeId).find(|&n| {
        let node = est.node(n);
        node.virtual_kind.is_none()
            && node.kind == AssetKind::Group
            && (node.id.ends_with("-513")
                || words(&node.name).contains("domain users")
                || words(&node.id).contains("domain users"))
    })
}

/// Assets (those that count in the blast radius) reachable from `from` under `plan`.
pub fn impact(est: &Estate, plan: &ControlPlan, from: &ImpactFrom) -> usize {
    let r = match from {
        ImpactFrom::Node(n) => reachable_from(est, plan, &foothold(est, *n)),
        ImpactFrom::Attacker => reachable_set(est, plan),
    };
    r.ones().filter(|&i| est.nodes[i].counts()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tier_zero_groups_by_rid_and_name() {
        assert!(is_tier_zero_group("S-1-5-21-1-2-3-512", "x"));
        assert!(is_tier_zero_group("CORP-S-1-5-32-544", "x"));
        assert!(is_tier_zero_group("g1", "DOMAIN ADMINS@CORP.LOCAL"));
        assert!(is_tier_zero_group("domain-admins", "da"));
        assert!(!is_tier_zero_group(
            "S-1-5-21-1-2-3-513",
            "DOMAIN USERS@CORP"
        ));
        assert!(!is_tier_zero_group("helpdesk", "Helpdesk"));
        assert!(is_tier_zero_sid("S-1-5-21-1-2-3-516"));
        assert!(is_tier_zero_sid("CORP.LOCAL-S-1-5-32-544"));
        assert!(!is_tier_zero_sid("S-1-5-21-1-2-3-1516"));
        assert!(!is_tier_zero_sid("team-512"));
    }
}
