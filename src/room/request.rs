//! The requests a room accepts, as the browser sends them, and its replies.

use serde::{Deserialize, Serialize};

/// Who sent a request: the facilitator, or a seat (by index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Who {
    /// The facilitator.
    Facilitator,
    /// A player's seat, by index in the room's seats.
    Seat(usize),
}

/// A facilitator's command.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum FacCommand {
    /// One attack step (or up to the next modelled effect or scheduled inject).
    Step,
    /// Move the clock by a duration (`by: "1h"`) or to a time (`to: "12h"`).
    Advance {
        /// A duration: `30m`, `1h`, `2d`.
        #[serde(default)]
        by: Option<String>,
        /// A time since the start: `12h`, `T+12h`, `1d`.
        #[serde(default)]
        to: Option<String>,
    },
    /// Move the clock until an event: `detection` or `crown-jewel`.
    Run {
        /// The event.
        until: String,
    },
    /// Any tabletop command that changes the trial (attacker or defender inject, a control
    /// change, an estate edit).
    Inject {
        /// The command as typed in the terminal tabletop.
        line: String,
    },
    /// Go back to a time: everything accepted after it is set aside.
    Rewind {
        /// A time since the start.
        to: String,
    },
    /// Fork here: the current line keeps its name, play goes on in `name`.
    Branch {
        /// The new branch.
        name: String,
    },
    /// Go to another branch.
    Switch {
        /// The branch.
        name: String,
    },
    /// Show (or hide) the attacker's path and holdings to every seat.
    Reveal {
        /// On or off.
        on: bool,
    },
    /// Pause (or resume) player actions.
    Pause {
        /// On or off.
        on: bool,
    },
    /// A message to every seat (`all`) or to a role.
    Message {
        /// `all` or a role id.
        to: String,
        /// The text.
        text: String,
    },
    /// An item of the improvement plan.
    Improve {
        /// What to improve.
        issue: String,
        /// Who owns it.
        owner: String,
        /// `high`, `medium` or `low`.
        priority: String,
    },
    /// A detection the facilitator injects: an alert naming an asset, shown to the roles
    /// whose channels see such an alert, as the engine's alerts are.
    Alert {
        /// The asset the alert names.
        asset: String,
        /// What the alert says.
        text: String,
    },
    /// A new join link for a seat: its old token stops working (a lost or shared link).
    Reissue {
        /// The seat (`soc-1`).
        seat: String,
        /// The new token, chosen by the room when the request is taken (never by a client);
        /// kept in the journal so a restart gives the same link.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        new_token: Option<String>,
    },
    /// End the exercise: no more actions or clock moves; the report is final.
    End,
}

impl FacCommand {
    /// Whether the command is accepted while the exercise is paused (all but those
    /// that move the clock or change the trial are).
    pub fn moves_play(&self) -> bool {
        matches!(
            self,
            FacCommand::Step
                | FacCommand::Advance { .. }
                | FacCommand::Run { .. }
                | FacCommand::Inject { .. }
        )
    }
}

/// A request as kept in the session journal: who, the client's id, and what.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// The seat id, or `facilitator`.
    pub who: String,
    /// The client's id for the request (a repeat is answered, not applied again).
    pub id: String,
    /// What was asked.
    pub what: What,
}

/// What a request asks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum What {
    /// A player's action.
    Act {
        /// The action's name (`isolate`).
        action: String,
        /// Its target (asset id, decision, or text).
        #[serde(default)]
        target: String,
    },
    /// A facilitator's command.
    Facilitator(FacCommand),
}

/// The answer to an accepted request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    /// Always true (errors are [`RoomError`]s).
    pub ok: bool,
    /// The room's change counter after the request.
    pub seq: u64,
    /// Whether this repeats an earlier reply (the request was not applied again).
    pub duplicate: bool,
    /// What happened, in words.
    pub text: String,
    /// When a player's action takes effect (hours since the start).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_at: Option<f64>,
}

/// Why a request was refused; the room is unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RoomError {
    /// A stable code: `bad_request`, `bad_token`, `forbidden`, `unknown_action`,
    /// `unknown_target`, `paused`, `ended`, `too_large`, `storage`.
    pub code: &'static str,
    /// What was wrong, in words.
    pub message: String,
}

impl RoomError {
    /// A refusal with `code`.
    pub fn new(code: &'static str, message: impl Into<String>) -> RoomError {
        RoomError {
            code,
            message: message.into(),
        }
    }

    /// The HTTP status the server answers with.
    pub fn status(&self) -> u16 {
        match self.code {
            "bad_token" => 401,
            "forbidden" => 403,
            "paused" | "ended" => 409,
            "too_large" => 413,
            "storage" => 500,
            _ => 400,
        }
    }
}

/// A client id: 1 to 64 characters of `[A-Za-z0-9_.:-]`.
pub fn check_id(id: &str) -> Result<(), RoomError> {
    let ok = (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.:-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(RoomError::new(
            "bad_request",
            "`id` must be 1 to 64 characters of letters, digits, `_`, `.`, `:` or `-`",
        ))
    }
}
