//! The generator's knobs: one table, from which come [`GeneratorParams`] (the library's
//! input), its defaults, [`Knobs`] (the same fields as optional command-line flags) and
//! [`KNOBS`] (names, defaults and provenance, for docs and tests). Provenance tags follow the
//! domain reference: `[S: source]` for a published figure, `[A]` for a ztsim assumption.

use serde::{Deserialize, Serialize};

/// Size presets: a target number of assets (identities, devices, applications, data and
/// infrastructure; segments and relations are not counted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Size {
    /// About 50 assets: a branch office.
    Small,
    /// About 1,000 assets: a mid-size company.
    Medium,
    /// About 100,000 assets: a large enterprise.
    Large,
    /// About 1,000,000 assets: a global enterprise, for scale tests.
    Huge,
}

impl Size {
    pub(crate) fn assets(self) -> usize {
        match self {
            Size::Small => 50,
            Size::Medium => 1_000,
            Size::Large => 100_000,
            Size::Huge => 1_000_000,
        }
    }
    pub(crate) fn name(self) -> &'static str {
        match self {
            Size::Small => "small",
            Size::Medium => "medium",
            Size::Large => "large",
            Size::Huge => "huge",
        }
    }
}

macro_rules! knobs {
    ($( $(#[doc = $doc:expr])* $name:ident : $ty:ty = $default:expr, $prov:literal; )*) => {
        /// Everything the generator needs. Build it with [`GeneratorParams::new`] (a size preset
        /// and a seed) and change any field; every field has a documented default.
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        pub struct GeneratorParams {
            /// Random seed; also written as the scenario's `simulation.seed`.
            pub seed: u64,
            /// Target number of assets (not counting segments). The generator picks the number
            /// of users so that the total lands as close as the fixed parts allow.
            pub assets: usize,
            $( $(#[doc = $doc])* pub $name: $ty, )*
        }

        impl Default for GeneratorParams {
            fn default() -> Self {
                GeneratorParams {
                    seed: 1,
                    assets: Size::Medium.assets(),
                    $( $name: $default, )*
                }
            }
        }

        /// The knobs as optional command-line flags (`--laptop-share 0.6`); a flag given
        /// overrides the default.
        #[derive(Clone, Debug, Default, clap::Args)]
        pub struct Knobs {
            $( $(#[doc = $doc])* #[arg(long, value_name = "X", help_heading = "Generator knobs")] pub $name: Option<$ty>, )*
        }

        impl Knobs {
            pub(crate) fn apply(&self, p: &mut GeneratorParams) {
                $( if let Some(v) = self.$name { p.$name = v; } )*
            }
        }

        /// Every knob: name, default (as written in the source) and provenance.
        pub const KNOBS: &[(&str, &str, &str)] = &[ $( (stringify!($name), stringify!($default), $prov), )* ];

        impl GeneratorParams {
            /// The knobs that differ from their defaults, as `name=value`.
            pub fn changed(&self) -> Vec<String> {
                let d = GeneratorParams::default();
                let mut v = Vec::new();
                $( if self.$name != d.$name { v.push(format!("{}={}", stringify!($name), self.$name)); } )*
                v
            }

            /// Checks ranges: shares and rates in [0, 1], positive sizes.
            pub fn check(&self) -> std::result::Result<(), String> {
                $( check_one(stringify!($name), self.$name as f64)?; )*
                if self.assets == 0 {
                    return Err("assets must be at least 1".into());
                }
                Ok(())
            }
        }
    };
}

fn check_one(name: &str, x: f64) -> std::result::Result<(), String> {
    if !x.is_finite() || x < 0.0 {
        return Err(format!("{name} must be a non-negative number (got {x})"));
    }
    let is_share =
        name.ends_with("_share") || name.ends_with("_rate") || name.ends_with("_exploitable");
    if is_share && x > 1.0 {
        return Err(format!(
            "{name} is a fraction and must be in [0, 1] (got {x})"
        ));
    }
    Ok(())
}

knobs! {
    // ---------------------------------------------------------------- structure
    /// Office sites (each with a flat office LAN); 0 = automatic, about √users / 4.
    sites: usize = 0, "[A] a site per few hundred staff, heavy-tailed sizes (a headquarters holds the largest share)";
    /// Departments (org units); 0 = automatic, √users / 2 clamped to 2..12.
    departments: usize = 0, "[A]";
    /// Datacentres (each with a server VLAN and two domain controllers); 0 = automatic, 1 + sites / 20.
    datacenters: usize = 0, "[A]";
    /// Share of users whose primary device is a laptop rather than a workstation.
    laptop_share: f64 = 0.5, "[A]";
    /// Share of laptops that are off site, on the VPN client pool.
    remote_share: f64 = 0.3, "[A]";
    /// Share of users with a managed phone that holds their session.
    mobile_share: f64 = 0.3, "[A]";
    /// Servers per user (all: on-prem, DMZ and cloud).
    servers_per_user: f64 = 0.1, "[A] one server per ten staff";
    /// Share of on-prem servers that are VMs on hypervisors.
    virtualised_share: f64 = 0.8, "[A]";
    /// VMs per hypervisor.
    vms_per_hypervisor: usize = 20, "[A]";
    /// Share of servers that run in cloud subscriptions (on cloud VNets).
    cloud_share: f64 = 0.3, "[A]";
    /// Cloud VMs per subscription.
    servers_per_subscription: usize = 100, "[A]";
    /// Share of users who use remote desktop session hosts (RDS farm), 30 users per host.
    rds_share: f64 = 0.1, "[A]";
    /// B2B guests per user (external identities with a role on a SaaS application).
    guests_per_user: f64 = 0.02, "[A]";
    /// Tier-0 admins (domain and global admins) per user; at least 2.
    tier0_per_user: f64 = 0.001, "[A]";
    /// Tier-1 admins (server admins) per user; at least 1.
    tier1_per_user: f64 = 0.01, "[A]";
    /// Helpdesk accounts (workstation admins) per user; at least 1.
    helpdesk_per_user: f64 = 0.014, "[A] about one service-desk analyst per 70 staff";
    /// Service accounts per server; at least 3 (backup, SCCM, directory sync).
    service_accounts_per_server: f64 = 0.5, "[A]";
    /// SaaS applications; 0 = automatic, users / 40 clamped to 2..93.
    saas_apps: usize = 0, "[S: Okta, Businesses at Work 2024: 93 apps per customer on average (not in the domain reference)] as the cap; the ramp is [A]";
    /// On-prem line-of-business applications; 0 = automatic, users / 100 clamped to 1..300.
    onprem_apps: usize = 0, "[A]";
    /// Crown jewels (0 to 3): the customer database, its cloud backup export, the finance share.
    crown_jewels: usize = 3, "[A] docs/scenario-format.md recommends one to three";
    // ---------------------------------------------------------------- sessions
    /// Pareto tail index of the number of devices a roaming account (helpdesk, admin,
    /// broad service account) has sessions on; smaller is heavier.
    session_alpha: f64 = 1.1, "[A] qualitative: in AD session data a few helpdesk and admin accounts are logged on very widely";
    /// Pareto scale (minimum) of that number.
    session_min: f64 = 2.0, "[A]";
    /// Share of tier-0 admins with a session on an ordinary workstation or server (a tiering violation).
    tier0_leak_rate: f64 = 0.3, "[A]";
    // ---------------------------------------------------------------- identity hygiene
    /// Share of users enrolled in MFA (push 60%, SMS 25%, OTP 15% of those).
    mfa_share: f64 = 0.7, "[A]";
    /// Share of tier-0 admins with phishing-resistant MFA (the others have push).
    admin_phishing_resistant_share: f64 = 0.3, "[A]";
    /// Share of humans who completed awareness training (the engine applies KnowBe4's click rates).
    trained_share: f64 = 0.6, "[A]; click rates 33.1% untrained vs 5.4% trained [S: KnowBe4 2023] are the engine's";
    /// Share of users with a sprayable password.
    weak_user_password_rate: f64 = 0.05, "[A]";
    // ---------------------------------------------------------------- device hygiene
    /// Share of workstations, laptops and servers with an EDR agent.
    edr_share: f64 = 0.75, "[A]";
    /// Share of end-user devices that are managed (domain-joined or MDM).
    managed_share: f64 = 0.9, "[A]";
    /// Share of managed devices that pass the compliance policy.
    compliant_share: f64 = 0.85, "[A]";
    /// Share of Windows end-user devices with Credential Guard.
    credential_guard_share: f64 = 0.2, "[A]";
    /// Mean patch lag of end-user devices in days (exponential); the engine turns it into
    /// a privilege-escalation probability from Mandiant's time-to-exploit figures.
    patch_lag_workstation_days: f64 = 20.0, "[A]; the lag-to-probability curve is [S: Mandiant time-to-exploit 2023]";
    /// Mean patch lag of servers in days (exponential); DMZ servers lag twice as long.
    patch_lag_server_days: f64 = 45.0, "[A]";
    // ---------------------------------------------------------------- misconfigurations
    /// Stale admin rights: share of users with an extra admin_to on a random device.
    stale_admin_rate: f64 = 0.03, "[A]";
    /// Share of users who are local administrators of their own primary device.
    local_admin_user_rate: f64 = 0.1, "[A]";
    /// Share of Windows devices without a unique local administrator password (no LAPS).
    shared_local_admin_rate: f64 = 0.3, "[A]";
    /// Share of servers with RDP exposed to the internet (`exposed: [rdp]`).
    exposed_rdp_rate: f64 = 0.01, "[A]";
    /// Share of service accounts with a weak (crackable, sprayable) password.
    weak_service_password_rate: f64 = 0.3, "[A]";
    /// Share of servers (on-prem, DMZ, cloud) with a remotely exploitable vulnerability
    /// (`exploitable: 0.1`).
    vulnerable_server_rate: f64 = 0.05, "[A]";
    /// Exploit success probability of the internet-facing DMZ portal.
    portal_exploitable: f64 = 0.3, "[A]";
    /// Exploit success probability of the VPN gateway.
    vpn_exploitable: f64 = 0.05, "[A]; edge devices and VPNs were 22% of exploitation targets [S: Verizon DBIR 2025]";
    // ---------------------------------------------------------------- defender
    /// Mean hours from a detection to manual containment (`defender.manual_response_hours`).
    manual_response_hours: f64 = 24.0, "[A] an in-house SOC on business hours";
}

impl GeneratorParams {
    /// Defaults for a size preset and a seed.
    pub fn new(size: Size, seed: u64) -> Self {
        GeneratorParams {
            seed,
            assets: size.assets(),
            ..GeneratorParams::default()
        }
    }
}
