//! What an exercise file says about live play in the browser (`ztsim serve`): the roles and
//! what each sees and may do, the modelled delay of each player action, the expected
//! actions with their scores, deadlines and hints, and the injects that react to the clock,
//! to the attacker and to what players do or fail to do. The terminal tabletop ignores all
//! of it; [`crate::room`] plays it.
//!
//! Every field is checked where it is written: `roles[1].can[2]`, `injects[0].when.reached`
//! (asset ids are checked against the scenario by [`check_against`]).

use super::command::{self, Command};
use super::session::Session;
use crate::error::Diagnostic;
use serde::Deserialize;
use std::collections::BTreeMap;

/// What a player may do from the browser.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Isolate a device (the engine's `isolate`).
    Isolate,
    /// Reset an identity's credentials (`reset`).
    Reset,
    /// Revoke an identity's sessions and tokens (`revoke`).
    Revoke,
    /// Cut off a segment (`block`).
    Block,
    /// Disable an account (`disable`).
    Disable,
    /// Tell the executive and the facilitator (no engine effect).
    Escalate,
    /// An executive decision among the role's `decisions` (no engine effect).
    Decide,
    /// A note to the facilitator (no engine effect).
    Note,
}

impl Action {
    /// Every action, in the order buttons are shown.
    pub const ALL: [Action; 8] = [
        Action::Isolate,
        Action::Reset,
        Action::Revoke,
        Action::Disable,
        Action::Block,
        Action::Escalate,
        Action::Decide,
        Action::Note,
    ];

    /// The action's name as written in files and sent by the browser.
    pub fn name(self) -> &'static str {
        match self {
            Action::Isolate => "isolate",
            Action::Reset => "reset",
            Action::Revoke => "revoke",
            Action::Block => "block",
            Action::Disable => "disable",
            Action::Escalate => "escalate",
            Action::Decide => "decide",
            Action::Note => "note",
        }
    }

    /// The action named `s`.
    pub fn from_name(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == s)
    }

    /// The tabletop command that carries the action into the engine, if it has one.
    pub fn command(self, target: &str) -> Option<Command> {
        let t = target.to_string();
        match self {
            Action::Isolate => Some(Command::Isolate(t)),
            Action::Reset => Some(Command::Reset(t)),
            Action::Revoke => Some(Command::Revoke(t)),
            Action::Block => Some(Command::Block(t)),
            Action::Disable => Some(Command::Disable(t)),
            Action::Escalate | Action::Decide | Action::Note => None,
        }
    }

    /// The modelled delay before the action takes effect, in hours, when the exercise
    /// does not say: an EDR isolation takes minutes, a password reset and its
    /// propagation about half an hour, cutting a segment's uplink a change window.
    pub fn default_delay(self) -> f64 {
        match self {
            Action::Isolate => 0.25,
            Action::Reset | Action::Disable => 0.5,
            Action::Revoke => 0.25,
            Action::Block => 1.0,
            Action::Escalate | Action::Decide | Action::Note => 0.0,
        }
    }
}

/// What a role sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Channel {
    /// Every alert.
    Alerts,
    /// Alerts that name an identity.
    IdentityAlerts,
    /// Alerts that name a device, application or infrastructure asset.
    DeviceAlerts,
    /// Escalations and decisions of the other seats.
    Escalations,
    /// The estate graph with what this role knows of each asset.
    Graph,
    /// The number of assets known to be affected.
    BlastRadius,
}

/// A role: a kind of seat, what it sees and what it may do.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleDef {
    /// Short id used in seat ids, expectations and messages (`soc`, `it`).
    pub id: String,
    /// The title shown to players (`SOC analyst`).
    pub title: String,
    /// How many seats (join links) the role has.
    #[serde(default = "one")]
    pub seats: u32,
    /// What the role sees.
    pub sees: Vec<Channel>,
    /// What the role may do.
    pub can: Vec<Action>,
    /// The decisions a `decide` action chooses from (`pay`, `restore`).
    #[serde(default)]
    pub decisions: Vec<String>,
    /// A sentence for the player about the role.
    #[serde(default)]
    pub brief: Option<String>,
}

fn one() -> u32 {
    1
}

/// An expected action (a milestone): who should do what by when, for how many points.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectationDef {
    /// Short id.
    pub id: String,
    /// What is expected, in words.
    pub title: String,
    /// The role expected to act (any role when absent).
    #[serde(default)]
    pub role: Option<String>,
    /// The action as typed: `isolate ws-cfo-01`, `escalate`, `decide restore`.
    #[serde(rename = "do")]
    pub action: String,
    /// The deadline, in hours since the start.
    pub by: f64,
    /// Points for meeting it by the deadline.
    pub points: i32,
    /// Points for meeting it late.
    #[serde(default)]
    pub late_points: i32,
    /// Sent to the role when no one has acted this long before the deadline.
    #[serde(default)]
    pub hint: Option<HintDef>,
    /// The improvement-plan item when it is missed.
    #[serde(default)]
    pub owner: Option<String>,
}

/// A hint sent when an expectation is still open at a time.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HintDef {
    /// When to send it, in hours since the start.
    pub at: f64,
    /// The hint's text.
    pub text: String,
}

/// What sets an inject off.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhenDef {
    /// At this time (hours since the start).
    #[serde(default)]
    pub at: Option<f64>,
    /// When the attacker first holds this asset.
    #[serde(default)]
    pub reached: Option<String>,
    /// When an alert first names this asset.
    #[serde(default)]
    pub alert: Option<String>,
    /// When a player takes this action (`isolate ws-cfo-01`).
    #[serde(default)]
    pub done: Option<String>,
    /// When no player has taken this action by `by`.
    #[serde(default)]
    pub not_done: Option<String>,
    /// The deadline of `not_done`.
    #[serde(default)]
    pub by: Option<f64>,
}

/// A triggered inject: a message, an engine command, or both.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InjectDef {
    /// Short id.
    pub id: String,
    /// What sets it off (exactly one trigger).
    pub when: WhenDef,
    /// Who is told: role ids, or `all` (default: all).
    #[serde(default)]
    pub to: Vec<String>,
    /// What they are told.
    #[serde(default)]
    pub say: Option<String>,
    /// A tabletop command run when it fires (an attacker or defender inject).
    #[serde(rename = "do", default)]
    pub command: Option<String>,
}

/// The live-play part of an exercise file.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct LivePlay {
    /// The roles (seats).
    #[serde(default)]
    pub roles: Vec<RoleDef>,
    /// Delay of each player action, in hours, where not the default.
    #[serde(default)]
    pub delays: BTreeMap<String, f64>,
    /// Expected actions with scores.
    #[serde(default)]
    pub expectations: Vec<ExpectationDef>,
    /// Triggered injects.
    #[serde(default)]
    pub injects: Vec<InjectDef>,
}

/// A typed action: the action and its target (`isolate ws-cfo-01`, `escalate`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Typed {
    /// The action.
    pub action: Action,
    /// Its target, possibly empty.
    pub target: String,
}

impl Typed {
    /// Reads `isolate ws-cfo-01`.
    pub fn parse(s: &str) -> Result<Typed, String> {
        let s = s.trim();
        let (a, rest) = s.split_once(char::is_whitespace).unwrap_or((s, ""));
        let action = Action::from_name(a).ok_or_else(|| {
            format!(
                "unknown action `{a}`; the actions are {}",
                Action::ALL.map(Action::name).join(", ")
            )
        })?;
        Ok(Typed {
            action,
            target: rest.trim().to_string(),
        })
    }

    /// Whether an action taken matches this expected one (an empty expected target
    /// matches any target).
    pub fn matches(&self, action: Action, target: &str) -> bool {
        self.action == action && (self.target.is_empty() || self.target == target)
    }
}

/// Role ids go into seat ids and URLs: short, plain.
fn role_id_ok(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn time_ok(t: f64) -> bool {
    t.is_finite() && (0.0..=1e6).contains(&t)
}

fn bad_time(path: String) -> Diagnostic {
    Diagnostic::error(path, "expected hours since the start (0 or more)")
}

impl LivePlay {
    /// Structural checks that need no scenario: ids, references between roles,
    /// expectations and injects, times, action names. The first problem, located.
    pub fn check(&self) -> Result<(), Diagnostic> {
        let mut roles = std::collections::BTreeSet::new();
        for (i, r) in self.roles.iter().enumerate() {
            if !role_id_ok(&r.id) || r.id == "all" || r.id == "facilitator" {
                return Err(Diagnostic::error(
                    format!("roles[{i}].id"),
                    format!("`{}` cannot be a role id", r.id),
                ));
            }
            if !roles.insert(r.id.as_str()) {
                return Err(Diagnostic::error(
                    format!("roles[{i}].id"),
                    format!("role `{}` is defined twice", r.id),
                ));
            }
            if r.seats == 0 || r.seats > 100 {
                return Err(Diagnostic::error(
                    format!("roles[{i}].seats"),
                    "a role has 1 to 100 seats",
                ));
            }
            if r.can.contains(&Action::Decide) && r.decisions.is_empty() {
                return Err(Diagnostic::error(
                    format!("roles[{i}].decisions"),
                    "a role that can `decide` needs its `decisions` listed",
                ));
            }
        }
        for (k, v) in &self.delays {
            if Action::from_name(k).is_none() {
                return Err(Diagnostic::error(
                    format!("delays.{k}"),
                    format!("unknown action `{k}`"),
                ));
            }
            if !time_ok(*v) {
                return Err(bad_time(format!("delays.{k}")));
            }
        }
        self.check_expectations(&roles)?;
        self.check_injects(&roles)
    }

    fn check_expectations(
        &self,
        roles: &std::collections::BTreeSet<&str>,
    ) -> Result<(), Diagnostic> {
        let mut ids = std::collections::BTreeSet::new();
        for (i, e) in self.expectations.iter().enumerate() {
            let at = |f: &str| format!("expectations[{i}].{f}");
            if !ids.insert(e.id.as_str()) {
                return Err(Diagnostic::error(
                    at("id"),
                    format!("expectation `{}` is defined twice", e.id),
                ));
            }
            if let Some(r) = &e.role
                && !roles.contains(r.as_str())
            {
                return Err(unknown_role(at("role"), r, roles));
            }
            Typed::parse(&e.action).map_err(|m| Diagnostic::error(at("do"), m))?;
            if !time_ok(e.by) {
                return Err(bad_time(at("by")));
            }
            if let Some(h) = &e.hint
                && !time_ok(h.at)
            {
                return Err(bad_time(at("hint.at")));
            }
        }
        Ok(())
    }

    fn check_injects(&self, roles: &std::collections::BTreeSet<&str>) -> Result<(), Diagnostic> {
        let mut ids = std::collections::BTreeSet::new();
        for (i, j) in self.injects.iter().enumerate() {
            let at = |f: &str| format!("injects[{i}].{f}");
            if !ids.insert(j.id.as_str()) {
                return Err(Diagnostic::error(
                    at("id"),
                    format!("inject `{}` is defined twice", j.id),
                ));
            }
            let w = &j.when;
            let n = [
                w.at.is_some(),
                w.reached.is_some(),
                w.alert.is_some(),
                w.done.is_some(),
                w.not_done.is_some(),
            ]
            .iter()
            .filter(|x| **x)
            .count();
            if n != 1 {
                return Err(Diagnostic::error(
                    at("when"),
                    "give exactly one trigger: at, reached, alert, done or not_done (with by)",
                ));
            }
            if w.at.is_some_and(|t| !time_ok(t)) {
                return Err(bad_time(at("when.at")));
            }
            if w.not_done.is_some() != w.by.is_some() {
                return Err(Diagnostic::error(
                    at("when.by"),
                    "`not_done` needs `by` (the deadline), and `by` goes only with `not_done`",
                ));
            }
            if w.by.is_some_and(|t| !time_ok(t)) {
                return Err(bad_time(at("when.by")));
            }
            for (f, s) in [("done", &w.done), ("not_done", &w.not_done)] {
                if let Some(s) = s {
                    Typed::parse(s).map_err(|m| Diagnostic::error(at(&format!("when.{f}")), m))?;
                }
            }
            for (k, r) in j.to.iter().enumerate() {
                if r != "all" && !roles.contains(r.as_str()) {
                    return Err(unknown_role(at(&format!("to[{k}]")), r, roles));
                }
            }
            if j.say.is_none() && j.command.is_none() {
                return Err(Diagnostic::error(
                    at("say"),
                    "an inject needs `say` (a message), `do` (a command), or both",
                ));
            }
            if let Some(c) = &j.command {
                check_command(c).map_err(|m| Diagnostic::error(at("do"), m))?;
            }
        }
        Ok(())
    }

    /// The delay of `a`, in hours.
    pub fn delay(&self, a: Action) -> f64 {
        self.delays
            .get(a.name())
            .copied()
            .unwrap_or(a.default_delay())
    }
}

fn unknown_role(path: String, r: &str, roles: &std::collections::BTreeSet<&str>) -> Diagnostic {
    Diagnostic::error(
        path,
        crate::suggest::unknown_message(
            &format!("no role `{r}`"),
            crate::suggest::did_you_mean(r, roles.iter().copied()),
            None,
        ),
    )
}

/// An inject's command must change the trial, not read or write files or end the session.
pub fn check_command(line: &str) -> Result<Command, String> {
    let c = command::parse(line)?.ok_or("empty command")?;
    let allowed = c.is_logged()
        && !matches!(
            c,
            Command::Undo
                | Command::Rewind(_)
                | Command::Branch(_)
                | Command::Switch(_)
                | Command::Load(_)
                | Command::Save(_)
                | Command::Export(_)
        );
    if allowed {
        Ok(c)
    } else {
        Err(format!(
            "`{c}` cannot be an inject: it does not change the trial"
        ))
    }
}

/// Checks the asset ids the live-play part names against the session's scenario.
pub fn check_against(live: &LivePlay, s: &Session) -> Result<(), Diagnostic> {
    for (i, e) in live.expectations.iter().enumerate() {
        let t = Typed::parse(&e.action).map_err(|m| Diagnostic::error("", m))?;
        check_typed(s, &t).map_err(|m| Diagnostic::error(format!("expectations[{i}].do"), m))?;
    }
    for (i, j) in live.injects.iter().enumerate() {
        let w = &j.when;
        for (f, id) in [("reached", &w.reached), ("alert", &w.alert)] {
            if let Some(id) = id {
                s.asset_exists(id)
                    .map_err(|m| Diagnostic::error(format!("injects[{i}].when.{f}"), m))?;
            }
        }
        for (f, a) in [("done", &w.done), ("not_done", &w.not_done)] {
            if let Some(a) = a {
                let t = Typed::parse(a).map_err(|m| Diagnostic::error("", m))?;
                check_typed(s, &t)
                    .map_err(|m| Diagnostic::error(format!("injects[{i}].when.{f}"), m))?;
            }
        }
        if let Some(c) = &j.command {
            let c = check_command(c).map_err(|m| Diagnostic::error("", m))?;
            s.check_static(&c)
                .map_err(|m| Diagnostic::error(format!("injects[{i}].do"), m))?;
        }
    }
    Ok(())
}

/// Checks a typed action's target against the scenario (engine actions only).
pub fn check_typed(s: &Session, t: &Typed) -> Result<(), String> {
    match t.action.command(&t.target) {
        Some(c) if !t.target.is_empty() => s.check_static(&c),
        _ => Ok(()),
    }
}
