//! AzureHound items → ztsim assets and relations (see the parent module and
//! docs/azurehound.md). Three passes: objects, then the items that relate them, then what
//! BloodHound's post-processing draws from directory roles and Graph permissions.

use super::types::AzRole;
use super::{Collection, Options};
use crate::import::{Draft, Report, asset_kind, asset_str};
use crate::model::{AssetKind, RelationKind};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Built-in directory roles by template id: (name, what ztsim draws from it).
mod role {
    pub const GLOBAL_ADMIN: &str = "62e90394-69f5-4237-9190-012177145e10";
    pub const PRIVILEGED_ROLE_ADMIN: &str = "e8611ab8-c189-46e8-94e1-60213ab1f814";
    pub const PRIVILEGED_AUTH_ADMIN: &str = "7be44c8a-adaf-4e2a-84d6-ab2649e08a13";
    pub const APP_ADMIN: &str = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3";
    pub const CLOUD_APP_ADMIN: &str = "158c047a-c907-4556-b7ef-446551a6b5f7";
    pub const INTUNE_ADMIN: &str = "3a2c62db-5318-420d-8d74-23affee5d9d5";
    /// Roles that reset the passwords of users who hold no directory role.
    pub const RESET_ORDINARY: [&str; 4] = [
        "729827e3-9c14-49f7-bb1b-9608f156bbb8", // Helpdesk Administrator
        "966707d0-3269-4727-9be2-8c3a10f19b9d", // Password Administrator
        "fe930be7-5e62-47db-91af-98c3a49a38b1", // User Administrator
        "c4e39bd9-1100-46d3-8c65-fb160da0071f", // Authentication Administrator
    ];
    /// Roles that add members to groups that are not role-assignable.
    pub const ADD_MEMBERS: [&str; 7] = [
        "fdd7a751-b60b-444a-984c-02652fe8fa1c", // Groups Administrator
        "9360feb5-f418-4baa-8175-e2a00bac4301", // Directory Writers
        "45d8d3c5-c802-45c6-b32a-1d70b5e1e86e", // Identity Governance Administrator
        "fe930be7-5e62-47db-91af-98c3a49a38b1", // User Administrator
        INTUNE_ADMIN,
        "b5a8dcf3-09d5-43a9-a639-8e29ef291470", // Knowledge Administrator
        "744ec460-397e-42ad-a462-8b3f9747a02c", // Knowledge Manager
    ];
    /// Roles whose holders take the tenant (tier 0).
    pub const TENANT_TAKING: [&str; 3] =
        [GLOBAL_ADMIN, PRIVILEGED_ROLE_ADMIN, PRIVILEGED_AUTH_ADMIN];
    /// Names of the roles above, for role groups whose AZRole item was not collected.
    pub const NAMES: [(&str, &str); 6] = [
        (GLOBAL_ADMIN, "Global Administrator"),
        (PRIVILEGED_ROLE_ADMIN, "Privileged Role Administrator"),
        (
            PRIVILEGED_AUTH_ADMIN,
            "Privileged Authentication Administrator",
        ),
        (APP_ADMIN, "Application Administrator"),
        (CLOUD_APP_ADMIN, "Cloud Application Administrator"),
        (INTUNE_ADMIN, "Intune Administrator"),
    ];
}

/// Microsoft Graph's application id, and the app roles BloodHound draws edges from.
mod graph {
    pub const APP_ID: &str = "00000003-0000-0000-c000-000000000000";
    pub const ROLE_MANAGEMENT_RW_DIRECTORY: &str = "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8";
    pub const APP_ROLE_ASSIGNMENT_RW_ALL: &str = "06b708a9-e830-4db3-a914-8e69da51d44f";
    pub const APPLICATION_RW_ALL: &str = "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9";
    /// Directory.ReadWrite.All, Group.ReadWrite.All, GroupMember.ReadWrite.All.
    pub const ADD_MEMBER: [&str; 3] = [
        "19dbc75e-c2e2-444c-a770-ec69d8559fc7",
        "62a82d76-70ea-41e2-9197-370581804d09",
        "dbaae8cf-10b5-4b86-a4a1-f871c94c6695",
    ];
}

/// What an ARM resource is, for pushing rights down to it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Res {
    Vm,
    /// A web, function or logic app.
    App,
    KeyVault,
    Automation,
    Cluster,
}

/// The relation an Azure role gives on a resource of kind `r`, if any.
fn grant_on(g: AzRole, r: Res) -> Option<RelationKind> {
    use AzRole::*;
    let control = matches!(g, Owner | Contributor | UserAccessAdmin);
    Some(match r {
        Res::KeyVault if control => RelationKind::AdminTo,
        Res::KeyVault if g == KeyVaultContributor => RelationKind::Reads,
        Res::Vm if control || matches!(g, VmContributor | AvereContributor) => {
            RelationKind::CanRunCommand
        }
        Res::Vm if g == VmAdminLogin => RelationKind::AdminTo,
        Res::Automation if control || g == AutomationContributor => RelationKind::CanRunCommand,
        Res::Cluster if control || g == AksContributor => RelationKind::CanRunCommand,
        Res::App if control || matches!(g, WebsiteContributor | LogicAppContributor) => {
            RelationKind::CanRunCommand
        }
        _ => return None,
    })
}

/// `name` unless it is empty, else `fallback`.
fn first_non_empty<'s>(name: &'s str, fallback: &'s str) -> &'s str {
    if name.is_empty() { fallback } else { name }
}

/// The subscription and resource group a resource id sits in (upper-cased paths).
fn arm_parents(id: &str) -> (Option<String>, Option<String>) {
    let up = id.to_uppercase();
    let parts: Vec<&str> = up.split('/').collect();
    let sub = (parts.len() >= 3 && parts[1] == "SUBSCRIPTIONS").then(|| parts[..3].join("/"));
    let rg = (parts.len() >= 5 && parts[3] == "RESOURCEGROUPS").then(|| parts[..5].join("/"));
    (sub, rg)
}

/// An identity the fan-outs of roles and Graph permissions reach.
#[derive(Default)]
struct Tenancy {
    users: Vec<usize>,
    /// Groups that are not role-assignable.
    open_groups: Vec<usize>,
    /// Service principals that are not managed identities.
    sps: Vec<usize>,
    windows_devices: Vec<usize>,
}

struct Mapper<'a> {
    draft: &'a mut Draft,
    rep: &'a mut Report,
    opts: &'a Options,
    ids: HashSet<String>,
    rel_seen: HashSet<(RelationKind, String, String)>,
    /// Upper-cased Entra object id → asset.
    principal: HashMap<String, usize>,
    /// AD objects of a SharpHound draft: upper-cased SID → asset.
    ad_sids: HashMap<String, usize>,
    /// AD computers of a SharpHound draft: upper-cased first name label → assets.
    ad_hosts: HashMap<String, Vec<usize>>,
    tenants: BTreeMap<String, usize>,
    tenancy: HashMap<String, Tenancy>,
    /// The tenant of each Entra principal asset.
    tenant_of: HashMap<usize, String>,
    /// Upper-cased appId → service principal assets.
    sp_by_app: HashMap<String, Vec<usize>>,
    /// Upper-cased app object id → upper-cased appId.
    app_by_object: HashMap<String, String>,
    /// Upper-cased role definition id → (name, template id).
    role_defs: HashMap<String, (String, String)>,
    /// `ROLE@TENANT` → (role group asset, template id, tenant).
    role_groups: BTreeMap<String, (usize, String, String)>,
    /// Principals that hold some directory role, with the best tier of their roles (0 for
    /// the roles that take the tenant, 1 for the others).
    role_holders: HashMap<usize, u8>,
    /// Upper-cased subscription path and GUID → asset.
    subs: HashMap<String, usize>,
    /// Upper-cased resource id → (asset, what it is).
    resources: HashMap<String, (usize, Res)>,
    /// Resource group → resource ids in it.
    rg_members: HashMap<String, Vec<String>>,
    /// Management group → children (management groups and subscriptions).
    mg_children: HashMap<String, Vec<String>>,
    joined: (usize, usize, usize),
}

/// Maps a collection into `draft`; every item is counted in `rep`.
pub(super) fn map(c: &Collection, draft: &mut Draft, rep: &mut Report, opts: &Options) {
    let hybrid = !draft.assets.is_empty();
    let mut m = Mapper::new(draft, rep, opts);
    for it in &c.items {
        m.object(it);
    }
    for it in &c.items {
        m.relate(it);
    }
    m.post_process();
    m.finish(hybrid);
}

impl<'a> Mapper<'a> {
    fn new(draft: &'a mut Draft, rep: &'a mut Report, opts: &'a Options) -> Mapper<'a> {
        let mut ad_sids = HashMap::new();
        let mut ad_hosts: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, a) in draft.assets.iter().enumerate() {
            let (Some(id), Some(k)) = (asset_str(a, "id"), asset_kind(a)) else {
                continue;
            };
            if k.is_identity() {
                ad_sids.insert(id.to_uppercase(), i);
            } else if k.is_device() || k == AssetKind::DomainController {
                let name = asset_str(a, "name").unwrap_or(id);
                let label = name.split('.').next().unwrap_or(name).to_uppercase();
                ad_hosts.entry(label).or_default().push(i);
            }
        }
        let ids = draft
            .assets
            .iter()
            .filter_map(|a| asset_str(a, "id").map(str::to_string))
            .collect();
        let rel_seen = draft.relations.iter().cloned().collect();
        Mapper {
            draft,
            rep,
            opts,
            ids,
            rel_seen,
            principal: HashMap::new(),
            ad_sids,
            ad_hosts,
            tenants: BTreeMap::new(),
            tenancy: HashMap::new(),
            tenant_of: HashMap::new(),
            sp_by_app: HashMap::new(),
            app_by_object: HashMap::new(),
            role_defs: HashMap::new(),
            role_groups: BTreeMap::new(),
            role_holders: HashMap::new(),
            subs: HashMap::new(),
            resources: HashMap::new(),
            rg_members: HashMap::new(),
            mg_children: HashMap::new(),
            joined: (0, 0, 0),
        }
    }

    // ------------------------------------------------------------------------------
    // Assets and relations

    fn id_of(&self, a: usize) -> String {
        asset_str(&self.draft.assets[a], "id")
            .unwrap_or("")
            .to_string()
    }

    fn add_asset(&mut self, kind: AssetKind, id: &str, name: &str, tag: &str) -> Option<usize> {
        let id = id.to_uppercase();
        if id.is_empty() || id == crate::import::DEFAULT_SEGMENT || !self.ids.insert(id.clone()) {
            self.rep
                .unknown("object whose id is empty or clashes with another asset or segment");
            return None;
        }
        let mut j = Map::new();
        j.insert("id".into(), Value::String(id));
        j.insert("kind".into(), Value::String(kind.name().into()));
        if !name.is_empty() {
            j.insert("name".into(), Value::String(name.to_string()));
        }
        j.insert("tags".into(), Value::Array(vec![Value::String(tag.into())]));
        self.draft.assets.push(j);
        Some(self.draft.assets.len() - 1)
    }

    fn tag(&mut self, a: usize, tag: &str) {
        let tags = self.draft.assets[a]
            .entry("tags")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(t) = tags
            && !t.iter().any(|v| v.as_str() == Some(tag))
        {
            t.push(Value::String(tag.into()));
        }
    }

    fn set(&mut self, a: usize, key: &str, v: Value) {
        self.draft.assets[a].insert(key.into(), v);
    }

    /// Adds a relation unless it exists; counts it under BloodHound's edge name `edge`.
    fn rel(&mut self, edge: &str, kind: RelationKind, from: usize, to: usize) -> bool {
        let new = from != to && {
            let key = (kind, self.id_of(from), self.id_of(to));
            let fresh = self.rel_seen.insert(key.clone());
            if fresh {
                self.draft.relations.push(key);
            }
            fresh
        };
        self.rep.mapped(edge, new as usize);
        new
    }

    /// Sets fields on the relation just added (`role`, `eligible`).
    fn rel_fields(&mut self, fields: &[(&str, Value)]) {
        let i = self.draft.relations.len() - 1;
        let m = self.draft.relation_fields.entry(i).or_default();
        for (k, v) in fields {
            m.insert((*k).into(), v.clone());
        }
    }

    fn tenancy(&mut self, tenant: &str) -> &mut Tenancy {
        self.tenancy.entry(tenant.to_uppercase()).or_default()
    }

    /// Records `a` as an Entra principal of `tenant` and files it for the fan-outs.
    fn file_under(&mut self, tenant: &str, a: usize, list: fn(&mut Tenancy) -> &mut Vec<usize>) {
        self.tenant_of.insert(a, tenant.to_uppercase());
        list(self.tenancy(tenant)).push(a);
    }

    /// The tenant's identity provider asset, created (tagged a placeholder) when the
    /// collection has no AZTenant item for it.
    fn tenant(&mut self, tenant: &str) -> Option<usize> {
        let t = tenant.to_uppercase();
        if let Some(&a) = self.tenants.get(&t) {
            return Some(a);
        }
        let a = self.add_asset(AssetKind::IdentityProvider, &t, &t, "az:tenant")?;
        self.tag(a, "az:placeholder");
        self.tenants.insert(t, a);
        Some(a)
    }

    fn resolve(&mut self, id: &str, edge: &str) -> Option<usize> {
        let p = self.principal.get(&id.to_uppercase()).copied();
        if p.is_none() {
            self.rep.skip(format!(
                "{edge}: involves an object not in the collection (or not imported)"
            ));
        }
        p
    }

    fn disabled(&mut self, enabled: Option<bool>, what: &str) -> bool {
        let off = enabled == Some(false) && !self.opts.include_disabled;
        if off {
            self.rep.skip(format!(
                "disabled {what}: accountEnabled is false (import with --include-disabled)"
            ));
        }
        off
    }
}

mod objects;
mod post;
mod relations;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::azurehound::read_items;

    /// Maps the items (JSON text of a `data` array) into `draft`; returns the relations
    /// as `type from>to` and the report.
    fn map_items(items: &str, mut draft: Draft) -> (Vec<String>, Draft, Report) {
        let text = format!(r#"{{"data": [{items}], "meta": {{"type": "azure"}}}}"#);
        let mut rep = Report::default();
        let c = read_items("t.json", text.as_bytes(), &mut rep).expect("reads");
        map(&c, &mut draft, &mut rep, &Options::default());
        let rels = (draft.relations.iter())
            .map(|(k, f, t)| format!("{} {f}>{t}", k.name()))
            .collect();
        (rels, draft, rep)
    }

    const USER: &str = r#"{"kind": "AZUser", "data": {"id": "u1", "tenantId": "t"}}"#;
    const SP: &str =
        r#"{"kind": "AZServicePrincipal", "data": {"id": "s1", "appId": "a1", "tenantId": "t"}}"#;

    #[test]
    fn resource_ids_give_their_subscription_and_group() {
        let id = "/subscriptions/S/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/v";
        assert_eq!(
            arm_parents(id),
            (
                Some("/SUBSCRIPTIONS/S".into()),
                Some("/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG".into())
            )
        );
        assert_eq!(
            arm_parents("/subscriptions/S"),
            (Some("/SUBSCRIPTIONS/S".into()), None)
        );
        assert_eq!(arm_parents("/providers/x"), (None, None));
    }

    #[test]
    fn azure_roles_act_on_what_they_control() {
        use AzRole::*;
        assert_eq!(grant_on(Owner, Res::KeyVault), Some(RelationKind::AdminTo));
        assert_eq!(
            grant_on(KeyVaultContributor, Res::KeyVault),
            Some(RelationKind::Reads)
        );
        assert_eq!(grant_on(VmAdminLogin, Res::Vm), Some(RelationKind::AdminTo));
        assert_eq!(
            grant_on(AvereContributor, Res::Vm),
            Some(RelationKind::CanRunCommand)
        );
        assert_eq!(
            grant_on(AksContributor, Res::Cluster),
            Some(RelationKind::CanRunCommand)
        );
        assert_eq!(grant_on(AksContributor, Res::Vm), None);
        assert_eq!(grant_on(VmContributor, Res::Automation), None);
        assert_eq!(
            grant_on(WebsiteContributor, Res::App),
            Some(RelationKind::CanRunCommand)
        );
        assert_eq!(grant_on(WebsiteContributor, Res::Vm), None);
    }

    #[test]
    fn a_scoped_application_administrator_adds_secrets_to_that_app_only() {
        let items = format!(
            r#"{USER}, {SP},
            {{"kind": "AZServicePrincipal", "data": {{"id": "s2", "appId": "a2", "tenantId": "t"}}}},
            {{"kind": "AZApp", "data": {{"id": "o1", "appId": "a1"}}}},
            {{"kind": "AZRoleAssignment", "data": {{"roleDefinitionId": "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", "tenantId": "t",
              "roleAssignments": [{{"principalId": "u1", "directoryScopeId": "/o1"}}]}}}}"#
        );
        let (rels, _, rep) = map_items(&items, Draft::default());
        assert_eq!(rels, ["can_add_secret U1>S1"]);
        assert_eq!(rep.mapped.get("AZAppAdmin"), Some(&(1, 1)));
    }

    #[test]
    fn a_standing_assignment_wins_over_an_eligibility() {
        let ga = "62e90394-69f5-4237-9190-012177145e10";
        let items = format!(
            r#"{USER},
            {{"kind": "AZRoleEligibilityScheduleInstance", "data": {{"principalId": "u1", "roleDefinitionId": "{ga}", "directoryScopeId": "/", "tenantId": "t"}}}},
            {{"kind": "AZRoleAssignment", "data": {{"roleDefinitionId": "{ga}", "tenantId": "t",
              "roleAssignments": [{{"principalId": "u1", "directoryScopeId": "/"}}]}}}}"#
        );
        let (rels, draft, _) = map_items(&items, Draft::default());
        let role = format!("{}@T", ga.to_uppercase());
        assert_eq!(
            rels,
            [format!("has_role U1>{role}"), format!("role_on {role}>T")]
        );
        // No `eligible` left on the has_role relation; the GA's role_on is admin.
        assert_eq!(draft.relation_fields.len(), 1);
        assert!(draft.relation_fields[&1].contains_key("role"));
        // The tenant was not collected: a placeholder stands for it.
        assert!(draft.assets.iter().any(|a| asset_str(a, "id") == Some("T")));
    }

    #[test]
    fn a_hybrid_device_joins_only_a_computer_it_names_alone() {
        let computer = |id: &str, name: &str| {
            let mut m = Map::new();
            m.insert("id".into(), Value::String(id.into()));
            m.insert("kind".into(), Value::String("workstation".into()));
            m.insert("name".into(), Value::String(name.into()));
            m
        };
        let ad = Draft {
            assets: vec![
                computer("S-1", "WS01.CORP.LOCAL"),
                computer("S-2", "WS02.CORP.LOCAL"),
                computer("S-3", "WS02.LAB.LOCAL"),
            ],
            ..Draft::default()
        };
        let device = |id: &str, name: &str| {
            format!(
                r#"{{"kind": "AZDevice", "data": {{"id": "{id}", "displayName": "{name}", "trustType": "ServerAd", "operatingSystem": "Windows"}}}}"#
            )
        };
        let items = [device("d1", "WS01"), device("d2", "WS02")].join(",");
        let (_, draft, _) = map_items(&items, ad);
        let ids: Vec<&str> = draft
            .assets
            .iter()
            .filter_map(|a| asset_str(a, "id"))
            .collect();
        // WS01 joined its computer; WS02 names two computers, so it stays a device of its own.
        assert_eq!(ids, ["S-1", "S-2", "S-3", "D2"]);
        assert!(
            draft.assets[0]["tags"]
                .to_string()
                .contains("az:hybrid-joined")
        );
    }

    #[test]
    fn graph_roles_of_users_and_other_apps_draw_nothing() {
        let ar = |ptype: &str, app: &str| {
            format!(
                r#"{{"kind": "AZAppRoleAssignment", "data": {{"appRoleId": "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8", "principalId": "s1", "principalType": "{ptype}", "appId": "{app}"}}}}"#
            )
        };
        let graph = "00000003-0000-0000-c000-000000000000";
        let items = [
            SP.to_string(),
            ar("User", graph),
            ar("ServicePrincipal", "other"),
        ]
        .join(",");
        let (rels, _, rep) = map_items(&items, Draft::default());
        assert!(rels.is_empty(), "{rels:?}");
        assert_eq!(rep.skipped_total(), 2);
        let (rels, ..) = map_items(
            &[SP.to_string(), ar("ServicePrincipal", graph)].join(","),
            Draft::default(),
        );
        assert_eq!(rels, ["can_grant_role S1>T"]);
    }

    #[test]
    fn a_website_contributor_runs_code_as_the_web_apps_identity() {
        let app = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/shop";
        let items = format!(
            r#"{USER}, {SP},
            {{"kind": "AZSubscription", "data": {{"id": "/subscriptions/s", "subscriptionId": "s"}}}},
            {{"kind": "AZWebApp", "data": {{"id": "{app}", "name": "shop", "identity": {{"principalId": "s1"}}}}}},
            {{"kind": "AZWebAppRoleAssignment", "data": {{"objectId": "{app}", "assignees": [
              {{"assignee": {{"properties": {{"principalId": "u1", "scope": "{app}",
                "roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/de139f84-1756-47ae-9be6-808fbbe84772"}}}}}},
              {{"assignee": {{"properties": {{"principalId": "u1", "scope": "{app}",
                "roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"}}}}}}]}}}}"#
        );
        let (rels, draft, rep) = map_items(&items, Draft::default());
        let id = app.to_uppercase();
        assert_eq!(
            rels,
            [
                format!("hosted_on {id}>/SUBSCRIPTIONS/S"),
                format!("has_managed_identity {id}>S1"),
                format!("can_run_command U1>{id}"),
            ]
        );
        let a = draft
            .assets
            .iter()
            .find(|a| asset_str(a, "id") == Some(&id))
            .unwrap();
        assert_eq!(asset_kind(a), Some(AssetKind::Api));
        assert!(a["tags"].to_string().contains("az:web-app"));
        // Reader (the second assignment) draws nothing.
        assert_eq!(rep.mapped.get("AZWebsiteContributor"), Some(&(1, 1)));
        assert_eq!(rep.skipped_total(), 1);
    }
}
