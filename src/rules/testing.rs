//! Runs one rule alone on its example estate: the test that walks the registry.

use super::{Derive, REGISTRY, Scope};
use crate::estate::{self, NO_SOURCE};
use crate::world::EstateWorld;

/// The edges rule `i` alone derives on `yaml`, as sorted `from>to` pairs (`*` for a network
/// step).
pub(crate) fn edges_of_rule(i: usize, yaml: &str) -> Result<Vec<String>, String> {
    let limits = crate::limits::Limits::default();
    let loaded = crate::scenario::load_scenario_str(yaml, "example.yaml", &limits)
        .map_err(|e| format!("example does not load: {e}"))?;
    let w = EstateWorld::from_scenario(&loaded.scenario);
    let est = estate::compile_world(&w, None);
    let mut out: Vec<String> = est
        .edges
        .iter()
        .zip(&est.origins)
        .filter(|(_, o)| o.rule as usize == i)
        .map(|(e, _)| {
            let src = if e.src == NO_SOURCE {
                "*".to_string()
            } else {
                est.node(e.src).id.clone()
            };
            format!("{src}>{}", est.node(e.dst).id)
        })
        .collect();
    out.sort();
    Ok(out)
}

#[test]
fn every_rule_produces_exactly_its_example() {
    let mut failures = Vec::new();
    for (i, rule) in REGISTRY.iter().enumerate() {
        let mut want: Vec<String> = rule.example.edges.iter().map(|s| s.to_string()).collect();
        want.sort();
        let got = edges_of_rule(i, rule.example.scenario);
        if got.as_ref() != Ok(&want) {
            failures.push(format!("{}: want {want:?}, got {got:?}", rule.id));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn rule_ids_are_unique_and_well_formed() {
    let mut ids: Vec<&str> = REGISTRY.iter().map(|r| r.id).collect();
    assert!(ids.len() >= 44, "{} rules", ids.len());
    ids.sort();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate rule ids");
    for r in REGISTRY {
        assert!(r.id.contains('.') && !r.models.is_empty() && !r.name.is_empty());
        let tc = crate::techniques::TechniqueCatalog::builtin();
        for t in r.techniques {
            assert!(tc.id(t).is_some(), "{}: unknown technique {t}", r.id);
        }
        // Relation rules name their relation kinds; asset rules derive from assets.
        match (r.scope, r.derive) {
            (Scope::Asset, Derive::Asset(_)) => {}
            (Scope::Relations(k), Derive::Relation(_)) => assert!(!k.is_empty()),
            _ => panic!("{}: scope and derivation disagree", r.id),
        }
        // Each example is a tiny world: three to five assets.
        let assets = r.example.scenario.matches("- {id:").count();
        assert!((3..=6).contains(&assets), "{}: {assets} assets", r.id);
    }
}
