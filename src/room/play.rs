//! The line being played: events, pending player actions, decisions, scores and fired
//! injects, all rebuilt from the requests that made the line; and the facilitator's
//! record that no rewind takes back (pause, reveal, messages, the improvement plan).

use super::Room;
use super::request::{FacCommand, Request, RoomError, What, Who};
use crate::tabletop::command::{self, Command, Until, fmt_time};
use crate::tabletop::exercise::{Action, Channel, LivePlay};
use crate::tabletop::session::Entry;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Who an event is shown to.
#[derive(Clone, Debug, PartialEq)]
pub enum Audience {
    /// Every seat.
    All,
    /// The facilitator only.
    Facilitator,
    /// Seats of these roles (and the facilitator).
    Roles(Vec<String>),
    /// Seats whose role sees this channel (and the facilitator).
    Channel(Channel),
    /// The seats of one role, and roles that see escalations (a player's action).
    Actor(String),
    /// An alert: seats that see every alert, or alerts of this kind of asset.
    Alert {
        /// It names an identity.
        identity: bool,
        /// It names a device, application or infrastructure asset.
        device: bool,
    },
}

/// One item of the timeline.
#[derive(Clone, Debug, Serialize)]
pub struct Event {
    /// Hours since the start.
    pub t: f64,
    /// `action`, `effect`, `inject`, `message`, `hint`, `expectation`, `clock`.
    pub kind: &'static str,
    /// What happened, in words.
    pub text: String,
    /// Assets it names.
    pub assets: Vec<String>,
    /// The seat that acted, for actions.
    pub seat: Option<String>,
    /// The client's id of the request, for actions (a client checks its actions landed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Who sees it.
    #[serde(skip)]
    pub to: Audience,
}

/// A player's action waiting for its modelled delay.
#[derive(Clone, Debug, Serialize)]
pub struct Pending {
    /// The request's client id.
    pub id: String,
    /// The seat.
    pub seat: String,
    /// The action's name.
    pub action: &'static str,
    /// Its target.
    pub target: String,
    /// When it takes effect.
    pub effective_at: f64,
    /// Index of its decision in [`Play::decisions`].
    #[serde(skip)]
    pub decision: usize,
}

/// A decision a seat took, for the score and the after-action report.
#[derive(Clone, Debug)]
pub struct Decision {
    /// When it was taken.
    pub at: f64,
    /// When it took effect in the engine (actions with no engine effect: when taken).
    pub effective_at: f64,
    /// The seat.
    pub seat: String,
    /// The seat's role id.
    pub role: String,
    /// The action.
    pub action: Action,
    /// Its target.
    pub target: String,
    /// Its entry in the session log, once it took effect there.
    pub log_index: Option<usize>,
    /// Points it earned.
    pub points: i32,
}

/// When an expectation was met, by whom, for how many points.
#[derive(Clone, Debug)]
pub struct Met {
    /// When.
    pub at: f64,
    /// By which seat.
    pub seat: String,
    /// Points earned.
    pub earned: i32,
}

/// The state of the line being played.
#[derive(Clone, Debug)]
pub struct Play {
    /// The requests that made this line, with the clock when each was accepted.
    pub line: Vec<(Request, f64)>,
    /// The current branch.
    pub branch: String,
    /// Other branches' lines.
    pub branches: BTreeMap<String, Vec<(Request, f64)>>,
    /// Timeline events of this line.
    pub events: Vec<Event>,
    /// Player actions not yet in effect.
    pub pending: Vec<Pending>,
    /// Every decision taken.
    pub decisions: Vec<Decision>,
    /// Per expectation, when it was met.
    pub met: Vec<Option<Met>>,
    /// Expectations announced as missed.
    pub missed: BTreeSet<usize>,
    /// Expectations whose hint was sent.
    pub hinted: BTreeSet<usize>,
    /// Injects fired.
    pub fired: BTreeSet<usize>,
}

impl Play {
    /// A line at the start.
    pub fn new(live: &LivePlay) -> Play {
        Play {
            line: Vec::new(),
            branch: "main".into(),
            branches: BTreeMap::new(),
            events: Vec::new(),
            pending: Vec::new(),
            decisions: Vec::new(),
            met: vec![None; live.expectations.len()],
            missed: BTreeSet::new(),
            hinted: BTreeSet::new(),
            fired: BTreeSet::new(),
        }
    }
}

/// What rewinds and branches leave alone.
#[derive(Clone, Debug, Default)]
pub struct Meta {
    /// Players cannot act, the clock does not move.
    pub paused: bool,
    /// Every seat sees the attacker's path and holdings.
    pub revealed: bool,
    /// The exercise is over.
    pub ended: bool,
    /// Facilitator messages and notices.
    pub events: Vec<Event>,
    /// The improvement plan the facilitator wrote: (issue, owner, priority).
    pub improvements: Vec<(String, String, String)>,
}

fn bad(m: impl Into<String>) -> RoomError {
    RoomError::new("bad_request", m)
}

fn time_arg(s: &str, what: &str) -> Result<f64, RoomError> {
    command::parse_time(s.trim()).ok_or_else(|| {
        bad(format!(
            "`{what}` must be a time such as 6h, 90m, 1d or T+06:30"
        ))
    })
}

fn text_ok(s: &str, max: usize, what: &str) -> Result<(), RoomError> {
    if s.trim().is_empty() || s.len() > max || s.chars().any(|c| c.is_control() && c != '\n') {
        return Err(bad(format!(
            "`{what}` must be 1 to {max} characters of text"
        )));
    }
    Ok(())
}

impl Room {
    /// Checks a facilitator command without applying it.
    pub(super) fn check_fac(&self, c: &FacCommand) -> Result<(), RoomError> {
        let now = self.session.now();
        match c {
            FacCommand::Advance { by, to } => match (by, to) {
                (Some(d), None) => command::parse_duration(d.trim())
                    .map(|_| ())
                    .ok_or_else(|| bad("`by` must be a duration such as 15m, 1h or 2d")),
                (None, Some(t)) => {
                    let t = time_arg(t, "to")?;
                    if t < now {
                        return Err(bad(format!(
                            "{} has passed; use rewind to go back",
                            fmt_time(t)
                        )));
                    }
                    Ok(())
                }
                _ => Err(bad(
                    "give exactly one of `by` (a duration) or `to` (a time)",
                )),
            },
            FacCommand::Run { until } => match until.as_str() {
                "detection" | "crown-jewel" => Ok(()),
                _ => Err(bad("`until` is `detection` or `crown-jewel`")),
            },
            FacCommand::Inject { line } => {
                text_ok(line, 500, "line")?;
                let cmd = crate::tabletop::exercise::check_command(line).map_err(|m| {
                    RoomError::new(
                        "unknown_action",
                        format!("{m}; clock moves use step, advance or run"),
                    )
                })?;
                if cmd.moves_clock() {
                    return Err(RoomError::new(
                        "unknown_action",
                        "move the clock with step, advance or run",
                    ));
                }
                self.session
                    .check(&cmd)
                    .map_err(|m| RoomError::new("unknown_target", m))
            }
            FacCommand::Rewind { to } => {
                let t = time_arg(to, "to")?;
                if t > now {
                    return Err(bad(format!(
                        "{} is still to come; use advance",
                        fmt_time(t)
                    )));
                }
                Ok(())
            }
            FacCommand::Branch { name } | FacCommand::Switch { name } => {
                if name.is_empty()
                    || name.len() > 40
                    || !name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    return Err(bad("a branch name is 1 to 40 letters, digits, `-` or `_`"));
                }
                match c {
                    FacCommand::Branch { .. }
                        if name == &self.play.branch || self.play.branches.contains_key(name) =>
                    {
                        Err(bad(format!("branch `{name}` exists; switch to it")))
                    }
                    FacCommand::Switch { .. } if !self.play.branches.contains_key(name) => {
                        Err(bad(format!(
                            "no branch `{name}` (branches: {})",
                            self.branch_names().join(", ")
                        )))
                    }
                    _ => Ok(()),
                }
            }
            FacCommand::Message { to, text } => {
                text_ok(text, 2000, "text")?;
                if to != "all" && !self.live.roles.iter().any(|r| &r.id == to) {
                    return Err(RoomError::new("unknown_target", format!("no role `{to}`")));
                }
                Ok(())
            }
            FacCommand::Improve {
                issue,
                owner,
                priority,
            } => {
                text_ok(issue, 500, "issue")?;
                text_ok(owner, 100, "owner")?;
                match priority.as_str() {
                    "high" | "medium" | "low" => Ok(()),
                    _ => Err(bad("`priority` is high, medium or low")),
                }
            }
            FacCommand::Alert { asset, text } => {
                text_ok(text, 500, "text")?;
                self.session
                    .asset_exists(asset)
                    .map_err(|m| RoomError::new("unknown_target", m))
            }
            FacCommand::Reissue { seat, .. } => {
                if self.seats.iter().any(|s| &s.id == seat) {
                    Ok(())
                } else {
                    Err(RoomError::new(
                        "unknown_target",
                        format!("no seat `{seat}`"),
                    ))
                }
            }
            FacCommand::Step
            | FacCommand::Reveal { .. }
            | FacCommand::Pause { .. }
            | FacCommand::End => Ok(()),
        }
    }

    /// Every branch's name, the current one first.
    pub fn branch_names(&self) -> Vec<String> {
        std::iter::once(self.play.branch.clone())
            .chain(self.play.branches.keys().cloned())
            .collect()
    }

    /// Applies a checked request; returns the reply's text and effect time.
    pub(super) fn apply(&mut self, who: Who, req: &Request) -> (String, Option<f64>) {
        let now = self.session.now();
        match (&req.what, who) {
            (What::Act { action, target }, Who::Seat(s)) => {
                self.play.line.push((req.clone(), now));
                self.act(s, &req.id, action, target)
            }
            (What::Facilitator(c), _) => self.facilitate(req, c),
            _ => (String::new(), None),
        }
    }

    fn facilitate(&mut self, req: &Request, c: &FacCommand) -> (String, Option<f64>) {
        let now = self.session.now();
        let keep = |p: &mut Play| p.line.push((req.clone(), now));
        match c {
            FacCommand::Step | FacCommand::Advance { .. } | FacCommand::Run { .. } => {
                keep(&mut self.play);
                (self.move_clock(c), None)
            }
            FacCommand::Inject { line } => {
                keep(&mut self.play);
                (
                    self.inject_line(line, Audience::Facilitator, "inject"),
                    None,
                )
            }
            FacCommand::Rewind { to } => {
                let t = time_arg(to, "to").unwrap_or(now);
                (self.rewind(t), None)
            }
            FacCommand::Branch { name } => {
                let line = self.play.line.clone();
                let old = std::mem::replace(&mut self.play.branch, name.clone());
                self.play.branches.insert(old.clone(), line);
                (
                    format!("Branched: `{old}` is kept; play goes on in `{name}`."),
                    None,
                )
            }
            FacCommand::Switch { name } => (self.switch(name), None),
            FacCommand::Reveal { on } => {
                self.meta.revealed = *on;
                let w = if *on {
                    "revealed to every seat"
                } else {
                    "hidden again"
                };
                self.notice(format!("The attacker's path is {w}."));
                (format!("Attacker's path {w}."), None)
            }
            FacCommand::Pause { on } => {
                self.meta.paused = *on;
                let w = if *on { "paused" } else { "resumed" };
                self.notice(format!("The facilitator {w} the exercise."));
                (format!("Exercise {w}."), None)
            }
            FacCommand::Message { to, text } => {
                let aud = if to == "all" {
                    Audience::All
                } else {
                    Audience::Roles(vec![to.clone()])
                };
                self.meta.events.push(Event {
                    t: now,
                    kind: "message",
                    text: text.clone(),
                    assets: Vec::new(),
                    seat: Some("facilitator".into()),
                    id: None,
                    to: aud,
                });
                (format!("Message sent to {to}."), None)
            }
            FacCommand::Improve {
                issue,
                owner,
                priority,
            } => {
                self.meta
                    .improvements
                    .push((issue.clone(), owner.clone(), priority.clone()));
                ("Added to the improvement plan.".into(), None)
            }
            FacCommand::Alert { asset, text } => {
                keep(&mut self.play);
                let kind = self
                    .session
                    .estate()
                    .index
                    .get(asset)
                    .map(|&n| self.session.estate().node(n).kind);
                let to = Audience::Alert {
                    identity: kind.is_some_and(|k| k.is_identity()),
                    device: kind.is_some_and(|k| k.is_device() || k.is_app() || k.is_infra()),
                };
                self.play.events.push(Event {
                    t: now,
                    kind: "alert",
                    text: text.clone(),
                    assets: vec![asset.clone()],
                    seat: None,
                    id: None,
                    to,
                });
                (format!("Alert on {asset} injected."), None)
            }
            FacCommand::Reissue { seat, new_token } => {
                let tok = new_token.clone().unwrap_or_default();
                if let Some(s) = self.seats.iter_mut().find(|s| &s.id == seat) {
                    s.token = tok;
                }
                (
                    format!("A new link for {seat}; the old one no longer works."),
                    None,
                )
            }
            FacCommand::End => {
                self.meta.ended = true;
                self.notice(
                    "The facilitator ended the exercise. The after-action report is ready.".into(),
                );
                ("Exercise ended.".into(), None)
            }
        }
    }

    /// A notice to everyone that no rewind takes back.
    fn notice(&mut self, text: String) {
        self.meta.events.push(Event {
            t: self.session.now(),
            kind: "clock",
            text,
            assets: Vec::new(),
            seat: None,
            id: None,
            to: Audience::All,
        });
    }

    /// A player's action: recorded as a decision, scored, and queued for its delay.
    fn act(&mut self, seat: usize, id: &str, action: &str, target: &str) -> (String, Option<f64>) {
        let now = self.session.now();
        let Ok(a) = self.check_act(seat, action, target) else {
            return ("refused".into(), None);
        };
        let role = &self.live.roles[self.seats[seat].role];
        let seat_id = self.seats[seat].id.clone();
        let role_id = role.id.clone();
        let engine = a.command(target).is_some();
        let eff = if engine {
            now + self.live.delay(a)
        } else {
            now
        };
        let shown = if target.is_empty() {
            a.name().to_string()
        } else {
            format!("{} {target}", a.name())
        };
        self.play.decisions.push(Decision {
            at: now,
            effective_at: eff,
            seat: seat_id.clone(),
            role: role_id.clone(),
            action: a,
            target: target.to_string(),
            log_index: None,
            points: 0,
        });
        let d = self.play.decisions.len() - 1;
        let assets = if engine {
            vec![target.to_string()]
        } else {
            Vec::new()
        };
        self.play.events.push(Event {
            t: now,
            kind: "action",
            text: format!("{} ({}): {shown}", seat_id, role.title),
            assets,
            seat: Some(seat_id.clone()),
            id: Some(id.to_string()),
            to: Audience::Actor(role_id),
        });
        self.score(d);
        self.fire_done(a, target);
        if engine {
            self.play.pending.push(Pending {
                id: id.to_string(),
                seat: seat_id,
                action: a.name(),
                target: target.to_string(),
                effective_at: eff,
                decision: d,
            });
            self.process_due();
            (
                format!("`{shown}` takes effect at {}.", fmt_time(eff)),
                Some(eff),
            )
        } else {
            (format!("`{shown}` recorded."), None)
        }
    }

    /// Runs a tabletop command now (an inject), with an event saying what it did.
    pub(super) fn inject_line(&mut self, line: &str, to: Audience, kind: &'static str) -> String {
        let now = self.session.now();
        let cmd = match crate::tabletop::exercise::check_command(line) {
            Ok(c) => c,
            Err(m) => return m,
        };
        let text = match self.session.apply(Entry {
            at: now,
            cmd: cmd.clone(),
            note: None,
            until: None,
        }) {
            Ok(()) => format!("Inject: {cmd}"),
            Err(m) => format!("Inject `{cmd}` had no effect: {m}"),
        };
        self.play.events.push(Event {
            t: now,
            kind,
            text: text.clone(),
            assets: Vec::new(),
            seat: None,
            id: None,
            to,
        });
        self.process_due();
        text
    }

    /// Rebuilds the line from `line`'s requests on a fresh trial.
    fn rebuild(&mut self, line: Vec<(Request, f64)>, cap: Option<f64>) {
        let branch = self.play.branch.clone();
        let branches = std::mem::take(&mut self.play.branches);
        let _ = self.session.replay(Vec::new());
        self.line_version += 1;
        self.play = Play::new(&self.live);
        self.play.branch = branch;
        self.play.branches = branches;
        self.process_due();
        for (req, at) in line {
            if cap.is_some_and(|c| at >= c) {
                break;
            }
            if let Some(who) = self.who_of(&req.who)
                && self.precheck_line(who, &req.what).is_ok()
            {
                self.clock_cap = cap;
                self.apply(who, &req);
                self.clock_cap = None;
            }
        }
        if let Some(c) = cap
            && self.session.now() < c
        {
            self.clock_cap = Some(c);
            self.move_clock_to(c);
            self.clock_cap = None;
        }
    }

    fn precheck_line(&self, who: Who, what: &What) -> Result<(), RoomError> {
        match (who, what) {
            (Who::Seat(s), What::Act { action, target }) => {
                self.check_act(s, action, target).map(|_| ())
            }
            (_, What::Facilitator(c)) => self.check_fac(c),
            _ => Err(bad("")),
        }
    }

    fn rewind(&mut self, t: f64) -> String {
        let line = std::mem::take(&mut self.play.line);
        let kept = line.iter().filter(|(_, at)| *at < t).count();
        self.rebuild(line, Some(t));
        // The rewound line is the requests kept plus the move to `t`.
        self.play.line.push((
            Request {
                who: "facilitator".into(),
                id: format!("rewind-{}", self.raw.len()),
                what: What::Facilitator(FacCommand::Advance {
                    by: None,
                    to: Some(format!("{t}h")),
                }),
            },
            self.session.now(),
        ));
        self.notice(format!(
            "The facilitator rewound the exercise to {}.",
            fmt_time(t)
        ));
        format!("Rewound to {} ({kept} request(s) kept).", fmt_time(t))
    }

    fn switch(&mut self, name: &str) -> String {
        let Some(line) = self.play.branches.remove(name) else {
            return format!("no branch `{name}`");
        };
        let cur = self.play.line.clone();
        let old = std::mem::replace(&mut self.play.branch, name.to_string());
        self.play.branches.insert(old, cur);
        self.rebuild(line, None);
        self.notice(format!("The facilitator switched to branch `{name}`."));
        format!("Switched to `{name}` at {}.", fmt_time(self.session.now()))
    }

    /// The session command a clock move runs until `next`.
    pub(super) fn clock_command(c: &FacCommand, now: f64) -> (Command, Option<f64>) {
        match c {
            FacCommand::Advance { by: Some(d), .. } => {
                let h = command::parse_duration(d.trim())
                    .map(|d| d.hours())
                    .unwrap_or(0.0);
                (Command::Run(Until::Time(now + h)), Some(now + h))
            }
            FacCommand::Advance { to: Some(t), .. } => {
                let t = command::parse_time(t.trim()).unwrap_or(now);
                (Command::Run(Until::Time(t)), Some(t))
            }
            FacCommand::Run { until } if until == "crown-jewel" => {
                (Command::Run(Until::CrownJewel), None)
            }
            FacCommand::Run { .. } => (Command::Run(Until::Detection), None),
            _ => (
                Command::Step(crate::tabletop::command::StepArg::Actions(1)),
                None,
            ),
        }
    }
}
