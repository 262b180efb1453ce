//! The vocabulary of the estate: asset kinds and the six Zero Trust pillars, network
//! protocols, relation kinds and the per-asset attribute enums. Shared by the scenario
//! format, the compiled estate and the reports.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The six Zero Trust pillars (the cross-cutting visibility pillar is the defender).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
    /// A network segment (declared under `segments:`, not `assets:`).
    Segment => "segment", Networks, 0.0, true;
}

impl AssetKind {
    pub(crate) fn is_identity(self) -> bool {
        self.pillar() == Pillar::Identities
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
    /// Shorthand for every protocol.
    Any,
}

impl Protocol {
    pub(crate) const CONCRETE: [Protocol; 6] = [
        Protocol::Smb,
        Protocol::Rdp,
        Protocol::Winrm,
        Protocol::Ssh,
        Protocol::Https,
        Protocol::Sql,
    ];
    pub(crate) fn mask(self) -> u8 {
        match self {
            Protocol::Smb => 1,
            Protocol::Rdp => 2,
            Protocol::Winrm => 4,
            Protocol::Ssh => 8,
            Protocol::Https => 16,
            Protocol::Sql => 32,
            Protocol::Any => 63,
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
}

impl RelationKind {
    /// Every relation kind, in declaration order.
    pub const ALL: [RelationKind; 12] = [
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
        }
    }
}

impl fmt::Display for RelationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Role an identity holds on an application (`role_on` relations).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppRole {
    /// An ordinary user of the application (the default).
    #[default]
    User,
    /// An administrator of the application.
    Admin,
}
