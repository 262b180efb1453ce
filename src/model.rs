//! The vocabulary of the estate: asset kinds and the six Zero Trust pillars, network
//! protocols, relation kinds and the per-asset attribute enums. Shared by the scenario
//! format, the compiled estate and the reports.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The six Zero Trust pillars (the cross-cutting visibility pillar is the defender).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pillar {
    Identities,
    Devices,
    Applications,
    Data,
    Infrastructure,
    Networks,
}

impl Pillar {
    pub const ALL: [Pillar; 6] = [
        Pillar::Identities,
        Pillar::Devices,
        Pillar::Applications,
        Pillar::Data,
        Pillar::Infrastructure,
        Pillar::Networks,
    ];
    pub fn name(self) -> &'static str {
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
    ($( $variant:ident => $name:literal, $pillar:ident, $value:expr, $counts:expr; )*) => {
        /// Every kind of asset ztsim models. Segments are assets of the networks pillar.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum AssetKind { $( $variant, )* }

        impl AssetKind {
            pub const ALL: &'static [AssetKind] = &[ $( AssetKind::$variant, )* ];
            pub fn name(self) -> &'static str { match self { $( AssetKind::$variant => $name, )* } }
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
    User => "user", Identities, 1.0, true;
    Admin => "admin", Identities, 5.0, true;
    ServiceAccount => "service_account", Identities, 3.0, true;
    Guest => "guest", Identities, 0.5, true;
    Group => "group", Identities, 0.0, false;
    Workstation => "workstation", Devices, 1.0, true;
    Laptop => "laptop", Devices, 1.0, true;
    Server => "server", Devices, 5.0, true;
    Mobile => "mobile", Devices, 0.5, true;
    Iot => "iot", Devices, 2.0, true;
    Byod => "byod", Devices, 0.5, true;
    Saas => "saas", Applications, 5.0, true;
    OnpremApp => "onprem_app", Applications, 5.0, true;
    Api => "api", Applications, 3.0, true;
    IdentityProvider => "identity_provider", Applications, 50.0, true;
    RemoteAccess => "remote_access", Applications, 5.0, true;
    Database => "database", Data, 10.0, true;
    FileShare => "file_share", Data, 5.0, true;
    Bucket => "bucket", Data, 5.0, true;
    Mailbox => "mailbox", Data, 2.0, true;
    DomainController => "domain_controller", Infrastructure, 50.0, true;
    Hypervisor => "hypervisor", Infrastructure, 20.0, true;
    Cluster => "cluster", Infrastructure, 20.0, true;
    CloudSubscription => "cloud_subscription", Infrastructure, 30.0, true;
    Segment => "segment", Networks, 0.0, true;
}

impl AssetKind {
    pub fn is_identity(self) -> bool {
        self.pillar() == Pillar::Identities
    }
    pub fn is_human(self) -> bool {
        matches!(self, AssetKind::User | AssetKind::Admin | AssetKind::Guest)
    }
    pub fn is_device(self) -> bool {
        self.pillar() == Pillar::Devices
    }
    pub fn is_app(self) -> bool {
        self.pillar() == Pillar::Applications
    }
    pub fn is_data(self) -> bool {
        self.pillar() == Pillar::Data
    }
    pub fn is_infra(self) -> bool {
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
    pub fn index(self) -> usize {
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
    Smb,
    Rdp,
    Winrm,
    Ssh,
    Https,
    Sql,
    /// Shorthand for every protocol.
    Any,
}

impl Protocol {
    pub const CONCRETE: [Protocol; 6] = [
        Protocol::Smb,
        Protocol::Rdp,
        Protocol::Winrm,
        Protocol::Ssh,
        Protocol::Https,
        Protocol::Sql,
    ];
    pub fn mask(self) -> u8 {
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
    pub fn name(self) -> &'static str {
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
    pub fn mask_of(list: &[Protocol]) -> u8 {
        list.iter().fold(0, |m, p| m | p.mask())
    }
    pub fn names_of(mask: u8) -> Vec<&'static str> {
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
    #[default]
    None,
    Sms,
    Otp,
    Push,
    PhishingResistant,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    Public,
    #[default]
    Internal,
    Confidential,
    Restricted,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Os {
    #[default]
    Windows,
    Linux,
    Macos,
    Ios,
    Android,
    Other,
}

/// Relations between assets, in BloodHound's terms where one exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationKind {
    MemberOf,
    AdminTo,
    HasSession,
    CanRdp,
    CanPsremote,
    CanSsh,
    CanLogOn,
    RoleOn,
    Reads,
    Writes,
    HostedOn,
    Trusts,
}

impl RelationKind {
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

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppRole {
    #[default]
    User,
    Admin,
}
