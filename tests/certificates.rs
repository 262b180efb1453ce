//! Certificate services (src/rules/certificates.rs) end to end, on
//! tests/scenarios/certificates/esc1.yaml: every step certain, so every answer is exact.

mod common;

use common::{f, run_json, set};

const ESC1: &str = "tests/scenarios/certificates/esc1.yaml";

/// P(crown jewel) under `set_name` on the scenario with `from` replaced by `to`.
fn p_dc(from: &str, to: &str, set_name: &str) -> f64 {
    let text = std::fs::read_to_string(ESC1).expect("scenario");
    assert!(text.contains(from), "the scenario has no `{from}`");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("variant.yaml");
    std::fs::write(&path, text.replace(from, to)).expect("write");
    let s = run_json(path.to_str().expect("utf-8"), &[]);
    f(set(&s, set_name), "crown_jewel.probability")
}

#[test]
fn an_esc1_template_gives_the_domain_and_removing_the_right_takes_it_back() {
    let s = run_json(ESC1, &[]);
    let none = set(&s, "none");
    assert_eq!(f(none, "crown_jewel.probability"), 1.0);
    assert_eq!(
        none["techniques"]["T1649"], 200,
        "one certificate per trial"
    );
    assert_eq!(f(set(&s, "template-fixed"), "crown_jewel.probability"), 0.0);
}

#[test]
fn each_esc1_condition_is_needed() {
    let tpl = "template: {authentication: true, enrollee_supplies_subject: true}";
    // The subject from the directory: the certificate names alice only.
    assert_eq!(p_dc(tpl, "template: {authentication: true}", "none"), 0.0);
    // Manager approval holds the request.
    let approval =
        "template: {authentication: true, enrollee_supplies_subject: true, manager_approval: true}";
    assert_eq!(p_dc(tpl, approval, "none"), 0.0);
    // Not published, or published by an authority outside the NTAuth store: nothing.
    let published = "- {type: published_to, from: vulnweb, to: lab-ca}";
    assert_eq!(p_dc(published, "", "none"), 0.0);
    assert_eq!(
        p_dc("ca: {ntauth: true}", "ca: {ntauth: false}", "none"),
        0.0
    );
    // Enrolling at the authority is needed too.
    let at_ca = "- {type: can_enroll, from: authenticated-users, to: lab-ca}";
    assert_eq!(p_dc(at_ca, "", "none"), 0.0);
}

#[test]
fn an_officer_approves_its_own_request() {
    // ESC7: with approval required, alice as a certificate officer issues it herself.
    let text = std::fs::read_to_string(ESC1).expect("scenario");
    let tpl = "template: {authentication: true, enrollee_supplies_subject: true}";
    let variant = text
        .replace(
            tpl,
            "template: {authentication: true, enrollee_supplies_subject: true, manager_approval: true}",
        )
        .replace(
            "relations:\n",
            "relations:\n  - {type: can_issue_certificates, from: alice, to: lab-ca}\n",
        );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("officer.yaml");
    std::fs::write(&path, variant).expect("write");
    let s = run_json(path.to_str().expect("utf-8"), &[]);
    assert_eq!(f(set(&s, "none"), "crown_jewel.probability"), 1.0);
}

#[test]
fn the_authority_host_gives_a_golden_certificate() {
    // Without the template, alice administers pki01: its authority's key signs for anyone.
    let published = "- {type: published_to, from: vulnweb, to: lab-ca}";
    let admin = "- {type: admin_to, from: alice, to: pki01}";
    assert_eq!(p_dc(published, admin, "none"), 1.0);
    assert_eq!(
        p_dc("ca: {ntauth: true}", "ca: {ntauth: false}", "none"),
        0.0
    );
}

#[test]
fn c36_hardening_defeats_most_certificate_abuse() {
    // C36 hardens T1649 from identities by 0.95: one certain try becomes a 5% one.
    let s = run_json(
        ESC1,
        &["--controls", "none", "--controls", "C36", "--trials", "400"],
    );
    assert_eq!(f(set(&s, "none"), "crown_jewel.probability"), 1.0);
    let p = f(set(&s, "C36"), "crown_jewel.probability");
    assert!(
        (0.02..=0.09).contains(&p),
        "P(dc) under C36 = {p}, expected about 0.05"
    );
}

#[test]
fn the_tabletop_narrates_a_certificate_in_words() {
    let out = common::ztsim()
        .args(["tabletop", ESC1, "--god-view"])
        .write_stdin("step 2\n")
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "obtained a certificate naming an administrator with the rights of domain-users and replicated lab.local (directory) [T1649"
        ),
        "{text}"
    );
}

#[test]
fn c09_access_reviews_reach_enrollment_rights() {
    // C09 removes a share of identities' rights, per right (an edge is kept or removed for
    // every trial); certificate enrollment is among them. With the share at 1 every such
    // right goes, and the ESC1 step with it.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("all-reviewed.yaml");
    std::fs::write(
        &file,
        "controls:\n  - id: C09\n    parameters:\n      share: {value: 1.0, assumption: \"every right reviewed away\"}\n",
    )
    .expect("write");
    let s = run_json(
        ESC1,
        &[
            "--controls",
            "C09",
            "--controls-file",
            file.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(f(set(&s, "C09"), "crown_jewel.probability"), 0.0);
}
