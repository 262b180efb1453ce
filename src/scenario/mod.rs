//! The scenario file: what a user writes down. Plain serde types (YAML or JSON), loaded by
//! [`load_scenario_file`] and [`load_scenario_str`], checked by [`validate`]; every problem
//! is reported with `file:line:column` and the field path (see [`locate_all`]). Nothing here
//! knows about the engine.

mod controls_file;
mod intrusion;
mod load;
mod locate;
mod parse;
mod patch;
mod validate;

pub use controls_file::{ControlsFile, apply_controls_file, apply_controls_files};
pub use intrusion::{
    CredentialDef, ExploitDef, FirewallAction, FirewallDef, FirewallRule, LinkParams, ServiceDef,
};
// The `attacker:` section's types belong to the attacker profiles they override.
pub use crate::attacker::{AttackerDef, EntryVector, Strategy};

pub use load::{
    LoadedScenario, load_scenario_file, load_scenario_str, origin_of, read_scenario_text,
};
pub use locate::{locate_all, yaml_syntax_error};
pub(crate) use parse::{DocKind, is_json, parse_strict, plain_message};
pub use patch::{Patch, RelationRef, apply_patch, apply_patch_str};
pub use validate::validate;

use crate::model::{AppRole, AssetKind, MfaStrength, Os, Protocol, RelationKind, Sensitivity};
use serde::{Deserialize, Serialize};

/// A whole scenario file.
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name of the scenario, used in reports.
    pub name: String,
    /// Free text describing the scenario.
    #[serde(default)]
    pub description: String,
    /// Network segments; `internet` always exists, declared or not.
    #[serde(default)]
    pub segments: Vec<SegmentDef>,
    /// Which segment reaches which, on which protocols (directed).
    #[serde(default)]
    pub reachability: Vec<ReachDef>,
    /// Everything the attacker can compromise, segments aside.
    pub assets: Vec<AssetDef>,
    /// The edges between assets (`from` *kind* `to`).
    #[serde(default)]
    pub relations: Vec<RelationDef>,
    /// Credentials of identities and where they are found.
    #[serde(default)]
    pub credentials: Vec<CredentialDef>,
    /// Who attacks, from where, after what; overrides a built-in profile's fields.
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
    /// Monte Carlo settings: trials, horizon, seed.
    #[serde(default)]
    pub simulation: SimulationDef,
}

/// A network segment (an asset of the networks pillar).
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentDef {
    /// Segment id, referenced by assets' `segment`, by reachability and by scopes.
    pub id: String,
    /// Display name, if any.
    #[serde(default)]
    pub name: Option<String>,
    /// Protocols allowed between assets inside the segment (default: all, a flat network).
    #[serde(default)]
    pub east_west: Option<Vec<Protocol>>,
    /// Free labels, usable in control scopes.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Business value of the segment itself; `None` means the kind default (0).
    #[serde(default)]
    pub value: Option<f64>,
}

/// A directed reachability rule: assets in `from` can open connections to assets in `to`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReachDef {
    /// Source segment id (may be `internet`).
    pub from: String,
    /// Destination segment id.
    pub to: String,
    /// Protocols allowed (`any` for all).
    pub protocols: Vec<Protocol>,
    /// Also add the reverse direction.
    #[serde(default)]
    pub bidirectional: bool,
}

/// One asset of any pillar. Fields that do not apply to the asset's kind are rejected by
/// validation, so a typo in the kind does not silently drop attributes.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssetDef {
    /// Unique asset id.
    pub id: String,
    /// Kind of asset; decides its pillar and which fields apply.
    pub kind: AssetKind,
    /// Display name used in reports; `None` shows the id.
    #[serde(default)]
    pub name: Option<String>,
    /// Free labels, usable in control scopes; `backup` on a data asset marks a backup store.
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
    /// Second factor the identity is enrolled in; `None` means no MFA.
    #[serde(default)]
    pub mfa: Option<MfaStrength>,
    /// Password guessable by spraying (T1110.003).
    #[serde(default)]
    pub weak_password: Option<bool>,
    /// Completed security awareness training (lowers phishing click rate).
    #[serde(default)]
    pub trained: Option<bool>,

    // devices
    /// Operating system; `None` means the kind's default (Windows for most devices).
    #[serde(default)]
    pub os: Option<Os>,
    /// Enrolled in management (domain-joined, MDM); `None` means yes except for BYOD.
    #[serde(default)]
    pub managed: Option<bool>,
    /// Passes the device compliance policy; `None` follows `managed`, and an unmanaged device is
    /// never compliant.
    #[serde(default)]
    pub compliant: Option<bool>,
    /// EDR agent installed (detection on this device even without an EDR control).
    #[serde(default)]
    pub edr: Option<bool>,
    /// Typical days between a patch's release and its installation (drives T1068); `None` means 30.
    #[serde(default)]
    pub patch_lag_days: Option<f64>,
    /// Local administrator password unique to this device (LAPS); false means shared.
    #[serde(default)]
    pub unique_local_admin: Option<bool>,
    /// Credential Guard / LSA protection enabled; `None` means no.
    #[serde(default)]
    pub credential_guard: Option<bool>,
    /// Trusted for unconstrained delegation (Kerberos): the host keeps the ticket-granting
    /// ticket of whoever authenticates to it, a coerced domain controller included; `None`
    /// means no.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unconstrained_delegation: Option<bool>,
    /// Management protocols reachable from the internet on this asset alone.
    #[serde(default)]
    pub exposed: Vec<Protocol>,

    // applications and devices
    /// Probability per attempt that a remotely exploitable vulnerability works (T1190/T1210).
    #[serde(default)]
    pub exploitable: Option<f64>,
    /// Reachable from the internet (T1190 target when `exploitable`); `None` means yes for SaaS,
    /// identity providers and remote access.
    #[serde(default)]
    pub internet_facing: Option<bool>,
    /// Sign-in goes through the identity provider (policy engine) rather than local accounts.
    #[serde(default)]
    pub sso: Option<bool>,

    // data
    /// Sensitivity label; `None` leaves the data unlabelled.
    #[serde(default)]
    pub sensitivity: Option<Sensitivity>,
    /// Number of records held, for "records exposed"; `None` means 0.
    #[serde(default)]
    pub records: Option<u64>,
    /// Encrypted at rest; `None` means no.
    #[serde(default)]
    pub encrypted: Option<bool>,
    /// The data the attacker is after by default and P(crown jewel) is about.
    #[serde(default)]
    pub crown_jewel: bool,
    /// Tier Zero (BloodHound's term): holding it is holding the estate (`ztsim whatif`
    /// measures paths to it). When no asset sets it, a built-in list applies (see
    /// [`crate::whatif::tier_zero`]).
    #[serde(default, skip_serializing_if = "is_false")]
    pub tier_zero: bool,

    // the intrusion model (docs/model.md)
    /// Network services it offers; when listed, network steps reach it only over these.
    #[serde(default)]
    pub services: Vec<ServiceDef>,
    /// Known vulnerabilities of its services, each with its own odds.
    #[serde(default)]
    pub exploits: Vec<ExploitDef>,
    /// Host firewall rules, ingress and egress.
    #[serde(default)]
    pub firewall: Option<FirewallDef>,
    /// A decoy (honeypot host, canary file or fake share): touching it is detected with
    /// this probability, and it counts in no blast radius.
    #[serde(default)]
    pub decoy: Option<f64>,
    /// Known to the attacker from the start (public); `None`: internet-facing, exposed and
    /// cloud-hosted assets and people are, the rest must be discovered.
    #[serde(default)]
    pub public: Option<bool>,

    // certificate services (docs/model.md §13)
    /// A certificate template's settings (kind `certificate_template` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<TemplateDef>,
    /// A certificate authority's settings (kind `certificate_authority` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<CaDef>,
    /// What a `pki_object` is (kind `pki_object` only; required there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pki: Option<PkiRole>,
}

/// What a certificate from a template says and what issuing one takes (SharpHound's
/// certificate template properties). Every field defaults to the safe value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateDef {
    /// Its certificates authenticate a client (an EKU for client authentication, PKINIT or
    /// smart-card logon, any purpose, or none): SharpHound's `authenticationenabled`.
    #[serde(default)]
    pub authentication: bool,
    /// The requester names the subject (CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT): it may ask for
    /// a certificate as anyone.
    #[serde(default)]
    pub enrollee_supplies_subject: bool,
    /// A certificate officer must approve each request.
    #[serde(default)]
    pub manager_approval: bool,
    /// Signatures of an enrollment agent a request needs (0: none).
    #[serde(default)]
    pub authorized_signatures: u32,
    /// Its certificates make the holder an enrollment agent (the Certificate Request Agent
    /// EKU, any purpose, or none).
    #[serde(default)]
    pub request_agent: bool,
    /// An enrollment agent may sign requests for it on others' behalf: schema version 1,
    /// or one authorised signature whose application policy is Certificate Request Agent.
    #[serde(default)]
    pub agent_signable: bool,
}

/// How a certificate authority's web enrollment endpoint can be reached (ESC8).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum WebEnrollment {
    /// No web enrollment (the default).
    #[default]
    None,
    /// Over plain HTTP: NTLM authentication to it can be relayed.
    Http,
    /// Over HTTPS without Extended Protection for Authentication: relayable too.
    Https,
    /// Over HTTPS with Extended Protection for Authentication: not relayable.
    HttpsEpa,
}

/// A certificate authority's settings (SharpHound's enterprise CA data).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaDef {
    /// Its certificate is in the domain's NTAuth store, so the certificates it issues
    /// authenticate to domain controllers; `None` means yes.
    #[serde(default)]
    pub ntauth: Option<bool>,
    /// The CA lets requesters name the subject on any template
    /// (EDITF_ATTRIBUTESUBJECTALTNAME2): ESC6.
    #[serde(default)]
    pub user_specified_san: bool,
    /// Enrollment agent restrictions are set: an agent enrolls on others' behalf only for
    /// the templates a `can_enroll_on_behalf` relation names.
    #[serde(default)]
    pub agent_restrictions: bool,
    /// Web enrollment endpoint (ESC8).
    #[serde(default)]
    pub web_enrollment: WebEnrollment,
}

/// What a `pki_object` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PkiRole {
    /// The NTAuth store: the CAs whose certificates authenticate to domain controllers.
    NtauthStore,
    /// A root CA entry: a CA certificate every domain member trusts.
    RootCa,
    /// An AIA CA entry: an intermediate CA certificate published for chain building.
    AiaCa,
    /// An issuance policy (an OID a template may put in its certificates).
    IssuancePolicy,
}

/// A relation between two assets, read "`from` *kind* `to`".
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RelationDef {
    /// Relation kind (the `type` field in files).
    #[serde(rename = "type")]
    pub kind: RelationKind,
    /// Source asset id.
    pub from: String,
    /// Target asset id.
    pub to: String,
    /// For `role_on`: user or admin.
    #[serde(default)]
    pub role: Option<AppRole>,
    /// For privileged relations: eligible (just-in-time) rather than standing.
    #[serde(default)]
    pub eligible: bool,
    /// This link's own success probability per try, replacing the technique's.
    #[serde(default)]
    pub p: Option<f64>,
    /// This link's own mean hours per try.
    #[serde(default)]
    pub mean_hours: Option<f64>,
    /// This link's own detection probability per try.
    #[serde(default)]
    pub noise: Option<f64>,
}

impl RelationDef {
    /// The link's own numbers, if any are given.
    pub fn link(&self) -> LinkParams {
        LinkParams {
            p: self.p,
            mean_hours: self.mean_hours,
            noise: self.noise,
        }
    }
}

/// Per-scenario change to a catalog technique's numbers; `None` keeps the catalog's.
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TechniqueOverride {
    /// ATT&CK technique id; must be in the catalog.
    pub id: String,
    /// Base success probability of one attempt, in [0, 1].
    #[serde(default)]
    pub p: Option<f64>,
    /// Mean hours one attempt takes.
    #[serde(default)]
    pub mean_hours: Option<f64>,
    /// Probability in [0, 1] that one attempt is detected with no control in place.
    #[serde(default)]
    pub noise: Option<f64>,
    /// Distribution of an attempt's duration.
    #[serde(default)]
    pub dist: Option<crate::techniques::TimeDist>,
    /// Log-normal shape (standard deviation of the log), with `dist: lognormal`.
    #[serde(default)]
    pub sigma: Option<f64>,
    /// What one try costs the attacker (score units; see `attacker.step_cost`).
    #[serde(default)]
    pub cost: Option<f64>,
}

/// Defender behaviour that does not depend on the control set.
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DefenderDef {
    /// Mean hours from a detection to manual containment; absent means alerts are not acted on
    /// unless a control set brings a response.
    #[serde(default)]
    pub manual_response_hours: Option<f64>,
    /// Mean hours an alert waits before anyone (or any automation) looks at it.
    #[serde(default)]
    pub triage_hours: Option<f64>,
    /// Mean hours from the first response to a detection until the incident, investigated
    /// and scoped, is evicted (every held host the investigation found isolated, every
    /// identity's credentials reset and sessions revoked). Default: 24 when
    /// `manual_response_hours` is set (a SOC that responds by hand also investigates), no
    /// eviction otherwise.
    #[serde(default)]
    pub investigation_hours: Option<f64>,
    /// Share in [0, 1] of the attacker's holdings an investigation finds (each drawn on its
    /// own); what it misses stays the attacker's, and the next detection starts another
    /// round. Default 0.98 (calibrated); 0 turns eviction off.
    #[serde(default)]
    pub scoping: Option<f64>,
}

/// Monte Carlo settings (defaults: 1000 trials, 720 hours, seed 1).
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulationDef {
    /// Trials per control set.
    #[serde(default = "default_trials")]
    pub trials: u32,
    /// A trial ends at this many simulated hours; later events are censored.
    #[serde(default = "default_horizon")]
    pub horizon_hours: f64,
    /// Master seed: same seed, same results.
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

/// Serde's `skip_serializing_if` for flags that default to `false`.
fn is_false(b: &bool) -> bool {
    !*b
}
