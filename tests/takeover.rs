//! Account takeover in Active Directory (src/rules/takeover.rs) end to end, on
//! tests/scenarios/takeover/chain.yaml: every step certain, so every answer is exact.

mod common;

use common::{f, run_json, set};

const CHAIN: &str = "tests/scenarios/takeover/chain.yaml";

/// The summary of a run of `yaml`, written to a temporary file.
fn run_yaml(yaml: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("variant.yaml");
    std::fs::write(&path, yaml).expect("write");
    run_json(path.to_str().expect("utf-8"), &[])
}

/// The chain with `from` replaced by `to`.
fn chain_with(from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(CHAIN).expect("scenario");
    assert!(text.contains(from), "the chain has no `{from}`");
    text.replace(from, to)
}

/// P(crown jewel) under `set_name` on the chain with `from` replaced by `to`.
fn p_dc(from: &str, to: &str, set_name: &str) -> f64 {
    let s = run_yaml(&chain_with(from, to));
    f(set(&s, set_name), "crown_jewel.probability")
}

#[test]
fn a_password_reset_right_on_a_domain_admin_gives_the_domain() {
    let s = run_json(CHAIN, &[]);
    let none = set(&s, "none");
    assert_eq!(f(none, "crown_jewel.probability"), 1.0);
    assert_eq!(none["techniques"]["T1098"], 200, "one reset per trial");
    // Removing the right (ACL clean-up) leaves no way to the domain.
    assert_eq!(f(set(&s, "acl-cleanup"), "crown_jewel.probability"), 0.0);
}

#[test]
fn every_takeover_right_leads_where_its_secret_opens() {
    let right = "type: can_reset_password";
    // Shadow credentials give da's hash: pass-the-hash opens the DC.
    assert_eq!(p_dc(right, "type: can_add_key_credential", "none"), 1.0);
    // The managed password and a rewritten ACL give the password.
    assert_eq!(p_dc(right, "type: can_read_password", "none"), 1.0);
    assert_eq!(p_dc(right, "type: can_rewrite_acl", "none"), 1.0);
    // Every one of them is removed by the clean-up.
    for r in [
        "can_add_key_credential",
        "can_write_spn",
        "can_read_password",
        "can_rewrite_acl",
    ] {
        assert_eq!(
            p_dc(right, &format!("type: {r}"), "acl-cleanup"),
            0.0,
            "{r}"
        );
    }
}

#[test]
fn targeted_kerberoasting_cracks_only_a_weak_password() {
    let right = "type: can_reset_password";
    assert_eq!(p_dc(right, "type: can_write_spn", "none"), 0.0);
    let text = std::fs::read_to_string(CHAIN).expect("scenario");
    let weak = text.replace(right, "type: can_write_spn").replace(
        "{id: da, kind: admin,",
        "{id: da, kind: admin, weak_password: true,",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("weak.yaml");
    std::fs::write(&path, weak).expect("write");
    let s = run_json(path.to_str().expect("utf-8"), &[]);
    assert_eq!(f(set(&s, "none"), "crown_jewel.probability"), 1.0);
    assert!(
        set(&s, "none")["techniques"]["T1558.003"]
            .as_u64()
            .unwrap_or(0)
            > 0
    );
}

#[test]
fn admin_on_an_unconstrained_delegation_host_coerces_the_domain() {
    let text = std::fs::read_to_string(CHAIN).expect("scenario");
    let host = "  - {id: app, kind: server, segment: lan, domain: corp.local, unconstrained_delegation: true}\n";
    let coerce = text
        .replace(
            "type: can_reset_password, from: helpdesk-team, to: da",
            "type: admin_to, from: helpdesk-team, to: app",
        )
        .replace(
            "  - {id: da, kind: admin",
            &format!("{host}  - {{id: da, kind: admin"),
        );
    let run = |yaml: &str| {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("coerce.yaml");
        std::fs::write(&path, yaml).expect("write");
        run_json(path.to_str().expect("utf-8"), &[])
    };
    let s = run(&coerce);
    let none = set(&s, "none");
    assert_eq!(f(none, "crown_jewel.probability"), 1.0);
    assert_eq!(none["techniques"]["T1187"], 200, "one coercion per trial");
    let plain = run_yaml(&coerce.replace(", unconstrained_delegation: true", ""));
    assert_eq!(f(set(&plain, "none"), "crown_jewel.probability"), 0.0);
}

#[test]
fn a_group_policy_that_applies_to_the_domain_controller_gives_it() {
    let s = run_yaml(&chain_with(
        "type: can_reset_password, from: helpdesk-team, to: da",
        "type: can_push_gpo, from: helpdesk-team, to: dc",
    ));
    let none = set(&s, "none");
    assert_eq!(f(none, "crown_jewel.probability"), 1.0);
    assert_eq!(
        none["techniques"]["T1484.001"], 200,
        "one policy push per trial"
    );
}

#[test]
fn the_tabletop_narrates_a_takeover_in_words() {
    let out = common::ztsim()
        .args(["tabletop", CHAIN, "--god-view"])
        .write_stdin("step 2\n")
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("reset the password of da with the rights of helpdesk-team [T1098"),
        "{text}"
    );
}

#[test]
fn c37_protected_users_keeps_an_admins_hash_out_of_lsass() {
    // da has a session on the attacker's workstation instead of a reset right on it: dumping
    // LSASS (T1003.001) gives da's hash, which opens dc. Protected Users (C37) leaves no
    // reusable secret there 90% of the time; cookie theft and AiTM of da's session remain.
    let text = chain_with(
        "  - {type: can_reset_password, from: helpdesk-team, to: da}",
        "  - {type: has_session, from: ws, to: da}",
    )
    .replace(
        "  - {id: T1068, p: 0}",
        "  - {id: T1068, p: 1, noise: 0}\n  - {id: T1003.001, p: 1, noise: 0}",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("session.yaml");
    std::fs::write(&path, text).expect("write");
    let s = run_json(
        path.to_str().expect("utf-8"),
        &["--controls", "none", "--controls", "C37", "--trials", "400"],
    );
    let (none, c37) = (set(&s, "none"), set(&s, "C37"));
    assert_eq!(f(none, "crown_jewel.probability"), 1.0);
    assert!(f(c37, "crown_jewel.probability") < 0.6);
    let dumps = |x: &serde_json::Value| x["techniques"]["T1003.001"].as_u64().unwrap_or(0);
    assert!(dumps(none) >= 350, "{}", dumps(none));
    assert!(
        dumps(c37) * 5 < dumps(none),
        "{} vs {}",
        dumps(c37),
        dumps(none)
    );
}
