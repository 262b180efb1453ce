//! Writing a scenario compactly: fields left at their default (`null`, `[]`, `false`) are
//! omitted, and every asset, relation and segment is one line, in JSON (one object per line)
//! or YAML (one flow mapping per line, like the hand-written examples). A million-asset estate
//! is then a few hundred megabytes instead of gigabytes, and `ztsim validate` reports
//! locations by line. The small parts (attacker, control sets, defender, simulation) go
//! through their own `Serialize` with nulls and empty collections pruned.

use crate::scenario::{AssetDef, ReachDef, RelationDef, Scenario, SegmentDef};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;

/// An asset without its default-valued fields.
pub struct CompactAsset<'a>(pub &'a AssetDef);

impl Serialize for CompactAsset<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let a = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &a.id)?;
        m.serialize_entry("kind", &a.kind)?;
        macro_rules! opt {
            ($($f:ident),*) => { $( if let Some(v) = &a.$f { m.serialize_entry(stringify!($f), v)?; } )* };
        }
        opt!(name);
        if !a.tags.is_empty() {
            m.serialize_entry("tags", &a.tags)?;
        }
        opt!(
            value,
            segment,
            domain,
            tier,
            mfa,
            weak_password,
            trained,
            os,
            managed,
            compliant
        );
        opt!(edr, patch_lag_days, unique_local_admin, credential_guard);
        if !a.exposed.is_empty() {
            m.serialize_entry("exposed", &a.exposed)?;
        }
        opt!(
            exploitable,
            internet_facing,
            sso,
            sensitivity,
            records,
            encrypted
        );
        if a.crown_jewel {
            m.serialize_entry("crown_jewel", &true)?;
        }
        m.end()
    }
}

/// A relation without its default-valued fields.
pub struct CompactRelation<'a>(pub &'a RelationDef);

impl Serialize for CompactRelation<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("type", &r.kind)?;
        m.serialize_entry("from", &r.from)?;
        m.serialize_entry("to", &r.to)?;
        if let Some(role) = &r.role {
            m.serialize_entry("role", role)?;
        }
        if r.eligible {
            m.serialize_entry("eligible", &true)?;
        }
        m.end()
    }
}

struct CompactSegment<'a>(&'a SegmentDef);

impl Serialize for CompactSegment<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let g = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &g.id)?;
        if let Some(n) = &g.name {
            m.serialize_entry("name", n)?;
        }
        if let Some(e) = &g.east_west {
            m.serialize_entry("east_west", e)?;
        }
        if !g.tags.is_empty() {
            m.serialize_entry("tags", &g.tags)?;
        }
        if let Some(v) = &g.value {
            m.serialize_entry("value", v)?;
        }
        m.end()
    }
}

struct CompactReach<'a>(&'a ReachDef);

impl Serialize for CompactReach<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("from", &r.from)?;
        m.serialize_entry("to", &r.to)?;
        m.serialize_entry("protocols", &r.protocols)?;
        if r.bidirectional {
            m.serialize_entry("bidirectional", &true)?;
        }
        m.end()
    }
}

/// Fields whose default is `false`, dropped when false.
const FALSE_DEFAULTS: [&str; 4] = ["crown_jewel", "eligible", "bidirectional", "crown_jewels"];

/// Drops nulls, empty lists and maps, and default-false flags, recursively.
pub fn prune(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, v)| match v {
                    Value::Null => false,
                    Value::Array(a) => !a.is_empty(),
                    Value::Object(o) => !o.is_empty(),
                    Value::Bool(false) => !FALSE_DEFAULTS.contains(&k.as_str()),
                    _ => true,
                })
                .map(|(k, v)| (k, prune(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(prune).collect()),
        other => other,
    }
}

fn pruned<T: Serialize>(x: &T) -> Value {
    prune(serde_json::to_value(x).expect("scenario parts serialize to JSON"))
}

/// The parts of a scenario after the big lists, in file order.
fn tail(s: &Scenario) -> Vec<(&'static str, Value)> {
    let mut out = vec![("attacker", pruned(&s.attacker))];
    if !s.techniques.is_empty() {
        out.push(("techniques", pruned(&s.techniques)));
    }
    if !s.controls.is_empty() {
        out.push(("controls", pruned(&s.controls)));
    }
    if !s.control_sets.is_empty() {
        out.push(("control_sets", pruned(&s.control_sets)));
    }
    out.push(("defender", pruned(&s.defender)));
    out.push(("simulation", pruned(&s.simulation)));
    out
}

fn json_list<'a, T, W: Serialize>(
    out: &mut Vec<u8>,
    key: &str,
    items: &'a [T],
    wrap: impl Fn(&'a T) -> W,
) {
    out.extend_from_slice(format!(",\n\"{key}\": [").as_bytes());
    for (i, it) in items.iter().enumerate() {
        out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
        serde_json::to_writer(&mut *out, &wrap(it)).expect("compact items serialize to JSON");
    }
    out.extend_from_slice(b"\n]");
}

/// The scenario as JSON, one asset / relation / segment per line.
pub fn to_json(s: &Scenario) -> Vec<u8> {
    let mut out = Vec::with_capacity(96 * (s.assets.len() + s.relations.len()) + 4096);
    out.extend_from_slice(b"{\"name\": ");
    out.extend_from_slice(&serde_json::to_vec(&s.name).expect("string"));
    out.extend_from_slice(b",\n\"description\": ");
    out.extend_from_slice(&serde_json::to_vec(&s.description).expect("string"));
    json_list(&mut out, "segments", &s.segments, CompactSegment);
    json_list(&mut out, "reachability", &s.reachability, CompactReach);
    json_list(&mut out, "assets", &s.assets, CompactAsset);
    json_list(&mut out, "relations", &s.relations, CompactRelation);
    for (k, v) in tail(s) {
        out.extend_from_slice(format!(",\n\"{k}\": ").as_bytes());
        out.extend_from_slice(&serde_json::to_vec(&v).expect("value"));
    }
    out.extend_from_slice(b"\n}\n");
    out
}

/// The scenario as YAML, one flow mapping per asset / relation / segment, under a comment
/// header.
pub fn to_yaml(s: &Scenario, header: &str) -> String {
    let mut out = String::with_capacity(96 * (s.assets.len() + s.relations.len()) + 4096);
    for line in header.lines() {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
    #[derive(Serialize)]
    struct Head<'a> {
        name: &'a str,
        description: &'a str,
    }
    out.push_str(&yaml(&Head {
        name: &s.name,
        description: &s.description,
    }));
    yaml_list(&mut out, "segments", &s.segments, CompactSegment);
    yaml_list(&mut out, "reachability", &s.reachability, CompactReach);
    yaml_list(&mut out, "assets", &s.assets, CompactAsset);
    yaml_list(&mut out, "relations", &s.relations, CompactRelation);
    out.push('\n');
    for (k, v) in tail(s) {
        let mut m = serde_json::Map::new();
        m.insert(k.to_string(), v);
        out.push_str(&yaml(&Value::Object(m)));
    }
    out
}

fn yaml_list<'a, T, W: Serialize>(
    out: &mut String,
    key: &str,
    items: &'a [T],
    wrap: impl Fn(&'a T) -> W,
) {
    out.push('\n');
    out.push_str(key);
    out.push_str(":\n");
    for it in items {
        out.push_str("  - ");
        out.push_str(yaml(&serde_saphyr::FlowMap(wrap(it))).trim_end());
        out.push('\n');
    }
}

fn yaml<T: Serialize>(x: &T) -> String {
    serde_saphyr::to_string(x).expect("scenario parts serialize to YAML")
}
