//! `ztsim explain`: why an attacker holding one entity can act on another in one step.
//!
//! For a pair (FROM, TO) it lists every compiled attack edge from FROM to TO, and every
//! network step into TO (an exploit from any foothold that reaches it), with the rule that
//! produced it, the relation or attributes that fed the rule, and what each control set does
//! to the edge: removed, probability scaled, detection added, a response; and which of the
//! set's controls do it (each control's effect alone on the edge).

#![deny(clippy::disallowed_methods, clippy::disallowed_macros)] // the core does no I/O

use crate::controls::ResolvedSet;
use crate::estate::{Estate, NO_SOURCE, NodeId, bits};
use crate::model::Protocol;
use crate::plan::{self, ControlPlan};
use crate::rules::REGISTRY;
use crate::techniques::TechniqueCatalog;
use crate::world::{EstateWorld, Relation};
use serde::Serialize;
use std::fmt::Write as _;

/// The answer for one pair.
#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    /// The source entity's id.
    pub from: String,
    /// The target entity's id.
    pub to: String,
    /// Each edge that lets FROM act on TO.
    pub edges: Vec<EdgeExplanation>,
    /// Per control set, the controls that cover FROM and TO (read from the World's
    /// [`crate::coverage::Coverage`] components).
    pub coverage: Vec<SetCoverage>,
}

/// The controls of one set that cover the two ends.
#[derive(Clone, Debug, Serialize)]
pub struct SetCoverage {
    /// The set's name.
    pub set: String,
    /// Controls covering FROM.
    pub from: Vec<String>,
    /// Controls covering TO.
    pub to: Vec<String>,
}

/// One attack edge and what the control sets do to it.
#[derive(Clone, Debug, Serialize)]
pub struct EdgeExplanation {
    /// The rule's id.
    pub rule: String,
    /// The rule's name.
    pub name: String,
    /// The ATT&CK technique id and name.
    pub technique: String,
    /// What the source must hold.
    pub needs: Vec<&'static str>,
    /// What the edge grants on the target.
    pub grants: Vec<&'static str>,
    /// Protocols by which the target must be reachable (empty: no network check).
    pub network: Vec<&'static str>,
    /// A network step: tried from any foothold that reaches the target.
    pub network_step: bool,
    /// What fed the rule: a relation, or the attributes of an asset.
    pub fed_by: String,
    /// The real attack the rule models.
    pub models: String,
    /// Base probability of one try, before controls.
    pub p: f32,
    /// One entry per control set asked for.
    pub under: Vec<SetEffect>,
}

/// What one control set does to one edge.
#[derive(Clone, Debug, Serialize)]
pub struct SetEffect {
    /// The set's name.
    pub set: String,
    /// Success probability of one try under the set (0: removed).
    pub p: f32,
    /// Detection probability of one try.
    pub detect: f32,
    /// The response a detection triggers, with its mean delay in hours.
    pub response: Option<String>,
    /// In words: removed, scaled, detection added, or unchanged.
    pub verdict: String,
    /// The set's controls that change this edge on their own, with what each does.
    pub by: Vec<String>,
}

/// The node of an asset or segment id, or a usage error naming the file and the closest id.
pub fn lookup(est: &Estate, id: &str, what: &str, origin: &str) -> crate::error::Result<NodeId> {
    est.index.get(id).copied().ok_or_else(|| {
        let best = est
            .nodes
            .iter()
            .filter(|n| n.virtual_kind.is_none())
            .map(|n| (strsim::jaro_winkler(id, &n.id), n.id.as_str()))
            .filter(|(s, _)| *s > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let hint = best
            .map(|(_, s)| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        crate::error::Error::Usage(format!(
            "{origin}: {what}: unknown asset or segment `{id}`{hint}"
        ))
    })
}

/// What fed edge `e`'s rule: the relation (kind, from, to) or the asset it was derived from.
pub fn fed_by(est: &Estate, world: &EstateWorld, e: usize) -> String {
    let o = &est.origins[e];
    if let Some(r) = world.world.get::<Relation>(o.anchor) {
        format!(
            "relation {} {} -> {}",
            r.kind.name(),
            world.asset(r.from).id,
            world.asset(r.to).id
        )
    } else if let Some(a) = world.world.get::<crate::world::Asset>(o.anchor) {
        format!("attributes of {} ({})", a.id, a.kind.name())
    } else {
        "an entity removed since".into()
    }
}

/// The edges that let `from` act on `to` in one step: direct edges, and network steps into
/// `to` (which any foothold that reaches it may try).
pub fn edges_between(est: &Estate, from: NodeId, to: NodeId) -> Vec<usize> {
    let mut out: Vec<usize> = est
        .out_edges(from)
        .filter(|&e| est.edges[e].dst == to)
        .collect();
    if est.node(from).kind.gives_foothold() || from == crate::estate::INTERNET {
        out.extend(
            est.net_edges_into(est.node(to).segment)
                .iter()
                .map(|&e| e as usize)
                .filter(|&e| est.edges[e].dst == to && est.edges[e].src == NO_SOURCE),
        );
    }
    out
}

/// Explains the pair under each control set (`sets` with their plans).
pub fn explain(
    est: &Estate,
    world: &mut EstateWorld,
    from: NodeId,
    to: NodeId,
    sets: &[(ResolvedSet, ControlPlan)],
    seed: u64,
) -> Explanation {
    let tc = TechniqueCatalog::builtin();
    let mut coverage = Vec::new();
    for (_, plan) in sets {
        crate::coverage::cover(world, est, plan);
        let of = |n: NodeId| {
            est.entities[n as usize]
                .and_then(|e| world.world.get::<crate::coverage::Coverage>(e))
                .map(|c| c.under(&plan.name).to_vec())
                .unwrap_or_default()
        };
        coverage.push(SetCoverage {
            set: plan.name.clone(),
            from: of(from),
            to: of(to),
        });
    }
    let world = &*world;
    let edges = edges_between(est, from, to)
        .into_iter()
        .map(|e| {
            let edge = &est.edges[e];
            let rule = REGISTRY[est.origins[e].rule() as usize];
            let t = tc.get(edge.tech);
            EdgeExplanation {
                rule: rule.id.into(),
                name: rule.name.into(),
                technique: format!("{} {}", t.id, t.name),
                needs: bits::names(edge.requires),
                grants: bits::names(edge.grants),
                network: Protocol::names_of(edge.proto),
                network_step: edge.src == NO_SOURCE,
                fed_by: fed_by(est, world, e),
                models: rule.models.into(),
                p: edge.p,
                under: sets
                    .iter()
                    .map(|(set, plan)| set_effect(est, e, set, plan, seed))
                    .collect(),
            }
        })
        .collect();
    Explanation {
        from: est.node(from).id.clone(),
        to: est.node(to).id.clone(),
        edges,
        coverage,
    }
}

fn set_effect(
    est: &Estate,
    e: usize,
    set: &ResolvedSet,
    plan: &ControlPlan,
    seed: u64,
) -> SetEffect {
    let base = est.edges[e].p;
    let (p, detect) = (plan.p[e], plan.detect[e]);
    // Each control of the set on its own, against no controls at all.
    let none = ResolvedSet {
        name: "none".into(),
        description: String::new(),
        controls: Vec::new(),
    };
    let d0 = plan::build(est, &none, seed).detect[e];
    let overall = verdict(base, p, d0, detect);
    let by = set
        .controls
        .iter()
        .filter_map(|c| {
            let alone = ResolvedSet {
                name: c.id.clone(),
                description: String::new(),
                controls: vec![c.clone()],
            };
            let pl = plan::build(est, &alone, seed);
            let v = verdict(base, pl.p[e], d0, pl.detect[e]);
            (v != "unchanged").then(|| format!("{} {}: {v}", c.id, c.name))
        })
        .collect();
    SetEffect {
        set: set.name.clone(),
        p,
        detect,
        response: plan.respond[e].map(|r| format!("{:?} after {:.1} h", r.action, r.mean_hours)),
        verdict: overall,
        by,
    }
}

/// In words: how `p` and detection moved from the edge's base.
fn verdict(base: f32, p: f32, d0: f32, d: f32) -> String {
    let mut parts = Vec::new();
    if p == 0.0 && base > 0.0 {
        parts.push("removed".to_string());
    } else if (p - base).abs() > 1e-6 {
        parts.push(format!(
            "p x{:.2} ({base:.2} -> {p:.2})",
            p / base.max(1e-9)
        ));
    }
    if d - d0 > 1e-6 {
        parts.push(format!("detection +{:.2}", d - d0));
    }
    if parts.is_empty() {
        "unchanged".into()
    } else {
        parts.join(", ")
    }
}

/// The explanation as text for a terminal.
pub fn render(x: &Explanation) -> String {
    let mut s = String::new();
    for c in &x.coverage {
        let list = |v: &[String]| {
            if v.is_empty() {
                "no control".to_string()
            } else {
                v.join(", ")
            }
        };
        let _ = writeln!(
            s,
            "Under {}: {} covers {}; {} covers {}.",
            c.set,
            list(&c.from),
            x.from,
            list(&c.to),
            x.to
        );
    }
    if x.edges.is_empty() {
        let _ = writeln!(
            s,
            "No rule lets an attacker holding {} act on {} in one step.",
            x.from, x.to
        );
        return s;
    }
    let _ = writeln!(
        s,
        "\n{} rule(s) let an attacker holding {} act on {} in one step:",
        x.edges.len(),
        x.from,
        x.to
    );
    for (i, e) in x.edges.iter().enumerate() {
        let _ = writeln!(s, "\n{}. {} ({}), {}", i + 1, e.rule, e.name, e.technique);
        let _ = writeln!(s, "   models:  {}", e.models);
        let src = if e.network_step {
            "any foothold that reaches it".to_string()
        } else {
            format!("{} on {}", e.needs.join("|"), x.from)
        };
        let net = if e.network.is_empty() {
            "no network check".to_string()
        } else {
            format!("over {}", e.network.join("|"))
        };
        let _ = writeln!(
            s,
            "   needs:   {src}; grants {} on {}; {net}",
            e.grants.join("|"),
            x.to
        );
        let _ = writeln!(s, "   fed by:  {}", e.fed_by);
        let _ = writeln!(s, "   base p:  {:.3}", e.p);
        for u in &e.under {
            let resp = u.response.as_deref().unwrap_or("no response");
            let _ = writeln!(
                s,
                "   under {}: p {:.3}, detect {:.2}, {resp}: {}",
                u.set, u.p, u.detect, u.verdict
            );
            for b in &u.by {
                let _ = writeln!(s, "      {b}");
            }
        }
    }
    s
}
