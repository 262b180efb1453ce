//! The trainer's command language: parsing a typed line into a [`Command`], printing a
//! command back in canonical form (what the session log and saved files hold), times and
//! durations, and the help text. Pure: no estate, no I/O.

use crate::model::RelationKind;
use std::fmt;

/// A change to the estate during an exercise: an edit of the World, after which only the
/// touched edges are recompiled and the trial goes on.
#[derive(Clone, Debug, PartialEq)]
pub enum EstateEdit {
    /// `edit remove-relation TYPE FROM TO`.
    RemoveRelation {
        /// The relation's kind.
        kind: RelationKind,
        /// Its source asset.
        from: String,
        /// Its target asset.
        to: String,
    },
    /// `edit add-relation TYPE FROM TO`.
    AddRelation {
        /// The relation's kind.
        kind: RelationKind,
        /// Its source asset.
        from: String,
        /// Its target asset.
        to: String,
    },
    /// `edit remove-asset ID`.
    RemoveAsset(String),
    /// `edit set ID FIELD VALUE`: one field of an asset, as a scenario writes it.
    Set {
        /// The asset.
        id: String,
        /// The field (`edr`, `segment`, `mfa`, ...).
        field: String,
        /// The value as typed (a YAML scalar).
        value: String,
    },
}

impl fmt::Display for EstateEdit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EstateEdit::RemoveRelation { kind, from, to } => {
                write!(f, "remove-relation {} {from} {to}", kind.name())
            }
            EstateEdit::AddRelation { kind, from, to } => {
                write!(f, "add-relation {} {from} {to}", kind.name())
            }
            EstateEdit::RemoveAsset(id) => write!(f, "remove-asset {id}"),
            EstateEdit::Set { id, field, value } => write!(f, "set {id} {field} {value}"),
        }
    }
}

impl EstateEdit {
    /// The edit as a what-if patch (see [`crate::scenario::Patch`]).
    pub fn to_patch(&self) -> crate::scenario::Patch {
        use crate::scenario::{Patch, RelationRef};
        let rel = |kind: &RelationKind, from: &str, to: &str| RelationRef {
            kind: *kind,
            from: from.to_string(),
            to: to.to_string(),
        };
        let mut p = Patch::default();
        match self {
            EstateEdit::RemoveRelation { kind, from, to } => {
                p.remove_relations.push(rel(kind, from, to))
            }
            EstateEdit::AddRelation { kind, from, to } => {
                p.add_relations.push(crate::scenario::RelationDef {
                    kind: *kind,
                    from: from.clone(),
                    to: to.clone(),
                    role: None,
                    eligible: false,
                    p: None,
                    mean_hours: None,
                    noise: None,
                })
            }
            EstateEdit::RemoveAsset(id) => p.remove_assets.push(id.clone()),
            EstateEdit::Set { id, field, value } => {
                // The value as YAML reads it: `true`, `30`, `[smb, rdp]`, or a plain string.
                let v = serde_saphyr::from_str::<serde_json::Value>(value)
                    .unwrap_or_else(|_| serde_json::Value::String(value.clone()));
                let mut m = serde_json::Map::new();
                m.insert("id".into(), serde_json::Value::String(id.clone()));
                m.insert(field.clone(), v);
                p.modify_assets.push(m);
            }
        }
        p
    }
}

/// Parses the words after `edit`.
fn parse_edit(args: &[&str]) -> Result<EstateEdit, String> {
    const USAGE: &str = "usage: edit remove-relation TYPE FROM TO | edit add-relation TYPE FROM TO | edit remove-asset ID | edit set ID FIELD VALUE";
    let kind = |k: &str| {
        RelationKind::ALL
            .iter()
            .copied()
            .find(|r| r.name() == k)
            .ok_or_else(|| {
                let names = RelationKind::ALL.map(|r| r.name());
                crate::suggest::unknown_message(
                    &format!("unknown relation type `{k}`"),
                    crate::suggest::did_you_mean(k, names),
                    Some(&format!("types: {}", names.join(", "))),
                )
            })
    };
    Ok(match args {
        ["remove-relation", k, from, to] => EstateEdit::RemoveRelation {
            kind: kind(k)?,
            from: from.to_string(),
            to: to.to_string(),
        },
        ["add-relation", k, from, to] => EstateEdit::AddRelation {
            kind: kind(k)?,
            from: from.to_string(),
            to: to.to_string(),
        },
        ["remove-asset", id] => EstateEdit::RemoveAsset(id.to_string()),
        ["set", id, field, value @ ..] if !value.is_empty() => EstateEdit::Set {
            id: id.to_string(),
            field: field.to_string(),
            value: value.join(" "),
        },
        _ => return Err(USAGE.into()),
    })
}

/// How far `step` moves the clock.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StepArg {
    /// Until this many attack steps have finished (`step`, `step 3`).
    Actions(u32),
    /// A duration (`step 4h`, `step 30m`, `step 2d`).
    Duration(Duration),
}

/// A duration as typed, kept in its unit so that the canonical form reads back exactly.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Duration {
    /// The amount, in `unit`s (non-negative).
    pub value: f64,
    /// `m`, `h` or `d`.
    pub unit: char,
}

impl Duration {
    /// The duration in hours.
    pub fn hours(self) -> f64 {
        match self.unit {
            'm' => self.value / 60.0,
            'd' => self.value * 24.0,
            _ => self.value,
        }
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.value, self.unit)
    }
}

/// What `run until` waits for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Until {
    /// The next step the defenders get an alert for.
    Detection,
    /// The next crown jewel the attacker compromises.
    CrownJewel,
    /// An absolute time, in hours since the start.
    Time(f64),
}

/// One tabletop command, parsed; its `Display` is the canonical form that parses back to
/// it. Asset arguments are scenario ids.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// `step`: advance by attack steps or by a duration.
    Step(StepArg),
    /// `run until ...`: advance until an event or a time.
    Run(Until),
    /// `status`: time, blast radius, alerts, containment, active controls.
    Status,
    /// `map [FILE.svg]`: the estate by segment as text; with a path, also an SVG snapshot.
    Map(Option<String>),
    /// `alerts`: every alert the defenders received so far.
    Alerts,
    // Defender injects.
    /// `isolate ASSET`: isolate a device (or take any asset offline).
    Isolate(String),
    /// `disable IDENTITY`: disable an account.
    Disable(String),
    /// `reset IDENTITY`: reset an account's credentials (passwords, hashes, tokens).
    Reset(String),
    /// `revoke IDENTITY`: revoke an account's sessions and tokens (passwords stay valid).
    Revoke(String),
    /// `block SEGMENT`: cut off a segment, containing every foothold held in it now.
    Block(String),
    /// `enable CONTROL [ASSET...]`: switch a catalog control on.
    Enable {
        /// The control's catalog id.
        control: String,
        /// Asset ids to cover; empty: the control's own scope.
        scope: Vec<String>,
    },
    /// `disable-control CONTROL`: switch off a control the set or an `enable` brought.
    DisableControl(String),
    // Attacker injects.
    /// `phish USER`: the user falls for a phish; the attacker gets the password.
    Phish(String),
    /// `exploit ASSET`: an exploit gives admin on an application or device.
    Exploit(String),
    /// `insider IDENTITY [DEVICE]`: an insider signs in, and sits at a device if given.
    Insider {
        /// The identity the insider signs in as.
        identity: String,
        /// The device the insider gets a foothold on; `None`: no device.
        device: Option<String>,
    },
    /// `foothold DEVICE`: a user-level foothold on a device.
    Foothold(String),
    /// A facilitator's note, kept in the log and the transcript.
    Note(String),
    /// A facilitator's change to the estate.
    Edit(EstateEdit),
    // Session.
    /// `undo`: take back the last logged command (the log is replayed without it).
    Undo,
    /// `rewind TIME`: go back to this many hours since the start by replaying the log.
    Rewind(f64),
    /// `branch NAME`: fork here; the current line keeps its name, play goes on in NAME.
    Branch(String),
    /// `switch NAME`: go to another branch.
    Switch(String),
    /// `branches`: list the branches.
    Branches,
    /// `save FILE.yaml`: write the session log (replayable with `load` or `--script`).
    Save(String),
    /// `load FILE.yaml`: replay a saved session log.
    Load(String),
    /// `export DIR`: write the transcript, map, blast-radius chart and session log there.
    Export(String),
    /// `god [on|off]`: show every attacker action, not only alerts; `None` toggles.
    God(Option<bool>),
    /// The full observable trial state as JSON (tests, debugging).
    State,
    /// `help [COMMAND]`: every command, or one.
    Help(Option<String>),
    /// `quit`: end the session.
    Quit,
}

impl Command {
    /// Whether the command changes the trial, and so goes into the session log (and is
    /// replayed by undo, rewind, switch and load).
    pub fn is_logged(&self) -> bool {
        matches!(
            self,
            Command::Step(_)
                | Command::Run(_)
                | Command::Isolate(_)
                | Command::Disable(_)
                | Command::Reset(_)
                | Command::Revoke(_)
                | Command::Block(_)
                | Command::Enable { .. }
                | Command::DisableControl(_)
                | Command::Phish(_)
                | Command::Exploit(_)
                | Command::Insider { .. }
                | Command::Foothold(_)
                | Command::Edit(_)
                | Command::Note(_)
        )
    }

    /// Whether the command only shows or writes something. A script logs these too (as
    /// no-ops with their notes, so the transcript keeps every scripted moment); replay skips
    /// them.
    pub fn is_display(&self) -> bool {
        matches!(
            self,
            Command::Status
                | Command::Map(_)
                | Command::Alerts
                | Command::God(_)
                | Command::State
                | Command::Help(_)
                | Command::Branches
                | Command::Save(_)
                | Command::Export(_)
        )
    }

    /// Whether the command moves the clock (and so takes a rewind's cap).
    pub fn moves_clock(&self) -> bool {
        matches!(self, Command::Step(_) | Command::Run(_))
    }

    /// Whether it is something the attacker does (an attacker inject).
    pub fn is_attacker_inject(&self) -> bool {
        matches!(
            self,
            Command::Phish(_)
                | Command::Exploit(_)
                | Command::Insider { .. }
                | Command::Foothold(_)
        )
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Step(StepArg::Actions(1)) => write!(f, "step"),
            Command::Step(StepArg::Actions(n)) => write!(f, "step {n}"),
            Command::Step(StepArg::Duration(d)) => write!(f, "step {d}"),
            Command::Run(Until::Detection) => write!(f, "run until detection"),
            Command::Run(Until::CrownJewel) => write!(f, "run until crown-jewel"),
            Command::Run(Until::Time(h)) => write!(f, "run until time {h}"),
            Command::Status => write!(f, "status"),
            Command::Map(None) => write!(f, "map"),
            Command::Map(Some(p)) => write!(f, "map {p}"),
            Command::Alerts => write!(f, "alerts"),
            Command::Isolate(x) => write!(f, "isolate {x}"),
            Command::Disable(x) => write!(f, "disable {x}"),
            Command::Reset(x) => write!(f, "reset {x}"),
            Command::Revoke(x) => write!(f, "revoke {x}"),
            Command::Block(x) => write!(f, "block {x}"),
            Command::Enable { control, scope } => {
                write!(f, "enable {control}")?;
                for s in scope {
                    write!(f, " {s}")?;
                }
                Ok(())
            }
            Command::DisableControl(x) => write!(f, "disable-control {x}"),
            Command::Phish(x) => write!(f, "phish {x}"),
            Command::Exploit(x) => write!(f, "exploit {x}"),
            Command::Insider {
                identity,
                device: None,
            } => write!(f, "insider {identity}"),
            Command::Insider {
                identity,
                device: Some(d),
            } => write!(f, "insider {identity} {d}"),
            Command::Foothold(x) => write!(f, "foothold {x}"),
            Command::Note(t) => write!(f, "note {t}"),
            Command::Edit(x) => write!(f, "edit {x}"),
            Command::Undo => write!(f, "undo"),
            Command::Rewind(h) => write!(f, "rewind {h}"),
            Command::Branch(n) => write!(f, "branch {n}"),
            Command::Switch(n) => write!(f, "switch {n}"),
            Command::Branches => write!(f, "branches"),
            Command::Save(p) => write!(f, "save {p}"),
            Command::Load(p) => write!(f, "load {p}"),
            Command::Export(p) => write!(f, "export {p}"),
            Command::God(None) => write!(f, "god"),
            Command::God(Some(true)) => write!(f, "god on"),
            Command::God(Some(false)) => write!(f, "god off"),
            Command::State => write!(f, "state"),
            Command::Help(None) => write!(f, "help"),
            Command::Help(Some(c)) => write!(f, "help {c}"),
            Command::Quit => write!(f, "quit"),
        }
    }
}

/// Every command word, for help and tab completion.
pub const COMMANDS: &[(&str, &str, &str)] = &[
    (
        "step",
        "step [N|DURATION]",
        "advance until the next attack step finishes, N steps, or a duration (4h, 30m, 2d)",
    ),
    (
        "run",
        "run until detection|crown-jewel|time H",
        "advance until the next alert, the next crown jewel falls, or hour H (or T+HH:MM)",
    ),
    (
        "edit",
        "edit remove-relation|add-relation TYPE FROM TO | remove-asset ID | set ID FIELD VALUE",
        "facilitator: change the estate mid-exercise; only the edges it touches are recompiled",
    ),
    (
        "status",
        "status",
        "time, blast radius, alerts, containment, active controls",
    ),
    (
        "map",
        "map [FILE.svg]",
        "text view of the estate by segment; with FILE also an SVG snapshot",
    ),
    (
        "alerts",
        "alerts",
        "every alert the defenders received so far",
    ),
    (
        "isolate",
        "isolate ASSET",
        "defender: isolate a device (or take any asset offline)",
    ),
    (
        "disable",
        "disable IDENTITY",
        "defender: disable an account",
    ),
    (
        "reset",
        "reset IDENTITY",
        "defender: reset an account's credentials (passwords, hashes, tokens)",
    ),
    (
        "revoke",
        "revoke IDENTITY",
        "defender: revoke an account's sessions and tokens (passwords stay valid)",
    ),
    (
        "block",
        "block SEGMENT",
        "defender: cut off a segment: contains every foothold held in it now",
    ),
    (
        "enable",
        "enable CONTROL [ASSET...]",
        "defender: switch a catalog control on (for the listed assets only, if given)",
    ),
    (
        "disable-control",
        "disable-control CONTROL",
        "switch a control off (one the set or an earlier `enable` brought)",
    ),
    (
        "phish",
        "phish USER",
        "attacker inject: a user falls for a phish (the attacker gets the password)",
    ),
    (
        "exploit",
        "exploit APP-OR-DEVICE",
        "attacker inject: an exploit gives admin on an application or device",
    ),
    (
        "insider",
        "insider IDENTITY [DEVICE]",
        "attacker inject: an insider signs in (and sits at a device)",
    ),
    (
        "foothold",
        "foothold DEVICE",
        "attacker inject: a user-level foothold on a device",
    ),
    (
        "note",
        "note TEXT",
        "facilitator's note, kept in the log and the transcript",
    ),
    (
        "undo",
        "undo",
        "take back the last logged command (replays the log)",
    ),
    (
        "rewind",
        "rewind TIME",
        "go back to a time (hours, 6h, T+06:00) by replaying the log up to it",
    ),
    (
        "branch",
        "branch NAME",
        "fork the session here: the current line stays under its name, play goes on in NAME",
    ),
    ("switch", "switch NAME", "go to another branch"),
    ("branches", "branches", "list the branches"),
    (
        "save",
        "save FILE.yaml",
        "write the session log (replayable with load or --script)",
    ),
    ("load", "load FILE.yaml", "replay a saved session log"),
    (
        "export",
        "export DIR",
        "write transcript.md, map.svg, blast-radius.svg and session.yaml",
    ),
    (
        "god",
        "god [on|off]",
        "toggle god view: show every attacker action, not only alerts",
    ),
    (
        "state",
        "state",
        "the full trial state as JSON (for tests and debugging)",
    ),
    ("help", "help [COMMAND]", "this list, or one command"),
    ("quit", "quit", "end the session (also end of input)"),
];

/// The help text: every command, or one.
pub fn help(topic: Option<&str>) -> String {
    let mut out = String::new();
    match topic {
        Some(t) => match COMMANDS.iter().find(|c| c.0 == t) {
            Some((_, usage, what)) => out.push_str(&format!("{usage}\n    {what}\n")),
            None => out.push_str(&format!("no command `{t}`; `help` lists them\n")),
        },
        None => {
            out.push_str(
                "Commands (asset ids as in the scenario; times in hours unless a unit is given):\n",
            );
            for (_, usage, what) in COMMANDS {
                out.push_str(&format!("  {usage:<38} {what}\n"));
            }
        }
    }
    out
}

/// Hours since the start as `T+HH:MM` (to the nearest minute; hours may exceed 24).
pub fn fmt_time(h: f64) -> String {
    if !h.is_finite() {
        return "T+end".into();
    }
    let m = (h.max(0.0) * 60.0).round() as u64;
    format!("T+{:02}:{:02}", m / 60, m % 60)
}

fn parse_number(s: &str) -> Option<f64> {
    let v: f64 = s.parse().ok()?;
    (v.is_finite() && v >= 0.0).then_some(v)
}

/// The longest duration or latest time a command accepts, in hours (over 100,000 years):
/// anything larger would print as `inf` or lose its digits, and a saved session could not
/// be replayed.
pub const MAX_HOURS: f64 = 1e9;

/// A duration: `4h`, `30m`, `2d`, or a plain number of hours, at most [`MAX_HOURS`]. The
/// same check runs on typed commands and on replayed ones, so whatever is logged reads back.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let (num, unit) = match s.chars().last()? {
        c @ ('h' | 'm' | 'd') => (&s[..s.len() - 1], c),
        _ => (s, 'h'),
    };
    let d = Duration {
        value: parse_number(num)?,
        unit,
    };
    (d.hours() <= MAX_HOURS).then_some(d)
}

/// A point in time, in hours: `6`, `6h`, `90m`, `1d`, `T+06:30`, `06:30`.
pub fn parse_time(s: &str) -> Option<f64> {
    let s = s
        .strip_prefix("T+")
        .or_else(|| s.strip_prefix("t+"))
        .unwrap_or(s);
    if let Some((h, m)) = s.split_once(':') {
        let h: u64 = h.parse().ok()?;
        let m: u64 = m.parse().ok()?;
        if m >= 60 {
            return None;
        }
        let t = h as f64 + m as f64 / 60.0;
        return (t <= MAX_HOURS).then_some(t);
    }
    parse_duration(s).map(Duration::hours)
}

fn one_arg(word: &str, args: &[&str], what: &str) -> Result<String, String> {
    match args {
        [x] => Ok(x.to_string()),
        [] => Err(format!("`{word}` needs {what}")),
        _ => Err(format!("`{word}` takes one {what}, got {}", args.len())),
    }
}

/// Parses one line. Blank lines and `#` comments are `Ok(None)`.
pub fn parse(line: &str) -> Result<Option<Command>, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let mut words = line.split_whitespace();
    let word = words.next().unwrap_or_default().to_ascii_lowercase();
    let args: Vec<&str> = words.collect();
    let cmd = match word.as_str() {
        "step" | "s" | "next" => match args.as_slice() {
            [] => Command::Step(StepArg::Actions(1)),
            [a] => {
                if let Ok(n) = a.parse::<u32>() {
                    if n == 0 {
                        return Err("`step 0` does nothing; use `step N` with N >= 1".into());
                    }
                    Command::Step(StepArg::Actions(n))
                } else {
                    match parse_duration(a) {
                        Some(d) if a.ends_with(['h', 'm', 'd']) => {
                            Command::Step(StepArg::Duration(d))
                        }
                        _ => {
                            return Err(format!(
                                "`step {a}`: expected a number of steps (3) or a duration (4h, 30m, 2d)"
                            ));
                        }
                    }
                }
            }
            _ => return Err("`step` takes at most one argument: N or a duration".into()),
        },
        "run" => {
            let rest: Vec<&str> = if args.first() == Some(&"until") {
                args[1..].to_vec()
            } else {
                args.clone()
            };
            match rest.as_slice() {
                ["detection"] | ["alert"] => Command::Run(Until::Detection),
                ["crown-jewel"] | ["crown_jewel"] | ["crown", "jewel"] => {
                    Command::Run(Until::CrownJewel)
                }
                ["time", t] | [t] if parse_time(t).is_some() => {
                    Command::Run(Until::Time(parse_time(t).unwrap_or(0.0)))
                }
                _ => {
                    return Err(
                        "usage: run until detection | run until crown-jewel | run until time H (hours or T+HH:MM)"
                            .into(),
                    );
                }
            }
        }
        "status" => Command::Status,
        "map" => match args.as_slice() {
            [] => Command::Map(None),
            [f] => Command::Map(Some(f.to_string())),
            _ => return Err("usage: map [FILE.svg]".into()),
        },
        "alerts" => Command::Alerts,
        "isolate" => Command::Isolate(one_arg(&word, &args, "asset id")?),
        "disable" => Command::Disable(one_arg(&word, &args, "identity id")?),
        "reset" => Command::Reset(one_arg(&word, &args, "identity id")?),
        "revoke" => Command::Revoke(one_arg(&word, &args, "identity id")?),
        "block" => Command::Block(one_arg(&word, &args, "segment id")?),
        "enable" => match args.split_first() {
            Some((c, scope)) => Command::Enable {
                control: c.to_ascii_uppercase(),
                scope: scope.iter().map(|s| s.to_string()).collect(),
            },
            None => return Err("usage: enable CONTROL [ASSET...] (e.g. enable C01)".into()),
        },
        "disable-control" => {
            Command::DisableControl(one_arg(&word, &args, "control id")?.to_ascii_uppercase())
        }
        "phish" => Command::Phish(one_arg(&word, &args, "user id")?),
        "exploit" => Command::Exploit(one_arg(&word, &args, "application or device id")?),
        "insider" => match args.as_slice() {
            [i] => Command::Insider {
                identity: i.to_string(),
                device: None,
            },
            [i, d] => Command::Insider {
                identity: i.to_string(),
                device: Some(d.to_string()),
            },
            _ => return Err("usage: insider IDENTITY [DEVICE]".into()),
        },
        "foothold" => Command::Foothold(one_arg(&word, &args, "device id")?),
        "edit" => Command::Edit(parse_edit(&args)?),
        "note" => {
            if args.is_empty() {
                return Err("usage: note TEXT".into());
            }
            Command::Note(args.join(" "))
        }
        "undo" => Command::Undo,
        "rewind" => match args.as_slice() {
            [t] => Command::Rewind(parse_time(t).ok_or_else(|| {
                format!("`rewind {t}`: expected a time such as 6, 6h or T+06:00")
            })?),
            _ => return Err("usage: rewind TIME (6, 6h, T+06:00)".into()),
        },
        "branch" => Command::Branch(one_arg(&word, &args, "name")?),
        "switch" => Command::Switch(one_arg(&word, &args, "branch name")?),
        "branches" => Command::Branches,
        "save" => Command::Save(one_arg(&word, &args, "file name")?),
        "load" => Command::Load(one_arg(&word, &args, "file name")?),
        "export" => Command::Export(one_arg(&word, &args, "directory")?),
        "god" => match args.as_slice() {
            [] => Command::God(None),
            ["on"] => Command::God(Some(true)),
            ["off"] => Command::God(Some(false)),
            _ => return Err("usage: god [on|off]".into()),
        },
        "state" => Command::State,
        "help" | "?" => Command::Help(args.first().map(|s| s.to_string())),
        "quit" | "exit" | "q" => Command::Quit,
        other => {
            return Err(crate::suggest::unknown_message(
                &format!("unknown command `{other}`"),
                crate::suggest::did_you_mean(other, COMMANDS.iter().map(|c| c.0)),
                Some("`help` lists them"),
            ));
        }
    };
    Ok(Some(cmd))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_reads_back() {
        for line in [
            "step",
            "step 3",
            "step 4h",
            "step 30m",
            "step 1.5d",
            "run until detection",
            "run until crown-jewel",
            "run until time 5.333333333333333",
            "isolate ws-01",
            "enable C01 u-a u-b",
            "insider u-x ws-1",
            "note Team isolates the CFO desktop",
            "rewind 6",
            "god on",
        ] {
            let c = parse(line).unwrap().unwrap();
            assert_eq!(c.to_string(), line);
            assert_eq!(parse(&c.to_string()).unwrap().unwrap(), c);
        }
    }

    #[test]
    fn times_and_errors() {
        assert_eq!(parse_time("T+06:30"), Some(6.5));
        assert_eq!(parse_time("90m"), Some(1.5));
        assert_eq!(parse_time("1d"), Some(24.0));
        assert_eq!(fmt_time(26.25), "T+26:15");
        assert_eq!(
            parse("run until T+02:00").unwrap(),
            Some(Command::Run(Until::Time(2.0)))
        );
        assert!(
            parse("isolat ws-1")
                .unwrap_err()
                .contains("did you mean `isolate`")
        );
        assert!(parse("step x").is_err());
        assert_eq!(parse("  # comment").unwrap(), None);
    }
}
