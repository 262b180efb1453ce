//! The vocabulary of the estate: asset kinds and the six Zero Trust pillars, network
//! protocols, relation kinds and the per-asset attribute enums. Shared by the scenario
//! format, the compiled estate and the reports.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The six Zero Trust pillars (the cross-cutting visibility pillar is the defender).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Pillar {
    /// Users, admins, service accounts, guests and groups.
    Identities,
    /// Workstations, laptops, servers, mobiles, IoT and personal devices.
    Devices,
    /// SaaS and on-prem applications, APIs, identity providers, remote access.
    Applications,
    /// Databases, file shares, buckets and mailboxes.
    Data,
    /// Domain controllers, hypervisors, clusters and cloud subscriptions.
    Infrastructure,
    /// Network segments.
    Networks,
}

impl Pillar {
    /// Every pillar, in declaration order.
    pub const ALL: [Pillar; 6] = [
        Pillar::Identities,
        Pillar::Devices,
        Pillar::Applications,
        Pillar::Data,
        Pillar::Infrastructure,
        Pillar::Networks,
    ];
    /// The pillar's `snake_case` name, as written in scenario files.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Pillar::Identities => "identities",
            Pillar::Devices => "devices",
            Pillar::Applications => "applications",
            Pillar::Data => "data",
            Pillar::Infrastructure => "infrastructure",
            Pillar::Networks => "networks",
        }
    }
}

macro_rules! kinds {
    ($( $(#[doc = $doc:literal])* $variant:ident => $name:literal, $pillar:ident, $value:expr, $counts:expr; )*) => {
        /// Every kind of asset ztsim models. Segments are assets of the networks pillar.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum AssetKind { $( $(#[doc = $doc])* $variant, )* }

        impl AssetKind {
            /// Every kind, in declaration order (segment last).
            pub const ALL: &'static [AssetKind] = &[ $( AssetKind::$variant, )* ];
            /// The kind's `snake_case` name, as written in scenario files.
            pub fn name(self) -> &'static str { match self { $( AssetKind::$variant => $name, )* } }
            /// The Zero Trust pillar the kind belongs to.
            pub fn pillar(self) -> Pillar { match self { $( AssetKind::$variant => Pillar::$pillar, )* } }
            /// Default business value of one asset of this kind [assumption, overridable per asset].
            pub fn default_value(self) -> f64 { match self { $( AssetKind::$variant => $value, )* } }
            /// Whether compromising it counts toward the blast radius. Groups are containers of
            /// rights, not assets an attacker holds.
            pub fn counts_in_blast_radius(self) -> bool { match self { $( AssetKind::$variant => $counts, )* } }
        }
    };
}

kinds! {
    /// A human user account.
    User => "user", Identities, 1.0, true;
    /// A human privileged account.
    Admin => "admin", Identities, 5.0, true;
    /// A service account or workload identity.
    ServiceAccount => "service_account", Identities, 3.0, true;
    /// An external human identity (B2B guest, contractor).
    Guest => "guest", Identities, 0.5, true;
    /// A container of rights; not counted in the blast radius.
    Group => "group", Identities, 0.0, false;
    /// A desktop PC.
    Workstation => "workstation", Devices, 1.0, true;
    /// A portable PC.
    Laptop => "laptop", Devices, 1.0, true;
    /// A physical or virtual server, including cloud VMs and Kubernetes nodes.
    Server => "server", Devices, 5.0, true;
    /// A phone or tablet.
    Mobile => "mobile", Devices, 0.5, true;
    /// IoT and OT devices (PLCs, cameras, printers).
    Iot => "iot", Devices, 2.0, true;
    /// A personal, usually unmanaged device.
    Byod => "byod", Devices, 0.5, true;
    /// A cloud-hosted application.
    Saas => "saas", Applications, 5.0, true;
    /// An application hosted on premises.
    OnpremApp => "onprem_app", Applications, 5.0, true;
    /// An internal or public API, or CI/CD.
    Api => "api", Applications, 3.0, true;
    /// The identity provider: the policy engine for SSO sign-ins.
    IdentityProvider => "identity_provider", Applications, 50.0, true;
    /// A VPN or RDP gateway; gives a network foothold in its segment.
    RemoteAccess => "remote_access", Applications, 5.0, true;
    /// A database.
    Database => "database", Data, 10.0, true;
    /// A file share.
    FileShare => "file_share", Data, 5.0, true;
    /// Cloud object storage.
    Bucket => "bucket", Data, 5.0, true;
    /// A mailbox.
    Mailbox => "mailbox", Data, 2.0, true;
    /// An Active Directory domain controller.
    DomainController => "domain_controller", Infrastructure, 50.0, true;
    /// A hypervisor hosting virtual machines.
    Hypervisor => "hypervisor", Infrastructure, 20.0, true;
    /// A container cluster.
    Cluster => "cluster", Infrastructure, 20.0, true;
    /// A cloud subscription, account or project.
    CloudSubscription => "cloud_subscription", Infrastructure, 30.0, true;
    /// An enterprise certificate authority (AD CS): issues the certificates domain
    /// controllers accept as proof of identity; its key forges any of them.
    CertificateAuthority => "certificate_authority", Infrastructure, 50.0, true;
    /// A certificate template (AD CS): what a certificate issued from it says and who may
    /// ask for one; a directory object, not counted in the blast radius.
    CertificateTemplate => "certificate_template", Identities, 0.0, false;
    /// Another public key infrastructure object of the directory (the NTAuth store, a root
    /// or AIA certificate authority entry, an issuance policy); not counted in the blast
    /// radius.
    PkiObject => "pki_object", Identities, 0.0, false;
    /// A credential: a password, hash, ticket, key, token or secret of an identity
    /// (declared under `credentials:`, not `assets:`); not counted in the blast radius.
    Credential => "credential", Identities, 0.0, false;
    /// A network segment (declared under `segments:`, not `assets:`).
    Segment => "segment", Networks, 0.0, true;
}

impl AssetKind {
    /// An account or group (a credential belongs to the identities pillar but is none).
    pub fn is_identity(self) -> bool {
        self.pillar() == Pillar::Identities
            && !matches!(self, AssetKind::Credential)
            && !self.is_pki_object()
    }
    /// A certificate template or another PKI directory object: neither an identity that
    /// signs in nor a host, only something the certificate rules read.
    pub(crate) fn is_pki_object(self) -> bool {
        matches!(self, AssetKind::CertificateTemplate | AssetKind::PkiObject)
    }
    pub(crate) fn is_human(self) -> bool {
        matches!(self, AssetKind::User | AssetKind::Admin | AssetKind::Guest)
    }
    pub(crate) fn is_device(self) -> bool {
        self.pillar() == Pillar::Devices
    }
    pub(crate) fn is_app(self) -> bool {
        self.pillar() == Pillar::Applications
    }
    pub(crate) fn is_data(self) -> bool {
        self.pillar() == Pillar::Data
    }
    pub(crate) fn is_infra(self) -> bool {
        self.pillar() == Pillar::Infrastructure
    }
    /// Assets the attacker can run code on: they give a network foothold in their segment.
    pub fn gives_foothold(self) -> bool {
        self.is_device() || matches!(self, AssetKind::RemoteAccess) || self.is_infra()
    }
    /// Applications that live on the internet unless placed in a segment.
    pub fn cloud_hosted(self) -> bool {
        matches!(
            self,
            AssetKind::Saas
                | AssetKind::IdentityProvider
                | AssetKind::Bucket
                | AssetKind::CloudSubscription
        )
    }
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for AssetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Network protocols that reachability rules and lateral-movement techniques speak.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// Windows file sharing (SMB).
    Smb,
    /// Remote Desktop Protocol.
    Rdp,
    /// Windows Remote Management (PowerShell remoting).
    Winrm,
    /// Secure Shell.
    Ssh,
    /// HTTPS (web applications, APIs, sign-ins).
    Https,
    /// Database protocols.
    Sql,
    /// Any other TCP or UDP port (a service written `tcp:PORT` or `udp:PORT` that is none
    /// of the above).
    Other,
    /// Shorthand for every protocol.
    Any,
}

impl Protocol {
    /// The named protocols, without `any`.
    pub(crate) const CONCRETE: [Protocol; 7] = [
        Protocol::Smb,
        Protocol::Rdp,
        Protocol::Winrm,
        Protocol::Ssh,
        Protocol::Https,
        Protocol::Sql,
        Protocol::Other,
    ];
    pub(crate) fn mask(self) -> u8 {
        match self {
            Protocol::Smb => 1,
            Protocol::Rdp => 2,
            Protocol::Winrm => 4,
            Protocol::Ssh => 8,
            Protocol::Https => 16,
            Protocol::Sql => 32,
            Protocol::Other => 64,
            Protocol::Any => 127,
        }
    }
    /// The protocol's `snake_case` name, as written in scenario files.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Protocol::Smb => "smb",
            Protocol::Rdp => "rdp",
            Protocol::Winrm => "winrm",
            Protocol::Ssh => "ssh",
            Protocol::Https => "https",
            Protocol::Sql => "sql",
            Protocol::Other => "other",
            Protocol::Any => "any",
        }
    }
    pub(crate) fn mask_of(list: &[Protocol]) -> u8 {
        list.iter().fold(0, |m, p| m | p.mask())
    }
    pub(crate) fn names_of(mask: u8) -> Vec<&'static str> {
        Protocol::CONCRETE
            .iter()
            .filter(|p| mask & p.mask() != 0)
            .map(|p| p.name())
            .collect()
    }
}

/// Strength of the second factor an identity is enrolled in.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MfaStrength {
    /// No second factor.
    #[default]
    None,
    /// One-time codes by SMS.
    Sms,
    /// One-time codes from an authenticator app or token.
    Otp,
    /// Push approval on a phone.
    Push,
    /// FIDO2 / smart card: not phishable.
    PhishingResistant,
}

/// Sensitivity label of a data asset.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    /// Meant to be published; exposure costs nothing.
    Public,
    /// Internal use (the default).
    #[default]
    Internal,
    /// Confidential: exposure harms the organisation or the people in it.
    Confidential,
    /// Restricted: the most sensitive (regulated data, secrets).
    Restricted,
}

/// Operating system of a device.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Os {
    /// Microsoft Windows (the default).
    #[default]
    Windows,
    /// Linux.
    Linux,
    /// macOS.
    Macos,
    /// Apple iOS / iPadOS.
    Ios,
    /// Android.
    Android,
    /// Anything else (appliances, firmware).
    Other,
}

/// Relations between assets, in BloodHound's terms where one exists.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RelationKind {
    /// `from` (identity or group) inherits every right of the group `to`.
    MemberOf,
    /// `from` is local or resource administrator of `to` (device or infrastructure).
    AdminTo,
    /// The device `from` holds a session (cached credentials, tokens) of the identity `to`.
    HasSession,
    /// `from` may sign in to the device `to` over RDP.
    CanRdp,
    /// `from` may use PowerShell remoting (WinRM) on the device `to`.
    CanPsremote,
    /// `from` may sign in to the device `to` over SSH.
    CanSsh,
    /// `from` may sign in to the device `to` interactively.
    CanLogOn,
    /// `from` holds an application role on `to` (see [`AppRole`]).
    RoleOn,
    /// `from` can read the data asset `to`.
    Reads,
    /// `from` can write the data asset `to` (including ransomware impact).
    Writes,
    /// The application, data or VM `from` runs on or is stored on `to`.
    HostedOn,
    /// `from` accepts `to`'s principals (domain trust, federation, directory sync).
    Trusts,
    /// The asset `from` holds the credential `to` where whoever runs code on it or reads it
    /// can take it: a file, a shell history, a configuration, a vault, a script on a share.
    Stores,
    /// The application `from` leaks the credential `to` to anyone who reaches it over HTTPS
    /// (a page, an exposed `.git`, a debug endpoint, a public repository).
    Leaks,
    /// The device or application `from` runs content stored on `to` (logon scripts on a
    /// share, packages from a deployment tool, a repository feeding a CI pipeline).
    RunsCodeFrom,
    /// `from` may reset the password of the account `to` without knowing it (BloodHound's
    /// ForceChangePassword; also what GenericAll and AllExtendedRights on a user give).
    CanResetPassword,
    /// `from` may add a key credential to the account `to` (AddKeyCredentialLink, and what
    /// GenericAll and GenericWrite give): shadow credentials.
    CanAddKeyCredential,
    /// `from` may set a service principal name on the account `to` (WriteSPN, and what
    /// GenericAll and GenericWrite give): targeted Kerberoasting.
    CanWriteSpn,
    /// `from` may read the managed password of the account `to` (ReadGMSAPassword).
    CanReadPassword,
    /// `from` may rewrite the access control list of the account `to` (WriteDacl,
    /// WriteOwner, Owns): it can grant itself any of the rights above. On a certificate
    /// template, a certificate authority or another PKI object it is full control of that
    /// object (GenericAll too): ESC4 and ESC5.
    CanRewriteAcl,
    /// `from` may edit (or link) a Group Policy Object that applies to `to`, a computer or
    /// an account: what the policy runs, runs there (BloodHound's GPO control and GPLink).
    CanPushGpo,
    /// `from` may request certificates from the template or the certificate authority `to`
    /// (BloodHound's Enroll; also what AllExtendedRights on a template gives).
    CanEnroll,
    /// The certificate template `from` is published to (enabled on) the certificate
    /// authority `to`: the authority issues certificates from it.
    PublishedTo,
    /// `from` manages the certificate authority `to` (ManageCA): it can change its
    /// configuration and make itself an officer.
    CanManageCa,
    /// `from` is a certificate officer of the certificate authority `to`
    /// (ManageCertificates): it issues requests that wait for approval.
    CanIssueCertificates,
    /// The certificate authority lets `from` enroll on behalf of others from the template
    /// `to` (an enrollment agent restriction: BloodHound's DelegatedEnrollmentAgent).
    CanEnrollOnBehalf,
    /// The certificate template `from` puts the issuance policy `to` (a `pki_object`) in
    /// the certificates it issues.
    HasIssuancePolicy,
    /// The issuance policy `from` is linked to the group `to` (BloodHound's OIDGroupLink):
    /// a certificate carrying it gives the group's rights at logon.
    OidGroupLink,
    /// `from` may add a client secret or certificate to the service principal `to` (or to
    /// its application registration) and authenticate as it (BloodHound's AZAddSecret,
    /// AZMGAddSecret, AZMGAddOwner, and owning the app or service principal).
    CanAddSecret,
    /// `from` may add members to the cloud group `to`, itself included (AZAddMembers,
    /// AZMGAddMember, owning the group).
    CanAddMember,
    /// `from` may assign any directory role, Global Administrator included, in the tenant
    /// whose identity provider is `to` (AZPrivilegedRoleAdmin, AZMGGrantRole).
    CanGrantRole,
    /// `from` may grant any application role of Microsoft Graph, and so any directory
    /// permission, in the tenant whose identity provider is `to` (AZMGGrantAppRoles).
    CanGrantAppRoles,
    /// `from` may reset the cloud password of the account `to` through the identity
    /// provider's administration API (AZResetPassword).
    CanResetCloudPassword,
    /// `from` may run commands on the device, VM, cluster or automation account `to`
    /// through the cloud control plane (AZExecuteCommand, AZVMContributor, AZContributor,
    /// AZAutomationContributor, AZAKSContributor).
    CanRunCommand,
    /// Code running on the resource `from` may ask for tokens of its managed identity, the
    /// service principal `to` (AZManagedIdentity).
    HasManagedIdentity,
    /// `from` holds the directory role `to` (a group of kind `group` standing for the role),
    /// standing or, with `eligible`, activated through privileged identity management
    /// (AZHasRole, AZRoleEligible).
    HasRole,
}

impl RelationKind {
    /// Every relation kind, in declaration order.
    pub const ALL: [RelationKind; 36] = [
        RelationKind::MemberOf,
        RelationKind::AdminTo,
        RelationKind::HasSession,
        RelationKind::CanRdp,
        RelationKind::CanPsremote,
        RelationKind::CanSsh,
        RelationKind::CanLogOn,
        RelationKind::RoleOn,
        RelationKind::Reads,
        RelationKind::Writes,
        RelationKind::HostedOn,
        RelationKind::Trusts,
        RelationKind::Stores,
        RelationKind::Leaks,
        RelationKind::RunsCodeFrom,
        RelationKind::CanResetPassword,
        RelationKind::CanAddKeyCredential,
        RelationKind::CanWriteSpn,
        RelationKind::CanReadPassword,
        RelationKind::CanRewriteAcl,
        RelationKind::CanPushGpo,
        RelationKind::CanEnroll,
        RelationKind::PublishedTo,
        RelationKind::CanManageCa,
        RelationKind::CanIssueCertificates,
        RelationKind::CanEnrollOnBehalf,
        RelationKind::HasIssuancePolicy,
        RelationKind::OidGroupLink,
        RelationKind::CanAddSecret,
        RelationKind::CanAddMember,
        RelationKind::CanGrantRole,
        RelationKind::CanGrantAppRoles,
        RelationKind::CanResetCloudPassword,
        RelationKind::CanRunCommand,
        RelationKind::HasManagedIdentity,
        RelationKind::HasRole,
    ];
    /// The kind's `snake_case` name, as written in scenario files (the `type` field).
    pub fn name(self) -> &'static str {
        match self {
            RelationKind::MemberOf => "member_of",
            RelationKind::AdminTo => "admin_to",
            RelationKind::HasSession => "has_session",
            RelationKind::CanRdp => "can_rdp",
            RelationKind::CanPsremote => "can_psremote",
            RelationKind::CanSsh => "can_ssh",
            RelationKind::CanLogOn => "can_log_on",
            RelationKind::RoleOn => "role_on",
            RelationKind::Reads => "reads",
            RelationKind::Writes => "writes",
            RelationKind::HostedOn => "hosted_on",
            RelationKind::Trusts => "trusts",
            RelationKind::Stores => "stores",
            RelationKind::Leaks => "leaks",
            RelationKind::RunsCodeFrom => "runs_code_from",
            RelationKind::CanResetPassword => "can_reset_password",
            RelationKind::CanAddKeyCredential => "can_add_key_credential",
            RelationKind::CanWriteSpn => "can_write_spn",
            RelationKind::CanReadPassword => "can_read_password",
            RelationKind::CanRewriteAcl => "can_rewrite_acl",
            RelationKind::CanPushGpo => "can_push_gpo",
            RelationKind::CanEnroll => "can_enroll",
            RelationKind::PublishedTo => "published_to",
            RelationKind::CanManageCa => "can_manage_ca",
            RelationKind::CanIssueCertificates => "can_issue_certificates",
            RelationKind::CanEnrollOnBehalf => "can_enroll_on_behalf",
            RelationKind::HasIssuancePolicy => "has_issuance_policy",
            RelationKind::OidGroupLink => "oid_group_link",
            RelationKind::CanAddSecret => "can_add_secret",
            RelationKind::CanAddMember => "can_add_member",
            RelationKind::CanGrantRole => "can_grant_role",
            RelationKind::CanGrantAppRoles => "can_grant_app_roles",
            RelationKind::CanResetCloudPassword => "can_reset_cloud_password",
            RelationKind::CanRunCommand => "can_run_command",
            RelationKind::HasManagedIdentity => "has_managed_identity",
            RelationKind::HasRole => "has_role",
        }
    }
}

impl fmt::Display for RelationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Role an identity holds on an application (`role_on` relations).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AppRole {
    /// An ordinary user of the application (the default).
    #[default]
    User,
    /// An administrator of the application.
    Admin,
}

/// The form a credential takes; it decides which services it opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CredentialForm {
    /// A cleartext password: every protocol the identity may sign in with.
    Password,
    /// An NTLM hash: pass-the-hash over SMB and WinRM only.
    Hash,
    /// A Kerberos ticket: SMB, WinRM, SQL and HTTPS with Kerberos, as the identity.
    Ticket,
    /// An SSH private key: SSH only.
    SshKey,
    /// A cloud or OAuth token: the identity's web and API sign-ins (HTTPS).
    Token,
    /// A web session cookie: the applications it was issued by (HTTPS).
    Cookie,
    /// An API key or client secret: the applications it opens (HTTPS).
    ApiSecret,
}

impl CredentialForm {
    /// Every form, in declaration order.
    pub const ALL: [CredentialForm; 7] = [
        CredentialForm::Password,
        CredentialForm::Hash,
        CredentialForm::Ticket,
        CredentialForm::SshKey,
        CredentialForm::Token,
        CredentialForm::Cookie,
        CredentialForm::ApiSecret,
    ];
    /// The form's `snake_case` name, as written in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            CredentialForm::Password => "password",
            CredentialForm::Hash => "hash",
            CredentialForm::Ticket => "ticket",
            CredentialForm::SshKey => "ssh_key",
            CredentialForm::Token => "token",
            CredentialForm::Cookie => "cookie",
            CredentialForm::ApiSecret => "api_secret",
        }
    }
    /// The protocols a credential of this form can sign in over, as a bit mask (one bit per protocol).
    pub fn protocols(self) -> u8 {
        use Protocol::*;
        match self {
            CredentialForm::Password => Protocol::mask_of(&[Smb, Rdp, Winrm, Ssh, Https, Sql]),
            CredentialForm::Hash => Protocol::mask_of(&[Smb, Winrm]),
            CredentialForm::Ticket => Protocol::mask_of(&[Smb, Winrm, Https, Sql]),
            CredentialForm::SshKey => Ssh.mask(),
            CredentialForm::Token | CredentialForm::Cookie | CredentialForm::ApiSecret => {
                Https.mask()
            }
        }
    }
}

impl fmt::Display for CredentialForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The privilege a step yields on a host: a user's or an administrator's (root, SYSTEM).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Privilege {
    /// An ordinary user's: code runs, but local escalation is needed for more.
    User,
    /// Administrator, root or SYSTEM (the default for an exploited service).
    #[default]
    Admin,
}

/// A network service an asset offers: a named protocol, or a TCP or UDP port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Service {
    /// The protocol class reachability and steps speak ([`Protocol::Other`] for ports that
    /// are none of the named ones).
    pub protocol: Protocol,
    /// The port, when written `tcp:PORT` or `udp:PORT` (0 for a named service).
    pub port: u16,
    /// UDP rather than TCP.
    pub udp: bool,
}

impl Service {
    /// Parses `ssh`, `rdp`, `smb`, `winrm`, `https`/`http`, `sql` (and `mysql`, `mssql`,
    /// `postgres`, `oracle`), or `tcp:PORT`/`udp:PORT` with PORT in 1..=65535; well-known
    /// ports map to their protocol. The error says what was expected.
    pub fn parse(text: &str) -> Result<Service, String> {
        let named = |protocol| Service {
            protocol,
            port: 0,
            udp: false,
        };
        Ok(match text {
            "ssh" => named(Protocol::Ssh),
            "rdp" => named(Protocol::Rdp),
            "smb" => named(Protocol::Smb),
            "winrm" => named(Protocol::Winrm),
            "https" | "http" => named(Protocol::Https),
            "sql" | "mysql" | "mssql" | "postgres" | "oracle" => named(Protocol::Sql),
            _ => {
                let (udp, port) = if let Some(p) = text.strip_prefix("tcp:") {
                    (false, p)
                } else if let Some(p) = text.strip_prefix("udp:") {
                    (true, p)
                } else {
                    return Err(format!(
                        "unknown service `{text}`: expected ssh, rdp, smb, winrm, https, http, \
                         sql, mysql, mssql, postgres, oracle, tcp:PORT or udp:PORT"
                    ));
                };
                let port: u32 = port
                    .parse()
                    .map_err(|_| format!("`{port}` is not a port number"))?;
                if !(1..=65535).contains(&port) {
                    return Err(format!("port {port} is outside 1-65535"));
                }
                let port = port as u16;
                let protocol = match (udp, port) {
                    (false, 22) => Protocol::Ssh,
                    (false, 3389) | (true, 3389) => Protocol::Rdp,
                    (false, 445 | 139) => Protocol::Smb,
                    (false, 5985 | 5986) => Protocol::Winrm,
                    (false, 80 | 443 | 8080 | 8443) => Protocol::Https,
                    (false, 1433 | 1521 | 3306 | 5432) => Protocol::Sql,
                    _ => Protocol::Other,
                };
                Service {
                    protocol,
                    port,
                    udp,
                }
            }
        })
    }
}

/// The protocols an asset offers when it lists no services: Windows hosts SMB, RDP and
/// WinRM; other hosts SSH; file shares SMB; databases SQL; everything else HTTPS.
pub fn default_protocols(kind: AssetKind, os: Os) -> u8 {
    use Protocol::*;
    match kind {
        AssetKind::FileShare => Smb.mask(),
        AssetKind::Database => Sql.mask(),
        k if k.is_device() || k == AssetKind::DomainController || k == AssetKind::Hypervisor => {
            if os == Os::Windows {
                Protocol::mask_of(&[Smb, Rdp, Winrm])
            } else {
                Ssh.mask()
            }
        }
        _ => Https.mask(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_parse_to_protocols_and_ports() {
        assert_eq!(Service::parse("ssh").unwrap().protocol, Protocol::Ssh);
        assert_eq!(Service::parse("tcp:22").unwrap().protocol, Protocol::Ssh);
        assert_eq!(Service::parse("mysql").unwrap().protocol, Protocol::Sql);
        let s = Service::parse("udp:161").unwrap();
        assert_eq!((s.protocol, s.port, s.udp), (Protocol::Other, 161, true));
        assert!(
            Service::parse("tcp:0")
                .unwrap_err()
                .contains("outside 1-65535")
        );
        assert!(Service::parse("tcp:70000").is_err());
        assert!(
            Service::parse("telnet")
                .unwrap_err()
                .contains("unknown service")
        );
    }

    #[test]
    fn forms_open_what_they_fit() {
        let ssh = Protocol::Ssh.mask();
        assert_ne!(CredentialForm::Password.protocols() & ssh, 0);
        assert_ne!(CredentialForm::SshKey.protocols() & ssh, 0);
        assert_eq!(CredentialForm::Hash.protocols() & ssh, 0);
    }
}
