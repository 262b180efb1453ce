//! Export of a scenario's estate as a graph for other tools: BloodHound OpenGraph JSON,
//! Graphviz DOT, GraphML (Gephi, yEd).
//!
//! What is exported is the authoring view: segments and assets as nodes, relations and
//! reachability rules as edges, not the compiled attack edges. With simulation results
//! (`summary.json` from `ztsim run --out DIR`), each asset carries its compromise frequency
//! per control set (`compromise_<set>`, the share of trials in which it was compromised),
//! and each relation the share of trials in which an attack step over it succeeded
//! (`success_<set>`).
//!
//! Every string from the scenario is escaped for its format: JSON by serde_json, DOT
//! double-quoted IDs with `"` and `\` escaped and control characters removed, XML with
//! the five entities and characters XML 1.0 forbids replaced.

use crate::error::{Error, Result};
use crate::model::{AssetKind, Pillar, RelationKind};
use crate::scenario::Scenario;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// A graph format [`export`] can write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// BloodHound OpenGraph JSON.
    OpenGraph,
    /// Graphviz DOT.
    Dot,
    /// GraphML (Gephi, yEd).
    GraphMl,
}

impl Format {
    /// The format named `s` (case-insensitive; `bloodhound` and `graphviz` are accepted as
    /// aliases); `None` for an unknown name.
    pub fn parse(s: &str) -> Option<Format> {
        match s.to_ascii_lowercase().as_str() {
            "opengraph" | "bloodhound" => Some(Format::OpenGraph),
            "dot" | "graphviz" => Some(Format::Dot),
            "graphml" => Some(Format::GraphMl),
            _ => None,
        }
    }
}

/// Per-asset compromise frequencies of a run, by control set (in run order).
#[derive(Clone, Debug, Default)]
pub struct Results {
    /// Per control set: its name and each asset's share of trials compromised, by asset id.
    pub sets: Vec<(String, BTreeMap<String, f64>)>,
    /// Per control set, in the same order: each relation's share of trials in which an
    /// attack step over it succeeded, by `KIND:FROM:TO`; `None` when the summary predates
    /// per-relation results.
    pub relations: Vec<Option<BTreeMap<String, f64>>>,
    /// FNV-1a hash of the scenario text the run used (hex), if the summary has it.
    pub scenario_hash: Option<String>,
}

impl Results {
    /// Reads `DIR/summary.json` written by `ztsim run --out DIR`.
    pub fn from_dir(dir: &Path) -> Result<Results> {
        let path = dir.join("summary.json");
        let text = std::fs::read_to_string(&path).map_err(|cause| Error::Read {
            path: path.clone(),
            cause,
        })?;
        Results::from_summary_json(&text)
            .map_err(|m| Error::Usage(format!("{}: {m}", path.display())))
    }

    pub(crate) fn from_summary_json(text: &str) -> std::result::Result<Results, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let sets = v
            .get("control_sets")
            .and_then(Value::as_array)
            .ok_or("no `control_sets` list: not a ztsim summary.json")?;
        let mut out = Results {
            scenario_hash: v
                .get("scenario_hash")
                .and_then(Value::as_str)
                .map(str::to_string),
            ..Results::default()
        };
        for (i, s) in sets.iter().enumerate() {
            let name = s
                .get("name")
                .and_then(Value::as_str)
                .ok_or(format!("control_sets[{i}] has no name"))?;
            let rates = s
                .get("asset_compromise_rate")
                .and_then(Value::as_object)
                .ok_or(format!("control_sets[{i}] has no asset_compromise_rate"))?;
            out.sets.push((name.to_string(), numbers(rates)));
            out.relations.push(
                s.get("relation_success_rate")
                    .and_then(Value::as_object)
                    .map(numbers),
            );
        }
        Ok(out)
    }
}

/// The numeric entries of a JSON object.
fn numbers(m: &Map<String, Value>) -> BTreeMap<String, f64> {
    m.iter()
        .filter_map(|(k, v)| v.as_f64().map(|x| (k.clone(), x)))
        .collect()
}

/// A property value: what all three formats can carry.
#[derive(Clone, Debug, PartialEq)]
enum Prop {
    Str(String),
    Num(f64),
    Bool(bool),
    List(Vec<String>),
}

struct GNode {
    id: String,
    label: String,
    /// ztsim kind (`user`, `server`, ..., `segment`).
    kind: AssetKind,
    props: BTreeMap<String, Prop>,
}

struct GEdge {
    from: String,
    to: String,
    /// ztsim relation name, or `reaches` for a reachability rule.
    ztsim: String,
    /// BloodHound edge kind (or `ZT_...`).
    kind: String,
    props: BTreeMap<String, Prop>,
}

struct Graph {
    name: String,
    nodes: Vec<GNode>,
    edges: Vec<GEdge>,
    /// Property keys of the compromise frequencies, with their set names.
    result_keys: Vec<(String, String)>,
}

/// BloodHound's edge name for a relation where one exists, else `ZT_<Name>`.
pub fn edge_kind(r: RelationKind) -> &'static str {
    match r {
        RelationKind::MemberOf => "MemberOf",
        RelationKind::AdminTo => "AdminTo",
        RelationKind::HasSession => "HasSession",
        RelationKind::CanRdp => "CanRDP",
        RelationKind::CanPsremote => "CanPSRemote",
        RelationKind::CanSsh => "ZT_CanSSH",
        RelationKind::CanLogOn => "ZT_CanLogOn",
        RelationKind::RoleOn => "ZT_RoleOn",
        RelationKind::Reads => "ZT_Reads",
        RelationKind::Writes => "ZT_Writes",
        RelationKind::HostedOn => "ZT_HostedOn",
        RelationKind::Trusts => "ZT_Trusts",
        RelationKind::Stores => "ZT_Stores",
        RelationKind::Leaks => "ZT_Leaks",
        RelationKind::RunsCodeFrom => "ZT_RunsCodeFrom",
        RelationKind::CanResetPassword => "ForceChangePassword",
        RelationKind::CanAddKeyCredential => "AddKeyCredentialLink",
        RelationKind::CanWriteSpn => "WriteSPN",
        RelationKind::CanReadPassword => "ReadGMSAPassword",
        RelationKind::CanRewriteAcl => "WriteDacl",
        RelationKind::CanPushGpo => "ZT_CanPushGPO",
        RelationKind::CanEnroll => "Enroll",
        RelationKind::PublishedTo => "PublishedTo",
        RelationKind::CanManageCa => "ManageCA",
        RelationKind::CanIssueCertificates => "ManageCertificates",
        RelationKind::CanEnrollOnBehalf => "DelegatedEnrollmentAgent",
        RelationKind::HasIssuancePolicy => "ZT_HasIssuancePolicy",
        RelationKind::OidGroupLink => "OIDGroupLink",
        RelationKind::CanAddSecret => "AZAddSecret",
        RelationKind::CanAddMember => "AZAddMembers",
        RelationKind::CanGrantRole => "AZMGGrantRole",
        RelationKind::CanGrantAppRoles => "AZMGGrantAppRoles",
        RelationKind::CanResetCloudPassword => "AZResetPassword",
        RelationKind::CanRunCommand => "AZExecuteCommand",
        RelationKind::HasManagedIdentity => "AZManagedIdentity",
        RelationKind::HasRole => "AZHasRole",
    }
}

/// OpenGraph node kind of an asset kind: `ZT_` and the kind in CamelCase.
pub fn node_kind(k: AssetKind) -> String {
    format!("ZT_{}", camel(k.name()))
}

fn pillar_kind(p: Pillar) -> String {
    format!("ZT_{}", camel(p.name()))
}

fn camel(s: &str) -> String {
    s.split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// A property key from a control-set name: lower-case letters, digits and `_`.
fn set_key(name: &str) -> String {
    let mut k = String::from("compromise_");
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            k.push(c.to_ascii_lowercase());
        } else {
            k.push('_');
        }
    }
    k
}

/// The edge property of a node's compromise key: `compromise_<set>` → `success_<set>`.
fn success_key(node_key: &str) -> String {
    format!(
        "success_{}",
        node_key.strip_prefix("compromise_").unwrap_or(node_key)
    )
}

fn props_of(v: Value, skip: &[&str]) -> BTreeMap<String, Prop> {
    let mut out = BTreeMap::new();
    let Value::Object(m) = v else { return out };
    for (k, v) in m {
        if skip.contains(&k.as_str()) {
            continue;
        }
        let p = match v {
            Value::String(s) => Prop::Str(s),
            Value::Number(n) => match n.as_f64() {
                Some(x) => Prop::Num(x),
                None => continue,
            },
            Value::Bool(b) => Prop::Bool(b),
            Value::Array(a) if !a.is_empty() => Prop::List(
                a.iter()
                    .map(|x| match x {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect(),
            ),
            _ => continue,
        };
        out.insert(k, p);
    }
    out
}

fn build(s: &Scenario, results: Option<&Results>) -> Graph {
    let mut result_keys: Vec<(String, String)> = Vec::new();
    if let Some(r) = results {
        for (name, _) in &r.sets {
            let mut k = set_key(name);
            while result_keys.iter().any(|(x, _)| *x == k) {
                k.push('_');
            }
            result_keys.push((k, name.clone()));
        }
    }
    let mut nodes = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    if !s.segments.iter().any(|x| x.id == "internet") {
        let mut props = BTreeMap::new();
        props.insert("name".into(), Prop::Str("internet".into()));
        props.insert("ztsim_kind".into(), Prop::Str("segment".into()));
        nodes.push(GNode {
            id: "internet".into(),
            label: "internet".into(),
            kind: AssetKind::Segment,
            props,
        });
        ids.push("internet".into());
    }
    for seg in &s.segments {
        let mut props = props_of(
            serde_json::to_value(seg).unwrap_or(Value::Null),
            &["id", "east_west"],
        );
        if let Some(ew) = &seg.east_west {
            props.insert(
                "east_west".into(),
                Prop::List(ew.iter().map(|p| p.name().to_string()).collect()),
            );
        }
        props.insert("ztsim_kind".into(), Prop::Str("segment".into()));
        let label = seg.name.clone().unwrap_or_else(|| seg.id.clone());
        props.insert("name".into(), Prop::Str(label.clone()));
        nodes.push(GNode {
            id: seg.id.clone(),
            label,
            kind: AssetKind::Segment,
            props,
        });
        ids.push(seg.id.clone());
    }
    for a in &s.assets {
        let mut props = props_of(
            serde_json::to_value(a).unwrap_or(Value::Null),
            &["id", "kind", "name"],
        );
        let label = a.name.clone().unwrap_or_else(|| a.id.clone());
        props.insert("name".into(), Prop::Str(label.clone()));
        props.insert("ztsim_kind".into(), Prop::Str(a.kind.name().into()));
        props.insert("pillar".into(), Prop::Str(a.kind.pillar().name().into()));
        if !a.crown_jewel {
            props.remove("crown_jewel");
        }
        if let Some(r) = results {
            for ((key, _), (_, rates)) in result_keys.iter().zip(&r.sets) {
                let x = rates.get(&a.id).copied().unwrap_or(0.0);
                props.insert(key.clone(), Prop::Num(x));
            }
        }
        nodes.push(GNode {
            id: a.id.clone(),
            label,
            kind: a.kind,
            props,
        });
        ids.push(a.id.clone());
    }
    let mut edges = Vec::new();
    for r in &s.relations {
        let mut props = BTreeMap::new();
        props.insert("ztsim_type".into(), Prop::Str(r.kind.name().into()));
        if let Some(role) = r.role {
            props.insert(
                "role".into(),
                Prop::Str(
                    serde_json::to_value(role)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                ),
            );
        }
        if r.eligible {
            props.insert("eligible".into(), Prop::Bool(true));
        }
        if let Some(res) = results {
            let id = format!("{}:{}:{}", r.kind.name(), r.from, r.to);
            for ((key, _), rates) in result_keys.iter().zip(&res.relations) {
                if let Some(rates) = rates {
                    let x = rates.get(&id).copied().unwrap_or(0.0);
                    props.insert(success_key(key), Prop::Num(x));
                }
            }
        }
        edges.push(GEdge {
            from: r.from.clone(),
            to: r.to.clone(),
            ztsim: r.kind.name().into(),
            kind: edge_kind(r.kind).into(),
            props,
        });
    }
    for r in &s.reachability {
        let protos: Vec<String> = r.protocols.iter().map(|p| p.name().to_string()).collect();
        let mut pairs = vec![(r.from.clone(), r.to.clone())];
        if r.bidirectional {
            pairs.push((r.to.clone(), r.from.clone()));
        }
        for (f, t) in pairs {
            let mut props = BTreeMap::new();
            props.insert("ztsim_type".into(), Prop::Str("reaches".into()));
            props.insert("protocols".into(), Prop::List(protos.clone()));
            edges.push(GEdge {
                from: f,
                to: t,
                ztsim: "reaches".into(),
                kind: "ZT_Reaches".into(),
                props,
            });
        }
    }
    Graph {
        name: s.name.clone(),
        nodes,
        edges,
        result_keys,
    }
}

/// Renders the scenario in `format`.
pub fn export(s: &Scenario, format: Format, results: Option<&Results>) -> String {
    let g = build(s, results);
    match format {
        Format::OpenGraph => opengraph(&g),
        Format::Dot => dot(&g),
        Format::GraphMl => graphml(&g),
    }
}

fn prop_json(p: &Prop) -> Value {
    match p {
        Prop::Str(s) => Value::String(s.clone()),
        Prop::Num(x) => json!(x),
        Prop::Bool(b) => Value::Bool(*b),
        Prop::List(l) => json!(l),
    }
}

fn opengraph(g: &Graph) -> String {
    let nodes: Vec<Value> = g
        .nodes
        .iter()
        .map(|n| {
            let props: Map<String, Value> = n
                .props
                .iter()
                .map(|(k, v)| (k.clone(), prop_json(v)))
                .collect();
            json!({
                "id": n.id,
                "kinds": [node_kind(n.kind), pillar_kind(n.kind.pillar())],
                "properties": props,
            })
        })
        .collect();
    let edges: Vec<Value> = g
        .edges
        .iter()
        .map(|e| {
            let props: Map<String, Value> = e
                .props
                .iter()
                .map(|(k, v)| (k.clone(), prop_json(v)))
                .collect();
            json!({
                "start": {"value": e.from, "match_by": "id"},
                "end": {"value": e.to, "match_by": "id"},
                "kind": e.kind,
                "properties": props,
            })
        })
        .collect();
    let doc = json!({
        "metadata": {"source_kind": "ZTSim"},
        "graph": {"nodes": nodes, "edges": edges},
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// A DOT double-quoted string: `"` and `\` escaped, line breaks as `\n`, other control
/// characters dropped.
pub fn dot_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn prop_text(p: &Prop) -> String {
    match p {
        Prop::Str(s) => s.clone(),
        Prop::Num(x) => format!("{x}"),
        Prop::Bool(b) => b.to_string(),
        Prop::List(l) => l.join(","),
    }
}

fn shape(k: AssetKind) -> &'static str {
    match k.pillar() {
        Pillar::Identities if k == AssetKind::Group => "folder",
        Pillar::Identities => "ellipse",
        Pillar::Devices => "box",
        Pillar::Applications => "component",
        Pillar::Data => "cylinder",
        Pillar::Infrastructure => "box3d",
        Pillar::Networks => "hexagon",
    }
}

/// White to red by compromise frequency.
fn heat(x: f64) -> String {
    let x = x.clamp(0.0, 1.0);
    let gb = (255.0 * (1.0 - x)).round() as u8;
    format!("#ff{gb:02x}{gb:02x}")
}

fn dot(g: &Graph) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "digraph {} {{", dot_quote(&g.name));
    let _ = writeln!(s, "  graph [rankdir=LR, label={}];", dot_quote(&g.name));
    let _ = writeln!(s, "  node [style=filled, fillcolor=\"#ffffff\"];");
    for n in &g.nodes {
        let mut attrs = vec![
            format!(
                "label={}",
                dot_quote(&format!("{}\n{}", n.label, n.kind.name()))
            ),
            format!("shape={}", shape(n.kind)),
        ];
        if let Some((key, _)) = g.result_keys.last()
            && let Some(Prop::Num(x)) = n.props.get(key)
        {
            attrs.push(format!("fillcolor={}", dot_quote(&heat(*x))));
        }
        if matches!(n.props.get("crown_jewel"), Some(Prop::Bool(true))) {
            attrs.push("penwidth=3".into());
        }
        for (k, v) in &n.props {
            if k == "name" {
                continue;
            }
            attrs.push(format!("{}={}", dot_quote(k), dot_quote(&prop_text(v))));
        }
        let _ = writeln!(s, "  {} [{}];", dot_quote(&n.id), attrs.join(", "));
    }
    for e in &g.edges {
        let mut attrs = vec![
            format!("label={}", dot_quote(&e.ztsim)),
            format!("kind={}", dot_quote(&e.kind)),
        ];
        if e.ztsim == "reaches" {
            attrs.push("style=dashed".into());
        }
        for (k, v) in &e.props {
            attrs.push(format!("{}={}", dot_quote(k), dot_quote(&prop_text(v))));
        }
        let _ = writeln!(
            s,
            "  {} -> {} [{}];",
            dot_quote(&e.from),
            dot_quote(&e.to),
            attrs.join(", ")
        );
    }
    s.push_str("}\n");
    s
}

/// Text XML 1.0 can hold: characters it does not allow (controls other than tab and line
/// breaks, U+FFFE, U+FFFF) replaced by U+FFFD. Escaping is quick-xml's.
pub fn xml_clean(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => '\u{fffd}',
            c => c,
        })
        .collect()
}

/// GraphML keys: one per property name, typed from the values seen (mixed types: string).
fn graphml_keys<'a>(
    fixed: &[&str],
    props: impl Iterator<Item = (&'a String, &'a Prop)>,
) -> BTreeMap<String, &'static str> {
    fn ty(p: &Prop) -> &'static str {
        match p {
            Prop::Num(_) => "double",
            Prop::Bool(_) => "boolean",
            _ => "string",
        }
    }
    let mut keys: BTreeMap<String, &'static str> =
        fixed.iter().map(|k| (k.to_string(), "string")).collect();
    for (k, v) in props {
        let t = keys.entry(k.clone()).or_insert(ty(v));
        if *t != ty(v) {
            *t = "string";
        }
    }
    keys
}

type XmlWriter = quick_xml::Writer<Vec<u8>>;

/// `<data key="K">text</data>`.
fn graphml_data(w: &mut XmlWriter, key: &str, text: &str) -> std::io::Result<()> {
    w.create_element("data")
        .with_attribute(("key", key))
        .write_text_content(quick_xml::events::BytesText::new(&xml_clean(text)))?;
    Ok(())
}

fn graphml(g: &Graph) -> String {
    let node_keys = graphml_keys(
        &["label", "ztsim_id"],
        g.nodes.iter().flat_map(|n| &n.props),
    );
    let edge_keys = graphml_keys(&["kind"], g.edges.iter().flat_map(|e| &e.props));
    let ids = |keys: &BTreeMap<String, &'static str>, p: &str| -> BTreeMap<String, String> {
        keys.keys()
            .enumerate()
            .map(|(i, k)| (k.clone(), format!("{p}{i}")))
            .collect()
    };
    let (nk, ek) = (ids(&node_keys, "n"), ids(&edge_keys, "e"));
    let mut w = quick_xml::Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing into memory cannot fail; an error would only be an I/O error of the Vec.
    let _ = graphml_document(&mut w, g, (&node_keys, &nk), (&edge_keys, &ek));
    let mut s = String::from_utf8(w.into_inner()).unwrap_or_default();
    s.push('\n');
    s
}

type Keys<'a> = (
    &'a BTreeMap<String, &'static str>,
    &'a BTreeMap<String, String>,
);

fn graphml_document(w: &mut XmlWriter, g: &Graph, nodes: Keys, edges: Keys) -> std::io::Result<()> {
    use quick_xml::events::{BytesDecl, Event};
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("graphml")
        .with_attributes([
            ("xmlns", "http://graphml.graphdrawing.org/xmlns"),
            ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
            (
                "xsi:schemaLocation",
                "http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd",
            ),
        ])
        .write_inner_content(|w| {
            for (what, (keys, ids)) in [("node", nodes), ("edge", edges)] {
                for (k, t) in keys {
                    w.create_element("key")
                        .with_attributes([
                            ("id", ids[k].as_str()),
                            ("for", what),
                            ("attr.name", xml_clean(k).as_str()),
                            ("attr.type", t),
                        ])
                        .write_empty()?;
                }
            }
            w.create_element("graph")
                .with_attributes([("id", "G"), ("edgedefault", "directed")])
                .write_inner_content(|w| graphml_elements(w, g, nodes.1, edges.1))?;
            Ok(())
        })?;
    Ok(())
}

fn graphml_elements(
    w: &mut XmlWriter,
    g: &Graph,
    nk: &BTreeMap<String, String>,
    ek: &BTreeMap<String, String>,
) -> std::io::Result<()> {
    // GraphML ids are NMTOKENs: nodes get generated ids; the ztsim id is data.
    let mut gid: std::collections::HashMap<&str, String> = std::collections::HashMap::new();
    for (i, n) in g.nodes.iter().enumerate() {
        let id = format!("v{i}");
        gid.insert(n.id.as_str(), id.clone());
        w.create_element("node")
            .with_attribute(("id", id.as_str()))
            .write_inner_content(|w| {
                graphml_data(w, &nk["label"], &n.label)?;
                graphml_data(w, &nk["ztsim_id"], &n.id)?;
                for (k, v) in &n.props {
                    graphml_data(w, &nk[k], &prop_text(v))?;
                }
                Ok(())
            })?;
    }
    for (i, e) in g.edges.iter().enumerate() {
        let (Some(f), Some(t)) = (gid.get(e.from.as_str()), gid.get(e.to.as_str())) else {
            continue;
        };
        w.create_element("edge")
            .with_attributes([
                ("id", format!("r{i}").as_str()),
                ("source", f.as_str()),
                ("target", t.as_str()),
            ])
            .write_inner_content(|w| {
                graphml_data(w, &ek["kind"], &e.kind)?;
                for (k, v) in &e.props {
                    graphml_data(w, &ek[k], &prop_text(v))?;
                }
                Ok(())
            })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(dot_quote("a\"b\\c\nd\u{7}"), "\"a\\\"b\\\\c\\nd\"");
        assert_eq!(xml_clean("<a & 'b'>\u{1}"), "<a & 'b'>\u{fffd}");
        assert_eq!(set_key("C01+C14"), "compromise_c01_c14");
        assert_eq!(success_key("compromise_c01_c14_"), "success_c01_c14_");
        assert_eq!(node_kind(AssetKind::ServiceAccount), "ZT_ServiceAccount");
    }
}
