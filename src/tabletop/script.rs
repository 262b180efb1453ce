//! Scripted exercises and saved sessions share one YAML format: a header (title, audience,
//! duration, learning objectives, facilitator notes, and optionally the scenario, control
//! set, profile, seed and trial it was written for) and a list of steps
//! `{at: HOURS, do: "COMMAND", note: "..."}`. The runner ([`super::play::run_script`])
//! advances the clock to each step's time and runs its command; `save` writes a session's log in the same format, so a saved
//! session replays with `load` or `--script`.
//!
//! Problems are reported like scenario problems: `file:line:column: error: steps[3].do: ...`.

use super::command::{self, Command, fmt_time};
use super::session::{Config, Entry, ExerciseInfo, Session};
use crate::error::{Diagnostic, Diagnostics, Error, Result};
use crate::limits::Limits;
use serde::Deserialize;
use std::path::Path;

/// The exercise file as written: a header and the steps.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exercise {
    /// Title of the exercise.
    pub title: String,
    /// Who the exercise is for.
    #[serde(default)]
    pub audience: Option<String>,
    /// Planned length, in words (`90 minutes`).
    #[serde(default)]
    pub duration: Option<String>,
    /// The scenario the exercise is written for (informational: the command line names
    /// the scenario played).
    #[serde(default)]
    pub scenario: Option<String>,
    /// Defaults for the command line's --controls, --profile, --seed and --trial.
    #[serde(default)]
    pub controls: Option<String>,
    /// Default attacker profile for the command line's `--profile`.
    #[serde(default)]
    pub profile: Option<String>,
    /// Default master seed for `--seed`.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Default trial index for `--trial`.
    #[serde(default)]
    pub trial: Option<u64>,
    /// Learning objectives, one per entry.
    #[serde(default)]
    pub objectives: Vec<String>,
    /// Notes for the facilitator, shown at the start.
    #[serde(default)]
    pub facilitator_notes: Option<String>,
    /// The steps, in the order played (a browser exercise may have none).
    #[serde(default)]
    pub steps: Vec<StepDef>,
    /// Live play in the browser: the roles (seats).
    #[serde(default)]
    pub roles: Vec<super::exercise::RoleDef>,
    /// Live play: each player action's delay in hours, where not the default.
    #[serde(default)]
    pub delays: std::collections::BTreeMap<String, f64>,
    /// Live play: expected actions with scores, deadlines and hints.
    #[serde(default)]
    pub expectations: Vec<super::exercise::ExpectationDef>,
    /// Live play: triggered injects.
    #[serde(default)]
    pub injects: Vec<super::exercise::InjectDef>,
}

impl Exercise {
    /// The live-play part of the exercise.
    pub fn live(&self) -> super::exercise::LivePlay {
        super::exercise::LivePlay {
            roles: self.roles.clone(),
            delays: self.delays.clone(),
            expectations: self.expectations.clone(),
            injects: self.injects.clone(),
        }
    }
}

/// One step of an exercise: at a time, a command, and an optional note.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepDef {
    /// Hours since the start.
    pub at: f64,
    /// The tabletop command to run (`advance 4h`, `inject ...`).
    #[serde(rename = "do")]
    pub command: String,
    /// Facilitator's note for this moment: what to ask, what to look for.
    #[serde(default)]
    pub note: Option<String>,
    /// Caps a clock command at this time (written by `save` after a rewind).
    #[serde(default)]
    pub until: Option<f64>,
}

/// A loaded exercise with its source, for located errors.
pub struct Script {
    /// The exercise as written.
    pub exercise: Exercise,
    /// The parsed command of each step, aligned with `exercise.steps`.
    pub commands: Vec<Command>,
    /// Where the script came from (its path), for messages.
    pub origin: String,
    text: String,
}

impl Script {
    /// A located error about field `path`.
    pub fn error_at(&self, path: &str, msg: impl Into<String>) -> Error {
        invalid(&self.text, &self.origin, Diagnostic::error(path, msg))
    }

    /// The header as a session shows it (title, audience, objectives, notes, file).
    pub fn info(&self) -> ExerciseInfo {
        let e = &self.exercise;
        ExerciseInfo {
            title: e.title.clone(),
            audience: e.audience.clone(),
            duration: e.duration.clone(),
            objectives: e.objectives.clone(),
            facilitator_notes: e.facilitator_notes.clone(),
            file: self.origin.clone(),
        }
    }
}

fn invalid(text: &str, origin: &str, d: Diagnostic) -> Error {
    Error::Invalid(Diagnostics {
        file: origin.to_string(),
        items: crate::scenario::locate_all(text, vec![d]),
    })
}

/// Reads an exercise file and checks its structure and command syntax.
pub fn load(path: &Path, limits: &Limits) -> Result<Script> {
    let text = crate::scenario::read_scenario_text(path, limits)?;
    parse(&text, &path.display().to_string(), limits)
}

/// Parses exercise text: YAML syntax, fields, times and command syntax, each problem with
/// its location.
pub fn parse(text: &str, origin: &str, limits: &Limits) -> Result<Script> {
    let err = |d: Diagnostic| invalid(text, origin, d);
    let kind = crate::scenario::DocKind {
        called: "exercise file",
        needs: "an exercise needs `title:` and a `steps:` list of {at, do}",
    };
    // Exercises are YAML (JSON is YAML's flow syntax, and reads as such).
    let exercise: Exercise =
        crate::scenario::parse_strict(text, false, limits, kind).map_err(|mut d| {
            // The only numbers of an exercise are times.
            if d.message.contains("floating point") || d.message.contains("expected a number") {
                d.message = "expected a number of hours".into();
            }
            err(d)
        })?;
    let mut commands = Vec::new();
    let mut prev = 0.0;
    for (i, s) in exercise.steps.iter().enumerate() {
        if !s.at.is_finite() || s.at < 0.0 {
            return Err(err(Diagnostic::error(
                format!("steps[{i}].at"),
                format!(
                    "`at` must be hours since the start (0 or more), got {}",
                    s.at
                ),
            )));
        }
        if s.at < prev {
            return Err(err(Diagnostic::error(
                format!("steps[{i}].at"),
                format!(
                    "steps must be in time order: {} comes after {}",
                    fmt_time(s.at),
                    fmt_time(prev)
                ),
            )
            .with_hint("sort the steps by `at`")));
        }
        prev = s.at;
        if let Some(u) = s.until
            && (!u.is_finite() || u < s.at)
        {
            return Err(err(Diagnostic::error(
                format!("steps[{i}].until"),
                "`until` must be a time no earlier than `at`",
            )));
        }
        match command::parse(&s.command) {
            Ok(Some(c)) => {
                if matches!(c, Command::Quit | Command::Load(_)) {
                    return Err(err(Diagnostic::error(
                        format!("steps[{i}].do"),
                        format!("`{c}` cannot be scripted"),
                    )));
                }
                // An exercise file is input, not a user: it must not choose paths to write.
                if matches!(
                    c,
                    Command::Save(_) | Command::Export(_) | Command::Map(Some(_))
                ) {
                    return Err(err(Diagnostic::error(
                        format!("steps[{i}].do"),
                        format!(
                            "`{c}` cannot be scripted: a script does not choose files to write"
                        ),
                    )
                    .with_hint("use --transcript, or type the command in the session")));
                }
                commands.push(c);
            }
            Ok(None) => {
                return Err(err(Diagnostic::error(
                    format!("steps[{i}].do"),
                    "empty command",
                )));
            }
            Err(m) => {
                return Err(err(Diagnostic::error(format!("steps[{i}].do"), m)
                    .with_hint(
                        "`ztsim tabletop SCENARIO` then `help` lists the commands",
                    )));
            }
        }
    }
    exercise.live().check().map_err(err)?;
    Ok(Script {
        exercise,
        commands,
        origin: origin.to_string(),
        text: text.to_string(),
    })
}

impl Script {
    /// Checks every step's command against the scenario: asset ids, kinds, controls.
    pub fn validate(&self, s: &Session) -> Result<()> {
        for (i, c) in self.commands.iter().enumerate() {
            s.check_static(c)
                .map_err(|m| self.error_at(&format!("steps[{i}].do"), m))?;
        }
        Ok(())
    }
}

/// Replays a saved session (or an exercise's logged steps) into `s`, taking the file's
/// control set, profile, seed and trial. Returns the decisions replayed.
pub fn load_into(s: &mut Session, path: &Path) -> Result<usize> {
    let script = load(path, &Limits::default())?;
    script.validate(s)?;
    let e = &script.exercise;
    let cfg = Config {
        scenario: s.cfg.scenario.clone(),
        controls: e.controls.clone().unwrap_or_else(|| s.cfg.controls.clone()),
        profile: e.profile.clone().or_else(|| s.cfg.profile.clone()),
        seed: e.seed.unwrap_or(s.cfg.seed),
        trial: e.trial.unwrap_or(s.cfg.trial),
    };
    let profile_changed = cfg.profile != s.cfg.profile;
    let entries: Vec<Entry> = e
        .steps
        .iter()
        .zip(&script.commands)
        .filter(|(_, c)| c.is_logged() || c.is_display())
        .map(|(st, c)| Entry {
            at: st.at,
            cmd: c.clone(),
            note: st.note.clone(),
            until: st.until,
        })
        .collect();
    let n = entries.len();
    let old = s.cfg.clone();
    s.set_config(cfg, profile_changed)?;
    if let Err(m) = s.replay(entries) {
        // Leave the session as it was.
        let _ = s.set_config(old, profile_changed);
        return Err(script.error_at("steps", m));
    }
    Ok(n)
}

fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// The session's log in the exercise format.
pub fn to_yaml(s: &Session) -> String {
    let mut o = String::new();
    o.push_str("# ztsim tabletop session log. Replay: `load FILE` in a session, or\n");
    o.push_str("# `ztsim tabletop SCENARIO --script FILE`.\n");
    let title = s
        .exercise
        .as_ref()
        .map(|e| e.title.clone())
        .unwrap_or_else(|| format!("Tabletop session on {}", s.estate().name));
    o.push_str(&format!("title: {}\n", q(&title)));
    if let Some(e) = &s.exercise {
        if let Some(a) = &e.audience {
            o.push_str(&format!("audience: {}\n", q(a)));
        }
        if let Some(d) = &e.duration {
            o.push_str(&format!("duration: {}\n", q(d)));
        }
        if !e.objectives.is_empty() {
            o.push_str("objectives:\n");
            for x in &e.objectives {
                o.push_str(&format!("  - {}\n", q(x)));
            }
        }
        if let Some(n) = &e.facilitator_notes {
            o.push_str(&format!("facilitator_notes: {}\n", q(n)));
        }
    }
    o.push_str(&format!("scenario: {}\n", q(&s.cfg.scenario)));
    o.push_str(&format!("controls: {}\n", q(&s.cfg.controls)));
    if let Some(p) = &s.cfg.profile {
        o.push_str(&format!("profile: {}\n", q(p)));
    }
    o.push_str(&format!("seed: {}\ntrial: {}\n", s.cfg.seed, s.cfg.trial));
    if s.log().is_empty() {
        o.push_str("steps: []\n");
        return o;
    }
    o.push_str("steps:\n");
    for e in s.log() {
        o.push_str(&format!(
            "  - {{at: {}, do: {}",
            e.at,
            q(&e.cmd.to_string())
        ));
        if let Some(u) = e.until {
            o.push_str(&format!(", until: {u}"));
        }
        if let Some(n) = &e.note {
            o.push_str(&format!(", note: {}", q(n)));
        }
        o.push_str("}\n");
    }
    o
}
