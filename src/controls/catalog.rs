//! The control catalog (embedded, plus scenario additions and overrides) and the resolution
//! of a control-set name into concrete controls with numbers.

use super::{
    BlockReach, ControlDef, ControlSetDef, ControlUse, Credential, EffectDef, EffectEnd,
    EffectKind, ParamValue, ResponseAction, ScopeDef,
};
use crate::error::{Error, Result};
use crate::model::{Protocol, RelationKind};
use std::collections::BTreeMap;

const EMBEDDED: &str = include_str!("../../data/controls.yaml");
const PRESETS: &str = include_str!("../../data/presets.yaml");

/// The controls and maturity presets a run can draw on: the embedded catalog, plus any scenario or
/// controls-file definitions merged in with [`Catalog::with_overrides`].
#[derive(Clone, Debug)]
pub struct Catalog {
    /// Control definitions, catalog order first, additions after.
    pub controls: Vec<ControlDef>,
    /// Maturity presets (CISA ZTMM stages), as control sets.
    pub presets: Vec<ControlSetDef>,
}

impl Catalog {
    /// The embedded catalog (`data/controls.yaml`) and presets (`data/presets.yaml`). Fails only if
    /// the embedded files do not parse.
    pub fn builtin() -> Result<Catalog> {
        let controls: Vec<ControlDef> = serde_saphyr::from_str(EMBEDDED)
            .map_err(|e| Error::Catalog(format!("controls: {e}")))?;
        let presets: Vec<ControlSetDef> =
            serde_saphyr::from_str(PRESETS).map_err(|e| Error::Catalog(format!("presets: {e}")))?;
        Ok(Catalog { controls, presets })
    }

    pub(crate) fn preset(&self, name: &str) -> Option<&ControlSetDef> {
        self.presets.iter().find(|p| p.name == name)
    }

    pub(crate) fn get(&self, id: &str) -> Option<&ControlDef> {
        self.controls.iter().find(|c| c.id == id)
    }

    /// The catalog id `id` was probably meant to be (`C1` gives `C01`), for a "did you mean".
    pub fn closest_id(&self, id: &str) -> Option<&str> {
        crate::suggest::did_you_mean(id, self.controls.iter().map(|c| c.id.as_str()))
    }

    /// The control `id`, or the message about an unknown one: the closest id and where the
    /// catalog is listed.
    pub fn lookup(&self, id: &str) -> std::result::Result<&ControlDef, String> {
        self.get(id).ok_or_else(|| {
            crate::suggest::unknown_message(
                &format!("unknown control `{id}`"),
                self.closest_id(id),
                Some("`ztsim controls` lists them"),
            )
        })
    }

    /// The catalog with a scenario's (or controls file's) definitions applied: a known id
    /// is overridden field by field, a new id is added.
    pub fn with_overrides(&self, defs: &[ControlDef]) -> Catalog {
        let mut out = self.clone();
        for d in defs {
            match out.controls.iter_mut().find(|c| c.id == d.id) {
                Some(c) => merge(c, d),
                None => out.controls.push(d.clone()),
            }
        }
        out
    }
}

fn merge(base: &mut ControlDef, over: &ControlDef) {
    if over.name.is_some() {
        base.name = over.name.clone();
    }
    if over.pillar.is_some() {
        base.pillar = over.pillar;
    }
    if over.principle.is_some() {
        base.principle = over.principle;
    }
    if !over.mitigations.is_empty() {
        base.mitigations = over.mitigations.clone();
    }
    if over.description.is_some() {
        base.description = over.description.clone();
    }
    for (k, v) in &over.parameters {
        base.parameters.insert(k.clone(), v.clone());
    }
    for (k, v) in &over.params {
        base.params.insert(k.clone(), *v);
    }
    if over.effects.is_some() {
        base.effects = over.effects.clone();
    }
    if over.scope.is_some() {
        base.scope = over.scope.clone();
    }
    if over.coverage.is_some() {
        base.coverage = over.coverage;
    }
    if over.cost.is_some() {
        base.cost = over.cost;
    }
}

/// One effect with every number resolved.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ResolvedEffect {
    /// What the effect does.
    pub kind: EffectKind,
    /// ATT&CK ids it acts on (a parent id covers its sub-techniques); empty means any.
    pub techniques: Vec<String>,
    /// Relation kinds whose edges it acts on; empty means any.
    pub relations: Vec<RelationKind>,
    /// Credential materials it acts on; empty means any.
    pub credentials: Vec<Credential>,
    /// Only steps that pass (`Some(true)`) or skip (`Some(false)`) a policy enforcement point;
    /// `None` means both.
    pub at_pep: Option<bool>,
    /// Which end of a step must be covered.
    pub on: EffectEnd,
    /// e for harden, d for detect, fraction for standing, mean delay hours for respond.
    pub value: f64,
    /// respond: what containment does.
    pub action: ResponseAction,
    /// block: the blocked protocols as a bit mask (SMB 1, RDP 2, WinRM 4, SSH 8, HTTPS 16, SQL 32).
    pub protocols: u8,
    /// block: which flows are blocked.
    pub reach: BlockReach,
    /// block: segment ids still allowed in.
    pub allow_from: Vec<String>,
    /// block: outbound rather than inbound flows.
    pub outbound: bool,
    /// Only steps whose source identity is privileged (tier 0 or 1).
    pub privileged_only: bool,
    /// Only pass-the-hash steps using the shared local administrator password.
    pub shared_local_admin: bool,
    /// harden: stacking group; within one, only the strongest effect applies.
    pub stack: Option<String>,
    /// remove: share of matching edges removed.
    pub share: f64,
    /// require: what the policy engine demands of covered identities.
    pub require: Option<super::Requirement>,
}

/// A control of a set with its scope, coverage and every parameter value settled.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ResolvedControl {
    /// Control id.
    pub id: String,
    /// Display name (the id when the definition has none).
    pub name: String,
    /// Fraction in [0, 1] of in-scope assets covered (default 1).
    pub coverage: f64,
    /// Assets in scope (empty: every asset).
    pub scope: ScopeDef,
    /// Parameter values after the definition's and the set's overrides.
    pub params: BTreeMap<String, f64>,
    /// Effects, with numbers resolved from `params`.
    pub effects: Vec<ResolvedEffect>,
}

/// A control set resolved into concrete controls, ready to become a plan.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ResolvedSet {
    /// Set name, as asked for.
    pub name: String,
    /// The set's description (empty if it has none).
    pub description: String,
    /// The set's controls, in order.
    pub controls: Vec<ResolvedControl>,
}

/// Resolves a control-set name: `none`, a set the scenario defines, or control ids joined
/// with `+` (e.g. `C01+C14`).
pub fn resolve_set(name: &str, sets: &[ControlSetDef], catalog: &Catalog) -> Result<ResolvedSet> {
    let uses = uses_of(name, sets, catalog, &mut Vec::new())?;
    let description = sets
        .iter()
        .chain(catalog.presets.iter())
        .find(|s| s.name == name)
        .and_then(|s| s.description.clone())
        .unwrap_or_default();
    let controls = uses
        .iter()
        .map(|u| resolve_control(u, catalog))
        .collect::<Result<Vec<_>>>()?;
    Ok(ResolvedSet {
        name: name.to_string(),
        description,
        controls,
    })
}

fn uses_of(
    name: &str,
    sets: &[ControlSetDef],
    catalog: &Catalog,
    chain: &mut Vec<String>,
) -> Result<Vec<ControlUse>> {
    if name == "none" {
        return Ok(Vec::new());
    }
    if chain.iter().any(|c| c == name) {
        return Err(Error::UnknownControlSet {
            name: name.to_string(),
            hint: format!("`extends` forms a cycle: {} -> {name}", chain.join(" -> ")),
        });
    }
    if let Some(set) = sets
        .iter()
        .find(|s| s.name == name)
        .or_else(|| catalog.preset(name))
    {
        chain.push(name.to_string());
        let mut uses = match &set.extends {
            Some(parent) => uses_of(parent, sets, catalog, chain)?,
            None => Vec::new(),
        };
        chain.pop();
        for u in &set.controls {
            match uses.iter_mut().find(|x| x.id == u.id) {
                Some(x) => *x = u.clone(),
                None => uses.push(u.clone()),
            }
        }
        uses.retain(|u| !set.without.contains(&u.id));
        return Ok(uses);
    }
    // `base+part+part`: each part a control id, or `pillar:stage` (raise one pillar to a
    // stage: its controls of that pillar replace the base's).
    let mut parts = name.split('+').map(str::trim);
    let first = parts.next().unwrap_or_default();
    let mut uses = if catalog.get(first).is_some() {
        vec![ControlUse::from_id(first)]
    } else if sets.iter().any(|s| s.name == first)
        || catalog.preset(first).is_some()
        || first == "none"
    {
        uses_of(first, sets, catalog, chain)?
    } else {
        return Err(unknown(name, first, sets, catalog));
    };
    for part in parts {
        if let Some((pillar, stage)) = part.split_once(':') {
            let Some(p) = parse_pillar(pillar) else {
                return Err(unknown(name, part, sets, catalog));
            };
            let raised = uses_of(stage, sets, catalog, chain)?;
            let of_pillar = |u: &ControlUse| catalog.get(&u.id).and_then(|c| c.pillar) == Some(p);
            uses.retain(|u| !of_pillar(u));
            uses.extend(raised.into_iter().filter(of_pillar));
        } else if catalog.get(part).is_some() {
            if !uses.iter().any(|u| u.id == part) {
                uses.push(ControlUse::from_id(part));
            }
        } else {
            return Err(unknown(name, part, sets, catalog));
        }
    }
    Ok(uses)
}

fn parse_pillar(s: &str) -> Option<super::ControlPillar> {
    use super::ControlPillar::*;
    Some(match s {
        "identity" | "identities" => Identities,
        "device" | "devices" | "endpoints" => Devices,
        "application" | "applications" | "apps" => Applications,
        "data" => Data,
        "infrastructure" => Infrastructure,
        "network" | "networks" => Networks,
        "visibility" => Visibility,
        "automation" => Automation,
        _ => return None,
    })
}

fn unknown(name: &str, part: &str, sets: &[ControlSetDef], catalog: &Catalog) -> Error {
    let mut known: Vec<&str> = vec!["none"];
    known.extend(sets.iter().map(|s| s.name.as_str()));
    known.extend(catalog.presets.iter().map(|s| s.name.as_str()));
    Error::UnknownControlSet {
        name: name.to_string(),
        hint: format!(
            "`{part}` is not a control set, preset, control id or pillar:stage; use one of {} or catalog ids joined with `+` such as C01+C14, or a pillar raise such as initial+identity:advanced (see `ztsim controls`)",
            known.join(", ")
        ),
    }
}

fn resolve_control(u: &ControlUse, catalog: &Catalog) -> Result<ResolvedControl> {
    let def = catalog
        .get(&u.id)
        .ok_or_else(|| Error::Usage(format!("unknown control `{}`", u.id)))?;
    let mut params: BTreeMap<String, f64> = def
        .parameters
        .iter()
        .map(|(k, v)| (k.clone(), v.value))
        .collect();
    for (k, v) in def.params.iter().chain(u.params.iter()) {
        params.insert(k.clone(), *v);
    }
    let number = |v: &Option<ParamValue>, what: &str| -> Result<f64> {
        match v {
            Some(ParamValue::Number(x)) => Ok(*x),
            Some(ParamValue::Param(p)) => params
                .get(p)
                .copied()
                .ok_or_else(|| Error::Usage(format!("control {}: unknown parameter `{p}`", u.id))),
            None => Err(Error::Usage(format!(
                "control {}: effect needs `{what}`",
                u.id
            ))),
        }
    };
    let effects = def
        .effects
        .as_deref()
        .unwrap_or(&[])
        .iter()
        .map(|e: &EffectDef| {
            let value = match e.kind {
                EffectKind::Harden | EffectKind::Require => number(&e.e, "e")?,
                EffectKind::Detect => number(&e.d, "d")?,
                EffectKind::Standing => number(&e.fraction, "fraction")?,
                EffectKind::Respond => number(&e.delay_hours, "delay_hours")?,
                EffectKind::Remove | EffectKind::Block | EffectKind::Enforce => 1.0,
            };
            let share = match &e.share {
                Some(v) => number(&Some(v.clone()), "share")?,
                None => 1.0,
            };
            Ok(ResolvedEffect {
                kind: e.kind,
                techniques: e.techniques.clone(),
                relations: e.relations.clone(),
                credentials: e.credentials.clone(),
                at_pep: e.at_pep,
                on: e.on,
                value,
                action: e.action.unwrap_or_default(),
                protocols: Protocol::mask_of(&e.protocols),
                reach: e.reach.unwrap_or_default(),
                allow_from: e.allow_from.clone(),
                outbound: e.direction == Some(super::FlowDirection::Outbound),
                privileged_only: e.privileged_only,
                shared_local_admin: e.shared_local_admin,
                stack: e.stack.clone(),
                share,
                require: e.require,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(ResolvedControl {
        id: def.id.clone(),
        name: def.name.clone().unwrap_or_else(|| def.id.clone()),
        coverage: u.coverage.or(def.coverage).unwrap_or(1.0),
        scope: u
            .scope
            .clone()
            .or_else(|| def.scope.clone())
            .unwrap_or_default(),
        params,
        effects,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalog_parses_and_resolves() {
        let c = Catalog::builtin().unwrap();
        assert!(c.get("C01").is_some());
        for def in &c.controls {
            let s = resolve_set(&def.id, &[], &c).unwrap();
            assert_eq!(s.controls.len(), 1);
        }
        assert!(resolve_set("C01+C14", &[], &c).is_ok());
        assert!(resolve_set("nonsense", &[], &c).is_err());
        assert!(resolve_set("none", &[], &c).unwrap().controls.is_empty());
    }

    #[test]
    fn scopes_print_as_a_scenario_writes_them() {
        let c = Catalog::builtin().unwrap();
        let scope = |id: &str| c.get(id).unwrap().scope.as_ref().unwrap().to_string();
        assert_eq!(scope("C01"), "{kinds: [user, admin, guest]}");
        assert_eq!(scope("C28"), "{tags: [backup]}");
        assert_eq!(
            crate::controls::ScopeDef::default().to_string(),
            "every asset"
        );
    }
}
