//! Attack paths: the k most likely (or fastest) ways from the entry points to each
//! objective, computed analytically on the attack graph, side by side with how often the
//! Monte Carlo attacker actually went that way; and choke points ([`chokepoints`]).
//!
//! **Analytic paths.** A path is a chain of attack steps from an entry (the internet, a
//! start asset, one of the possible insiders) to an objective; each step leaves the node
//! the previous one reached. [`graph`] states the rules: a step needs one of its required
//! bits on its source (the bits the path itself gave that node), its network condition
//! must hold from the path's own footholds or the internet, and its probability is the
//! plan's p for the edge (one try). A path's probability is the product of its steps' (times
//! 1/N for one of N insiders): the chance that every step of it succeeds on its first try.
//! With the attacker's tries per step, each step succeeds with 1 − (1 − p)^tries, which
//! gives `probability_with_retries`. Paths are ranked by Yen's k-shortest loopless paths on
//! −ln p (or on expected hours with `Weight::Time`).
//!
//! **Monte Carlo view.** Trials run with `keep_parents`, giving each trial's tree of first
//! compromises (node → the edge that first compromised it). A trial *took* a path when every
//! node the path compromises for the first time was first compromised in the trial by the
//! path's edge (a segment by the step that gave the path its foothold there); then the
//! objective's chain of parents is the path. Steps that only change the bits on a node
//! already held (privilege escalation, sign-in) leave no trace in the tree and are not
//! checked. The per-step prefix share says how often the path up to that step was taken.
//!
//! The two views answer different questions: the analytic probability is the chance that the
//! path is open (every step succeeds), the Monte Carlo share the chance that it is the route
//! the attacker used first. Where a path is the only way (a chain) and the attacker has
//! the time, they agree; where routes compete, the Monte Carlo share is lower.

mod algo;
pub mod chokepoints;
pub mod graph;
mod search;

use crate::error::{Error, Result};
use crate::estate::{self, Estate, NO_SOURCE, NodeId, bits, flags};
use crate::montecarlo::{RunOptions, run_sets};
use crate::pipeline::Prepared;
use crate::plan::ControlPlan;
use crate::sim::TrialOutcome;
use crate::sim::engine::NO_EDGE;
use crate::stats::{Proportion, wilson};
use crate::techniques::TechniqueCatalog;
use graph::{FOOTHOLD, StateGraph, StatePath, Weight};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::Arc;

/// How a step moves the attacker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// An attack step from the previous node.
    Attack,
    /// A free step (group membership, code on its host): certain and instant.
    Free,
    /// A network-only step (an exploit): needs only a network path from a foothold.
    Network,
    /// Code running on a device gives a foothold in its segment (not an attack edge).
    Foothold,
}

/// One step of an [`AttackPath`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PathStep {
    /// The node the step leaves (`network` for a network-only step).
    pub from: String,
    /// Display name of `from`.
    pub from_name: String,
    /// Id of the node the step reaches.
    pub to: String,
    /// Display name of `to`.
    pub to_name: String,
    /// How the step moves the attacker.
    pub kind: StepKind,
    /// The scenario relation the step's edge comes from (`snake_case`); none when it comes
    /// from attributes, and for a foothold.
    pub relation: Option<String>,
    /// The attack rule that produced the step's edge (`ztsim rules`; none for a foothold).
    #[serde(default)]
    pub rule: Option<String>,
    /// ATT&CK technique id and name (none for a foothold).
    pub technique: Option<String>,
    /// The technique's ATT&CK name (none for a foothold or a free step).
    pub technique_name: Option<String>,
    /// Other techniques that make the same move (the step shows the likeliest).
    pub alternatives: Vec<String>,
    /// State bits the step adds on its target.
    pub gains: Vec<String>,
    /// Success probability of one try under the plan.
    pub p: f64,
    /// Mean hours of one try (the attacker's speed applied).
    pub mean_hours: f64,
    /// The attack edge (index into the compiled estate), none for a foothold.
    pub edge: Option<u32>,
    /// Share of trials whose first-compromise tree holds the path up to this step.
    pub mc_prefix: Option<f64>,
}

/// One attack path from an entry to a target, with its analytic odds and (when trials
/// ran) how often the Monte Carlo attacker took it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AttackPath {
    /// 1 for the best path to its target, then 2, 3... in the order found.
    pub rank: usize,
    /// Id of the node the path starts from (the internet, a start asset or an insider).
    pub entry: String,
    /// Display name of the entry.
    pub entry_name: String,
    /// Π p (one try per step), times the entry's probability.
    pub probability: f64,
    /// Π (1 − (1 − p)^tries): every step succeeds within the attacker's tries.
    pub probability_with_retries: f64,
    /// Σ speed × mean_hours / p: expected hours if every step is retried until it works.
    pub expected_hours: f64,
    /// The steps, entry first.
    pub steps: Vec<PathStep>,
    /// Trials whose tree of first compromises holds the whole path (the objective's chain
    /// of parents is this path).
    pub mc_taken: Option<Proportion>,
    /// Trials whose objective's chain of parents visits the same nodes, each first
    /// compromised from the path's predecessor by any technique.
    pub mc_route: Option<Proportion>,
}

/// The paths found to one target.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TargetPaths {
    /// The target's node id.
    pub id: String,
    /// The target's display name.
    pub name: String,
    /// Up to k paths, best first; empty when the target cannot be reached.
    pub paths: Vec<AttackPath>,
    /// Trials in which the target was compromised at all.
    pub mc_reached: Option<Proportion>,
    /// Trials that reached the target by a route not among `paths`.
    pub mc_other_routes: Option<Proportion>,
}

/// A place the attacker may start from.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EntryView {
    /// The entry's node id.
    pub id: String,
    /// The entry's display name.
    pub name: String,
    /// Probability the attacker starts here (1/N for one of N possible insiders).
    pub p: f64,
}

/// The result of `ztsim paths`: per target, the k best attack paths under one control set.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PathsReport {
    /// The scenario's name.
    pub scenario: String,
    /// The control set the plan applies.
    pub control_set: String,
    /// What the paths are ranked by.
    pub ranked_by: Weight,
    /// Paths asked for per target.
    pub k: usize,
    /// The attacker's tries per step.
    pub tries: u32,
    /// Where the attacker may start.
    pub entries: Vec<EntryView>,
    /// Monte Carlo trials run for the comparison (0: none, and every `mc_` field is none).
    pub trials: u32,
    /// Seed of those trials.
    pub seed: u64,
    /// One entry per target, in the order asked for (or the objectives' order).
    pub targets: Vec<TargetPaths>,
}

/// What `ztsim paths` computes.
#[derive(Clone, Debug)]
pub struct PathOptions {
    /// Paths wanted per target.
    pub k: usize,
    /// What to rank paths by.
    pub weight: Weight,
    /// Target node ids; empty: the scenario's objectives.
    pub to: Vec<String>,
    /// Monte Carlo trials for the comparison (0: none).
    pub trials: u32,
    /// Seed of the trials.
    pub seed: u64,
    /// Worker threads for the trials; 0 means one per core.
    pub threads: usize,
}

/// Resolves node ids given on the command line.
pub fn nodes_by_id(est: &Estate, ids: &[String], what: &str) -> Result<Vec<NodeId>> {
    ids.iter()
        .map(|id| {
            est.index.get(id).copied().ok_or_else(|| {
                Error::Usage(format!(
                    "{what} `{id}` is not an asset of the scenario (use asset ids as in the scenario file)"
                ))
            })
        })
        .collect()
}

/// The targets of an analysis: `to` if given, else the estate's objectives.
pub fn targets(est: &Estate, to: &[String]) -> Result<Vec<NodeId>> {
    let t = if to.is_empty() {
        est.objectives.clone()
    } else {
        nodes_by_id(est, to, "--to")?
    };
    if t.is_empty() {
        return Err(Error::Usage(
            "the scenario has no objectives or crown jewels; name a target with --to".into(),
        ));
    }
    Ok(t)
}

/// The estate recompiled so that the attacker starts owning `from` (as start assets: an
/// identity's password and session, user-level access elsewhere) instead of the scenario's
/// start assets and initial-access vectors. The profile (and any override) is kept.
pub fn estate_from(prep: &Prepared, from: &[String]) -> Result<Arc<Estate>> {
    nodes_by_id(&prep.estate, from, "--from")?;
    let mut sc = prep.loaded.scenario.clone();
    sc.attacker.start = from.to_vec();
    sc.attacker.entry = Some(Vec::new());
    Ok(Arc::new(estate::compile_with(
        &sc,
        Some(&prep.estate.profile.name),
    )))
}

fn bit_names(b: u8) -> Vec<String> {
    bits::names(b).into_iter().map(str::to_string).collect()
}

/// What a trial's first-compromise tree must hold for a path to have been taken: per step,
/// (node, edge that first compromised it), or None for a step that is not a first
/// compromise on the path.
pub(crate) struct PathChecks {
    pub entry: NodeId,
    pub steps: Vec<Option<Check>>,
}

/// A first compromise the path makes: `node` by `edge`, coming from `pred` (the step's
/// source node, `NO_SOURCE` for a network step, the device for a foothold).
#[derive(Clone, Debug)]
pub(crate) struct Check {
    pub node: NodeId,
    pub edge: u32,
    /// Other edges making the same move.
    pub alts: Vec<u32>,
    pub pred: NodeId,
}

pub(crate) fn path_checks(g: &mut StateGraph, p: &StatePath) -> PathChecks {
    let entry_key = g.states[p.states[0] as usize];
    let mut seen: HashSet<NodeId> = HashSet::new();
    seen.insert(entry_key.node);
    // The step that gave each node of the path its first foothold bits (NO_EDGE: held at
    // the start).
    let mut foothold_by: Vec<(NodeId, u32)> = Vec::new();
    const RUN: u8 = bits::ACCESS | bits::ADMIN;
    if entry_key.bits & RUN != 0 {
        foothold_by.push((entry_key.node, NO_EDGE));
    }
    let mut steps = Vec::with_capacity(p.edges.len());
    for (i, &e) in p.edges.iter().enumerate() {
        let a = g.states[p.states[i] as usize];
        let b = g.states[p.states[i + 1] as usize];
        if e != FOOTHOLD && b.bits & RUN != 0 && (a.node != b.node || a.bits & RUN == 0) {
            if a.node == b.node {
                foothold_by.retain(|(n, _)| *n != b.node);
            }
            foothold_by.push((b.node, e));
        }
        let check = if seen.insert(b.node) {
            if e == FOOTHOLD {
                let via = foothold_by
                    .iter()
                    .rev()
                    .find(|(n, _)| *n == a.node)
                    .map_or(NO_EDGE, |x| x.1);
                Some(Check {
                    node: b.node,
                    edge: via,
                    alts: Vec::new(),
                    pred: a.node,
                })
            } else {
                Some(Check {
                    node: b.node,
                    edge: e,
                    alts: g.alternatives(p.states[i], e).to_vec(),
                    pred: g.est.edges[e as usize].src,
                })
            }
        } else {
            None
        };
        steps.push(check);
    }
    PathChecks {
        entry: entry_key.node,
        steps,
    }
}

/// Parent edge per node for one trial (`UNSEEN` where not compromised).
pub(crate) const UNSEEN: u32 = u32::MAX - 2;

pub(crate) fn fill_parents(buf: &mut [u32], t: &TrialOutcome) {
    for &(n, e) in &t.parents {
        buf[n as usize] = e;
    }
}

pub(crate) fn clear_parents(buf: &mut [u32], t: &TrialOutcome) {
    for &(n, _) in &t.parents {
        buf[n as usize] = UNSEEN;
    }
}

impl PathChecks {
    /// How many leading steps of the path the trial's tree holds (all of them: taken).
    /// With `by_route`, a node first compromised from the path's predecessor by another
    /// technique counts too.
    pub fn held_prefix(&self, est: &Estate, parent: &[u32], by_route: bool) -> Option<usize> {
        if parent[self.entry as usize] != NO_EDGE {
            return None;
        }
        let mut j = 0;
        for c in self.steps.iter().flatten() {
            let pe = parent[c.node as usize];
            let ok = pe == c.edge
                || c.alts.contains(&pe)
                || by_route && pe != UNSEEN && pe != NO_EDGE && {
                    let edge = &est.edges[pe as usize];
                    let pred = if edge.dst != c.node {
                        edge.dst
                    } else {
                        edge.src
                    };
                    pred == c.pred
                };
            if !ok {
                break;
            }
            j += 1;
        }
        // j counts checked steps; map back to path steps.
        let mut held = 0;
        let mut k = 0;
        for c in &self.steps {
            if c.is_some() {
                if k == j {
                    break;
                }
                k += 1;
            }
            held += 1;
        }
        Some(held)
    }
}

fn step_view(g: &mut StateGraph, tc: &TechniqueCatalog, from: u32, e: u32, to: u32) -> PathStep {
    let est = g.est;
    let a = g.states[from as usize];
    let b = g.states[to as usize];
    let old = if a.node == b.node { a.bits } else { 0 };
    let gains = bit_names(b.bits & !old);
    let node = |n: NodeId| {
        let x = est.node(n);
        (x.id.clone(), x.name.clone())
    };
    let (to_id, to_name) = node(b.node);
    if e == FOOTHOLD {
        let (from_id, from_name) = node(a.node);
        return PathStep {
            from: from_id,
            from_name,
            to: to_id,
            to_name,
            kind: StepKind::Foothold,
            relation: None,
            rule: None,
            technique: None,
            technique_name: None,
            alternatives: Vec::new(),
            gains,
            p: 1.0,
            mean_hours: 0.0,
            edge: None,
            mc_prefix: None,
        };
    }
    let edge = est.edges[e as usize];
    let t = g.transition(from, e);
    let (from_id, from_name) = if edge.src == NO_SOURCE {
        ("network".to_string(), "network".to_string())
    } else {
        node(a.node)
    };
    let kind = if edge.src == NO_SOURCE {
        StepKind::Network
    } else if edge.has(flags::FREE) {
        StepKind::Free
    } else {
        StepKind::Attack
    };
    let tech = tc.get(edge.tech);
    let free = kind == StepKind::Free;
    let mut alternatives: Vec<String> = Vec::new();
    for &x in g.alternatives(from, e) {
        let id = &tc.get(est.edges[x as usize].tech).id;
        if *id != tech.id && !alternatives.contains(id) {
            alternatives.push(id.clone());
        }
    }
    PathStep {
        from: from_id,
        from_name,
        to: to_id,
        to_name,
        kind,
        relation: edge.relation.map(|r| r.name().to_string()),
        rule: Some(
            crate::rules::REGISTRY[est.origins[e as usize].rule() as usize]
                .id
                .to_string(),
        ),
        technique: (!free).then(|| tech.id.clone()),
        technique_name: (!free).then(|| tech.name.clone()),
        alternatives,
        gains,
        p: t.map_or(0.0, |t| t.p),
        mean_hours: edge.mean_hours as f64 * est.profile.speed,
        edge: Some(e),
        mc_prefix: None,
    }
}

/// Analytic paths for every target, and (with `opt.trials > 0`) their Monte Carlo
/// frequencies under the same plan.
pub fn analyze(
    est: &Arc<Estate>,
    plan: &Arc<ControlPlan>,
    opt: &PathOptions,
) -> Result<PathsReport> {
    let targets = targets(est, &opt.to)?;
    let tc = TechniqueCatalog::builtin();
    let mut g = StateGraph::new(est, plan, opt.weight);
    let tries = est.profile.max_tries.max(1);
    let entries = g
        .entries
        .iter()
        .map(|e| {
            let n = est.node(g.states[e.state as usize].node);
            EntryView {
                id: n.id.clone(),
                name: n.name.clone(),
                p: e.p,
            }
        })
        .collect();
    let mut out = Vec::new();
    let mut all_checks: Vec<Vec<PathChecks>> = Vec::new();
    for &t in &targets {
        let set: HashSet<NodeId> = [t].into_iter().collect();
        let found = g.k_shortest(&set, opt.k)?;
        let mut paths = Vec::new();
        let mut checks = Vec::new();
        for (rank, sp) in found.iter().enumerate() {
            paths.push(attack_path(&mut g, tc, sp, rank + 1, tries));
            checks.push(path_checks(&mut g, sp));
        }
        let node = est.node(t);
        out.push(TargetPaths {
            id: node.id.clone(),
            name: node.name.clone(),
            paths,
            mc_reached: None,
            mc_other_routes: None,
        });
        all_checks.push(checks);
    }
    if opt.trials > 0 {
        monte_carlo(est, plan, opt, &targets, &all_checks, &mut out)?;
    }
    Ok(PathsReport {
        scenario: est.name.clone(),
        control_set: plan.name.clone(),
        ranked_by: opt.weight,
        k: opt.k,
        tries,
        entries,
        trials: opt.trials,
        seed: opt.seed,
        targets: out,
    })
}

/// The report's view of a path found in the state graph, with its probability (one try
/// per step, and `tries` per step) and expected hours.
fn attack_path(
    g: &mut StateGraph,
    tc: &TechniqueCatalog,
    sp: &StatePath,
    rank: usize,
    tries: u32,
) -> AttackPath {
    let est = g.est;
    let entry = g
        .entries
        .iter()
        .find(|e| e.state == sp.states[0])
        .map_or(1.0, |e| e.p);
    let steps: Vec<PathStep> = (0..sp.edges.len())
        .map(|i| step_view(g, tc, sp.states[i], sp.edges[i], sp.states[i + 1]))
        .collect();
    let probability = entry * steps.iter().map(|s| s.p).product::<f64>();
    let with_retries = entry
        * steps
            .iter()
            .map(|s| 1.0 - (1.0 - s.p).powi(tries as i32))
            .product::<f64>();
    let expected_hours = steps
        .iter()
        .map(|s| if s.p > 0.0 { s.mean_hours / s.p } else { 0.0 })
        .sum();
    let en = est.node(g.states[sp.states[0] as usize].node);
    AttackPath {
        rank,
        entry: en.id.clone(),
        entry_name: en.name.clone(),
        probability,
        probability_with_retries: with_retries,
        expected_hours,
        steps,
        mc_taken: None,
        mc_route: None,
    }
}

/// Runs the trials and fills in, per target and path, how often the trials took it.
fn monte_carlo(
    est: &Arc<Estate>,
    plan: &Arc<ControlPlan>,
    opt: &PathOptions,
    targets: &[NodeId],
    all_checks: &[Vec<PathChecks>],
    out: &mut [TargetPaths],
) -> Result<()> {
    let run = run_sets(
        est,
        std::slice::from_ref(plan),
        &RunOptions {
            trials: opt.trials,
            seed: opt.seed,
            threads: opt.threads,
            timeline_points: 1,
            keep_parents: true,
        },
    )?;
    let outcomes = &run[0].outcomes;
    let n = outcomes.len() as u64;
    let mut parent = vec![UNSEEN; est.nodes.len()];
    for (ti, tp) in out.iter_mut().enumerate() {
        let target = targets[ti];
        let checks = &all_checks[ti];
        let mut prefix: Vec<Vec<u64>> = checks.iter().map(|c| vec![0; c.steps.len()]).collect();
        let mut taken = vec![0u64; checks.len()];
        let mut route = vec![0u64; checks.len()];
        let (mut reached, mut other) = (0u64, 0u64);
        for t in outcomes {
            fill_parents(&mut parent, t);
            let hit = parent[target as usize] != UNSEEN;
            let mut any = false;
            for (pi, c) in checks.iter().enumerate() {
                let Some(j) = c.held_prefix(est, &parent, false) else {
                    continue;
                };
                for x in prefix[pi].iter_mut().take(j) {
                    *x += 1;
                }
                if j == c.steps.len() && hit {
                    taken[pi] += 1;
                    any = true;
                }
                if hit && c.held_prefix(est, &parent, true) == Some(c.steps.len()) {
                    route[pi] += 1;
                }
            }
            if hit {
                reached += 1;
                if !any {
                    other += 1;
                }
            }
            clear_parents(&mut parent, t);
        }
        for (pi, path) in tp.paths.iter_mut().enumerate() {
            path.mc_taken = Some(wilson(taken[pi], n));
            path.mc_route = Some(wilson(route[pi], n));
            for (s, k) in path.steps.iter_mut().zip(&prefix[pi]) {
                s.mc_prefix = Some(*k as f64 / n.max(1) as f64);
            }
        }
        tp.mc_reached = Some(wilson(reached, n));
        tp.mc_other_routes = Some(wilson(other, n));
    }
    Ok(())
}

fn pct(x: f64) -> String {
    if x > 0.0 && x < 0.001 {
        format!("{:.3}%", x * 100.0)
    } else {
        format!("{:.1}%", x * 100.0)
    }
}

fn prop(p: &Proportion) -> String {
    format!(
        "{} [{}, {}]",
        pct(p.probability),
        pct(p.ci95[0]),
        pct(p.ci95[1])
    )
}

/// A name cut to fit a table column.
fn short(s: &str) -> String {
    const MAX: usize = 36;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(MAX - 1).collect();
        t.push('…');
        t
    }
}

fn prob(x: f64) -> String {
    if x >= 0.001 {
        format!("{x:.4}")
    } else {
        format!("{x:.2e}")
    }
}

/// The report as terminal tables, one per path. Names from the scenario are made safe.
pub fn render_table(r: &PathsReport) -> String {
    use crate::report::terminal_safe as safe;
    let mut s = String::new();
    let by = match r.ranked_by {
        Weight::Probability => "probability",
        Weight::Time => "expected time",
    };
    let _ = writeln!(
        s,
        "Attack paths in {} under `{}`: top {} per target by {by}; p is one try, the attacker has {} tr{} per step.",
        safe(&r.scenario),
        safe(&r.control_set),
        r.k,
        r.tries,
        if r.tries == 1 { "y" } else { "ies" }
    );
    let entries: Vec<String> = r
        .entries
        .iter()
        .map(|e| {
            if e.p < 1.0 {
                format!("{} (p {})", safe(&e.id), prob(e.p))
            } else {
                safe(&e.id)
            }
        })
        .collect();
    const SHOWN: usize = 8;
    let more = entries.len().saturating_sub(SHOWN);
    let _ = write!(
        s,
        "Entries: {}",
        entries[..entries.len().min(SHOWN)].join(", ")
    );
    if more > 0 {
        let _ = write!(s, " and {more} more (--json lists them)");
    }
    let _ = writeln!(s);
    for t in &r.targets {
        let _ = writeln!(s);
        let _ = write!(s, "Target {} ({})", safe(&t.id), safe(&t.name));
        if let Some(p) = &t.mc_reached {
            let _ = write!(s, ": reached in {} of {} trials", prop(p), r.trials);
            if let Some(o) = &t.mc_other_routes {
                let _ = write!(s, "; by a route not listed: {}", prop(o));
            }
        }
        let _ = writeln!(s);
        if t.paths.is_empty() {
            let _ = writeln!(s, "  no path: the target cannot be reached under this plan");
            continue;
        }
        for p in &t.paths {
            let _ = write!(
                s,
                "#{} from {}: P = {}",
                p.rank,
                safe(&p.entry),
                prob(p.probability)
            );
            if r.tries > 1 {
                let _ = write!(
                    s,
                    " (within {} tries per step: {})",
                    r.tries,
                    prob(p.probability_with_retries)
                );
            }
            let _ = write!(s, ", E[time] {:.1} h", p.expected_hours);
            if let Some(m) = &p.mc_taken {
                let _ = write!(s, "\n    Monte Carlo: taken in {}", prop(m));
                if let Some(r) = &p.mc_route {
                    let _ = write!(s, "; same route, any technique per hop: {}", prop(r));
                }
            }
            let _ = writeln!(s);
            let mut tb = crate::report::term::table();
            let mut header = vec![
                "step",
                "from",
                "to",
                "relation",
                "rule",
                "technique",
                "gains",
                "p",
            ];
            if r.trials > 0 {
                header.push("MC prefix");
            }
            tb.set_header(header);
            for (i, st) in p.steps.iter().enumerate() {
                let tech = match (&st.technique, &st.technique_name, st.kind) {
                    (_, _, StepKind::Foothold) => "foothold in segment".to_string(),
                    (_, _, StepKind::Free) => "free (membership / host)".to_string(),
                    (Some(id), Some(name), _) if st.alternatives.is_empty() => {
                        format!("{id} {name}")
                    }
                    (Some(id), Some(name), _) => {
                        format!("{id} {name} (or {})", st.alternatives.join(", "))
                    }
                    _ => String::new(),
                };
                let mut row = vec![
                    (i + 1).to_string(),
                    short(&safe(&st.from_name)),
                    short(&safe(&st.to_name)),
                    st.relation.clone().unwrap_or_else(|| "-".into()),
                    st.rule.clone().unwrap_or_else(|| "-".into()),
                    tech,
                    st.gains.join("+"),
                    format!("{:.3}", st.p),
                ];
                if let Some(x) = st.mc_prefix {
                    row.push(pct(x));
                }
                tb.add_row(row);
            }
            crate::report::term::keep_words(&mut tb);
            let _ = writeln!(s, "{tb}");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_names_in_order() {
        assert_eq!(
            bit_names(bits::ACCESS | bits::SIGNED_IN),
            vec!["access", "signed_in"]
        );
        assert!(bit_names(0).is_empty());
    }
}
