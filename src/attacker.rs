//! Attacker profiles: objective, strategy, tempo and persistence. A scenario picks a
//! built-in profile and may override any of its fields.

use crate::scenario::{AttackerDef, EntryVector, Strategy};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub name: String,
    pub strategy: Strategy,
    /// Attack steps in flight at once (0 = unlimited).
    pub parallelism: u32,
    pub max_tries: u32,
    pub stop_at_objective: bool,
    pub entry: Vec<EntryVector>,
}

impl Profile {
    pub const NAMES: &'static [&'static str] = &["opportunistic"];

    pub fn builtin(name: &str) -> Option<Profile> {
        match name {
            // A commodity intruder: tries whatever is in front of it, a few things at a time,
            // and keeps going after it finds something valuable.
            "opportunistic" => Some(Profile {
                name: name.into(),
                strategy: Strategy::Random,
                parallelism: 4,
                max_tries: 2,
                stop_at_objective: false,
                entry: EntryVector::ALL.to_vec(),
            }),
            _ => None,
        }
    }

    /// The scenario's attacker: its profile with the scenario's overrides applied.
    pub fn from_def(def: &AttackerDef) -> Profile {
        let mut p = def
            .profile
            .as_deref()
            .and_then(Profile::builtin)
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
        p
    }
}
