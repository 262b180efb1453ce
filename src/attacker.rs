//! Attacker profiles: objective, strategy, tempo, stealth and persistence, after the actor
//! types of incident reports. A scenario picks a built-in profile and may override any of
//! its fields; every behaviour parameter is visible in `ztsim profiles` and in the outputs.

use serde::{Deserialize, Serialize};

/// Initial-access vectors the attacker may use from the internet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryVector {
    /// Phishing a human (T1566): a foothold on their device or their password.
    Phishing,
    /// Exploiting an internet-facing application (T1190).
    ExploitPublic,
    /// Password spraying weak passwords (T1110.003), then signing in with them (T1078).
    ValidAccounts,
    /// External remote services (T1133): VPN gateways and exposed management protocols.
    ExternalRemote,
}

impl EntryVector {
    pub(crate) const ALL: [EntryVector; 4] = [
        EntryVector::Phishing,
        EntryVector::ExploitPublic,
        EntryVector::ValidAccounts,
        EntryVector::ExternalRemote,
    ];
}

/// How the attacker orders its frontier of possible next steps.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Random order over the frontier.
    #[default]
    Random,
    /// Most valuable target first.
    GreedyValue,
    /// Target closest (in expected time) to an objective first.
    ShortestTime,
}

/// A scenario's `attacker:` section: a built-in profile and the fields that override it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttackerDef {
    /// Built-in profile name; the fields below override it.
    #[serde(default)]
    pub profile: Option<String>,
    /// Initial-access vectors from the internet (default: all).
    #[serde(default)]
    pub entry: Option<Vec<EntryVector>>,
    /// Assets the attacker holds at time zero (assume breach, insider).
    #[serde(default)]
    pub start: Vec<String>,
    /// Assets the attacker is after (default: every crown jewel).
    #[serde(default)]
    pub objectives: Vec<String>,
    /// How the attacker orders its next steps.
    #[serde(default)]
    pub strategy: Option<Strategy>,
    /// Attack steps in flight at once; 0 means unlimited.
    #[serde(default)]
    pub parallelism: Option<u32>,
    /// Tries per attack step (1 means a single try).
    #[serde(default)]
    pub max_tries: Option<u32>,
    /// End the trial as soon as an objective is reached.
    #[serde(default)]
    pub stop_at_objective: Option<bool>,
    /// Multiplies every step's time (0.5 = twice as fast).
    #[serde(default)]
    pub speed: Option<f64>,
    /// 0..1: how strongly the attacker prefers quiet steps.
    #[serde(default)]
    pub noise_aversion: Option<f64>,
    /// Encrypt devices and destroy backups (ransomware).
    #[serde(default)]
    pub impact: Option<bool>,
    /// The attacker gives up after this many hours.
    #[serde(default)]
    pub time_budget_hours: Option<f64>,
    /// ATT&CK technique ids (or parents) the attacker never uses.
    #[serde(default)]
    pub avoid: Option<Vec<String>>,
    /// Acts only on assets it knows (public ones, then what scans, directory enumeration
    /// and compromised assets reveal); `false` knows the whole estate from the start.
    #[serde(default)]
    pub discovery: Option<bool>,
    /// What one try of any step costs (score units), unless its technique sets `cost`.
    #[serde(default)]
    pub step_cost: Option<f64>,
}

/// An attacker profile with every behaviour parameter settled: a built-in one, after the scenario's
/// overrides.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Profile {
    /// Profile name (`opportunistic`, `ransomware`, `apt`, `insider`, or the one it was built
    /// from).
    pub name: String,
    /// What the profile stands for, in words.
    pub description: String,
    /// How the attacker orders its next steps.
    pub strategy: Strategy,
    /// Attack steps in flight at once (0 = unlimited).
    pub parallelism: u32,
    /// Tries per attack step (1 = a single try).
    pub max_tries: u32,
    /// End the trial as soon as an objective is reached.
    pub stop_at_objective: bool,
    /// Initial-access vectors it uses from the internet; empty means none.
    pub entry: Vec<EntryVector>,
    /// Multiplies the time every step takes (0.5 = twice as fast).
    pub speed: f64,
    /// 0 = ignores noise; 1 = strongly prefers quiet steps (weighs detection risk in hours).
    pub noise_aversion: f64,
    /// Encrypts devices and destroys backups it reaches (T1486, T1490).
    pub impact: bool,
    /// Gives up after this many hours (the trial still runs to its horizon for the defender).
    pub time_budget_hours: Option<f64>,
    /// Starts inside with a valid identity and its device; no initial access.
    pub insider: bool,
    /// ATT&CK ids (or parents) this attacker never uses.
    pub avoid: Vec<String>,
    /// Acts only on assets it knows, and must discover the rest ([`AttackerDef::discovery`]).
    pub discovery: bool,
    /// What one try of a step costs when its technique sets no cost (score units).
    pub step_cost: f64,
}

impl Profile {
    /// Names of the built-in profiles.
    pub const NAMES: &'static [&'static str] = &["opportunistic", "ransomware", "apt", "insider"];

    /// The built-in profile `name`; `None` if there is no such profile.
    pub fn builtin(name: &str) -> Option<Profile> {
        let base = Profile {
            name: name.into(),
            description: String::new(),
            strategy: Strategy::Random,
            parallelism: 4,
            max_tries: 2,
            stop_at_objective: false,
            entry: EntryVector::ALL.to_vec(),
            speed: 1.0,
            noise_aversion: 0.0,
            impact: false,
            time_budget_hours: None,
            insider: false,
            avoid: Vec::new(),
            discovery: true,
            step_cost: 0.0,
        };
        Some(match name {
            // A commodity intruder: tries whatever is in front of it, a few things at a time,
            // and keeps going after it finds something valuable.
            "opportunistic" => Profile {
                description: "commodity intruder: random frontier, a few steps at a time, keeps going".into(),
                ..base
            },
            // eCrime ransomware affiliate: fast and loud, many hands, goes for the largest
            // number of encrypted devices and destroyed backups [assumption, after the
            // breakout times in CrowdStrike's threat reports].
            "ransomware" => Profile {
                description: "ransomware operator: fast, noisy, many parallel steps, encrypts devices and destroys backups".into(),
                strategy: Strategy::GreedyValue,
                parallelism: 8,
                max_tries: 3,
                speed: 0.5,
                impact: true,
                ..base
            },
            // Targeted intruder: one careful step at a time towards named data, preferring
            // quiet techniques, patient, stops when it has what it came for.
            "apt" => Profile {
                description: "targeted intruder (APT): stealthy, one step at a time on the shortest expected path to its objective, prefers quiet techniques, stops at the objective".into(),
                strategy: Strategy::ShortestTime,
                parallelism: 1,
                max_tries: 3,
                stop_at_objective: true,
                entry: vec![EntryVector::Phishing, EntryVector::ValidAccounts],
                speed: 1.5,
                noise_aversion: 0.9,
                avoid: vec!["T1110.003".into(), "T1210".into()],
                ..base
            },
            // A malicious insider: starts with a valid identity and its device.
            "insider" => Profile {
                description: "malicious insider: starts with a valid identity and its device, no initial access, heads for the objective quietly".into(),
                strategy: Strategy::ShortestTime,
                parallelism: 1,
                max_tries: 2,
                stop_at_objective: true,
                entry: Vec::new(),
                noise_aversion: 0.5,
                insider: true,
                // An insider knows its own organisation.
                discovery: false,
                ..base
            },
            _ => return None,
        })
    }

    /// The scenario's attacker: its profile (or `profile_override`) with the scenario's
    /// explicit fields applied on top.
    pub fn from_def(def: &AttackerDef, profile_override: Option<&str>) -> Profile {
        let name = profile_override
            .or(def.profile.as_deref())
            .unwrap_or("opportunistic");
        let mut p = Profile::builtin(name)
            .unwrap_or_else(|| Profile::builtin("opportunistic").expect("built-in profile"));
        if let Some(s) = def.strategy {
            p.strategy = s;
        }
        if let Some(n) = def.parallelism {
            p.parallelism = n;
        }
        if let Some(n) = def.max_tries {
            p.max_tries = n.max(1);
        }
        if let Some(b) = def.stop_at_objective {
            p.stop_at_objective = b;
        }
        if let Some(e) = &def.entry {
            p.entry = e.clone();
        }
        if let Some(x) = def.speed {
            p.speed = x;
        }
        if let Some(x) = def.noise_aversion {
            p.noise_aversion = x;
        }
        if let Some(x) = def.impact {
            p.impact = x;
        }
        if def.time_budget_hours.is_some() {
            p.time_budget_hours = def.time_budget_hours;
        }
        if let Some(a) = &def.avoid {
            p.avoid = a.clone();
        }
        if let Some(d) = def.discovery {
            p.discovery = d;
        }
        if let Some(c) = def.step_cost {
            p.step_cost = c;
        }
        // An insider is already inside: whatever entry vectors the scenario lists are not its.
        if p.insider {
            p.entry.clear();
        }
        p
    }
}
