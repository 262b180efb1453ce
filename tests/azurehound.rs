//! `ztsim import azurehound` and `ztsim import bloodhound --azurehound`, through the real
//! binary, on hand-made AzureHound files (tests/fixtures/azurehound/) with hand-derived
//! answers: a small tenant mapped exactly, the hybrid acceptance path (on-premises helpdesk
//! to Global Administrator), and bad inputs.

mod common;
use common::{f, run_json, set, ztsim};

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use ztsim::limits::Limits;
use ztsim::scenario::Scenario;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// Runs `ztsim import ARGS...`; returns (exit code, stdout, stderr).
fn import(args: &[&str]) -> (i32, String, String) {
    let out = ztsim().arg("import").args(args).output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn load(path: &Path) -> Scenario {
    ztsim::scenario::load_scenario_file(path, &Limits::default())
        .expect("the import loads")
        .scenario
}

/// Each relation as `type from>to`, with ` eligible` or ` admin` when set.
fn relations(s: &Scenario) -> BTreeSet<String> {
    s.relations
        .iter()
        .map(|r| {
            let mut t = format!("{} {}>{}", r.kind.name(), r.from, r.to);
            if r.eligible {
                t.push_str(" eligible");
            }
            if r.role == Some(ztsim::model::AppRole::Admin) {
                t.push_str(" admin");
            }
            t
        })
        .collect()
}

const T: &str = "11111111-1111-1111-1111-111111111111";
const SUB: &str = "/SUBSCRIPTIONS/50B00000-0000-0000-0000-000000000001";

fn user(n: u8) -> String {
    format!("A0000000-0000-0000-0000-00000000000{n}")
}

fn res(path: &str) -> String {
    format!("{SUB}/RESOURCEGROUPS/RG-APP/PROVIDERS/{path}")
}

#[test]
fn a_small_tenant_maps_exactly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("tenant.yaml");
    let csv = dir.path().join("coverage.csv");
    let input = fixture("azurehound/tenant.json");
    let (code, _stdout, stderr) = import(&[
        "azurehound",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--coverage",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("0 item(s) not understood"), "{stderr}");
    let s = load(&out);

    let (g1, g2) = (
        "B0000000-0000-0000-0000-000000000001", // finance, not role-assignable
        "B0000000-0000-0000-0000-000000000002", // cloud-ops, role-assignable
    );
    let (payroll, aa_mi, vm_mi) = (
        "C0000000-0000-0000-0000-000000000001",
        "C0000000-0000-0000-0000-000000000002",
        "C0000000-0000-0000-0000-000000000003",
    );
    let ga = format!("62E90394-69F5-4237-9190-012177145E10@{T}");
    let pra = format!("E8611AB8-C189-46E8-94E1-60213AB1F814@{T}");
    let hd = format!("729827E3-9C14-49F7-BB1B-9608F156BBB8@{T}");
    let (vm, kv, aa) = (
        res("MICROSOFT.COMPUTE/VIRTUALMACHINES/VM-WEB"),
        res("MICROSOFT.KEYVAULT/VAULTS/KV-PROD"),
        res("MICROSOFT.AUTOMATION/AUTOMATIONACCOUNTS/AA-OPS"),
    );
    let (alice, bob, carol, dave, erin) = (user(1), user(2), user(3), user(4), user(5));

    // Assets: frank is disabled and skipped; each directory role in use is a group.
    let assets: BTreeSet<String> = s
        .assets
        .iter()
        .map(|a| format!("{} {}", a.kind.name(), a.id))
        .collect();
    let want_assets: BTreeSet<String> = [
        format!("identity_provider {T}"),
        // Holders of directory roles are admins (GA and PRA tier 0, Helpdesk tier 1).
        format!("admin {alice}"),
        format!("admin {bob}"),
        format!("admin {carol}"),
        format!("user {dave}"),
        format!("guest {erin}"),
        format!("group {g1}"),
        format!("group {g2}"),
        format!("group {ga}"),
        format!("group {pra}"),
        format!("group {hd}"),
        format!("service_account {payroll}"),
        format!("service_account {aa_mi}"),
        format!("service_account {vm_mi}"),
        "workstation DE000000-0000-0000-0000-000000000001".to_string(),
        format!("cloud_subscription {SUB}"),
        format!("server {vm}"),
        format!("bucket {kv}"),
        format!("api {aa}"),
    ]
    .into_iter()
    .collect();
    assert_eq!(assets, want_assets);
    let tier = |id: &str| s.assets.iter().find(|a| a.id == id).unwrap().tier;
    assert_eq!(
        (tier(&alice), tier(&bob), tier(&carol)),
        (Some(0), Some(0), Some(1))
    );
    let tenant = s.assets.iter().find(|a| a.id == T).unwrap();
    assert!(tenant.crown_jewel, "the tenant is the default objective");

    let want: BTreeSet<String> = [
        // AZMemberOf, and owners: dave owns the finance group and the payroll app.
        format!("member_of {erin}>{g1}"),
        format!("member_of {carol}>{g2}"),
        format!("can_add_member {dave}>{g1}"),
        format!("can_add_secret {dave}>{payroll}"),
        // GroupMember.ReadWrite.All: every group that is not role-assignable.
        format!("can_add_member {payroll}>{g1}"),
        // Directory roles (bob's is a PIM eligibility) and what they give.
        format!("has_role {alice}>{ga}"),
        format!("has_role {carol}>{hd}"),
        format!("has_role {bob}>{pra} eligible"),
        format!("role_on {ga}>{T} admin"),
        format!("can_grant_role {pra}>{T}"),
        // Helpdesk Administrator: the users that hold no directory role.
        format!("can_reset_cloud_password {hd}>{dave}"),
        format!("can_reset_cloud_password {hd}>{erin}"),
        // Resources on their subscription, and their managed identities.
        format!("hosted_on {vm}>{SUB}"),
        format!("hosted_on {kv}>{SUB}"),
        format!("hosted_on {aa}>{SUB}"),
        format!("has_managed_identity {vm}>{vm_mi}"),
        format!("has_managed_identity {aa}>{aa_mi}"),
        // Contributor on the resource group, pushed down to what is in it.
        format!("can_run_command {g2}>{vm}"),
        format!("can_run_command {g2}>{aa}"),
        format!("admin_to {g2}>{kv}"),
        // Owner of the subscription (its VM owner entry is inherited: not repeated).
        format!("admin_to {aa_mi}>{SUB}"),
        // Get on secrets, and VM Administrator Login.
        format!("reads {vm_mi}>{kv}"),
        format!("admin_to {dave}>{vm}"),
    ]
    .into_iter()
    .collect();
    assert_eq!(relations(&s), want);

    // The coverage table has the AzureHound rows.
    let table = std::fs::read_to_string(&csv).expect("coverage written");
    for row in [
        "mapped,AZGlobalAdmin,,1,1",
        "mapped,AZResetPassword,,2,2",
        "mapped,AZContributor,,3,3",
        "mapped,AZMGAddMember,,1,1",
        "mapped,AZRoleEligible,,1,1",
        "skipped,AZOwner,assignment inherited from a parent scope (mapped where it is assigned),1,",
        "skipped,disabled Entra user,accountEnabled is false (import with --include-disabled),1,",
    ] {
        assert!(table.contains(row), "no `{row}` in\n{table}");
    }
}

const JDOE: &str = "S-1-5-21-4000-5000-6000-1202";
const HYBRID_TENANT: &str = "22222222-2222-2222-2222-222222222222";

/// The hybrid estate, imported with the overlay that makes every step certain.
fn hybrid(dir: &Path) -> PathBuf {
    hybrid_with(dir, &fixture("azurehound/certain.yaml"))
}

fn hybrid_with(dir: &Path, overlay: &Path) -> PathBuf {
    let out = dir.join("hybrid.yaml");
    let (code, stdout, stderr) = import(&[
        "bloodhound",
        fixture("sharphound/hybrid").to_str().unwrap(),
        "--azurehound",
        fixture("azurehound/hybrid.json").to_str().unwrap(),
        "--overlay",
        overlay.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("hybrid: 1 Entra user(s)"), "{stdout}");
    out
}

#[test]
fn a_synced_user_and_a_hybrid_joined_device_are_one_asset_each() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = load(&hybrid(dir.path()));
    // jdoe is the AD user, with its Entra role: no asset of the Entra object id.
    assert!(!s.assets.iter().any(|a| a.id.starts_with("A1000000")));
    let jdoe = s.assets.iter().find(|a| a.id == JDOE).expect("jdoe");
    assert!(jdoe.tags.iter().any(|t| t == "az:synced"));
    let rels = relations(&s);
    assert!(rels.contains(&format!(
        "can_reset_password S-1-5-21-4000-5000-6000-1201>{JDOE}"
    )));
    assert!(rels.contains(&format!(
        "has_role {JDOE}>9B895D92-2CD3-44C7-9D02-A6AC2D5EA5C3@{HYBRID_TENANT}"
    )));
    // WS01 is the AD computer, tagged as hybrid joined.
    let ws01 = s
        .assets
        .iter()
        .find(|a| a.id == "S-1-5-21-4000-5000-6000-1101");
    assert!(ws01.is_some_and(|a| a.tags.iter().any(|t| t == "az:hybrid-joined")));
    assert!(!s.assets.iter().any(|a| a.id.starts_with("DE100000")));
}

/// `ztsim paths SCENARIO --to TENANT --json`: the tenant's paths.
fn tenant_paths(scenario: &Path) -> Vec<Value> {
    let out = ztsim()
        .args(["paths", scenario.to_str().unwrap(), "--to", HYBRID_TENANT])
        .args(["--trials", "200", "--json"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    report["targets"][0]["paths"]
        .as_array()
        .expect("paths")
        .clone()
}

#[test]
fn phishing_resistant_mfa_on_the_synced_user_cuts_the_path_at_its_sign_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    let overlay = dir.path().join("mfa.yaml");
    let certain = std::fs::read_to_string(fixture("azurehound/certain.yaml")).unwrap();
    let patch = "patch:\n  - {match: [\"JDOE@*\"], set: {mfa: phishing_resistant}}\n";
    std::fs::write(&overlay, certain + patch).unwrap();
    let paths = tenant_paths(&hybrid_with(dir.path(), &overlay));
    let best = paths[0]["probability"].as_f64().unwrap();
    assert!(best < 0.05, "{best}");
    let sign_in = &paths[0]["steps"][1];
    assert_eq!(sign_in["rule"], "identity.sign-in");
    assert!(sign_in["p"].as_f64().unwrap() < 0.05, "{sign_in}");
}

#[test]
fn helpdesk_reaches_global_admin_through_a_synced_user_and_a_service_principal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = hybrid(dir.path());
    let paths = tenant_paths(&scenario);
    let want = [
        ("can_reset_password", "takeover.reset-password", "T1098"),
        ("", "identity.sign-in", "T1078.004"),
        ("has_role", "entra.has-role", ""),
        ("can_add_secret", "entra.add-secret", "T1098.001"),
        ("", "identity.sign-in", "T1078.004"),
        ("can_grant_role", "entra.grant-role", "T1098.003"),
    ];
    let path = paths
        .iter()
        .find(|p| {
            let steps = p["steps"].as_array().unwrap();
            steps.len() == want.len()
                && steps.iter().zip(want).all(|(s, (rel, rule, _))| {
                    s["relation"].as_str().unwrap_or("") == rel && s["rule"] == rule
                })
        })
        .unwrap_or_else(|| panic!("no helpdesk → Global Admin path in {paths:#?}"));
    let names: Vec<&str> = path["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["to_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "JDOE@CONTOSO.LOCAL",
            "JDOE@CONTOSO.LOCAL",
            "APPLICATION ADMINISTRATOR",
            "DEPLOY-PIPELINE",
            "DEPLOY-PIPELINE",
            "CONTOSO"
        ]
    );
    // Every link is certain (the overlay's technique overrides), so the path is too.
    assert_eq!(path["probability"], 1.0);
    for (s, (_, _, tech)) in path["steps"].as_array().unwrap().iter().zip(want) {
        assert_eq!(s["p"], 1.0, "{s}");
        if !tech.is_empty() {
            assert_eq!(s["technique"], tech);
        }
    }
    // And the simulation agrees: the tenant falls in every trial.
    let summary = run_json(scenario.to_str().unwrap(), &["-n", "100"]);
    let none = set(&summary, "none");
    assert_eq!(none["asset_compromise_rate"][HYBRID_TENANT], 1.0);
    assert_eq!(f(none, "crown_jewel.probability"), 1.0);
}

#[test]
fn a_file_that_is_not_azurehound_output_is_refused_with_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("x.yaml");
    let sharphound = fixture("sharphound/hybrid/users.json");
    let (code, _, stderr) = import(&[
        "azurehound",
        sharphound.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("users.json: not an AzureHound file"),
        "{stderr}"
    );
    assert!(stderr.contains("meta.type is `users`"), "{stderr}");
    assert!(!out.exists(), "no estate is written");
    // Also through --azurehound of a SharpHound import.
    let (code, _, stderr) = import(&[
        "bloodhound",
        fixture("sharphound/hybrid").to_str().unwrap(),
        "--azurehound",
        sharphound.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("not an AzureHound file"), "{stderr}");
}

#[test]
fn unknown_kinds_and_repeated_ids_are_counted_with_warnings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("odd.json");
    std::fs::write(
        &input,
        r#"{"data": [
  {"kind": "AZTenant", "data": {"tenantId": "33333333-3333-3333-3333-333333333333", "displayName": "ODD"}},
  {"kind": "AZUser", "data": {"id": "u-1", "userPrincipalName": "a@odd.example", "tenantId": "33333333-3333-3333-3333-333333333333"}},
  {"kind": "AZUser", "data": {"id": "U-1", "userPrincipalName": "again@odd.example"}},
  {"kind": "AZQuantumVault", "data": {"id": "q"}},
  {"kind": "AZQuantumVault", "data": {"id": "r"}}
], "meta": {"type": "azure", "version": 5, "count": 5}}"#,
    )
    .unwrap();
    let out = dir.path().join("odd.yaml");
    let (code, stdout, stderr) = import(&[
        "azurehound",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("2 x kind `AZQuantumVault` (not an AzureHound kind ztsim knows)"),
        "{stdout}"
    );
    assert!(stderr.contains("2 item(s) not understood"), "{stderr}");
    assert!(
        stdout.contains("Warning: ") && stdout.contains("2 item(s) of unknown kind(s)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 x AZUser: repeated object id (the first item is kept)"),
        "{stdout}"
    );
    assert!(stdout.contains("1 item(s) repeat an object id"), "{stdout}");
    let s = load(&out);
    let u = s
        .assets
        .iter()
        .find(|a| a.id == "U-1")
        .expect("the first user");
    assert_eq!(u.name.as_deref(), Some("a@odd.example"));
}
