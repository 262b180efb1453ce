//! The parts of the scenario format that say how intrusions work on a given estate:
//! credentials as objects, the services an asset offers and the account each runs as,
//! explicit exploits, per-asset firewall rules, deception, and per-link odds. See
//! docs/model.md for the semantics and docs/scenario-format.md for the fields.

use crate::model::{CredentialForm, Privilege};
use serde::{Deserialize, Serialize};

/// A credential of an identity, found somewhere in the estate (the `credentials:` list).
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CredentialDef {
    /// Unique id (shares the namespace of assets and segments).
    pub id: String,
    /// Display name; `None` shows the id.
    #[serde(default)]
    pub name: Option<String>,
    /// The identity it belongs to.
    pub of: String,
    /// Its form, which decides what it opens.
    pub form: CredentialForm,
    /// Assets it is stored on or in (a file or shell history on a host, a share, a
    /// repository, a vault or an application's configuration): whoever holds one of them
    /// takes it.
    #[serde(default)]
    pub found_in: Vec<String>,
    /// Applications that leak it to anyone who reaches them over HTTPS.
    #[serde(default)]
    pub leaked_by: Vec<String>,
    /// The privilege needed on a host that stores it (default `user`: a file the user can
    /// read; `admin` for a protected store).
    #[serde(default)]
    pub needs: Option<Privilege>,
    /// What it opens; empty means every sign-in of its identity that its form fits. (A
    /// honeytoken is a credential of a decoy identity.)
    #[serde(default)]
    pub opens: Vec<String>,
    /// Free labels, usable in control scopes.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// A network service an asset offers (`services:` on an asset).
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceDef {
    /// `ssh`, `rdp`, `smb`, `winrm`, `https`, `http`, `sql` (`mysql`, `mssql`, `postgres`,
    /// `oracle`), or `tcp:PORT` / `udp:PORT`.
    pub name: String,
    /// The account it runs as: `system`, `root` or `admin` (an exploit of it gives
    /// administrator rights), `user`, or the id of a service account (user rights).
    /// Default: `system`.
    #[serde(default)]
    pub runs_as: Option<String>,
}

/// A known vulnerability of one service of an asset (`exploits:` on an asset): every
/// foothold that reaches the service gets its own tries.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExploitDef {
    /// The service it exploits (a `services:` name of the asset); `None`: any service the
    /// asset offers (HTTPS for an application with none listed).
    #[serde(default)]
    pub service: Option<String>,
    /// Success probability of one try, in [0, 1].
    pub p: f64,
    /// Mean hours one try takes; `None`: the technique's.
    #[serde(default)]
    pub mean_hours: Option<f64>,
    /// Probability one try is detected with no control; `None`: the technique's.
    #[serde(default)]
    pub noise: Option<f64>,
    /// ATT&CK technique (default T1210, or T1190 for an internet-facing application).
    #[serde(default)]
    pub technique: Option<String>,
    /// The privilege it yields; `None`: the service's (its `runs_as`).
    #[serde(default)]
    pub privilege: Option<Privilege>,
}

/// One link's own numbers (a relation's `p`, `mean_hours` and `noise`), replacing the
/// technique's on the steps derived from that relation alone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkParams {
    /// Success probability of one try, in [0, 1].
    #[serde(default)]
    pub p: Option<f64>,
    /// Mean hours one try takes.
    #[serde(default)]
    pub mean_hours: Option<f64>,
    /// Probability one try is detected with no control.
    #[serde(default)]
    pub noise: Option<f64>,
}

impl LinkParams {
    /// Whether it overrides anything.
    pub fn is_set(&self) -> bool {
        self.p.is_some() || self.mean_hours.is_some() || self.noise.is_some()
    }
}

/// Per-asset firewall rules (`firewall:` on a host): ingress and egress, first match wins,
/// then the default of that direction.
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FirewallDef {
    /// Rules for connections into the asset, in order.
    #[serde(default)]
    pub ingress: Vec<FirewallRule>,
    /// Rules for connections out of the asset, in order.
    #[serde(default)]
    pub egress: Vec<FirewallRule>,
    /// What an unmatched inbound connection gets (default `allow`).
    #[serde(default)]
    pub ingress_default: Option<FirewallAction>,
    /// What an unmatched outbound connection gets (default `allow`).
    #[serde(default)]
    pub egress_default: Option<FirewallAction>,
}

/// One firewall rule: connections to or from `peer` on `services` get `action`.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FirewallRule {
    /// Allow or deny.
    pub action: FirewallAction,
    /// The other end: a segment id (`internet` included) or `any` (the default).
    #[serde(default)]
    pub peer: Option<String>,
    /// Services or ports the rule matches (as in `services:`, or `any`); empty means any.
    #[serde(default)]
    pub services: Vec<String>,
}

/// What a firewall rule does with the connections it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FirewallAction {
    /// Let them through.
    Allow,
    /// Drop them.
    Deny,
}
