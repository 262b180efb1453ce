//! What-if patches: a small file of edits to a scenario's estate (add, remove or modify
//! assets and relations), applied before simulating (`ztsim run FILE --patch P.yaml`).
//!
//! Edits apply in a fixed order: relations removed, assets removed (with every relation
//! that touches them), assets added, assets modified, relations added. Every problem is
//! reported against the patch file with its line, column and field: a missing id, a
//! duplicate, or an estate the patch leaves invalid. The scenario file is never written.

use super::{AssetDef, RelationDef, Scenario, locate_all, validate};
use crate::error::{Diagnostic, Diagnostics, Error, Result};
use crate::limits::Limits;
use crate::model::RelationKind;
use serde::Deserialize;

/// A relation named by its ends and kind.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelationRef {
    /// The relation's kind.
    #[serde(rename = "type")]
    pub kind: RelationKind,
    /// Its source asset.
    pub from: String,
    /// Its target asset.
    pub to: String,
}

/// A patch file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    /// What the patch is for (shown nowhere; for the reader).
    #[serde(default)]
    pub description: Option<String>,
    /// Relations to remove (each must exist).
    #[serde(default)]
    pub remove_relations: Vec<RelationRef>,
    /// Assets to remove, with every relation that touches them.
    #[serde(default)]
    pub remove_assets: Vec<String>,
    /// New assets, as a scenario writes them.
    #[serde(default)]
    pub add_assets: Vec<AssetDef>,
    /// Fields to set on existing assets: `{id: X, field: value, ...}`.
    #[serde(default)]
    pub modify_assets: Vec<serde_json::Map<String, serde_json::Value>>,
    /// New relations, as a scenario writes them.
    #[serde(default)]
    pub add_relations: Vec<RelationDef>,
}

/// Where each asset and relation of the patched scenario came from: the patch path that
/// added or modified it, if any.
struct Provenance {
    assets: Vec<Option<String>>,
    relations: Vec<Option<String>>,
}

/// Reads, applies and checks a patch: the patched scenario, or every problem located in the
/// patch file `origin`.
pub fn apply_patch_str(
    s: &Scenario,
    text: &str,
    origin: &str,
    limits: &Limits,
) -> Result<Scenario> {
    let fail = |items: Vec<Diagnostic>| {
        Error::Invalid(Diagnostics {
            file: origin.to_string(),
            items: locate_all(text, items),
        })
    };
    let kind = super::DocKind {
        called: "patch",
        needs: "at least one of remove_relations, remove_assets, add_assets, modify_assets, add_relations",
    };
    let patch: Patch = super::parse_strict(text, super::is_json(origin, text), limits, kind)
        .map_err(|d| fail(vec![d]))?;
    apply_patch(s, &patch, limits).map_err(fail)
}

/// Applies a parsed patch: the patched scenario, or every problem with its path in the
/// patch (and no location: the caller locates them in the patch's text, if it has one).
pub fn apply_patch(
    s: &Scenario,
    patch: &Patch,
    limits: &Limits,
) -> std::result::Result<Scenario, Vec<Diagnostic>> {
    let mut out = s.clone();
    let mut prov = Provenance {
        assets: vec![None; s.assets.len()],
        relations: vec![None; s.relations.len()],
    };
    let mut errors = Vec::new();
    remove_relations(patch, &mut out, &mut prov, &mut errors);
    remove_assets(patch, &mut out, &mut prov, &mut errors);
    add_assets(patch, &mut out, &mut prov, &mut errors);
    modify_assets(patch, &mut out, &mut prov, &mut errors);
    for (k, r) in patch.add_relations.iter().enumerate() {
        out.relations.push(r.clone());
        prov.relations.push(Some(format!("add_relations[{k}]")));
    }
    if errors.is_empty() {
        errors = revalidate(&out, &prov, limits);
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn remove_relations(
    p: &Patch,
    s: &mut Scenario,
    prov: &mut Provenance,
    errors: &mut Vec<Diagnostic>,
) {
    for (k, r) in p.remove_relations.iter().enumerate() {
        let before = s.relations.len();
        let keep: Vec<bool> = s
            .relations
            .iter()
            .map(|x| !(x.kind == r.kind && x.from == r.from && x.to == r.to))
            .collect();
        retain_by(&mut s.relations, &keep);
        retain_by(&mut prov.relations, &keep);
        if s.relations.len() == before {
            errors.push(
                Diagnostic::error(
                    format!("remove_relations[{k}]"),
                    format!(
                        "no relation `{} {} -> {}` in the scenario",
                        r.kind.name(),
                        r.from,
                        r.to
                    ),
                )
                .with_hint(
                    "a relation is named by its type, from and to, as the scenario writes it",
                ),
            );
        }
    }
}

fn remove_assets(p: &Patch, s: &mut Scenario, prov: &mut Provenance, errors: &mut Vec<Diagnostic>) {
    for (k, id) in p.remove_assets.iter().enumerate() {
        let Some(i) = s.assets.iter().position(|a| &a.id == id) else {
            errors.push(unknown_asset(format!("remove_assets[{k}]"), id, s));
            continue;
        };
        s.assets.remove(i);
        prov.assets.remove(i);
        let keep: Vec<bool> = s
            .relations
            .iter()
            .map(|r| &r.from != id && &r.to != id)
            .collect();
        retain_by(&mut s.relations, &keep);
        retain_by(&mut prov.relations, &keep);
    }
}

fn add_assets(p: &Patch, s: &mut Scenario, prov: &mut Provenance, errors: &mut Vec<Diagnostic>) {
    for (k, a) in p.add_assets.iter().enumerate() {
        if s.assets.iter().any(|x| x.id == a.id) || s.segments.iter().any(|x| x.id == a.id) {
            errors.push(
                Diagnostic::error(
                    format!("add_assets[{k}].id"),
                    format!("`{}` already exists in the scenario", a.id),
                )
                .with_hint("use modify_assets to change an asset, or pick a new id"),
            );
            continue;
        }
        s.assets.push(a.clone());
        prov.assets.push(Some(format!("add_assets[{k}]")));
    }
}

fn modify_assets(p: &Patch, s: &mut Scenario, prov: &mut Provenance, errors: &mut Vec<Diagnostic>) {
    for (k, m) in p.modify_assets.iter().enumerate() {
        let Some(id) = m.get("id").and_then(|v| v.as_str()) else {
            errors.push(Diagnostic::error(
                format!("modify_assets[{k}]"),
                "missing field `id`: name the asset to modify",
            ));
            continue;
        };
        let Some(i) = s.assets.iter().position(|a| a.id == id) else {
            errors.push(unknown_asset(format!("modify_assets[{k}].id"), id, s));
            continue;
        };
        let mut v = serde_json::to_value(&s.assets[i]).expect("an asset serializes");
        if let Some(obj) = v.as_object_mut() {
            for (key, val) in m {
                obj.insert(key.clone(), val.clone());
            }
        }
        match serde_path_to_error::deserialize::<_, AssetDef>(v) {
            Ok(a) => {
                s.assets[i] = a;
                prov.assets[i] = Some(format!("modify_assets[{k}]"));
            }
            Err(e) => {
                let field = e.path().to_string();
                errors.push(Diagnostic::error(
                    format!("modify_assets[{k}].{field}"),
                    e.into_inner().to_string(),
                ));
            }
        }
    }
}

fn unknown_asset(path: String, id: &str, s: &Scenario) -> Diagnostic {
    let d = Diagnostic::error(path, format!("no asset `{id}` in the scenario"));
    match crate::suggest::did_you_mean_hint(id, s.assets.iter().map(|a| a.id.as_str())) {
        Some(h) => d.with_hint(h),
        None => d,
    }
}

fn retain_by<T>(v: &mut Vec<T>, keep: &[bool]) {
    let mut i = 0;
    v.retain(|_| {
        i += 1;
        keep[i - 1]
    });
}

/// Validates the patched scenario; problems in items the patch added or modified are
/// reported at the patch's own entry, others at the patch's top with the scenario's path.
fn revalidate(s: &Scenario, prov: &Provenance, limits: &Limits) -> Vec<Diagnostic> {
    validate(s, limits)
        .into_iter()
        .filter(Diagnostic::is_error)
        .map(|mut d| {
            let mapped = map_path(&d.path, "assets", &prov.assets)
                .or_else(|| map_path(&d.path, "relations", &prov.relations));
            match mapped {
                Some(p) => d.path = p,
                None => {
                    d.message = format!("after the patch, {}: {}", d.path, d.message);
                    d.path = String::new();
                    d.line = 1;
                    d.column = 1;
                }
            }
            d
        })
        .collect()
}

/// `assets[3].segment` → `add_assets[0].segment` when the patch added that asset.
fn map_path(path: &str, list: &str, prov: &[Option<String>]) -> Option<String> {
    let rest = path.strip_prefix(list)?.strip_prefix('[')?;
    let (idx, tail) = rest.split_once(']')?;
    let i: usize = idx.parse().ok()?;
    let base = prov.get(i)?.as_ref()?;
    Some(format!("{base}{tail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario() -> Scenario {
        let text = "name: t\nassets:\n- {id: a, kind: user}\n- {id: pc, kind: workstation}\nrelations:\n- {type: has_session, from: pc, to: a}\n";
        crate::scenario::load_scenario_str(text, "t.yaml", &Limits::default())
            .expect("loads")
            .scenario
    }

    fn apply(patch: &str) -> Result<Scenario> {
        apply_patch_str(&scenario(), patch, "p.yaml", &Limits::default())
    }

    #[test]
    fn edits_apply_in_order() {
        let s = apply(
            "remove_assets: [a]\nadd_assets:\n- {id: b, kind: admin}\nmodify_assets:\n- {id: pc, edr: true}\nadd_relations:\n- {type: has_session, from: pc, to: b}\n",
        )
        .expect("applies");
        let ids: Vec<&str> = s.assets.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["pc", "b"]);
        assert_eq!(s.assets[0].edr, Some(true));
        // The relation to the removed asset went with it.
        assert_eq!(s.relations.len(), 1);
        assert_eq!(s.relations[0].to, "b");
    }

    #[test]
    fn problems_are_located_in_the_patch() {
        let msg = |p: &str| apply(p).expect_err("fails").to_string();
        let m = msg("remove_assets: [x]\n");
        assert!(m.contains("p.yaml:1:") && m.contains("no asset `x`"), "{m}");
        let m = msg("add_assets:\n- {id: pc, kind: server}\n");
        assert!(
            m.contains("p.yaml:2:") && m.contains("already exists"),
            "{m}"
        );
        let m = msg("add_relations:\n- {type: admin_to, from: pc, to: nowhere}\n");
        assert!(
            m.contains("p.yaml:2:") && m.contains("add_relations[0].to"),
            "{m}"
        );
        let m = msg("modify_assets:\n- {id: pcc, edr: true}\n");
        assert!(m.contains("did you mean `pc`?"), "{m}");
        let m = msg("remove_relations:\n- {type: admin_to, from: a, to: pc}\n");
        assert!(m.contains("no relation `admin_to a -> pc`"), "{m}");
        let m = msg("nonsense: 1\n");
        assert!(m.contains("p.yaml:1:1") && m.contains("nonsense"), "{m}");
    }
}
