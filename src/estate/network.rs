//! Network positions: where a foothold stands and what it reaches. A position is a segment,
//! or a host with firewall rules of its own (`firewall:`): such a host reaches what its
//! segment reaches as far as its egress rules let it, and is reached as its segment is as
//! far as its ingress rules let in. Rules match the peer's segment and protocol classes
//! (named services; other ports share the class `other`); the first match wins, then the
//! direction's default (allow unless stated).

use super::Node;
use crate::model::{Protocol, Service};
use crate::scenario::{FirewallAction, FirewallRule};
use crate::world::{EstateWorld, Firewall};
use bevy_ecs::entity::Entity;

/// Gives every host with firewall rules a position after the segments (in node order) and
/// returns the segment of each position.
pub(crate) fn assign_positions(
    w: &EstateWorld,
    nodes: &mut [Node],
    entities: &[Option<Entity>],
) -> Vec<u32> {
    let mut position_segment: Vec<u32> = (0..w.index().segments.len() as u32).collect();
    for (i, node) in nodes.iter_mut().enumerate() {
        let walled = entities
            .get(i)
            .copied()
            .flatten()
            .is_some_and(|e| w.world.get::<Firewall>(e).is_some());
        if walled && node.virtual_kind.is_none() {
            node.net = position_segment.len() as u32;
            position_segment.push(node.segment);
        }
    }
    position_segment
}

/// The reach between positions, from the reach between segments (`seg_reach`, S x S).
pub(crate) fn position_reach(
    w: &EstateWorld,
    nodes: &[Node],
    entities: &[Option<Entity>],
    position_segment: &[u32],
    seg_reach: &[u8],
) -> Vec<u8> {
    let s = w.index().segments.len();
    let p = position_segment.len();
    if p == s {
        return seg_reach.to_vec();
    }
    let mut walls: Vec<Option<&Firewall>> = vec![None; p];
    for (i, node) in nodes.iter().enumerate() {
        if node.net as usize >= s
            && let Some(e) = entities.get(i).copied().flatten()
        {
            walls[node.net as usize] = w.world.get::<Firewall>(e);
        }
    }
    let seg_id = |k: u32| nodes[k as usize].id.as_str();
    let mut reach = vec![0u8; p * p];
    for from in 0..p {
        for to in 0..p {
            let (fs, ts) = (position_segment[from], position_segment[to]);
            let mut m = seg_reach[fs as usize * s + ts as usize];
            if let Some(f) = walls[from] {
                m &= allowed(&f.0.egress, f.0.egress_default, seg_id(ts));
            }
            if let Some(f) = walls[to] {
                m &= allowed(&f.0.ingress, f.0.ingress_default, seg_id(fs));
            }
            reach[from * p + to] = m;
        }
    }
    reach
}

/// The protocols rules let through to or from a peer in segment `peer`.
pub(crate) fn allowed(rules: &[FirewallRule], default: Option<FirewallAction>, peer: &str) -> u8 {
    let mut mask = 0;
    for bit in 0..7 {
        let class = 1u8 << bit;
        let action = rules
            .iter()
            .find(|r| peer_matches(r, peer) && services_match(r, class))
            .map_or(default.unwrap_or(FirewallAction::Allow), |r| r.action);
        if action == FirewallAction::Allow {
            mask |= class;
        }
    }
    mask & Protocol::Any.mask()
}

fn peer_matches(r: &FirewallRule, peer: &str) -> bool {
    r.peer.as_deref().is_none_or(|x| x == "any" || x == peer)
}

fn services_match(r: &FirewallRule, class: u8) -> bool {
    r.services.is_empty()
        || r.services
            .iter()
            .any(|s| s == "any" || Service::parse(s).is_ok_and(|x| x.protocol.mask() & class != 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(action: FirewallAction, peer: Option<&str>, services: &[&str]) -> FirewallRule {
        FirewallRule {
            action,
            peer: peer.map(str::to_string),
            services: services.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn first_match_wins_then_the_default() {
        use FirewallAction::*;
        let ssh = Protocol::Ssh.mask();
        let https = Protocol::Https.mask();
        let rules = [
            rule(Allow, Some("mgmt"), &["ssh"]),
            rule(Deny, None, &["ssh"]),
        ];
        assert_eq!(allowed(&rules, None, "mgmt") & ssh, ssh);
        assert_eq!(allowed(&rules, None, "lan") & ssh, 0);
        assert_eq!(allowed(&rules, None, "lan") & https, https);
        assert_eq!(allowed(&rules, Some(Deny), "lan"), 0);
        assert_eq!(
            allowed(&[rule(Allow, None, &["tcp:443"])], Some(Deny), "x"),
            https
        );
    }
}
