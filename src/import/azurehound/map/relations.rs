//! The second and third passes: items that relate objects, then what BloodHound's
//! post-processing draws from directory roles and Graph permissions, then the draft's name,
//! objectives and assumptions.

use super::super::types::{AccessPolicy, AppRoleAssignment, Arm, Item, Listing};
use super::{Mapper, arm_parents, first_non_empty, graph, role};
use crate::import::asset_kind;
use crate::model::{AssetKind, RelationKind};
use serde_json::Value;

impl Mapper<'_> {
    fn is_identity(&self, a: usize) -> bool {
        asset_kind(&self.draft.assets[a]).is_some_and(AssetKind::is_identity)
    }

    /// The principal of an edge that only identities may start, or `None` (counted).
    pub(super) fn acting(&mut self, id: &str, edge: &str) -> Option<usize> {
        let p = self.resolve(id, edge)?;
        if !self.is_identity(p) {
            self.rep.skip(format!(
                "{edge}: from a device (a device holds no rights of this kind in ztsim)"
            ));
            return None;
        }
        Some(p)
    }

    pub(super) fn relate(&mut self, it: &Item) {
        match it {
            Item::GroupMembers(l) => self.listing(l, &l.group_id, "AZMemberOf"),
            Item::GroupOwners(l) => self.listing(l, &l.group_id, "AZOwns (group)"),
            Item::SpOwners(l) => {
                self.listing(l, &l.service_principal_id, "AZOwns (service principal)")
            }
            Item::AppOwners(l) => self.app_owners(l),
            Item::App(a) => {
                if self.sp_by_app.contains_key(&a.app_id.to_uppercase()) {
                    self.rep
                        .mapped("AZRunsAs (app folded into its service principal)", 0);
                } else {
                    self.rep.skip(
                        "AZApp: no service principal of it in the collection (nothing to act as)",
                    );
                }
            }
            Item::AppRole(ar) => self.app_role(ar),
            Item::RoleAssignments(ra) => {
                for a in &ra.role_assignments {
                    let tenant = first_non_empty(&ra.tenant_id, &a.tenant_id);
                    let def = first_non_empty(&a.role_definition_id, &ra.role_definition_id);
                    self.role_assignment(
                        &a.principal_id,
                        def,
                        &a.directory_scope_id,
                        tenant,
                        false,
                    );
                }
            }
            Item::Eligibility(e) => self.role_assignment(
                &e.principal_id,
                &e.role_definition_id,
                &e.directory_scope_id,
                &e.tenant_id,
                true,
            ),
            Item::Vm(r)
            | Item::AutomationAccount(r)
            | Item::ManagedCluster(r)
            | Item::AppService(r, _) => {
                self.hosted(r);
                self.managed_identities(r);
            }
            Item::KeyVault(r) => self.hosted(r),
            Item::AccessPolicy(p) => self.access_policy(p),
            Item::Rbac(r) => self.rbac(r),
            _ => {}
        }
    }

    /// Members (`member_of`) or owners (`can_add_member` on a group, `can_add_secret` on a
    /// service principal) of the object `target`.
    fn listing(&mut self, l: &Listing, target: &str, edge: &str) {
        let Some(t) = self.resolve(target, edge) else {
            return;
        };
        let owners = edge.starts_with("AZOwns");
        let kind = match (owners, asset_kind(&self.draft.assets[t])) {
            (false, _) => RelationKind::MemberOf,
            (true, Some(AssetKind::Group)) => RelationKind::CanAddMember,
            (true, _) => RelationKind::CanAddSecret,
        };
        let list = if owners { &l.owners } else { &l.members };
        for m in list {
            let obj = if owners { &m.owner } else { &m.member };
            if let Some(p) = self.acting(&obj.id, edge) {
                self.rel(edge, kind, p, t);
            }
        }
    }

    /// An application's owners may add a secret to it, and so act as its service
    /// principal(s).
    fn app_owners(&mut self, l: &Listing) {
        let sps = self
            .sp_by_app
            .get(&l.app_id.to_uppercase())
            .cloned()
            .unwrap_or_default();
        if sps.is_empty() {
            self.rep.skip_n(
                "AZOwns (app): the application has no service principal in the collection",
                l.owners.len(),
            );
            return;
        }
        for m in &l.owners {
            if let Some(p) = self.acting(&m.owner.id, "AZOwns (app)") {
                for &s in &sps {
                    self.rel("AZOwns (app)", RelationKind::CanAddSecret, p, s);
                }
            }
        }
    }

    /// A Microsoft Graph application role held by a service principal.
    fn app_role(&mut self, ar: &AppRoleAssignment) {
        if !ar.app_id.eq_ignore_ascii_case(graph::APP_ID) {
            self.rep
                .skip("AZAppRoleAssignment: a role of an application other than Microsoft Graph");
            return;
        }
        if !ar.principal_type.eq_ignore_ascii_case("ServicePrincipal") {
            self.rep.skip("AZAppRoleAssignment: a Graph role held by a user or group (BloodHound draws no edge from it)");
            return;
        }
        let role = ar.app_role_id.to_lowercase();
        let Some(sp) = self.resolve(&ar.principal_id, "AZAppRoleAssignment") else {
            return;
        };
        let tenant = self.tenant_of_principal(sp);
        match role.as_str() {
            graph::ROLE_MANAGEMENT_RW_DIRECTORY | graph::APP_ROLE_ASSIGNMENT_RW_ALL => {
                let (edge, kind) = if role == graph::ROLE_MANAGEMENT_RW_DIRECTORY {
                    ("AZMGGrantRole", RelationKind::CanGrantRole)
                } else {
                    ("AZMGGrantAppRoles", RelationKind::CanGrantAppRoles)
                };
                if let Some(t) = self.tenant(&tenant) {
                    self.rel(edge, kind, sp, t);
                }
            }
            graph::APPLICATION_RW_ALL => {
                let sps = self.tenancy(&tenant).sps.clone();
                for s in sps {
                    self.rel("AZMGAddSecret", RelationKind::CanAddSecret, sp, s);
                }
            }
            r if graph::ADD_MEMBER.contains(&r) => {
                let groups = self.tenancy(&tenant).open_groups.clone();
                for g in groups {
                    self.rel("AZMGAddMember", RelationKind::CanAddMember, sp, g);
                }
            }
            _ => self
                .rep
                .skip("AZAppRoleAssignment: a Graph role with no abuse edge in BloodHound"),
        }
    }

    /// The tenant a principal belongs to (the only tenant collected when it is unknown).
    fn tenant_of_principal(&self, a: usize) -> String {
        self.tenant_of
            .get(&a)
            .cloned()
            .or_else(|| self.tenants.keys().next().cloned())
            .unwrap_or_default()
    }

    /// A directory role assignment (or eligibility): `has_role` to the role's group for a
    /// tenant-wide scope; an Application or Cloud Application Administrator scoped to one
    /// app or service principal may add secrets to it.
    fn role_assignment(
        &mut self,
        principal: &str,
        def: &str,
        scope: &str,
        tenant: &str,
        eligible: bool,
    ) {
        let edge = if eligible {
            "AZRoleEligible"
        } else {
            "AZHasRole"
        };
        let Some(p) = self.acting(principal, edge) else {
            return;
        };
        let def_up = def.to_uppercase();
        let template = self
            .role_defs
            .get(&def_up)
            .map(|(_, t)| t.clone())
            .unwrap_or_else(|| def.to_lowercase());
        if scope != "/" && !scope.is_empty() {
            let scoped = [role::APP_ADMIN, role::CLOUD_APP_ADMIN].contains(&template.as_str());
            if scoped && !eligible {
                self.scoped_app_admin(p, scope.trim_start_matches('/'), &template);
            } else {
                self.rep.skip(format!("{edge}: a role scoped to one object (only Application and Cloud Application Administrator scopes are drawn, as in BloodHound)"));
            }
            return;
        }
        let Some(g) = self.role_group(&def_up, &template, tenant) else {
            return;
        };
        let tier = u8::from(!role::TENANT_TAKING.contains(&template.as_str()));
        let best = self.role_holders.entry(p).or_insert(tier);
        *best = (*best).min(tier);
        let i = self.draft.relations.len();
        if self.rel(edge, RelationKind::HasRole, p, g) {
            if eligible {
                self.rel_fields(&[("eligible", Value::Bool(true))]);
            }
        } else if !eligible {
            // A standing assignment overrides an eligibility read before it.
            let key = (RelationKind::HasRole, self.id_of(p), self.id_of(g));
            if let Some(j) = self.draft.relations[..i].iter().position(|r| *r == key) {
                self.draft.relation_fields.remove(&j);
            }
        }
    }

    fn scoped_app_admin(&mut self, p: usize, object: &str, template: &str) {
        let edge = if template == role::APP_ADMIN {
            "AZAppAdmin"
        } else {
            "AZCloudAppAdmin"
        };
        let up = object.to_uppercase();
        let targets: Vec<usize> = match self.app_by_object.get(&up) {
            Some(app_id) => self.sp_by_app.get(app_id).cloned().unwrap_or_default(),
            None => self.principal.get(&up).copied().into_iter().collect(),
        };
        let targets: Vec<usize> = targets
            .into_iter()
            .filter(|&t| asset_kind(&self.draft.assets[t]) == Some(AssetKind::ServiceAccount))
            .collect();
        if targets.is_empty() {
            self.rep.skip(format!(
                "{edge}: the scoped app or service principal is not in the collection"
            ));
        }
        for t in targets {
            self.rel(edge, RelationKind::CanAddSecret, p, t);
        }
    }

    /// The group standing for a directory role in a tenant, created on first use.
    fn role_group(&mut self, def_up: &str, template: &str, tenant: &str) -> Option<usize> {
        let key = format!("{def_up}@{}", tenant.to_uppercase());
        if let Some((g, ..)) = self.role_groups.get(&key) {
            return Some(*g);
        }
        let name = self
            .role_defs
            .get(def_up)
            .map(|(n, _)| n.clone())
            .filter(|n| !n.is_empty())
            .or_else(|| {
                role::NAMES
                    .iter()
                    .find(|(t, _)| *t == template)
                    .map(|(_, n)| n.to_string())
            })
            .unwrap_or_else(|| format!("directory role {def_up}"));
        let g = self.add_asset(AssetKind::Group, &key, &name, "az:directory-role")?;
        self.role_groups
            .insert(key, (g, template.to_string(), tenant.to_uppercase()));
        Some(g)
    }

    /// A resource is hosted on its subscription: whoever administers the subscription
    /// administers it.
    fn hosted(&mut self, r: &Arm) {
        let id = r.id.to_uppercase();
        let Some(&(a, _)) = self.resources.get(&id) else {
            return;
        };
        let sub = arm_parents(&id)
            .0
            .or_else(|| Some(r.subscription_id.to_uppercase()))
            .and_then(|s| self.subs.get(&s).copied());
        match sub {
            Some(s) => {
                self.rel(
                    "AZContains (subscription to resource)",
                    RelationKind::HostedOn,
                    a,
                    s,
                );
            }
            None => self
                .rep
                .skip("AZContains: the resource's subscription is not in the collection"),
        }
    }

    fn managed_identities(&mut self, r: &Arm) {
        let Some(&(a, _)) = self.resources.get(&r.id.to_uppercase()) else {
            return;
        };
        let mut ids: Vec<&str> = Vec::new();
        if !r.identity.principal_id.is_empty() {
            ids.push(&r.identity.principal_id);
        }
        for u in r.identity.user_assigned_identities.values() {
            if !u.client_id.is_empty() && !u.principal_id.is_empty() {
                ids.push(&u.principal_id);
            }
        }
        for id in ids {
            if let Some(sp) = self.resolve(id, "AZManagedIdentity") {
                self.rel("AZManagedIdentity", RelationKind::HasManagedIdentity, a, sp);
            }
        }
    }

    /// Get on a vault's secrets, keys or certificates reads the vault.
    fn access_policy(&mut self, p: &AccessPolicy) {
        let get = |l: &[String]| l.iter().any(|x| x.eq_ignore_ascii_case("get"));
        let perms = &p.permissions;
        let edges: Vec<&str> = [
            (get(&perms.secrets), "AZGetSecrets"),
            (get(&perms.keys), "AZGetKeys"),
            (get(&perms.certificates), "AZGetCertificates"),
        ]
        .into_iter()
        .filter_map(|(g, e)| g.then_some(e))
        .collect();
        if edges.is_empty() {
            self.rep
                .skip("AZKeyVaultAccessPolicy: grants no Get permission (no BloodHound edge)");
            return;
        }
        let vault = self
            .resources
            .get(&p.key_vault_id.to_uppercase())
            .map(|r| r.0);
        let Some(v) = vault else {
            self.rep.skip_n(
                "AZKeyVaultAccessPolicy: the key vault is not in the collection",
                edges.len(),
            );
            return;
        };
        let Some(who) = self.acting(&p.object_id, edges[0]) else {
            return;
        };
        for e in edges {
            self.rel(e, RelationKind::Reads, who, v);
        }
    }
}
