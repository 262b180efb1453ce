//! The first pass: objects become assets (or join the AD assets of a SharpHound draft).

use super::super::types::{Arm, Device, Group, Item, ServicePrincipal, User};
use super::{Mapper, Res, arm_parents, first_non_empty};
use crate::model::{AssetKind, Os};
use serde_json::Value;

impl Mapper<'_> {
    pub(super) fn object(&mut self, it: &Item) {
        match it {
            Item::Tenant(t) => {
                let name = first_non_empty(&t.display_name, &t.default_domain);
                let id = t.tenant_id.to_uppercase();
                if let Some(a) = self.add_asset(AssetKind::IdentityProvider, &id, name, "az:tenant")
                {
                    self.tenants.insert(id, a);
                }
            }
            Item::User(u) => self.user(u),
            Item::Group(g) => self.group(g),
            Item::ServicePrincipal(s) => self.service_principal(s),
            Item::App(a) => {
                self.app_by_object
                    .insert(a.id.to_uppercase(), a.app_id.to_uppercase());
            }
            Item::Device(d) => self.device(d),
            Item::Role(r) => {
                let template = first_non_empty(&r.template_id, &r.id);
                self.role_defs.insert(
                    r.id.to_uppercase(),
                    (r.display_name.clone(), template.to_lowercase()),
                );
            }
            Item::ManagementGroup(_) => self.rep.skip(
                "AZManagementGroup: no ztsim kind; rights on it are pushed down to the subscriptions below it",
            ),
            Item::Descendant(d) => {
                let parent = d
                    .properties
                    .pointer("/parent/id")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                self.mg_children
                    .entry(parent.to_uppercase())
                    .or_default()
                    .push(d.id.to_uppercase());
            }
            Item::Subscription(s) => self.subscription(s),
            Item::ResourceGroup(_) => self.rep.skip(
                "AZResourceGroup: no ztsim kind; rights on it are pushed down to the VMs, key vaults, automation accounts, clusters and apps in it",
            ),
            Item::KeyVault(r) => self.resource(r, Res::KeyVault, "az:key-vault"),
            Item::Vm(r) => self.resource(r, Res::Vm, "az:vm"),
            Item::AutomationAccount(r) => self.resource(r, Res::Automation, "az:automation-account"),
            Item::ManagedCluster(r) => self.resource(r, Res::Cluster, "az:aks"),
            Item::AppService(r, tag) => self.resource(r, Res::App, tag),
            _ => {}
        }
    }

    /// An Entra user: the AD user with its on-premises SID when the draft has it, else a
    /// user (or guest) of its own.
    fn user(&mut self, u: &User) {
        let id = u.id.to_uppercase();
        if let Some(&a) = self
            .ad_sids
            .get(&u.on_premises_security_identifier.to_uppercase())
            && !u.on_premises_security_identifier.is_empty()
        {
            self.principal.insert(id, a);
            self.tag(a, "az:synced");
            self.joined.0 += 1;
            self.file_under(&u.tenant_id, a, |t| &mut t.users);
            return;
        }
        if self.disabled(u.account_enabled, "Entra user") {
            return;
        }
        let kind = if u.user_type.eq_ignore_ascii_case("guest") {
            AssetKind::Guest
        } else {
            AssetKind::User
        };
        let name = first_non_empty(&u.user_principal_name, &u.display_name);
        if let Some(a) = self.add_asset(kind, &id, name, "az:user") {
            if !u.on_premises_security_identifier.is_empty() {
                self.tag(a, "az:synced");
            }
            self.principal.insert(id, a);
            self.file_under(&u.tenant_id, a, |t| &mut t.users);
        }
    }

    /// An Entra group: the AD group it is synchronised from when the draft has it.
    fn group(&mut self, g: &Group) {
        let id = g.id.to_uppercase();
        let sid = g.on_premises_security_identifier.to_uppercase();
        let a = match self.ad_sids.get(&sid) {
            Some(&a) if !sid.is_empty() => {
                self.tag(a, "az:synced");
                self.joined.1 += 1;
                Some(a)
            }
            _ => self.add_asset(AssetKind::Group, &id, &g.display_name, "az:group"),
        };
        if let Some(a) = a {
            self.principal.insert(id, a);
            if g.is_assignable_to_role {
                self.tenant_of.insert(a, g.tenant_id.to_uppercase());
            } else {
                self.file_under(&g.tenant_id, a, |t| &mut t.open_groups);
            }
        }
    }

    fn service_principal(&mut self, s: &ServicePrincipal) {
        if self.disabled(s.account_enabled, "service principal") {
            return;
        }
        let id = s.id.to_uppercase();
        let Some(a) = self.add_asset(
            AssetKind::ServiceAccount,
            &id,
            &s.display_name,
            "az:service-principal",
        ) else {
            return;
        };
        self.principal.insert(id, a);
        self.sp_by_app
            .entry(s.app_id.to_uppercase())
            .or_default()
            .push(a);
        if s.service_principal_type
            .eq_ignore_ascii_case("ManagedIdentity")
        {
            // Its credentials are the platform's: nobody adds a secret to it.
            self.tag(a, "az:managed-identity");
            self.tenant_of.insert(a, s.tenant_id.to_uppercase());
        } else {
            self.file_under(&s.tenant_id, a, |t| &mut t.sps);
        }
    }

    /// An Entra device: the AD computer it is hybrid joined from when exactly one imported
    /// computer's first name label is its display name, else a device of its own.
    fn device(&mut self, d: &Device) {
        let id = d.id.to_uppercase();
        let os = d.operating_system.to_lowercase();
        let windows = os.starts_with("windows");
        let label = d.display_name.to_uppercase();
        if d.trust_type.eq_ignore_ascii_case("ServerAd")
            && let Some([a]) = self.ad_hosts.get(&label).map(Vec::as_slice)
        {
            let a = *a;
            self.principal.insert(id, a);
            self.tag(a, "az:hybrid-joined");
            self.joined.2 += 1;
            if windows {
                self.file_under(&d.tenant_id, a, |t| &mut t.windows_devices);
            }
            return;
        }
        if self.disabled(d.account_enabled, "Entra device") {
            return;
        }
        let (kind, os) = match os.as_str() {
            o if o.starts_with("windows") => (AssetKind::Workstation, Os::Windows),
            "ios" | "ipados" => (AssetKind::Mobile, Os::Ios),
            "android" => (AssetKind::Mobile, Os::Android),
            o if o.starts_with("mac") => (AssetKind::Laptop, Os::Macos),
            "linux" => (AssetKind::Workstation, Os::Linux),
            _ => (AssetKind::Workstation, Os::Other),
        };
        let Some(a) = self.add_asset(kind, &id, &d.display_name, "az:device") else {
            return;
        };
        self.principal.insert(id, a);
        self.set(a, "os", serde_json::to_value(os).unwrap_or(Value::Null));
        if let Some(m) = d.is_managed {
            self.set(a, "managed", Value::Bool(m));
        }
        if let Some(c) = d.is_compliant {
            self.set(a, "compliant", Value::Bool(c));
        }
        self.draft.placeable.push(a);
        if windows {
            self.file_under(&d.tenant_id, a, |t| &mut t.windows_devices);
        }
    }

    fn subscription(&mut self, s: &Arm) {
        let name = first_non_empty(&s.display_name, &s.name);
        let id = s.id.to_uppercase();
        if let Some(a) = self.add_asset(AssetKind::CloudSubscription, &id, name, "az:subscription")
        {
            self.subs.insert(id, a);
            if !s.subscription_id.is_empty() {
                self.subs.insert(s.subscription_id.to_uppercase(), a);
            }
        }
    }

    /// A VM (server), key vault (bucket of restricted data), automation account or web,
    /// function or logic app (api), or managed cluster.
    fn resource(&mut self, r: &Arm, what: Res, tag: &str) {
        let kind = match what {
            Res::Vm => AssetKind::Server,
            Res::KeyVault => AssetKind::Bucket,
            Res::Automation | Res::App => AssetKind::Api,
            Res::Cluster => AssetKind::Cluster,
        };
        let id = r.id.to_uppercase();
        let Some(a) = self.add_asset(kind, &id, &r.name, tag) else {
            return;
        };
        match what {
            Res::Vm => {
                let os = r
                    .properties
                    .pointer("/storageProfile/osDisk/osType")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let os = if os.eq_ignore_ascii_case("linux") {
                    Os::Linux
                } else {
                    Os::Windows
                };
                self.set(a, "os", serde_json::to_value(os).unwrap_or(Value::Null));
                self.draft.placeable.push(a);
            }
            Res::KeyVault => self.set(a, "sensitivity", Value::String("restricted".into())),
            _ => {}
        }
        self.resources.insert(id.clone(), (a, what));
        if let (_, Some(rg)) = arm_parents(&id) {
            self.rg_members.entry(rg).or_default().push(id);
        }
    }
}
