//! The intrusion model's acceptance scenarios (tests/scenarios/intrusion/, each with its
//! hand-derived answer in its header): credentials that open what their form fits,
//! discovery, per-foothold exploit tries, leaked secrets, privilege levels, decoys, tainted
//! shared content and per-link odds. Most drive the real binary; the order of compromise is
//! read from the library's engine.

mod common;

use common::{f, run_json, set, ztsim};
use serde_json::Value;
use std::sync::Arc;

fn scenario(name: &str) -> String {
    format!("tests/scenarios/intrusion/{name}.yaml")
}

/// The scenario with `from` replaced by `to`, written to a temporary file.
fn variant(name: &str, from: &str, to: &str) -> (tempfile::TempDir, String) {
    let text = std::fs::read_to_string(scenario(name)).expect("scenario");
    assert!(text.contains(from), "{name} has no `{from}`");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(format!("{name}.yaml"));
    std::fs::write(&path, text.replace(from, to)).expect("write");
    let p = path.to_string_lossy().into_owned();
    (dir, p)
}

fn rate(s: &Value, map: &str, id: &str) -> f64 {
    s[map][id].as_f64().unwrap_or(0.0)
}

fn compromised(s: &Value, id: &str) -> f64 {
    rate(s, "asset_compromise_rate", id)
}

fn discovered(s: &Value, id: &str) -> f64 {
    s["intrusion"]["asset_discovery_rate"][id]
        .as_f64()
        .unwrap_or(0.0)
}

/// Asserts `got` is within 3 binomial standard errors of `p` over `n` trials.
fn within_3se(what: &str, got: f64, p: f64, n: f64) {
    let se = (p * (1.0 - p) / n).sqrt();
    assert!(
        (got - p).abs() <= 3.0 * se,
        "{what}: {got} is more than 3 standard errors ({se:.4}) from {p}"
    );
}

/// The hosts of `file` in the order trial 0 compromised them (read from the engine).
fn order_of_compromise(file: &str) -> Vec<String> {
    let limits = ztsim::limits::Limits::default();
    let l =
        ztsim::scenario::load_scenario_file(std::path::Path::new(file), &limits).expect("loads");
    let est = Arc::new(ztsim::estate::compile(&l.scenario));
    let catalog = ztsim::controls::Catalog::builtin().expect("catalog");
    let set = ztsim::controls::resolve_set("none", &[], &catalog).expect("none");
    let plan = Arc::new(ztsim::plan::build(&est, &set, 1));
    let mut engine = ztsim::sim::Engine::new(est.clone(), plan, 1);
    engine.keep_parents = true;
    let out = engine.run_trial(0, 1);
    out.parents
        .iter()
        .map(|&(n, _)| est.node(n).id.clone())
        .filter(|id| id.starts_with('h'))
        .collect()
}

#[test]
fn passwords_in_files_lead_host_to_host_in_order() {
    let s = run_json(&scenario("ssh-chain"), &["--controls", "none"]);
    let none = set(&s, "none");
    assert_eq!(f(none, "blast_radius.min"), 8.0);
    assert_eq!(f(none, "blast_radius.max"), 8.0);
    assert_eq!(
        order_of_compromise(&scenario("ssh-chain")),
        ["h1", "h2", "h3", "h4"]
    );
}

#[test]
fn blocking_ssh_into_a_host_stops_the_chain_there_and_leaves_it_discovered() {
    let s = run_json(&scenario("ssh-chain"), &["--controls", "block-h3"]);
    let b = set(&s, "block-h3");
    for h in ["h1", "h2"] {
        assert_eq!(compromised(b, h), 1.0, "{h}");
    }
    for h in ["h3", "h4"] {
        assert_eq!(compromised(b, h), 0.0, "{h}");
    }
    // a3's password reveals where a3 may sign in: h3 is known, never taken.
    assert_eq!(discovered(b, "h3"), 1.0);
    assert!(f(b, "intrusion.known_not_compromised.min") >= 1.0);
}

#[test]
fn ssh_keys_open_the_same_hosts_and_hashes_do_not_open_ssh() {
    let (_d, keys) = variant("ssh-chain", "form: password", "form: ssh_key");
    let s = run_json(&keys, &["--controls", "none"]);
    let k = set(&s, "none");
    for h in ["h1", "h2", "h3", "h4"] {
        assert_eq!(compromised(k, h), 1.0, "{h} with keys");
    }
    let (_d, hashes) = variant("ssh-chain", "form: password", "form: hash");
    let s = run_json(&hashes, &["--controls", "none"]);
    let h = set(&s, "none");
    assert_eq!(compromised(h, "h1"), 1.0);
    for x in ["h2", "h3", "h4"] {
        assert_eq!(compromised(h, x), 0.0, "{x} with hashes");
    }
}

#[test]
fn each_foothold_gets_its_own_exploit_try() {
    let s = run_json(&scenario("two-footholds"), &[]);
    within_3se(
        "two footholds",
        compromised(set(&s, "none"), "srv"),
        0.75,
        4000.0,
    );
    let (_d, one) = variant("two-footholds", "start: [f1, f2]", "start: [f1]");
    let s = run_json(&one, &[]);
    within_3se(
        "one foothold",
        compromised(set(&s, "none"), "srv"),
        0.5,
        4000.0,
    );
}

#[test]
fn a_leaked_secret_opens_the_database_it_names() {
    let s = run_json(&scenario("leak"), &[]);
    within_3se(
        "P(db)",
        compromised(set(&s, "none"), "db"),
        0.6 * 0.5,
        4000.0,
    );
    let (_d, certain) = variant("leak", "T1552.001, p: 0.6", "T1552.001, p: 1");
    let (_e, certain) = {
        let text = std::fs::read_to_string(&certain).expect("variant");
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("leak.yaml");
        std::fs::write(&p, text.replace("T1078, p: 0.5", "T1078, p: 1")).expect("write");
        (dir, p.to_string_lossy().into_owned())
    };
    let s = run_json(&certain, &[]);
    assert_eq!(f(set(&s, "none"), "crown_jewel.probability"), 1.0);
}

#[test]
fn a_user_level_exploit_then_escalation_gives_admin_at_its_odds() {
    let s = run_json(&scenario("privesc"), &[]);
    let none = set(&s, "none");
    assert_eq!(compromised(none, "web"), 1.0);
    within_3se(
        "P(admin)",
        f(none, "intrusion.any_admin.probability"),
        0.3,
        4000.0,
    );
    let (admin, user) = (
        f(none, "intrusion.admin_hosts.mean"),
        f(none, "intrusion.user_only_hosts.mean"),
    );
    assert!((admin + user - 1.0).abs() < 1e-9, "{admin} + {user}");
    within_3se("held as a user only", user, 0.7, 4000.0);
}

#[test]
fn touching_a_decoy_is_detected_at_its_probability_and_leads_nowhere() {
    let s = run_json(&scenario("decoy"), &[]);
    let none = set(&s, "none");
    within_3se("P(detected)", f(none, "detected.probability"), 0.8, 4000.0);
    assert_eq!(
        compromised(none, "honeypot"),
        0.0,
        "a decoy counts in no blast radius"
    );
    assert_eq!(
        compromised(none, "vault"),
        0.0,
        "the bait account's rights are fake"
    );
}

#[test]
fn a_writable_logon_script_share_runs_code_on_every_device_that_maps_it() {
    let s = run_json(&scenario("shared-content"), &[]);
    let none = set(&s, "none");
    for pc in ["pc1", "pc2", "pc3"] {
        assert_eq!(compromised(none, pc), 1.0, "{pc}");
    }
    assert!(none["techniques"]["T1080"].as_u64().unwrap_or(0) > 0);
}

#[test]
fn a_relations_own_p_overrides_the_technique_on_that_link_only() {
    let s = run_json(&scenario("link-p"), &[]);
    let none = set(&s, "none");
    within_3se("P(pc1)", compromised(none, "pc1"), 0.2, 4000.0);
    assert_eq!(compromised(none, "pc2"), 1.0);
}

#[test]
fn an_egress_rule_on_the_only_foothold_blocks_the_only_path() {
    let s = run_json(&scenario("egress"), &["--controls", "none"]);
    assert_eq!(compromised(set(&s, "none"), "db-host"), 0.0);
    let (_d, open) = variant(
        "egress",
        "{action: deny, peer: srv}",
        "{action: allow, peer: srv}",
    );
    let s = run_json(&open, &["--controls", "none", "--controls", "lan-egress"]);
    assert_eq!(compromised(set(&s, "none"), "db-host"), 1.0);
    // The same cut made by a control: an outbound block on the segment.
    assert_eq!(compromised(set(&s, "lan-egress"), "db-host"), 0.0);
}

#[test]
fn an_ingress_rule_on_the_target_blocks_it_too() {
    let (_d, open) = variant(
        "egress",
        "    firewall:\n      egress:\n        - {action: deny, peer: srv}\n",
        "",
    );
    let text = std::fs::read_to_string(&open).expect("variant");
    let walled = text.replace(
        "exploits: [{service: ssh, p: 1, noise: 0}]}",
        "exploits: [{service: ssh, p: 1, noise: 0}], firewall: {ingress: [{action: deny, peer: lan, services: [ssh]}]}}",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("ingress.yaml");
    std::fs::write(&p, walled).expect("write");
    let s = run_json(&p.to_string_lossy(), &["--controls", "none"]);
    assert_eq!(compromised(set(&s, "none"), "db-host"), 0.0);
    let s = run_json(&open, &["--controls", "none"]);
    assert_eq!(compromised(set(&s, "none"), "db-host"), 1.0);
}

#[test]
fn steps_cost_and_the_score_is_value_minus_cost() {
    let (_d, costly) = variant(
        "ssh-chain",
        "  max_tries: 1\n",
        "  max_tries: 1\n  step_cost: 0.5\n",
    );
    let s = run_json(&costly, &["--controls", "none"]);
    let none = set(&s, "none");
    let (cost, score, value) = (
        f(none, "intrusion.cost.mean"),
        f(none, "intrusion.score.mean"),
        f(none, "blast_radius_value.mean"),
    );
    // Every try is certain, so the tries are the same in every trial.
    let tries = f(none, "work.steps_per_trial");
    assert!((cost - 0.5 * tries).abs() < 1e-9, "{cost} vs {tries} tries");
    assert!(
        (score - (value - cost)).abs() < 1e-9,
        "{score} = {value} - {cost}"
    );
}

#[test]
fn without_discovery_the_attacker_knows_everything_from_the_start() {
    let (_d, omniscient) = variant(
        "ssh-chain",
        "  max_tries: 1\n",
        "  max_tries: 1\n  discovery: false\n",
    );
    let s = run_json(&omniscient, &["--controls", "block-h3"]);
    let b = set(&s, "block-h3");
    // Everything is known, so nothing is reported as discovered during the trial.
    assert!(
        b["intrusion"]["asset_discovery_rate"]
            .as_object()
            .expect("map")
            .is_empty()
    );
    assert_eq!(f(b, "intrusion.discovered.mean"), 4.0);
}

/// Every file of tests/bad-intrusion/ with the line, field and message it must get
/// (exit 2, or exit 0 with a warning for the shadowed firewall rule).
const BAD: &[(&str, usize, &str, &str)] = &[
    (
        "missing-credential",
        7,
        "relations[0].to",
        "unknown id `ops-pw`",
    ),
    (
        "missing-service",
        5,
        "assets[0].exploits[0].service",
        "offers no `rdp` service",
    ),
    (
        "port-range",
        8,
        "assets[1].services[0].name",
        "outside 1-65535",
    ),
    (
        "form-fits-nothing",
        9,
        "credentials[0].opens[0]",
        "a hash cannot open `lx`",
    ),
    ("credential-of-group", 7, "credentials[0].of", "is a group"),
    (
        "runs-as-unknown",
        4,
        "assets[0].services[0].runs_as",
        "`svc-web` is neither",
    ),
    (
        "firewall-peer",
        12,
        "assets[1].firewall.egress[0].peer",
        "unknown id `lann`",
    ),
    (
        "firewall-shadowed",
        14,
        "assets[1].firewall.ingress[1]",
        "never applies",
    ),
];

#[test]
fn bad_intrusion_fields_get_located_errors_with_hints() {
    let mut on_disk: Vec<String> = std::fs::read_dir("tests/bad-intrusion")
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = BAD.iter().map(|b| format!("{}.yaml", b.0)).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "every bad-intrusion file is in the table");
    for &(name, line, field, msg) in BAD {
        let file = format!("tests/bad-intrusion/{name}.yaml");
        let out = ztsim().args(["validate", &file]).output().expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        let warning = name == "firewall-shadowed";
        assert_eq!(
            out.status.code(),
            Some(if warning { 0 } else { 2 }),
            "{name}: {err}"
        );
        let sev = if warning { "warning" } else { "error" };
        let head = format!("{file}:{line}:");
        assert!(
            err.lines().any(|l| l.starts_with(&head)
                && l.contains(&format!("{sev}: {field}: "))
                && l.contains(msg)),
            "{name}: want `{head}... {sev}: {field}: ...{msg}`, got:\n{err}"
        );
        assert!(err.contains("hint:"), "{name}: no hint in\n{err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
}

#[test]
fn a_shadowed_firewall_rule_names_both_places() {
    let file = "tests/bad-intrusion/firewall-shadowed.yaml";
    let out = ztsim().args(["validate", file]).output().expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("see: {file}:13:")) && err.contains("firewall.ingress[0]"),
        "{err}"
    );
}

#[test]
fn every_attacker_scans_before_it_does_anything_else() {
    for strategy in ["random", "greedy_value", "shortest_time"] {
        let (_d, file) = variant(
            "discovery-first",
            "strategy: random",
            &format!("strategy: {strategy}"),
        );
        for trial in 0..12 {
            let out = ztsim()
                .args([
                    "tabletop",
                    &file,
                    "--god-view",
                    "--trial",
                    &trial.to_string(),
                ])
                .write_stdin("step 1\n")
                .output()
                .expect("runs");
            let text = String::from_utf8_lossy(&out.stdout);
            let first = text
                .lines()
                .find(|l| l.contains("The attacker ") && l.contains("[T1"))
                .unwrap_or_else(|| panic!("no step narrated:\n{text}"));
            assert!(
                first.contains("[T1046 "),
                "{strategy}, trial {trial}: the first step is not the scan: {first}"
            );
        }
    }
}
