//! `ztsim rules` and `ztsim explain` on the real binary.

mod common;
use common::ztsim;

#[test]
fn rules_lists_every_rule_with_its_technique_and_file() {
    let out = ztsim().args(["rules", "--json"]).output().expect("runs");
    assert!(out.status.success());
    let rules: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let rules = rules.as_array().expect("array");
    assert!(rules.len() >= 44, "{} rules", rules.len());
    let mut ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), rules.len(), "rule ids are unique");
    for r in rules {
        assert!(r["file"].as_str().unwrap().starts_with("src/rules/"), "{r}");
        assert!(!r["models"].as_str().unwrap().is_empty(), "{r}");
    }
    let rdp = rules
        .iter()
        .find(|r| r["id"] == "lateral.rdp")
        .expect("lateral.rdp");
    assert_eq!(rdp["techniques"][0], "T1021.001");
    assert_eq!(rdp["network"], "rdp");
    // The table names them too.
    let table = ztsim().arg("rules").output().expect("runs");
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("lateral.admin-pth") && text.contains("T1550.002"),
        "{text}"
    );
}

#[test]
fn explain_names_the_rule_the_relation_and_what_a_control_set_does() {
    // The top path to the customer database ends with the claims portal reading it.
    let out = ztsim()
        .args([
            "explain",
            "scenarios/hybrid-cloud.yaml",
            "app-claims-portal",
            "db-customers",
            "-c",
            "none",
            "-c",
            "optimal",
            "--json",
        ])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let x: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let edges = x["edges"].as_array().expect("edges");
    let reads = edges
        .iter()
        .find(|e| e["fed_by"] == "relation reads app-claims-portal -> db-customers")
        .expect("an edge fed by the reads relation");
    assert_eq!(reads["rule"], "applications.data-from-app");
    assert!(reads["technique"].as_str().unwrap().starts_with("T1213"));
    let under = reads["under"].as_array().expect("under");
    assert_eq!(under[0]["set"], "none");
    assert_eq!(under[0]["verdict"], "unchanged");
    assert_eq!(under[1]["set"], "optimal");
    // optimal's SIEM correlation adds detection on this step.
    assert!(under[1]["detect"].as_f64().unwrap() > under[0]["detect"].as_f64().unwrap());
    assert!(
        under[1]["by"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b.as_str().unwrap().starts_with("C34")),
        "{}",
        under[1]
    );
}

#[test]
fn explain_a_network_step_and_an_edge_a_control_removes() {
    // The portal's exploit is a network step from the internet.
    let out = ztsim()
        .args([
            "explain",
            "scenarios/hybrid-cloud.yaml",
            "internet",
            "app-claims-portal",
        ])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("initial.exploit-public") && text.contains("T1190"),
        "{text}"
    );
    assert!(text.contains("any foothold that reaches it"), "{text}");
}

#[test]
fn explain_with_an_unknown_id_suggests_the_closest_and_exits_2() {
    let out = ztsim()
        .args([
            "explain",
            "scenarios/hybrid-cloud.yaml",
            "app-claims-portal",
            "db-customer",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown asset or segment `db-customer`")
            && err.contains("did you mean `db-customers`?")
            && err.contains("hybrid-cloud.yaml"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
    let set = ztsim()
        .args([
            "explain",
            "scenarios/hybrid-cloud.yaml",
            "internet",
            "db-customers",
            "-c",
            "optimall",
        ])
        .output()
        .expect("runs");
    assert_eq!(set.status.code(), Some(2));
}

#[test]
fn paths_name_the_rule_of_each_step() {
    let out = ztsim()
        .args([
            "paths",
            "scenarios/hybrid-cloud.yaml",
            "-k",
            "2",
            "-n",
            "0",
            "--json",
        ])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let top = &r["targets"][0]["paths"][0]["steps"];
    // The top path to the customer database: the portal's exploit, then its data access.
    assert_eq!(top[0]["rule"], "initial.exploit-public");
    assert_eq!(top[1]["rule"], "applications.data-from-app");
    let table = ztsim()
        .args(["paths", "scenarios/hybrid-cloud.yaml", "-k", "1", "-n", "0"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("rule") && text.contains("initial.exploit-public"),
        "{text}"
    );
}
