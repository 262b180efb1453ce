//! One test per catalog control (C01-C35), on small scenarios built for each under
//! tests/scenarios/controls/, plus catalog and preset checks. Every test drives the real
//! binary: `ztsim run FILE --controls none --controls CXX --trials 400 --json`.
//!
//! The scenarios make the steps that matter certain and silent (technique overrides), so a
//! harden with efficacy e on one step turns P(crown jewel) = 1 into about 1 - e, and a
//! removal or block gives an exact answer. Seeds are fixed, so results are deterministic; the
//! tolerances below are about 4 binomial standard deviations at 400 trials, so that they
//! state the expected value honestly rather than the one draw.

use assert_cmd::Command;
use serde_json::Value;

const TRIALS: &str = "400";

fn ztsim() -> Command {
    Command::cargo_bin("ztsim").expect("binary built")
}

fn scenario(name: &str) -> String {
    format!("tests/scenarios/controls/{name}.yaml")
}

/// Runs the scenario under `none` and each of `sets`, returning the JSON summary.
fn run(name: &str, sets: &[&str]) -> Value {
    run_with(name, &["--controls", "none"], sets)
}

/// `ztsim run` on a scenario of tests/scenarios/controls/ with extra arguments and the sets.
fn run_with(name: &str, args: &[&str], sets: &[&str]) -> Value {
    let file = scenario(name);
    let mut cmd = ztsim();
    cmd.args(["run", &file]).args(args);
    for s in sets {
        cmd.args(["--controls", s]);
    }
    let out = cmd
        .args(["--trials", TRIALS, "--json"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "ztsim run {file} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON summary")
}

fn set<'a>(summary: &'a Value, name: &str) -> &'a Value {
    summary["control_sets"]
        .as_array()
        .expect("control_sets")
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no control set {name}"))
}

/// A number at a dotted path (`crown_jewel.probability`, `by_kind.admin`); a missing
/// `by_kind` or `asset_compromise_rate` entry reads as 0.
fn num(v: &Value, path: &str) -> f64 {
    let mut cur = v;
    for part in path.split('.') {
        cur = &cur[part];
    }
    match cur {
        Value::Null if path.starts_with("by_kind") || path.starts_with("asset_compromise_rate") => {
            0.0
        }
        _ => cur
            .as_f64()
            .unwrap_or_else(|| panic!("{path} is not a number: {cur}")),
    }
}

fn pcj(v: &Value) -> f64 {
    num(v, "crown_jewel.probability")
}

fn blast(v: &Value) -> f64 {
    num(v, "blast_radius.mean")
}

fn near(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, expected {want} +- {tol}"
    );
}

/// Number of assets the control covered in this run (proves the scope reached the path).
fn covered(v: &Value) -> f64 {
    num(&v["controls"][0], "covered_assets")
}

/// The metrics a control may not change when it does not act on the path.
fn assert_same_outcome(a: &Value, b: &Value, why: &str) {
    for k in [
        "blast_radius",
        "crown_jewel",
        "records_exfiltrated",
        "asset_compromise_rate",
        "time_to_crown_jewel_hours",
    ] {
        assert_eq!(a[k], b[k], "{k} differs: {why}");
    }
}

fn stdout(args: &[&str]) -> String {
    let out = ztsim().args(args).output().expect("runs");
    assert!(
        out.status.success(),
        "ztsim {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// `ztsim controls show ID`: the effect lines, parsed.
fn effects(id: &str) -> Vec<Value> {
    let def: Value =
        serde_json::from_str(&stdout(&["controls", "show", id, "--json"])).expect("control JSON");
    def["effects"].as_array().cloned().unwrap_or_default()
}

fn all_ids() -> Vec<String> {
    (1..=35).map(|i| format!("C{i:02}")).collect()
}

// ------------------------------------------------------------------ the catalog itself

#[test]
fn controls_lists_all_35_in_id_order() {
    let text = stdout(&["controls"]);
    let ids: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("│ "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|id| id.len() == 3 && id.starts_with('C'))
        .collect();
    assert!(ids.len() >= 35, "{text}");
    assert_eq!(ids[..35], all_ids()[..], "{text}");
}

#[test]
fn show_c01_prints_pillar_principle_mitigations_effects_and_provenance() {
    let text = stdout(&["controls", "show", "C01"]);
    assert!(text.contains("pillar: identities"), "{text}");
    assert!(text.contains("principle: verify explicitly"), "{text}");
    assert!(text.contains("ATT&CK mitigations: M1032"), "{text}");
    assert!(text.contains("effects:"), "{text}");
    assert!(text.contains("the policy engine requires MFA"), "{text}");
    assert!(
        text.contains("efficacy = 0.9 (source: Google/NYU/UCSD 2019"),
        "{text}"
    );
}

#[test]
fn show_an_unknown_control_suggests_the_closest_id() {
    for args in [
        &["controls", "show", "C1"][..],
        &["controls", "show", "C1", "--json"],
    ] {
        let out = ztsim().args(args).output().expect("runs");
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("unknown control `C1`; did you mean `C01`? (`ztsim controls` lists them)"),
            "{err}"
        );
    }
}

#[test]
fn every_control_has_provenance_for_every_parameter_and_known_techniques() {
    let catalog = stdout(&["techniques"]);
    let known: Vec<&str> = catalog
        .lines()
        .filter_map(|l| l.strip_prefix("│ "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|t| t.starts_with('T'))
        .collect();
    let known_pattern = |p: &str| {
        known
            .iter()
            .any(|t| *t == p || t.strip_prefix(p).is_some_and(|r| r.starts_with('.')))
    };
    for id in all_ids() {
        let text = stdout(&["controls", "show", &id]);
        assert!(text.contains("pillar: "), "{id}");
        assert!(!text.contains("no provenance"), "{id}: {text}");
        let params = text
            .lines()
            .skip_while(|l| !l.starts_with("  parameters:"))
            .skip(1)
            .take_while(|l| !l.starts_with("  effects:"));
        for p in params {
            assert!(
                p.contains("(source: ") || p.contains("(assumption: "),
                "{id}: {p}"
            );
        }
        for e in effects(&id) {
            for t in e["techniques"].as_array().unwrap() {
                let t = t.as_str().unwrap();
                assert!(known_pattern(t), "{id}: unknown technique {t}");
            }
            // Every number an effect uses is a named parameter, not a literal.
            for k in ["e", "d", "fraction", "delay_hours", "share"] {
                assert!(
                    e[k].is_null() || e[k].is_string(),
                    "{id}: literal {k} in {e}"
                );
            }
        }
    }
}

#[test]
fn mfa_effects_only_touch_password_sign_ins() {
    // MFA is a requirement of the policy engine, which challenges only password sign-ins at
    // enforcement points (see src/policy.rs and its unit tests); it names no technique.
    for id in ["C01", "C02"] {
        for e in effects(id) {
            assert_eq!(e["kind"], "require", "{id}");
            for t in e["techniques"].as_array().unwrap() {
                let t = t.as_str().unwrap();
                for banned in ["T1550", "T1539", "T1528", "T1111", "T1557", "T1003"] {
                    assert!(!t.starts_with(banned), "{id} names {t}");
                }
            }
        }
    }
}

// ------------------------------------------------------------------ C01-C35

#[test]
fn c01_mfa_blocks_phished_password_sign_in() {
    let s = run("phish-signin", &["C01"]);
    let (none, c) = (set(&s, "none"), set(&s, "C01"));
    assert_eq!(pcj(none), 1.0);
    assert_eq!(blast(none), 3.0);
    assert_eq!(covered(c), 1.0);
    // Push MFA, e = 0.9 on the sign-in: P(mailbox) = 0.1.
    near("P(crown jewel) with C01", pcj(c), 0.1, 0.06);
    // The phished user still counts (the password is stolen), the rest mostly not.
    assert_eq!(num(c, "by_kind.user"), 1.0);
    assert!(num(c, "records_exfiltrated.mean") < 200.0);
}

#[test]
fn c01_mfa_does_not_reduce_pass_the_hash() {
    let s = run("pth-only", &["C01"]);
    let (none, c) = (set(&s, "none"), set(&s, "C01"));
    assert_eq!(pcj(none), 1.0);
    assert_eq!(blast(none), 5.0);
    assert_eq!(covered(c), 1.0, "u-1 is in C01's scope");
    assert_same_outcome(none, c, "MFA must not act on pass-the-hash (T1550.002)");
}

#[test]
fn c01_mfa_does_not_reduce_token_or_cookie_replay() {
    let s = run("token-replay", &["C01"]);
    let (none, c) = (set(&s, "none"), set(&s, "C01"));
    assert_eq!(pcj(none), 1.0);
    assert_eq!(covered(c), 1.0);
    assert_same_outcome(none, c, "MFA must not act on T1539 / T1550.004");
    let s = run("aitm", &["C01"]);
    assert_same_outcome(set(&s, "none"), set(&s, "C01"), "MFA must not act on T1557");
}

#[test]
fn c02_phishing_resistant_mfa_blocks_sign_in_but_not_relay_hash_or_cookie() {
    let s = run("phish-signin", &["C02", "C01+C02"]);
    assert!(pcj(set(&s, "C02")) < 0.04, "{}", pcj(set(&s, "C02")));
    // Same `mfa` stack: C01 with C02 is C02, not the product of both.
    assert_eq!(
        set(&s, "C01+C02")["crown_jewel"],
        set(&s, "C02")["crown_jewel"]
    );
    for name in ["pth-only", "token-replay", "aitm"] {
        let s = run(name, &["C02"]);
        assert_same_outcome(set(&s, "none"), set(&s, "C02"), name);
    }
}

#[test]
fn c03_legacy_auth_block_stops_password_spray() {
    let s = run("spray", &["C03"]);
    let (none, c) = (set(&s, "none"), set(&s, "C03"));
    assert_eq!(pcj(none), 1.0);
    // 1 - 0.99 for legacy auth, then x 0.5 for banned passwords: 0.005.
    assert!(pcj(c) < 0.03, "{}", pcj(c));
    assert!(num(c, "by_kind.user") < 0.03);
    // Banned passwords also halve the cracking of Kerberoasted service accounts.
    let s = run("kerberoast", &["C03"]);
    assert_eq!(num(set(&s, "none"), "by_kind.service_account"), 10.0);
    near(
        "service accounts cracked with C03",
        num(set(&s, "C03"), "by_kind.service_account"),
        5.0,
        1.0,
    );
}

#[test]
fn c04_compliant_device_blocks_outside_sign_in_not_cookie_replay() {
    let s = run("phish-signin", &["C04"]);
    let c = set(&s, "C04");
    assert_eq!(covered(c), 1.0);
    near("P(crown jewel) with C04", pcj(c), 0.05, 0.04);
    // A stolen cookie is replayed without a sign-in: the device check never runs.
    let s = run("token-replay", &["C04"]);
    assert_same_outcome(set(&s, "none"), set(&s, "C04"), "C04 on cookie replay");
}

#[test]
fn c05_risk_based_access_steps_up_and_detects() {
    let s = run("phish-signin", &["C05", "C01+C05"]);
    let (none, c) = (set(&s, "none"), set(&s, "C05"));
    assert_eq!(num(none, "detected.probability"), 0.0);
    near("P(crown jewel) with C05", pcj(c), 0.5, 0.1);
    // The sign-in is flagged with d = 0.5 (and the app access after it).
    assert!(num(c, "detected.probability") > 0.45);
    // Step-up shares the `mfa` stack: with C01 the harden is C01's alone.
    near(
        "P(crown jewel) with C01+C05",
        pcj(set(&s, "C01+C05")),
        0.1,
        0.06,
    );
}

#[test]
fn c06_token_binding_defeats_cookie_replay() {
    let s = run("token-replay", &["C06"]);
    let (none, c) = (set(&s, "none"), set(&s, "C06"));
    assert_eq!(pcj(none), 1.0);
    near("P(crown jewel) with C06", pcj(c), 0.1, 0.06);
    // The cookie is still stolen: the user counts, the bucket mostly not.
    assert_eq!(num(c, "by_kind.user"), 1.0);
    // Binding acts on replays of application tokens too.
    let s = run("app-token", &["C06"]);
    near("app-token with C06", pcj(set(&s, "C06")), 0.1, 0.06);
}

#[test]
fn c07_pim_makes_admin_rights_mostly_absent() {
    let s = run("admin-ssh", &["C07"]);
    let (none, c) = (set(&s, "none"), set(&s, "C07"));
    assert_eq!(pcj(none), 1.0);
    // The admin_to right exists 10% of the time.
    near("P(crown jewel) with C07", pcj(c), 0.1, 0.06);
    assert_eq!(num(c, "by_kind.admin"), 1.0);
}

#[test]
fn c08_tiering_removes_privileged_sessions_only() {
    let s = run("sessions", &["C08"]);
    let (none, c) = (set(&s, "none"), set(&s, "C08"));
    assert_eq!(num(none, "by_kind.admin"), 10.0);
    assert_eq!(num(none, "by_kind.user"), 1.0);
    assert_eq!(covered(c), 10.0, "the ten tier-1 admins");
    // 90% of privileged sessions removed (drawn per session, same in every trial).
    assert!(
        num(c, "by_kind.admin") <= 3.0,
        "{}",
        num(c, "by_kind.admin")
    );
    // The tier-2 user's session is not a tiering matter.
    assert_eq!(num(c, "by_kind.user"), 1.0);
}

#[test]
fn c09_access_reviews_remove_a_share_of_rights() {
    let s = run("entitlements", &["C09"]);
    let (none, c) = (set(&s, "none"), set(&s, "C09"));
    assert_eq!(num(none, "blast_radius.min"), 21.0);
    // A fixed set of rights is removed: every trial gives the same blast radius.
    assert_eq!(num(c, "blast_radius.min"), num(c, "blast_radius.max"));
    // Share 0.3 of 20 rights: 6 expected (binomial, sd 2).
    let removed = 21.0 - blast(c);
    assert!((1.0..=12.0).contains(&removed), "{removed}");
}

#[test]
fn c10_managed_identities_end_kerberoasting() {
    let s = run("kerberoast", &["C10"]);
    let (none, c) = (set(&s, "none"), set(&s, "C10"));
    assert_eq!(num(none, "by_kind.service_account"), 10.0);
    assert_eq!(covered(c), 10.0);
    // 90% of service accounts migrated: about one left.
    assert!(
        num(c, "by_kind.service_account") <= 3.0,
        "{}",
        num(c, "by_kind.service_account")
    );
    assert_eq!(num(c, "by_kind.user"), 1.0);
}

#[test]
fn c11_consent_restriction_hardens_app_token_theft() {
    let s = run("app-token", &["C11"]);
    let (none, c) = (set(&s, "none"), set(&s, "C11"));
    assert_eq!(pcj(none), 1.0);
    near("P(crown jewel) with C11", pcj(c), 0.2, 0.07);
    // The app itself is still taken with u-a's role.
    assert_eq!(num(c, "by_kind.saas"), 1.0);
}

#[test]
fn c12_itdr_detects_kerberoasting_without_changing_the_path() {
    let s = run("kerberoast", &["C12"]);
    let (none, c) = (set(&s, "none"), set(&s, "C12"));
    // Ten roasts, each seen with d = 0.7.
    assert!(num(none, "detected.probability") < 0.4);
    assert!(num(c, "detected.probability") > 0.99);
    // Detection only: no response, the same compromise trial by trial.
    assert_eq!(none["blast_radius"], c["blast_radius"]);
    assert_eq!(num(c, "contained.probability"), 0.0);
    // Detected earlier than by the techniques' own noise.
    let p50 = num(c, "time_to_detect_hours.p50");
    assert!(p50 < 24.0, "{p50}");
}

#[test]
fn c13_patch_sla_halves_privilege_escalation() {
    let s = run("privesc", &["C13"]);
    let (none, c) = (set(&s, "none"), set(&s, "C13"));
    assert_eq!(pcj(none), 1.0);
    // e = 1 - 0.29/0.56 = 0.48 on T1068.
    near("P(crown jewel) with C13", pcj(c), 0.52, 0.1);
}

#[test]
fn c14_edr_detects_and_isolates_lateral_movement() {
    let s = run("lateral-chain", &["C14"]);
    let (none, c) = (set(&s, "none"), set(&s, "C14"));
    assert_eq!(pcj(none), 1.0);
    assert_eq!(blast(none), 11.0);
    assert_eq!(num(none, "detected.probability"), 0.0);
    assert_eq!(num(none, "contained.probability"), 0.0);
    assert!(num(c, "detected.probability") > 0.95);
    assert!(num(c, "contained.probability") > 0.7);
    let ttc = num(c, "time_to_contain_hours.p50");
    assert!(ttc < 6.0, "time to contain p50 {ttc}");
    assert!(blast(c) < blast(none) / 2.0, "{}", blast(c));
    assert!(pcj(c) < 0.2);
}

#[test]
fn c15_credential_guard_protects_lsass_not_the_local_sam() {
    let s = run("sessions", &["C15"]);
    let (none, c) = (set(&s, "none"), set(&s, "C15"));
    assert_eq!(num(none, "by_kind.admin"), 10.0);
    // e = 0.9 on each LSASS dump: 10 admins -> 1, 1 user -> 0.1 on average.
    near("admins with C15", num(c, "by_kind.admin"), 1.0, 0.6);
    near("users with C15", num(c, "by_kind.user"), 0.1, 0.06);
    // The shared local administrator hash comes from the SAM, not LSASS.
    let s = run("shared-la", &["C15"]);
    assert_same_outcome(set(&s, "none"), set(&s, "C15"), "C15 on the local SAM");
}

#[test]
fn c16_laps_removes_shared_local_admin_pass_the_hash() {
    let s = run("shared-la", &["C16"]);
    let (none, c) = (set(&s, "none"), set(&s, "C16"));
    assert_eq!(num(none, "blast_radius.min"), 6.0);
    assert_eq!(num(none, "by_kind.workstation"), 5.0);
    // Only the start workstation and its segment remain.
    assert_eq!(num(c, "blast_radius.max"), 2.0);
    assert_eq!(num(c, "by_kind.workstation"), 1.0);
    // Domain-account pass-the-hash is not LAPS's business.
    let s = run("pth-only", &["C16"]);
    assert_same_outcome(set(&s, "none"), set(&s, "C16"), "C16 on domain PtH");
}

#[test]
fn c17_asr_blocks_attachment_execution() {
    let s = run("attachment", &["C17"]);
    let (none, c) = (set(&s, "none"), set(&s, "C17"));
    assert_eq!(pcj(none), 1.0);
    near("P(crown jewel) with C17", pcj(c), 0.3, 0.08);
}

#[test]
fn c18_exploit_protection_hardens_privilege_escalation() {
    let s = run("privesc", &["C18"]);
    let (none, c) = (set(&s, "none"), set(&s, "C18"));
    assert_eq!(pcj(none), 1.0);
    near("P(crown jewel) with C18", pcj(c), 0.7, 0.08);
}

#[test]
fn c19_email_protection_filters_phishing_link_and_attachment() {
    let s = run("phish-signin", &["C19"]);
    let c = set(&s, "C19");
    near("link: P(crown jewel) with C19", pcj(c), 0.1, 0.06);
    // Fewer users even get phished.
    near("link: users phished", num(c, "by_kind.user"), 0.1, 0.06);
    let s = run("attachment", &["C19"]);
    near("attachment: P with C19", pcj(set(&s, "C19")), 0.1, 0.06);
}

#[test]
fn c20_training_lowers_click_rate() {
    let s = run("phish-signin", &["C20"]);
    let c = set(&s, "C20");
    // 33.1% -> 5.4% clicks: e = 0.837.
    near("P(crown jewel) with C20", pcj(c), 0.163, 0.07);
    near(
        "users phished with C20",
        num(c, "by_kind.user"),
        0.163,
        0.07,
    );
}

#[test]
fn c21_sso_brings_app_sign_in_under_mfa() {
    let s = run("onprem-app", &["C21", "C01"]);
    let (none, c) = (set(&s, "none"), set(&s, "C21"));
    assert_eq!(pcj(none), 1.0);
    // Without SSO the user's push MFA never sees the app sign-in, with or without C01.
    assert_same_outcome(none, set(&s, "C01"), "C01 without SSO");
    // Through the policy engine, the push enrolment (e = 0.9) applies.
    near("P(crown jewel) with C21", pcj(c), 0.1, 0.06);
}

#[test]
fn c22_casb_blocks_and_detects_cloud_downloads() {
    let s = run("phish-signin", &["C22"]);
    let c = set(&s, "C22");
    near("P(crown jewel) with C22", pcj(c), 0.3, 0.08);
    near(
        "detected with C22",
        num(c, "detected.probability"),
        0.5,
        0.1,
    );
    // The sign-in and the app are untouched.
    assert_eq!(num(c, "by_kind.saas"), 1.0);
}

#[test]
fn c23_ztna_closes_internet_management_access() {
    let s = run("vpn", &["C23"]);
    let (none, c) = (set(&s, "none"), set(&s, "C23"));
    assert_eq!(num(none, "asset_compromise_rate.srv-1"), 1.0);
    // RDP published from the internet to the server segment is closed.
    assert_eq!(num(c, "asset_compromise_rate.srv-1"), 0.0);
    assert_eq!(num(c, "asset_compromise_rate.servers"), 0.0);
}

#[test]
fn c23_ztna_removes_vpn_appliance_exploitation() {
    let s = run("vpn", &["C23"]);
    assert_eq!(num(set(&s, "none"), "asset_compromise_rate.vpn-gw"), 1.0);
    assert_eq!(num(set(&s, "C23"), "asset_compromise_rate.vpn-gw"), 0.0);
}

#[test]
fn c23_ztna_closes_rdp_exposed_on_a_device() {
    let s = run("vpn", &["C23"]);
    assert_eq!(num(set(&s, "none"), "asset_compromise_rate.srv-2"), 1.0);
    assert_eq!(num(set(&s, "C23"), "asset_compromise_rate.srv-2"), 0.0);
}

#[test]
fn c24_waf_acts_only_on_public_exploitation() {
    let fx = effects("C24");
    assert_eq!(fx.len(), 1);
    assert_eq!(fx[0]["kind"], "harden");
    assert_eq!(fx[0]["techniques"], serde_json::json!(["T1190"]));
    assert!(stdout(&["controls", "show", "C24"]).contains("waf_efficacy = 0.5"));
    // Nothing else on a path without T1190 changes.
    let s = run("phish-signin", &["C24"]);
    assert_same_outcome(set(&s, "none"), set(&s, "C24"), "C24 off T1190");
}

#[test]
fn c24_waf_halves_public_app_exploitation() {
    let s = run("portal", &["C24"]);
    assert_eq!(pcj(set(&s, "none")), 1.0);
    near("P(crown jewel) with C24", pcj(set(&s, "C24")), 0.5, 0.1);
}

#[test]
fn c25_labels_cut_usable_exfiltration_not_access() {
    let s = run("phish-signin", &["C25"]);
    let (none, c) = (set(&s, "none"), set(&s, "C25"));
    assert_eq!(num(none, "records_exfiltrated.mean"), 1000.0);
    // 70% of records labelled and encrypted: 300 usable records out on average.
    near(
        "records exfiltrated with C25",
        num(c, "records_exfiltrated.mean"),
        300.0,
        100.0,
    );
    assert_eq!(none["records_exposed"], c["records_exposed"]);
    assert_eq!(none["crown_jewel"], c["crown_jewel"]);
}

#[test]
fn c26_dlp_hardens_exfiltration() {
    let s = run("phish-signin", &["C26"]);
    let (none, c) = (set(&s, "none"), set(&s, "C26"));
    near(
        "records exfiltrated with C26",
        num(c, "records_exfiltrated.mean"),
        700.0,
        100.0,
    );
    assert_eq!(none["crown_jewel"], c["crown_jewel"]);
}

#[test]
fn c27_data_clean_up_removes_half_of_data_rights() {
    let s = run("entitlements", &["C27"]);
    let c = set(&s, "C27");
    assert_eq!(num(c, "blast_radius.min"), num(c, "blast_radius.max"));
    // Share 0.5 of 20 read rights: 10 expected (binomial, sd 2.2).
    let removed = 21.0 - blast(c);
    assert!((3.0..=17.0).contains(&removed), "{removed}");
    assert_eq!(num(c, "by_kind.user"), 1.0);
}

#[test]
fn c28_immutable_backups_protect_backups_not_devices() {
    let s = run("backups", &["C28"]);
    let (none, c) = (set(&s, "none"), set(&s, "C28"));
    assert_eq!(num(none, "backups_destroyed.mean"), 1.0);
    assert_eq!(num(none, "devices_encrypted.mean"), 1.0);
    assert_eq!(covered(c), 1.0, "the backup store is tagged `backup`");
    // Hardened by e = 0.95 with one try: about 5% of trials still destroy it.
    near(
        "backups destroyed with C28",
        num(c, "backups_destroyed.mean"),
        0.05,
        0.045,
    );
    assert_eq!(num(c, "devices_encrypted.mean"), 1.0, "T1486 untouched");
}

#[test]
fn c29_jit_vm_access_closes_management_ports() {
    let s = run("admin-ssh", &["C29"]);
    let (none, c) = (set(&s, "none"), set(&s, "C29"));
    assert_eq!(pcj(none), 1.0);
    // Ports open 5% of the time.
    near("P(crown jewel) with C29", pcj(c), 0.05, 0.04);
}

#[test]
fn c30_macro_segmentation_blocks_smb_rdp_and_winrm_across_segments() {
    let s = run("seg-protocols", &["C30"]);
    let (none, c) = (set(&s, "none"), set(&s, "C30"));
    for srv in ["srv-smb", "srv-rdp", "srv-winrm", "srv-office"] {
        assert_eq!(
            num(none, &format!("asset_compromise_rate.{srv}")),
            1.0,
            "{srv} reachable without controls"
        );
    }
    // SMB-only, RDP-only and WinRM-only crossings are all cut.
    for srv in ["srv-smb", "srv-rdp", "srv-winrm"] {
        assert_eq!(
            num(c, &format!("asset_compromise_rate.{srv}")),
            0.0,
            "{srv} with C30"
        );
    }
    // Inside the attacker's own segment macro-segmentation changes nothing.
    assert_eq!(num(c, "asset_compromise_rate.srv-office"), 1.0);
    assert_eq!(num(c, "by_kind.server"), 1.0);
}

#[test]
fn c31_micro_segmentation_blocks_inside_the_segment_too() {
    let s = run("seg-protocols", &["C31"]);
    let c = set(&s, "C31");
    assert_eq!(num(c, "by_kind.server"), 0.0);
    let s = run("admin-ssh", &["C31"]);
    assert_eq!(pcj(set(&s, "C31")), 0.0, "SSH inside the segment");
}

#[test]
fn c32_mtls_defeats_aitm_relay() {
    let s = run("aitm", &["C32"]);
    let (none, c) = (set(&s, "none"), set(&s, "C32"));
    assert_eq!(pcj(none), 1.0);
    near("P(crown jewel) with C32", pcj(c), 0.1, 0.06);
    near("u-2 captured with C32", num(c, "by_kind.user"), 0.1, 0.06);
}

#[test]
fn c33_ndr_detects_lateral_movement() {
    let s = run("admin-ssh", &["C33"]);
    let (none, c) = (set(&s, "none"), set(&s, "C33"));
    assert_eq!(num(none, "detected.probability"), 0.0);
    // One SSH hop, d = 0.4.
    near(
        "detected with C33",
        num(c, "detected.probability"),
        0.4,
        0.1,
    );
    assert_eq!(none["blast_radius"], c["blast_radius"]);
}

#[test]
fn c34_siem_detects_more_chains() {
    let s = run("phish-signin", &["C34"]);
    let (none, c) = (set(&s, "none"), set(&s, "C34"));
    assert_eq!(num(none, "detected.probability"), 0.0);
    // Five steps (phish, sign-in, app, mailbox, exfiltration) at d = 0.2: 1 - 0.8^5 = 0.67.
    near(
        "detected with C34",
        num(c, "detected.probability"),
        0.67,
        0.1,
    );
    assert_eq!(none["blast_radius"], c["blast_radius"]);
    // Longer chains are caught more often.
    let s = run("lateral-chain", &["C34"]);
    assert!(num(set(&s, "C34"), "detected.probability") > 0.9);
}

#[test]
fn c35_soar_contains_after_detection() {
    let s = run("noisy-chain", &["C35"]);
    let (none, c) = (set(&s, "none"), set(&s, "C35"));
    assert!(num(none, "detected.probability") > 0.95);
    assert_eq!(num(none, "contained.probability"), 0.0);
    assert!(num(c, "contained.probability") > 0.5);
    let ttc = num(c, "time_to_contain_hours.p50");
    assert!(ttc < 12.0, "time to contain p50 {ttc}");
    assert!(blast(c) < blast(none) / 2.0);
    assert!(pcj(c) < 0.2);
    // No detection of its own: on a silent chain nothing changes.
    let s = run("lateral-chain", &["C35"]);
    assert_same_outcome(set(&s, "none"), set(&s, "C35"), "C35 without detection");
}

// ------------------------------------------------------------------ presets

#[test]
fn every_preset_resolves() {
    for p in ["traditional", "initial", "advanced", "optimal"] {
        ztsim()
            .args([
                "run",
                "tests/scenarios/segmented.yaml",
                "--controls",
                p,
                "--trials",
                "10",
            ])
            .assert()
            .success();
    }
}

#[test]
fn pillar_raise_resolves() {
    let s = {
        let out = ztsim()
            .args([
                "run",
                "tests/scenarios/segmented.yaml",
                "--controls",
                "initial+identities:advanced",
                "--trials",
                "10",
                "--json",
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let ids: Vec<&str> = s["control_sets"][0]["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    // Advanced's identity controls replace initial's; initial's other pillars stay.
    for id in ["C02", "C05", "C07", "C08", "C30", "C14", "C19"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert!(!ids.contains(&"C31"), "{ids:?}");
}

#[test]
fn initial_edr_detects_without_isolating_and_advanced_isolates() {
    let s = run("lateral-chain", &["initial", "advanced"]);
    let (initial, advanced) = (set(&s, "initial"), set(&s, "advanced"));
    // Detections still happen (fewer trials get far: C13 hardens the first escalation) ...
    assert!(num(initial, "detected.probability") > 0.7);
    // ... but with no manual response in the scenario nothing is ever contained.
    assert_eq!(num(initial, "contained.probability"), 0.0);
    assert!(num(advanced, "contained.probability") > 0.5);
}

#[test]
fn maturity_stages_do_not_increase_blast_radius_on_shipped_scenarios() {
    for file in [
        "scenarios/flat-ad.yaml",
        "scenarios/hybrid-cloud.yaml",
        "scenarios/cloud-native.yaml",
    ] {
        let out = ztsim()
            .args(["run", file, "--trials", "300", "--json"])
            .args(["--controls", "traditional", "--controls", "initial"])
            .args(["--controls", "advanced", "--controls", "optimal"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{file}");
        let s: Value = serde_json::from_slice(&out.stdout).unwrap();
        let sets = s["control_sets"].as_array().unwrap();
        for w in sets.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            // Later stage at most the earlier one's upper confidence bound.
            for k in ["blast_radius", "crown_jewel"] {
                let (key, hi) = if k == "blast_radius" {
                    (
                        num(b, "blast_radius.mean"),
                        a[k]["ci95"][1].as_f64().unwrap(),
                    )
                } else {
                    (pcj(b), a[k]["ci95"][1].as_f64().unwrap())
                };
                assert!(
                    key <= hi,
                    "{file}: {} {k} {key} above {}'s upper bound {hi}",
                    b["name"],
                    a["name"]
                );
            }
        }
    }
}

// ------------------------------------------------------------------ controls files

#[test]
fn a_controls_file_overrides_a_parameter_and_adds_a_set() {
    let base = run("phish-signin", &["C01"]);
    let weaker = run_with(
        "phish-signin",
        &["--controls-file", "tests/controls-files/weaker-mfa.yaml"],
        &["C01", "mfa-admins"],
    );
    // Efficacy 0.9 → 0.5 on the one sign-in step: P(mailbox) 0.1 → 0.5.
    near(
        "P(crown jewel), catalog C01",
        pcj(set(&base, "C01")),
        0.1,
        0.06,
    );
    near(
        "P(crown jewel), C01 at efficacy 0.5",
        pcj(set(&weaker, "C01")),
        0.5,
        0.1,
    );
    // The file's own set scopes MFA to admins; the phished identity is a user.
    assert_eq!(pcj(set(&weaker, "mfa-admins")), 1.0);
    // Outputs say which inputs they came from: the hash covers the controls file.
    assert_ne!(base["scenario_hash"], weaker["scenario_hash"]);
}

#[test]
fn invalid_controls_files_name_file_line_and_field() {
    for (file, line, field, message) in [
        (
            "unknown-control.yaml",
            5,
            "control_sets[0].controls[1].id",
            "unknown control `C99`",
        ),
        (
            "unknown-technique.yaml",
            6,
            "controls[0].effects[0].techniques[1]",
            "unknown technique `T9999`",
        ),
        (
            "bad-coverage.yaml",
            3,
            "controls[0].coverage",
            "probability 1.3 is outside [0, 1]",
        ),
        (
            "unknown-field.yaml",
            3,
            "controls[0].efficacy",
            "unknown field `efficacy`",
        ),
    ] {
        let path = format!("tests/controls-files/{file}");
        let out = ztsim()
            .args(["run", &scenario("phish-signin"), "--controls-file", &path])
            .args(["--trials", "10"])
            .output()
            .expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file}: {err}");
        assert!(err.contains(&format!("{path}:{line}:")), "{file}: {err}");
        assert!(err.contains(field), "{file}: {err}");
        assert!(err.contains(message), "{file}: {err}");
        assert!(!err.contains("panicked"), "{file}: {err}");
        assert!(out.stdout.is_empty(), "{file}: printed results");
    }
}
