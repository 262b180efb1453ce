//! Runs one rule alone on its example estate: the test that walks the registry.

use super::{Derive, REGISTRY, Scope};
use crate::edge::NO_SOURCE;
use crate::estate;
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
        .filter(|(_, o)| o.rule() as usize == i)
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

/// Runs rule `id` alone on its example and compares with the exact expected edges.
fn check(id: &str) {
    let i = REGISTRY
        .iter()
        .position(|r| r.id == id)
        .expect("registered");
    let rule = REGISTRY[i];
    let mut want: Vec<String> = rule.example.edges.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(edges_of_rule(i, rule.example.scenario), Ok(want), "{id}");
}

/// One test per rule, named after it; `every_rule_has_its_own_test` checks the list is the
/// registry.
macro_rules! rule_tests {
    ($($name:ident => $id:literal,)*) => {
        const TESTED: &[&str] = &[$($id),*];
        $(
            #[test]
            fn $name() {
                check($id);
            }
        )*
    };
}

rule_tests! {
    initial_phish_link => "initial.phish-link",
    initial_password_spray => "initial.password-spray",
    initial_exploit_public => "initial.exploit-public",
    initial_exploit_remote => "initial.exploit-remote",
    initial_phish_attachment => "initial.phish-attachment",
    identity_sign_in => "identity.sign-in",
    identity_token_replay => "identity.token-replay",
    directory_dcsync => "directory.dcsync",
    directory_member_hashes => "directory.member-hashes",
    directory_domain_user => "directory.domain-user",
    directory_kerberoast => "directory.kerberoast",
    privilege_local_escalation => "privilege.local-escalation",
    credential_sam_dump => "credential.sam-dump",
    privilege_shared_local_admin => "privilege.shared-local-admin",
    identity_member_of => "identity.member-of",
    credential_lsass => "credential.lsass",
    credential_cookie_theft => "credential.cookie-theft",
    lateral_rdp => "lateral.rdp",
    lateral_psremote => "lateral.psremote",
    lateral_ssh => "lateral.ssh",
    lateral_logon => "lateral.logon",
    lateral_admin_smb => "lateral.admin-smb",
    lateral_admin_pth => "lateral.admin-pth",
    lateral_admin_winrm => "lateral.admin-winrm",
    lateral_admin_rdp => "lateral.admin-rdp",
    lateral_admin_ssh => "lateral.admin-ssh",
    lateral_admin_cloud => "lateral.admin-cloud",
    lateral_admin_data => "lateral.admin-data",
    lateral_admin_app => "lateral.admin-app",
    applications_role_sso => "applications.role-sso",
    applications_remote_gateway => "applications.remote-gateway",
    applications_role_local => "applications.role-local",
    credential_app_token => "credential.app-token",
    applications_data_from_app => "applications.data-from-app",
    applications_data_cloud => "applications.data-cloud",
    applications_data_onprem => "applications.data-onprem",
    applications_host_owns_guest => "applications.host-owns-guest",
    applications_app_runs_on_host => "applications.app-runs-on-host",
    applications_trust => "applications.trust",
    credential_aitm => "credential.aitm",
    identity_idp_mint_tokens => "identity.idp-mint-tokens",
    impact_encrypt => "impact.encrypt",
    impact_inhibit_recovery => "impact.inhibit-recovery",
    impact_exfiltrate => "impact.exfiltrate",
    initial_exploit_service => "initial.exploit-service",
    credential_stored => "credential.stored",
    credential_leaked => "credential.leaked",
    credential_use => "credential.use",
    lateral_shared_content => "lateral.shared-content",
    discovery_network_scan => "discovery.network-scan",
    discovery_directory => "discovery.directory",
    takeover_reset_password => "takeover.reset-password",
    takeover_shadow_credentials => "takeover.shadow-credentials",
    takeover_targeted_kerberoast => "takeover.targeted-kerberoast",
    takeover_read_password => "takeover.read-password",
    takeover_rewrite_acl => "takeover.rewrite-acl",
    directory_coerce_unconstrained => "directory.coerce-unconstrained",
    directory_gpo_abuse => "directory.gpo-abuse",
    certificates_esc1 => "certificates.esc1",
    certificates_esc3 => "certificates.esc3",
    certificates_esc4 => "certificates.esc4",
    certificates_esc5 => "certificates.esc5",
    certificates_esc6 => "certificates.esc6",
    certificates_esc7_manage_ca => "certificates.esc7-manage-ca",
    certificates_esc7_officer => "certificates.esc7-officer",
    certificates_esc8 => "certificates.esc8",
    certificates_esc13 => "certificates.esc13",
    certificates_golden_certificate => "certificates.golden-certificate",
    entra_has_role => "entra.has-role",
    entra_add_secret => "entra.add-secret",
    entra_add_member => "entra.add-member",
    entra_grant_role => "entra.grant-role",
    entra_grant_app_roles => "entra.grant-app-roles",
    entra_reset_password => "entra.reset-password",
    entra_run_command => "entra.run-command",
    entra_managed_identity => "entra.managed-identity",
}

#[test]
fn every_rule_has_its_own_test() {
    let ids: Vec<&str> = REGISTRY.iter().map(|r| r.id).collect();
    assert_eq!(
        ids, TESTED,
        "add the new rule to rule_tests! in src/rules/testing.rs"
    );
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
            (Scope::Asset | Scope::Segment, Derive::Asset(_)) => {}
            (Scope::Relations(k), Derive::Relation(_)) => assert!(!k.is_empty()),
            _ => panic!("{}: scope and derivation disagree", r.id),
        }
        // Each example is a tiny world: three to five assets.
        let assets = r.example.scenario.matches("- {id:").count();
        assert!((3..=6).contains(&assets), "{}: {assets} assets", r.id);
    }
}
