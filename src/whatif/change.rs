//! The change a what-if asks for (`--remove-edge KIND:FROM:TO`, `--disable ID`): checked
//! against the scenario with a message naming the flag, applied to a copy of the scenario,
//! compiled, and turned into the set of the *baseline's* attack edges that the changed
//! estate no longer has. The changed arm is then the baseline estate with those edges at
//! probability 0 ([`crate::plan::without_edges`]), so both arms share edge indices and
//! every random draw.

use crate::error::{Error, Result};
use crate::estate::{self, Estate, NO_SOURCE, incremental::edge_key};
use crate::model::{AssetKind, RelationKind};
use crate::scenario::{Patch, RelationRef, Scenario, apply_patch};
use crate::suggest::{did_you_mean, unknown_message};
use fixedbitset::FixedBitSet;
use std::collections::HashMap;

/// The changes of one what-if, as the user wrote them.
#[derive(Clone, Debug, Default)]
pub struct Change {
    /// `--remove-edge` values (`KIND:FROM:TO`), in order.
    pub remove_edges: Vec<String>,
    /// `--disable` asset ids, in order.
    pub disable: Vec<String>,
}

/// A change checked against a scenario: the patch it amounts to.
#[derive(Clone, Debug)]
pub(crate) struct Checked {
    pub(crate) patch: Patch,
    /// Each change in words, in order.
    pub(crate) described: Vec<String>,
}

fn usage(flag: &str, value: &str, problem: &str) -> Error {
    Error::Usage(format!("{flag} `{value}`: {problem}"))
}

/// The asset `id`, or an error naming `flag` and `value` with a "did you mean".
fn asset<'a>(s: &'a Scenario, id: &str, flag: &str, value: &str) -> Result<&'a str> {
    if let Some(a) = s.assets.iter().find(|a| a.id == id) {
        return Ok(&a.id);
    }
    if s.segments.iter().any(|g| g.id == id) || id == "internet" {
        return Err(usage(
            flag,
            value,
            &format!("`{id}` is a segment; a what-if removes relations and disables assets"),
        ));
    }
    let hint = did_you_mean(id, s.assets.iter().map(|a| a.id.as_str()));
    Err(usage(
        flag,
        value,
        &unknown_message(&format!("no asset `{id}` in the scenario"), hint, None),
    ))
}

fn relation_kind(name: &str, value: &str) -> Result<RelationKind> {
    RelationKind::ALL
        .iter()
        .copied()
        .find(|k| k.name() == name)
        .ok_or_else(|| {
            let hint = did_you_mean(name, RelationKind::ALL.iter().map(|k| k.name()));
            usage(
                "--remove-edge",
                value,
                &unknown_message(
                    &format!("unknown relation kind `{name}`"),
                    hint,
                    Some("kinds are the scenario's relation `type`s, e.g. admin_to, member_of"),
                ),
            )
        })
}

/// Parses `KIND:FROM:TO` against `s`. Ids may hold `:`; the split that names two assets
/// wins.
pub(crate) fn parse_edge(value: &str, s: &Scenario) -> Result<RelationRef> {
    let syntax = || {
        usage(
            "--remove-edge",
            value,
            "expected KIND:FROM:TO, e.g. admin_to:helpdesk:dc01",
        )
    };
    let (kind, ends) = value.split_once(':').ok_or_else(syntax)?;
    let kind = relation_kind(kind, value)?;
    let splits: Vec<(&str, &str)> = ends
        .match_indices(':')
        .map(|(i, _)| (&ends[..i], &ends[i + 1..]))
        .collect();
    let known = |id: &str| s.assets.iter().any(|a| a.id == id);
    let (from, to) = match splits.iter().find(|(f, t)| known(f) && known(t)) {
        Some(&x) => x,
        None => *splits.first().ok_or_else(syntax)?,
    };
    if from.is_empty() || to.is_empty() {
        return Err(syntax());
    }
    let from = asset(s, from, "--remove-edge", value)?.to_string();
    let to = asset(s, to, "--remove-edge", value)?.to_string();
    if !s
        .relations
        .iter()
        .any(|r| r.kind == kind && r.from == from && r.to == to)
    {
        let between: Vec<String> = s
            .relations
            .iter()
            .filter(|r| r.from == from && r.to == to)
            .map(|r| format!("{}:{}:{}", r.kind.name(), r.from, r.to))
            .collect();
        let hint = if between.is_empty() {
            format!("`{from}` has no relation to `{to}` at all")
        } else {
            format!("between them the scenario has {}", between.join(", "))
        };
        return Err(usage(
            "--remove-edge",
            value,
            &format!(
                "the scenario has no `{}` relation from `{from}` to `{to}`; {hint}",
                kind.name()
            ),
        ));
    }
    Ok(RelationRef { kind, from, to })
}

impl Change {
    /// Whether the change changes nothing (no flag given).
    pub fn is_empty(&self) -> bool {
        self.remove_edges.is_empty() && self.disable.is_empty()
    }

    /// Checks every flag against `s`: the patch the change amounts to, or the first problem,
    /// naming its flag and value.
    pub(crate) fn check(&self, s: &Scenario) -> Result<Checked> {
        let mut patch = Patch::default();
        let mut described = Vec::new();
        for v in &self.remove_edges {
            let r = parse_edge(v, s)?;
            described.push(format!("remove {} {} -> {}", r.kind.name(), r.from, r.to));
            patch.remove_relations.push(r);
        }
        for id in &self.disable {
            let a = asset(s, id, "--disable", id)?.to_string();
            if patch.remove_assets.contains(&a) {
                return Err(usage("--disable", id, "given twice"));
            }
            described.push(format!("disable {a} (and its relations)"));
            patch.remove_assets.push(a);
        }
        // Removing a relation twice, or one a disabled asset takes with it, is harmless but
        // would read as "no such relation" in the patch: keep the first mention only.
        let mut seen = std::collections::HashSet::new();
        patch.remove_relations.retain(|r| {
            seen.insert((r.kind, r.from.clone(), r.to.clone()))
                && !patch.remove_assets.contains(&r.from)
                && !patch.remove_assets.contains(&r.to)
        });
        Ok(Checked { patch, described })
    }
}

/// What a change does to the compiled estate.
pub(crate) struct Removal {
    /// The baseline's attack edges the changed estate no longer has.
    pub(crate) edges: FixedBitSet,
    /// The assets disabled, as baseline nodes.
    pub(crate) disabled: Vec<crate::estate::NodeId>,
}

/// An edge's identity across two compiles: what it says, where it acts and how long it
/// takes.
fn full_key(est: &Estate, e: usize) -> String {
    let x = &est.edges[e];
    let at = if x.at == NO_SOURCE {
        "*"
    } else {
        est.node(x.at).id.as_str()
    };
    format!("{} at {at} h{}", edge_key(est, e), x.mean_hours)
}

/// Applies the checked change to `s`, compiles the result like the baseline (`profile`)
/// and finds the baseline edges it lacks. Fails when the change leaves the scenario
/// invalid, adds attack steps, or moves the attacker's starting points: the pairing is
/// then not a removal on the same estate.
pub(crate) fn removal(
    s: &Scenario,
    base: &Estate,
    c: &Checked,
    profile: Option<&str>,
    limits: &crate::limits::Limits,
) -> Result<Removal> {
    let changed = apply_patch(s, &c.patch, limits).map_err(|ds| {
        let msgs: Vec<String> = ds
            .iter()
            .map(|d| d.message.replace("after the patch", "after the change"))
            .collect();
        // Removing relations never breaks a reference; disabling an asset can.
        let flags: Vec<String> = c
            .patch
            .remove_assets
            .iter()
            .map(|id| format!("--disable `{id}`"))
            .collect();
        Error::Usage(format!(
            "{}: the change leaves the scenario invalid: {}",
            flags.join(", "),
            msgs.join("; ")
        ))
    })?;
    let world = crate::world::EstateWorld::from_scenario(&changed);
    let est = estate::compile_world(&world, profile);
    let mut left: HashMap<String, u32> = HashMap::new();
    for e in (0..est.edges.len()).filter(|&e| !est.dead.contains(e)) {
        *left.entry(full_key(&est, e)).or_default() += 1;
    }
    let mut edges = FixedBitSet::with_capacity(base.edges.len());
    for e in (0..base.edges.len()).filter(|&e| !base.dead.contains(e)) {
        match left.get_mut(&full_key(base, e)) {
            Some(n) if *n > 0 => *n -= 1,
            _ => edges.insert(e),
        }
    }
    let added: Vec<&String> = left
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, _)| k)
        .collect();
    if !added.is_empty() {
        let mut some: Vec<&&String> = added.iter().take(3).collect();
        some.sort();
        return Err(Error::Usage(format!(
            "the change adds {} attack step(s) the estate did not have (e.g. {some:?}); a \
             what-if pairs removals only: use `ztsim run --patch` to simulate it",
            added.len()
        )));
    }
    let starts = |e: &Estate| {
        let mut v: Vec<(String, u8)> = e
            .start
            .iter()
            .map(|&(n, b)| (e.node(n).id.clone(), b))
            .collect();
        v.extend(
            e.insider_pool
                .iter()
                .map(|(n, _)| (e.node(*n).id.clone(), 0)),
        );
        v.sort();
        v
    };
    if starts(base) != starts(&est) {
        return Err(Error::Usage(
            "the change moves the attacker's starting points (an insider's possible starts); \
             a what-if keeps them: use `ztsim run --patch` to simulate it"
                .into(),
        ));
    }
    let disabled = c
        .patch
        .remove_assets
        .iter()
        .filter_map(|id| base.index.get(id).copied())
        .collect();
    Ok(Removal { edges, disabled })
}

/// Whether `k` is a principal: an identity that signs in (users, admins, service accounts,
/// guests), not a group.
pub(crate) fn is_principal(k: AssetKind) -> bool {
    matches!(
        k,
        AssetKind::User | AssetKind::Admin | AssetKind::ServiceAccount | AssetKind::Guest
    )
}
