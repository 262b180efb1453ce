//! Zero Trust controls as data. A control is a list of declarative effects (remove, harden,
//! detect, respond, standing, block) with a scope and a coverage; nothing about a specific
//! control is written in the engine. The built-in catalog is an embedded YAML file
//! (`data/controls.yaml`); scenarios and controls files add controls or override
//! parameters. [`crate::plan`] turns a control set into per-edge numbers for the engine.

mod catalog;

pub use catalog::{Catalog, ResolvedControl, ResolvedEffect, ResolvedSet, resolve_set};

use crate::model::{AssetKind, Pillar, Protocol, RelationKind};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The Zero Trust principle a control serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Principle {
    /// Authenticate and authorize every request on all available signals.
    VerifyExplicitly,
    /// Give just enough access, just in time.
    LeastPrivilege,
    /// Limit the blast radius and detect and respond as if already breached.
    AssumeBreach,
}

impl Principle {
    /// The principle in words (`"least privilege"`), for tables and reports.
    pub fn name(self) -> &'static str {
        match self {
            Principle::VerifyExplicitly => "verify explicitly",
            Principle::LeastPrivilege => "least privilege",
            Principle::AssumeBreach => "assume breach",
        }
    }
}

/// Pillar of a control: the six asset pillars plus the cross-cutting ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ControlPillar {
    /// Identity controls (MFA, tiering, privileged access).
    Identities,
    /// Device controls (EDR, compliance, patching, LAPS).
    Devices,
    /// Application controls (SSO, app hardening).
    Applications,
    /// Data controls (encryption, backups, access reviews).
    Data,
    /// Infrastructure controls (domain controllers, hypervisors, cloud).
    Infrastructure,
    /// Network controls (segmentation, ZTNA).
    Networks,
    /// Cross-cutting visibility and analytics (SIEM, detection).
    Visibility,
    /// Cross-cutting automation and orchestration (automated response).
    Automation,
}

impl From<Pillar> for ControlPillar {
    fn from(p: Pillar) -> Self {
        match p {
            Pillar::Identities => ControlPillar::Identities,
            Pillar::Devices => ControlPillar::Devices,
            Pillar::Applications => ControlPillar::Applications,
            Pillar::Data => ControlPillar::Data,
            Pillar::Infrastructure => ControlPillar::Infrastructure,
            Pillar::Networks => ControlPillar::Networks,
        }
    }
}

/// A parameter of a control with its provenance: a published `source` or a stated
/// `assumption`.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParamDef {
    /// The number itself; its unit is whatever the effect using it expects.
    pub value: f64,
    /// Published source of the figure, when there is one.
    #[serde(default)]
    pub source: Option<String>,
    /// What is assumed, when there is no published source.
    #[serde(default)]
    pub assumption: Option<String>,
    /// What the number means, in words.
    #[serde(default)]
    pub description: Option<String>,
}

/// A number in an effect: literal, or the name of one of the control's parameters.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// A literal number.
    Number(f64),
    /// The name of a parameter of the same control; its value is looked up when the control is
    /// resolved.
    Param(String),
}

impl schemars::JsonSchema for ParamValue {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ParamValue".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A number, or the name of one of the control's parameters.",
            "type": ["number", "string"]
        })
    }
}

impl<'de> Deserialize<'de> for ParamValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ParamValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or the name of a parameter")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ParamValue, E> {
                Ok(ParamValue::Number(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ParamValue, E> {
                Ok(ParamValue::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ParamValue, E> {
                Ok(ParamValue::Number(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ParamValue, E> {
                Ok(ParamValue::Param(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// What an effect does to the attack steps it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EffectKind {
    /// Attack edges disappear.
    Remove,
    /// Success probability is multiplied by 1 − e.
    Harden,
    /// Detection probability d per attempt, combined as 1 − Π(1 − dᵢ).
    Detect,
    /// Containment after a detection, with a mean delay.
    Respond,
    /// Privileged edges exist only a fraction of the time (JIT).
    Standing,
    /// Network flows on the listed protocols are blocked into covered segments or devices.
    Block,
    /// Matching steps go through a policy enforcement point (the policy engine sees them,
    /// so MFA and conditional access apply).
    Enforce,
    /// A requirement of the policy engine for covered identities (see `require`): MFA,
    /// phishing-resistant MFA, a compliant device, token binding, risk-based step-up.
    Require,
}

/// What the policy decision point demands of covered identities' requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// Any multi-factor authentication.
    Mfa,
    /// Phishing-resistant MFA (FIDO2, smart cards).
    PhishingResistantMfa,
    /// The request must come from a compliant device.
    CompliantDevice,
    /// Tokens are bound to the device they were issued to, so stolen ones do not replay.
    TokenBinding,
    /// Risky sign-ins must step up (re-authenticate with a stronger factor).
    RiskStepUp,
}

/// Which end of an attack edge must be covered for the effect to apply.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EffectEnd {
    /// The covered end must be the step's source (the identity signing in, the device dumping
    /// memory).
    Source,
    /// The covered end must be the step's target (the device moved to, the data read); the default.
    #[default]
    Target,
    /// Either end covered.
    Either,
}

/// What containment does after a detection (`respond` effects).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ResponseAction {
    /// Isolate devices and disable identities involved in the detected step.
    #[default]
    Contain,
    /// Revoke sessions and tokens only: token footholds end, device footholds stay.
    RevokeTokens,
    /// Cut the segment of the detected step off: every foothold the attacker holds there.
    BlockSegment,
}

/// Which flows a `block` effect stops.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum BlockReach {
    /// Flows from other segments only (macro-segmentation).
    #[default]
    CrossSegment,
    /// Every flow, inside the segment too (micro-segmentation, ring-fencing).
    All,
    /// Flows from the internet only (exposure removed, e.g. by ZTNA).
    Internet,
}

/// Which way the flows a `block` effect stops go.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FlowDirection {
    /// Into the covered segments or devices (the default).
    #[default]
    Inbound,
    /// Out of the covered segments (and walled hosts): egress filtering.
    Outbound,
}

/// One effect of a control. Which fields apply depends on `kind`; validation checks them.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EffectDef {
    /// What the effect does; decides which of the other fields apply.
    pub kind: EffectKind,
    /// ATT&CK technique ids the effect acts on; a parent id covers its sub-techniques.
    #[serde(default)]
    pub techniques: Vec<String>,
    /// Relations the effect acts on (edges derived from them).
    #[serde(default)]
    pub relations: Vec<RelationKind>,
    /// Which end of a step must be covered for the effect to apply (default: target).
    #[serde(default)]
    pub on: EffectEnd,
    /// harden: efficacy e in [0, 1].
    #[serde(default)]
    pub e: Option<ParamValue>,
    /// detect: probability d in [0, 1].
    #[serde(default)]
    pub d: Option<ParamValue>,
    /// standing: fraction of time the edge exists.
    #[serde(default)]
    pub fraction: Option<ParamValue>,
    /// respond: mean hours from detection to containment.
    #[serde(default)]
    pub delay_hours: Option<ParamValue>,
    /// respond: what containment does (default: contain).
    #[serde(default)]
    pub action: Option<ResponseAction>,
    /// block: protocols blocked.
    #[serde(default)]
    pub protocols: Vec<Protocol>,
    /// block: which flows are blocked (default: from other segments only).
    #[serde(default)]
    pub reach: Option<BlockReach>,
    /// block: segments still allowed in (management, privileged access workstations).
    #[serde(default)]
    pub allow_from: Vec<String>,
    /// block: inbound (the default) or outbound flows; outbound acts on covered segments
    /// and on hosts with a firewall of their own (their own network position).
    #[serde(default)]
    pub direction: Option<FlowDirection>,
    /// Only edges whose source identity is privileged (tier 0 or 1).
    #[serde(default)]
    pub privileged_only: bool,
    /// Only edges that use one of these credential materials.
    #[serde(default)]
    pub credentials: Vec<Credential>,
    /// Only edges that pass (true) or skip (false) a policy enforcement point.
    #[serde(default)]
    pub at_pep: Option<bool>,
    /// Only pass-the-hash edges that use the shared local administrator password.
    #[serde(default)]
    pub shared_local_admin: bool,
    /// harden: effects in the same stack do not multiply; the strongest applies.
    #[serde(default)]
    pub stack: Option<String>,
    /// remove: share of the matching edges removed (drawn per edge, deterministically);
    /// default all.
    #[serde(default)]
    pub share: Option<ParamValue>,
    /// require: what the policy engine demands (with efficacy `e`).
    #[serde(default)]
    pub require: Option<Requirement>,
}

/// Credential material an attack step uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Credential {
    /// A cleartext password (sprayed, cracked or phished).
    Password,
    /// A password hash (pass-the-hash).
    Hash,
    /// A session token or ticket (pass-the-cookie, pass-the-ticket).
    Token,
    /// An SSH private key.
    Key,
}

impl Credential {
    /// The material's `snake_case` name, as written in control files.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Credential::Password => "password",
            Credential::Hash => "hash",
            Credential::Token => "token",
            Credential::Key => "key",
        }
    }
}

/// Which assets a control covers before the coverage fraction is applied.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeDef {
    /// Asset kinds; `segment` selects segments.
    #[serde(default)]
    pub kinds: Vec<AssetKind>,
    /// Pillars of the asset's kind.
    #[serde(default)]
    pub pillars: Vec<Pillar>,
    /// Assets carrying any of these tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Assets placed in these segments, and the segments themselves.
    #[serde(default)]
    pub segments: Vec<String>,
    /// Identities of these privilege tiers (0, 1 or 2); matches no other kind.
    #[serde(default)]
    pub tiers: Vec<u8>,
    /// These assets or segments exactly.
    #[serde(default)]
    pub ids: Vec<String>,
    /// Only crown-jewel data and the assets hosting them.
    #[serde(default)]
    pub crown_jewels: bool,
}

/// As a scenario would write it, non-empty fields only: `{kinds: [admin], tiers: [0]}`.
impl fmt::Display for ScopeDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn list<T: fmt::Display>(out: &mut Vec<String>, field: &str, v: &[T]) {
            if !v.is_empty() {
                let items: Vec<String> = v.iter().map(ToString::to_string).collect();
                out.push(format!("{field}: [{}]", items.join(", ")));
            }
        }
        let mut parts = Vec::new();
        list(&mut parts, "kinds", &self.kinds);
        let pillars: Vec<&str> = self.pillars.iter().map(|p| p.name()).collect();
        list(&mut parts, "pillars", &pillars);
        list(&mut parts, "tags", &self.tags);
        list(&mut parts, "segments", &self.segments);
        list(&mut parts, "tiers", &self.tiers);
        list(&mut parts, "ids", &self.ids);
        if self.crown_jewels {
            parts.push("crown_jewels: true".into());
        }
        if parts.is_empty() {
            write!(f, "every asset")
        } else {
            write!(f, "{{{}}}", parts.join(", "))
        }
    }
}

/// A control as written in a catalog, scenario or controls file: a new control, or an
/// override of a catalog control with the same id (fields given replace the catalog's).
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ControlDef {
    /// Control id (`C01`...); a catalog id means an override.
    pub id: String,
    /// Display name; `None` shows the id.
    #[serde(default)]
    pub name: Option<String>,
    /// Zero Trust pillar the control belongs to.
    #[serde(default)]
    pub pillar: Option<ControlPillar>,
    /// Zero Trust principle the control serves.
    #[serde(default)]
    pub principle: Option<Principle>,
    /// ATT&CK mitigation ids the control stands for (`M1032`...).
    #[serde(default)]
    pub mitigations: Vec<String>,
    /// What the control is, in words.
    #[serde(default)]
    pub description: Option<String>,
    /// Named numbers with provenance; effects refer to them by name.
    #[serde(default)]
    pub parameters: BTreeMap<String, ParamDef>,
    /// Parameter overrides by name (value only), for tuning a catalog control.
    #[serde(default)]
    pub params: BTreeMap<String, f64>,
    /// What the control does; `None` in an override keeps the catalog's effects.
    #[serde(default)]
    pub effects: Option<Vec<EffectDef>>,
    /// Assets covered before `coverage` applies; `None` keeps the catalog's scope (or every asset).
    #[serde(default)]
    pub scope: Option<ScopeDef>,
    /// Fraction in [0, 1] of the in-scope assets actually covered; `None` keeps the catalog's
    /// (or 1: all of them).
    #[serde(default)]
    pub coverage: Option<f64>,
    /// Relative cost of deploying the control (an assumption; no unit).
    #[serde(default)]
    pub cost: Option<f64>,
}

/// A named set of controls, optionally extending a preset or another set.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ControlSetDef {
    /// Set name, shown in reports and used on the command line.
    pub name: String,
    /// What the set stands for, in words.
    #[serde(default)]
    pub description: Option<String>,
    /// Another set of the same file, or a built-in preset, to start from.
    #[serde(default)]
    pub extends: Option<String>,
    /// Controls added on top of what `extends` brings.
    #[serde(default)]
    pub controls: Vec<ControlUse>,
    /// Control ids removed from what `extends` brings.
    #[serde(default)]
    pub without: Vec<String>,
}

/// A control in a set: an id alone, or an id with scope, coverage and parameter overrides.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ControlUse {
    /// Control id.
    pub id: String,
    /// Fraction in [0, 1] of in-scope assets covered in this set; `None` keeps the control's.
    pub coverage: Option<f64>,
    /// Scope replacing the control's in this set; `None` keeps the control's.
    pub scope: Option<ScopeDef>,
    /// Parameter overrides by name, in this set only.
    pub params: BTreeMap<String, f64>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ControlUseFull {
    id: String,
    #[serde(default)]
    coverage: Option<f64>,
    #[serde(default)]
    scope: Option<ScopeDef>,
    #[serde(default)]
    params: BTreeMap<String, f64>,
}

impl schemars::JsonSchema for ControlUse {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ControlUse".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let full = generator.subschema_for::<ControlUseFull>();
        schemars::json_schema!({
            "description": "A control in a set: an id alone, or an id with coverage, scope and params.",
            "anyOf": [{ "type": "string" }, full]
        })
    }
}

impl<'de> Deserialize<'de> for ControlUse {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ControlUse;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a control id, or a map with id, coverage, scope and params")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ControlUse, E> {
                Ok(ControlUse::from_id(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ControlUse, A::Error> {
                let full = ControlUseFull::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(ControlUse {
                    id: full.id,
                    coverage: full.coverage,
                    scope: full.scope,
                    params: full.params,
                })
            }
        }
        d.deserialize_any(V)
    }
}

fn value(v: &Option<ParamValue>) -> String {
    match v {
        Some(ParamValue::Number(x)) => format!("{x}"),
        Some(ParamValue::Param(p)) => p.clone(),
        None => "?".into(),
    }
}

/// One effect in words, for `ztsim controls show` and reports.
pub fn describe_effect(e: &EffectDef) -> String {
    let mut what = Vec::new();
    if !e.techniques.is_empty() {
        what.push(format!("techniques {}", e.techniques.join(", ")));
    }
    if !e.relations.is_empty() {
        what.push(format!(
            "relations {}",
            e.relations
                .iter()
                .map(|r| r.name())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !e.credentials.is_empty() {
        what.push(format!(
            "steps using a {}",
            e.credentials
                .iter()
                .map(|c| c.name())
                .collect::<Vec<_>>()
                .join(" or ")
        ));
    }
    match e.at_pep {
        Some(true) => what.push("at a policy enforcement point".into()),
        Some(false) => what.push("inside an implicit trust zone".into()),
        None => {}
    }
    if e.privileged_only {
        what.push("privileged rights only".into());
    }
    if e.shared_local_admin {
        what.push("the shared local administrator password".into());
    }
    let on = match e.on {
        EffectEnd::Source => "source",
        EffectEnd::Target => "target",
        EffectEnd::Either => "either end",
    };
    let scope = if what.is_empty() {
        "every step".to_string()
    } else {
        what.join("; ")
    };
    match e.kind {
        EffectKind::Remove => match &e.share {
            Some(s) => format!(
                "remove a share {} of {scope} (covered {on})",
                value(&Some(s.clone()))
            ),
            None => format!("remove {scope} (covered {on})"),
        },
        EffectKind::Harden => format!(
            "harden {scope} (covered {on}): p x (1 - {}){}",
            value(&e.e),
            e.stack
                .as_ref()
                .map(|s| format!(", strongest of stack `{s}`"))
                .unwrap_or_default()
        ),
        EffectKind::Detect => format!("detect {scope} (covered {on}) with d = {}", value(&e.d)),
        EffectKind::Respond => format!(
            "respond to detections of {scope} (covered {on}): {:?} after {} h on average",
            e.action.unwrap_or_default(),
            value(&e.delay_hours)
        ),
        EffectKind::Standing => format!(
            "{scope} (covered {on}) exist a fraction {} of the time",
            value(&e.fraction)
        ),
        EffectKind::Block => format!(
            "block {} flows ({:?}) {} covered segments/devices{}",
            e.protocols
                .iter()
                .map(|p| p.name())
                .collect::<Vec<_>>()
                .join(", "),
            e.reach.unwrap_or_default(),
            if e.direction == Some(FlowDirection::Outbound) {
                "out of"
            } else {
                "into"
            },
            if e.allow_from.is_empty() {
                String::new()
            } else {
                format!(", except from {}", e.allow_from.join(", "))
            }
        ),
        EffectKind::Enforce => {
            format!("route {scope} (covered {on}) through a policy enforcement point")
        }
        EffectKind::Require => format!(
            "the policy engine requires {} of covered identities' requests (efficacy = {})",
            match e.require {
                Some(Requirement::Mfa) => "MFA",
                Some(Requirement::PhishingResistantMfa) => "phishing-resistant MFA",
                Some(Requirement::CompliantDevice) => "a compliant device",
                Some(Requirement::TokenBinding) => "token binding",
                Some(Requirement::RiskStepUp) => "a risk-based step-up",
                None => "?",
            },
            value(&e.e)
        ),
    }
}

impl ControlUse {
    pub(crate) fn from_id(id: &str) -> Self {
        ControlUse {
            id: id.to_string(),
            coverage: None,
            scope: None,
            params: BTreeMap::new(),
        }
    }
}
