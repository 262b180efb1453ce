//! What a rare-event estimate is about: `crown-jewel`, `asset:ID`, `tier-zero` or
//! `blast>=K`, parsed from the command line, resolved against an estate into the plan's
//! `watch` set (or a blast-radius threshold), the progress score that splitting and the
//! cross-entropy method climb, and the certain-attacker check that answers an
//! unreachable target with an exact 0 at once.

use crate::error::{Error, Result};
use crate::estate::{Estate, NO_SOURCE, NodeId};
use crate::plan::ControlPlan;
use crate::scenario::Scenario;
use crate::sim::{Halt, TrialState};
use fixedbitset::FixedBitSet;
use serde::Serialize;

/// The event whose probability is estimated, as named on the command line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Target {
    /// Any crown jewel compromised.
    CrownJewel,
    /// The asset with this id compromised.
    Asset(String),
    /// Any Tier Zero node compromised (marked, else the built-in list; see
    /// [`crate::whatif::tier_zero`]).
    TierZero,
    /// At least this many assets compromised (the blast radius).
    BlastAtLeast(u32),
}

/// The forms a target may take, for messages.
pub const TARGET_FORMS: &str =
    "crown-jewel, asset:ID, tier-zero or blast>=K (K a whole number of at least 1)";

impl Target {
    /// Parses `crown-jewel`, `asset:ID`, `tier-zero` or `blast>=K`.
    pub fn parse(s: &str) -> Result<Target> {
        let s = s.trim();
        let bad =
            |why: &str| Error::Usage(format!("--target `{s}`: {why}; a target is {TARGET_FORMS}"));
        match s {
            "crown-jewel" => return Ok(Target::CrownJewel),
            "tier-zero" => return Ok(Target::TierZero),
            _ => {}
        }
        if let Some(id) = s.strip_prefix("asset:") {
            if id.is_empty() {
                return Err(bad("no asset id after `asset:`"));
            }
            return Ok(Target::Asset(id.to_string()));
        }
        if let Some(k) = s.strip_prefix("blast>=") {
            return match k.trim().parse::<u32>() {
                Ok(k) if k >= 1 => Ok(Target::BlastAtLeast(k)),
                _ => Err(bad("K must be a whole number of at least 1")),
            };
        }
        let hint = crate::suggest::did_you_mean_hint(s, ["crown-jewel", "tier-zero"])
            .map(|h| format!(" ({h})"))
            .unwrap_or_default();
        Err(bad(&format!("unknown target{hint}")))
    }

    /// The target as the user writes it.
    pub fn label(&self) -> String {
        match self {
            Target::CrownJewel => "crown-jewel".into(),
            Target::Asset(id) => format!("asset:{id}"),
            Target::TierZero => "tier-zero".into(),
            Target::BlastAtLeast(k) => format!("blast>={k}"),
        }
    }
}

/// A target resolved against an estate.
#[derive(Clone, Debug)]
pub enum Goal {
    /// Any node of the set compromised.
    Nodes(FixedBitSet),
    /// At least this many counted assets compromised.
    Blast(u32),
}

impl Target {
    /// The target's nodes in `est` (compiled from `scenario`), or its threshold. An asset
    /// id that does not exist, or a scenario without crown jewels, is a usage error.
    pub fn resolve(&self, scenario: &Scenario, est: &Estate) -> Result<Goal> {
        let mut set = FixedBitSet::with_capacity(est.nodes.len());
        match self {
            Target::CrownJewel => {
                est.nodes
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| n.crown_jewel && n.counts())
                    .for_each(|(i, _)| set.insert(i));
                if set.is_clear() {
                    return Err(Error::Usage(
                        "--target crown-jewel: the scenario marks no asset `crown_jewel: true`"
                            .into(),
                    ));
                }
            }
            Target::Asset(id) => match est.index.get(id) {
                Some(&n) => set.insert(n as usize),
                None => {
                    let hint =
                        crate::suggest::did_you_mean_hint(id, est.index.keys().map(String::as_str))
                            .map(|h| format!(" ({h})"))
                            .unwrap_or_default();
                    return Err(Error::Usage(format!(
                        "--target asset:{id}: no asset or segment `{id}` in the scenario{hint}"
                    )));
                }
            },
            Target::TierZero => {
                set = crate::whatif::tier_zero(scenario, est).0;
                if set.is_clear() {
                    return Err(Error::Usage(
                        "--target tier-zero: the scenario has no Tier Zero asset (none marked `tier_zero: true`, and no domain controller, identity provider, tier-0 identity or Tier Zero group)".into(),
                    ));
                }
            }
            Target::BlastAtLeast(k) => return Ok(Goal::Blast(*k)),
        }
        Ok(Goal::Nodes(set))
    }
}

impl Goal {
    /// Why the target cannot happen under `plan` even if every attack step succeeded (the
    /// certain attacker of [`crate::sim::engine::reachable_set`]); `None` when it can.
    pub fn unreachable_reason(&self, est: &Estate, plan: &ControlPlan) -> Option<String> {
        let reach = crate::sim::engine::reachable_set(est, plan);
        match self {
            Goal::Nodes(set) => (!set.ones().any(|n| reach.contains(n))).then(|| {
                format!(
                    "no attack path reaches the target under `{}`: even if every attack step succeeded, none of its {} node(s) could be compromised",
                    plan.name,
                    set.count_ones(..)
                )
            }),
            Goal::Blast(k) => {
                let most = reach.ones().filter(|&n| est.nodes[n].counts()).count();
                (most < *k as usize).then(|| {
                    format!(
                        "at most {most} asset(s) can be compromised under `{}` even if every attack step succeeded, fewer than {k}",
                        plan.name
                    )
                })
            }
        }
    }

    /// The plan to estimate on: `plan` watching the target's nodes, with the distances
    /// that score a trial's progress ([`Goal::score`]).
    pub fn watching(&self, est: &Estate, plan: &ControlPlan) -> ControlPlan {
        let mut p = plan.clone();
        if let Goal::Nodes(set) = self {
            p.watch = set.clone();
            p.watch_dist = distances_to(est, plan, set);
        }
        p
    }

    /// The highest progress score: reached exactly when the target happened.
    pub fn max_score(&self, plan: &ControlPlan) -> u32 {
        match self {
            Goal::Nodes(_) => longest(plan) + 1,
            Goal::Blast(k) => *k,
        }
    }

    /// The progress a trial made: for a node target, the highest score minus the fewest
    /// steps left from what it compromised (0 when nothing leads there); for a blast
    /// target, the assets compromised (at most K). The highest score only on the target.
    pub fn score(&self, plan: &ControlPlan, st: &TrialState) -> u32 {
        match self {
            Goal::Nodes(_) => {
                let top = longest(plan) + 1;
                if st.m.watch_at.is_some() {
                    top
                } else {
                    top - st.best_dist.clamp(1, top)
                }
            }
            Goal::Blast(k) => st.m.compromised.min(*k),
        }
    }

    /// Whether the trial in `st` reached the target.
    pub fn hit(&self, st: &TrialState) -> bool {
        match self {
            Goal::Nodes(_) => st.m.watch_at.is_some(),
            Goal::Blast(k) => st.m.compromised >= *k,
        }
    }

    /// Where a trial may stop: once its score is above `z` (`None`: once it hit).
    pub fn halt_above(&self, plan: &ControlPlan, z: Option<u32>) -> Halt {
        let top = self.max_score(plan);
        let z = z.unwrap_or(top - 1).min(top - 1);
        match self {
            // score > z  <=>  best_dist < top - z (and the top score only on a hit).
            Goal::Nodes(_) => Halt::CloserThan(top - z),
            Goal::Blast(_) => Halt::BlastAtLeast(z + 1),
        }
    }
}

/// The largest finite distance in a plan's `watch_dist`.
fn longest(plan: &ControlPlan) -> u32 {
    plan.watch_dist
        .iter()
        .copied()
        .filter(|&d| d != u32::MAX)
        .max()
        .unwrap_or(0)
}

/// Per node, the fewest attack steps (live under `plan`) from it to a node of `set`: a
/// breadth-first search backwards over the attack graph. A network step (no source) may
/// be taken from any foothold, so it makes every node that can be a foothold one step
/// away; holding a foothold also gives its segment, so a segment is one step after its
/// hosts. A heuristic for progress: it ignores the bits a step needs.
pub fn distances_to(est: &Estate, plan: &ControlPlan, set: &FixedBitSet) -> Vec<u32> {
    let n = est.nodes.len();
    let live = |e: usize| plan.p[e].max(plan.p_compliant[e]) > 0.0;
    // Reverse adjacency (CSR): into[v] = the sources of live edges into v.
    let mut count = vec![0u32; n + 1];
    let mut network_into = FixedBitSet::with_capacity(n);
    for (e, edge) in est.edges.iter().enumerate() {
        if !live(e) {
            continue;
        }
        if edge.src == NO_SOURCE {
            network_into.insert(edge.dst as usize);
        } else {
            count[edge.dst as usize + 1] += 1;
        }
    }
    for i in 0..n {
        count[i + 1] += count[i];
    }
    let mut fill = count.clone();
    let mut from = vec![0 as NodeId; count[n] as usize];
    for (e, edge) in est.edges.iter().enumerate() {
        if live(e) && edge.src != NO_SOURCE {
            let d = edge.dst as usize;
            from[fill[d] as usize] = edge.src;
            fill[d] += 1;
        }
    }
    let mut hosts: Vec<Vec<NodeId>> = vec![Vec::new(); est.segment_count as usize];
    for (i, node) in est.nodes.iter().enumerate() {
        if node.foothold != 0 && (node.segment as usize) < hosts.len() {
            hosts[node.segment as usize].push(i as NodeId);
        }
    }
    let mut dist = vec![u32::MAX; n];
    let mut queue = std::collections::VecDeque::new();
    for v in set.ones() {
        dist[v] = 0;
        queue.push_back(v as NodeId);
    }
    let mut footholds_done = false;
    fn relax(u: NodeId, d: u32, dist: &mut [u32], q: &mut std::collections::VecDeque<NodeId>) {
        if dist[u as usize] == u32::MAX {
            dist[u as usize] = d;
            q.push_back(u);
        }
    }
    while let Some(v) = queue.pop_front() {
        let d = dist[v as usize] + 1;
        let vi = v as usize;
        for &u in &from[count[vi] as usize..count[vi + 1] as usize] {
            relax(u, d, &mut dist, &mut queue);
        }
        if network_into.contains(vi) && !footholds_done {
            footholds_done = true;
            for (u, node) in est.nodes.iter().enumerate() {
                if node.foothold != 0 {
                    relax(u as NodeId, d, &mut dist, &mut queue);
                }
            }
        }
        if vi < hosts.len() {
            for &u in &hosts[vi] {
                relax(u, d, &mut dist, &mut queue);
            }
        }
    }
    dist
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_and_bad_ones_say_what_is_allowed() {
        assert_eq!(Target::parse("crown-jewel").unwrap(), Target::CrownJewel);
        assert_eq!(Target::parse("tier-zero").unwrap(), Target::TierZero);
        assert_eq!(
            Target::parse("asset:db-1").unwrap(),
            Target::Asset("db-1".into())
        );
        assert_eq!(
            Target::parse("blast>=12").unwrap(),
            Target::BlastAtLeast(12)
        );
        for bad in [
            "crown-jewels",
            "asset:",
            "blast>=0",
            "blast>=x",
            "everything",
        ] {
            let e = Target::parse(bad).unwrap_err().to_string();
            assert!(e.contains("crown-jewel, asset:ID"), "{bad}: {e}");
        }
        let e = Target::parse("crown-jewels").unwrap_err().to_string();
        assert!(e.contains("did you mean `crown-jewel`"), "{e}");
        assert_eq!(Target::parse("blast>=3").unwrap().label(), "blast>=3");
    }
}
