//! `ztsim export`: BloodHound OpenGraph JSON, Graphviz DOT and GraphML of a scenario's
//! assets and relations, with names that need escaping in every format, and simulated
//! compromise frequencies from `ztsim run --out DIR`.

mod common;
use common::ztsim;

use quick_xml::events::Event;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// A small estate whose ids and names contain quotes, backslashes, XML and DOT
/// metacharacters, a line break and non-ASCII letters.
const SCENARIO: &str = r#"
name: "export \"test\" <&> \\ estate"
segments:
  - {id: office, name: "Office \"LAN\""}
  - {id: servers}
reachability:
  - {from: office, to: servers, protocols: [smb, rdp], bidirectional: true}
assets:
  - {id: "u-al\"ice", kind: user, name: "Alice \"the\" <admin> & co\\ ïtestïngï", tier: 2, domain: corp.local}
  - {id: "hd bob", kind: admin, name: "Bob\nHelpdesk", tier: 1, domain: corp.local}
  - {id: grp-helpdesk, kind: group, name: "Help -> desk {x} [y]; z=1"}
  - {id: ws-1, kind: workstation, segment: office}
  - {id: srv-files, kind: server, segment: servers, name: "files'srv"}
  - {id: fs-finance, kind: file_share, segment: servers, crown_jewel: true, records: 100, sensitivity: confidential}
  - {id: dc-1, kind: domain_controller, segment: servers, domain: corp.local}
relations:
  - {type: member_of, from: "hd bob", to: grp-helpdesk}
  - {type: admin_to, from: grp-helpdesk, to: ws-1}
  - {type: admin_to, from: grp-helpdesk, to: srv-files}
  - {type: has_session, from: ws-1, to: "u-al\"ice"}
  - {type: has_session, from: ws-1, to: "hd bob"}
  - {type: can_rdp, from: "u-al\"ice", to: ws-1}
  - {type: hosted_on, from: fs-finance, to: srv-files}
  - {type: reads, from: "u-al\"ice", to: fs-finance}
control_sets:
  - name: "edr+mfa"
    controls: [C14, C01]
"#;

const ASSETS: usize = 7;
const RELATIONS: usize = 8;
/// internet + 2 declared segments.
const SEGMENTS: usize = 3;
/// One bidirectional reachability rule.
const REACH_EDGES: usize = 2;

fn scenario_file(dir: &Path) -> PathBuf {
    let p = dir.join("estate.yaml");
    std::fs::write(&p, SCENARIO).unwrap();
    p
}

fn export(file: &Path, format: &str, extra: &[&str]) -> String {
    let out = ztsim()
        .arg("export")
        .arg(file)
        .args(["--format", format])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "export --format {format}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn ids() -> HashSet<&'static str> {
    [
        "internet",
        "office",
        "servers",
        "u-al\"ice",
        "hd bob",
        "grp-helpdesk",
        "ws-1",
        "srv-files",
        "fs-finance",
        "dc-1",
    ]
    .into_iter()
    .collect()
}

#[test]
fn opengraph_has_the_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    let f = scenario_file(dir.path());
    let v: Value = serde_json::from_str(&export(&f, "opengraph", &[])).unwrap();
    assert_eq!(v["metadata"]["source_kind"], "ZTSim");
    let nodes = v["graph"]["nodes"].as_array().unwrap();
    let edges = v["graph"]["edges"].as_array().unwrap();
    assert_eq!(nodes.len(), ASSETS + SEGMENTS);
    assert_eq!(edges.len(), RELATIONS + REACH_EDGES);
    let mut seen = HashSet::new();
    for n in nodes {
        let id = n["id"].as_str().expect("node id is a string");
        seen.insert(id.to_string());
        let kinds = n["kinds"].as_array().expect("kinds[]");
        assert!(!kinds.is_empty() && kinds.len() <= 3);
        assert!(
            kinds
                .iter()
                .all(|k| k.as_str().is_some_and(|k| k.starts_with("ZT_")))
        );
        let props = n["properties"].as_object().expect("properties");
        for (k, p) in props {
            // Primitives or homogeneous arrays of primitives, never objects or null.
            match p {
                Value::String(_) | Value::Number(_) | Value::Bool(_) => {}
                Value::Array(a) => assert!(a.iter().all(Value::is_string), "{k}"),
                other => panic!("property {k} = {other}"),
            }
        }
    }
    assert_eq!(
        seen,
        ids()
            .into_iter()
            .map(str::to_string)
            .collect::<HashSet<_>>()
    );
    let alice = nodes.iter().find(|n| n["id"] == "u-al\"ice").unwrap();
    assert_eq!(
        alice["properties"]["name"],
        "Alice \"the\" <admin> & co\\ ïtestïngï"
    );
    assert_eq!(alice["kinds"][0], "ZT_User");
    assert_eq!(alice["kinds"][1], "ZT_Identities");
    let mut kinds = BTreeMap::new();
    for e in edges {
        let s = e["start"]["value"].as_str().unwrap();
        let t = e["end"]["value"].as_str().unwrap();
        assert!(seen.contains(s) && seen.contains(t), "{s} -> {t}");
        assert_eq!(e["start"]["match_by"], "id");
        *kinds
            .entry(e["kind"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
    }
    // BloodHound's names where they exist, ZT_ otherwise.
    let want: BTreeMap<String, i32> = [
        ("MemberOf", 1),
        ("AdminTo", 2),
        ("HasSession", 2),
        ("CanRDP", 1),
        ("ZT_HostedOn", 1),
        ("ZT_Reads", 1),
        ("ZT_Reaches", 2),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(kinds, want);
    // HasSession keeps BloodHound's direction: computer -> user.
    assert!(edges.iter().any(|e| e["kind"] == "HasSession"
        && e["start"]["value"] == "ws-1"
        && e["end"]["value"] == "hd bob"));
}

// ------------------------------------------------------------------ DOT

#[derive(Debug, PartialEq)]
enum Tok {
    Id(String),
    Sym(&'static str),
}

/// DOT's lexical rules for what the exporter writes: keywords and plain IDs, numerals,
/// double-quoted strings (only `\"` is an escape that matters to the lexer), and the
/// punctuation of statements.
fn lex(s: &str) -> Vec<Tok> {
    let c: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
        } else if ch == '"' {
            let mut v = String::new();
            i += 1;
            loop {
                assert!(i < c.len(), "unterminated string");
                match c[i] {
                    '\\' if i + 1 < c.len() => {
                        v.push(c[i]);
                        v.push(c[i + 1]);
                        i += 2;
                    }
                    '"' => {
                        i += 1;
                        break;
                    }
                    '\n' => panic!("raw line break inside a string"),
                    x => {
                        v.push(x);
                        i += 1;
                    }
                }
            }
            out.push(Tok::Id(v));
        } else if ch == '-' && c.get(i + 1) == Some(&'>') {
            out.push(Tok::Sym("->"));
            i += 2;
        } else if let Some(sym) = ["{", "}", "[", "]", "=", ",", ";"]
            .into_iter()
            .find(|p| p.starts_with(ch))
        {
            out.push(Tok::Sym(sym));
            i += 1;
        } else if ch.is_alphanumeric() || ch == '_' || ch == '.' || ch == '#' {
            let mut v = String::new();
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_' || c[i] == '.') {
                v.push(c[i]);
                i += 1;
            }
            assert!(!v.is_empty(), "bad character {ch:?}");
            out.push(Tok::Id(v));
        } else {
            panic!("unexpected character {ch:?} at {i}");
        }
    }
    out
}

/// Parses `digraph ID { stmt* }` where a statement is `graph|node|edge [attrs]`,
/// `ID [attrs]` or `ID -> ID [attrs]`; returns (node statements, edge statements, node
/// ids with their label).
fn parse_dot(s: &str) -> (usize, usize, BTreeMap<String, String>) {
    let t = lex(s);
    let mut i = 0;
    let id = |i: &mut usize| -> String {
        match &t[*i] {
            Tok::Id(v) => {
                *i += 1;
                v.clone()
            }
            other => panic!("expected an ID at token {i}, got {other:?}"),
        }
    };
    let expect = |i: &mut usize, sym: &'static str| {
        assert_eq!(t[*i], Tok::Sym(sym), "at token {i}");
        *i += 1;
    };
    assert_eq!(id(&mut i), "digraph");
    if matches!(t[i], Tok::Id(_)) {
        id(&mut i);
    }
    expect(&mut i, "{");
    let (mut nodes, mut edges) = (0, 0);
    let mut labels = BTreeMap::new();
    let attrs = |i: &mut usize| -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        if t.get(*i) == Some(&Tok::Sym("[")) {
            *i += 1;
            while t[*i] != Tok::Sym("]") {
                let k = id(i);
                expect(i, "=");
                let v = id(i);
                m.insert(k, v);
                if t[*i] == Tok::Sym(",") || t[*i] == Tok::Sym(";") {
                    *i += 1;
                }
            }
            *i += 1;
        }
        m
    };
    while t[i] != Tok::Sym("}") {
        let first = id(&mut i);
        if t[i] == Tok::Sym("->") {
            i += 1;
            id(&mut i);
            attrs(&mut i);
            edges += 1;
        } else {
            let a = attrs(&mut i);
            if !["graph", "node", "edge"].contains(&first.as_str()) {
                nodes += 1;
                labels.insert(first, a.get("label").cloned().unwrap_or_default());
            }
        }
        if t[i] == Tok::Sym(";") {
            i += 1;
        }
    }
    i += 1;
    assert_eq!(i, t.len(), "tokens after the closing brace");
    (nodes, edges, labels)
}

fn unescape_dot(s: &str) -> String {
    s.replace("\\\"", "\"").replace("\\\\", "\\")
}

#[test]
fn dot_is_valid_and_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let f = scenario_file(dir.path());
    let dot = export(&f, "dot", &[]);
    let (nodes, edges, labels) = parse_dot(&dot);
    assert_eq!(nodes, ASSETS + SEGMENTS);
    assert_eq!(edges, RELATIONS + REACH_EDGES);
    let got: HashSet<String> = labels.keys().map(|k| unescape_dot(k)).collect();
    assert_eq!(
        got,
        ids()
            .into_iter()
            .map(str::to_string)
            .collect::<HashSet<_>>()
    );
    // The line break in Bob's name is an escape, not a raw newline inside the string.
    assert!(labels["hd bob"].starts_with("Bob\\nHelpdesk"));
    // Graphviz itself, where installed. CI installs the `graphviz` package and sets
    // ZTSIM_REQUIRE_DOT so that this never skips there.
    assert!(
        which("dot") || std::env::var_os("ZTSIM_REQUIRE_DOT").is_none(),
        "Graphviz `dot` is required (ZTSIM_REQUIRE_DOT is set) but not installed"
    );
    if which("dot") {
        let p = dir.path().join("g.dot");
        std::fs::write(&p, &dot).unwrap();
        let out = std::process::Command::new("dot")
            .arg("-Tsvg")
            .arg(&p)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("<svg"));
    }
}

fn which(cmd: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(cmd).is_file()))
}

// ------------------------------------------------------------------ GraphML

struct Gml {
    nodes: usize,
    edges: usize,
    /// ztsim_id data values, unescaped.
    ids: HashSet<String>,
    names: HashSet<String>,
    /// data values by (element id, attribute name).
    data: BTreeMap<(String, String), String>,
}

fn parse_graphml(s: &str) -> Gml {
    let mut r = quick_xml::Reader::from_str(s);
    let mut keys: BTreeMap<String, String> = BTreeMap::new();
    let mut g = Gml {
        nodes: 0,
        edges: 0,
        ids: HashSet::new(),
        names: HashSet::new(),
        data: BTreeMap::new(),
    };
    let mut elem = String::new();
    let mut node_ids = HashSet::new();
    let mut key: Option<String> = None;
    let mut text = String::new();
    let attr = |e: &quick_xml::events::BytesStart, name: &str| -> Option<String> {
        e.attributes()
            .map(|a| a.expect("well-formed attribute"))
            .find(|a| a.key.as_ref() == name)
            .map(|a| {
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .expect("escaped value")
                    .into_owned()
            })
    };
    loop {
        match r.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "key" => {
                keys.insert(attr(&e, "id").unwrap(), attr(&e, "attr.name").unwrap());
            }
            Event::Start(e) if e.name().as_ref() == "node" => {
                g.nodes += 1;
                elem = attr(&e, "id").unwrap();
                assert!(node_ids.insert(elem.clone()), "duplicate node id");
            }
            Event::Start(e) if e.name().as_ref() == "edge" => {
                g.edges += 1;
                elem = attr(&e, "id").unwrap();
                for end in ["source", "target"] {
                    assert!(
                        node_ids.contains(&attr(&e, end).unwrap()),
                        "{end} not a node"
                    );
                }
            }
            Event::Start(e) if e.name().as_ref() == "data" => {
                let k = attr(&e, "key").unwrap();
                key = Some(
                    keys.get(&k)
                        .cloned()
                        .expect("data refers to a declared key"),
                );
                text.clear();
            }
            Event::Text(t) if key.is_some() => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if key.is_some() => {
                let name: &str = &r;
                text.push_str(match name {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unknown entity {other}"),
                });
            }
            Event::End(e) if e.name().as_ref() == "data" => {
                let k = key.take().unwrap();
                if k == "ztsim_id" {
                    g.ids.insert(text.clone());
                }
                if k == "label" {
                    g.names.insert(text.clone());
                }
                g.data.insert((elem.clone(), k), text.clone());
            }
            Event::Eof => break,
            _ => {}
        }
    }
    g
}

#[test]
fn graphml_parses_with_matching_counts() {
    let dir = tempfile::tempdir().unwrap();
    let f = scenario_file(dir.path());
    let g = parse_graphml(&export(&f, "graphml", &[]));
    assert_eq!(g.nodes, ASSETS + SEGMENTS);
    assert_eq!(g.edges, RELATIONS + REACH_EDGES);
    assert_eq!(
        g.ids,
        ids()
            .into_iter()
            .map(str::to_string)
            .collect::<HashSet<_>>()
    );
    assert!(g.names.contains("Alice \"the\" <admin> & co\\ ïtestïngï"));
    assert!(g.names.contains("files'srv"));
    assert!(g.names.contains("Bob\nHelpdesk"));
}

/// With `--results DIR`, every asset carries its compromise frequency per control set, the
/// same numbers as summary.json.
#[test]
fn results_add_compromise_frequencies() {
    let dir = tempfile::tempdir().unwrap();
    let f = scenario_file(dir.path());
    let res = dir.path().join("results");
    let out = ztsim()
        .arg("run")
        .arg(&f)
        .args(["--trials", "40", "--out"])
        .arg(&res)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(res.join("summary.json")).unwrap()).unwrap();
    let rate = |set: usize, id: &str| {
        summary["control_sets"][set]["asset_compromise_rate"][id]
            .as_f64()
            .unwrap_or(0.0)
    };
    let r = res.to_str().unwrap();
    let v: Value = serde_json::from_str(&export(&f, "opengraph", &["--results", r])).unwrap();
    let nodes = v["graph"]["nodes"].as_array().unwrap();
    let mut some = false;
    for n in nodes.iter().filter(|n| n["kinds"][0] != "ZT_Segment") {
        let id = n["id"].as_str().unwrap();
        let p = &n["properties"];
        let a = p["compromise_none"].as_f64().expect("compromise_none");
        let b = p["compromise_edr_mfa"]
            .as_f64()
            .expect("compromise_edr_mfa");
        assert_eq!(a, rate(0, id), "{id}");
        assert_eq!(b, rate(1, id), "{id}");
        some |= a > 0.0;
    }
    assert!(some, "something is compromised with no controls");
    // The same numbers in GraphML and DOT.
    let g = parse_graphml(&export(&f, "graphml", &["--results", r]));
    let ws: Vec<_> = g
        .data
        .iter()
        .filter(|((_, k), v)| k == "ztsim_id" && *v == "ws-1")
        .map(|((e, _), _)| e.clone())
        .collect();
    let x: f64 = g.data[&(ws[0].clone(), "compromise_none".to_string())]
        .parse()
        .unwrap();
    assert_eq!(x, rate(0, "ws-1"));
    let dot = export(&f, "dot", &["--results", r]);
    parse_dot(&dot);
    assert!(dot.contains("\"compromise_edr_mfa\"="));

    // -o writes the file atomically instead of printing.
    let o = dir.path().join("g.json");
    let out = ztsim()
        .arg("export")
        .arg(&f)
        .args(["--format", "opengraph", "-o"])
        .arg(&o)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    let _: Value = serde_json::from_str(&std::fs::read_to_string(&o).unwrap()).unwrap();
}

/// An imported BloodHound estate exports back to OpenGraph with BloodHound's edge names.
#[test]
fn imported_estate_round_trips_to_opengraph() {
    let dir = tempfile::tempdir().unwrap();
    let est = dir.path().join("tiny.yaml");
    let out = ztsim()
        .args([
            "import",
            "bloodhound",
            "tests/fixtures/sharphound/tiny",
            "-o",
        ])
        .arg(&est)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(&export(&est, "opengraph", &[])).unwrap();
    let edges = v["graph"]["edges"].as_array().unwrap();
    assert!(edges.iter().any(|e| e["kind"] == "AdminTo"
        && e["start"]["value"] == "S-1-5-21-1000-2000-3000-512"
        && e["end"]["value"] == "S-1-5-21-1000-2000-3000-1201"));
    // The export of a private (0600) scenario is private too.
    let o = dir.path().join("g.graphml");
    assert!(
        ztsim()
            .arg("export")
            .arg(&est)
            .args(["--format", "graphml", "-o"])
            .arg(&o)
            .output()
            .unwrap()
            .status
            .success()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&o).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0);
    }
}

/// `--format sharphound` writes the directory part of a generated estate as a SharpHound
/// zip, and `ztsim import bloodhound` reads back every account, group and computer with its
/// kind and every directory relation between them (ids upper-cased, as BloodHound stores
/// them; guests come back as users, laptops as workstations).
#[test]
fn sharphound_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let (yaml, zip, back) = (
        dir.path().join("g.yaml"),
        dir.path().join("g.zip"),
        dir.path().join("back.yaml"),
    );
    let run = |args: &[&str]| {
        let o = ztsim().args(args).output().unwrap();
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        // What was written is a status line: on stderr.
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    run(&["generate", "--size", "medium", "-o", yaml.to_str().unwrap()]);
    let said = run(&[
        "export",
        yaml.to_str().unwrap(),
        "--format",
        "sharphound",
        "-o",
        zip.to_str().unwrap(),
    ]);
    assert!(
        said.contains("users") && said.contains("not written"),
        "{said}"
    );
    run(&[
        "import",
        "bloodhound",
        zip.to_str().unwrap(),
        "-o",
        back.to_str().unwrap(),
    ]);
    let lim = ztsim::limits::Limits::default();
    let a = ztsim::scenario::load_scenario_file(&yaml, &lim)
        .unwrap()
        .scenario;
    let b = ztsim::scenario::load_scenario_file(&back, &lim)
        .unwrap()
        .scenario;
    let written = |k: &str| {
        matches!(
            k,
            "user"
                | "admin"
                | "service_account"
                | "guest"
                | "group"
                | "workstation"
                | "laptop"
                | "server"
                | "domain_controller"
        )
    };
    let as_read = |k: &str| match k {
        "guest" => "user".to_string(),
        "laptop" => "workstation".to_string(),
        k => k.to_string(),
    };
    let kinds_a: BTreeMap<String, String> = a
        .assets
        .iter()
        .filter(|x| written(x.kind.name()))
        .map(|x| (x.id.to_uppercase(), as_read(x.kind.name())))
        .collect();
    let kinds_b: BTreeMap<String, String> = b
        .assets
        .iter()
        .filter(|x| !x.tags.iter().any(|t| t == "bh:placeholder"))
        .map(|x| (x.id.clone(), x.kind.name().to_string()))
        .collect();
    assert!(kinds_a.len() > 500, "{}", kinds_a.len());
    let differ: Vec<_> = kinds_a
        .iter()
        .filter(|(id, k)| kinds_b.get(*id) != Some(*k))
        .take(5)
        .collect();
    assert!(
        differ.is_empty() && kinds_a.len() == kinds_b.len(),
        "{differ:?}"
    );
    let directory = [
        "member_of",
        "admin_to",
        "can_rdp",
        "can_psremote",
        "has_session",
        "can_reset_password",
        "can_add_key_credential",
        "can_write_spn",
        "can_read_password",
        "can_rewrite_acl",
    ];
    let rels = |s: &ztsim::scenario::Scenario, upper: bool| -> HashSet<(String, String, String)> {
        s.relations
            .iter()
            .filter(|r| directory.contains(&r.kind.name()))
            .map(|r| {
                let id = |x: &str| {
                    if upper {
                        x.to_uppercase()
                    } else {
                        x.to_string()
                    }
                };
                (r.kind.name().to_string(), id(&r.from), id(&r.to))
            })
            .filter(|(_, f, t)| kinds_b.contains_key(f) && kinds_b.contains_key(t))
            .collect()
    };
    let (ra, rb) = (rels(&a, true), rels(&b, false));
    assert!(ra.len() > 1000, "{}", ra.len());
    let lost: Vec<_> = ra.difference(&rb).take(5).collect();
    let extra: Vec<_> = rb.difference(&ra).take(5).collect();
    assert!(
        lost.is_empty() && extra.is_empty(),
        "lost {lost:?}, extra {extra:?}"
    );
}

/// Per-relation rates on tests/scenarios/whatif/chokepoint.yaml, where every step the
/// attacker takes toward the controller is certain.
#[test]
fn results_add_per_relation_success_rates() {
    let file = "tests/scenarios/whatif/chokepoint.yaml";
    let dir = tempfile::tempdir().unwrap();
    let res = dir.path().join("results");
    ztsim()
        .args(["run", file, "-c", "none", "--trials", "25", "--out"])
        .arg(&res)
        .assert()
        .success();
    let r = res.to_str().unwrap();
    let v: Value =
        serde_json::from_str(&export(Path::new(file), "opengraph", &["--results", r])).unwrap();
    let rate = |from: &str, kind: &str, to: &str| {
        let e = v["graph"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["start"]["value"] == from && e["kind"] == kind && e["end"]["value"] == to)
            .unwrap_or_else(|| panic!("no edge {from} {kind} {to}"));
        e["properties"]["success_none"]
            .as_f64()
            .expect("success_none")
    };
    // Every trial: alice's membership, the group's admin right on dc, and carol's right on
    // ws-d (her hash comes with the domain).
    assert_eq!(rate("alice", "MemberOf", "helpdesk"), 1.0);
    assert_eq!(rate("helpdesk", "AdminTo", "dc"), 1.0);
    assert_eq!(rate("carol", "AdminTo", "ws-d"), 1.0);
    // Nobody ever holds ws-b: nothing is taken from bob's session there.
    assert_eq!(rate("ws-b", "HasSession", "bob"), 0.0);
    // A summary without per-relation results (before they existed) exports no edge rates.
    let summary = res.join("summary.json");
    let mut s: Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    s["control_sets"][0]
        .as_object_mut()
        .unwrap()
        .remove("relation_success_rate");
    std::fs::write(&summary, s.to_string()).unwrap();
    let v: Value =
        serde_json::from_str(&export(Path::new(file), "opengraph", &["--results", r])).unwrap();
    assert!(
        v["graph"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["properties"].get("success_none").is_none())
    );
}
