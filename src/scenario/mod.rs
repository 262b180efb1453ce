//! The scenario file: what a user writes down. Plain serde types (YAML or JSON), loaded by
//! [`load`], checked by [`validate`]; every problem is reported with `file:line:column` and
//! the field path (see [`locate`]). Nothing here knows about the engine.

mod controls_file;
mod load;
mod locate;
mod parse;
mod patch;
mod validate;

pub use controls_file::{ControlsFile, apply_controls_file, apply_controls_files};
// The `attacker:` section's types belong to the attacker profiles they override.
pub use crate::attacker::{AttackerDef, EntryVector, Strategy};

pub use load::{LoadedScenario, load_scenario_file, load_scenario_str, read_scenario_text};
pub use locate::{Locator, locate_all, yaml_syntax_error};
pub(crate) use parse::{DocKind, is_json, parse_strict, plain_message};
pub use patch::{Patch, RelationRef, apply_patch, apply_patch_str};
pub use validate::validate;

use crate::model::{AppRole, AssetKind, MfaStrength, Os, Protocol, RelationKind, Sensitivity};
use serde::{Deserialize, Serialize};

/// A whole scenario file.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Network segments; `internet` always exists, declared or not.
    #[serde(default)]
    pub segments: Vec<SegmentDef>,
    /// Which segment reaches which, on which protocols (directed).
    #[serde(default)]
    pub reachability: Vec<ReachDef>,
    pub assets: Vec<AssetDef>,
    #[serde(default)]
    pub relations: Vec<RelationDef>,
    #[serde(default)]
    pub attacker: AttackerDef,
    /// Technique parameter overrides (base probability, time, noise) by ATT&CK id.
    #[serde(default)]
    pub techniques: Vec<TechniqueOverride>,
    /// Control definitions: new controls, or overrides of catalog controls by id.
    #[serde(default)]
    pub controls: Vec<crate::controls::ControlDef>,
    /// Named control sets the scenario offers (`none` always exists).
    #[serde(default)]
    pub control_sets: Vec<crate::controls::ControlSetDef>,
    /// Defender behaviour that does not depend on the control set.
    #[serde(default)]
    pub defender: DefenderDef,
    #[serde(default)]
    pub simulation: SimulationDef,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentDef {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// Protocols allowed between assets inside the segment (default: all, a flat network).
    #[serde(default)]
    pub east_west: Option<Vec<Protocol>>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub value: Option<f64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReachDef {
    pub from: String,
    pub to: String,
    pub protocols: Vec<Protocol>,
    /// Also add the reverse direction.
    #[serde(default)]
    pub bidirectional: bool,
}

/// One asset of any pillar. Fields that do not apply to the asset's kind are rejected by
/// validation, so a typo in the kind does not silently drop attributes.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetDef {
    pub id: String,
    pub kind: AssetKind,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Business value (default per kind, see docs/scenario-format.md).
    #[serde(default)]
    pub value: Option<f64>,
    /// Segment the asset sits in (devices, on-prem apps, infrastructure, data).
    #[serde(default)]
    pub segment: Option<String>,
    /// Active Directory / directory domain of an identity or domain controller.
    #[serde(default)]
    pub domain: Option<String>,

    // identities
    /// Privilege tier: 0 domain/cloud admin, 1 server admin, 2 user.
    #[serde(default)]
    pub tier: Option<u8>,
    #[serde(default)]
    pub mfa: Option<MfaStrength>,
    /// Password guessable by spraying (T1110.003).
    #[serde(default)]
    pub weak_password: Option<bool>,
    /// Completed security awareness training (lowers phishing click rate).
    #[serde(default)]
    pub trained: Option<bool>,

    // devices
    #[serde(default)]
    pub os: Option<Os>,
    #[serde(default)]
    pub managed: Option<bool>,
    #[serde(default)]
    pub compliant: Option<bool>,
    /// EDR agent installed (detection on this device even without an EDR control).
    #[serde(default)]
    pub edr: Option<bool>,
    #[serde(default)]
    pub patch_lag_days: Option<f64>,
    /// Local administrator password unique to this device (LAPS); false means shared.
    #[serde(default)]
    pub unique_local_admin: Option<bool>,
    #[serde(default)]
    pub credential_guard: Option<bool>,
    /// Management protocols reachable from the internet on this asset alone.
    #[serde(default)]
    pub exposed: Vec<Protocol>,

    // applications and devices
    /// Probability per attempt that a remotely exploitable vulnerability works (T1190/T1210).
    #[serde(default)]
    pub exploitable: Option<f64>,
    #[serde(default)]
    pub internet_facing: Option<bool>,
    /// Sign-in goes through the identity provider (policy engine) rather than local accounts.
    #[serde(default)]
    pub sso: Option<bool>,

    // data
    #[serde(default)]
    pub sensitivity: Option<Sensitivity>,
    #[serde(default)]
    pub records: Option<u64>,
    #[serde(default)]
    pub encrypted: Option<bool>,
    #[serde(default)]
    pub crown_jewel: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelationDef {
    #[serde(rename = "type")]
    pub kind: RelationKind,
    pub from: String,
    pub to: String,
    /// For `role_on`: user or admin.
    #[serde(default)]
    pub role: Option<AppRole>,
    /// For privileged relations: eligible (just-in-time) rather than standing.
    #[serde(default)]
    pub eligible: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TechniqueOverride {
    pub id: String,
    #[serde(default)]
    pub p: Option<f64>,
    #[serde(default)]
    pub mean_hours: Option<f64>,
    #[serde(default)]
    pub noise: Option<f64>,
    #[serde(default)]
    pub dist: Option<crate::techniques::TimeDist>,
    #[serde(default)]
    pub sigma: Option<f64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefenderDef {
    /// Mean hours from a detection to manual containment; absent means alerts are not acted on
    /// unless a control set brings a response.
    #[serde(default)]
    pub manual_response_hours: Option<f64>,
    /// Mean hours an alert waits before anyone (or any automation) looks at it.
    #[serde(default)]
    pub triage_hours: Option<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationDef {
    #[serde(default = "default_trials")]
    pub trials: u32,
    #[serde(default = "default_horizon")]
    pub horizon_hours: f64,
    #[serde(default = "default_seed")]
    pub seed: u64,
}

fn default_trials() -> u32 {
    1000
}
fn default_horizon() -> f64 {
    720.0
}
fn default_seed() -> u64 {
    1
}

impl Default for SimulationDef {
    fn default() -> Self {
        SimulationDef {
            trials: default_trials(),
            horizon_hours: default_horizon(),
            seed: default_seed(),
        }
    }
}
