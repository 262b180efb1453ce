//! Azure RBAC (pushed down from management groups and resource groups), what BloodHound's
//! post-processing draws from directory roles, and the draft's name, objectives and
//! assumptions.

use super::super::types::AzRole;
use super::super::types::Rbac;
use super::{Mapper, grant_on, role};
use crate::model::{AppRole, RelationKind};
use serde_json::Value;

impl Mapper<'_> {
    /// One RBAC listing: each assignment made at the listed object (an inherited one is
    /// mapped where it is assigned) becomes relations on the object or what it contains.
    pub(super) fn rbac(&mut self, r: &Rbac) {
        let target = r.target.to_uppercase();
        for (principal, definition, scope) in &r.assignments {
            let Some(grant) = r.role.or_else(|| AzRole::by_definition(definition)) else {
                self.rep.skip(format!(
                    "{}: an Azure role with no abuse edge in BloodHound",
                    r.kind
                ));
                continue;
            };
            let edge = grant.edge();
            if !scope.eq_ignore_ascii_case(&target) {
                self.rep.skip(format!(
                    "{edge}: assignment inherited from a parent scope (mapped where it is assigned)"
                ));
                continue;
            }
            let Some(p) = self.acting(principal, edge) else {
                continue;
            };
            let made = self.rbac_targets(&target, grant, p, edge);
            if made == 0 {
                self.rep.skip(format!(
                    "{edge} ({}): nothing in the collection below the scope that the role acts on",
                    r.kind
                ));
            }
        }
    }

    /// The relations `grant` at scope `target` gives principal `p`; returns how many apply.
    fn rbac_targets(&mut self, target: &str, grant: AzRole, p: usize, edge: &str) -> usize {
        let control = matches!(
            grant,
            AzRole::Owner | AzRole::Contributor | AzRole::UserAccessAdmin
        );
        if let Some(&(a, what)) = self.resources.get(target) {
            return match grant_on(grant, what) {
                Some(kind) => {
                    self.rel(edge, kind, p, a);
                    1
                }
                None => 0,
            };
        }
        let mut subs = Vec::new();
        if let Some(&s) = self.subs.get(target) {
            subs.push(s);
        } else if self.mg_children.contains_key(target) {
            subs = self.subscriptions_below(target);
        }
        if control && !subs.is_empty() {
            for s in &subs {
                self.rel(edge, RelationKind::AdminTo, p, *s);
            }
            return subs.len();
        }
        let members = self.rg_members.get(target).cloned().unwrap_or_default();
        let mut n = 0;
        for id in members {
            let (a, what) = self.resources[&id];
            if let Some(kind) = grant_on(grant, what) {
                self.rel(edge, kind, p, a);
                n += 1;
            }
        }
        n
    }

    /// The subscriptions below a management group, through nested groups.
    fn subscriptions_below(&self, mg: &str) -> Vec<usize> {
        let (mut out, mut stack, mut seen) = (Vec::new(), vec![mg.to_string()], Vec::new());
        while let Some(x) = stack.pop() {
            if seen.contains(&x) {
                continue;
            }
            if let Some(&s) = self.subs.get(&x) {
                out.push(s);
            }
            stack.extend(self.mg_children.get(&x).cloned().unwrap_or_default());
            seen.push(x);
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// What BloodHound's post-processing draws from each directory role, as relations from
    /// the role's group.
    pub(super) fn post_process(&mut self) {
        let groups: Vec<(usize, String, String)> = self.role_groups.values().cloned().collect();
        for (g, template, tenant) in groups {
            let t = template.as_str();
            let tn = self.tenancy.remove(&tenant).unwrap_or_default();
            if t == role::GLOBAL_ADMIN
                && let Some(idp) = self.tenant(&tenant)
                && self.rel("AZGlobalAdmin", RelationKind::RoleOn, g, idp)
            {
                let admin = serde_json::to_value(AppRole::Admin).unwrap_or(Value::Null);
                self.rel_fields(&[("role", admin)]);
            }
            if t == role::PRIVILEGED_ROLE_ADMIN
                && let Some(idp) = self.tenant(&tenant)
            {
                self.rel("AZPrivilegedRoleAdmin", RelationKind::CanGrantRole, g, idp);
            }
            if t == role::PRIVILEGED_AUTH_ADMIN {
                for &u in &tn.users {
                    let kind = RelationKind::CanResetCloudPassword;
                    self.rel("AZPrivilegedAuthAdmin", kind, g, u);
                }
            }
            if role::RESET_ORDINARY.contains(&t) {
                let ordinary: Vec<usize> = (tn.users.iter().copied())
                    .filter(|u| !self.role_holders.contains_key(u))
                    .collect();
                for u in ordinary {
                    self.rel("AZResetPassword", RelationKind::CanResetCloudPassword, g, u);
                }
            }
            if t == role::APP_ADMIN || t == role::CLOUD_APP_ADMIN {
                for &s in &tn.sps {
                    self.rel("AZAddSecret", RelationKind::CanAddSecret, g, s);
                }
            }
            if role::ADD_MEMBERS.contains(&t) {
                for &x in &tn.open_groups {
                    self.rel("AZAddMembers", RelationKind::CanAddMember, g, x);
                }
            }
            if t == role::INTUNE_ADMIN {
                for &d in &tn.windows_devices {
                    self.rel("AZExecuteCommand", RelationKind::CanRunCommand, g, d);
                }
            }
            self.tenancy.insert(tenant, tn);
        }
    }

    /// The draft's name, the tenants as default objectives, and the assumptions made.
    pub(super) fn finish(&mut self, hybrid: bool) {
        let names: Vec<String> = self
            .tenants
            .values()
            .map(|&a| {
                crate::import::asset_str(&self.draft.assets[a], "name")
                    .unwrap_or("")
                    .to_string()
            })
            .collect();
        let tenants = names.join(", ");
        if hybrid {
            self.draft.name = format!("{} + azurehound: {tenants}", self.draft.name);
            self.draft.description.push_str(" Joined with AzureHound output (Entra ID and Azure) by `--azurehound`: synchronised users and groups and hybrid-joined devices are one asset with their AD object.");
        } else {
            self.draft.name = format!("azurehound: {tenants}");
        }
        self.draft.default_objectives.extend(self.tenants.values());
        let admins = self.promote_role_holders();
        let a = &mut self.rep.assumptions;
        a.push("each Entra tenant is an identity_provider asset (id: the tenant id): Global Administrator is the admin role on it, from which identity.idp-mint-tokens reaches every identity".into());
        if !self.role_groups.is_empty() {
            a.push(format!("{} directory role(s) are groups `ROLEID@TENANTID` (tag az:directory-role) that their holders are members of (has_role, eligible for PIM eligibility); what a role allows is drawn from the group, as BloodHound draws it from the role node", self.role_groups.len()));
        }
        if admins > 0 {
            a.push(format!("{admins} Entra user(s) holding a directory role are of kind admin: tier 0 for Global, Privileged Role and Privileged Authentication Administrators, tier 1 for the other roles (a synchronised user keeps its AD kind and tier)"));
        }
        if hybrid {
            let (u, g, d) = self.joined;
            a.push(format!("hybrid: {u} Entra user(s) and {g} group(s) are the AD account or group whose SID is their onPremisesSecurityIdentifier (Entra Connect synchronises them, password included), and {d} hybrid-joined device(s) are the AD computer whose first name label is their display name"));
        }
        if !self.resources.is_empty() {
            a.push("Azure VMs are servers, key vaults buckets of restricted data, automation accounts and web, function and logic apps APIs, AKS clusters clusters, each hosted on its subscription; VMs land in a segment like computers".into());
        }
    }

    /// Entra users (not guests, not joined to an AD account) that hold a directory role
    /// become `admin`s of the role's tier; returns how many.
    fn promote_role_holders(&mut self) -> usize {
        let mut n = 0;
        for (&a, &tier) in &self.role_holders {
            let j = &mut self.draft.assets[a];
            let entra_user = crate::import::asset_kind(j) == Some(crate::model::AssetKind::User)
                && (j.get("tags").and_then(Value::as_array))
                    .is_some_and(|t| t.iter().any(|v| v == "az:user"));
            if entra_user {
                j.insert("kind".into(), Value::String("admin".into()));
                j.insert("tier".into(), Value::from(tier));
                n += 1;
            }
        }
        n
    }
}
