//! AzureHound's item kinds as the importer reads them: only the fields the mapping uses
//! (AzureHound writes many more; they are ignored). Field names are AzureHound's JSON keys.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A directory object as AzureHound writes owners and members: its id and Graph type.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct DirObj {
    /// Object id.
    #[serde(default)]
    pub id: String,
    /// `#microsoft.graph.user`, `#microsoft.graph.group`, ...
    #[serde(default, rename = "@odata.type")]
    pub odata_type: String,
}

/// An Entra tenant.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Tenant {
    /// Tenant id (BloodHound's node id).
    pub tenant_id: String,
    /// Display name.
    pub display_name: String,
    /// Default domain.
    pub default_domain: String,
}

/// An Entra user.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct User {
    /// Object id.
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// Sign-in name.
    pub user_principal_name: String,
    /// `false` for a disabled account (absent: enabled).
    pub account_enabled: Option<bool>,
    /// The SID of the AD account it is synchronised from.
    pub on_premises_security_identifier: String,
    /// `Member` or `Guest`.
    pub user_type: String,
    /// Its tenant.
    pub tenant_id: String,
}

/// An Entra group.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Group {
    /// Object id.
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// Role-assignable groups are protected from ordinary group administrators.
    pub is_assignable_to_role: bool,
    /// The SID of the AD group it is synchronised from.
    pub on_premises_security_identifier: String,
    /// Its tenant.
    pub tenant_id: String,
}

/// One element of a member or owner list.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Member {
    /// The member (AZGroupMember).
    pub member: DirObj,
    /// The owner (AZGroupOwner, AZAppOwner, AZServicePrincipalOwner).
    pub owner: DirObj,
}

/// AZGroupMember, AZGroupOwner, AZAppOwner, AZServicePrincipalOwner: a list on one object.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Listing {
    /// The group (AZGroupMember, AZGroupOwner).
    pub group_id: String,
    /// The application's appId (AZAppOwner).
    pub app_id: String,
    /// The service principal (AZServicePrincipalOwner).
    pub service_principal_id: String,
    /// Members (AZGroupMember).
    pub members: Vec<Member>,
    /// Owners.
    pub owners: Vec<Member>,
}

/// A service principal.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServicePrincipal {
    /// Object id.
    pub id: String,
    /// Its application's appId.
    pub app_id: String,
    /// Display name.
    pub display_name: String,
    /// `Application`, `ManagedIdentity`, `Legacy`, ...
    pub service_principal_type: String,
    /// `false` when disabled.
    pub account_enabled: Option<bool>,
    /// Its tenant.
    pub tenant_id: String,
}

/// An application registration.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct App {
    /// Object id.
    pub id: String,
    /// Application (client) id, BloodHound's node id for an app.
    pub app_id: String,
    /// Display name.
    pub display_name: String,
}

/// An application role granted to a principal (AZAppRoleAssignment).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AppRoleAssignment {
    /// The role granted.
    pub app_role_id: String,
    /// Who holds it.
    pub principal_id: String,
    /// `ServicePrincipal`, `User` or `Group`.
    pub principal_type: String,
    /// The resource service principal (Microsoft Graph's, for the abusable ones).
    pub resource_id: String,
    /// The resource's appId.
    pub app_id: String,
}

/// An Entra device.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Device {
    /// Object id.
    pub id: String,
    /// Display name (the computer's host name for a hybrid-joined device).
    pub display_name: String,
    /// `Windows`, `iOS`, `Android`, `MacMDM`, `Linux`, ...
    pub operating_system: String,
    /// `ServerAd` (hybrid joined), `AzureAd` (joined), `Workplace` (registered).
    pub trust_type: String,
    /// Managed by an MDM (Intune).
    pub is_managed: Option<bool>,
    /// Compliant with the MDM's policy.
    pub is_compliant: Option<bool>,
    /// `false` when disabled.
    pub account_enabled: Option<bool>,
    /// Its tenant.
    pub tenant_id: String,
}

/// A directory role definition.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Role {
    /// Role definition id.
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// Template id (the built-in role's well-known id).
    pub template_id: String,
    /// Its tenant.
    pub tenant_id: String,
}

/// One directory role assignment or eligibility.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RoleAssignment {
    /// Who holds the role.
    pub principal_id: String,
    /// The role definition.
    pub role_definition_id: String,
    /// `/` for the whole tenant, else `/OBJECTID` of the object it is scoped to.
    pub directory_scope_id: String,
    /// Its tenant (on eligibility items).
    pub tenant_id: String,
}

/// AZRoleAssignment: the assignments of one role.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RoleAssignments {
    /// The role definition.
    pub role_definition_id: String,
    /// The tenant.
    pub tenant_id: String,
    /// The assignments.
    pub role_assignments: Vec<RoleAssignment>,
}

/// An Azure Resource Manager object (management group, subscription, resource group,
/// resource), with the fields the kinds share.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Arm {
    /// Resource id (a path: `/subscriptions/...`).
    pub id: String,
    /// Name.
    pub name: String,
    /// Display name (subscriptions).
    pub display_name: String,
    /// The subscription (its GUID, or the `/subscriptions/GUID` path).
    pub subscription_id: String,
    /// The resource group's id (VMs, automation accounts, clusters).
    pub resource_group_id: String,
    /// The resource group's name (key vaults).
    pub resource_group: String,
    /// Its tenant.
    pub tenant_id: String,
    /// Nested properties (operating system, parent of a descendant, display names).
    pub properties: Value,
    /// Managed identities.
    pub identity: Identity,
}

/// Managed identities of a resource.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Identity {
    /// The system-assigned identity's service principal.
    pub principal_id: String,
    /// User-assigned identities by resource id.
    pub user_assigned_identities: std::collections::BTreeMap<String, UserAssigned>,
}

/// One user-assigned identity.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UserAssigned {
    /// Its service principal.
    pub principal_id: String,
    /// Its client id (BloodHound requires it).
    pub client_id: String,
}

/// A key vault access policy entry.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AccessPolicy {
    /// The vault.
    pub key_vault_id: String,
    /// The principal it grants.
    pub object_id: String,
    /// Permissions by object type.
    pub permissions: VaultPermissions,
}

/// Key vault permissions by object type.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct VaultPermissions {
    /// On secrets.
    pub secrets: Vec<String>,
    /// On keys.
    pub keys: Vec<String>,
    /// On certificates.
    pub certificates: Vec<String>,
}

/// An Azure built-in role that BloodHound draws an edge from, by what it lets one do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AzRole {
    /// Owner.
    Owner,
    /// Contributor.
    Contributor,
    /// User Access Administrator.
    UserAccessAdmin,
    /// Key Vault Contributor.
    KeyVaultContributor,
    /// Virtual Machine Contributor.
    VmContributor,
    /// Avere Contributor.
    AvereContributor,
    /// Virtual Machine Administrator Login.
    VmAdminLogin,
    /// Automation Contributor.
    AutomationContributor,
    /// Azure Kubernetes Service Contributor.
    AksContributor,
    /// Website Contributor (web and function apps).
    WebsiteContributor,
    /// Logic App Contributor.
    LogicAppContributor,
}

impl AzRole {
    /// BloodHound's edge name.
    pub fn edge(self) -> &'static str {
        match self {
            AzRole::Owner => "AZOwner",
            AzRole::Contributor => "AZContributor",
            AzRole::UserAccessAdmin => "AZUserAccessAdministrator",
            AzRole::KeyVaultContributor => "AZKeyVaultContributor",
            AzRole::VmContributor => "AZVMContributor",
            AzRole::AvereContributor => "AZAvereContributor",
            AzRole::VmAdminLogin => "AZVMAdminLogin",
            AzRole::AutomationContributor => "AZAutomationContributor",
            AzRole::AksContributor => "AZAKSContributor",
            AzRole::WebsiteContributor => "AZWebsiteContributor",
            AzRole::LogicAppContributor => "AZLogicAppContributor",
        }
    }

    /// The role of a `*RoleAssignment` kind's assignment, by its role definition id.
    pub fn by_definition(definition: &str) -> Option<AzRole> {
        Some(match definition {
            "8e3af657-a8ff-443c-a75c-2fe8c4bcb635" => AzRole::Owner,
            "b24988ac-6180-42a0-ab88-20f7382dd24c" => AzRole::Contributor,
            "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9" => AzRole::UserAccessAdmin,
            "f353d9bd-d4a6-484e-a77a-8050b599b867" => AzRole::AutomationContributor,
            "ed7f3fbd-7b88-4dd4-9017-9adb7ce333f8" => AzRole::AksContributor,
            "de139f84-1756-47ae-9be6-808fbbe84772" => AzRole::WebsiteContributor,
            "87a39d53-fc1b-424a-814c-f7e04687dc9e" => AzRole::LogicAppContributor,
            _ => return None,
        })
    }
}

/// An Azure RBAC listing: the assignments of one role on one object.
#[derive(Clone, Debug)]
pub struct Rbac {
    /// The AzureHound kind.
    pub kind: &'static str,
    /// The object (management group, subscription, resource group or resource id).
    pub target: String,
    /// The role of every assignment, or `None` when each assignment's role definition
    /// says (the `*RoleAssignment` kinds).
    pub role: Option<AzRole>,
    /// (principal id, role definition GUID, scope) of each assignment.
    pub assignments: Vec<(String, String, String)>,
}

/// One decoded item.
#[derive(Clone, Debug)]
pub enum Item {
    /// AZTenant.
    Tenant(Tenant),
    /// AZUser.
    User(User),
    /// AZGroup.
    Group(Group),
    /// AZGroupMember.
    GroupMembers(Listing),
    /// AZGroupOwner.
    GroupOwners(Listing),
    /// AZAppOwner.
    AppOwners(Listing),
    /// AZServicePrincipalOwner.
    SpOwners(Listing),
    /// AZServicePrincipal.
    ServicePrincipal(ServicePrincipal),
    /// AZApp.
    App(App),
    /// AZAppRoleAssignment.
    AppRole(AppRoleAssignment),
    /// AZDevice.
    Device(Device),
    /// AZRole.
    Role(Role),
    /// AZRoleAssignment.
    RoleAssignments(RoleAssignments),
    /// AZRoleEligibilityScheduleInstance.
    Eligibility(RoleAssignment),
    /// AZManagementGroup.
    ManagementGroup(Arm),
    /// AZManagementGroupDescendant.
    Descendant(Arm),
    /// AZSubscription.
    Subscription(Arm),
    /// AZResourceGroup.
    ResourceGroup(Arm),
    /// AZKeyVault.
    KeyVault(Arm),
    /// AZVM.
    Vm(Arm),
    /// AZAutomationAccount.
    AutomationAccount(Arm),
    /// AZManagedCluster.
    ManagedCluster(Arm),
    /// AZWebApp, AZFunctionApp, AZLogicApp: code that runs as its managed identity, with
    /// the kind's tag (`az:web-app`, ...).
    AppService(Arm, &'static str),
    /// AZKeyVaultAccessPolicy.
    AccessPolicy(AccessPolicy),
    /// The RBAC listings (AZSubscriptionOwner, AZVMContributor, ...).
    Rbac(Rbac),
}

/// The outcome of decoding one item.
pub enum Decoded {
    /// Understood and decoded.
    Item(Box<Item>),
    /// A known kind ztsim does not import, with the reason.
    Skipped(&'static str),
    /// Not a kind ztsim knows.
    Unknown,
    /// A known kind whose data does not decode, with the error.
    Bad(String),
}

/// The RBAC listing kinds: (kind, target field, list field, element field, role).
const RBAC_KINDS: &[(&str, &str, &str, &str, Option<AzRole>)] = {
    use AzRole::*;
    &[
        (
            "AZManagementGroupOwner",
            "managementGroupId",
            "owners",
            "owner",
            Some(Owner),
        ),
        (
            "AZManagementGroupContributor",
            "managementGroupId",
            "contributors",
            "contributor",
            Some(Contributor),
        ),
        (
            "AZManagementGroupUserAccessAdmin",
            "managementGroupId",
            "userAccessAdmins",
            "userAccessAdmin",
            Some(UserAccessAdmin),
        ),
        (
            "AZSubscriptionOwner",
            "subscriptionId",
            "owners",
            "owner",
            Some(Owner),
        ),
        (
            "AZSubscriptionContributor",
            "subscriptionId",
            "contributors",
            "contributor",
            Some(Contributor),
        ),
        (
            "AZSubscriptionUserAccessAdmin",
            "subscriptionId",
            "userAccessAdmins",
            "userAccessAdmin",
            Some(UserAccessAdmin),
        ),
        (
            "AZResourceGroupOwner",
            "resourceGroupId",
            "owners",
            "owner",
            Some(Owner),
        ),
        (
            "AZResourceGroupContributor",
            "resourceGroupId",
            "contributors",
            "contributor",
            Some(Contributor),
        ),
        (
            "AZResourceGroupUserAccessAdmin",
            "resourceGroupId",
            "userAccessAdmins",
            "userAccessAdmin",
            Some(UserAccessAdmin),
        ),
        (
            "AZKeyVaultOwner",
            "keyVaultId",
            "owners",
            "owner",
            Some(Owner),
        ),
        (
            "AZKeyVaultContributor",
            "keyVaultId",
            "contributors",
            "contributor",
            Some(Contributor),
        ),
        (
            "AZKeyVaultUserAccessAdmin",
            "keyVaultId",
            "userAccessAdmins",
            "userAccessAdmin",
            Some(UserAccessAdmin),
        ),
        (
            "AZKeyVaultKVContributor",
            "keyVaultId",
            "kvContributors",
            "kvContributor",
            Some(KeyVaultContributor),
        ),
        (
            "AZVMOwner",
            "virtualMachineId",
            "owners",
            "owner",
            Some(Owner),
        ),
        (
            "AZVMContributor",
            "virtualMachineId",
            "contributors",
            "contributor",
            Some(Contributor),
        ),
        (
            "AZVMUserAccessAdmin",
            "virtualMachineId",
            "userAccessAdmins",
            "userAccessAdmin",
            Some(UserAccessAdmin),
        ),
        (
            "AZVMVMContributor",
            "virtualMachineId",
            "vmContributors",
            "vmContributor",
            Some(VmContributor),
        ),
        (
            "AZVMAvereContributor",
            "virtualMachineId",
            "avereContributors",
            "avereContributor",
            Some(AvereContributor),
        ),
        (
            "AZVMAdminLogin",
            "virtualMachineId",
            "adminLogins",
            "adminLogin",
            Some(VmAdminLogin),
        ),
        (
            "AZAutomationAccountRoleAssignment",
            "objectId",
            "assignees",
            "assignee",
            None,
        ),
        (
            "AZManagedClusterRoleAssignment",
            "objectId",
            "assignees",
            "assignee",
            None,
        ),
        (
            "AZWebAppRoleAssignment",
            "objectId",
            "assignees",
            "assignee",
            None,
        ),
        (
            "AZFunctionAppRoleAssignment",
            "objectId",
            "assignees",
            "assignee",
            None,
        ),
        (
            "AZLogicAppRoleAssignment",
            "objectId",
            "assignees",
            "assignee",
            None,
        ),
    ]
};

/// Kinds ztsim knows and does not import, with the reason.
const SKIPPED_KINDS: &[(&str, &str)] = &[
    (
        "AZManagementGroupRoleAssignment",
        "every role assignment of a management group; the abusable roles come from the Owner, Contributor and User Access Administrator kinds",
    ),
    (
        "AZSubscriptionRoleAssignment",
        "every role assignment of a subscription; the abusable roles come from the Owner, Contributor and User Access Administrator kinds",
    ),
    (
        "AZResourceGroupRoleAssignment",
        "every role assignment of a resource group; the abusable roles come from the Owner, Contributor and User Access Administrator kinds",
    ),
    (
        "AZKeyVaultRoleAssignment",
        "every role assignment of a key vault; the abusable roles come from the per-role kinds",
    ),
    (
        "AZVMRoleAssignment",
        "every role assignment of a VM; the abusable roles come from the per-role kinds",
    ),
    (
        "AZRoleManagementPolicyAssignment",
        "PIM approval policies (AZRoleApprover) are not modelled",
    ),
    (
        "AZFederatedIdentityCredential",
        "federated credentials of apps are not modelled (BloodHound skips them too)",
    ),
    (
        "AZDeviceOwner",
        "a device's registered owner gets no abusable right in ztsim",
    ),
    ("AZAppMember", "no command of AzureHound writes it"),
    (
        "AZVMScaleSet",
        "scale sets are not imported in this version",
    ),
    (
        "AZVMScaleSetRoleAssignment",
        "scale sets are not imported in this version",
    ),
    (
        "AZContainerRegistry",
        "container registries are not imported in this version",
    ),
    (
        "AZContainerRegistryRoleAssignment",
        "container registries are not imported in this version",
    ),
    (
        "AZStorageAccount",
        "storage accounts are not imported in this version (BloodHound skips them too)",
    ),
    (
        "AZStorageAccountRoleAssignment",
        "storage accounts are not imported in this version (BloodHound skips them too)",
    ),
    (
        "AZStorageContainer",
        "storage containers are not imported in this version (BloodHound skips them too)",
    ),
];

fn typed<T: DeserializeOwned>(data: Value, f: fn(T) -> Item) -> Decoded {
    match serde_json::from_value::<T>(data) {
        Ok(t) => Decoded::Item(Box::new(f(t))),
        Err(e) => Decoded::Bad(e.to_string()),
    }
}

fn text(v: Option<&Value>) -> String {
    v.and_then(Value::as_str).unwrap_or("").to_string()
}

/// The last segment of a role definition id (`.../roleDefinitions/GUID` → `GUID`).
pub fn last_segment(s: &str) -> String {
    s.rsplit('/').next().unwrap_or(s).to_lowercase()
}

fn rbac(kind: &'static str, data: Value, spec: (&str, &str, &str, Option<AzRole>)) -> Decoded {
    let (target, list, elem, role) = spec;
    let Some(items) = data.get(list).and_then(Value::as_array) else {
        return Decoded::Bad(format!("no `{list}` list"));
    };
    let assignments = items
        .iter()
        .map(|it| {
            let p = it.get(elem).and_then(|a| a.get("properties"));
            let get = |k: &str| text(p.and_then(|p| p.get(k)));
            (
                get("principalId"),
                last_segment(&get("roleDefinitionId")),
                get("scope"),
            )
        })
        .collect();
    Decoded::Item(Box::new(Item::Rbac(Rbac {
        kind,
        target: text(data.get(target)),
        role,
        assignments,
    })))
}

impl Item {
    /// Decodes the `data` of an item of `kind`.
    pub fn decode(kind: &str, data: Value) -> Decoded {
        if let Some(&(k, target, list, elem, role)) = RBAC_KINDS.iter().find(|(k, ..)| *k == kind) {
            return rbac(k, data, (target, list, elem, role));
        }
        if let Some((_, why)) = SKIPPED_KINDS.iter().find(|(k, _)| *k == kind) {
            return Decoded::Skipped(why);
        }
        match kind {
            "AZTenant" => typed(data, Item::Tenant),
            "AZUser" => typed(data, Item::User),
            "AZGroup" => typed(data, Item::Group),
            "AZGroupMember" => typed(data, Item::GroupMembers),
            "AZGroupOwner" => typed(data, Item::GroupOwners),
            "AZAppOwner" => typed(data, Item::AppOwners),
            "AZServicePrincipalOwner" => typed(data, Item::SpOwners),
            "AZServicePrincipal" => typed(data, Item::ServicePrincipal),
            "AZApp" => typed(data, Item::App),
            "AZAppRoleAssignment" => typed(data, Item::AppRole),
            "AZDevice" => typed(data, Item::Device),
            "AZRole" => typed(data, Item::Role),
            "AZRoleAssignment" => typed(data, Item::RoleAssignments),
            "AZRoleEligibilityScheduleInstance" => typed(data, Item::Eligibility),
            "AZManagementGroup" => typed(data, Item::ManagementGroup),
            "AZManagementGroupDescendant" => typed(data, Item::Descendant),
            "AZSubscription" => typed(data, Item::Subscription),
            "AZResourceGroup" => typed(data, Item::ResourceGroup),
            "AZKeyVault" => typed(data, Item::KeyVault),
            "AZVM" => typed(data, Item::Vm),
            "AZAutomationAccount" => typed(data, Item::AutomationAccount),
            "AZManagedCluster" => typed(data, Item::ManagedCluster),
            "AZWebApp" => typed(data, |a| Item::AppService(a, "az:web-app")),
            "AZFunctionApp" => typed(data, |a| Item::AppService(a, "az:function-app")),
            "AZLogicApp" => typed(data, |a| Item::AppService(a, "az:logic-app")),
            "AZKeyVaultAccessPolicy" => typed(data, Item::AccessPolicy),
            _ => Decoded::Unknown,
        }
    }

    /// The object an item defines, as (kind tag, upper-cased id), for the repeat check;
    /// `None` for items that only relate objects.
    pub fn key(&self) -> Option<(&'static str, String)> {
        let (tag, id) = match self {
            Item::Tenant(t) => ("tenant", &t.tenant_id),
            Item::User(u) => ("user", &u.id),
            Item::Group(g) => ("group", &g.id),
            Item::ServicePrincipal(s) => ("sp", &s.id),
            Item::App(a) => ("app", &a.app_id),
            Item::Device(d) => ("device", &d.id),
            Item::Role(r) => ("role", &r.id),
            Item::ManagementGroup(a) => ("mg", &a.id),
            Item::Subscription(a) => ("subscription", &a.id),
            Item::ResourceGroup(a) => ("rg", &a.id),
            Item::KeyVault(a) => ("kv", &a.id),
            Item::Vm(a) => ("vm", &a.id),
            Item::AutomationAccount(a) => ("aa", &a.id),
            Item::ManagedCluster(a) => ("mc", &a.id),
            Item::AppService(a, _) => ("app-service", &a.id),
            _ => return None,
        };
        Some((tag, id.to_uppercase()))
    }
}
